//! Who is where, across nodes sharing a store (issue 18): the membership
//! changes a node tells the others, as plain data.
//!
//! A node records each change of its own clients' membership (online, a
//! room joined or parted, gone) under the hub lock, in the order the lock
//! saw them; the sequencer stores them in the one numbered stream beside
//! messages and topics, so every other node applies them in that order,
//! each where it falls among the room's messages. A change is never
//! applied twice on the node that made it: it was applied there first.

use super::message::RoomRef;
use crate::protocol::server_line::Timestamp;

/// A node sharing the store, as the store numbers it (each start of a
/// process is a new node).
pub(crate) type NodeId = i64;

/// What changed for one user (or, for [`Change::Gone`], for every user of
/// a node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// The user registered: it is online, in no room yet.
    Online,
    /// The user joined the room.
    Join(RoomRef),
    /// The user left the room, staying online.
    Part { room: RoomRef, reason: String },
    /// The user left the server.
    Leave { reason: String },
    /// The node is gone: every one of its users left (no name).
    Gone,
}

/// One change, with when it happened and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberChange {
    pub(crate) ts: Timestamp,
    /// The user's name as its owner typed it (empty for [`Change::Gone`]).
    pub(crate) name: String,
    pub(crate) change: Change,
}

/// A user of another node as the store holds it now: what a node that
/// starts learns before following the stream.
#[derive(Debug, Clone)]
pub(crate) struct RemoteUser {
    pub(crate) node: NodeId,
    pub(crate) name: String,
    /// Its rooms, in the order it joined them.
    pub(crate) rooms: Vec<RoomRef>,
}

/// The reason other nodes' members are told when a node is gone.
pub(crate) const NODE_GONE: &str = "its server went away";
