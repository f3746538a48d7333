//! How a participant takes a decision: the decision's record is forced
//! first, then the commit-log line is written, then `APPLIED`. A reply that
//! depends on the decision (a VOTE-ABORT) goes out after its record.

use super::Participant;
use super::recovery::apply;
use crate::tpc::message::Body;
use crate::tpc::{Action, Note, Outcome, Record, TxId, TxInfo, send_in_run, show_state};

impl Participant {
    /// Adopts a decision learned from someone else.
    pub(crate) fn decide(&mut self, outcome: Outcome) -> Vec<Action> {
        let info = self
            .current
            .as_ref()
            .expect("a current transaction")
            .info
            .clone();
        self.decide_with(info, outcome, None)
    }

    /// Forces the decision, sends `reply` (a VOTE-ABORT) if any, and writes the
    /// commit-log line.
    pub(crate) fn decide_with(
        &mut self,
        info: TxInfo,
        outcome: Outcome,
        reply: Option<Body>,
    ) -> Vec<Action> {
        self.current = None;
        let mut actions = vec![Action::Log(Record::Decided(info.tx, outcome))];
        if let Some(body) = reply {
            actions.push(send_in_run(&info.coordinator, info.tx, info.run, body));
        }
        actions.extend(self.record_decision_logged(info.tx, outcome, info.text));
        actions
    }

    pub(super) fn record_decision(
        &mut self,
        tx: TxId,
        outcome: Outcome,
        text: String,
    ) -> Vec<Action> {
        let mut actions = vec![Action::Log(Record::Decided(tx, outcome))];
        actions.extend(self.record_decision_logged(tx, outcome, text));
        actions
    }

    /// Everything after the decision's record: the line, APPLIED, the notes.
    pub(crate) fn record_decision_logged(
        &mut self,
        tx: TxId,
        outcome: Outcome,
        text: String,
    ) -> Vec<Action> {
        self.decided.insert(tx, outcome);
        self.last_tx = self.last_tx.max(tx);
        let mut actions = apply(tx, outcome, text);
        actions.push(show_state(tx, outcome.as_str()));
        actions.push(Action::Show(Note::Decided { tx, outcome }));
        actions
    }
}
