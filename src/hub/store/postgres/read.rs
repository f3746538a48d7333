//! The PostgreSQL store's reads: what the hub starts from (`load`, one
//! snapshot of the counter, the default room and the tables), a room read
//! when joined (`stored_room`), and what other nodes committed
//! since this node last looked (`read_since`, one statement over every
//! numbered table, in number order). Reads only: the write path is in
//! `mod.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use postgres::{Client, GenericClient, IsolationLevel, Statement};

use super::super::{Loaded, Remote, StoredRoom};
use super::members;
use crate::hub::membership::{MemberChange, NodeId};
use crate::hub::message::{
    Audience, Kind, NO_SENDER, RoomName, RoomRef, StoredMessage, Topic, TopicChange,
};

/// Messages, topic changes and membership changes numbered above $1 and
/// below $2 and known to be on disk (at or below the highest mark,
/// `durable.rs`), in order, in one statement (one snapshot: nothing
/// between them is missed). The eighth column is the kind: [`MESSAGE`],
/// [`TOPIC`], or a membership change's (`members.rs`); the tenth a
/// message's own kind (`NULL` for a plain message, `notice`).
pub(super) const SINCE: &str = "
WITH upto AS (SELECT coalesce(max(last_id), 0) AS id FROM chat_durable)
SELECT m.id, m.ts_ms, m.sender, m.recipient, m.text, m.room, r.name, 0::int2, 0::int8, m.kind
  FROM upto, messages m LEFT JOIN rooms r ON r.room_key = m.room
  WHERE m.id > $1 AND m.id < $2 AND m.id <= upto.id
UNION ALL
SELECT t.id, t.ts_ms, t.by_name, NULL, t.topic, t.room_key, t.room_name, 1::int2, 0::int8, NULL
  FROM upto, topic_changes t
  WHERE t.id > $1 AND t.id < $2 AND t.id <= upto.id
UNION ALL
SELECT c.id, c.ts_ms, c.name, NULL, c.reason, c.room_key, c.room_name, c.kind, c.node, NULL
  FROM upto, member_changes c
  WHERE c.id > $1 AND c.id < $2 AND c.id <= upto.id
ORDER BY 1";

/// [`SINCE`]'s kind of a message.
const MESSAGE: i16 = 0;
/// [`SINCE`]'s kind of a topic change.
const TOPIC: i16 = 1;

/// What was numbered above `after` and below `before` and is on disk, with
/// its number, by `since` ([`SINCE`], prepared).
pub(super) fn read_since(
    client: &mut impl GenericClient,
    since: &Statement,
    after: i64,
    before: i64,
) -> Result<Vec<(i64, Remote)>, postgres::Error> {
    let rows = client.query(since, &[&after, &before])?;
    Ok(rows.iter().filter_map(remote_item).collect())
}

/// One row of [`SINCE`] (`None`: a kind this node does not know).
fn remote_item(row: &postgres::Row) -> Option<(i64, Remote)> {
    let id: i64 = row.get(0);
    let ts = timestamp(row.get(1));
    let from: String = row.get(2);
    let text: String = row.get(4);
    let room_key: Option<String> = row.get(5);
    let room_name: Option<String> = row.get(6);
    let room = || RoomName::new(room_name.as_deref().or(room_key.as_deref()).unwrap_or("#?"));
    let kind: i16 = row.get(7);
    let item = match kind {
        TOPIC => Remote::Topic(TopicChange {
            sender: NO_SENDER,
            room: room(),
            topic: Topic { ts, by: from, text },
        }),
        MESSAGE => {
            let audience = match row.get::<_, Option<String>>(3) {
                Some(to) => Audience::Private(to),
                None => Audience::Room(room()),
            };
            Remote::Message(StoredMessage {
                id: id as u64,
                ts,
                from,
                audience,
                kind: Kind::from_stored(row.get::<_, Option<&str>>(9)),
                live_tags: None,
                text,
            })
        }
        kind => {
            let room = room_key.is_some().then(room);
            let change = members::change(kind, room, text)?;
            Remote::Member {
                node: row.get(8),
                change: MemberChange {
                    ts,
                    name: from,
                    change,
                },
            }
        }
    };
    Some((id, item))
}

/// Reads the default room with its newest `recent` messages, the
/// accounts' rooms and who is where on other nodes.
pub(super) fn load(
    client: &mut Client,
    default_room: &str,
    recent: usize,
    node: NodeId,
) -> Result<Loaded, postgres::Error> {
    // One snapshot: the counter and the messages agree.
    let mut client = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let last_id: i64 = client
        .query_one("SELECT last_id FROM chat_counter", &[])?
        .get(0);
    let default_room = stored_room(&mut client, default_room, recent, last_id)?;
    let mut memberships: HashMap<String, Vec<RoomRef>> = HashMap::new();
    for row in client.query(
        "SELECT name_key, room_name FROM memberships ORDER BY name_key, position",
        &[],
    )? {
        memberships
            .entry(row.get(0))
            .or_default()
            .push(RoomName::new(row.get(1)));
    }
    let users = members::users(&mut client)?;
    client.commit()?;
    Ok(Loaded {
        next_id: last_id as u64 + 1,
        default_room,
        memberships,
        cluster: Some((node, users)),
    })
}

/// The room keyed `room_key` with its newest `recent` messages numbered
/// `last_seen` or less, and when its first message was stored. The topic
/// is the room row's: one another node set after `last_seen` shows here,
/// and reaches the joiner once more as a `TOPIC` when this node catches up.
pub(super) fn stored_room(
    client: &mut impl GenericClient,
    room_key: &str,
    recent: usize,
    last_seen: i64,
) -> Result<Option<StoredRoom>, postgres::Error> {
    let Some(row) = client.query_opt(
        "SELECT name, topic, topic_by, topic_ms FROM rooms WHERE room_key = $1",
        &[&room_key],
    )?
    else {
        return Ok(None);
    };
    let name = RoomName::new(row.get(0));
    let topic = match (row.get(1), row.get(2), row.get(3)) {
        (Some(text), Some(by), Some(ms)) => Some(Topic {
            ts: timestamp(ms),
            by,
            text,
        }),
        _ => None,
    };
    let rows = client.query(
        "SELECT id, ts_ms, sender, text, kind FROM messages
           WHERE room = $1 AND id <= $2 ORDER BY id DESC LIMIT $3",
        &[&room_key, &last_seen, &(recent as i64)],
    )?;
    let mut messages: Vec<Arc<StoredMessage>> = rows
        .iter()
        .map(|row| {
            Arc::new(StoredMessage {
                id: row.get::<_, i64>(0) as u64,
                ts: timestamp(row.get(1)),
                from: row.get(2),
                audience: Audience::Room(name.clone()),
                kind: Kind::from_stored(row.get::<_, Option<&str>>(4)),
                live_tags: None,
                text: row.get(3),
            })
        })
        .collect();
    messages.reverse();
    let first = client
        .query_opt(
            "SELECT ts_ms FROM messages WHERE room = $1 ORDER BY id LIMIT 1",
            &[&room_key],
        )?
        .map(|row| timestamp(row.get(0)));
    Ok(Some(StoredRoom {
        name,
        topic,
        recent: messages,
        first,
    }))
}

fn timestamp(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}
