//! The participant as a pure state machine, with the termination protocol and
//! recovery.
//!
//! `INIT -> READY -> PRECOMMIT -> COMMIT`, or `INIT/READY -> ABORT`. Records are
//! logged (forced) before the messages that depend on them: `READY` before
//! VOTE-COMMIT, `PRECOMMIT` before ACK, the decision before GLOBAL-* (as a
//! termination leader) and before the commit-log line; `APPLIED` follows the line.
//!
//! When the coordinator falls silent in READY or PRECOMMIT (T + T/6), the
//! participant runs termination ([`termination`]). A
//! participant never decides commit without having voted commit, never decides
//! alone after a restart with READY or PRECOMMIT logged (it asks, `RECOVERING`),
//! and does not answer DECISION-REQ while it runs termination, so a recovering
//! coordinator cannot resume against a termination leader.

mod catch_up;
mod decision;
mod look_back;
mod peers;
mod recovery;
mod request;
pub mod termination;

use std::collections::BTreeMap;

use super::coordinator::another_run;
use super::message::{Body, Message};
use super::{Action, Input, Millis, Note, Outcome, Record, Timing, TxId, TxInfo};
use super::{Nonce, decision_in, ignored, is_run_bound, send, send_in_run, show_state, step};
use catch_up::CatchUp;
use look_back::LookBack;
use request::Request;
use termination::Termination;

/// How the participant votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VotePolicy {
    /// Ask the human ([`Note::Prompt`]) and wait for [`Input::Vote`].
    Ask,
    /// Vote this way at once.
    Always(Outcome),
}

/// How the participant acknowledges PRECOMMIT from the coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckPolicy {
    /// Ask the human and wait for [`Input::Ack`].
    Ask,
    /// Acknowledge at once.
    Auto,
}

/// What a participant is told at start.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Config {
    /// Its own name.
    pub name: String,
    /// The timeouts.
    pub timing: Timing,
    /// How it votes.
    pub vote: VotePolicy,
    /// How it acknowledges.
    pub ack: AckPolicy,
    /// Learn missed outcomes from the other members before voting
    /// ([`catch_up`]). Always on in the binaries; off only in the model, to
    /// show the gap it closes.
    pub catch_up: bool,
    /// Also look back on its own ([`look_back`]): after recovery and when a
    /// known member joins, ask for the outcomes after the highest known id,
    /// with no request. Always on in the binaries; off in the model (see
    /// docs/three-phase-commit.md for why).
    pub look_back: bool,
}

/// Where the participant is in the current (undecided) transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Phase {
    /// Asked to vote, has not voted; aborts at `deadline`.
    Init { deadline: Millis },
    /// Voted commit; runs termination at `deadline`.
    Ready { deadline: Millis },
    /// Got PRECOMMIT; `ack_to` is set while the human has not acknowledged.
    Precommit {
        deadline: Millis,
        ack_to: Option<String>,
    },
    /// The coordinator fell silent: the termination protocol.
    Terminating(Termination),
    /// Restarted with READY or PRECOMMIT logged: asks for the decision every T/6.
    Recovering {
        precommitted: bool,
        next_ask: Millis,
    },
    /// Asked to vote with ids missing below the request: learns their
    /// outcomes from the other members first; nothing logged yet.
    CatchingUp(CatchUp),
}

/// The transaction being decided and where the participant is in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Current {
    pub(crate) info: TxInfo,
    pub(crate) phase: Phase,
}

/// The participant. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Participant {
    pub(crate) config: Config,
    /// The highest transaction id seen: lower ones are stale.
    pub(crate) last_tx: TxId,
    /// The coordinator of the latest transaction seen.
    pub(crate) coordinator: Option<String>,
    /// The latest VOTE-REQUEST taken: its id and run, to tell a copy of it
    /// from another run that reuses the id.
    pub(crate) last_request: Option<(TxId, Nonce)>,
    pub(crate) decided: BTreeMap<TxId, Outcome>,
    /// The members of each transaction this process logged `INIT` or
    /// `READY` for: whose line it is, when a member that missed it asks.
    pub(crate) members_of: BTreeMap<TxId, Vec<String>>,
    /// GLOBAL-ABORTs of never-seen transactions above a gap, from the
    /// coordinator: written in their place once the gap is filled.
    pub(crate) held_aborts: std::collections::BTreeSet<TxId>,
    pub(crate) current: Option<Current>,
    /// A look-back round in progress (only while no transaction is current).
    pub(crate) look_back: Option<Box<LookBack>>,
    /// A look-back is to start as soon as no transaction is current.
    pub(crate) look_back_due: bool,
}

impl Participant {
    /// A participant with an empty state log.
    pub fn new(config: Config) -> Participant {
        Participant {
            config,
            last_tx: 0,
            coordinator: None,
            last_request: None,
            decided: BTreeMap::new(),
            members_of: BTreeMap::new(),
            held_aborts: Default::default(),
            current: None,
            look_back: None,
            look_back_due: false,
        }
    }

    /// The participant's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The outcome of `tx`, if it is decided here.
    pub fn outcome(&self, tx: TxId) -> Option<Outcome> {
        self.decided.get(&tx).copied()
    }

    /// The transaction waiting for the human's vote, if any.
    pub fn awaiting_vote(&self) -> Option<TxId> {
        match &self.current {
            Some(Current {
                info,
                phase: Phase::Init { .. },
            }) => Some(info.tx),
            _ => None,
        }
    }

    /// The transaction waiting for the human's ACK, if any.
    pub fn awaiting_ack(&self) -> Option<TxId> {
        match &self.current {
            Some(Current {
                info,
                phase: Phase::Precommit {
                    ack_to: Some(_), ..
                },
            }) => Some(info.tx),
            _ => None,
        }
    }

    /// When the human's time to ACK runs out: the coordinator's T from the
    /// PRECOMMIT, as the prompt said (this process's own timer runs T/6
    /// longer, then it commits without the ACK).
    pub fn ack_deadline(&self) -> Option<Millis> {
        self.awaiting_ack()?;
        let slack = self.config.timing.participant_wait() - self.config.timing.t();
        self.deadline()
            .map(|deadline| deadline.saturating_sub(slack))
    }

    /// When [`Input::Timeout`] is next due.
    pub fn deadline(&self) -> Option<Millis> {
        let Some(current) = self.current.as_ref() else {
            return self.look_back.as_ref().map(|l| l.deadline());
        };
        Some(match &current.phase {
            Phase::Init { deadline } | Phase::Ready { deadline } => *deadline,
            Phase::Precommit { deadline, .. } => *deadline,
            Phase::Terminating(termination) => termination.round.until(),
            Phase::Recovering { next_ask, .. } => *next_ask,
            Phase::CatchingUp(catch_up) => catch_up.deadline(),
        })
    }

    /// Reacts to one input at time `now`.
    pub fn handle(&mut self, input: Input, now: Millis) -> Vec<Action> {
        let mut actions = self.react(input, now);
        actions.extend(self.look_back_if_due(now));
        actions
    }

    fn react(&mut self, input: Input, now: Millis) -> Vec<Action> {
        match input {
            Input::Message {
                from,
                message,
                nonce,
            } => self.on_message(&from, message, nonce, now),
            Input::Vote(outcome) => self.vote(outcome, now),
            Input::Ack => self.human_ack(),
            Input::Timeout => self.on_timeout(now),
            Input::Joined(name) => {
                self.on_joined(&name);
                Vec::new()
            }
            Input::Request { .. } => vec![ignored("a participant does not take requests")],
        }
    }

    fn on_message(
        &mut self,
        from: &str,
        message: Message,
        nonce: Nonce,
        now: Millis,
    ) -> Vec<Action> {
        let tx = message.tx;
        let current_tx = self.current.as_ref().map(|c| c.info.tx);
        if current_tx == Some(tx) && !self.is_party(from) {
            return vec![ignored(format!(
                "{from} is not a member of transaction {tx}"
            ))];
        }
        match message.body {
            Body::StateReq => return vec![send(from, tx, Body::State(self.state_of(tx)))],
            Body::DecisionReq => return self.answer_decision(from, tx),
            Body::OutcomeReq => return vec![self.answer_outcome(from, tx)],
            Body::Outcome(verdict) => return self.on_outcome(from, tx, verdict, now),
            Body::VoteRequest { members, text } => {
                let request = Request {
                    tx,
                    members,
                    text,
                    run: nonce,
                };
                return self.on_vote_request(from, request, now);
            }
            _ => {}
        }
        if self.decided.contains_key(&tx) {
            return vec![ignored(format!("{from}: {message}: already decided"))];
        }
        if current_tx == Some(tx) {
            let run = self.current.as_ref().map(|c| c.info.run);
            if is_run_bound(&message.body) && run != Some(nonce) {
                return vec![ignored(another_run(from, &message, nonce))];
            }
            return self.on_current(from, message.body, now);
        }
        if message.body == Body::GlobalAbort && self.may_abort_unknown(from, tx) {
            self.last_tx = tx;
            let why = format!("{from} aborted transaction {tx}, which never reached this process");
            let mut actions = vec![step(tx, why)];
            actions.extend(self.record_decision(tx, Outcome::Abort, String::new()));
            return actions;
        }
        if message.body == Body::GlobalAbort && self.may_hold_abort(from, tx) {
            self.held_aborts.insert(tx);
            let why = format!(
                "{from} aborted transaction {tx}; ids here stop at {}: held until the next request fills the ones missed below it",
                self.last_tx
            );
            return vec![step(tx, why)];
        }
        vec![ignored(format!("{from}: {message}: unknown transaction"))]
    }

    /// A GLOBAL-ABORT for a transaction never heard of is safe to adopt (this
    /// process never voted for it), for the very next id only (a line for a
    /// higher one would leave a gap below it: the next request's catch-up
    /// fills them in order), and from the known coordinator if there is one.
    fn may_abort_unknown(&self, from: &str, tx: TxId) -> bool {
        if self.current.is_some() || tx != self.last_tx + 1 {
            return false;
        }
        self.coordinator.as_ref().is_none_or(|c| c == from)
    }

    /// The same for a higher id: it is held (a few at most).
    fn may_hold_abort(&self, from: &str, tx: TxId) -> bool {
        self.current.is_none()
            && tx > self.last_tx + 1
            && self.held_aborts.len() < catch_up::HELD_LIMIT
            && self.coordinator.as_ref().is_none_or(|c| c == from)
    }

    fn vote(&mut self, outcome: Outcome, now: Millis) -> Vec<Action> {
        let Some(Current {
            info,
            phase: Phase::Init { .. },
        }) = &self.current
        else {
            return vec![ignored("no vote is asked for")];
        };
        let info = info.clone();
        if outcome == Outcome::Abort {
            return self.decide_with(info, Outcome::Abort, Some(Body::VoteAbort));
        }
        let tx = info.tx;
        let actions = vec![
            Action::Log(Record::Ready(info.clone())),
            send_in_run(&info.coordinator, tx, info.run, Body::VoteCommit),
            show_state(tx, "READY"),
        ];
        self.set_phase(Phase::Ready {
            deadline: now + self.config.timing.participant_wait(),
        });
        actions
    }

    fn human_ack(&mut self) -> Vec<Action> {
        let Some(Current {
            info,
            phase: Phase::Precommit { ack_to, .. },
        }) = &mut self.current
        else {
            return vec![ignored("no ACK is asked for")];
        };
        match ack_to.take() {
            Some(to) => vec![send_in_run(&to, info.tx, info.run, Body::Ack)],
            None => vec![ignored("already acknowledged")],
        }
    }

    /// A message about the current transaction from its coordinator or a member.
    fn on_current(&mut self, from: &str, body: Body, now: Millis) -> Vec<Action> {
        let current = self.current.as_ref().expect("caller checked");
        if let Phase::CatchingUp(_) = current.phase {
            return self.during_catch_up(from, &body);
        }
        let tx = current.info.tx;
        let in_init = matches!(current.phase, Phase::Init { .. });
        let decision = decision_in(&body).or_else(|| match &body {
            Body::State(state) => state.decision(),
            _ => None,
        });
        match (decision, in_init) {
            (Some(Outcome::Commit), true) => {
                return vec![ignored(format!(
                    "{from}: commit of {tx}, which this process never voted for"
                ))];
            }
            (Some(outcome), _) => {
                let why = format!("{from} says {}", outcome.as_str());
                let mut actions = vec![step(tx, why)];
                actions.extend(self.decide(outcome));
                return actions;
            }
            (None, _) => {}
        }
        match body {
            Body::Precommit if !in_init => self.on_precommit(from, now),
            Body::State(state) => self.on_state(from, state, now),
            Body::Ack => self.on_ack(from, now),
            other => vec![ignored(format!(
                "{from}: unexpected {} now",
                other.type_word()
            ))],
        }
    }

    /// PRECOMMIT from the coordinator or a termination leader: force PRECOMMIT
    /// the first time, then ACK. Only in the normal flow is the human asked
    /// first; in termination and recovery the ACK is automatic.
    fn on_precommit(&mut self, from: &str, now: Millis) -> Vec<Action> {
        let timing = self.config.timing;
        let ask_human = self.config.ack == AckPolicy::Ask;
        let current = self.current.as_mut().expect("caller checked");
        let tx = current.info.tx;
        let first_time = match &mut current.phase {
            // The human is still being asked about the first PRECOMMIT.
            Phase::Precommit {
                ack_to: Some(_), ..
            } => return Vec::new(),
            Phase::Ready { .. } => true,
            Phase::Precommit { .. } => false,
            Phase::Terminating(termination) => {
                termination.on_precommit_from(from, now + timing.follow_wait());
                !std::mem::replace(&mut termination.precommitted, true)
            }
            Phase::Recovering { precommitted, .. } => !std::mem::replace(precommitted, true),
            Phase::Init { .. } | Phase::CatchingUp(_) => {
                unreachable!("on_current refuses PRECOMMIT before the vote")
            }
        };
        let mut actions = Vec::new();
        if first_time {
            actions.push(Action::Log(Record::Precommit(tx)));
            actions.push(show_state(tx, "PRECOMMIT"));
        }
        if let Phase::Ready { .. } | Phase::Precommit { .. } = current.phase {
            let deadline = now + timing.participant_wait();
            if ask_human && from == current.info.coordinator {
                let ack_to = Some(from.to_owned());
                current.phase = Phase::Precommit { deadline, ack_to };
                let text = current.info.text.clone();
                // The human has the coordinator's T to answer: after that it
                // commits without this ACK (this process waits T/6 longer).
                let prompt = Note::Prompt {
                    tx,
                    text,
                    ack: true,
                    deadline: now + timing.t(),
                };
                actions.push(Action::Show(prompt));
                return actions;
            }
            current.phase = Phase::Precommit {
                deadline,
                ack_to: None,
            };
        }
        actions.push(send_in_run(from, tx, current.info.run, Body::Ack));
        actions
    }

    fn on_timeout(&mut self, now: Millis) -> Vec<Action> {
        if self.deadline().is_none_or(|deadline| now < deadline) {
            return Vec::new();
        }
        let Some(current) = self.current.as_ref() else {
            return self.finish_look_back(now);
        };
        let tx = current.info.tx;
        match &current.phase {
            Phase::Init { .. } => {
                let info = current.info.clone();
                let mut actions = vec![step(tx, "no vote in time: abort".to_owned())];
                actions.extend(self.decide_with(info, Outcome::Abort, Some(Body::VoteAbort)));
                actions
            }
            Phase::Ready { .. } | Phase::Precommit { .. } => {
                let precommitted = matches!(current.phase, Phase::Precommit { .. });
                self.start_termination(precommitted, now)
            }
            Phase::Terminating(_) => self.termination_timeout(now),
            Phase::Recovering { precommitted, .. } => {
                let precommitted = *precommitted;
                self.start_recovering(precommitted, now)
            }
            Phase::CatchingUp(_) => self.finish_catch_up(now),
        }
    }

    pub(crate) fn set_phase(&mut self, phase: Phase) {
        self.current.as_mut().expect("a current transaction").phase = phase;
    }
}
