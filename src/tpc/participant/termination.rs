//! The termination protocol a participant runs when the coordinator falls silent
//! (Bernstein, Hadzilacos and Goodman, TR1 to TR4), as part of the pure
//! participant machine.
//!
//! 1. Ask the coordinator (STATE-REQ), wait T/6. A decision: adopt it. Alive and
//!    undecided (any other state than RECOVERING): go back to waiting.
//! 2. Ask every member, collect answers for T/6. R is this process plus every
//!    member that answered with a state other than RECOVERING.
//! 3. The leader is the member of R whose name sorts first, leaving out the
//!    leaders that fell silent before. The others follow it; if it falls silent
//!    they start again from step 1 without it as leader. Its state still counts
//!    in R if it answers: it may have fallen silent only because its own view
//!    chose another leader, and leaving its PRECOMMIT out could abort what the
//!    coordinator committed (the model found exactly that with two crashes).
//! 4. The leader decides: any COMMIT: commit. Any ABORT, INIT or UNKNOWN: abort.
//!    Any PRECOMMIT: PRECOMMIT to the READY ones, their ACKs for T/6, commit.
//!    All READY: abort.
//! 5. It forces the decision, then sends GLOBAL-* to every member and the
//!    coordinator.
//!
//! Any decision heard at any step (GLOBAL-*, a decided STATE) is adopted at once
//! by `Participant::on_current`; this module only handles the undecided answers.

use std::collections::{BTreeMap, BTreeSet};

use super::{Participant, Phase};
use crate::tpc::message::Body;
use crate::tpc::{Action, Millis, Nonce, Outcome, PeerState, Record, TxId};
use crate::tpc::{ignored, send, send_in_run, show_state, step};

/// The termination protocol's state: what this process knows of itself, which
/// leaders fell silent, and the current round.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Termination {
    /// True once this process has logged PRECOMMIT.
    pub precommitted: bool,
    /// Leaders that fell silent: never chosen as leader again.
    pub excluded: BTreeSet<String>,
    /// Where in the protocol this process is.
    pub round: Round,
}

/// One step of the termination protocol, each with its own deadline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Round {
    /// Step 1: waiting for the coordinator's STATE.
    AskCoordinator { until: Millis },
    /// Step 2: collecting the members' STATE answers.
    Collect {
        until: Millis,
        answers: BTreeMap<String, PeerState>,
    },
    /// Step 4 as leader: PRECOMMIT sent to the READY ones, waiting for their ACKs.
    Lead {
        until: Millis,
        waiting: BTreeSet<String>,
    },
    /// Step 3 as follower: waiting for the leader's decision.
    Follow { leader: String, until: Millis },
}

impl Round {
    /// When this round times out.
    pub fn until(&self) -> Millis {
        match self {
            Round::AskCoordinator { until }
            | Round::Collect { until, .. }
            | Round::Lead { until, .. }
            | Round::Follow { until, .. } => *until,
        }
    }
}

impl Termination {
    /// A PRECOMMIT arrived from `from`: if it is the leader being followed, the
    /// leader is alive, so wait for it again.
    pub(crate) fn on_precommit_from(&mut self, from: &str, wait_until: Millis) {
        if let Round::Follow { leader, until } = &mut self.round
            && leader == from
        {
            *until = wait_until;
        }
    }
}

impl Participant {
    /// Step 1, the first time: the coordinator has been silent for T + T/6.
    pub(crate) fn start_termination(&mut self, precommitted: bool, now: Millis) -> Vec<Action> {
        let termination = Termination {
            precommitted,
            excluded: BTreeSet::new(),
            round: Round::AskCoordinator { until: now },
        };
        let mut actions = vec![show_state(self.tx(), "TERMINATION")];
        actions.extend(self.ask_coordinator(termination, now));
        actions
    }

    fn ask_coordinator(&mut self, mut termination: Termination, now: Millis) -> Vec<Action> {
        let tx = self.tx();
        let coordinator = self.coordinator_name();
        termination.round = Round::AskCoordinator {
            until: now + self.config.timing.sixth(),
        };
        self.set_phase(Phase::Terminating(termination));
        let why = format!("step 1: ask the coordinator {coordinator}");
        vec![step(tx, why), send(&coordinator, tx, Body::StateReq)]
    }

    /// A round's deadline passed.
    pub(crate) fn termination_timeout(&mut self, now: Millis) -> Vec<Action> {
        let mut termination = self.termination().clone();
        let tx = self.tx();
        let sixth = self.config.timing.sixth();
        match std::mem::replace(&mut termination.round, Round::AskCoordinator { until: now }) {
            Round::AskCoordinator { .. } => {
                let peers = self.peers();
                termination.round = Round::Collect {
                    until: now + sixth,
                    answers: BTreeMap::new(),
                };
                self.set_phase(Phase::Terminating(termination));
                let mut actions = vec![step(tx, "step 2: no answer, ask the members".to_owned())];
                actions.extend(peers.iter().map(|peer| send(peer, tx, Body::StateReq)));
                actions
            }
            Round::Collect { answers, .. } => self.choose_leader(termination, answers, now),
            Round::Lead { .. } => {
                let why = "step 4: ACK round over, commit".to_owned();
                let mut actions = vec![step(tx, why)];
                actions.extend(self.decide_as_leader(Outcome::Commit));
                actions
            }
            Round::Follow { leader, .. } => {
                let why = format!("step 3: leader {leader} fell silent, start again without it");
                termination.excluded.insert(leader);
                let mut actions = vec![step(tx, why)];
                actions.extend(self.ask_coordinator(termination, now));
                actions
            }
        }
    }

    fn choose_leader(
        &mut self,
        mut termination: Termination,
        answers: BTreeMap<String, PeerState>,
        now: Millis,
    ) -> Vec<Action> {
        let tx = self.tx();
        let own = if termination.precommitted {
            PeerState::Precommit
        } else {
            PeerState::Ready
        };
        let mut r: BTreeMap<String, PeerState> = answers
            .into_iter()
            .filter(|(_, state)| *state != PeerState::Recovering)
            .collect();
        r.insert(self.name().to_owned(), own);
        // A leader that fell silent is never chosen again, but its answer still
        // counts: a PRECOMMIT it reports is evidence the decision may be commit.
        let leader = r
            .keys()
            .find(|name| !termination.excluded.contains(*name))
            .expect("R holds this process, which is never excluded")
            .clone();
        let described: Vec<String> = r
            .iter()
            .map(|(n, s)| format!("{n}={}", s.as_str()))
            .collect();
        let mut actions = vec![step(
            tx,
            format!("step 3: R = {}, leader {leader}", described.join(" ")),
        )];
        if leader != self.name() {
            termination.round = Round::Follow {
                leader,
                until: now + self.config.timing.follow_wait(),
            };
            self.set_phase(Phase::Terminating(termination));
            return actions;
        }
        actions.extend(self.lead(termination, &r, now));
        actions
    }

    /// Step 4: the leader's rule.
    fn lead(
        &mut self,
        mut termination: Termination,
        r: &BTreeMap<String, PeerState>,
        now: Millis,
    ) -> Vec<Action> {
        let tx = self.tx();
        let any = |wanted: &[PeerState]| r.values().any(|s| wanted.contains(s));
        if any(&[PeerState::Commit]) {
            return self.decide_as_leader(Outcome::Commit);
        }
        if any(&[PeerState::Abort, PeerState::Init, PeerState::Unknown]) {
            return self.decide_as_leader(Outcome::Abort);
        }
        if !any(&[PeerState::Precommit]) {
            return self.decide_as_leader(Outcome::Abort);
        }
        let mut actions = Vec::new();
        if !termination.precommitted {
            termination.precommitted = true;
            actions.push(Action::Log(Record::Precommit(tx)));
            actions.push(show_state(tx, "PRECOMMIT"));
        }
        let ready: BTreeSet<String> = r
            .iter()
            .filter(|(name, state)| **state == PeerState::Ready && *name != self.name())
            .map(|(name, _)| name.clone())
            .collect();
        if ready.is_empty() {
            self.set_phase(Phase::Terminating(termination));
            actions.extend(self.decide_as_leader(Outcome::Commit));
            return actions;
        }
        let run = self.run();
        let precommit = |name: &String| send_in_run(name, tx, run, Body::Precommit);
        actions.extend(ready.iter().map(precommit));
        termination.round = Round::Lead {
            until: now + self.config.timing.sixth(),
            waiting: ready,
        };
        self.set_phase(Phase::Terminating(termination));
        actions
    }

    /// An undecided STATE answer about the current transaction.
    pub(crate) fn on_state(&mut self, from: &str, state: PeerState, now: Millis) -> Vec<Action> {
        let coordinator = self.coordinator_name();
        let wait = self.config.timing.participant_wait();
        let Some(Phase::Terminating(termination)) = self.phase_mut() else {
            return vec![ignored(format!("{from}: STATE outside termination"))];
        };
        match &mut termination.round {
            Round::AskCoordinator { .. }
                if from == coordinator && state != PeerState::Recovering =>
            {
                let deadline = now + wait;
                let phase = if termination.precommitted {
                    Phase::Precommit {
                        deadline,
                        ack_to: None,
                    }
                } else {
                    Phase::Ready { deadline }
                };
                self.set_phase(phase);
                let why = format!(
                    "step 1: the coordinator is alive ({}), keep waiting",
                    state.as_str()
                );
                vec![step(self.tx(), why)]
            }
            Round::Collect { answers, .. } if from != coordinator => {
                answers.insert(from.to_owned(), state);
                Vec::new()
            }
            _ => vec![ignored(format!(
                "{from}: STATE {} not asked for",
                state.as_str()
            ))],
        }
    }

    /// An ACK: counts only for a leader waiting for ACKs.
    pub(crate) fn on_ack(&mut self, from: &str, _now: Millis) -> Vec<Action> {
        let Some(Phase::Terminating(Termination {
            round: Round::Lead { waiting, .. },
            ..
        })) = self.phase_mut()
        else {
            return vec![ignored(format!("{from}: ACK not asked for"))];
        };
        waiting.remove(from);
        if !waiting.is_empty() {
            return Vec::new();
        }
        self.decide_as_leader(Outcome::Commit)
    }

    /// Step 5: force the decision, tell everyone, then write the line.
    fn decide_as_leader(&mut self, outcome: Outcome) -> Vec<Action> {
        let tx = self.tx();
        let run = self.run();
        let mut recipients = self.peers();
        recipients.push(self.coordinator_name());
        let text = self
            .current
            .as_ref()
            .expect("a current transaction")
            .info
            .text
            .clone();
        self.current = None;
        let mut actions = vec![Action::Log(Record::Decided(tx, outcome))];
        actions.extend(
            recipients
                .iter()
                .map(|name| send_in_run(name, tx, run, Body::global(outcome))),
        );
        actions.extend(self.record_decision_logged(tx, outcome, text));
        actions
    }

    /// The current transaction's run, which the leader's messages carry.
    fn run(&self) -> Nonce {
        self.current
            .as_ref()
            .expect("a current transaction")
            .info
            .run
    }

    fn tx(&self) -> TxId {
        self.current
            .as_ref()
            .expect("a current transaction")
            .info
            .tx
    }

    fn coordinator_name(&self) -> String {
        self.current
            .as_ref()
            .expect("a current transaction")
            .info
            .coordinator
            .clone()
    }

    fn termination(&self) -> &Termination {
        match &self.current.as_ref().expect("a current transaction").phase {
            Phase::Terminating(termination) => termination,
            _ => unreachable!("only called while terminating"),
        }
    }

    fn phase_mut(&mut self) -> Option<&mut Phase> {
        self.current.as_mut().map(|current| &mut current.phase)
    }
}
