//! The `presence` thread of a node on PostgreSQL: twice a second it keeps
//! this node's names claimed across nodes (`hub/store/postgres/presence.rs`).
//! It stamps the node's identity, so other nodes leave its names alone, and
//! when the presence connection is lost it connects again and claims every
//! local name again, at once rather than when the next client arrives.
//!
//! A name another node gave out while this one was away is that node's now
//! (the database's row decides): the local client holding it is
//! disconnected with [`TAKEN_WHILE_AWAY`], so no name ever has two holders
//! once the connection is back. It never holds the hub lock over the
//! database: it asks the database first, then takes the lock to disconnect.

use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use chrono::Utc;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::ServerState;

/// How often the thread stamps the identity and checks the connection.
const TICK: Duration = Duration::from_millis(500);

/// The last line of a client whose name another node took meanwhile.
pub(crate) const TAKEN_WHILE_AWAY: &str = "this server lost its database for a while and \
     another server gave your name out meanwhile: connect again with another name";

/// The running thread; [`PresenceKeeper::stop`] ends and joins it.
pub(crate) struct PresenceKeeper {
    /// Dropped to stop the thread; nothing is ever sent.
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl PresenceKeeper {
    /// Starts the thread when the node shares names through a database.
    pub(crate) fn start(shared: &Arc<ServerState>) -> std::io::Result<Option<PresenceKeeper>> {
        if shared.presence.is_none() {
            return Ok(None);
        }
        let (stop, stopped) = crossbeam_channel::bounded(0);
        let shared = shared.clone();
        let thread = thread::Builder::new()
            .name("presence".into())
            .spawn(move || keep(&shared, &stopped))?;
        Ok(Some(PresenceKeeper { stop, thread }))
    }

    /// Stops the thread and waits for it.
    pub(crate) fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

/// The thread: a tick every [`TICK`] until its sender is dropped.
fn keep(shared: &ServerState, stopped: &Receiver<()>) {
    let Some(presence) = &shared.presence else {
        return;
    };
    let mut failing = false;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
        match presence.keep() {
            Ok(lost) => {
                failing = false;
                if presence.take_announce_again() {
                    // Stored at the sequencer's next tick.
                    shared.locked(|registry| registry.announce_all_again(Utc::now()));
                }
                for name in lost {
                    log::warn!("{name}: disconnected, another node took the name meanwhile");
                    shared.locked(|registry| {
                        registry.disconnect_name(&name, TAKEN_WHILE_AWAY, Utc::now())
                    });
                }
            }
            Err(error) if !failing => {
                // Once per outage: it tries again every tick.
                failing = true;
                log::warn!("cannot reach the database for names yet: {error}");
            }
            Err(_) => {}
        }
    }
}
