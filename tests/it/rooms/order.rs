//! The order promise: within a room, ids strictly increase in the order its
//! members receive its messages, and every member receives them in that one
//! order, with senders in several rooms at once. Ids are unique server-wide.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Barrier};
use std::thread;

use crate::support::Client;

use super::{fields_of, fresh_room, loner, text_of};

const ROOMS: usize = 4;
const MESSAGES_PER_SENDER: usize = 40;

/// Who is in which room: user `u` is in rooms `u % ROOMS` and `(u + 1) %
/// ROOMS`, so every room has members from two neighbours and every user
/// hears two rooms; every user sends to both its rooms.
fn rooms_of(user: usize) -> [usize; 2] {
    [user % ROOMS, (user + 1) % ROOMS]
}

/// (room, id, text) of every `MSG` a member receives, in arrival order.
type Received = Vec<(String, u64, String)>;

#[test]
fn every_member_of_a_room_gets_its_messages_in_one_increasing_order() {
    let users = 2 * ROOMS;
    let rooms: Vec<String> = (0..ROOMS).map(|_| fresh_room("order")).collect();
    let mut clients: Vec<Client> = Vec::new();
    for user in 0..users {
        let (mut client, _) = loner("order");
        for room in rooms_of(user) {
            client.join_room(&rooms[room]);
        }
        clients.push(client);
    }
    // Every member gets every message of its two rooms: 4 senders per room.
    let expected = 2 * 4 * MESSAGES_PER_SENDER;
    let start = Arc::new(Barrier::new(users));
    let threads: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(user, client)| {
            let start = start.clone();
            let rooms = rooms.clone();
            thread::Builder::new()
                .name(format!("order-{user}"))
                .spawn(move || send_and_receive(client, user, &rooms, &start, expected))
                .unwrap()
        })
        .collect();
    let received: Vec<(usize, Received)> = threads
        .into_iter()
        .enumerate()
        .map(|(user, thread)| (user, thread.join().unwrap()))
        .collect();

    let mut per_room: BTreeMap<&str, Vec<(u64, String)>> = BTreeMap::new();
    let mut ids = HashSet::new();
    for (user, messages) in &received {
        for room in rooms_of(*user).map(|r| rooms[r].as_str()) {
            let sequence: Vec<(u64, String)> = messages
                .iter()
                .filter(|(r, _, _)| r == room)
                .map(|(_, id, text)| (*id, text.clone()))
                .collect();
            assert_eq!(sequence.len(), 4 * MESSAGES_PER_SENDER, "{room}");
            assert!(
                sequence.windows(2).all(|w| w[0].0 < w[1].0),
                "user {user}: ids in {room} increase as they arrive"
            );
            match per_room.get(room) {
                Some(first) => assert_eq!(first, &sequence, "one order for all of {room}"),
                None => {
                    per_room.insert(room, sequence);
                }
            }
        }
        ids.extend(messages.iter().map(|(_, id, _)| *id));
    }
    assert_eq!(
        ids.len(),
        ROOMS * 4 * MESSAGES_PER_SENDER,
        "ids are unique server-wide"
    );
    for sequence in per_room.values() {
        for user in 0..users {
            let own: Vec<usize> = sequence
                .iter()
                .filter_map(|(_, text)| text.strip_prefix(&format!("u{user} ")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert!(
                own.windows(2).all(|w| w[0] < w[1]),
                "a sender's order is kept"
            );
        }
    }
}

/// One user: sends its messages alternately to its two rooms with `/say`,
/// reading as it goes, then reads until it has `expected` messages.
fn send_and_receive(
    mut client: Client,
    user: usize,
    rooms: &[String],
    start: &Barrier,
    expected: usize,
) -> Received {
    start.wait();
    let mut received = Received::new();
    for n in 0..2 * MESSAGES_PER_SENDER {
        let room = &rooms[rooms_of(user)[n % 2]];
        client.send(&format!("/say {room} u{user} {n}"));
        if n % 8 == 7 {
            read_one(&mut client, &mut received);
        }
    }
    while received.len() < expected {
        read_one(&mut client, &mut received);
    }
    received
}

/// Reads one line, keeping it if it is a `MSG` (the others are the `JOIN`s of
/// members who joined after this one).
fn read_one(client: &mut Client, received: &mut Received) {
    let line = client.line();
    if line.starts_with("JOIN ") {
        return;
    }
    let fields = fields_of(&line, "MSG");
    received.push((
        fields[3].clone(),
        fields[0].parse().unwrap(),
        text_of(&line),
    ));
}

/// Choice: topics are ordered with the room's messages. Two members set
/// topics and talk at once: all three members see the same sequence, and
/// the topic the room keeps is the last one each of them saw.
#[test]
fn topics_and_messages_set_at_once_reach_every_member_in_one_order() {
    const ROUNDS: usize = 50;
    let room = fresh_room("topics");
    let mut members: Vec<Client> = (0..3)
        .map(|_| {
            let (mut client, _) = loner("topical");
            client.join_room(&room);
            client
        })
        .collect();
    let mut watcher = members.pop().unwrap();
    let writers: Vec<_> = members
        .into_iter()
        .enumerate()
        .map(|(writer, mut client)| {
            let room = room.clone();
            thread::Builder::new()
                .name(format!("topic-{writer}"))
                .spawn(move || {
                    let burst: String = (0..ROUNDS)
                        .map(|n| {
                            format!("/topic {room} w{writer} {n}\n/say {room} m{writer} {n}\n")
                        })
                        .collect();
                    client.send_raw(burst.as_bytes());
                    events(&mut client, 4 * ROUNDS)
                })
                .unwrap()
        })
        .collect();
    let seen: Vec<Vec<String>> = writers.into_iter().map(|t| t.join().unwrap()).collect();
    let watched = events(&mut watcher, 4 * ROUNDS);
    assert_eq!(seen[0], watched, "writer 0 and the watcher");
    assert_eq!(seen[1], watched, "writer 1 and the watcher");
    let last_topic = watched
        .iter()
        .rev()
        .find(|e| e.starts_with("TOPIC "))
        .unwrap();
    watcher.send(&format!("/topic {room}"));
    let now = watcher.until("TOPIC "); // after the writers' LEAVEs
    assert_eq!(
        format!("TOPIC {}", text_of(&now)),
        *last_topic,
        "the room keeps the last topic its members saw"
    );
}

/// The next `count` `TOPIC` and `MSG` lines, as kind and text (a `MSG` with
/// its id), skipping the `JOIN`s of later members.
fn events(client: &mut Client, count: usize) -> Vec<String> {
    let mut events = Vec::new();
    while events.len() < count {
        let line = client.line();
        if line.starts_with("TOPIC ") {
            events.push(format!("TOPIC {}", text_of(&line)));
        } else if line.starts_with("MSG ") {
            events.push(format!(
                "MSG {} {}",
                fields_of(&line, "MSG")[0],
                text_of(&line)
            ));
        }
    }
    events
}
