//! Writing a client's queue from the producer's thread, when the socket takes
//! it at once.
//!
//! Waking an idle client's writer thread for a line costs a context switch:
//! the writer switches in, takes the queue, makes one `send` and sleeps
//! again. At high delivery rates those switches, not the `send`s, would be
//! most of the server's time and latency (figures in docs/benchmarks.md,
//! "Figures behind code comments"). So the sequencer thread, having
//! queued a batch of lines, writes each client's queue itself with one
//! non-blocking `send` (`MSG_DONTWAIT`), as an event loop would. What the
//! socket does not take at once, and any error, goes back to the front of the
//! queue for the writer thread, which is woken and writes it the usual
//! blocking way, with its timeout. A slow client is still the writer's
//! business; a fast one never wakes it.
//!
//! Exactly one thread writes to a socket at a time: whoever takes chunks from
//! the queue becomes its holder ([`Holder`]) until they are written or put
//! back, and nobody else takes any meanwhile. A producer that finds the writer
//! or another producer holding it leaves its lines queued: the writer takes
//! them when it asks for its next batch, and a producer that is done wakes the
//! writer if anything is left. No lock is held across the `send`, and nothing
//! waits for one: a producer never blocks on a socket.
//!
//! Only plain TCP: a TLS connection's records are made by its writer, and a
//! UDP session's datagrams are numbered by its writer.
//!
//! [`Holder`]: super::Holder

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::Arc;

use socket2::SockRef;

use super::{Chunk, Direct, FlusherHandle, Holder, Inbox, Queue, State, Waker};
use crate::server::shared_stream::SharedStream;

/// Chunks written by one `sendmsg`, at most: Linux's `IOV_MAX`. A JOIN storm
/// queues hundreds of lines per client per batch; sent in one go from the
/// queued chunks, they need neither the writer thread nor a buffer to copy
/// them into, and those buffers, allocated and freed by thousands of writers
/// at once, are what fragments the heap.
pub(super) const MAX_SLICES: usize = 1024;
/// Bytes taken for one `sendmsg`, at most (unless one chunk is larger).
const MAX_BYTES: usize = 64 * 1024;
/// An emptied queue with room for more chunks than this is freed, so a burst
/// does not leave every client holding a large queue (16 bytes a slot).
const KEEP_SLOTS: usize = 64;

impl Inbox {
    /// Lets producers write this client's queue to `stream` without blocking,
    /// through a [`DirectWriter`], and has `flusher` write what the socket
    /// does not take at once. For a plain TCP connection, before its session
    /// starts: the session has no writer thread until it ends.
    pub(crate) fn allow_direct_writes(&self, stream: SharedStream, flusher: FlusherHandle) {
        let _ = self.queue.direct.set(Direct { stream, flusher });
    }
}

/// Writes queues from the thread that filled them. The sequencer thread keeps
/// one, so its scratch space is allocated once.
#[derive(Default)]
pub(crate) struct DirectWriter {
    /// The chunks being written, taken from the front of one queue.
    taken: VecDeque<Chunk>,
}

impl DirectWriter {
    /// Writes what `waker`'s queue holds if its socket takes it now, and
    /// otherwise (or for what it did not take) wakes the writer thread or
    /// hands the queue to the flusher.
    pub(crate) fn write_or_wake(&mut self, waker: Waker) {
        let Some(Direct { stream, .. }) = waker.queue.direct.get() else {
            return waker.wake();
        };
        write_now::<MAX_SLICES>(&waker.queue, stream, &mut self.taken);
    }
}

/// Chunks written at once from any thread but the sequencer thread: a few
/// (a reply, a welcome block) are what such a thread queues, and its stack
/// depth is memory (docs/architecture.md), so its `IoSlice`s stay small.
const FEW_SLICES: usize = 4;

/// For a producer other than the sequencer thread (a session's reply, its
/// welcome block, a LEAVE): writes the first few chunks of `queue` if its
/// socket takes them now, and hands the rest to the flusher. Out of line, so
/// that its frame is not part of every caller's.
#[inline(never)]
pub(super) fn write_few(queue: &Arc<Queue>, direct: &Direct) {
    let mut taken = VecDeque::with_capacity(FEW_SLICES);
    write_now::<FEW_SLICES>(queue, &direct.stream, &mut taken);
}

/// Takes up to `SLICES` chunks from the front of `queue` unless someone
/// else holds it, sends them without blocking, puts back what the socket did
/// not take and hands the queue on if anything is left.
fn write_now<const SLICES: usize>(
    queue: &Arc<Queue>,
    stream: &SharedStream,
    taken: &mut VecDeque<Chunk>,
) {
    {
        let mut state = queue.lock();
        if state.discarding || state.holder != Holder::Nobody || state.chunks.is_empty() {
            // Closing, or someone else is writing and will look at the
            // queue again when done, or already written.
            return;
        }
        take_front(&mut state, taken, SLICES);
        state.holder = Holder::Producer;
    }
    let written = send_now::<SLICES>(stream, taken);
    let mut state = queue.lock();
    state.holder = Holder::Nobody;
    put_back_unwritten(&mut state, taken, written.unwrap_or(0));
    queue.hand_on(state);
}

/// Moves chunks from the front of the queue into `taken`, as many as one
/// `sendmsg` of up to `slices` chunks writes.
pub(super) fn take_front(state: &mut State, taken: &mut VecDeque<Chunk>, slices: usize) {
    debug_assert!(taken.is_empty());
    let mut bytes = 0;
    while let Some(chunk) = state.chunks.front()
        && taken.len() < slices
        && (taken.is_empty() || bytes + chunk.len() <= MAX_BYTES)
    {
        bytes += chunk.len();
        taken.extend(state.chunks.pop_front());
    }
    state.bytes -= bytes;
}

/// Puts what was not written back at the front of the queue, in order, and
/// empties `taken`. A queue that is discarding keeps only the rest of a line
/// cut short.
pub(super) fn put_back_unwritten(
    state: &mut State,
    taken: &mut VecDeque<Chunk>,
    mut written: usize,
) {
    // Nothing written: the front is still what it was, a whole line or not.
    let any_written = written > 0;
    while let Some(chunk) = taken.front()
        && written >= chunk.len()
    {
        written -= chunk.len();
        taken.pop_front();
    }
    let cut_short = written > 0;
    if cut_short && let Some(partly) = taken.pop_front() {
        taken.push_front(Chunk::from(&partly[written..]));
    }
    while let Some(chunk) = taken.pop_back() {
        state.bytes += chunk.len();
        state.chunks.push_front(chunk);
    }
    if any_written {
        state.tail_first = cut_short;
    }
    if state.discarding {
        state.discard();
    }
    if state.chunks.is_empty() && state.chunks.capacity() > KEEP_SLOTS {
        state.chunks = VecDeque::new();
    }
}

/// One non-blocking `send` of the chunks; how many bytes the socket took.
pub(super) fn send_now<const SLICES: usize>(
    stream: &SharedStream,
    chunks: &VecDeque<Chunk>,
) -> io::Result<usize> {
    let socket = SockRef::from(&**stream);
    let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
    if chunks.len() == 1 {
        return socket.send_with_flags(&chunks[0], flags);
    }
    let mut slices = [IoSlice::new(&[]); SLICES];
    for (slice, chunk) in slices.iter_mut().zip(chunks) {
        *slice = IoSlice::new(chunk);
    }
    socket.send_vectored_with_flags(&slices[..chunks.len()], flags)
}

#[cfg(test)]
mod tests;
