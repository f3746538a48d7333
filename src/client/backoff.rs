//! The reconnect schedule: how long to wait before each attempt.
//!
//! Pure: it computes delays and never sleeps; the caller waits (and can be
//! interrupted while waiting).

use std::time::Duration;

/// The longest wait between two reconnect attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The wait before reconnect attempt `attempt` (0 for the first): 1, 2, 4, 8,
/// 16 seconds, then 30 seconds for every attempt after that.
pub fn backoff_delay(attempt: u32) -> Duration {
    let seconds = 1u64.checked_shl(attempt).unwrap_or(u64::MAX);
    Duration::from_secs(seconds).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(attempt: u32, expected_seconds: u64) {
        assert_eq!(
            backoff_delay(attempt),
            Duration::from_secs(expected_seconds),
            "attempt {attempt}"
        );
    }

    #[test]
    fn backoff_schedule() {
        check(0, 1);
        check(1, 2);
        check(2, 4);
        check(3, 8);
        check(4, 16);
        check(5, 30);
        check(6, 30);
        check(63, 30);
        check(64, 30);
        check(u32::MAX, 30);
    }
}
