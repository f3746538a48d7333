//! Rooms whose members have all left, on a durable server: their messages
//! and topic live in the store, not in the server's memory, and come back
//! from it whole when someone joins or asks (`JOINED`'s replay, `/history`,
//! `/topic`), after a restart too; a message racing a join reaches the
//! joiner exactly once, in the replay or live after it.

use std::thread;
use std::time::Duration;

use chatroom::server::{DataDir, ServerOptions, Storage};

use crate::irc::IrcClient;
use crate::support::{Client, ServerProcess, TestServer, unthrottled};

use super::{fields_of, text_of};

/// An in-process server without flood control, keeping history in `dir`.
fn durable(dir: &tempfile::TempDir) -> TestServer {
    TestServer::start(ServerOptions {
        storage: Storage::Durable(DataDir::lock(dir.path()).expect("lock the data directory")),
        ..unthrottled()
    })
}

/// Registers `name` and takes it out of the default room.
fn loner(server: &TestServer, name: &str) -> Client {
    let mut client = Client::hello_v2(server.addr);
    client.register(name);
    client.send("/part #lobby");
    client.through("PART ");
    client
}

/// The texts of the `HISTORY` lines among `lines`.
fn replayed(lines: &[String]) -> Vec<String> {
    (lines.iter())
        .filter(|line| line.starts_with("HISTORY "))
        .map(|line| text_of(line))
        .collect()
}

#[test]
fn a_room_left_empty_comes_back_from_the_store_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = durable(&dir);
    let mut amy = loner(&server, "amy");
    amy.join_room("#Kept");
    amy.send("/topic #kept plans");
    for text in ["one", "two", "three"] {
        amy.send(text);
    }
    amy.send("/part #kept");
    amy.through("PART ");

    let mut bo = loner(&server, "bo");
    bo.send("/history #KEPT 2");
    let history = bo.through("HISTORY-END ");
    assert_eq!(replayed(&history), ["two", "three"], "{history:?}");
    assert_eq!(history.last().unwrap(), "HISTORY-END 2 #Kept");
    bo.send("/topic #kept");
    let topic = bo.expect("TOPIC ");
    assert!(topic.ends_with(" amy #Kept :plans"), "{topic}");
    bo.send("/rooms");
    assert_eq!(bo.through("ROOMS-END ").last().unwrap(), "ROOMS-END 0");

    let answer = bo.join_room("#kept");
    assert_eq!(answer[0], "JOINED #Kept 1 :plans");
    assert_eq!(replayed(&answer), ["one", "two", "three"]);
    let answer = amy.join_room("#KEPT");
    assert_eq!(answer[0], "JOINED #Kept 2 :plans");
    assert_eq!(replayed(&answer), ["one", "two", "three"]);
    bo.expect("JOIN ");
    bo.send("four");
    for client in [&mut amy, &mut bo] {
        let live = client.expect("MSG ");
        assert_eq!(fields_of(&live, "MSG")[3], "#Kept");
        assert_eq!(text_of(&live), "four");
    }
}

/// An IRC `JOIN` of a room nobody is in reads it from the store too: its
/// name as created, its topic, then the next line live.
#[test]
fn an_irc_join_reads_a_room_nobody_is_in_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::with_irc(ServerOptions {
        storage: Storage::Durable(DataDir::lock(dir.path()).expect("lock the data directory")),
        ..unthrottled()
    });
    let mut amy = loner(&server, "amy");
    amy.join_room("#Kept");
    amy.send("/topic #kept plans");
    amy.send("stored");
    amy.send("/part #kept");
    amy.through("PART ");
    let mut ivy = IrcClient::register(server.irc.unwrap(), "ivy", "");
    ivy.send("JOIN #KEPT");
    ivy.expect(":ivy!ivy@chatroom JOIN #Kept");
    let topic = ivy.until(" 332 ");
    assert_eq!(topic, ":chatroom 332 ivy #Kept plans");
    amy.join_room("#kept");
    amy.send("live");
    ivy.until(":amy!amy@chatroom PRIVMSG #Kept live");
}

/// A room nobody is in that never had a message is nobody's: asking about
/// it answers empty, and joining it makes it new.
#[test]
fn a_room_never_used_is_empty_and_new() {
    let dir = tempfile::tempdir().unwrap();
    let server = durable(&dir);
    let mut amy = loner(&server, "amy");
    amy.send("/history #nothing");
    assert_eq!(amy.line(), "HISTORY-END 0 #nothing");
    let answer = amy.join_room("#Nothing");
    assert_eq!(answer[0], "JOINED #Nothing 1 :");
    assert_eq!(answer.last().unwrap(), "HISTORY-END 0 #Nothing");
}

/// The texts `joiner` sees of `room` in one visit: the replay of its
/// `JOINED`, then what comes live until it has left again.
fn one_visit(joiner: &mut Client, room: &str) -> Vec<u64> {
    let mut seen: Vec<u64> = replayed(&joiner.join_room(room))
        .iter()
        .map(|text| text.parse().unwrap())
        .collect();
    joiner.send(&format!("/part {room}"));
    loop {
        let line = joiner.line();
        if line.starts_with("PART ") && fields_of(&line, "PART")[1] == "joiner" {
            return seen;
        }
        if line.starts_with("MSG ") {
            seen.push(text_of(&line).parse().unwrap());
        }
    }
}

/// Choice (what "exactly once" means across the store): a room goes in and
/// out of memory while one user says numbered lines in it, each time
/// joining and leaving, and another keeps visiting it. Each visit's replay
/// and live lines are consecutive numbers: none lost between the replay
/// and the first live line, none twice.
#[test]
fn a_message_racing_a_join_reaches_the_joiner_exactly_once() {
    const SAID: u64 = 150;
    let dir = tempfile::tempdir().unwrap();
    let server = durable(&dir);
    let mut speaker = loner(&server, "speaker");
    let mut joiner = loner(&server, "joiner");
    let room = "#race";
    let speaking = thread::spawn(move || {
        for n in 0..SAID {
            speaker.join_room(room);
            speaker.send(&n.to_string());
            speaker.send(&format!("/part {room}"));
            speaker.through("PART ");
        }
    });
    let mut visits = 0;
    let mut last_seen = None;
    while last_seen != Some(SAID - 1) {
        let seen = one_visit(&mut joiner, room);
        for pair in seen.windows(2) {
            assert_eq!(pair[1], pair[0] + 1, "a gap or a repeat in {seen:?}");
        }
        last_seen = seen.last().copied().or(last_seen);
        visits += 1;
        assert!(visits < 10_000, "the speaker never finished");
    }
    speaking.join().unwrap();
}

/// A restart reads no room but the default one; each room joined later is
/// read from the store then, with its topic and messages.
#[test]
fn rooms_joined_after_a_restart_show_their_history() {
    const ROOMS: usize = 60;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let args = ["--data-dir", data, "--flood-rate", "0"];
    let server = ServerProcess::start(&args);
    let mut amy = Client::hello_v2(server.addr);
    amy.register("amy");
    for n in 0..ROOMS {
        amy.join_room(&format!("#Room{n}"));
        amy.send(&format!("/topic #room{n} topic {n}"));
        amy.send(&format!("only {n}"));
        amy.send(&format!("/part #room{n}"));
        amy.through("PART ");
    }
    let (status, _) = server.terminate_within(Duration::from_secs(10));
    assert!(status.success(), "{status}");

    let server = ServerProcess::start(&args);
    let mut bo = Client::hello_v2(server.addr);
    bo.register("bo");
    for n in [0, ROOMS / 2, ROOMS - 1] {
        let answer = bo.join_room(&format!("#ROOM{n}"));
        assert_eq!(answer[0], format!("JOINED #Room{n} 1 :topic {n}"));
        assert_eq!(replayed(&answer), [format!("only {n}")]);
    }
    let (status, _) = server.terminate_within(Duration::from_secs(10));
    assert!(status.success(), "{status}");
}
