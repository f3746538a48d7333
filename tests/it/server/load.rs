//! Many clients at once, a client that stops reading, and shutdown.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::thread;

use chatroom::protocol::ServerLine;
use chatroom::server::ServerOptions;

use crate::support::{TestServer, unthrottled};

#[test]
fn fifty_clients_broadcasting_at_once_all_see_every_message_once_in_one_order() {
    const CLIENTS: usize = 50;
    const EACH: usize = 20;
    let server = TestServer::unthrottled();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| server.join(&format!("user{i}")))
        .collect();
    let start = Arc::new(Barrier::new(CLIENTS));
    let threads: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut client)| {
            let start = start.clone();
            thread::Builder::new()
                .name(format!("client{i}"))
                .spawn(move || {
                    start.wait();
                    for n in 0..EACH {
                        client.send(&format!("message {n} from {i}"));
                    }
                    let mut seen = Vec::with_capacity(CLIENTS * EACH);
                    while seen.len() < CLIENTS * EACH {
                        if let ServerLine::Msg { id, from, text, .. } = client.parsed() {
                            seen.push((id, from, text));
                        }
                    }
                    seen
                })
                .unwrap()
        })
        .collect();
    let views: Vec<Vec<(u64, String, String)>> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let first = &views[0];
    assert!(
        first.windows(2).all(|w| w[0].0 < w[1].0),
        "ids strictly increase"
    );
    let distinct: HashSet<(&String, &String)> =
        first.iter().map(|(_, from, text)| (from, text)).collect();
    assert_eq!(distinct.len(), CLIENTS * EACH, "every message exactly once");
    for (i, view) in views.iter().enumerate() {
        assert_eq!(
            view, first,
            "client {i} saw the same messages in the same order"
        );
    }
    for i in 0..CLIENTS {
        let from_i: Vec<&String> = first
            .iter()
            .filter(|(_, from, _)| *from == format!("user{i}"))
            .map(|(_, _, t)| t)
            .collect();
        let expected: Vec<String> = (0..EACH).map(|n| format!("message {n} from {i}")).collect();
        assert_eq!(
            from_i,
            expected.iter().collect::<Vec<_>>(),
            "each sender's messages in the order sent"
        );
    }
}

#[test]
fn a_client_that_stops_reading_is_evicted_and_nobody_else_notices() {
    let server = TestServer::start(ServerOptions {
        send_queue_lines: 64,
        ..unthrottled()
    });
    let mut slow = server.join("slow");
    let mut bob = server.join("bob");
    let mut carol = server.join("carol");
    bob.until("JOIN ");
    let text = "x".repeat(4000);
    let mut sent = 0;
    let mut leaves = Vec::new();
    while leaves.len() < 2 {
        assert!(sent < 20_000, "the slow client was never evicted");
        bob.send(&text);
        sent += 1;
        for client in [&mut bob, &mut carol] {
            let line = client.line();
            if line.starts_with("LEAVE ") {
                leaves.push(line);
                assert!(client.line().ends_with(&text), "the message that followed");
            } else {
                assert!(
                    line.starts_with("MSG ") && line.ends_with(&text),
                    "others keep receiving: {line:.60}"
                );
            }
        }
    }
    for leave in &leaves {
        assert!(leave.ends_with(" slow :send queue exceeded"), "{leave}");
    }
    bob.send("still here?");
    assert!(carol.until("MSG ").ends_with(" bob #lobby :still here?"));
    let rest = slow.rest();
    assert_eq!(
        rest.last().map(String::as_str),
        Some("BYE :send queue exceeded"),
        "{} lines",
        rest.len()
    );
    assert!(
        !rest.iter().any(|line| line.ends_with("still here?")),
        "nothing after the eviction"
    );
}

/// A client whose socket is full gets the rest through its writer thread (the
/// history thread writes only what a socket takes at once): nothing lost,
/// nothing twice, nothing out of order.
#[test]
fn a_client_that_falls_behind_and_catches_up_gets_every_line_once_in_order() {
    const MESSAGES: usize = 4000;
    let server = TestServer::start(ServerOptions {
        send_queue_lines: 10_000,
        send_queue_bytes: 64 << 20,
        ..unthrottled()
    });
    let mut late = server.join("late");
    let mut bob = server.join("bob");
    late.until("JOIN ");
    let text = "y".repeat(4000);
    // All at once, so the history thread takes them in batches and writes
    // several lines to a socket with one send, which a full socket cuts short
    // in the middle of a line.
    for n in 0..MESSAGES {
        bob.send(&format!("{n} {text}"));
    }
    for _ in 0..MESSAGES {
        assert!(bob.until("MSG ").ends_with(&text), "bob's own copy");
    }
    // 16 MB, more than the two sockets hold, waited for late meanwhile.
    for n in 0..MESSAGES {
        let line = late.until("MSG ");
        assert!(
            line.ends_with(&format!(" bob #lobby :{n} {text}")),
            "message {n} next: {line:.60}"
        );
    }
    bob.send("done");
    assert!(late.until("MSG ").ends_with(" bob #lobby :done"));
}

#[test]
fn shutdown_says_bye_to_everyone() {
    let server = TestServer::ephemeral();
    let mut clients: Vec<_> = (0..5).map(|i| server.join(&format!("c{i}"))).collect();
    let mut unregistered = server.connect();
    clients[0].send("last message");
    clients[0].until("MSG ");
    server.stop();
    for mut client in clients {
        let rest = client.rest();
        assert_eq!(
            rest.last().map(String::as_str),
            Some("BYE :server shutting down"),
            "{rest:?}"
        );
        assert!(
            !rest.iter().any(|line| line.starts_with("LEAVE")),
            "no LEAVE storm on shutdown"
        );
    }
    assert_eq!(unregistered.rest(), ["BYE :server shutting down"]);
}
