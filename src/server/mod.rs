//! `chat-server`: a classic threaded TCP chat server.
//!
//! Threads, and who owns whom (`docs/architecture.md` has the long form):
//!
//! - one **acceptor thread** per listening socket (`accept-plain`,
//!   `accept-tls`) accepts connections and hands them on;
//! - the **admission thread** (the caller of [`run`], or `chat-server` in
//!   [`Server::start`]) admits them, up to what the machine's limits leave
//!   room for (`capacity.rs`), and owns every session thread and the
//!   acceptors;
//! - per client, a **session thread** (`r-<peer>`) reads and handles its
//!   lines; a TLS or UDP client's session owns its **writer thread**
//!   (`w-<peer>`), which makes every write to its socket that may block, and
//!   a plain client's session is its own writer once it has ended;
//! - the hub's **sequencer thread** (`sequencer`, `hub/sequencer/`) orders
//!   and stores messages, and this module's fanout (`fanout.rs`) hands them
//!   to the hub registry, then sends them itself to the plain sockets that
//!   take them at once;
//! - one **flusher thread** (`flusher`) writes, with `poll(2)`, what plain
//!   sockets did not take at once.
//!
//! Shared state is [`ServerState`]: the configuration and the hub (its
//! registry behind one lock). Every
//! thread is named and joined: a session joins its writer, the accept thread
//! joins finished sessions as it goes and all of them at shutdown, then the
//! sequencer, then the flusher.
//!
//! This module is the process wiring (listeners, admission, transports,
//! queues) and, in `front/`, the fronts: `front/native/` is the native line
//! protocol (sessions, replies, the encoder of hub events). Rooms, names,
//! ordering and storage are the hub's (`src/hub/`).

mod accept;
mod accepted;
mod acceptor;
mod account_lookup;
pub mod accounts;
mod across_nodes;
mod admission;
pub mod capacity;
mod control;
mod data_dir;
mod ending;
mod fanout;
mod flood;
mod front;
mod http_log;
mod login;
mod outbox;
mod presence_keeper;
mod shared_stream;
mod transport;
mod udp;
mod writer;

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::hub::registry::{Hub, Registry};
use crate::hub::store::StoreError;
use crate::protocol::{DEFAULT_HISTORY_REQUEST, DEFAULT_MAX_CLIENT_LINE, DEFAULT_ROOM};
use front::ServerMember;
use login::{CheckSlots, LoginThrottle};
use outbox::{DirectWriter, Waker};

pub use crate::hub::store::sqlite::DATABASE_FILE;
pub use data_dir::{DataDir, LOCK_FILE};
pub use flood::FloodLimit;

/// Where history is kept.
#[derive(Debug, Clone)]
pub enum Storage {
    /// In memory only: lost when the server stops.
    Ephemeral,
    /// In a SQLite database in this directory, whose lock the server holds
    /// while it runs (see [`DataDir`]).
    Durable(DataDir),
    /// In the PostgreSQL database at this URL (`postgres://...`), which
    /// several servers may share; see docs/deployment.md.
    Postgres(String),
}

/// Everything the server can be told. `ServerOptions::default()` is what `chat-server`
/// uses without flags, except that it keeps history in memory only.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where history is kept.
    pub storage: Storage,
    /// Messages of a room replayed to a client when it joins it (and of
    /// the default room when it registers).
    pub history_replay: usize,
    /// The room every client is put in when it registers (a valid room
    /// name: `chat-server` checks it).
    pub default_room: String,
    /// Rooms one client may be in at once, the default room included.
    pub max_rooms: usize,
    /// If set, only these names (any case) may join.
    pub allow_users: Option<Vec<String>>,
    /// Longest client line accepted, in bytes, LF included.
    pub max_line: usize,
    /// Connections open at once, registered or not; more get `BYE :server full`.
    pub max_clients: usize,
    /// Connections open at once from one IP address; 0 is unlimited.
    pub max_per_ip: usize,
    /// How fast one client may send lines.
    pub flood: FloodLimit,
    /// Lines a client's send queue holds before the client is evicted.
    pub send_queue_lines: usize,
    /// Bytes a client's send queue holds before the client is evicted.
    pub send_queue_bytes: usize,
    /// Time a new connection has to choose an accepted name.
    pub registration_timeout: Duration,
    /// Refused names before the connection is closed.
    pub max_name_attempts: u32,
    /// Also print every client frame on stdout as an HTTP-style request.
    pub log_http: bool,
    /// The data directory whose database holds the accounts; `None`: no
    /// accounts (every name is free to take, `/login` always fails). With
    /// [`Storage::Postgres`], the accounts are that database's instead (shared
    /// by every node on it), and this only says that there are accounts.
    pub accounts: Option<PathBuf>,
    /// Admit only accounts: a bare name gets `ERROR login-required`.
    pub require_login: bool,
    /// A UDP client heard from not once in this long is dropped.
    pub udp_idle_timeout: Duration,
    /// The machine's limits the capacity is worked out from; `None` reads
    /// them from the system at start (see `capacity.rs`).
    pub machine_limits: Option<capacity::MachineLimits>,
    /// The server's name to IRC clients: the source of its replies.
    pub server_name: String,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            storage: Storage::Ephemeral,
            history_replay: DEFAULT_HISTORY_REQUEST,
            default_room: DEFAULT_ROOM.to_owned(),
            max_rooms: 64,
            allow_users: None,
            max_line: DEFAULT_MAX_CLIENT_LINE,
            max_clients: 10_000,
            max_per_ip: 16,
            flood: FloodLimit::default(),
            send_queue_lines: 4096,
            send_queue_bytes: 4 << 20,
            registration_timeout: Duration::from_secs(60),
            max_name_attempts: 10,
            log_http: false,
            accounts: None,
            require_login: false,
            udp_idle_timeout: crate::udp::IDLE_TIMEOUT,
            machine_limits: None,
            server_name: crate::protocol::SERVER_NAME.to_owned(),
        }
    }
}

/// Why the server could not start or stopped.
///
/// Each message says its cause once, in its own text, and none has a
/// `source()`: printed as a chain (anyhow's `{:#}`), a cause that was both
/// would appear twice.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data directory could not be created or used.
    #[error("cannot use data directory {}: {cause}; choose a writable --data-dir", path.display())]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What the system said.
        cause: std::io::Error,
    },
    /// Another server holds the data directory's lock (see [`DataDir`]).
    #[error(
        "data directory {} is in use by another chat-server{}; stop it, or choose another --data-dir",
        path.display(),
        holder.as_deref().map(|holder| format!(" ({holder})")).unwrap_or_default()
    )]
    DataDirInUse {
        /// The directory.
        path: PathBuf,
        /// Who holds it, as its lock file says: pid and addresses.
        holder: Option<String>,
    },
    /// The history database could not be opened, read or written.
    #[error("cannot use the history database {}: {cause}; if it is damaged, move it aside (the server starts a new one) or choose another --data-dir", path.display())]
    Database {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        cause: rusqlite::Error,
    },
    /// `--database` is not a PostgreSQL URL.
    #[error(
        "--database is not a PostgreSQL URL ({}); write it as postgres://user:password@host:port/name",
        crate::hub::store::postgres::explain(cause)
    )]
    DatabaseUrl {
        /// What the `postgres` client said.
        cause: postgres::Error,
    },
    /// The PostgreSQL database (`--database`) could not be reached or used.
    #[error(
        "cannot use the PostgreSQL database {database}: {}; check that PostgreSQL is running there and that --database (or CHATROOM_DATABASE) is right",
        crate::hub::store::postgres::explain(cause)
    )]
    Postgres {
        /// The database, as `postgres://user@host:port/name` (no password).
        database: String,
        /// What the `postgres` client said.
        cause: postgres::Error,
    },
    /// A socket or thread operation failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<StoreError> for ServerError {
    fn from(error: StoreError) -> ServerError {
        match error {
            StoreError::Directory { path, cause } => ServerError::DataDir { path, cause },
            StoreError::Database { path, cause } => ServerError::Database { path, cause },
            StoreError::Postgres { database, cause } => ServerError::Postgres { database, cause },
            StoreError::PostgresUrl { cause } => ServerError::DatabaseUrl { cause },
            StoreError::Thread { cause } => ServerError::Io(cause),
        }
    }
}

/// A handle that stops a running server from any thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown {
    inner: Arc<ShutdownInner>,
}

#[derive(Debug)]
struct ShutdownInner {
    requested: AtomicBool,
    /// When [`Shutdown::trigger`] was first called: the shutdown's deadline
    /// counts from here.
    triggered_at: OnceLock<Instant>,
    /// Where to connect to wake each acceptor thread out of `accept`, and
    /// where to send a datagram to wake `udp-recv`. The lock guards only
    /// this list.
    wake: Mutex<Vec<Wake>>,
}

impl Shutdown {
    /// A handle not yet tied to a listener.
    pub fn new() -> Shutdown {
        Shutdown {
            inner: Arc::new(ShutdownInner {
                requested: AtomicBool::new(false),
                triggered_at: OnceLock::new(),
                wake: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Asks the server to stop: it stops accepting, sends `BYE` to everyone,
    /// finishes storing history and returns from [`run`].
    pub fn trigger(&self) {
        self.inner.triggered_at.get_or_init(Instant::now);
        self.inner.requested.store(true, Ordering::SeqCst);
        let wake = self.inner.wake.lock().clone();
        for wake in wake {
            // The thread sees the flag when this connection or datagram
            // arrives.
            match wake {
                Wake::Tcp(addr) => {
                    // Local, so it connects at once unless the listener's
                    // backlog is full; then its acceptor is busy accepting
                    // and sees the flag at its next connection anyway.
                    let _ = TcpStream::connect_timeout(&addr, WAKE_CONNECT_TIMEOUT);
                }
                Wake::Udp(addr) => {
                    if let Ok(socket) = UdpSocket::bind((addr.ip(), 0)) {
                        let _ = socket.send_to(&[], addr);
                    }
                }
            }
        }
    }

    /// Whether [`Shutdown::trigger`] was called.
    pub fn is_triggered(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// When [`Shutdown::trigger`] was first called.
    pub(crate) fn triggered_at(&self) -> Option<Instant> {
        self.inner.triggered_at.get().copied()
    }

    fn add_wake_address(&self, listening: SocketAddr) {
        self.inner.wake.lock().push(Wake::Tcp(reachable(listening)));
    }

    fn add_udp_wake_address(&self, bound: SocketAddr) {
        self.inner.wake.lock().push(Wake::Udp(reachable(bound)));
    }
}

/// How long [`Shutdown::trigger`] tries to connect to a listener to wake its
/// acceptor: a small part of the 1 s a shutdown may take.
const WAKE_CONNECT_TIMEOUT: Duration = Duration::from_millis(100);

/// How [`Shutdown::trigger`] wakes a thread blocked on a socket.
#[derive(Debug, Clone, Copy)]
enum Wake {
    /// Connect to this listener.
    Tcp(SocketAddr),
    /// Send an empty datagram to this socket.
    Udp(SocketAddr),
}

/// The address to reach a socket bound to `bound` from this machine.
pub(crate) fn reachable(bound: SocketAddr) -> SocketAddr {
    let mut addr = bound;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}

impl Default for Shutdown {
    fn default() -> Shutdown {
        Shutdown::new()
    }
}

/// State every server thread shares.
pub(crate) struct ServerState {
    pub(crate) config: ServerOptions,
    /// The address the server listens on (for `--log-format http`).
    pub(crate) local_addr: SocketAddr,
    /// Account lookups (the `accounts` thread), when accounts are configured.
    pub(crate) accounts: Option<account_lookup::AccountLookup>,
    /// The hub's registry behind its one lock: members, names, rooms. Held
    /// only to look up, insert, remove and queue, never across socket I/O
    /// (see `hub/registry/`).
    hub: Hub<ServerMember>,
    /// Recent failed logins per address. The lock guards only these counts
    /// and is held to read or bump one entry (see `login.rs`).
    pub(crate) login_throttle: Mutex<LoginThrottle>,
    /// Bounds the password checks running at once (see `login.rs`).
    pub(crate) password_checks: CheckSlots,
    /// Writes plain clients' queues whose sockets are backed up.
    pub(crate) flusher: outbox::FlusherHandle,
    /// With `--database`: names taken across every node on it.
    pub(crate) presence: Option<crate::hub::store::postgres::presence::Presence>,
    /// The IRC front's settings and away messages.
    pub(crate) irc: front::irc::session::IrcShared,
}

impl ServerState {
    /// Runs `f` under the hub lock, then, with the lock released, wakes the
    /// writers it queued lines for and shuts down any connection it closed or
    /// evicted.
    pub(crate) fn locked<T>(&self, f: impl FnOnce(&mut Registry<ServerMember>) -> T) -> T {
        self.hub.locked_then(f, Waker::wake)
    }

    /// Like [`ServerState::locked`], but writes the queued lines from this thread
    /// to every socket that takes them at once, waking writers only for the
    /// rest (see `outbox/direct.rs`). For the sequencer's deliveries.
    /// After a change of who is where (a registration, a join, a part, a
    /// leave), on a node sharing a database: has the sequencer store it
    /// for the other nodes now, in order with this session's messages
    /// (`hub/registry/remote.rs`). Nothing on a single node.
    pub(crate) fn members_changed(
        &self,
        posts: &crossbeam_channel::Sender<crate::hub::sequencer::Request>,
    ) {
        if self.presence.is_some() {
            let _ = posts.send(crate::hub::sequencer::Request::Members);
        }
    }

    pub(crate) fn locked_writing<T>(
        &self,
        writer: &mut DirectWriter,
        f: impl FnOnce(&mut Registry<ServerMember>) -> T,
    ) -> T {
        self.hub.locked_then(f, |waker| writer.write_or_wake(waker))
    }
}

/// Pending connections the kernel holds for `accept`. std's default (128)
/// drops connections in a burst of joins, and each dropped one waits a second
/// or more to retry; the kernel caps this at `net.core.somaxconn`.
pub const LISTEN_BACKLOG: i32 = 4096;

/// Opens a listening socket on `addr` the way the server wants it: a long
/// accept backlog, and `SO_REUSEADDR` so a restarted server need not wait for
/// the old one's connections to time out.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

/// Opens the server's UDP socket on `addr`, with a receive buffer large
/// enough for a burst from many clients (the kernel caps it at
/// `net.core.rmem_max`).
pub fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    let _ = socket.set_recv_buffer_size(UDP_RECV_BUFFER);
    let _ = socket.set_send_buffer_size(UDP_RECV_BUFFER);
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// The UDP socket's buffer sizes asked for.
const UDP_RECV_BUFFER: usize = 4 << 20;

/// The sockets a server serves: plain TCP, TLS and UDP, in any combination.
/// All speak the same protocol to the same room.
#[derive(Debug, Default)]
pub struct Listeners {
    /// Plain TCP.
    pub plain: Option<TcpListener>,
    /// TLS, with the setup every connection on it starts from.
    pub tls: Option<(TcpListener, Arc<rustls::ServerConfig>)>,
    /// UDP (see `docs/protocol.md`, "UDP").
    pub udp: Option<UdpSocket>,
    /// The IRC front, plain (see `docs/irc.md`).
    pub irc: Option<TcpListener>,
    /// The IRC front over TLS, with its TLS setup.
    pub irc_tls: Option<(TcpListener, Arc<rustls::ServerConfig>)>,
}

impl From<TcpListener> for Listeners {
    fn from(plain: TcpListener) -> Listeners {
        Listeners {
            plain: Some(plain),
            ..Listeners::default()
        }
    }
}

/// Serves `listeners` (a plain [`TcpListener`] converts into one) until
/// `shutdown` is triggered. Opens the history store first, so a bad data
/// directory or database is reported before anything runs.
pub fn run(
    listeners: impl Into<Listeners>,
    config: ServerOptions,
    shutdown: Shutdown,
) -> Result<(), ServerError> {
    let prepared = accept::Prepared::new(listeners.into(), config, shutdown)?;
    prepared.serve()
}

/// A server running on its own thread, as tests and the binary use it.
pub struct Server {
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    udp_addr: Option<SocketAddr>,
    irc_addr: Option<SocketAddr>,
    irc_tls_addr: Option<SocketAddr>,
    shutdown: Shutdown,
    thread: JoinHandle<Result<(), ServerError>>,
}

impl Server {
    /// Opens the history store and starts serving `listeners` (or one plain
    /// [`TcpListener`]) on a thread named `chat-server`. Errors from the store
    /// are returned here.
    pub fn start(
        listeners: impl Into<Listeners>,
        config: ServerOptions,
    ) -> Result<Server, ServerError> {
        let listeners = listeners.into();
        let tls_addr = match &listeners.tls {
            Some((listener, _)) => Some(listener.local_addr()?),
            None => None,
        };
        let udp_addr = match &listeners.udp {
            Some(socket) => Some(socket.local_addr()?),
            None => None,
        };
        let irc_addr = match &listeners.irc {
            Some(listener) => Some(listener.local_addr()?),
            None => None,
        };
        let irc_tls_addr = match &listeners.irc_tls {
            Some((listener, _)) => Some(listener.local_addr()?),
            None => None,
        };
        let addr = match &listeners.plain {
            Some(listener) => listener.local_addr()?,
            None => tls_addr
                .or(udp_addr)
                .or(irc_addr)
                .or(irc_tls_addr)
                .ok_or_else(|| std::io::Error::other("no listener to serve"))?,
        };
        let shutdown = Shutdown::new();
        let prepared = accept::Prepared::new(listeners, config, shutdown.clone())?;
        let thread = thread::Builder::new()
            .name("chat-server".into())
            .spawn(move || prepared.serve())?;
        Ok(Server {
            addr,
            tls_addr,
            udp_addr,
            irc_addr,
            irc_tls_addr,
            shutdown,
            thread,
        })
    }

    /// The address the server listens on: the plain listener's, or else the
    /// TLS one's, or else the UDP socket's.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The UDP socket's address, if the server serves UDP.
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp_addr
    }

    /// The TLS listener's address, if there is one.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// The IRC front's address, if it is open.
    pub fn irc_addr(&self) -> Option<SocketAddr> {
        self.irc_addr
    }

    /// The address of IRC over TLS, if it is open.
    pub fn irc_tls_addr(&self) -> Option<SocketAddr> {
        self.irc_tls_addr
    }

    /// A handle that stops the server (for a signal handler, say).
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Waits until the server stops (after a [`Shutdown::trigger`]).
    pub fn wait(self) -> Result<(), ServerError> {
        self.thread
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the server thread panicked").into()))
    }

    /// Stops the server and waits for every thread.
    pub fn shutdown(self) -> Result<(), ServerError> {
        self.shutdown.trigger();
        self.wait()
    }
}
