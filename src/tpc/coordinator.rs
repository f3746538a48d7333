//! The coordinator as a pure state machine.
//!
//! `IDLE -> WAIT -> PRECOMMIT -> COMMIT`, or `WAIT -> ABORT`, one transaction at a
//! time. Every record is logged (forced) before the messages that depend on it:
//! `BEGIN` before VOTE-REQUEST, `PRECOMMIT` before PRECOMMIT, the decision before
//! GLOBAL-*. After a restart ([`Coordinator::recover`]) it aborts a transaction
//! that only has `BEGIN`, redoes a logged decision, and with `PRECOMMIT` logged
//! asks everyone for the decision (`RECOVERING`): it adopts any decision that
//! comes back, and resumes (PRECOMMIT again, then commit) only when every member
//! answers UNDECIDED in the same round. A participant that is running the
//! termination protocol does not answer, so the coordinator never races a
//! termination leader. A member that joins the server is sent the decisions it
//! may have missed while offline.

use std::collections::{BTreeMap, BTreeSet};

use super::message::{Body, Message};
use super::{Action, Input, Millis, Nonce, Note, Outcome, PeerState, Record, Timing, TxId};
use super::{decision_in, ignored, is_run_bound, send, send_in_run, show_state, step};

/// The transaction being run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Plan {
    /// Its id.
    pub tx: TxId,
    /// Its participants.
    pub members: Vec<String>,
    /// The string to commit.
    pub text: String,
    /// The run's nonce, which every message of it carries.
    pub run: Nonce,
}

/// What the coordinator keeps of every transaction it began.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Known {
    members: Vec<String>,
    outcome: Option<Outcome>,
    run: Nonce,
}

/// Where the coordinator is; each state holds only what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Phase {
    /// No transaction running.
    Idle,
    /// VOTE-REQUEST sent; collecting votes until `deadline`.
    Wait {
        plan: Plan,
        votes: BTreeSet<String>,
        deadline: Millis,
    },
    /// PRECOMMIT sent; collecting ACKs until `deadline`.
    Precommit {
        plan: Plan,
        acks: BTreeSet<String>,
        deadline: Millis,
    },
    /// Restarted with PRECOMMIT logged: asking for the decision every T/6.
    Recovering {
        plan: Plan,
        undecided: BTreeSet<String>,
        next_ask: Millis,
    },
}

/// The coordinator. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Coordinator {
    timing: Timing,
    next_tx: TxId,
    /// Every transaction begun: its members, its run and, once known, its
    /// outcome.
    known: BTreeMap<TxId, Known>,
    phase: Phase,
}

impl Coordinator {
    /// A coordinator that has never run a transaction.
    pub fn new(timing: Timing) -> Coordinator {
        Coordinator {
            timing,
            next_tx: 1,
            known: BTreeMap::new(),
            phase: Phase::Idle,
        }
    }

    /// Rebuilds the coordinator from its state log and finishes what a crash
    /// interrupted (see the module docs).
    pub fn recover(timing: Timing, records: &[Record], now: Millis) -> (Coordinator, Vec<Action>) {
        let mut coordinator = Coordinator::new(timing);
        let mut latest = None;
        let mut precommitted = BTreeSet::new();
        for record in records {
            match record {
                Record::Begin {
                    tx,
                    members,
                    text,
                    run,
                } => {
                    let plan = Plan {
                        tx: *tx,
                        members: members.clone(),
                        text: text.clone(),
                        run: *run,
                    };
                    coordinator.begun(&plan);
                    latest = Some(plan);
                }
                Record::Precommit(tx) => {
                    precommitted.insert(*tx);
                }
                Record::Next(tx) => coordinator.next_tx = coordinator.next_tx.max(*tx),
                Record::Decided(tx, outcome) => {
                    if let Some(known) = coordinator.known.get_mut(tx) {
                        known.outcome = Some(*outcome);
                    }
                }
                _ => {}
            }
        }
        let Some(plan) = latest else {
            return (coordinator, Vec::new());
        };
        // Members that were down while it was down, or while it ran, get the
        // decisions they may have missed, oldest first, before anything new.
        let mut actions = Vec::new();
        for member in coordinator.all_members() {
            actions.extend(coordinator.catch_up(&member));
        }
        match coordinator.outcome(plan.tx) {
            Some(outcome) => {
                let why = format!("restarted with {} logged: resent it", outcome.as_str());
                actions.push(step(plan.tx, why));
            }
            None if precommitted.contains(&plan.tx) => {
                actions.extend(coordinator.start_recovering(plan, now));
            }
            None => {
                let why = "restarted with only BEGIN logged: abort".to_owned();
                actions.push(step(plan.tx, why));
                actions.extend(coordinator.decide(plan, Outcome::Abort));
            }
        }
        (coordinator, actions)
    }

    /// True when no transaction is running, so a request can start one.
    pub fn is_idle(&self) -> bool {
        self.phase == Phase::Idle
    }

    /// The id the next transaction will get.
    pub fn next_tx(&self) -> TxId {
        self.next_tx
    }

    /// The outcome of `tx`, if it is decided here.
    pub fn outcome(&self, tx: TxId) -> Option<Outcome> {
        self.known.get(&tx).and_then(|known| known.outcome)
    }

    /// When [`Input::Timeout`] is next due.
    pub fn deadline(&self) -> Option<Millis> {
        match &self.phase {
            Phase::Idle => None,
            Phase::Wait { deadline, .. } | Phase::Precommit { deadline, .. } => Some(*deadline),
            Phase::Recovering { next_ask, .. } => Some(*next_ask),
        }
    }

    /// Reacts to one input at time `now`.
    pub fn handle(&mut self, input: Input, now: Millis) -> Vec<Action> {
        match input {
            Input::Request { text, members, run } => self.start(text, members, run, now),
            Input::Message {
                from,
                message,
                nonce,
            } => self.on_message(&from, message, nonce, now),
            Input::Joined(name) => self.on_joined(&name),
            Input::Timeout => self.on_timeout(now),
            Input::Vote(_) | Input::Ack => vec![ignored("a coordinator does not vote")],
        }
    }

    fn start(
        &mut self,
        text: String,
        members: Vec<String>,
        run: Nonce,
        now: Millis,
    ) -> Vec<Action> {
        if !self.is_idle() {
            return vec![ignored("a transaction is already running")];
        }
        let plan = Plan {
            tx: self.next_tx,
            members,
            text,
            run,
        };
        self.begun(&plan);
        let mut actions = vec![Action::Log(Record::Begin {
            tx: plan.tx,
            members: plan.members.clone(),
            text: plan.text.clone(),
            run,
        })];
        let request = Body::VoteRequest {
            members: plan.members.clone(),
            text: plan.text.clone(),
        };
        actions.extend(to_all(&plan, request));
        actions.push(show_state(plan.tx, "WAIT"));
        self.phase = Phase::Wait {
            plan,
            votes: BTreeSet::new(),
            deadline: now + self.timing.t(),
        };
        actions
    }

    /// Takes note of a transaction begun (now, or in the log read back).
    fn begun(&mut self, plan: &Plan) {
        let known = Known {
            members: plan.members.clone(),
            outcome: None,
            run: plan.run,
        };
        self.known.insert(plan.tx, known);
        self.next_tx = self.next_tx.max(plan.tx + 1);
    }

    fn on_message(
        &mut self,
        from: &str,
        message: Message,
        nonce: Nonce,
        now: Millis,
    ) -> Vec<Action> {
        let tx = message.tx;
        let Some(known) = self.known.get(&tx) else {
            return vec![ignored(format!("{from}: unknown transaction {tx}"))];
        };
        if !known.members.iter().any(|m| m == from) {
            return vec![ignored(format!(
                "{from} is not a member of transaction {tx}"
            ))];
        }
        match message.body {
            Body::StateReq => return vec![send(from, tx, Body::State(self.state_of(tx)))],
            Body::DecisionReq => return vec![send(from, tx, Body::Decision(self.outcome(tx)))],
            _ => {}
        }
        if is_run_bound(&message.body) && nonce != known.run {
            return vec![ignored(another_run(from, &message, nonce))];
        }
        if self.current_tx() != Some(tx) {
            return vec![ignored(format!("{from}: {message} is stale"))];
        }
        self.transition(from, message.body, now)
    }

    /// One transition on a message about the current transaction.
    fn transition(&mut self, from: &str, body: Body, now: Millis) -> Vec<Action> {
        // Adds `from` to a set of answers; true once every member is in it.
        let complete = |set: &mut BTreeSet<String>, plan: &Plan| {
            set.insert(from.to_owned());
            set.len() == plan.members.len()
        };
        match (&mut self.phase, &body) {
            (Phase::Wait { .. }, Body::VoteAbort) => {
                let plan = self.take_plan();
                self.decide(plan, Outcome::Abort)
            }
            (Phase::Wait { .. }, Body::Conflict(highest)) => self.on_conflict(from, *highest),
            (Phase::Wait { .. }, Body::Busy(other)) => {
                let plan = self.take_plan();
                let why = format!(
                    "{from} is busy with transaction {other} (of another coordinator, or of an earlier run of this one): abort"
                );
                let mut actions = vec![step(plan.tx, why)];
                actions.extend(self.decide(plan, Outcome::Abort));
                actions
            }
            (Phase::Wait { plan, votes, .. }, Body::VoteCommit) => {
                if !complete(votes, plan) {
                    return Vec::new();
                }
                let plan = self.take_plan();
                let mut actions = vec![Action::Log(Record::Precommit(plan.tx))];
                actions.extend(self.enter_precommit(plan, now));
                actions
            }
            (Phase::Precommit { plan, acks, .. }, Body::Ack) => {
                if !complete(acks, plan) {
                    return Vec::new();
                }
                let plan = self.take_plan();
                self.decide(plan, Outcome::Commit)
            }
            (Phase::Recovering { .. }, body) if decision_in(body).is_some() => {
                let outcome = decision_in(body).expect("checked by the guard");
                let plan = self.take_plan();
                let why = format!("{from} knows the decision: {}", outcome.as_str());
                let mut actions = vec![step(plan.tx, why)];
                actions.extend(self.decide(plan, outcome));
                actions
            }
            (
                Phase::Recovering {
                    plan, undecided, ..
                },
                Body::Decision(None),
            ) => {
                if !complete(undecided, plan) {
                    return Vec::new();
                }
                let plan = self.take_plan();
                let why = "every member is up and undecided: resume".to_owned();
                let mut actions = vec![step(plan.tx, why)];
                actions.extend(self.enter_precommit(plan, now));
                actions
            }
            (_, body) => {
                vec![ignored(format!(
                    "{from}: unexpected {} in this state",
                    body.type_word()
                ))]
            }
        }
    }

    /// A participant saw this id already, for another transaction, and ids
    /// in the group reach `highest`: force the floor for the next id, say so,
    /// and abort this one.
    fn on_conflict(&mut self, from: &str, highest: TxId) -> Vec<Action> {
        let plan = self.take_plan();
        self.next_tx = self.next_tx.max(highest + 1);
        let mut actions = vec![
            Action::Log(Record::Next(self.next_tx)),
            Action::Show(Note::Conflict {
                tx: plan.tx,
                from: from.to_owned(),
                highest,
            }),
        ];
        actions.extend(self.decide(plan, Outcome::Abort));
        actions
    }

    /// Ends the current phase and returns its plan.
    fn take_plan(&mut self) -> Plan {
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Wait { plan, .. }
            | Phase::Precommit { plan, .. }
            | Phase::Recovering { plan, .. } => plan,
            Phase::Idle => unreachable!("only called with a transaction running"),
        }
    }

    fn on_timeout(&mut self, now: Millis) -> Vec<Action> {
        if self.deadline().is_none_or(|deadline| now < deadline) {
            return Vec::new();
        }
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Idle => Vec::new(),
            Phase::Wait { plan, votes, .. } => {
                let why = format!("timeout in WAIT, votes from {}", list(&votes));
                let mut actions = vec![step(plan.tx, why)];
                actions.extend(self.decide(plan, Outcome::Abort));
                actions
            }
            Phase::Precommit { plan, acks, .. } => {
                let why = format!(
                    "timeout in PRECOMMIT, ACKs from {}: the silent ones crashed",
                    list(&acks)
                );
                let mut actions = vec![step(plan.tx, why)];
                actions.extend(self.decide(plan, Outcome::Commit));
                actions
            }
            Phase::Recovering { plan, .. } => self.start_recovering(plan, now),
        }
    }

    /// A member that was offline may have missed decisions (the server drops a
    /// private message to someone offline): it gets them again.
    fn on_joined(&mut self, name: &str) -> Vec<Action> {
        self.catch_up(name)
    }

    /// The decisions `name` may have missed, oldest first, so that its commit
    /// log gets every line in order (I4, I5): those of its transactions from
    /// the latest commit on. A member can only miss a transaction that
    /// aborted (a commit needs its vote), and before it voted for the latest
    /// commit it had received everything sent to it earlier (one sender's
    /// lines to one recipient keep their order), so nothing older can be
    /// missing. It drops the ones it has. In steady state this is one line.
    fn catch_up(&self, name: &str) -> Vec<Action> {
        let decided: Vec<(TxId, Outcome, Nonce)> = self
            .known
            .iter()
            .filter(|(_, known)| known.members.iter().any(|m| m == name))
            .filter_map(|(&tx, known)| Some((tx, known.outcome?, known.run)))
            .collect();
        let from = decided
            .iter()
            .rposition(|(_, outcome, _)| *outcome == Outcome::Commit)
            .unwrap_or(0);
        decided[from..]
            .iter()
            .map(|&(tx, outcome, run)| send_in_run(name, tx, run, Body::global(outcome)))
            .collect()
    }

    /// Every participant of any transaction in the log, each once.
    fn all_members(&self) -> BTreeSet<String> {
        self.known
            .values()
            .flat_map(|known| known.members.iter().cloned())
            .collect()
    }

    /// Sends DECISION-REQ to every member and waits T/6 for the answers.
    fn start_recovering(&mut self, plan: Plan, now: Millis) -> Vec<Action> {
        let mut actions = vec![show_state(plan.tx, "RECOVERING")];
        actions.extend(to_all(&plan, Body::DecisionReq));
        self.phase = Phase::Recovering {
            plan,
            undecided: BTreeSet::new(),
            next_ask: now + self.timing.sixth(),
        };
        actions
    }

    /// Sends PRECOMMIT to every member and waits T for the ACKs.
    fn enter_precommit(&mut self, plan: Plan, now: Millis) -> Vec<Action> {
        let mut actions = to_all(&plan, Body::Precommit);
        actions.push(show_state(plan.tx, "PRECOMMIT"));
        self.phase = Phase::Precommit {
            plan,
            acks: BTreeSet::new(),
            deadline: now + self.timing.t(),
        };
        actions
    }

    /// Forces the decision, then tells every member.
    fn decide(&mut self, plan: Plan, outcome: Outcome) -> Vec<Action> {
        if let Some(known) = self.known.get_mut(&plan.tx) {
            known.outcome = Some(outcome);
        }
        let mut actions = vec![Action::Log(Record::Decided(plan.tx, outcome))];
        actions.extend(to_all(&plan, Body::global(outcome)));
        actions.push(show_state(plan.tx, outcome.as_str()));
        actions.push(Action::Show(Note::Decided {
            tx: plan.tx,
            outcome,
        }));
        actions
    }

    fn current_tx(&self) -> Option<TxId> {
        match &self.phase {
            Phase::Idle => None,
            Phase::Wait { plan, .. }
            | Phase::Precommit { plan, .. }
            | Phase::Recovering { plan, .. } => Some(plan.tx),
        }
    }

    fn state_of(&self, tx: TxId) -> PeerState {
        if let Some(outcome) = self.outcome(tx) {
            return outcome.into();
        }
        match &self.phase {
            Phase::Wait { plan, .. } if plan.tx == tx => PeerState::Init,
            Phase::Precommit { plan, .. } if plan.tx == tx => PeerState::Precommit,
            Phase::Recovering { plan, .. } if plan.tx == tx => PeerState::Recovering,
            _ => PeerState::Unknown,
        }
    }
}

fn to_all(plan: &Plan, body: Body) -> Vec<Action> {
    let bound = is_run_bound(&body);
    plan.members
        .iter()
        .map(|m| match bound {
            true => send_in_run(m, plan.tx, plan.run, body.clone()),
            false => send(m, plan.tx, body.clone()),
        })
        .collect()
}

/// Why a message of a run was refused: it carries another run's nonce (an
/// earlier run of the same id, replayed).
pub(crate) fn another_run(from: &str, message: &Message, nonce: Nonce) -> String {
    format!(
        "{from}: {message} belongs to another run of transaction {} (nonce {nonce:016x}): a replay",
        message.tx
    )
}

fn list(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        return "nobody".to_owned();
    }
    names.iter().cloned().collect::<Vec<_>>().join(",")
}
