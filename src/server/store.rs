//! Durable history: every room and private message in one SQLite table.
//! The same database holds the `accounts` table (see `accounts.rs`), created
//! here too so the history thread's schema is the whole schema.
//!
//! Only the history thread touches a [`Store`]. [`Store::append`] writes a whole
//! batch in one transaction and returns once it is on disk (WAL, `synchronous =
//! FULL`): that is the group commit that lets many messages share one fsync.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::ServerError;
use super::history::StoredMessage;

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "history.db";

/// The accounts table: one row per account, keyed by the name's
/// case-insensitive form. `hash` is an argon2id PHC string, never a password.
pub(crate) const CREATE_ACCOUNTS: &str = "CREATE TABLE IF NOT EXISTS accounts (
    name_key   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);";

/// The open history database. See the module docs.
pub(crate) struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Store, ServerError> {
        std::fs::create_dir_all(dir).map_err(|cause| ServerError::DataDir {
            path: dir.to_owned(),
            cause,
        })?;
        let path = dir.join(DATABASE_FILE);
        let database_error = |cause| ServerError::Database {
            path: path.clone(),
            cause,
        };
        let conn = Connection::open(&path).map_err(database_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(database_error)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(database_error)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS messages (
                id        INTEGER PRIMARY KEY,
                ts_ms     INTEGER NOT NULL,
                sender    TEXT NOT NULL,
                recipient TEXT,
                text      TEXT NOT NULL
            );",
        )
        .map_err(database_error)?;
        conn.execute_batch(CREATE_ACCOUNTS)
            .map_err(database_error)?;
        Ok(Store { conn, path })
    }

    /// Where the database lives.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The id the next message gets: one past the largest stored.
    pub(crate) fn next_id(&self) -> Result<u64, ServerError> {
        let max: Option<i64> = self
            .conn
            .query_row("SELECT MAX(id) FROM messages", [], |row| row.get(0))
            .map_err(|cause| ServerError::Database {
                path: self.path.clone(),
                cause,
            })?;
        Ok(max.map_or(1, |id| id as u64 + 1))
    }

    /// The newest `n` room messages, oldest first.
    pub(crate) fn recent_room(&self, n: usize) -> Result<Vec<StoredMessage>, ServerError> {
        let database_error = |cause| ServerError::Database {
            path: self.path.clone(),
            cause,
        };
        let mut statement = self
            .conn
            .prepare("SELECT id, ts_ms, sender, text FROM messages WHERE recipient IS NULL ORDER BY id DESC LIMIT ?1")
            .map_err(database_error)?;
        let rows = statement
            .query_map([n as i64], |row| {
                let ts_ms: i64 = row.get(1)?;
                Ok(StoredMessage {
                    id: row.get::<_, i64>(0)? as u64,
                    ts: DateTime::<Utc>::from_timestamp_millis(ts_ms).unwrap_or_default(),
                    from: row.get(2)?,
                    to: None,
                    text: row.get(3)?,
                })
            })
            .map_err(database_error)?;
        let mut messages = rows
            .collect::<Result<Vec<_>, _>>()
            .map_err(database_error)?;
        messages.reverse();
        Ok(messages)
    }

    /// Writes `batch` in one transaction, durable when this returns.
    pub(crate) fn append(&mut self, batch: &[StoredMessage]) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO messages (id, ts_ms, sender, recipient, text) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for m in batch {
                insert.execute(params![
                    m.id as i64,
                    m.ts.timestamp_millis(),
                    m.from,
                    m.to,
                    m.text
                ])?;
            }
        }
        tx.commit()
    }
}
