//! The admission thread's accounting: how many threads the client
//! connections have, against what the capacity allows (`capacity.rs`), and
//! the log lines for connections refused at a limit: the first in full,
//! the others summed up ([`RefusalLog`]), so that a crowd knocking on a full
//! server cannot flood the log.
//!
//! Pure: the admission thread adds a session's threads when it starts it and
//! gives them back when it has joined it (a thread that has ended still holds
//! its stack's mappings until it is joined). The number of connections, and
//! with it the descriptors, is bounded by the registry's `max_clients`, which
//! is the capacity's.

use std::time::{Duration, Instant};

use super::capacity::{Capacity, Limit};

/// At most one line about refused connections this often.
pub(crate) const SUMMARY_EVERY: Duration = Duration::from_secs(5);

/// What the log says about connections refused because the server is full:
/// the first refusal in full (naming the limit), then at most one line every
/// [`SUMMARY_EVERY`] counting those refused since, and one more when a
/// connection is admitted again.
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    /// When the last line was logged, while refusals go on.
    logged: Option<Instant>,
    /// Refused since that line.
    unlogged: u64,
}

impl RefusalLog {
    /// A connection was refused at `now` (`why`: the limit): the line to
    /// log, if one is due.
    pub(crate) fn refused(&mut self, now: Instant, why: impl FnOnce() -> String) -> Option<String> {
        if self
            .logged
            .is_some_and(|logged| now.duration_since(logged) < SUMMARY_EVERY)
        {
            self.unlogged += 1;
            return None;
        }
        let line = match self.unlogged {
            0 => format!("refused: server full: {}", why()),
            more => format!(
                "refused: server full: {}; {more} more refused since the last line",
                why()
            ),
        };
        self.logged = Some(now);
        self.unlogged = 0;
        Some(line)
    }

    /// A connection was admitted: the count of refusals not logged yet, if
    /// any. The next refusal is logged in full.
    pub(crate) fn admitted(&mut self) -> Option<String> {
        self.logged = None;
        let more = std::mem::take(&mut self.unlogged);
        (more > 0).then(|| format!("server full: {more} more connections were refused"))
    }
}

/// Client threads in use and allowed.
#[derive(Debug, Clone)]
pub(crate) struct ThreadBudget {
    in_use: u64,
    limit: u64,
    bound_by: Limit,
}

impl ThreadBudget {
    pub(crate) fn new(capacity: &Capacity) -> ThreadBudget {
        ThreadBudget {
            in_use: 0,
            limit: capacity.client_threads,
            bound_by: capacity.threads_bound_by,
        }
    }

    /// Takes `threads` if they fit.
    pub(crate) fn take(&mut self, threads: u64) -> bool {
        if self.in_use + threads > self.limit {
            return false;
        }
        self.in_use += threads;
        true
    }

    /// Gives back threads that have been joined.
    pub(crate) fn give_back(&mut self, threads: u64) {
        self.in_use -= threads;
    }

    /// Why a connection needing more threads was refused.
    pub(crate) fn refusal(&self, capacity: &Capacity) -> String {
        format!(
            "{} client threads are running, all that {} ({}) leaves room for; {}",
            self.in_use,
            self.bound_by.name(),
            capacity.value_of(self.bound_by),
            self.bound_by.how_to_raise()
        )
    }
}

/// Threads a connection takes: its session, and a writer thread for TLS and
/// UDP (`writer.rs`).
pub(crate) fn threads_for(plain_tcp: bool) -> u64 {
    if plain_tcp { 1 } else { 2 }
}

/// Why the registry found the server full, for the log.
pub(crate) fn full(capacity: &Capacity) -> String {
    match capacity.bound_by {
        Limit::MaxClients => format!(
            "{} connections are open, the --max-clients limit; raise --max-clients (chat-server --check shows what fits)",
            capacity.clients
        ),
        limit => format!(
            "{} connections are open, all that {} ({}) leaves room for; {}",
            capacity.clients,
            limit.name(),
            capacity.value_of(limit),
            limit.how_to_raise()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::capacity::MachineLimits;

    #[test]
    fn threads_are_taken_until_the_limit_and_given_back() {
        let limits = MachineLimits {
            max_map_count: Some(2048 + 4 * (16 + 3)),
            ..MachineLimits::default()
        };
        let capacity = Capacity::of(&limits, 100);
        assert_eq!(capacity.client_threads, 3);
        let mut budget = ThreadBudget::new(&capacity);
        assert!(budget.take(threads_for(true)));
        assert!(budget.take(threads_for(false)));
        assert!(!budget.take(threads_for(true)), "all three in use");
        assert!(budget.refusal(&capacity).contains("vm.max_map_count"));
        budget.give_back(2);
        assert!(budget.take(threads_for(false)));
    }

    #[test]
    fn refusals_are_logged_first_then_summed_up() {
        let mut log = RefusalLog::default();
        let start = Instant::now();
        let why = || "the limit".to_owned();
        let first = log.refused(start, why);
        assert_eq!(first.as_deref(), Some("refused: server full: the limit"));
        for _ in 0..1000 {
            assert_eq!(log.refused(start + Duration::from_secs(1), why), None);
        }
        let summary = log.refused(start + SUMMARY_EVERY, why).unwrap();
        assert!(
            summary.ends_with("; 1000 more refused since the last line"),
            "{summary}"
        );
        assert_eq!(log.refused(start + SUMMARY_EVERY, why), None);
        let tail = log.admitted().unwrap();
        assert_eq!(tail, "server full: 1 more connections were refused");
        assert_eq!(log.admitted(), None);
        assert!(
            log.refused(start + SUMMARY_EVERY, why).is_some(),
            "full again"
        );
    }

    #[test]
    fn the_full_line_names_the_limit() {
        let files = MachineLimits {
            open_files: Some(100),
            ..MachineLimits::default()
        };
        let line = full(&Capacity::of(&files, 1000));
        assert!(
            line.contains("36 connections") && line.contains("ulimit -n"),
            "{line}"
        );
        let line = full(&Capacity::of(&files, 10));
        assert!(line.contains("raise --max-clients"), "{line}");
    }
}
