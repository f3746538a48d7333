//! What the acceptors and `udp-recv` hand the admission thread, and the
//! stack size every client thread gets. Its own module so that the acceptor,
//! `udp-recv`, the admission code and the writer all depend on it and not on
//! each other.

use std::net::TcpStream;
use std::sync::Arc;

use rustls::ServerConfig;

use super::udp::peer::UdpPeer;

/// Stack size of session and writer threads. Their frames are small and all
/// buffers live on the heap; a small stack is what lets thousands of clients
/// share one machine.
pub(crate) const CLIENT_THREAD_STACK: usize = 128 * 1024;

/// Which front a connection speaks: its listener says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Front {
    /// The native line protocol.
    Native,
    /// IRC (`front/irc/`).
    Irc,
}

/// A new connection on its way to admission.
pub(crate) enum Accepted {
    /// An accepted socket, with the TLS setup of its listener if any, and
    /// the front its listener serves.
    Tcp(TcpStream, Option<Arc<ServerConfig>>, Front),
    /// A UDP session whose client has proven its address.
    Udp(Arc<UdpPeer>),
}
