//! Rooms and who is in them: pure state, no lines, no sockets.
//!
//! The registry keeps one [`Rooms`] under its lock, and one [`Memberships`]
//! per client. Invariants: a client is in a room's member list exactly when
//! the room is in the client's memberships, except in the default room,
//! whose members the registry finds through the memberships alone (nearly
//! every client is in it, and a list would cost each one memory) and only
//! counts here. A room with no members is forgotten, unless it is the
//! default room, or it has messages and there is no store to read them back
//! from ([`EmptyRooms::Kept`], `--ephemeral`): so with a store, memory holds
//! only rooms in use, and joining, parting and talking in ever new rooms
//! cannot grow it. A room forgotten with a topic and no messages is listed
//! for the store to forget the topic too. A room's recent messages are in id
//! order and at most `recent_capacity` of them; a room in memory has all of
//! its newest ones (it was read from the store when it came back, see
//! [`Rooms::restore`], and has recorded every message since), except one
//! made for another node's user ([`Rooms::open_unread`]), which counts as
//! not in memory ([`Rooms::needs_reading`]) until a local join reads it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use super::message::{ClientId, RoomName, RoomRef, StoredMessage, Topic};
use super::store::StoredRoom;
use crate::protocol::server_line::Timestamp;

/// What becomes of a room whose last member leaves (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmptyRooms {
    /// Forgotten: its messages and topic are the store's, read back when
    /// someone joins it ([`Rooms::restore`]).
    Forgotten,
    /// Kept if it has messages: there is no store, memory is the history.
    Kept,
}

/// One room.
pub(crate) struct Room {
    pub(crate) name: RoomRef,
    pub(crate) topic: Option<Topic>,
    /// Members by their name's key, so iterating lists them sorted without
    /// regard to case, as `USERS` lines want.
    members: BTreeMap<String, ClientId>,
    /// Members not in `members`: the default room's (see the module docs).
    counted: usize,
    /// The newest messages, oldest first, for `JOINED` and `/history`.
    recent: VecDeque<Arc<StoredMessage>>,
    /// It has stored messages: its stored row (and topic) stays when it is
    /// forgotten.
    has_messages: bool,
    /// The default room, never forgotten.
    default: bool,
    /// When it began, as far as this server knows: its first stored
    /// message (read from the store at start or when joined), else the
    /// first join, message or topic this server saw of it since it was last
    /// forgotten.
    since: Option<Timestamp>,
    /// Its messages and topic are not in memory: it was made for another
    /// node's user joining it (a cluster), and is read from the store when
    /// a client of this node joins it.
    unread: bool,
}

impl Room {
    fn new(name: RoomRef) -> Room {
        Room {
            name,
            topic: None,
            members: BTreeMap::new(),
            counted: 0,
            recent: VecDeque::new(),
            has_messages: false,
            default: false,
            since: None,
            unread: false,
        }
    }

    /// When it began (see the field).
    pub(crate) fn since(&self) -> Option<Timestamp> {
        self.since
    }

    /// The members' connections, sorted by name without regard to case
    /// (none for the default room: see the module docs).
    pub(crate) fn members(&self) -> impl Iterator<Item = ClientId> + '_ {
        self.members.values().copied()
    }

    /// How many members it has.
    pub(crate) fn member_count(&self) -> usize {
        self.members.len() + self.counted
    }

    /// The newest `n` messages, oldest first.
    pub(crate) fn recent(&self, n: usize) -> Vec<Arc<StoredMessage>> {
        let skip = self.recent.len().saturating_sub(n);
        self.recent.iter().skip(skip).cloned().collect()
    }
}

/// Every room the server knows, by key. See the module docs.
pub(crate) struct Rooms {
    by_key: HashMap<String, Room>,
    /// Messages each room keeps in memory.
    recent_capacity: usize,
    /// Keys of the rooms forgotten since [`Rooms::take_forgotten`], for the
    /// store to forget their topics.
    forgotten: Vec<String>,
    empty_rooms: EmptyRooms,
}

impl Rooms {
    /// The rooms of a server with a store: a room without members is
    /// forgotten, and read from the store when it is joined again.
    pub(crate) fn new(recent_capacity: usize) -> Rooms {
        Rooms {
            by_key: HashMap::new(),
            recent_capacity,
            forgotten: Vec::new(),
            empty_rooms: EmptyRooms::Forgotten,
        }
    }

    /// The rooms of a server without a store (`--ephemeral`): a room with
    /// messages outlives its members, since memory is all its history.
    pub(crate) fn without_store(recent_capacity: usize) -> Rooms {
        Rooms {
            empty_rooms: EmptyRooms::Kept,
            ..Rooms::new(recent_capacity)
        }
    }

    /// Whether joining the room with key `key` must first read it from the
    /// store: it is not in memory, and there is a store.
    pub(crate) fn needs_reading(&self, key: &str) -> bool {
        self.empty_rooms == EmptyRooms::Forgotten
            && self.by_key.get(key).is_none_or(|room| room.unread)
    }

    /// Makes the room `name` for another node's user to join, if it is not
    /// in memory, without reading it: its messages and topic stay the
    /// store's until a client of this node joins it ([`Rooms::restore`]).
    pub(crate) fn open_unread(&mut self, name: &RoomRef) {
        self.by_key.entry(name.key.clone()).or_insert_with(|| {
            let mut room = Room::new(name.clone());
            room.unread = self.empty_rooms == EmptyRooms::Forgotten;
            room
        });
    }

    /// Puts back a room read from the store (`stored`; `None`: the store
    /// has nothing of it) unless it is in memory already and read, which
    /// then knows better: everything since it came back was recorded in it.
    /// A room in memory but unread (only other nodes' users in it) takes
    /// the stored messages and topic, which include all it recorded. A room
    /// the store is still to forget (a topic, no messages) is made anew,
    /// spelt as asked. Returns its name.
    pub(crate) fn restore(&mut self, display: &str, stored: Option<StoredRoom>) -> RoomRef {
        let name = self.name_for(display);
        let forgotten = self.forgotten.contains(&name.key);
        let capacity = self.recent_capacity;
        let room = match self.by_key.get_mut(&name.key) {
            Some(room) if !room.unread => return name,
            Some(room) => room,
            None => (self.by_key)
                .entry(name.key.clone())
                .or_insert_with(|| Room::new(name.clone())),
        };
        let in_use = room.member_count() > 0;
        room.unread = false;
        if let Some(stored) = stored.filter(|_| !forgotten) {
            let skip = stored.recent.len().saturating_sub(capacity);
            if !in_use {
                room.name = stored.name;
            }
            room.has_messages = !stored.recent.is_empty();
            room.recent = stored.recent.into_iter().skip(skip).collect();
            room.since = (stored.first)
                .or_else(|| room.recent.front().map(|message| message.ts))
                .or_else(|| stored.topic.as_ref().map(|topic| topic.ts))
                .or(room.since);
            room.topic = stored.topic;
        }
        room.name.clone()
    }

    /// Notes that room `room_key` was seen at `ts` (a join): when it began,
    /// if nothing earlier was known.
    pub(crate) fn seen(&mut self, room_key: &str, ts: Timestamp) {
        if let Some(room) = self.by_key.get_mut(room_key) {
            room.since.get_or_insert(ts);
        }
    }

    /// Makes `name` the default room: kept when empty, its members only
    /// counted. Returns its name as the room has it.
    pub(crate) fn make_default(&mut self, name: &RoomRef) -> RoomRef {
        let room = self
            .by_key
            .entry(name.key.clone())
            .or_insert_with(|| Room::new(name.clone()));
        room.default = true;
        room.name.clone()
    }

    /// Counts a member of the default room in (`joined`) or out.
    pub(crate) fn count_member(&mut self, room_key: &str, joined: bool) {
        if let Some(room) = self.by_key.get_mut(room_key) {
            match joined {
                true => room.counted += 1,
                false => room.counted = room.counted.saturating_sub(1),
            }
        }
    }

    /// The room with key `key`, if it exists.
    pub(crate) fn get(&self, key: &str) -> Option<&Room> {
        self.by_key.get(key)
    }

    /// The name of the room called `display` (any case): the existing room's,
    /// or a new one spelt as given.
    pub(crate) fn name_for(&self, display: &str) -> RoomRef {
        let key = crate::protocol::room_key(display);
        match self.by_key.get(&key) {
            Some(room) => room.name.clone(),
            None => RoomName::new(display),
        }
    }

    /// Adds a member, creating the room if needed. Returns the room.
    pub(crate) fn add_member(&mut self, name: &RoomRef, member: String, id: ClientId) -> &Room {
        let room = self
            .by_key
            .entry(name.key.clone())
            .or_insert_with(|| Room::new(name.clone()));
        room.members.insert(member, id);
        room
    }

    /// Removes a member; forgets the room if that left it empty (see the
    /// module docs).
    pub(crate) fn remove_member(&mut self, room_key: &str, member: &str) {
        if let Some(room) = self.by_key.get_mut(room_key) {
            room.members.remove(member);
            self.forget_if_unused(room_key);
        }
    }

    /// Forgets the room with key `key` if it has no members and nothing
    /// keeps it (see the module docs).
    pub(crate) fn forget_if_unused(&mut self, room_key: &str) {
        let Some(room) = self.by_key.get(room_key) else {
            return;
        };
        let kept = room.default || (room.has_messages && self.empty_rooms == EmptyRooms::Kept);
        if room.member_count() > 0 || kept {
            return;
        }
        // Only a room with a topic and no messages has something stored to
        // forget; and setting a topic is a sequencer turn, which takes this
        // list: so joining and parting cannot grow it.
        if let Some(room) = self.by_key.remove(room_key)
            && room.topic.is_some()
            && !room.has_messages
        {
            self.forgotten.push(room_key.to_owned());
        }
    }

    /// The keys of the rooms forgotten since the last call.
    pub(crate) fn take_forgotten(&mut self) -> Vec<String> {
        std::mem::take(&mut self.forgotten)
    }

    /// Appends a stored room message to its room's recent messages. Returns
    /// the room; `None` if it is not in memory (no member here: its sender
    /// left meanwhile, or another node stored it), unless there is no store
    /// (then memory is its history: the room is made anew to hold it).
    pub(crate) fn record(&mut self, message: &Arc<StoredMessage>) -> Option<&Room> {
        let name = message.room()?;
        let capacity = self.recent_capacity;
        let room = match self.empty_rooms {
            EmptyRooms::Forgotten => self.by_key.get_mut(&name.key)?,
            EmptyRooms::Kept => {
                (self.by_key.entry(name.key.clone())).or_insert_with(|| Room::new(name.clone()))
            }
        };
        room.has_messages = true;
        room.since.get_or_insert(message.ts);
        if capacity > 0 {
            if room.recent.len() >= capacity {
                room.recent.pop_front();
            }
            room.recent.push_back(message.clone());
        }
        Some(room)
    }

    /// Sets a stored topic. Returns the room, or `None` if it was forgotten
    /// meanwhile: then the topic is listed as forgotten again, for the store
    /// to drop what it just wrote.
    pub(crate) fn set_topic(&mut self, name: &RoomRef, topic: Topic) -> Option<&Room> {
        let Some(room) = self.by_key.get_mut(&name.key) else {
            self.forgotten.push(name.key.clone());
            return None;
        };
        room.since.get_or_insert(topic.ts);
        room.topic = Some(topic);
        Some(room)
    }

    /// Sets a topic another node stored (a shared store only) in a room
    /// this node holds. A room not in memory has no members here, local or
    /// remote: the topic is dropped, since the store's row has it and a join
    /// reads it with the room. Returns the room if it is in memory.
    pub(crate) fn set_remote_topic(&mut self, name: &RoomRef, topic: Topic) -> Option<&Room> {
        let room = self.by_key.get_mut(&name.key)?;
        room.topic = Some(topic);
        Some(room)
    }

    /// The rooms with members, sorted by key.
    pub(crate) fn listing(&self) -> Vec<&Room> {
        let mut rooms: Vec<&Room> = self
            .by_key
            .values()
            .filter(|room| room.member_count() > 0)
            .collect();
        rooms.sort_by(|a, b| a.name.key.cmp(&b.name.key));
        rooms
    }

    /// Removes every member of every room (the server is closing).
    pub(crate) fn clear_members(&mut self) {
        let keys: Vec<String> = self.by_key.keys().cloned().collect();
        for key in keys {
            if let Some(room) = self.by_key.get_mut(&key) {
                room.members.clear();
                room.counted = 0;
            }
            self.forget_if_unused(&key);
        }
    }
}

/// The rooms one client is in, in the order it joined them or last made
/// them current: the last is its current room. One room is kept inline, so
/// a client in the default room only costs no allocation for it.
#[derive(Debug, Default)]
pub(crate) enum Memberships {
    #[default]
    None,
    One(RoomRef),
    /// Two or more.
    Many(Vec<RoomRef>),
}

impl Memberships {
    /// The rooms, oldest first.
    fn as_slice(&self) -> &[RoomRef] {
        match self {
            Memberships::None => &[],
            Memberships::One(room) => std::slice::from_ref(room),
            Memberships::Many(rooms) => rooms,
        }
    }

    /// How many rooms.
    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// The rooms, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &RoomRef> {
        self.as_slice().iter()
    }

    /// The current room: the one joined or switched to last.
    pub(crate) fn current(&self) -> Option<&RoomRef> {
        self.as_slice().last()
    }

    /// The room with key `key`, if the client is in it.
    pub(crate) fn get(&self, key: &str) -> Option<&RoomRef> {
        self.iter().find(|room| room.key == key)
    }

    /// Whether the client is in `room` (the same `Arc`, or the same key).
    pub(crate) fn contains(&self, room: &RoomRef) -> bool {
        self.iter()
            .any(|mine| Arc::ptr_eq(mine, room) || mine.key == room.key)
    }

    /// Adds a room at the end: it becomes current.
    pub(crate) fn push(&mut self, room: RoomRef) {
        *self = match std::mem::take(self) {
            Memberships::None => Memberships::One(room),
            Memberships::One(first) => Memberships::Many(vec![first, room]),
            Memberships::Many(mut rooms) => {
                rooms.push(room);
                Memberships::Many(rooms)
            }
        };
    }

    /// Removes the room with key `key`; the one before it in the order
    /// becomes current if it was. Returns it if the client was in it.
    pub(crate) fn remove(&mut self, key: &str) -> Option<RoomRef> {
        let index = self.iter().position(|room| room.key == key)?;
        let (removed, rest) = match std::mem::take(self) {
            Memberships::None => return None,
            Memberships::One(room) => (room, Memberships::None),
            Memberships::Many(mut rooms) => {
                let removed = rooms.remove(index);
                let rest = match rooms.len() {
                    1 => Memberships::One(rooms.pop().expect("one left")),
                    _ => Memberships::Many(rooms),
                };
                (removed, rest)
            }
        };
        *self = rest;
        Some(removed)
    }

    /// Makes the room with key `key` current. Returns whether the client is
    /// in it.
    pub(crate) fn make_current(&mut self, key: &str) -> bool {
        match self.remove(key) {
            Some(room) => {
                self.push(room);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests;
