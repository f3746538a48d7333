//! The fronts: each turns one wire format into hub calls and hub events
//! into its lines. The hub (`src/hub/`) knows none of them.
//!
//! - [`irc`]: IRC (RFC 1459/2812 and IRCv3) for existing IRC clients.

// Wired into the server by the IRC listener (issue 17); until then only the
// tests use it.
#[allow(dead_code)]
pub(crate) mod irc;
