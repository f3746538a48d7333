//! Tests of the IRC lines made of hub events (`lines.rs`).

use chrono::{TimeZone, Utc};

use super::lines::{self, Said, Tags};
use super::reply::Replier;
use crate::hub::message::{Kind, Topic};
use crate::protocol::irc::Message;

fn said(text: &str) -> Said<'_> {
    Said {
        id: 42,
        ts: Utc.with_ymd_and_hms(2026, 12, 3, 15, 0, 0).unwrap(),
        from: "alice",
        target: "#lobby",
        kind: Kind::Message,
        live_tags: None,
        text,
    }
}

fn privmsg(text: &str, tags: Tags) -> String {
    let mut out = String::new();
    lines::privmsg(&mut out, &said(text), tags);
    out
}

#[test]
fn a_message_carries_the_tags_its_member_asked_for() {
    let plain = ":alice!alice@chatroom PRIVMSG #lobby :hi there\r\n";
    assert_eq!(privmsg("hi there", Tags::None), plain);
    assert_eq!(
        privmsg("hi", Tags::Time),
        "@time=2026-12-03T15:00:00.000Z :alice!alice@chatroom PRIVMSG #lobby hi\r\n"
    );
    assert_eq!(
        privmsg(":)", Tags::TimeAndId),
        "@time=2026-12-03T15:00:00.000Z;msgid=42 :alice!alice@chatroom PRIVMSG #lobby ::)\r\n"
    );
}

#[test]
fn a_message_too_long_for_irc_is_split_whole_at_character_boundaries() {
    let text = "é".repeat(1500);
    let out = privmsg(&text, Tags::TimeAndId);
    let mut rebuilt = String::new();
    for (index, line) in out.split_inclusive("\r\n").enumerate() {
        let message = Message::parse(line.strip_suffix("\r\n").unwrap()).expect("valid IRC");
        // A msgid names one message: only the first piece carries it.
        let id = (index == 0).then_some("42");
        assert_eq!(message.tag("msgid"), id, "{line}");
        assert!(message.tag("time").is_some());
        assert!(message.encode().unwrap().len() - line.find(' ').unwrap() <= 512);
        rebuilt.push_str(message.params[1]);
    }
    assert!(out.matches("\r\n").count() >= 7, "{out}");
    assert_eq!(rebuilt, text);
}

#[test]
fn joins_parts_quits_and_topics() {
    let topic = Topic {
        ts: Utc.with_ymd_and_hms(2026, 12, 3, 15, 0, 0).unwrap(),
        by: "bob".to_owned(),
        text: "cats and dogs".to_owned(),
    };
    let mut out = String::new();
    lines::join(&mut out, "bob", "#a");
    lines::part(&mut out, "bob", "#a", "");
    lines::part(&mut out, "bob", "#a", "gone away");
    lines::quit(&mut out, "bob", "");
    lines::quit(&mut out, "bob", "bye");
    lines::topic(&mut out, "#a", &topic);
    let to = Replier {
        server: "chatroom",
        nick: "me",
    };
    lines::joined(
        &mut out,
        to,
        "#a",
        Some(&topic),
        ["bob", "me"].into_iter(),
        false,
    );
    let expected = [
        ":bob!bob@chatroom JOIN #a",
        ":bob!bob@chatroom PART #a",
        ":bob!bob@chatroom PART #a :gone away",
        ":bob!bob@chatroom QUIT Quit",
        ":bob!bob@chatroom QUIT :Quit: bye",
        ":bob!bob@chatroom TOPIC #a :cats and dogs",
        ":me!me@chatroom JOIN #a",
        ":chatroom 332 me #a :cats and dogs",
        ":chatroom 333 me #a bob!bob@chatroom 1796310000",
        ":chatroom 353 me = #a :bob me",
        ":chatroom 366 me #a :End of /NAMES list",
    ];
    let got: Vec<&str> = out.split_terminator("\r\n").collect();
    assert_eq!(got, expected);
}

#[test]
fn hub_events_encode_as_irc_lines() {
    use crate::hub::event::{Delivery, HubEvent};
    use crate::hub::message::{Audience, RoomName, StoredMessage};
    use std::sync::Arc;

    use super::member::encode;

    let ts = Utc.with_ymd_and_hms(2026, 12, 3, 15, 0, 0).unwrap();
    let room = RoomName::new("#Lobby");
    let private = StoredMessage {
        id: 7,
        ts,
        from: "alice".to_owned(),
        audience: Audience::Private("Bob".to_owned()),
        kind: crate::hub::message::Kind::Message,
        live_tags: None,
        text: "psst".to_owned(),
    };
    let joins: Vec<Delivery<'static>> = ["carol", "dave"]
        .into_iter()
        .map(|name| {
            Delivery::new(HubEvent::Join {
                ts,
                name: name.to_owned(),
                room: room.clone(),
            })
        })
        .collect();
    let cases: Vec<(HubEvent<'_>, Tags, &str)> = vec![
        (
            HubEvent::Message(Arc::new(private)),
            Tags::None,
            ":alice!alice@chatroom PRIVMSG Bob psst\r\n",
        ),
        (
            HubEvent::Joins(&joins),
            Tags::TimeAndId,
            ":carol!carol@chatroom JOIN #Lobby\r\n:dave!dave@chatroom JOIN #Lobby\r\n",
        ),
        (
            HubEvent::Leave {
                ts,
                name: "carol".to_owned(),
                reason: "connection lost".to_owned(),
            },
            Tags::None,
            ":carol!carol@chatroom QUIT :Quit: connection lost\r\n",
        ),
        (HubEvent::NotStored, Tags::None, ""),
    ];
    for (event, tags, expected) in cases {
        assert_eq!(
            String::from_utf8(encode(&event, (super::member::TAGGED, tags)).to_vec()).unwrap(),
            expected
        );
    }
}

/// Every line of `out`, checked to be valid IRC of at most 512 bytes.
fn fitting_lines(out: &str) -> Vec<&str> {
    let lines: Vec<&str> = out.split_inclusive("\r\n").collect();
    for line in &lines {
        assert!(line.len() <= 512, "{} bytes: {line}", line.len());
        Message::parse(line.strip_suffix("\r\n").unwrap()).expect("valid IRC");
    }
    lines
}

#[test]
fn a_reason_or_topic_too_long_for_irc_is_cut_never_dropped() {
    let long = "é".repeat(400);
    let mut out = String::new();
    lines::part(&mut out, "bob", "#lobby", &long);
    lines::quit(&mut out, "bob", &long);
    let nick = "n".repeat(32);
    let room = format!("#{}", "r".repeat(32));
    let topic = Topic {
        ts: Utc.with_ymd_and_hms(2026, 12, 3, 15, 0, 0).unwrap(),
        by: nick.clone(),
        text: "t".repeat(390),
    };
    lines::topic(&mut out, &room, &topic);
    let to = Replier {
        server: "chatroom",
        nick: &nick,
    };
    lines::joined(
        &mut out,
        to,
        &room,
        Some(&topic),
        [nick.as_str()].into_iter(),
        true,
    );
    let got: Vec<&str> = fitting_lines(&out)
        .iter()
        .map(|line| line.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        got,
        ["PART", "QUIT", "TOPIC", "JOIN", "332", "333", "353", "366"]
    );
}

#[test]
fn an_action_reaches_irc_members_as_an_action() {
    assert_eq!(
        privmsg("* alice waves at *", Tags::None),
        ":alice!alice@chatroom PRIVMSG #lobby :\u{1}ACTION waves at *\u{1}\r\n"
    );
    // Another's name after the star is just text.
    assert_eq!(
        privmsg("* bob waves", Tags::None),
        ":alice!alice@chatroom PRIVMSG #lobby :* bob waves\r\n"
    );
    let long = format!("* alice {}", "w".repeat(1000));
    let out = privmsg(&long, Tags::None);
    let mut rebuilt = String::new();
    for line in fitting_lines(&out) {
        let message = Message::parse(line.strip_suffix("\r\n").unwrap()).unwrap();
        let action = message.params[1].strip_prefix("\u{1}ACTION ");
        rebuilt.push_str(action.and_then(|a| a.strip_suffix('\u{1}')).expect(line));
    }
    assert_eq!(rebuilt, "w".repeat(1000));
}
