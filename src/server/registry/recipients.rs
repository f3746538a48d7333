//! Queueing a line for each recipient: the parts of the registry that
//! queueing touches, borrowed apart from its rooms so a room's member list
//! can be walked while queueing, and how a room's members are found.

use std::collections::{BTreeMap, HashMap};

use super::{Entry, PendingJoin};
use crate::hub::message::{ClientId, RoomRef};
use crate::hub::rooms::Room;
use crate::server::outbox::{Chunk, Waker};

/// The connections in `room`, sorted by name. The default room's are found
/// through the clients' memberships (see `hub/rooms.rs`): every registered
/// name, filtered.
pub(super) fn members_of<'a>(
    room: &'a Room,
    default_room: &'a RoomRef,
    names: &'a BTreeMap<String, ClientId>,
    clients: &'a HashMap<ClientId, Entry>,
) -> Box<dyn Iterator<Item = ClientId> + 'a> {
    if room.name.key != default_room.key {
        return Box::new(room.members());
    }
    Box::new(names.values().copied().filter(move |id| {
        clients
            .get(id)
            .is_some_and(|entry| entry.rooms.contains(default_room))
    }))
}

/// Every pending JOIN line in one chunk, in order.
pub(super) fn join_lines(pending: &[PendingJoin]) -> Chunk {
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

/// The parts of the registry that queueing lines touches, borrowed apart
/// from its rooms so that a room's member list can be walked while queueing.
pub(super) struct Recipients<'a> {
    pub(super) clients: &'a HashMap<ClientId, Entry>,
    pub(super) to_wake: &'a mut Vec<Waker>,
    pub(super) overflowed: &'a mut Vec<ClientId>,
}

impl Recipients<'_> {
    /// Queues `chunk` for every member, and for `also` if it is not one.
    pub(super) fn room_and(
        mut self,
        members: impl Iterator<Item = ClientId>,
        also: ClientId,
        chunk: &Chunk,
    ) {
        let mut also_member = false;
        for id in members {
            also_member |= id == also;
            self.one(id, chunk);
        }
        if !also_member {
            self.one(also, chunk);
        }
    }

    /// Queues `chunk` for every member of `room`, and for `also` if it is
    /// not one. The default room's members are walked in `names` with one
    /// lookup each, as fast as a broadcast to everyone: this is the
    /// one-room fanout's hot loop, run under the registry lock.
    pub(super) fn room_and_sender(
        mut self,
        room: &Room,
        default_room: &RoomRef,
        names: &BTreeMap<String, ClientId>,
        also: ClientId,
        chunk: &Chunk,
    ) {
        if room.name.key != default_room.key {
            return self.room_and(room.members(), also, chunk);
        }
        let mut also_member = false;
        for &id in names.values() {
            let Some(entry) = self.clients.get(&id) else {
                continue;
            };
            if !entry.rooms.contains(default_room) {
                continue;
            }
            also_member |= id == also;
            queue_for(id, entry, chunk, self.to_wake, self.overflowed);
        }
        if !also_member {
            self.one(also, chunk);
        }
    }

    /// Queues `chunk` for every member of `room` but `except`, walking the
    /// default room's members in `names` with one lookup each.
    pub(super) fn room_except(
        mut self,
        room: &Room,
        default_room: &RoomRef,
        names: &BTreeMap<String, ClientId>,
        except: ClientId,
        chunk: &Chunk,
    ) {
        if room.name.key != default_room.key {
            for id in room.members().filter(|&id| id != except) {
                self.one(id, chunk);
            }
            return;
        }
        for &id in names.values().filter(|&&id| id != except) {
            if let Some(entry) = self.clients.get(&id)
                && entry.rooms.contains(default_room)
            {
                queue_for(id, entry, chunk, self.to_wake, self.overflowed);
            }
        }
    }

    pub(super) fn one(&mut self, id: ClientId, chunk: &Chunk) {
        if let Some(entry) = self.clients.get(&id) {
            queue_for(id, entry, chunk, self.to_wake, self.overflowed);
        }
    }
}

/// Queues `chunk` for one entry, noting a writer to wake or an overflow.
pub(super) fn queue_for(
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
