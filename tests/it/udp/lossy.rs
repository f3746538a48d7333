//! Real clients over UDP through the lossy relay (20% lost, 5% doubled,
//! re-ordered), in one room with TCP users: every message arrives exactly
//! once, in ID order, on both kinds.

use std::time::{Duration, Instant};

use chatroom::conn::{Connection, Event};
use chatroom::protocol::ServerLine;

use super::relay::LossyRelay;
use crate::client::{Peer, PlainClient};
use crate::support::{Client, TestServer, unthrottled};

/// Long enough for a few resends at the longest backoff.
const DEADLINE: Duration = Duration::from_secs(60);
const PER_SENDER: usize = 40;

/// (id, from, text) of a room message.
type Msg = (u64, String, String);

fn msg(line: ServerLine) -> Option<Msg> {
    match line {
        ServerLine::Msg { id, from, text, .. } => Some((id, from, text)),
        _ => None,
    }
}

/// The next `count` room messages on a UDP connection.
fn udp_messages(conn: &Connection, count: usize) -> Vec<Msg> {
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    while seen.len() < count {
        match conn.recv_until(deadline) {
            Some(Event::Line(line)) => seen.extend(msg(line)),
            Some(Event::Closed(reason)) => panic!("closed ({reason:?}) after {}", seen.len()),
            Some(Event::Malformed { line, error }) => panic!("malformed {line:?}: {error}"),
            None => panic!(
                "only {} of {count} messages within {DEADLINE:?}",
                seen.len()
            ),
        }
    }
    seen
}

/// The next `count` room messages on a TCP connection.
fn tcp_messages(client: &mut Client, count: usize) -> Vec<Msg> {
    let mut seen = Vec::new();
    while seen.len() < count {
        seen.extend(msg(client.parsed()));
    }
    seen
}

/// Checks one client's view: IDs strictly increasing (so none twice), and
/// each sender's messages complete and in the order sent.
fn check_view(who: &str, view: &[Msg], senders: &[&str]) {
    assert!(
        view.windows(2).all(|w| w[0].0 < w[1].0),
        "{who}: IDs out of order or repeated"
    );
    for sender in senders {
        let texts: Vec<&str> = view
            .iter()
            .filter(|(_, from, _)| from == sender)
            .map(|(_, _, text)| text.as_str())
            .collect();
        let expected: Vec<String> = (0..PER_SENDER).map(|n| format!("{sender} {n}")).collect();
        assert_eq!(texts, expected, "{who}: what {sender} sent");
    }
}

fn udp_join(relay: &LossyRelay, name: &str) -> Connection {
    let mut conn = Connection::connect_udp("127.0.0.1", relay.addr.port(), DEADLINE)
        .expect("connect over UDP");
    conn.register(name, DEADLINE).expect("register over UDP");
    conn
}

#[test]
fn every_message_arrives_once_in_order_through_a_lossy_relay() {
    let server = TestServer::with_udp(unthrottled());
    let relay = LossyRelay::start(server.udp.unwrap(), 0x5eed_1234);
    let mut udp = [udp_join(&relay, "ursula"), udp_join(&relay, "ulf")];
    let mut tcp = [server.join("tess"), server.join("tom")];
    let senders = ["ursula", "ulf", "tess", "tom"];
    for n in 0..PER_SENDER {
        udp[0].send(&format!("ursula {n}")).unwrap();
        udp[1].send(&format!("ulf {n}")).unwrap();
        tcp[0].send(&format!("tess {n}"));
        tcp[1].send(&format!("tom {n}"));
    }
    let total = PER_SENDER * senders.len();
    let views = [
        udp_messages(&udp[0], total),
        udp_messages(&udp[1], total),
        tcp_messages(&mut tcp[0], total),
        tcp_messages(&mut tcp[1], total),
    ];
    for (who, view) in senders.iter().zip(&views) {
        check_view(who, view, &senders);
        assert_eq!(view, &views[2], "{who} saw another order than tess");
    }
    let damage = relay.report();
    let d = &relay.damage;
    use std::sync::atomic::Ordering::Relaxed;
    assert!(
        d.dropped.load(Relaxed) > 20
            && d.duplicated.load(Relaxed) > 0
            && d.reordered.load(Relaxed) > 0,
        "the relay did too little damage to prove anything: {damage}"
    );
    eprintln!("lossy relay: {damage}");
}

#[test]
fn chat_client_over_udp_through_a_lossy_relay() {
    let server = TestServer::with_udp(unthrottled());
    let relay = LossyRelay::start(server.udp.unwrap(), 0xfeed_0042);
    let mut tina = Peer::join(server.addr, "tina");
    let mut carol = PlainClient::start(relay.addr, &["--udp", "--name", "carol"]);
    carol.expect_line_where("joined", |l| l.starts_with("*** joined as carol"));
    for n in 0..20 {
        carol.type_line(&format!("carol {n}"));
        tina.send(&format!("tina {n}"));
    }
    for n in 0..20 {
        assert_eq!(tina.next_msg_from("carol"), format!("carol {n}"));
        let from_tina = format!("<tina> tina {n}");
        carol.expect_line_where(&from_tina, |l| l.ends_with(&from_tina));
    }
    carol.type_line("/quit");
    let (code, stderr) = carol.wait_exit();
    assert_eq!(code, 0, "stderr: {stderr}");
    let repeated = carol.seen.iter().filter(|l| l.contains("<tina>")).count();
    assert_eq!(repeated, 20, "a line shown twice: {:#?}", carol.seen);
}
