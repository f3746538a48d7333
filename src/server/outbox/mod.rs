//! A client's send queue: bounded in lines and in bytes.
//!
//! Producers (the sequencer thread, other sessions, the client's own session) call
//! [`Outbox::offer`], which never blocks on I/O: a client too far behind is
//! reported so the caller can evict it. The writer thread takes everything
//! queued at once with [`Inbox::recv_batch`], swapping in its own empty
//! queue. On a plain connection the sequencer thread may instead send what is
//! queued itself, without blocking, and leave the writer only what the socket
//! did not take (`direct.rs`); [`State::holder`] keeps it to one thread
//! writing at a time. Lines are shared `Arc<[u8]>`s: a broadcast is encoded
//! once for every recipient.
//!
//! The queue is a `VecDeque` behind its own small mutex, not a crossbeam
//! channel: a channel's receivers spin with `sched_yield` while a sender is
//! halfway through a send, and with thousands of writer threads on two cores
//! a waiting writer would keep from running the very producer it waits for
//! (the figures are in docs/benchmarks.md, "Figures behind code comments").
//! This lock is held only to push one chunk, to swap two queues or to move a
//! few chunks out for a direct write and back, never across a write, so it is never held long enough for a producer (which holds
//! the registry lock) to have to sleep on it.
//!
//! An idle writer sleeps in `std::thread::park`, and a producer that finds the
//! queue empty wakes it with `unpark` on the writer's thread handle, which the
//! writer leaves in the queue before its first sleep. That is one atomic swap,
//! plus a futex wake only if the writer really sleeps: a writer still busy
//! with its previous batch costs nothing to "wake". Not a `parking_lot`
//! condition variable: each notify would hash the queue's address into
//! `parking_lot`'s global table and lock a bucket, and every writer that
//! ever slept on it would grow that table, which `parking_lot` sizes at
//! three 64-byte buckets per such thread and never shrinks. The lock is
//! std's for the same reason: a contended `parking_lot` mutex parks through
//! that table too.

mod direct;
mod flusher;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, Thread};
use std::time::Instant;

use super::shared_stream::SharedStream;

pub(crate) use direct::DirectWriter;
pub(crate) use flusher::{Flusher, FlusherHandle, WRITE_TIMEOUT};

/// One or more encoded lines, LF included, shared between recipients.
pub(crate) type Chunk = Arc<[u8]>;

/// The producing end of a client's send queue. Cloning it adds a producer.
pub(crate) struct Outbox {
    queue: Arc<Queue>,
}

/// The consuming end, owned by the client's writer thread.
pub(crate) struct Inbox {
    queue: Arc<Queue>,
}

struct Queue {
    /// Guards the queued chunks, the counts, who is writing and the writer's
    /// handle; see the module docs.
    state: Mutex<State>,
    max_lines: usize,
    max_bytes: usize,
    /// The client's socket, when producers and the flusher write to it
    /// without blocking (plain TCP only; see `direct.rs`).
    direct: OnceLock<Direct>,
}

/// How a plain TCP client's queue is written while its session runs.
struct Direct {
    stream: SharedStream,
    /// Where a queue with lines left over goes (see `flusher.rs`).
    flusher: FlusherHandle,
}

impl Queue {
    /// Nothing done under this lock can leave the state half changed, so a
    /// thread that panicked holding it poisons nothing.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Called with the lock by a holder that has just let go of the queue:
    /// wakes whoever carries on. Lines left, or no producer left, wake the
    /// writer if there is one (a TLS or UDP writer thread, or the session of
    /// a plain client that has ended); otherwise lines left go to the
    /// flusher.
    fn hand_on(self: &Arc<Queue>, state: MutexGuard<'_, State>) {
        debug_assert_eq!(state.holder, Holder::Nobody);
        let pending = !state.chunks.is_empty();
        let writer = match pending || state.producers == 0 {
            true => state.writer.clone(),
            false => None,
        };
        drop(state);
        match (writer, self.direct.get()) {
            (Some(writer), _) => writer.unpark(),
            (None, Some(direct)) if pending => direct.flusher.submit(self.clone()),
            (None, _) => {}
        }
    }
}

struct State {
    chunks: VecDeque<Chunk>,
    bytes: usize,
    producers: usize,
    /// Offers are accepted and dropped: the writer has gone, or the client is
    /// being evicted and its backlog thrown away.
    discarding: bool,
    /// The front chunk is the rest of a line a non-blocking write cut short.
    /// Discarding keeps it, so the client never gets half a line before its
    /// `BYE`.
    tail_first: bool,
    /// Who is writing chunks taken from this queue to the socket. Whoever
    /// takes chunks becomes the holder and stays it until they are written or
    /// put back, so lines reach the socket in queue order.
    holder: Holder,
    /// The writer thread, to unpark when a chunk comes or the last producer
    /// goes. Set before it first sleeps: until then nothing needs waking.
    writer: Option<Thread>,
}

impl State {
    /// Drops what is queued, but for the rest of a line already partly
    /// written, and everything offered from now on.
    fn discard(&mut self) {
        self.discarding = true;
        let tail = match self.tail_first {
            true => self.chunks.pop_front(),
            false => None,
        };
        self.bytes = tail.as_ref().map_or(0, |tail| tail.len());
        self.chunks = tail.into_iter().collect();
    }

    /// Discarding, with no rest of a line left to write: whoever holds the
    /// queue can let go without waiting for the socket.
    fn only_discarded_lines(&self) -> bool {
        self.discarding && !self.tail_first
    }
}

/// Who holds the right to write to the socket; see [`State::holder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    Nobody,
    /// The writer, from taking a batch until it asks for the next.
    Writer,
    /// A producer writing without blocking (`direct.rs`).
    Producer,
    /// The flusher thread, while the socket is backed up (`flusher.rs`).
    Flusher,
}

/// A queue holding at most `max_lines` chunks and, unless it is empty, at most
/// `max_bytes` bytes (so one large chunk, like a welcome block, always fits an
/// empty queue).
pub(crate) fn outbox(max_lines: usize, max_bytes: usize) -> (Outbox, Inbox) {
    let state = State {
        chunks: VecDeque::new(),
        bytes: 0,
        producers: 1,
        discarding: false,
        tail_first: false,
        holder: Holder::Nobody,
        writer: None,
    };
    let queue = Arc::new(Queue {
        state: Mutex::new(state),
        max_lines,
        max_bytes,
        direct: OnceLock::new(),
    });
    (
        Outbox {
            queue: queue.clone(),
        },
        Inbox { queue },
    )
}

/// Wakes a writer that may be waiting for its first queued chunk, or writes
/// the queue from the caller's thread ([`DirectWriter`]). Handed out by
/// [`Outbox::offer_deferred`] so the registry can wake writers after it has
/// released its lock, once per queue however many lines it queued there.
pub(crate) struct Waker {
    queue: Arc<Queue>,
    writer: Option<Thread>,
}

impl Waker {
    /// Wakes the writer; for a plain client without one (its session is
    /// running), writes what the socket takes at once from this thread and
    /// has the flusher write the rest.
    pub(crate) fn wake(self) {
        if let Some(writer) = self.writer {
            return writer.unpark();
        }
        if let Some(direct) = self.queue.direct.get() {
            direct::write_few(&self.queue, direct);
        }
    }
}

/// A client's queue is full: it is too far behind and must be evicted.
#[derive(Debug)]
pub(crate) struct Overflow;

impl Outbox {
    /// Queues `chunk` and wakes the writer. Returns false when the client is
    /// too far behind and must be evicted.
    pub(crate) fn offer(&self, chunk: &Chunk) -> bool {
        match self.offer_deferred(chunk) {
            Ok(waker) => {
                if let Some(waker) = waker {
                    waker.wake();
                }
                true
            }
            Err(Overflow) => false,
        }
    }

    /// Queues `chunk` without waking the writer. When the queue was empty the
    /// writer may be asleep: the returned [`Waker`] must then be woken (or
    /// written), after the caller has released its locks; later chunks need
    /// no wake, since the writer takes the whole queue when it wakes. A queue
    /// that is discarding accepts and drops silently: the connection is
    /// already closing.
    pub(crate) fn offer_deferred(&self, chunk: &Chunk) -> Result<Option<Waker>, Overflow> {
        let queue = &*self.queue;
        let mut state = queue.lock();
        if state.discarding {
            return Ok(None);
        }
        let len = chunk.len();
        let too_many = state.chunks.len() >= queue.max_lines;
        let too_big = state.bytes > 0 && state.bytes + len > queue.max_bytes;
        if too_many || too_big {
            return Err(Overflow);
        }
        let was_empty = state.chunks.is_empty();
        state.chunks.push_back(chunk.clone());
        state.bytes += len;
        if !was_empty {
            return Ok(None);
        }
        Ok(Some(Waker {
            queue: self.queue.clone(),
            writer: state.writer.clone(),
        }))
    }

    /// Queues each of `chunks`, in order, under one lock: as
    /// [`Outbox::offer_deferred`] for each (the limits are checked per
    /// chunk), for a run of messages to one room, whose recipients would
    /// otherwise take and release every queue's lock once a message.
    pub(crate) fn offer_all_deferred<'c>(
        &self,
        chunks: impl IntoIterator<Item = &'c Chunk>,
    ) -> Result<Option<Waker>, Overflow> {
        let queue = &*self.queue;
        let mut state = queue.lock();
        if state.discarding {
            return Ok(None);
        }
        let was_empty = state.chunks.is_empty();
        for chunk in chunks {
            let len = chunk.len();
            let too_many = state.chunks.len() >= queue.max_lines;
            let too_big = state.bytes > 0 && state.bytes + len > queue.max_bytes;
            if too_many || too_big {
                return Err(Overflow);
            }
            state.chunks.push_back(chunk.clone());
            state.bytes += len;
        }
        if !was_empty || state.chunks.is_empty() {
            return Ok(None);
        }
        Ok(Some(Waker {
            queue: self.queue.clone(),
            writer: state.writer.clone(),
        }))
    }

    /// Throws away what is queued and everything offered from now on: the
    /// client is being evicted. The writer still sends the farewell once the
    /// last producer has gone.
    pub(crate) fn discard(&self) {
        // A flusher holding the queue notices within `RECHECK` and lets go
        // (this runs under the registry lock, so it does not wake it).
        self.queue.lock().discard();
    }
}

impl Clone for Outbox {
    fn clone(&self) -> Outbox {
        self.queue.lock().producers += 1;
        Outbox {
            queue: self.queue.clone(),
        }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let writer = {
            let mut state = self.queue.lock();
            state.producers -= 1;
            if state.producers == 0 {
                state.writer.clone()
            } else {
                None
            }
        };
        if let Some(writer) = writer {
            writer.unpark();
        }
    }
}

impl Inbox {
    /// Waits until something is queued, then takes everything queued by
    /// swapping it with `batch`, which must be empty: the lock is held for a
    /// swap, never for a copy, so producers are not kept waiting by the writer.
    /// The writer holds the right to write what it took until it calls again.
    /// Returns false, with nothing taken, once every [`Outbox`] is dropped and
    /// the queue is empty.
    /// Must be called from the one writer thread: that is the thread woken.
    pub(crate) fn recv_batch(&self, batch: &mut VecDeque<Chunk>) -> bool {
        self.recv_batch_until(batch, None) == Received::Chunks
    }

    /// Like [`Inbox::recv_batch`], but waits only until `deadline` (forever
    /// when `None`). For a writer with timers of its own (UDP resends).
    pub(crate) fn recv_batch_until(
        &self,
        batch: &mut VecDeque<Chunk>,
        deadline: Option<Instant>,
    ) -> Received {
        debug_assert!(batch.is_empty());
        loop {
            if let Some(received) = self.try_take(batch) {
                return received;
            }
            // An unpark between the unlock and here is not lost: it makes
            // this park return at once. Spurious returns just loop.
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Received::TimedOut;
                    }
                    thread::park_timeout(deadline - now);
                }
            }
        }
    }

    /// One look at the queue: takes what is queued into `batch` unless a
    /// producer is writing, and otherwise leaves the writer's handle for
    /// whoever wakes it.
    fn try_take(&self, batch: &mut VecDeque<Chunk>) -> Option<Received> {
        let mut state = self.queue.lock();
        if state.holder == Holder::Writer {
            // The previous batch is written.
            state.holder = Holder::Nobody;
        }
        if state.holder == Holder::Nobody {
            if !state.chunks.is_empty() {
                std::mem::swap(&mut state.chunks, batch);
                state.bytes = 0;
                state.tail_first = false;
                state.holder = Holder::Writer;
                return Some(Received::Chunks);
            }
            if state.producers == 0 {
                return Some(Received::Closed);
            }
        }
        // A producer that is writing wakes the writer when it is done if
        // anything is left to do (see `direct.rs`).
        if state.writer.is_none() {
            state.writer = Some(thread::current());
        }
        None
    }
}

/// What [`Inbox::recv_batch_until`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Received {
    /// Chunks were taken into the batch.
    Chunks,
    /// The deadline passed with nothing queued.
    TimedOut,
    /// Every [`Outbox`] is dropped and the queue is empty.
    Closed,
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut state = self.queue.lock();
        state.discarding = true;
        state.chunks = VecDeque::new();
        state.bytes = 0;
    }
}

#[cfg(test)]
mod tests;
