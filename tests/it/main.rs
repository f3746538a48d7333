//! The one integration-test binary: real sockets, real processes.
//!
//! `support` starts servers (in-process on port 0, or the real binary) and
//! speaks raw protocol lines with deadlines; each other module covers one area.

mod bench_smoke;
mod client;
mod irc;
mod irc_clients;
mod postgres;
mod rooms;
mod server;
mod support;
mod tls;
mod tpc;
mod udp;
