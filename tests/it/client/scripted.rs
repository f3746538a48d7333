//! A hand-driven server for terminal-mode tests: the test decides when and
//! how the client's lines are answered, and reads exactly what it sent.
//! Version 1 (one room) or version 2 (rooms, alice landing in `#lobby`).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use super::DEADLINE;
use super::pty::Terminal;

/// A hand-driven server with alice joined: the test decides when and how
/// her lines are answered.
pub(crate) struct Scripted {
    listener: TcpListener,
    pub(crate) to_client: std::net::TcpStream,
    from_client: BufReader<std::net::TcpStream>,
    /// Speaks version 2: alice lands in `#lobby` with bob.
    rooms: bool,
}

impl Scripted {
    /// Alice in a pty, registered with a hand-driven version-1 server.
    pub(crate) fn join(args: &[&str]) -> (Scripted, Terminal) {
        Scripted::join_speaking(false, args)
    }

    /// Alice in a pty, registered with a hand-driven version-2 server, in
    /// `#lobby` with bob.
    pub(crate) fn join_rooms(args: &[&str]) -> (Scripted, Terminal) {
        Scripted::join_speaking(true, args)
    }

    fn join_speaking(rooms: bool, args: &[&str]) -> (Scripted, Terminal) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let args = [&["--name", "alice"], args].concat();
        let mut alice = Terminal::start_with(addr, &args, &[]);
        let (to_client, from_client) = Scripted::accept(&listener);
        let mut server = Scripted {
            listener,
            to_client,
            from_client,
            rooms,
        };
        server.handshake();
        alice.wait_until("the prompt", |rows| {
            rows.iter().any(|r| r.starts_with("[alice] "))
        });
        (server, alice)
    }

    /// The next connection, within the deadline.
    pub(crate) fn accept(
        listener: &TcpListener,
    ) -> (std::net::TcpStream, BufReader<std::net::TcpStream>) {
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + DEADLINE;
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::yield_now();
                }
                Err(error) => panic!("no connection from the client: {error}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        (stream.try_clone().unwrap(), BufReader::new(stream))
    }

    fn handshake(&mut self) {
        let version = if self.rooms { 2 } else { 1 };
        self.write(&format!("HELLO chatroom {version} :hi"));
        assert_eq!(self.read_line(), "/name alice");
        if self.rooms {
            self.write("WELCOME alice 2 :hi\nUSERS :alice bob\nUSERS-END 2 #lobby");
            self.write("HISTORY-END 0 #lobby");
        } else {
            self.write("WELCOME alice 1 :hi\nUSERS :alice\nUSERS-END 1\nHISTORY-END 0");
        }
    }

    /// Takes the client's next connection (after the last was dropped).
    pub(crate) fn reconnected(&mut self) {
        (self.to_client, self.from_client) = Scripted::accept(&self.listener);
        self.handshake();
    }

    pub(crate) fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.from_client
            .read_line(&mut line)
            .expect("a line from the client");
        line.trim_end().to_owned()
    }

    pub(crate) fn write(&mut self, lines: &str) {
        self.to_client
            .write_all(format!("{lines}\n").as_bytes())
            .unwrap();
    }

    /// The server's copy of alice's `text`.
    pub(crate) fn echo(&mut self, id: u64, text: &str) {
        self.write(&format!("MSG {id} 2026-11-21T09:30:00.000Z alice :{text}"));
    }
}

impl Scripted {
    /// Alice in plain mode (pipes), registered with a hand-driven
    /// version-2 server, in `#lobby` with bob.
    pub(crate) fn join_plain_rooms() -> (Scripted, super::PlainClient) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let alice = super::PlainClient::start(addr, &["--name", "alice"]);
        let (to_client, from_client) = Scripted::accept(&listener);
        let mut server = Scripted {
            listener,
            to_client,
            from_client,
            rooms: true,
        };
        server.handshake();
        (server, alice)
    }
}
