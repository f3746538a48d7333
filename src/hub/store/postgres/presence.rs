//! Names across nodes: a name is taken in the `presence` table before the
//! local registry takes it, so two nodes on one database never give it to
//! two clients.
//!
//! A row belongs to its node's presence connection, named by that
//! connection's backend pid and start time (its identity). The node's
//! keeper (`server/presence_keeper.rs`) calls [`Presence::keep`] twice a
//! second: it stamps the identity's row in `presence_node` with the
//! database's clock, and notices a lost connection at once.
//!
//! A row is stale when its connection is gone AND its identity has not been
//! stamped for [`GRACE`]: a claim that meets a stale row deletes it and
//! tries again. So a killed node's names are free within a few seconds, but
//! a node whose connection was merely cut (PostgreSQL restarted, or the
//! backend terminated) keeps them: its keeper connects again within the
//! grace, takes its old rows over under its new identity, and claims every
//! name it holds again.
//!
//! The rule when that re-claim fails (the node was away longer than the
//! grace, and another node gave the name out meanwhile): the row decides.
//! The name is the other node's, and [`Presence::keep`] returns it so this
//! node disconnects its own client, telling it why. While the connection is
//! down, new names are refused ([`ClaimError::Reconnecting`]).
//!
//! [`Presence::find`] says where a name is for a private message from this
//! node: held by a live node, nowhere (no row, or a stale one), or held by
//! a node whose connection is gone within its grace (not answering).
//!
//! One connection per node, behind a mutex that is never the hub's lock:
//! a claim, release or find is one round trip, made by the session thread.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use postgres::{Client, Config, NoTls};

use super::{durable, members};
use crate::hub::membership::NodeId;

/// How long after its last stamp a node's names outlive its connection.
/// Several keeper ticks, so a node reconnecting on a loaded machine keeps them.
pub(crate) const GRACE: Duration = Duration::from_secs(3);

/// The tables, created with the store's (`CREATE_SCHEMA`). Unlogged, and
/// written without waiting for the disk: they say who is connected now,
/// which a crash of the database ends anyway.
pub(super) const CREATE_PRESENCE: &str = "
CREATE UNLOGGED TABLE IF NOT EXISTS presence (
    name_key   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    node_pid   INTEGER NOT NULL,
    node_start TIMESTAMPTZ NOT NULL
);
CREATE UNLOGGED TABLE IF NOT EXISTS presence_node (
    node_pid   INTEGER NOT NULL,
    node_start TIMESTAMPTZ NOT NULL,
    seen       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (node_pid, node_start)
);";

/// Deletes the rows of nodes whose presence connection is gone and whose
/// stamp is older than `$1` seconds ([`GRACE`]).
const SWEEP: &str = "
DELETE FROM presence p WHERE NOT EXISTS (
    SELECT 1 FROM pg_stat_activity a
    WHERE a.pid = p.node_pid AND a.backend_start = p.node_start)
AND NOT EXISTS (
    SELECT 1 FROM presence_node n
    WHERE (n.node_pid, n.node_start) = (p.node_pid, p.node_start)
    AND n.seen > now() - make_interval(secs => $1))";

/// The row of name key `$1`: its name, its node's identity, whether that
/// node's presence connection is alive, and whether its identity was
/// stamped within `$2` seconds ([`GRACE`]).
const FIND: &str = "
SELECT p.name, p.node_pid, p.node_start,
    EXISTS (SELECT 1 FROM pg_stat_activity a
        WHERE a.pid = p.node_pid AND a.backend_start = p.node_start),
    EXISTS (SELECT 1 FROM presence_node n
        WHERE (n.node_pid, n.node_start) = (p.node_pid, p.node_start)
        AND n.seen > now() - make_interval(secs => $2))
FROM presence p WHERE p.name_key = $1";

/// This connection's identity.
const IDENTITY: &str =
    "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()";

/// A connection's identity: its backend pid and start time.
type Identity = (i32, SystemTime);

/// Why a name could not be claimed (or found: [`Presence::find`]).
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// A client on another node (or this one) has it.
    #[error("taken")]
    Taken,
    /// The database could not be asked.
    #[error("{}", super::explain(.0))]
    Unreachable(postgres::Error),
    /// The presence connection is lost, and the keeper has not yet made it
    /// again (and claimed this node's names again).
    #[error("the presence connection is being made again")]
    Reconnecting,
}

/// This node's names in the database. See the module docs.
pub struct Presence {
    config: Config,
    /// This node's number among the nodes (`members.rs`).
    node: NodeId,
    /// Other nodes found this node gone (its connection was away past the
    /// grace): they have let its users leave, so it must announce them
    /// again ([`Presence::take_announce_again`]).
    announce_again: AtomicBool,
    inner: Mutex<Inner>,
}

/// What the mutex guards: the connection and what it must hold.
struct Inner {
    /// `None` while lost: only [`Presence::keep`] connects again.
    client: Option<Client>,
    /// The identity the rows were last claimed under, to take them over.
    identity: Option<Identity>,
    /// The names this node holds, by key, to claim again after a reconnect.
    held: BTreeMap<String, String>,
    /// Names found taken by another node on reconnecting, for the keeper
    /// to disconnect their clients.
    lost: Vec<String>,
}

impl Presence {
    /// Connects (the store has created the tables).
    pub(crate) fn open(url: &str, node: NodeId) -> Result<Presence, postgres::Error> {
        let mut config: Config = url.parse()?;
        config
            .connect_timeout(Duration::from_secs(2))
            .application_name("chat-server presence")
            .options("-c synchronous_commit=off");
        let mut inner = Inner {
            client: None,
            identity: None,
            held: BTreeMap::new(),
            lost: Vec::new(),
        };
        inner.reconnect(&config, node)?;
        Ok(Presence {
            config,
            node,
            announce_again: AtomicBool::new(false),
            inner: Mutex::new(inner),
        })
    }

    /// Takes `name` (its key `key`) for this node, or says why not.
    pub(crate) fn claim(&self, key: &str, name: &str) -> Result<(), ClaimError> {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        let Some(client) = inner.client.as_mut() else {
            return Err(ClaimError::Reconnecting);
        };
        // A connection cut while idle is found only by using it: then once
        // more on a new one (as the keeper would make it).
        let claimed = try_claim(client, key, name).or_else(|_| {
            inner.client = None;
            inner.reconnect(&self.config, self.node)?;
            try_claim(inner.client.as_mut().expect("connected"), key, name)
        });
        match claimed {
            Ok(true) => {
                inner.held.insert(key.to_owned(), name.to_owned());
                Ok(())
            }
            Ok(false) => Err(ClaimError::Taken),
            Err(error) => {
                // The keeper connects again and claims the held names.
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
             AND (node_pid, node_start) = (SELECT pid, backend_start
                 FROM pg_stat_activity WHERE pid = pg_backend_pid())",
            &[&key],
        );
        if released.is_err() {
            // The keeper connects again (without this name).
            inner.client = None;
        }
    }

    /// The keeper's tick: stamps this node's identity (and the node's, and
    /// marks commits stranded below no mark: `durable.rs`), or connects
    /// again if the connection is lost and claims every held name again.
    /// Returns the
    /// names another node took meanwhile (no longer held: their clients must
    /// be disconnected), or the error that kept it from connecting.
    pub(crate) fn keep(&self) -> Result<Vec<String>, postgres::Error> {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        if let (Some(client), Some(identity)) = (inner.client.as_mut(), inner.identity) {
            let stamped = client.execute(
                "UPDATE presence_node SET seen = now() WHERE (node_pid, node_start) = ($1, $2)",
                &[&identity.0, &identity.1],
            );
            let kept = stamped
                .and_then(|_| members::keep_node(client, self.node, GRACE.as_secs_f64()))
                .and_then(|remade| durable::mark_stranded(client, self.node).map(|()| remade));
            if let Ok(remade) = kept {
                if remade {
                    log::warn!(
                        "other nodes found this node gone meanwhile: announcing its users again"
                    );
                    self.announce_again.store(true, Ordering::Relaxed);
                }
                return Ok(std::mem::take(&mut inner.lost));
            }
            log::warn!("lost the presence connection to the database: connecting again");
            inner.client = None;
        }
        inner.reconnect(&self.config, self.node)?;
        Ok(std::mem::take(&mut inner.lost))
    }
}

impl Presence {
    /// Whether this node's users must be announced again to the others
    /// (once per time they found it gone).
    pub(crate) fn take_announce_again(&self) -> bool {
        self.announce_again.swap(false, Ordering::Relaxed)
    }
}

/// Where a name is, as [`Presence::find`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Whereabouts {
    /// A client of another node has it: its name as shown.
    Elsewhere(String),
    /// No other node has it (a stale row counts as none).
    Nowhere,
    /// Its node's presence connection is gone and its grace is not over:
    /// the node died, or is connecting again. Nothing sent to the name now
    /// would surely be delivered.
    NotAnswering,
}

impl Presence {
    /// Where the name whose key is `key` is held by another node: one
    /// round trip on the presence connection, under its mutex (never the
    /// hub's lock). A row of this node's is `Nowhere`: the local registry,
    /// asked first, knows better.
    pub(crate) fn find(&self, key: &str) -> Result<Whereabouts, ClaimError> {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        let Some(client) = inner.client.as_mut() else {
            return Err(ClaimError::Reconnecting);
        };
        let row = match client.query_opt(FIND, &[&key, &GRACE.as_secs_f64()]) {
            Ok(row) => row,
            Err(error) => {
                // The keeper connects again.
                inner.client = None;
                return Err(ClaimError::Unreachable(error));
            }
        };
        let Some(row) = row else {
            return Ok(Whereabouts::Nowhere);
        };
        let identity: Identity = (row.get(1), row.get(2));
        let (alive, stamped): (bool, bool) = (row.get(3), row.get(4));
        Ok(match (inner.identity == Some(identity), alive, stamped) {
            (true, _, _) => Whereabouts::Nowhere,
            (false, true, _) => Whereabouts::Elsewhere(row.get(0)),
            (false, false, true) => Whereabouts::NotAnswering,
            (false, false, false) => Whereabouts::Nowhere,
        })
    }
}

impl Inner {
    /// Connects, stamps the new identity, takes the old identity's rows
    /// over, and claims every held name again. The names another node holds
    /// now are no longer held here: they go to `lost`.
    fn reconnect(&mut self, config: &Config, node: NodeId) -> Result<(), postgres::Error> {
        let mut client = config.connect(NoTls)?;
        members::identify_node(&mut client, node)?;
        let row = client.query_one(IDENTITY, &[])?;
        let identity: Identity = (row.get(0), row.get(1));
        client.execute(
            "INSERT INTO presence_node (node_pid, node_start, seen) VALUES ($1, $2, now())",
            &[&identity.0, &identity.1],
        )?;
        if let Some(old) = self.identity {
            client.execute(
                "UPDATE presence SET (node_pid, node_start) = ($1, $2)
                 WHERE (node_pid, node_start) = ($3, $4)",
                &[&identity.0, &identity.1, &old.0, &old.1],
            )?;
        }
        sweep(&mut client)?;
        let mut lost = Vec::new();
        for (key, name) in &self.held {
            if !reclaim(&mut client, key, name)? {
                lost.push(key.clone());
            }
        }
        let was_connected = self.identity.is_some();
        self.client = Some(client);
        self.identity = Some(identity);
        let lost = lost.into_iter().filter_map(|key| self.held.remove(&key));
        self.lost.extend(lost);
        if was_connected {
            log::info!("presence connection made again: this node's names are claimed again");
        }
        Ok(())
    }
}

/// Forgets the names of nodes gone for longer than [`GRACE`], and the
/// stamps of identities gone for a minute.
fn sweep(client: &mut Client) -> Result<(), postgres::Error> {
    client.execute(SWEEP, &[&GRACE.as_secs_f64()])?;
    client.execute(
        "DELETE FROM presence_node WHERE seen < now() - interval '1 minute'",
        &[],
    )?;
    Ok(())
}

/// One claim: `Ok(false)` if the name is taken.
fn try_claim(client: &mut Client, key: &str, name: &str) -> Result<bool, postgres::Error> {
    if insert(client, key, name)? {
        return Ok(true);
    }
    // Perhaps a dead node's: forget those, and try once more.
    sweep(client)?;
    insert(client, key, name)
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

/// Inserts the row, or finds it this connection's already (taken over);
/// `false` if another node's.
fn reclaim(client: &mut Client, key: &str, name: &str) -> Result<bool, postgres::Error> {
    let claimed = client.execute(
        "INSERT INTO presence (name_key, name, node_pid, node_start)
         SELECT $1, $2, pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()
         ON CONFLICT (name_key) DO UPDATE SET name = EXCLUDED.name
         WHERE (presence.node_pid, presence.node_start)
             = (EXCLUDED.node_pid, EXCLUDED.node_start)",
        &[&key, &name],
    )?;
    Ok(claimed == 1)
}
