//! A client's session thread: reads its lines and acts on them.
//!
//! The session owns the reading half of the socket and the client's writer
//! (`writer.rs`): a TLS or UDP client's writer thread, which it joins before
//! it ends; for plain TCP, the writer's loop, which it runs itself once it
//! has ended. Until then it never writes to the socket but through its queue:
//! replies go through the client's own queue like everything else, so a reply
//! can never overtake or interleave with a broadcast. Room and private messages
//! and topics go to the sequencer, which stores and delivers them; joining
//! and parting rooms are registry calls (`rooms.rs`). This is the native
//! front: lines in, hub calls out.

mod help;
mod private;
mod rooms;

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use rustls::ServerConfig;

use chrono::Utc;
use crossbeam_channel::Sender;

use crate::hub::message::{Audience, ClientId, Post, RoomRef};
use crate::hub::registry::{RegisterError, Registered};
use crate::hub::sequencer::Request;
use crate::hub::store::postgres::presence::ClaimError;
use crate::protocol::server_line::push_users_run;
use crate::protocol::{
    Command, ErrorCode, Frame, PROTOCOL_VERSION, SERVER_NAME, ServerLine, UsageError, validate_name,
};
use crate::server::across_nodes;
use crate::server::control::Control;
use crate::server::flood::TokenBucket;
use crate::server::outbox::{Chunk, Inbox, Outbox};
use crate::server::transport::{self, ClientLink, Frames};
use crate::server::{ServerState, http_log, login, writer};
use help::{HELP, cost};

/// Everything a session thread starts with.
pub(crate) struct SessionParts {
    pub(crate) id: ClientId,
    pub(crate) link: ClientLink,
    /// The TLS setup for a connection on the TLS listener; `None` for plain.
    pub(crate) tls: Option<Arc<ServerConfig>>,
    pub(crate) shared: Arc<ServerState>,
    pub(crate) control: Arc<Control>,
    pub(crate) outbox: Outbox,
    pub(crate) inbox: Inbox,
    pub(crate) posts: Sender<Request>,
    /// Dropped when the session ends; see `accept.rs`.
    pub(crate) alive: Sender<()>,
}

enum State {
    Unregistered {
        attempts: u32,
        deadline: Instant,
    },
    Registered {
        name: String,
        /// Where plain text goes: the room joined or switched to last.
        current: Option<RoomRef>,
    },
}

/// Why a session ended.
enum End {
    /// `/quit` or `{exit}`, with the reason others see.
    Quit(String),
    /// The socket closed or failed (or the server closed it).
    Lost,
    /// No accepted name within the registration time.
    RegistrationTimeout,
    /// Too many refused names.
    TooManyAttempts,
}

struct ClientSession {
    id: ClientId,
    shared: Arc<ServerState>,
    control: Arc<Control>,
    outbox: Outbox,
    posts: Sender<Request>,
    /// Posts sent since the last fence: a direct reply must wait for them, so
    /// the client gets answers in the order it sent its lines.
    posts_in_flight: Cell<bool>,
    /// Whether the connection is TLS (a password may be sent from anywhere).
    encrypted: bool,
    /// The longest line this connection takes, LF included.
    max_line: usize,
    state: State,
}

/// The thread's body.
pub(crate) fn run(parts: SessionParts) {
    let SessionParts {
        id,
        link,
        tls,
        shared,
        control,
        outbox,
        inbox,
        posts,
        alive,
    } = parts;
    let peer = control.peer;
    let writer_control = control.clone();
    let encrypted = tls.is_some();
    let evict_shared = shared.clone();
    let evict = move || evict_shared.locked(|registry| registry.mark_overflowed(id));
    let started = transport::split(&link, tls.as_ref(), &outbox, &shared.config).and_then(
        |(frames, sink)| Ok((frames, writer::start(sink, inbox, writer_control, evict)?)),
    );
    drop(link);
    let deadline = Instant::now() + shared.config.registration_timeout;
    let mut session = ClientSession {
        id,
        shared,
        control,
        outbox,
        posts,
        posts_in_flight: Cell::new(false),
        encrypted,
        max_line: 0,
        state: State::Unregistered {
            attempts: 0,
            deadline,
        },
    };
    let (end, writer) = match started {
        Ok((mut frames, writer)) => {
            session.max_line = frames.max_line();
            session.reply(&ServerLine::Hello {
                server: SERVER_NAME.into(),
                version: PROTOCOL_VERSION.to_string(),
                text: "Send your name to join.".into(),
            });
            // The reader (with its TLS wake handle on the queue) is dropped
            // here, before the writer is joined.
            let end = session.read_loop(&mut frames);
            (end, Some(writer))
        }
        Err(error) => {
            log::warn!("{peer}: could not start a writer thread: {error}");
            (End::Lost, None)
        }
    };
    session.finish(end);
    drop(session); // Drops this session's queue and post senders.
    if let Some(writer) = writer {
        writer.finish();
    }
    log::info!("{peer}: disconnected");
    drop(alive);
}

impl ClientSession {
    fn read_loop(&mut self, reader: &mut Frames) -> End {
        let mut bucket = TokenBucket::new(self.shared.config.flood, Instant::now());
        loop {
            if let State::Unregistered { deadline, .. } = self.state {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || reader.set_read_timeout(Some(left)).is_err() {
                    return End::RegistrationTimeout;
                }
            }
            let frame = match reader.read_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => return End::Lost,
                Err(error) if is_timeout(&error) => return End::RegistrationTimeout,
                Err(error) => {
                    log::debug!("{}: read failed: {error}", self.control.peer);
                    return End::Lost;
                }
            };
            // Lines received before the connection was ended are not acted
            // on (nor acknowledged): the server is closing it.
            if self.control.ending.is_set() {
                return End::Lost;
            }
            let wait = bucket.take(cost(&frame), Instant::now());
            // Fake lag: this client's lines are read later, nobody else's.
            // Cut short when the connection ends.
            if !wait.is_zero() && !self.control.ending.pause(wait) {
                return End::Lost;
            }
            let was_registered = matches!(self.state, State::Registered { .. });
            if let Some(end) = self.handle_frame(frame) {
                return end;
            }
            if !was_registered && matches!(self.state, State::Registered { .. }) {
                let _ = reader.set_read_timeout(None);
            }
        }
    }

    fn handle_frame(&mut self, frame: Frame) -> Option<End> {
        let line = match frame {
            Frame::Line(line) => line,
            Frame::TooLong => {
                let limit = self.max_line;
                self.error(ErrorCode::LineTooLong, format!("Lines are limited to {limit} bytes; the line was dropped. Split it into several."));
                return None;
            }
            Frame::BadEncoding => {
                self.error(
                    ErrorCode::BadEncoding,
                    "That line was not valid UTF-8 and was dropped. Set your terminal to UTF-8.",
                );
                return None;
            }
            Frame::BadText => {
                self.error(ErrorCode::BadText, "That line held a control character (an escape sequence?) and was dropped. Send plain text.");
                return None;
            }
        };
        if self.shared.config.log_http {
            http_log::print(
                self.shared.local_addr,
                self.control.peer,
                self.name(),
                &login::redacted(&line),
            );
        }
        match Command::parse(&line) {
            Ok(None) => None,
            Ok(Some(command)) => match self.state {
                State::Unregistered { .. } => self.handle_unregistered(command),
                State::Registered { .. } => self.handle_registered(command),
            },
            Err(UsageError(usage)) => {
                self.error(ErrorCode::Usage, usage);
                None
            }
        }
    }

    fn handle_unregistered(&mut self, command: Command) -> Option<End> {
        match command {
            Command::Text(name) | Command::Name(name) => return self.try_register(name, None),
            Command::Login { name, password } => return self.try_register(name, Some(password)),
            Command::Quit(reason) => return Some(End::Quit(reason.unwrap_or("quit").to_owned())),
            Command::Help => self.help(),
            Command::Ping(token) => self.reply(&ServerLine::Pong {
                token: token.unwrap_or("-").to_owned(),
            }),
            _ => self.error(
                ErrorCode::NotRegistered,
                "Send your name first (a line with just the name), then try again.",
            ),
        }
        None
    }

    /// Commands once registered. Not inlined: the registration path through
    /// `handle_frame` is the deepest point of the thread's stack, and this
    /// frame must not add to it.
    #[inline(never)]
    fn handle_registered(&mut self, command: Command) -> Option<End> {
        match command {
            Command::Text(text) => match self.current_room() {
                Some(room) => self.post(Audience::Room(room), text),
                None => self.no_room(),
            },
            Command::Msg { to, text } => self.private(to, text),
            Command::Who => {
                let names = self.shared.locked(|registry| registry.names());
                let mut out = String::new();
                push_users_run(&mut out, names.iter().map(String::as_str), None);
                self.send(out);
            }
            Command::Ping(token) => self.reply(&ServerLine::Pong {
                token: token.unwrap_or("-").to_owned(),
            }),
            Command::Help => self.help(),
            Command::Quit(reason) => return Some(End::Quit(reason.unwrap_or("quit").to_owned())),
            Command::Name(_) | Command::Login { .. } => self.error(
                ErrorCode::UnknownCommand,
                "You already have a name; to change it, /quit and join again.",
            ),
            Command::Unknown(word) => self.error(
                ErrorCode::UnknownCommand,
                format!("There is no /{word} command. /help lists the commands."),
            ),
            room_command => self.handle_room_command(room_command),
        }
        None
    }

    /// Takes the name `requested`, with an account's password for `/login`.
    fn try_register(&mut self, requested: &str, password: Option<&str>) -> Option<End> {
        let name = requested.trim();
        let config = &self.shared.config;
        let peer = self.control.peer;
        let refusal = if password.is_some() && login::is_insecure(self.encrypted, peer) {
            log::warn!("{peer}: refused a password sent in clear from another host");
            Some((
                ErrorCode::InsecureLogin,
                "use TLS: passwords are accepted in clear only from this machine. This one crossed the network unencrypted, so change it.".to_owned(),
            ))
        } else if let Err(error) = validate_name(name) {
            Some((
                ErrorCode::NameInvalid,
                format!("{name:?} is not a valid name: {error}. Try another."),
            ))
        } else if let Some(allowed) = &config.allow_users
            && !allowed.iter().any(|a| a.eq_ignore_ascii_case(name))
        {
            Some((
                ErrorCode::NameNotAllowed,
                format!(
                    "{name} is not on this server's list of users. Ask its operator, or try another."
                ),
            ))
        } else if let Err(refusal) = login::check_name(&self.shared, &self.control, name, password)
        {
            Some(refusal)
        } else if let Err(refusal) = self.claim_across_nodes(name) {
            Some(refusal)
        } else {
            let account = password.is_some();
            let registered = self
                .shared
                .locked(|registry| registry.register(self.id, name, account, Utc::now()));
            match registered {
                Ok(Registered { online, room }) => {
                    let _ = self.posts.send(Request::Announce); // others learn of the JOIN
                    log::info!("{}: joined as {name} ({online} online)", self.control.peer);
                    self.state = State::Registered {
                        name: name.to_owned(),
                        current: Some(room),
                    };
                    if account {
                        self.rejoin_remembered_rooms();
                    }
                    return None;
                }
                Err(RegisterError::NameTaken) => {
                    self.release_across_nodes(name);
                    Some((
                        ErrorCode::NameTaken,
                        format!("{name} is taken (names ignore case). Try another."),
                    ))
                }
                Err(RegisterError::Closed) => {
                    self.release_across_nodes(name);
                    return Some(End::Lost);
                }
            }
        };
        let State::Unregistered { attempts, .. } = &mut self.state else {
            return None;
        };
        *attempts += 1;
        let attempts = *attempts;
        if let Some((code, text)) = refusal {
            self.error(code, text);
        }
        (attempts >= self.shared.config.max_name_attempts).then_some(End::TooManyAttempts)
    }

    /// Hands a message to the sequencer. Blocks while it is far behind,
    /// which slows this sender down and nobody else.
    fn post(&self, audience: Audience, text: &str) {
        let Some(from) = self.name() else { return };
        let post = Post {
            sender: self.id,
            from: from.to_owned(),
            audience,
            kind: crate::hub::message::Kind::Message,
            live_tags: None,
            text: text.to_owned(),
        };
        if self.posts.send(Request::Post(post)).is_ok() {
            self.posts_in_flight.set(true);
        }
    }

    /// Waits until everything this session posted is stored and queued.
    fn wait_for_posts(&self) {
        if !self.posts_in_flight.replace(false) {
            return;
        }
        let (done, wait) = crossbeam_channel::bounded(1);
        if self.posts.send(Request::Fence(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// Takes the connection out of the registry (telling others why, if it had
    /// joined) and records the farewell its writer sends.
    fn finish(&self, end: End) {
        let (leave, farewell) = match &end {
            End::Quit(reason) => (reason.as_str(), Some("goodbye")),
            End::Lost => ("connection lost", None),
            End::RegistrationTimeout => (
                "connection lost",
                Some("registration timed out: send your name within the time allowed"),
            ),
            End::TooManyAttempts => ("connection lost", Some("too many refused names")),
        };
        if let Some(farewell) = farewell {
            self.control.set_farewell(farewell, false);
        }
        self.wait_for_posts();
        let peer = self.control.peer;
        let removed = self
            .shared
            .locked(|registry| registry.remove(self.id, leave, Utc::now()));
        self.shared.members_changed(&self.posts);
        if let Some(name) = self.name() {
            // Also when the hub evicted it already (`removed` is then false).
            self.release_across_nodes(name);
            if removed {
                log::info!("{peer}: {name} left ({leave})");
            }
        }
    }

    /// With nodes sharing a database: takes `name` in it first, so no two
    /// nodes give it out (`hub/store/postgres/presence.rs`).
    fn claim_across_nodes(&self, name: &str) -> Result<(), (ErrorCode, String)> {
        across_nodes::claim(&self.shared, name).map_err(|error| match error {
            ClaimError::Taken => (
                ErrorCode::NameTaken,
                format!("{name} is taken (names ignore case). Try another."),
            ),
            ClaimError::Unreachable(_) | ClaimError::Reconnecting => {
                log::warn!("{}: could not check {name} across nodes: {error}", self.control.peer);
                (
                    ErrorCode::Other("not-stored".into()),
                    "The server cannot reach its database to check that name. Try again in a moment.".to_owned(),
                )
            }
        })
    }

    /// Gives `name` back across nodes (see [`Self::claim_across_nodes`]).
    fn release_across_nodes(&self, name: &str) {
        across_nodes::release(&self.shared, name);
    }

    fn name(&self) -> Option<&str> {
        match &self.state {
            State::Registered { name, .. } => Some(name),
            State::Unregistered { .. } => None,
        }
    }

    fn help(&self) {
        let mut out = String::new();
        for text in HELP {
            ServerLine::Info {
                text: (*text).to_owned(),
            }
            .encode_into(&mut out);
        }
        self.send(out);
    }

    fn error(&self, code: ErrorCode, text: impl Into<String>) {
        self.reply(&ServerLine::Error {
            code,
            text: text.into(),
        });
    }

    fn reply(&self, line: &ServerLine) {
        self.send(line.encode());
    }

    /// Queues lines for this client, after its own messages still on their way
    /// through the sequencer thread. If its queue is full it is evicted.
    fn send(&self, lines: String) {
        self.wait_for_posts();
        if !self.outbox.offer(&chunk(lines)) {
            self.shared
                .locked(|registry| registry.mark_overflowed(self.id));
        }
    }
}

fn chunk(lines: String) -> Chunk {
    Chunk::from(lines.into_bytes())
}

fn is_timeout(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}
