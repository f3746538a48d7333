//! The server lines version 2 adds for rooms: `JOINED`, `PART`, `TOPIC`,
//! `ROOM` and `ROOMS-END`, parsed and encoded.
//!
//! [`crate::protocol::ServerLine`] hands these kinds here, so its own table
//! stays the version-1 one plus the room fields at the end of `MSG`,
//! `HISTORY`, `JOIN` and the `-END` lines. Pure, like the rest of the codec.

use super::grammar::{Line, ParseError, encode_into, push_number};
use super::server_line::{ServerLine, format_ts, parse_ts};

/// Reads a `JOINED`, `PART`, `TOPIC`, `ROOM` or `ROOMS-END` line.
pub(super) fn parse(line: &Line<'_>) -> Result<ServerLine, ParseError> {
    let text = || line.text.unwrap_or_default().to_owned();
    let owned = |i, name| line.field(i, name).map(str::to_owned);
    Ok(match line.kind {
        "JOINED" => ServerLine::Joined {
            room: owned(0, "room")?,
            members: line.number(1, "members")?,
            topic: text(),
        },
        "PART" => ServerLine::Part {
            ts: parse_ts(line.field(0, "ts")?)?,
            name: owned(1, "name")?,
            room: owned(2, "room")?,
            reason: text(),
        },
        "TOPIC" => ServerLine::Topic {
            ts: parse_ts(line.field(0, "ts")?)?,
            name: owned(1, "name")?,
            room: owned(2, "room")?,
            text: text(),
        },
        "ROOM" => ServerLine::Room {
            room: owned(0, "room")?,
            members: line.number(1, "members")?,
            topic: text(),
        },
        _ => ServerLine::RoomsEnd {
            count: line.number(0, "count")?,
        },
    })
}

/// Appends one of the room lines, without its LF, to `out`. Any other line
/// appends nothing.
pub(super) fn encode_into_out(line: &ServerLine, out: &mut String) {
    match line {
        ServerLine::Joined {
            room,
            members,
            topic,
        } => counted_with_text(out, "JOINED", room, *members, topic),
        ServerLine::Part {
            ts,
            name,
            room,
            reason,
        } => encode_into(out, "PART", &[&format_ts(ts), name, room], Some(reason)),
        ServerLine::Topic {
            ts,
            name,
            room,
            text,
        } => encode_into(out, "TOPIC", &[&format_ts(ts), name, room], Some(text)),
        ServerLine::Room {
            room,
            members,
            topic,
        } => counted_with_text(out, "ROOM", room, *members, topic),
        ServerLine::RoomsEnd { count } => {
            out.push_str("ROOMS-END");
            push_number(out, *count);
        }
        _ => {}
    }
}

fn counted_with_text(out: &mut String, kind: &str, room: &str, count: u64, text: &str) {
    out.push_str(kind);
    out.push(' ');
    out.push_str(room);
    push_number(out, count);
    out.push_str(" :");
    out.push_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line parses to the value and encodes back to the same text.
    fn check(wire: &str, value: ServerLine) {
        assert_eq!(ServerLine::parse(wire), Ok(value.clone()), "parse {wire:?}");
        assert_eq!(value.encode(), format!("{wire}\n"), "encode {value:?}");
    }

    #[test]
    fn version_2_line_table() {
        let t = "2026-11-21T09:30:00.123Z";
        let ts = parse_ts(t).unwrap();
        let s = String::from;
        let rust = || Some(s("#rust"));
        check(
            "USERS-END 2 #rust",
            ServerLine::UsersEnd {
                count: 2,
                room: rust(),
            },
        );
        check(
            &format!("MSG 42 {ts} bob #rust :hi :)", ts = t),
            ServerLine::Msg {
                id: 42,
                ts,
                from: s("bob"),
                text: s("hi :)"),
                room: rust(),
            },
        );
        check(
            &format!("HISTORY 41 {t} bob #rust :old"),
            ServerLine::History {
                id: 41,
                ts,
                from: s("bob"),
                text: s("old"),
                room: rust(),
            },
        );
        check(
            "HISTORY-END 0 #rust",
            ServerLine::HistoryEnd {
                count: 0,
                room: rust(),
            },
        );
        check(
            &format!("JOIN {t} carol #rust"),
            ServerLine::Join {
                ts,
                name: s("carol"),
                room: rust(),
            },
        );
        check(
            "JOINED #rust 3 :all things rust",
            ServerLine::Joined {
                room: s("#rust"),
                members: 3,
                topic: s("all things rust"),
            },
        );
        check(
            &format!("PART {t} carol #rust :bored"),
            ServerLine::Part {
                ts,
                name: s("carol"),
                room: s("#rust"),
                reason: s("bored"),
            },
        );
        check(
            &format!("TOPIC {t} carol #rust :new topic"),
            ServerLine::Topic {
                ts,
                name: s("carol"),
                room: s("#rust"),
                text: s("new topic"),
            },
        );
        check(
            "ROOM #rust 3 :",
            ServerLine::Room {
                room: s("#rust"),
                members: 3,
                topic: s(""),
            },
        );
        check("ROOMS-END 7", ServerLine::RoomsEnd { count: 7 });
    }

    #[test]
    fn missing_room_fields_are_refused() {
        for wire in ["JOINED", "JOINED #r x :t", "ROOMS-END", "ROOM #r"] {
            assert!(ServerLine::parse(wire).is_err(), "{wire}");
        }
        let part = "PART 2026-11-21T09:30:00.123Z carol :no room";
        assert!(matches!(
            ServerLine::parse(part),
            Err(ParseError::MissingField { field: "room", .. })
        ));
    }
}
