//! Rooms in terminal mode and plain mode (issue 16), through the real binary:
//! joining, lines of another room marked, unread counts and mentions in the
//! rooms row, switching with `Alt-1..9`, `Ctrl-N` and `/join`, parting,
//! rejoining after a reconnect, and the plain-mode line format. Most run
//! against a hand-driven version-2 server, which reads exactly what the
//! client sent (so they also check that text goes to the room shown); the
//! last ones run the same round against the real server, a peer on the
//! other side.

use chatroom::protocol::ServerLine;

use super::pty::{Terminal, last_used_row};
use super::scripted::Scripted;

use std::sync::LazyLock;

use chatroom::protocol::format_ts;

/// Now, on the wire: today's lines show only their time.
pub(crate) static TS: LazyLock<String> = LazyLock::new(|| format_ts(&chrono::Utc::now()));

/// A line of [`TS`] as the client shows it: `[HH:MM] rest`.
pub(crate) fn at(rest: &str) -> String {
    let ts = chrono::DateTime::parse_from_rfc3339(&TS).unwrap().to_utc();
    format!("{} {rest}", super::hhmm(&ts))
}

/// The rooms row: the one right above the input line.
pub(crate) fn rooms_row(rows: &[String]) -> String {
    let used = rows.iter().rposition(|r| !r.trim().is_empty()).unwrap_or(0);
    rows[used.saturating_sub(1)].trim_end().to_owned()
}

/// The room of the next message from alice that `peer` gets.
fn room_of_alices_next_line(peer: &super::Peer) -> String {
    let line = peer.wait_for(
        "alice's line",
        |l| matches!(l, ServerLine::Msg { from, .. } if from == "alice"),
    );
    let ServerLine::Msg { room, .. } = line else {
        unreachable!()
    };
    room.unwrap_or_default()
}

/// Waits until the rooms row reads `expected`.
pub(crate) fn wait_rooms(alice: &mut Terminal, expected: &str) {
    alice.wait_until(&format!("the rooms row {expected:?}"), |rows| {
        rooms_row(rows) == expected
    });
}

/// Alice has joined `#rust` after landing in `#lobby`; `#rust` is shown.
pub(crate) fn in_two_rooms(args: &[&str]) -> (Scripted, Terminal) {
    let (mut server, mut alice) = Scripted::join_rooms(args);
    wait_rooms(&mut alice, "[1:#lobby]");
    alice.type_keys("/join #rust\r");
    assert_eq!(server.read_line(), "/join #rust");
    server.write("JOINED #rust 2 :all things rust\nUSERS :alice carol\nUSERS-END 2 #rust");
    server.write(&format!(
        "HISTORY 3 {ts} carol #rust :earlier in rust\nHISTORY-END 1 #rust",
        ts = *TS
    ));
    wait_rooms(&mut alice, "1:#lobby [2:#rust]");
    alice.wait_until("the end of rust's history", |rows| {
        rows.iter()
            .any(|r| r.starts_with("*** end of history (1 message)"))
    });
    (server, alice)
}

#[test]
fn rooms_other_rooms_lines_are_marked_and_counted_as_unread() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    server.write(&format!(
        "MSG 10 {ts} bob #lobby :hi from the lobby",
        ts = *TS
    ));
    server.write(&format!("MSG 11 {ts} carol #rust :hi from rust", ts = *TS));
    alice.wait_until("both lines", |rows| {
        rows.iter()
            .any(|r| r.trim_end() == at("[#lobby] <bob> hi from the lobby"))
            && rows
                .iter()
                .any(|r| r.trim_end() == at("<carol> hi from rust"))
    });
    wait_rooms(&mut alice, "1:#lobby(1) [2:#rust]");
    // Text goes to the room shown, named on the wire.
    alice.type_keys("hello rust\r");
    assert_eq!(server.read_line(), "/say #rust hello rust");
}

#[test]
fn rooms_alt_2_ctrl_n_and_join_switch_locally_with_each_rooms_lines() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    server.write(&format!("MSG 10 {ts} bob #lobby :lobby line", ts = *TS));
    wait_rooms(&mut alice, "1:#lobby(1) [2:#rust]");
    // Alt-1: the lobby, its line unmarked, rust's lines gone from the screen.
    alice.type_keys("\x1b1");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust");
    alice.wait_until("the lobby's lines alone", |rows| {
        rows.iter().any(|r| r.trim_end() == at("<bob> lobby line"))
            && !rows.iter().any(|r| r.contains("earlier in rust"))
    });
    alice.type_keys("to the lobby\r");
    assert_eq!(server.read_line(), "/say #lobby to the lobby");
    // Ctrl-N: the next room, round the list.
    alice.type_keys("\x0e");
    wait_rooms(&mut alice, "1:#lobby [2:#rust]");
    alice.wait_until("rust's lines", |rows| {
        rows.iter()
            .any(|r| r.contains("[history] <carol> earlier in rust"))
            && !rows.iter().any(|r| r.contains("lobby line"))
    });
    // Alt-2 is shown already; Ctrl-P goes back; /join of a room joined
    // only shows it: nothing is sent for it.
    alice.type_keys("\x1b2\x10");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust");
    alice.type_keys("/join #RUST\r");
    wait_rooms(&mut alice, "1:#lobby [2:#rust]");
    alice.type_keys("still rust\r");
    assert_eq!(server.read_line(), "/say #rust still rust");
}

#[test]
fn rooms_a_mention_in_another_room_rings_and_stands_out() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    server.write(&format!(
        "MSG 10 {ts} bob #lobby :alice, are you there?",
        ts = *TS
    ));
    wait_rooms(&mut alice, "1:#lobby(1!) [2:#rust]");
    let bells = alice.written.iter().filter(|&&b| b == 0x07).count();
    // One bell: the title's terminator is a BEL too, so count those out.
    let titles = alice.written.windows(2).filter(|w| w == b"\x1b]").count();
    assert_eq!(bells - titles, 1, "one bell for the mention");
    alice.type_keys("\x1b1");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust");
}

#[test]
fn rooms_part_leaves_the_room_shown_and_shows_the_one_before() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    alice.type_keys("/part see you\r");
    assert_eq!(server.read_line(), "/part #rust see you");
    server.write(&format!("PART {ts} alice #rust :see you", ts = *TS));
    wait_rooms(&mut alice, "[1:#lobby]");
    alice.type_keys("back in the lobby\r");
    assert_eq!(server.read_line(), "/say #lobby back in the lobby");
    server.write(&format!("PART {ts} alice #lobby :", ts = *TS));
    wait_rooms(&mut alice, "(in no room: /join #room)");
    alice.wait_until("the input line", |rows| last_used_row(rows) == "[alice]");
}

#[test]
fn rooms_are_joined_again_after_a_reconnect_and_the_room_shown_kept() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    alice.type_keys("\x1b1");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust");
    server.to_client.shutdown(std::net::Shutdown::Both).unwrap();
    alice.wait_until("the loss", |rows| {
        rows.iter()
            .any(|r| r.starts_with("*** reconnecting in 1 s"))
    });
    server.reconnected();
    let sent: Vec<String> = (0..4).map(|_| server.read_line()).collect();
    let expected = [
        "/join #lobby",
        "/history #lobby 1000",
        "/join #rust",
        "/history #rust 1000",
    ];
    assert_eq!(sent, expected);
    server.write("JOINED #lobby 2 :\nHISTORY-END 0 #lobby");
    server.write("JOINED #rust 2 :\nUSERS-END 2 #rust");
    server.write(&format!(
        "HISTORY 3 {ts} carol #rust :earlier in rust",
        ts = *TS
    ));
    server.write(&format!(
        "HISTORY 12 {ts} carol #rust :while away",
        ts = *TS
    ));
    server.write("HISTORY-END 2 #rust");
    server.write(&format!(
        "HISTORY 3 {ts} carol #rust :earlier in rust",
        ts = *TS
    ));
    server.write(&format!(
        "HISTORY 12 {ts} carol #rust :while away",
        ts = *TS
    ));
    server.write("HISTORY-END 2 #rust");
    alice.wait_until("rust's missed line, marked", |rows| {
        rows.iter()
            .any(|r| r.trim_end() == at("[#rust] [missed] <carol> while away"))
    });
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust(1)");
    alice.type_keys("hi again\r");
    assert_eq!(server.read_line(), "/say #lobby hi again");
}

#[test]
fn rooms_plain_mode_names_the_room_of_every_line() {
    let (mut server, mut alice) = Scripted::join_plain_rooms();
    alice.expect_line("[#lobby] *** online (2): alice bob");
    alice.type_line("/join #rust");
    assert_eq!(server.read_line(), "/join #rust");
    server.write("JOINED #rust 1 :\nUSERS :alice\nUSERS-END 1 #rust\nHISTORY-END 0 #rust");
    alice.expect_line("[#rust] *** now in #rust (1 member), no topic");
    server.write(&format!("MSG 5 {ts} bob #lobby :in the lobby", ts = *TS));
    server.write(&format!("JOIN {ts} carol #rust", ts = *TS));
    server.write(&format!("TOPIC {ts} carol #rust :rust!", ts = *TS));
    server.write(&format!("PART {ts} carol #rust :bye", ts = *TS));
    alice.expect_line(&at("[#lobby] <bob> in the lobby"));
    alice.expect_line(&at("[#rust] --> carol joined"));
    alice.expect_line(&at("[#rust] -!- topic (set by carol): rust!"));
    alice.expect_line(&at("[#rust] <-- carol left the room (bye)"));
    // Plain text goes to the server's current room, as typed.
    alice.type_line("hello");
    assert_eq!(server.read_line(), "hello");
    alice.close_stdin();
    assert_eq!(server.read_line(), "/quit");
    server.write("BYE :goodbye");
    let (code, _) = alice.wait_exit();
    assert_eq!(code, 0);
}

#[test]
fn rooms_switching_keeps_the_clients_own_notices() {
    let (_server, mut alice) = in_two_rooms(&[]);
    alice.type_keys("\x1b1");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust");
    alice.wait_until("the joined line and the lobby's members", |rows| {
        rows.iter()
            .any(|r| r.starts_with("*** joined as alice (2 online)"))
            && rows
                .iter()
                .any(|r| r.starts_with("*** online (2): alice bob"))
    });
}

/// The whole round against the real server: alice in a pty, bob a peer.
#[test]
fn rooms_against_the_real_server_join_mark_count_switch_and_part() {
    let server = super::start_server();
    let mut bob = super::Peer::join(server.addr, "bob");
    let mut alice = Terminal::start(server.addr, "alice");
    wait_rooms(&mut alice, "[1:#lobby]");
    alice.type_keys("/join #rust\r");
    wait_rooms(&mut alice, "1:#lobby [2:#rust]");
    bob.send("/join #rust");
    bob.wait_for("bob's JOINED", |l| matches!(l, ServerLine::Joined { .. }));
    bob.send("/say #lobby alice: look at this");
    bob.send("/say #rust rust is nice");
    alice.wait_until("the lobby's line marked, rust's not", |rows| {
        rows.iter()
            .any(|r| r.ends_with("] [#lobby] <bob> alice: look at this"))
            && rows.iter().any(|r| r.ends_with("] <bob> rust is nice"))
    });
    wait_rooms(&mut alice, "1:#lobby(1!) [2:#rust]");
    // Typed text goes to the room shown.
    alice.type_keys("hi in rust\r");
    assert_eq!(room_of_alices_next_line(&bob), "#rust");
    // Alt-1 shows the lobby: its line unmarked, its count cleared.
    alice.type_keys("\x1b1");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust");
    alice.wait_until("the lobby alone", |rows| {
        rows.iter()
            .any(|r| r.ends_with("] <bob> alice: look at this"))
            && !rows.iter().any(|r| r.contains("rust is nice"))
    });
    alice.type_keys("hi in the lobby\r");
    assert_eq!(room_of_alices_next_line(&bob), "#lobby");
    // Ctrl-N back to rust, then /part leaves it.
    alice.type_keys("\x0e");
    wait_rooms(&mut alice, "1:#lobby [2:#rust]");
    alice.type_keys("/part off to lunch\r");
    let part = bob.wait_for("alice's PART", |l| matches!(l, ServerLine::Part { .. }));
    assert!(
        matches!(&part, ServerLine::Part { name, room, reason, .. } if name == "alice" && room == "#rust" && reason == "off to lunch"),
        "{part:?}"
    );
    wait_rooms(&mut alice, "[1:#lobby]");
    alice.type_keys("/quit\r");
    assert!(alice.wait_exit().success());
    server.stop();
}

#[test]
fn rooms_plain_mode_against_the_real_server() {
    let server = super::start_server();
    let mut bob = super::Peer::join(server.addr, "bob");
    let mut alice = super::PlainClient::start(server.addr, &["--name", "alice"]);
    alice.expect_line("[#lobby] *** online (2): alice bob");
    alice.type_line("/join #rust");
    alice.expect_line_where("JOINED", |l| {
        l.starts_with("[#rust] *** now in #rust (1 member)")
    });
    bob.send("/join #rust");
    alice.expect_line_where("bob's join", |l| l.ends_with("] [#rust] --> bob joined"));
    bob.send("/say #rust hello rust");
    bob.send("/say #lobby hello lobby");
    alice.expect_line_where("rust's line", |l| l.ends_with("] [#rust] <bob> hello rust"));
    alice.expect_line_where("the lobby's line", |l| {
        l.ends_with("] [#lobby] <bob> hello lobby")
    });
    // Plain text goes to the server's current room: the one joined last.
    alice.type_line("to the current room");
    assert_eq!(room_of_alices_next_line(&bob), "#rust");
    alice.close_stdin();
    let (code, stderr) = alice.wait_exit();
    assert_eq!(code, 0, "stderr: {stderr}");
    server.stop();
}

/// A restart of the real (durable) server: alice comes back to both rooms,
/// the room shown unchanged, and sees what was said in the other meanwhile.
#[test]
fn rooms_rejoined_after_the_real_server_restarts() {
    use chatroom::server::{DataDir, Server, ServerOptions, Storage};

    let dir = tempfile::tempdir().unwrap();
    let first = crate::support::TestServer::durable(dir.path());
    let addr = first.addr;
    let mut alice = Terminal::start(addr, "alice");
    wait_rooms(&mut alice, "[1:#lobby]");
    alice.type_keys("/join #rust\r");
    wait_rooms(&mut alice, "1:#lobby [2:#rust]");
    alice.type_keys("\x1b1");
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust");
    first.stop();
    alice.wait_until("a failed reconnect", |rows| {
        rows.iter()
            .any(|r| r.starts_with("*** reconnecting in 2 s"))
    });
    let config = ServerOptions {
        storage: Storage::Durable(DataDir::lock(dir.path()).unwrap()),
        ..ServerOptions::default()
    };
    let second = Server::start(std::net::TcpListener::bind(addr).unwrap(), config).unwrap();
    let mut carol = super::Peer::join(addr, "carol");
    carol.send("/join #rust");
    carol.send("/say #rust said meanwhile");
    carol.next_msg_from("carol");
    alice.wait_until("rust's missed line, marked", |rows| {
        rows.iter()
            .any(|r| r.ends_with("] [#rust] [missed] <carol> said meanwhile"))
    });
    wait_rooms(&mut alice, "[1:#lobby] 2:#rust(1)");
    alice.type_keys("back\r");
    // carol landed in the lobby too, so she gets it there.
    assert_eq!(room_of_alices_next_line(&carol), "#lobby");
    alice.type_keys("\x04");
    assert!(alice.wait_exit().success());
    second.shutdown().unwrap();
}

#[test]
fn rooms_a_refused_command_is_named_as_refused_and_a_refused_message_by_its_text() {
    let (mut server, mut alice) = in_two_rooms(&[]);
    alice.type_keys("/join #full\r");
    assert_eq!(server.read_line(), "/join #full");
    server.write("ERROR too-many-rooms :You are in 64 rooms. /part one first.");
    alice.type_keys("lost words\r");
    assert_eq!(server.read_line(), "/say #rust lost words");
    server.write("ERROR not-in-room :You are not in #rust.");
    alice.wait_until("both refusals named", |rows| {
        rows.iter()
            .any(|r| r.trim_end() == "*** refused: /join #full")
            && rows
                .iter()
                .any(|r| r.trim_end() == "*** not stored: lost words")
    });
}
