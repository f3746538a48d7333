//! Issue 18: `chat-server --database postgres://...`, against a real
//! PostgreSQL started by `support/postgres.rs` (skipped with one line when
//! PostgreSQL is not installed, a failure under `.ci/run`).
//!
//! - [`bench`]: the cluster benchmark's engine against three nodes.
//! - [`harness`]: the test cluster itself.
//! - [`cluster`]: three nodes on one database.
//! - [`presence`]: names when a node loses its presence connection.
//! - [`store`]: one node on PostgreSQL: durability, errors, losing the
//!   database under traffic.

mod bench;
mod cluster;
mod harness;
mod presence;
mod store;
