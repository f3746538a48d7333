//! The server options of version 2, through the real binary: the default
//! room's name (`--default-room`) and the cap on rooms per client
//! (`--max-rooms`, the default room included).

use std::time::Duration;

use crate::support::{Client, ServerProcess, output_within, server_command};

use super::fields_of;

/// `--default-room` (the server option, through the real binary) names the
/// room every client lands in, spelled as the option spells it.
#[test]
fn the_default_room_is_a_server_option() {
    let server = ServerProcess::start(&["--ephemeral", "--default-room", "#Main"]);
    let mut amy = Client::connect(server.addr);
    amy.expect("HELLO chatroom 2 :");
    let run = amy.register("amy");
    assert_eq!(
        run[1..],
        ["USERS :amy", "USERS-END 1 #Main", "HISTORY-END 0 #Main"]
    );
    amy.send("hello");
    assert!(amy.line().ends_with(" amy #Main :hello"));
    amy.send("/join #lobby");
    assert_eq!(
        amy.line(),
        "JOINED #lobby 1 :",
        "#lobby is an ordinary room there"
    );
}

/// Choice: a `--default-room` that names a stored room in another case is
/// that room, and every line spells it as stored, the registration run too.
#[test]
fn a_default_room_named_in_another_case_keeps_its_stored_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = ServerProcess::start(&["--data-dir", data]);
    let mut amy = Client::hello_v2(server.addr);
    amy.register("amy");
    amy.send("stored in #lobby");
    amy.expect("MSG ");
    let (status, _) = server.terminate_within(Duration::from_secs(10));
    assert!(status.success(), "{status}");

    let server = ServerProcess::start(&["--data-dir", data, "--default-room", "#LOBBY"]);
    let mut bo = Client::hello_v2(server.addr);
    let run = bo.register("bo");
    assert_eq!(
        run[2..],
        [
            "USERS-END 1 #lobby",
            run[3].as_str(),
            "HISTORY-END 1 #lobby"
        ]
    );
    assert!(run[3].ends_with(" amy #lobby :stored in #lobby"), "{run:?}");
    bo.send("hi");
    assert!(bo.line().ends_with(" bo #lobby :hi"));
    let mut cy = Client::hello_v2(server.addr);
    cy.register("cy");
    assert_eq!(
        fields_of(&bo.expect("JOIN "), "JOIN")[1..],
        ["cy", "#lobby"]
    );
}

/// Choice: `--max-rooms` counts the default room; a `/join` past the cap is
/// refused and changes nothing; switching to a room one is in still works.
#[test]
fn the_rooms_per_client_cap_is_a_server_option() {
    let server = ServerProcess::start(&["--ephemeral", "--max-rooms", "2"]);
    let mut amy = Client::hello_v2(server.addr);
    amy.register("amy");
    amy.join_room("#second");
    amy.send("/join #third");
    let refusal = amy.line();
    assert!(refusal.starts_with("ERROR too-many-rooms :"), "{refusal}");
    amy.send("/who #third");
    assert_eq!(amy.line(), "USERS-END 0 #third");
    amy.send("/join #lobby");
    assert_eq!(fields_of(&amy.line(), "JOINED")[0], "#lobby");
    amy.send("/part #second");
    amy.line();
    assert_eq!(amy.join_room("#third")[0], "JOINED #third 1 :");
}

/// Found from outside: an account that left the default room and filled its
/// `--max-rooms` with others comes back to the default room (every client
/// is put there) and then gets `ERROR too-many-rooms` for one of its own
/// rooms: an `ERROR` that answers no line it sent, where the contract says
/// an `ERROR` means "your last line was refused". Whatever the server does
/// at the cap, nothing it sends at login may be an `ERROR`.
#[test]
fn an_account_at_the_cap_comes_back_without_an_error_it_did_not_cause() {
    const PASSWORD: &str = "correct horse battery";
    let dir = tempfile::tempdir().unwrap();
    chatroom::server::accounts::Accounts::in_dir(dir.path())
        .add("alice", PASSWORD)
        .unwrap();
    let data = dir.path().to_str().unwrap();
    let server = ServerProcess::start(&["--data-dir", data, "--max-rooms", "2"]);
    let mut alice = Client::hello_v2(server.addr);
    alice.send(&format!("/login alice {PASSWORD}"));
    alice.through("HISTORY-END ");
    alice.leave_lobby("alice");
    alice.join_room("#first");
    alice.join_room("#second");
    alice.send("/quit");
    alice.through("BYE ");

    let mut alice = Client::hello_v2(server.addr);
    alice.send(&format!("/login alice {PASSWORD}"));
    let run = alice.sync();
    assert!(
        run.iter().all(|line| !line.starts_with("ERROR ")),
        "{run:#?}"
    );
}

/// A default room that breaks the room rules, or a cap of no rooms, stops the
/// server before it listens, with a line saying what a room name is.
#[test]
fn a_bad_default_room_or_cap_refuses_to_start() {
    for (args, says) in [
        (&["--default-room", "lobby"][..], "starts with '#'"),
        (&["--default-room", "#"][..], "after the '#'"),
        (&["--default-room", "#a,b"][..], "ASCII letters, digits"),
        (&["--max-rooms", "0"][..], "--max-rooms"),
    ] {
        let output = output_within(
            server_command(&["--ephemeral", "--port", "0"]).args(args),
            Duration::from_secs(10),
        );
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: it never listened");
    }
}
