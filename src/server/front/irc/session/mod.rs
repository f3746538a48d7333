//! An IRC client's session thread: reads its lines, runs them through the
//! sans-IO [`Connection`], and queues the replies.
//!
//! Like a native session (`front/native/session/`), it owns the reading
//! half of the socket and the client's writer; everything it sends goes
//! through the client's own queue, after the hub events already there, so a
//! reply never overtakes or interleaves with a broadcast. Its own messages
//! go through the sequencer: before a reply, it waits until they have been
//! queued (a fence), so the client sees its echo before, say, a `PONG` it
//! asked for later. Flood control, the registration deadline and the send
//! queue's limits are the native ones.

mod port;

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use crossbeam_channel::Sender;
use rustls::ServerConfig;

use crate::hub::message::ClientId;
use crate::hub::sequencer::Request;
use crate::protocol::Frame;
use crate::protocol::irc::MAX_LINE;
use crate::protocol::irc::numeric::ERR_INPUTTOOLONG;
use crate::server::ServerState;
use crate::server::across_nodes;
use crate::server::control::Control;
use crate::server::flood::TokenBucket;
use crate::server::outbox::{Chunk, Inbox, Outbox};
use crate::server::transport::{self, ClientLink, Frames};
use crate::server::writer;

use super::connection::Connection;
use super::member::IrcMember;
use super::reply::{Lines, Out, Replier, push_fitting};
use crate::protocol::irc::Message;
pub(crate) use port::IrcShared;
use port::SessionHub;

/// Everything an IRC session thread starts with.
pub(crate) struct IrcSessionParts {
    pub(crate) id: ClientId,
    pub(crate) link: ClientLink,
    /// The TLS setup for a connection on the IRC TLS listener.
    pub(crate) tls: Option<Arc<ServerConfig>>,
    pub(crate) shared: Arc<ServerState>,
    pub(crate) control: Arc<Control>,
    /// Its member in the hub.
    pub(crate) member: Arc<IrcMember>,
    pub(crate) outbox: Outbox,
    pub(crate) inbox: Inbox,
    pub(crate) posts: Sender<Request>,
    /// Dropped when the session ends; see `accept.rs`.
    pub(crate) alive: Sender<()>,
}

/// Why a session ended, and what the others are told.
enum End {
    /// `QUIT`, with the client's reason.
    Quit(String),
    /// The socket closed or failed, or the server closed it.
    Lost,
    /// Not registered within the time allowed.
    RegistrationTimeout,
}

struct IrcSession {
    id: ClientId,
    shared: Arc<ServerState>,
    control: Arc<Control>,
    member: Arc<IrcMember>,
    outbox: Outbox,
    posts: Sender<Request>,
    /// Posts sent since the last fence.
    posted: Cell<bool>,
    connection: Connection,
    name: Option<String>,
    /// The account SASL logged in as (see `port.rs`).
    account: Option<String>,
    encrypted: bool,
}

/// The thread's body.
pub(crate) fn run(parts: IrcSessionParts) {
    let IrcSessionParts {
        id,
        link,
        tls,
        shared,
        control,
        member,
        outbox,
        inbox,
        posts,
        alive,
    } = parts;
    let peer = control.peer;
    let writer_control = control.clone();
    let evict_shared = shared.clone();
    let evict = move || evict_shared.locked(|hub| hub.mark_overflowed(id));
    let started = transport::split(&link, tls.as_ref(), &outbox, &shared.config).and_then(
        |(frames, sink)| Ok((frames, writer::start(sink, inbox, writer_control, evict)?)),
    );
    drop(link);
    let mut session = IrcSession {
        id,
        shared,
        control,
        member,
        outbox,
        posts,
        posted: Cell::new(false),
        connection: Connection::new(),
        name: None,
        account: None,
        encrypted: tls.is_some(),
    };
    let (end, writer) = match started {
        Ok((frames, writer)) => {
            let mut frames = irc_framing(frames);
            (session.read_loop(&mut frames), Some(writer))
        }
        Err(error) => {
            log::warn!("{peer}: could not start a writer thread: {error}");
            (End::Lost, None)
        }
    };
    session.finish(end);
    drop(session);
    if let Some(writer) = writer {
        writer.finish();
    }
    log::info!("{peer}: disconnected (IRC)");
    drop(alive);
}

/// IRC's framing: lines up to 512 bytes plus tags, control characters
/// kept (the connection removes them from text).
fn irc_framing(frames: Frames) -> Frames {
    match frames {
        Frames::Stream(reader) => Frames::Stream(reader.keeping_control_chars(MAX_LINE)),
        other => other,
    }
}

impl IrcSession {
    fn read_loop(&mut self, frames: &mut Frames) -> End {
        let config = &self.shared.config;
        let mut bucket = TokenBucket::new(config.flood, Instant::now());
        let deadline = Instant::now() + config.registration_timeout;
        loop {
            if self.name.is_none() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || frames.set_read_timeout(Some(left)).is_err() {
                    return End::RegistrationTimeout;
                }
            }
            let frame = match frames.read_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => return End::Lost,
                Err(error) if is_timeout(&error) && self.name.is_none() => {
                    return End::RegistrationTimeout;
                }
                Err(error) => {
                    log::debug!("{}: read failed: {error}", self.control.peer);
                    return End::Lost;
                }
            };
            if self.control.ending.is_set() {
                return End::Lost;
            }
            let wait = bucket.take(1, Instant::now());
            if !wait.is_zero() && !self.control.ending.pause(wait) {
                return End::Lost;
            }
            let was_registered = self.name.is_some();
            if let Some(end) = self.handle_frame(frame) {
                return end;
            }
            if !was_registered && self.name.is_some() {
                let _ = frames.set_read_timeout(None);
            }
        }
    }

    fn handle_frame(&mut self, frame: Frame) -> Option<End> {
        let line = match frame {
            Frame::Line(line) => line,
            Frame::TooLong => {
                let mut out = Out::default();
                let nick = self.name.as_deref().unwrap_or("*");
                let to = Replier {
                    server: &self.irc().settings.server_name,
                    nick,
                };
                out.numeric(to, ERR_INPUTTOOLONG, &["Input line was too long"]);
                self.send(out.lines);
                return None;
            }
            Frame::BadEncoding => {
                let server = self.irc().settings.server_name.clone();
                let why = "Lines must be UTF-8: this one was dropped";
                let message = Message::new("FAIL", vec!["*", "INVALID_UTF8", why]);
                let mut lines = Lines::default();
                push_fitting(&mut lines, message.with_source(&server));
                self.send(lines);
                return None;
            }
            Frame::BadText => return None,
        };
        let shared = self.shared.clone();
        let irc = self.irc_shared(&shared);
        let mut hub = SessionHub {
            id: self.id,
            shared: &shared,
            control: &self.control,
            member: &self.member,
            posts: &self.posts,
            users: &irc.users,
            max_users: &irc.max_users,
            name: self.name.clone(),
            account: self.account.clone(),
            encrypted: self.encrypted,
            posted: &self.posted,
        };
        let out = self
            .connection
            .handle_line(&line, &mut hub, &irc.settings, Utc::now());
        self.name = hub.name;
        self.account = hub.account;
        self.member.set_caps(self.connection.caps());
        self.send(out.lines);
        if out.close {
            return Some(match out.quit {
                Some(reason) => End::Quit(reason),
                None => End::Lost,
            });
        }
        None
    }

    fn irc(&self) -> &IrcShared {
        &self.shared.irc
    }

    fn irc_shared<'a>(&self, shared: &'a ServerState) -> &'a IrcShared {
        &shared.irc
    }

    /// Waits until everything this session posted is stored and queued.
    fn wait_for_posts(&self) {
        fence(&self.posts, &self.posted);
    }

    /// Queues `lines` after this client's own messages still on their way.
    fn send(&self, lines: Lines) {
        if lines.is_empty() {
            return;
        }
        self.wait_for_posts();
        if !self
            .outbox
            .offer(&Chunk::from(lines.into_text().into_bytes()))
        {
            let id = self.id;
            self.shared.locked(|hub| hub.mark_overflowed(id));
        }
    }

    /// Takes the connection out of the hub, telling those who share a room
    /// with it why.
    fn finish(&self, end: End) {
        let reason = match &end {
            End::Quit(reason) if reason.is_empty() => "quit".to_owned(),
            End::Quit(reason) => reason.clone(),
            End::Lost => "connection lost".to_owned(),
            End::RegistrationTimeout => {
                let what = if self.connection.is_negotiating() {
                    "registration timed out: finish CAP negotiation (CAP END) in time"
                } else {
                    "registration timed out: send NICK and USER in time"
                };
                self.control.set_farewell(what, false);
                "connection lost".to_owned()
            }
        };
        self.wait_for_posts();
        let id = self.id;
        let removed = self
            .shared
            .locked(|hub| hub.remove(id, &reason, Utc::now()));
        self.shared.members_changed(&self.posts);
        if let Some(name) = &self.name {
            // Also when the hub evicted it already (`removed` is then false).
            across_nodes::release(&self.shared, name);
            self.irc().users.remove(name);
            if removed {
                log::info!("{}: {name} left ({reason})", self.control.peer);
            }
        }
    }
}

/// Waits until the posts sent since the last fence (if any: `posted`) are
/// stored and queued to their recipients.
pub(crate) fn fence(posts: &Sender<Request>, posted: &Cell<bool>) {
    if !posted.replace(false) {
        return;
    }
    let (done, wait) = crossbeam_channel::bounded(1);
    if posts.send(Request::Fence(done)).is_ok() {
        let _ = wait.recv();
    }
}

fn is_timeout(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}
