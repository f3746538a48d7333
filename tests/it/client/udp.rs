//! The client side of UDP (`Connection::connect_udp`, `chat-client --udp`)
//! against a scripted fake server: a `UdpSocket` in the test that answers
//! `OPEN`, sends `DATA` in whatever order a test wants and checks every
//! datagram the client sends. Every wait is for a datagram, an event or a
//! line, with a deadline.

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use chatroom::conn::{Connection, Event};
use chatroom::protocol::ServerLine;
use chatroom::udp::{Datagram, MAX_DATAGRAM_LINE, Token};

use super::{CLIENT, DEADLINE, PlainClient};

/// A datagram from the client, owned, its token checked.
#[derive(Debug, Clone, PartialEq)]
enum Got {
    Open(String),
    Data(u64, String),
    Ack(u64, Option<u64>),
    Keep,
    Close,
}

/// The scripted server. See the module docs.
struct FakeServer {
    socket: UdpSocket,
    token: Token,
    /// The client's address, once it sent `OPEN`.
    client: Option<SocketAddr>,
}

impl FakeServer {
    fn bind() -> FakeServer {
        FakeServer {
            socket: UdpSocket::bind("127.0.0.1:0").expect("bind the fake server"),
            token: Token::random(),
            client: None,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// The next datagram from the client, or `None` at `deadline`.
    fn recv_until(&mut self, deadline: Instant) -> Option<Got> {
        let mut buffer = vec![0u8; 65_536];
        loop {
            let wait = deadline.checked_duration_since(Instant::now())?;
            let wait = wait.max(Duration::from_millis(1));
            self.socket.set_read_timeout(Some(wait)).unwrap();
            let Ok((size, from)) = self.socket.recv_from(&mut buffer) else {
                continue;
            };
            let datagram = Datagram::parse(&buffer[..size])
                .unwrap_or_else(|e| panic!("the client sent a bad datagram ({e}): {buffer:?}"));
            if let Some(token) = datagram.token() {
                assert_eq!(token, self.token, "a datagram with another token");
                assert_eq!(Some(from), self.client, "a datagram from another address");
            }
            return Some(match datagram {
                Datagram::Open { nonce } => {
                    self.client = Some(from);
                    Got::Open(nonce.to_owned())
                }
                Datagram::Data { seq, line, .. } => {
                    Got::Data(seq, String::from_utf8(line.to_vec()).unwrap())
                }
                Datagram::Ack { cum, seq, .. } => Got::Ack(cum, seq),
                Datagram::Keep { .. } => Got::Keep,
                Datagram::Close { .. } => Got::Close,
                Datagram::Token { .. } => panic!("the client sent TOKEN"),
            });
        }
    }

    /// The next datagram for which `wanted` holds, skipping others.
    fn expect(&mut self, what: &str, wanted: impl Fn(&Got) -> bool) -> Got {
        let deadline = Instant::now() + DEADLINE;
        loop {
            match self.recv_until(deadline) {
                Some(got) if wanted(&got) => return got,
                Some(_) => continue,
                None => panic!("the client sent no {what}"),
            }
        }
    }

    /// The client's next `DATA` (skipping `KEEP` and `ACK`).
    fn expect_data(&mut self) -> (u64, String) {
        match self.expect("DATA", |got| matches!(got, Got::Data(..))) {
            Got::Data(seq, line) => (seq, line),
            _ => unreachable!(),
        }
    }

    /// The client's next `ACK` (skipping `KEEP`; a `DATA` fails the test).
    fn expect_ack(&mut self) -> (u64, Option<u64>) {
        match self.expect("ACK", |got| !matches!(got, Got::Keep)) {
            Got::Ack(cum, seq) => (cum, seq),
            other => panic!("expected an ACK, got {other:?}"),
        }
    }

    fn send_raw(&self, bytes: &[u8]) {
        let client = self.client.expect("the client has opened");
        self.socket.send_to(bytes, client).unwrap();
    }

    fn send_data(&self, seq: u64, line: &str) {
        let token = self.token;
        let line = line.as_bytes();
        self.send_raw(&Datagram::Data { token, seq, line }.encode());
    }

    fn ack(&self, cum: u64, seq: Option<u64>) {
        let token = self.token;
        self.send_raw(&Datagram::Ack { token, cum, seq }.encode());
    }

    fn close(&self) {
        self.send_raw(&Datagram::Close { token: self.token }.encode());
    }

    /// Answers `OPEN` with `TOKEN`, waits for `KEEP` and sends `HELLO` as
    /// `DATA 1`.
    fn accept(&mut self) {
        let Got::Open(nonce) = self.expect("OPEN", |got| matches!(got, Got::Open(_))) else {
            unreachable!()
        };
        let token = self.token;
        self.send_raw(
            &Datagram::Token {
                nonce: &nonce,
                token,
            }
            .encode(),
        );
        self.expect("KEEP", |got| *got == Got::Keep);
        self.send_data(1, "HELLO chatroom 2 :Send your name to join.");
    }
}

/// A fake server and a client connected to it, `HELLO` delivered.
fn open() -> (FakeServer, Connection) {
    let mut fake = FakeServer::bind();
    let port = fake.addr().port();
    let client = thread::Builder::new()
        .name("test-connect-udp".into())
        .spawn(move || Connection::connect_udp("127.0.0.1", port, DEADLINE))
        .unwrap();
    fake.accept();
    assert_eq!(fake.expect_ack(), (1, Some(1)), "the ACK for HELLO");
    let conn = client.join().unwrap().expect("connect over UDP");
    assert!(matches!(next_line(&conn), ServerLine::Hello { .. }));
    (fake, conn)
}

/// The connection's next event, which must be a server line.
fn next_line(conn: &Connection) -> ServerLine {
    match conn.recv_until(Instant::now() + DEADLINE) {
        Some(Event::Line(line)) => line,
        other => panic!("expected a server line, got {other:?}"),
    }
}

fn info(text: &str) -> ServerLine {
    ServerLine::Info { text: text.into() }
}

#[test]
fn udp_handshake_then_register() {
    let (mut fake, mut conn) = open();
    assert!(conn.is_udp() && !conn.is_tls());
    assert_eq!(conn.peer(), fake.addr());
    thread::scope(|scope| {
        let server = thread::Builder::new()
            .name("test-fake-server".into())
            .spawn_scoped(scope, || {
                assert_eq!(fake.expect_data(), (1, "/name alice".to_owned()));
                fake.ack(1, Some(1));
                fake.send_data(2, "WELCOME alice 1 :Welcome, alice!");
                assert_eq!(fake.expect_ack(), (2, Some(2)));
            })
            .unwrap();
        assert_eq!(
            conn.register("alice", DEADLINE).unwrap(),
            ("alice".into(), 1)
        );
        server.join().unwrap();
    });
}

#[test]
fn udp_delivers_reordered_and_repeated_lines_once_in_order() {
    let (mut fake, conn) = open();
    // (seq sent, the ACK's cum and seq that must answer it)
    let script = [(3, 1), (2, 3), (3, 3), (5, 3), (4, 5), (2, 5), (6, 6)];
    for (seq, cum) in script {
        fake.send_data(seq, &format!("INFO :{seq}"));
        assert_eq!(
            fake.expect_ack(),
            (cum, Some(seq)),
            "the ACK for DATA {seq}"
        );
    }
    for expected in ["2", "3", "4", "5", "6"] {
        assert_eq!(next_line(&conn), info(expected));
    }
    // Nothing more: a duplicate would have come before 6.
    assert!(conn.events().is_empty(), "{:?}", conn.events().try_recv());
}

#[test]
fn udp_resends_until_acknowledged_and_then_stops() {
    let (mut fake, mut conn) = open();
    conn.send("first").unwrap();
    assert_eq!(fake.expect_data(), (1, "first".to_owned()));
    assert_eq!(fake.expect_data(), (1, "first".to_owned()), "resent");
    fake.ack(1, Some(1));
    // DATA 1 would next be resent about 900 ms after it was first sent;
    // DATA 2, never acknowledged, is resent 300 ms and 900 ms after it went
    // out, later than that. DATA 1 must not show up in between.
    conn.send("second").unwrap();
    for _ in 0..3 {
        assert_eq!(fake.expect_data(), (2, "second".to_owned()));
    }
    fake.ack(2, None);
}

#[test]
fn udp_ignores_forged_and_foreign_datagrams() {
    let (mut fake, conn) = open();
    let other = Token::random();
    let spoofer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let real = |seq, line: &'static str| {
        let token = fake.token;
        Datagram::Data {
            token,
            seq,
            line: line.as_bytes(),
        }
        .encode()
    };
    let client = fake.client.unwrap();
    // The right token from another address: the kernel drops it.
    spoofer.send_to(&real(2, "INFO :spoofed"), client).unwrap();
    let forged = Datagram::Data {
        token: other,
        seq: 2,
        line: b"INFO :forged",
    };
    fake.send_raw(&forged.encode());
    fake.send_raw(&Datagram::Close { token: other }.encode());
    fake.send_raw(b"DATA nonsense");
    fake.send_data(2, "INFO :real");
    assert_eq!(
        fake.expect_ack(),
        (2, Some(2)),
        "nothing forged was acknowledged"
    );
    assert_eq!(next_line(&conn), info("real"));
    assert!(conn.events().is_empty(), "{:?}", conn.events().try_recv());
}

#[test]
fn udp_close_from_the_server_ends_the_connection() {
    let (fake, mut conn) = open();
    fake.close();
    let event = conn.recv_until(Instant::now() + DEADLINE);
    assert_eq!(event, Some(Event::Closed(None)));
    let error = conn.send("anyone?").unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotConnected);
}

#[test]
fn udp_close_sends_close_and_returns_promptly() {
    let (mut fake, conn) = open();
    let started = Instant::now();
    conn.close();
    let took = started.elapsed();
    fake.expect("CLOSE", |got| *got == Got::Close);
    // The link thread waits in recv for up to 15 s (the keepalive); close
    // must wake it, not wait that out.
    assert!(took < Duration::from_secs(2), "close took {took:?}");
}

#[test]
fn udp_refuses_a_line_too_long_for_one_datagram() {
    let (mut fake, mut conn) = open();
    let error = conn.send(&"x".repeat(MAX_DATAGRAM_LINE + 1)).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("line-too-long"), "{error}");
    let longest = "y".repeat(MAX_DATAGRAM_LINE);
    conn.send(&longest).unwrap();
    assert_eq!(
        fake.expect_data(),
        (1, longest),
        "the refused line took no number"
    );
}

#[test]
fn udp_connect_resends_open_then_gives_up() {
    let mut fake = FakeServer::bind();
    let port = fake.addr().port();
    let timeout = Duration::from_millis(1500);
    let client = thread::Builder::new()
        .name("test-connect-udp".into())
        .spawn(move || Connection::connect_udp("127.0.0.1", port, timeout))
        .unwrap();
    let first = fake.expect("OPEN", |got| matches!(got, Got::Open(_)));
    let again = fake.expect("OPEN again", |got| matches!(got, Got::Open(_)));
    assert_eq!(first, again, "the same nonce");
    let error = client.join().unwrap().unwrap_err();
    assert!(error.to_string().contains("--udp"), "{error}");
}

#[test]
fn udp_connect_to_a_closed_port_fails_at_once() {
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let error = Connection::connect_udp("127.0.0.1", port, DEADLINE).unwrap_err();
    assert!(error.to_string().contains("connection refused"), "{error}");
    assert!(started.elapsed() < DEADLINE / 2, "waited for the timeout");
}

#[test]
fn udp_chat_client_plain_mode_over_the_fake_server() {
    let mut fake = FakeServer::bind();
    let mut alice = PlainClient::start(fake.addr(), &["--udp", "--name", "alice"]);
    fake.accept();
    assert_eq!(fake.expect_data(), (1, "/name alice".to_owned()));
    fake.ack(1, Some(1));
    let lines = [
        "WELCOME alice 1 :Welcome, alice!",
        "USERS :alice",
        "USERS-END 1",
        "HISTORY-END 0",
        "MSG 7 2026-11-21T09:30:00.123Z bob :hi alice",
    ];
    for (seq, line) in (2..).zip(lines) {
        fake.send_data(seq, line);
    }
    alice.expect_line("*** joined as alice (1 online)");
    // A message of another day shows its date.
    alice.expect_line("[11-21 09:30] <bob> hi alice");
    alice.type_line("hello bob");
    assert_eq!(fake.expect_data(), (2, "hello bob".to_owned()));
    fake.ack(2, Some(2));
    alice.type_line(&"z".repeat(MAX_DATAGRAM_LINE + 1));
    alice.expect_line_where("the refusal", |l| l.starts_with("!!! line-too-long: "));
    alice.close_stdin();
    assert_eq!(
        fake.expect_data(),
        (3, "/quit".to_owned()),
        "the long line was not sent"
    );
    fake.ack(3, Some(3));
    fake.send_data(7, "BYE :goodbye");
    fake.close();
    let (code, stderr) = alice.wait_exit();
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(
        alice.seen.iter().any(|l| l == "*** bye: goodbye"),
        "{:#?}",
        alice.seen
    );
}

#[test]
fn udp_flag_is_refused_beside_tls() {
    let spawning = crate::support::spawning();
    let output = Command::new(CLIENT)
        .args(["--udp", "--tls-tofu", "--name", "alice"])
        .output()
        .unwrap();
    drop(spawning);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
