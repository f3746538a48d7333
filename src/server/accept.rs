//! Accepting and admitting connections: one acceptor thread per listening
//! socket (`accept-plain`, `accept-tls`) hands each accepted socket, with its
//! TLS setup if any, to the admission thread, and so does the `udp-recv`
//! thread with each new UDP session. The admission thread admits it, starts
//! its session thread, and at shutdown closes every connection and joins
//! every thread. The acceptors only call `accept`, so a TLS handshake (which
//! happens on the session's threads) never holds up anyone else's
//! connection.

use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use parking_lot::Mutex;
use rustls::ServerConfig;

use super::account_lookup::AccountLookup;
use super::accounts::Accounts;
use super::history::{self, Request, StoredMessage};
use super::outbox::outbox;
use super::registry::{ClientId, Control, Limits, Refusal, Registry};
use super::session::{self, SessionParts};
use super::shared_stream::SharedStream;
use super::store::Store;
use super::transport::Link;
use super::udp::listener::UdpReceiver;
use super::udp::peer::UdpPeer;
use super::{Config, Listeners, ServerError, Shared, Shutdown, Storage};
use crate::protocol::{MAX_HISTORY_REQUEST, ServerLine};
use crate::udp::Datagram;

/// Stack size of session and writer threads. Their frames are small and all
/// buffers live on the heap; a small stack is what lets thousands of clients
/// share one machine.
pub(crate) const CLIENT_THREAD_STACK: usize = 128 * 1024;
/// A write to a client that makes no progress for this long fails, and the
/// connection is closed.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// TCP keepalive: the first probe after this much silence...
const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
/// ...then one probe this often, and after this many unanswered probes the
/// connection is dead: a vanished peer frees its name within about two minutes.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 6;
/// Messages waiting for the history thread before senders are slowed down.
const POST_QUEUE: usize = 8192;
/// How long after [`Shutdown::trigger`] writers may go on delivering their
/// last lines and `BYE` before the remaining sockets are closed outright:
/// half of the 1 s the whole shutdown may take, the rest being for closing,
/// storing what is queued and joining. After it nothing waits on a client:
/// every wait a session or writer can be in ends when its connection is
/// closed (see `ending.rs`).
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);
/// Accepted sockets waiting for admission.
const ADMISSION_QUEUE: usize = 256;

/// A listening socket and, for a TLS one, the setup its connections start from.
type Listener = (TcpListener, Option<Arc<ServerConfig>>);
/// A new connection on its way to admission.
pub(crate) enum Accepted {
    /// An accepted socket, with the TLS setup of its listener if any.
    Tcp(TcpStream, Option<Arc<ServerConfig>>),
    /// A UDP session whose client has proven its address.
    Udp(Arc<UdpPeer>),
}

/// A server whose store is open, ready to serve.
pub(crate) struct Prepared {
    listeners: Vec<Listener>,
    udp: Option<UdpSocket>,
    shared: Arc<Shared>,
    store: Option<Store>,
    next_id: u64,
    shutdown: Shutdown,
    /// The `accounts` thread, when accounts are configured.
    accounts_thread: Option<JoinHandle<()>>,
}

struct SessionHandle {
    thread: JoinHandle<()>,
    /// Weak, so a finished session's socket closes at once rather than when the
    /// handle is reaped; shutdown upgrades it to close a session that is stuck.
    control: Weak<Control>,
}

impl Prepared {
    pub(crate) fn new(
        listeners: Listeners,
        config: Config,
        shutdown: Shutdown,
    ) -> Result<Prepared, ServerError> {
        let recent_capacity = config.history_replay.max(MAX_HISTORY_REQUEST);
        let (store, recent, next_id) = match &config.storage {
            Storage::Ephemeral => (None, Vec::new(), 1),
            Storage::Durable(dir) => {
                let store = Store::open(dir.path())?;
                let next_id = store.next_id()?;
                let recent = store.recent_room(recent_capacity)?;
                log::info!(
                    "history in {}: {} stored, next id {next_id}",
                    store.path().display(),
                    recent.len()
                );
                (Some(store), recent, next_id)
            }
        };
        let udp = listeners.udp;
        let listeners: Vec<Listener> = listeners
            .plain
            .map(|plain| (plain, None))
            .into_iter()
            .chain(listeners.tls.map(|(tls, config)| (tls, Some(config))))
            .collect();
        let local_addr = match (listeners.first(), &udp) {
            (Some((first, _)), _) => first.local_addr()?,
            (None, Some(udp)) => udp.local_addr()?,
            (None, None) => return Err(std::io::Error::other("no listener to serve").into()),
        };
        for (listener, _) in &listeners {
            shutdown.add_wake_address(listener.local_addr()?);
        }
        if let Some(udp) = &udp {
            shutdown.add_udp_wake_address(udp.local_addr()?);
        }
        let recent: Vec<Arc<StoredMessage>> = recent.into_iter().map(Arc::new).collect();
        let limits = Limits {
            max_clients: config.max_clients,
            max_per_ip: config.max_per_ip,
        };
        let registry = Registry::new(limits, recent, recent_capacity);
        let (accounts, accounts_thread) = match config.accounts.as_deref() {
            Some(dir) => {
                let (lookup, thread) = AccountLookup::start(Accounts::in_dir(dir))?;
                (Some(lookup), Some(thread))
            }
            None => (None, None),
        };
        let shared = Arc::new(Shared {
            config,
            local_addr,
            accounts,
            registry: Mutex::new(registry),
            login_throttle: Mutex::default(),
            password_checks: Default::default(),
        });
        Ok(Prepared {
            listeners,
            udp,
            shared,
            store,
            next_id,
            shutdown,
            accounts_thread,
        })
    }

    /// Accepts until shutdown, then closes everything down in order.
    pub(crate) fn serve(self) -> Result<(), ServerError> {
        let Prepared {
            listeners,
            udp,
            shared,
            store,
            next_id,
            shutdown,
            accounts_thread,
        } = self;
        let (posts, post_rx) = crossbeam_channel::bounded::<Request>(POST_QUEUE);
        let history_shared = shared.clone();
        let history = thread::Builder::new()
            .name("history".into())
            .spawn(move || history::run(post_rx, store, history_shared, next_id))?;
        // Each session holds a clone of `alive`; when all are dropped, all
        // sessions have ended. Nothing is ever sent on it.
        let (alive, all_ended) = crossbeam_channel::bounded::<()>(0);
        let (accepted_tx, accepted) = crossbeam_channel::bounded::<Accepted>(ADMISSION_QUEUE);
        let mut acceptors = Vec::new();
        for (listener, tls) in listeners {
            let name = if tls.is_some() {
                "accept-tls"
            } else {
                "accept-plain"
            };
            let (tx, stop) = (accepted_tx.clone(), shutdown.clone());
            match thread::Builder::new()
                .name(name.into())
                .spawn(move || accept_loop(listener, tls, tx, stop))
            {
                Ok(thread) => acceptors.push(thread),
                Err(error) => {
                    // Stop the acceptors already running before giving up.
                    shutdown.trigger();
                    acceptors.into_iter().for_each(|a| drop(a.join()));
                    return Err(error.into());
                }
            }
        }
        let udp = match udp {
            Some(socket) => match UdpReceiver::start(socket, accepted_tx, shutdown.clone()) {
                Ok(receiver) => Some(receiver),
                Err(error) => {
                    shutdown.trigger();
                    acceptors.into_iter().for_each(|a| drop(a.join()));
                    return Err(error.into());
                }
            },
            None => {
                drop(accepted_tx);
                None
            }
        };
        let sessions = admit_until_shutdown(&shared, accepted, &posts, &alive, &shutdown);
        // The receiver is gone, so no acceptor can block handing a socket on.
        for acceptor in acceptors {
            let _ = acceptor.join();
        }
        log::info!("shutting down: closing {} connections", sessions.len());
        shared.locked(|registry| registry.close_all("server shutting down"));
        drop(posts);
        drop(alive);
        let deadline = shutdown.triggered_at().unwrap_or_else(Instant::now) + SHUTDOWN_GRACE;
        if let Err(RecvTimeoutError::Timeout) = all_ended.recv_deadline(deadline) {
            log::warn!("some clients did not take their last lines in time; closing them");
            sessions
                .iter()
                .filter_map(|session| session.control.upgrade())
                .for_each(|control| control.close());
        }
        for session in sessions {
            let _ = session.thread.join();
        }
        // Only now: until every UDP session has ended, its acknowledgements
        // must still be read.
        if let Some(udp) = udp {
            udp.stop();
        }
        let _ = history.join();
        if let Some(accounts) = &shared.accounts {
            accounts.close();
        }
        if let Some(thread) = accounts_thread {
            let _ = thread.join();
        }
        log::info!("stopped");
        Ok(())
    }
}

/// An acceptor thread's body: accepts until shutdown, handing each socket on.
fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    accepted: Sender<Accepted>,
    shutdown: Shutdown,
) {
    for incoming in listener.incoming() {
        if shutdown.is_triggered() {
            return;
        }
        match incoming {
            Ok(stream) => {
                if accepted.send(Accepted::Tcp(stream, tls.clone())).is_err() {
                    return;
                }
            }
            Err(error) => {
                log::warn!("accept failed: {error}");
                // Out of file descriptors, say: give closing sessions a moment.
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Admits accepted sockets until shutdown (when every acceptor has stopped).
/// Returns the sessions started. Takes `accepted` so that it is dropped on
/// return: an acceptor blocked handing a socket on is released.
fn admit_until_shutdown(
    shared: &Arc<Shared>,
    accepted: Receiver<Accepted>,
    posts: &Sender<Request>,
    alive: &Sender<()>,
    shutdown: &Shutdown,
) -> Vec<SessionHandle> {
    let mut sessions: Vec<SessionHandle> = Vec::new();
    for (id, new) in (1 as ClientId..).zip(accepted) {
        if shutdown.is_triggered() {
            break;
        }
        reap_finished(&mut sessions);
        let admitted = match new {
            Accepted::Tcp(stream, tls) => {
                tcp_link(stream).and_then(|link| admit(shared, link, tls, id, posts, alive))
            }
            Accepted::Udp(peer) => admit(shared, Link::Udp(peer), None, id, posts, alive),
        };
        match admitted {
            Ok(Some(handle)) => sessions.push(handle),
            Ok(None) => {}
            Err(error) => log::warn!("could not start a session: {error}"),
        }
    }
    sessions
}

/// Sets up an accepted socket's options: the link `admit` takes.
fn tcp_link(stream: TcpStream) -> std::io::Result<Link> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_RETRIES);
    socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
    Ok(Link::Tcp(SharedStream::new(stream)))
}

/// Registers a new connection and starts its session thread. `Ok(None)` when
/// it was refused (and told why).
fn admit(
    shared: &Arc<Shared>,
    link: Link,
    tls: Option<Arc<ServerConfig>>,
    id: ClientId,
    posts: &Sender<Request>,
    alive: &Sender<()>,
) -> std::io::Result<Option<SessionHandle>> {
    let peer = match &link {
        Link::Tcp(stream) => stream.peer_addr()?,
        Link::Udp(udp) => udp.addr,
    };
    let control = Arc::new(Control::new(peer, link.clone()));
    let config = &shared.config;
    let (outbox, inbox) = outbox(config.send_queue_lines, config.send_queue_bytes);
    if let Err(refusal) =
        shared.locked(|registry| registry.admit(id, outbox.clone(), control.clone()))
    {
        refuse(link, refusal, tls.is_some());
        return Ok(None);
    }
    let over = match (&link, &tls) {
        (Link::Udp(_), _) => " over UDP",
        (_, Some(_)) => " over TLS",
        (_, None) => "",
    };
    log::info!("{peer}: connected{over}");
    let parts = SessionParts {
        id,
        link,
        tls,
        shared: shared.clone(),
        control: control.clone(),
        outbox,
        inbox,
        posts: posts.clone(),
        alive: alive.clone(),
    };
    let spawned = thread::Builder::new()
        .name(format!("r-{peer}"))
        .stack_size(CLIENT_THREAD_STACK)
        .spawn(move || session::run(parts));
    match spawned {
        Ok(thread) => Ok(Some(SessionHandle {
            thread,
            control: Arc::downgrade(&control),
        })),
        Err(error) => {
            shared.locked(|registry| registry.remove(id, "connection lost", chrono::Utc::now()));
            control.close();
            Err(error)
        }
    }
}

/// Tells a connection it cannot be admitted, without ever blocking the
/// admission thread on it. A TLS connection is just closed: telling it would
/// take a handshake. A UDP client gets its `BYE` as its first line, sent
/// once, then `CLOSE`.
fn refuse(link: Link, refusal: Refusal, tls: bool) {
    let reason = match refusal {
        Refusal::Full => "server full",
        Refusal::TooManyFromAddress => "too many connections from your address",
        Refusal::Closing => "server shutting down",
    };
    log::warn!("refused a connection: {reason}");
    let bye = ServerLine::Bye {
        reason: reason.into(),
    }
    .encode();
    match link {
        Link::Tcp(_) if tls => {}
        Link::Tcp(mut stream) => {
            let _ = stream.set_nonblocking(true);
            let _ = stream.write_all(bye.as_bytes());
        }
        Link::Udp(peer) => {
            let line = bye.trim_end_matches('\n').as_bytes();
            let token = peer.token;
            peer.send(
                &Datagram::Data {
                    token,
                    seq: 1,
                    line,
                }
                .encode(),
            );
            peer.finish();
        }
    }
}

/// Joins the sessions that have ended, so their threads do not pile up.
fn reap_finished(sessions: &mut Vec<SessionHandle>) {
    let mut index = 0;
    while index < sessions.len() {
        if sessions[index].thread.is_finished() {
            let _ = sessions.swap_remove(index).thread.join();
        } else {
            index += 1;
        }
    }
}
