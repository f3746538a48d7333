//! [`Control`]: what anyone who closes a connection needs, the socket (to
//! shut it down) and the reason to give the client in its last line. The
//! hub reaches it through the connection's member (`front/native/`);
//! sessions and writers share it.

use std::net::SocketAddr;

use parking_lot::Mutex;

use super::ending::Ending;
use super::transport::ClientLink;

/// See the module docs.
pub(crate) struct Control {
    /// The client's address, for logs.
    pub(crate) peer: SocketAddr,
    /// The client's connection, used only to end it.
    link: ClientLink,
    /// Why the server is closing this connection. Guards only this value; the
    /// first reason set wins and the writer reads it once the queue closes.
    farewell: Mutex<Option<Farewell>>,
    /// Set when the connection is being ended; the session stops at it.
    pub(crate) ending: Ending,
}

/// The last line a closing connection gets, and whether queued lines go first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Farewell {
    /// The text of the `BYE` line.
    pub(crate) reason: String,
    /// Throw away whatever is still queued (the client is too far behind).
    pub(crate) discard_backlog: bool,
}

impl Control {
    pub(crate) fn new(peer: SocketAddr, link: ClientLink) -> Control {
        Control {
            peer,
            link,
            farewell: Mutex::new(None),
            ending: Ending::default(),
        }
    }

    /// Records why the connection closes, unless a reason is already recorded.
    pub(crate) fn set_farewell(&self, reason: &str, discard_backlog: bool) {
        let mut farewell = self.farewell.lock();
        if farewell.is_none() {
            *farewell = Some(Farewell {
                reason: reason.to_owned(),
                discard_backlog,
            });
        }
    }

    pub(crate) fn farewell(&self) -> Option<Farewell> {
        self.farewell.lock().clone()
    }

    /// Whether the connection is being evicted, its backlog thrown away.
    pub(crate) fn is_discarding(&self) -> bool {
        self.farewell
            .lock()
            .as_ref()
            .is_some_and(|farewell| farewell.discard_backlog)
    }

    /// Stops the session: its next read sees end of stream, and it reads
    /// nothing more of what was already received, nor waits out a delay
    /// (see `ending.rs`).
    pub(crate) fn stop_reading(&self) {
        self.ending.set();
        self.link.stop_reading();
    }

    /// Ends the connection both ways, unblocking a writer stuck on a peer that
    /// does not read.
    pub(crate) fn close(&self) {
        self.ending.set();
        self.link.close();
    }
}
