//! The fronts: each turns its wire format into hub calls and the hub's
//! events into its lines.
//!
//! - [`native`]: the native line protocol (over TCP, TLS and UDP).
//! - `irc`: the IRC front (issue 17).

pub(crate) mod native;
