//! The room commands on the registry: join, part, and the questions a
//! client may ask about rooms. Each runs under the hub lock; the ones that
//! change who is in a room first announce pending JOINs, so nobody sees a
//! PART before the JOIN it follows. Answers to questions are copied out for
//! the front to encode; changes are told to members as events.
//!
//! A room not in memory (nobody here is in it) is the store's: joining it
//! or asking about it gives [`JoinError::InStore`] or [`InStore`], and the
//! front asks the sequencer (`Request::Load`), which reads the store
//! between two deliveries and then calls [`Registry::join_read`].

use std::sync::Arc;

use super::Registry;
use super::recipients::{Recipients, members_of};
use crate::hub::event::{Delivery, HubEvent, Names, RoomSummary, Walk};
use crate::hub::member::Member;
use crate::hub::membership::Change;
use crate::hub::message::{ClientId, RoomRef, StoredMessage, Topic};
use crate::hub::rooms::Room;
use crate::hub::store::StoredRoom;
use crate::protocol::server_line::Timestamp;
use crate::protocol::{name_key, room_key};

/// Why `/join` changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinError {
    /// The client is in as many rooms as it may be.
    TooManyRooms,
    /// The connection is gone.
    Closed,
    /// The room is not in memory: it must be read from the store first
    /// (`Request::Load`, then [`Registry::join_read`]).
    InStore,
    /// The room could not be read from the store.
    NotStored,
}

/// A room not in memory: what there is of it is in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InStore;

/// Why `/part` changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartError {
    /// Not a member of that room.
    NotInRoom,
    /// No room given, and the client has no current room.
    NoRoom,
}

/// Whether a `/join` is held to `--max-rooms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoomCap {
    /// A client's own `/join`.
    Applies,
    /// An account given back a room it was in (the cap may have been lowered
    /// since; a room it was admitted to is not taken from it).
    Waived,
}

/// What an account that logs in is given back.
#[derive(Debug, Default)]
pub(crate) struct Comeback {
    /// Its remembered rooms it is not in yet, in the order it joined them.
    pub(crate) rooms: Vec<RoomRef>,
    /// It had left the default room, where registering put it: it leaves
    /// it again.
    pub(crate) leave_default: Option<RoomRef>,
}

/// A room as `/rooms` lists it, copied out of the lock.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub(crate) room: RoomRef,
    pub(crate) members: usize,
    pub(crate) topic: Option<Topic>,
}

/// A room as `/who <room>` or `/history <room>` finds it.
#[derive(Debug)]
pub(crate) struct RoomView<T> {
    /// The room as lines show it (as created, or as asked if it does not exist).
    pub(crate) room: String,
    pub(crate) answer: T,
}

impl<M: Member> Registry<M> {
    /// Puts connection `id` in the room called `display` (any case) and
    /// makes it current. A new member is told [`HubEvent::Joined`] (members and
    /// replay), the others [`HubEvent::Join`]; a member only [`HubEvent::Current`].
    /// Returns the room.
    pub(crate) fn join(
        &mut self,
        id: ClientId,
        display: &str,
        ts: Timestamp,
        cap: RoomCap,
    ) -> Result<RoomRef, JoinError> {
        self.announce_joins();
        let key = room_key(display);
        let remote = self.is_remote(id);
        let entry = self.clients.get_mut(&id).ok_or(JoinError::Closed)?;
        let Some(name) = &entry.name else {
            return Err(JoinError::Closed);
        };
        if entry.rooms.make_current(&key) {
            let room = self.rooms.get(&key).ok_or(JoinError::Closed)?;
            let current = Delivery::new(HubEvent::Current(summary(room)));
            let mut to = Recipients {
                clients: &self.clients,
                to_wake: &mut self.to_wake,
                overflowed: &mut self.overflowed,
            };
            to.one(id, &current);
            return Ok(room.name.clone());
        }
        if cap == RoomCap::Applies && entry.rooms.len() >= self.limits.max_rooms {
            return Err(JoinError::TooManyRooms);
        }
        if self.rooms.needs_reading(&key) {
            if !remote {
                return Err(JoinError::InStore);
            }
            // Another node's user: the room is in use here now, but its
            // history is read only when a client of this node joins it.
            let unread = self.rooms.name_for(display);
            self.rooms.open_unread(&unread);
        }
        let room_name = self.rooms.name_for(display);
        entry.rooms.push(room_name.clone());
        let join = Delivery::new(HubEvent::Join {
            ts,
            name: name.clone(),
            room: room_name.clone(),
        });
        if let Some(cluster) = &mut self.cluster {
            cluster.record(id, name, ts, Change::Join(room_name.clone()));
        }
        let name_key = name_key(name);
        if room_name.key == self.default_room.key {
            self.rooms.count_member(&room_name.key, true);
        } else {
            self.rooms.add_member(&room_name, name_key, id);
        }
        self.rooms.seen(&room_name.key, ts);
        let room = self.rooms.get(&room_name.key).ok_or(JoinError::Closed)?;
        let history = room.recent(self.limits.replay);
        let clients = &self.clients;
        let member_ids: Vec<ClientId> =
            members_of(room, &self.default_room, &self.names, clients).collect();
        let walk: &Walk<'_> = &|| {
            Box::new(
                member_ids
                    .iter()
                    .filter_map(|member| clients.get(member)?.name.as_deref()),
            )
        };
        let joined = Delivery::new(HubEvent::Joined {
            room: summary(room),
            members: Names::new(walk),
            history: &history,
        });
        let mut to = Recipients {
            clients,
            to_wake: &mut self.to_wake,
            overflowed: &mut self.overflowed,
        };
        to.one(id, &joined);
        for &member in member_ids.iter().filter(|&&member| member != id) {
            to.one(member, &join);
        }
        Ok(room_name)
    }

    /// [`Registry::join`] for a room read from the store (`stored`; `None`
    /// if the store has nothing of it) by the sequencer, between two of its
    /// deliveries: every message stored before the read is in `stored`, and
    /// every later one is delivered to the joiner live, so each reaches it
    /// once. A room that is in memory by now is joined as it is.
    pub(crate) fn join_read(
        &mut self,
        id: ClientId,
        display: &str,
        ts: Timestamp,
        cap: RoomCap,
        stored: Option<StoredRoom>,
    ) -> Result<RoomRef, JoinError> {
        let name = self.rooms.restore(display, stored);
        let joined = self.join(id, &name.display, ts, cap);
        if joined.is_err() {
            self.rooms.forget_if_unused(&name.key);
        }
        joined
    }

    /// Takes connection `id` out of the room called `room` (any case; its
    /// current room if `None`): [`HubEvent::Part`] to every member, itself
    /// included.
    /// Returns its current room after.
    pub(crate) fn part(
        &mut self,
        id: ClientId,
        room: Option<&str>,
        reason: &str,
        ts: Timestamp,
    ) -> Result<Option<RoomRef>, PartError> {
        self.announce_joins();
        let entry = self.clients.get_mut(&id).ok_or(PartError::NotInRoom)?;
        let Some(name) = &entry.name else {
            return Err(PartError::NotInRoom);
        };
        let key = match room {
            Some(room) => room_key(room),
            None => entry.rooms.current().ok_or(PartError::NoRoom)?.key.clone(),
        };
        let left = entry.rooms.remove(&key).ok_or(PartError::NotInRoom)?;
        let current = entry.rooms.current().cloned();
        let part = Delivery::new(HubEvent::Part {
            ts,
            name: name.clone(),
            room: left.clone(),
            reason: reason.to_owned(),
        });
        if let Some(cluster) = &mut self.cluster {
            let change = Change::Part {
                room: left.clone(),
                reason: reason.to_owned(),
            };
            cluster.record(id, name, ts, change);
        }
        let name_key = name_key(name);
        if let Some(room) = self.rooms.get(&key) {
            let members = members_of(room, &self.default_room, &self.names, &self.clients);
            let mut to = Recipients {
                clients: &self.clients,
                to_wake: &mut self.to_wake,
                overflowed: &mut self.overflowed,
            };
            // The default room finds its members through their memberships,
            // and the leaver has already left those: it is told apart.
            let mut told_leaver = false;
            for member in members {
                told_leaver |= member == id;
                to.one(member, &part);
            }
            if !told_leaver {
                to.one(id, &part);
            }
        }
        self.leave_room(&left, &name_key);
        Ok(current)
    }

    /// The room called `room` (any case) if connection `id` is in it.
    pub(crate) fn member_room(&self, id: ClientId, room: &str) -> Option<RoomRef> {
        let entry = self.clients.get(&id)?;
        entry.rooms.get(&room_key(room)).cloned()
    }

    /// The members' names of the room called `room`, sorted.
    pub(crate) fn who_in(&self, room: &str) -> RoomView<Vec<String>> {
        let Some(found) = self.rooms.get(&room_key(room)) else {
            return RoomView {
                room: room.to_owned(),
                answer: Vec::new(),
            };
        };
        let names = members_of(found, &self.default_room, &self.names, &self.clients)
            .filter_map(|id| self.clients.get(&id)?.name.clone())
            .collect();
        RoomView {
            room: found.name.display.clone(),
            answer: names,
        }
    }

    /// The newest `n` messages of the room called `room`, oldest first;
    /// [`InStore`] if it is not in memory.
    pub(crate) fn recent(
        &self,
        room: &str,
        n: usize,
    ) -> Result<RoomView<Vec<Arc<StoredMessage>>>, InStore> {
        let key = room_key(room);
        if self.rooms.needs_reading(&key) {
            return Err(InStore);
        }
        match self.rooms.get(&key) {
            Some(found) => Ok(RoomView {
                room: found.name.display.clone(),
                answer: found.recent(n),
            }),
            None => Ok(RoomView {
                room: room.to_owned(),
                answer: Vec::new(),
            }),
        }
    }

    /// The topic of the room called `room`; [`InStore`] if it is not in
    /// memory.
    pub(crate) fn topic(&self, room: &str) -> Result<RoomView<Option<Topic>>, InStore> {
        let key = room_key(room);
        if self.rooms.needs_reading(&key) {
            return Err(InStore);
        }
        match self.rooms.get(&key) {
            Some(found) => Ok(RoomView {
                room: found.name.display.clone(),
                answer: found.topic.clone(),
            }),
            None => Ok(RoomView {
                room: room.to_owned(),
                answer: None,
            }),
        }
    }

    /// When the room called `room` began, as far as this server knows (see
    /// `hub/rooms/mod.rs`, `Room::since`); `None` if there is no such room.
    pub(crate) fn since(&self, room: &str) -> Option<Timestamp> {
        self.rooms.get(&room_key(room))?.since()
    }

    /// Every room with members, sorted, as `/rooms` lists them.
    pub(crate) fn listing(&self) -> Vec<Listed> {
        let rooms = self.rooms.listing();
        rooms
            .iter()
            .map(|room| Listed {
                room: room.name.clone(),
                members: room.member_count(),
                topic: room.topic.clone(),
            })
            .collect()
    }

    /// What the account registered as `id` gets back: the rooms it was in
    /// when it last left, and whether to leave the default room again. An
    /// account that was in no room stays in the default room, as a new one.
    pub(crate) fn comeback(&self, id: ClientId) -> Comeback {
        let Some(entry) = self.clients.get(&id) else {
            return Comeback::default();
        };
        let Some(name) = entry.name.as_deref().filter(|_| entry.account) else {
            return Comeback::default();
        };
        let remembered = self
            .remembered
            .get(&name_key(name))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let had_left_default = !remembered.is_empty()
            && remembered
                .iter()
                .all(|room| room.key != self.default_room.key);
        Comeback {
            rooms: remembered
                .iter()
                .filter(|room| entry.rooms.get(&room.key).is_none())
                .cloned()
                .collect(),
            leave_default: had_left_default.then(|| self.default_room.clone()),
        }
    }

    /// If `id` is an account, records its rooms now as those to give back
    /// when it returns, and returns them (with its name's key) to store.
    pub(crate) fn remember(&mut self, id: ClientId) -> Option<(String, Vec<RoomRef>)> {
        let entry = self.clients.get(&id).filter(|entry| entry.account)?;
        let key = name_key(entry.name.as_deref()?);
        let rooms: Vec<RoomRef> = entry.rooms.iter().cloned().collect();
        self.remembered.insert(key.clone(), rooms.clone());
        Some((key, rooms))
    }
}

fn summary(room: &Room) -> RoomSummary<'_> {
    RoomSummary {
        room: &room.name.display,
        members: room.member_count(),
        topic: room.topic.as_ref(),
    }
}
