//! A raw UDP client for tests: every datagram under the test's control.
//!
//! It opens a session, then numbers the lines it sends (sending each once:
//! on loopback nothing is lost unless a test loses it on purpose) and reads
//! the server's lines through the crate's re-order buffer, acknowledging
//! each `DATA` unless told not to. Every wait has a deadline.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use chatroom::udp::{Datagram, Incoming, Offer, SERVER_WINDOW, Token};

use crate::support::LINE_DEADLINE;

pub struct RawUdp {
    pub socket: UdpSocket,
    pub token: Token,
    next_seq: u64,
    incoming: Incoming<String>,
    /// Acknowledge the server's `DATA` (a slow reader does not).
    pub acking: bool,
    /// Set once the server sent `CLOSE` with our token.
    pub closed: bool,
}

impl RawUdp {
    /// Opens a session with `server` and reads `HELLO`.
    pub fn connect(server: SocketAddr) -> RawUdp {
        let mut client = RawUdp::open(server);
        client.expect("HELLO chatroom 2 :");
        client
    }

    /// Opens a session: `OPEN`, `TOKEN`, then a `KEEP` proving the address
    /// (the server answers it with an `ACK`).
    pub fn open(server: SocketAddr) -> RawUdp {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket.connect(server).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let deadline = Instant::now() + LINE_DEADLINE;
        let token = loop {
            assert!(Instant::now() < deadline, "no TOKEN");
            socket.send(b"OPEN t3st").unwrap();
            if let Some(bytes) = recv(&socket)
                && let Ok(Datagram::Token { nonce, token }) = Datagram::parse(&bytes)
            {
                assert_eq!(nonce, "t3st");
                break token;
            }
        };
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let client = RawUdp {
            socket,
            token,
            next_seq: 1,
            incoming: Incoming::new(SERVER_WINDOW),
            acking: true,
            closed: false,
        };
        client.send_datagram(&Datagram::Keep { token }.encode());
        client
    }

    /// A session registered as `name`, with its welcome block read.
    pub fn join(server: SocketAddr, name: &str) -> RawUdp {
        let mut client = RawUdp::connect(server);
        client.send(name);
        client.expect(&format!("WELCOME {name} "));
        client.until("USERS-END ");
        client.until("HISTORY-END ");
        client
    }

    pub fn send_datagram(&self, bytes: &[u8]) {
        self.socket.send(bytes).expect("send");
    }

    /// Sends `line` as the next `DATA`.
    pub fn send(&mut self, line: &str) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let data = Datagram::Data {
            token: self.token,
            seq,
            line: line.as_bytes(),
        };
        self.send_datagram(&data.encode());
    }

    /// The next line from the server, `None` once it sent `CLOSE`, or after
    /// `deadline`.
    pub fn line_until(&mut self, deadline: Instant) -> Option<String> {
        loop {
            if let Some(line) = self.incoming.pop() {
                return Some(line);
            }
            if self.closed || Instant::now() >= deadline {
                return None;
            }
            let Some(bytes) = recv(&self.socket) else {
                continue;
            };
            match Datagram::parse(&bytes) {
                Ok(Datagram::Data { token, seq, line }) if token == self.token => {
                    let line = String::from_utf8(line.to_vec()).expect("UTF-8 from the server");
                    let offer = self.incoming.offer(seq, line);
                    if self.acking && offer != Offer::OutOfWindow {
                        let ack = Datagram::Ack {
                            token,
                            cum: self.incoming.cum(),
                            seq: Some(seq),
                        };
                        self.send_datagram(&ack.encode());
                    }
                }
                Ok(Datagram::Close { token }) if token == self.token => self.closed = true,
                _ => {}
            }
        }
    }

    /// The next line; fails the test after the deadline or on `CLOSE`.
    pub fn line(&mut self) -> String {
        self.line_until(Instant::now() + LINE_DEADLINE)
            .unwrap_or_else(|| panic!("no line within {LINE_DEADLINE:?} (closed: {})", self.closed))
    }

    /// The next line, which must start with `prefix`.
    pub fn expect(&mut self, prefix: &str) -> String {
        let line = self.line();
        assert!(
            line.starts_with(prefix),
            "expected {prefix:?}, got {line:?}"
        );
        line
    }

    /// Skips lines until one starts with `prefix`.
    pub fn until(&mut self, prefix: &str) -> String {
        loop {
            let line = self.line();
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// Reads lines until the server sends `CLOSE`; returns them.
    pub fn rest(&mut self) -> Vec<String> {
        let deadline = Instant::now() + LINE_DEADLINE;
        let mut lines = Vec::new();
        while let Some(line) = self.line_until(deadline) {
            lines.push(line);
        }
        assert!(self.closed, "no CLOSE within {LINE_DEADLINE:?}");
        lines
    }
}

/// One datagram, or `None` after the socket's short read timeout.
pub fn recv(socket: &UdpSocket) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 65_536];
    match socket.recv(&mut buf) {
        Ok(len) => Some(buf[..len].to_vec()),
        Err(_) => None,
    }
}
