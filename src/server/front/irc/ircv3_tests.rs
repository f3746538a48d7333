//! Tests of `CHATHISTORY` and SASL `PLAIN` against the fake hub.

use std::sync::Arc;

use chrono::Duration;

use super::tests::{Harness, lobby, now};
use crate::hub::message::{Audience, RoomName, StoredMessage};

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
                kind: crate::hub::message::Kind::Message,
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
            "CHATHISTORY AROUND #lobby * 5",
            format!("{s} INVALID_PARAMS AROUND :Unknown subcommand"),
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
