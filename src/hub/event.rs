//! What the hub tells a member: [`HubEvent`], typed and wire-agnostic, and
//! [`Delivery`], an event on its way to its recipients with a cache of its
//! encodings, one slot per front format.
//!
//! The hub never encodes. Each front's [`Member`](super::member::Member)
//! asks the delivery for its encoding in its own [`Format`] slot; the first
//! member of that format encodes it, every later one gets the same shared
//! bytes. So an event costs one encoding per format in use, however many
//! members it reaches (10,000 native members of a room: one encoding; and
//! IRC members one more). Deliveries are made and used under the hub lock,
//! by one thread at a time; the cache is a [`OnceLock`] only so that a
//! delivery can be kept in the registry (pending JOINs) and be `Sync`.
//!
//! Events that reach many members own their data (made once per event);
//! the two that reach only the member they are about ([`HubEvent::Welcome`],
//! [`HubEvent::Joined`]) borrow the registry's member names and a room's
//! recent messages, so that a join allocates no list of the room's members.

use std::sync::{Arc, OnceLock};

use super::message::{Relay, RoomRef, StoredMessage, Topic};
use crate::protocol::server_line::Timestamp;

/// How many front formats one delivery can cache.
pub(crate) const FORMATS: usize = 4;

/// A front format's slot in a [`Delivery`]'s cache. Each front names its
/// own constant(s); two formats never share a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Format(usize);

impl Format {
    /// The slot `slot`, below [`FORMATS`].
    pub(crate) const fn slot(slot: usize) -> Format {
        assert!(slot < FORMATS, "a format slot is below FORMATS");
        Format(slot)
    }
}

/// An event's bytes in one format, shared by every member that gets it.
pub(crate) type Encoded = Arc<[u8]>;

/// What a member is told. Wire-agnostic: each front's encoder turns one
/// into its own lines.
pub(crate) enum HubEvent<'a> {
    /// To a client that has just registered: it is in, with `online` users
    /// on the server, in the default `room`, with its members and recent
    /// messages (oldest first).
    Welcome {
        name: &'a str,
        online: usize,
        room: &'a RoomRef,
        members: Names<'a>,
        history: &'a [Arc<StoredMessage>],
    },
    /// To a client that has joined `room`: its members (itself included)
    /// and its recent messages.
    Joined {
        room: RoomSummary<'a>,
        members: Names<'a>,
        history: &'a [Arc<StoredMessage>],
    },
    /// To a client that asked to join a room it is already in: the room
    /// is its current one again.
    Current(RoomSummary<'a>),
    /// Someone else joined `room`.
    Join {
        ts: Timestamp,
        name: String,
        room: RoomRef,
    },
    /// Several [`HubEvent::Join`]s at once, in order (registrations announced
    /// together; see `Registry::announce_joins`): each item is a `Join`.
    Joins(&'a [Delivery<'static>]),
    /// `name` left `room` (sent to its members, the leaver included).
    Part {
        ts: Timestamp,
        name: String,
        room: RoomRef,
        reason: String,
    },
    /// `name` left the server (sent once to each client sharing a room).
    Leave {
        ts: Timestamp,
        name: String,
        reason: String,
    },
    /// A stored room or private message.
    Message(Arc<StoredMessage>),
    /// A relay from a member of a front that takes them (never stored).
    Relay(Relay),
    /// A stored topic of `room`.
    Topic { room: RoomRef, topic: Topic },
    /// What the member sent could not be stored, so nobody got it.
    NotStored,
}

/// What a joiner is told of a room.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoomSummary<'a> {
    /// As lines show it.
    pub(crate) room: &'a str,
    pub(crate) members: usize,
    pub(crate) topic: Option<&'a Topic>,
}

/// A room's member names, sorted without regard to case, walked on demand
/// (each format's encoder walks them once) rather than copied into a list.
#[derive(Clone, Copy)]
pub(crate) struct Names<'a> {
    walk: &'a Walk<'a>,
}

/// What walks a room's member names.
pub(crate) type Walk<'a> = dyn Fn() -> Box<dyn Iterator<Item = &'a str> + 'a> + Sync + 'a;

impl<'a> Names<'a> {
    /// Names found by calling `walk`.
    pub(crate) fn new(walk: &'a Walk<'a>) -> Names<'a> {
        Names { walk }
    }

    /// The names, in order.
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = &'a str> + 'a> {
        (self.walk)()
    }
}

/// An [`HubEvent`] on its way to its recipients, with its encodings, made at
/// most once per [`Format`].
pub(crate) struct Delivery<'a> {
    event: HubEvent<'a>,
    encoded: [OnceLock<Encoded>; FORMATS],
}

impl<'a> Delivery<'a> {
    pub(crate) fn new(event: HubEvent<'a>) -> Delivery<'a> {
        Delivery {
            event,
            encoded: Default::default(),
        }
    }

    /// The event (a front reads it for what only its member is told).
    pub(crate) fn event(&self) -> &HubEvent<'a> {
        &self.event
    }

    /// The event in `format`, encoded by `encode` the first time it is asked
    /// for in that format.
    pub(crate) fn encoded(
        &self,
        format: Format,
        encode: impl FnOnce(&HubEvent<'a>) -> Encoded,
    ) -> &Encoded {
        let slot = &self.encoded[format.0];
        if let Some(encoded) = slot.get() {
            return encoded;
        }
        // Encoded here, not inside `get_or_init`: its initialisation runs
        // the closure under `Once`'s frames, and a welcome block encoded
        // that deep took every session's stack onto a third page
        // (docs/architecture.md, "Stack depth is memory").
        let _ = slot.set(encode(&self.event));
        slot.get().expect("just set")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn each_format_is_encoded_once() {
        let delivery = Delivery::new(HubEvent::NotStored);
        let calls = Cell::new(0);
        let encode = |format: &'static str| {
            let calls = &calls;
            move |_: &HubEvent<'_>| {
                calls.set(calls.get() + 1);
                Encoded::from(format.as_bytes())
            }
        };
        for _ in 0..3 {
            assert_eq!(
                &**delivery.encoded(Format::slot(0), encode("native")),
                b"native"
            );
            assert_eq!(&**delivery.encoded(Format::slot(1), encode("irc")), b"irc");
        }
        assert_eq!(calls.get(), 2);
    }
}
