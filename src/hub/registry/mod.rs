//! The hub's registry: every connected member, the names in use (one
//! namespace for every front), the rooms (the hub's [`Rooms`]) with who is
//! in each, each account's remembered rooms, and the default-room JOINs not
//! yet announced.
//!
//! It lives behind one `parking_lot::Mutex` in [`Hub`]. That single lock is
//! what makes the ordering promises hold: every event offered to any member
//! is offered while holding it, so every member of a room sees the same
//! interleaving of its messages, joins, parts and leaves, and a joiner's
//! replay and its first live message meet with no gap and no overlap.
//!
//! Under the lock we only look up, insert, remove and [`Member::deliver`]
//! (which never blocks, and encodes each event once per front format). No
//! event is encoded here, and nothing is allocated per recipient. What must
//! happen outside the lock, [`Hub::locked_then`] does once it is released:
//! it uses the wake tokens members handed back, and stops the members the
//! registry closed ([`Registry::settle`]). The room commands are in
//! `rooms.rs`; walking a room's members in `recipients.rs`.

mod recipients;
mod relay;
mod remote;
mod rooms;
#[cfg(test)]
mod tests;
mod users;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use chrono::Utc;
use parking_lot::Mutex;

use super::event::{Delivery, HubEvent, Names, Walk};
use super::member::{Member, Offered};
use super::membership::Change;
use super::message::{Audience, ClientId, NO_SENDER, RoomRef, StoredMessage};
use super::rooms::{Memberships, Rooms};
use super::sequencer::Sequenced;
use crate::protocol::name_key;
use crate::protocol::server_line::Timestamp;
use recipients::{Recipients, members_of};
pub(crate) use relay::Relayed;
pub(crate) use rooms::{InStore, JoinError, Listed, PartError, RoomCap, RoomView};

struct Entry<M> {
    /// The name as its owner typed it, once registered.
    name: Option<String>,
    /// Whether it registered with `/login`: its rooms are remembered.
    account: bool,
    /// When it registered, in registration order (0 before that): a JOIN is
    /// announced only to those who registered earlier, since later ones found
    /// the name in their member list.
    joined: u64,
    /// Its rooms; the last is its current room.
    rooms: Memberships,
    member: M,
    /// Where it connects from, for `--max-per-ip`.
    address: IpAddr,
}

/// The default-room JOINs waiting to be announced, oldest first.
#[derive(Default)]
struct PendingJoins {
    /// Each joiner's registration number.
    numbers: Vec<u64>,
    /// Each one's [`HubEvent::Join`].
    joins: Vec<Delivery<'static>>,
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
    /// Someone online has the name, in any case, whatever their front.
    NameTaken,
    /// The connection is no longer registered here: the hub closed it.
    Closed,
}

/// What a member that registered is told back (it has been sent
/// [`HubEvent::Welcome`] too).
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    /// Users online, itself included.
    pub(crate) online: usize,
    /// The default room, where it now is.
    pub(crate) room: RoomRef,
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

/// The registry behind its lock: what fronts and the sequencer's fanout
/// share. `M` is the fronts' member type (see `hub/member.rs`).
pub(crate) struct Hub<M: Member> {
    registry: Mutex<Registry<M>>,
}

impl<M: Member> Hub<M> {
    pub(crate) fn new(registry: Registry<M>) -> Hub<M> {
        Hub {
            registry: Mutex::new(registry),
        }
    }

    /// Runs `f` under the hub lock; then, with the lock released, hands
    /// each wake token to `wake` and stops every member closed or evicted.
    pub(crate) fn locked_then<T>(
        &self,
        f: impl FnOnce(&mut Registry<M>) -> T,
        mut wake: impl FnMut(M::WakeToken),
    ) -> T {
        let (result, stopped, wakers) = {
            let mut registry = self.registry.lock();
            let result = f(&mut registry);
            let stopped = registry.settle(Utc::now());
            (result, stopped, std::mem::take(&mut registry.to_wake))
        };
        for waker in wakers {
            wake(waker);
        }
        for member in stopped {
            member.stop();
        }
        result
    }
}

/// See the module docs.
pub(crate) struct Registry<M: Member> {
    clients: HashMap<ClientId, Entry<M>>,
    /// Registered names by [`name_key`], so iteration is case-insensitively sorted.
    names: BTreeMap<String, ClientId>,
    rooms: Rooms,
    /// The room every client is put in when it registers.
    default_room: RoomRef,
    /// Each account's rooms, by its name's key, as last stored.
    remembered: HashMap<String, Vec<RoomRef>>,
    /// Clients whose queue overflowed, to be evicted by [`Registry::settle`].
    overflowed: Vec<ClientId>,
    /// See [`Registry::announce_joins`].
    pending: PendingJoins,
    /// The registration number the next client to register gets.
    next_join: u64,
    /// Wake tokens to use once the lock is released (see [`Offered::Wake`]).
    to_wake: Vec<M::WakeToken>,
    /// Members closed since the last `settle`, to stop after the lock.
    to_stop: Vec<M>,
    /// Open connections per client IP address.
    per_ip: HashMap<IpAddr, usize>,
    limits: Limits,
    closed: bool,
    /// Sharing a store with other nodes: their users, and this node's
    /// changes for them (`remote.rs`). `None` on a single node.
    cluster: Option<remote::Cluster<M>>,
    /// The number of the last relay (see `relay.rs`).
    relays: u64,
}

impl<M: Member> Registry<M> {
    pub(crate) fn new(
        limits: Limits,
        rooms: Rooms,
        default_room: &str,
        remembered: HashMap<String, Vec<RoomRef>>,
    ) -> Registry<M> {
        let mut rooms = rooms;
        let default_room = rooms.make_default(&rooms.name_for(default_room));
        Registry {
            clients: HashMap::new(),
            names: BTreeMap::new(),
            default_room,
            rooms,
            remembered,
            overflowed: Vec::new(),
            pending: PendingJoins::default(),
            next_join: 1,
            to_wake: Vec::new(),
            to_stop: Vec::new(),
            per_ip: HashMap::new(),
            limits,
            closed: false,
            cluster: None,
            relays: 0,
        }
    }

    /// Adds a new, not yet registered connection from `address`.
    pub(crate) fn admit(
        &mut self,
        id: ClientId,
        address: IpAddr,
        member: M,
    ) -> Result<(), Refusal> {
        if self.closed {
            return Err(Refusal::Closing);
        }
        if self.clients.len() - self.remote_count() >= self.limits.max_clients {
            return Err(Refusal::Full);
        }
        let from_address = self.per_ip.entry(address).or_default();
        if self.limits.max_per_ip > 0 && *from_address >= self.limits.max_per_ip {
            return Err(Refusal::TooManyFromAddress);
        }
        *from_address += 1;
        let entry = Entry {
            name: None,
            account: false,
            joined: 0,
            rooms: Memberships::default(),
            member,
            address,
        };
        self.clients.insert(id, entry);
        Ok(())
    }

    /// Gives connection `id` the name `name` if nobody online has it (in
    /// any case, on any front) and puts it in the default room: it is told
    /// [`HubEvent::Welcome`], and its [`HubEvent::Join`] waits for
    /// [`Registry::announce_joins`]. The one call that checks a name is free
    /// and takes it.
    pub(crate) fn register(
        &mut self,
        id: ClientId,
        name: &str,
        account: bool,
        ts: Timestamp,
    ) -> Result<Registered, RegisterError> {
        let joined = self.take_name(id, name, account)?;
        if let Some(entry) = self.clients.get_mut(&id) {
            entry.rooms.push(self.default_room.clone());
        }
        self.record(id, name, ts, Change::Join(self.default_room.clone()));
        self.pending.numbers.push(joined);
        self.pending.joins.push(Delivery::new(HubEvent::Join {
            ts,
            name: name.to_owned(),
            room: self.default_room.clone(),
        }));
        self.rooms.count_member(&self.default_room.key, true);
        self.rooms.seen(&self.default_room.key, ts);
        self.welcome(id, name);
        Ok(Registered {
            online: self.names.len(),
            room: self.default_room.clone(),
        })
    }

    /// Tells a client that has just registered as `name` of the server and
    /// its default room.
    fn welcome(&mut self, id: ClientId, name: &str) {
        let history = match self.rooms.get(&self.default_room.key) {
            Some(room) => room.recent(self.limits.replay),
            None => Vec::new(),
        };
        let (clients, names, default_room) = (&self.clients, &self.names, &self.default_room);
        // The default room's members, found as `members_of` does, walked
        // where they are encoded: a JOIN storm's hottest point.
        let walk: &Walk<'_> = &|| {
            Box::new(names.values().filter_map(move |member| {
                let entry = clients.get(member)?;
                entry
                    .rooms
                    .contains(default_room)
                    .then_some(entry.name.as_deref()?)
            }))
        };
        let welcome = Delivery::new(HubEvent::Welcome {
            name,
            online: names.len(),
            room: default_room,
            members: Names::new(walk),
            history: &history,
        });
        let mut to = Recipients {
            clients,
            to_wake: &mut self.to_wake,
            overflowed: &mut self.overflowed,
        };
        to.one(id, &welcome);
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
    /// a JOIN storm, get the whole batch as one [`HubEvent::Joins`]: one queue
    /// slot and one shared buffer instead of one of each per JOIN. Members
    /// registered within the batch get only the JOINs after their own, one
    /// by one.
    pub(crate) fn announce_joins(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let Some(&first) = pending.numbers.first() else {
            return;
        };
        let batch = Delivery::new(HubEvent::Joins(&pending.joins));
        let mut to = Recipients {
            clients: &self.clients,
            to_wake: &mut self.to_wake,
            overflowed: &mut self.overflowed,
        };
        for &id in self.names.values() {
            let Some(entry) = to.clients.get(&id) else {
                continue;
            };
            if !entry.rooms.contains(&self.default_room) {
                continue;
            }
            if entry.joined < first {
                match pending.joins.as_slice() {
                    [only] => to.entry(id, entry, only),
                    _ => to.entry(id, entry, &batch),
                }
                continue;
            }
            // Pending JOINs are in registration order; its own is not after it.
            for (number, join) in pending.numbers.iter().zip(&pending.joins) {
                if *number > entry.joined {
                    to.entry(id, entry, join);
                }
            }
        }
    }

    /// Hands a batch of stored messages and topics to their recipients, in
    /// order. A room's go to its members and into its recent messages (and
    /// to the sender, if it has left the room meanwhile: its copy is its
    /// receipt); a private one to the recipient and to the sender's
    /// connection. Items stored by another node (issue 18) come here the
    /// same way, with no local sender.
    /// Consecutive messages to one room go to each member in one call
    /// (`Member::deliver_all`): queueing is a lock per member, and the one
    /// lock for a run instead of one a message is most of what the
    /// one-room fanout costs (docs/benchmarks.md).
    pub(crate) fn deliver(&mut self, batch: Vec<Sequenced>) {
        self.announce_joins();
        let mut items = batch.into_iter().peekable();
        while let Some(item) = items.next() {
            match item {
                Sequenced::Message { message, sender } if message.room().is_some() => {
                    let mut run = vec![(message, sender)];
                    while let Some(Sequenced::Message { message, sender }) =
                        items.next_if(|next| same_room(next, &run[0].0))
                    {
                        run.push((message, sender));
                    }
                    self.deliver_room_run(run);
                }
                Sequenced::Message { message, sender } => self.deliver_message(message, sender),
                Sequenced::Member { node, change } => {
                    self.apply_remote(node, change);
                    // Told now, before the items after it (a joiner's first
                    // message): JOINs are otherwise held for a batch.
                    self.announce_joins();
                }
                Sequenced::Topic(change) => {
                    let delivery = Delivery::new(HubEvent::Topic {
                        room: change.room.clone(),
                        topic: change.topic.clone(),
                    });
                    let sender = change.sender;
                    let mut to = Recipients {
                        clients: &self.clients,
                        to_wake: &mut self.to_wake,
                        overflowed: &mut self.overflowed,
                    };
                    if sender == NO_SENDER {
                        // Another node's: nobody here to tell if the room is
                        // not in memory (the store's row has it for a join).
                        let Some(room) = self.rooms.set_remote_topic(&change.room, change.topic)
                        else {
                            continue;
                        };
                        to.room_and_sender(
                            room,
                            &self.default_room,
                            &self.names,
                            sender,
                            &delivery,
                        );
                        continue;
                    }
                    let Some(room) = self.rooms.set_topic(&change.room, change.topic) else {
                        // Its last member left meanwhile: only the setter hears.
                        to.one(sender, &delivery);
                        continue;
                    };
                    to.room_and_sender(room, &self.default_room, &self.names, sender, &delivery);
                }
            }
        }
    }

    /// Messages to one room, in order: into its recent messages, to each
    /// member in one call, and to each sender no longer in it. A room not
    /// in memory has no member here: only its senders (if still connected)
    /// get their copies.
    fn deliver_room_run(&mut self, run: Vec<(StoredMessage, ClientId)>) {
        let mut deliveries = Vec::with_capacity(run.len());
        let mut senders = Vec::with_capacity(run.len());
        let mut key = None;
        for (message, sender) in run {
            let message = Arc::new(message);
            if let Some(room) = self.rooms.record(&message) {
                key.get_or_insert_with(|| room.name.clone());
            }
            deliveries.push(Delivery::new(HubEvent::Message(message)));
            senders.push(sender);
        }
        let mut to = Recipients {
            clients: &self.clients,
            to_wake: &mut self.to_wake,
            overflowed: &mut self.overflowed,
        };
        let Some(room) = key.and_then(|name| self.rooms.get(&name.key)) else {
            for (sender, delivery) in senders.iter().zip(&deliveries) {
                to.one(*sender, delivery);
            }
            return;
        };
        to.room_and_senders(room, &self.default_room, &self.names, &senders, &deliveries);
    }

    fn deliver_message(&mut self, message: StoredMessage, sender: ClientId) {
        let message = Arc::new(message);
        let delivery = Delivery::new(HubEvent::Message(message.clone()));
        let mut to = Recipients {
            clients: &self.clients,
            to_wake: &mut self.to_wake,
            overflowed: &mut self.overflowed,
        };
        match &message.audience {
            Audience::Room(_) => {
                let Some(room) = self.rooms.record(&message) else {
                    // Nobody here is in it: only the sender's copy.
                    to.one(sender, &delivery);
                    return;
                };
                to.room_and_sender(room, &self.default_room, &self.names, sender, &delivery);
            }
            Audience::Private(recipient) => {
                let recipient = self.names.get(name_key(recipient).as_str()).copied();
                if let Some(recipient) = recipient
                    && recipient != sender
                {
                    to.one(recipient, &delivery);
                }
                to.one(sender, &delivery);
            }
        }
    }

    /// Tells each of `senders` that what it sent could not be stored.
    pub(crate) fn refuse(&mut self, senders: &[ClientId]) {
        let delivery = Delivery::new(HubEvent::NotStored);
        let mut to = Recipients {
            clients: &self.clients,
            to_wake: &mut self.to_wake,
            overflowed: &mut self.overflowed,
        };
        for &sender in senders {
            to.one(sender, &delivery);
        }
    }

    /// The keys of the rooms forgotten since the last call (their last
    /// member left and they have no messages), for the store to forget.
    pub(crate) fn take_forgotten_rooms(&mut self) -> Vec<String> {
        self.rooms.take_forgotten()
    }

    /// Records that connection `id`'s queue overflowed (found outside the
    /// lock, by a member's own replies): it is evicted when the lock is
    /// released.
    pub(crate) fn mark_overflowed(&mut self, id: ClientId) {
        self.overflowed.push(id);
    }

    /// Removes connection `id`. If it was registered, everyone who shares a
    /// room with it is told [`HubEvent::Leave`] once, with `reason`. Returns
    /// whether it was still here.
    pub(crate) fn remove(&mut self, id: ClientId, reason: &str, ts: Timestamp) -> bool {
        self.take_out(id, reason, ts).is_some()
    }

    /// [`Registry::remove`], giving back the member.
    fn take_out(&mut self, id: ClientId, reason: &str, ts: Timestamp) -> Option<M> {
        self.announce_joins();
        let entry = self.clients.remove(&id)?;
        self.forget_address(entry.address);
        let remote = self.forget_remote(id);
        if let Some(name) = entry.name {
            if !remote {
                let change = Change::Leave {
                    reason: reason.to_owned(),
                };
                self.record(id, &name, ts, change);
            }
            self.tell_leave(id, name, &entry.rooms, reason, ts);
        }
        Some(entry.member)
    }

    /// Tells everyone who shares one of `rooms` with `id`, now gone, that
    /// `name` left, once, and takes it out of those rooms.
    fn tell_leave(
        &mut self,
        id: ClientId,
        name: String,
        rooms: &Memberships,
        reason: &str,
        ts: Timestamp,
    ) {
        let key = name_key(&name);
        self.names.remove(&key);
        let leave = Delivery::new(HubEvent::Leave {
            ts,
            name,
            reason: reason.to_owned(),
        });
        let mut to = Recipients {
            clients: &self.clients,
            to_wake: &mut self.to_wake,
            overflowed: &mut self.overflowed,
        };
        if rooms.len() == 1
            && let Some(room) = rooms.current()
        {
            // One room, nearly always the default one: its members in one
            // pass, as the one-room broadcast of a LEAVE was.
            if let Some(found) = self.rooms.get(&room.key) {
                to.room_except(found, &self.default_room, &self.names, id, &leave);
            }
            self.leave_room(room, &key);
            return;
        }
        let mut recipients: Vec<ClientId> = Vec::new();
        for room in rooms.iter() {
            if let Some(found) = self.rooms.get(&room.key) {
                let members = members_of(found, &self.default_room, &self.names, to.clients);
                recipients.extend(members.filter(|&member| member != id));
            }
        }
        recipients.sort_unstable();
        recipients.dedup();
        for recipient in recipients {
            to.one(recipient, &leave);
        }
        for room in rooms.iter() {
            self.leave_room(room, &key);
        }
    }

    /// Disconnects the user called `name` (any case), telling it `reason`
    /// as its last line and the rooms it shared as its `LEAVE`. Whether one
    /// was online.
    pub(crate) fn disconnect_name(&mut self, name: &str, reason: &str, ts: Timestamp) -> bool {
        let Some(&id) = self.names.get(&name_key(name)) else {
            return false;
        };
        let Some(entry) = self.clients.get(&id) else {
            return false;
        };
        entry.member.close(reason, false);
        if let Some(member) = self.take_out(id, reason, ts) {
            self.to_stop.push(member);
        }
        true
    }

    /// Stops admitting and removes every connection, each told `reason`.
    pub(crate) fn close_all(&mut self, reason: &str) {
        self.closed = true;
        let ids: Vec<ClientId> = self.clients.keys().copied().collect();
        for id in ids {
            if let Some(name) = self.clients.get(&id).and_then(|entry| entry.name.clone()) {
                let change = Change::Leave {
                    reason: reason.to_owned(),
                };
                self.record(id, &name, Utc::now(), change);
            }
            self.forget_remote(id);
        }
        for (_, entry) in self.clients.drain() {
            entry.member.close(reason, false);
            self.to_stop.push(entry.member);
        }
        self.names.clear();
        self.rooms.clear_members();
        self.pending = PendingJoins::default();
        self.per_ip.clear();
    }

    /// Evicts every client whose queue overflowed (which may overflow others
    /// with their `LEAVE`s, so it repeats until none is left), then returns
    /// the members to stop once the lock is released.
    pub(crate) fn settle(&mut self, ts: Timestamp) -> Vec<M> {
        const EVICTED: &str = "send queue exceeded";
        while let Some(id) = self.overflowed.pop() {
            let Some(entry) = self.clients.get(&id) else {
                continue;
            };
            entry.member.close(EVICTED, true);
            log::warn!("{}: evicted, {EVICTED}", entry.member.peer());
            if let Some(member) = self.take_out(id, EVICTED, ts) {
                self.to_stop.push(member);
            }
        }
        std::mem::take(&mut self.to_stop)
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

    fn forget_address(&mut self, address: IpAddr) {
        if let Some(count) = self.per_ip.get_mut(&address) {
            *count -= 1;
            if *count == 0 {
                self.per_ip.remove(&address);
            }
        }
    }
}

/// What [`Recipients`] does with one member's answer.
/// Whether `item` is a message to `room`'s room.
fn same_room(item: &Sequenced, message: &StoredMessage) -> bool {
    match (item, message.room()) {
        (Sequenced::Message { message: next, .. }, Some(room)) => {
            next.room().is_some_and(|next| next.key == room.key)
        }
        _ => false,
    }
}

fn note<W>(
    offered: Offered<W>,
    id: ClientId,
    to_wake: &mut Vec<W>,
    overflowed: &mut Vec<ClientId>,
) {
    match offered {
        Offered::Queued => {}
        Offered::Wake(waker) => to_wake.push(waker),
        Offered::Overflowed => overflowed.push(id),
    }
}
