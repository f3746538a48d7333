//! The `udp-recv` thread: the one reader of the server's UDP socket.
//!
//! It answers `OPEN` with a token, starts a session (through the admission
//! thread, like an accepted TCP connection) once the client's first
//! datagram carrying that token proves the client can receive at its
//! address, and hands every later datagram to its session's [`UdpPeer`].
//! A datagram that does not parse, or whose token does not belong to its
//! source address, is ignored. It never blocks on anything but its socket:
//! sessions are handed over with `try_send`, and lines are queued under the
//! peer's own small locks.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::peer::UdpPeer;
use crate::server::accepted::Accepted;
use crate::server::{Shutdown, reachable};
use crate::udp::{Datagram, RECV_BUFFER, Token};

/// How often finished sessions and stale `OPEN`s are swept away.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// An `OPEN` whose token is not used within this long is forgotten.
const PENDING_TTL: Duration = Duration::from_secs(10);
/// `OPEN`s waiting for their token to come back, at most; the oldest goes
/// first, so a flood of forged ones cannot crowd out real clients for long.
const MAX_PENDING: usize = 4096;

/// The running `udp-recv` thread.
pub(crate) struct UdpReceiver {
    wake: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// An `OPEN` answered, its session not yet started.
struct Pending {
    nonce: String,
    token: Token,
    at: Instant,
}

struct Receiver {
    socket: Arc<UdpSocket>,
    /// Where new sessions go; dropped at shutdown, so the admission thread
    /// can finish, after which new sessions are refused.
    admit: Option<Sender<Accepted>>,
    shutdown: Shutdown,
    pending: HashMap<SocketAddr, Pending>,
    /// `pending`'s addresses, oldest first (with stale duplicates, skipped).
    pending_order: VecDeque<(SocketAddr, Instant)>,
    peers: HashMap<Token, Arc<UdpPeer>>,
}

impl UdpReceiver {
    /// Starts serving `socket`, handing new sessions to `admit` until
    /// `shutdown` (whose trigger wakes this thread).
    pub(crate) fn start(
        socket: UdpSocket,
        admit: Sender<Accepted>,
        shutdown: Shutdown,
    ) -> io::Result<UdpReceiver> {
        socket.set_read_timeout(Some(SWEEP_EVERY))?;
        let wake = reachable(socket.local_addr()?);
        let stop = Arc::new(AtomicBool::new(false));
        let receiver = Receiver {
            socket: Arc::new(socket),
            admit: Some(admit),
            shutdown,
            pending: HashMap::new(),
            pending_order: VecDeque::new(),
            peers: HashMap::new(),
        };
        let flag = stop.clone();
        let thread = thread::Builder::new()
            .name("udp-recv".into())
            .spawn(move || receiver.run(&flag))?;
        Ok(UdpReceiver { wake, stop, thread })
    }

    /// Stops the thread (once every session has ended) and joins it.
    pub(crate) fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        // An empty datagram wakes the thread from `recv_from` at once.
        if let Ok(socket) = UdpSocket::bind((self.wake.ip(), 0)) {
            let _ = socket.send_to(&[], self.wake);
        }
        let _ = self.thread.join();
    }
}

impl Receiver {
    fn run(mut self, stop: &AtomicBool) {
        let mut buf = vec![0u8; RECV_BUFFER];
        let mut swept = Instant::now();
        loop {
            let received = self.socket.recv_from(&mut buf);
            if stop.load(Ordering::SeqCst) {
                return;
            }
            if self.admit.is_some() && self.shutdown.is_triggered() {
                self.admit = None;
            }
            let now = Instant::now();
            if now.duration_since(swept) >= SWEEP_EVERY {
                self.sweep(now);
                swept = now;
            }
            match received {
                Ok((len, from)) => self.handle(&buf[..len], from, now),
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(error) => log::debug!("UDP receive failed: {error}"),
            }
        }
    }

    fn handle(&mut self, bytes: &[u8], from: SocketAddr, now: Instant) {
        let datagram = match Datagram::parse(bytes) {
            Ok(datagram) => datagram,
            Err(error) => {
                log::debug!("{from}: ignored a datagram: {error}");
                return;
            }
        };
        let token = match datagram {
            Datagram::Open { nonce } => return self.open(nonce, from, now),
            Datagram::Token { .. } => return,
            ref other => other.token().expect("every other kind has a token"),
        };
        let peer = match self.peers.get(&token) {
            Some(peer) if peer.addr == from => peer.clone(),
            Some(_) => {
                log::debug!("{from}: ignored a datagram with another address's token");
                return;
            }
            None if matches!(datagram, Datagram::Close { .. }) => {
                // A client that gave up before its session started.
                if self.pending.get(&from).is_some_and(|p| p.token == token) {
                    self.pending.remove(&from);
                }
                return;
            }
            None => match self.start_session(token, from) {
                Some(peer) => peer,
                None => {
                    // A session that ended, or a server that restarted: the
                    // client should reconnect rather than wait.
                    self.send(&Datagram::Close { token }.encode(), from);
                    return;
                }
            },
        };
        match datagram {
            Datagram::Data { seq, line, .. } => peer.on_data(seq, line, now),
            Datagram::Ack { cum, seq, .. } => peer.on_ack(cum, seq, now),
            Datagram::Keep { .. } => peer.on_keep(now),
            Datagram::Close { .. } => {
                log::debug!("{from}: the UDP client closed its session");
                peer.close_input();
            }
            Datagram::Open { .. } | Datagram::Token { .. } => {}
        }
    }

    /// Answers an `OPEN`: the same token for a repeat, else a new one.
    fn open(&mut self, nonce: &str, from: SocketAddr, now: Instant) {
        let token = match self.pending.get(&from) {
            Some(pending) if pending.nonce == nonce => pending.token,
            _ => {
                while self.pending.len() >= MAX_PENDING {
                    self.forget_oldest_pending();
                }
                let token = Token::random();
                let pending = Pending {
                    nonce: nonce.to_owned(),
                    token,
                    at: now,
                };
                self.pending.insert(from, pending);
                self.pending_order.push_back((from, now));
                if self.pending_order.len() > 2 * MAX_PENDING {
                    // Repeated OPENs from one address left stale entries.
                    let pending = &self.pending;
                    self.pending_order
                        .retain(|(addr, at)| pending.get(addr).is_some_and(|p| p.at == *at));
                }
                token
            }
        };
        self.send(&Datagram::Token { nonce, token }.encode(), from);
    }

    /// Starts the session whose token `from` was given, if it was: the
    /// datagram proves the client receives at that address.
    fn start_session(&mut self, token: Token, from: SocketAddr) -> Option<Arc<UdpPeer>> {
        if self.pending.get(&from)?.token != token {
            return None;
        }
        self.pending.remove(&from);
        let peer = Arc::new(UdpPeer::new(self.socket.clone(), from, token));
        let admit = self.admit.as_ref()?;
        if let Err(error) = admit.try_send(Accepted::Udp(peer.clone())) {
            log::warn!("{from}: could not start a UDP session: {error}");
            return None;
        }
        self.peers.insert(token, peer.clone());
        Some(peer)
    }

    /// Drops the oldest answered `OPEN` (O(1) amortised, so a flood of
    /// forged ones costs little).
    fn forget_oldest_pending(&mut self) {
        while let Some((addr, at)) = self.pending_order.pop_front() {
            if self.pending.get(&addr).is_some_and(|p| p.at == at) {
                self.pending.remove(&addr);
                return;
            }
        }
    }

    fn sweep(&mut self, now: Instant) {
        self.peers.retain(|_, peer| !peer.is_finished());
        while let Some(&(addr, at)) = self.pending_order.front()
            && now.duration_since(at) >= PENDING_TTL
        {
            self.pending_order.pop_front();
            if self.pending.get(&addr).is_some_and(|p| p.at == at) {
                self.pending.remove(&addr);
            }
        }
    }

    fn send(&self, datagram: &[u8], to: SocketAddr) {
        if let Err(error) = self.socket.send_to(datagram, to) {
            log::debug!("{to}: UDP send failed: {error}");
        }
    }
}
