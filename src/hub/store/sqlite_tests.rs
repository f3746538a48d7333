//! Tests of the SQLite store: migrations from older schemas, and what
//! survives reopening.

use super::*;
use crate::hub::message::TopicChange;

fn message(id: u64, audience: Audience) -> StoredMessage {
    StoredMessage {
        id,
        ts: timestamp(1_700_000_000_000 + id as i64),
        from: "alice".into(),
        audience,
        kind: Kind::Message,
        live_tags: None,
        text: format!("m{id}"),
    }
}

#[test]
fn a_version_one_database_becomes_the_default_rooms() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The schema as version 1 wrote it.
        let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        conn.execute_batch(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,
             sender TEXT NOT NULL, recipient TEXT, text TEXT NOT NULL);
             INSERT INTO messages VALUES (1, 1000, 'bob', NULL, 'first');
             INSERT INTO messages VALUES (2, 2000, 'bob', 'alice', 'private');
             INSERT INTO messages VALUES (3, 3000, 'alice', NULL, 'second');",
        )
        .unwrap();
    }
    let mut store = SqliteStore::open(dir.path(), "#lobby").unwrap();
    let loaded = store.load("#lobby", 50).unwrap();
    assert_eq!(loaded.next_id, 4);
    let lobby = loaded.default_room.as_ref().unwrap();
    assert_eq!(lobby.name.display, "#lobby");
    assert_eq!(
        lobby.first,
        Some(timestamp(1000)),
        "its first message's time"
    );
    let texts: Vec<&str> = lobby.recent.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["first", "second"], "private messages are no room's");
    drop(store);
    {
        // A one-room server run on it meanwhile writes without a room.
        let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        conn.execute_batch("INSERT INTO messages (id, ts_ms, sender, recipient, text) VALUES (4, 4000, 'bob', NULL, 'from the past');")
            .unwrap();
    }
    let mut again = SqliteStore::open(dir.path(), "#lobby").unwrap();
    let loaded = again.load("#lobby", 50).unwrap();
    let texts: Vec<&str> = (loaded.default_room.as_ref().unwrap())
        .recent
        .iter()
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(texts, ["first", "second", "from the past"]);
}

#[test]
fn rooms_topics_and_memberships_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let rust = RoomName::new("#Rust");
    let lobby = RoomName::new("#lobby");
    {
        let mut store = SqliteStore::open(dir.path(), "#lobby").unwrap();
        let messages = [
            message(1, Audience::Room(rust.clone())),
            message(2, Audience::Room(lobby.clone())),
            message(3, Audience::Room(rust.clone())),
            message(4, Audience::Private("bob".into())),
        ];
        let topics = [TopicChange {
            sender: 1,
            room: rust.clone(),
            topic: Topic {
                ts: timestamp(5),
                by: "alice".into(),
                text: "borrowck".into(),
            },
        }];
        let memberships = [("alice".to_owned(), vec![lobby.clone(), rust.clone()])];
        store
            .commit(&Batch {
                forgotten: &[],
                messages: &messages,
                topics: &topics,
                topic_places: &[],
                memberships: &memberships,
                ..Batch::default()
            })
            .unwrap();
    }
    let mut store = SqliteStore::open(dir.path(), "#lobby").unwrap();
    let loaded = store.load("#lobby", 1).unwrap();
    assert_eq!(loaded.next_id, 5);
    let lobby = loaded.default_room.as_ref().unwrap();
    assert_eq!(lobby.name.display, "#lobby", "the one room read at start");
    let rust = store.room("#rust", 1).unwrap().unwrap();
    assert_eq!(rust.name.display, "#Rust");
    assert!(store.room("#nowhere", 1).unwrap().is_none());
    assert_eq!(
        rust.first,
        Some(timestamp(1_700_000_000_001)),
        "when its first message was stored, read on join for IRC's 329"
    );
    assert_eq!(rust.topic.as_ref().unwrap().text, "borrowck");
    let ids: Vec<u64> = rust.recent.iter().map(|m| m.id).collect();
    assert_eq!(ids, [3], "the newest n");
    let alice: Vec<&str> = loaded.memberships["alice"]
        .iter()
        .map(|room| room.display.as_str())
        .collect();
    assert_eq!(alice, ["#lobby", "#Rust"]);
}

#[test]
fn a_database_without_kinds_keeps_working_and_then_keeps_notices() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The schema as version 2 wrote it before messages had a kind.
        let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        conn.execute_batch(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,
             sender TEXT NOT NULL, recipient TEXT, text TEXT NOT NULL, room TEXT);
             CREATE INDEX messages_by_room ON messages (room, id);
             CREATE TABLE rooms (room_key TEXT PRIMARY KEY, name TEXT NOT NULL,
             topic TEXT, topic_by TEXT, topic_ms INTEGER);
             CREATE TABLE memberships (name_key TEXT NOT NULL, position INTEGER NOT NULL,
             room_key TEXT NOT NULL, room_name TEXT NOT NULL, PRIMARY KEY (name_key, position));
             INSERT INTO messages VALUES (1, 1000, 'bob', NULL, 'old', '#lobby');
             INSERT INTO rooms (room_key, name) VALUES ('#lobby', '#lobby');
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let lobby = RoomName::new("#lobby");
    {
        let mut store = SqliteStore::open(dir.path(), "#lobby").unwrap();
        let loaded = store.load("#lobby", 50).unwrap();
        assert_eq!(loaded.default_room.unwrap().recent[0].kind, Kind::Message);
        let mut notice = message(2, Audience::Room(lobby.clone()));
        notice.kind = Kind::Notice;
        let messages = [notice, message(3, Audience::Room(lobby.clone()))];
        let batch = Batch {
            messages: &messages,
            ..Batch::default()
        };
        store.commit(&batch).unwrap();
    }
    let mut store = SqliteStore::open(dir.path(), "#lobby").unwrap();
    let lobby = store.room("#lobby", 50).unwrap().unwrap();
    let kinds: Vec<(&str, Kind)> = lobby
        .recent
        .iter()
        .map(|m| (m.text.as_str(), m.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("old", Kind::Message),
            ("m2", Kind::Notice),
            ("m3", Kind::Message)
        ]
    );
}
