//! History: replay on join, `/history`, persistence across restarts, ids that
//! keep increasing, and durability of everything acknowledged under `kill -9`.

use chatroom::protocol::ServerLine;
use chatroom::server::{ServerOptions, Storage};

use crate::support::{ServerProcess, TestServer};

fn msg_id(line: &str) -> u64 {
    match ServerLine::parse(line).unwrap() {
        ServerLine::Msg { id, .. }
        | ServerLine::Priv { id, .. }
        | ServerLine::History { id, .. } => id,
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn replay_on_join_is_limited_to_the_configured_count() {
    let server = TestServer::start(ServerOptions {
        history_replay: 3,
        ..ServerOptions::default()
    });
    let mut alice = server.join("alice");
    for i in 1..=5 {
        alice.send(&format!("message {i}"));
        alice.expect("MSG ");
    }
    let mut bob = server.connect();
    bob.send("bob");
    bob.until("USERS-END");
    let replay: Vec<String> = (0..4).map(|_| bob.line()).collect();
    assert!(
        replay[0].ends_with(":message 3") && replay[2].ends_with(":message 5"),
        "{replay:?}"
    );
    assert_eq!(replay[3], "HISTORY-END 3 #lobby");
    bob.send("/history 1000");
    let mut all = Vec::new();
    loop {
        let line = bob.line();
        if line.starts_with("HISTORY-END") {
            assert_eq!(
                line, "HISTORY-END 5 #lobby",
                "/history reaches past the join replay"
            );
            break;
        }
        all.push(line);
    }
}

#[test]
fn history_and_ids_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::durable(dir.path());
    let mut alice = server.join("alice");
    let mut bob = server.join("bob");
    alice.until("JOIN ");
    alice.send("before restart");
    let first = msg_id(&alice.expect("MSG "));
    alice.send("/msg bob private before");
    let private = msg_id(&alice.expect("PRIV "));
    bob.until("PRIV ");
    drop((alice, bob));
    server.stop();

    let server = TestServer::durable(dir.path());
    let mut carol = server.connect();
    carol.send("carol");
    carol.until("USERS-END");
    let replayed = carol.line();
    assert!(
        replayed.ends_with(" alice #lobby :before restart"),
        "{replayed}"
    );
    assert_eq!(msg_id(&replayed), first);
    assert_eq!(
        carol.line(),
        "HISTORY-END 1 #lobby",
        "private messages are stored but not replayed to the room"
    );
    carol.send("after restart");
    let next = msg_id(&carol.expect("MSG "));
    assert!(
        next > private,
        "ids continue after a restart: {next} > {private}"
    );
}

#[test]
fn ephemeral_history_is_gone_after_a_restart() {
    let server = TestServer::ephemeral();
    let mut alice = server.join("alice");
    alice.send("fleeting");
    alice.expect("MSG ");
    drop(alice);
    server.stop();
    let server = TestServer::start(ServerOptions {
        storage: Storage::Ephemeral,
        ..ServerOptions::default()
    });
    let mut bob = server.connect();
    bob.send("bob");
    bob.until("USERS-END");
    assert_eq!(bob.line(), "HISTORY-END 0 #lobby");
}

#[test]
fn everything_acknowledged_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let server = ServerProcess::start(&["--data-dir", data_dir, "--flood-rate", "0"]);
    let mut alice = server.join("alice");
    let mut acknowledged = Vec::new();
    for i in 0..200 {
        alice.send(&format!("durable {i}"));
    }
    for _ in 0..200 {
        acknowledged.push(msg_id(&alice.until("MSG ")));
    }
    let status = server.signal("KILL");
    assert!(!status.success());

    let server = ServerProcess::start(&["--data-dir", data_dir, "--history", "1000"]);
    let mut bob = server.connect();
    bob.send("bob");
    bob.until("USERS-END");
    let mut replayed = Vec::new();
    loop {
        let line = bob.line();
        if line.starts_with("HISTORY-END") {
            break;
        }
        replayed.push(msg_id(&line));
    }
    assert_eq!(
        replayed, acknowledged,
        "every acknowledged message, in id order"
    );
    bob.send("after the crash");
    assert!(msg_id(&bob.expect("MSG ")) > *acknowledged.last().unwrap());
}
