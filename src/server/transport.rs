//! A client's socket as its two threads see it: plain TCP, or TLS.
//!
//! The session thread reads through an [`Input`], the writer thread writes
//! through an [`Output`]. For a plain connection each is a handle on the
//! socket, exactly as before TLS existed. For a TLS connection they are the two
//! halves of a [`TlsLink`] (see `src/tls/link.rs` for how one rustls
//! connection is shared without its lock ever covering socket I/O). Handshake
//! records and alerts that reading produces are sent by the writer thread: the
//! read half wakes it by queueing an empty chunk on the client's own outbox, so
//! the writer stays the only code that writes to the socket.

use std::io::{self, Read};
use std::net::Shutdown;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;

use super::outbox::{Chunk, Outbox};
use super::shared_stream::SharedStream;
use crate::tls::{TlsLink, TlsReadHalf, TlsWriteHalf};

/// What the session thread reads from.
pub(crate) enum Input {
    Plain(SharedStream),
    Tls(TlsReadHalf),
}

/// What the writer thread writes to.
pub(crate) enum Output {
    Plain(SharedStream),
    Tls(TlsWriteHalf),
}

/// Splits a client's socket into its two halves: plain when `tls` is `None`,
/// otherwise a new TLS connection whose handshake happens as the halves are
/// used. `outbox` is the client's queue, used to wake the writer.
pub(crate) fn split(
    stream: &SharedStream,
    tls: Option<&Arc<ServerConfig>>,
    outbox: &Outbox,
) -> io::Result<(Input, Output)> {
    let Some(config) = tls else {
        // Both halves share the one descriptor (see `shared_stream.rs`).
        return Ok((Input::Plain(stream.clone()), Output::Plain(stream.clone())));
    };
    let conn = rustls::ServerConnection::new(config.clone()).map_err(io::Error::other)?;
    let wake_outbox = outbox.clone();
    let wake = Box::new(move || {
        // An empty chunk makes the writer send what is pending and nothing
        // else. If the queue is full the writer is busy and sends it anyway.
        let _ = wake_outbox.offer(&Chunk::from(Vec::new()));
    });
    let (read, write) = TlsLink::split(conn, stream, Some(wake))?;
    Ok((Input::Tls(read), Output::Tls(write)))
}

impl Input {
    /// Sets the socket's read timeout (the registration deadline).
    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Input::Plain(stream) => stream.set_read_timeout(timeout),
            Input::Tls(tls) => tls.socket().set_read_timeout(timeout),
        }
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Plain(stream) => stream.read(buf),
            Input::Tls(tls) => tls.read(buf),
        }
    }
}

impl Output {
    /// Writes `bytes` (encrypted for TLS, with any records reading left
    /// pending). Empty `bytes` still sends those records.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Output::Plain(stream) => io::Write::write_all(stream, bytes),
            Output::Tls(tls) => tls.send(bytes),
        }
    }

    /// Ends the sending side: TLS's `close_notify`, then the socket's write
    /// side is shut down.
    pub(crate) fn finish(&mut self) {
        match self {
            Output::Plain(stream) => {
                let _ = stream.shutdown(Shutdown::Write);
            }
            Output::Tls(tls) => tls.finish(),
        }
    }
}
