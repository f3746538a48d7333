//! The native encoder of hub events: each [`HubEvent`] as the native lines
//! its recipients get, built from the encoders in `protocol/` (and the
//! multi-line blocks of `replies.rs`). Pure.

use super::NATIVE;
use super::replies::{joined_block, joined_line, welcome_block};
use crate::hub::event::{Encoded, HubEvent};
use crate::hub::message::{Audience, Kind, StoredMessage};
use crate::protocol::server_line::{NOTICE_FIELD, push_message_line};
use crate::protocol::{ErrorCode, ServerLine};

/// `event` as native lines, LF included.
pub(crate) fn encode(event: &HubEvent<'_>) -> Encoded {
    let lines = match event {
        HubEvent::Welcome {
            name,
            online,
            room,
            members,
            history,
        } => return welcome_block(name, *online, members.iter(), history, &room.display),
        HubEvent::Joined {
            room,
            members,
            history,
        } => return joined_block(room, members.iter(), history),
        HubEvent::Current(room) => joined_line(room),
        HubEvent::Join { ts, name, room } => ServerLine::Join {
            ts: *ts,
            name: name.clone(),
            room: Some(room.display.clone()),
        }
        .encode(),
        HubEvent::Joins(joins) => return all_of(joins),
        HubEvent::Part {
            ts,
            name,
            room,
            reason,
        } => ServerLine::Part {
            ts: *ts,
            name: name.clone(),
            room: room.display.clone(),
            reason: reason.clone(),
        }
        .encode(),
        HubEvent::Leave { ts, name, reason } => ServerLine::Leave {
            ts: *ts,
            name: name.clone(),
            reason: reason.clone(),
        }
        .encode(),
        HubEvent::Message(message) => live_line(message),
        // Never offered: a native member takes no relays.
        HubEvent::Relay(_) => String::new(),
        HubEvent::Topic { room, topic } => ServerLine::Topic {
            ts: topic.ts,
            name: topic.by.clone(),
            room: room.display.clone(),
            text: topic.text.clone(),
        }
        .encode(),
        HubEvent::NotStored => ServerLine::Error {
            code: ErrorCode::Other("not-stored".into()),
            text: "The server could not store your message, so nobody got it. \
                   Try again in a moment."
                .into(),
        }
        .encode(),
    };
    Encoded::from(lines.into_bytes())
}

/// Several deliveries' lines, in order, as one chunk: each encoded (or
/// found already encoded) in the native slot.
fn all_of(deliveries: &[crate::hub::event::Delivery<'static>]) -> Encoded {
    let encoded: Vec<&Encoded> = deliveries
        .iter()
        .map(|delivery| delivery.encoded(NATIVE, encode))
        .collect();
    let mut all = Vec::with_capacity(encoded.iter().map(|lines| lines.len()).sum());
    for lines in encoded {
        all.extend_from_slice(lines);
    }
    Encoded::from(all)
}

/// `MSG` for a room's message, `PRIV` for a private one; a notice's line
/// ends its fields with `notice` (docs/protocol.md).
fn live_line(m: &StoredMessage) -> String {
    let mut line = String::with_capacity(96 + m.text.len());
    let (kind, to) = match &m.audience {
        Audience::Room(room) => ("MSG", room.display.as_str()),
        Audience::Private(to) => ("PRIV", to.as_str()),
    };
    let fields = [Some(m.from.as_str()), Some(to), notice_field(m.kind)];
    push_message_line(&mut line, kind, m.id, &m.ts, &fields, &m.text);
    line
}

/// The field that marks a notice's line, none for a message.
pub(crate) fn notice_field(kind: Kind) -> Option<&'static str> {
    (kind == Kind::Notice).then_some(NOTICE_FIELD)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::hub::event::Delivery;
    use crate::hub::message::RoomName;
    use crate::protocol::parse_ts;

    fn lines(event: HubEvent<'_>) -> String {
        String::from_utf8(encode(&event).to_vec()).unwrap()
    }

    #[test]
    fn each_event_is_its_native_lines() {
        let ts = parse_ts("2026-12-03T15:00:00.000Z").unwrap();
        let room = RoomName::new("#Rust");
        let message = |audience| {
            Arc::new(StoredMessage {
                id: 7,
                ts,
                from: "bob".into(),
                audience,
                kind: crate::hub::message::Kind::Message,
                live_tags: None,
                text: "hi".into(),
            })
        };
        let join = |name: &str| {
            Delivery::new(HubEvent::Join {
                ts,
                name: name.into(),
                room: room.clone(),
            })
        };
        let joins = [join("ann"), join("cy")];
        let cases = [
            (
                HubEvent::Message(message(Audience::Room(room.clone()))),
                "MSG 7 2026-12-03T15:00:00.000Z bob #Rust :hi\n",
            ),
            (
                HubEvent::Message(message(Audience::Private("ann".into()))),
                "PRIV 7 2026-12-03T15:00:00.000Z bob ann :hi\n",
            ),
            (
                HubEvent::Joins(&joins),
                "JOIN 2026-12-03T15:00:00.000Z ann #Rust\nJOIN 2026-12-03T15:00:00.000Z cy #Rust\n",
            ),
            (
                HubEvent::Part {
                    ts,
                    name: "bob".into(),
                    room: room.clone(),
                    reason: "later".into(),
                },
                "PART 2026-12-03T15:00:00.000Z bob #Rust :later\n",
            ),
            (
                HubEvent::Leave {
                    ts,
                    name: "bob".into(),
                    reason: "gone".into(),
                },
                "LEAVE 2026-12-03T15:00:00.000Z bob :gone\n",
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(lines(event), expected);
        }
        assert!(lines(HubEvent::NotStored).starts_with("ERROR not-stored :"));
    }
}
