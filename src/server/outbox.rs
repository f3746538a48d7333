//! A client's send queue: bounded in lines and in bytes.
//!
//! Producers (the history thread, other sessions, the client's own session) call
//! [`Outbox::offer`], which never blocks: a client too far behind is reported so
//! the caller can evict it. The writer thread drains the [`Inbox`]. Lines are
//! shared `Arc<[u8]>`s: a broadcast is encoded once for every recipient.
//!
//! The channel is crossbeam's unbounded (linked blocks, allocated as used) with
//! the bounds kept in two counters: a bounded channel would allocate every slot
//! up front, which for thousands of idle clients costs more than their threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

/// One or more encoded lines, LF included, shared between recipients.
pub(crate) type Chunk = Arc<[u8]>;

/// The producing end of a client's send queue. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Outbox {
    tx: Sender<Chunk>,
    queued: Arc<Queued>,
    max_lines: usize,
    max_bytes: usize,
}

/// What is in the queue now, kept by producers and the consumer together.
#[derive(Default)]
struct Queued {
    chunks: AtomicUsize,
    bytes: AtomicUsize,
}

/// The consuming end, owned by the client's writer thread.
pub(crate) struct Inbox {
    rx: Receiver<Chunk>,
    queued: Arc<Queued>,
}

/// A queue holding at most `max_lines` chunks and, unless it is empty, at most
/// `max_bytes` bytes (so one large chunk, like a welcome block, always fits an
/// empty queue).
pub(crate) fn outbox(max_lines: usize, max_bytes: usize) -> (Outbox, Inbox) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let queued = Arc::new(Queued::default());
    (Outbox { tx, queued: queued.clone(), max_lines, max_bytes }, Inbox { rx, queued })
}

impl Outbox {
    /// Queues `chunk`. Returns false when the client is too far behind and must be
    /// evicted. A queue whose writer has gone accepts and drops silently: the
    /// connection is already closing.
    pub(crate) fn offer(&self, chunk: &Chunk) -> bool {
        let len = chunk.len();
        let chunks_before = self.queued.chunks.fetch_add(1, Ordering::AcqRel);
        let bytes_before = self.queued.bytes.fetch_add(len, Ordering::AcqRel);
        let too_many = chunks_before >= self.max_lines;
        let too_big = bytes_before > 0 && bytes_before + len > self.max_bytes;
        if too_many || too_big || self.tx.send(chunk.clone()).is_err() {
            self.queued.release(len);
            // A closed queue means the connection is already closing: not an overflow.
            return !(too_many || too_big);
        }
        true
    }
}

impl Queued {
    fn release(&self, len: usize) {
        self.chunks.fetch_sub(1, Ordering::AcqRel);
        self.bytes.fetch_sub(len, Ordering::AcqRel);
    }
}

impl Inbox {
    /// Waits for the next chunk; `None` once every [`Outbox`] is dropped and the
    /// queue is empty.
    pub(crate) fn recv(&self) -> Option<Chunk> {
        let chunk = self.rx.recv().ok()?;
        self.queued.release(chunk.len());
        Some(chunk)
    }

    /// Whether nothing is queued now.
    pub(crate) fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// The next chunk if one is queued now.
    pub(crate) fn try_recv(&self) -> Result<Chunk, TryRecvError> {
        let chunk = self.rx.try_recv()?;
        self.queued.release(chunk.len());
        Ok(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(len: usize) -> Chunk {
        vec![b'x'; len].into()
    }

    #[test]
    fn bounded_in_lines_and_bytes() {
        let (out, inbox) = outbox(3, 100);
        assert!(out.offer(&chunk(500)), "one large chunk fits an empty queue");
        assert!(!out.offer(&chunk(1)), "but nothing more while it is queued");
        assert_eq!(inbox.recv().unwrap().len(), 500);
        assert!(out.offer(&chunk(40)) && out.offer(&chunk(40)));
        assert!(!out.offer(&chunk(40)), "over the byte limit");
        assert!(out.offer(&chunk(10)));
        assert!(!out.offer(&chunk(1)), "over the line limit");
        drop(out);
        let drained: Vec<usize> = std::iter::from_fn(|| inbox.recv()).map(|c| c.len()).collect();
        assert_eq!(drained, [40, 40, 10]);
    }
}
