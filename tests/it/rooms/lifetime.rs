//! How long rooms and memberships last: a room exists while it has members
//! or stored messages; `LEAVE` reaches each fellow member once and no `PART`
//! follows it, from one room or from 64; at most 64 rooms per client.

use chatroom::server::ServerOptions;

use crate::support::{Client, TestServer, unique, unthrottled};

use super::{fields_of, fresh_room, loner, pending, text_of};

/// A room that loses its last member and has no message is gone: the next
/// `/join` creates it anew, spelled as that creator typed it, no topic.
#[test]
fn a_room_without_members_or_messages_is_gone() {
    let (mut amy, _) = loner("amy");
    let (mut bo, _) = loner("bo");
    let room = format!("#Fleeting{}", unique(""));
    amy.join_room(&room);
    amy.send(&format!("/topic {room} soon forgotten"));
    amy.line();
    amy.send(&format!("/part {room}"));
    amy.line();
    let respelled = room.to_uppercase();
    let answer = bo.join_room(&respelled);
    assert_eq!(answer[0], format!("JOINED {respelled} 1 :"));
}

#[test]
fn a_room_with_messages_outlives_its_members() {
    let (mut amy, amy_name) = loner("amy");
    let (mut bo, _) = loner("bo");
    let room = format!("#Kept{}", unique(""));
    amy.join_room(&room);
    amy.send(&format!("/topic {room} still here"));
    amy.send("for later");
    amy.send(&format!("/part {room}"));
    amy.through("PART ");
    bo.send("/rooms");
    let listed = pending(&mut bo, &["ROOM"]);
    assert!(
        listed.iter().all(|line| !line.contains(&room)),
        "/rooms lists rooms with members only: {listed:?}"
    );
    let answer = bo.join_room(&room.to_lowercase());
    assert_eq!(answer[0], format!("JOINED {room} 1 :still here"));
    assert_eq!(
        fields_of(&answer[3], "HISTORY")[2..],
        [amy_name.as_str(), room.as_str()]
    );
    assert_eq!(text_of(&answer[3]), "for later");
    assert_eq!(answer[4], format!("HISTORY-END 1 {room}"));
}

/// Choice: a client that shares several rooms with the one leaving gets one
/// `LEAVE`; one that shares none gets nothing.
#[test]
fn leave_reaches_each_fellow_member_once_and_no_part_follows() {
    let (mut amy, amy_name) = loner("amy");
    let (mut bo, _) = loner("bo");
    let (mut cy, _) = loner("cy");
    let (mut stranger, _) = loner("stranger");
    let rooms = [fresh_room("l"), fresh_room("l"), fresh_room("l")];
    for room in &rooms {
        amy.join_room(room);
    }
    bo.join_room(&rooms[0]);
    bo.join_room(&rooms[1]);
    cy.join_room(&rooms[2]);
    stranger.join_room(&fresh_room("elsewhere"));
    amy.send("/quit lunch: back soon");
    assert_eq!(amy.through("BYE ").last().unwrap(), "BYE :goodbye");
    for client in [&mut bo, &mut cy] {
        let leave = client.until("LEAVE ");
        assert_eq!(fields_of(&leave, "LEAVE")[1..], [amy_name.as_str()]);
        assert_eq!(text_of(&leave), "lunch: back soon");
        assert!(
            pending(client, &["LEAVE", "PART"]).is_empty(),
            "one LEAVE, no PART"
        );
    }
    assert!(pending(&mut stranger, &["LEAVE", "PART"]).is_empty());
}

#[test]
fn a_user_in_64_rooms_is_capped_and_its_quit_is_one_leave() {
    let (mut amy, amy_name) = loner("amy");
    let (mut bo, _) = loner("bo");
    let rooms: Vec<String> = (0..64).map(|_| fresh_room("cap")).collect();
    for room in &rooms {
        bo.join_room(room);
    }
    for room in &rooms {
        amy.join_room(room);
    }
    let extra = fresh_room("over");
    amy.send(&format!("/join {extra}"));
    assert!(amy.line().starts_with("ERROR too-many-rooms :"), "the 65th");
    amy.send(&format!("/who {extra}"));
    assert_eq!(
        amy.line(),
        format!("USERS-END 0 {extra}"),
        "nothing changed"
    );
    amy.send(&format!("/join {}", rooms[0]));
    assert_eq!(
        fields_of(&amy.line(), "JOINED")[0],
        rooms[0],
        "switching to a room it is in still works"
    );
    amy.send(&format!("/part {}", rooms[1]));
    amy.line();
    assert_eq!(amy.join_room(&extra)[0], format!("JOINED {extra} 1 :"));

    // bo has seen amy's JOINs, or some of them, and one PART.
    bo.sync();
    drop(amy);
    let leave = bo.until("LEAVE ");
    assert_eq!(fields_of(&leave, "LEAVE")[1], amy_name);
    assert_eq!(text_of(&leave), "connection lost");
    assert!(
        pending(&mut bo, &["LEAVE", "PART"]).is_empty(),
        "one LEAVE for 63 shared rooms, no PART"
    );
}

/// A member that stops reading is dropped like any slow reader; a member
/// sharing three rooms with it learns it through one `LEAVE`.
#[test]
fn a_stuck_reader_in_three_rooms_is_one_leave_for_a_fellow_member() {
    let server = TestServer::start(ServerOptions {
        send_queue_lines: 64,
        ..unthrottled()
    });
    let mut stuck = Client::hello_v2(server.addr);
    stuck.register("stuck");
    let mut bo = Client::hello_v2(server.addr);
    bo.register("bo");
    for room in ["#a", "#b"] {
        stuck.join_room(room);
        bo.join_room(room);
    }
    let text = "y".repeat(4000);
    let leave = (0..5_000)
        .find_map(|round| {
            bo.send(&format!("/say #a {round} {text}"));
            let line = bo.line();
            line.starts_with("LEAVE ").then_some(line)
        })
        .expect("the stuck reader was never dropped");
    assert!(leave.ends_with(" stuck :send queue exceeded"), "{leave}");
    assert!(
        pending(&mut bo, &["LEAVE", "PART"]).is_empty(),
        "once, no PART"
    );
}
