//! The UDP link under a [`super::Connection`]: opening a session, the link
//! thread, sending, stopping. What the datagrams mean is in
//! [`super::udp_state`] (pure); this file only owns the socket, the clock
//! and the thread.
//!
//! - **Opening**, on the caller's thread: `OPEN <nonce>` every 500 ms until
//!   `TOKEN` with that nonce answers, then `KEEP <token>`, which starts the
//!   session on the server (it then sends `HELLO` as `DATA 1`).
//! - **Receiving**: one named thread, `conn-udp-<local port>`, reads every
//!   datagram, acknowledges `DATA`, hands server lines on as [`Event`]s in
//!   order, applies `ACK`s to the send window, resends and keeps alive on
//!   time, and gives the session up when the server stops answering. Its
//!   last event is always [`Event::Closed`].
//! - **Sending**: [`UdpLink::send`] numbers the line in the shared window
//!   (waiting while it is full), then sends the datagram itself.
//! - **Stopping**: [`UdpLink::stop`] sends `CLOSE`, sets the stop flag and
//!   shuts the socket's read side, which makes a blocked `recv` (and every
//!   later one) return at once on Linux, so the thread is joined promptly.
//!
//! The socket is `connect`ed to the server, so the kernel drops datagrams
//! from any other address; the token check in the pure state does the rest.

use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::{Condvar, Mutex};

use super::udp_state::{LinkState, OPEN_RESEND, Received, SendState};
use super::{ConnError, Event};
use crate::udp::datagram::random_nonce;
use crate::udp::{Datagram, GIVE_UP, MAX_DATAGRAM_LINE, RECV_BUFFER, Token};

/// The shortest read timeout the link thread sets (zero is not allowed).
const MIN_WAIT: Duration = Duration::from_millis(1);

/// The sending half of a UDP session, held by the `Connection`.
#[derive(Debug)]
pub struct UdpLink {
    socket: UdpSocket,
    token: Token,
    shared: Arc<Shared>,
}

/// What `send` and the link thread share.
#[derive(Debug)]
struct Shared {
    /// Guards the send window (numbering, acknowledgements, resend times).
    /// Held only to update it: never across a socket call or a channel send.
    send: Mutex<SendState>,
    /// Signalled when acknowledgements make room in the window, or the link
    /// thread ends.
    room: Condvar,
    /// Set by `stop` before it shuts the socket's read side.
    stopping: AtomicBool,
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
    let mut refused = false;
    while Instant::now() < deadline {
        if let Err(error) = socket.send(&open) {
            if error.kind() != io::ErrorKind::ConnectionRefused {
                return Err(error);
            }
            refused = true;
        }
        let resend_at = (Instant::now() + OPEN_RESEND).min(deadline);
        while let Some(wait) = resend_at.checked_duration_since(Instant::now()) {
            socket.set_read_timeout(Some(wait.max(MIN_WAIT)))?;
            let size = match socket.recv(&mut buffer) {
                Ok(size) => size,
                Err(error) if is_timeout(&error) => break,
                Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                    refused = true;
                    continue;
                }
                Err(error) => return Err(error),
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
    let why = if refused {
        "nothing listens on that UDP port: no TOKEN"
    } else {
        "no answer to OPEN"
    };
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "{why} within {:.1} s (the server must run with --udp)",
            timeout.as_secs_f64()
        ),
    ))
}

fn start(socket: UdpSocket, token: Token, peer: SocketAddr) -> io::Result<Opened> {
    let now = Instant::now();
    let shared = Arc::new(Shared {
        send: Mutex::new(SendState::new(token, now)),
        room: Condvar::new(),
        stopping: AtomicBool::new(false),
    });
    let (tx, events) = crossbeam_channel::unbounded();
    let thread_socket = socket.try_clone()?;
    let thread_shared = shared.clone();
    let state = LinkState::new(token, now);
    let thread = thread::Builder::new()
        .name(format!("conn-udp-{}", socket.local_addr()?.port()))
        .spawn(move || {
            let ending = run_link(&thread_socket, &thread_shared, state, &tx);
            thread_shared.send.lock().ended = true;
            thread_shared.room.notify_all();
            let _ = tx.send(Event::Closed(ending));
        })?;
    Ok(Opened {
        link: UdpLink {
            socket,
            token,
            shared,
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
        if let Err(error) = self.socket.send(&datagram) {
            log::debug!("UDP send failed, to be sent again: {error}");
        }
        Ok(())
    }

    /// Ends the session: sends `CLOSE` (best effort) and makes the link
    /// thread stop; the caller joins it.
    pub fn stop(&self) {
        if self.shared.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self
            .socket
            .send(&Datagram::Close { token: self.token }.encode());
        if let Err(error) = socket2::SockRef::from(&self.socket).shutdown(Shutdown::Read) {
            log::debug!("shutting the UDP socket's read side failed: {error}");
        }
    }
}

/// The link thread's loop; returns why the session ended (`None`: closed by
/// either end).
fn run_link(
    socket: &UdpSocket,
    shared: &Shared,
    mut state: LinkState,
    tx: &Sender<Event>,
) -> Option<String> {
    let mut buffer = vec![0u8; RECV_BUFFER];
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return None;
        }
        let now = Instant::now();
        let tick = state.tick(&mut shared.send.lock(), now);
        if tick.lost.is_some() {
            return tick.lost;
        }
        tick.resend
            .iter()
            .for_each(|datagram| send(socket, datagram));
        if let Some(keep) = tick.keep {
            send(socket, &keep);
        }
        let wait = tick.next.saturating_duration_since(Instant::now());
        if let Err(error) = socket.set_read_timeout(Some(wait.max(MIN_WAIT))) {
            return Some(error.to_string());
        }
        let size = match socket.recv(&mut buffer) {
            Ok(size) => size,
            Err(error) if is_timeout(&error) => continue,
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                // The server's port is closed for now; the timers decide
                // whether it comes back in time.
                log::debug!("UDP: {error}");
                continue;
            }
            Err(error) => return Some(error.to_string()),
        };
        if shared.stopping.load(Ordering::SeqCst) {
            return None;
        }
        let now = Instant::now();
        match state.on_datagram(&buffer[..size], now) {
            Received::Ignored => {}
            Received::Data { ack, events } => {
                if let Some(ack) = ack {
                    send(socket, &ack);
                    state.sent(now);
                }
                for event in events {
                    if tx.send(event).is_err() {
                        return None;
                    }
                }
            }
            Received::Ack { cum, seq } => {
                if shared.send.lock().outgoing.on_ack(cum, seq, now) > 0 {
                    shared.room.notify_all();
                }
            }
            Received::Closed => return None,
        }
    }
}

/// Sends one datagram from the link thread; a failure is logged, since the
/// timers resend what matters.
fn send(socket: &UdpSocket, datagram: &[u8]) {
    if let Err(error) = socket.send(datagram) {
        log::debug!("UDP send failed: {error}");
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
