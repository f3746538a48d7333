//! One generated client of a many-rooms run: it registers, leaves the default
//! room (chatroom only; IRC has none), joins its rooms, sends stamped
//! messages to the rooms it sends in, and records, per room, which messages
//! it received in which order and how long each took.
//!
//! A message's text is `L<send time ns> r<room> c<sender> n<seq>`, so the
//! receiver needs nothing but the line to time it and to name it.

use std::time::Instant;

use hdrhistogram::Histogram;
use mio::net::TcpStream;

use super::check::message_id;
use super::layout::Layout;
use super::load::Dialect;
use super::load::wire::{Wire, irc_command, irc_pong};

/// Counts a worker keeps for all its members, added to the shared board once
/// per loop turn so the hot path touches no atomics.
pub struct RoomTally {
    /// Members in all their rooms.
    pub ready: u64,
    /// Rooms joined (`JOINED` or IRC's end of NAMES), over all members.
    pub joins: u64,
    pub messages: u64,
    pub closed: u64,
    pub last_message: Option<Instant>,
    /// Delivery latency in microseconds, one histogram per room.
    pub latency: Vec<Histogram<u64>>,
    /// `ERROR`/`BYE` lines, IRC error numerics.
    pub errors: u64,
    pub first_error: Option<String>,
    /// Messages that arrived in a room they were not sent to, or to a client
    /// that is not in that room, or that could not be read.
    pub misrouted: u64,
    /// The instant send stamps count from.
    pub epoch: Instant,
    pub quickack: bool,
}

/// One generated client. See the module docs.
pub struct Member {
    pub wire: Wire,
    pub seat: Seat,
}

/// A member's rooms and what it has sent and received there.
pub struct Seat {
    pub client: usize,
    name: String,
    /// Its rooms, in the order it joins them.
    pub rooms: Vec<usize>,
    joined: usize,
    /// Per room (as in `rooms`): the ids of the messages received, in order.
    pub received: Vec<Vec<u64>>,
    /// Per room (as in `rooms`): messages sent there.
    pub sent: Vec<u64>,
}

impl Member {
    pub fn new(stream: TcpStream, client: usize, name: String, layout: &Layout) -> Member {
        let rooms = layout.rooms_of(client);
        let seat = Seat {
            client,
            name,
            received: vec![Vec::new(); rooms.len()],
            sent: vec![0; rooms.len()],
            rooms,
            joined: 0,
        };
        Member {
            wire: Wire::new(stream),
            seat,
        }
    }

    pub fn ready(&self) -> bool {
        self.seat.joined >= self.seat.rooms.len()
    }

    /// The connection is up (or failed): queues the registration lines.
    pub fn on_connected(&mut self, dialect: Dialect) -> std::io::Result<()> {
        self.wire.on_connected()?;
        self.wire
            .queue(dialect.registration(&self.seat.name).as_bytes());
        Ok(())
    }

    /// Queues message `seq` of this member in its room number `index`.
    pub fn queue_message(&mut self, dialect: Dialect, index: usize, stamp_ns: u64) {
        let seat = &mut self.seat;
        let room = seat.rooms[index];
        let seq = seat.sent[index];
        seat.sent[index] += 1;
        let name = Layout::room_name(room);
        let text = format!("L{stamp_ns} r{room} c{} n{seq}", seat.client);
        let line = match dialect {
            Dialect::Chat => format!("/say {name} {text}\n"),
            Dialect::Irc => format!("PRIVMSG {name} :{text}\r\n"),
        };
        self.wire.queue(line.as_bytes());
    }

    /// Reads and handles every complete line, then writes any answers.
    pub fn on_readable(
        &mut self,
        buf: &mut [u8],
        dialect: Dialect,
        tally: &mut RoomTally,
        closing: bool,
    ) {
        let was_closed = self.wire.closed;
        let quickack = tally.quickack;
        let Member { wire, seat } = self;
        wire.read_lines(buf, closing, quickack, |line, now, wire| {
            seat.on_line(line, now, dialect, wire, tally)
        });
        if self.wire.closed && !was_closed {
            tally.closed += 1;
        }
    }
}

impl Seat {
    fn on_line(
        &mut self,
        line: &[u8],
        now: Instant,
        dialect: Dialect,
        wire: &mut Wire,
        tally: &mut RoomTally,
    ) {
        let seen = match dialect {
            Dialect::Chat => chat_line(line),
            Dialect::Irc => irc_line(line),
        };
        match seen {
            Seen::Message => self.on_message(line, now, tally),
            Seen::Registered => self.queue_joins(dialect, wire),
            Seen::Joined => {
                self.joined += 1;
                tally.joins += 1;
                if self.joined == self.rooms.len() {
                    tally.ready += 1;
                }
            }
            Seen::Ping => irc_pong(line, wire),
            Seen::Error => {
                tally.errors += 1;
                if tally.first_error.is_none() {
                    let text = String::from_utf8_lossy(line);
                    tally.first_error = Some(format!("{}: {text}", self.name));
                }
            }
            Seen::Other => {}
        }
    }

    fn queue_joins(&mut self, dialect: Dialect, wire: &mut Wire) {
        let (join, end) = match dialect {
            // Every chatroom client lands in #lobby; leaving it keeps the
            // shape the same as on the IRC servers, where there is none.
            Dialect::Chat => {
                wire.queue(b"/part #lobby\n");
                ("/join ", "\n")
            }
            Dialect::Irc => ("JOIN ", "\r\n"),
        };
        for &room in &self.rooms {
            wire.queue(format!("{join}{}{end}", Layout::room_name(room)).as_bytes());
        }
    }

    fn on_message(&mut self, line: &[u8], now: Instant, tally: &mut RoomTally) {
        tally.messages += 1;
        tally.last_message = Some(now);
        let Some(message) = Stamped::parse(line) else {
            tally.misrouted += 1;
            return;
        };
        let index = self.rooms.iter().position(|&r| r == message.room);
        let Some(index) = index.filter(|_| message.room_field_matches) else {
            tally.misrouted += 1;
            return;
        };
        self.received[index].push(message_id(message.sender, message.seq));
        let now_ns = now.duration_since(tally.epoch).as_nanos() as u64;
        if let Some(histogram) = tally.latency.get_mut(message.room) {
            histogram.saturating_record(now_ns.saturating_sub(message.sent_ns) / 1000);
        }
    }
}

/// The lines that matter to a many-rooms run.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Message,
    /// Registered: time to join the rooms.
    Registered,
    /// One room joined.
    Joined,
    Ping,
    Error,
    Other,
}

fn chat_line(line: &[u8]) -> Seen {
    let word = line.split(|&b| b == b' ').next().unwrap_or(b"");
    match word {
        b"MSG" => Seen::Message,
        b"WELCOME" => Seen::Registered,
        b"JOINED" => Seen::Joined,
        b"ERROR" | b"BYE" => Seen::Error,
        _ => Seen::Other,
    }
}

fn irc_line(line: &[u8]) -> Seen {
    match irc_command(line) {
        b"PRIVMSG" => Seen::Message,
        b"001" => Seen::Registered,
        b"366" => Seen::Joined,
        b"PING" => Seen::Ping,
        b"ERROR" => Seen::Error,
        [b'4' | b'5', _, _] => Seen::Error,
        _ => Seen::Other,
    }
}

/// A received message's stamp, read from its line.
#[derive(Debug, PartialEq, Eq)]
struct Stamped {
    sent_ns: u64,
    room: usize,
    sender: usize,
    seq: u64,
    /// Whether the line's room field (the word before ` :`) names `room`.
    room_field_matches: bool,
}

impl Stamped {
    fn parse(line: &[u8]) -> Option<Stamped> {
        let colon = memchr::memmem::find(line, b" :")?;
        let room_field = line[..colon].rsplit(|&b| b == b' ').next()?;
        let text = std::str::from_utf8(&line[colon + 2..]).ok()?;
        let mut words = text.split(' ');
        let mut field = |prefix: char| words.next()?.strip_prefix(prefix)?.parse::<u64>().ok();
        let sent_ns = field('L')?;
        let room = field('r')? as usize;
        let sender = field('c')? as usize;
        let seq = field('n')?;
        let name = Layout::room_name(room);
        Some(Stamped {
            sent_ns,
            room,
            sender,
            seq,
            room_field_matches: room_field.eq_ignore_ascii_case(name.as_bytes()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_dialects() {
        let chat = b"MSG 7 2026-12-03T12:00:00.000Z f3 #r5 :L100 r5 c3 n9";
        let irc = b":f3!f3@127.0.0.1 PRIVMSG #r5 :L100 r5 c3 n9";
        let expected = Stamped {
            sent_ns: 100,
            room: 5,
            sender: 3,
            seq: 9,
            room_field_matches: true,
        };
        assert_eq!(Stamped::parse(chat), Some(expected));
        assert_eq!(chat_line(chat), Seen::Message);
        let wrong_room = Stamped::parse(b"MSG 7 ts f3 #r6 :L100 r5 c3 n9").unwrap();
        assert!(!wrong_room.room_field_matches);
        assert_eq!(irc_line(irc), Seen::Message);
        assert!(Stamped::parse(irc).unwrap().room_field_matches);
        assert_eq!(Stamped::parse(b"MSG 7 ts f3 #r5 :hello"), None);
        assert_eq!(
            irc_line(b":srv 405 f3 #r9 :You have joined too many channels"),
            Seen::Error
        );
        assert_eq!(
            irc_line(b":srv 366 f3 #r9 :End of NAMES list"),
            Seen::Joined
        );
        assert_eq!(chat_line(b"JOINED #r9 3 :"), Seen::Joined);
    }
}
