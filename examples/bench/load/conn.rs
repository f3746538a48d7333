//! One generated client: a non-blocking socket, its buffers, and a count of
//! what it has seen. It speaks just enough of either dialect to register, join
//! one room, send messages and recognise the lines that matter to a benchmark.

use std::io;
use std::time::Instant;

use hdrhistogram::Histogram;
use mio::net::TcpStream;

use super::Dialect;
use super::wire::{Wire, irc_command, irc_pong};

/// The one IRC channel every generated client joins.
pub const IRC_CHANNEL: &str = "#bench";

/// Counts a worker keeps for all its connections, added to the shared board
/// once per loop turn so the hot path touches no atomics.
pub struct Tally {
    pub registered: u64,
    pub joins: u64,
    pub messages: u64,
    pub closed: u64,
    /// `BYE :server full` lines: connections the server refused.
    pub refused: u64,
    pub last_message: Option<Instant>,
    /// Delivery latency in microseconds, when the scenario measures it.
    pub latency: Option<Histogram<u64>>,
    /// The same by the sender's and the receiver's node, at
    /// `sender * nodes + receiver`, in a cluster's latency run (else empty).
    pub by_nodes: Vec<Histogram<u64>>,
    /// Nodes the clients are spread over.
    pub nodes: usize,
    /// The instant send stamps count from.
    pub epoch: Instant,
    /// Re-arm TCP_QUICKACK after every read (latency runs only).
    pub quickack: bool,
}

/// One generated client. See the module docs.
pub struct Conn {
    pub wire: Wire,
    pub name: String,
    pub registered: bool,
    /// Room messages received.
    pub messages: u64,
    /// Room messages this client sent.
    pub sent: u64,
    /// Which node of a cluster it is connected to (0 for one server).
    pub node: usize,
}

impl Conn {
    pub fn new(stream: TcpStream, name: String) -> Conn {
        Conn {
            wire: Wire::new(stream),
            name,
            registered: false,
            messages: 0,
            sent: 0,
            node: 0,
        }
    }

    /// Called on the first writable event: the connection is up (or failed).
    /// Queues the registration lines.
    pub fn on_connected(&mut self, dialect: Dialect) -> io::Result<()> {
        self.wire.on_connected()?;
        self.wire.queue(dialect.registration(&self.name).as_bytes());
        Ok(())
    }

    /// Queues one room message with `text` (no line end).
    pub fn queue_message(&mut self, dialect: Dialect, text: &str) {
        let wire = &mut self.wire;
        match dialect {
            Dialect::Chat => {
                wire.queue(text.as_bytes());
                wire.queue(b"\n");
            }
            Dialect::Irc => {
                wire.queue(b"PRIVMSG ");
                wire.queue(IRC_CHANNEL.as_bytes());
                wire.queue(b" :");
                wire.queue(text.as_bytes());
                wire.queue(b"\r\n");
            }
        }
        self.sent += 1;
    }

    /// Writes as much of the queue as the socket takes now.
    pub fn flush(&mut self, tally: &mut Tally) {
        let was_closed = self.wire.closed;
        self.wire.flush();
        self.count_close(was_closed, tally);
    }

    /// Reads what the socket holds, handling every complete line, then
    /// writes any answers (PONG, JOIN). See [`Wire::read_lines`].
    pub fn on_readable(
        &mut self,
        buf: &mut [u8],
        dialect: Dialect,
        tally: &mut Tally,
        closing: bool,
    ) {
        let was_closed = self.wire.closed;
        let Conn {
            wire,
            registered,
            messages,
            node,
            ..
        } = self;
        let quickack = tally.quickack;
        wire.read_lines(buf, closing, quickack, |line, now, wire| {
            match classify(line, dialect) {
                Seen::Message => {
                    *messages += 1;
                    on_message(line, now, *node, tally);
                }
                Seen::Join => tally.joins += 1,
                Seen::Registered if !*registered => {
                    *registered = true;
                    tally.registered += 1;
                }
                Seen::Refused => tally.refused += 1,
                Seen::Welcome001 => wire.queue(format!("JOIN {IRC_CHANNEL}\r\n").as_bytes()),
                Seen::Ping => irc_pong(line, wire),
                _ => {}
            }
        });
        self.count_close(was_closed, tally);
    }

    fn count_close(&self, was_closed: bool, tally: &mut Tally) {
        if self.wire.closed && !was_closed {
            tally.closed += 1;
        }
    }

    pub fn closed(&self) -> bool {
        self.wire.closed
    }
}

/// The lines that matter to a one-room benchmark.
enum Seen {
    Message,
    Join,
    Registered,
    Refused,
    Welcome001,
    Ping,
    Other,
}

fn classify(line: &[u8], dialect: Dialect) -> Seen {
    match dialect {
        Dialect::Chat if line.starts_with(b"MSG ") => Seen::Message,
        Dialect::Chat if line.starts_with(b"JOIN ") => Seen::Join,
        Dialect::Chat if line.starts_with(b"WELCOME ") => Seen::Registered,
        Dialect::Chat if line == b"BYE :server full" => Seen::Refused,
        Dialect::Chat => Seen::Other,
        Dialect::Irc => match irc_command(line) {
            b"PRIVMSG" => Seen::Message,
            b"JOIN" => Seen::Join,
            b"001" => Seen::Welcome001,
            b"366" => Seen::Registered,
            b"PING" => Seen::Ping,
            _ => Seen::Other,
        },
    }
}

/// Counts a room message and, in a latency run, its delay (also by the
/// sender's node and `receiver`, the node this client is on, in a cluster).
fn on_message(line: &[u8], now: Instant, receiver: usize, tally: &mut Tally) {
    tally.messages += 1;
    tally.last_message = Some(now);
    let Some(histogram) = tally.latency.as_mut() else {
        return;
    };
    let Some((stamp, sender)) = sent_stamp(line) else {
        return;
    };
    let now_ns = now.duration_since(tally.epoch).as_nanos() as u64;
    let micros = now_ns.saturating_sub(stamp) / 1000;
    histogram.saturating_record(micros);
    if let Some(pair) = tally.by_nodes.get_mut(sender * tally.nodes + receiver) {
        pair.saturating_record(micros);
    }
}

/// The text of a latency probe: `L` and the send time in nanoseconds since the
/// run's epoch, then `n` and the sender's node.
pub fn latency_text(sent_ns: u64, node: usize) -> String {
    format!("L{sent_ns} n{node} latency probe")
}

/// The send time and the sender's node stamped in a message line by
/// [`latency_text`] (node 0 when the line names none).
pub fn sent_stamp(line: &[u8]) -> Option<(u64, usize)> {
    let colon = memchr::memmem::find(line, b" :")?;
    let text = line[colon + 2..].strip_prefix(b"L")?;
    let (stamp, rest) = leading_number(text);
    let node = rest
        .strip_prefix(b" n")
        .map_or(0, |rest| leading_number(rest).0);
    Some((stamp, node as usize))
}

/// The decimal number at the start of `text` (0 if none) and what follows it.
fn leading_number(text: &[u8]) -> (u64, &[u8]) {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let number = text[..digits]
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    (number, &text[digits..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stamps_and_commands() {
        assert_eq!(
            sent_stamp(b"MSG 1 2026-01-01T00:00:00.000Z f0 #lobby :L12345 n2 latency probe"),
            Some((12345, 2))
        );
        assert_eq!(sent_stamp(b":n!u@h PRIVMSG #bench :L7 x"), Some((7, 0)));
        assert_eq!(sent_stamp(b"MSG 1 t f0 #lobby :hello"), None);
        assert_eq!(irc_command(b":srv 001 nick :hi"), b"001");
        assert_eq!(irc_command(b"PING :srv"), b"PING");
    }
}
