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

use postgres::{Client, GenericClient, Transaction};

use super::listener;
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

/// Writes `node`'s `changes`, numbered `numbers`, and folds them into
/// `cluster_members`.
pub(super) fn write_changes(
    tx: &mut Transaction<'_>,
    node: NodeId,
    changes: &[MemberChange],
    numbers: &[i64],
) -> Result<(), postgres::Error> {
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
        tx.execute(
            "INSERT INTO member_changes (id, node, kind, name, room_key, room_name, reason, ts_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &id,
                &node,
                &kind,
                &change.name,
                &room_key,
                &room_name,
                &reason,
                &change.ts.timestamp_millis(),
            ],
        )?;
        match kind {
            ONLINE | JOIN => {
                tx.execute(
                    "INSERT INTO cluster_members (name_key, room_key, node, name, room_name, since)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (name_key, room_key) DO UPDATE
                     SET node = $3, name = $4, room_name = $5, since = $6",
                    &[
                        &name_key,
                        &room_key.unwrap_or(""),
                        &node,
                        &change.name,
                        &room_name.unwrap_or(""),
                        &id,
                    ],
                )?;
            }
            PART => {
                tx.execute(
                    "DELETE FROM cluster_members WHERE name_key = $1 AND room_key = $2 AND node = $3",
                    &[&name_key, &room_key, &node],
                )?;
            }
            _ => {
                tx.execute(
                    "DELETE FROM cluster_members WHERE name_key = $1 AND node = $2",
                    &[&name_key, &node],
                )?;
            }
        }
    }
    Ok(())
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
        log::warn!("node {dead} is gone: its users leave");
    }
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
