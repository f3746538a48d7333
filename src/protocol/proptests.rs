//! Property tests for the codec: what is encoded parses back to the same
//! value, and no input, however strange, makes a parser panic.

use proptest::prelude::*;

use super::grammar::Line;
use super::server_line::{ServerLine, Timestamp};
use super::{Command, ErrorCode};

fn kind() -> impl Strategy<Value = String> {
    "[A-Z0-9][A-Z0-9-]{0,11}"
}

fn field() -> impl Strategy<Value = String> {
    "[^ :\n\r][^ \n\r]{0,15}"
}

/// Text may hold anything but LF.
fn text() -> impl Strategy<Value = String> {
    "[^\n]{0,40}"
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_-]{0,31}"
}

fn room() -> impl Strategy<Value = String> {
    "#[A-Za-z0-9_-]{1,32}"
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // Whole milliseconds, as the protocol writes them.
    (0i64..4_102_444_800_000).prop_map(|ms| Timestamp::from_timestamp_millis(ms).unwrap())
}

fn server_line() -> impl Strategy<Value = ServerLine> {
    prop_oneof![
        (name(), 0u64..100_000, text()).prop_map(|(name, online, text)| ServerLine::Welcome {
            name,
            online,
            text
        }),
        proptest::collection::vec(name(), 0..20).prop_map(|names| ServerLine::Users { names }),
        (
            any::<u64>(),
            timestamp(),
            name(),
            proptest::option::of(room()),
            text()
        )
            .prop_map(|(id, ts, from, room, text)| ServerLine::Msg {
                id,
                ts,
                from,
                room,
                text
            }),
        (any::<u64>(), timestamp(), name(), name(), text()).prop_map(|(id, ts, from, to, text)| {
            ServerLine::Priv {
                id,
                ts,
                from,
                to,
                text,
            }
        }),
        (
            any::<u64>(),
            timestamp(),
            name(),
            proptest::option::of(room()),
            text()
        )
            .prop_map(|(id, ts, from, room, text)| ServerLine::History {
                id,
                ts,
                from,
                room,
                text
            }),
        (any::<u64>(), proptest::option::of(room()))
            .prop_map(|(count, room)| ServerLine::HistoryEnd { count, room }),
        (any::<u64>(), proptest::option::of(room()))
            .prop_map(|(count, room)| ServerLine::UsersEnd { count, room }),
        (timestamp(), name(), proptest::option::of(room()))
            .prop_map(|(ts, name, room)| ServerLine::Join { ts, name, room }),
        (room(), any::<u64>(), text()).prop_map(|(room, members, topic)| ServerLine::Joined {
            room,
            members,
            topic
        }),
        (room(), any::<u64>(), text()).prop_map(|(room, members, topic)| ServerLine::Room {
            room,
            members,
            topic
        }),
        any::<u64>().prop_map(|count| ServerLine::RoomsEnd { count }),
        (timestamp(), name(), room(), text()).prop_map(|(ts, name, room, reason)| {
            ServerLine::Part {
                ts,
                name,
                room,
                reason,
            }
        }),
        (timestamp(), name(), room(), text()).prop_map(|(ts, name, room, text)| {
            ServerLine::Topic {
                ts,
                name,
                room,
                text,
            }
        }),
        (timestamp(), name(), text()).prop_map(|(ts, name, reason)| ServerLine::Leave {
            ts,
            name,
            reason
        }),
        text().prop_map(|text| ServerLine::Info { text }),
        ("[a-z][a-z-]{0,20}", text()).prop_map(|(code, text)| ServerLine::Error {
            code: ErrorCode::parse(&code),
            text
        }),
        field().prop_map(|token| ServerLine::Pong { token }),
        text().prop_map(|reason| ServerLine::Bye { reason }),
    ]
}

proptest! {
    #[test]
    fn grammar_round_trips(kind in kind(), fields in proptest::collection::vec(field(), 0..6), text in proptest::option::of(text())) {
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let line = Line { kind: &kind, fields, text: text.as_deref() };
        let mut encoded = String::new();
        line.encode_into(&mut encoded);
        prop_assert_eq!(Line::parse(&encoded), Ok(line));
    }

    #[test]
    fn server_lines_round_trip(line in server_line()) {
        let encoded = line.encode();
        prop_assert!(encoded.ends_with('\n') && encoded.matches('\n').count() == 1);
        prop_assert_eq!(ServerLine::parse(encoded.trim_end_matches('\n')), Ok(line));
    }

    #[test]
    fn room_commands_parse_back_their_room_and_text(room in room(), text in "[^ \n][^\n]{0,30}") {
        prop_assert_eq!(super::validate_room(&room), Ok(()));
        let join = format!("/join {room}");
        prop_assert_eq!(Command::parse(&join), Ok(Some(Command::Join(&room))));
        let say = format!("/say {room} {text}");
        prop_assert_eq!(
            Command::parse(&say),
            // Free text is kept byte for byte, trailing spaces included.
            Ok(Some(Command::Say { room: &room, text: &text }))
        );
        let part = format!("/part {room} {text}");
        prop_assert_eq!(
            Command::parse(&part),
            Ok(Some(Command::Part { room: Some(&room), reason: Some(&text) }))
        );
    }

    #[test]
    fn no_input_makes_a_parser_panic(input in "\\PC*|.*") {
        let _ = Line::parse(&input);
        let _ = ServerLine::parse(&input);
        let _ = Command::parse(&input);
    }
}

/// The case proptest once shrank a failure of
/// `room_commands_parse_back_their_room_and_text` to, kept as a plain test
/// so no seed file has to live beside the crate: free text keeps its
/// trailing space (it once dropped it).
#[test]
fn a_room_command_keeps_its_trailing_space() {
    assert_eq!(
        Command::parse("/say #A A "),
        Ok(Some(Command::Say {
            room: "#A",
            text: "A "
        }))
    );
    assert_eq!(
        Command::parse("/part #A A "),
        Ok(Some(Command::Part {
            room: Some("#A"),
            reason: Some("A ")
        }))
    );
}
