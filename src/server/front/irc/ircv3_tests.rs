//! Tests of `CHATHISTORY` and SASL `PLAIN` against the fake hub.

use std::sync::Arc;

use chrono::Duration;

use super::tests::{Harness, lobby, now};
use crate::hub::message::{Audience, Kind, RoomName, StoredMessage};

fn with_history() -> Harness {
    let room = RoomName::new("#lobby");
    let mut hub = lobby();
    hub.history = (1..=5)
        .map(|id| {
            Arc::new(StoredMessage {
                id,
                ts: now() + Duration::seconds(id as i64),
                from: "alice".to_owned(),
                audience: Audience::Room(room.clone()),
                kind: Kind::Message,
                live_tags: None,
                text: format!("m{id}"),
            })
        })
        .collect();
    Harness::registered("me", hub)
}

/// The texts of the messages in a CHATHISTORY answer, checking the batch
/// around them.
fn texts(got: &[String]) -> Vec<String> {
    assert_eq!(
        got.first().map(String::as_str),
        Some(":chatroom BATCH +history chathistory #lobby")
    );
    assert_eq!(
        got.last().map(String::as_str),
        Some(":chatroom BATCH -history")
    );
    got[1..got.len() - 1]
        .iter()
        .map(|line| {
            assert!(line.starts_with("@batch=history;time="), "{line}");
            line.rsplit(' ').next().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn chathistory_selects_from_the_stored_history() {
    let at3 = crate::protocol::format_ts(&(now() + Duration::seconds(3)));
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("LATEST #lobby * 2".to_owned(), vec!["m4", "m5"]),
        ("LATEST #lobby msgid=3 10".to_owned(), vec!["m4", "m5"]),
        ("BEFORE #lobby msgid=3 10".to_owned(), vec!["m1", "m2"]),
        ("BEFORE #lobby msgid=5 1".to_owned(), vec!["m4"]),
        ("AFTER #lobby msgid=1 2".to_owned(), vec!["m2", "m3"]),
        (format!("AFTER #lobby timestamp={at3} 5"), vec!["m4", "m5"]),
        (
            "latest #LOBBY * 100".to_owned(),
            vec!["m1", "m2", "m3", "m4", "m5"],
        ),
        ("AROUND #lobby msgid=3 1".to_owned(), vec!["m3"]),
        ("AROUND #lobby msgid=3 3".to_owned(), vec!["m2", "m3", "m4"]),
        ("AROUND #lobby msgid=5 3".to_owned(), vec!["m3", "m4", "m5"]),
        (format!("AROUND #lobby timestamp={at3} 2"), vec!["m3", "m4"]),
        (
            "BETWEEN #lobby msgid=1 msgid=5 10".to_owned(),
            vec!["m2", "m3", "m4"],
        ),
        (
            "BETWEEN #lobby msgid=5 msgid=1 10".to_owned(),
            vec!["m2", "m3", "m4"],
        ),
        (
            "BETWEEN #lobby msgid=1 msgid=5 2".to_owned(),
            vec!["m2", "m3"],
        ),
        (
            "BETWEEN #lobby msgid=5 msgid=1 2".to_owned(),
            vec!["m3", "m4"],
        ),
        (
            format!("BETWEEN #lobby timestamp={at3} msgid=1 5"),
            vec!["m2"],
        ),
    ];
    for (command, expected) in cases {
        let mut harness = with_history();
        let got = harness.send(&format!("CHATHISTORY {command}"));
        assert_eq!(texts(&got), expected, "{command}");
    }
}

#[test]
fn chathistory_refusals() {
    let s = ":chatroom FAIL CHATHISTORY";
    let cases = [
        (
            "CHATHISTORY LATEST #lobby *",
            format!("{s} NEED_MORE_PARAMS :Missing parameters"),
        ),
        (
            "CHATHISTORY LATEST #lobby x 5",
            format!("{s} INVALID_PARAMS LATEST :Invalid reference or limit"),
        ),
        (
            "CHATHISTORY NEAR #lobby * 5",
            format!("{s} INVALID_PARAMS NEAR :Unknown subcommand"),
        ),
        (
            "CHATHISTORY AROUND #lobby * 5",
            format!("{s} INVALID_PARAMS AROUND :AROUND needs a msgid or a timestamp"),
        ),
        (
            "CHATHISTORY BETWEEN #lobby * msgid=1 5",
            format!("{s} INVALID_PARAMS BETWEEN :BETWEEN needs msgids or timestamps"),
        ),
        (
            "CHATHISTORY BETWEEN #elsewhere msgid=1 msgid=2 5",
            format!("{s} INVALID_TARGET BETWEEN #elsewhere :Not a channel you are in"),
        ),
        (
            "CHATHISTORY TARGETS msgid=1 * 5",
            format!("{s} INVALID_PARAMS TARGETS :TARGETS needs two timestamps and a limit"),
        ),
        (
            "CHATHISTORY LATEST #elsewhere * 5",
            format!("{s} INVALID_TARGET LATEST #elsewhere :Not a channel you are in"),
        ),
    ];
    for (command, expected) in cases {
        let mut harness = with_history();
        assert_eq!(harness.send(command), [expected], "{command}");
    }
}

#[test]
fn sasl_plain_logs_in_to_an_account_whose_name_is_the_nick() {
    use base64::Engine;
    let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let s = ":chatroom";
    let mut harness = Harness::new(lobby());
    harness.send("CAP REQ sasl");
    assert_eq!(
        harness.send("AUTHENTICATE EXTERNAL"),
        [
            format!("{s} 908 * PLAIN :are available SASL mechanisms"),
            format!("{s} 904 * :SASL authentication failed"),
        ]
    );
    assert_eq!(
        harness.send("AUTHENTICATE PLAIN"),
        [format!("{s} AUTHENTICATE +")]
    );
    assert_eq!(
        harness.send("AUTHENTICATE *"),
        [format!("{s} 906 * :SASL authentication aborted")]
    );
    harness.send("AUTHENTICATE PLAIN");
    let wrong = encode("\0locked\0wrong");
    assert_eq!(
        harness.send(&format!("AUTHENTICATE {wrong}")),
        [format!("{s} 904 * :SASL authentication failed")]
    );
    harness.send("AUTHENTICATE PLAIN");
    assert_eq!(
        harness.send("AUTHENTICATE !!!"),
        [format!(
            "{s} 904 * :SASL authentication failed: malformed PLAIN"
        )]
    );
    harness.send("AUTHENTICATE PLAIN");
    let right = encode("locked\0locked\0right");
    assert_eq!(
        harness.send(&format!("AUTHENTICATE {right}")),
        [
            format!("{s} 900 * locked!locked@chatroom locked :You are now logged in as locked"),
            format!("{s} 903 * :SASL authentication successful"),
        ]
    );
    harness.send("NICK other");
    harness.send("USER u 0 * :r");
    assert_eq!(
        harness.send("CAP END"),
        [format!(
            "{s} 902 * :You are logged in as locked: register with that nick"
        )]
    );
    let welcome = harness.send("NICK Locked");
    assert!(
        welcome[0].starts_with(":chatroom 001 Locked "),
        "{welcome:?}"
    );
}

#[test]
fn chathistory_targets_lists_ones_rooms_by_their_latest_message() {
    let time = |seconds| crate::protocol::format_ts(&(now() + Duration::seconds(seconds)));
    let cases = [
        ((0, 10, 5), vec![format!("#lobby {}", time(5))]),
        ((10, 0, 5), vec![format!("#lobby {}", time(5))]),
        ((0, 5, 5), vec![format!("#lobby {}", time(4))]),
        ((5, 10, 5), vec![]),
        ((0, 10, 0), vec![]),
    ];
    for ((from, to, limit), expected) in cases {
        let mut harness = with_history();
        let command = format!(
            "CHATHISTORY TARGETS timestamp={} timestamp={} {limit}",
            time(from),
            time(to)
        );
        let got = harness.send(&command);
        assert_eq!(
            got.first().map(String::as_str),
            Some(":chatroom BATCH +targets draft/chathistory-targets"),
            "{command}"
        );
        assert_eq!(
            got.last().map(String::as_str),
            Some(":chatroom BATCH -targets")
        );
        let listed: Vec<String> = got[1..got.len() - 1]
            .iter()
            .map(|line| {
                let tail = line.strip_prefix("@batch=targets :chatroom CHATHISTORY TARGETS ");
                tail.unwrap_or_else(|| panic!("{line}")).to_owned()
            })
            .collect();
        assert_eq!(listed, expected, "{command}");
    }
}
