//! Three-phase commit (3PC) over the chat protocol.
//!
//! A coordinator and N participants agree to write one string to every
//! participant's commit log, or to none of them. They are ordinary chat users and
//! talk with private messages. `docs/three-phase-commit.md` is the long form.
//!
//! The crate follows the sans-IO split:
//!
//! - [`message`]: the 3PC messages and their codec (the text of a `PRIV` line).
//! - [`auth`]: every message sealed with the group's key (HMAC-SHA256 over
//!   sender, recipient and the whole message) and answers tied to their request
//!   by a nonce, so nobody outside the group moves a machine.
//! - [`coordinator`] and [`participant`]: the protocol as pure state machines.
//!   An input and the current time go in, a list of [`Action`]s comes out, and
//!   `deadline()` tells when to call `handle_timeout`. No sockets, no files, no
//!   clock. Termination and recovery live here too.
//! - [`log`]: the state log (append + fsync, read back for recovery) and the
//!   commit log (one line per decided transaction).
//! - [`driver`]: runs one machine over a [`crate::conn::Connection`]: performs the
//!   actions in order, fsyncs before dependent sends, injects crashes
//!   (`CHAT3PC_CRASH_AT`), and treats a lost connection as a crash (the
//!   disconnect rule).
//! - [`model`]: a breadth-first exploration of the machines for 3 participants
//!   with loss and crashes, checking the invariants I1 to I5.
//! - [`output`]: the plain (scripts) and terminal (humans) output formats.
//!
//! Invariants (checked by the model and the end-to-end tests):
//! I1 no transaction commits at one process and aborts at another; I2 a logged
//! decision never changes; I3 a commit means every participant voted commit; I4
//! once all are up and recovered, all commit logs are identical; I5 exactly one
//! commit-log line per decided transaction, in transaction order.

pub mod auth;
pub mod coordinator;
pub mod driver;
pub mod log;
pub mod message;
pub mod model;
pub mod output;
pub mod participant;

#[cfg(test)]
mod machine_tests;

pub use auth::Nonce;
pub use coordinator::Coordinator;
pub use log::{Record, TxInfo};
pub use message::{Body, Message};
pub use participant::Participant;

/// A transaction id: decimal, chosen by the coordinator, increasing, never reused.
pub type TxId = u64;

/// A point in time, in milliseconds since some origin the driver picked. The
/// machines never read a clock: time is always passed in.
pub type Millis = u64;

/// How a transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The string is written to every participant's commit log.
    Commit,
    /// An empty line is written instead.
    Abort,
}

impl Outcome {
    /// `COMMIT` or `ABORT`, as on the wire and in the logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Commit => "COMMIT",
            Outcome::Abort => "ABORT",
        }
    }
}

/// A process's state for one transaction, as `STATE` answers carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeerState {
    /// Never heard of the transaction.
    Unknown,
    /// Heard of it, has not voted (a coordinator in WAIT answers this too).
    Init,
    /// Voted commit, nothing more.
    Ready,
    /// Received PRECOMMIT.
    Precommit,
    /// Decided commit.
    Commit,
    /// Decided abort.
    Abort,
    /// Restarted with the transaction undecided; it never decides alone.
    Recovering,
}

impl PeerState {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            PeerState::Unknown => "UNKNOWN",
            PeerState::Init => "INIT",
            PeerState::Ready => "READY",
            PeerState::Precommit => "PRECOMMIT",
            PeerState::Commit => "COMMIT",
            PeerState::Abort => "ABORT",
            PeerState::Recovering => "RECOVERING",
        }
    }

    /// Reads the word on the wire.
    pub fn parse(word: &str) -> Option<PeerState> {
        Some(match word {
            "UNKNOWN" => PeerState::Unknown,
            "INIT" => PeerState::Init,
            "READY" => PeerState::Ready,
            "PRECOMMIT" => PeerState::Precommit,
            "COMMIT" => PeerState::Commit,
            "ABORT" => PeerState::Abort,
            "RECOVERING" => PeerState::Recovering,
            _ => return None,
        })
    }

    /// The decision this state holds, if it is a decided one.
    pub fn decision(self) -> Option<Outcome> {
        match self {
            PeerState::Commit => Some(Outcome::Commit),
            PeerState::Abort => Some(Outcome::Abort),
            _ => None,
        }
    }
}

impl From<Outcome> for PeerState {
    fn from(outcome: Outcome) -> PeerState {
        match outcome {
            Outcome::Commit => PeerState::Commit,
            Outcome::Abort => PeerState::Abort,
        }
    }
}

/// What an `OUTCOME` answer says about the asker's line for a transaction
/// it missed. The answerer knows from its state log who the transaction's
/// members were (its `INIT` or `READY` record) and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// It aborted and the asker was a member: the asker's line is empty.
    Abort,
    /// It committed and the asker was a member. Never true of a transaction
    /// the asker has no record of (a commit needs its vote): it means the
    /// asker's log lost something, and the asker says so and fills nothing.
    Commit,
    /// The asker was not a member: no line (`NONE` on the wire).
    NotMember,
    /// The answerer cannot say: it has no record of the transaction's
    /// members, or it is undecided there.
    Unknown,
}

impl Verdict {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Abort => "ABORT",
            Verdict::Commit => "COMMIT",
            Verdict::NotMember => "NONE",
            Verdict::Unknown => "UNKNOWN",
        }
    }

    /// Reads the word on the wire.
    pub fn parse(word: &str) -> Option<Verdict> {
        Some(match word {
            "ABORT" => Verdict::Abort,
            "COMMIT" => Verdict::Commit,
            "NONE" => Verdict::NotMember,
            "UNKNOWN" => Verdict::Unknown,
            _ => return None,
        })
    }
}

/// The protocol's timeouts, all derived from T (`--timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timing {
    /// T: how long the coordinator waits for votes and ACKs, and a participant
    /// for the human's vote.
    pub timeout: Millis,
}

impl Timing {
    /// T.
    pub fn t(self) -> Millis {
        self.timeout
    }

    /// T/6: one round of the termination protocol, and the recovery re-ask period.
    pub fn sixth(self) -> Millis {
        (self.timeout / 6).max(1)
    }

    /// T + T/6: a participant's wait after its own message, so that a live
    /// coordinator always decides first.
    pub fn participant_wait(self) -> Millis {
        self.timeout + self.sixth()
    }

    /// How long a termination follower waits for its leader: long enough for the
    /// leader to finish its own round of ACKs (T/6) and send the decision.
    pub fn follow_wait(self) -> Millis {
        self.sixth() * 3
    }
}

/// Something a state machine asks its driver to do, in order. Every `Log` is
/// forced to disk before anything after it is performed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Append the record to the state log and fsync it.
    Log(Record),
    /// Send the message to `to` as a private message.
    Send {
        /// The recipient's name.
        to: String,
        /// What to send.
        message: Message,
        /// For a message of a transaction's run (everything but the
        /// STATE-REQ, STATE, DECISION-REQ and DECISION of termination and
        /// recovery, and the OUTCOME-REQ and OUTCOME of catch-up), the run's
        /// nonce, which it carries; `None` for those six, whose nonces the
        /// driver picks.
        run: Option<Nonce>,
    },
    /// Append one line to the commit log and fsync it: the string on commit,
    /// an empty line on abort. Always followed by `Log(Record::Applied(tx))`.
    Apply {
        /// The transaction.
        tx: TxId,
        /// The line to write (empty on abort).
        line: String,
    },
    /// Tell the people watching. Has no effect on the protocol.
    Show(Note),
}

/// What the machines report for people and scripts to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The process entered a state for `tx`: `INIT`, `WAIT`, `READY`, ...
    State {
        /// The transaction.
        tx: TxId,
        /// The state's name.
        state: &'static str,
    },
    /// The transaction is decided here.
    Decided {
        /// The transaction.
        tx: TxId,
        /// Its outcome.
        outcome: Outcome,
    },
    /// The human is asked to vote (`ack == false`) or to acknowledge PRECOMMIT.
    Prompt {
        /// The transaction.
        tx: TxId,
        /// The string to be committed.
        text: String,
        /// True for the ACK prompt, false for the vote.
        ack: bool,
        /// When the question expires.
        deadline: Millis,
    },
    /// A step of the termination protocol or of recovery, in words.
    Step {
        /// The transaction.
        tx: TxId,
        /// What happened.
        what: String,
    },
    /// An input was ignored, and why.
    Ignored {
        /// Why.
        why: String,
    },
    /// Coordinator: `from` already used the id `tx` for another transaction;
    /// ids in this group reach `highest`.
    Conflict {
        /// The refused transaction.
        tx: TxId,
        /// The participant that refused it.
        from: String,
        /// The highest id it has seen.
        highest: TxId,
    },
}

/// What a state machine reacts to. Time comes with it, never from a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A 3PC message arrived from `from`.
    Message {
        /// The sender, as the server named it.
        from: String,
        /// The message.
        message: Message,
        /// The nonce it carried: for a message of a run, the run's (a
        /// machine refuses one from another run of the same id).
        nonce: Nonce,
    },
    /// Someone (re)joined the chat server.
    Joined(String),
    /// The deadline the machine gave may have passed; it checks against `now`.
    Timeout,
    /// Coordinator only: run one transaction writing `text` at `members`.
    Request {
        /// The string to commit.
        text: String,
        /// The participants.
        members: Vec<String>,
        /// A fresh random nonce for the run: the VOTE-REQUEST and every later
        /// message of the transaction carry it.
        run: Nonce,
    },
    /// Participant only: the human (or the `--vote` flag) voted.
    Vote(Outcome),
    /// Participant only: the human acknowledged PRECOMMIT.
    Ack,
}

/// A STATE-REQ, STATE, DECISION-REQ or DECISION: not bound to a run.
pub(crate) fn send(to: &str, tx: TxId, body: Body) -> Action {
    debug_assert!(!is_run_bound(&body), "{body:?} needs its run");
    Action::Send {
        to: to.to_owned(),
        message: Message { tx, body },
        run: None,
    }
}

/// Any other message: it carries its run's nonce.
pub(crate) fn send_in_run(to: &str, tx: TxId, run: Nonce, body: Body) -> Action {
    Action::Send {
        to: to.to_owned(),
        message: Message { tx, body },
        run: Some(run),
    }
}

/// True for the messages of a transaction's run, which carry the run's
/// nonce: all but the questions and answers of termination, recovery and
/// catch-up, which describe the present and are made fresh by their own
/// nonces.
pub fn is_run_bound(body: &Body) -> bool {
    !matches!(
        body,
        Body::StateReq
            | Body::State(_)
            | Body::DecisionReq
            | Body::Decision(_)
            | Body::OutcomeReq
            | Body::Outcome(_)
    )
}

pub(crate) fn show_state(tx: TxId, state: &'static str) -> Action {
    Action::Show(Note::State { tx, state })
}

pub(crate) fn ignored(why: impl Into<String>) -> Action {
    Action::Show(Note::Ignored { why: why.into() })
}

pub(crate) fn step(tx: TxId, what: String) -> Action {
    Action::Show(Note::Step { tx, what })
}

/// The decision a message carries, if it carries one.
pub(crate) fn decision_in(body: &Body) -> Option<Outcome> {
    match body {
        Body::GlobalCommit => Some(Outcome::Commit),
        Body::GlobalAbort => Some(Outcome::Abort),
        Body::Decision(decision) => *decision,
        _ => None,
    }
}
