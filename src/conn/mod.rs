//! The client side of a chat connection, shared by `chat-client` and the 3PC
//! processes.
//!
//! [`Connection::connect`] opens the socket and starts one named reader thread that
//! turns server lines into [`Event`]s on a channel; the owner writes with
//! [`Connection::send`]. [`Connection::register`] performs the handshake
//! (`HELLO`, name, `WELCOME`), [`Connection::login`] the same with an
//! account's password. Dropping the connection shuts the socket down and joins
//! the reader thread.
//!
//! [`Connection::connect_tls`] does the same over TLS: the handshake (and the
//! server's certificate check, see [`crate::tls::client`]) completes on the
//! caller's thread before the reader thread starts; then the connection is
//! split with [`TlsLink`], the reader thread holding the read half and
//! [`Connection::send`] the write half.
//!
//! [`Connection::connect_udp`] does the same over UDP (`docs/protocol.md`,
//! "UDP"): the session is opened on the caller's thread, then a receiver
//! thread takes datagrams and a link thread acknowledges, re-orders, resends
//! and keeps alive (`src/conn/udp.rs`, with the pure part in
//! `src/conn/udp_state.rs`). The events and the rest of the surface are the
//! same as over TCP.
//!
//! [`secure`] says where to connect and how to trust the server and log in
//! ([`secure::Endpoint`], [`secure::Credentials`]); [`flags`] are the command
//! line flags that set them up.

pub mod flags;
mod handshake;
pub mod secure;
mod udp;
mod udp_state;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rustls::pki_types::ServerName;

use crate::protocol::is_loopback;
use crate::protocol::{ErrorCode, Frame, LineReader, MAX_SERVER_LINE, ParseError, ServerLine};
use crate::tls::client::ClientTls;
use crate::tls::{TlsLink, TlsWriteHalf};
use handshake::handshake_error;

/// Something that happened on the connection, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A server line.
    Line(ServerLine),
    /// A line that could not be read; the connection goes on.
    Malformed {
        /// The line as received (lossy), or a description of the framing error.
        line: String,
        /// Why it was refused.
        error: String,
    },
    /// The connection ended: `None` when the server closed it, otherwise the error.
    /// Always the last event.
    Closed(Option<String>),
}

/// Why connecting or registering failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// No address could be reached.
    #[error("could not connect to {addr}: {source}")]
    Connect {
        /// The host and port that were tried.
        addr: String,
        /// The last error seen.
        source: io::Error,
    },
    /// The server refused the name; the connection is still usable.
    #[error("the server refused the name: {text}")]
    Refused {
        /// The `ERROR` code (`name-taken`, `name-invalid`, `name-not-allowed`, ...).
        code: ErrorCode,
        /// The server's explanation.
        text: String,
    },
    /// The server closed the connection (its `BYE` reason, if any).
    #[error("the server closed the connection{}", .0.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Closed(Option<String>),
    /// The server did not answer in time.
    #[error("the server did not answer within {0:?}")]
    Timeout(Duration),
    /// Writing to the socket failed.
    #[error("connection error: {0}")]
    Io(#[from] io::Error),
    /// The TLS handshake failed for a reason other than trust.
    #[error("TLS with {addr} failed: {reason}")]
    Tls {
        /// The host and port.
        addr: String,
        /// What went wrong.
        reason: String,
    },
    /// The server's certificate does not chain to a trusted root or does not
    /// name the host.
    #[error(
        "the server at {addr} is not trusted: {reason}. If it uses a self-signed certificate, pass --tls-fingerprint (chat-server prints it at start) or --tls-tofu"
    )]
    Untrusted {
        /// The host and port.
        addr: String,
        /// rustls's reason.
        reason: String,
    },
    /// The certificate's fingerprint is not the pinned one.
    #[error(
        "the server at {addr} presented certificate {presented}, not the pinned {expected}: refusing to connect (someone may be intercepting the connection)"
    )]
    FingerprintMismatch {
        /// The host and port.
        addr: String,
        /// The pinned fingerprint.
        expected: String,
        /// The one presented.
        presented: String,
    },
    /// Trust on first use: the server is not in `known_servers` yet.
    #[error("the server at {addr} is not known yet; its certificate fingerprint is {fingerprint}")]
    UnknownServer {
        /// The host and port.
        addr: String,
        /// The fingerprint presented.
        fingerprint: String,
    },
    /// Trust on first use: the server's certificate changed since it was
    /// remembered.
    #[error("WARNING: THE SERVER'S CERTIFICATE HAS CHANGED. {addr} presented {presented}, but {} remembers {remembered}. Someone may be intercepting the connection; refusing to connect. If the operator really changed the certificate, remove its line from that file.", file.display())]
    ServerChanged {
        /// The host and port.
        addr: String,
        /// The fingerprint remembered.
        remembered: String,
        /// The one presented.
        presented: String,
        /// The `known_servers` file.
        file: std::path::PathBuf,
    },
    /// A password would have crossed the network in clear: refused before
    /// sending.
    #[error("refusing to send a password over a plain connection to {0}; connect with --tls")]
    InsecureLogin(String),
}

/// An open connection to a chat server. See the module docs.
#[derive(Debug)]
pub struct Connection {
    /// Where [`Connection::send`] writes, and what stopping shuts down.
    link: Wire,
    events: Receiver<Event>,
    /// The reader thread (TCP) or link thread (UDP).
    reader: Option<JoinHandle<()>>,
    peer: SocketAddr,
}

/// How a connection's lines travel.
enum Wire {
    /// Plain TCP: written here; the reader thread holds a clone.
    Plain(TcpStream),
    /// TLS: the socket, for shutting it down, and the write half.
    Tls {
        stream: TcpStream,
        output: TlsWriteHalf,
    },
    /// UDP: the send half of the session; the link thread receives.
    Udp(udp::UdpLink),
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Wire::Plain(_) => "Plain",
            Wire::Tls { .. } => "Tls",
            Wire::Udp(_) => "Udp",
        })
    }
}

impl Connection {
    /// Connects to `host:port`, trying every address the name resolves to, each
    /// for at most `timeout`.
    pub fn connect(host: &str, port: u16, timeout: Duration) -> Result<Connection, ConnError> {
        let stream = connect_tcp(host, port, timeout)?;
        Connection::from_stream(stream).map_err(|source| ConnError::Connect {
            addr: format!("{host}:{port}"),
            source,
        })
    }

    /// Connects to `host:port` over TLS set up by `tls` (made for this host and
    /// port), the handshake included, each step within `timeout`.
    pub fn connect_tls(
        host: &str,
        port: u16,
        timeout: Duration,
        tls: &ClientTls,
    ) -> Result<Connection, ConnError> {
        let addr = format!("{host}:{port}");
        let mut stream = connect_tcp(host, port, timeout)?;
        let io_error = |source| ConnError::Connect {
            addr: addr.clone(),
            source,
        };
        let name = ServerName::try_from(host.to_owned()).map_err(|error| ConnError::Tls {
            addr: addr.clone(),
            reason: format!("{host} is not a valid server name: {error}"),
        })?;
        let mut tls_conn =
            rustls::ClientConnection::new(tls.config.clone(), name).map_err(|error| {
                ConnError::Tls {
                    addr: addr.clone(),
                    reason: error.to_string(),
                }
            })?;
        stream.set_nodelay(true).map_err(io_error)?;
        stream.set_read_timeout(Some(timeout)).map_err(io_error)?;
        stream.set_write_timeout(Some(timeout)).map_err(io_error)?;
        while tls_conn.is_handshaking() {
            if let Err(error) = tls_conn.complete_io(&mut stream) {
                return Err(handshake_error(&addr, tls, error, timeout));
            }
        }
        stream.set_read_timeout(None).map_err(io_error)?;
        stream.set_write_timeout(None).map_err(io_error)?;
        let (read_half, write_half) = TlsLink::split(tls_conn, &stream, None).map_err(io_error)?;
        let peer = stream.peer_addr().map_err(io_error)?;
        let link = Wire::Tls {
            stream,
            output: write_half,
        };
        Connection::start(link, peer, read_half).map_err(io_error)
    }

    /// Opens a UDP session with `host:port` (the server must run with
    /// `--udp`), trying every address the name resolves to, within `timeout`
    /// in all. See the module docs for what happens then.
    pub fn connect_udp(host: &str, port: u16, timeout: Duration) -> Result<Connection, ConnError> {
        let opened = udp::connect(host, port, timeout)?;
        Ok(Connection {
            link: Wire::Udp(opened.link),
            events: opened.events,
            reader: Some(opened.thread),
            peer: opened.peer,
        })
    }

    /// Wraps an already connected stream and starts its reader thread.
    pub fn from_stream(stream: TcpStream) -> io::Result<Connection> {
        stream.set_nodelay(true)?;
        let read_half = stream.try_clone()?;
        let peer = stream.peer_addr()?;
        Connection::start(Wire::Plain(stream), peer, read_half)
    }

    fn start(
        link: Wire,
        peer: SocketAddr,
        read_half: impl Read + Send + 'static,
    ) -> io::Result<Connection> {
        let (tx, events) = crossbeam_channel::unbounded();
        let reader = thread::Builder::new()
            .name(format!("conn-read-{}", peer.port()))
            .spawn(move || read_loop(read_half, tx))?;
        Ok(Connection {
            link,
            events,
            reader: Some(reader),
            peer,
        })
    }

    /// Whether lines travel encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self.link, Wire::Tls { .. })
    }

    /// Whether lines travel over UDP.
    pub fn is_udp(&self) -> bool {
        matches!(self.link, Wire::Udp(_))
    }

    /// The server's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The events from the server, for use in `select!`.
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// The next event, waiting until `deadline` at most.
    pub fn recv_until(&self, deadline: Instant) -> Option<Event> {
        match self.events.recv_deadline(deadline) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Event::Closed(None)),
        }
    }

    /// Sends one line; the LF is added here (over TCP). The caller keeps
    /// control characters and LFs out of `line`. Over UDP a line longer than
    /// [`crate::udp::MAX_DATAGRAM_LINE`] is refused with
    /// [`io::ErrorKind::InvalidInput`] and not sent, and a full send window
    /// makes this wait, for [`crate::udp::GIVE_UP`] at most.
    pub fn send(&mut self, line: &str) -> io::Result<()> {
        let with_lf = || {
            let mut bytes = Vec::with_capacity(line.len() + 1);
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
            bytes
        };
        match &mut self.link {
            Wire::Plain(stream) => stream.write_all(&with_lf()),
            Wire::Tls { output, .. } => output.send(&with_lf()),
            Wire::Udp(link) => link.send(line.as_bytes()),
        }
    }

    /// Waits for `HELLO`, asks for `name` and waits for `WELCOME`. Lines that come
    /// before `WELCOME` other than `HELLO` are skipped; the online list and
    /// history that follow `WELCOME` stay on the channel for the caller.
    /// Returns the name as the server spelled it and the number online.
    pub fn register(&mut self, name: &str, timeout: Duration) -> Result<(String, u64), ConnError> {
        self.send(&format!("/name {name}"))?;
        self.await_welcome(timeout)
    }

    /// Like [`Connection::register`], with an account's password (`/login`).
    /// Refuses, without sending anything, to send the password in clear to
    /// anything but this machine's loopback address.
    pub fn login(
        &mut self,
        name: &str,
        password: &str,
        timeout: Duration,
    ) -> Result<(String, u64), ConnError> {
        if !self.is_tls() && !is_loopback(self.peer.ip()) {
            return Err(ConnError::InsecureLogin(self.peer.to_string()));
        }
        self.send(&format!("/login {name} {password}"))?;
        self.await_welcome(timeout)
    }

    fn await_welcome(&self, timeout: Duration) -> Result<(String, u64), ConnError> {
        let deadline = Instant::now() + timeout;
        loop {
            let Some(event) = self.recv_until(deadline) else {
                return Err(ConnError::Timeout(timeout));
            };
            match event {
                Event::Line(ServerLine::Welcome { name, online, .. }) => return Ok((name, online)),
                Event::Line(ServerLine::Error { code, text }) => {
                    return Err(ConnError::Refused { code, text });
                }
                Event::Line(ServerLine::Bye { reason }) => {
                    return Err(ConnError::Closed(Some(reason)));
                }
                Event::Closed(reason) => return Err(ConnError::Closed(reason)),
                _ => continue,
            }
        }
    }

    /// Shuts the socket down (over UDP: sends `CLOSE`) and waits for the
    /// reader or link thread.
    pub fn close(mut self) {
        self.shutdown_and_join();
    }

    fn shutdown_and_join(&mut self) {
        match &mut self.link {
            Wire::Plain(stream) => {
                let _ = stream.shutdown(Shutdown::Both);
            }
            Wire::Tls { stream, output } => {
                output.set_write_timeout(Some(Duration::from_secs(1))).ok();
                output.finish();
                let _ = stream.shutdown(Shutdown::Both);
            }
            Wire::Udp(link) => link.stop(),
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.shutdown_and_join();
    }
}

/// The reader thread: frames, parses and forwards until the socket ends or
/// nobody listens any more.
fn read_loop(stream: impl Read, tx: Sender<Event>) {
    let mut reader = LineReader::new(stream, MAX_SERVER_LINE);
    loop {
        let event = match reader.read_frame() {
            Ok(Some(Frame::Line(line))) => match ServerLine::parse(&line) {
                Ok(parsed) => Event::Line(parsed),
                Err(error) => malformed(line, error),
            },
            Ok(Some(other)) => Event::Malformed {
                line: String::new(),
                error: format!("{other:?}"),
            },
            Ok(None) => {
                let _ = tx.send(Event::Closed(None));
                return;
            }
            Err(e) => {
                let _ = tx.send(Event::Closed(Some(e.to_string())));
                return;
            }
        };
        if tx.send(event).is_err() {
            return;
        }
    }
}

/// Opens a TCP connection to `host:port`, trying each address.
fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, ConnError> {
    let addr_text = format!("{host}:{port}");
    let connect_error = |source| ConnError::Connect {
        addr: addr_text.clone(),
        source,
    };
    let addrs = (host, port).to_socket_addrs().map_err(connect_error)?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolved to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(connect_error(last))
}

fn malformed(line: String, error: ParseError) -> Event {
    Event::Malformed {
        line,
        error: error.to_string(),
    }
}
