//! The fronts: each turns its wire format into hub calls and the hub's
//! events into its lines. The hub (`src/hub/`) knows none of them.
//!
//! - [`native`]: the native line protocol (over TCP, TLS and UDP).
//! - [`irc`]: IRC (RFC 1459/2812 and IRCv3) for existing IRC clients.

pub(crate) mod irc;
pub(crate) mod native;

use std::net::SocketAddr;

use crate::hub::event::Delivery;
use crate::hub::member::{Member, Offered};
use crate::server::outbox::Waker;

use irc::member::IrcMember;
use native::NativeMember;

/// A member of the server's hub, whatever its front. An enum rather than
/// `dyn Member`, so each delivery of the fanout's hot loop is a direct call
/// (see `hub/member.rs`).
pub(crate) enum ServerMember {
    Native(NativeMember),
    Irc(IrcMember),
}

impl ServerMember {
    /// The IRC member, for its session (`None` for a native one).
    pub(crate) fn as_irc(&self) -> Option<&IrcMember> {
        match self {
            ServerMember::Irc(irc) => Some(irc),
            ServerMember::Native(_) => None,
        }
    }
}

impl Member for ServerMember {
    type WakeToken = Waker;

    fn deliver(&self, delivery: &Delivery<'_>) -> Offered<Waker> {
        match self {
            ServerMember::Native(native) => native.deliver(delivery),
            ServerMember::Irc(irc) => irc.deliver(delivery),
        }
    }

    fn close(&self, reason: &str, discard_backlog: bool) {
        match self {
            ServerMember::Native(native) => native.close(reason, discard_backlog),
            ServerMember::Irc(irc) => irc.close(reason, discard_backlog),
        }
    }

    fn stop(&self) {
        match self {
            ServerMember::Native(native) => native.stop(),
            ServerMember::Irc(irc) => irc.stop(),
        }
    }

    fn peer(&self) -> SocketAddr {
        match self {
            ServerMember::Native(native) => native.peer(),
            ServerMember::Irc(irc) => irc.peer(),
        }
    }
}
