//! Reliable lines over UDP: the datagram framing and the sans-IO machinery
//! that `chat-server --udp` and `chat-client --udp` share.
//!
//! Each datagram carries at most one protocol line plus what reliability
//! needs (see `docs/protocol.md`, "UDP"). Delivery is exactly once and in
//! order in both directions: every `DATA` datagram has a sequence number, the
//! receiver acknowledges it ([`incoming::Incoming`] re-orders and drops
//! duplicates), and the sender keeps it in a bounded window and sends it
//! again with backoff until it is acknowledged ([`outgoing::Outgoing`]).
//!
//! Nothing here touches a socket or a clock: times are passed in, so both
//! ends, the tests and the property checks drive the same code.

pub mod datagram;
pub mod incoming;
pub mod outgoing;

#[cfg(test)]
mod proptests;

use std::time::Duration;

pub use datagram::{Datagram, DatagramError, Token};
pub use incoming::{Incoming, Offer};
pub use outgoing::{Full, Outgoing};

/// The longest client line a `DATA` datagram may carry, in bytes (without
/// LF). A longer one gets `ERROR line-too-long`: it would not fit a datagram
/// that crosses any path unfragmented.
pub const MAX_DATAGRAM_LINE: usize = 1200;
/// What a receive buffer must hold: the largest UDP payload.
pub const RECV_BUFFER: usize = 65_536;
/// Lines the server may have sent to one client and not yet had acknowledged.
/// A client that lets this fill is a slow reader and is evicted.
pub const SERVER_WINDOW: usize = 1024;
/// Lines a client may have in flight to the server. The server accepts this
/// many ahead of what its session has read, and drops (unacknowledged, to be
/// sent again) anything further ahead: that is how a busy session slows its
/// client down.
pub const CLIENT_WINDOW: usize = 64;
/// A client that has sent nothing for this long sends `KEEP`.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// The server forgets a client it has heard nothing from for this long.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Either end gives the other up when a datagram has gone unacknowledged for
/// this long, however often it was sent again.
pub const GIVE_UP: Duration = Duration::from_secs(30);
