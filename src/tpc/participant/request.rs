//! A VOTE-REQUEST at the participant: a new transaction starts (`INIT`, then
//! the vote), after a catch-up if ids below it were missed ([`super::catch_up`]); a copy of the latest one (same id and run) is dropped; an id
//! at or below the highest seen, in another run, is answered `CONFLICT`; and
//! while another transaction is undecided here, `BUSY`. The last two carry
//! the refused request's run nonce, so they cannot be replayed into another.

use super::{Current, Participant, Phase, VotePolicy};
use crate::tpc::message::Body;
use crate::tpc::{Action, Millis, Nonce, Note, Record, TxId, TxInfo};
use crate::tpc::{ignored, send_in_run, show_state};

/// A VOTE-REQUEST as it arrived: its transaction and the run's nonce.
pub(super) struct Request {
    pub(super) tx: TxId,
    pub(super) members: Vec<String>,
    pub(super) text: String,
    pub(super) run: Nonce,
}

impl Participant {
    pub(super) fn on_vote_request(
        &mut self,
        from: &str,
        request: Request,
        now: Millis,
    ) -> Vec<Action> {
        let Request {
            tx,
            members,
            text,
            run,
        } = request;
        if tx <= self.last_tx {
            return self.stale_vote_request(from, tx, run);
        }
        if let Some(current) = &self.current {
            if (current.info.tx, current.info.run) == (tx, run) {
                return vec![ignored(format!("{from}: VOTE-REQUEST {tx} is a duplicate"))];
            }
            let busy = current.info.tx;
            let why = format!("{from}: VOTE-REQUEST {tx} while {busy} is undecided: BUSY");
            return vec![ignored(why), send_in_run(from, tx, run, Body::Busy(busy))];
        }
        if !members.iter().any(|m| m == self.name()) {
            return vec![ignored(format!(
                "{from}: VOTE-REQUEST {tx} does not name this process"
            ))];
        }
        let info = TxInfo {
            tx,
            coordinator: from.to_owned(),
            members,
            text,
            run,
        };
        // Its own catch-up asks, if anything is missing below it.
        self.look_back = None;
        if self.config.catch_up && tx > self.last_tx + 1 {
            return self.start_catch_up(info, now);
        }
        self.take_request(info, now, now)
    }

    /// Takes a request (no id is missing below it): `INIT`, then the vote,
    /// due T after the request `arrived`.
    pub(super) fn take_request(
        &mut self,
        info: TxInfo,
        arrived: Millis,
        now: Millis,
    ) -> Vec<Action> {
        let tx = info.tx;
        self.last_tx = tx;
        self.coordinator = Some(info.coordinator.clone());
        self.last_request = Some((tx, info.run));
        self.members_of.insert(tx, info.members.clone());
        let deadline = arrived + self.config.timing.t();
        let mut actions = vec![
            Action::Log(Record::Init(info.clone())),
            show_state(tx, "INIT"),
        ];
        self.current = Some(Current {
            info: info.clone(),
            phase: Phase::Init { deadline },
        });
        match self.config.vote {
            VotePolicy::Always(outcome) => actions.extend(self.vote(outcome, now)),
            VotePolicy::Ask => actions.push(Action::Show(Note::Prompt {
                tx,
                text: info.text,
                ack: false,
                deadline,
            })),
        }
        actions
    }

    /// A VOTE-REQUEST for an id at or below the highest seen: a copy of the
    /// latest one (same run) is dropped; anything else reuses an id, and its
    /// coordinator is told how far ids go here (in the refused run).
    fn stale_vote_request(&self, from: &str, tx: TxId, run: Nonce) -> Vec<Action> {
        if self.last_request == Some((tx, run)) {
            return vec![ignored(format!("{from}: VOTE-REQUEST {tx} is a duplicate"))];
        }
        let why = format!(
            "{from}: VOTE-REQUEST {tx} reuses an id (ids here reach {})",
            self.last_tx
        );
        let conflict = Body::Conflict(self.last_tx);
        vec![ignored(why), send_in_run(from, tx, run, conflict)]
    }
}
