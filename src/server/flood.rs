//! Flood control: a token bucket per client, with time as an input.
//!
//! A client may send `burst` lines at once, then `rate` lines per second. Over
//! that allowance nothing is refused: the session simply reads the client's next
//! line later ("fake lag"), and TCP pushes back on the client. Commands that make
//! the server do more work cost more tokens. This module only computes how long
//! to wait; it never sleeps or reads a clock itself.

use std::time::{Duration, Instant};

/// Flood-control settings. A `rate` of 0 turns flood control off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloodLimit {
    /// Lines a client may send at once.
    pub burst: u32,
    /// Lines per second a client may send after the burst; 0 is unlimited.
    pub rate: f64,
}

impl FloodLimit {
    /// No limit at all.
    pub const OFF: FloodLimit = FloodLimit {
        burst: 0,
        rate: 0.0,
    };

    /// Whether the limit is off.
    pub fn is_off(&self) -> bool {
        self.rate <= 0.0
    }
}

impl Default for FloodLimit {
    /// Burst 10, then 5 lines a second: a pasted paragraph arrives in a couple of
    /// seconds, a flood is slowed to a trickle.
    fn default() -> FloodLimit {
        FloodLimit {
            burst: 10,
            rate: 5.0,
        }
    }
}

/// One client's bucket.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    limit: FloodLimit,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub(crate) fn new(limit: FloodLimit, now: Instant) -> TokenBucket {
        TokenBucket {
            limit,
            tokens: f64::from(limit.burst.max(1)),
            updated: now,
        }
    }

    /// Spends `cost` tokens for a line read at `now`, and returns how long the
    /// reader should wait before reading on (zero within the allowance).
    pub(crate) fn take(&mut self, cost: u32, now: Instant) -> Duration {
        if self.limit.is_off() {
            return Duration::ZERO;
        }
        let capacity = f64::from(self.limit.burst.max(1));
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.limit.rate).min(capacity);
        self.updated = now;
        self.tokens -= f64::from(cost);
        if self.tokens >= 0.0 {
            return Duration::ZERO;
        }
        // In debt: wait until the debt is repaid. The bucket already counts
        // the wait, since tokens accrue from `updated` onwards.
        Duration::from_secs_f64(-self.tokens / self.limit.rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `costs` at the given millisecond offsets; returns the waits in ms.
    fn waits(limit: FloodLimit, steps: &[(u64, u32)]) -> Vec<u64> {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(limit, start);
        steps
            .iter()
            .map(|&(at, cost)| {
                bucket
                    .take(cost, start + Duration::from_millis(at))
                    .as_millis() as u64
            })
            .collect()
    }

    #[test]
    fn bucket_table() {
        let default = FloodLimit::default();
        // The burst passes at once; then one line per 200 ms.
        let paste: Vec<(u64, u32)> = (0..12).map(|_| (0, 1)).collect();
        assert_eq!(
            waits(default, &paste),
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200, 400]
        );
        // A reader that honours each wait is paced at the rate.
        assert_eq!(
            waits(default, &[(0, 10), (0, 1), (200, 1), (400, 1)]),
            [0, 200, 200, 200]
        );
        // Tokens come back with time, up to the burst and no more.
        assert_eq!(
            waits(default, &[(0, 10), (1000, 5), (1000, 1)]),
            [0, 0, 200]
        );
        assert_eq!(
            waits(default, &[(0, 1), (60_000, 10), (60_000, 1)]),
            [0, 0, 200]
        );
        // Expensive commands cost more.
        assert_eq!(waits(default, &[(0, 10), (0, 3)]), [0, 600]);
        // Off means never wait.
        assert_eq!(waits(FloodLimit::OFF, &[(0, 1000), (0, 1000)]), [0, 0]);
    }
}
