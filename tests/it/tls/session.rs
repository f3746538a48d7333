//! TLS sessions end to end: beside plain ones in one room, through the
//! client library and the client binary, under the server's limits, and
//! against clients that do not speak TLS at all.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use chatroom::conn::{ConnError, Connection, Event};
use chatroom::protocol::ServerLine;
use chatroom::server::ServerOptions;
use chatroom::tls::{ClientTls, Trust};

use super::{TlsServer, with_accounts};
use crate::client::PlainClient;
use crate::support::{Client, LINE_DEADLINE, eventually, proc_count, server_command};

fn plain_join(addr: SocketAddr, name: &str) -> Client {
    let mut client = Client::connect(addr);
    client.expect("HELLO chatroom 2 :");
    client.send(name);
    client.expect(&format!("WELCOME {name} "));
    client.until("HISTORY-END ");
    client
}

#[test]
fn tls_and_plain_users_share_one_room() {
    let server = TlsServer::start(with_accounts);
    let mut alice = server.join_tls("alice");
    let mut bob = plain_join(server.plain, "bob");
    alice.expect("JOIN ");
    let mut carol = Connection::connect_tls(
        "127.0.0.1",
        server.tls.port(),
        LINE_DEADLINE,
        &server.client_tls(),
    )
    .expect("library TLS connect");
    assert!(carol.is_tls());
    carol.register("carol", LINE_DEADLINE).expect("register");

    alice.send("hello from TLS");
    let line = bob.until("MSG ");
    assert!(line.ends_with(" alice #lobby :hello from TLS"), "{line}");
    bob.send("hello from plain");
    alice.until("MSG "); // Her own copy first.
    let line = alice.until("MSG ");
    assert!(line.ends_with(" bob #lobby :hello from plain"), "{line}");
    let texts = wait_for_texts(&carol, 2);
    assert_eq!(texts, ["hello from TLS", "hello from plain"]);

    alice.send("/who");
    assert_eq!(alice.until("USERS :"), "USERS :alice bob carol");
    alice.expect("USERS-END 3");
    drop(carol);
    assert!(alice.expect("LEAVE ").ends_with(" carol :connection lost"));
    server.stop();
    assert_eq!(alice.rest(), ["BYE :server shutting down"]);
}

/// The texts of the next `n` room messages `conn` receives.
fn wait_for_texts(conn: &Connection, n: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + LINE_DEADLINE;
    let mut texts = Vec::new();
    while texts.len() < n {
        match conn.recv_until(deadline) {
            Some(Event::Line(ServerLine::Msg { text, .. })) => texts.push(text),
            Some(Event::Closed(reason)) => panic!("closed: {reason:?}"),
            Some(_) => {}
            None => panic!("only {texts:?} within the deadline"),
        }
    }
    texts
}

#[test]
fn a_wrong_fingerprint_is_refused_before_anything_is_sent() {
    let server = TlsServer::start(with_accounts);
    let wrong = format!("00{}", &server.fingerprint[2..]).replace("00:00", "00:01");
    let trust = Trust::Fingerprint(wrong.clone());
    let tls = ClientTls::new(&trust, "127.0.0.1", server.tls.port()).unwrap();
    let refused = Connection::connect_tls("127.0.0.1", server.tls.port(), LINE_DEADLINE, &tls)
        .expect_err("a wrong fingerprint must be refused");
    match refused {
        ConnError::FingerprintMismatch {
            expected,
            presented,
            ..
        } => {
            assert_eq!(expected, wrong);
            assert_eq!(presented, server.fingerprint);
        }
        other => panic!("expected a fingerprint mismatch, got {other}"),
    }
    // The server is unharmed.
    server.join_tls("alice");

    let mut client = PlainClient::start(
        server.tls,
        &["--tls-fingerprint", &wrong, "--name", "mallory"],
    );
    let (code, stderr) = client.wait_exit();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not the pinned"), "{stderr}");
}

#[test]
fn the_client_binary_joins_over_tls() {
    let server = TlsServer::start(with_accounts);
    let mut bob = plain_join(server.plain, "bob");
    let mut alice = PlainClient::start(
        server.tls,
        &["--tls-fingerprint", &server.fingerprint, "--name", "alice"],
    );
    alice.expect_line("*** joined as alice (2 online)");
    alice.type_line("sent over TLS");
    let line = bob.until("MSG ");
    assert!(line.ends_with(" alice #lobby :sent over TLS"), "{line}");
    alice.close_stdin();
    let (code, stderr) = alice.wait_exit();
    assert_eq!(code, 0, "{stderr}");

    // The usual verification, with the server's certificate as the CA file.
    let ca = server
        .dir
        .path()
        .join(chatroom::tls::server::SELF_SIGNED_CERT_FILE);
    let mut carol = PlainClient::start(
        server.tls,
        &["--tls-ca", ca.to_str().unwrap(), "--name", "carol"],
    );
    carol.expect_line("*** joined as carol (2 online)");
    carol.close_stdin();
    let (code, stderr) = carol.wait_exit();
    assert_eq!(code, 0, "{stderr}");

    // Against the system's roots a self-signed certificate is not trusted,
    // and the error says what to do.
    let mut dave = PlainClient::start(server.tls, &["--tls", "--name", "dave"]);
    let (code, stderr) = dave.wait_exit();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--tls-fingerprint"), "{stderr}");
}

#[test]
fn limits_and_bulk_traffic_hold_over_tls() {
    let server = TlsServer::start(|dir| ServerOptions {
        max_line: 100,
        ..with_accounts(dir)
    });
    let mut alice = server.join_tls("alice");
    let mut bob = plain_join(server.plain, "bob");
    alice.expect("JOIN ");
    alice.send(&"x".repeat(300));
    alice.expect("ERROR line-too-long ");
    alice.send("still here");
    assert!(alice.until("MSG ").ends_with(" alice #lobby :still here"));
    bob.until("MSG ");

    // Many lines in one go, both ways: records of every size, and the writer
    // busy while the reader works.
    let burst: String = (0..500).map(|i| format!("line {i}\n")).collect();
    alice.send(burst.trim_end());
    for i in 0..500 {
        let mine = alice.until("MSG ");
        assert!(
            mine.ends_with(&format!(" alice #lobby :line {i}")),
            "{mine}"
        );
        let theirs = bob.until("MSG ");
        assert!(
            theirs.ends_with(&format!(" alice #lobby :line {i}")),
            "{theirs}"
        );
    }
}

#[test]
fn clients_that_do_not_speak_tls_are_dropped_alone() {
    let server = TlsServer::start(|dir| ServerOptions {
        registration_timeout: Duration::from_millis(300),
        ..with_accounts(dir)
    });
    let mut plain_on_tls = TcpStream::connect(server.tls).unwrap();
    plain_on_tls.set_read_timeout(Some(LINE_DEADLINE)).unwrap();
    plain_on_tls.write_all(b"alice\n").unwrap();
    let mut answer = Vec::new();
    // An alert perhaps, then the end of the stream.
    let _ = plain_on_tls.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HELLO"), "no protocol line in clear");

    // A connection that never starts a handshake meets the registration
    // deadline like any other.
    let mut silent = TcpStream::connect(server.tls).unwrap();
    silent.set_read_timeout(Some(LINE_DEADLINE)).unwrap();
    let mut rest = Vec::new();
    silent
        .read_to_end(&mut rest)
        .expect("closed by the server, not timed out here");

    let mut alice = server.join_tls("alice");
    alice.send("/ping ok");
    alice.expect("PONG ok");
}

#[test]
fn the_binary_serves_tls_only_with_its_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let args = [
        "--no-plain",
        "--tls-self-signed",
        "--tls-port",
        "0",
        "--ephemeral",
        "--data-dir",
        data,
    ];
    let start = || super::start_binary(&args);
    let (mut first, addr, fingerprint) = start();
    let mut alice = super::TlsClient::connect_tls(None, addr, &fingerprint);
    alice.expect("HELLO chatroom 2 :");
    first.kill().unwrap();
    first.wait().unwrap();
    let (mut second, _, again) = start();
    assert_eq!(again, fingerprint, "the certificate is made once and kept");
    second.kill().unwrap();
    second.wait().unwrap();

    let spawning = crate::support::spawning();
    let refused = server_command(&["--no-plain", "--ephemeral"])
        .output()
        .unwrap();
    drop(spawning);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--tls-self-signed"), "{stderr}");
}

#[test]
fn flood_control_and_the_address_limit_apply_to_tls_clients() {
    let server = TlsServer::start(|dir| ServerOptions {
        flood: chatroom::server::FloodLimit {
            burst: 2,
            rate: 20.0,
        },
        max_per_ip: 1,
        ..with_accounts(dir)
    });
    let mut alice = server.join_tls("alice");
    // Over the address limit: closed at once (a BYE would need a handshake).
    let mut second = TcpStream::connect(server.tls).unwrap();
    second.set_read_timeout(Some(LINE_DEADLINE)).unwrap();
    let mut nothing = Vec::new();
    second
        .read_to_end(&mut nothing)
        .expect("closed by the server");
    assert!(nothing.is_empty());

    // Twelve lines against a burst of 2 and 20 a second: all arrive, the
    // last ones at least half a second later.
    let started = std::time::Instant::now();
    let burst: String = (0..12).map(|i| format!("flood {i}\n")).collect();
    alice.send(burst.trim_end());
    for i in 0..12 {
        assert!(alice.until("MSG ").ends_with(&format!(" :flood {i}")));
    }
    assert!(started.elapsed() >= Duration::from_millis(450));
}

#[test]
fn tls_churn_leaves_no_threads_or_files_behind() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let args = [
        "--no-plain",
        "--tls-self-signed",
        "--tls-port",
        "0",
        "--ephemeral",
        "--data-dir",
        data,
        "--max-per-ip",
        "0",
        "--flood-rate",
        "0",
    ];
    let (mut child, addr, fingerprint) = super::start_binary(&args);
    let pid = child.id();
    let mut watcher = super::TlsClient::connect_tls(None, addr, &fingerprint);
    watcher.expect("HELLO ");
    watcher.send("watcher");
    watcher.until("HISTORY-END ");
    let (threads, files) = (proc_count(pid, "task"), proc_count(pid, "fd"));
    for i in 0..200 {
        match i % 4 {
            // Connects and vanishes before any handshake.
            0 => drop(TcpStream::connect(addr).unwrap()),
            // Not TLS at all.
            1 => {
                let mut stream = TcpStream::connect(addr).unwrap();
                let _ = stream.write_all(b"churn\n/quit\n");
            }
            // Joins and quits properly.
            2 => {
                let mut client = super::TlsClient::connect_tls(None, addr, &fingerprint);
                client.expect("HELLO ");
                client.send(&format!("churn{i}"));
                client.send("/quit");
                client.until("BYE ");
            }
            // Joins, then vanishes without close_notify.
            _ => {
                let mut client = super::TlsClient::connect_tls(None, addr, &fingerprint);
                client.expect("HELLO ");
                client.send(&format!("churn{i}"));
                client.until("HISTORY-END ");
            }
        }
    }
    watcher.send("/ping after-churn");
    watcher.until("PONG after-churn");
    let settled = eventually(Duration::from_secs(30), || {
        proc_count(pid, "task") == threads && proc_count(pid, "fd") == files
    });
    let counts = (proc_count(pid, "task"), proc_count(pid, "fd"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        settled,
        "after 200 TLS connections: threads {} (was {threads}), files {} (was {files})",
        counts.0, counts.1
    );
}

#[test]
fn a_tls_client_that_stops_reading_is_evicted_and_nobody_waits() {
    let server = TlsServer::start(|dir| ServerOptions {
        send_queue_lines: 64,
        ..with_accounts(dir)
    });
    let mut stuck = server.join_tls("stuck");
    let mut talker = plain_join(server.plain, "talker");
    let text = "y".repeat(4000);
    for round in 0.. {
        assert!(round < 5_000, "the stuck TLS client was never evicted");
        talker.send(&format!("{round} {text}"));
        let line = talker.line();
        if line.starts_with("LEAVE ") {
            assert!(line.ends_with(" stuck :send queue exceeded"), "{line}");
            break;
        }
        assert!(line.starts_with("MSG ") && line.contains(&format!(" :{round} ")));
    }
    let rest = stuck.rest();
    assert_eq!(
        rest.last().map(String::as_str),
        Some("BYE :send queue exceeded")
    );
}
