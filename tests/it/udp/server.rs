//! The server's UDP front, driven datagram by datagram (`raw.rs`), beside
//! TCP users in the same room.

use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

use chatroom::server::ServerOptions;
use chatroom::udp::{Datagram, Token};

use super::raw::{RawUdp, recv};
use crate::support::{TestServer, unthrottled};

fn server(config: ServerOptions) -> TestServer {
    TestServer::with_udp(config)
}

/// The ID of a `MSG` line.
fn id_of(line: &str) -> u64 {
    line.split(' ').nth(1).unwrap().parse().unwrap()
}

#[test]
fn tcp_and_udp_users_share_one_room() {
    let server = server(unthrottled());
    let mut tina = server.join("tina");
    let mut uma = RawUdp::join(server.udp.unwrap(), "uma");
    tina.expect("JOIN ");
    // Out of order and duplicated: the server takes each line once, in order.
    let token = uma.token;
    let data = |seq: u64, line: &str| {
        Datagram::Data {
            token,
            seq,
            line: line.as_bytes(),
        }
        .encode()
    };
    uma.send_datagram(&data(3, "third"));
    uma.send_datagram(&data(2, "second"));
    uma.send_datagram(&data(2, "second"));
    tina.send("from tcp");
    let tcp_sees: Vec<String> = (0..3).map(|_| tina.expect("MSG ")).collect();
    let udp_sees: Vec<String> = (0..3).map(|_| uma.expect("MSG ")).collect();
    assert_eq!(tcp_sees, udp_sees, "one order, the same IDs, on both");
    let uma_lines: Vec<&String> = tcp_sees
        .iter()
        .filter(|l| l.contains(" uma #lobby :"))
        .collect();
    assert_eq!(uma_lines.len(), 2);
    assert!(uma_lines[0].ends_with(":second") && uma_lines[1].ends_with(":third"));
    assert!(tcp_sees.windows(2).all(|w| id_of(&w[0]) < id_of(&w[1])));
    uma.send_datagram(&data(4, "/who"));
    assert_eq!(uma.line(), "USERS :tina uma");
    uma.expect("USERS-END 2");
    uma.send_datagram(&data(5, "/history 3"));
    let history: Vec<String> = (0..3).map(|_| uma.expect("HISTORY ")).collect();
    assert_eq!(
        history.iter().map(|l| id_of(l)).collect::<Vec<_>>(),
        udp_sees.iter().map(|l| id_of(l)).collect::<Vec<_>>()
    );
}

#[test]
fn lines_longer_than_a_datagram_are_refused() {
    let server = server(unthrottled());
    let mut uma = RawUdp::join(server.udp.unwrap(), "uma");
    uma.send(&"x".repeat(1201));
    uma.expect("ERROR line-too-long ");
    uma.send(&"y".repeat(1200));
    let line = uma.expect("MSG ");
    assert!(line.ends_with(&"y".repeat(1200)));
    uma.send("a\nb");
    uma.expect("ERROR bad-text ");
}

#[test]
fn datagrams_without_the_token_are_ignored() {
    let server = server(unthrottled());
    let udp = server.udp.unwrap();
    let mut tina = server.join("tina");
    let mut uma = RawUdp::join(udp, "uma");
    tina.expect("JOIN ");
    let spoofer = UdpSocket::bind("127.0.0.1:0").unwrap();
    spoofer.connect(udp).unwrap();
    spoofer
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    // Uma's token from another address: ignored without an answer.
    let forged = Datagram::Data {
        token: uma.token,
        seq: 2,
        line: b"forged with the token",
    };
    spoofer.send(&forged.encode()).unwrap();
    // A token nobody holds: told to close, and nothing reaches the room.
    let stranger = Token::from_bytes([9; 16]);
    let guessed = Datagram::Data {
        token: stranger,
        seq: 1,
        line: b"forged without a token",
    };
    spoofer.send(&guessed.encode()).unwrap();
    uma.send("the real one");
    let line = tina.expect("MSG ");
    assert!(line.ends_with(" uma #lobby :the real one"), "{line}");
    tina.sync();
    let answer = recv(&spoofer).expect("CLOSE for the unknown token");
    assert_eq!(
        Datagram::parse(&answer),
        Ok(Datagram::Close { token: stranger })
    );
    assert!(
        recv(&spoofer).is_none(),
        "nothing else was sent to the spoofer"
    );
}

#[test]
fn a_silent_client_is_dropped() {
    let server = server(ServerOptions {
        udp_idle_timeout: Duration::from_millis(1500),
        ..unthrottled()
    });
    let mut tina = server.join("tina");
    let mut uma = RawUdp::join(server.udp.unwrap(), "uma");
    tina.expect("JOIN ");
    let start = Instant::now();
    let leave = tina.until("LEAVE ");
    assert!(leave.contains(" uma :connection lost"), "{leave}");
    assert!(
        start.elapsed() >= Duration::from_millis(1000),
        "left too soon"
    );
    uma.rest();
}

#[test]
fn keepalives_keep_a_quiet_client() {
    let server = server(ServerOptions {
        udp_idle_timeout: Duration::from_millis(1000),
        ..unthrottled()
    });
    let mut uma = RawUdp::join(server.udp.unwrap(), "uma");
    let keep = Datagram::Keep { token: uma.token }.encode();
    // Three idle timeouts' worth of silence but for KEEPs, each answered.
    // (A loaded machine may delay our ACKs past the server's resend timer,
    // so a resent DATA may come too; only a CLOSE would be wrong.)
    let until = Instant::now() + Duration::from_millis(3000);
    while Instant::now() < until {
        uma.send_datagram(&keep);
        let answered_by = Instant::now() + Duration::from_secs(5);
        let mut answered = false;
        let quiet_until = Instant::now() + Duration::from_millis(300);
        while Instant::now() < quiet_until || !answered {
            assert!(Instant::now() < answered_by, "no ACK for the KEEP");
            let Some(bytes) = recv(&uma.socket) else {
                continue;
            };
            match Datagram::parse(&bytes) {
                Ok(Datagram::Ack { seq: None, .. }) => answered = true,
                Ok(Datagram::Close { .. }) => panic!("dropped while keeping alive"),
                _ => {}
            }
        }
    }
    uma.send("/who");
    assert_eq!(uma.line(), "USERS :uma");
}

#[test]
fn a_client_that_stops_acknowledging_is_evicted() {
    let server = server(ServerOptions {
        send_queue_lines: 500,
        ..unthrottled()
    });
    let mut tina = server.join("tina");
    let mut uma = RawUdp::join(server.udp.unwrap(), "uma");
    tina.expect("JOIN ");
    uma.acking = false;
    // More than the 1024-line window plus the 500-line queue; Tina reads
    // each of her messages back, so her own queue stays short. (The queue
    // has room to spare so that a writer starved of CPU by other tests does
    // not overflow it before the window is full.)
    for n in 0..2000 {
        tina.send(&format!("message {n}"));
        loop {
            let line = tina.line();
            if line.starts_with("LEAVE ") {
                assert!(line.contains(" uma :send queue exceeded"), "{line}");
                assert!(n >= 1024, "evicted after only {n} lines");
                return;
            }
            if line.starts_with("MSG ") {
                break;
            }
        }
    }
    panic!("uma was never evicted");
}

#[test]
fn quit_over_udp_says_goodbye_and_closes() {
    let server = server(unthrottled());
    let mut tina = server.join("tina");
    let mut uma = RawUdp::join(server.udp.unwrap(), "uma");
    tina.expect("JOIN ");
    uma.send("/quit lunch");
    assert_eq!(uma.rest(), ["BYE :goodbye"]);
    let leave = tina.expect("LEAVE ");
    assert!(leave.ends_with(" uma :lunch"), "{leave}");
}

#[test]
fn shutdown_tells_udp_clients() {
    let server = server(unthrottled());
    let mut uma = RawUdp::join(server.udp.unwrap(), "uma");
    let stopping = thread::spawn(move || server.stop());
    assert_eq!(uma.rest(), ["BYE :server shutting down"]);
    stopping.join().unwrap();
}

#[test]
fn a_client_that_closes_leaves_at_once() {
    let server = server(unthrottled());
    let mut tina = server.join("tina");
    let uma = RawUdp::join(server.udp.unwrap(), "uma");
    tina.expect("JOIN ");
    uma.send_datagram(&Datagram::Close { token: uma.token }.encode());
    let leave = tina.expect("LEAVE ");
    assert!(leave.ends_with(" uma :connection lost"), "{leave}");
}
