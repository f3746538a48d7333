//! The client side of a chat connection, shared by `chat-client` and the 3PC
//! processes.
//!
//! [`Connection::connect`] opens the socket and starts one named reader thread that
//! turns server lines into [`Event`]s on a channel; the owner writes with
//! [`Connection::send`]. [`Connection::register`] performs the handshake
//! (`HELLO`, name, `WELCOME`). Dropping the connection shuts the socket down and
//! joins the reader thread.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::protocol::{ErrorCode, Frame, LineReader, MAX_SERVER_LINE, ParseError, ServerLine};

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
}

/// An open connection to a chat server. See the module docs.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    events: Receiver<Event>,
    reader: Option<JoinHandle<()>>,
    peer: SocketAddr,
}

impl Connection {
    /// Connects to `host:port`, trying every address the name resolves to, each
    /// for at most `timeout`.
    pub fn connect(host: &str, port: u16, timeout: Duration) -> Result<Connection, ConnError> {
        let addr_text = format!("{host}:{port}");
        let connect_error = |source| ConnError::Connect {
            addr: addr_text.clone(),
            source,
        };
        let addrs = (host, port).to_socket_addrs().map_err(connect_error)?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolved to no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => return Connection::from_stream(stream).map_err(connect_error),
                Err(e) => last = e,
            }
        }
        Err(connect_error(last))
    }

    /// Wraps an already connected stream and starts its reader thread.
    pub fn from_stream(stream: TcpStream) -> io::Result<Connection> {
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        let read_half = stream.try_clone()?;
        let (tx, events) = crossbeam_channel::unbounded();
        let reader = thread::Builder::new()
            .name(format!("conn-read-{}", peer.port()))
            .spawn(move || read_loop(read_half, tx))?;
        Ok(Connection {
            stream,
            events,
            reader: Some(reader),
            peer,
        })
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

    /// Sends one line; the LF is added here. The caller keeps control characters
    /// and LFs out of `line`.
    pub fn send(&mut self, line: &str) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.stream.write_all(&bytes)
    }

    /// Waits for `HELLO`, asks for `name` and waits for `WELCOME`. Lines that come
    /// before `WELCOME` other than `HELLO` are skipped; the online list and
    /// history that follow `WELCOME` stay on the channel for the caller.
    /// Returns the name as the server spelled it and the number online.
    pub fn register(&mut self, name: &str, timeout: Duration) -> Result<(String, u64), ConnError> {
        let deadline = Instant::now() + timeout;
        self.send(&format!("/name {name}"))?;
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

    /// Shuts the socket down and waits for the reader thread.
    pub fn close(mut self) {
        self.shutdown_and_join();
    }

    fn shutdown_and_join(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
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
fn read_loop(stream: TcpStream, tx: Sender<Event>) {
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

fn malformed(line: String, error: ParseError) -> Event {
    Event::Malformed {
        line,
        error: error.to_string(),
    }
}
