//! Runs a 3PC machine over a chat connection: the only part of `tpc` that touches
//! the socket, the files, the clock, stdin and stdout.
//!
//! One loop per connection: `select!` on the server's events, the human's stdin
//! lines and the machine's next deadline; each input goes to the machine, and its
//! actions are performed in order. A `Log` is appended and fsynced before the
//! next action runs, so a record is always on disk before the message that
//! depends on it leaves.
//!
//! The disconnect rule: when the connection to the server is lost, the machine is
//! dropped (it decides nothing while cut off), the driver reconnects with backoff,
//! reads its state log again and runs recovery, exactly as after a restart.
//!
//! Fault injection: `CHAT3PC_CRASH_AT=<point>` makes the process abort at that
//! point, as a power cut would. Points are `<role>:before-log:<RECORD>`,
//! `<role>:after-log:<RECORD>`, `<role>:after-send:<TYPE>:<k>` (after the k-th
//! message of that type in one step has reached the server: the driver waits for
//! the server's copy before aborting), `participant:before-apply` and
//! `participant:after-apply`; `<role>` is `coordinator` or `participant`.

mod args;
mod clock;
mod coordinator;
mod inbound;
mod participant;
mod settings;

pub use args::{DEFAULT_KEY_FILE, ProcessArgs, parse_timeout};

pub use coordinator::run_coordinator;
pub use participant::run_participant;
pub use settings::{DriverError, Settings};

use std::io::BufRead;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use ring::rand::SystemRandom;

use crate::conn::{ConnError, Connection, Event};
use crate::protocol::{ErrorCode, ServerLine, name_key};

use super::auth::{Freshness, Nonce, random_nonce};
use clock::Clock;

use super::log::{CommitLog, StateLog};
use super::message::Message;
use super::output::Output;
use super::{Action, Millis, Note, Outcome, TxId};

/// What one turn of the loop produced.
enum Turn {
    /// Keep going.
    Go,
    /// The connection is gone: recover on a new one.
    Cut(String),
    /// The process is done.
    Stop,
}

/// The state shared by both roles: connection, files, output, crash point.
struct Driver {
    settings: Settings,
    role: &'static str,
    out: Output,
    conn: Option<Connection>,
    state_log: Option<StateLog>,
    commit_log: Option<CommitLog>,
    /// Decisions reported by the machine since the caller last looked.
    decided: Vec<(TxId, Outcome)>,
    /// The latest id conflict the machine reported, if any.
    conflict: Option<DriverError>,
    /// Which answers may come in, and which nonce an answer echoes: the
    /// nonces of the latest requests sent and received.
    freshness: Freshness,
    /// The coordinator's participants (empty for a participant): whose
    /// lines failing our key mean the keys differ.
    group: Vec<String>,
    /// Who was told (or told us) of a key mismatch on this connection, by
    /// name key: once each, so a flood of bad lines gets one answer.
    mismatch_told: std::collections::BTreeSet<String>,
    /// `KEY-MISMATCH` answers sent on this connection.
    mismatch_answers: usize,
    random: SystemRandom,
    /// The machines' time, and which lines the server has not taken yet.
    clock: Clock,
    /// The lock on this process's state log, held until it exits.
    lock: Option<std::fs::File>,
    /// Whether it was ever registered (a name taken later is its own old
    /// connection, not yet gone).
    ever_connected: bool,
}

impl Driver {
    fn new(settings: Settings, role: &'static str) -> Driver {
        let start = Instant::now();
        let timing = settings.timing;
        Driver {
            out: Output::new(settings.style, start),
            settings,
            role,
            conn: None,
            state_log: None,
            commit_log: None,
            decided: Vec::new(),
            conflict: None,
            freshness: Freshness::default(),
            group: Vec::new(),
            mismatch_told: Default::default(),
            mismatch_answers: 0,
            random: SystemRandom::new(),
            clock: Clock::new(
                start,
                role == "coordinator",
                Duration::from_millis(timing.t()),
            ),
            lock: None,
            ever_connected: false,
        }
    }

    /// A new random nonce (a run's).
    fn fresh_nonce(&self) -> Nonce {
        random_nonce(&self.random)
    }

    fn now(&self) -> Millis {
        self.clock.now()
    }

    fn deadline_channel(&self, deadline: Option<Millis>) -> Receiver<Instant> {
        self.clock.deadline(deadline)
    }

    /// Connects and registers, retrying with backoff until it works, and
    /// saying so (at once, then every 10 s) while it does not.
    fn connect(&mut self) -> Result<(), DriverError> {
        let mut backoff = Duration::from_millis(50);
        let mut said: Option<Instant> = None;
        loop {
            let why = match self.join(Duration::from_secs(5))? {
                Ok(conn) => {
                    self.connected(conn);
                    return Ok(());
                }
                Err(error) => self.worth_retrying(error)?,
            };
            if said.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
                said = Some(Instant::now());
                self.out.event(
                    &format!("RETRYING :{why}"),
                    &format!("{why}; retrying (Ctrl-C to stop)"),
                );
            }
            thread::sleep(backoff); // backoff between attempts, not synchronisation
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }

    fn connected(&mut self, conn: Connection) {
        self.conn = Some(conn);
        self.ever_connected = true;
        // A new connection is a new incarnation: no answer to a request of
        // the old one is fresh.
        self.freshness = Freshness::default();
        self.mismatch_told.clear();
        self.mismatch_answers = 0;
        self.clock.reset();
        let name = &self.settings.name;
        self.out.event(
            &format!("CONNECTED {name}"),
            &format!("connected as {name}"),
        );
    }

    /// Why a failed attempt is worth another, or the error that ends the process.
    fn worth_retrying(&self, error: ConnError) -> Result<String, DriverError> {
        let name = self.settings.name.clone();
        match error {
            ConnError::Refused {
                code: ErrorCode::NameInvalid | ErrorCode::NameNotAllowed,
                text,
            } => Err(DriverError::NameRefused { name, text }),
            // Retrying cannot help, and must not: the server is not the one
            // this process trusts, or would get a password in clear.
            error @ (ConnError::FingerprintMismatch { .. }
            | ConnError::ServerChanged { .. }
            | ConnError::UnknownServer { .. }
            | ConnError::Untrusted { .. }
            | ConnError::InsecureLogin(_)) => Err(DriverError::Untrusted(error.to_string())),
            // After a lost connection the server may not have noticed yet that
            // the old one is gone; at start it is someone else, unless asked
            // to wait for the name.
            ConnError::Refused {
                code: ErrorCode::NameTaken,
                ..
            } if !self.ever_connected && !self.settings.wait_for_name => {
                Err(DriverError::NameTaken(name))
            }
            ConnError::Refused {
                code: ErrorCode::NameTaken,
                ..
            } => Ok(format!("the name {name} is still taken on the server")),
            error => Ok(format!("cannot reach the chat server: {error}")),
        }
    }

    /// One attempt to connect and join. The outer error is local and final (no
    /// password to be had); the inner one is worth retrying, mostly.
    fn join(&mut self, timeout: Duration) -> Result<Result<Connection, ConnError>, DriverError> {
        let mut conn = match self.settings.endpoint.connect() {
            Ok(conn) => conn,
            Err(error) => return Ok(Err(error)),
        };
        let Settings {
            endpoint,
            credentials,
            name,
            ..
        } = &mut self.settings;
        let joined = credentials
            .join(&mut conn, endpoint, name, timeout)
            .map_err(|error| DriverError::Untrusted(error.to_string()))?;
        Ok(joined.map(|_| conn))
    }

    /// Takes the lock on the state log, at once or never (see [`super::log::lock`]).
    fn lock(&mut self) -> Result<(), DriverError> {
        self.lock = Some(super::log::lock(&self.settings.dir, &self.settings.name)?);
        Ok(())
    }

    /// Opens the logs again (as a restart would) and returns the state log's records
    /// and the number of commit-log lines.
    fn open_logs(
        &mut self,
        with_commit_log: bool,
    ) -> Result<(Vec<super::Record>, usize), DriverError> {
        let dir = &self.settings.dir;
        let (state_log, records) = StateLog::open(dir, &self.settings.name)?;
        self.state_log = Some(state_log);
        let mut lines = 0;
        if with_commit_log {
            let commit_log = CommitLog::open(dir, &self.settings.name)?;
            lines = commit_log.lines();
            self.commit_log = Some(commit_log);
        }
        Ok((records, lines))
    }

    /// Performs actions in order. A failed send means the connection is gone.
    fn perform(&mut self, actions: Vec<Action>) -> Result<Turn, DriverError> {
        let mut sent: Vec<(&'static str, usize)> = Vec::new();
        for action in actions {
            match action {
                Action::Log(record) => {
                    self.crash_point(&format!("{}:before-log:{}", self.role, record.kind()));
                    self.state_log
                        .as_mut()
                        .expect("logs are open")
                        .append(&record)?;
                    self.crash_point(&format!("{}:after-log:{}", self.role, record.kind()));
                }
                Action::Send { to, message, run } => {
                    if let Some(cut) = self.send(&to, &message, run, &mut sent) {
                        return Ok(cut);
                    }
                }
                Action::Apply { tx, line } => {
                    self.crash_point("participant:before-apply");
                    self.commit_log
                        .as_mut()
                        .expect("participants open it")
                        .append(&line)?;
                    self.out.applied(tx, &line);
                    self.crash_point("participant:after-apply");
                }
                Action::Show(note) => {
                    if let Note::Decided { tx, outcome } = note {
                        self.decided.push((tx, outcome));
                    }
                    if let Note::Conflict { tx, from, highest } = &note {
                        self.conflict = Some(DriverError::IdConflict {
                            tx: *tx,
                            from: from.clone(),
                            highest: *highest,
                        });
                    }
                    self.out.note(&note);
                }
            }
        }
        Ok(Turn::Go)
    }

    /// Seals and sends one message (`run`: the nonce of the run it belongs
    /// to, if it does); counts it for the after-send crash points. `Some` if
    /// the connection is gone.
    fn send(
        &mut self,
        to: &str,
        message: &Message,
        run: Option<Nonce>,
        sent: &mut Vec<(&'static str, usize)>,
    ) -> Option<Turn> {
        let fresh = random_nonce(&self.random);
        let nonce = self.freshness.stamp(to, message, fresh, run);
        let text = self
            .settings
            .key
            .seal(&self.settings.name, to, message, nonce);
        let conn = self.conn.as_mut().expect("connected");
        if let Err(error) = conn.send(&format!("/msg {to} {text}")) {
            return Some(Turn::Cut(format!("send failed: {error}")));
        }
        self.clock.sent();
        self.out.sent(to, message);
        let type_word = message.body.type_word();
        let count = match sent.iter_mut().find(|(t, _)| *t == type_word) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                sent.push((type_word, 1));
                1
            }
        };
        let point = format!("{}:after-send:{type_word}:{count}", self.role);
        self.crash_after_send(&point, to, &text);
        None
    }

    fn crash_point(&self, point: &str) {
        if self.settings.crash_at.as_deref() == Some(point) {
            self.out.print(&format!("CRASH {point}"));
            std::process::abort();
        }
    }

    /// For an after-send point, waits (2 s at most) for the server's copy of the
    /// message, so "reached k recipients" is true when the process dies.
    fn crash_after_send(&mut self, point: &str, to: &str, text: &str) {
        if self.settings.crash_at.as_deref() != Some(point) {
            return;
        }
        let me = name_key(&self.settings.name);
        let conn = self.conn.as_ref().expect("connected");
        let deadline = Instant::now() + Duration::from_secs(2);
        while let Some(event) = conn.recv_until(deadline) {
            match event {
                Event::Line(ServerLine::Priv {
                    from,
                    to: dest,
                    text: t,
                    ..
                }) if name_key(&from) == me && name_key(&dest) == name_key(to) && t == text => {
                    break;
                }
                Event::Closed(_) => break,
                _ => {}
            }
        }
        self.crash_point(point);
    }

    fn disconnected(&mut self, reason: &str) {
        self.conn = None;
        self.out.event(
            &format!("DISCONNECTED :{reason}"),
            &format!("disconnected ({reason}): deciding nothing until back"),
        );
    }

    /// Leaves the server politely, so that every line sent is processed first.
    fn quit(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = conn.send("/quit");
            let deadline = Instant::now() + Duration::from_secs(2);
            while let Some(event) = conn.recv_until(deadline) {
                if matches!(
                    event,
                    Event::Closed(_) | Event::Line(ServerLine::Bye { .. })
                ) {
                    break;
                }
            }
        }
    }
}

/// Reads stdin lines on a named thread. The thread ends at EOF; while stdin is
/// open it blocks in `read`, so it is the one thread not joined: process exit
/// ends it.
fn stdin_lines() -> Receiver<String> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let spawned = thread::Builder::new().name("stdin".into()).spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    if let Err(error) = spawned {
        log::error!("cannot read stdin: {error}");
    }
    rx
}
