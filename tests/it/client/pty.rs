//! Terminal mode in a pseudo-terminal, read through a vt100 screen: a burst of
//! messages must not garble the half-typed line at the bottom.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::num::NonZeroU16;
use std::thread;
use std::time::Instant;

use chatroom::protocol::ServerLine;
use chatroom::server::{DataDir, Server, ServerOptions, Storage};
use crossbeam_channel::Receiver;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

use super::{CLIENT, DEADLINE, Peer, start_server};
use crate::support::TestServer;

pub(crate) const ROWS: u16 = 24;
pub(crate) const COLS: u16 = 80;

/// The client running in a pty, and the screen it draws.
pub(crate) struct Terminal {
    parser: vt100::Parser,
    output: Receiver<Vec<u8>>,
    keyboard: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    /// Every byte the client wrote so far (bells and titles are not on the
    /// screen).
    pub(crate) written: Vec<u8>,
}

impl Terminal {
    pub(crate) fn start(addr: SocketAddr, name: &str) -> Terminal {
        Terminal::start_with(addr, &["--name", name], &[])
    }

    /// The client on `addr` with extra flags and environment variables.
    pub(crate) fn start_with(
        addr: SocketAddr,
        args: &[&str],
        env: &[(&str, &std::path::Path)],
    ) -> Terminal {
        let size = PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        };
        let opening = crate::support::opening_pty();
        let pair = native_pty_system().openpty(size).expect("open a pty");
        drop(opening);
        let mut command = CommandBuilder::new(CLIENT);
        command.args(["--host", "127.0.0.1", "--port", &addr.port().to_string()]);
        command.args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        command.env("TZ", "UTC");
        command.env("TERM", "xterm");
        command.env("NO_COLOR", "1");
        let child = pair
            .slave
            .spawn_command(command)
            .expect("start chat-client");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let keyboard = pair.master.take_writer().unwrap();
        let (tx, output) = crossbeam_channel::unbounded();
        thread::Builder::new()
            .name("pty-output".into())
            .spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n @ 1..) = reader.read(&mut buffer) {
                    if tx.send(buffer[..n].to_vec()).is_err() {
                        return;
                    }
                }
            })
            .unwrap();
        Terminal {
            parser: vt100::Parser::new(
                NonZeroU16::new(ROWS).unwrap(),
                NonZeroU16::new(COLS).unwrap(),
                0,
            ),
            output,
            keyboard,
            master: pair.master,
            child,
            written: Vec::new(),
        }
    }

    /// Resizes the screen read as tmux does, re-wrapping its lines to the new
    /// width (rows the terminal wrapped are joined first), then the pty (the
    /// client gets `SIGWINCH`). Lines below the cursor's are dropped.
    pub(crate) fn resize(&mut self, rows: u16, cols: u16) {
        let mut parser = vt100::Parser::new(
            NonZeroU16::new(rows).unwrap(),
            NonZeroU16::new(cols).unwrap(),
            0,
        );
        let (lines, cursor_line, cursor_at) = self.logical_lines();
        for (i, line) in lines.iter().enumerate() {
            if i == cursor_line {
                let (before, after) = line.split_at(cursor_at.min(line.len()));
                parser.process(before.as_bytes());
                let (row, col) = parser.screen().cursor_position();
                parser.process(after.as_bytes());
                let gap = cursor_at.saturating_sub(line.len());
                parser.process(format!("\x1b[{};{}H", row + 1, col as usize + 1 + gap).as_bytes());
                break;
            }
            parser.process(format!("{line}\r\n").as_bytes());
        }
        self.parser = parser;
        let size = PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        };
        self.master.resize(size).expect("resize the pty");
    }

    /// The screen's lines with wrapped rows joined (ASCII only), the line the
    /// cursor is on and its column in that line.
    fn logical_lines(&self) -> (Vec<String>, usize, usize) {
        let screen = self.parser.screen();
        let (_, cols) = screen.size();
        let (cursor_row, cursor_col) = screen.cursor_position();
        let (mut lines, mut current) = (Vec::new(), String::new());
        let (mut cursor_line, mut cursor_at) = (0, 0);
        for (row, text) in screen.rows(0, cols.get()).enumerate() {
            if row == usize::from(cursor_row) {
                (cursor_line, cursor_at) = (lines.len(), current.len() + usize::from(cursor_col));
            }
            current.push_str(&text);
            if !screen.row_wrapped(row as u16) {
                lines.push(std::mem::take(&mut current));
            }
        }
        (lines, cursor_line, cursor_at)
    }

    pub(crate) fn type_keys(&mut self, keys: &str) {
        self.keyboard.write_all(keys.as_bytes()).unwrap();
        self.keyboard.flush().unwrap();
    }

    pub(crate) fn rows(&self) -> Vec<String> {
        let (_, cols) = self.parser.screen().size();
        self.parser.screen().rows(0, cols.get()).collect()
    }

    /// Feeds output to the screen until `done` holds for it. Answers the
    /// editor's cursor position queries as a terminal would.
    pub(crate) fn wait_until(&mut self, what: &str, done: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done(&self.rows()) {
            let Ok(bytes) = self.output.recv_deadline(deadline) else {
                panic!("screen never showed {what}:\n{}", self.rows().join("\n"));
            };
            self.parser.process(&bytes);
            self.written.extend_from_slice(&bytes);
            if bytes.windows(4).any(|w| w == b"\x1b[6n") {
                let (row, col) = self.parser.screen().cursor_position();
                self.type_keys(&format!("\x1b[{};{}R", row + 1, col + 1));
            }
        }
    }
}

impl Terminal {
    /// Waits until the client closed the pty (it exited), then for its status.
    pub(crate) fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            match self.output.recv_deadline(deadline) {
                Ok(bytes) => {
                    self.parser.process(&bytes);
                    self.written.extend_from_slice(&bytes);
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    panic!("the client did not exit:\n{}", self.rows().join("\n"))
                }
            }
        }
        self.child.wait().expect("wait for the client")
    }
}

impl Terminal {
    /// Sends `signal` (as `kill` names it) to the client.
    pub(crate) fn signal(&self, signal: &str) {
        let pid = self.child.process_id().expect("the client's pid");
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid}");
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last row with something on it: the input line, before the screen is
/// full.
pub(crate) fn last_used_row(rows: &[String]) -> &str {
    let used = rows.iter().rev().find(|r| !r.trim().is_empty());
    used.map(|r| r.trim_end()).unwrap_or_default()
}

pub(crate) fn last_row(rows: &[String]) -> &str {
    rows.last()
        .map(String::as_str)
        .unwrap_or_default()
        .trim_end()
}

#[test]
fn client_half_typed_line_survives_a_burst_of_messages() {
    let server = start_server();
    let mut bob = Peer::join(server.addr, "bob");
    let mut term = Terminal::start(server.addr, "alice");
    term.wait_until("the prompt", |rows| {
        rows.iter().any(|r| r.starts_with("[alice] "))
    });
    term.type_keys("hello wor");
    term.wait_until("the typed text", |rows| {
        rows.iter().any(|r| r.trim_end() == "[alice] hello wor")
    });

    // More messages than rows, so the screen scrolls under the prompt.
    for i in 0..40 {
        bob.send(&format!("burst message {i}"));
    }
    // The editor redraws the prompt right after each message, in a second
    // write: the screen settles once the last message and the intact input
    // line are both drawn, and a garbled line never settles.
    term.wait_until("the last message above the intact input line", |rows| {
        rows.iter().any(|r| r.ends_with("<bob> burst message 39"))
            && last_row(rows) == "[alice] hello wor"
    });
    let rows = term.rows();
    let bursts: Vec<&String> = rows.iter().filter(|r| r.contains("burst")).collect();
    // Every row but the rooms row and the input line.
    assert_eq!(
        bursts.len(),
        usize::from(ROWS) - 2,
        "screen:\n{}",
        rows.join("\n")
    );
    for (row, i) in bursts.iter().zip(18..) {
        assert!(
            row.ends_with(&format!("] <bob> burst message {i}")),
            "garbled row {row:?}"
        );
    }

    term.type_keys("ld\r");
    let line = bob.wait_for(
        "alice's message",
        |l| matches!(l, ServerLine::Msg { from, .. } if from == "alice"),
    );
    assert!(matches!(line, ServerLine::Msg { text, .. } if text == "hello world"));
    term.type_keys("/quit\r");
    let status = term.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    server.stop();
}

#[test]
fn client_reconnects_keeping_the_typed_line_and_shows_what_was_missed() {
    let dir = tempfile::tempdir().unwrap();
    let first = TestServer::durable(dir.path());
    let addr = first.addr;
    let mut bob = Peer::join(addr, "bob");
    let mut term = Terminal::start(addr, "alice");
    bob.send("before the restart");
    term.wait_until("the first message", |rows| {
        rows.iter().any(|r| r.ends_with("<bob> before the restart"))
    });
    term.type_keys("half typ");

    first.stop();
    drop(bob);
    // Wait for a failed attempt, so the next one, 2 s later, comes after the
    // message below is stored.
    term.wait_until("a failed reconnect", |rows| {
        rows.iter()
            .any(|r| r.starts_with("*** reconnecting in 2 s"))
    });
    let config = ServerOptions {
        storage: Storage::Durable(DataDir::lock(dir.path()).unwrap()),
        ..ServerOptions::default()
    };
    let second = Server::start(TcpListener::bind(addr).unwrap(), config).unwrap();
    let mut carol = Peer::join(addr, "carol");
    carol.send("while alice was away");
    carol.next_msg_from("carol");

    term.wait_until("the missed message, then the kept input line", |rows| {
        rows.iter()
            .any(|r| r.trim_end() == "*** 1 message missed while away")
            && last_used_row(rows) == "[alice] half typ"
    });
    let rows = term.rows();
    let missed: Vec<&String> = rows.iter().filter(|r| r.contains("[missed]")).collect();
    assert_eq!(missed.len(), 1, "screen:\n{}", rows.join("\n"));
    assert!(missed[0].ends_with("] [missed] <carol> while alice was away"));
    assert!(
        rows.iter()
            .any(|r| r.starts_with("*** reconnected as alice"))
    );

    term.type_keys("ed\r");
    assert_eq!(carol.next_msg_from("alice"), "half typed");
    term.type_keys("\u{4}");
    assert!(term.wait_exit().success());
    second.shutdown().unwrap();
}
