//! The hub: rooms, membership, ordering and storage, for every front.
//!
//! It knows no socket and no wire format. A front (the native line protocol
//! over TCP, TLS and UDP in `server/`; IRC next) turns its lines into hub
//! calls and the hub's events into its lines. See "Layout" in
//! `docs/architecture.md`.
//!
//! - [`message`]: what is ordered and stored (`Post`, `StoredMessage`,
//!   room names, topics).
//! - [`event`]: what a member is told ([`event::HubEvent`]), and a delivery
//!   that encodes it once per front format.
//! - [`member`]: the [`member::Member`] trait, how the hub reaches one
//!   client whatever its front.
//! - [`registry`]: the hub's state under one lock: members, names, rooms;
//!   the room commands, telling members events.
//! - [`rooms`]: rooms, their members, topics and recent messages; each
//!   client's rooms and current room. Pure.
//! - [`sequencer`]: the `sequencer` thread: ids, timestamps, group commit,
//!   then the fanout, in order.
//! - [`store`]: the `MessageStore` trait and its SQLite implementation,
//!   with the migration from the one-room schema.

pub(crate) mod event;
pub(crate) mod member;
pub(crate) mod membership;
pub(crate) mod message;
pub(crate) mod registry;
pub(crate) mod rooms;
pub(crate) mod sequencer;
pub mod store;
