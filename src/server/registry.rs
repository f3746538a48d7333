//! The registry: every connection, the names in use, and the recent room history.
//!
//! It lives behind one `parking_lot::Mutex` in [`super::Shared`]. That single lock
//! is what makes the server's ordering promises hold: every line pushed to any
//! client queue is pushed while holding it, so all clients see the same
//! interleaving of messages, joins and leaves, and a joining client's replay and
//! its first live message meet with no gap and no overlap.
//!
//! Under the lock we only look up, insert, remove and [`Outbox::offer`] (which
//! never blocks). Sockets are shut down after the lock is released: methods that
//! close connections hand back their [`Control`]s for the caller to act on, via
//! [`Registry::settle`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use parking_lot::Mutex;

use super::ending::Ending;
use super::history::StoredMessage;
use super::outbox::{Chunk, Outbox, Waker};
use super::transport::Link;
use crate::protocol::server_line::Timestamp;
use crate::protocol::{ServerLine, name_key};

/// A connection's number, unique for the life of the server.
pub(crate) type ClientId = u64;

/// What anyone who closes a connection needs: the socket (to shut it down) and
/// the reason to give the client in its last line.
pub(crate) struct Control {
    /// The client's address, for logs.
    pub(crate) peer: SocketAddr,
    /// The client's connection, used only to end it.
    link: Link,
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
    pub(crate) fn new(peer: SocketAddr, link: Link) -> Control {
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

struct Entry {
    /// The name as its owner typed it, once registered.
    name: Option<String>,
    /// When it registered, in registration order (0 before that): a JOIN is
    /// announced only to those who registered earlier, since later ones found
    /// the name in their `USERS` list.
    joined: u64,
    outbox: Outbox,
    control: Arc<Control>,
}

/// A JOIN line waiting to be announced.
struct PendingJoin {
    /// The joiner's registration number.
    joined: u64,
    line: Chunk,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `--max-clients` connections are open.
    Full,
    /// `--max-per-ip` connections are open from the same address.
    TooManyFromAddress,
    /// The server is shutting down.
    Closing,
}

/// Why a name could not be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegisterError {
    /// Someone online has the name, in any case.
    NameTaken,
    /// The connection is no longer registered here: the server closed it.
    Closed,
}

/// How many connections the registry admits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// In all.
    pub(crate) max_clients: usize,
    /// From one IP address; 0 is unlimited.
    pub(crate) max_per_ip: usize,
}

/// See the module docs.
pub(crate) struct Registry {
    clients: HashMap<ClientId, Entry>,
    /// Registered names by [`name_key`], so iteration is case-insensitively sorted.
    names: BTreeMap<String, ClientId>,
    /// The newest room messages, oldest first, for replay on join and `/history`.
    recent: VecDeque<Arc<StoredMessage>>,
    recent_capacity: usize,
    /// Clients whose queue overflowed, to be evicted by [`Registry::settle`].
    overflowed: Vec<ClientId>,
    /// JOINs not yet announced, oldest first: see [`Registry::announce_joins`].
    pending_joins: Vec<PendingJoin>,
    /// The registration number the next client to register gets.
    next_join: u64,
    /// Writers to wake once the lock is released (see [`Outbox::offer_deferred`]).
    to_wake: Vec<Waker>,
    /// Connections closed since the last `settle`, for the caller to shut down.
    to_shut_down: Vec<Arc<Control>>,
    /// Open connections per client IP address.
    per_ip: HashMap<IpAddr, usize>,
    max_clients: usize,
    /// 0 is unlimited.
    max_per_ip: usize,
    closed: bool,
}

impl Registry {
    pub(crate) fn new(
        limits: Limits,
        recent: Vec<Arc<StoredMessage>>,
        recent_capacity: usize,
    ) -> Registry {
        let Limits {
            max_clients,
            max_per_ip,
        } = limits;
        Registry {
            clients: HashMap::new(),
            names: BTreeMap::new(),
            recent: recent.into(),
            recent_capacity,
            overflowed: Vec::new(),
            pending_joins: Vec::new(),
            next_join: 1,
            to_wake: Vec::new(),
            to_shut_down: Vec::new(),
            per_ip: HashMap::new(),
            max_clients,
            max_per_ip,
            closed: false,
        }
    }

    /// Adds a new, not yet registered connection.
    pub(crate) fn admit(
        &mut self,
        id: ClientId,
        outbox: Outbox,
        control: Arc<Control>,
    ) -> Result<(), Refusal> {
        if self.closed {
            return Err(Refusal::Closing);
        }
        if self.clients.len() >= self.max_clients {
            return Err(Refusal::Full);
        }
        let from_address = self.per_ip.entry(control.peer.ip()).or_default();
        if self.max_per_ip > 0 && *from_address >= self.max_per_ip {
            return Err(Refusal::TooManyFromAddress);
        }
        *from_address += 1;
        self.clients.insert(
            id,
            Entry {
                name: None,
                joined: 0,
                outbox,
                control,
            },
        );
        Ok(())
    }

    /// Gives connection `id` the name `name`, queues its welcome block (built by
    /// `welcome` from the online names and the recent history) and keeps `join`
    /// for everyone else, to be sent by [`Registry::announce_joins`]. Returns the
    /// number online.
    pub(crate) fn register(
        &mut self,
        id: ClientId,
        name: &str,
        join: &Chunk,
        welcome: impl FnOnce(&mut dyn Iterator<Item = &str>, &[Arc<StoredMessage>]) -> Chunk,
        replay: usize,
    ) -> Result<usize, RegisterError> {
        let key = name_key(name);
        if self.names.contains_key(&key) {
            return Err(RegisterError::NameTaken);
        }
        let Some(entry) = self.clients.get_mut(&id) else {
            return Err(RegisterError::Closed);
        };
        entry.name = Some(name.to_owned());
        entry.joined = self.next_join;
        self.pending_joins.push(PendingJoin {
            joined: self.next_join,
            line: join.clone(),
        });
        self.next_join += 1;
        self.names.insert(key, id);
        let history: Vec<Arc<StoredMessage>> = self
            .recent
            .iter()
            .rev()
            .take(replay)
            .rev()
            .cloned()
            .collect();
        let mut online = self
            .names
            .values()
            .filter_map(|other| self.clients.get(other)?.name.as_deref());
        let block = welcome(&mut online, &history);
        self.offer(id, &block);
        Ok(self.names.len())
    }

    /// The display name of the online user called `name` (any case).
    pub(crate) fn online_name(&self, name: &str) -> Option<String> {
        let id = self.names.get(&name_key(name))?;
        self.clients.get(id)?.name.clone()
    }

    /// The names online, sorted case-insensitively.
    pub(crate) fn names(&self) -> Vec<String> {
        self.names
            .values()
            .filter_map(|id| self.clients.get(id)?.name.clone())
            .collect()
    }

    /// The newest `n` room messages, oldest first.
    pub(crate) fn recent(&self, n: usize) -> Vec<Arc<StoredMessage>> {
        self.recent.iter().rev().take(n).rev().cloned().collect()
    }

    /// Tells everyone of the JOINs registered since the last call, each to the
    /// clients that registered before it. The history thread calls this (and
    /// [`Registry::deliver`] does first), so that when hundreds of clients join
    /// at once their JOINs go out in batches, each writer woken once per batch
    /// rather than once per JOIN; and so that a JOIN always goes out before the
    /// joiner's first message. [`Registry::remove`] calls it before a LEAVE.
    ///
    /// Clients registered before every pending joiner, nearly all of them in a
    /// JOIN storm, get the whole batch as one chunk: one queue slot and one
    /// shared buffer instead of one of each per JOIN. Queued line by line,
    /// the hundreds of JOINs per batch of a 10,000-client storm grew the
    /// queues of clients that had fallen behind, and the heap kept that
    /// memory after: 27.8 KiB per idle client, 21.8 as one chunk. Clients
    /// registered within the batch get only the JOINs after their own, line
    /// by line.
    pub(crate) fn announce_joins(&mut self) {
        let pending = std::mem::take(&mut self.pending_joins);
        let Some(first) = pending.first() else {
            return;
        };
        let all = join_lines(&pending);
        for &id in self.names.values() {
            let Some(entry) = self.clients.get(&id) else {
                continue;
            };
            if entry.joined < first.joined {
                queue_for(id, entry, &all, &mut self.to_wake, &mut self.overflowed);
                continue;
            }
            // Pending JOINs are in registration order; its own is not after it.
            for join in pending.iter().filter(|join| join.joined > entry.joined) {
                queue_for(
                    id,
                    entry,
                    &join.line,
                    &mut self.to_wake,
                    &mut self.overflowed,
                );
            }
        }
    }

    /// Hands a batch of newly stored messages to their recipients, in order. Room
    /// messages go to every registered client and into the recent history;
    /// private ones to the recipient and to the sender's connection.
    pub(crate) fn deliver(&mut self, batch: &[(Arc<StoredMessage>, ClientId, Chunk)]) {
        self.announce_joins();
        for (message, sender, line) in batch {
            match &message.to {
                None => {
                    self.broadcast(line, None);
                    if self.recent.len() == self.recent_capacity {
                        self.recent.pop_front();
                    }
                    self.recent.push_back(message.clone());
                }
                Some(to) => {
                    let recipient = self.names.get(&name_key(to)).copied();
                    if let Some(recipient) = recipient
                        && recipient != *sender
                    {
                        self.offer(recipient, line);
                    }
                    self.offer(*sender, line);
                }
            }
        }
    }

    /// Queues `chunk` for one connection.
    pub(crate) fn offer(&mut self, id: ClientId, chunk: &Chunk) {
        if let Some(entry) = self.clients.get(&id) {
            queue_for(id, entry, chunk, &mut self.to_wake, &mut self.overflowed);
        }
    }

    /// Queues `chunk` for every registered client but `except`.
    fn broadcast(&mut self, chunk: &Chunk, except: Option<ClientId>) {
        for &id in self.names.values() {
            if Some(id) == except {
                continue;
            }
            if let Some(entry) = self.clients.get(&id) {
                queue_for(id, entry, chunk, &mut self.to_wake, &mut self.overflowed);
            }
        }
    }

    /// The writers to wake now that lines are queued; the caller wakes them
    /// (or writes their queues) after releasing the lock, so a batch of lines
    /// costs each writer one wake-up and the lock is never held across the
    /// system calls.
    pub(crate) fn take_wakers(&mut self) -> Vec<Waker> {
        std::mem::take(&mut self.to_wake)
    }

    /// Records that connection `id`'s queue overflowed (found outside the lock).
    pub(crate) fn mark_overflowed(&mut self, id: ClientId) {
        self.overflowed.push(id);
    }

    /// Removes connection `id`. If it was registered, everyone else gets `LEAVE`
    /// with `reason`. Returns whether it was still here.
    pub(crate) fn remove(&mut self, id: ClientId, reason: &str, ts: Timestamp) -> bool {
        self.announce_joins();
        let Some(entry) = self.clients.remove(&id) else {
            return false;
        };
        self.forget_address(&entry.control);
        if let Some(name) = entry.name {
            self.names.remove(&name_key(&name));
            let leave = ServerLine::Leave {
                ts,
                name,
                reason: reason.to_owned(),
            };
            self.broadcast(&Chunk::from(leave.encode().into_bytes()), None);
        }
        true
    }

    /// Stops admitting and removes every connection, each told `reason`.
    pub(crate) fn close_all(&mut self, reason: &str) {
        self.closed = true;
        for (_, entry) in self.clients.drain() {
            entry.control.set_farewell(reason, false);
            self.to_shut_down.push(entry.control);
        }
        self.names.clear();
        self.pending_joins.clear();
        self.per_ip.clear();
    }

    /// Evicts every client whose queue overflowed (which may overflow others with
    /// their `LEAVE`s, so it repeats until none is left), then returns the
    /// connections to shut down once the lock is released.
    pub(crate) fn settle(&mut self, ts: Timestamp) -> Vec<Arc<Control>> {
        while let Some(id) = self.overflowed.pop() {
            let Some(entry) = self.clients.get(&id) else {
                continue;
            };
            let control = entry.control.clone();
            control.set_farewell("send queue exceeded", true);
            entry.outbox.discard();
            log::warn!("{}: evicted, send queue exceeded", control.peer);
            self.remove(id, "send queue exceeded", ts);
            self.to_shut_down.push(control);
        }
        std::mem::take(&mut self.to_shut_down)
    }

    fn forget_address(&mut self, control: &Control) {
        let ip = control.peer.ip();
        if let Some(count) = self.per_ip.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                self.per_ip.remove(&ip);
            }
        }
    }
}

/// Every pending JOIN line in one chunk, in order.
fn join_lines(pending: &[PendingJoin]) -> Chunk {
    if let [only] = pending {
        return only.line.clone();
    }
    let len = pending.iter().map(|join| join.line.len()).sum();
    let mut all = Vec::with_capacity(len);
    for join in pending {
        all.extend_from_slice(&join.line);
    }
    Chunk::from(all)
}

/// Queues `chunk` for one entry, noting a writer to wake or an overflow.
fn queue_for(
    id: ClientId,
    entry: &Entry,
    chunk: &Chunk,
    to_wake: &mut Vec<Waker>,
    overflowed: &mut Vec<ClientId>,
) {
    match entry.outbox.offer_deferred(chunk) {
        Ok(Some(waker)) => to_wake.push(waker),
        Ok(None) => {}
        Err(_) => overflowed.push(id),
    }
}
