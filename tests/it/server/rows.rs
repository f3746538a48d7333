//! Every row of the protocol's client-line table, every error code, framing.

use chatroom::protocol::ServerLine;

use crate::support::TestServer;

#[test]
fn joining_gets_welcome_users_history_in_order_and_others_get_join() {
    let server = TestServer::ephemeral();
    let mut bob = server.join("bob");
    bob.send("anyone here?");
    bob.expect("MSG ");
    let mut alice = server.connect();
    alice.send("alice");
    assert_eq!(
        alice.line(),
        "WELCOME alice 2 :Welcome to the chatroom, alice! Type /help for commands."
    );
    assert_eq!(alice.line(), "USERS :alice bob");
    assert_eq!(alice.line(), "USERS-END 2 #lobby");
    let replayed = alice.parsed();
    assert!(
        matches!(&replayed, ServerLine::History { from, text, .. } if from == "bob" && text == "anyone here?"),
        "{replayed:?}"
    );
    assert_eq!(alice.line(), "HISTORY-END 1 #lobby");
    let join = bob.parsed();
    assert!(
        matches!(join, ServerLine::Join { ref name, .. } if name == "alice"),
        "{join:?}"
    );
    assert!(
        alice.sync().is_empty(),
        "the joiner gets no JOIN of its own"
    );
}

#[test]
fn room_messages_reach_everyone_sender_included() {
    let server = TestServer::ephemeral();
    let mut alice = server.join("alice");
    let mut bob = server.join("bob");
    alice.until("JOIN ");
    alice.send("hi bob");
    alice.send("//etc is a path");
    for client in [&mut alice, &mut bob] {
        let ServerLine::Msg {
            id: first,
            from,
            text,
            ..
        } = client.parsed()
        else {
            panic!("expected MSG")
        };
        assert_eq!((from.as_str(), text.as_str()), ("alice", "hi bob"));
        let ServerLine::Msg {
            id: second, text, ..
        } = client.parsed()
        else {
            panic!("expected MSG")
        };
        assert_eq!(text, "/etc is a path");
        assert!(second > first, "ids increase");
    }
}

#[test]
fn private_messages_reach_recipient_and_sender_only() {
    let server = TestServer::ephemeral();
    let mut alice = server.join("alice");
    let mut bob = server.join("Bob");
    let mut carol = server.join("carol");
    alice.send("/msg bob see you at 10");
    let to_alice = alice.until("PRIV ");
    let to_bob = bob.until("PRIV ");
    assert_eq!(to_alice, to_bob, "both get the same line");
    let ServerLine::Priv { from, to, text, .. } = ServerLine::parse(&to_bob).unwrap() else {
        unreachable!()
    };
    assert_eq!(
        (from.as_str(), to.as_str(), text.as_str()),
        ("alice", "Bob", "see you at 10")
    );
    assert!(
        carol.sync().iter().all(|line| !line.starts_with("PRIV")),
        "carol sees nothing"
    );
    alice.send("/msg alice note to self");
    alice.expect("PRIV ");
    assert!(alice.sync().is_empty(), "a message to oneself arrives once");
}

/// One command, the exact first line the sender gets back.
fn check(command: &str, expected_prefix: &str) {
    let server = TestServer::ephemeral();
    let mut alice = server.join("alice");
    alice.send(command);
    let line = alice.line();
    assert!(
        line.starts_with(expected_prefix),
        "{command:?}: expected {expected_prefix:?}, got {line:?}"
    );
}

#[test]
fn command_table() {
    check("/msg nobody hello", "ERROR no-such-user :");
    check("/msg bob", "ERROR usage :/msg <name> <text>");
    check("/msg", "ERROR usage :/msg <name> <text>");
    check("/who", "USERS :alice");
    check("/WHO", "USERS :alice");
    check("/history", "HISTORY-END 0");
    check("/history 0", "ERROR usage :/history [n]");
    check("/history 1001", "ERROR usage :/history [n]");
    check("/history many", "ERROR usage :/history [n]");
    check("/ping abc", "PONG abc");
    check("/PING", "PONG -");
    check("/help", "INFO :Commands:");
    check("/dance", "ERROR unknown-command :");
    check("/name other", "ERROR unknown-command :");
    check("/quit", "BYE :goodbye");
    check("{exit}", "BYE :goodbye");
}

#[test]
fn blank_lines_and_crlf() {
    let server = TestServer::ephemeral();
    let mut alice = server.join("alice");
    alice.send_raw(b"\n   \n\r\nhello\r\n");
    let ServerLine::Msg { text, .. } = alice.parsed() else {
        panic!("expected MSG")
    };
    assert_eq!(text, "hello");
    assert!(alice.sync().is_empty(), "blank lines produce nothing");
}

#[test]
fn who_and_history_report_the_room() {
    let server = TestServer::ephemeral();
    let mut zed = server.join("zed");
    let mut amy = server.join("Amy");
    let _bo = server.join("bo");
    for text in ["one", "two", "three"] {
        amy.send(text);
    }
    amy.send("/who");
    amy.until("USERS :");
    zed.send("/who");
    assert_eq!(
        zed.until("USERS :"),
        "USERS :Amy bo zed",
        "sorted without regard to case"
    );
    assert_eq!(zed.line(), "USERS-END 3");
    zed.send("/history 2");
    let replay = zed.until("HISTORY ");
    assert!(replay.ends_with(" Amy #lobby :two"), "{replay}");
    assert!(zed.line().ends_with(" Amy #lobby :three"));
    assert_eq!(zed.line(), "HISTORY-END 2 #lobby");
}

#[test]
fn quit_tells_others_the_reason_and_closes() {
    let server = TestServer::ephemeral();
    let mut alice = server.join("alice");
    let mut bob = server.join("bob");
    bob.send("/quit lunch");
    assert_eq!(bob.line(), "BYE :goodbye");
    assert!(bob.rest().is_empty(), "closed after BYE");
    let ServerLine::Leave { name, reason, .. } = ServerLine::parse(&alice.until("LEAVE ")).unwrap()
    else {
        unreachable!()
    };
    assert_eq!((name.as_str(), reason.as_str()), ("bob", "lunch"));
    let mut carol = server.join("carol");
    carol.send("/quit");
    carol.expect("BYE ");
    assert!(alice.until("LEAVE ").ends_with(" carol :quit"));
    drop(server.join("dave"));
    assert!(alice.until("LEAVE ").ends_with(" dave :connection lost"));
}

#[test]
fn a_sender_that_half_closes_still_gets_its_acknowledgements() {
    let server = TestServer::ephemeral();
    let mut alice = server.join("alice");
    alice.send("last words");
    alice.finish_sending();
    let rest = alice.rest();
    assert!(
        rest.iter()
            .any(|line| line.starts_with("MSG ") && line.ends_with(" alice #lobby :last words")),
        "{rest:?}"
    );
}

#[test]
fn refused_lines_get_an_error_and_keep_the_connection() {
    let server = TestServer::start(chatroom::server::ServerOptions {
        max_line: 64,
        ..Default::default()
    });
    let mut alice = server.join("alice");
    let cases: &[(&[u8], &str)] = &[
        (&[b'x'; 200], "ERROR line-too-long :"),
        (b"\xff\xfe bad bytes", "ERROR bad-encoding :"),
        (b"red \x1b[31m text", "ERROR bad-text :"),
        (b"nul \x00", "ERROR bad-text :"),
        (b"del \x7f", "ERROR bad-text :"),
        ("c1 \u{9b}31m".as_bytes(), "ERROR bad-text :"),
    ];
    for (bytes, expected) in cases {
        alice.send_raw(bytes);
        alice.send_raw(b"\n");
        let line = alice.line();
        assert!(line.starts_with(expected), "{bytes:?}: got {line:?}");
    }
    // Exactly the limit (63 bytes and LF) still passes.
    alice.send(&"y".repeat(63));
    let ServerLine::Msg { text, .. } = alice.parsed() else {
        panic!("expected MSG")
    };
    assert_eq!(text.len(), 63);
    alice.send("/ping still-here");
    assert_eq!(alice.line(), "PONG still-here");
}

#[test]
fn a_megabyte_without_newline_is_refused_once_and_the_connection_kept() {
    let server = TestServer::ephemeral();
    let mut alice = server.join("alice");
    let mut bob = server.join("bob");
    alice.until("JOIN ");
    alice.send_raw(&vec![b'z'; 1 << 20]);
    alice.send_raw(b"\nafter\n");
    assert!(alice.line().starts_with("ERROR line-too-long :"));
    assert!(
        alice.line().ends_with(" alice #lobby :after"),
        "exactly one error, then the next line works"
    );
    assert!(
        bob.line().ends_with(" alice #lobby :after"),
        "bob sees only the good line"
    );
}

#[test]
fn answers_come_in_the_order_lines_were_sent() {
    let server = TestServer::unthrottled();
    let mut alice = server.join("alice");
    for round in 0..20 {
        alice.send(&format!("message {round}"));
        alice.send("/msg nobody hello");
        alice.send(&format!("/ping p{round}"));
        assert!(
            alice
                .line()
                .ends_with(&format!(" alice #lobby :message {round}"))
        );
        alice.expect("ERROR no-such-user :");
        assert_eq!(alice.line(), format!("PONG p{round}"));
    }
}
