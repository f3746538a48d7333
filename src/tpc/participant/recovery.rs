//! Recovery of a participant from its state log, after a restart or a lost
//! connection (the disconnect rule makes both the same).
//!
//! A decision that is logged is redone: its commit-log line is written if the
//! line count says it is missing, so there is exactly one line per transaction
//! whatever the crash. A transaction without READY is aborted (this process never
//! voted commit). One with READY or PRECOMMIT is never decided alone: the process
//! asks the coordinator and the members (DECISION-REQ every T/6) and answers
//! STATE-REQ with RECOVERING until a decision comes back.

use std::collections::{BTreeMap, BTreeSet};

use super::{Config, Current, Participant, Phase};
use crate::tpc::message::Body;
use crate::tpc::{Action, Millis, Note, Outcome, Record, TxId, TxInfo, send, show_state, step};

/// What the state log says, per transaction.
#[derive(Default)]
struct Summary {
    infos: BTreeMap<TxId, TxInfo>,
    ready: BTreeSet<TxId>,
    precommitted: BTreeSet<TxId>,
    applied: BTreeSet<TxId>,
}

impl Participant {
    /// Rebuilds the participant from its state log and the number of lines in its
    /// commit log, and finishes what a crash interrupted: a missing commit-log
    /// line is written (exactly once), a transaction without READY is aborted, and
    /// one with READY or PRECOMMIT is asked about (`RECOVERING`).
    pub fn recover(
        config: Config,
        records: &[Record],
        commit_lines: usize,
        now: Millis,
    ) -> (Participant, Vec<Action>) {
        let mut participant = Participant::new(config);
        let summary = participant.read_log(records);
        let mut actions = participant.redo_lines(&summary, commit_lines);
        let undecided = summary
            .infos
            .values()
            .rev()
            .find(|info| !participant.decided.contains_key(&info.tx));
        if let Some(info) = undecided.cloned() {
            let tx = info.tx;
            if !summary.ready.contains(&tx) {
                actions.push(step(tx, "restarted before voting: abort".to_owned()));
                actions.extend(participant.decide_with(info, Outcome::Abort, None));
            } else {
                participant.current = Some(Current {
                    info,
                    phase: Phase::Ready { deadline: now },
                });
                let precommitted = summary.precommitted.contains(&tx);
                actions.extend(participant.start_recovering(precommitted, now));
            }
        }
        participant.look_back_due = participant.config.look_back;
        actions.extend(participant.look_back_if_due(now));
        (participant, actions)
    }

    /// Replays the records into the participant and summarises them.
    fn read_log(&mut self, records: &[Record]) -> Summary {
        let mut summary = Summary::default();
        for record in records {
            self.last_tx = self.last_tx.max(record.tx());
            match record {
                Record::Init(info) | Record::Ready(info) => {
                    self.coordinator = Some(info.coordinator.clone());
                    self.last_request = Some((info.tx, info.run));
                    self.members_of.insert(info.tx, info.members.clone());
                    if matches!(record, Record::Ready(_)) {
                        summary.ready.insert(info.tx);
                    }
                    summary.infos.insert(info.tx, info.clone());
                }
                Record::Precommit(tx) => {
                    summary.precommitted.insert(*tx);
                }
                Record::Decided(tx, outcome) => {
                    self.decided.insert(*tx, *outcome);
                }
                Record::Applied(tx) => {
                    summary.applied.insert(*tx);
                }
                Record::Begin { .. } | Record::Next(_) => {}
            }
        }
        summary
    }

    /// The commit-log lines of decisions without `APPLIED`. Lines are written in
    /// order, one per `APPLIED`, so one line more than `APPLIED` records means
    /// the last line was written just before a crash.
    fn redo_lines(&self, summary: &Summary, commit_lines: usize) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut applied = summary.applied.len();
        for (&tx, &outcome) in &self.decided {
            if summary.applied.contains(&tx) {
                continue;
            }
            if commit_lines > applied {
                let why = "commit-log line written before the crash: record APPLIED only";
                actions.push(Action::Log(Record::Applied(tx)));
                actions.push(step(tx, why.to_owned()));
            } else {
                let text = summary.infos.get(&tx).map(|info| info.text.clone());
                actions.extend(apply(tx, outcome, text.unwrap_or_default()));
            }
            actions.push(Action::Show(Note::Decided { tx, outcome }));
            applied += 1;
        }
        actions
    }

    pub(crate) fn start_recovering(&mut self, precommitted: bool, now: Millis) -> Vec<Action> {
        let next_ask = now + self.config.timing.sixth();
        self.set_phase(Phase::Recovering {
            precommitted,
            next_ask,
        });
        let current = self.current.as_ref().expect("caller set it");
        let tx = current.info.tx;
        let mut actions = vec![show_state(tx, "RECOVERING")];
        for peer in self.peers_and_coordinator() {
            actions.push(send(&peer, tx, Body::DecisionReq));
        }
        actions
    }
}

/// The commit-log line for a decision, then its APPLIED record.
pub(crate) fn apply(tx: TxId, outcome: Outcome, text: String) -> Vec<Action> {
    let line = match outcome {
        Outcome::Commit => text,
        Outcome::Abort => String::new(),
    };
    vec![Action::Apply { tx, line }, Action::Log(Record::Applied(tx))]
}
