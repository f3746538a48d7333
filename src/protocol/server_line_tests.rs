//! The server line table: every kind parsed and encoded, version 2's room
//! fields, the runs' line limit.

use super::*;
use crate::protocol::MAX_SERVER_LINE;

fn ts(s: &str) -> Timestamp {
    parse_ts(s).unwrap()
}

/// Every line parses to the value and encodes back to the same text.
fn check(wire: &str, value: ServerLine) {
    assert_eq!(ServerLine::parse(wire), Ok(value.clone()), "parse {wire:?}");
    assert_eq!(value.encode(), format!("{wire}\n"), "encode {value:?}");
}

#[test]
fn server_line_table() {
    let t = "2026-11-21T09:30:00.123Z";
    let s = String::from;
    check(
        "HELLO chatroom 1 :Send your name to join.",
        ServerLine::Hello {
            server: s("chatroom"),
            version: s("1"),
            text: s("Send your name to join."),
        },
    );
    check(
        "WELCOME alice 2 :Welcome!",
        ServerLine::Welcome {
            name: s("alice"),
            online: 2,
            text: s("Welcome!"),
        },
    );
    check(
        "USERS :alice bob",
        ServerLine::Users {
            names: vec![s("alice"), s("bob")],
        },
    );
    check(
        "USERS-END 2",
        ServerLine::UsersEnd {
            count: 2,
            room: None,
        },
    );
    check(
        &format!("MSG 42 {t} alice :hi bob"),
        ServerLine::Msg {
            id: 42,
            ts: ts(t),
            from: s("alice"),
            room: None,
            text: s("hi bob"),
        },
    );
    check(
        &format!("MSG 1 {t} alice :"),
        ServerLine::Msg {
            id: 1,
            ts: ts(t),
            from: s("alice"),
            room: None,
            text: s(""),
        },
    );
    check(
        &format!("PRIV 43 {t} alice bob :x :y"),
        ServerLine::Priv {
            id: 43,
            ts: ts(t),
            from: s("alice"),
            to: s("bob"),
            text: s("x :y"),
        },
    );
    check(
        &format!("HISTORY 41 {t} bob :anyone?"),
        ServerLine::History {
            id: 41,
            ts: ts(t),
            from: s("bob"),
            room: None,
            text: s("anyone?"),
        },
    );
    check(
        "HISTORY-END 0",
        ServerLine::HistoryEnd {
            count: 0,
            room: None,
        },
    );
    check(
        &format!("JOIN {t} carol"),
        ServerLine::Join {
            ts: ts(t),
            name: s("carol"),
            room: None,
        },
    );
    check(
        &format!("LEAVE {t} carol :connection lost"),
        ServerLine::Leave {
            ts: ts(t),
            name: s("carol"),
            reason: s("connection lost"),
        },
    );
    check(
        "INFO :/who lists users",
        ServerLine::Info {
            text: s("/who lists users"),
        },
    );
    check(
        "ERROR name-taken :pick another",
        ServerLine::Error {
            code: ErrorCode::NameTaken,
            text: s("pick another"),
        },
    );
    check(
        "ERROR new-code :x",
        ServerLine::Error {
            code: ErrorCode::Other(s("new-code")),
            text: s("x"),
        },
    );
    check("PONG abc", ServerLine::Pong { token: s("abc") });
    check(
        "BYE :goodbye",
        ServerLine::Bye {
            reason: s("goodbye"),
        },
    );
    check(
        "FUTURE-KIND a b :c",
        ServerLine::Unknown {
            kind: s("FUTURE-KIND"),
            raw: s("FUTURE-KIND a b :c"),
        },
    );
}

#[test]
fn extra_fields_are_ignored_and_missing_ones_refused() {
    assert_eq!(
        ServerLine::parse("USERS-END 2 #lobby extra"),
        Ok(ServerLine::UsersEnd {
            count: 2,
            room: Some("#lobby".into())
        })
    );
    assert!(matches!(
        ServerLine::parse("MSG 1"),
        Err(ParseError::MissingField { .. })
    ));
    assert!(matches!(
        ServerLine::parse("MSG x 2026-11-21T09:30:00.123Z a :t"),
        Err(ParseError::BadNumber { .. })
    ));
    assert!(matches!(
        ServerLine::parse("JOIN yesterday bob"),
        Err(ParseError::BadValue { .. })
    ));
}

/// Found by the `server_line` fuzz target: the grammar used to strip one
/// trailing CR per parse, so encoding was not a fixed point.
#[test]
fn fuzz_regression_trailing_carriage_returns() {
    let input = "PONG \u{fffd}1\r\r\r";
    let once = ServerLine::parse(input).unwrap().encode();
    assert_eq!(once, format!("{input}\n"));
    assert_eq!(
        ServerLine::parse(once.trim_end_matches('\n'))
            .unwrap()
            .encode(),
        once
    );
}

#[test]
fn error_codes_round_trip() {
    for code in [
        "line-too-long",
        "bad-encoding",
        "bad-text",
        "name-invalid",
        "name-taken",
        "name-not-allowed",
        "not-registered",
        "no-such-user",
        "usage",
        "unknown-command",
        "room-invalid",
        "not-in-room",
        "no-room",
        "too-many-rooms",
    ] {
        let parsed = ErrorCode::parse(code);
        assert!(!matches!(parsed, ErrorCode::Other(_)), "{code}");
        assert_eq!(parsed.as_str(), code);
    }
}

#[test]
fn version_two_lines() {
    let t = "2026-11-21T09:30:00.123Z";
    let s = String::from;
    let room = || Some(s("#Rust"));
    check(
        &format!("MSG 42 {t} alice #Rust :hi"),
        ServerLine::Msg {
            id: 42,
            ts: ts(t),
            from: s("alice"),
            room: room(),
            text: s("hi"),
        },
    );
    check(
        &format!("HISTORY 41 {t} bob #Rust :a :b"),
        ServerLine::History {
            id: 41,
            ts: ts(t),
            from: s("bob"),
            room: room(),
            text: s("a :b"),
        },
    );
    check(
        "HISTORY-END 3 #Rust",
        ServerLine::HistoryEnd {
            count: 3,
            room: room(),
        },
    );
    check(
        "USERS-END 1 #Rust",
        ServerLine::UsersEnd {
            count: 1,
            room: room(),
        },
    );
    check(
        &format!("JOIN {t} carol #Rust"),
        ServerLine::Join {
            ts: ts(t),
            name: s("carol"),
            room: room(),
        },
    );
    check(
        "JOINED #Rust 3 :borrowck club",
        ServerLine::Joined {
            room: s("#Rust"),
            members: 3,
            topic: s("borrowck club"),
        },
    );
    check(
        "JOINED #Rust 1 :",
        ServerLine::Joined {
            room: s("#Rust"),
            members: 1,
            topic: s(""),
        },
    );
    check(
        &format!("PART {t} carol #Rust :lunch"),
        ServerLine::Part {
            ts: ts(t),
            name: s("carol"),
            room: s("#Rust"),
            reason: s("lunch"),
        },
    );
    check(
        &format!("TOPIC {t} - #Rust :"),
        ServerLine::Topic {
            ts: ts(t),
            name: s("-"),
            room: s("#Rust"),
            text: s(""),
        },
    );
    check(
        "ROOM #Rust 2 :a topic",
        ServerLine::Room {
            room: s("#Rust"),
            members: 2,
            topic: s("a topic"),
        },
    );
    check("ROOMS-END 2", ServerLine::RoomsEnd { count: 2 });
}

#[test]
fn users_runs_respect_the_line_limit() {
    let names: Vec<String> = (0..2000)
        .map(|i| format!("user{i:05}_{}", "x".repeat(20)))
        .collect();
    let mut out = String::new();
    let count = push_users_run(&mut out, names.iter().map(String::as_str), Some("#lobby"));
    assert_eq!(count, 2000);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() > 2, "split over several lines");
    assert!(
        lines.iter().all(|line| line.len() < MAX_SERVER_LINE),
        "each line within the limit, LF included"
    );
    let listed: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("USERS :"))
        .flat_map(|l| l.split(' '))
        .collect();
    assert_eq!(listed, names);
    assert_eq!(*lines.last().unwrap(), "USERS-END 2000 #lobby");
}

#[test]
fn empty_runs_still_end() {
    let mut out = String::new();
    assert_eq!(push_users_run(&mut out, std::iter::empty(), None), 0);
    push_counted_end(&mut out, "HISTORY-END", 0, Some("#a"));
    assert_eq!(out, "USERS-END 0\nHISTORY-END 0 #a\n");
}
