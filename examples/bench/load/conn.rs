//! One generated client: a non-blocking socket, its buffers, and a count of
//! what it has seen. It speaks just enough of either dialect to register, join
//! one room, send messages and recognise the lines that matter to a benchmark.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::time::Instant;

use hdrhistogram::Histogram;
use mio::net::TcpStream;

use super::Dialect;

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
    /// The instant send stamps count from.
    pub epoch: Instant,
    /// Re-arm TCP_QUICKACK after every read (latency runs only).
    pub quickack: bool,
}

/// One generated client. See the module docs.
pub struct Conn {
    pub stream: TcpStream,
    pub name: String,
    pub connected: bool,
    pub registered: bool,
    pub closed: bool,
    /// Room messages received.
    pub messages: u64,
    /// Room messages this client sent.
    pub sent: u64,
    out: Vec<u8>,
    out_pos: usize,
    carry: Vec<u8>,
}

impl Conn {
    pub fn new(stream: TcpStream, name: String) -> Conn {
        Conn {
            stream,
            name,
            connected: false,
            registered: false,
            closed: false,
            messages: 0,
            sent: 0,
            out: Vec::new(),
            out_pos: 0,
            carry: Vec::new(),
        }
    }

    /// Called on the first writable event: the connection is up (or failed).
    /// Queues the registration lines.
    pub fn on_connected(&mut self, dialect: Dialect) -> io::Result<()> {
        if let Some(error) = self.stream.take_error()? {
            return Err(error);
        }
        self.stream.peer_addr()?;
        self.stream.set_nodelay(true)?;
        self.connected = true;
        let name = self.name.clone();
        match dialect {
            Dialect::Chat => self.queue(format!("{name}\n").as_bytes()),
            Dialect::Irc => {
                self.queue(format!("NICK {name}\r\nUSER {name} 0 * :{name}\r\n").as_bytes())
            }
        }
        Ok(())
    }

    /// Queues one room message with `text` (no line end).
    pub fn queue_message(&mut self, dialect: Dialect, text: &str) {
        match dialect {
            Dialect::Chat => {
                self.out.extend_from_slice(text.as_bytes());
                self.out.push(b'\n');
            }
            Dialect::Irc => {
                self.out.extend_from_slice(b"PRIVMSG ");
                self.out.extend_from_slice(IRC_CHANNEL.as_bytes());
                self.out.extend_from_slice(b" :");
                self.out.extend_from_slice(text.as_bytes());
                self.out.extend_from_slice(b"\r\n");
            }
        }
        self.sent += 1;
    }

    fn queue(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Writes as much of the queue as the socket takes now.
    pub fn flush(&mut self, tally: &mut Tally) {
        if !self.connected || self.closed {
            return;
        }
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => return self.close(tally),
                Ok(n) => self.out_pos += n,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.close(tally),
            }
        }
        self.out.clear();
        self.out_pos = 0;
    }

    /// Reads what the socket holds, handling every complete line. A read
    /// that does not fill `buf` emptied the socket, and anything arriving
    /// later raises a new (edge-triggered) event, so it stops there, saving
    /// the read that would say so, unless the peer has closed (`closing`): its
    /// end of stream raised no new edge.
    pub fn on_readable(
        &mut self,
        buf: &mut [u8],
        dialect: Dialect,
        tally: &mut Tally,
        closing: bool,
    ) {
        while !self.closed {
            match self.stream.read(buf) {
                Ok(0) => self.close(tally),
                Ok(n) => {
                    let now = Instant::now();
                    self.take_lines(&buf[..n], dialect, now, tally);
                    if tally.quickack {
                        set_quickack(&self.stream);
                    }
                    if n < buf.len() && !closing {
                        break;
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => self.close(tally),
            }
        }
        // Answers (PONG, JOIN) queued while reading.
        self.flush(tally);
    }

    fn close(&mut self, tally: &mut Tally) {
        if !self.closed {
            self.closed = true;
            tally.closed += 1;
        }
    }

    fn take_lines(&mut self, data: &[u8], dialect: Dialect, now: Instant, tally: &mut Tally) {
        let mut rest = data;
        if !self.carry.is_empty() {
            let Some(lf) = memchr::memchr(b'\n', rest) else {
                self.carry.extend_from_slice(rest);
                return;
            };
            let mut line = std::mem::take(&mut self.carry);
            line.extend_from_slice(&rest[..lf]);
            self.on_line(&line, dialect, now, tally);
            line.clear();
            self.carry = line;
            rest = &rest[lf + 1..];
        }
        let mut start = 0;
        for lf in memchr::memchr_iter(b'\n', rest) {
            self.on_line(&rest[start..lf], dialect, now, tally);
            start = lf + 1;
        }
        self.carry.extend_from_slice(&rest[start..]);
    }

    fn on_line(&mut self, line: &[u8], dialect: Dialect, now: Instant, tally: &mut Tally) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match dialect {
            Dialect::Chat => {
                if line.starts_with(b"MSG ") {
                    self.on_message(line, now, tally);
                } else if line.starts_with(b"JOIN ") {
                    tally.joins += 1;
                } else if line.starts_with(b"WELCOME ") {
                    self.on_registered(tally);
                } else if line == b"BYE :server full" {
                    tally.refused += 1;
                }
            }
            Dialect::Irc => match irc_command(line) {
                b"PRIVMSG" => self.on_message(line, now, tally),
                b"JOIN" => tally.joins += 1,
                b"001" => self.queue(format!("JOIN {IRC_CHANNEL}\r\n").as_bytes()),
                b"366" => self.on_registered(tally),
                b"PING" => {
                    let token = line.splitn(2, |&b| b == b' ').nth(1).unwrap_or(b"");
                    self.queue(b"PONG ");
                    self.queue(token);
                    self.queue(b"\r\n");
                }
                _ => {}
            },
        }
    }

    fn on_registered(&mut self, tally: &mut Tally) {
        if !self.registered {
            self.registered = true;
            tally.registered += 1;
        }
    }

    fn on_message(&mut self, line: &[u8], now: Instant, tally: &mut Tally) {
        self.messages += 1;
        tally.messages += 1;
        tally.last_message = Some(now);
        let Some(histogram) = tally.latency.as_mut() else {
            return;
        };
        let Some(stamp) = sent_stamp(line) else {
            return;
        };
        let now_ns = now.duration_since(tally.epoch).as_nanos() as u64;
        histogram.saturating_record(now_ns.saturating_sub(stamp) / 1000);
    }
}

/// The text of a latency probe: `L` and the send time in nanoseconds since the
/// run's epoch.
pub fn latency_text(sent_ns: u64) -> String {
    format!("L{sent_ns} latency probe")
}

/// The send time stamped in a message line by [`latency_text`].
fn sent_stamp(line: &[u8]) -> Option<u64> {
    let colon = memchr::memmem::find(line, b" :")?;
    let text = line[colon + 2..].strip_prefix(b"L")?;
    let digits = text.iter().take_while(|b| b.is_ascii_digit());
    Some(digits.fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// The command word of an IRC line, after any `:prefix`.
fn irc_command(line: &[u8]) -> &[u8] {
    let mut words = line.split(|&b| b == b' ');
    let first = words.next().unwrap_or(b"");
    if first.starts_with(b":") {
        words.next().unwrap_or(b"")
    } else {
        first
    }
}

/// Asks the kernel to acknowledge received data at once. It falls back to
/// delayed acks on its own, so this is repeated after each read.
fn set_quickack(stream: &TcpStream) {
    let one: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a c_int option value of the right size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stamps_and_commands() {
        assert_eq!(
            sent_stamp(b"MSG 1 2026-01-01T00:00:00.000Z f0 :L12345 latency probe"),
            Some(12345)
        );
        assert_eq!(sent_stamp(b":n!u@h PRIVMSG #bench :L7 x"), Some(7));
        assert_eq!(irc_command(b":srv 001 nick :hi"), b"001");
        assert_eq!(irc_command(b"PING :srv"), b"PING");
    }
}
