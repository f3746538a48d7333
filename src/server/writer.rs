//! A client's writer: the code that writes to its socket whenever that may
//! block.
//!
//! Who writes, when ([`start`]): a TLS or UDP client has a writer thread
//! (`w-<peer>`) for as long as it is connected, since its records and
//! datagrams are made there. A plain TCP client has none while its session
//! runs: the sequencer's fanout writes what the socket takes at once, and the
//! `flusher` thread what is left over (`outbox/flusher.rs`), so an idle
//! client costs one thread. When the session ends, the session thread itself
//! becomes the writer ([`Writer::finish`]) and runs the loop below for the
//! last lines and the farewell.
//!
//! It waits for the first queued chunk, takes everything else already queued
//! in the same step, and writes it all with one `write_all`, so a backlog costs
//! one system call rather than one per line. When every producer has dropped
//! its end of the queue it sends the farewell `BYE`, if the server is closing
//! the connection, and shuts the socket's write side.
//!
//! On a plain connection the sequencer's fanout sends lines itself while the
//! socket takes them at once, and the writer gets what it did not take (see
//! `outbox/direct.rs`): for a client that keeps up, the writer sleeps.
//!
//! Over TLS the same loop writes through [`StreamOutput::Tls`]; an empty chunk is the
//! session's request to send the TLS records reading produced (see
//! `transport.rs`).

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use super::accepted::CLIENT_THREAD_STACK;
use super::control::Control;
use super::outbox::{Chunk, Inbox};
use super::transport::{Sink, StreamOutput};
use super::udp::writer as udp_writer;
use crate::protocol::ServerLine;

/// Bytes copied into one buffer for one `write_all`, at most. Larger
/// buffers, allocated by thousands of writers at once in a JOIN storm, stay
/// behind in glibc's arenas as holes that every idle client then pays for
/// (the figures are in `docs/benchmarks.md`, "Figures behind code comments").
const MAX_WRITE: usize = 64 * 1024;
/// Buffers are allocated at least this large. glibc keeps freed blocks of up
/// to 1 KiB in a per-thread cache (seven of each size) that is never given
/// back: writers freeing buffers of every size from 80 bytes up held several
/// KiB each that way, which thousands of idle clients pay for in RSS.
const MIN_BUFFER: usize = 2048;
/// A batch queue with room for more chunks than this is released after use,
/// so an idle client holds little queue memory. Not less than 64: a 64-slot
/// queue is 1 KiB, which freed would sit in glibc's per-thread cache.
const KEEP_BATCH: usize = 64;

/// A session's writer, as [`start`] set it up.
pub(crate) enum Writer {
    /// A writer thread (TLS, UDP), joined by [`Writer::finish`].
    Thread(JoinHandle<()>),
    /// A plain TCP client's: the sequencer's fanout and the flusher write until
    /// [`Writer::finish`] runs the writer's loop on the session's thread.
    AtEnd {
        output: StreamOutput,
        inbox: Inbox,
        control: Arc<Control>,
    },
}

impl Writer {
    /// Called by the session when it has ended and dropped its own queue
    /// handle: sends what is left and the farewell, or waits for the writer
    /// thread that does.
    pub(crate) fn finish(self) {
        match self {
            Writer::Thread(thread) => {
                let _ = thread.join();
            }
            Writer::AtEnd {
                output,
                inbox,
                control,
            } => run(output, inbox, control),
        }
    }
}

/// Sets up a client's writing: a writer thread for TLS and UDP (`evict` is
/// the UDP writer's way to evict a client whose window stays full), none for
/// plain TCP, whose queue the admission thread has already opened to direct
/// writes and the flusher.
pub(crate) fn start(
    sink: Sink,
    inbox: Inbox,
    control: Arc<Control>,
    evict: impl Fn() + Send + 'static,
) -> io::Result<Writer> {
    match sink {
        Sink::Stream(output @ StreamOutput::Plain(_)) => Ok(Writer::AtEnd {
            output,
            inbox,
            control,
        }),
        sink => spawn(sink, inbox, control, evict),
    }
}

/// The writer thread of a TLS or UDP client. Out of line: the session's
/// stack depth is memory (docs/architecture.md).
#[inline(never)]
fn spawn(
    sink: Sink,
    inbox: Inbox,
    control: Arc<Control>,
    evict: impl Fn() + Send + 'static,
) -> io::Result<Writer> {
    let thread = thread::Builder::new()
        .name(format!("w-{}", control.peer))
        .stack_size(CLIENT_THREAD_STACK)
        .spawn(move || match sink {
            Sink::Stream(output) => run(output, inbox, control),
            Sink::Datagrams(peer) => udp_writer::run(peer, inbox, control, evict),
        })?;
    Ok(Writer::Thread(thread))
}

/// The writer's loop: a writer thread's body, or a plain session's last act.
pub(crate) fn run(mut stream: StreamOutput, inbox: Inbox, control: Arc<Control>) {
    let mut batch: VecDeque<Chunk> = VecDeque::new();
    // An evicted client's queue is emptied at once (`Outbox::discard`) but
    // for the rest of a line cut short, which it gets before its `BYE`.
    while inbox.recv_batch(&mut batch) {
        if let Err(error) = write_batch(&mut stream, &mut batch) {
            // A peer that is gone or takes nothing for the write timeout:
            // wake the session so the connection ends as lost.
            log::debug!("{}: write failed: {error}", control.peer);
            control.stop_reading();
            return;
        }
        if batch.capacity() > KEEP_BATCH {
            batch = VecDeque::new();
        }
    }
    if let Some(farewell) = control.farewell() {
        let bye = ServerLine::Bye {
            reason: farewell.reason,
        };
        let _ = stream.write_all(bye.encode().as_bytes());
    }
    stream.finish();
}

/// Writes and empties the batch: a single chunk as it is, several copied into
/// buffers of up to [`MAX_WRITE`] bytes, each written with one `write_all` and
/// freed at once, so an idle client keeps no buffer (a kept one grows to
/// the size of the largest burst of JOINs it was sent).
fn write_batch(stream: &mut StreamOutput, batch: &mut VecDeque<Chunk>) -> std::io::Result<()> {
    if batch.len() == 1 {
        let only = batch.pop_front().expect("one chunk");
        return stream.write_all(&only);
    }
    while !batch.is_empty() {
        let wanted: usize = batch.iter().map(|chunk| chunk.len()).sum();
        let mut buf = Vec::with_capacity(wanted.clamp(MIN_BUFFER, MAX_WRITE));
        while let Some(chunk) = batch.front()
            && (buf.is_empty() || buf.len() + chunk.len() <= MAX_WRITE)
        {
            buf.extend_from_slice(chunk);
            batch.pop_front();
        }
        stream.write_all(&buf)?;
    }
    Ok(())
}
