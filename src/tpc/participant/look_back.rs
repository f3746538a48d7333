//! Looking back: a participant that comes back learns what it missed without
//! waiting for a request (I4, I5 whatever was down when).
//!
//! The catch-up before a vote ([`super::catch_up`]) needs a VOTE-REQUEST;
//! if no coordinator ever runs again (its `--dir` lost, or nothing more to
//! request), a participant that was down while transactions ran would keep
//! a short commit log for good. So, idle, it looks back on its own: after
//! recovery (at every start with a state log, and after every reconnect,
//! once a transaction left undecided by the crash is decided) and whenever
//! one of the members it knows joins the server, it asks those members
//! (from its latest `INIT` or `READY` record) for the outcome of the id
//! after its highest known one, then of the next 2, 4 and 8 at most per
//! round, with the same questions, answers and filling as the catch-up.
//! It stops at the first id no member that answered knows (past the last id
//! used, the usual end), and says so loudly only when the answers are
//! wrong (a `COMMIT`, or members that disagree). The first round costs one
//! line per member, so a start with nothing missed is cheap.
//!
//! Invariants: at most one look-back at a time, only while no transaction
//! is current here (a VOTE-REQUEST taken ends it: its own catch-up asks
//! instead); ids are filled strictly in order, never past one that is not
//! settled.

use super::Participant;
use super::catch_up::{Asking, MISSED_LIMIT};
use crate::protocol::name_key;
use crate::tpc::{Action, Millis, TxId, step};

/// A look-back round in progress.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LookBack {
    /// The questions of this round.
    pub(super) asking: Asking,
    /// How many ids this round asks about: the next asks twice as many, up
    /// to [`MISSED_LIMIT`].
    size: TxId,
}

impl LookBack {
    pub(crate) fn deadline(&self) -> Millis {
        self.asking.deadline()
    }
}

impl Participant {
    /// Starts looking back if it is due and this process is idle.
    pub(super) fn look_back_if_due(&mut self, now: Millis) -> Vec<Action> {
        if !self.look_back_due || self.current.is_some() || self.look_back.is_some() {
            return Vec::new();
        }
        self.look_back_due = false;
        self.look_back_round(1, now)
    }

    /// A member it knows (re)joined the server: it may know more now.
    pub(super) fn on_joined(&mut self, name: &str) {
        let known = self
            .known_peers()
            .iter()
            .any(|p| name_key(p) == name_key(name));
        if self.config.look_back && known {
            self.look_back_due = true;
        }
    }

    /// The members of the latest transaction logged here, but itself.
    fn known_peers(&self) -> Vec<String> {
        let me = name_key(self.name());
        let Some((_, members)) = self.members_of.last_key_value() else {
            return Vec::new();
        };
        members
            .iter()
            .filter(|m| name_key(m) != me)
            .cloned()
            .collect()
    }

    /// Asks about the `size` ids after the highest known one.
    fn look_back_round(&mut self, size: TxId, now: Millis) -> Vec<Action> {
        let peers = self.known_peers();
        if peers.is_empty() {
            return Vec::new();
        }
        let first = self.last_tx + 1;
        let last = first + size - 1;
        let (asking, actions) = self.ask_missed(first, last, peers, now);
        self.look_back = Some(Box::new(LookBack { asking, size }));
        if actions.is_empty() {
            // Every id of the round is a GLOBAL-ABORT held here.
            return self.finish_look_back(now);
        }
        actions
    }

    /// The answers are in (or T/6 passed): fills what they settle, in
    /// order, then asks about the next ids, or stops.
    pub(super) fn finish_look_back(&mut self, now: Millis) -> Vec<Action> {
        let Some(look_back) = self.look_back.take() else {
            return Vec::new();
        };
        let (mut actions, gap) = self.fill_missed(&look_back.asking);
        match gap {
            None => {
                let size = (look_back.size * 2).min(MISSED_LIMIT);
                actions.extend(self.look_back_round(size, now));
            }
            // Past the last id any member used (or nobody answered): done.
            Some((tx, _)) if !look_back.asking.known(tx) => {}
            Some((tx, why)) => actions.push(step(
                tx,
                format!(
                    "looking back: the outcome of {tx} is not known here ({why}); no line is written past it, the next request asks again"
                ),
            )),
        }
        actions
    }
}
