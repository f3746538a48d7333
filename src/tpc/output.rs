//! What a 3PC process prints: plain lines for scripts and tests, or a timestamped
//! account for the person at the terminal.
//!
//! Plain mode prints exactly one line per event, and these lines are stable (the
//! end-to-end tests wait on them; `docs/three-phase-commit.md` lists them):
//!
//! ```text
//! CONNECTED <name>                 registered at the server
//! DISCONNECTED :<reason>           lost the server (decides nothing until back)
//! STATE <tx> <state>               entered INIT, WAIT, READY, PRECOMMIT, COMMIT,
//!                                  ABORT, RECOVERING, TERMINATION or CATCHING-UP
//! SEND <to> <3PC message>          sent a message
//! RECV <from> <3PC message>        received a message
//! PROMPT <tx> VOTE|ACK <secs> :<text>   asks the human
//! APPLIED <tx> :<line>             wrote the commit-log line
//! DECIDED <tx> COMMIT|ABORT        the transaction is decided here
//! STEP <tx> :<what>                a step of termination or recovery
//! IGNORED :<why>                   a message or input that was dropped
//! SERVER-ERROR <code> :<text>      the server refused a line (no-such-user, ...)
//! CONFLICT <tx> <from> <highest> :<why>  coordinator: the id was used already
//! RETRYING :<why>                  cannot connect or register yet; retrying
//! CRASH <point>                    CHAT3PC_CRASH_AT reached: aborting now
//! ```
//!
//! This module only formats; it holds no protocol state.

use std::io::Write;
use std::time::{Duration, Instant};

use super::message::Message;
use super::{Millis, Note};

/// Which of the two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// One stable line per event.
    Plain,
    /// Timestamps, words and prompts for a person.
    Terminal,
}

/// Prints events for one process.
#[derive(Debug)]
pub struct Output {
    style: Style,
    start: Instant,
}

impl Output {
    /// An output whose deadlines are counted in milliseconds from `start`.
    pub fn new(style: Style, start: Instant) -> Output {
        Output { style, start }
    }

    /// The format in use.
    pub fn style(&self) -> Style {
        self.style
    }

    /// Prints what a machine reported.
    pub fn note(&self, note: &Note) {
        let line = match (self.style, note) {
            (Style::Plain, Note::State { tx, state }) => format!("STATE {tx} {state}"),
            (Style::Terminal, Note::State { tx, state }) => format!("tx {tx}: state {state}"),
            (Style::Plain, Note::Decided { tx, outcome }) => {
                format!("DECIDED {tx} {}", outcome.as_str())
            }
            (Style::Terminal, Note::Decided { tx, outcome }) => {
                format!("tx {tx}: decided {}", outcome.as_str())
            }
            (
                _,
                Note::Prompt {
                    tx,
                    text,
                    ack,
                    deadline,
                },
            ) => self.prompt(*tx, text, *ack, *deadline),
            (Style::Plain, Note::Step { tx, what }) => format!("STEP {tx} :{what}"),
            (Style::Terminal, Note::Step { tx, what }) => format!("tx {tx}: {what}"),
            (Style::Plain, Note::Ignored { why }) => format!("IGNORED :{why}"),
            (Style::Terminal, Note::Ignored { why }) => format!("ignored: {why}"),
            (style, Note::Conflict { tx, from, highest }) => {
                let why = format!(
                    "{from} already used id {tx} for another transaction and has seen ids up to {highest}: another coordinator, or this one with another --dir, ran this group; ids go on from {}",
                    highest + 1
                );
                match style {
                    Style::Plain => format!("CONFLICT {tx} {from} {highest} :{why}"),
                    Style::Terminal => format!("tx {tx}: conflict: {why}"),
                }
            }
        };
        self.print(&line);
    }

    /// The prompt line; in terminal mode also used for reminders.
    pub fn prompt(&self, tx: u64, text: &str, ack: bool, deadline: Millis) -> String {
        let left = self.seconds_left(deadline);
        match (self.style, ack) {
            (Style::Plain, false) => format!("PROMPT {tx} VOTE {left} :{text}"),
            (Style::Plain, true) => format!("PROMPT {tx} ACK {left} :{text}"),
            (Style::Terminal, false) => {
                format!("tx {tx}: vote on {text:?}: type c to commit or a to abort ({left} s left)")
            }
            (Style::Terminal, true) => {
                format!(
                    "tx {tx}: everyone voted commit on {text:?}: press Enter to ACK ({left} s left)"
                )
            }
        }
    }

    /// Seconds from now until `deadline`, rounded up.
    pub fn seconds_left(&self, deadline: Millis) -> u64 {
        let at = self.start + Duration::from_millis(deadline);
        let left = at.saturating_duration_since(Instant::now());
        left.as_millis().div_ceil(1000) as u64
    }

    /// A message went out.
    pub fn sent(&self, to: &str, message: &Message) {
        match self.style {
            Style::Plain => self.print(&format!("SEND {to} {message}")),
            Style::Terminal => self.print(&format!("  -> {to}: {message}")),
        }
    }

    /// A message came in.
    pub fn received(&self, from: &str, message: &Message) {
        match self.style {
            Style::Plain => self.print(&format!("RECV {from} {message}")),
            Style::Terminal => self.print(&format!("  <- {from}: {message}")),
        }
    }

    /// The commit-log line was written.
    pub fn applied(&self, tx: u64, line: &str) {
        match self.style {
            Style::Plain => self.print(&format!("APPLIED {tx} :{line}")),
            Style::Terminal => self.print(&format!("tx {tx}: commit log += {line:?}")),
        }
    }

    /// Anything else, already formatted as the plain line (`CONNECTED p1`, ...).
    pub fn event(&self, plain: &str, words: &str) {
        match self.style {
            Style::Plain => self.print(plain),
            Style::Terminal => self.print(words),
        }
    }

    /// Prints one line; terminal lines get a wall-clock timestamp.
    pub fn print(&self, line: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = match self.style {
            Style::Plain => writeln!(stdout, "{line}"),
            Style::Terminal => {
                let now = chrono::Local::now().format("%H:%M:%S%.3f");
                writeln!(stdout, "[{now}] {line}")
            }
        };
        let _ = stdout.flush();
    }
}
