//! [`Member`]: how the hub reaches one connected client, whatever its front.
//!
//! The hub calls a member only under its lock, and a member never blocks
//! there and does no I/O: it encodes the event in its front's format (once
//! per event and format, through [`Delivery::encoded`]) and queues the
//! bytes. What must happen outside the lock (waking a writer, writing a
//! socket that takes the bytes at once, shutting a socket down) the hub
//! hands back to the caller once the lock is released: the wake tokens a
//! member returns ([`Offered::Wake`]), and the members it closed
//! ([`Member::stop`]). That single lock is what gives every member of a room
//! the same order.

use std::net::SocketAddr;
use std::sync::Arc;

use super::event::Delivery;

/// What became of an event offered to a member.
#[derive(Debug)]
pub(crate) enum Offered<W> {
    /// Queued; the member's writer is already awake or busy.
    Queued,
    /// Queued on an empty queue: its writer may sleep, so `W` must be used
    /// (woken, or written from the caller's thread) once the hub lock is
    /// released.
    Wake(W),
    /// Its queue is full: the client is too far behind, and the hub evicts
    /// it.
    Overflowed,
}

/// One connected client as the hub reaches it. A hub holds members of one
/// type `M` (`Hub<M>`), in its entries: a concrete type, such as an enum of
/// the fronts' members, so that each delivery is a direct call with no
/// pointer to follow (the one-room fanout's hot loop measurably prefers it),
/// or `Arc<dyn Member<WakeToken = W>>` for members of any type. `WakeToken` is the front's token
/// for finishing a delivery outside the lock (for the server's fronts, the
/// outbox's waker); every member of one hub has the same.
pub(crate) trait Member: Send + Sync {
    /// Handed back by [`Member::deliver`] for the caller to use after the lock.
    type WakeToken;

    /// Queues `delivery` for this client, encoded in the member's format.
    /// Under the hub lock: never blocks, no I/O.
    fn deliver(&self, delivery: &Delivery<'_>) -> Offered<Self::WakeToken>;

    /// Queues each of `deliveries`, in order, as [`Member::deliver`] would,
    /// stopping at an overflow; a front may queue them under one lock (a
    /// run of messages to one room, delivered to each member in one call).
    fn deliver_all(&self, deliveries: &[Delivery<'_>]) -> Offered<Self::WakeToken> {
        let mut offered = Offered::Queued;
        for delivery in deliveries {
            match self.deliver(delivery) {
                Offered::Overflowed => return Offered::Overflowed,
                Offered::Wake(token) if matches!(offered, Offered::Queued) => {
                    offered = Offered::Wake(token);
                }
                Offered::Wake(_) | Offered::Queued => {}
            }
        }
        offered
    }

    /// The hub ends this connection: records `reason` for its last line,
    /// and throws its queued lines away when `discard_backlog` (it was
    /// evicted). Under the hub lock: never blocks, no I/O.
    fn close(&self, reason: &str, discard_backlog: bool);

    /// After the hub lock is released, for a member [`Member::close`]d
    /// under it: stops the connection (its socket is shut down).
    fn stop(&self);

    /// The client's address, for logs.
    fn peer(&self) -> SocketAddr;

    /// Whether this member's front takes [`HubEvent::Relay`]s
    /// (`hub/message.rs`, `Relay`): the hub offers them to no other member.
    ///
    /// [`HubEvent::Relay`]: super::event::HubEvent::Relay
    fn takes_relays(&self) -> bool {
        false
    }
}

/// A shared member is a member: so a hub can hold `Arc<dyn Member<..>>`.
impl<T: Member + ?Sized> Member for Arc<T> {
    type WakeToken = T::WakeToken;

    fn deliver(&self, delivery: &Delivery<'_>) -> Offered<T::WakeToken> {
        (**self).deliver(delivery)
    }

    fn close(&self, reason: &str, discard_backlog: bool) {
        (**self).close(reason, discard_backlog)
    }

    fn stop(&self) {
        (**self).stop()
    }

    fn peer(&self) -> SocketAddr {
        (**self).peer()
    }

    fn takes_relays(&self) -> bool {
        (**self).takes_relays()
    }
}
