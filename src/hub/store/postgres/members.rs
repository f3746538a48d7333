//! Membership across nodes in PostgreSQL (`hub/membership.rs`): each
//! node's number, its users' changes in the numbered stream, who is where
//! now, and the node found gone.
//!
//! Invariants:
//! - **Changes are numbered with messages.** `member_changes` rows take
//!   their numbers from `chat_counter` in the same transaction as the
//!   batch they came in (or, for a gone node, under the counter's lock
//!   too), so every node applies them in one order, where they fall among
//!   the messages.
//! - **`cluster_members` is the stream folded up**: one row per user
//!   online (room `''`) and per room it is in, changed in the same
//!   transaction as the change, so a node that starts reads who is where in
//!   the same snapshot as the counter, then follows the stream from there.
//! - **A node is gone** when its presence connection (`cluster_nodes`'
//!   backend pid and start, as in `presence.rs`) is gone and its stamp is
//!   older than the grace. Whichever node's keeper deletes its row first
//!   (one `DELETE`, so exactly one) writes [`Change::Gone`] and deletes its
//!   users, in one transaction.

use std::collections::HashMap;

use postgres::{Client, GenericClient, Statement};

use super::{durable, listener};
use crate::hub::membership::{Change, MemberChange, NodeId, RemoteUser};
use crate::hub::message::{RoomName, RoomRef};

/// The tables, created with the store's.
pub(super) const CREATE_MEMBERS: &str = "
CREATE TABLE IF NOT EXISTS member_changes (
    id        BIGINT PRIMARY KEY,
    node      BIGINT NOT NULL,
    kind      SMALLINT NOT NULL,
    name      TEXT NOT NULL,
    room_key  TEXT,
    room_name TEXT,
    reason    TEXT NOT NULL,
    ts_ms     BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS cluster_members (
    name_key  TEXT NOT NULL,
    room_key  TEXT NOT NULL,
    node      BIGINT NOT NULL,
    name      TEXT NOT NULL,
    room_name TEXT NOT NULL,
    since     BIGINT NOT NULL,
    PRIMARY KEY (name_key, room_key)
);
CREATE TABLE IF NOT EXISTS cluster_nodes (
    node       BIGSERIAL PRIMARY KEY,
    node_pid   INTEGER,
    node_start TIMESTAMPTZ,
    seen       TIMESTAMPTZ NOT NULL DEFAULT now()
);";

const ONLINE: i16 = 2;
const JOIN: i16 = 3;
const PART: i16 = 4;
const LEAVE: i16 = 5;
const GONE: i16 = 6;

/// A change as the stream's row has it: kind `kind`, `room`, `reason`
/// (`None`: a kind this node does not know, or a room missing).
pub(super) fn change(kind: i16, room: Option<RoomRef>, reason: String) -> Option<Change> {
    Some(match kind {
        ONLINE => Change::Online,
        JOIN => Change::Join(room?),
        PART => Change::Part {
            room: room?,
            reason,
        },
        LEAVE => Change::Leave { reason },
        GONE => Change::Gone,
        _ => return None,
    })
}

/// A new node's number.
pub(super) fn register_node(client: &mut Client) -> Result<NodeId, postgres::Error> {
    let row = client.query_one(
        "INSERT INTO cluster_nodes DEFAULT VALUES RETURNING node",
        &[],
    )?;
    Ok(row.get(0))
}

/// Every user of every node now, in the order each joined its rooms.
pub(super) fn users(client: &mut impl GenericClient) -> Result<Vec<RemoteUser>, postgres::Error> {
    let rows = client.query(
        "SELECT node, name, room_key, room_name FROM cluster_members
         ORDER BY node, name_key, since",
        &[],
    )?;
    let mut users: Vec<RemoteUser> = Vec::new();
    for row in rows {
        let (node, name): (NodeId, String) = (row.get(0), row.get(1));
        let same = users
            .last()
            .is_some_and(|last| last.node == node && last.name == name);
        if !same {
            users.push(RemoteUser {
                node,
                name,
                rooms: Vec::new(),
            });
        }
        let room_key: String = row.get(2);
        if !room_key.is_empty()
            && let Some(user) = users.last_mut()
        {
            user.rooms.push(RoomName::new(row.get(3)));
        }
    }
    Ok(users)
}

/// Deletes node `$1`'s rows of the users keyed `$2` (all their rooms) and
/// of the (user, room) pairs `$3`, `$4`.
pub(super) const FORGET: &str = "
DELETE FROM cluster_members c WHERE c.node = $1 AND (
    c.name_key = ANY($2::text[])
    OR (c.name_key, c.room_key) IN (SELECT * FROM UNNEST($3::text[], $4::text[])))";

/// Writes node `$1`'s changes ($2-$8, one array a column) in the stream,
/// and its rows now ($9-$13) in `cluster_members`.
pub(super) const RECORD: &str = "
WITH changes AS (
    INSERT INTO member_changes (id, node, kind, name, room_key, room_name, reason, ts_ms)
    SELECT c.id, $1, c.kind, c.name, c.room_key, c.room_name, c.reason, c.ts_ms
    FROM UNNEST($2::int8[], $3::int2[], $4::text[], $5::text[], $6::text[], $7::text[],
                $8::int8[]) AS c(id, kind, name, room_key, room_name, reason, ts_ms)
)
INSERT INTO cluster_members (name_key, room_key, node, name, room_name, since)
SELECT r.name_key, r.room_key, $1, r.name, r.room_name, r.since
FROM UNNEST($9::text[], $10::text[], $11::text[], $12::text[], $13::int8[])
    AS r(name_key, room_key, name, room_name, since)
ON CONFLICT (name_key, room_key) DO UPDATE SET node = EXCLUDED.node, name = EXCLUDED.name,
    room_name = EXCLUDED.room_name, since = EXCLUDED.since";

/// Writes `node`'s `changes`, numbered `numbers`, and folds them into
/// `cluster_members`: two statements whatever their count ([`FORGET`] and
/// [`RECORD`], prepared), since they run under the counter's lock. The
/// fold is worked out here, in order, so each row is written once.
pub(super) fn write_changes(
    tx: &mut impl GenericClient,
    (forget, record): (&Statement, &Statement),
    node: NodeId,
    changes: &[MemberChange],
    numbers: &[i64],
) -> Result<(), postgres::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut stream = Stream::default();
    // (user, room) -> its row now, or None: deleted.
    let mut rows: HashMap<(String, &str), Option<MemberRow>> = HashMap::new();
    let mut gone_users: Vec<String> = Vec::new();
    for (change, &id) in changes.iter().zip(numbers) {
        let name_key = crate::protocol::name_key(&change.name);
        let (kind, room, reason) = match &change.change {
            Change::Online => (ONLINE, None, ""),
            Change::Join(room) => (JOIN, Some(room), ""),
            Change::Part { room, reason } => (PART, Some(room), reason.as_str()),
            Change::Leave { reason } => (LEAVE, None, reason.as_str()),
            Change::Gone => (GONE, None, ""),
        };
        let (room_key, room_name) = match room {
            Some(room) => (Some(room.key.as_str()), Some(room.display.as_str())),
            None => (None, None),
        };
        stream.push(id, kind, change, room, reason);
        match kind {
            ONLINE | JOIN => {
                let row = MemberRow {
                    name: &change.name,
                    room_name: room_name.unwrap_or(""),
                    since: id,
                };
                rows.insert((name_key, room_key.unwrap_or("")), Some(row));
            }
            PART => {
                rows.insert((name_key, room_key.unwrap_or("")), None);
            }
            _ => {
                rows.retain(|(user, _), _| *user != name_key);
                gone_users.push(name_key);
            }
        }
    }
    let mut parted: (Vec<&str>, Vec<&str>) = Default::default();
    let mut now = Rows::default();
    for ((user, room_key), row) in &rows {
        match row {
            None => {
                parted.0.push(user);
                parted.1.push(room_key);
            }
            Some(row) => {
                now.users.push(user);
                now.rooms.push(room_key);
                now.names.push(row.name);
                now.room_names.push(row.room_name);
                now.since.push(row.since);
            }
        }
    }
    if !gone_users.is_empty() || !parted.0.is_empty() {
        tx.execute(forget, &[&node, &gone_users, &parted.0, &parted.1])?;
    }
    tx.execute(
        record,
        &[
            &node,
            &stream.ids,
            &stream.kinds,
            &stream.names,
            &stream.room_keys,
            &stream.room_names,
            &stream.reasons,
            &stream.times,
            &now.users,
            &now.rooms,
            &now.names,
            &now.room_names,
            &now.since,
        ],
    )?;
    Ok(())
}

/// A user's row in `cluster_members` for one room (`""`: online) after a
/// batch.
struct MemberRow<'a> {
    name: &'a str,
    room_name: &'a str,
    since: i64,
}

/// [`RECORD`]'s arrays for `cluster_members`, keys first.
#[derive(Default)]
struct Rows<'a> {
    users: Vec<&'a str>,
    rooms: Vec<&'a str>,
    names: Vec<&'a str>,
    room_names: Vec<&'a str>,
    since: Vec<i64>,
}

/// [`RECORD`]'s arrays for `member_changes`.
#[derive(Default)]
struct Stream<'a> {
    ids: Vec<i64>,
    kinds: Vec<i16>,
    names: Vec<&'a str>,
    room_keys: Vec<Option<&'a str>>,
    room_names: Vec<Option<&'a str>>,
    reasons: Vec<&'a str>,
    times: Vec<i64>,
}

impl<'a> Stream<'a> {
    fn push(
        &mut self,
        id: i64,
        kind: i16,
        change: &'a MemberChange,
        room: Option<&'a RoomRef>,
        reason: &'a str,
    ) {
        self.ids.push(id);
        self.kinds.push(kind);
        self.names.push(&change.name);
        self.room_keys.push(room.map(|room| room.key.as_str()));
        self.room_names.push(room.map(|room| room.display.as_str()));
        self.reasons.push(reason);
        self.times.push(change.ts.timestamp_millis());
    }
}

/// Nodes whose presence connection is gone and whose stamp is older than
/// `$1` seconds.
const GONE_NODES: &str = "
DELETE FROM cluster_nodes n WHERE NOT EXISTS (
    SELECT 1 FROM pg_stat_activity a
    WHERE a.pid = n.node_pid AND a.backend_start = n.node_start)
AND n.seen < now() - make_interval(secs => $1)
RETURNING n.node";

/// The keeper's tick for `node`: stamps it (making its row again if
/// another node found it gone meanwhile), then finds the nodes gone and,
/// for each, writes [`Change::Gone`] in the stream and forgets its users.
/// Returns whether this node's row had to be made again.
pub(super) fn keep_node(
    client: &mut Client,
    node: NodeId,
    grace_secs: f64,
) -> Result<bool, postgres::Error> {
    let stamped = client.execute(
        "UPDATE cluster_nodes SET seen = now() WHERE node = $1",
        &[&node],
    )?;
    if stamped == 0 {
        identify_node(client, node)?;
    }
    let mut tx = client.transaction()?;
    // What acknowledged messages depend on is durable: so is this.
    tx.batch_execute("SET LOCAL synchronous_commit = on")?;
    let gone: Vec<NodeId> = (tx.query(GONE_NODES, &[&grace_secs])?.iter())
        .map(|row| row.get(0))
        .collect();
    if gone.is_empty() {
        return Ok(stamped == 0);
    }
    let count = gone.len() as i64;
    let last: i64 = tx
        .query_one(
            "UPDATE chat_counter SET last_id = last_id + $1 RETURNING last_id",
            &[&count],
        )?
        .get(0);
    let now = chrono::Utc::now().timestamp_millis();
    for (id, dead) in (last - count + 1..).zip(&gone) {
        tx.execute(
            "INSERT INTO member_changes (id, node, kind, name, reason, ts_ms)
             VALUES ($1, $2, $3, '', '', $4)",
            &[&id, dead, &GONE, &now],
        )?;
        tx.execute("DELETE FROM cluster_members WHERE node = $1", &[dead])?;
        tx.execute("DELETE FROM chat_durable WHERE node = $1", &[dead])?;
        log::warn!("node {dead} is gone: its users leave");
    }
    // This transaction waits for the disk, so the mark may be in it.
    durable::raise(&mut tx, node, last)?;
    tx.batch_execute(&format!("NOTIFY {}", listener::CHANNEL))?;
    tx.commit()?;
    Ok(stamped == 0)
}

/// Names `node`'s presence connection (after each connect), by which it is
/// known to be alive.
pub(super) fn identify_node(client: &mut Client, node: NodeId) -> Result<(), postgres::Error> {
    client.execute(
        "INSERT INTO cluster_nodes (node, node_pid, node_start)
         SELECT $1, pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()
         ON CONFLICT (node) DO UPDATE SET node_pid = EXCLUDED.node_pid,
             node_start = EXCLUDED.node_start, seen = now()",
        &[&node],
    )?;
    Ok(())
}
