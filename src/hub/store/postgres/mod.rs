//! The PostgreSQL store (`chat-server --database postgres://...`): the same
//! tables and meaning as the SQLite store (`sqlite.rs`), in a database that
//! several server nodes may share.
//!
//! Invariants:
//! - **The database numbers messages.** One row, `chat_counter`, holds the
//!   last id given. Every commit first takes that row's lock (`UPDATE ...
//!   RETURNING`) and keeps it until it commits, so commits are serialised,
//!   ids are given in commit order, and no batch with smaller ids becomes
//!   visible after one with larger ids. Whatever ids the sequencer proposed,
//!   the stored ones are [`MessageStore::commit`]'s answer.
//! - **One transaction per batch** (group commit), durable when `commit`
//!   returns (PostgreSQL's `synchronous_commit`, on by default).
//! - **A lost connection is not fatal.** A failed batch is an error (the
//!   sequencer refuses it: nobody got it); the next batch connects again.
//!   A batch whose commit was cut off may in fact be stored although its
//!   senders were told it was not: nothing acknowledged is ever lost.
//!
//! - **Every node delivers every item in id order.** A commit, holding the
//!   counter's lock, first reads what other nodes committed since this
//!   node last looked (`Committed::earlier`), to be delivered before its
//!   own batch; between commits the `pg-listen` thread ([`listener`])
//!   ticks the sequencer on other nodes' `NOTIFY`, and `catch_up` reads
//!   the rest in one statement (one snapshot). Topic changes are numbered
//!   from the same counter (`topic_changes`), so they keep their place.
//! - **Rooms are never forgotten here.** A node knows only its own
//!   members, so a room empty on one node may be busy on another: its row
//!   (and topic) stays.
//!
//! Uses the `postgres` crate's blocking client; its small runtime runs on
//! the calling thread (the sequencer, or `pg-listen`).

pub(crate) mod accounts;
mod listener;
mod members;
pub(crate) mod presence;
mod read;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use postgres::config::Host;
use postgres::{Client, Config, NoTls, Transaction};

use super::{Batch, Committed, Loaded, MessageStore, Remote, StoreError, StoredRoom};
use crate::hub::membership::NodeId;
use crate::hub::message::{Audience, StoredMessage};
use listener::Listener;
use read::{load, read_since, stored_room};

/// How long connecting may take before the attempt fails (at start, and
/// for each batch while the database is away).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection unused for longer is checked (one round trip) before use.
const IDLE_CHECK: Duration = Duration::from_millis(200);

/// Serialises schema creation between nodes starting at once (an
/// arbitrary key of `pg_advisory_xact_lock`).
const SCHEMA_LOCK: i64 = 0x6368_6174_726f_6f6d;

/// The tables; see the SQLite store for their meaning. `rooms` is ordered by
/// the "C" collation whatever the database's locale, as SQLite orders it.
const CREATE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS chat_counter (
    one     BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    last_id BIGINT NOT NULL
);
INSERT INTO chat_counter (one, last_id) VALUES (TRUE, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS messages (
    id        BIGINT PRIMARY KEY,
    ts_ms     BIGINT NOT NULL,
    sender    TEXT NOT NULL,
    recipient TEXT,
    text      TEXT NOT NULL,
    room      TEXT
);
-- A message's kind: NULL for a message (every row written before the
-- column existed), 'notice'. Added to a database made without it.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS kind TEXT;
CREATE INDEX IF NOT EXISTS messages_by_room ON messages (room, id);
CREATE TABLE IF NOT EXISTS rooms (
    room_key TEXT COLLATE \"C\" PRIMARY KEY,
    name     TEXT NOT NULL,
    topic    TEXT,
    topic_by TEXT,
    topic_ms BIGINT
);
CREATE TABLE IF NOT EXISTS topic_changes (
    id        BIGINT PRIMARY KEY,
    room_key  TEXT NOT NULL,
    room_name TEXT NOT NULL,
    topic     TEXT NOT NULL,
    by_name   TEXT NOT NULL,
    ts_ms     BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS memberships (
    name_key  TEXT NOT NULL,
    position  INTEGER NOT NULL,
    room_key  TEXT NOT NULL,
    room_name TEXT NOT NULL,
    PRIMARY KEY (name_key, position)
);";

/// A PostgreSQL database, connected or waiting to connect again.
pub(crate) struct PostgresStore {
    config: Config,
    /// The database as log lines and errors name it (no password).
    described: String,
    /// `None` after the connection was lost, until the next batch.
    client: Option<Client>,
    /// The last number this node has handed to its sequencer (its own
    /// commits, and others' it read).
    last_seen: i64,
    /// The committing connection's backend pid, for the listener.
    own_pid: Arc<AtomicI32>,
    /// Ticks from the listener, until the sequencer takes them.
    changes: Option<Receiver<()>>,
    /// When the connection was last used.
    last_used: Instant,
    /// This node's number among the nodes (`members.rs`).
    node: NodeId,
    /// Dropped last: stops and joins `pg-listen`.
    _listener: Listener,
}

impl PostgresStore {
    /// Connects to `url`, creates the tables that are missing and starts
    /// listening for other nodes' commits.
    pub(crate) fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let mut config: Config = url
            .parse()
            .map_err(|cause| StoreError::PostgresUrl { cause })?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives_idle(Duration::from_secs(10))
            .application_name("chat-server");
        let described = describe(&config);
        let unusable = |cause| StoreError::Postgres {
            database: described.clone(),
            cause,
        };
        let mut client = config.connect(NoTls).map_err(unusable)?;
        create_schema(&mut client).map_err(unusable)?;
        let node = members::register_node(&mut client).map_err(unusable)?;
        let own_pid = Arc::new(AtomicI32::new(0));
        let (listener, changes) = Listener::start(config.clone(), own_pid.clone())
            .map_err(|cause| StoreError::Thread { cause })?;
        let mut store = PostgresStore {
            described,
            config,
            client: None,
            last_seen: 0,
            last_used: Instant::now(),
            node,
            own_pid,
            changes: Some(changes),
            _listener: listener,
        };
        store.adopt(client).map_err(|cause| store.error(cause))?;
        Ok(store)
    }
}

/// This node's [`presence::Presence`] on `url` (after [`PostgresStore::open`],
/// which creates its table and numbers the node `node`).
pub(crate) fn open_presence(url: &str, node: NodeId) -> Result<presence::Presence, StoreError> {
    presence::Presence::open(url, node).map_err(|cause| StoreError::Postgres {
        database: url
            .parse::<Config>()
            .map(|config| describe(&config))
            .unwrap_or_default(),
        cause,
    })
}

impl PostgresStore {
    /// Makes `client` the committing connection.
    fn adopt(&mut self, mut client: Client) -> Result<(), postgres::Error> {
        let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[])?.get(0);
        self.own_pid.store(pid, Ordering::Relaxed);
        self.client = Some(client);
        Ok(())
    }

    /// Runs `work` on the connection, connecting first if there is none;
    /// forgets a connection that broke, so the next call connects again.
    fn with_client<T>(
        &mut self,
        work: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        // A connection idle for a while may have been cut meanwhile (the
        // database restarted): the first batch after that must not be
        // refused for it.
        let idle = std::mem::replace(&mut self.last_used, Instant::now()).elapsed();
        if idle > IDLE_CHECK
            && let Some(client) = &mut self.client
            && client.is_valid(CONNECT_TIMEOUT).is_err()
        {
            self.client = None;
        }
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = None;
            let client = self
                .config
                .connect(NoTls)
                .map_err(|cause| self.error(cause))?;
            self.adopt(client).map_err(|cause| self.error(cause))?;
        }
        let client = self.client.as_mut().expect("connected above");
        let result = work(client);
        if client.is_closed() {
            self.client = None;
        }
        result.map_err(|cause| self.error(cause))
    }

    fn error(&self, cause: postgres::Error) -> StoreError {
        StoreError::Postgres {
            database: self.described.clone(),
            cause,
        }
    }
}

impl MessageStore for PostgresStore {
    fn describe(&self) -> String {
        self.described.clone()
    }

    fn load(&mut self, default_room: &str, recent: usize) -> Result<Loaded, StoreError> {
        let node = self.node;
        let loaded = self.with_client(|client| load(client, default_room, recent, node))?;
        self.last_seen = loaded.next_id as i64 - 1;
        Ok(loaded)
    }

    fn room(&mut self, room_key: &str, recent: usize) -> Result<Option<StoredRoom>, StoreError> {
        // Only what this node has handed out: later ones reach it through
        // `catch_up`, and so the joiner, live.
        let last_seen = self.last_seen;
        // One attempt: the sequencer waits on it, and a joiner told
        // `not-stored` can try again.
        self.with_client(|client| stored_room(client, room_key, recent, last_seen))
    }

    fn commit(&mut self, batch: &Batch<'_>) -> Result<Committed, StoreError> {
        let (last_seen, node) = (self.last_seen, self.node);
        let (first, earlier, last) = self.with_client(|client| {
            let mut tx = client.transaction()?;
            let (first, last) = number(&mut tx, batch)?;
            let earlier = read_since(&mut tx, last_seen, first)?;
            write_batch(&mut tx, batch, first)?;
            let member_ids: Vec<i64> = (batch.member_places.iter())
                .map(|&place| first + place as i64)
                .collect();
            members::write_changes(&mut tx, node, batch.members, &member_ids)?;
            if last >= first {
                tx.batch_execute(&format!("NOTIFY {}", listener::CHANNEL))?;
            }
            tx.commit()?;
            Ok((first, earlier, last))
        })?;
        self.last_seen = last;
        Ok(Committed {
            first: Some(first as u64),
            earlier: earlier.into_iter().map(|(_, item)| item).collect(),
        })
    }

    fn changes(&mut self) -> Option<Receiver<()>> {
        self.changes.take()
    }

    fn catch_up(&mut self) -> Result<Vec<Remote>, StoreError> {
        let last_seen = self.last_seen;
        let read = |client: &mut Client| read_since(client, last_seen, i64::MAX);
        // A read is safe to try again on a new connection.
        let items = self.with_client(read).or_else(|_| self.with_client(read))?;
        if let Some((id, _)) = items.last() {
            self.last_seen = *id;
        }
        Ok(items.into_iter().map(|(_, item)| item).collect())
    }
}

/// Creates the tables that are missing, one node at a time. Quietly: every
/// node after the first would otherwise log PostgreSQL's notice that each
/// table "already exists, skipping".
fn create_schema(client: &mut Client) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.batch_execute("SET LOCAL client_min_messages = warning")?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute(CREATE_SCHEMA)?;
    tx.batch_execute(presence::CREATE_PRESENCE)?;
    tx.batch_execute(members::CREATE_MEMBERS)?;
    tx.batch_execute(accounts::CREATE_ACCOUNTS)?;
    tx.commit()
}

/// Takes the counter's lock (held to the commit: it orders every commit of
/// every node) and numbers the batch's items: the first and last number.
fn number(tx: &mut Transaction<'_>, batch: &Batch<'_>) -> Result<(i64, i64), postgres::Error> {
    let count = (batch.messages.len() + batch.topics.len() + batch.members.len()) as i64;
    let last: i64 = tx
        .query_one(
            "UPDATE chat_counter SET last_id = last_id + $1 RETURNING last_id",
            &[&count],
        )?
        .get(0);
    Ok((last - count + 1, last))
}

/// Writes `batch` in `tx`, its items numbered from `first` in request
/// order (`Batch::topic_places`). Forgotten rooms are not deleted (see the
/// module docs).
fn write_batch(
    tx: &mut Transaction<'_>,
    batch: &Batch<'_>,
    first: i64,
) -> Result<(), postgres::Error> {
    let count = batch.messages.len() + batch.topics.len() + batch.members.len();
    let topic_places: Vec<usize> = match batch.topic_places.len() == batch.topics.len() {
        true => batch.topic_places.to_vec(),
        false => (batch.messages.len()..count).collect(),
    };
    // Not a message: a topic or a membership change (`members.rs`).
    let mut is_topic = vec![false; count];
    for &place in topic_places.iter().chain(batch.member_places) {
        is_topic[place] = true;
    }
    let message_ids: Vec<i64> = (first..)
        .zip(&is_topic)
        .filter(|(_, is_topic)| !**is_topic)
        .map(|(id, _)| id)
        .collect();
    insert_messages(tx, batch.messages, &message_ids)?;
    for (change, place) in batch.topics.iter().zip(topic_places) {
        tx.execute(
            "INSERT INTO topic_changes (id, room_key, room_name, topic, by_name, ts_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &(first + place as i64),
                &change.room.key,
                &change.room.display,
                &change.topic.text,
                &change.topic.by,
                &change.topic.ts.timestamp_millis(),
            ],
        )?;
        tx.execute(
            "INSERT INTO rooms (room_key, name, topic, topic_by, topic_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (room_key) DO UPDATE SET topic = $3, topic_by = $4, topic_ms = $5",
            &[
                &change.room.key,
                &change.room.display,
                &change.topic.text,
                &change.topic.by,
                &change.topic.ts.timestamp_millis(),
            ],
        )?;
    }
    for (name_key, rooms) in batch.memberships {
        tx.execute("DELETE FROM memberships WHERE name_key = $1", &[name_key])?;
        let keys: Vec<&str> = rooms.iter().map(|room| room.key.as_str()).collect();
        let names: Vec<&str> = rooms.iter().map(|room| room.display.as_str()).collect();
        tx.execute(
            "INSERT INTO memberships (name_key, position, room_key, room_name)
             SELECT $1, position - 1, key, name
             FROM UNNEST($2::text[], $3::text[]) WITH ORDINALITY AS r(key, name, position)",
            &[name_key, &keys, &names],
        )?;
    }
    Ok(())
}

/// Inserts the messages, numbered from `first`, and their rooms' rows, in
/// one statement each.
fn insert_messages(
    tx: &mut Transaction<'_>,
    messages: &[StoredMessage],
    numbers: &[i64],
) -> Result<(), postgres::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(messages.len());
    let mut times = Vec::with_capacity(messages.len());
    let mut senders = Vec::with_capacity(messages.len());
    let mut recipients = Vec::with_capacity(messages.len());
    let mut texts = Vec::with_capacity(messages.len());
    let mut rooms = Vec::with_capacity(messages.len());
    let mut kinds = Vec::with_capacity(messages.len());
    let mut room_rows: HashMap<&str, &str> = HashMap::new();
    for (m, &id) in messages.iter().zip(numbers) {
        ids.push(id);
        times.push(m.ts.timestamp_millis());
        senders.push(m.from.as_str());
        texts.push(m.text.as_str());
        kinds.push(m.kind.stored());
        match &m.audience {
            Audience::Room(room) => {
                recipients.push(None);
                rooms.push(Some(room.key.as_str()));
                room_rows.insert(&room.key, &room.display);
            }
            Audience::Private(to) => {
                recipients.push(Some(to.as_str()));
                rooms.push(None);
            }
        }
    }
    tx.execute(
        "INSERT INTO messages (id, ts_ms, sender, recipient, text, room, kind)
         SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])",
        &[&ids, &times, &senders, &recipients, &texts, &rooms, &kinds],
    )?;
    let (keys, names): (Vec<&str>, Vec<&str>) = room_rows.into_iter().unzip();
    tx.execute(
        "INSERT INTO rooms (room_key, name) SELECT * FROM UNNEST($1::text[], $2::text[])
         ON CONFLICT DO NOTHING",
        &[&keys, &names],
    )?;
    Ok(())
}

/// `postgres://user@host:port/database`, without the password.
fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|user| format!("{user}@"))
        .unwrap_or_default();
    let database = config.get_dbname().unwrap_or_default();
    format!("postgres://{user}{host}:{port}/{database}")
}

/// `error`'s text with its causes, which its own `Display` leaves out
/// ("db error", "error connecting to server").
pub(crate) fn explain(error: &postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
