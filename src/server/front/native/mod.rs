//! The native front: the chat's own line protocol, over TCP, TLS and UDP.
//!
//! [`NativeMember`] is how the hub reaches a native client: it encodes each
//! event as native lines (`encode.rs`, once per event through the
//! delivery's [`NATIVE`] slot) and queues them on the client's [`Outbox`]
//! without blocking; closing records the farewell on its [`Control`].

mod encode;
pub(crate) mod replies;
pub(crate) mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::hub::event::{Delivery, Format};
use crate::hub::member::{Member, Offered};
use crate::server::control::Control;
use crate::server::outbox::{Outbox, Overflow, Waker};

pub(crate) use encode::encode;

/// The native format's slot in a delivery's cache.
pub(crate) const NATIVE: Format = Format::slot(0);

/// See the module docs.
pub(crate) struct NativeMember {
    pub(crate) outbox: Outbox,
    pub(crate) control: Arc<Control>,
}

impl Member for NativeMember {
    type WakeToken = Waker;

    fn deliver(&self, delivery: &Delivery<'_>) -> Offered<Waker> {
        let chunk = delivery.encoded(NATIVE, encode);
        match self.outbox.offer_deferred(chunk) {
            Ok(Some(waker)) => Offered::Wake(waker),
            Ok(None) => Offered::Queued,
            Err(Overflow) => Offered::Overflowed,
        }
    }

    fn deliver_all(&self, deliveries: &[Delivery<'_>]) -> Offered<Waker> {
        let chunks = deliveries
            .iter()
            .map(|delivery| delivery.encoded(NATIVE, encode));
        match self.outbox.offer_all_deferred(chunks) {
            Ok(Some(waker)) => Offered::Wake(waker),
            Ok(None) => Offered::Queued,
            Err(Overflow) => Offered::Overflowed,
        }
    }

    fn close(&self, reason: &str, discard_backlog: bool) {
        self.control.set_farewell(reason, discard_backlog);
        if discard_backlog {
            self.outbox.discard();
        }
    }

    fn stop(&self) {
        self.control.stop_reading();
    }

    fn peer(&self) -> SocketAddr {
        self.control.peer
    }
}
