//! One UDP client's session state, shared by the `udp-recv` thread (which
//! feeds it datagrams), the session thread (which reads its lines), the
//! writer thread (which numbers, sends and resends lines) and its `Control`.
//!
//! Two small locks, never held across a send: `inbound` (the re-order buffer
//! and when the client was last heard) with `readable` for the session, and
//! `outbound` (the send window) with `progress` for the writer. Every send
//! happens after the lock it was decided under is released.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::udp::{CLIENT_WINDOW, Datagram, Full, Incoming, Offer, Outgoing, SERVER_WINDOW, Token};

/// See the module docs.
pub(crate) struct UdpPeer {
    /// The client's address: datagrams from anywhere else are ignored.
    pub(crate) addr: SocketAddr,
    pub(crate) token: Token,
    socket: Arc<UdpSocket>,
    inbound: Mutex<Inbound>,
    /// Signalled when a line can be read or the input closed.
    readable: Condvar,
    outbound: Mutex<Outgoing>,
    /// Signalled when an acknowledgement made room, or on close.
    progress: Condvar,
    /// The session must stop reading (the client left or was dropped).
    input_closed: AtomicBool,
    /// The writer must stop waiting for acknowledgements (shutdown's force).
    closed: AtomicBool,
    /// The writer has sent `CLOSE`: `udp-recv` forgets the session.
    finished: AtomicBool,
}

struct Inbound {
    lines: Incoming<Box<[u8]>>,
    last_heard: Instant,
}

/// What the session's read found.
pub(crate) enum Read {
    Line(Box<[u8]>),
    /// The session is over: the client left, was dropped or went silent.
    Closed,
    /// The read deadline passed.
    TimedOut,
}

impl UdpPeer {
    pub(crate) fn new(socket: Arc<UdpSocket>, addr: SocketAddr, token: Token) -> UdpPeer {
        UdpPeer {
            addr,
            token,
            socket,
            inbound: Mutex::new(Inbound {
                lines: Incoming::new(CLIENT_WINDOW),
                last_heard: Instant::now(),
            }),
            readable: Condvar::new(),
            outbound: Mutex::new(Outgoing::new(token, SERVER_WINDOW)),
            progress: Condvar::new(),
            input_closed: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        }
    }

    /// Sends one datagram to the client. A failed send is a lost datagram,
    /// which the protocol already survives.
    pub(crate) fn send(&self, datagram: &[u8]) {
        if let Err(error) = self.socket.send_to(datagram, self.addr) {
            log::debug!("{}: UDP send failed: {error}", self.addr);
        }
    }

    /// `udp-recv`: a `DATA` datagram from the client. Acknowledges it unless
    /// it is too far ahead of what the session has read.
    pub(crate) fn on_data(&self, seq: u64, line: &[u8], now: Instant) {
        let (offer, cum) = {
            let mut inbound = self.inbound.lock();
            inbound.last_heard = now;
            let offer = inbound.lines.offer(seq, line.into());
            (offer, inbound.lines.cum())
        };
        if offer == Offer::New {
            self.readable.notify_one();
        }
        if offer != Offer::OutOfWindow {
            self.send(&self.ack(cum, Some(seq)));
        }
    }

    /// `udp-recv`: an `ACK` from the client.
    pub(crate) fn on_ack(&self, cum: u64, seq: Option<u64>, now: Instant) {
        self.heard(now);
        let newly = self.outbound.lock().on_ack(cum, seq, now);
        if newly > 0 {
            self.progress.notify_one();
        }
    }

    /// `udp-recv`: a `KEEP`, answered with the cumulative `ACK`.
    pub(crate) fn on_keep(&self, now: Instant) {
        let cum = {
            let mut inbound = self.inbound.lock();
            inbound.last_heard = now;
            inbound.lines.cum()
        };
        self.send(&self.ack(cum, None));
    }

    fn heard(&self, now: Instant) {
        self.inbound.lock().last_heard = now;
    }

    fn ack(&self, cum: u64, seq: Option<u64>) -> Vec<u8> {
        Datagram::Ack {
            token: self.token,
            cum,
            seq,
        }
        .encode()
    }

    /// The session thread: the next line, waiting until `deadline` at most.
    /// A client heard from not once in `idle` is gone.
    pub(crate) fn read(&self, deadline: Option<Instant>, idle: Duration) -> Read {
        let mut inbound = self.inbound.lock();
        loop {
            if let Some(line) = inbound.lines.pop() {
                return Read::Line(line);
            }
            if self.input_closed.load(Ordering::SeqCst) {
                return Read::Closed;
            }
            let now = Instant::now();
            let silent_until = inbound.last_heard + idle;
            if now >= silent_until {
                log::info!("{}: silent for {idle:?}", self.addr);
                return Read::Closed;
            }
            if deadline.is_some_and(|deadline| now >= deadline) {
                return Read::TimedOut;
            }
            let wake = deadline.map_or(silent_until, |d| d.min(silent_until));
            self.readable.wait_until(&mut inbound, wake);
        }
    }

    /// The writer: numbers `line`, keeps it and sends it. `Err(Full)` when the
    /// window is full.
    pub(crate) fn push(&self, line: &[u8]) -> Result<(), Full> {
        let datagram = self.outbound.lock().push(line, Instant::now())?;
        self.send(&datagram);
        Ok(())
    }

    /// The writer: sends again what is due. Returns when the oldest
    /// unacknowledged line was first sent, if any is.
    pub(crate) fn resend_due(&self) -> Option<Instant> {
        let (due, oldest) = {
            let mut outbound = self.outbound.lock();
            (outbound.due(Instant::now()), outbound.oldest_unacked())
        };
        for datagram in due {
            self.send(&datagram);
        }
        oldest
    }

    /// When the writer next has something to resend.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.outbound.lock().next_due()
    }

    /// The writer: waits for an acknowledgement that makes room in a full
    /// window, until the next resend or `until` at most. Returns whether
    /// there is room.
    pub(crate) fn wait_for_room(&self, until: Instant) -> bool {
        self.wait_for(until, |outbound| !outbound.is_full())
    }

    /// The writer: waits for every line to be acknowledged, until the next
    /// resend or `until` at most. Returns whether they all are.
    pub(crate) fn wait_for_all_acknowledged(&self, until: Instant) -> bool {
        self.wait_for(until, Outgoing::is_empty)
    }

    fn wait_for(&self, until: Instant, done: impl Fn(&Outgoing) -> bool) -> bool {
        let mut outbound = self.outbound.lock();
        if done(&outbound) || self.is_closed() {
            return done(&outbound);
        }
        let wake = outbound.next_due().map_or(until, |due| due.min(until));
        self.progress.wait_until(&mut outbound, wake);
        done(&outbound)
    }

    /// The session reads no more: it sees the end of its input.
    pub(crate) fn close_input(&self) {
        self.input_closed.store(true, Ordering::SeqCst);
        // Taking each lock orders the flag before a waiter's next check.
        drop(self.inbound.lock());
        self.readable.notify_all();
        drop(self.outbound.lock());
        self.progress.notify_all();
    }

    /// Ends the session both ways: the writer stops waiting for
    /// acknowledgements too.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.close_input();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// The writer is done: tells the client and lets `udp-recv` forget it.
    pub(crate) fn finish(&self) {
        self.send(&Datagram::Close { token: self.token }.encode());
        self.finished.store(true, Ordering::SeqCst);
        self.close_input();
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }
}
