//! Plain mode: what the client prints, what it sends, and how it exits.

use std::net::TcpListener;

use chatroom::protocol::ServerLine;

use super::{Peer, PlainClient, hhmm, start_server};

#[test]
fn client_plain_mode_prints_server_events() {
    let server = start_server();
    let mut bob = Peer::join(server.addr, "bob");
    bob.send("before alice came");
    let mut alice = PlainClient::start(server.addr, &["--name", "alice"]);
    alice.expect_line("*** joined as alice (2 online)");
    // Every line of a room names it (version 2): the default room here.
    alice.expect_line("[#lobby] *** online (2): alice bob");
    alice.expect_line_where("history", |l| {
        l.ends_with(" [#lobby] [history] <bob> before alice came")
    });
    alice.expect_line("[#lobby] *** end of history (1 message)");

    bob.send("hi alice");
    let ServerLine::Msg { ts, .. } =
        bob.wait_for("own MSG", |l| matches!(l, ServerLine::Msg { .. }))
    else {
        unreachable!()
    };
    alice.expect_line(&format!("{} [#lobby] <bob> hi alice", hhmm(&ts)));
    bob.send("//me waves");
    alice.expect_line_where("action", |l| l.ends_with("] [#lobby] * bob waves"));
    bob.send("/msg alice psst");
    alice.expect_line_where("private", |l| l.ends_with("] [msg from bob] psst"));
    bob.send("/quit lunch");
    alice.expect_line_where("leave", |l| {
        l.ends_with("] <-- bob left the server (lunch)")
    });
    let carol = Peer::join(server.addr, "carol");
    alice.expect_line_where("join", |l| l.ends_with("] [#lobby] --> carol joined"));
    drop(carol);

    alice.close_stdin();
    let (code, stderr) = alice.wait_exit();
    assert_eq!(code, 0, "stderr: {stderr}");
    server.stop();
}

#[test]
fn client_plain_mode_sends_each_stdin_line() {
    let server = start_server();
    let bob = Peer::join(server.addr, "bob");
    let mut alice = PlainClient::start(server.addr, &["--name", "alice"]);
    alice.expect_line("*** joined as alice (2 online)");
    for line in ["hello room", "/me waves", "//etc/passwd", "/msg bob psst"] {
        alice.type_line(line);
    }
    assert_eq!(bob.next_msg_from("alice"), "hello room");
    assert_eq!(bob.next_msg_from("alice"), "/me waves");
    assert_eq!(bob.next_msg_from("alice"), "/etc/passwd");
    let private = bob.wait_for("PRIV", |l| matches!(l, ServerLine::Priv { .. }));
    assert!(matches!(private, ServerLine::Priv { text, .. } if text == "psst"));
    alice.expect_line_where("own action", |l| l.ends_with("] * alice waves"));
    alice.expect_line_where("own private", |l| l.ends_with("] [msg to bob] psst"));
    drop(alice);
    server.stop();
}

#[test]
fn client_unknown_commands_are_not_sent() {
    let server = start_server();
    let bob = Peer::join(server.addr, "bob");
    let mut alice = PlainClient::start(server.addr, &["--name", "alice"]);
    alice.expect_line("*** joined as alice (2 online)");
    alice.type_line("/dance wildly");
    alice.type_line("after");
    alice.expect_line(
        "!!! unknown command /dance, not sent; /help lists the commands (//dance sends it as text)",
    );
    // Had /dance reached the server, its ERROR would come before the echo.
    alice.expect_line_where("own message", |l| l.ends_with("] <alice> after"));
    assert!(
        !alice.seen.iter().any(|l| l.contains("unknown-command")),
        "the server saw /dance: {:#?}",
        alice.seen
    );
    assert_eq!(bob.next_msg_from("alice"), "after");
    drop(alice);
    server.stop();
}

#[test]
fn client_stdin_eof_quits_and_exits_0_after_bye() {
    let server = start_server();
    let bob = Peer::join(server.addr, "bob");
    let mut alice = PlainClient::start(server.addr, &["--name", "alice"]);
    alice.expect_line("*** joined as alice (2 online)");
    alice.close_stdin();
    let (code, stderr) = alice.wait_exit();
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(
        alice.seen.iter().any(|l| l.starts_with("*** bye: ")),
        "{:#?}",
        alice.seen
    );
    bob.wait_for("LEAVE", |l| matches!(l, ServerLine::Leave { name, reason, .. } if name == "alice" && reason == "quit"));
    server.stop();
}

#[test]
fn client_without_name_flag_reads_the_name_from_the_first_line() {
    let server = start_server();
    let mut alice = PlainClient::start(server.addr, &[]);
    alice.type_line("alice");
    alice.expect_line("*** joined as alice (1 online)");
    alice.close_stdin();
    assert_eq!(alice.wait_exit().0, 0);
    server.stop();
}

#[test]
fn client_refused_name_exits_2() {
    let server = start_server();
    let _bob = Peer::join(server.addr, "bob");
    let mut other = PlainClient::start(server.addr, &["--name", "BOB"]);
    let (code, stderr) = other.wait_exit();
    assert_eq!(code, 2, "stderr: {stderr}");
    assert!(stderr.contains("name-taken"), "stderr: {stderr}");
    let mut bad = PlainClient::start(server.addr, &["--name", "9lives"]);
    let (code, stderr) = bad.wait_exit();
    assert_eq!(code, 2, "stderr: {stderr}");
    assert!(stderr.contains("name-invalid"), "stderr: {stderr}");
    server.stop();
}

#[test]
fn client_server_gone_exits_non_zero() {
    let server = start_server();
    let mut alice = PlainClient::start(server.addr, &["--name", "alice"]);
    alice.expect_line("*** joined as alice (1 online)");
    server.stop();
    let (code, stderr) = alice.wait_exit();
    assert_eq!(code, 3, "stderr: {stderr}");
    assert!(
        stderr.contains("the server closed the connection"),
        "stderr: {stderr}"
    );
}

#[test]
fn client_connection_refused_exits_1_saying_where_it_tried() {
    let unused = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = unused.local_addr().unwrap();
    drop(unused);
    let mut alice = PlainClient::start(addr, &["--name", "alice"]);
    let (code, stderr) = alice.wait_exit();
    assert_eq!(code, 1, "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{}", addr.port())),
        "{stderr}"
    );
    assert!(
        stderr.contains("--host") && stderr.contains("--port"),
        "{stderr}"
    );
}

#[test]
fn client_plain_mode_refuses_an_over_long_line_before_sending() {
    let server = start_server();
    let bob = Peer::join(server.addr, "bob");
    let mut alice = PlainClient::start(server.addr, &["--name", "alice"]);
    alice.expect_line("*** joined as alice (2 online)");
    alice.type_line(&"x".repeat(4095));
    alice.type_line(&"y".repeat(4096));
    alice.type_line("short");
    alice.expect_line_where("the refusal", |l| {
        l.starts_with("!!! line-too-long: 4096 bytes, and a line holds at most 4095; not sent.")
    });
    assert_eq!(bob.next_msg_from("alice"), "x".repeat(4095));
    assert_eq!(bob.next_msg_from("alice"), "short");
    alice.close_stdin();
    let (code, stderr) = alice.wait_exit();
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(
        !alice
            .seen
            .iter()
            .any(|l| l.contains("ERROR") || l.starts_with("!!! line-too-long: 4097")),
        "{:#?}",
        alice.seen
    );
    server.stop();
}
