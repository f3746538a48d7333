//! The fronts: each turns its wire format into hub calls and the hub's
//! events into its lines. The hub (`src/hub/`) knows none of them.
//!
//! - [`native`]: the native line protocol (over TCP, TLS and UDP).
//! - [`irc`]: IRC (RFC 1459/2812 and IRCv3) for existing IRC clients.

pub(crate) mod irc;
pub(crate) mod native;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::hub::event::Delivery;
use crate::hub::member::{Member, Offered};
use crate::server::outbox::Waker;

use irc::member::IrcMember;
use native::NativeMember;

/// A member of the server's hub, whatever its front. An enum rather than
/// `dyn Member`, so each delivery of the fanout's hot loop is a direct call
/// (see `hub/member.rs`). The IRC member is shared with its session, which
/// records the client's nick and capabilities in it.
pub(crate) enum ServerMember {
    Native(NativeMember),
    Irc(Arc<IrcMember>),
    /// A user of another node sharing the database: its own node delivers
    /// to it, so here it takes everything and does nothing.
    Remote,
}

impl ServerMember {
    /// A member for another node's user (`hub/registry/remote.rs`).
    pub(crate) fn remote() -> ServerMember {
        ServerMember::Remote
    }
}

impl Member for ServerMember {
    type WakeToken = Waker;

    fn deliver(&self, delivery: &Delivery<'_>) -> Offered<Waker> {
        match self {
            ServerMember::Native(native) => native.deliver(delivery),
            ServerMember::Irc(irc) => irc.deliver(delivery),
            ServerMember::Remote => Offered::Queued,
        }
    }

    fn close(&self, reason: &str, discard_backlog: bool) {
        match self {
            ServerMember::Native(native) => native.close(reason, discard_backlog),
            ServerMember::Irc(irc) => irc.close(reason, discard_backlog),
            ServerMember::Remote => {}
        }
    }

    fn stop(&self) {
        match self {
            ServerMember::Native(native) => native.stop(),
            ServerMember::Irc(irc) => irc.stop(),
            ServerMember::Remote => {}
        }
    }

    fn peer(&self) -> SocketAddr {
        match self {
            ServerMember::Native(native) => native.peer(),
            ServerMember::Irc(irc) => irc.peer(),
            ServerMember::Remote => SocketAddr::from(([0, 0, 0, 0], 0)),
        }
    }

    fn takes_relays(&self) -> bool {
        match self {
            ServerMember::Native(native) => native.takes_relays(),
            ServerMember::Irc(irc) => irc.takes_relays(),
            // Relays are live and do not cross nodes.
            ServerMember::Remote => false,
        }
    }
}
