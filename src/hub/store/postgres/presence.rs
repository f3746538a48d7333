//! Names across nodes: a name is taken in the `presence` table before the
//! local registry takes it, so two nodes on one database never give it to
//! two clients.
//!
//! A row belongs to its node's presence connection, named by that
//! connection's backend pid and start time. When the connection ends (the
//! node exits, is killed, or loses the database), PostgreSQL forgets the
//! backend, and the node's rows are stale: a claim that meets one deletes
//! it and tries again, so a killed node's names are free at once. A node
//! that connects again claims its names again under its new identity.
//!
//! One connection per node, behind a mutex that is never the hub's lock:
//! a claim or release is one round trip, made by the session thread.

use std::collections::BTreeMap;
use std::time::Duration;

use parking_lot::Mutex;
use postgres::{Client, Config, NoTls};

/// The table, created with the store's (`CREATE_SCHEMA`). Unlogged, and
/// written without waiting for the disk: it says who is connected now,
/// which a crash of the database ends anyway.
pub(super) const CREATE_PRESENCE: &str = "
CREATE UNLOGGED TABLE IF NOT EXISTS presence (
    name_key   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    node_pid   INTEGER NOT NULL,
    node_start TIMESTAMPTZ NOT NULL
);";

/// Deletes the rows of nodes whose presence connection is gone.
const SWEEP: &str = "
DELETE FROM presence p WHERE NOT EXISTS (
    SELECT 1 FROM pg_stat_activity a
    WHERE a.pid = p.node_pid AND a.backend_start = p.node_start)";

/// Why a name could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// A client on another node (or this one) has it.
    #[error("taken")]
    Taken,
    /// The database could not be asked.
    #[error("{}", super::explain(.0))]
    Unreachable(postgres::Error),
}

/// This node's names in the database. See the module docs.
pub struct Presence {
    config: Config,
    inner: Mutex<Inner>,
}

struct Inner {
    client: Option<Client>,
    /// The names this node holds, by key, to claim again after a reconnect.
    held: BTreeMap<String, String>,
}

impl Presence {
    /// Connects (the store has created the table).
    pub(crate) fn open(url: &str) -> Result<Presence, postgres::Error> {
        let mut config: Config = url.parse()?;
        config
            .connect_timeout(Duration::from_secs(2))
            .application_name("chat-server presence")
            .options("-c synchronous_commit=off");
        let client = config.connect(NoTls)?;
        Ok(Presence {
            config,
            inner: Mutex::new(Inner {
                client: Some(client),
                held: BTreeMap::new(),
            }),
        })
    }

    /// Takes `name` (its key `key`) for this node, or says why not.
    pub(crate) fn claim(&self, key: &str, name: &str) -> Result<(), ClaimError> {
        let mut inner = self.inner.lock();
        // A connection cut while idle (the database restarted) is found
        // only by using it: then once more on a new one.
        let taken = inner.try_claim(&self.config, key, name).or_else(|_| {
            inner.client = None;
            inner.try_claim(&self.config, key, name)
        });
        match taken {
            Ok(true) => {
                inner.held.insert(key.to_owned(), name.to_owned());
                Ok(())
            }
            Ok(false) => Err(ClaimError::Taken),
            Err(error) => {
                inner.client = None;
                Err(ClaimError::Unreachable(error))
            }
        }
    }

    /// Gives `key` back (its client left, or the local registry refused it).
    pub(crate) fn release(&self, key: &str) {
        let mut inner = self.inner.lock();
        inner.held.remove(key);
        let Some(client) = inner.client.as_mut() else {
            return;
        };
        let released = client.execute(
            "DELETE FROM presence WHERE name_key = $1
             AND (node_pid, node_start) = (SELECT pg_backend_pid(), backend_start
                 FROM pg_stat_activity WHERE pid = pg_backend_pid())",
            &[&key],
        );
        if released.is_err() {
            // Its row goes with the connection.
            inner.client = None;
        }
    }
}

impl Inner {
    /// One attempt: `Ok(false)` if the name is taken.
    fn try_claim(
        &mut self,
        config: &Config,
        key: &str,
        name: &str,
    ) -> Result<bool, postgres::Error> {
        let client = self.connected(config)?;
        if insert(client, key, name)? {
            return Ok(true);
        }
        // Perhaps a dead node's: forget those, and try once more.
        client.execute(SWEEP, &[])?;
        insert(client, key, name)
    }

    /// The connection, made again if it was lost: then this node's names
    /// are claimed again under its new identity.
    fn connected(&mut self, config: &Config) -> Result<&mut Client, postgres::Error> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
        }
        if self.client.is_none() {
            let mut client = config.connect(NoTls)?;
            client.execute(SWEEP, &[])?;
            for (key, name) in &self.held {
                if !insert(&mut client, key, name)? {
                    log::warn!("{name} was taken on another node while the database was away");
                }
            }
            self.client = Some(client);
        }
        Ok(self.client.as_mut().expect("connected above"))
    }
}

/// Inserts the row; `false` if the name is taken.
fn insert(client: &mut Client, key: &str, name: &str) -> Result<bool, postgres::Error> {
    let inserted = client.execute(
        "INSERT INTO presence (name_key, name, node_pid, node_start)
         SELECT $1, $2, pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()
         ON CONFLICT (name_key) DO NOTHING",
        &[&key, &name],
    )?;
    Ok(inserted == 1)
}
