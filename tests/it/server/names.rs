//! Registration: name rules, uniqueness without regard to case, the allow-list,
//! what works before joining, and the limits on trying.

use std::time::Duration;

use chatroom::server::ServerOptions;

use crate::support::TestServer;

#[test]
fn invalid_names_are_refused_and_the_client_may_retry() {
    let server = TestServer::ephemeral();
    let mut client = server.connect();
    for bad in [
        "2fast",
        "_under",
        "has space",
        "émile",
        &"a".repeat(33),
        "/name",
        "/name a b",
    ] {
        client.send(bad);
        let line = client.line();
        let expected = if bad.starts_with("/name") {
            "ERROR usage :"
        } else {
            "ERROR name-invalid :"
        };
        assert!(line.starts_with(expected), "{bad:?}: {line:?}");
    }
    client.send("/name Good_name-1");
    client.expect("WELCOME Good_name-1 1 ");
}

#[test]
fn names_are_unique_without_regard_to_case_and_shown_as_typed() {
    let server = TestServer::ephemeral();
    let mut alice = server.join("Alice");
    let mut other = server.connect();
    other.send("alice");
    other.expect("ERROR name-taken :");
    other.send("ALICE");
    other.expect("ERROR name-taken :");
    other.send("/msg ALICE hi");
    other.expect("ERROR not-registered :");
    other.send("alicia");
    other.expect("WELCOME alicia 2 ");
    assert!(alice.until("JOIN ").ends_with(" alicia #lobby"));
    alice.send("/quit");
    alice.expect("BYE ");
    other.until("LEAVE ");
    let mut again = server.connect();
    again.send("aLiCe");
    again.expect("WELCOME aLiCe 2 ");
}

#[test]
fn only_allowed_names_join_when_a_list_is_set() {
    let config = ServerOptions {
        allow_users: Some(vec!["alice".into(), "Bob".into()]),
        ..ServerOptions::default()
    };
    let server = TestServer::start(config);
    let mut client = server.connect();
    client.send("mallory");
    client.expect("ERROR name-not-allowed :");
    client.send("BOB");
    client.expect("WELCOME BOB 1 ");
}

#[test]
fn before_joining_only_quit_help_and_ping_work() {
    let server = TestServer::ephemeral();
    let mut client = server.connect();
    for (line, expected) in [
        ("/who", "ERROR not-registered :"),
        ("/history", "ERROR not-registered :"),
        ("/dance", "ERROR not-registered :"),
        ("/help", "INFO :Commands:"),
        ("/ping t1", "PONG t1"),
    ] {
        client.send(line);
        assert!(client.line().starts_with(expected), "{line}");
        client.sync();
    }
    client.send("/quit");
    client.expect("BYE :goodbye");
    assert!(client.rest().is_empty());
}

#[test]
fn ten_refusals_end_the_connection() {
    let server = TestServer::ephemeral();
    let mut client = server.connect();
    for attempt in 1..=10 {
        client.send("9lives");
        client.expect("ERROR name-invalid :");
        if attempt < 10 {
            client.sync();
        }
    }
    client.expect("BYE :too many refused names");
    assert!(client.rest().is_empty());
}

#[test]
fn a_client_that_never_registers_is_let_go() {
    let config = ServerOptions {
        registration_timeout: Duration::from_millis(300),
        ..ServerOptions::default()
    };
    let server = TestServer::start(config);
    let mut silent = server.connect();
    silent.expect("BYE :registration timed out");
    assert!(silent.rest().is_empty());
    // A prompt client is unaffected, also after the timeout has passed.
    let mut alice = server.join("alice");
    alice.send("/ping later");
    alice.until("PONG later");
}

#[test]
fn a_full_server_says_so() {
    let server = TestServer::start(ServerOptions {
        max_clients: 2,
        ..ServerOptions::default()
    });
    let _a = server.join("a");
    let mut b = server.connect();
    let mut third = crate::support::Client::connect(server.addr);
    assert_eq!(third.line(), "BYE :server full");
    assert!(third.rest().is_empty());
    b.send("/quit");
    b.expect("BYE ");
    assert!(b.rest().is_empty());
    // The slot is free once the session has ended; the server frees it before
    // the socket closes, so this connection is admitted.
    let mut fourth = server.connect();
    fourth.send("d");
    fourth.expect("WELCOME d 2 ");
}
