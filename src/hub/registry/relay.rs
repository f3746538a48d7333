//! Relays: what a front passes live between its own users (IRC's CTCP and
//! `TAGMSG`), offered under the hub lock like every event but never stored
//! and never sequenced. The caller waits for its own posts to be delivered
//! first (the IRC session's fence), so a relay never overtakes a message its
//! sender sent before it. Only members whose front takes relays
//! ([`Member::takes_relays`]) are offered one.

use super::Registry;
use super::recipients::{Recipients, members_of};
use crate::hub::event::{Delivery, HubEvent};
use crate::hub::member::Member;
use crate::hub::message::{Audience, ClientId, Relay};
use crate::protocol::name_key;

/// What became of a relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relayed {
    /// Offered to the recipients (and the sender) that take relays.
    Sent,
    /// Its recipient is not online.
    NoSuchUser,
    /// Its recipient is online on a front that takes no relays: nothing
    /// was sent.
    NotTaken,
    /// The sender is not in the room (or the room has no members).
    NotInRoom,
}

impl<M: Member> Registry<M> {
    /// Offers `relay`, numbered here, to its audience: each member of its
    /// room, or its recipient, that takes relays, and its sender.
    pub(crate) fn relay(&mut self, mut relay: Relay) -> Relayed {
        self.relays += 1;
        relay.number = self.relays;
        let sender = relay.sender;
        match &relay.audience {
            Audience::Room(room) => {
                let Some(found) = self.rooms.get(&room.key) else {
                    return Relayed::NotInRoom;
                };
                let in_room = self
                    .clients
                    .get(&sender)
                    .is_some_and(|entry| entry.rooms.get(&room.key).is_some());
                if !in_room {
                    return Relayed::NotInRoom;
                }
                let members: Vec<ClientId> =
                    members_of(found, &self.default_room, &self.names, &self.clients)
                        .filter(|id| self.takes_relays(*id))
                        .collect();
                let delivery = Delivery::new(HubEvent::Relay(relay));
                let mut to = self.recipients();
                for id in members {
                    to.one(id, &delivery);
                }
                Relayed::Sent
            }
            Audience::Private(name) => {
                let Some(&recipient) = self.names.get(&name_key(name)) else {
                    return Relayed::NoSuchUser;
                };
                if !self.takes_relays(recipient) {
                    return Relayed::NotTaken;
                }
                let delivery = Delivery::new(HubEvent::Relay(relay));
                let mut to = self.recipients();
                to.one(recipient, &delivery);
                if recipient != sender {
                    to.one(sender, &delivery);
                }
                Relayed::Sent
            }
        }
    }

    fn takes_relays(&self, id: ClientId) -> bool {
        self.clients
            .get(&id)
            .is_some_and(|entry| entry.member.takes_relays())
    }

    fn recipients(&mut self) -> Recipients<'_, M> {
        Recipients {
            clients: &self.clients,
            to_wake: &mut self.to_wake,
            overflowed: &mut self.overflowed,
        }
    }
}
