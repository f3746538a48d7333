//! Commits that do not wait for the disk under the counter's lock, and the
//! mark that says which numbers are on disk (`chat_durable`).
//!
//! A batch is two transactions. The first (`write.rs`) takes the counter's
//! lock, numbers and writes the batch, and commits *without* waiting for
//! the WAL flush (the committing connection runs with
//! `synchronous_commit = off`), so the lock is held for the writing, not
//! for the disk: the nodes' commits do not take turns through each flush.
//! The second ([`mark`]) records the batch's last number in this node's
//! `chat_durable` row and waits for the flush. The WAL is one sequence, so
//! that flush covers the first transaction and every commit numbered
//! before it: when [`mark`] returns, every number up to the batch's last
//! is on disk, and only then is the batch acknowledged and other nodes
//! notified.
//!
//! Invariant: **no node hands out a number above the highest mark.** A row
//! is visible to other connections from its first transaction's commit,
//! which may be lost if PostgreSQL crashes before the flush; a node that
//! showed it to a client would then disagree with the database about what
//! that number holds. So every read of others' rows stops at the highest
//! mark (`read::SINCE`; every number at or below it was committed before
//! the mark, and is on disk), a node's own batch is handed out after its
//! own [`mark`], and `load` marks what it read before serving it.
//!
//! A batch whose mark failed (the connection broke between the two) may be
//! stored all the same: the keeper's [`mark_stranded`] marks whatever was
//! numbered, twice a second, so such rows still reach every node within a
//! second or so, as an unacknowledged message does after an outage
//! (docs/deployment.md).

use postgres::{Client, GenericClient};

use super::{Session, listener};
use crate::hub::membership::NodeId;

/// The table, created with the store's: one row per node, the highest
/// number it knows to be on disk.
pub(super) const CREATE_DURABLE: &str = "
CREATE TABLE IF NOT EXISTS chat_durable (
    node    BIGINT PRIMARY KEY,
    last_id BIGINT NOT NULL
);";

/// Raises `node`'s row to `upto`, never lowers it. The row is always
/// written (never an `UPDATE` of nothing), so a commit with it has WAL of
/// its own and waits for its flush. Numbers, not text from a client.
fn raise_row(node: NodeId, upto: i64) -> String {
    format!(
        "INSERT INTO chat_durable (node, last_id) VALUES ({node}, {upto}) \
         ON CONFLICT (node) DO UPDATE SET last_id = GREATEST(chat_durable.last_id, EXCLUDED.last_id)"
    )
}

/// Raises `$1`'s row to the counter, if the counter is above every mark.
const RAISE_TO_COUNTER: &str = "
INSERT INTO chat_durable (node, last_id)
SELECT $1, last_id FROM chat_counter
WHERE last_id > (SELECT coalesce(max(last_id), 0) FROM chat_durable)
ON CONFLICT (node) DO UPDATE SET last_id = GREATEST(chat_durable.last_id, EXCLUDED.last_id)";

/// Marks every number up to `upto` as on disk, for `node`, waiting for the
/// flush as the database's own `synchronous_commit` says (`on` unless it
/// was set otherwise); then, if `notify`, wakes the other nodes'
/// listeners. Call on the committing connection, after the commit of the
/// transaction that numbered `upto`. One round trip.
pub(super) fn mark(
    client: &mut Client,
    session: &Session,
    node: NodeId,
    upto: i64,
    notify: bool,
) -> Result<(), postgres::Error> {
    let notify = match notify {
        true => format!("NOTIFY {};", listener::CHANNEL),
        false => String::new(),
    };
    client.batch_execute(&format!(
        "BEGIN; SET LOCAL synchronous_commit = {}; {}; {notify} COMMIT",
        session.synchronous_commit,
        raise_row(node, upto),
    ))
}

/// [`mark`]'s row alone, in a transaction of the caller's that waits for
/// the disk itself.
pub(super) fn raise(
    client: &mut impl GenericClient,
    node: NodeId,
    upto: i64,
) -> Result<(), postgres::Error> {
    client.batch_execute(&raise_row(node, upto))
}

/// The keeper's part: if something was numbered above every mark (a batch
/// whose [`mark`] never came), waits for the disk and marks it, and wakes
/// the other nodes. Nothing is written when every number is marked.
pub(super) fn mark_stranded(client: &mut Client, node: NodeId) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.batch_execute("SET LOCAL synchronous_commit = on")?;
    if tx.execute(RAISE_TO_COUNTER, &[&node])? > 0 {
        tx.batch_execute(&format!("NOTIFY {}", listener::CHANNEL))?;
    }
    tx.commit()
}
