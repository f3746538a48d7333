//! The server's side of the sequencer: [`ServerFanout`] hands each stored
//! batch to the hub registry under its lock (each member encodes each item
//! once per format and queues it); then, the lock released, it writes each
//! plain client's queue itself when the socket takes it at once
//! (`outbox/direct.rs`), waking a writer only for the rest.

use std::sync::Arc;

use super::ServerState;
use super::outbox::DirectWriter;
use crate::hub::membership::MemberChange;
use crate::hub::message::{ClientId, RoomRef};
use crate::hub::registry::JoinError;
use crate::hub::sequencer::{Fanout, JoinAsked, Sequenced};
use crate::hub::store::StoredRoom;

/// See the module docs. Owned by the sequencer thread.
pub(crate) struct ServerFanout {
    pub(crate) state: Arc<ServerState>,
    pub(crate) writer: DirectWriter,
}

impl Fanout for ServerFanout {
    fn deliver(&mut self, batch: Vec<Sequenced>) {
        self.state
            .locked_writing(&mut self.writer, |registry| registry.deliver(batch));
    }

    fn refuse(&mut self, senders: &[ClientId]) {
        self.state.locked(|registry| registry.refuse(senders));
    }

    fn forgotten_rooms(&mut self) -> Vec<String> {
        self.state
            .locked(|registry| registry.take_forgotten_rooms())
    }

    fn member_changes(&mut self) -> Vec<MemberChange> {
        if self.state.presence.is_none() {
            return Vec::new(); // a single node: nobody to tell
        }
        self.state.locked(|registry| registry.take_member_changes())
    }

    fn announce(&mut self) {
        self.state
            .locked_writing(&mut self.writer, |registry| registry.announce_joins());
    }

    fn join_read(
        &mut self,
        asked: JoinAsked,
        stored: Option<StoredRoom>,
    ) -> Result<RoomRef, JoinError> {
        let JoinAsked { id, room, ts, cap } = asked;
        self.state.locked_writing(&mut self.writer, |registry| {
            registry.join_read(id, &room, ts, cap, stored)
        })
    }
}
