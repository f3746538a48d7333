//! Accounts: names that can only be taken with a password.
//!
//! They live in the `accounts` table of the server's database, managed by
//! `chat-server user add|del|list` through [`Accounts`]: `history.db` in the
//! data directory ([`Accounts::in_dir`]) or, for nodes sharing a PostgreSQL
//! database (`--database`), that database ([`Accounts::in_postgres`]), so
//! one `user add` serves every node. A password is kept only as an argon2id
//! hash (a PHC string with its own random salt and parameters); it is never
//! stored, logged or returned in clear.
//!
//! Sessions look accounts up through the `accounts` thread
//! (`account_lookup.rs`), which keeps one connection open for
//! [`Accounts::lookup`]: each query reads the table afresh, so an account
//! added while the server runs counts at once (on every node), and the
//! database's memory stays on that one thread instead of on every session
//! thread. Checking a password ([`verify_password`]) is deliberately slow
//! and runs on the session's own thread, under no lock.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::hub::store::postgres::accounts::{self as rows, PostgresAccounts};
use crate::hub::store::postgres::explain;
use crate::hub::store::sqlite::{CREATE_ACCOUNTS, DATABASE_FILE};
use crate::protocol::{name_key, validate_name};

/// How long a lookup waits for the database while another process writes.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an account operation failed. Each message says its cause once, and
/// none has a `source()` (see [`super::ServerError`]).
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The name breaks the naming rules.
    #[error("{name:?} is not a valid name: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// `user add` for a name that already has an account.
    #[error("{0} already has an account; `chat-server user del {0}` first to replace it")]
    Exists(String),
    /// `user del` for a name without an account.
    #[error("{0} has no account; `chat-server user list` shows them")]
    NoSuchAccount(String),
    /// The password is empty, or starts or ends with a space (the protocol
    /// cannot carry those).
    #[error("the password must not be empty nor start or end with a space")]
    BadPassword,
    /// The database could not be opened, read or written.
    #[error("cannot use the account database {}: {cause}", path.display())]
    Database {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        cause: rusqlite::Error,
    },
    /// `--database` is not a PostgreSQL URL.
    #[error(
        "--database is not a PostgreSQL URL ({}); write it as postgres://user:password@host:port/name",
        explain(cause)
    )]
    DatabaseUrl {
        /// What the `postgres` client said.
        cause: postgres::Error,
    },
    /// The PostgreSQL database (`--database`) could not be reached, read or
    /// written.
    #[error(
        "cannot use the PostgreSQL database {database}: {}; check that PostgreSQL is running there and that --database (or CHATROOM_DATABASE) is right",
        explain(cause)
    )]
    Postgres {
        /// The database, as `postgres://user@host:port/name` (no password).
        database: String,
        /// What the `postgres` client said.
        cause: postgres::Error,
    },
    /// The data directory could not be created.
    #[error("cannot use data directory {}: {cause}; choose a writable --data-dir", path.display())]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What the system said.
        cause: std::io::Error,
    },
    /// Hashing failed (out of memory, say).
    #[error("cannot hash the password: {0}")]
    Hash(String),
    /// The server's account lookups are not running (it is shutting down).
    #[error("accounts cannot be checked: {0}")]
    Unavailable(&'static str),
}

/// The accounts of a server, or of every node on one PostgreSQL database.
/// See the module docs.
#[derive(Debug, Clone)]
pub struct Accounts {
    place: Place,
}

/// Where the accounts live.
#[derive(Debug, Clone)]
enum Place {
    /// The `accounts` table of this SQLite file (`history.db`).
    File(PathBuf),
    /// The `accounts` table of a PostgreSQL database.
    Postgres(Arc<PostgresAccounts>),
}

/// The connection the `accounts` thread keeps between lookups.
pub(crate) enum LookupConnection {
    Sqlite(Connection),
    Postgres(postgres::Client),
}

impl Accounts {
    /// The accounts kept in `dir`'s database (which need not exist yet).
    pub fn in_dir(dir: &Path) -> Accounts {
        Accounts {
            place: Place::File(dir.join(DATABASE_FILE)),
        }
    }

    /// The accounts kept in the PostgreSQL database at `url`, shared by
    /// every node on it. Nothing is connected until they are used.
    pub fn in_postgres(url: &str) -> Result<Accounts, AccountError> {
        let database =
            PostgresAccounts::new(url).map_err(|cause| AccountError::DatabaseUrl { cause })?;
        Ok(Accounts {
            place: Place::Postgres(Arc::new(database)),
        })
    }

    /// Adds an account. Hashing takes a moment on purpose.
    pub fn add(&self, name: &str, password: &str) -> Result<(), AccountError> {
        check_name(name)?;
        if password.is_empty() || password.trim_matches(' ') != password {
            return Err(AccountError::BadPassword);
        }
        let hash = hash_password(password)?;
        let created = chrono::Utc::now().timestamp_millis();
        let key = name_key(name);
        let inserted = match &self.place {
            Place::File(path) => {
                let conn = open_for_writing(path)?;
                conn.execute(
                    "INSERT OR IGNORE INTO accounts (name_key, name, hash, created_ms) VALUES (?1, ?2, ?3, ?4)",
                    params![key, name, hash, created],
                )
                .map_err(|cause| sqlite_error(path, cause))?
                    == 1
            }
            Place::Postgres(database) => on_postgres(database, |client| {
                rows::insert(client, (&key, name), &hash, created)
            })?,
        };
        if !inserted {
            return Err(AccountError::Exists(name.to_owned()));
        }
        Ok(())
    }

    /// Removes the account called `name` (any case).
    pub fn delete(&self, name: &str) -> Result<(), AccountError> {
        let key = name_key(name);
        let deleted = match &self.place {
            Place::File(path) => {
                open_for_writing(path)?
                    .execute("DELETE FROM accounts WHERE name_key = ?1", params![key])
                    .map_err(|cause| sqlite_error(path, cause))?
                    > 0
            }
            Place::Postgres(database) => {
                on_postgres(database, |client| rows::delete(client, &key))?
            }
        };
        if !deleted {
            return Err(AccountError::NoSuchAccount(name.to_owned()));
        }
        Ok(())
    }

    /// Every account's name, sorted without regard to case.
    pub fn list(&self) -> Result<Vec<String>, AccountError> {
        let path = match &self.place {
            Place::File(path) => path,
            Place::Postgres(database) => return on_postgres(database, rows::names),
        };
        let conn = open_for_writing(path)?;
        let error = |cause| sqlite_error(path, cause);
        let mut statement = conn
            .prepare("SELECT name FROM accounts ORDER BY name_key")
            .map_err(error)?;
        let names = statement
            .query_map([], |row| row.get(0))
            .map_err(error)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(error)?;
        Ok(names)
    }

    /// The password hash of the account called `name` (any case), if any. A
    /// database that does not exist holds no accounts. `conn` is the caller's
    /// connection, opened here when there is none yet and dropped after an
    /// error, so the next lookup starts afresh.
    pub(crate) fn lookup(
        &self,
        conn: &mut Option<LookupConnection>,
        name: &str,
    ) -> Result<Option<String>, AccountError> {
        match &self.place {
            Place::File(path) => lookup_in_file(path, conn, name),
            Place::Postgres(database) => lookup_in_postgres(database, conn, name),
        }
    }
}

/// [`Accounts::lookup`] in a SQLite file.
fn lookup_in_file(
    path: &Path,
    conn: &mut Option<LookupConnection>,
    name: &str,
) -> Result<Option<String>, AccountError> {
    if !matches!(conn, Some(LookupConnection::Sqlite(_))) {
        if !path.exists() {
            return Ok(None);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let opened =
            Connection::open_with_flags(path, flags).map_err(|cause| sqlite_error(path, cause))?;
        opened
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|cause| sqlite_error(path, cause))?;
        *conn = Some(LookupConnection::Sqlite(opened));
    }
    let Some(LookupConnection::Sqlite(open)) = conn.as_ref() else {
        unreachable!("opened above");
    };
    let result = query_hash(path, open, name);
    if result.is_err() {
        *conn = None;
    }
    result
}

/// [`Accounts::lookup`] in PostgreSQL. A connection cut while idle (the
/// database restarted) is found only by using it: then once more, on a new
/// one.
fn lookup_in_postgres(
    database: &PostgresAccounts,
    conn: &mut Option<LookupConnection>,
    name: &str,
) -> Result<Option<String>, AccountError> {
    let key = name_key(name);
    if let Some(LookupConnection::Postgres(client)) = conn
        && let Ok(found) = rows::hash(client, &key)
    {
        return Ok(found);
    }
    *conn = None;
    let error = |cause| postgres_error(database, cause);
    let mut client = database.connect().map_err(error)?;
    let found = rows::hash(&mut client, &key).map_err(error)?;
    *conn = Some(LookupConnection::Postgres(client));
    Ok(found)
}

fn query_hash(path: &Path, conn: &Connection, name: &str) -> Result<Option<String>, AccountError> {
    let found = conn
        .query_row(
            "SELECT hash FROM accounts WHERE name_key = ?1",
            params![name_key(name)],
            |row| row.get(0),
        )
        .optional();
    match found {
        Ok(hash) => Ok(hash),
        // A database made before accounts existed has no table: no accounts.
        Err(rusqlite::Error::SqliteFailure(_, Some(message)))
            if message.contains("no such table") =>
        {
            Ok(None)
        }
        Err(cause) => Err(sqlite_error(path, cause)),
    }
}

fn open_for_writing(path: &Path) -> Result<Connection, AccountError> {
    if let Some(dir) = path.parent() {
        super::data_dir::create(dir).map_err(|cause| AccountError::DataDir {
            path: dir.to_owned(),
            cause,
        })?;
    }
    let conn = Connection::open(path).map_err(|cause| sqlite_error(path, cause))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|cause| sqlite_error(path, cause))?;
    conn.execute_batch(CREATE_ACCOUNTS)
        .map_err(|cause| sqlite_error(path, cause))?;
    Ok(conn)
}

/// Runs `work` on a new connection to `database` (a `user` command's one).
fn on_postgres<T>(
    database: &PostgresAccounts,
    work: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
) -> Result<T, AccountError> {
    let error = |cause| postgres_error(database, cause);
    let mut client = database.connect().map_err(error)?;
    work(&mut client).map_err(error)
}

fn sqlite_error(path: &Path, cause: rusqlite::Error) -> AccountError {
    AccountError::Database {
        path: path.to_owned(),
        cause,
    }
}

fn postgres_error(database: &PostgresAccounts, cause: postgres::Error) -> AccountError {
    AccountError::Postgres {
        database: database.described().to_owned(),
        cause,
    }
}

fn check_name(name: &str) -> Result<(), AccountError> {
    validate_name(name).map_err(|error| AccountError::InvalidName {
        name: name.to_owned(),
        reason: error.to_string(),
    })
}

/// An argon2id hash of `password` with a fresh random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| AccountError::Hash(error.to_string()))
}

/// Whether `password` matches `hash` (a PHC string from [`hash_password`]).
/// A malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_never_hold_the_password() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct hors", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn add_list_lookup_delete() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::in_dir(dir.path());
        let mut conn = None;
        assert_eq!(
            accounts.lookup(&mut conn, "alice").unwrap(),
            None,
            "no database yet"
        );
        accounts.add("Alice", "pw one").unwrap();
        accounts.add("bob", "pw two").unwrap();
        assert!(matches!(
            accounts.add("ALICE", "x"),
            Err(AccountError::Exists(_))
        ));
        assert!(matches!(
            accounts.add("carol", " x"),
            Err(AccountError::BadPassword)
        ));
        assert!(matches!(
            accounts.add("9lives", "x"),
            Err(AccountError::InvalidName { .. })
        ));
        assert_eq!(accounts.list().unwrap(), ["Alice", "bob"]);
        let hash = accounts.lookup(&mut conn, "alice").unwrap().unwrap();
        assert!(verify_password("pw one", &hash));
        accounts.delete("ALICE").unwrap();
        assert_eq!(
            accounts.lookup(&mut conn, "alice").unwrap(),
            None,
            "the same connection sees the change"
        );
        assert!(matches!(
            accounts.delete("alice"),
            Err(AccountError::NoSuchAccount(_))
        ));
        assert_eq!(accounts.list().unwrap(), ["bob"]);
    }
}
