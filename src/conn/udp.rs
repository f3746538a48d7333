//! The UDP link under a [`super::Connection`]: opening a session, its two
//! threads, sending, stopping. What the datagrams mean is in
//! [`super::udp_state`] (pure); this file only owns the socket, the clock
//! and the threads.
//!
//! - **Opening**, on the caller's thread: `OPEN <nonce>` every 500 ms until
//!   `TOKEN` with that nonce answers, then `KEEP <token>`, which starts the
//!   session on the server (it then sends `HELLO` as `DATA 1`).
//! - **The receiver thread** (`conn-udp-recv-<local port>`) only waits in
//!   `recv` and passes each datagram to the link thread on a bounded
//!   channel.
//! - **The link thread** (`conn-udp-<local port>`) does the rest: it
//!   acknowledges `DATA`, hands server lines on as [`Event`]s in order,
//!   applies `ACK`s to the send window, resends and keeps alive on time, and
//!   gives the session up when the server stops answering. It waits on the
//!   receiver's channel, on a kick from [`UdpLink::send`] and on its next
//!   deadline, so a new line's resend timer is armed at once. (A thread
//!   blocked in `recv` could not be woken for that.) Its last event is
//!   always [`Event::Closed`].
//! - **Sending**: [`UdpLink::send`] numbers the line in the shared window
//!   (waiting while it is full), kicks the link thread, then sends the
//!   datagram itself. The window's lock never covers a socket call.
//! - **Stopping**: [`UdpLink::stop`] sends `CLOSE`, sets the stop flag and
//!   shuts the socket's read side. On Linux that makes the blocked `recv`,
//!   and every later one, return at once, so the receiver ends, its channel
//!   disconnects, the link thread ends and joins it. No polling.
//!
//! The socket is `connect`ed to the server, so the kernel drops datagrams
//! from any other address; the token check in the pure state does the rest.

use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select};
use parking_lot::{Condvar, Mutex};

use super::udp_state::{LinkState, OPEN_RESEND, Received, SendState};
use super::{ConnError, Event};
use crate::udp::datagram::random_nonce;
use crate::udp::{Datagram, GIVE_UP, MAX_DATAGRAM_LINE, RECV_BUFFER, Token};

/// The shortest read timeout set while opening (zero is not allowed).
const MIN_WAIT: Duration = Duration::from_millis(1);
/// Datagrams received and not yet taken by the link thread. Beyond this the
/// receiver waits and the kernel's buffer, then the network, drops: the
/// server resends.
const RECEIVED_QUEUE: usize = 256;

/// The sending half of a UDP session, held by the `Connection`.
#[derive(Debug)]
pub struct UdpLink {
    socket: UdpSocket,
    token: Token,
    shared: Arc<UdpShared>,
    /// Wakes the link thread when a line joins the window.
    kick: Sender<()>,
}

/// What `send` and the link thread share.
#[derive(Debug)]
struct UdpShared {
    /// Guards the send window (numbering, acknowledgements, resend times).
    /// Held only to update it: never across a socket call or a channel send.
    send: Mutex<SendState>,
    /// Signalled when acknowledgements make room in the window, or the link
    /// thread ends.
    room: Condvar,
    /// Set before the socket's read side is shut: the receiver stops.
    stopping: AtomicBool,
    /// `CLOSE` has been sent.
    closed: AtomicBool,
}

/// A session opened and its link thread running.
pub struct Opened {
    /// The send half.
    pub link: UdpLink,
    /// The server's address.
    pub peer: SocketAddr,
    /// The link thread's events.
    pub events: Receiver<Event>,
    /// The link thread.
    pub thread: JoinHandle<()>,
}

/// Opens a session with the server at `host:port` (each address it resolves
/// to in turn, within `timeout` in all) and starts the link thread.
pub fn connect(host: &str, port: u16, timeout: Duration) -> Result<Opened, ConnError> {
    let addr_text = format!("{host}:{port}");
    let connect_error = |source| ConnError::Connect {
        addr: addr_text.clone(),
        source,
    };
    let deadline = Instant::now() + timeout;
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(connect_error)?
        .collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolved to no address");
    for (index, &peer) in addrs.iter().enumerate() {
        // Share what is left of the time among the addresses left.
        let left = deadline.saturating_duration_since(Instant::now());
        let share = left / (addrs.len() - index) as u32;
        match open_session(peer, share) {
            Ok((socket, token)) => return start(socket, token, peer).map_err(connect_error),
            Err(error) => last = error,
        }
    }
    Err(connect_error(last))
}

/// Binds a socket of `peer`'s family, connects it, and trades `OPEN` for
/// `TOKEN`.
fn open_session(peer: SocketAddr, timeout: Duration) -> io::Result<(UdpSocket, Token)> {
    let any: SocketAddr = match peer {
        SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any)?;
    socket.connect(peer)?;
    let nonce = random_nonce();
    let open = Datagram::Open { nonce: &nonce }.encode();
    let deadline = Instant::now() + timeout;
    let mut buffer = vec![0u8; RECV_BUFFER];
    while Instant::now() < deadline {
        socket.send(&open).map_err(explain_refusal)?;
        let resend_at = (Instant::now() + OPEN_RESEND).min(deadline);
        while let Some(wait) = resend_at.checked_duration_since(Instant::now()) {
            socket.set_read_timeout(Some(wait.max(MIN_WAIT)))?;
            let size = match socket.recv(&mut buffer) {
                Ok(size) => size,
                Err(error) if is_timeout(&error) => break,
                Err(error) => return Err(explain_refusal(error)),
            };
            if let Ok(Datagram::Token {
                nonce: answered,
                token,
            }) = Datagram::parse(&buffer[..size])
                && answered == nonce
            {
                socket.send(&Datagram::Keep { token }.encode())?;
                return Ok((socket, token));
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "no answer to OPEN within {:.1} s (the server must run with --udp)",
            timeout.as_secs_f64()
        ),
    ))
}

/// A refusal (an ICMP "port unreachable" for an earlier datagram) is an
/// answer, as for TCP: nothing listens there, so the next address, or the
/// caller, is tried at once rather than after the timeout.
fn explain_refusal(error: io::Error) -> io::Error {
    if error.kind() != io::ErrorKind::ConnectionRefused {
        return error;
    }
    io::Error::new(
        io::ErrorKind::ConnectionRefused,
        "nothing listens on that UDP port (connection refused; the server must run with --udp)",
    )
}

fn start(socket: UdpSocket, token: Token, peer: SocketAddr) -> io::Result<Opened> {
    let now = Instant::now();
    let shared = Arc::new(UdpShared {
        send: Mutex::new(SendState::new(token, now)),
        room: Condvar::new(),
        stopping: AtomicBool::new(false),
        closed: AtomicBool::new(false),
    });
    // Opening left a read timeout on the socket, which its clones share:
    // the receiver waits for as long as it takes.
    socket.set_read_timeout(None)?;
    let port = socket.local_addr()?.port();
    let (datagram_tx, datagrams) = crossbeam_channel::bounded(RECEIVED_QUEUE);
    let receiver_socket = socket.try_clone()?;
    let receiver_shared = shared.clone();
    let receiver = thread::Builder::new()
        .name(format!("conn-udp-recv-{port}"))
        .spawn(move || receive_loop(&receiver_socket, &receiver_shared, &datagram_tx))?;
    let (kick, kicks) = crossbeam_channel::bounded(1);
    let (tx, events) = crossbeam_channel::unbounded();
    let link = LinkThread {
        socket: socket.try_clone()?,
        shared: shared.clone(),
        datagrams,
        kicks,
        events: tx,
    };
    let state = LinkState::new(token, now);
    let spawned = thread::Builder::new()
        .name(format!("conn-udp-{port}"))
        .spawn(move || link.run(state, receiver));
    let thread = match spawned {
        Ok(thread) => thread,
        Err(error) => {
            // The receiver thread is already running: stop it (it is not
            // joined, but it ends at once).
            stop_receiving(&socket, &shared);
            return Err(error);
        }
    };
    Ok(Opened {
        link: UdpLink {
            socket,
            token,
            shared,
            kick,
        },
        peer,
        events,
        thread,
    })
}

impl UdpLink {
    /// Sends one line (no LF): numbers it in the window, waiting up to
    /// [`GIVE_UP`] while the window is full, then sends it. A line longer
    /// than [`MAX_DATAGRAM_LINE`] is refused here with
    /// [`io::ErrorKind::InvalidInput`], nothing sent: the server would refuse
    /// it anyway, and it may not fit a datagram at all. Once a line is in the
    /// window a failed send is not an error: the link thread sends it again.
    pub fn send(&self, line: &[u8]) -> io::Result<()> {
        if line.len() > MAX_DATAGRAM_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "line-too-long: {} bytes, and a line over UDP holds at most {MAX_DATAGRAM_LINE}; not sent",
                    line.len()
                ),
            ));
        }
        let datagram = {
            let deadline = Instant::now() + GIVE_UP;
            let mut send = self.shared.send.lock();
            while send.outgoing.is_full() && !send.ended {
                if self.shared.room.wait_until(&mut send, deadline).timed_out() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the server acknowledged nothing for too long",
                    ));
                }
            }
            if send.ended {
                return Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the UDP session has ended",
                ));
            }
            let now = Instant::now();
            send.last_sent = now;
            send.outgoing.push(line, now).expect("the window has room")
        };
        // The link thread may be waiting for a later time (the keepalive):
        // this line's resend time is now the earliest. A kick already
        // pending does the same.
        let _ = self.kick.try_send(());
        if let Err(error) = self.socket.send(&datagram) {
            log::debug!("UDP send failed, to be sent again: {error}");
        }
        Ok(())
    }

    /// Ends the session: sends `CLOSE` (best effort, and only while the
    /// session is live) and makes both threads stop; the caller joins the
    /// link thread, which joins the receiver.
    pub fn stop(&self) {
        let live = !self.shared.send.lock().ended;
        if live && !self.shared.closed.swap(true, Ordering::SeqCst) {
            let close = Datagram::Close { token: self.token }.encode();
            let _ = self.socket.send(&close);
        }
        stop_receiving(&self.socket, &self.shared);
    }
}

/// Sets the stop flag, then shuts the socket's read side: a `recv` blocked
/// in the receiver thread returns at once, and so does every later one (on
/// Linux), so the flag is always seen.
fn stop_receiving(socket: &UdpSocket, shared: &UdpShared) {
    shared.stopping.store(true, Ordering::SeqCst);
    if let Err(error) = socket2::SockRef::from(socket).shutdown(Shutdown::Read) {
        log::debug!("shutting the UDP socket's read side failed: {error}");
    }
}

/// The receiver thread: every datagram to the link thread, until stopped.
/// Dropping `datagrams` (by returning) tells the link thread.
fn receive_loop(socket: &UdpSocket, shared: &UdpShared, datagrams: &Sender<io::Result<Vec<u8>>>) {
    let mut buffer = vec![0u8; RECV_BUFFER];
    loop {
        let received = match socket.recv(&mut buffer) {
            Ok(size) => Ok(buffer[..size].to_vec()),
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                // The server's port is closed for now; the link thread's
                // timers decide whether it comes back in time.
                log::debug!("UDP: {error}");
                continue;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted || is_timeout(&error) => {
                continue;
            }
            Err(error) => Err(error),
        };
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let failed = received.is_err();
        if datagrams.send(received).is_err() || failed {
            return;
        }
    }
}

/// What the link thread owns besides its [`LinkState`].
struct LinkThread {
    /// For sending `ACK`, `KEEP` and resends, and for stopping the receiver.
    socket: UdpSocket,
    shared: Arc<UdpShared>,
    /// From the receiver thread; disconnected when it stops.
    datagrams: Receiver<io::Result<Vec<u8>>>,
    /// From `send`: a line was added to the window.
    kicks: Receiver<()>,
    events: Sender<Event>,
}

impl LinkThread {
    /// The link thread: runs the session, then stops and joins the receiver
    /// and hands on the last event.
    fn run(self, state: LinkState, receiver: JoinHandle<()>) {
        let ending = self.run_session(state);
        stop_receiving(&self.socket, &self.shared);
        let _ = receiver.join();
        self.shared.send.lock().ended = true;
        self.shared.room.notify_all();
        let _ = self.events.send(Event::Closed(ending));
    }

    /// Returns why the session ended (`None`: closed by either end).
    fn run_session(&self, mut state: LinkState) -> Option<String> {
        loop {
            let now = Instant::now();
            let tick = state.tick(&mut self.shared.send.lock(), now);
            if tick.lost.is_some() {
                return tick.lost;
            }
            tick.resend.iter().for_each(|datagram| self.send(datagram));
            if let Some(keep) = tick.keep {
                self.send(&keep);
            }
            let wait = tick.next.saturating_duration_since(Instant::now());
            select! {
                recv(self.datagrams) -> received => match received {
                    Ok(Ok(bytes)) => {
                        if self.on_datagram(&mut state, &bytes) {
                            return None;
                        }
                    }
                    Ok(Err(error)) => return Some(error.to_string()),
                    Err(_) => return None,
                },
                recv(self.kicks) -> kick => {
                    if kick.is_err() {
                        return None;
                    }
                }
                default(wait) => {}
            }
        }
    }

    /// Handles one datagram; `true` when the server closed the session.
    fn on_datagram(&self, state: &mut LinkState, bytes: &[u8]) -> bool {
        let now = Instant::now();
        match state.on_datagram(bytes, now) {
            Received::Ignored => {}
            Received::Data { ack, events } => {
                if let Some(ack) = ack {
                    self.send(&ack);
                    state.sent(now);
                }
                for event in events {
                    // Nobody listening means the connection is being
                    // dropped; stopping follows.
                    let _ = self.events.send(event);
                }
            }
            Received::Ack { cum, seq } => {
                if self.shared.send.lock().outgoing.on_ack(cum, seq, now) > 0 {
                    self.shared.room.notify_all();
                }
            }
            Received::Closed => return true,
        }
        false
    }

    /// Sends one datagram; a failure is logged, since the timers resend
    /// what matters.
    fn send(&self, datagram: &[u8]) {
        if let Err(error) = self.socket.send(datagram) {
            log::debug!("UDP send failed: {error}");
        }
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
