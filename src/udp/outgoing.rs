//! The sending end of one direction: numbers lines, keeps each until it is
//! acknowledged, and says when to send it again.
//!
//! The window spans sequence numbers: from the oldest unacknowledged to the
//! next to be given, at most `capacity` apart. That matches the receiver,
//! which keeps items up to its window past what it has read ([`Incoming`]).
//! The retransmission timeout follows RFC 6298 (smoothed round-trip time plus
//! four deviations, from samples of datagrams sent once only, Karn's rule)
//! and doubles for each resend of the same datagram.
//!
//! [`Incoming`]: super::Incoming

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::datagram::{Datagram, Token};

/// The timeout before the first round trip is measured.
pub const INITIAL_RTO: Duration = Duration::from_millis(300);
/// The shortest timeout, whatever the measured round trip.
pub const MIN_RTO: Duration = Duration::from_millis(100);
/// The longest wait between two sends of one datagram.
pub const MAX_RTO: Duration = Duration::from_secs(4);

/// The window is full: the line was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// The send state of one direction of a session. See the module docs.
#[derive(Debug)]
pub struct Outgoing {
    token: Token,
    /// The number the next line gets.
    next_seq: u64,
    /// From the oldest unacknowledged datagram on, in order.
    slots: VecDeque<Slot>,
    capacity: usize,
    /// Smoothed round trip and its deviation, once measured.
    srtt: Option<Duration>,
    rttvar: Duration,
}

#[derive(Debug)]
struct Slot {
    seq: u64,
    datagram: Arc<[u8]>,
    first_sent: Instant,
    /// When to send it again.
    due: Instant,
    sends: u32,
    acked: bool,
}

impl Outgoing {
    /// An empty window for session `token` holding up to `capacity` lines.
    pub fn new(token: Token, capacity: usize) -> Outgoing {
        assert!(capacity > 0, "a window holds at least one line");
        Outgoing {
            token,
            next_seq: 1,
            slots: VecDeque::new(),
            capacity,
            srtt: None,
            rttvar: Duration::ZERO,
        }
    }

    /// Whether another line would not fit.
    pub fn is_full(&self) -> bool {
        self.slots.len() >= self.capacity
    }

    /// Whether every line sent has been acknowledged.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Numbers `line` and keeps it; returns the `DATA` datagram to send now.
    pub fn push(&mut self, line: &[u8], now: Instant) -> Result<Arc<[u8]>, Full> {
        if self.is_full() {
            return Err(Full);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let datagram: Arc<[u8]> = Datagram::Data {
            token: self.token,
            seq,
            line,
        }
        .encode()
        .into();
        self.slots.push_back(Slot {
            seq,
            datagram: datagram.clone(),
            first_sent: now,
            due: now + self.rto(),
            sends: 1,
            acked: false,
        });
        Ok(datagram)
    }

    /// The number the next line would get (for a farewell sent outside the
    /// window).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Takes an acknowledgement: everything up to `cum`, and `seq`. Returns
    /// how many datagrams it acknowledged for the first time.
    pub fn on_ack(&mut self, cum: u64, seq: Option<u64>, now: Instant) -> usize {
        let Some(front) = self.slots.front().map(|slot| slot.seq) else {
            return 0;
        };
        let mut newly = 0;
        let mut sample = None;
        let mut acknowledge = |slot: &mut Slot| {
            if !slot.acked {
                slot.acked = true;
                newly += 1;
                if slot.sends == 1 {
                    sample = Some(now.saturating_duration_since(slot.first_sent));
                }
            }
        };
        let upto = cum.min(self.next_seq - 1);
        if upto >= front {
            let count = (upto - front + 1) as usize;
            self.slots.iter_mut().take(count).for_each(&mut acknowledge);
        }
        if let Some(seq) = seq
            && seq >= front
            && let Some(slot) = self.slots.get_mut((seq - front) as usize)
        {
            acknowledge(slot);
        }
        while self.slots.front().is_some_and(|slot| slot.acked) {
            self.slots.pop_front();
        }
        if let Some(sample) = sample {
            self.measured(sample);
        }
        newly
    }

    /// The datagrams whose time to be sent again has come, each given a new,
    /// doubled, timeout.
    pub fn due(&mut self, now: Instant) -> Vec<Arc<[u8]>> {
        let rto = self.rto();
        let mut out = Vec::new();
        for slot in self.slots.iter_mut().filter(|s| !s.acked && s.due <= now) {
            let backoff = rto.saturating_mul(1 << slot.sends.min(16));
            slot.sends += 1;
            slot.due = now + backoff.min(MAX_RTO);
            out.push(slot.datagram.clone());
        }
        out
    }

    /// When [`Outgoing::due`] will next have something.
    pub fn next_due(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter(|slot| !slot.acked)
            .map(|slot| slot.due)
            .min()
    }

    /// When the oldest unacknowledged datagram was first sent.
    pub fn oldest_unacked(&self) -> Option<Instant> {
        self.slots.front().map(|slot| slot.first_sent)
    }

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        match self.srtt {
            None => INITIAL_RTO,
            Some(srtt) => (srtt + 4 * self.rttvar).clamp(MIN_RTO, MAX_RTO),
        }
    }

    fn measured(&mut self, sample: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(sample);
                self.rttvar = sample / 2;
            }
            Some(srtt) => {
                let deviation = srtt.abs_diff(sample);
                self.rttvar = (self.rttvar * 3 + deviation) / 4;
                self.srtt = Some((srtt * 7 + sample) / 8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(capacity: usize) -> Outgoing {
        Outgoing::new(Token::from_bytes([7; 16]), capacity)
    }

    fn seq_of(datagram: &[u8]) -> u64 {
        match Datagram::parse(datagram) {
            Ok(Datagram::Data { seq, .. }) => seq,
            other => panic!("not data: {other:?}"),
        }
    }

    #[test]
    fn numbers_lines_and_fills() {
        let now = Instant::now();
        let mut out = window(2);
        assert_eq!(seq_of(&out.push(b"a", now).unwrap()), 1);
        assert_eq!(seq_of(&out.push(b"b", now).unwrap()), 2);
        assert_eq!(out.push(b"c", now), Err(Full));
        assert_eq!(out.on_ack(0, Some(2), now), 1);
        assert!(out.is_full(), "1 is still unacknowledged");
        assert_eq!(out.on_ack(1, None, now), 1);
        assert!(out.is_empty());
        assert_eq!(seq_of(&out.push(b"c", now).unwrap()), 3);
        assert_eq!(out.on_ack(3, Some(3), now), 1);
        assert_eq!(
            out.on_ack(3, Some(3), now),
            0,
            "a repeated ack changes nothing"
        );
    }

    #[test]
    fn resends_with_backoff_until_acknowledged() {
        let start = Instant::now();
        let mut out = window(4);
        out.push(b"a", start).unwrap();
        assert!(out.due(start).is_empty());
        let first = out.next_due().unwrap();
        assert_eq!(first - start, INITIAL_RTO);
        assert_eq!(out.due(first).len(), 1);
        let second = out.next_due().unwrap();
        assert_eq!(second - first, INITIAL_RTO * 2, "doubled");
        assert_eq!(out.due(second).len(), 1);
        assert_eq!(out.next_due().unwrap() - second, INITIAL_RTO * 4);
        out.on_ack(1, None, second);
        assert_eq!(out.next_due(), None);
        assert_eq!(out.rto(), INITIAL_RTO, "no sample from a resent datagram");
    }

    #[test]
    fn measures_the_round_trip() {
        let start = Instant::now();
        let mut out = window(4);
        out.push(b"a", start).unwrap();
        out.on_ack(1, Some(1), start + Duration::from_millis(400));
        assert_eq!(out.rto(), Duration::from_millis(1200), "srtt + 4 * srtt/2");
        // A faster path: the timeout comes down as samples accumulate, to
        // no less than the floor.
        for seq in 2..40 {
            let sent = start + Duration::from_secs(seq);
            out.push(b"b", sent).unwrap();
            out.on_ack(seq, Some(seq), sent + Duration::from_millis(1));
        }
        assert_eq!(out.rto(), MIN_RTO);
    }

    #[test]
    fn ignores_acks_for_what_was_never_sent() {
        let now = Instant::now();
        let mut out = window(4);
        assert_eq!(out.on_ack(10, Some(11), now), 0);
        out.push(b"a", now).unwrap();
        assert_eq!(out.on_ack(0, Some(5), now), 0);
        assert_eq!(out.on_ack(99, None, now), 1);
        assert_eq!(out.next_seq(), 2);
    }
}
