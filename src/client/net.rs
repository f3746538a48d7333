//! The network thread: the one owner of the connection.
//!
//! [`Net::run`] waits on two channels: lines the user typed ([`ToNet`], from the
//! front end) and events from the server. It sends the first, and shows the
//! second through a [`Sink`] after [`Session`] made them [`Shown`]s (a view
//! and its room), which the sink renders. When the connection is lost it either ends
//! ([`Ending::Lost`], plain mode) or, given a [`Target`], reconnects with
//! backoff, registers the same name again and asks for what was missed
//! (terminal mode). It stops when the user quits: after the server's `BYE`, or
//! when the front end drops its sender.
//!
//! It never reads the terminal and never exits the process: the front end
//! decides what an [`Ending`] means.

use std::fmt::Display;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeZone;
use crossbeam_channel::{Receiver, RecvTimeoutError, select};
use parking_lot::Mutex;

use super::ClientError;
use super::attention::{Attention, attention};
use super::backoff::backoff_delay;
use super::echo::Outgoing;
use super::render::{Renderer, Replay, View, count};
use super::rooms::Shown;
use super::screen::WAITING_SHOWN;
use super::session::Session;
use crate::conn::secure::{Credentials, Endpoint};
use crate::conn::{Connection, Event};
use crate::protocol::server_line::ErrorCode;
use crate::protocol::{ServerLine, name_key};

pub use crate::conn::secure::CONNECT_TIMEOUT;
/// How long the server may take to accept or refuse a name.
pub const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for `BYE` after sending `/quit`.
pub const BYE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the front end asks the network thread to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToNet {
    /// Send this line.
    Send(String),
    /// Send this `/quit` line and stop once the server says `BYE`.
    Quit(String),
}

/// Where display lines go: stdout in plain mode, the terminal's screen in
/// terminal mode.
pub trait Sink: Send {
    /// Shows one thing, in its room, asking for this much of the user's
    /// attention.
    fn show(&mut self, shown: Shown, attention: Attention);
    /// The user's messages sent and not stored yet: the oldest few as
    /// display lines (at most [`WAITING_SHOWN`]), and how many there are in
    /// all. Terminal mode shows them under the messages until stored.
    fn waiting(&mut self, _oldest: Vec<String>, _total: usize) {}
}

/// The online names and the rooms, shared with tab completion. The lock
/// guards only this list: the network thread replaces it, the completer
/// copies from it.
pub type SharedNames = Arc<Mutex<Vec<String>>>;

/// Where to reconnect to, and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    /// The server.
    pub endpoint: Endpoint,
    /// The name to register again.
    pub name: String,
    /// The password it logged in with, if any.
    pub credentials: Credentials,
}

/// How the network thread ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The user quit (and the server said `BYE`, closed, or did not answer in
    /// time).
    Quit,
    /// The server closed the connection or it broke: the `BYE` reason or the
    /// error, if any.
    Lost(Option<String>),
}

/// What woke the network thread up.
enum Step {
    /// The user typed something (`None`: the front end is gone, so quit).
    Typed(Option<ToNet>),
    /// The server said something.
    Server(Event),
    /// `BYE` did not come in time after `/quit`.
    ByeTimeout,
}

/// Connects to the endpoint; a failure says where it tried, or why the server
/// was not trusted.
pub fn connect(endpoint: &Endpoint) -> Result<Connection, ClientError> {
    endpoint.connect().map_err(ClientError::from_connect)
}

/// The network side of a running client. See the module docs.
pub struct Net<S, Tz> {
    /// The live connection.
    pub conn: Connection,
    /// The room as this client knows it.
    pub session: Session,
    /// Makes the display lines of messages waiting to be stored; knows who
    /// this user is.
    pub renderer: Renderer<Tz>,
    /// Where display lines go.
    pub sink: S,
    /// Updated whenever the online list changes.
    pub names: SharedNames,
    /// `Some` to reconnect when the connection is lost (terminal mode).
    pub reconnect: Option<Target>,
    /// Lines queued and sent, until the server answers them.
    pub outgoing: Outgoing,
}

impl<S, Tz> Net<S, Tz>
where
    S: Sink,
    Tz: TimeZone,
    Tz::Offset: Display,
{
    /// Runs until the user quits or, without a reconnect target, the
    /// connection ends.
    pub fn run(mut self, from_ui: Receiver<ToNet>) -> Ending {
        let mut from_ui = from_ui;
        let mut bye_deadline = crossbeam_channel::never();
        let mut quitting = false;
        let mut bye_reason = None;
        loop {
            match self.next_step(&from_ui, &bye_deadline) {
                Step::Typed(Some(ToNet::Send(line))) => {
                    self.outgoing.push(line);
                    self.pump();
                }
                Step::Typed(quit) => {
                    self.send_quit(quit);
                    (quitting, from_ui) = (true, crossbeam_channel::never());
                    bye_deadline = crossbeam_channel::at(Instant::now() + BYE_TIMEOUT);
                }
                Step::Server(Event::Line(line)) => {
                    if let ServerLine::Bye { reason } = &line {
                        bye_reason = Some(reason.clone());
                    }
                    self.server_line(&line);
                }
                Step::Server(Event::Malformed { line, error }) => {
                    log::warn!("ignored a malformed server line ({error}): {line:?}");
                }
                Step::Server(Event::Closed(_)) if quitting => return Ending::Quit,
                Step::Server(Event::Closed(error)) => {
                    let reason = bye_reason.take().or(error);
                    if let Err(ending) = self.reconnect(reason, &from_ui) {
                        return ending;
                    }
                }
                Step::ByeTimeout => {
                    log::warn!("no BYE from the server within {BYE_TIMEOUT:?}");
                    return Ending::Quit;
                }
            }
        }
    }

    /// Sends what is still queued, in order, then the `/quit` (or the line
    /// the user quit with).
    fn send_quit(&mut self, quit: Option<ToNet>) {
        let line = match quit {
            Some(ToNet::Quit(line)) => line,
            _ => "/quit".to_owned(),
        };
        for queued in self.outgoing.drain_all() {
            self.send(&queued);
        }
        self.send(&line);
    }

    /// Shows a server line; if it answers one of ours, the next may go.
    fn server_line(&mut self, line: &ServerLine) {
        let me = self.target_name();
        let answered = self.outgoing.answered(line, &me);
        if answered.is_some() {
            self.pump();
        }
        self.show_line(line);
        let sent = answered.as_ref().map(|answered| answered.line.clone());
        if let (ServerLine::Error { .. }, Some(refused)) = (line, answered) {
            // Say which line the server refused: a message is not stored.
            let notice = match &refused.shown {
                Some(None) => format!("not stored: {}", refused.text),
                Some(Some(_)) => format!("not stored: {}", refused.line),
                None => format!("refused: {}", refused.line),
            };
            self.show(&View::Notice(notice));
        }
        if let Some(sent) = sent {
            self.explain(line, &sent);
        }
    }

    /// What `line`, the answer to our `sent`, means beyond what it says:
    /// an empty `/history` answer says so (a line of no room: the room asked
    /// about may be one the user is not in, whose lines are not kept), and a
    /// private message to a room name says how to talk to the room.
    fn explain(&mut self, line: &ServerLine, sent: &str) {
        match line {
            ServerLine::HistoryEnd { count: 0, room } if sent.starts_with("/history") => {
                let text = match room {
                    Some(room) => format!("no messages in {room}"),
                    None => "no messages yet".to_owned(),
                };
                self.show(&View::Notice(text));
            }
            ServerLine::Error { code, .. } if *code == ErrorCode::NoSuchUser => {
                let to = sent
                    .strip_prefix("/msg ")
                    .and_then(|rest| rest.split(' ').next());
                if let Some(room) = to.filter(|to| to.starts_with('#')) {
                    let hint = format!("{room} is a room: use /say {room} ... or /join {room}");
                    self.show(&View::Notice(hint));
                }
            }
            _ => {}
        }
    }

    fn next_step(&self, from_ui: &Receiver<ToNet>, bye_deadline: &Receiver<Instant>) -> Step {
        select! {
            recv(from_ui) -> request => Step::Typed(request.ok()),
            recv(self.conn.events()) -> event => Step::Server(event.unwrap_or(Event::Closed(None))),
            recv(bye_deadline) -> _ => Step::ByeTimeout,
        }
    }

    fn show(&mut self, view: &View) {
        self.show_in(Shown::plain(view.clone()));
    }

    fn show_in(&mut self, shown: Shown) {
        let attention = attention(&shown.view, &self.target_name());
        self.sink.show(shown, attention);
    }

    /// The name this client is registered as.
    fn target_name(&self) -> String {
        self.renderer.me().to_owned()
    }

    /// Sends what the window lets through, and shows what still waits.
    fn pump(&mut self) {
        while let Some(line) = self.outgoing.next_to_send() {
            self.send(&line);
        }
        self.show_waiting();
    }

    fn show_waiting(&mut self) {
        let waiting = self.outgoing.waiting().map(|w| match &w.shown {
            Some(to) => View::Waiting {
                to: to.clone(),
                text: w.text.clone(),
            },
            None => View::Notice(w.line.clone()),
        });
        let total = self.outgoing.waiting().count();
        let oldest = waiting.take(WAITING_SHOWN);
        let today = chrono::Utc::now().with_timezone(self.renderer.zone());
        self.renderer.set_today(today.date_naive());
        let lines = oldest.map(|view| self.renderer.render(&view)).collect();
        self.sink.waiting(lines, total);
    }

    fn send(&mut self, line: &str) {
        match self.conn.send(line) {
            Ok(()) => {}
            // A line the connection refused to send (too long for UDP): the
            // user is told, as for a line the client refuses itself.
            Err(error) if error.kind() == std::io::ErrorKind::InvalidInput => {
                self.outgoing.not_sent(line);
                self.show(&View::Error(error.to_string()));
            }
            // Otherwise the socket is gone; the reader thread reports that
            // as `Closed`, which is where it is handled.
            Err(error) => log::debug!("send failed: {error}"),
        }
    }

    fn show_line(&mut self, line: &ServerLine) {
        let catching_up = self.session.catching_up();
        for shown in self.session.handle(line) {
            if let View::Message {
                from,
                text,
                replay: Replay::Missed,
                ..
            } = &shown.view
                && name_key(from) == name_key(self.renderer.me())
            {
                self.outgoing.stored(text);
            }
            self.show_in(shown);
        }
        if catching_up && !self.session.catching_up() {
            self.replay_settled();
        }
        let completions = self.session.completions();
        let mut names = self.names.lock();
        if *names != completions {
            *names = completions;
        }
    }

    /// The replay after a reconnect is over: our messages that were not in it
    /// were not stored, and go again before anything typed since.
    fn replay_settled(&mut self) {
        let again = self.outgoing.resend_unconfirmed();
        if again > 0 {
            let lines = count(again as u64, "line");
            self.show(&View::Notice(format!(
                "{lines} sent as the connection was lost had not been stored: sending again"
            )));
        }
        self.pump();
    }

    /// Reconnects with backoff, or gives the ending when there is no target or
    /// the user quits while waiting. Lines typed meanwhile are sent once back.
    fn reconnect(
        &mut self,
        reason: Option<String>,
        from_ui: &Receiver<ToNet>,
    ) -> Result<(), Ending> {
        let Some(mut target) = self.reconnect.clone() else {
            return Err(Ending::Lost(reason));
        };
        let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
        self.show(&View::Notice(format!("connection lost{why}")));
        // Room messages on their way are checked against the replay once
        // back; other lines cannot be.
        for line in self.outgoing.lost() {
            self.show(&View::Notice(format!(
                "sent as the connection was lost, maybe not received: {line}"
            )));
        }
        self.show_waiting();
        let mut attempt = 0;
        loop {
            let delay = backoff_delay(attempt);
            attempt = attempt.saturating_add(1);
            self.show(&View::Notice(format!(
                "reconnecting in {} s",
                delay.as_secs()
            )));
            self.wait_gathering(Instant::now() + delay, from_ui)?;
            match register_again(&mut target) {
                Ok((conn, online)) => {
                    self.conn = conn;
                    self.show(&View::Notice(format!(
                        "reconnected as {} ({online} online)",
                        target.name
                    )));
                    for line in self.session.reconnected() {
                        self.send(&line);
                    }
                    self.pump();
                    return Ok(());
                }
                Err(error) => self.show(&View::Notice(format!("reconnect failed: {error}"))),
            }
        }
    }

    /// Waits until `deadline`, queueing typed lines; a quit ends it.
    fn wait_gathering(
        &mut self,
        deadline: Instant,
        from_ui: &Receiver<ToNet>,
    ) -> Result<(), Ending> {
        loop {
            match from_ui.recv_deadline(deadline) {
                Ok(ToNet::Send(line)) => {
                    self.show(&View::Notice(
                        "not connected: the line will be sent once back".into(),
                    ));
                    self.outgoing.push(line);
                    self.show_waiting();
                }
                Ok(ToNet::Quit(_)) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(Ending::Quit);
                }
                Err(RecvTimeoutError::Timeout) => return Ok(()),
            }
        }
    }
}

fn register_again(target: &mut Target) -> Result<(Connection, u64), String> {
    let mut conn = target.endpoint.connect().map_err(|e| e.to_string())?;
    let joined = target
        .credentials
        .join(&mut conn, &target.endpoint, &target.name, REGISTER_TIMEOUT)
        .map_err(|e| e.to_string())?;
    let (_, online) = joined.map_err(|e| e.to_string())?;
    Ok((conn, online))
}
