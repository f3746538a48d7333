//! The rows of the version-2 tables: `/join` with `JOINED`, its `USERS` and
//! `HISTORY` runs and the others' `JOIN`; `MSG` and `HISTORY` with the room
//! last; `/say`; `/part` with `PART`; `/who <room>`; `/history [<room>] [n]`.

use super::{fields_of, fresh_room, loner, pair, pending, text_of};

#[test]
fn join_answers_joined_users_history_and_tells_the_other_members() {
    let (mut amy, amy_name) = loner("Amy");
    let (mut bo, bo_name) = loner("bo");
    let room = fresh_room("Rows");
    assert_eq!(
        amy.join_room(&room),
        [
            format!("JOINED {room} 1 :"),
            format!("USERS :{amy_name}"),
            format!("USERS-END 1 {room}"),
            format!("HISTORY-END 0 {room}"),
        ],
        "the creator: JOINED, its USERS run and an empty replay, each naming the room"
    );
    amy.send("anyone here?");
    let sent = amy.line();
    let msg = fields_of(&sent, "MSG");
    assert_eq!(msg[2..], [amy_name.as_str(), room.as_str()], "{sent}");
    assert_eq!(text_of(&sent), "anyone here?");

    let answer = bo.join_room(&room);
    assert_eq!(answer[0], format!("JOINED {room} 2 :"));
    assert_eq!(answer[1], format!("USERS :{amy_name} {bo_name}"));
    assert_eq!(answer[2], format!("USERS-END 2 {room}"));
    let replayed = fields_of(&answer[3], "HISTORY");
    assert_eq!(
        replayed, msg,
        "the replay carries the message's id, time, sender and room"
    );
    assert_eq!(text_of(&answer[3]), "anyone here?");
    assert_eq!(answer[4], format!("HISTORY-END 1 {room}"));
    assert_eq!(answer.len(), 5);

    let join = amy.line();
    assert_eq!(
        fields_of(&join, "JOIN")[1..],
        [bo_name.as_str(), room.as_str()]
    );
    assert!(
        pending(&mut bo, &["JOIN"]).is_empty(),
        "the joiner gets no JOIN of its own"
    );
}

/// Joining a room one is in only makes it current: `JOINED` alone (Choice:
/// no `USERS` or `HISTORY` run), and no `JOIN` to anyone.
#[test]
fn joining_a_room_again_only_makes_it_current() {
    let (mut amy, amy_name) = loner("amy");
    let (mut bo, _) = loner("bo");
    let (first, second) = (fresh_room("first"), fresh_room("second"));
    amy.join_room(&first);
    bo.join_room(&first);
    amy.line(); // bo's JOIN
    amy.join_room(&second);
    amy.send(&format!("/join {first}"));
    assert_eq!(amy.line(), format!("JOINED {first} 2 :"));
    assert!(amy.sync().is_empty(), "no USERS, no replay: {first}");
    assert!(bo.sync().is_empty(), "bo sees no second JOIN");
    amy.send("back in the first");
    let msg = fields_of(&bo.line(), "MSG");
    assert_eq!(
        msg[2..],
        [amy_name.as_str(), first.as_str()],
        "the current room"
    );
}

#[test]
fn messages_reach_the_rooms_members_only_and_say_keeps_the_current_room() {
    let (mut amy, amy_name) = loner("amy");
    let (mut bo, _) = loner("bo");
    let (mut cy, _) = loner("cy");
    let (red, blue) = (fresh_room("red"), fresh_room("blue"));
    amy.join_room(&red);
    bo.join_room(&red);
    amy.join_room(&blue);
    cy.join_room(&blue);
    amy.sync();
    amy.send(&format!("/say {red} to red"));
    amy.send("to blue, the current room");
    for (reader, room, text) in [
        (&mut bo, &red, "to red"),
        (&mut cy, &blue, "to blue, the current room"),
    ] {
        let line = reader.line();
        assert_eq!(
            fields_of(&line, "MSG")[2..],
            [amy_name.as_str(), room.as_str()]
        );
        assert_eq!(text_of(&line), text);
        assert!(
            pending(reader, &["MSG"]).is_empty(),
            "nothing from a room it is not in"
        );
    }
    let copies: Vec<String> = amy.sync();
    assert_eq!(
        copies.len(),
        2,
        "the sender gets its copy of each: {copies:?}"
    );
    assert_eq!(fields_of(&copies[0], "MSG")[3], red);
    assert_eq!(fields_of(&copies[1], "MSG")[3], blue);
}

#[test]
fn part_tells_every_member_the_parter_too_and_the_user_stays_online() {
    let ((mut amy, amy_name), (mut bo, bo_name), room) = pair("part");
    bo.send(&format!("/part {room} gone fishing: back at 5"));
    for client in [&mut amy, &mut bo] {
        let part = client.line();
        assert_eq!(
            fields_of(&part, "PART")[1..],
            [bo_name.as_str(), room.as_str()]
        );
        assert_eq!(text_of(&part), "gone fishing: back at 5");
    }
    amy.send("still there?");
    amy.line();
    assert!(
        pending(&mut bo, &["MSG"]).is_empty(),
        "a parted user gets no more of the room"
    );
    amy.send(&format!("/msg {bo_name} you are still online"));
    assert!(bo.line().starts_with("PRIV "));
    amy.expect("PRIV "); // her own copy
    bo.send(&format!("/part {room}"));
    assert!(
        bo.line().starts_with("ERROR not-in-room :"),
        "parting twice"
    );
    amy.send(&format!("/part {room}"));
    let part = amy.line();
    assert_eq!(fields_of(&part, "PART")[1], amy_name);
    assert_eq!(text_of(&part), "", "Choice: no reason, empty text");
}

/// Choice: `/part` without a room parts the current one, and the room joined
/// before it is current again; a first word without `#` is the reason.
#[test]
fn part_without_a_room_parts_the_current_one_and_the_previous_is_current_again() {
    let (mut amy, amy_name) = loner("amy");
    let (older, newer) = (fresh_room("older"), fresh_room("newer"));
    amy.join_room(&older);
    amy.join_room(&newer);
    amy.send("/part see you later");
    let part = amy.line();
    assert_eq!(
        fields_of(&part, "PART")[1..],
        [amy_name.as_str(), newer.as_str()]
    );
    assert_eq!(text_of(&part), "see you later");
    amy.send("where am I?");
    assert_eq!(fields_of(&amy.line(), "MSG")[3], older);
    amy.send("/part");
    assert_eq!(fields_of(&amy.line(), "PART")[2], older);
    amy.send("nowhere");
    assert!(
        amy.line().starts_with("ERROR no-room :"),
        "in no room at all"
    );
    amy.send("//still nowhere");
    assert!(amy.line().starts_with("ERROR no-room :"));
}

#[test]
fn who_with_a_room_lists_its_members_and_without_lists_everyone() {
    let (mut zed, zed_name) = loner("zed");
    let (mut amy, amy_name) = loner("Amy");
    let room = fresh_room("who");
    zed.join_room(&room);
    amy.join_room(&room);
    zed.send(&format!("/who {room}"));
    let mut names = [amy_name.clone(), zed_name.clone()];
    names.sort_by_key(|n| n.to_lowercase());
    let run = zed.through("USERS-END "); // amy's JOIN comes first
    assert_eq!(
        run[run.len() - 2..],
        [
            format!("USERS :{}", names.join(" ")),
            format!("USERS-END 2 {room}")
        ]
    );
    zed.send("/who");
    let everyone = zed.through("USERS-END");
    let last = everyone.last().unwrap();
    assert_eq!(
        fields_of(last, "USERS-END").len(),
        1,
        "/who without a room ends as in version 1: {last}"
    );
    let listed: Vec<&str> = everyone[..everyone.len() - 1]
        .iter()
        .flat_map(|line| line.strip_prefix("USERS :").unwrap().split(' '))
        .collect();
    assert!(
        listed.contains(&zed_name.as_str()) && listed.contains(&amy_name.as_str()),
        "everyone online, in a room or not"
    );
}

#[test]
fn history_of_a_room_holds_its_messages_only() {
    let (mut amy, amy_name) = loner("amy");
    let (one, two) = (fresh_room("histone"), fresh_room("histtwo"));
    amy.join_room(&one);
    amy.join_room(&two);
    for n in 1..=4 {
        amy.send(&format!("/say {one} one-{n}"));
        amy.send(&format!("/say {two} two-{n}"));
    }
    assert_eq!(amy.sync().len(), 8);
    let texts = |lines: &[String], room: &str| -> Vec<String> {
        let (end, replay) = lines.split_last().unwrap();
        assert_eq!(fields_of(end, "HISTORY-END")[1], room);
        replay
            .iter()
            .map(|line| {
                let fields = fields_of(line, "HISTORY");
                assert_eq!(fields[2..], [amy_name.as_str(), room]);
                text_of(line)
            })
            .collect()
    };
    amy.send(&format!("/history {one} 2"));
    assert_eq!(texts(&amy.through("HISTORY-END"), &one), ["one-3", "one-4"]);
    amy.send(&format!("/history {one}"));
    assert_eq!(texts(&amy.through("HISTORY-END"), &one).len(), 4);
    amy.send("/history 3");
    assert_eq!(
        texts(&amy.through("HISTORY-END"), &two),
        ["two-2", "two-3", "two-4"],
        "no room given: the current room"
    );
    amy.send(&format!("/HISTORY {}", one.to_uppercase()));
    assert_eq!(
        texts(&amy.through("HISTORY-END"), &one).len(),
        4,
        "command and room in any case; lines name the room as created"
    );
}

/// Choice: `/rooms` lists rooms with members, sorted without regard to case,
/// and `ROOMS-END` counts the `ROOM` lines.
#[test]
fn rooms_lists_every_room_with_members_its_count_and_topic() {
    let server = crate::support::TestServer::ephemeral();
    let mut amy = crate::support::Client::hello_v2(server.addr);
    amy.register("amy");
    let mut bo = crate::support::Client::hello_v2(server.addr);
    bo.register("bo");
    amy.join_room("#b-room");
    amy.send("/topic #b-room the b room");
    amy.line();
    bo.join_room("#A-room");
    bo.send("/rooms");
    assert_eq!(
        bo.through("ROOMS-END "),
        [
            "ROOM #A-room 1 :",
            "ROOM #b-room 1 :the b room",
            "ROOM #lobby 2 :",
            "ROOMS-END 3"
        ]
    );
}

#[test]
fn private_messages_are_unchanged_and_need_no_shared_room() {
    let (mut amy, amy_name) = loner("amy");
    let (mut bo, bo_name) = loner("bo");
    amy.join_room(&fresh_room("priv"));
    amy.send(&format!("/msg {bo_name} no room in common"));
    let line = bo.line();
    let fields = fields_of(&line, "PRIV");
    assert_eq!(fields.len(), 4, "no room field: {line}");
    assert_eq!(fields[2..], [amy_name.as_str(), bo_name.as_str()]);
    assert_eq!(amy.line(), line, "the sender's copy");
}
