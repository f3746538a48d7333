//! The accept thread: admits connections, starts their session threads, and at
//! shutdown closes every connection and joins every thread.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Weak};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{RecvTimeoutError, Sender};
use parking_lot::Mutex;

use super::history::{self, Request, StoredMessage};
use super::outbox::outbox;
use super::registry::{ClientId, Control, Refusal, Registry};
use super::session::{self, SessionParts};
use super::shared_stream::SharedStream;
use super::store::Store;
use super::{Config, ServerError, Shared, Shutdown, Storage};
use crate::protocol::{MAX_HISTORY_REQUEST, ServerLine};

/// Stack size of session and writer threads. Their frames are small and all
/// buffers live on the heap; a small stack is what lets thousands of clients
/// share one machine.
pub(crate) const CLIENT_THREAD_STACK: usize = 128 * 1024;
/// A write to a client that makes no progress for this long fails, and the
/// connection is closed.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages waiting for the history thread before senders are slowed down.
const POST_QUEUE: usize = 8192;
/// How long shutdown waits for writers to deliver their `BYE` before it closes
/// the remaining sockets outright.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// A server whose store is open, ready to serve.
pub(crate) struct Prepared {
    listener: TcpListener,
    shared: Arc<Shared>,
    store: Option<Store>,
    next_id: u64,
    shutdown: Shutdown,
}

struct SessionHandle {
    thread: JoinHandle<()>,
    /// Weak, so a finished session's socket closes at once rather than when the
    /// handle is reaped; shutdown upgrades it to close a session that is stuck.
    control: Weak<Control>,
}

impl Prepared {
    pub(crate) fn new(listener: TcpListener, config: Config, shutdown: Shutdown) -> Result<Prepared, ServerError> {
        let recent_capacity = config.history_replay.max(MAX_HISTORY_REQUEST);
        let (store, recent, next_id) = match &config.storage {
            Storage::Ephemeral => (None, Vec::new(), 1),
            Storage::Durable(dir) => {
                let store = Store::open(dir)?;
                let next_id = store.next_id()?;
                let recent = store.recent_room(recent_capacity)?;
                log::info!("history in {}: {} stored, next id {next_id}", store.path().display(), recent.len());
                (Some(store), recent, next_id)
            }
        };
        let local_addr = listener.local_addr()?;
        shutdown.set_wake_address(local_addr);
        let recent: Vec<Arc<StoredMessage>> = recent.into_iter().map(Arc::new).collect();
        let registry = Registry::new(config.max_clients, recent, recent_capacity);
        let shared = Arc::new(Shared { config, local_addr, registry: Mutex::new(registry) });
        Ok(Prepared { listener, shared, store, next_id, shutdown })
    }

    /// Accepts until shutdown, then closes everything down in order.
    pub(crate) fn serve(self) -> Result<(), ServerError> {
        let Prepared { listener, shared, store, next_id, shutdown } = self;
        let (posts, post_rx) = crossbeam_channel::bounded::<Request>(POST_QUEUE);
        let history_shared = shared.clone();
        let history = thread::Builder::new()
            .name("history".into())
            .spawn(move || history::run(post_rx, store, history_shared, next_id))?;
        // Each session holds a clone of `alive`; when all are dropped, all
        // sessions have ended. Nothing is ever sent on it.
        let (alive, all_ended) = crossbeam_channel::bounded::<()>(0);
        let mut sessions: Vec<SessionHandle> = Vec::new();
        let mut next_client: ClientId = 1;
        for incoming in listener.incoming() {
            if shutdown.is_triggered() {
                break;
            }
            reap_finished(&mut sessions);
            match incoming {
                Ok(stream) => {
                    let id = next_client;
                    next_client += 1;
                    match admit(&shared, stream, id, &posts, &alive) {
                        Ok(Some(handle)) => sessions.push(handle),
                        Ok(None) => {}
                        Err(error) => log::warn!("could not start a session: {error}"),
                    }
                }
                Err(error) => {
                    log::warn!("accept failed: {error}");
                    // Out of file descriptors, say: give closing sessions a moment.
                    thread::sleep(Duration::from_millis(10));
                }
            }
        }
        drop(listener);
        log::info!("shutting down: closing {} connections", sessions.len());
        shared.locked(|registry| registry.close_all("server shutting down"));
        drop(posts);
        drop(alive);
        if let Err(RecvTimeoutError::Timeout) = all_ended.recv_timeout(SHUTDOWN_GRACE) {
            log::warn!("some clients did not take their last lines in time; closing them");
            sessions.iter().filter_map(|session| session.control.upgrade()).for_each(|control| control.close());
        }
        for session in sessions {
            let _ = session.thread.join();
        }
        let _ = history.join();
        log::info!("stopped");
        Ok(())
    }
}

/// Registers a new connection and starts its session thread. `Ok(None)` when
/// it was refused (and told why).
fn admit(
    shared: &Arc<Shared>,
    stream: TcpStream,
    id: ClientId,
    posts: &Sender<Request>,
    alive: &Sender<()>,
) -> std::io::Result<Option<SessionHandle>> {
    let peer = stream.peer_addr()?;
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let stream = SharedStream::new(stream);
    let control = Arc::new(Control::new(peer, stream.clone()));
    let config = &shared.config;
    let (outbox, inbox) = outbox(config.send_queue_lines, config.send_queue_bytes);
    if let Err(refusal) = shared.locked(|registry| registry.admit(id, outbox.clone(), control.clone())) {
        refuse(stream, refusal);
        return Ok(None);
    }
    log::info!("{peer}: connected");
    let parts = SessionParts {
        id,
        stream,
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
        Ok(thread) => Ok(Some(SessionHandle { thread, control: Arc::downgrade(&control) })),
        Err(error) => {
            shared.locked(|registry| registry.remove(id, "connection lost", chrono::Utc::now()));
            control.close();
            Err(error)
        }
    }
}

/// Tells a connection it cannot be admitted, without ever blocking the accept
/// thread on it.
fn refuse(mut stream: SharedStream, refusal: Refusal) {
    let reason = match refusal {
        Refusal::Full => "server full",
        Refusal::Closing => "server shutting down",
    };
    log::warn!("refused a connection: {reason}");
    let _ = stream.set_nonblocking(true);
    let _ = stream.write_all(ServerLine::Bye { reason: reason.into() }.encode().as_bytes());
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
