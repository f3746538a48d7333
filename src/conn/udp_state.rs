//! The client end of a UDP session as pure state: what a datagram from the
//! server means, what to answer, and what the timers ask for. The link
//! thread in [`super::udp`] owns the socket and the clock and feeds them in.
//!
//! Invariants: only datagrams carrying the session's token count (anything
//! else is [`Received::Ignored`]); every `DATA` that is not too far ahead is
//! acknowledged, a repeat too; server lines come out exactly once, in order.
//! Nothing here touches a socket, a lock or the clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Event;
use crate::protocol::{Frame, MAX_SERVER_LINE, ServerLine};
use crate::udp::{
    Datagram, GIVE_UP, IDLE_TIMEOUT, Incoming, KEEPALIVE_INTERVAL, Offer, Outgoing, SERVER_WINDOW,
    Token,
};

/// How often `OPEN` is sent again until `TOKEN` answers, and `KEEP` until
/// the server is first heard from (the first `KEEP` starts the session on
/// the server; if it is lost, `HELLO` would otherwise wait for the next one).
pub const OPEN_RESEND: Duration = Duration::from_millis(500);

/// The send side, shared by `Connection::send` (which numbers lines) and the
/// link thread (which takes acknowledgements and resends).
#[derive(Debug)]
pub struct SendState {
    /// The lines not yet acknowledged.
    pub outgoing: Outgoing,
    /// When `send` last put a datagram on the wire.
    pub last_sent: Instant,
    /// The link thread has stopped: nothing will be acknowledged any more.
    pub ended: bool,
}

impl SendState {
    /// An empty window for `token`, of the client's size.
    pub fn new(token: Token, now: Instant) -> SendState {
        SendState {
            outgoing: Outgoing::new(token, crate::udp::CLIENT_WINDOW),
            last_sent: now,
            ended: false,
        }
    }
}

/// What a datagram from the server asks of the link thread.
#[derive(Debug, PartialEq)]
pub enum Received {
    /// Not for this session, or nothing to do.
    Ignored,
    /// A `DATA`: send `ack` (none when it was too far ahead), then hand on
    /// `events` (the lines now in order).
    Data {
        /// The `ACK` datagram to send.
        ack: Option<Vec<u8>>,
        /// The server lines that became ready, in order.
        events: Vec<Event>,
    },
    /// An `ACK` for the send window.
    Ack {
        /// Every line up to this one arrived.
        cum: u64,
        /// And this one.
        seq: Option<u64>,
    },
    /// The server ended the session.
    Closed,
}

/// What the timers ask for at one moment.
#[derive(Debug, PartialEq)]
pub struct Tick {
    /// `DATA` datagrams to send again.
    pub resend: Vec<Arc<[u8]>>,
    /// A `KEEP` to send.
    pub keep: Option<Vec<u8>>,
    /// The session is lost: why.
    pub lost: Option<String>,
    /// When to look again at the latest, if nothing arrives first.
    pub next: Instant,
}

/// The link thread's own state. See the module docs.
#[derive(Debug)]
pub struct LinkState {
    token: Token,
    incoming: Incoming<Vec<u8>>,
    /// When a datagram of this session last came from the server.
    last_heard: Instant,
    /// Whether anything of this session has come from the server yet.
    heard: bool,
    /// When the link thread last sent something (an `ACK`, `KEEP` or resend).
    last_sent: Instant,
}

impl LinkState {
    /// A session whose token just arrived (and whose first `KEEP` was sent)
    /// at `now`.
    pub fn new(token: Token, now: Instant) -> LinkState {
        LinkState {
            token,
            incoming: Incoming::new(SERVER_WINDOW),
            last_heard: now,
            heard: false,
            last_sent: now,
        }
    }

    /// The link thread sent a datagram at `now`.
    pub fn sent(&mut self, now: Instant) {
        self.last_sent = self.last_sent.max(now);
    }

    /// Takes one datagram from the server.
    pub fn on_datagram(&mut self, bytes: &[u8], now: Instant) -> Received {
        let Ok(datagram) = Datagram::parse(bytes) else {
            return Received::Ignored;
        };
        if datagram.token() != Some(self.token) {
            return Received::Ignored;
        }
        self.last_heard = now;
        self.heard = true;
        match datagram {
            Datagram::Data { seq, line, .. } => self.on_data(seq, line),
            Datagram::Ack { cum, seq, .. } => Received::Ack { cum, seq },
            Datagram::Close { .. } => Received::Closed,
            Datagram::Open { .. } | Datagram::Token { .. } | Datagram::Keep { .. } => {
                Received::Ignored
            }
        }
    }

    fn on_data(&mut self, seq: u64, line: &[u8]) -> Received {
        if self.incoming.offer(seq, line.to_vec()) == Offer::OutOfWindow {
            return Received::Data {
                ack: None,
                events: Vec::new(),
            };
        }
        let ack = Datagram::Ack {
            token: self.token,
            cum: self.incoming.cum(),
            seq: Some(seq),
        };
        let events = std::iter::from_fn(|| self.incoming.pop())
            .filter_map(|line| event_of(&line))
            .collect();
        Received::Data {
            ack: Some(ack.encode()),
            events,
        }
    }

    /// What the timers want at `now`: resends (taken from `send`, which
    /// counts them), a keepalive, or giving up. Records what it asks to send
    /// as sent at `now`.
    pub fn tick(&mut self, send: &mut SendState, now: Instant) -> Tick {
        let oldest = send.outgoing.oldest_unacked();
        let lost = if oldest.is_some_and(|first| now >= first + GIVE_UP) {
            Some(format!(
                "the server stopped answering: a line went unacknowledged for {} s",
                GIVE_UP.as_secs()
            ))
        } else if now >= self.last_heard + IDLE_TIMEOUT {
            Some(format!(
                "the server stopped answering: nothing heard for {} s",
                IDLE_TIMEOUT.as_secs()
            ))
        } else {
            None
        };
        let resend = send.outgoing.due(now);
        if !resend.is_empty() {
            self.sent(now);
        }
        let keep_after = if self.heard {
            KEEPALIVE_INTERVAL
        } else {
            OPEN_RESEND
        };
        let keep = (now >= self.last_sent.max(send.last_sent) + keep_after).then(|| {
            self.sent(now);
            Datagram::Keep { token: self.token }.encode()
        });
        let mut next = [
            Some(self.last_sent.max(send.last_sent) + keep_after),
            Some(self.last_heard + IDLE_TIMEOUT),
            send.outgoing.next_due(),
            oldest.map(|first| first + GIVE_UP),
        ]
        .into_iter()
        .flatten()
        .min()
        .expect("the keepalive time is always there");
        next = next.max(now);
        Tick {
            resend,
            keep,
            lost,
            next,
        }
    }
}

/// The event for one server line that arrived in a datagram; `None` for an
/// empty line.
fn event_of(line: &[u8]) -> Option<Event> {
    let event = match Frame::from_datagram(line, MAX_SERVER_LINE)? {
        Frame::Line(text) => match ServerLine::parse(&text) {
            Ok(parsed) => Event::Line(parsed),
            Err(error) => Event::Malformed {
                line: text,
                error: error.to_string(),
            },
        },
        other => Event::Malformed {
            line: String::from_utf8_lossy(line).into_owned(),
            error: format!("{other:?}"),
        },
    };
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token::from_bytes([9; 16])
    }

    fn data(seq: u64, line: &str) -> Vec<u8> {
        Datagram::Data {
            token: token(),
            seq,
            line: line.as_bytes(),
        }
        .encode()
    }

    fn ack(cum: u64, seq: u64) -> Option<Vec<u8>> {
        Some(
            Datagram::Ack {
                token: token(),
                cum,
                seq: Some(seq),
            }
            .encode(),
        )
    }

    fn info(text: &str) -> Event {
        Event::Line(ServerLine::Info { text: text.into() })
    }

    /// Offers `seq` with line `INFO :<seq>` and checks the ACK and the
    /// texts handed on.
    fn check(state: &mut LinkState, seq: u64, cum: u64, ready: &[&str]) {
        let received = state.on_datagram(&data(seq, &format!("INFO :{seq}")), Instant::now());
        let events = ready.iter().map(|text| info(text)).collect();
        let expected = Received::Data {
            ack: ack(cum, seq),
            events,
        };
        assert_eq!(received, expected, "DATA {seq}");
    }

    #[test]
    fn reorders_drops_repeats_and_acknowledges_each() {
        let mut state = LinkState::new(token(), Instant::now());
        check(&mut state, 2, 0, &[]);
        check(&mut state, 3, 0, &[]);
        check(&mut state, 2, 0, &[]);
        check(&mut state, 1, 3, &["1", "2", "3"]);
        check(&mut state, 1, 3, &[]);
        check(&mut state, 4, 4, &["4"]);
    }

    #[test]
    fn too_far_ahead_is_not_acknowledged() {
        let mut state = LinkState::new(token(), Instant::now());
        let far = SERVER_WINDOW as u64 + 1;
        let received = state.on_datagram(&data(far, "INFO :x"), Instant::now());
        assert_eq!(
            received,
            Received::Data {
                ack: None,
                events: vec![]
            }
        );
    }

    #[test]
    fn only_this_sessions_datagrams_count() {
        let other = Token::from_bytes([1; 16]);
        let mut state = LinkState::new(token(), Instant::now());
        let cases: Vec<(Vec<u8>, Received)> = vec![
            (b"nonsense".to_vec(), Received::Ignored),
            (Datagram::Close { token: other }.encode(), Received::Ignored),
            (
                Datagram::Data {
                    token: other,
                    seq: 1,
                    line: b"INFO :forged",
                }
                .encode(),
                Received::Ignored,
            ),
            (
                Datagram::Ack {
                    token: token(),
                    cum: 3,
                    seq: Some(5),
                }
                .encode(),
                Received::Ack {
                    cum: 3,
                    seq: Some(5),
                },
            ),
            (
                Datagram::Close { token: token() }.encode(),
                Received::Closed,
            ),
        ];
        for (bytes, expected) in cases {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            assert_eq!(
                state.on_datagram(&bytes, Instant::now()),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn bad_lines_are_malformed_events_and_empty_ones_vanish() {
        let mut state = LinkState::new(token(), Instant::now());
        let Received::Data { events, .. } = state.on_datagram(&data(1, ""), Instant::now()) else {
            panic!("not data")
        };
        assert!(events.is_empty());
        let Received::Data { events, .. } = state.on_datagram(&data(2, "bad\x07"), Instant::now())
        else {
            panic!("not data")
        };
        assert!(
            matches!(&events[..], [Event::Malformed { .. }]),
            "{events:?}"
        );
    }

    #[test]
    fn keeps_alive_resends_and_gives_up_on_time() {
        let start = Instant::now();
        let mut state = LinkState::new(token(), start);
        let mut send = SendState::new(token(), start);
        // Before the server is heard from, KEEP goes again every 500 ms.
        let tick = state.tick(&mut send, start);
        assert_eq!((tick.keep, tick.next), (None, start + OPEN_RESEND));
        assert!(state.tick(&mut send, start + OPEN_RESEND).keep.is_some());
        // Once heard, only after 15 s of sending nothing.
        let heard = start + Duration::from_secs(1);
        state.on_datagram(&data(1, "INFO :hi"), heard);
        state.sent(heard);
        let tick = state.tick(&mut send, heard);
        assert_eq!((tick.keep, tick.next), (None, heard + KEEPALIVE_INTERVAL));
        assert!(
            state
                .tick(&mut send, heard + KEEPALIVE_INTERVAL)
                .keep
                .is_some()
        );
        // A line the server never acknowledges is resent, then given up.
        let line_at = heard + KEEPALIVE_INTERVAL;
        send.outgoing.push(b"hello", line_at).unwrap();
        send.last_sent = line_at;
        let first_resend = send.outgoing.next_due().unwrap();
        assert_eq!(state.tick(&mut send, line_at).next, first_resend);
        assert_eq!(state.tick(&mut send, first_resend).resend.len(), 1);
        let tick = state.tick(&mut send, line_at + GIVE_UP);
        assert!(tick.lost.unwrap().contains("unacknowledged"));
    }

    #[test]
    fn gives_up_when_nothing_is_heard() {
        let start = Instant::now();
        let mut state = LinkState::new(token(), start);
        let mut send = SendState::new(token(), start);
        assert_eq!(state.tick(&mut send, start + IDLE_TIMEOUT / 2).lost, None);
        let tick = state.tick(&mut send, start + IDLE_TIMEOUT);
        assert!(tick.lost.unwrap().contains("nothing heard"));
    }
}
