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
//! - **One batch, two transactions** (group commit): the numbered write,
//!   whose commit does not wait for the disk, so the lock is not held
//!   through a flush; then the mark that waits for it (`durable.rs`).
//!   Durable when `commit` returns (PostgreSQL's `synchronous_commit`, on
//!   by default), and no node hands out a number before it is on disk.
//! - **A lost connection is not fatal.** A failed batch is an error (the
//!   sequencer refuses it: nobody got it); the next batch connects again.
//!   A batch whose commit was cut off may in fact be stored although its
//!   senders were told it was not: nothing acknowledged is ever lost.
//!
//! - **Every node delivers every item in id order.** After a commit, a
//!   node reads what other nodes numbered between the last it handed out
//!   and its batch (`Committed::earlier`: all committed before the batch
//!   took the lock), to be delivered before its own batch; between
//!   commits the `pg-listen` thread ([`listener`]) ticks the sequencer on
//!   other nodes' `NOTIFY`, and `catch_up` reads the rest, up to the
//!   durable mark, in one statement (one snapshot). Topic changes are
//!   numbered from the same counter (`topic_changes`), so they keep their
//!   place.
//! - **Rooms are never forgotten here.** A node knows only its own
//!   members, so a room empty on one node may be busy on another: its row
//!   (and topic) stays.
//!
//! Uses the `postgres` crate's blocking client; its small runtime runs on
//! the calling thread (the sequencer, or `pg-listen`).

pub(crate) mod accounts;
mod durable;
mod listener;
mod members;
pub(crate) mod presence;
mod read;
mod write;

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use postgres::config::Host;
use postgres::{Client, Config, NoTls, Statement};

use super::{Batch, Committed, Loaded, MessageStore, Remote, StoreError, StoredRoom};
use crate::hub::membership::NodeId;
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
    /// The connection's statements and settings, made with it.
    session: Option<Session>,
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
            session: None,
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
    /// Makes `client` the committing connection: its batches' own commits
    /// do not wait for the disk (`durable.rs` waits), and its statements
    /// are prepared once.
    fn adopt(&mut self, mut client: Client) -> Result<(), postgres::Error> {
        let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[])?.get(0);
        let session = Session::start(&mut client)?;
        self.own_pid.store(pid, Ordering::Relaxed);
        self.client = Some(client);
        self.session = Some(session);
        Ok(())
    }

    /// Runs `work` on the connection, connecting first if there is none;
    /// forgets a connection that broke, so the next call connects again.
    fn with_client<T>(
        &mut self,
        work: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        self.with_session(|client, _| work(client))
    }

    /// [`PostgresStore::with_client`], `work` also given the connection's
    /// [`Session`].
    fn with_session<T>(
        &mut self,
        work: impl FnOnce(&mut Client, &Session) -> Result<T, postgres::Error>,
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
        let session = self.session.as_ref().expect("made with the connection");
        let result = work(client, session);
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
        let loaded = self.with_session(|client, session| {
            let loaded = load(client, default_room, recent, node)?;
            // What was read may include commits not yet on disk: they are
            // before it is served.
            durable::mark(client, session, node, loaded.next_id as i64 - 1, false)?;
            Ok(loaded)
        })?;
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
        let (first, earlier, last) = self.with_session(|client, session| {
            // The counter's lock is held inside one statement (`write.rs`).
            let (first, last) = write::commit_batch(client, session, batch, node)?;
            // On disk from here, this batch and all numbered before it.
            durable::mark(client, session, node, last, last >= first)?;
            // What other nodes committed before it, to be delivered first.
            let earlier = match first > last_seen + 1 {
                true => read_since(client, &session.since, last_seen, first)?,
                false => Vec::new(),
            };
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
        // Only what is on disk (`SINCE` stops at the durable mark).
        let read = |client: &mut Client, session: &Session| {
            read_since(client, &session.since, last_seen, i64::MAX)
        };
        // A read is safe to try again on a new connection.
        let items = (self.with_session(read)).or_else(|_| self.with_session(read))?;
        if let Some((id, _)) = items.last() {
            self.last_seen = *id;
        }
        Ok(items.into_iter().map(|(_, item)| item).collect())
    }
}

/// What the committing connection is made with: its prepared statements,
/// and the database's own `synchronous_commit`, which the connection's
/// batches do without and [`durable::mark`] keeps.
pub(super) struct Session {
    /// [`write::WRITE`].
    write: Statement,
    /// [`read::SINCE`].
    since: Statement,
    /// [`members::FORGET`] and [`members::RECORD`].
    forget: Statement,
    record: Statement,
    /// `synchronous_commit` as the database has it (`on` by default).
    synchronous_commit: String,
}

impl Session {
    /// Prepares the statements, and makes the connection's own commits
    /// stop waiting for the disk.
    fn start(client: &mut Client) -> Result<Session, postgres::Error> {
        let setting: String = client.query_one("SHOW synchronous_commit", &[])?.get(0);
        // The setting's values are words (`on`, `remote_apply`, ...); any
        // other answer is not one to repeat in a statement.
        let synchronous_commit = match setting
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'_')
        {
            true => setting,
            false => "on".to_owned(),
        };
        client.batch_execute("SET synchronous_commit = off")?;
        Ok(Session {
            write: client.prepare(write::WRITE)?,
            since: client.prepare(read::SINCE)?,
            forget: client.prepare(members::FORGET)?,
            record: client.prepare(members::RECORD)?,
            synchronous_commit,
        })
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
    tx.batch_execute(durable::CREATE_DURABLE)?;
    tx.batch_execute(accounts::CREATE_ACCOUNTS)?;
    tx.commit()
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
