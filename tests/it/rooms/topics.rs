//! `/topic`: set by members and sent to every member, the setter too; asked
//! for by anyone; carried by `JOINED` and `ROOM`; never a way to smuggle a
//! control character or an oversized line to others.

use super::{fields_of, fresh_room, loner, pair, pending, text_of};

#[test]
fn a_member_sets_the_topic_and_every_member_sees_it() {
    let ((mut amy, amy_name), (mut bo, _), room) = pair("topic");
    let (mut outsider, _) = loner("out");
    let topic = "Rust 2024: edition notes, see /docs : and more";
    amy.send(&format!("/topic {room} {topic}"));
    for client in [&mut amy, &mut bo] {
        let line = client.line();
        assert_eq!(
            fields_of(&line, "TOPIC")[1..],
            [amy_name.as_str(), room.as_str()]
        );
        assert_eq!(text_of(&line), topic);
    }
    assert!(
        pending(&mut outsider, &["TOPIC"]).is_empty(),
        "members only"
    );

    outsider.send(&format!("/topic {room}"));
    let asked = outsider.line();
    assert_eq!(
        fields_of(&asked, "TOPIC")[1..],
        [amy_name.as_str(), room.as_str()]
    );
    assert_eq!(text_of(&asked), topic);
    assert!(
        pending(&mut amy, &["TOPIC"]).is_empty(),
        "the answer is the asker's"
    );

    let joined = outsider.join_room(&room);
    assert_eq!(joined[0], format!("JOINED {room} 3 :{topic}"));
    outsider.send("/rooms");
    let listed = outsider.through("ROOMS-END ");
    assert!(
        listed.contains(&format!("ROOM {room} 3 :{topic}")),
        "{listed:?}"
    );
}

/// Choice: a room without a topic answers `TOPIC <ts> - <room> :`.
#[test]
fn a_room_without_a_topic_answers_with_nobody_and_empty_text() {
    let (mut amy, _) = loner("amy");
    let room = fresh_room("notopic");
    amy.join_room(&room);
    amy.send(&format!("/topic {room}"));
    let line = amy.line();
    assert_eq!(fields_of(&line, "TOPIC")[1..], ["-", room.as_str()]);
    assert_eq!(text_of(&line), "");
}

/// Control characters are refused as in any line (`bad-text`); Choice: a
/// topic past 390 bytes is `ERROR usage`. Either way nothing changes.
#[test]
fn a_topic_with_control_characters_or_too_long_is_refused_and_changes_nothing() {
    let ((mut amy, _), (mut bo, _), room) = pair("badtopic");
    amy.send(&format!("/topic {room} kept"));
    amy.line();
    bo.line();
    let cases: [(Vec<u8>, &str); 5] = [
        (b"\x1b[2J\x1b[Hcleared".to_vec(), "ERROR bad-text :"),
        (b"bell\x07".to_vec(), "ERROR bad-text :"),
        ("c1 \u{9b}31m".as_bytes().to_vec(), "ERROR bad-text :"),
        (vec![b'x'; 391], "ERROR usage :"),
        (vec![b'y'; 4000], "ERROR usage :"),
    ];
    for (topic, expected) in cases {
        let mut line = format!("/topic {room} ").into_bytes();
        line.extend_from_slice(&topic);
        line.push(b'\n');
        amy.send_raw(&line);
        let answer = amy.line();
        assert!(answer.starts_with(expected), "{answer:?}");
    }
    let longest = "z".repeat(390);
    amy.send(&format!("/topic {room} {longest}"));
    assert_eq!(text_of(&amy.line()), longest, "390 bytes pass");
    let seen = pending(&mut bo, &["TOPIC"]);
    assert_eq!(seen.len(), 1, "bo saw only the one accepted topic");
    assert_eq!(text_of(&seen[0]), longest);
}

/// Found from outside: `/join`, `/topic` and `/rooms` sent together listed
/// the new room without the topic its own `TOPIC` line had just announced.
/// A user expects each answer to reflect the lines sent before it.
#[test]
fn rooms_right_after_setting_a_topic_shows_it() {
    let (mut amy, _) = loner("amy");
    let room = fresh_room("quick");
    amy.send_raw(format!("/join {room}\n/topic {room} fresh\n/rooms\n").as_bytes());
    let lines = amy.through("ROOMS-END ");
    let ours: Vec<&String> = lines
        .iter()
        .filter(|line| line.starts_with(&format!("ROOM {room} ")))
        .collect();
    assert_eq!(ours, [&format!("ROOM {room} 1 :fresh")], "{lines:?}");
}
