//! Where the hub keeps what must survive a restart: messages, rooms and
//! their topics, and which rooms each account was in.
//!
//! [`MessageStore`] is the whole interface the sequencer uses. SQLite
//! ([`sqlite::SqliteStore`], in the data directory) is the default;
//! PostgreSQL ([`postgres::PostgresStore`], `--database postgres://...`)
//! is the other, in a database several server nodes may share. Only the
//! sequencer thread writes to a store, and it writes a whole batch in one
//! transaction: that is the group commit that lets many messages share one
//! sync to disk.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::membership::{MemberChange, NodeId, RemoteUser};
use super::message::{RoomRef, StoredMessage, Topic, TopicChange};
use crate::protocol::server_line::Timestamp;

/// Why a store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory that holds the database could not be created.
    #[error("cannot create {}: {cause}", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// What the system said.
        cause: std::io::Error,
    },
    /// The database refused an operation.
    #[error("{}: {cause}", path.display())]
    Database {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        cause: rusqlite::Error,
    },
    /// The PostgreSQL URL could not be parsed.
    #[error("{}", postgres::explain(cause))]
    PostgresUrl {
        /// What the `postgres` client said.
        cause: ::postgres::Error,
    },
    /// A thread could not be started.
    #[error("cannot start a thread: {cause}")]
    Thread {
        /// What the system said.
        cause: std::io::Error,
    },
    /// The PostgreSQL database could not be reached, or refused an
    /// operation.
    #[error("{}", postgres::explain(cause))]
    Postgres {
        /// The database, as `postgres://user@host:port/name` (no password).
        database: String,
        /// What the `postgres` client said.
        cause: ::postgres::Error,
    },
}

/// One group commit: everything the sequencer took from its queue at once.
#[derive(Debug, Default)]
pub(crate) struct Batch<'a> {
    /// Keys of rooms forgotten (no members, no messages) before this batch:
    /// their topics go, unless a message of theirs is stored meanwhile.
    pub(crate) forgotten: &'a [String],
    /// Messages with their ids, in id order.
    pub(crate) messages: &'a [StoredMessage],
    /// Topics set, in order.
    pub(crate) topics: &'a [TopicChange],
    /// Each topic's place among the batch's items (messages, topics and
    /// membership changes in the order they were asked for), for a store
    /// that numbers them all.
    pub(crate) topic_places: &'a [usize],
    /// Local clients' membership changes, in order, for a store shared by
    /// nodes (others ignore them).
    pub(crate) members: &'a [MemberChange],
    /// Each membership change's place among the batch's items.
    pub(crate) member_places: &'a [usize],
    /// Accounts whose rooms changed: the name's key and its rooms now, in
    /// the order it joined them.
    pub(crate) memberships: &'a [(String, Vec<RoomRef>)],
}

/// A room as the store gives it back: at start (the default room), or when
/// it is joined or asked about while not in memory.
#[derive(Debug)]
pub(crate) struct StoredRoom {
    pub(crate) name: RoomRef,
    pub(crate) topic: Option<Topic>,
    /// Its newest messages, oldest first.
    pub(crate) recent: Vec<Arc<StoredMessage>>,
    /// When its first stored message was stored, if it has one.
    pub(crate) first: Option<Timestamp>,
}

/// Everything the hub starts from.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// For a store shared by nodes: this node's number, and the other
    /// nodes' users now (see `hub/membership.rs`).
    pub(crate) cluster: Option<(NodeId, Vec<RemoteUser>)>,
    /// One past the largest id stored.
    pub(crate) next_id: u64,
    /// The default room, if the store has it: no other room is read at
    /// start (each is read when it is joined, [`MessageStore::room`]).
    pub(crate) default_room: Option<StoredRoom>,
    /// Each account's rooms, by the name's key, in the order it joined them.
    pub(crate) memberships: HashMap<String, Vec<RoomRef>>,
}

/// What another node stored (a shared store only), for this node's
/// clients; its sender is [`NO_SENDER`](super::message::NO_SENDER).
#[derive(Debug)]
pub(crate) enum Remote {
    Message(StoredMessage),
    Topic(TopicChange),
    /// Another node's membership change.
    Member {
        node: NodeId,
        change: MemberChange,
    },
}

/// What a commit gives back.
#[derive(Debug, Default)]
pub(crate) struct Committed {
    /// For a store that numbers the batch's items itself (shared by
    /// nodes): the number of its first item, the others following it in
    /// the order `Batch::topic_places` gives. `None`: stored as numbered.
    pub(crate) first: Option<u64>,
    /// Other nodes' items committed before this batch and not yet
    /// handed out, in order: to deliver before the batch.
    pub(crate) earlier: Vec<Remote>,
}

/// What the sequencer needs of a store. See the module docs.
pub(crate) trait MessageStore: Send {
    /// Where the data lives, for log lines.
    fn describe(&self) -> String;

    /// Reads what the hub starts from: the next id, the accounts' rooms,
    /// and the room keyed `default_room` with (at most) its newest `recent`
    /// messages. No other room: start-up costs the same however many rooms
    /// the store holds.
    fn load(&mut self, default_room: &str, recent: usize) -> Result<Loaded, StoreError>;

    /// The room keyed `room_key` (its name as created and topic) with at
    /// most its newest `recent` messages, of those already handed to the
    /// sequencer (committed by it, or read from other nodes by
    /// [`MessageStore::catch_up`] or [`Committed::earlier`]): so a message
    /// is either in what this returns or delivered after it. `None` if the
    /// store has no such room.
    fn room(&mut self, room_key: &str, recent: usize) -> Result<Option<StoredRoom>, StoreError>;

    /// Writes `batch` in one transaction, durable when this returns. See
    /// [`Committed`] for what a shared store adds.
    fn commit(&mut self, batch: &Batch<'_>) -> Result<Committed, StoreError>;

    /// For a shared store: ticks when another node may have committed, so
    /// the sequencer calls [`MessageStore::catch_up`]. Taken once.
    fn changes(&mut self) -> Option<Receiver<()>> {
        None
    }

    /// For a shared store: what other nodes committed since the last
    /// commit or catch-up, in order.
    fn catch_up(&mut self) -> Result<Vec<Remote>, StoreError> {
        Ok(Vec::new())
    }
}
