//! A stranger's attacks on rooms: `/join` floods of one room and of many,
//! join/part churn watched by another member, a burst of users joining one
//! room at once. The server must answer each line, stay consistent, and go
//! on serving.

use std::sync::{Arc, Barrier};
use std::thread;

use crate::support::{Client, shared_server};

use super::{fields_of, fresh_room, loner, pending};

#[test]
fn a_flood_of_joins_of_one_room_is_one_join_for_the_others() {
    let (mut amy, amy_name) = loner("flood");
    let (mut bo, _) = loner("watch");
    let room = fresh_room("flood");
    bo.join_room(&room);
    let burst: String = (0..1000).map(|_| format!("/join {room}\n")).collect();
    amy.send_raw(burst.as_bytes());
    let first = amy.through("HISTORY-END ");
    assert_eq!(first[0], format!("JOINED {room} 2 :"));
    for _ in 1..1000 {
        assert_eq!(
            amy.line(),
            format!("JOINED {room} 2 :"),
            "a switch, each time"
        );
    }
    assert!(amy.sync().is_empty());
    let joins = pending(&mut bo, &["JOIN"]);
    assert_eq!(joins.len(), 1, "{joins:?}");
    assert_eq!(fields_of(&joins[0], "JOIN")[1], amy_name);
}

#[test]
fn a_flood_of_joins_of_many_rooms_stops_at_the_cap_and_the_server_serves_on() {
    let (mut amy, _) = loner("flood");
    let rooms: Vec<String> = (0..300).map(|_| fresh_room("many")).collect();
    let burst: String = rooms.iter().map(|room| format!("/join {room}\n")).collect();
    amy.send_raw(burst.as_bytes());
    for room in &rooms[..64] {
        let answer = amy.through("HISTORY-END ");
        assert_eq!(answer[0], format!("JOINED {room} 1 :"));
    }
    for _ in 64..300 {
        assert!(amy.line().starts_with("ERROR too-many-rooms :"));
    }
    amy.send("/rooms");
    let listing = amy.through("ROOMS-END ");
    for room in &rooms[64..] {
        assert!(
            !listing
                .iter()
                .any(|line| line.contains(&format!("{room} "))),
            "{room}"
        );
    }
    let (mut other, _) = loner("other");
    other.send("/ping still");
    assert_eq!(other.line(), "PONG still");
}

/// Every `JOIN` a watcher sees is followed by that user's `PART` before its
/// next `JOIN`: churn never leaves a member in twice or out twice.
#[test]
fn join_part_churn_alternates_for_a_watcher() {
    let (mut amy, amy_name) = loner("churn");
    let (mut bo, _) = loner("watch");
    let room = fresh_room("churn");
    bo.join_room(&room);
    let burst: String = (0..300)
        .map(|n| format!("/join {room}\n/part {room} round {n}\n"))
        .collect();
    amy.send_raw(burst.as_bytes());
    for n in 0..300 {
        amy.through("HISTORY-END ");
        let part = amy.line();
        assert!(part.ends_with(&format!(" {room} :round {n}")), "{part}");
    }
    let seen = pending(&mut bo, &["JOIN", "PART"]);
    assert_eq!(seen.len(), 600);
    for (n, pair) in seen.chunks(2).enumerate() {
        assert_eq!(
            fields_of(&pair[0], "JOIN")[1..],
            [amy_name.as_str(), room.as_str()]
        );
        assert!(
            pair[1].ends_with(&format!(" {amy_name} {room} :round {n}")),
            "{pair:?}"
        );
    }
    bo.send(&format!("/who {room}"));
    assert_eq!(
        bo.through("USERS-END ").last().unwrap(),
        &format!("USERS-END 1 {room}")
    );
}

/// Sixteen users join one room at the same moment: each `JOINED` counts the
/// members so far, once each from 1 to 16, and `/who` lists all of them.
#[test]
fn many_users_joining_one_room_at_once_are_counted_once_each() {
    const USERS: usize = 16;
    let room = fresh_room("crowd");
    let start = Arc::new(Barrier::new(USERS));
    let joiners: Vec<_> = (0..USERS)
        .map(|_| {
            let (room, start) = (room.clone(), start.clone());
            thread::Builder::new()
                .name("crowd".into())
                .spawn(move || {
                    let (mut user, _) = loner("crowd");
                    start.wait();
                    let answer = user.join_room(&room);
                    let members: usize = fields_of(&answer[0], "JOINED")[1].parse().unwrap();
                    (user, members)
                })
                .unwrap()
        })
        .collect();
    let mut results: Vec<_> = joiners.into_iter().map(|t| t.join().unwrap()).collect();
    let mut counts: Vec<usize> = results.iter().map(|(_, members)| *members).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=USERS).collect::<Vec<_>>());
    let (user, _) = &mut results[0];
    user.send(&format!("/who {room}"));
    assert_eq!(
        user.through("USERS-END ").last().unwrap(),
        &format!("USERS-END {USERS} {room}")
    );
}

/// The last member parts an empty room while another user joins it: however
/// the two interleave, the joiner ends up the room's one member, and its
/// `JOINED` counts the members it found.
#[test]
fn joining_a_room_while_its_last_member_parts_leaves_one_consistent_room() {
    let (mut amy, amy_name) = loner("racepart");
    let (mut bo, bo_name) = loner("racejoin");
    for _ in 0..30 {
        let room = fresh_room("vanish");
        amy.join_room(&room);
        let barrier = Arc::new(Barrier::new(2));
        let (other, parted) = (barrier.clone(), room.clone());
        let parting = thread::Builder::new()
            .name("parting".into())
            .spawn(move || {
                other.wait();
                amy.send(&format!("/part {parted}"));
                amy.until("PART ");
                amy
            })
            .unwrap();
        barrier.wait();
        let answer = bo.join_room(&room);
        amy = parting.join().unwrap();
        let members = &fields_of(&answer[0], "JOINED")[1];
        bo.send(&format!("/who {room}"));
        let who = bo.through("USERS-END ");
        let end = who.len() - 1;
        assert_eq!(
            who[end - 1..],
            [format!("USERS :{bo_name}"), format!("USERS-END 1 {room}")]
        );
        if members == "2" {
            assert!(answer[1].contains(&amy_name), "{answer:?}");
        } else {
            assert_eq!(members, "1", "{answer:?}");
        }
        bo.send(&format!("/part {room}"));
        while !bo.until("PART ").contains(&format!(" {bo_name} ")) {}
    }
}

/// A room whose member list outgrows one server line: `USERS` is split over
/// lines of at most 8192 bytes, no name is cut, and `USERS-END` counts them
/// all, for `/who <room>` and for the `JOINED` run alike.
#[test]
fn a_crowded_rooms_member_list_is_split_within_the_line_limit() {
    const CROWD: usize = 260;
    let room = fresh_room("crowded");
    let mut crowd: Vec<(Client, String)> = (0..CROWD)
        .map(|n| {
            let name = format!("{}{n}", "w".repeat(28));
            let mut client = Client::hello_v2(shared_server());
            client.register(&name);
            client.leave_lobby(&name);
            client.join_room(&room);
            (client, name)
        })
        .collect();
    let (last, _) = loner("crowdlast");
    let mut last = last;
    let answer = last.join_room(&room);
    let users = &answer[1..answer.len() - 2];
    let names: Vec<&str> = users
        .iter()
        .flat_map(|line| {
            assert!(line.len() < 8192, "{} bytes", line.len() + 1);
            line.strip_prefix("USERS :").unwrap().split(' ')
        })
        .collect();
    assert!(users.len() > 1, "one line could not hold {CROWD} names");
    assert_eq!(names.len(), CROWD + 1);
    assert_eq!(
        answer[answer.len() - 2],
        format!("USERS-END {} {room}", CROWD + 1)
    );
    for (_, name) in &crowd {
        assert!(names.contains(&name.as_str()), "{name}");
    }
    let (first, _) = &mut crowd[0];
    first.send(&format!("/who {room}"));
    let who = first.through("USERS-END ");
    assert_eq!(
        who.last().unwrap(),
        &format!("USERS-END {} {room}", CROWD + 1)
    );
}
