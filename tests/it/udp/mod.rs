//! The room over UDP: the server's front driven datagram by datagram, and
//! real clients through a lossy relay.

mod raw;
mod server;
