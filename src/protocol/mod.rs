//! The chatroom wire protocol, versions 1 and 2 (see `docs/protocol.md`).
//!
//! Everything here is pure: it turns bytes into values and values into text, and
//! never sees a socket, a thread or a clock. The server, the client and the 3PC
//! processes all speak through these types, so there is exactly one definition of
//! what a valid line is.
//!
//! - [`frame`]: splits a byte stream into bounded, validated lines.
//! - [`grammar`]: the `KIND [FIELD ...] [:TEXT]` shape shared by every server line
//!   (and by 3PC messages).
//! - [`server_line`]: the typed server lines (`MSG`, `JOIN`, `ERROR`, ...), and
//!   (from `encode.rs`) the borrowing encoders of the busiest ones.
//! - [`command`]: what a client line asks the server to do.
//! - [`name`]: the rules for user names.
//! - [`room`]: the rules for room names (version 2).
//! - [`irc`]: the IRC wire format (RFC 1459/2812, IRCv3 tags), for the IRC front.

pub mod command;
mod encode;
pub mod frame;
pub mod grammar;
pub mod irc;
pub mod name;
pub mod room;
pub mod server_line;

#[cfg(test)]
mod proptests;

pub use command::{Command, UsageError};
pub use frame::{Frame, LineReader};
pub use grammar::{Line, ParseError};
pub use name::{NameError, is_service_name, name_key, validate_name};
pub use room::{DEFAULT_ROOM, MAX_TOPIC_LEN, RoomError, room_key, validate_room};
pub use server_line::{ErrorCode, ServerLine, format_ts, parse_ts};

/// Whether `ip` is this machine's own loopback address: exactly 127.0.0.1 or
/// ::1 (or ::ffff:127.0.0.1). The protocol's rule for passwords: over a plain
/// connection one travels only on loopback, which the server enforces and a
/// client respects before sending one (`docs/protocol.md`).
pub fn is_loopback(ip: std::net::IpAddr) -> bool {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    match ip {
        IpAddr::V4(v4) => v4 == Ipv4Addr::LOCALHOST,
        IpAddr::V6(v6) => {
            v6 == Ipv6Addr::LOCALHOST || v6.to_ipv4_mapped() == Some(Ipv4Addr::LOCALHOST)
        }
    }
}

/// The name the server gives in `HELLO`.
pub const SERVER_NAME: &str = "chatroom";
/// The protocol version the server gives in `HELLO`.
pub const PROTOCOL_VERSION: u32 = 2;
/// The TCP port used when none is given.
pub const DEFAULT_PORT: u16 = 25000;
/// The TLS port used when none is given.
pub const DEFAULT_TLS_PORT: u16 = 25001;
/// The IRC front's port when none is given (IRC's usual one).
pub const DEFAULT_IRC_PORT: u16 = 6667;
/// The IRC front's TLS port when none is given (IRC's usual one).
pub const DEFAULT_IRC_TLS_PORT: u16 = 6697;
/// Default maximum length of a client line in bytes, LF included.
pub const DEFAULT_MAX_CLIENT_LINE: usize = 4096;
/// Maximum length of a server line in bytes, LF included. Clients must accept it.
pub const MAX_SERVER_LINE: usize = 8192;
/// The largest client line limit a server may be set to, LF included. The
/// longest server line a client line becomes (`PRIV` with a 20-digit id, the
/// timestamp, two 32-character names and the text) adds under 128 bytes to
/// the text, and a version-2 room field adds under 40 more, so every server
/// line stays within [`MAX_SERVER_LINE`].
pub const MAX_CLIENT_LINE_LIMIT: usize = 8000;
/// How many stored room messages `/history` may ask for at most.
pub const MAX_HISTORY_REQUEST: usize = 1000;
/// How many stored room messages `/history` without a number replays.
pub const DEFAULT_HISTORY_REQUEST: usize = 50;
