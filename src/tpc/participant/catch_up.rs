//! Catch-up: a participant never leaves a gap in its commit log (I4, I5).
//!
//! A VOTE-REQUEST whose id is above this participant's highest known id + 1
//! means it missed transactions: it was down while they ran, and the
//! coordinator whose log could tell it is not running, or has lost its log.
//! Before it takes the request it asks every other member the request names
//! what became of each missed id (`OUTCOME-REQ`, each with a fresh nonce that
//! the answer echoes, so a stranger can neither forge nor replay an answer),
//! for T/6 or until all have answered. A member answers from its state log
//! (`OUTCOME`): `ABORT` (the asker was a member: its line is empty), `NONE`
//! (it was not: no line) or `UNKNOWN`. A missed transaction cannot have
//! committed with the asker as a member (that needs its vote, which it would
//! have logged), so a `COMMIT` means the asker's log lost something.
//!
//! The missed ids are filled in order (forced `ABORT`, the empty line,
//! `APPLIED`), then the request is taken as usual, its vote due T after it
//! arrived, as the coordinator counts. If an id stays unknown, or the
//! answers disagree (impossible while I1 holds: said loudly), the
//! participant fills what it can below that id and refuses the request
//! (VOTE-ABORT) without logging anything for it: the request's id is then one
//! more it missed, and the next request asks again. It never guesses and
//! never writes a line past a gap. For the same reason a GLOBAL-ABORT of a
//! transaction it never saw is adopted only for the very next id; one for a
//! higher id (from the coordinator it knows) is held in memory, and filled
//! in its place by the next catch-up without asking anyone.

use std::collections::{BTreeMap, BTreeSet};

use super::{Current, Participant, Phase};
use crate::protocol::name_key;
use crate::tpc::message::Body;
use crate::tpc::{Action, Millis, Outcome, TxId, TxInfo, Verdict};
use crate::tpc::{decision_in, ignored, send, send_in_run, show_state, step};

/// How many missed ids one request asks about. Each costs a line to every
/// peer, and every line spends the participant's allowance under the
/// server's flood control, so a larger gap is filled over several requests
/// (each refused until the gap is closed).
pub(crate) const MISSED_LIMIT: TxId = 8;

/// How many GLOBAL-ABORTs above a gap are held at most.
pub(crate) const HELD_LIMIT: usize = 64;

/// Questions out about missed ids, and the answers so far: shared by the
/// catch-up before a vote and by looking back ([`super::look_back`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Asking {
    /// When it stops waiting for answers.
    deadline: Millis,
    /// The highest missed id asked about.
    last: TxId,
    /// Each missed id asked about, with the answers so far by name key (the
    /// ids whose GLOBAL-ABORT it holds are not asked about).
    answers: BTreeMap<TxId, BTreeMap<String, Verdict>>,
    /// The members asked.
    peers: Vec<String>,
}

impl Asking {
    pub(crate) fn deadline(&self) -> Millis {
        self.deadline
    }

    /// True when every id is answered by every member asked (or nothing
    /// needs asking).
    fn complete(&self) -> bool {
        self.peers.is_empty() || self.answers.values().all(|a| a.len() == self.peers.len())
    }

    /// Records `from`'s answer about `tx`: `None` if it was not asked that,
    /// else whether every answer is now in.
    pub(super) fn record(&mut self, from: &str, tx: TxId, verdict: Verdict) -> Option<bool> {
        let key = name_key(from);
        if !self.peers.iter().any(|p| name_key(p) == key) {
            return None;
        }
        self.answers.get_mut(&tx)?.insert(key, verdict);
        Some(self.complete())
    }

    /// True if some member that answered about `tx` knows it (its answer is
    /// not `UNKNOWN`): false past the last id anyone used.
    pub(super) fn known(&self, tx: TxId) -> bool {
        self.answers
            .get(&tx)
            .is_some_and(|a| a.values().any(|v| *v != Verdict::Unknown))
    }
}

/// A request held while the participant learns the outcomes it missed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CatchUp {
    /// When the request arrived: its vote is due T after that.
    arrived: Millis,
    /// The questions about the ids missed below it.
    asking: Asking,
    /// A GLOBAL-ABORT of the held request came meanwhile: once the gap is
    /// filled, the request is aborted here instead of voted on.
    aborted: bool,
}

impl CatchUp {
    pub(crate) fn deadline(&self) -> Millis {
        self.asking.deadline
    }
}

impl Participant {
    /// Holds the request `info` and asks its other members about the ids
    /// missed below it.
    pub(super) fn start_catch_up(&mut self, info: TxInfo, now: Millis) -> Vec<Action> {
        let first = self.last_tx + 1;
        let last = (info.tx - 1).min(first + MISSED_LIMIT - 1);
        let me = name_key(self.name());
        let peers: Vec<String> = info
            .members
            .iter()
            .filter(|m| name_key(m) != me)
            .cloned()
            .collect();
        let why = format!(
            "ids here stop at {}: asking {} what became of {first} to {last} before voting",
            self.last_tx,
            peers.join(",")
        );
        let mut actions = vec![step(info.tx, why), show_state(info.tx, "CATCHING-UP")];
        let (asking, questions) = self.ask_missed(first, last, peers, now);
        actions.extend(questions);
        let nobody = asking.peers.is_empty() || asking.answers.is_empty();
        let catch_up = CatchUp {
            arrived: now,
            asking,
            aborted: false,
        };
        self.current = Some(Current {
            info,
            phase: Phase::CatchingUp(catch_up),
        });
        if nobody {
            actions.extend(self.finish_catch_up(now));
        }
        actions
    }

    /// Asks `peers` about each id from `first` to `last` whose GLOBAL-ABORT
    /// is not held here (an OUTCOME-REQ each, with a fresh nonce), for T/6.
    pub(super) fn ask_missed(
        &self,
        first: TxId,
        last: TxId,
        peers: Vec<String>,
        now: Millis,
    ) -> (Asking, Vec<Action>) {
        let unknown: Vec<TxId> = (first..=last)
            .filter(|tx| !self.held_aborts.contains(tx))
            .collect();
        let mut actions = Vec::new();
        for &tx in &unknown {
            actions.extend(peers.iter().map(|peer| send(peer, tx, Body::OutcomeReq)));
        }
        let asking = Asking {
            deadline: now + self.config.timing.sixth(),
            last,
            answers: unknown.iter().map(|&tx| (tx, BTreeMap::new())).collect(),
            peers,
        };
        (asking, actions)
    }

    /// An OUTCOME-REQ: this process's verdict on `from`'s line for `tx`,
    /// from its state log.
    pub(super) fn answer_outcome(&self, from: &str, tx: TxId) -> Action {
        let verdict = match self.members_of.get(&tx) {
            None => Verdict::Unknown,
            Some(members) if !members.iter().any(|m| name_key(m) == name_key(from)) => {
                Verdict::NotMember
            }
            Some(_) => match self.outcome(tx) {
                Some(Outcome::Abort) => Verdict::Abort,
                Some(Outcome::Commit) => Verdict::Commit,
                None => Verdict::Unknown,
            },
        };
        send(from, tx, Body::Outcome(verdict))
    }

    /// An OUTCOME answer (its nonce was checked by the driver).
    pub(super) fn on_outcome(
        &mut self,
        from: &str,
        tx: TxId,
        verdict: Verdict,
        now: Millis,
    ) -> Vec<Action> {
        let recorded = match &mut self.current {
            Some(Current {
                phase: Phase::CatchingUp(catch_up),
                ..
            }) => catch_up.asking.record(from, tx, verdict),
            Some(_) => None,
            None => self
                .look_back
                .as_mut()
                .and_then(|look_back| look_back.asking.record(from, tx, verdict)),
        };
        match recorded {
            None => vec![ignored(format!("{from}: OUTCOME {tx}: not asked now"))],
            Some(false) => Vec::new(),
            Some(true) if self.current.is_some() => self.finish_catch_up(now),
            Some(true) => self.finish_look_back(now),
        }
    }

    /// A message about the held request while catching up: an abort is
    /// kept for later (no line may be written before the missed ones);
    /// anything else waits for the vote, which has not been cast.
    pub(super) fn during_catch_up(&mut self, from: &str, body: &Body) -> Vec<Action> {
        let Some(Current {
            info,
            phase: Phase::CatchingUp(catch_up),
        }) = &mut self.current
        else {
            unreachable!("caller checked the phase");
        };
        if decision_in(body) == Some(Outcome::Abort) {
            catch_up.aborted = true;
            let why = format!("{from} says ABORT: recorded once the missed lines are filled");
            return vec![step(info.tx, why)];
        }
        vec![ignored(format!(
            "{from}: {} {} while catching up, before voting",
            body.type_word(),
            info.tx
        ))]
    }

    /// The answers are in (or T/6 passed): fills the missed ids in order,
    /// then takes the request, or refuses it if a gap stays.
    pub(super) fn finish_catch_up(&mut self, now: Millis) -> Vec<Action> {
        let Some(Current {
            info,
            phase: Phase::CatchingUp(catch_up),
        }) = self.current.take()
        else {
            unreachable!("caller checked the phase");
        };
        let (mut actions, mut gap) = self.fill_missed(&catch_up.asking);
        if gap.is_none() && self.last_tx + 1 < info.tx {
            let why = "more ids were missed than one request asks about".to_owned();
            gap = Some((self.last_tx + 1, why));
        }
        match gap {
            None if catch_up.aborted => {
                self.members_of.insert(info.tx, info.members.clone());
                actions.extend(self.record_decision(info.tx, Outcome::Abort, String::new()));
            }
            None => actions.extend(self.take_request(info, catch_up.arrived, now)),
            Some((missed, why)) => {
                let what = format!(
                    "the outcome of {missed} is not known here ({why}): voting NO and logging nothing, so no line is written past the gap; the next request asks again"
                );
                actions.push(step(info.tx, what));
                if !catch_up.aborted {
                    let refusal = Body::VoteAbort;
                    actions.push(send_in_run(&info.coordinator, info.tx, info.run, refusal));
                }
            }
        }
        actions
    }

    /// Fills the ids asked about in order, from the one after the highest
    /// known: an `ABORT` and its empty line, or no line where this process
    /// was not a member. Stops at the first id the answers do not settle,
    /// and says which and why.
    pub(super) fn fill_missed(&mut self, asking: &Asking) -> (Vec<Action>, Option<(TxId, String)>) {
        let mut actions = Vec::new();
        for tx in self.last_tx + 1..=asking.last {
            let settled = match asking.answers.get(&tx) {
                Some(answers) => settle(answers),
                None if self.held_aborts.contains(&tx) => Ok(Verdict::Abort),
                None => Err("it was not asked about".to_owned()),
            };
            match settled {
                Ok(Verdict::Abort) => {
                    self.held_aborts.remove(&tx);
                    actions.push(step(tx, "aborted: writing the missed line".into()));
                    actions.extend(self.record_decision(tx, Outcome::Abort, String::new()));
                }
                Ok(_) => {
                    // Not a member: no line, and the id is taken.
                    self.last_tx = self.last_tx.max(tx);
                    actions.push(step(tx, "not a member of it: no line".into()));
                }
                Err(why) => return (actions, Some((tx, why))),
            }
        }
        (actions, None)
    }
}

/// What the answers about one missed id say: `ABORT` or `NONE` when every
/// member that knows agrees; otherwise why the id cannot be filled.
fn settle(answers: &BTreeMap<String, Verdict>) -> Result<Verdict, String> {
    let known: BTreeSet<Verdict> = answers
        .values()
        .copied()
        .filter(|v| *v != Verdict::Unknown)
        .collect();
    let mut verdicts = known.iter().copied();
    match (verdicts.next(), verdicts.next()) {
        (None, _) => Err("no member that answered knows it".to_owned()),
        (Some(Verdict::Commit), None) => Err(
            "a member says it committed with this process as a member, which never voted on it: this state log lost something"
                .to_owned(),
        ),
        (Some(verdict), None) => Ok(verdict),
        (Some(_), Some(_)) => Err(format!(
            "INCONSISTENT: members disagree ({}), so some process broke I1 or lost its log",
            describe(answers)
        )),
    }
}

fn describe(answers: &BTreeMap<String, Verdict>) -> String {
    let said: Vec<String> = answers
        .iter()
        .map(|(who, verdict)| format!("{who} {}", verdict.as_str()))
        .collect();
    said.join(", ")
}
