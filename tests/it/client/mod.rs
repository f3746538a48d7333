//! `chat-client` against a real in-process server (`support::TestServer`),
//! through the real binary.
//!
//! A [`Peer`] is another user talking to the server through the library's
//! `Connection`: it makes events for the client to show and sees what the
//! client sent. [`PlainClient`] runs the binary with pipes (plain mode); the
//! `pty` module runs it in a pseudo-terminal, and `typing` uses that to
//! check that nothing typed or pasted is lost. The `udp` module has its own
//! scripted fake server, as the real one does not serve UDP yet. Nothing here sleeps to
//! synchronise: every wait is for a line or screen content, with a deadline.

mod limits;
mod plain;
pub(crate) mod pty;
mod rooms;
mod rooms_found;
pub(crate) mod scripted;
mod typing;
mod udp;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chatroom::conn::{Connection, Event};
use chatroom::protocol::ServerLine;
use crossbeam_channel::Receiver;

use crate::support::TestServer;

/// How long any one wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// The client binary under test.
pub const CLIENT: &str = env!("CARGO_BIN_EXE_chat-client");

/// A server on an ephemeral port with in-memory history, stopped on drop.
pub fn start_server() -> TestServer {
    TestServer::ephemeral()
}

/// `[HH:MM]` as the client shows `ts` with `TZ=UTC`.
pub fn hhmm(ts: &chrono::DateTime<chrono::Utc>) -> String {
    ts.format("[%H:%M]").to_string()
}

/// Another user, connected straight to the server.
pub struct Peer {
    conn: Connection,
}

impl Peer {
    /// Connects and registers as `name`.
    pub fn join(addr: SocketAddr, name: &str) -> Peer {
        let mut conn = Connection::connect("127.0.0.1", addr.port(), DEADLINE).expect("connect");
        conn.register(name, DEADLINE).expect("register");
        Peer { conn }
    }

    /// Sends one line.
    pub fn send(&mut self, line: &str) {
        self.conn.send(line).expect("send");
    }

    /// The first server line (skipping others) for which `wanted` holds.
    pub fn wait_for(&self, what: &str, wanted: impl Fn(&ServerLine) -> bool) -> ServerLine {
        let deadline = Instant::now() + DEADLINE;
        loop {
            match self.conn.recv_until(deadline) {
                Some(Event::Line(line)) if wanted(&line) => return line,
                Some(Event::Closed(reason)) => panic!("closed ({reason:?}) waiting for {what}"),
                Some(_) => continue,
                None => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// Waits for a room message from `from` and returns its text.
    pub fn next_msg_from(&self, from: &str) -> String {
        let line = self.wait_for(
            &format!("a MSG from {from}"),
            |line| matches!(line, ServerLine::Msg { from: f, .. } if f == from),
        );
        let ServerLine::Msg { text, .. } = line else {
            unreachable!()
        };
        text
    }
}

/// `chat-client` in plain mode: stdin is a pipe, stdout and stderr are read by
/// threads.
pub struct PlainClient {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
    /// Every stdout line seen so far, for failure messages.
    pub seen: Vec<String>,
}

impl PlainClient {
    /// Starts the client on `addr` with extra flags.
    pub fn start(addr: SocketAddr, args: &[&str]) -> PlainClient {
        PlainClient::start_with_env(addr, args, &[])
    }

    /// Starts the client on `addr` with extra flags and environment variables.
    pub fn start_with_env(
        addr: SocketAddr,
        args: &[&str],
        env: &[(&str, &std::path::Path)],
    ) -> PlainClient {
        let spawning = crate::support::spawning();
        let mut child = Command::new(CLIENT)
            .args(["--host", "127.0.0.1", "--port", &addr.port().to_string()])
            .args(args)
            .envs(env.iter().copied())
            .env("TZ", "UTC")
            .env_remove("NO_COLOR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chat-client");
        drop(spawning);
        let (tx, stdout) = crossbeam_channel::unbounded();
        let out = BufReader::new(child.stdout.take().unwrap());
        thread::Builder::new()
            .name("client-stdout".into())
            .spawn(move || {
                out.lines()
                    .map_while(Result::ok)
                    .try_for_each(|l| tx.send(l))
            })
            .unwrap();
        let mut err = child.stderr.take().unwrap();
        let stderr = thread::Builder::new()
            .name("client-stderr".into())
            .spawn(move || {
                let mut text = String::new();
                let _ = err.read_to_string(&mut text);
                text
            })
            .unwrap();
        PlainClient {
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr: Some(stderr),
            seen: Vec::new(),
        }
    }

    /// Writes one line to the client's stdin.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").expect("write to the client");
    }

    /// Closes the client's stdin (end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the next stdout line equal to `expected`, skipping others.
    pub fn expect_line(&mut self, expected: &str) {
        self.expect_line_where(expected, |line| line == expected);
    }

    /// Waits for the next stdout line for which `wanted` holds; returns it.
    pub fn expect_line_where(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            match self.stdout.recv_deadline(deadline) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no line {what:?}; stdout so far: {:#?}", self.seen),
            }
        }
    }

    /// Waits for the client to exit: returns its exit code and its stderr. The
    /// rest of stdout lands in `seen`.
    pub fn wait_exit(&mut self) -> (i32, String) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            match self.stdout.recv_deadline(deadline) {
                Ok(line) => self.seen.push(line),
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("the client did not exit; stdout: {:#?}", self.seen);
                }
            }
        }
        let status = self.child.wait().expect("wait for the client");
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status.code().expect("exited normally"), stderr)
    }
}

impl Drop for PlainClient {
    fn drop(&mut self) {
        // A failed test must not leave a client running.
        if self.stderr.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
