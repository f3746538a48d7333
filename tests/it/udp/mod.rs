//! The room over UDP: the server's front driven datagram by datagram
//! (`raw.rs`, `server.rs`), and real clients through a lossy relay
//! (`relay.rs`, `lossy.rs`). The client's side against a scripted server is
//! in `client/udp.rs`.

mod lossy;
pub(crate) mod raw;
mod relay;
mod server;
