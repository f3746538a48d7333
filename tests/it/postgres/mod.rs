//! Issue 18: `chat-server --database postgres://...`, against a real
//! PostgreSQL started by `support/postgres.rs` (skipped with one line when
//! PostgreSQL is not installed, a failure under `.ci/run`).
//!
//! - [`bench`]: the cluster benchmark's engine against three nodes.
//! - [`harness`]: the test cluster itself.
//! - [`accounts`]: accounts kept in the database, for every node.
//! - [`members`]: who is where, across nodes.
//! - [`cluster`]: three nodes on one database.
//! - [`presence`]: names when a node loses its presence connection.
//! - [`private`]: `/msg` and `PRIVMSG` between nodes.
//! - [`store`]: one node on PostgreSQL: durability, errors, losing the
//!   database under traffic.

mod accounts;
mod bench;
mod cluster;
mod harness;
mod members;
mod presence;
mod private;
mod store;
