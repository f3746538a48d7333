//! Accepting and admitting connections: one acceptor thread per listening
//! socket (`accept-plain`, `accept-tls`) hands each accepted socket, with its
//! TLS setup if any, to the admission thread, and so does the `udp-recv`
//! thread with each new UDP session. The admission thread admits it, starts
//! its session thread, and at shutdown closes every connection and joins
//! every thread. The acceptors only call `accept`, so a TLS handshake (which
//! happens on the session's threads) never holds up anyone else's
//! connection.

use std::cell::RefCell;
use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use parking_lot::Mutex;
use rustls::ServerConfig;

use super::accepted::{Accepted, CLIENT_THREAD_STACK, Front};
use super::acceptor::{FULL, accept_loop};
use super::account_lookup::AccountLookup;
use super::accounts::Accounts;
use super::admission::{self, RefusalLog, ThreadBudget};
use super::capacity::{Capacity, MachineLimits};
use super::control::Control;
use super::fanout::ServerFanout;
use super::front::ServerMember;
use super::front::irc::irc_farewell;
use super::front::irc::member::IrcMember;
use super::front::irc::session::{self as irc_session, IrcSessionParts, IrcShared};
use super::front::native::NativeMember;
use super::front::native::session::{self, SessionParts};
use super::outbox::{self, DirectWriter, Flusher, FlusherHandle, outbox};
use super::presence_keeper::PresenceKeeper;
use super::shared_stream::SharedStream;
use super::transport::ClientLink;
use super::udp::listener::UdpReceiver;
use super::{Listeners, ServerError, ServerOptions, ServerState, Shutdown, Storage};
use crate::hub::message::ClientId;
use crate::hub::registry::{Hub, Limits, Refusal, Registry};
use crate::hub::rooms::Rooms;
use crate::hub::sequencer::{self, Request, SequencerParts};
use crate::hub::store::postgres::{PostgresStore, open_presence};
use crate::hub::store::sqlite::SqliteStore;
use crate::hub::store::{Loaded, MessageStore};
use crate::protocol::{MAX_HISTORY_REQUEST, ServerLine};
use crate::udp::Datagram;

/// A write to a client that makes no progress for this long fails, and the
/// connection is closed.
const WRITE_TIMEOUT: Duration = outbox::WRITE_TIMEOUT;
/// TCP keepalive: the first probe after this much silence...
const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
/// ...then one probe this often, and after this many unanswered probes the
/// connection is dead: a vanished peer frees its name within about two minutes.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 6;
/// Messages waiting for the sequencer thread before senders are slowed down.
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

/// A listening socket, for a TLS one the setup its connections start from,
/// and the front it serves.
type Listener = (TcpListener, Option<Arc<ServerConfig>>, Front);

/// Where the server's accounts are, if it has any: with nodes sharing a
/// PostgreSQL database, in that database, for every node at once.
fn accounts_of(config: &ServerOptions) -> Result<Option<Accounts>, ServerError> {
    let Some(dir) = config.accounts.as_deref() else {
        return Ok(None);
    };
    match &config.storage {
        Storage::Postgres(url) => {
            warn_of_unused_accounts(dir);
            Accounts::in_postgres(url)
                .map(Some)
                .map_err(|error| std::io::Error::other(error.to_string()).into())
        }
        _ => Ok(Some(Accounts::in_dir(dir))),
    }
}

/// Says so when the data directory holds accounts a node on PostgreSQL
/// does not use: their names are bare names to it until they are added to
/// the database.
fn warn_of_unused_accounts(dir: &std::path::Path) {
    if !dir.join(super::DATABASE_FILE).exists() {
        return;
    }
    let Ok(names) = Accounts::in_dir(dir).list() else {
        return;
    };
    if !names.is_empty() {
        log::warn!(
            "{} has accounts this node does not use, since accounts are the database's with --database: {}; add them with `chat-server user add NAME --database ...`",
            dir.join(super::DATABASE_FILE).display(),
            names.join(", ")
        );
    }
}

/// Opens the store (for a durable server) and reads what the hub starts from.
fn open_store(
    config: &ServerOptions,
    recent: usize,
) -> Result<(Option<Box<dyn MessageStore>>, Loaded), ServerError> {
    let mut store: Box<dyn MessageStore> = match &config.storage {
        Storage::Ephemeral => {
            let loaded = Loaded {
                next_id: 1,
                ..Loaded::default()
            };
            return Ok((None, loaded));
        }
        Storage::Durable(dir) => Box::new(SqliteStore::open(dir.path(), &config.default_room)?),
        Storage::Postgres(url) => Box::new(PostgresStore::open(url)?),
    };
    let default_room = crate::protocol::room_key(&config.default_room);
    let loaded = store.load(&default_room, recent)?;
    let messages = loaded
        .default_room
        .as_ref()
        .map_or(0, |room| room.recent.len());
    log::info!(
        "history in {}: {messages} recent messages of {} loaded (other rooms are read when joined), next id {}",
        store.describe(),
        config.default_room,
        loaded.next_id
    );
    Ok((Some(store), loaded))
}

/// A server whose store is open, ready to serve.
pub(crate) struct Prepared {
    listeners: Vec<Listener>,
    udp: Option<UdpSocket>,
    shared: Arc<ServerState>,
    store: Option<Box<dyn MessageStore>>,
    next_id: u64,
    /// How many of its newest messages a room in memory keeps.
    recent_capacity: usize,
    shutdown: Shutdown,
    /// The `accounts` thread, when accounts are configured.
    accounts_thread: Option<JoinHandle<()>>,
    /// What the machine's limits leave room for.
    capacity: Capacity,
}

struct SessionHandle {
    thread: JoinHandle<()>,
    /// Threads the session has (its own, and a writer's), counted in the
    /// [`ThreadBudget`] until it is joined.
    threads: u64,
    /// Weak, so a finished session's socket closes at once rather than when the
    /// handle is reaped; shutdown upgrades it to close a session that is stuck.
    control: Weak<Control>,
}

impl Prepared {
    pub(crate) fn new(
        listeners: Listeners,
        config: ServerOptions,
        shutdown: Shutdown,
    ) -> Result<Prepared, ServerError> {
        let recent_capacity = config.history_replay.max(MAX_HISTORY_REQUEST);
        let (store, loaded) = open_store(&config, recent_capacity)?;
        let udp = listeners.udp;
        let native = Front::Native;
        let irc = Front::Irc;
        let listeners: Vec<Listener> = (listeners.plain.map(|plain| (plain, None, native)))
            .into_iter()
            .chain(
                listeners
                    .tls
                    .map(|(tls, config)| (tls, Some(config), native)),
            )
            .chain(listeners.irc.map(|plain| (plain, None, irc)))
            .chain(
                listeners
                    .irc_tls
                    .map(|(tls, config)| (tls, Some(config), irc)),
            )
            .collect();
        let local_addr = match (listeners.first(), &udp) {
            (Some((first, _, _)), _) => first.local_addr()?,
            (None, Some(udp)) => udp.local_addr()?,
            (None, None) => return Err(std::io::Error::other("no listener to serve").into()),
        };
        for (listener, _, _) in &listeners {
            shutdown.add_wake_address(listener.local_addr()?);
        }
        if let Some(udp) = &udp {
            shutdown.add_udp_wake_address(udp.local_addr()?);
        }
        let machine = config.machine_limits.unwrap_or_else(MachineLimits::read);
        let capacity = Capacity::of(&machine, config.max_clients);
        if let Some(warning) = capacity.warning(config.max_clients) {
            log::warn!("{warning}");
        }
        let limits = Limits {
            max_clients: capacity.clients,
            max_per_ip: config.max_per_ip,
            max_rooms: config.max_rooms.max(1),
            replay: config.history_replay,
        };
        let next_id = loaded.next_id;
        let mut rooms = match &store {
            Some(_) => Rooms::new(recent_capacity),
            None => Rooms::without_store(recent_capacity),
        };
        rooms.restore(&config.default_room, loaded.default_room);
        let mut registry = Registry::new(limits, rooms, &config.default_room, loaded.memberships);
        let node = loaded.cluster.map(|(node, users)| {
            // Other nodes' users are here too (`hub/registry/remote.rs`).
            registry.join_cluster(ServerMember::remote, users);
            node
        });
        let (accounts, accounts_thread) = match accounts_of(&config)? {
            Some(accounts) => {
                let (lookup, thread) = AccountLookup::start(accounts)?;
                (Some(lookup), Some(thread))
            }
            None => (None, None),
        };
        // Names across nodes, with a shared database.
        let presence = match &config.storage {
            Storage::Postgres(url) => Some(open_presence(url, node.unwrap_or_default())?),
            _ => None,
        };
        let irc = IrcShared::new(&config);
        let shared = Arc::new(ServerState {
            presence,
            config,
            local_addr,
            accounts,
            hub: Hub::new(registry),
            login_throttle: Mutex::default(),
            password_checks: Default::default(),
            flusher: FlusherHandle::new()?,
            irc,
        });
        Ok(Prepared {
            listeners,
            udp,
            shared,
            store,
            next_id,
            recent_capacity,
            shutdown,
            accounts_thread,
            capacity,
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
            recent_capacity,
            shutdown,
            accounts_thread,
            capacity,
        } = self;
        let flusher = Flusher::start(shared.flusher.clone())?;
        let (posts, post_rx) = crossbeam_channel::bounded::<Request>(POST_QUEUE);
        let fanout = ServerFanout {
            state: shared.clone(),
            writer: DirectWriter::default(),
        };
        let sequencer_parts = SequencerParts {
            requests: post_rx,
            store,
            fanout,
            next_id,
            recent: recent_capacity,
        };
        let history = thread::Builder::new()
            .name("sequencer".into())
            .spawn(move || sequencer::run(sequencer_parts))?;
        // (Like the sequencer, it ends by itself if a step below fails.)
        let keeper = PresenceKeeper::start(&shared)?;
        // Each session holds a clone of `alive`; when all are dropped, all
        // sessions have ended. Nothing is ever sent on it.
        let (alive, all_ended) = crossbeam_channel::bounded::<()>(0);
        let (accepted_tx, accepted) = crossbeam_channel::bounded::<Accepted>(ADMISSION_QUEUE);
        let mut acceptors = Vec::new();
        for (listener, tls, front) in listeners {
            let name = match (front, tls.is_some()) {
                (Front::Native, true) => "accept-tls",
                (Front::Native, false) => "accept-plain",
                (Front::Irc, true) => "accept-irc-tls",
                (Front::Irc, false) => "accept-irc",
            };
            let (tx, stop) = (accepted_tx.clone(), shutdown.clone());
            match thread::Builder::new()
                .name(name.into())
                .spawn(move || accept_loop(listener, tls, front, tx, stop))
            {
                Ok(thread) => acceptors.push(thread),
                Err(error) => {
                    // Stop the threads already running before giving up.
                    shutdown.trigger();
                    acceptors.into_iter().for_each(|a| drop(a.join()));
                    flusher.stop();
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
                    flusher.stop();
                    return Err(error.into());
                }
            },
            None => {
                drop(accepted_tx);
                None
            }
        };
        let sessions = admit_until_shutdown(
            &shared,
            accepted,
            &Admitting {
                posts: &posts,
                alive: &alive,
                capacity: &capacity,
                refusals: &RefCell::default(),
            },
            &shutdown,
        );
        // The receiver is gone, so no acceptor can block handing a socket on.
        for acceptor in acceptors {
            let _ = acceptor.join();
        }
        let plural = if sessions.len() == 1 { "" } else { "s" };
        log::info!(
            "shutting down: closing {} connection{plural}",
            sessions.len()
        );
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
        if let Some(keeper) = keeper {
            keeper.stop();
        }
        flusher.stop();
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

/// What admitting a connection needs besides the shared state.
struct Admitting<'a> {
    posts: &'a Sender<Request>,
    alive: &'a Sender<()>,
    capacity: &'a Capacity,
    /// What the log says about refused connections.
    refusals: &'a RefCell<RefusalLog>,
}

/// Admits accepted sockets until shutdown (when every acceptor has stopped).
/// Returns the sessions started. Takes `accepted` so that it is dropped on
/// return: an acceptor blocked handing a socket on is released.
fn admit_until_shutdown(
    shared: &Arc<ServerState>,
    accepted: Receiver<Accepted>,
    admitting: &Admitting,
    shutdown: &Shutdown,
) -> Vec<SessionHandle> {
    let mut sessions: Vec<SessionHandle> = Vec::new();
    let mut budget = ThreadBudget::new(admitting.capacity);
    for (id, new) in (1 as ClientId..).zip(accepted) {
        if shutdown.is_triggered() {
            break;
        }
        reap_finished(&mut sessions, &mut budget);
        let (link, tls, front) = match new {
            Accepted::Tcp(stream, tls, front) => match tcp_link(stream) {
                Ok(link) => (link, tls, front),
                Err(error) => {
                    log::debug!("could not set up an accepted socket: {error}");
                    continue;
                }
            },
            Accepted::Udp(peer) => (ClientLink::Udp(peer), None, Front::Native),
        };
        let threads = admission::threads_for(matches!(link, ClientLink::Tcp(_)) && tls.is_none());
        if !budget.take(threads) {
            refuse(link, Refusal::Full, tls.is_some(), front);
            let why = || budget.refusal(admitting.capacity);
            if let Some(line) = admitting.refusals.borrow_mut().refused(Instant::now(), why) {
                log::warn!("{line}");
            }
            continue;
        }
        match admit(shared, (link, tls, front), id, admitting) {
            Some(thread) => sessions.push(SessionHandle { threads, ..thread }),
            None => budget.give_back(threads),
        }
    }
    sessions
}
/// Sets up an accepted socket's options: the link `admit` takes.
fn tcp_link(stream: TcpStream) -> std::io::Result<ClientLink> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_RETRIES);
    socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
    Ok(ClientLink::Tcp(SharedStream::new(stream)))
}

/// Registers a new connection and starts its session thread. `None` when it
/// was refused (and told why).
fn admit(
    shared: &Arc<ServerState>,
    (link, tls, front): (ClientLink, Option<Arc<ServerConfig>>, Front),
    id: ClientId,
    admitting: &Admitting,
) -> Option<SessionHandle> {
    let peer = match &link {
        ClientLink::Tcp(stream) => stream.peer_addr().ok()?,
        ClientLink::Udp(udp) => udp.addr,
    };
    let control = Arc::new(Control::new(peer, link.clone(), front));
    let config = &shared.config;
    let (outbox, inbox) = outbox(config.send_queue_lines, config.send_queue_bytes);
    if let (ClientLink::Tcp(stream), None) = (&link, &tls) {
        // No writer thread while the session runs (`writer.rs`); set before
        // anything is queued, so no wake-up is lost.
        inbox.allow_direct_writes(stream.clone(), shared.flusher.clone());
    }
    // An IRC member is shared with its session (which records the
    // client's nick and capabilities in it); a native one lives in the
    // registry entry alone, which keeps the fanout's hot loop direct.
    let irc_member = (front == Front::Irc).then(|| {
        let settings = shared.irc.settings.clone();
        Arc::new(IrcMember::new(outbox.clone(), control.clone(), settings))
    });
    let member = match &irc_member {
        Some(irc) => ServerMember::Irc(irc.clone()),
        None => ServerMember::Native(NativeMember {
            outbox: outbox.clone(),
            control: control.clone(),
        }),
    };
    if let Err(refusal) = shared.locked(|registry| registry.admit(id, peer.ip(), member)) {
        let encrypted = tls.is_some();
        refuse(link, refusal, encrypted, front);
        let why = || admission::full(admitting.capacity);
        if refusal == Refusal::Full
            && let Some(line) = admitting.refusals.borrow_mut().refused(Instant::now(), why)
        {
            log::warn!("{peer}: {line}");
        }
        return None;
    }
    if let Some(line) = admitting.refusals.borrow_mut().admitted() {
        log::warn!("{line}");
    }
    let over = match (&link, &tls, front) {
        (ClientLink::Udp(_), _, _) => " over UDP",
        (_, Some(_), Front::Irc) => " for IRC over TLS",
        (_, None, Front::Irc) => " for IRC",
        (_, Some(_), Front::Native) => " over TLS",
        (_, None, Front::Native) => "",
    };
    log::info!("{peer}: connected{over}");
    let refusal_link = link.clone();
    let encrypted = tls.is_some();
    let body: Box<dyn FnOnce() + Send> = match irc_member {
        Some(member) => {
            let parts = IrcSessionParts {
                id,
                link,
                tls,
                shared: shared.clone(),
                control: control.clone(),
                member,
                outbox,
                inbox,
                posts: admitting.posts.clone(),
                alive: admitting.alive.clone(),
            };
            Box::new(move || irc_session::run(parts))
        }
        None => {
            let parts = SessionParts {
                id,
                link,
                tls,
                shared: shared.clone(),
                control: control.clone(),
                outbox,
                inbox,
                posts: admitting.posts.clone(),
                alive: admitting.alive.clone(),
            };
            Box::new(move || session::run(parts))
        }
    };
    let spawned = thread::Builder::new()
        .name(format!("r-{peer}"))
        .stack_size(CLIENT_THREAD_STACK)
        .spawn(body);
    match spawned {
        Ok(thread) => Some(SessionHandle {
            thread,
            threads: 0,
            control: Arc::downgrade(&control),
        }),
        Err(error) => {
            shared.locked(|registry| registry.remove(id, "connection lost", chrono::Utc::now()));
            refuse(refusal_link, Refusal::Full, encrypted, front);
            log::warn!(
                "{peer}: refused: {FULL}: could not start its thread ({error}); the machine is out of threads or memory: see chat-server --check"
            );
            None
        }
    }
}

/// Tells a connection it cannot be admitted, without ever blocking the
/// admission thread on it. A TLS connection is just closed: telling it would
/// take a handshake. A UDP client gets its `BYE` as its first line, sent
/// once, then `CLOSE`.
fn refuse(link: ClientLink, refusal: Refusal, tls: bool, front: Front) {
    let reason = match refusal {
        Refusal::Full => FULL,
        Refusal::TooManyFromAddress => "too many connections from your address",
        Refusal::Closing => "server shutting down",
    };
    if refusal != Refusal::Full {
        log::warn!("refused a connection: {reason}");
    }
    let bye = match front {
        Front::Native => ServerLine::Bye {
            reason: reason.into(),
        }
        .encode(),
        Front::Irc => irc_farewell(reason),
    };
    match link {
        ClientLink::Tcp(_) if tls => {}
        ClientLink::Tcp(mut stream) => {
            let _ = stream.set_nonblocking(true);
            let _ = stream.write_all(bye.as_bytes());
        }
        ClientLink::Udp(peer) => {
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

/// Joins the sessions that have ended, so their threads do not pile up, and
/// gives their threads back to the budget.
fn reap_finished(sessions: &mut Vec<SessionHandle>, budget: &mut ThreadBudget) {
    let mut index = 0;
    while index < sessions.len() {
        if sessions[index].thread.is_finished() {
            let session = sessions.swap_remove(index);
            let _ = session.thread.join();
            budget.give_back(session.threads);
        } else {
            index += 1;
        }
    }
}
