//! The IRC front over real sockets: IRC clients and native ones in the same
//! rooms (`interop.rs`), its limits (`limits.rs`), and the irctest
//! conformance suite run against the real binary (`irctest.rs`).

mod accounts;
mod binary;
mod findings;
mod interop;
mod irctest;
mod kinds;
mod limits;

use std::net::SocketAddr;

use crate::support::Client;

/// An IRC connection: lines go out with CR LF, come back without it.
pub struct IrcClient {
    client: Client,
}

impl IrcClient {
    pub fn connect(addr: SocketAddr) -> IrcClient {
        IrcClient {
            client: Client::connect(addr),
        }
    }

    /// A client registered as `nick` (its welcome read), with `caps`
    /// requested first if any.
    pub fn register(addr: SocketAddr, nick: &str, caps: &str) -> IrcClient {
        let mut irc = IrcClient::connect(addr);
        if !caps.is_empty() {
            irc.send(&format!("CAP REQ :{caps}"));
            let ack = irc.expect(":chatroom CAP * ACK ");
            assert!(ack.ends_with(caps), "{ack}");
        }
        irc.send(&format!("NICK {nick}"));
        irc.send("USER u 0 * :Real Name");
        if !caps.is_empty() {
            irc.send("CAP END");
        }
        irc.until(" 001 ");
        irc.until(" 422 ");
        irc
    }

    pub fn send(&mut self, line: &str) {
        self.client.send_raw(format!("{line}\r\n").as_bytes());
    }

    /// The next line, CR LF removed.
    pub fn line(&mut self) -> String {
        let line = self.client.line();
        line.strip_suffix('\r')
            .unwrap_or_else(|| panic!("IRC line without CR LF: {line:?}"))
            .to_owned()
    }

    /// The next line, which must start with `prefix`.
    pub fn expect(&mut self, prefix: &str) -> String {
        let line = self.line();
        assert!(
            line.starts_with(prefix),
            "expected {prefix:?}, got {line:?}"
        );
        line
    }

    /// Skips lines until one contains `part`, and returns it.
    pub fn until(&mut self, part: &str) -> String {
        loop {
            let line = self.line();
            if line.contains(part) {
                return line;
            }
        }
    }

    /// Every line the server queued before it answers a `PING`.
    pub fn sync(&mut self) -> Vec<String> {
        self.send("PING sync");
        let mut seen = Vec::new();
        loop {
            let line = self.line();
            if line == ":chatroom PONG chatroom sync" {
                return seen;
            }
            seen.push(line);
        }
    }

    /// Lines to the end of the stream.
    pub fn rest(&mut self) -> Vec<String> {
        let lines = self.client.rest();
        lines
            .into_iter()
            .map(|line| line.trim_end_matches('\r').to_owned())
            .collect()
    }
}
