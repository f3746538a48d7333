//! The multi-line replies, each encoded as one chunk: the welcome block a
//! client gets on registering, the `JOINED` block on joining a room, and the
//! `USERS`, `HISTORY` and `ROOM` runs. Pure: names, rooms and stored
//! messages in, text out, through the encoders of `protocol/server_line.rs`.

use std::sync::Arc;

use super::encode::notice_field;
pub(crate) use crate::hub::event::RoomSummary;
use crate::hub::message::StoredMessage;
use crate::hub::registry::Listed;
use crate::protocol::ServerLine;
use crate::protocol::server_line::{push_counted_end, push_message_line, push_users_run};
use crate::server::outbox::Chunk;

/// The block a client gets on registering: `WELCOME` (with `online`, everyone
/// on the server), the default room's members and its recent messages.
pub(crate) fn welcome_block<'a>(
    name: &str,
    online: usize,
    members: impl Iterator<Item = &'a str>,
    history: &[Arc<StoredMessage>],
    room: &str,
) -> Chunk {
    // Sized up front: growing from empty freed a block of every size up to 1 KiB
    // into glibc's per-thread cache, which keeps them for the life of the thread.
    let mut users = String::with_capacity(4096);
    push_users_run(&mut users, members, Some(room));
    let text = format!("Welcome to the chatroom, {name}! Type /help for commands.");
    // One allocation for the whole block, made here: this runs at the deepest
    // point of a session thread's stack ("Stack depth" in
    // `docs/architecture.md`), and a reallocation from inside the encoder
    // went deeper still.
    let mut out = String::with_capacity(2 * text.len() + users.len() + 4096);
    ServerLine::Welcome {
        name: name.to_owned(),
        online: online as u64,
        text,
    }
    .encode_into(&mut out);
    out.push_str(&users);
    push_history_run(&mut out, history, room);
    Chunk::from(out.into_bytes())
}

/// The block a client gets on joining a room: `JOINED`, the room's members,
/// its recent messages.
pub(crate) fn joined_block<'a>(
    summary: &RoomSummary<'_>,
    members: impl Iterator<Item = &'a str>,
    history: &[Arc<StoredMessage>],
) -> Chunk {
    let mut out = joined_line(summary);
    push_users_run(&mut out, members, Some(summary.room));
    push_history_run(&mut out, history, summary.room);
    Chunk::from(out.into_bytes())
}

/// The `JOINED` line alone (a switch to a room the client is in).
pub(crate) fn joined_line(summary: &RoomSummary<'_>) -> String {
    ServerLine::Joined {
        room: summary.room.to_owned(),
        members: summary.members as u64,
        topic: summary.topic.map(|t| t.text.clone()).unwrap_or_default(),
    }
    .encode()
}

/// Appends `HISTORY` lines of `room` and `HISTORY-END`.
pub(crate) fn push_history_run(out: &mut String, messages: &[Arc<StoredMessage>], room: &str) {
    for m in messages {
        let fields = [Some(m.from.as_str()), Some(room), notice_field(m.kind)];
        push_message_line(out, "HISTORY", m.id, &m.ts, &fields, &m.text);
    }
    push_counted_end(out, "HISTORY-END", messages.len() as u64, Some(room));
}

/// A `/rooms` listing: `ROOM` lines and `ROOMS-END`.
pub(crate) fn rooms_listing(rooms: &[Listed]) -> String {
    let mut out = String::new();
    for listed in rooms {
        ServerLine::Room {
            room: listed.room.display.clone(),
            members: listed.members as u64,
            topic: listed
                .topic
                .as_ref()
                .map(|t| t.text.clone())
                .unwrap_or_default(),
        }
        .encode_into(&mut out);
    }
    ServerLine::RoomsEnd {
        count: rooms.len() as u64,
    }
    .encode_into(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::message::{Audience, RoomName, Topic};
    use crate::protocol::parse_ts;

    #[test]
    fn a_joined_block_names_its_room_everywhere() {
        let ts = parse_ts("2026-11-21T09:30:00.123Z").unwrap();
        let room = RoomName::new("#Rust");
        let history = [Arc::new(StoredMessage {
            id: 7,
            ts,
            from: "bob".into(),
            audience: Audience::Room(room.clone()),
            kind: crate::hub::message::Kind::Message,
            live_tags: None,
            text: "hi".into(),
        })];
        let topic = Topic {
            ts,
            by: "bob".into(),
            text: "borrowck".into(),
        };
        let summary = RoomSummary {
            room: "#Rust",
            members: 2,
            topic: Some(&topic),
        };
        let block = joined_block(&summary, ["alice", "bob"].into_iter(), &history);
        assert_eq!(
            String::from_utf8(block.to_vec()).unwrap(),
            "JOINED #Rust 2 :borrowck\nUSERS :alice bob\nUSERS-END 2 #Rust\n\
             HISTORY 7 2026-11-21T09:30:00.123Z bob #Rust :hi\nHISTORY-END 1 #Rust\n"
        );
    }

    #[test]
    fn an_empty_listing_still_ends() {
        assert_eq!(rooms_listing(&[]), "ROOMS-END 0\n");
    }
}
