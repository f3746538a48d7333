//! The coordinating thread's helpers: noticing that a run has stopped
//! moving, and one progress line on stderr. Shared by both scenarios.

use std::io::{self, Write};
use std::time::{Duration, Instant};

/// Notices when a watched count has not moved for a while.
pub struct Stall {
    limit: Duration,
    last_value: u64,
    last_change: Instant,
}

impl Stall {
    pub fn new(limit: Duration) -> Stall {
        Stall {
            limit,
            last_value: u64::MAX,
            last_change: Instant::now(),
        }
    }

    pub fn stalled(&mut self, value: u64) -> bool {
        if value != self.last_value {
            self.last_value = value;
            self.last_change = Instant::now();
        }
        self.last_change.elapsed() > self.limit
    }
}

/// One progress line on stderr, rewritten about once a second.
pub struct Progress {
    label: Option<String>,
    last: Option<Instant>,
    started: Instant,
}

impl Progress {
    pub fn new(label: Option<String>) -> Progress {
        Progress {
            label,
            last: None,
            started: Instant::now(),
        }
    }

    pub fn show(&mut self, text: impl FnOnce() -> String) {
        let Some(label) = &self.label else { return };
        if self
            .last
            .is_some_and(|last| last.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        self.last = Some(Instant::now());
        eprint!(
            "\r[{label} {:>5.1}s] {}   ",
            self.started.elapsed().as_secs_f64(),
            text()
        );
        let _ = io::stderr().flush();
    }

    pub fn done(&mut self) {
        if self.label.is_some() && self.last.is_some() {
            eprintln!();
        }
    }
}
