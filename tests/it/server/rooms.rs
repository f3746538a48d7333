//! Rooms in the server beyond the protocol's rows (those are in
//! `tests/it/rooms/`): the migration from a one-room database, what
//! survives a restart, who comes back to which rooms, the cap on rooms per
//! client, `LEAVE` once per user, and rooms that leave nothing behind.

use std::path::Path;

use chatroom::server::accounts::Accounts;
use chatroom::server::{DATABASE_FILE, DataDir, ServerOptions, Storage};

use crate::support::{Client, TestServer};

fn durable(dir: &Path) -> ServerOptions {
    ServerOptions {
        storage: Storage::Durable(DataDir::lock(dir).expect("lock the data directory")),
        accounts: Some(dir.to_owned()),
        ..crate::support::unthrottled()
    }
}

/// Reads lines up to and including the first that starts with `prefix`.
fn through(client: &mut Client, prefix: &str) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = client.line();
        let done = line.starts_with(prefix);
        lines.push(line);
        if done {
            return lines;
        }
    }
}

#[test]
fn a_one_room_database_becomes_the_lobbys_history() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The schema and rows as the one-room server wrote them.
        let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        conn.execute_batch(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,
             sender TEXT NOT NULL, recipient TEXT, text TEXT NOT NULL);
             INSERT INTO messages VALUES (41, 1763717398002, 'bob', NULL, 'anyone here?');
             INSERT INTO messages VALUES (42, 1763717399000, 'bob', 'alice', 'psst');
             INSERT INTO messages VALUES (43, 1763717400123, 'alice', NULL, 'hi bob');",
        )
        .unwrap();
    }
    let server = TestServer::start(durable(dir.path()));
    let mut carol = server.connect();
    carol.send("carol");
    let welcome = through(&mut carol, "HISTORY-END ");
    assert_eq!(
        welcome[3..],
        [
            "HISTORY 41 2025-11-21T09:29:58.002Z bob #lobby :anyone here?",
            "HISTORY 43 2025-11-21T09:30:00.123Z alice #lobby :hi bob",
            "HISTORY-END 2 #lobby",
        ],
        "{welcome:?}"
    );
    carol.send("after the upgrade");
    assert!(
        carol
            .expect("MSG 44 ")
            .ends_with(" carol #lobby :after the upgrade")
    );
    carol.send("/history #LOBBY 1");
    assert!(carol.expect("HISTORY 44 ").ends_with(":after the upgrade"));
    carol.expect("HISTORY-END 1 #lobby");
}

#[test]
fn rooms_topics_and_history_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(durable(dir.path()));
    let mut alice = server.join("alice");
    alice.send("/join #Rust");
    through(&mut alice, "HISTORY-END ");
    alice.send("/topic #rust borrowck club");
    alice.expect("TOPIC ");
    alice.send("in rust");
    alice.expect("MSG ");
    alice.send("/join #quiet");
    through(&mut alice, "HISTORY-END ");
    drop(alice);
    server.stop();

    let server = TestServer::start(durable(dir.path()));
    let mut bob = server.join("bob");
    bob.send("/rooms");
    assert_eq!(
        through(&mut bob, "ROOMS-END"),
        ["ROOM #lobby 1 :", "ROOMS-END 1"],
        "rooms are listed while they have members"
    );
    bob.send("/join #RUST");
    let joined = through(&mut bob, "HISTORY-END ");
    assert_eq!(joined[0], "JOINED #Rust 1 :borrowck club", "as created");
    assert!(joined[3].ends_with(" alice #Rust :in rust"), "{joined:?}");
    assert_eq!(joined[4], "HISTORY-END 1 #Rust");
    bob.send("/topic #rust");
    assert!(
        bob.expect("TOPIC ")
            .ends_with(" alice #Rust :borrowck club")
    );
    bob.send("/topic #QUIET");
    assert!(
        bob.expect("TOPIC ").ends_with(" - #QUIET :"),
        "a room with nothing stored is gone with its members"
    );
}

#[test]
fn an_account_comes_back_to_its_rooms_and_a_guest_to_the_lobby() {
    let dir = tempfile::tempdir().unwrap();
    Accounts::in_dir(dir.path())
        .add("alice", "correct horse")
        .unwrap();
    let server = TestServer::start(durable(dir.path()));
    let login = |server: &TestServer| {
        let mut alice = server.connect();
        alice.send("/login alice correct horse");
        alice.expect("WELCOME alice ");
        alice.until("HISTORY-END 0 #lobby");
        alice
    };
    let mut alice = login(&server);
    for room in ["#a", "#b", "#c"] {
        alice.send(&format!("/join {room}"));
        through(&mut alice, "HISTORY-END ");
    }
    alice.send("/part #b");
    alice.expect("PART ");
    let mut guest = server.join("guest");
    guest.send("/join #a");
    through(&mut guest, "HISTORY-END ");
    alice.send("/quit");
    guest.send("/quit");
    alice.until("BYE ");
    guest.until("BYE ");
    drop((alice, guest));
    server.stop();

    let server = TestServer::start(durable(dir.path()));
    let mut alice = login(&server);
    let back = through(&mut alice, "HISTORY-END 0 #c");
    let joined: Vec<&String> = back.iter().filter(|l| l.starts_with("JOINED ")).collect();
    assert_eq!(joined, ["JOINED #a 1 :", "JOINED #c 1 :"], "{back:?}");
    alice.send("where am I?");
    assert!(
        alice.expect("MSG ").ends_with(" alice #c :where am I?"),
        "the last room rejoined is current"
    );
    let mut guest = server.join("guest");
    guest.send("/ping");
    assert_eq!(guest.line(), "PONG -", "a guest is only in the lobby");
}

#[test]
fn a_client_is_in_at_most_max_rooms_the_lobby_included() {
    let server = TestServer::start(ServerOptions {
        max_rooms: 3,
        ..crate::support::unthrottled()
    });
    let mut alice = server.join("alice");
    for room in ["#a", "#b"] {
        alice.send(&format!("/join {room}"));
        through(&mut alice, "HISTORY-END ");
    }
    alice.send("/join #c");
    alice.expect("ERROR too-many-rooms :You are in 3 rooms");
    alice.send("/join #A");
    assert_eq!(alice.line(), "JOINED #a 1 :", "switching always works");
    alice.send("hi a");
    assert!(alice.expect("MSG ").ends_with(" alice #a :hi a"));
    alice.send("/part");
    alice.expect("PART ");
    alice.send("/join #c");
    assert_eq!(alice.line(), "JOINED #c 1 :");
}

#[test]
fn a_user_leaving_is_told_once_to_each_who_shares_a_room() {
    let server = TestServer::start(crate::support::unthrottled());
    let mut alice = server.join("alice");
    let mut bob = server.join("bob");
    let mut loner = server.join("loner");
    alice.until("JOIN ");
    alice.until("JOIN ");
    bob.until("JOIN ");
    for room in ["#x", "#y"] {
        alice.send(&format!("/join {room}"));
        through(&mut alice, "HISTORY-END ");
        bob.send(&format!("/join {room}"));
        through(&mut bob, "HISTORY-END ");
        alice.until("JOIN ");
    }
    loner.send("/part #lobby");
    loner.expect("PART ");
    alice.until("PART ");
    bob.until("PART ");
    bob.send("/quit gone");
    assert!(alice.until("LEAVE ").ends_with(" bob :gone"));
    assert!(
        alice.sync().is_empty(),
        "one LEAVE for three shared rooms, and no PART"
    );
    assert!(
        loner.sync().is_empty(),
        "nothing for one who shares no room"
    );
    loner.send("/join #x");
    through(&mut loner, "HISTORY-END ");
    alice.until("JOIN ");
    loner.send("/quit");
    assert!(
        alice.until("LEAVE ").ends_with(" loner :quit"),
        "its one room"
    );
    assert!(alice.sync().is_empty());
}

#[test]
fn rooms_joined_and_parted_leave_nothing_behind() {
    let server = TestServer::start(ServerOptions {
        max_rooms: 2,
        ..crate::support::unthrottled()
    });
    let mut alice = server.join("alice");
    for i in 0..300 {
        alice.send(&format!("/join #churn{i}"));
        alice.send("/part");
    }
    alice.send("/rooms");
    assert_eq!(
        alice.until("ROOM"),
        "ROOM #lobby 1 :",
        "only the lobby has members"
    );
    assert_eq!(alice.line(), "ROOMS-END 1");
    alice.send("/topic #churn7");
    assert!(
        alice.expect("TOPIC ").ends_with(" - #churn7 :"),
        "forgotten"
    );
}

#[test]
fn the_default_room_is_left_and_joined_again_like_any_room() {
    let server = TestServer::start(crate::support::unthrottled());
    let mut alice = server.join("alice");
    let mut bob = server.join("bob");
    alice.until("JOIN ");
    alice.send("/part #LOBBY brb");
    assert!(alice.expect("PART ").ends_with(" alice #lobby :brb"));
    assert!(bob.expect("PART ").ends_with(" alice #lobby :brb"));
    bob.send("/who #lobby");
    assert_eq!(bob.line(), "USERS :bob");
    assert_eq!(bob.line(), "USERS-END 1 #lobby");
    bob.send("/rooms");
    assert_eq!(bob.line(), "ROOM #lobby 1 :");
    assert_eq!(bob.line(), "ROOMS-END 1");
    bob.send("while you were out");
    bob.expect("MSG ");
    alice.send("/join #lobby");
    let joined = through(&mut alice, "HISTORY-END ");
    assert_eq!(
        joined[..3],
        [
            "JOINED #lobby 2 :",
            "USERS :alice bob",
            "USERS-END 2 #lobby"
        ]
    );
    assert!(
        joined[3].ends_with(" bob #lobby :while you were out"),
        "{joined:?}"
    );
    assert!(bob.until("JOIN ").ends_with(" alice #lobby"));
    alice.send("back");
    assert!(bob.expect("MSG ").ends_with(" alice #lobby :back"));
}
