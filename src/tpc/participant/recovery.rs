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
use crate::tpc::{Action, Millis, Outcome, Record, TxId, send, show_state, step};

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
        let mut infos = BTreeMap::new();
        let (mut ready, mut precommitted, mut applied) = (BTreeSet::new(), BTreeSet::new(), 0);
        for record in records {
            participant.last_tx = participant.last_tx.max(record.tx());
            match record {
                Record::Init(info) | Record::Ready(info) => {
                    participant.coordinator = Some(info.coordinator.clone());
                    if matches!(record, Record::Ready(_)) {
                        ready.insert(info.tx);
                    }
                    infos.insert(info.tx, info.clone());
                }
                Record::Precommit(tx) => {
                    precommitted.insert(*tx);
                }
                Record::Decided(tx, outcome) => {
                    participant.decided.insert(*tx, *outcome);
                }
                Record::Applied(_) => applied += 1,
                Record::Begin { .. } => {}
            }
        }
        let mut actions = Vec::new();
        let applied_txs: BTreeSet<TxId> = records
            .iter()
            .filter_map(|r| {
                if let Record::Applied(tx) = r {
                    Some(*tx)
                } else {
                    None
                }
            })
            .collect();
        for (&tx, &outcome) in &participant.decided {
            if applied_txs.contains(&tx) {
                continue;
            }
            if commit_lines > applied {
                let why = "commit-log line written before the crash: record APPLIED only";
                actions.push(Action::Log(Record::Applied(tx)));
                actions.push(step(tx, why.to_owned()));
            } else {
                let text = infos
                    .get(&tx)
                    .map(|info| info.text.clone())
                    .unwrap_or_default();
                actions.extend(apply(tx, outcome, text));
            }
            applied += 1;
        }
        let undecided = infos
            .into_values()
            .rev()
            .find(|info| !participant.decided.contains_key(&info.tx));
        if let Some(info) = undecided {
            let tx = info.tx;
            if !ready.contains(&tx) {
                actions.push(step(tx, "restarted before voting: abort".to_owned()));
                actions.extend(participant.decide_with(info, Outcome::Abort, None));
            } else {
                participant.current = Some(Current {
                    info,
                    phase: Phase::Ready { deadline: now },
                });
                actions.extend(participant.start_recovering(precommitted.contains(&tx), now));
            }
        }
        (participant, actions)
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
