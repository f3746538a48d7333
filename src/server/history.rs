//! The history thread: the server's sequencer.
//!
//! Sessions send every room and private message here as a [`Post`]. This one
//! thread gives each its id and timestamp, stores a batch of them in one
//! transaction (group commit), and only then delivers them, in id order, under
//! the registry lock. Hence the two promises of the protocol: what anyone has
//! seen is durable, and everyone sees the same order, the order of the ids.
//! With `--ephemeral` the store is absent and the rest is the same.
//!
//! Having queued a batch, it writes each recipient's lines itself when the
//! socket takes them at once, and wakes a writer thread only for the rest
//! (see `outbox/direct.rs`).

use std::sync::Arc;

use chrono::Utc;
use crossbeam_channel::{Receiver, Sender};

use super::Shared;
use super::outbox::{Chunk, DirectWriter};
use super::registry::ClientId;
use super::store::Store;
use crate::protocol::grammar::push_number;
use crate::protocol::server_line::Timestamp;
use crate::protocol::{ErrorCode, ServerLine, format_ts};

/// At most this many messages share one transaction.
const MAX_BATCH: usize = 4096;

/// What sessions send to the history thread.
pub(crate) enum Request {
    /// A message to store and deliver.
    Post(Post),
    /// Someone registered: announce the pending JOINs (see
    /// [`super::registry::Registry::announce_joins`]). Many of these that arrive
    /// together cost one pass over the clients.
    Announce,
    /// Answered once every request sent before it has been stored and queued
    /// to its recipients: a leaving session waits on it, so the sender's own
    /// copy of its last messages reaches it before its `BYE`.
    Fence(Sender<()>),
}

/// A message a client sent, before it has an id.
pub(crate) struct Post {
    /// The sending connection, which gets its own copy of a private message.
    pub(crate) sender: ClientId,
    /// The sender's name.
    pub(crate) from: String,
    /// The recipient's name for a private message, `None` for the room.
    pub(crate) to: Option<String>,
    pub(crate) text: String,
}

/// A message as stored and replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredMessage {
    pub(crate) id: u64,
    pub(crate) ts: Timestamp,
    pub(crate) from: String,
    pub(crate) to: Option<String>,
    pub(crate) text: String,
}

impl StoredMessage {
    /// Appends the live line (`MSG` or `PRIV`), LF included.
    pub(crate) fn encode_live(&self, out: &mut String) {
        let kind = if self.to.is_some() { "PRIV" } else { "MSG" };
        self.encode(kind, out);
    }

    /// Appends the replay line (`HISTORY`), LF included.
    pub(crate) fn encode_history(&self, out: &mut String) {
        self.encode("HISTORY", out);
    }

    fn encode(&self, kind: &str, out: &mut String) {
        out.push_str(kind);
        push_number(out, self.id);
        out.push(' ');
        out.push_str(&format_ts(&self.ts));
        out.push(' ');
        out.push_str(&self.from);
        if let Some(to) = &self.to {
            out.push(' ');
            out.push_str(to);
        }
        out.push_str(" :");
        out.push_str(&self.text);
        out.push('\n');
    }
}

/// The thread's body: runs until every session has dropped its sender.
pub(crate) fn run(
    requests: Receiver<Request>,
    mut store: Option<Store>,
    shared: Arc<Shared>,
    mut next_id: u64,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut fences = Vec::new();
    let mut writer = DirectWriter::default();
    while let Ok(first) = requests.recv() {
        let mut next = Some(first);
        let mut announce = false;
        while let Some(request) = next.take() {
            match request {
                Request::Post(post) => batch.push(post),
                Request::Announce => announce = true,
                Request::Fence(fence) => fences.push(fence),
            }
            if batch.len() < MAX_BATCH {
                next = requests.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            store_and_deliver(&shared, &mut store, &mut next_id, &mut batch, &mut writer);
        }
        if announce {
            // Usually done by the delivery already (then this finds nothing),
            // but not when the batch could not be stored.
            shared.locked_writing(&mut writer, |registry| registry.announce_joins());
        }
        for fence in fences.drain(..) {
            let _ = fence.send(());
        }
    }
}

/// Gives the batch ids, stores it, and queues it to its recipients in id order.
fn store_and_deliver(
    shared: &Shared,
    store: &mut Option<Store>,
    next_id: &mut u64,
    batch: &mut Vec<Post>,
    writer: &mut DirectWriter,
) {
    let now = Utc::now();
    let senders: Vec<ClientId> = batch.iter().map(|post| post.sender).collect();
    let messages: Vec<StoredMessage> = batch
        .drain(..)
        .map(|post| {
            let id = *next_id;
            *next_id += 1;
            StoredMessage {
                id,
                ts: now,
                from: post.from,
                to: post.to,
                text: post.text,
            }
        })
        .collect();
    if let Some(store) = store
        && let Err(error) = store.append(&messages)
    {
        log::error!(
            "could not store {} messages in {}: {error}",
            messages.len(),
            store.path().display()
        );
        refuse(shared, &senders);
        return;
    }
    let deliveries: Vec<(Arc<StoredMessage>, ClientId, Chunk)> = messages
        .into_iter()
        .zip(senders)
        .map(|(message, sender)| {
            let mut line = String::with_capacity(64 + message.text.len());
            message.encode_live(&mut line);
            (Arc::new(message), sender, Chunk::from(line.into_bytes()))
        })
        .collect();
    shared.locked_writing(writer, |registry| registry.deliver(&deliveries));
}

/// Tells each sender of a batch that could not be stored; nothing was delivered.
fn refuse(shared: &Shared, senders: &[ClientId]) {
    let text = "The server could not store your message, so nobody got it. Try again in a moment.";
    let line = ServerLine::Error {
        code: ErrorCode::Other("not-stored".into()),
        text: text.into(),
    };
    let chunk = Chunk::from(line.encode().into_bytes());
    shared.locked(|registry| {
        senders
            .iter()
            .for_each(|&sender| registry.offer(sender, &chunk))
    });
}
