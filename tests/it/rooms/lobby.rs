//! The default room and version-1 clients: `HELLO` says version 2; a raw
//! socket that never speaks of rooms sees the version-1 lines, each changed
//! one with the room as a new last field and nothing else new; `WELCOME`
//! still counts everyone; the default room is left and joined like any.

use chatroom::protocol::ServerLine;

use crate::support::{Client, TestServer, split};

#[test]
fn hello_announces_version_2() {
    let server = TestServer::ephemeral();
    let mut raw = Client::connect(server.addr);
    let hello = raw.line();
    let (kind, fields, text) = split(&hello);
    assert_eq!(
        (kind.as_str(), &fields[..]),
        ("HELLO", &["chatroom".to_owned(), "2".to_owned()][..])
    );
    assert!(!text.unwrap_or_default().is_empty(), "{hello}");
}

/// Two `nc` users: every line is the version-1 line with ` #lobby` added as
/// its last field where the contract says, byte for byte, and the crate's
/// parser reads every one. First the welcome run and the others' `JOIN`.
#[test]
fn a_version_1_welcome_is_the_version_1_run_with_the_room_last() {
    let server = TestServer::ephemeral();
    let mut bob = Client::hello_v2(server.addr);
    bob.register("bob");
    bob.send("anyone here?");
    let first = bob.line();
    let mut alice = Client::hello_v2(server.addr);
    alice.send("alice");
    let seen: Vec<String> = (0..5).map(|_| alice.line()).collect();
    let (id, ts) = first_id_and_ts(&first);
    assert_eq!(
        seen,
        [
            "WELCOME alice 2 :Welcome to the chatroom, alice! Type /help for commands.".to_owned(),
            "USERS :alice bob".to_owned(),
            "USERS-END 2 #lobby".to_owned(),
            format!("HISTORY {id} {ts} bob #lobby :anyone here?"),
            "HISTORY-END 1 #lobby".to_owned(),
        ]
    );
    let join = bob.line();
    assert!(
        join.starts_with("JOIN ") && join.ends_with(" alice #lobby"),
        "{join}"
    );
    assert!(alice.sync().is_empty(), "nothing new, no JOINED");
    version_1_parses(&[&seen[..], &[first, join]].concat());
}

/// Then chatting: `MSG` with the room, `PRIV` and `LEAVE` unchanged, `/who`
/// as in version 1, `/history` of the default room.
#[test]
fn a_version_1_chat_is_the_version_1_lines_with_the_room_last() {
    let server = TestServer::ephemeral();
    let mut bob = Client::hello_v2(server.addr);
    bob.register("bob");
    let mut alice = Client::hello_v2(server.addr);
    alice.register("alice");
    bob.expect("JOIN ");
    alice.send("hi bob");
    let msg = alice.line();
    assert_eq!(bob.line(), msg, "the same line to both");
    assert!(
        msg.starts_with("MSG ") && msg.ends_with(" alice #lobby :hi bob"),
        "{msg}"
    );
    alice.send("/msg bob see you at 10");
    let private = alice.line();
    assert_eq!(split(&private).1.len(), 4, "PRIV is unchanged: {private}");
    assert!(private.ends_with(" alice bob :see you at 10"), "{private}");
    assert_eq!(bob.line(), private);
    alice.send("/who");
    let who = [alice.line(), alice.line()];
    assert_eq!(
        who,
        ["USERS :alice bob", "USERS-END 2"],
        "/who as in version 1"
    );
    alice.send("/history");
    let replay = alice.through("HISTORY-END ");
    assert_eq!(replay.len(), 2, "the default room's message: {replay:?}");
    assert_eq!(replay[1], "HISTORY-END 1 #lobby");
    alice.send("/quit lunch");
    assert_eq!(alice.line(), "BYE :goodbye");
    let leave = bob.line();
    assert!(
        leave.starts_with("LEAVE ") && leave.ends_with(" alice :lunch"),
        "{leave}"
    );
    assert_eq!(split(&leave).1.len(), 2, "LEAVE is unchanged: {leave}");
    version_1_parses(&[&[msg, private, leave][..], &who, &replay].concat());
}

/// Every line reads with this crate's parser, `ServerLine`.
fn version_1_parses(lines: &[String]) {
    for line in lines {
        if let Err(e) = ServerLine::parse(line) {
            panic!("ServerLine refuses {line:?}: {e}");
        }
    }
}

fn first_id_and_ts(msg: &str) -> (String, String) {
    let (_, fields, _) = split(msg);
    (fields[0].clone(), fields[1].clone())
}

/// `WELCOME` counts everyone online; its `USERS` run lists the default
/// room's members only; `/who` without a room lists everyone.
#[test]
fn welcome_counts_everyone_and_lists_the_default_rooms_members() {
    let server = TestServer::ephemeral();
    let mut carol = Client::hello_v2(server.addr);
    carol.register("carol");
    carol.leave_lobby("carol");
    let mut dave = Client::hello_v2(server.addr);
    dave.register("dave");
    let mut eve = Client::hello_v2(server.addr);
    let run = eve.register("eve");
    assert_eq!(
        run[0],
        "WELCOME eve 3 :Welcome to the chatroom, eve! Type /help for commands."
    );
    assert_eq!(
        run[1..],
        [
            "USERS :dave eve",
            "USERS-END 2 #lobby",
            "HISTORY-END 0 #lobby"
        ]
    );
    assert!(
        carol.sync().is_empty(),
        "carol, in no room, hears of no JOIN"
    );
    assert!(dave.line().ends_with(" eve #lobby"));
    eve.send("/who");
    assert_eq!(eve.line(), "USERS :carol dave eve");
    assert_eq!(eve.line(), "USERS-END 3");
}

/// Leaving the default room and coming back is a `/join` like any other.
#[test]
fn the_default_room_can_be_left_and_joined_again() {
    let server = TestServer::ephemeral();
    let mut amy = Client::hello_v2(server.addr);
    amy.register("amy");
    amy.send("before");
    amy.line();
    amy.leave_lobby("amy");
    amy.send("/join #LOBBY");
    let answer = amy.through("HISTORY-END ");
    assert_eq!(answer[0], "JOINED #lobby 1 :");
    assert_eq!(answer[1..3], ["USERS :amy", "USERS-END 1 #lobby"]);
    assert!(answer[3].ends_with(" amy #lobby :before"), "{answer:?}");
    assert_eq!(answer[4], "HISTORY-END 1 #lobby");
}
