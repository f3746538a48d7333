//! Tests of [`Session`]: wire lines in, display lines out.

use chrono::Utc;

use super::*;
use crate::client::render::Renderer;

/// Feeds wire lines to `session` and renders what it shows, one line each.
fn feed(session: &mut Session, lines: &[&str]) -> Vec<String> {
    let renderer = Renderer::new("alice", false, Utc);
    let mut shown = Vec::new();
    for line in lines {
        let parsed = ServerLine::parse(line).unwrap();
        let handled = session.handle(&parsed);
        shown.extend(
            handled
                .iter()
                .map(|s| renderer.render_in(&s.view, s.room.as_deref())),
        );
    }
    shown
}

/// Table helper: a fresh session, `lines` in, `expected` display lines out.
fn check(lines: &[&str], expected: &[&str]) {
    assert_eq!(
        feed(&mut Session::new("alice"), lines),
        expected,
        "{lines:?}"
    );
}

const TS: &str = "2026-11-21T09:30:00.123Z";

fn msg(kind: &str, id: u64, from: &str, text: &str) -> String {
    format!("{kind} {id} {TS} {from} :{text}")
}

fn changes(session: &mut Session, line: &str) -> Vec<Option<RoomChange>> {
    let parsed = ServerLine::parse(line).unwrap();
    session
        .handle(&parsed)
        .into_iter()
        .map(|s| s.change)
        .collect()
}

#[test]
fn version_2_lines_as_shown() {
    check(
        &[
            &format!("MSG 5 {TS} bob #rust :hi"),
            &format!("JOIN {TS} carol #rust"),
        ],
        &[
            "[09:30] [#rust] <bob> hi",
            "[09:30] [#rust] --> carol joined",
        ],
    );
    check(
        &[
            &format!("PART {TS} carol #rust :bored"),
            &format!("TOPIC {TS} carol #rust :rust!"),
            "JOINED #go 2 :",
            "JOINED #rust 3 :all things rust",
            "USERS :alice bob",
            "USERS-END 2 #rust",
            &format!("HISTORY 3 {TS} bob #rust :old"),
            "HISTORY-END 1 #rust",
            "ROOM #rust 3 :all things rust",
            "ROOM #go 1 :",
            "ROOMS-END 2",
        ],
        &[
            "[09:30] [#rust] <-- carol left the room (bored)",
            "[09:30] [#rust] -!- topic (set by carol): rust!",
            "[#go] *** now in #go (2 members), no topic",
            "[#rust] *** now in #rust (3 members), topic: all things rust",
            "[#rust] *** online (2): alice bob",
            "[09:30] [#rust] [history] <bob> old",
            "[#rust] *** end of history (1 message)",
            "*** #rust (3 members) all things rust",
            "*** #go (1 member)",
            "*** 2 rooms",
        ],
    );
}

#[test]
fn rooms_entered_listed_and_left() {
    let mut session = Session::new("alice");
    let entered = |room: &str| vec![Some(RoomChange::Entered(room.into()))];
    feed(&mut session, &["WELCOME alice 2 :hi", "USERS :alice bob"]);
    assert_eq!(
        changes(&mut session, "USERS-END 2 #lobby"),
        entered("#lobby")
    );
    assert_eq!(changes(&mut session, "HISTORY-END 0 #lobby"), []);
    assert_eq!(changes(&mut session, "JOINED #rust 1 :"), entered("#rust"));
    assert_eq!(
        changes(&mut session, "JOINED #lobby 2 :"),
        entered("#lobby")
    );
    let msg = format!("MSG 9 {TS} bob #go :hi");
    let listed = vec![Some(RoomChange::Listed("#go".into()))];
    assert_eq!(changes(&mut session, &msg), listed);
    let part = format!("PART {TS} ALICE #rust :");
    let left = vec![Some(RoomChange::Left("#rust".into()))];
    assert_eq!(changes(&mut session, &part), left);
    assert_eq!(session.rooms(), ["#lobby", "#go"]);
    feed(&mut session, &["ROOM #zig 1 :"]);
    assert_eq!(
        session.completions(),
        ["alice", "bob", "#lobby", "#go", "#zig"]
    );
}

#[test]
fn a_reconnect_rejoins_every_room_and_shows_what_each_missed() {
    let mut session = Session::new("alice");
    let first = [
        "USERS-END 1 #lobby",
        "JOINED #rust 1 :",
        &format!("MSG 10 {TS} bob #lobby :seen in lobby"),
        &format!("MSG 20 {TS} bob #rust :seen in rust"),
    ];
    feed(&mut session, &first);
    let lines = session.reconnected();
    let expected = [
        "/join #lobby",
        "/history #lobby 1000",
        "/join #rust",
        "/history #rust 1000",
    ];
    assert_eq!(lines, expected);
    let replies = [
        "WELCOME alice 2 :back",
        "USERS-END 2 #lobby",
        &format!("HISTORY 10 {TS} bob #lobby :seen in lobby"),
        "HISTORY-END 1 #lobby",
        "JOINED #lobby 2 :",
        &format!("HISTORY 10 {TS} bob #lobby :seen in lobby"),
        &format!("HISTORY 15 {TS} bob #lobby :missed in lobby"),
        "HISTORY-END 2 #lobby",
        "JOINED #rust 2 :",
        "USERS-END 2 #rust",
        &format!("HISTORY 12 {TS} bob #rust :missed in rust"),
        "HISTORY-END 1 #rust",
        &format!("HISTORY 12 {TS} bob #rust :missed in rust"),
        "HISTORY-END 1 #rust",
    ];
    let shown = feed(&mut session, &replies);
    let expected = [
        "*** back (2 online)",
        "[09:30] [#lobby] [missed] <bob> missed in lobby",
        "[#lobby] *** 1 message missed while away",
        "[09:30] [#rust] [missed] <bob> missed in rust",
        "[#rust] *** 1 message missed while away",
    ];
    assert_eq!(shown, expected);
    assert!(!session.catching_up());
}

#[test]
fn a_reconnect_leaves_the_landing_room_the_user_had_left() {
    let mut session = Session::new("alice");
    feed(&mut session, &["USERS-END 1 #lobby", "JOINED #rust 1 :"]);
    feed(&mut session, &[&format!("PART {TS} alice #lobby :")]);
    let lines = session.reconnected();
    assert_eq!(
        lines,
        ["/part #lobby", "/join #rust", "/history #rust 1000"]
    );
    let replies = [
        "USERS-END 1 #lobby",
        &format!("HISTORY 3 {TS} bob #lobby :old"),
        "HISTORY-END 1 #lobby",
        &format!("MSG 4 {TS} bob #lobby :live"),
        &format!("PART {TS} alice #lobby :"),
        "JOINED #rust 1 :",
        "HISTORY-END 0 #rust",
        "HISTORY-END 0 #rust",
    ];
    let shown = feed(&mut session, &replies);
    assert_eq!(shown, [""; 0], "nothing missed, nothing said");
    assert_eq!(session.rooms(), ["#rust"]);
}

#[test]
fn server_lines_as_shown() {
    check(&["HELLO chatroom 1 :Send your name to join."], &[]);
    check(
        &["WELCOME alice 2 :Welcome, alice!"],
        &["*** Welcome, alice! (2 online)"],
    );
    check(
        &["USERS :alice bob", "USERS :carol", "USERS-END 3"],
        &["*** online (3): alice bob carol"],
    );
    check(&[&msg("MSG", 42, "bob", "hi")], &["[09:30] <bob> hi"]);
    check(
        &[&msg("MSG", 42, "bob", "/me waves")],
        &["[09:30] * bob waves"],
    );
    check(
        &[&format!("PRIV 43 {TS} bob alice :psst")],
        &["[09:30] [msg from bob] psst"],
    );
    check(
        &[&format!("PRIV 43 {TS} alice bob :psst")],
        &["[09:30] [msg to bob] psst"],
    );
    check(
        &[&msg("HISTORY", 1, "bob", "old"), "HISTORY-END 1"],
        &[
            "[09:30] [history] <bob> old",
            "*** end of history (1 message)",
        ],
    );
    check(&["HISTORY-END 0"], &[]);
    check(&[&format!("JOIN {TS} bob")], &["[09:30] --> bob joined"]);
    check(
        &[&format!("LEAVE {TS} bob :quit")],
        &["[09:30] <-- bob left the server (quit)"],
    );
    check(&["INFO :commands: ..."], &["*** commands: ..."]);
    check(
        &["ERROR no-such-user :nobody called zed"],
        &["!!! no-such-user: nobody called zed"],
    );
    check(&["PONG t1"], &["*** pong t1"]);
    check(&["BYE :goodbye"], &["*** bye: goodbye"]);
    check(&["FROB 1 2 :future"], &[]);
}

#[test]
fn online_names_follow_joins_and_leaves() {
    let mut session = Session::new("alice");
    feed(&mut session, &["USERS :alice bob", "USERS-END 2"]);
    assert_eq!(session.online(), ["alice", "bob"]);
    feed(
        &mut session,
        &[&format!("JOIN {TS} Aaron"), &format!("JOIN {TS} BOB")],
    );
    assert_eq!(session.online(), ["Aaron", "alice", "bob"]);
    feed(&mut session, &[&format!("LEAVE {TS} ALICE :quit")]);
    assert_eq!(session.online(), ["Aaron", "bob"]);
}

#[test]
fn after_a_reconnect_only_missed_messages_are_replayed() {
    let mut session = Session::new("alice");
    feed(
        &mut session,
        &[&msg("HISTORY", 5, "bob", "seen"), "HISTORY-END 1"],
    );
    feed(&mut session, &[&msg("MSG", 7, "bob", "seen too")]);
    assert_eq!(session.reconnected(), ["/history 1000"]);
    let shown = feed(
        &mut session,
        &[
            "WELCOME alice 2 :back",
            &msg("HISTORY", 8, "bob", "join replay"),
            "HISTORY-END 1",
            &msg("MSG", 10, "bob", "live"),
            &msg("HISTORY", 7, "bob", "seen too"),
            &msg("HISTORY", 8, "bob", "missed 1"),
            &msg("HISTORY", 9, "carol", "missed 2"),
            &msg("HISTORY", 10, "bob", "live"),
            "HISTORY-END 4",
            &msg("HISTORY", 9, "carol", "asked for later"),
            "HISTORY-END 1",
        ],
    );
    let expected = [
        "*** back (2 online)",
        "[09:30] <bob> live",
        "[09:30] [missed] <bob> missed 1",
        "[09:30] [missed] <carol> missed 2",
        "*** 2 messages missed while away",
        "[09:30] [history] <carol> asked for later",
        "*** end of history (1 message)",
    ];
    assert_eq!(shown, expected);
}

#[test]
fn a_server_that_lost_its_history_replays_everything() {
    let mut session = Session::new("alice");
    feed(
        &mut session,
        &[&msg("MSG", 40, "bob", "before the restart")],
    );
    session.reconnected();
    let shown = feed(
        &mut session,
        &[
            &msg("HISTORY", 2, "carol", "after the restart"),
            "HISTORY-END 1",
            &msg("HISTORY", 1, "carol", "first after"),
            &msg("HISTORY", 2, "carol", "after the restart"),
            "HISTORY-END 2",
        ],
    );
    let expected = [
        "[09:30] [missed] <carol> first after",
        "[09:30] [missed] <carol> after the restart",
        "*** 2 messages missed while away",
    ];
    assert_eq!(shown, expected);
    session.reconnected();
    let shown = feed(
        &mut session,
        &[
            "HISTORY-END 0",
            &msg("HISTORY", 2, "carol", "x"),
            "HISTORY-END 1",
        ],
    );
    assert_eq!(shown, ["*** 0 messages missed while away"]);
}

#[test]
fn a_reconnect_before_any_message_replays_everything() {
    let mut session = Session::new("alice");
    session.reconnected();
    let shown = feed(
        &mut session,
        &[
            "HISTORY-END 0",
            &msg("HISTORY", 1, "bob", "first"),
            "HISTORY-END 1",
        ],
    );
    assert_eq!(
        shown,
        [
            "[09:30] [missed] <bob> first",
            "*** 1 message missed while away"
        ]
    );
}
