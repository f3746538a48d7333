//! The receiving end of one direction: re-orders, drops duplicates, and
//! tells what to acknowledge.
//!
//! Invariants: `consumed <= cum`; every number up to `cum` has arrived (it
//! was consumed or is held); `held` holds only numbers in
//! `consumed + 1 ..= consumed + window`. So the memory is bounded by the
//! window, and [`Incoming::pop`] hands each number out once, in order.

use std::collections::BTreeMap;

/// The receive state of one direction of a session. See the module docs.
#[derive(Debug)]
pub struct Incoming<T> {
    /// Every number up to this one has been handed out by `pop`.
    consumed: u64,
    /// Every number up to this one has arrived.
    cum: u64,
    /// Arrived and not yet handed out.
    held: BTreeMap<u64, T>,
    /// How far past `consumed` an item is taken.
    window: u64,
}

/// What became of an offered item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Kept, to be handed out in order: acknowledge it.
    New,
    /// It had arrived before: acknowledge it again (the first
    /// acknowledgement may have been lost) and drop it.
    Duplicate,
    /// Too far ahead of what has been read: dropped unacknowledged, so the
    /// sender sends it again later.
    OutOfWindow,
}

impl<T> Incoming<T> {
    /// Nothing received yet; items up to `window` ahead of what was read are
    /// kept.
    pub fn new(window: usize) -> Incoming<T> {
        assert!(window > 0, "a window holds at least one item");
        Incoming {
            consumed: 0,
            cum: 0,
            held: BTreeMap::new(),
            window: window as u64,
        }
    }

    /// Offers the item numbered `seq` (from 1).
    pub fn offer(&mut self, seq: u64, item: T) -> Offer {
        if seq <= self.consumed || self.held.contains_key(&seq) {
            return Offer::Duplicate;
        }
        if seq - self.consumed > self.window {
            return Offer::OutOfWindow;
        }
        self.held.insert(seq, item);
        while self.held.contains_key(&(self.cum + 1)) {
            self.cum += 1;
        }
        Offer::New
    }

    /// The next item in order, if it has arrived.
    pub fn pop(&mut self) -> Option<T> {
        let item = self.held.remove(&(self.consumed + 1))?;
        self.consumed += 1;
        Some(item)
    }

    /// Every number up to this one has arrived: the cumulative
    /// acknowledgement.
    pub fn cum(&self) -> u64 {
        self.cum
    }

    /// Items arrived and not yet popped.
    pub fn held(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorders_and_drops_duplicates() {
        let mut incoming = Incoming::new(8);
        assert_eq!(incoming.offer(2, "b"), Offer::New);
        assert_eq!(incoming.cum(), 0, "1 is missing");
        assert_eq!(incoming.pop(), None);
        assert_eq!(incoming.offer(2, "b again"), Offer::Duplicate);
        assert_eq!(incoming.offer(1, "a"), Offer::New);
        assert_eq!(incoming.cum(), 2);
        assert_eq!(incoming.pop(), Some("a"));
        assert_eq!(incoming.offer(1, "a again"), Offer::Duplicate);
        assert_eq!(incoming.pop(), Some("b"));
        assert_eq!(incoming.pop(), None);
        assert_eq!(incoming.held(), 0);
    }

    #[test]
    fn the_window_follows_what_was_read() {
        let mut incoming = Incoming::new(2);
        assert_eq!(incoming.offer(3, 3), Offer::OutOfWindow);
        assert_eq!(incoming.offer(1, 1), Offer::New);
        assert_eq!(incoming.offer(2, 2), Offer::New);
        assert_eq!(incoming.offer(3, 3), Offer::OutOfWindow, "nothing read yet");
        assert_eq!(incoming.cum(), 2, "arrived, though not read");
        assert_eq!(incoming.pop(), Some(1));
        assert_eq!(incoming.offer(3, 3), Offer::New);
        assert_eq!(incoming.cum(), 3);
    }
}
