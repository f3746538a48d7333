//! A client's connection as its threads see it: plain TCP, TLS, or UDP.
//!
//! [`ClientLink`] is what a connection's `Control` holds to end a connection. The
//! session thread reads [`Frames`], the writer thread sends through a
//! [`Sink`]. For a plain connection both are handles on the socket. For a
//! TLS connection they are the two halves of a [`TlsLink`] (see
//! `src/tls/link.rs` for how one rustls connection is shared without its
//! lock ever covering socket I/O). Handshake records and alerts that reading
//! produces are sent by the writer thread: the read half wakes it by queueing
//! an empty chunk on the client's own outbox, so the writer stays the only
//! code that writes to the socket. For UDP both go through the client's
//! [`UdpPeer`] (see `src/server/udp/`).

use std::io::{self, Read};
use std::net::Shutdown;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;

use super::ServerOptions;
use super::outbox::{Chunk, Outbox};
use super::shared_stream::SharedStream;
use super::udp::UdpInput;
use super::udp::peer::UdpPeer;
use crate::protocol::{Frame, LineReader};
use crate::tls::{TlsLink, TlsReadHalf, TlsWriteHalf};
use crate::udp::MAX_DATAGRAM_LINE;

/// A client's connection, as far as ending it goes.
#[derive(Clone)]
pub(crate) enum ClientLink {
    /// A TCP socket (TLS or not).
    Tcp(SharedStream),
    /// A UDP session.
    Udp(Arc<UdpPeer>),
}

impl ClientLink {
    /// Wakes the session thread: its next read sees the end of the input.
    pub(crate) fn stop_reading(&self) {
        match self {
            ClientLink::Tcp(stream) => {
                let _ = stream.shutdown(Shutdown::Read);
            }
            ClientLink::Udp(peer) => peer.close_input(),
        }
    }

    /// Ends the connection both ways, unblocking a writer stuck on a peer
    /// that does not read.
    pub(crate) fn close(&self) {
        match self {
            ClientLink::Tcp(stream) => {
                let _ = stream.shutdown(Shutdown::Both);
            }
            ClientLink::Udp(peer) => peer.close(),
        }
    }
}

/// What the session thread reads frames from.
pub(crate) enum Frames {
    /// Lines framed from a byte stream.
    Stream(LineReader<StreamInput>),
    /// Lines that each came in one datagram.
    Datagrams(UdpInput),
}

impl Frames {
    /// The next frame, `Ok(None)` at the end of the input.
    pub(crate) fn read_frame(&mut self) -> io::Result<Option<Frame>> {
        match self {
            Frames::Stream(reader) => reader.read_frame(),
            Frames::Datagrams(input) => input.read_frame(),
        }
    }

    /// Sets the read timeout (the registration deadline).
    pub(crate) fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Frames::Stream(reader) => reader.get_ref().set_read_timeout(timeout),
            Frames::Datagrams(input) => {
                input.set_read_timeout(timeout);
                Ok(())
            }
        }
    }

    /// The longest line accepted, LF included.
    pub(crate) fn max_line(&self) -> usize {
        match self {
            Frames::Stream(reader) => reader.max_line(),
            Frames::Datagrams(input) => input.max_line(),
        }
    }
}

/// What the writer thread sends through.
pub(crate) enum Sink {
    /// A byte stream (see `writer.rs`).
    Stream(StreamOutput),
    /// Numbered datagrams (see `udp/writer.rs`).
    Datagrams(Arc<UdpPeer>),
}

/// What the session thread reads from.
pub(crate) enum StreamInput {
    Plain(SharedStream),
    Tls(TlsReadHalf),
}

/// What the writer thread writes to.
pub(crate) enum StreamOutput {
    Plain(SharedStream),
    Tls(TlsWriteHalf),
}

/// Splits a client's connection into what its session reads and what its
/// writer sends through: for TCP, plain when `tls` is `None`, otherwise a new
/// TLS connection whose handshake happens as the halves are used. `outbox` is
/// the client's queue, used to wake the writer.
pub(crate) fn split(
    link: &ClientLink,
    tls: Option<&Arc<ServerConfig>>,
    outbox: &Outbox,
    config: &ServerOptions,
) -> io::Result<(Frames, Sink)> {
    let stream = match link {
        ClientLink::Tcp(stream) => stream,
        ClientLink::Udp(peer) => {
            // LF included, like `max_line`.
            let max_line = (MAX_DATAGRAM_LINE + 1).min(config.max_line);
            let input = UdpInput::new(peer.clone(), config.udp_idle_timeout, max_line);
            return Ok((Frames::Datagrams(input), Sink::Datagrams(peer.clone())));
        }
    };
    let Some(tls) = tls else {
        // Both halves share the one descriptor (see `shared_stream.rs`).
        let (input, output) = (
            StreamInput::Plain(stream.clone()),
            StreamOutput::Plain(stream.clone()),
        );
        let frames = Frames::Stream(LineReader::new(input, config.max_line));
        return Ok((frames, Sink::Stream(output)));
    };
    split_tls(stream, tls, outbox, config)
}

/// The TLS part of [`split`]. Kept out of it, since setting up a rustls
/// connection takes a 2.5 KiB stack frame: in `split` that frame made every
/// plain session's thread touch a third stack page, 4 KiB of RSS per client
/// (see "Stack depth is memory" in docs/architecture.md).
#[inline(never)]
fn split_tls(
    stream: &SharedStream,
    tls: &Arc<ServerConfig>,
    outbox: &Outbox,
    config: &ServerOptions,
) -> io::Result<(Frames, Sink)> {
    let reader = |input| Frames::Stream(LineReader::new(input, config.max_line));
    let conn = rustls::ServerConnection::new(tls.clone()).map_err(io::Error::other)?;
    let wake_outbox = outbox.clone();
    let wake = Box::new(move || {
        // An empty chunk makes the writer send what is pending and nothing
        // else. If the queue is full the writer is busy and sends it anyway.
        let _ = wake_outbox.offer(&Chunk::from(Vec::new()));
    });
    let (read, write) = TlsLink::split(conn, stream, Some(wake))?;
    Ok((
        reader(StreamInput::Tls(read)),
        Sink::Stream(StreamOutput::Tls(write)),
    ))
}

impl StreamInput {
    /// Sets the socket's read timeout (the registration deadline).
    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            StreamInput::Plain(stream) => stream.set_read_timeout(timeout),
            StreamInput::Tls(tls) => tls.socket().set_read_timeout(timeout),
        }
    }
}

impl Read for StreamInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            StreamInput::Plain(stream) => stream.read(buf),
            StreamInput::Tls(tls) => tls.read(buf),
        }
    }
}

impl StreamOutput {
    /// Writes `bytes` (encrypted for TLS, with any records reading left
    /// pending). Empty `bytes` still sends those records.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            StreamOutput::Plain(stream) => io::Write::write_all(stream, bytes),
            StreamOutput::Tls(tls) => tls.send(bytes),
        }
    }

    /// Ends the sending side: TLS's `close_notify`, then the socket's write
    /// side is shut down.
    pub(crate) fn finish(&mut self) {
        match self {
            StreamOutput::Plain(stream) => {
                let _ = stream.shutdown(Shutdown::Write);
            }
            StreamOutput::Tls(tls) => tls.finish(),
        }
    }
}
