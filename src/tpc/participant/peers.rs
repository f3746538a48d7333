//! What a participant tells the others about a transaction, and whom it
//! counts as a party to it: the answers to DECISION-REQ and STATE-REQ, and
//! the names its questions go to. Invariant: a participant running
//! termination for a transaction does not answer DECISION-REQ for it, so a
//! recovering coordinator cannot resume against a termination leader.

use super::{Current, Participant, Phase};
use crate::tpc::message::Body;
use crate::tpc::{Action, PeerState, TxId, ignored, send};

impl Participant {
    pub(super) fn answer_decision(&self, from: &str, tx: TxId) -> Vec<Action> {
        if let Some(outcome) = self.outcome(tx) {
            return vec![send(from, tx, Body::Decision(Some(outcome)))];
        }
        match &self.current {
            Some(Current {
                info,
                phase: Phase::Terminating(_),
            }) if info.tx == tx => {
                vec![ignored(format!(
                    "{from}: DECISION-REQ {tx} not answered during termination"
                ))]
            }
            _ => vec![send(from, tx, Body::Decision(None))],
        }
    }

    pub(super) fn state_of(&self, tx: TxId) -> PeerState {
        if let Some(outcome) = self.outcome(tx) {
            return outcome.into();
        }
        match &self.current {
            Some(current) if current.info.tx == tx => match &current.phase {
                Phase::Init { .. } | Phase::CatchingUp(_) => PeerState::Init,
                Phase::Ready { .. } => PeerState::Ready,
                Phase::Precommit { .. } => PeerState::Precommit,
                Phase::Terminating(t) if t.precommitted => PeerState::Precommit,
                Phase::Terminating(_) => PeerState::Ready,
                Phase::Recovering { .. } => PeerState::Recovering,
            },
            _ => PeerState::Unknown,
        }
    }

    /// True if `name` is the current transaction's coordinator or one of its
    /// other members.
    pub(super) fn is_party(&self, name: &str) -> bool {
        let Some(current) = &self.current else {
            return false;
        };
        name != self.name()
            && (current.info.coordinator == name || current.info.members.iter().any(|m| m == name))
    }

    /// The current transaction's other members.
    pub(crate) fn peers(&self) -> Vec<String> {
        let Some(current) = &self.current else {
            return Vec::new();
        };
        current
            .info
            .members
            .iter()
            .filter(|m| *m != self.name())
            .cloned()
            .collect()
    }

    pub(crate) fn peers_and_coordinator(&self) -> Vec<String> {
        let mut names = self.peers();
        if let Some(current) = &self.current {
            names.insert(0, current.info.coordinator.clone());
        }
        names
    }
}
