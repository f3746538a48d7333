//! The `accounts` table in PostgreSQL: with `--database`, every node on the
//! database shares one set of accounts, so `chat-server user add` once
//! serves them all (`server/accounts.rs` decides where accounts live and
//! hashes the passwords; this module only reads and writes rows).
//!
//! Invariants: a row holds a name, its key (`protocol::name_key`) and an
//! argon2id PHC string, never a password; each statement reads the table
//! afresh, so an account added or deleted anywhere counts on every node at
//! its next lookup.

use std::time::Duration;

use postgres::{Client, Config, NoTls};

/// The table, created by the first node or `user` command that needs it.
/// Keys sort by the "C" collation, as SQLite sorts them.
pub(super) const CREATE_ACCOUNTS: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    name_key   TEXT COLLATE \"C\" PRIMARY KEY,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);";

/// How long connecting may take before the attempt fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The accounts of one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresAccounts {
    config: Config,
    /// The database as messages name it (no password).
    described: String,
}

impl PostgresAccounts {
    /// The accounts in the database at `url` (not connected yet).
    pub(crate) fn new(url: &str) -> Result<PostgresAccounts, postgres::Error> {
        let mut config: Config = url.parse()?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .application_name("chat-server accounts");
        let described = super::describe(&config);
        Ok(PostgresAccounts { config, described })
    }

    /// `postgres://user@host:port/name`, without the password.
    pub(crate) fn described(&self) -> &str {
        &self.described
    }

    /// A new connection, the table created if it is missing.
    pub(crate) fn connect(&self) -> Result<Client, postgres::Error> {
        let mut client = self.config.connect(NoTls)?;
        super::create_schema(&mut client)?;
        Ok(client)
    }
}

/// Adds an account; `false` if the name (any case) has one already.
pub(crate) fn insert(
    client: &mut Client,
    (key, name): (&str, &str),
    hash: &str,
    created_ms: i64,
) -> Result<bool, postgres::Error> {
    let inserted = client.execute(
        "INSERT INTO accounts (name_key, name, hash, created_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name_key) DO NOTHING",
        &[&key, &name, &hash, &created_ms],
    )?;
    Ok(inserted == 1)
}

/// Deletes the account whose name has the key `key`; `false` if none has.
pub(crate) fn delete(client: &mut Client, key: &str) -> Result<bool, postgres::Error> {
    let deleted = client.execute("DELETE FROM accounts WHERE name_key = $1", &[&key])?;
    Ok(deleted == 1)
}

/// Every account's name, by key.
pub(crate) fn names(client: &mut Client) -> Result<Vec<String>, postgres::Error> {
    let rows = client.query("SELECT name FROM accounts ORDER BY name_key", &[])?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// The password hash of the account whose name has the key `key`.
pub(crate) fn hash(client: &mut Client, key: &str) -> Result<Option<String>, postgres::Error> {
    let row = client.query_opt("SELECT hash FROM accounts WHERE name_key = $1", &[&key])?;
    Ok(row.map(|row| row.get(0)))
}
