//! The admission thread's accounting: how many threads the client
//! connections have, against what the capacity allows (`capacity.rs`), and
//! the log line for each connection refused at a limit.
//!
//! Pure: the admission thread adds a session's threads when it starts it and
//! gives them back when it has joined it (a thread that has ended still holds
//! its stack's mappings until it is joined). The number of connections, and
//! with it the descriptors, is bounded by the registry's `max_clients`, which
//! is the capacity's.

use super::capacity::{Capacity, Limit};

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
