//! Which answers a process accepts, and which nonce its own answers echo.
//!
//! The questions and answers of termination, recovery and catch-up
//! (STATE-REQ and STATE, DECISION-REQ and DECISION, OUTCOME-REQ and
//! OUTCOME) describe the present, so an answer must
//! answer this process's latest request to that peer about that transaction:
//! a request carries a fresh random nonce and its answer echoes it. Every
//! other message belongs to a transaction's run and carries the run's nonce,
//! which the machines check. Pure; the driver and the model both use it.

use std::collections::BTreeMap;

use super::{AuthError, Nonce};
use crate::protocol::name_key;
use crate::tpc::TxId;
use crate::tpc::message::{Body, Message};

/// Which answers this process may accept: for each peer and transaction, the
/// nonce of the latest STATE-REQ and DECISION-REQ it sent; and which nonce its
/// own answers echo: that of the latest such request it received. Pure; the
/// driver and the model both use it. (Messages of a run carry the run's nonce,
/// which the machines check: see [`crate::tpc::is_run_bound`].)
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Freshness {
    /// (peer's name key, transaction, answer type) -> the latest request's nonce.
    asked: BTreeMap<(String, TxId, &'static str), Nonce>,
    /// The same for requests received: what the answer sent echoes.
    heard: BTreeMap<(String, TxId, &'static str), Nonce>,
}

/// How many (peer, transaction, type) entries are kept; older transactions'
/// entries are dropped beyond it (their answers are then refused, which is safe).
const FRESHNESS_LIMIT: usize = 256;

impl Freshness {
    /// The nonce an outgoing message carries: a message of a run carries
    /// `run`; an answer echoes the latest request heard from `to` about its
    /// transaction; a request takes `fresh` and is remembered.
    pub fn stamp(
        &mut self,
        to: &str,
        message: &Message,
        fresh: Nonce,
        run: Option<Nonce>,
    ) -> Nonce {
        if let Some(run) = run {
            return run;
        }
        if let Some(answer) = answer_type(&message.body) {
            let heard = self.heard.get(&(name_key(to), message.tx, answer));
            return heard.copied().unwrap_or(fresh);
        }
        if let Some(answer) = requested_answer(&message.body) {
            remember(&mut self.asked, (name_key(to), message.tx, answer), fresh);
        }
        fresh
    }

    /// Remembers an admitted request's nonce, which its answer echoes.
    pub fn heard(&mut self, from: &str, message: &Message, nonce: Nonce) {
        if let Some(answer) = requested_answer(&message.body) {
            remember(&mut self.heard, (name_key(from), message.tx, answer), nonce);
        }
    }

    /// Whether an authentic message from `from` may be handled: an answer must
    /// carry the nonce of the latest request sent to `from` about its transaction.
    pub fn admit(&self, from: &str, message: &Message, nonce: Nonce) -> Result<(), AuthError> {
        let Some(answer) = answer_type(&message.body) else {
            return Ok(());
        };
        match self.asked.get(&(name_key(from), message.tx, answer)) {
            Some(latest) if *latest == nonce => Ok(()),
            _ => Err(AuthError::Stale(nonce)),
        }
    }
}

/// Inserts, first dropping older transactions' entries if the map is full.
fn remember(
    map: &mut BTreeMap<(String, TxId, &'static str), Nonce>,
    key: (String, TxId, &'static str),
    nonce: Nonce,
) {
    if map.len() >= FRESHNESS_LIMIT {
        let newest = key.1;
        map.retain(|(_, tx, _), _| *tx == newest);
    }
    map.insert(key, nonce);
}

/// The type of an answer message.
fn answer_type(body: &Body) -> Option<&'static str> {
    match body {
        Body::State(_) => Some("STATE"),
        Body::Decision(_) => Some("DECISION"),
        Body::Outcome(_) => Some("OUTCOME"),
        _ => None,
    }
}

/// The type of the answer a request asks for.
fn requested_answer(body: &Body) -> Option<&'static str> {
    match body {
        Body::StateReq => Some("STATE"),
        Body::DecisionReq => Some("DECISION"),
        Body::OutcomeReq => Some("OUTCOME"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tpc::{Outcome, PeerState};

    fn message(tx: TxId, body: Body) -> Message {
        Message { tx, body }
    }

    #[test]
    fn answers_are_admitted_only_for_the_latest_request() {
        let mut freshness = Freshness::default();
        let state = message(5, Body::State(PeerState::Ready));
        let decision = message(5, Body::Decision(Some(Outcome::Commit)));
        assert_eq!(
            freshness.admit("p2", &state, 1),
            Err(AuthError::Stale(1)),
            "never asked"
        );
        assert_eq!(
            freshness.stamp("p2", &message(5, Body::StateReq), 1, None),
            1
        );
        assert_eq!(freshness.admit("P2", &state, 1), Ok(()));
        assert_eq!(freshness.admit("p3", &state, 1), Err(AuthError::Stale(1)));
        assert_eq!(
            freshness.admit("p2", &decision, 1),
            Err(AuthError::Stale(1))
        );
        freshness.stamp("p2", &message(5, Body::StateReq), 2, None);
        assert_eq!(
            freshness.admit("p2", &state, 1),
            Err(AuthError::Stale(1)),
            "an older round"
        );
        // Facts need no nonce; answers echo the request's.
        assert_eq!(
            freshness.admit("x", &message(5, Body::GlobalCommit), 9),
            Ok(())
        );
        let mut answering = Freshness::default();
        answering.heard("p2", &message(5, Body::StateReq), 2);
        assert_eq!(
            answering.stamp("p2", &state, 7, None),
            2,
            "echoes the request"
        );
        let vote = message(5, Body::VoteCommit);
        assert_eq!(
            answering.stamp("p2", &vote, 7, Some(9)),
            9,
            "a run's message"
        );
    }
}
