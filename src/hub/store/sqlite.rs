//! The SQLite store: every message in one table, rooms and their topics in
//! another, each account's rooms in a third, in `history.db` in the data
//! directory. The same database holds the `accounts` table (see
//! `server/accounts.rs`), created here too so this file is the whole schema.
//!
//! Schema version 2 (`PRAGMA user_version`). A version-1 database (one
//! room, no `room` column) is migrated in one transaction when opened: its
//! room messages become the default room's. A message's kind (`kind`:
//! `NULL` for a message, `notice`) is a column added to an older version-2
//! database when it is opened; old rows, and a server without the column
//! that writes to it later, leave it `NULL`: messages. Durability: WAL with
//! `synchronous = FULL`, so a commit is on disk when [`SqliteStore::commit`]
//! returns.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Batch, Committed, Loaded, MessageStore, StoreError, StoredRoom};
use crate::hub::message::{Audience, Kind, RoomName, RoomRef, StoredMessage, Topic};

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "history.db";

/// The schema version this code writes.
const SCHEMA_VERSION: i64 = 2;

/// The accounts table: one row per account, keyed by the name's
/// case-insensitive form. `hash` is an argon2id PHC string, never a password.
pub(crate) const CREATE_ACCOUNTS: &str = "CREATE TABLE IF NOT EXISTS accounts (
    name_key   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);";

/// Messages (`room` is the room's key, NULL for a private message), indexed
/// by room for each room's replay; rooms by key with the name as created and
/// the topic; accounts' rooms in the order they joined them.
const CREATE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    id        INTEGER PRIMARY KEY,
    ts_ms     INTEGER NOT NULL,
    sender    TEXT NOT NULL,
    recipient TEXT,
    text      TEXT NOT NULL,
    room      TEXT,
    kind      TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_room ON messages (room, id);
CREATE TABLE IF NOT EXISTS rooms (
    room_key TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    topic    TEXT,
    topic_by TEXT,
    topic_ms INTEGER
);
CREATE TABLE IF NOT EXISTS memberships (
    name_key  TEXT NOT NULL,
    position  INTEGER NOT NULL,
    room_key  TEXT NOT NULL,
    room_name TEXT NOT NULL,
    PRIMARY KEY (name_key, position)
);";

/// The condition on a `rooms` row that the room has no stored message.
const NO_MESSAGES: &str =
    "NOT EXISTS (SELECT 1 FROM messages WHERE messages.room = rooms.room_key)";

/// The open database. See the module docs.
pub(crate) struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed, migrating if old) the database in `dir`.
    /// A version-1 database's room messages become `default_room`'s.
    pub(crate) fn open(dir: &Path, default_room: &str) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|cause| StoreError::Directory {
            path: dir.to_owned(),
            cause,
        })?;
        let path = dir.join(DATABASE_FILE);
        let database_error = |cause| StoreError::Database {
            path: path.clone(),
            cause,
        };
        let mut conn = Connection::open(&path).map_err(database_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(database_error)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(database_error)?;
        migrate(&mut conn, default_room).map_err(database_error)?;
        // A room the server stopped with, without members now, is forgotten
        // unless it has messages (or is the default room): its topic goes.
        conn.execute(
            &format!("DELETE FROM rooms WHERE room_key != ?1 AND {NO_MESSAGES}"),
            [crate::protocol::room_key(default_room)],
        )
        .map_err(database_error)?;
        conn.execute_batch(CREATE_ACCOUNTS)
            .map_err(database_error)?;
        Ok(SqliteStore { conn, path })
    }

    fn error(&self, cause: rusqlite::Error) -> StoreError {
        StoreError::Database {
            path: self.path.clone(),
            cause,
        }
    }

    /// The stored room keyed `room_key`, with its newest `n` messages.
    fn stored_room(&self, room_key: &str, n: usize) -> rusqlite::Result<Option<StoredRoom>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT name, topic, topic_by, topic_ms FROM rooms WHERE room_key = ?1",
        )?;
        let row = statement
            .query_row([room_key], |row| {
                let name: String = row.get(0)?;
                let topic = match (row.get::<_, Option<String>>(1)?, row.get(2)?, row.get(3)?) {
                    (Some(text), Some(by), Some(ms)) => Some(Topic {
                        ts: timestamp(ms),
                        by,
                        text,
                    }),
                    _ => None,
                };
                Ok((RoomName::new(&name), topic))
            })
            .optional()?;
        let Some((name, topic)) = row else {
            return Ok(None);
        };
        let recent = self.recent(&name, n)?;
        let first = self.first(&name)?;
        Ok(Some(StoredRoom {
            name,
            topic,
            recent,
            first,
        }))
    }

    /// The newest `n` messages of `room`, oldest first.
    fn recent(&self, room: &RoomRef, n: usize) -> rusqlite::Result<Vec<Arc<StoredMessage>>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, ts_ms, sender, text, kind FROM messages WHERE room = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = statement.query_map(params![room.key, n as i64], |row| {
            Ok(Arc::new(StoredMessage {
                id: row.get::<_, i64>(0)? as u64,
                ts: timestamp(row.get(1)?),
                from: row.get(2)?,
                audience: Audience::Room(room.clone()),
                kind: Kind::from_stored(row.get::<_, Option<String>>(4)?.as_deref()),
                live_tags: None,
                text: row.get(3)?,
            }))
        })?;
        let mut messages = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        messages.reverse();
        Ok(messages)
    }

    /// When the first message of `room` was stored, if it has one.
    fn first(&self, room: &RoomRef) -> rusqlite::Result<Option<DateTime<Utc>>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT ts_ms FROM messages WHERE room = ?1 ORDER BY id LIMIT 1")?;
        let ms: Option<i64> = statement
            .query_row([&room.key], |row| row.get(0))
            .optional()?;
        Ok(ms.map(timestamp))
    }

    fn memberships(&self) -> rusqlite::Result<HashMap<String, Vec<RoomRef>>> {
        let mut statement = self
            .conn
            .prepare("SELECT name_key, room_name FROM memberships ORDER BY name_key, position")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut memberships: HashMap<String, Vec<RoomRef>> = HashMap::new();
        for row in rows {
            let (name_key, room) = row?;
            memberships
                .entry(name_key)
                .or_default()
                .push(RoomName::new(&room));
        }
        Ok(memberships)
    }
}

impl MessageStore for SqliteStore {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn load(&mut self, default_room: &str, recent: usize) -> Result<Loaded, StoreError> {
        let max: Option<i64> = self
            .conn
            .query_row("SELECT MAX(id) FROM messages", [], |row| row.get(0))
            .map_err(|cause| self.error(cause))?;
        Ok(Loaded {
            next_id: max.map_or(1, |id| id as u64 + 1),
            default_room: self.room(default_room, recent)?,
            memberships: self.memberships().map_err(|cause| self.error(cause))?,
            cluster: None,
        })
    }

    fn room(&mut self, room_key: &str, recent: usize) -> Result<Option<StoredRoom>, StoreError> {
        // One writer, this thread: everything stored has been handed out.
        self.stored_room(room_key, recent)
            .map_err(|cause| self.error(cause))
    }

    fn commit(&mut self, batch: &Batch<'_>) -> Result<Committed, StoreError> {
        write_batch(&mut self.conn, batch).map_err(|cause| StoreError::Database {
            path: self.path.clone(),
            cause,
        })?;
        Ok(Committed::default())
    }
}

fn write_batch(conn: &mut Connection, batch: &Batch<'_>) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        // First: a room forgotten and made anew in this batch starts bare.
        forget_rooms(&tx, batch.forgotten)?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO messages (id, ts_ms, sender, recipient, text, room, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut room_row =
            tx.prepare_cached("INSERT OR IGNORE INTO rooms (room_key, name) VALUES (?1, ?2)")?;
        let mut last_room: Option<&str> = None;
        for m in batch.messages {
            let (recipient, room) = match &m.audience {
                Audience::Room(room) => (None, Some(room)),
                Audience::Private(to) => (Some(to.as_str()), None),
            };
            insert.execute(params![
                m.id as i64,
                m.ts.timestamp_millis(),
                m.from,
                recipient,
                m.text,
                room.map(|room| room.key.as_str()),
                m.kind.stored(),
            ])?;
            // Runs of one room (the usual batch) cost one room row write.
            if let Some(room) = room
                && last_room != Some(room.key.as_str())
            {
                room_row.execute(params![room.key, room.display])?;
                last_room = Some(room.key.as_str());
            }
        }
        let mut topic = tx.prepare_cached(
            "INSERT INTO rooms (room_key, name, topic, topic_by, topic_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (room_key) DO UPDATE SET topic = ?3, topic_by = ?4, topic_ms = ?5",
        )?;
        for change in batch.topics {
            topic.execute(params![
                change.room.key,
                change.room.display,
                change.topic.text,
                change.topic.by,
                change.topic.ts.timestamp_millis(),
            ])?;
        }
        let mut forget = tx.prepare_cached("DELETE FROM memberships WHERE name_key = ?1")?;
        let mut remember = tx.prepare_cached(
            "INSERT INTO memberships (name_key, position, room_key, room_name) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (name_key, rooms) in batch.memberships {
            forget.execute([name_key])?;
            for (position, room) in rooms.iter().enumerate() {
                remember.execute(params![name_key, position as i64, room.key, room.display])?;
            }
        }
    }
    tx.commit()
}

/// Deletes the rows (so the topics) of rooms forgotten without messages.
fn forget_rooms(tx: &rusqlite::Transaction<'_>, room_keys: &[String]) -> rusqlite::Result<()> {
    let mut forget = tx.prepare_cached(&format!(
        "DELETE FROM rooms WHERE room_key = ?1 AND {NO_MESSAGES}"
    ))?;
    for room_key in room_keys {
        forget.execute([room_key])?;
    }
    Ok(())
}

/// Brings the schema to [`SCHEMA_VERSION`], in one transaction.
fn migrate(conn: &mut Connection, default_room: &str) -> rusqlite::Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    add_kind_column(conn)?;
    if version >= SCHEMA_VERSION {
        // A version-1 server run on this database meanwhile wrote its room
        // messages without a room: they are the default room's.
        let room = RoomName::new(default_room);
        let adopted = conn.execute(
            "UPDATE messages SET room = ?1 WHERE room IS NULL AND recipient IS NULL",
            [&room.key],
        )?;
        if adopted > 0 {
            conn.execute(
                "INSERT OR IGNORE INTO rooms (room_key, name) VALUES (?1, ?2)",
                params![room.key, room.display],
            )?;
            log::info!("{adopted} messages written by a one-room server are {default_room}'s");
        }
        return Ok(());
    }
    let tx = conn.transaction()?;
    let has_messages: Option<String> = tx
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'messages'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    let has_room: i64 = tx.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('messages') WHERE name = 'room'",
        [],
        |row| row.get(0),
    )?;
    if has_messages.is_some() && has_room == 0 {
        // Version 1: one room, whose messages are the default room's now.
        let room = RoomName::new(default_room);
        tx.execute_batch("ALTER TABLE messages ADD COLUMN room TEXT;")?;
        let moved = tx.execute(
            "UPDATE messages SET room = ?1 WHERE recipient IS NULL",
            [&room.key],
        )?;
        tx.execute_batch(CREATE_SCHEMA)?;
        if moved > 0 {
            tx.execute(
                "INSERT OR IGNORE INTO rooms (room_key, name) VALUES (?1, ?2)",
                params![room.key, room.display],
            )?;
        }
        log::info!("history database migrated to rooms: {moved} messages are {default_room}'s");
    } else {
        tx.execute_batch(CREATE_SCHEMA)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()
}

/// Adds the `kind` column to a `messages` table made before it existed
/// (no effect on a new database, whose table `CREATE_SCHEMA` makes later
/// with the column, nor on one that has it).
fn add_kind_column(conn: &Connection) -> rusqlite::Result<()> {
    let columns: i64 = conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('messages')",
        [],
        |row| row.get(0),
    )?;
    let has_kind: i64 = conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('messages') WHERE name = 'kind'",
        [],
        |row| row.get(0),
    )?;
    if columns > 0 && has_kind == 0 {
        conn.execute_batch("ALTER TABLE messages ADD COLUMN kind TEXT;")?;
        log::info!("history database: messages now keep their kind (message or notice)");
    }
    Ok(())
}

fn timestamp(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
