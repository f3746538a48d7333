//! The native front's side of the sequencer: [`NativeFanout`] encodes each
//! stored message or topic once, as the line every recipient gets, and
//! queues it to them under the registry lock; then, the lock released, it
//! writes each plain client's queue itself when the socket takes it at once
//! (`outbox/direct.rs`), waking a writer only for the rest.

use std::sync::Arc;

use super::ServerState;
use super::outbox::{Chunk, DirectWriter};
use super::registry::Delivery;
use crate::hub::message::{Audience, ClientId, StoredMessage};
use crate::hub::sequencer::{Fanout, Sequenced};
use crate::protocol::server_line::{push_msg, push_priv};
use crate::protocol::{ErrorCode, ServerLine};

/// See the module docs. Owned by the sequencer thread.
pub(crate) struct NativeFanout {
    pub(crate) state: Arc<ServerState>,
    pub(crate) writer: DirectWriter,
}

impl Fanout for NativeFanout {
    fn deliver(&mut self, batch: Vec<Sequenced>) {
        let deliveries: Vec<Delivery> = batch.into_iter().map(encode).collect();
        self.state
            .locked_writing(&mut self.writer, |registry| registry.deliver(&deliveries));
    }

    fn refuse(&mut self, senders: &[ClientId]) {
        let text =
            "The server could not store your message, so nobody got it. Try again in a moment.";
        let line = ServerLine::Error {
            code: ErrorCode::Other("not-stored".into()),
            text: text.into(),
        };
        let chunk = Chunk::from(line.encode().into_bytes());
        self.state.locked(|registry| {
            senders
                .iter()
                .for_each(|&sender| registry.offer(sender, &chunk))
        });
    }

    fn forgotten_rooms(&mut self) -> Vec<String> {
        self.state
            .locked(|registry| registry.take_forgotten_rooms())
    }

    fn announce(&mut self) {
        self.state
            .locked_writing(&mut self.writer, |registry| registry.announce_joins());
    }
}

/// One item's line, encoded once for every recipient.
fn encode(item: Sequenced) -> Delivery {
    match item {
        Sequenced::Message { message, sender } => {
            let line = Chunk::from(live_line(&message).into_bytes());
            Delivery::Message {
                message: Arc::new(message),
                sender,
                line,
            }
        }
        Sequenced::Topic(change) => {
            let line = ServerLine::Topic {
                ts: change.topic.ts,
                name: change.topic.by.clone(),
                room: change.room.display.clone(),
                text: change.topic.text.clone(),
            };
            let line = Chunk::from(line.encode().into_bytes());
            Delivery::Topic { change, line }
        }
    }
}

/// `MSG` for a room's message, `PRIV` for a private one.
fn live_line(m: &StoredMessage) -> String {
    let mut line = String::with_capacity(96 + m.text.len());
    match &m.audience {
        Audience::Room(room) => push_msg(
            &mut line,
            m.id,
            &m.ts,
            &m.from,
            Some(&room.display),
            &m.text,
        ),
        Audience::Private(to) => push_priv(&mut line, m.id, &m.ts, &m.from, to, &m.text),
    }
    line
}
