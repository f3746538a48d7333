//! The fronts: each turns its wire format into hub calls and the hub's
//! events into its lines. The hub (`src/hub/`) knows none of them.
//!
//! - [`native`]: the native line protocol (over TCP, TLS and UDP).
//! - [`irc`]: IRC (RFC 1459/2812 and IRCv3) for existing IRC clients.

pub(crate) mod irc;
pub(crate) mod native;
