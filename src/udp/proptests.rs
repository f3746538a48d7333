//! Exactly once, in order: a sender and a receiver joined by a simulated
//! network that loses, duplicates and re-orders datagrams both ways.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::{Datagram, Incoming, Offer, Outgoing, Token};

/// A small deterministic generator, so each case replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Datagrams in flight, each with the time it arrives.
struct Network {
    in_flight: Vec<(Instant, Vec<u8>)>,
    loss: u64,
    duplication: u64,
}

impl Network {
    fn send(&mut self, rng: &mut Rng, now: Instant, datagram: &[u8]) {
        if rng.chance(self.loss) {
            return;
        }
        let copies = if rng.chance(self.duplication) { 2 } else { 1 };
        for _ in 0..copies {
            // Up to 40 ms of delay: later datagrams often overtake earlier ones.
            let delay = Duration::from_millis(1 + rng.next() % 40);
            self.in_flight.push((now + delay, datagram.to_vec()));
        }
    }

    fn arrived(&mut self, now: Instant) -> Vec<Vec<u8>> {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.in_flight = later;
        due.into_iter().map(|(_, datagram)| datagram).collect()
    }
}

fn simulate(seed: u64, lines: usize, window: usize, loss: u64, duplication: u64) -> Vec<Vec<u8>> {
    let token = Token::from_bytes([1; 16]);
    let mut rng = Rng(seed | 1);
    let start = Instant::now();
    let mut now = start;
    let mut sender = Outgoing::new(token, window);
    let mut receiver: Incoming<Vec<u8>> = Incoming::new(window);
    let mut forward = Network {
        in_flight: Vec::new(),
        loss,
        duplication,
    };
    let mut backward = Network {
        in_flight: Vec::new(),
        loss,
        duplication,
    };
    let mut next_line = 0;
    let mut delivered = Vec::new();
    while delivered.len() < lines {
        assert!(now - start < Duration::from_secs(3600), "no progress");
        while next_line < lines && !sender.is_full() {
            let datagram = sender.push(format!("line {next_line}").as_bytes(), now);
            forward.send(&mut rng, now, &datagram.expect("room"));
            next_line += 1;
        }
        for datagram in sender.due(now) {
            forward.send(&mut rng, now, &datagram);
        }
        for bytes in forward.arrived(now) {
            let Ok(Datagram::Data { seq, line, .. }) = Datagram::parse(&bytes) else {
                panic!("not data");
            };
            if receiver.offer(seq, line.to_vec()) != Offer::OutOfWindow {
                let ack = Datagram::Ack {
                    token,
                    cum: receiver.cum(),
                    seq: Some(seq),
                };
                backward.send(&mut rng, now, &ack.encode());
            }
            // The reader is sometimes slow, so the window fills at times.
            if rng.chance(70) {
                while let Some(line) = receiver.pop() {
                    delivered.push(line);
                }
            }
        }
        for bytes in backward.arrived(now) {
            let Ok(Datagram::Ack { cum, seq, .. }) = Datagram::parse(&bytes) else {
                panic!("not an ack");
            };
            sender.on_ack(cum, seq, now);
        }
        while let Some(line) = receiver.pop() {
            delivered.push(line);
        }
        now += Duration::from_millis(5);
    }
    assert!(receiver.pop().is_none());
    delivered
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_line_arrives_once_in_order(
        seed in any::<u64>(),
        lines in 1usize..300,
        window in 1usize..40,
        loss in 0u64..40,
        duplication in 0u64..20,
    ) {
        let delivered = simulate(seed, lines, window, loss, duplication);
        let expected: Vec<Vec<u8>> = (0..lines).map(|n| format!("line {n}").into_bytes()).collect();
        prop_assert_eq!(delivered, expected);
    }
}
