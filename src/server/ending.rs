//! A connection's end as a flag its session thread can wait on.
//!
//! Whoever ends a connection (shutdown, eviction, a failed write) shuts its
//! socket's read side, which wakes a session blocked in `read`. That is not
//! enough on its own: lines already received are still readable after the
//! shutdown, and a session waiting out its flood allowance or a login delay
//! is not reading at all. A client that had just pasted 3,000 lines kept its
//! session reading them at five a second, and the server running, for
//! minutes after SIGTERM. So the session also waits on this flag: it checks
//! it after every line it reads, and its delays are waits on it rather than
//! sleeps, cut short the moment the connection ends.
//!
//! The flag only ever goes from unset to set.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct Ending {
    /// Whether the connection is ending. The lock guards only this value and
    /// is never held across anything but the condition variable's wait.
    ended: Mutex<bool>,
    /// Notified when `ended` is set.
    changed: Condvar,
}

impl Ending {
    /// Marks the connection as ending and wakes a session waiting in
    /// [`Ending::pause`].
    pub(crate) fn set(&self) {
        *self.ended.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }

    /// Whether [`Ending::set`] was called.
    pub(crate) fn is_set(&self) -> bool {
        *self.ended.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits `wait`, or less if the connection ends meanwhile. Returns
    /// whether the whole wait passed with the connection still open.
    #[inline(never)]
    pub(crate) fn pause(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        let mut ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        while !*ended {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            ended = self
                .changed
                .wait_timeout(ended, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_pause_runs_its_course_unless_the_connection_ends() {
        let ending = Ending::default();
        assert!(ending.pause(Duration::from_millis(5)));
        assert!(!ending.is_set());

        let ending = Arc::new(Ending::default());
        let setter = ending.clone();
        let waiter = std::thread::Builder::new()
            .name("pauses".into())
            .spawn(move || ending.pause(Duration::from_secs(600)))
            .unwrap();
        setter.set();
        assert!(!waiter.join().unwrap(), "cut short");
        assert!(setter.is_set());
        assert!(
            !setter.pause(Duration::from_secs(600)),
            "returns at once once set"
        );
    }
}
