//! Rooms through a restart of the real binary on the same data directory: a
//! room's name as created, its topic, its messages and its order survive;
//! ids keep increasing; Choice: an account comes back to its rooms.

use std::time::Duration;

use chatroom::server::accounts::Accounts;

use crate::support::{Client, ServerProcess};

use super::{fields_of, text_of};

const EXIT_DEADLINE: Duration = Duration::from_secs(10);

fn start(data: &str) -> ServerProcess {
    ServerProcess::start(&["--data-dir", data])
}

fn stop(server: ServerProcess) {
    let (status, _) = server.terminate_within(EXIT_DEADLINE);
    assert!(status.success(), "{status}");
}

#[test]
fn a_rooms_name_topic_and_messages_survive_a_restart_and_ids_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = start(data);
    let mut amy = Client::hello_v2(server.addr);
    amy.register("amy");
    amy.send("in the lobby");
    amy.expect("MSG ");
    amy.join_room("#Durable-Room");
    amy.send("/topic #durable-room plans: ship it");
    amy.send("first");
    amy.send("second");
    let before = amy.through("MSG ");
    let sent = [before.last().unwrap().clone(), amy.line()];
    let last_id: u64 = fields_of(&sent[1], "MSG")[0].parse().unwrap();
    stop(server);

    let server = start(data);
    let mut bo = Client::hello_v2(server.addr);
    let run = bo.register("bo");
    assert!(run[3].ends_with(" amy #lobby :in the lobby"), "{run:?}");
    assert_eq!(
        run[4], "HISTORY-END 1 #lobby",
        "the default room's own history"
    );
    bo.send("/rooms");
    assert_eq!(
        bo.through("ROOMS-END ").last().unwrap(),
        "ROOMS-END 1",
        "only the default room has members"
    );
    let answer = bo.join_room("#DURABLE-ROOM");
    assert_eq!(answer[0], "JOINED #Durable-Room 1 :plans: ship it");
    for (replayed, original) in answer[3..5].iter().zip(&sent) {
        assert_eq!(fields_of(replayed, "HISTORY"), fields_of(original, "MSG"));
        assert_eq!(text_of(replayed), text_of(original));
    }
    assert_eq!(answer[5], "HISTORY-END 2 #Durable-Room");
    bo.send("/topic #durable-room");
    assert!(bo.line().ends_with(" amy #Durable-Room :plans: ship it"));
    bo.send("third");
    let third = fields_of(&bo.line(), "MSG");
    assert!(
        third[0].parse::<u64>().unwrap() > last_id,
        "ids go on after a restart"
    );
    assert_eq!(third[3], "#Durable-Room");
    stop(server);
}

/// Choice: a user who logs in to an account comes back to the rooms it was
/// in, in the order it joined them, after the default room's run; the last
/// is current. A restart does not change that.
#[test]
fn an_account_comes_back_to_its_rooms_after_a_restart() {
    const PASSWORD: &str = "correct horse battery";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    Accounts::in_dir(dir.path()).add("alice", PASSWORD).unwrap();
    let server = start(data);
    let mut alice = Client::hello_v2(server.addr);
    alice.send(&format!("/login alice {PASSWORD}"));
    alice.expect("WELCOME alice ");
    alice.through("HISTORY-END ");
    alice.join_room("#one");
    alice.join_room("#Two");
    alice.send("/quit");
    alice.through("BYE ");
    stop(server);

    let server = start(data);
    let mut alice = Client::hello_v2(server.addr);
    alice.send(&format!("/login alice {PASSWORD}"));
    alice.expect("WELCOME alice ");
    assert_eq!(
        alice.through("HISTORY-END ").last().unwrap(),
        "HISTORY-END 0 #lobby"
    );
    let one = alice.through("HISTORY-END ");
    assert_eq!(one[0], "JOINED #one 1 :");
    let two = alice.through("HISTORY-END ");
    assert_eq!(two[0], "JOINED #Two 1 :");
    alice.send("where am I?");
    assert!(alice.line().ends_with(" alice #Two :where am I?"));
    stop(server);
}

/// What a member has seen is stored: a room's topic and messages survive
/// `kill -9` of the server as well as a clean stop.
#[test]
fn what_a_member_saw_in_a_room_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = start(data);
    let mut amy = Client::hello_v2(server.addr);
    amy.register("amy");
    amy.join_room("#Crash");
    amy.send("/topic #crash survived");
    amy.expect("TOPIC ");
    amy.send("/say #crash seen");
    let seen = amy.expect("MSG ");
    server.signal("KILL");

    let server = start(data);
    let mut bo = Client::hello_v2(server.addr);
    bo.register("bo");
    let answer = bo.join_room("#crash");
    assert_eq!(answer[0], "JOINED #Crash 1 :survived");
    assert_eq!(fields_of(&answer[3], "HISTORY"), fields_of(&seen, "MSG"));
    stop(server);
}

/// A room with only a topic is forgotten, topic and all, when its last member
/// leaves the server, and stays so through a restart; a room forgotten and
/// made anew does not get its old topic back with its first message.
#[test]
fn a_room_with_only_a_topic_does_not_come_back_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = start(data);
    let mut amy = Client::hello_v2(server.addr);
    amy.register("amy");
    amy.join_room("#Topical");
    amy.send("/topic #topical only a topic");
    amy.expect("TOPIC ");
    amy.join_room("#Again");
    amy.send("/topic #again the old one");
    amy.expect("TOPIC ");
    amy.send("/part #again");
    amy.expect("PART ");
    let mut bo = Client::hello_v2(server.addr);
    bo.register("bo");
    assert_eq!(bo.join_room("#AGAIN")[0], "JOINED #AGAIN 1 :");
    bo.send("a new start");
    bo.expect("MSG ");
    stop(server);

    let server = start(data);
    let mut cy = Client::hello_v2(server.addr);
    cy.register("cy");
    assert_eq!(cy.join_room("#TOPICAL")[0], "JOINED #TOPICAL 1 :");
    assert_eq!(cy.join_room("#again")[0], "JOINED #AGAIN 1 :");
    stop(server);
}

/// Choice: an account comes back to exactly its rooms: out of the default
/// room again if it had left it (a `PART` after the `WELCOME` run), and
/// into every remembered room even when `--max-rooms` was lowered since,
/// with no `ERROR` it did not cause; only its next `/join` meets the cap.
/// An account that was in no room comes back to the default room alone.
#[test]
fn an_account_comes_back_to_exactly_its_rooms_even_above_a_lowered_cap() {
    const PASSWORD: &str = "correct horse battery";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    Accounts::in_dir(dir.path()).add("alice", PASSWORD).unwrap();
    let login = |server: &ServerProcess| {
        let mut alice = Client::hello_v2(server.addr);
        alice.send(&format!("/login alice {PASSWORD}"));
        alice.expect("WELCOME alice ");
        alice.through("HISTORY-END ");
        let run = alice.sync();
        assert!(
            run.iter().all(|line| !line.starts_with("ERROR ")),
            "{run:#?}"
        );
        (alice, run)
    };
    let server = ServerProcess::start(&["--data-dir", data, "--max-rooms", "3"]);
    let (mut alice, _) = login(&server);
    alice.leave_lobby("alice");
    alice.join_room("#first");
    alice.join_room("#Second");
    alice.send("/quit");
    alice.through("BYE ");
    stop(server);

    let server = ServerProcess::start(&["--data-dir", data, "--max-rooms", "1"]);
    let (mut alice, run) = login(&server);
    let kinds: Vec<&str> = run
        .iter()
        .filter(|line| line.starts_with("PART ") || line.starts_with("JOINED "))
        .map(|line| {
            line.rsplit_once(" :")
                .map_or(line.as_str(), |(head, _)| head)
        })
        .collect();
    assert_eq!(kinds.len(), 3, "{run:#?}");
    assert!(kinds[0].starts_with("PART ") && kinds[0].ends_with(" alice #lobby"));
    assert_eq!(kinds[1..], ["JOINED #first 1", "JOINED #Second 1"]);
    alice.send("/join #third");
    assert!(alice.line().starts_with("ERROR too-many-rooms "));
    alice.send("/part #first");
    alice.expect("PART ");
    alice.send("/part #second");
    alice.expect("PART ");
    alice.send("/quit");
    alice.through("BYE ");

    let (_, run) = login(&server);
    assert!(
        run.iter()
            .all(|line| !line.starts_with("PART ") && !line.starts_with("JOINED ")),
        "in no room: the default room alone: {run:#?}"
    );
    stop(server);
}
