//! The room over UDP (`chat-server --udp`): the same sessions as TCP, with
//! the reliability of `src/udp/` between the socket and the session.
//!
//! Threads: one `udp-recv` thread reads the UDP socket for every client
//! ([`listener`]); each client then has a session thread and a writer thread
//! like a TCP one, the session reading lines from its [`peer::UdpPeer`]
//! ([`UdpInput`]) and the writer sending through it ([`writer`]). The
//! protocol is in `docs/protocol.md` ("UDP").

pub(crate) mod listener;
pub(crate) mod peer;
pub(crate) mod writer;

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::protocol::Frame;
use peer::{Read, UdpPeer};

/// What a UDP client's session thread reads from: its peer's lines, in order.
pub(crate) struct UdpInput {
    peer: Arc<UdpPeer>,
    deadline: Option<Instant>,
    /// A client heard from not once in this long is gone.
    idle: Duration,
    /// The longest line, LF included (as for TCP; a datagram needs no LF).
    max_line: usize,
}

impl UdpInput {
    pub(crate) fn new(peer: Arc<UdpPeer>, idle: Duration, max_line: usize) -> UdpInput {
        UdpInput {
            peer,
            deadline: None,
            idle,
            max_line,
        }
    }

    /// The next frame; `Ok(None)` when the session is over; an error of
    /// kind `TimedOut` after the read timeout.
    pub(crate) fn read_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            match self.peer.read(self.deadline, self.idle) {
                Read::Line(bytes) => {
                    if let Some(frame) = Frame::from_datagram(&bytes, self.max_line - 1) {
                        return Ok(Some(frame));
                    }
                }
                Read::Closed => return Ok(None),
                Read::TimedOut => return Err(io::ErrorKind::TimedOut.into()),
            }
        }
    }

    pub(crate) fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.deadline = timeout.map(|timeout| Instant::now() + timeout);
    }

    pub(crate) fn max_line(&self) -> usize {
        self.max_line
    }
}
