//! chatroom: a threaded TCP chat server, its terminal client, and three-phase
//! commit built on top of them.
//!
//! A map of the crate (see `docs/architecture.md` for the long form):
//!
//! - [`protocol`]: the wire protocol, pure. Framing, the line grammar, typed
//!   server lines, client commands and name rules. No I/O.
//! - [`hub`]: rooms, membership, the sequencer that orders and stores, and
//!   the store, knowing no socket and no wire format; every front uses it.
//! - [`server`]: `chat-server`: the process wiring (listeners, admission,
//!   transports, send queues) and the fronts (`server/front/native/`: one
//!   session thread per client, and a writer for TLS and UDP, turning lines
//!   into hub calls and hub events into lines). [`server::run`] serves until
//!   shut down.
//! - [`conn`]: the client side of a connection, shared by `chat-client` and the
//!   3PC processes: connect (TCP, TLS or UDP), register, send lines, receive
//!   parsed server lines on a channel.
//! - [`client`]: `chat-client`. Pure parts (typed input, rendering, session
//!   state, backoff, completion) and two front ends: plain (one line per event)
//!   and terminal (its own line editor in raw mode), over one network thread
//!   that reconnects.
//! - [`tls`]: TLS for every link: the server's certificate, the client's ways
//!   to trust it (roots, a pinned fingerprint, trust on first use), and one
//!   rustls connection shared by a reader and a writer thread.
//! - [`tpc`]: three-phase commit over the chat server: the messages, the
//!   coordinator and participant as pure state machines (with termination and
//!   recovery), their logs, the driver behind `chat-coordinator` and
//!   `chat-participant`, and an exhaustive model exploration.
//! - [`tty`]: reading a password from the terminal with echo off.
//! - [`udp`]: the UDP transport's datagrams and its sans-IO reliability
//!   (numbering, acknowledgement, re-ordering, resending), shared by the
//!   server and the client.
//!
//! The binaries in `src/bin/` only parse flags, set up logging and call into this
//! library.

#![forbid(unsafe_code)]

pub mod client;
pub mod conn;
pub mod hub;
pub mod protocol;
pub mod server;
pub mod tls;
pub mod tpc;
pub mod tty;
pub mod udp;
