//! What the hub orders and stores: rooms' names, posts on their way to the
//! sequencer, and messages once they have an id.
//!
//! Plain data, shared by the sequencer, the rooms, the store and the fronts;
//! it imports none of them, so none of them import each other for it.

use std::sync::Arc;

use crate::protocol::room_key;
use crate::protocol::server_line::Timestamp;

/// A connection's number, unique for the life of the server. Connections
/// are numbered from 1.
pub(crate) type ClientId = u64;

/// The sender of an item stored by another node: no local connection.
pub(crate) const NO_SENDER: ClientId = 0;

/// A room's name as lines show it (as its creator typed it) and the key it
/// is looked up by (without regard to case).
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct RoomName {
    /// As lines show it.
    pub(crate) display: String,
    /// [`room_key`] of it.
    pub(crate) key: String,
}

/// A room's name, shared by every message, membership and line about it.
pub(crate) type RoomRef = Arc<RoomName>;

impl RoomName {
    /// A name for a room called `display` (already validated).
    pub(crate) fn new(display: &str) -> RoomRef {
        Arc::new(RoomName {
            display: display.to_owned(),
            key: room_key(display),
        })
    }
}

/// Who a message is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Audience {
    /// A room's members.
    Room(RoomRef),
    /// One user, by the name as its owner typed it.
    Private(String),
}

/// What kind of message it is: stored, replayed and relayed with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A message (IRC `PRIVMSG`, every native message).
    #[default]
    Message,
    /// A notice (IRC `NOTICE`): never answered automatically, by bots
    /// above all.
    Notice,
}

impl Kind {
    /// The kind's name in the stores (`NULL`, the column's default in old
    /// rows, is a message).
    pub(crate) fn stored(self) -> Option<&'static str> {
        match self {
            Kind::Message => None,
            Kind::Notice => Some("notice"),
        }
    }

    /// The kind a store's column holds (`None`, or a name it does not know:
    /// a message).
    pub(crate) fn from_stored(name: Option<&str>) -> Kind {
        match name {
            Some("notice") => Kind::Notice,
            _ => Kind::Message,
        }
    }
}

/// A message a client sent, before it has an id.
#[derive(Debug)]
pub(crate) struct Post {
    /// The sending connection: it gets its own copy (its receipt).
    pub(crate) sender: ClientId,
    /// The sender's name.
    pub(crate) from: String,
    pub(crate) audience: Audience,
    pub(crate) kind: Kind,
    pub(crate) text: String,
    /// What the sender's front attaches for the live recipients of its own
    /// front (IRC's client-only tags, escaped as on its wire). Opaque to
    /// the hub, never stored: a message read back from a store has none.
    pub(crate) live_tags: Option<Arc<str>>,
}

/// Something a front passes live between its own users through the hub,
/// but not through the sequencer: never stored or numbered with messages,
/// and never offered to a member whose front does not take relays
/// ([`Member::takes_relays`](super::member::Member::takes_relays)). IRC's
/// CTCP requests and replies and its `TAGMSG`.
#[derive(Debug)]
pub(crate) struct Relay {
    /// The sending connection: it gets the relay back only if its front
    /// echoes what its client sends.
    pub(crate) sender: ClientId,
    pub(crate) from: String,
    pub(crate) audience: Audience,
    /// Numbered apart from stored messages, from 1, for the life of the
    /// server (see `Registry::relay`).
    pub(crate) number: u64,
    /// When the hub passed it on.
    pub(crate) ts: Timestamp,
    pub(crate) kind: Kind,
    /// The text; `None` for a relay of tags alone (IRC `TAGMSG`).
    pub(crate) text: Option<String>,
    /// As [`StoredMessage::live_tags`].
    pub(crate) tags: Option<Arc<str>>,
}

/// A topic someone set, before it is stored.
#[derive(Debug)]
pub(crate) struct TopicChange {
    /// The setting connection: it gets the `TOPIC` line even if it has
    /// left the room meanwhile.
    pub(crate) sender: ClientId,
    pub(crate) room: RoomRef,
    pub(crate) topic: Topic,
}

/// A room's topic: who set it, when, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Topic {
    pub(crate) ts: Timestamp,
    pub(crate) by: String,
    pub(crate) text: String,
}

/// A message as stored and replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredMessage {
    pub(crate) id: u64,
    pub(crate) ts: Timestamp,
    pub(crate) from: String,
    pub(crate) audience: Audience,
    pub(crate) kind: Kind,
    pub(crate) text: String,
    /// As [`Post::live_tags`]: for live recipients only, never stored.
    pub(crate) live_tags: Option<Arc<str>>,
}

impl StoredMessage {
    /// The room the message belongs to, if it is not private.
    pub(crate) fn room(&self) -> Option<&RoomRef> {
        match &self.audience {
            Audience::Room(room) => Some(room),
            Audience::Private(_) => None,
        }
    }
}
