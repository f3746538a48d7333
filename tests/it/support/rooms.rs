//! Helpers for protocol version 2 (rooms): a server shared by the tests that
//! can share one, names no other test uses, the fields of a line as the
//! grammar splits them, and a client's registering and joining, reading the
//! whole answer with deadlines.

use std::net::SocketAddr;

use super::{Client, TestServer};

/// A server shared by every test of this binary that asks for it:
/// unthrottled, ephemeral, started on first use and left running until the
/// process ends. Tests on it use names from [`unique`] so they never meet.
pub fn shared_server() -> SocketAddr {
    static SHARED: std::sync::OnceLock<SocketAddr> = std::sync::OnceLock::new();
    *SHARED.get_or_init(|| {
        let server = TestServer::unthrottled();
        let addr = server.addr;
        // Its threads outlive every test; the process's end stops them.
        std::mem::forget(server);
        addr
    })
}

/// `prefix` with a number no other call in this process gets; short enough
/// for a user or room name when `prefix` is at most 20 characters.
pub fn unique(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}{n}")
}

/// A server line split by the grammar: its KIND, its FIELDs and its TEXT.
/// Fails the test on a line that breaks the grammar.
pub fn split(line: &str) -> (String, Vec<String>, Option<String>) {
    let parsed = chatroom::protocol::Line::parse(line)
        .unwrap_or_else(|e| panic!("server line breaks the grammar: {line:?}: {e}"));
    (
        parsed.kind.to_owned(),
        parsed.fields.iter().map(|f| (*f).to_owned()).collect(),
        parsed.text.map(str::to_owned),
    )
}

impl Client {
    /// A raw connection to `addr` that has read a version-2 `HELLO`.
    pub fn hello_v2(addr: SocketAddr) -> Client {
        let mut client = Client::connect(addr);
        client.expect("HELLO chatroom 2 :");
        client
    }

    /// Sends `name` and returns the welcome run, `WELCOME` to `HISTORY-END`.
    pub fn register(&mut self, name: &str) -> Vec<String> {
        self.send(name);
        let welcome = self.expect(&format!("WELCOME {name} "));
        let mut run = vec![welcome];
        run.extend(self.through("HISTORY-END "));
        run
    }

    /// Reads lines up to and including the first starting with `prefix`.
    pub fn through(&mut self, prefix: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = self.line();
            let last = line.starts_with(prefix);
            seen.push(line);
            if last {
                return seen;
            }
        }
    }

    /// Sends `/join <room>` for a room the client is not in and returns the
    /// answer, `JOINED` to `HISTORY-END`. Lines that came before `JOINED`
    /// (others joining this client's rooms, say) are skipped.
    pub fn join_room(&mut self, room: &str) -> Vec<String> {
        self.send(&format!("/join {room}"));
        let joined = loop {
            let line = self.line();
            assert!(!line.starts_with("ERROR "), "/join {room}: {line}");
            if line.starts_with("JOINED ") {
                break line;
            }
        };
        let mut answer = vec![joined];
        answer.extend(self.through("HISTORY-END "));
        answer
    }

    /// Leaves the default room (`/part #lobby`) and reads up to its own
    /// `PART`, so no line of the default room reaches it after this.
    pub fn leave_lobby(&mut self, name: &str) {
        self.send("/part #lobby");
        loop {
            // Others' lines in the default room may come first, their PARTs too.
            let (kind, fields, _) = split(&self.until("PART "));
            if kind == "PART" && fields[1..] == [name, "#lobby"] {
                return;
            }
        }
    }
}
