//! The sequencer thread (`sequencer`): the one place that orders.
//!
//! Fronts send every room message, private message and topic here as a
//! [`Request`]. This one thread gives each message its id, and each its
//! timestamp, stores a batch of them in one transaction (group commit), and
//! only then hands them, in order, to the [`Fanout`], which delivers them
//! under the registry lock. Hence the protocol's promises: what anyone has
//! seen is durable, and every member of a room sees its messages in one
//! order, the order of their ids. With `--ephemeral` there is no store and
//! the rest is the same.
//!
//! It knows no wire format and no socket: the fanout (the server's, in
//! `server/fanout.rs`) hands each stored batch to the hub registry, whose
//! members encode and queue.

use chrono::Utc;
use crossbeam_channel::{Receiver, Sender};

use super::message::{ClientId, NO_SENDER, Post, RoomRef, StoredMessage, TopicChange};
use super::store::{Batch, Committed, MessageStore, Remote};

/// At most this many requests share one transaction.
const MAX_BATCH: usize = 4096;

/// What fronts send to the sequencer.
pub(crate) enum Request {
    /// A message to store and deliver.
    Post(Post),
    /// A topic to store and deliver (its timestamp is set here).
    Topic(TopicChange),
    /// An account's rooms changed: remember them (by its name's key), in
    /// the order it joined them.
    Remember(String, Vec<RoomRef>),
    /// Someone registered: announce the pending JOINs. Many of these that
    /// arrive together cost one pass over the clients.
    Announce,
    /// Answered once every request sent before it has been stored and
    /// queued to its recipients: a leaving session waits on it, so the
    /// sender's own copy of its last messages reaches it before its `BYE`.
    Fence(Sender<()>),
}

/// A stored item, in the order the sequencer gave it.
#[derive(Debug)]
pub(crate) enum Sequenced {
    /// A message, and the connection that sent it.
    Message {
        message: StoredMessage,
        sender: ClientId,
    },
    /// A topic someone set.
    Topic(TopicChange),
}

/// Where stored items go: the server's delivery to its clients.
pub(crate) trait Fanout {
    /// Delivers a stored batch, in order.
    fn deliver(&mut self, batch: Vec<Sequenced>);
    /// Tells each sender of a batch that could not be stored (nobody got it).
    fn refuse(&mut self, senders: &[ClientId]);
    /// Announces the pending JOINs.
    fn announce(&mut self);
    /// The keys of the rooms forgotten since the last call (no members, no
    /// messages), for the store to forget their topics.
    fn forgotten_rooms(&mut self) -> Vec<String>;
}

/// What the sequencer thread starts with.
pub(crate) struct SequencerParts<F> {
    pub(crate) requests: Receiver<Request>,
    pub(crate) store: Option<Box<dyn MessageStore>>,
    pub(crate) fanout: F,
    /// The id the next message gets.
    pub(crate) next_id: u64,
}

/// The thread's body: runs until every front has dropped its sender.
pub(crate) fn run<F: Fanout>(parts: SequencerParts<F>) {
    let SequencerParts {
        requests,
        store,
        mut fanout,
        mut next_id,
    } = parts;
    let mut taken = Taken::default();
    let mut store = store.map(|store| Kept {
        store,
        failing: false,
    });
    let changes = store.as_mut().and_then(|kept| kept.store.changes());
    while let Some(first) = next_request(&requests, changes.as_ref()) {
        let Some(first) = first else {
            if let Some(kept) = &mut store {
                catch_up(kept.store.as_mut(), &mut fanout);
            }
            continue;
        };
        let mut next = Some(first);
        let mut announce = false;
        while let Some(request) = next.take() {
            match request {
                Request::Post(post) => taken.items.push(Item::Post(post)),
                Request::Topic(change) => taken.items.push(Item::Topic(change)),
                Request::Remember(name_key, rooms) => taken.remember(name_key, rooms),
                Request::Announce => announce = true,
                Request::Fence(fence) => taken.fences.push(fence),
            }
            if taken.items.len() < MAX_BATCH {
                next = requests.try_recv().ok();
            }
        }
        if !taken.items.is_empty() || !taken.memberships.is_empty() {
            store_and_deliver(&mut store, &mut fanout, &mut next_id, &mut taken);
        }
        if announce {
            // Usually done by the delivery already (then this finds nothing),
            // but not when the batch was empty or could not be stored.
            fanout.announce();
        }
        for fence in taken.fences.drain(..) {
            let _ = fence.send(());
        }
    }
}

/// The next request (`Some(Some(_))`), or a tick of the shared store's
/// `changes` (`Some(None)`); `None` once every front has dropped its sender.
fn next_request(
    requests: &Receiver<Request>,
    changes: Option<&Receiver<()>>,
) -> Option<Option<Request>> {
    let Some(changes) = changes else {
        return requests.recv().ok().map(Some);
    };
    crossbeam_channel::select! {
        recv(requests) -> request => request.ok().map(Some),
        recv(changes) -> tick => match tick {
            Ok(()) => Some(None),
            // The store's listener is gone: requests only, from now on.
            Err(_) => requests.recv().ok().map(Some),
        },
    }
}

/// Delivers what other nodes committed since the last look.
fn catch_up(store: &mut dyn MessageStore, fanout: &mut impl Fanout) {
    match store.catch_up() {
        Ok(remote) if remote.is_empty() => {}
        Ok(remote) => fanout.deliver(remote.into_iter().map(from_remote).collect()),
        // Tried again at the next tick or commit: nothing is skipped.
        Err(error) => log::warn!("could not read other nodes' messages: {error}"),
    }
}

fn from_remote(item: Remote) -> Sequenced {
    match item {
        Remote::Message(message) => Sequenced::Message {
            message,
            sender: NO_SENDER,
        },
        Remote::Topic(change) => Sequenced::Topic(change),
    }
}

/// The store, and whether its last commit failed: an outage is logged
/// when it starts and when it ends, not once per batch.
struct Kept {
    store: Box<dyn MessageStore>,
    failing: bool,
}

impl Kept {
    /// Commits `batch`; `None` if it could not be stored.
    fn commit(&mut self, batch: &Batch<'_>) -> Option<Committed> {
        match self.store.commit(batch) {
            Ok(committed) => {
                if std::mem::take(&mut self.failing) {
                    log::warn!("{} stores messages again", self.store.describe());
                }
                Some(committed)
            }
            Err(error) => {
                let what = format!(
                    "could not store {} messages and {} topics in {}: {error}",
                    batch.messages.len(),
                    batch.topics.len(),
                    self.store.describe()
                );
                match std::mem::replace(&mut self.failing, true) {
                    true => log::debug!("{what}"),
                    false => log::error!("{what}; refusing messages until it works again"),
                }
                None
            }
        }
    }
}

/// A request waiting in the batch.
enum Item {
    Post(Post),
    Topic(TopicChange),
}

/// What one turn took from the queue.
#[derive(Default)]
struct Taken {
    items: Vec<Item>,
    memberships: Vec<(String, Vec<RoomRef>)>,
    fences: Vec<Sender<()>>,
}

impl Taken {
    /// Keeps only an account's latest rooms.
    fn remember(&mut self, name_key: String, rooms: Vec<RoomRef>) {
        self.memberships.retain(|(key, _)| *key != name_key);
        self.memberships.push((name_key, rooms));
    }
}

/// Gives the batch ids and a timestamp, stores it, and hands it on in order.
fn store_and_deliver(
    store: &mut Option<Kept>,
    fanout: &mut impl Fanout,
    next_id: &mut u64,
    taken: &mut Taken,
) {
    let now = Utc::now();
    let mut messages = Vec::new();
    let mut topics = Vec::new();
    // Positions in `messages` and `topics` of each item, in request order.
    let mut order = Vec::with_capacity(taken.items.len());
    for item in taken.items.drain(..) {
        match item {
            Item::Post(post) => {
                order.push((true, post.sender));
                messages.push(StoredMessage {
                    id: *next_id,
                    ts: now,
                    from: post.from,
                    audience: post.audience,
                    kind: post.kind,
                    live_tags: post.live_tags,
                    text: post.text,
                });
                *next_id += 1;
            }
            Item::Topic(mut change) => {
                order.push((false, change.sender));
                change.topic.ts = now;
                topics.push(change);
            }
        }
    }
    let memberships = std::mem::take(&mut taken.memberships);
    // Taken every turn, with a store or without, so the list stays short.
    let forgotten = fanout.forgotten_rooms();
    let mut earlier = Vec::new();
    if let Some(kept) = store {
        let topic_places: Vec<usize> = (order.iter().enumerate())
            .filter(|(_, (is_message, _))| !is_message)
            .map(|(place, _)| place)
            .collect();
        let batch = Batch {
            forgotten: &forgotten,
            messages: &messages,
            topics: &topics,
            topic_places: &topic_places,
            memberships: &memberships,
        };
        let Some(committed) = kept.commit(&batch) else {
            let senders: Vec<ClientId> = order.iter().map(|&(_, sender)| sender).collect();
            fanout.refuse(&senders);
            return;
        };
        if let Some(first) = committed.first {
            // The store numbered them (nodes share its counter).
            let ids = (first..)
                .zip(&order)
                .filter(|(_, (is_message, _))| *is_message);
            for (message, (id, _)) in messages.iter_mut().zip(ids) {
                message.id = id;
            }
            *next_id = first + order.len() as u64;
        }
        earlier = committed.earlier;
    }
    let mut messages = messages.into_iter();
    let mut topics = topics.into_iter();
    let sequenced = (earlier.into_iter().map(from_remote))
        .chain(order.into_iter().filter_map(|(is_message, sender)| {
            if is_message {
                let message = messages.next()?;
                Some(Sequenced::Message { message, sender })
            } else {
                topics.next().map(Sequenced::Topic)
            }
        }))
        .collect();
    fanout.deliver(sequenced);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::message::{Audience, RoomName, Topic};

    /// Records what it is handed.
    #[derive(Default)]
    struct Recorder {
        delivered: Vec<String>,
    }

    impl Fanout for &mut Recorder {
        fn deliver(&mut self, batch: Vec<Sequenced>) {
            for item in batch {
                self.delivered.push(match item {
                    Sequenced::Message { message, sender } => {
                        format!("{} {} from {sender}", message.id, message.text)
                    }
                    Sequenced::Topic(change) => format!("topic {}", change.topic.text),
                });
            }
        }
        fn refuse(&mut self, _senders: &[ClientId]) {}
        fn announce(&mut self) {}
        fn forgotten_rooms(&mut self) -> Vec<String> {
            Vec::new()
        }
    }

    #[test]
    fn messages_and_topics_keep_their_order_and_ids_increase() {
        let (send, requests) = crossbeam_channel::unbounded();
        let room = RoomName::new("#a");
        let post = |sender, text: &str| {
            Request::Post(Post {
                sender,
                from: "alice".into(),
                audience: Audience::Room(room.clone()),
                kind: crate::hub::message::Kind::Message,
                live_tags: None,
                text: text.into(),
            })
        };
        send.send(post(1, "one")).unwrap();
        send.send(Request::Topic(TopicChange {
            sender: 2,
            room: room.clone(),
            topic: Topic {
                ts: Default::default(),
                by: "bob".into(),
                text: "t".into(),
            },
        }))
        .unwrap();
        send.send(post(3, "two")).unwrap();
        drop(send);
        let mut recorder = Recorder::default();
        run(SequencerParts {
            requests,
            store: None,
            fanout: &mut recorder,
            next_id: 7,
        });
        assert_eq!(
            recorder.delivered,
            ["7 one from 1", "topic t", "8 two from 3"]
        );
    }
}
