//! Offering an event to each recipient: the parts of the registry that
//! offering touches, borrowed apart from its rooms so a room's member list
//! can be walked while offering, and how a room's members are found.

use std::collections::{BTreeMap, HashMap};

use super::{Entry, note};
use crate::hub::event::Delivery;
use crate::hub::member::Member;
use crate::hub::message::{ClientId, RoomRef};
use crate::hub::rooms::Room;

/// The connections in `room`, sorted by name. The default room's are found
/// through the clients' memberships (see `hub/rooms/`): every registered
/// name, filtered.
pub(super) fn members_of<'a, M>(
    room: &'a Room,
    default_room: &'a RoomRef,
    names: &'a BTreeMap<String, ClientId>,
    clients: &'a HashMap<ClientId, Entry<M>>,
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

/// The parts of the registry that offering events touches, borrowed apart
/// from its rooms so that a room's member list can be walked while offering.
pub(super) struct Recipients<'a, M: Member> {
    pub(super) clients: &'a HashMap<ClientId, Entry<M>>,
    pub(super) to_wake: &'a mut Vec<M::WakeToken>,
    pub(super) overflowed: &'a mut Vec<ClientId>,
}

impl<M: Member> Recipients<'_, M> {
    /// Offers `delivery` to every member, and to `also` if it is not one.
    pub(super) fn room_and(
        &mut self,
        members: impl Iterator<Item = ClientId>,
        also: ClientId,
        delivery: &Delivery<'_>,
    ) {
        let mut also_member = false;
        for id in members {
            also_member |= id == also;
            self.one(id, delivery);
        }
        if !also_member {
            self.one(also, delivery);
        }
    }

    /// Offers `delivery` to every member of `room`, and to `also` if it is
    /// not one. The default room's members are walked in `names` with one
    /// lookup each, as fast as a broadcast to everyone: this is the
    /// one-room fanout's hot loop, run under the hub lock.
    pub(super) fn room_and_sender(
        &mut self,
        room: &Room,
        default_room: &RoomRef,
        names: &BTreeMap<String, ClientId>,
        also: ClientId,
        delivery: &Delivery<'_>,
    ) {
        if room.name.key != default_room.key {
            return self.room_and(room.members(), also, delivery);
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
            self.entry(id, entry, delivery);
        }
        if !also_member {
            self.one(also, delivery);
        }
    }

    /// Offers `delivery` to every member of `room` but `except`, walking the
    /// default room's members in `names` with one lookup each.
    /// Queues a run of `deliveries` to `room` for every member in one call
    /// each, in order, and each delivery for its sender (`senders`, one per
    /// delivery) if that sender is not a member.
    pub(super) fn room_and_senders(
        &mut self,
        room: &Room,
        default_room: &RoomRef,
        names: &BTreeMap<String, ClientId>,
        senders: &[ClientId],
        deliveries: &[Delivery<'_>],
    ) {
        if let ([sender], [delivery]) = (senders, deliveries) {
            return self.room_and_sender(room, default_room, names, *sender, delivery);
        }
        for id in members_of(room, default_room, names, self.clients) {
            if let Some(entry) = self.clients.get(&id) {
                note(
                    entry.member.deliver_all(deliveries),
                    id,
                    self.to_wake,
                    self.overflowed,
                );
            }
        }
        for (&sender, delivery) in senders.iter().zip(deliveries) {
            let member = self
                .clients
                .get(&sender)
                .is_some_and(|entry| entry.rooms.get(&room.name.key).is_some());
            if !member {
                self.one(sender, delivery);
            }
        }
    }

    pub(super) fn room_except(
        &mut self,
        room: &Room,
        default_room: &RoomRef,
        names: &BTreeMap<String, ClientId>,
        except: ClientId,
        delivery: &Delivery<'_>,
    ) {
        if room.name.key != default_room.key {
            for id in room.members().filter(|&id| id != except) {
                self.one(id, delivery);
            }
            return;
        }
        for &id in names.values().filter(|&&id| id != except) {
            if let Some(entry) = self.clients.get(&id)
                && entry.rooms.contains(default_room)
            {
                self.entry(id, entry, delivery);
            }
        }
    }

    /// Offers `delivery` to connection `id`, if it is still here.
    pub(super) fn one(&mut self, id: ClientId, delivery: &Delivery<'_>) {
        if let Some(entry) = self.clients.get(&id) {
            self.entry(id, entry, delivery);
        }
    }

    /// Offers `delivery` to one entry, noting a wake token or an overflow.
    pub(super) fn entry(&mut self, id: ClientId, entry: &Entry<M>, delivery: &Delivery<'_>) {
        let offered = entry.member.deliver(delivery);
        note(offered, id, self.to_wake, self.overflowed);
    }
}
