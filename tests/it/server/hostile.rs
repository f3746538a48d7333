//! Hostile and broken clients. Each test checks what the offender gets and
//! that everyone else notices nothing.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use chatroom::protocol::ServerLine;
use chatroom::protocol::frame::is_forbidden_char;
use chatroom::server::{FloodLimit, ServerOptions};

use crate::support::{
    Client, ServerProcess, TestServer, eventually, proc_count, proc_status, unthrottled,
};

#[test]
fn a_byte_at_a_time_sender_is_understood() {
    let server = TestServer::ephemeral();
    let mut bob = server.join("bob");
    let mut slowpoke = server.connect();
    slowpoke.writer_nodelay();
    for byte in b"dribble\nhello, one byte at a time\n" {
        slowpoke.send_raw(&[*byte]);
    }
    slowpoke.expect("WELCOME dribble ");
    assert!(
        bob.until("MSG ")
            .ends_with(" dribble #lobby :hello, one byte at a time")
    );
}

#[test]
fn a_reader_that_stops_is_evicted_while_ten_others_chat() {
    let server = TestServer::start(ServerOptions {
        send_queue_lines: 64,
        ..unthrottled()
    });
    let mut stuck = server.join("stuck");
    let mut others: Vec<Client> = (0..10)
        .map(|i| server.join(&format!("chatter{i}")))
        .collect();
    for (i, other) in others.iter_mut().enumerate() {
        for _ in i + 1..10 {
            other.until("JOIN ");
        }
    }
    let text = "y".repeat(4000);
    let mut evicted_seen = 0;
    for round in 0.. {
        assert!(round < 5_000, "the stuck client was never evicted");
        let speaker = round % others.len();
        others[speaker].send(&format!("{round} {text}"));
        for other in others.iter_mut() {
            let line = other.line();
            if line.starts_with("LEAVE ") {
                assert!(line.ends_with(" stuck :send queue exceeded"), "{line}");
                evicted_seen += 1;
                let next = other.line();
                assert!(
                    next.starts_with("MSG ") && next.contains(&format!(" :{round} ")),
                    "{next:.60}"
                );
            } else {
                assert!(
                    line.starts_with("MSG ") && line.contains(&format!(" :{round} ")),
                    "in order, nothing missed: {line:.60}"
                );
            }
        }
        if evicted_seen == others.len() {
            break;
        }
    }
    let rest = stuck.rest();
    assert_eq!(
        rest.last().map(String::as_str),
        Some("BYE :send queue exceeded")
    );
}

#[test]
fn endless_bytes_without_a_newline_keep_memory_flat() {
    let server = ServerProcess::start(&["--ephemeral"]);
    let pid = server.child.id();
    let mut alice = server.join("alice");
    let mut bob = server.join("bob");
    let before = proc_status(pid, "VmRSS");
    let megabyte = vec![b'x'; 1 << 20];
    for _ in 0..64 {
        alice.send_raw(&megabyte);
    }
    alice.send_raw(b"\nstill talking\n");
    alice.until("ERROR line-too-long :");
    assert!(
        alice
            .until("MSG ")
            .ends_with(" alice #lobby :still talking")
    );
    assert!(bob.until("MSG ").ends_with(" alice #lobby :still talking"));
    let after = proc_status(pid, "VmRSS");
    assert!(
        after < before + 4 * 1024,
        "64 MiB without a newline grew the server from {before} KiB to {after} KiB"
    );
}

/// Pastes `lines` lines at once; returns what another client saw and how long
/// the paste took to arrive in full.
fn paste(flood: FloodLimit, lines: usize) -> (Vec<String>, Duration) {
    let server = TestServer::start(ServerOptions {
        flood,
        ..ServerOptions::default()
    });
    let mut paster = server.join("paster");
    let mut reader = server.join("reader");
    paster.until("JOIN ");
    let block: String = (0..lines).map(|i| format!("line {i}\n")).collect();
    let start = Instant::now();
    paster.send_raw(block.as_bytes());
    let seen: Vec<String> = (0..lines).map(|_| reader.until("MSG ")).collect();
    (seen, start.elapsed())
}

#[test]
fn a_pasted_paragraph_arrives_complete_and_in_order_but_slowed() {
    let (seen, took) = paste(FloodLimit::default(), 20);
    for (i, line) in seen.iter().enumerate() {
        assert!(
            line.ends_with(&format!(" paster #lobby :line {i}")),
            "{line}"
        );
    }
    // 10 lines pass at once, the other 10 at 5 a second: at least 1.8 s.
    assert!(took >= Duration::from_millis(1800), "not slowed: {took:?}");
}

#[test]
fn a_500_line_paste_is_slowed_but_nothing_is_lost() {
    let flood = FloodLimit {
        burst: 10,
        rate: 400.0,
    };
    let (seen, took) = paste(flood, 500);
    for (i, line) in seen.iter().enumerate() {
        assert!(
            line.ends_with(&format!(" paster #lobby :line {i}")),
            "{line}"
        );
    }
    assert!(
        took >= Duration::from_millis(490 * 1000 / 400),
        "not slowed: {took:?}"
    );
}

#[test]
fn too_many_connections_from_one_address_are_refused() {
    let server = TestServer::start(ServerOptions {
        max_per_ip: 3,
        ..ServerOptions::default()
    });
    let mut first = server.join("first");
    let _second = server.connect();
    let _third = server.connect();
    let mut fourth = Client::connect(server.addr);
    assert_eq!(
        fourth.rest(),
        ["BYE :too many connections from your address"]
    );
    // Another address is counted on its own.
    let other_host = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let mut elsewhere = Client::connect_from(other_host, server.addr);
    elsewhere.expect("HELLO ");
    elsewhere.send("remote");
    elsewhere.expect("WELCOME remote 2 ");
    first.send("/quit");
    first.until("BYE ");
    assert!(first.rest().is_empty());
    let mut again = server.connect();
    again.send("again");
    again.expect("WELCOME again ");
}

#[test]
fn connection_churn_leaves_no_threads_or_files_behind() {
    let server = ServerProcess::start(&["--ephemeral", "--max-per-ip", "0", "--flood-rate", "0"]);
    let pid = server.child.id();
    let mut watcher = server.join("watcher");
    let (threads, files) = (proc_count(pid, "task"), proc_count(pid, "fd"));
    const WORKERS: usize = 4;
    const EACH: usize = 2500;
    let start = Arc::new(Barrier::new(WORKERS));
    let addr = server.addr;
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let start = start.clone();
            thread::Builder::new()
                .name(format!("churn{w}"))
                .spawn(move || {
                    start.wait();
                    for i in 0..EACH {
                        let mut stream = TcpStream::connect(addr).expect("connect during churn");
                        if i % 50 == 0 {
                            // Some register and quit properly; most just vanish.
                            let _ = stream.write_all(format!("churn{w}x{i}\n/quit\n").as_bytes());
                        }
                    }
                })
                .unwrap()
        })
        .collect();
    workers.into_iter().for_each(|w| w.join().unwrap());
    watcher.send("/ping after-churn");
    watcher.until("PONG after-churn");
    let settled = eventually(Duration::from_secs(30), || {
        proc_count(pid, "task") == threads && proc_count(pid, "fd") == files
    });
    assert!(
        settled,
        "after 10,000 connections: threads {} (was {threads}), files {} (was {files})",
        proc_count(pid, "task"),
        proc_count(pid, "fd")
    );
}

#[test]
fn a_half_closed_client_leaves_but_gets_what_was_sent_to_it() {
    let server = TestServer::ephemeral();
    let mut bob = server.join("bob");
    let mut half = server.join("half");
    bob.until("JOIN ");
    half.send("going quiet");
    half.finish_sending();
    assert!(bob.until("MSG ").ends_with(" half #lobby :going quiet"));
    assert!(bob.until("LEAVE ").ends_with(" half :connection lost"));
    let rest = half.rest();
    assert!(
        rest.iter()
            .any(|line| line.ends_with(" half #lobby :going quiet")),
        "{rest:?}"
    );
}

#[test]
fn a_silent_or_half_sent_connection_bothers_nobody() {
    let config = ServerOptions {
        registration_timeout: Duration::from_millis(500),
        ..ServerOptions::default()
    };
    let server = TestServer::start(config);
    let mut silent = server.connect();
    let mut half_line = server.connect();
    half_line.send_raw(b"half a na");
    let mut alice = server.join("alice");
    alice.send("/ping ok");
    alice.until("PONG ok");
    assert!(silent.line().starts_with("BYE :registration timed out"));
    assert!(half_line.line().starts_with("BYE :registration timed out"));
}

/// A deterministic generator of junk, so a failure can be replayed.
fn junk(seed: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 24) as u8
        })
        .filter(|&b| b != b'\n')
        .collect()
}

#[test]
fn garbage_before_and_after_joining_reaches_nobody_as_garbage() {
    let server = TestServer::start(unthrottled());
    let mut bob = server.join("bob");
    let mut vandal = server.connect();
    let mut seed = 0x5eed_u64;
    for _ in 0..5 {
        let mut line = junk(&mut seed, 40);
        line.push(0x1b); // Always refused, never a name attempt.
        vandal.send_raw(&line);
        vandal.send_raw(b"\n");
        let answer = vandal.line();
        assert!(answer.starts_with("ERROR bad-"), "{answer}");
    }
    vandal.send("vandal");
    vandal.expect("WELCOME vandal ");
    for _ in 0..300 {
        let len = (seed % 300) as usize;
        vandal.send_raw(&junk(&mut seed, len));
        vandal.send_raw(b"\n");
    }
    vandal.send("/ping done");
    vandal.until("PONG done");
    for line in bob.sync() {
        let parsed = ServerLine::parse(&line)
            .unwrap_or_else(|e| panic!("bob got an unparsable line {line:?}: {e}"));
        assert!(
            !line.chars().any(is_forbidden_char),
            "a control character reached bob: {line:?}"
        );
        assert!(
            matches!(parsed, ServerLine::Msg { .. } | ServerLine::Join { .. }),
            "{parsed:?}"
        );
    }
}
