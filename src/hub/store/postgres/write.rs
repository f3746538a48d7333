//! The PostgreSQL store's write path: a batch numbered and written while
//! the counter's lock is held for as little as possible.
//!
//! The lock (`chat_counter`'s row) orders every commit of every node, so
//! the time it is held is the time the other nodes wait. A batch of
//! messages is therefore one statement ([`WRITE`]): it takes the lock,
//! numbers the messages, inserts them and their rooms' rows, and, run
//! outside a transaction block, commits at its end, inside the server:
//! no round trip between this node and the database is made under the
//! lock. Its commit does not wait for the disk (the committing connection
//! runs with `synchronous_commit = off`, `mod.rs`); `durable::mark` does,
//! after it. A batch with topics or membership changes adds statements,
//! so it runs the same statement in a transaction block and commits it.
//!
//! Invariant: the batch's items are numbered in request order from the
//! batch's first number (`Batch::topic_places`, `Batch::member_places`);
//! a batch is stored whole or not at all.

use std::collections::HashMap;

use postgres::{Client, GenericClient, Statement};

use super::super::Batch;
use super::{Session, members};
use crate::hub::membership::NodeId;
use crate::hub::message::{Audience, StoredMessage, TopicChange};

/// Numbers `$1` items (taking the counter's lock), inserts the messages
/// ($2 their places among the items, from 1; $3-$8 one array a column)
/// and their rooms' rows ($9, $10), and returns the number before the
/// batch's first. The counter's new value is the one the `UPDATE` reads
/// after waiting for the lock, so numbers never repeat.
pub(super) const WRITE: &str = "
WITH counter AS (
    UPDATE chat_counter SET last_id = last_id + $1 RETURNING last_id - $1 AS base
), new_messages AS (
    INSERT INTO messages (id, ts_ms, sender, recipient, text, room, kind)
    SELECT counter.base + m.place, m.ts_ms, m.sender, m.recipient, m.text, m.room, m.kind
    FROM counter, UNNEST($2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[])
        AS m(place, ts_ms, sender, recipient, text, room, kind)
), new_rooms AS (
    INSERT INTO rooms (room_key, name) SELECT * FROM UNNEST($9::text[], $10::text[])
    ON CONFLICT DO NOTHING
)
SELECT base FROM counter";

/// Stores `batch` for `node` (its messages by the session's [`WRITE`]) and
/// commits it; returns its first and last number (the last is below the
/// first for a batch with nothing to number). The commit waits for the disk
/// only if the connection's `synchronous_commit` says so.
pub(super) fn commit_batch(
    client: &mut Client,
    session: &Session,
    batch: &Batch<'_>,
    node: NodeId,
) -> Result<(i64, i64), postgres::Error> {
    let count = batch.messages.len() + batch.topics.len() + batch.members.len();
    let topic_places: Vec<usize> = match batch.topic_places.len() == batch.topics.len() {
        true => batch.topic_places.to_vec(),
        false => (batch.messages.len()..count).collect(),
    };
    // The messages take the places the topics and membership changes leave.
    let mut taken = vec![false; count];
    for &place in topic_places.iter().chain(batch.member_places) {
        taken[place] = true;
    }
    let message_places = (0..count).filter(|&place| !taken[place]);
    let columns = Columns::new(batch.messages, message_places);
    let only_messages =
        batch.topics.is_empty() && batch.members.is_empty() && batch.memberships.is_empty();
    if only_messages {
        // Outside a transaction block: the statement commits itself.
        let first = columns.write(client, &session.write, count)?;
        return Ok((first, first + count as i64 - 1));
    }
    let mut tx = client.transaction()?;
    // Before the counter's lock: rows only this node writes (an account's
    // rooms), which need no number.
    for (name_key, rooms) in batch.memberships {
        tx.execute("DELETE FROM memberships WHERE name_key = $1", &[name_key])?;
        let keys: Vec<&str> = rooms.iter().map(|room| room.key.as_str()).collect();
        let names: Vec<&str> = rooms.iter().map(|room| room.display.as_str()).collect();
        tx.execute(
            "INSERT INTO memberships (name_key, position, room_key, room_name)
             SELECT $1, position - 1, key, name
             FROM UNNEST($2::text[], $3::text[]) WITH ORDINALITY AS r(key, name, position)",
            &[name_key, &keys, &names],
        )?;
    }
    // Under it from here to the commit: as few statements as can be.
    let first = columns.write(&mut tx, &session.write, count)?;
    let member_ids: Vec<i64> = (batch.member_places.iter())
        .map(|&place| first + place as i64)
        .collect();
    let statements = (&session.forget, &session.record);
    members::write_changes(&mut tx, statements, node, batch.members, &member_ids)?;
    for (change, place) in batch.topics.iter().zip(topic_places) {
        write_topic(&mut tx, change, first + place as i64)?;
    }
    tx.commit()?;
    Ok((first, first + count as i64 - 1))
}

/// Stores a topic change numbered `id`, and the room row's topic.
fn write_topic(
    tx: &mut impl GenericClient,
    change: &TopicChange,
    id: i64,
) -> Result<(), postgres::Error> {
    let ts = change.topic.ts.timestamp_millis();
    tx.execute(
        "INSERT INTO topic_changes (id, room_key, room_name, topic, by_name, ts_ms)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &id,
            &change.room.key,
            &change.room.display,
            &change.topic.text,
            &change.topic.by,
            &ts,
        ],
    )?;
    tx.execute(
        "INSERT INTO rooms (room_key, name, topic, topic_by, topic_ms) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room_key) DO UPDATE SET topic = $3, topic_by = $4, topic_ms = $5",
        &[
            &change.room.key,
            &change.room.display,
            &change.topic.text,
            &change.topic.by,
            &ts,
        ],
    )?;
    Ok(())
}

/// [`WRITE`]'s arrays: the messages, one array a column, and their rooms.
struct Columns<'a> {
    places: Vec<i64>,
    times: Vec<i64>,
    senders: Vec<&'a str>,
    recipients: Vec<Option<&'a str>>,
    texts: Vec<&'a str>,
    rooms: Vec<Option<&'a str>>,
    kinds: Vec<Option<&'static str>>,
    room_keys: Vec<&'a str>,
    room_names: Vec<&'a str>,
}

impl<'a> Columns<'a> {
    /// `messages`, at `places` (from 0) among the batch's items.
    fn new(messages: &'a [StoredMessage], places: impl Iterator<Item = usize>) -> Columns<'a> {
        let mut columns = Columns {
            places: places.map(|place| place as i64 + 1).collect(),
            times: Vec::with_capacity(messages.len()),
            senders: Vec::with_capacity(messages.len()),
            recipients: Vec::with_capacity(messages.len()),
            texts: Vec::with_capacity(messages.len()),
            rooms: Vec::with_capacity(messages.len()),
            kinds: Vec::with_capacity(messages.len()),
            room_keys: Vec::new(),
            room_names: Vec::new(),
        };
        let mut room_rows: HashMap<&str, &str> = HashMap::new();
        for m in messages {
            columns.times.push(m.ts.timestamp_millis());
            columns.senders.push(&m.from);
            columns.texts.push(&m.text);
            columns.kinds.push(m.kind.stored());
            match &m.audience {
                Audience::Room(room) => {
                    columns.recipients.push(None);
                    columns.rooms.push(Some(&room.key));
                    room_rows.insert(&room.key, &room.display);
                }
                Audience::Private(to) => {
                    columns.recipients.push(Some(to));
                    columns.rooms.push(None);
                }
            }
        }
        (columns.room_keys, columns.room_names) = room_rows.into_iter().unzip();
        columns
    }

    /// Runs [`WRITE`], numbering `count` items: the batch's first number.
    fn write(
        &self,
        client: &mut impl GenericClient,
        write: &Statement,
        count: usize,
    ) -> Result<i64, postgres::Error> {
        let row = client.query_one(
            write,
            &[
                &(count as i64),
                &self.places,
                &self.times,
                &self.senders,
                &self.recipients,
                &self.texts,
                &self.rooms,
                &self.kinds,
                &self.room_keys,
                &self.room_names,
            ],
        )?;
        Ok(row.get::<_, i64>(0) + 1)
    }
}
