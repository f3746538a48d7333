//! The registry: every connection, its send queue, the names in use, and the
//! rooms (the hub's [`Rooms`]) with who is in each.
//!
//! It lives behind one `parking_lot::Mutex` in [`super::ServerState`]. That
//! single lock is what makes the ordering promises hold: every line pushed to
//! any client queue is pushed while holding it, so every member of a room
//! sees the same interleaving of its messages, joins, parts and leaves, and a
//! joiner's replay and its first live message meet with no gap and no
//! overlap.
//!
//! Under the lock we only look up, insert, remove and [`Outbox::offer`] (which
//! never blocks). Sockets are shut down after the lock is released: methods that
//! close connections hand back their [`Control`]s for the caller to act on, via
//! [`Registry::settle`]. The room commands are in `rooms.rs`.

mod recipients;
mod rooms;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

pub(crate) use super::control::Control;
use super::outbox::{Chunk, Outbox, Waker};
pub(crate) use crate::hub::message::ClientId;
use crate::hub::message::{Audience, RoomRef, StoredMessage, TopicChange};
use crate::hub::rooms::{Memberships, Rooms};
use crate::protocol::server_line::Timestamp;
use crate::protocol::{ServerLine, name_key};
use recipients::{Recipients, join_lines, members_of, queue_for};
pub(crate) use rooms::{JoinError, PartError, RoomCap};

struct Entry {
    /// The name as its owner typed it, once registered.
    name: Option<String>,
    /// Whether it registered with `/login`: its rooms are remembered.
    account: bool,
    /// When it registered, in registration order (0 before that): a JOIN is
    /// announced only to those who registered earlier, since later ones found
    /// the name in their `USERS` list.
    joined: u64,
    /// Its rooms; the last is its current room.
    rooms: Memberships,
    outbox: Outbox,
    control: Arc<Control>,
}

/// A default-room JOIN line waiting to be announced.
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

/// How many connections, and rooms per connection, the registry admits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// In all.
    pub(crate) max_clients: usize,
    /// From one IP address; 0 is unlimited.
    pub(crate) max_per_ip: usize,
    /// Rooms one client may be in, the default room included.
    pub(crate) max_rooms: usize,
    /// Messages replayed on joining a room.
    pub(crate) replay: usize,
}

/// A stored item on its way to its recipients, its line encoded once.
pub(crate) enum Delivery {
    /// A room or private message.
    Message {
        message: Arc<StoredMessage>,
        sender: ClientId,
        line: Chunk,
    },
    /// A topic someone set.
    Topic { change: TopicChange, line: Chunk },
}

/// See the module docs.
pub(crate) struct Registry {
    clients: HashMap<ClientId, Entry>,
    /// Registered names by [`name_key`], so iteration is case-insensitively sorted.
    names: BTreeMap<String, ClientId>,
    rooms: Rooms,
    /// The room every client is put in when it registers.
    default_room: RoomRef,
    /// Each account's rooms, by its name's key, as last stored.
    remembered: HashMap<String, Vec<RoomRef>>,
    /// Clients whose queue overflowed, to be evicted by [`Registry::settle`].
    overflowed: Vec<ClientId>,
    /// JOINs to the default room not yet announced, oldest first: see
    /// [`Registry::announce_joins`].
    pending_joins: Vec<PendingJoin>,
    /// The registration number the next client to register gets.
    next_join: u64,
    /// Writers to wake once the lock is released (see [`Outbox::offer_deferred`]).
    to_wake: Vec<Waker>,
    /// Connections closed since the last `settle`, for the caller to shut down.
    to_shut_down: Vec<Arc<Control>>,
    /// Open connections per client IP address.
    per_ip: HashMap<IpAddr, usize>,
    limits: Limits,
    closed: bool,
}

impl Registry {
    pub(crate) fn new(
        limits: Limits,
        rooms: Rooms,
        default_room: &str,
        remembered: HashMap<String, Vec<RoomRef>>,
    ) -> Registry {
        let mut rooms = rooms;
        let default_room = rooms.make_default(&rooms.name_for(default_room));
        Registry {
            clients: HashMap::new(),
            names: BTreeMap::new(),
            default_room,
            rooms,
            remembered,
            overflowed: Vec::new(),
            pending_joins: Vec::new(),
            next_join: 1,
            to_wake: Vec::new(),
            to_shut_down: Vec::new(),
            per_ip: HashMap::new(),
            limits,
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
        if self.clients.len() >= self.limits.max_clients {
            return Err(Refusal::Full);
        }
        let from_address = self.per_ip.entry(control.peer.ip()).or_default();
        if self.limits.max_per_ip > 0 && *from_address >= self.limits.max_per_ip {
            return Err(Refusal::TooManyFromAddress);
        }
        *from_address += 1;
        self.clients.insert(
            id,
            Entry {
                name: None,
                account: false,
                joined: 0,
                rooms: Memberships::default(),
                outbox,
                control,
            },
        );
        Ok(())
    }

    /// Gives connection `id` the name `name` and puts it in the default
    /// room: queues its welcome block (built by `welcome` from the number
    /// online, the room's members and its recent messages) and keeps `join`
    /// for the room's other members, to be sent by
    /// [`Registry::announce_joins`]. Returns the number online and the
    /// default room.
    pub(crate) fn register(
        &mut self,
        id: ClientId,
        name: &str,
        account: bool,
        join: &Chunk,
        welcome: impl FnOnce(usize, &mut dyn Iterator<Item = &str>, &[Arc<StoredMessage>]) -> Chunk,
    ) -> Result<(usize, RoomRef), RegisterError> {
        let key = name_key(name);
        if self.names.contains_key(&key) {
            return Err(RegisterError::NameTaken);
        }
        let Some(entry) = self.clients.get_mut(&id) else {
            return Err(RegisterError::Closed);
        };
        entry.name = Some(name.to_owned());
        entry.account = account;
        entry.joined = self.next_join;
        entry.rooms.push(self.default_room.clone());
        self.pending_joins.push(PendingJoin {
            joined: self.next_join,
            line: join.clone(),
        });
        self.next_join += 1;
        self.names.insert(key, id);
        self.rooms.count_member(&self.default_room.key, true);
        let block = {
            let history = match self.rooms.get(&self.default_room.key) {
                Some(room) => room.recent(self.limits.replay),
                None => Vec::new(),
            };
            let clients = &self.clients;
            let default_room = &self.default_room;
            // The default room's members, found as `members_of` does,
            // without its allocation: this is the deepest point of the
            // session's stack and the hottest of a JOIN storm.
            let mut members = self.names.values().filter_map(|member| {
                let entry = clients.get(member)?;
                entry
                    .rooms
                    .contains(default_room)
                    .then_some(entry.name.as_deref()?)
            });
            welcome(self.names.len(), &mut members, &history)
        };
        self.offer(id, &block);
        Ok((self.names.len(), self.default_room.clone()))
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

    /// Tells the default room of the JOINs registered since the last call,
    /// each to the members that registered before it. The sequencer calls
    /// this (and [`Registry::deliver`] does first), so that when hundreds of
    /// clients join at once their JOINs go out in batches, each writer woken
    /// once per batch rather than once per JOIN; and so that a JOIN always
    /// goes out before the joiner's first message. Every call that changes
    /// who is in a room calls it first.
    ///
    /// Members registered before every pending joiner, nearly all of them in
    /// a JOIN storm, get the whole batch as one chunk: one queue slot and one
    /// shared buffer instead of one of each per JOIN (see
    /// `docs/benchmarks.md` for what line-by-line queues cost). Members
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
            if !entry.rooms.contains(&self.default_room) {
                continue;
            }
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

    /// Hands a batch of newly stored messages and topics to their
    /// recipients, in order. A room's go to its members and into its recent
    /// messages (and to the sender, if it has left the room meanwhile: its
    /// copy is its receipt); a private one to the recipient and to the
    /// sender's connection.
    pub(crate) fn deliver(&mut self, batch: &[Delivery]) {
        self.announce_joins();
        for delivery in batch {
            match delivery {
                Delivery::Message {
                    message,
                    sender,
                    line,
                } => match &message.audience {
                    Audience::Room(_) => {
                        let Some(room) = self.rooms.record(message) else {
                            continue;
                        };
                        let to = Recipients {
                            clients: &self.clients,
                            to_wake: &mut self.to_wake,
                            overflowed: &mut self.overflowed,
                        };
                        to.room_and_sender(room, &self.default_room, &self.names, *sender, line);
                    }
                    Audience::Private(to) => {
                        let recipient = self.names.get(name_key(to).as_str()).copied();
                        if let Some(recipient) = recipient
                            && recipient != *sender
                        {
                            self.offer(recipient, line);
                        }
                        self.offer(*sender, line);
                    }
                },
                Delivery::Topic { change, line } => {
                    let Some(room) = self.rooms.set_topic(&change.room, change.topic.clone())
                    else {
                        // Its last member left meanwhile: only the setter hears.
                        self.offer(change.sender, line);
                        continue;
                    };
                    let to = Recipients {
                        clients: &self.clients,
                        to_wake: &mut self.to_wake,
                        overflowed: &mut self.overflowed,
                    };
                    let (names, sender) = (&self.names, change.sender);
                    to.room_and_sender(room, &self.default_room, names, sender, line);
                }
            }
        }
    }

    /// The room every client is put in when it registers, named as stored.
    pub(crate) fn default_room(&self) -> &RoomRef {
        &self.default_room
    }

    /// The keys of the rooms forgotten since the last call (their last
    /// member left and they have no messages), for the store to forget.
    pub(crate) fn take_forgotten_rooms(&mut self) -> Vec<String> {
        self.rooms.take_forgotten()
    }

    /// Queues `chunk` for one connection.
    pub(crate) fn offer(&mut self, id: ClientId, chunk: &Chunk) {
        if let Some(entry) = self.clients.get(&id) {
            queue_for(id, entry, chunk, &mut self.to_wake, &mut self.overflowed);
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

    /// Removes connection `id`. If it was registered, everyone who shares a
    /// room with it gets one `LEAVE` with `reason`. Returns whether it was
    /// still here.
    pub(crate) fn remove(&mut self, id: ClientId, reason: &str, ts: Timestamp) -> bool {
        self.announce_joins();
        let Some(entry) = self.clients.remove(&id) else {
            return false;
        };
        self.forget_address(&entry.control);
        let Some(name) = entry.name else {
            return true;
        };
        let key = name_key(&name);
        self.names.remove(&key);
        let leave = ServerLine::Leave {
            ts,
            name,
            reason: reason.to_owned(),
        };
        let chunk = Chunk::from(leave.encode().into_bytes());
        if entry.rooms.len() == 1
            && let Some(room) = entry.rooms.current()
        {
            // One room, nearly always the default one: its members in one
            // pass, as the one-room broadcast of a LEAVE was.
            if let Some(found) = self.rooms.get(&room.key) {
                let to = Recipients {
                    clients: &self.clients,
                    to_wake: &mut self.to_wake,
                    overflowed: &mut self.overflowed,
                };
                to.room_except(found, &self.default_room, &self.names, id, &chunk);
            }
            self.leave_room(room, &key);
            return true;
        }
        let mut recipients: Vec<ClientId> = Vec::new();
        for room in entry.rooms.iter() {
            if let Some(found) = self.rooms.get(&room.key) {
                let members = members_of(found, &self.default_room, &self.names, &self.clients);
                recipients.extend(members.filter(|&member| member != id));
            }
            self.leave_room(room, &key);
        }
        recipients.sort_unstable();
        recipients.dedup();
        for recipient in recipients {
            self.offer(recipient, &chunk);
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
        self.rooms.clear_members();
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

    /// Takes the user whose name has key `name_key` out of `room`'s list
    /// (or count, for the default room).
    fn leave_room(&mut self, room: &RoomRef, name_key: &str) {
        if room.key == self.default_room.key {
            self.rooms.count_member(&room.key, false);
        } else {
            self.rooms.remove_member(&room.key, name_key);
        }
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
