//! SIGTERM under load, through the real process: it exits, with status 0,
//! well within its budget (1 s by design) whatever the clients do or have
//! sent; every client still reading gets `BYE`; and every message any client
//! saw is in the history after a restart on the same data directory.

use std::collections::HashSet;
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use chatroom::protocol::ServerLine;

use crate::support::{Client, LINE_DEADLINE, ServerProcess};

/// Far above the 1 s budget, far below what a blocked shutdown takes (the
/// flood-controlled sessions below hold it for 8 s and more).
const EXIT_DEADLINE: Duration = Duration::from_secs(3);

/// A client read to the end of its stream on its own thread. Every `MSG` it
/// receives is passed on as `(from, text)` as it arrives.
struct Watched {
    name: String,
    messages: mpsc::Receiver<(String, String)>,
    thread: JoinHandle<Vec<String>>,
}

impl Watched {
    fn start(name: &str, mut client: Client) -> Watched {
        let (tx, messages) = mpsc::channel();
        let thread = thread::Builder::new()
            .name(format!("watch-{name}"))
            .spawn(move || {
                let mut lines = Vec::new();
                while let Some(line) = client.try_line() {
                    if let Ok(ServerLine::Msg { from, text, .. }) = ServerLine::parse(&line) {
                        let _ = tx.send((from, text));
                    }
                    lines.push(line);
                }
                lines
            })
            .unwrap();
        Watched {
            name: name.to_owned(),
            messages,
            thread,
        }
    }

    /// Waits for the next message from `from`.
    fn wait_for_message_from(&self, from: &str) {
        loop {
            let (sender, _) = self
                .messages
                .recv_timeout(LINE_DEADLINE)
                .unwrap_or_else(|_| panic!("{}: no message from {from}", self.name));
            if sender == from {
                return;
            }
        }
    }

    /// Every line the client got; its last must be the shutdown `BYE`.
    fn finish(self) -> Vec<String> {
        let lines = self.thread.join().expect("watcher thread");
        assert_eq!(
            lines.last().map(String::as_str),
            Some("BYE :server shutting down"),
            "{}'s last line",
            self.name
        );
        lines
    }
}

/// Connects, joins as `name` and reads the welcome block.
fn join(client: &mut Client, name: &str) {
    client.expect("HELLO ");
    client.send(name);
    client.expect(&format!("WELCOME {name} "));
    client.until("HISTORY-END ");
}

/// A connection whose receive buffer is as small as the kernel allows, so
/// that the server's writer blocks on it soon.
fn small_window(addr: SocketAddr) -> Client {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    Client::from_stream(socket.into())
}

/// The texts of every `MSG` in `lines`.
fn messages_seen(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|line| match ServerLine::parse(line) {
            Ok(ServerLine::Msg { text, .. }) => Some(text),
            _ => None,
        })
        .collect()
}

/// Starts a server on `dir` again and returns the text of every stored room
/// message (at most 1,000, more than the tests send).
fn history_after_restart(dir: &str) -> HashSet<String> {
    let server = ServerProcess::start(&["--data-dir", dir]);
    let mut auditor = server.join("auditor");
    auditor.send("/history 1000");
    let mut texts = HashSet::new();
    loop {
        match auditor.parsed() {
            ServerLine::History { text, .. } => texts.insert(text),
            ServerLine::HistoryEnd { .. } => return texts,
            other => panic!("unexpected {other:?}"),
        };
    }
}

/// SIGTERMs `server`, checks it exits in time and cleanly, and prints how
/// long it took.
fn terminate(server: ServerProcess, case: &str) {
    let (status, took) = server.terminate_within(EXIT_DEADLINE);
    println!("{case}: SIGTERM to exit in {took:?}");
    assert!(status.success(), "{case}: exit {status:?}");
}

fn assert_durable(dir: &str, seen: &[String]) {
    let stored = history_after_restart(dir);
    let lost: Vec<&String> = seen.iter().filter(|text| !stored.contains(*text)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} messages clients saw are not in the history: {:.80?}",
        lost.len(),
        seen.len(),
        lost.first()
    );
}

/// 40 clients chat and read; 6 never read, asked for far more than their
/// sockets hold, and are still sending over their flood allowance.
#[test]
fn sigterm_exits_at_once_while_clients_do_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = ServerProcess::start(&[
        "--data-dir",
        data,
        "--max-per-ip",
        "0",
        "--send-queue-bytes",
        "67108864",
    ]);
    let text = "r".repeat(3900);
    let readers: Vec<Watched> = (0..40)
        .map(|n| {
            let name = format!("reader{n}");
            let mut client = Client::connect(server.addr);
            join(&mut client, &name);
            // Ten lines: within the flood allowance.
            let lines: String = (0..10).map(|i| format!("{name} {i} {text}\n")).collect();
            client.send_raw(lines.as_bytes());
            Watched::start(&name, client)
        })
        .collect();
    for reader in &readers {
        for _ in 0..10 {
            reader.wait_for_message_from(&reader.name);
        }
    }
    let mut silent = Vec::new();
    for n in 0..6 {
        let name = format!("silent{n}");
        let mut client = small_window(server.addr);
        join(&mut client, &name);
        // 4.8 MB of history it never reads (more than the two sockets
        // hold, so its writer blocks), then 40 lines: the three requests
        // cost 9 of the 10 tokens, so 39 lines over the allowance, 8 s of
        // fake lag.
        let mut lines = "/history 1000\n".repeat(3);
        lines.extend((0..40).map(|i| format!("{name} says {i}\n")));
        client.send_raw(lines.as_bytes());
        silent.push((name, client));
    }
    for (name, _) in &silent {
        // Its history is queued and it is in flood debt.
        readers[0].wait_for_message_from(name);
    }
    terminate(server, "46 clients, 6 not reading");
    let seen: Vec<String> = readers
        .into_iter()
        .flat_map(|reader| messages_seen(&reader.finish()))
        .collect();
    assert_durable(data, &seen);
}

/// 15 clients idle; one has just pasted 3,000 lines of 200 bytes, which
/// flood control reads at 5 a second.
#[test]
fn sigterm_exits_at_once_during_a_big_paste() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = ServerProcess::start(&["--data-dir", data]);
    let idle: Vec<Watched> = (0..15)
        .map(|n| {
            let name = format!("idle{n}");
            let mut client = server.connect();
            client.send(&name);
            client.until("HISTORY-END ");
            Watched::start(&name, client)
        })
        .collect();
    let stream = TcpStream::connect(server.addr).unwrap();
    let mut paste_writer = stream.try_clone().unwrap();
    let mut paster = Client::from_stream(stream);
    join(&mut paster, "paster");
    let paster = Watched::start("paster", paster);
    let paste: String = (0..3000)
        .map(|i| format!("{i:04} {}\n", "p".repeat(194)))
        .collect();
    let writing = thread::Builder::new()
        .name("paste".into())
        .spawn(move || {
            use std::io::Write;
            // Fails once the server is gone, if it has not all gone out.
            let _ = paste_writer.write_all(paste.as_bytes());
        })
        .unwrap();
    for _ in 0..12 {
        // The burst, then the first lines held back by flood control.
        paster.wait_for_message_from("paster");
    }
    terminate(server, "16 clients, one pasting 3,000 lines");
    let _ = writing.join();
    let mut seen = Vec::new();
    for watched in idle {
        seen.extend(messages_seen(&watched.finish()));
    }
    // The rest of its paste was never read: its socket is reset after the
    // BYE, which still arrives first.
    seen.extend(messages_seen(&paster.finish()));
    assert!(seen.len() >= 12 * 16);
    assert_durable(data, &seen);
}

/// Twenty wrong `/login`s at once from one address: each waits 250 ms more
/// than the one before (the last almost 5 s) when SIGTERM comes.
#[test]
fn sigterm_exits_at_once_while_logins_wait_out_their_delay() {
    let dir = tempfile::tempdir().unwrap();
    chatroom::server::accounts::Accounts::in_dir(dir.path())
        .add("alice", "right")
        .unwrap();
    let data = dir.path().to_str().unwrap();
    let server = ServerProcess::start(&["--data-dir", data, "--max-per-ip", "0"]);
    let mut first = server.connect();
    first.send("/login alice wrong");
    first.expect("ERROR login-failed ");
    // Each read on its own thread, which reports its first line.
    let (answered, answers) = mpsc::channel();
    let waiting: Vec<JoinHandle<Vec<String>>> = (0..20)
        .map(|n| {
            let mut client = server.connect();
            client.send("/login alice wrong");
            let answered = answered.clone();
            thread::Builder::new()
                .name(format!("login{n}"))
                .spawn(move || {
                    let first = client.line();
                    let _ = answered.send(());
                    std::iter::once(first).chain(client.rest()).collect()
                })
                .unwrap()
        })
        .collect();
    // Two answered: the first two in line have been checked, and the rest
    // (sent with them) wait their turn, 250 ms apart.
    for _ in 0..2 {
        answers
            .recv_timeout(LINE_DEADLINE)
            .expect("a login answered");
    }
    terminate(server, "20 logins waiting out their delay");
    let mut cut_short = 0;
    for thread in waiting {
        let lines = thread.join().expect("login thread");
        assert_eq!(
            lines.last().map(String::as_str),
            Some("BYE :server shutting down"),
            "{lines:?}"
        );
        if lines[0].contains("Not checked") {
            cut_short += 1;
        }
    }
    // Proof that the shutdown met logins in their delay.
    assert!(cut_short > 0, "no login was waiting when SIGTERM came");
}
