//! The driver's clock, and what it knows of the lines the server has not yet
//! taken.
//!
//! The machines get time as milliseconds since the process started. For the
//! coordinator that clock stands still while lines it sent wait unread in the
//! chat server (its flood control reads a fast sender's lines later; the
//! server's copy of a private message, or its ERROR, says the line was
//! taken): its timers then count from when its messages actually left, so a
//! burst of its own lines never eats into T (issue 15, defect 5). It only ever
//! makes the coordinator wait longer, as a slower coordinator would; one stop
//! lasts at most `cap` (T), in case a line is never answered.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, never};

use crate::tpc::Millis;

/// See the module docs.
#[derive(Debug)]
pub(super) struct Clock {
    start: Instant,
    /// Whether the clock stops while lines are untaken (the coordinator's).
    stops: bool,
    cap: Duration,
    /// Private messages sent that the server has not taken yet.
    untaken: usize,
    /// When the current stop began, if the clock is stopped.
    stopped_at: Option<Instant>,
    /// The length of every finished stop.
    stopped: Duration,
}

impl Clock {
    pub(super) fn new(start: Instant, stops: bool, cap: Duration) -> Clock {
        Clock {
            start,
            stops,
            cap,
            untaken: 0,
            stopped_at: None,
            stopped: Duration::ZERO,
        }
    }

    /// The machines' time.
    pub(super) fn now(&self) -> Millis {
        let current = self
            .stopped_at
            .map_or(Duration::ZERO, |at| at.elapsed().min(self.cap));
        let running = self.start.elapsed().saturating_sub(self.stopped + current);
        running.as_millis() as Millis
    }

    /// A channel that fires when the machines' time reaches `deadline`.
    pub(super) fn deadline(&self, deadline: Option<Millis>) -> Receiver<Instant> {
        let Some(deadline) = deadline else {
            return never();
        };
        let deadline = Duration::from_millis(deadline);
        let at = match self.stopped_at {
            None => self.start + self.stopped + deadline,
            Some(at) => {
                let frozen = at.saturating_duration_since(self.start) - self.stopped;
                at + self.cap + deadline.saturating_sub(frozen)
            }
        };
        crossbeam_channel::at(at)
    }

    /// A private message went to the server.
    pub(super) fn sent(&mut self) {
        self.untaken += 1;
        if self.stops && self.stopped_at.is_none() {
            self.stopped_at = Some(Instant::now());
        }
    }

    /// The server took one (its copy of it, or an ERROR about it, came back).
    pub(super) fn taken(&mut self) {
        self.untaken = self.untaken.saturating_sub(1);
        if self.untaken == 0 {
            self.restart();
        }
    }

    /// A new connection: nothing is waiting in the server any more.
    pub(super) fn reset(&mut self) {
        self.untaken = 0;
        self.restart();
    }

    /// True when the server has taken every line sent.
    pub(super) fn all_taken(&self) -> bool {
        self.untaken == 0
    }

    fn restart(&mut self) {
        if let Some(at) = self.stopped_at.take() {
            self.stopped += at.elapsed().min(self.cap);
        }
    }
}
