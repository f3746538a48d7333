//! The `pg-listen` thread: one connection that `LISTEN`s for other nodes'
//! commits and ticks the sequencer, which then reads them from the tables
//! (`catch_up`). A notification carries nothing but its sender's backend
//! pid: the tables are the truth, so a notification missed while the
//! connection was down costs nothing (a tick follows every reconnection),
//! and a tick every [`SWEEP`] even without one catches up after a read
//! that failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Config, NoTls};

/// The channel commits notify.
pub(super) const CHANNEL: &str = "chat_commits";

/// How often the thread looks at its stop flag, and waits between attempts
/// to connect while the database is away.
const POLL: Duration = Duration::from_millis(200);

/// A tick at least this often, notified or not.
const SWEEP: Duration = Duration::from_secs(1);

/// The running thread; stopped and joined when dropped.
pub(super) struct Listener {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Starts listening. `own` is the backend pid of the node's committing
    /// connection (its own commits need no tick); the ticks come out of
    /// the returned receiver, coalesced.
    pub(super) fn start(
        config: Config,
        own: Arc<AtomicI32>,
    ) -> std::io::Result<(Listener, Receiver<()>)> {
        let (ticks, changes) = crossbeam_channel::bounded(1);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("pg-listen".into())
            .spawn(move || listen(&config, &ticks, &flag, &own))?;
        let listener = Listener {
            stop,
            thread: Some(thread),
        };
        Ok((listener, changes))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread's body: (re)connects and listens until stopped or until the
/// sequencer is gone.
fn listen(config: &Config, ticks: &Sender<()>, stop: &AtomicBool, own: &AtomicI32) {
    while !stop.load(Ordering::Relaxed) {
        let mut client = match config.connect(NoTls) {
            Ok(client) => client,
            Err(_) => {
                // The store's own commits report the database's absence.
                std::thread::sleep(POLL);
                continue;
            }
        };
        if client.batch_execute(&format!("LISTEN {CHANNEL}")).is_err() {
            continue;
        }
        // Whatever was committed while not listening.
        if !tick(ticks) {
            return;
        }
        let mut last_tick = Instant::now();
        while !stop.load(Ordering::Relaxed) && !client.is_closed() {
            let mut notifications = client.notifications();
            let due = match notifications.timeout_iter(POLL).next() {
                Ok(Some(note)) => note.process_id() != own.load(Ordering::Relaxed),
                Ok(None) => last_tick.elapsed() >= SWEEP,
                Err(_) => break,
            };
            if due {
                if !tick(ticks) {
                    return;
                }
                last_tick = Instant::now();
            }
        }
    }
}

/// Ticks the sequencer unless a tick is already waiting; `false` once the
/// sequencer is gone.
fn tick(ticks: &Sender<()>) -> bool {
    !matches!(ticks.try_send(()), Err(TrySendError::Disconnected(())))
}
