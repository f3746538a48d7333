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
//!
//! It is also the one reader of a room that is not in memory
//! ([`Request::Load`]): it reads the store after delivering what it has
//! stored and before storing more, so a message is either in what it read
//! or delivered after it, never both and never neither.

use chrono::Utc;
use crossbeam_channel::{Receiver, Sender};

use super::membership::{MemberChange, NodeId};
use super::message::{ClientId, NO_SENDER, Post, RoomRef, StoredMessage, TopicChange};
use super::registry::{JoinError, RoomCap};
use super::store::{Batch, Committed, MessageStore, Remote, StoredRoom};
use crate::protocol::server_line::Timestamp;

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
    /// Local clients' membership changed (a shared store only): the hub's
    /// changes recorded so far are stored here, in the stream's order
    /// among the messages sent before and after.
    Members,
    /// Answered once every request sent before it has been stored and
    /// queued to its recipients: a leaving session waits on it, so the
    /// sender's own copy of its last messages reaches it before its `BYE`.
    Fence(Sender<()>),
    /// A room not in memory, to read from the store.
    Load(Load),
}

/// What to do with a room read from the store (see the module docs).
pub(crate) enum Load {
    /// Join it: [`Fanout::join_read`] with what was read, and the result
    /// to `answer`.
    Join {
        asked: JoinAsked,
        answer: Sender<Result<RoomRef, JoinError>>,
    },
    /// Only look: the room called `room` with its newest `count` messages
    /// to `answer` (`None`: the store has nothing of it; `Err`: it could
    /// not be read).
    Peek {
        room: String,
        count: usize,
        answer: Sender<Result<Option<StoredRoom>, ()>>,
    },
}

/// A `/join` (or an IRC `JOIN`) of a room not in memory.
#[derive(Debug, Clone)]
pub(crate) struct JoinAsked {
    pub(crate) id: ClientId,
    /// The room as asked (any case).
    pub(crate) room: String,
    pub(crate) ts: Timestamp,
    pub(crate) cap: RoomCap,
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
    /// Another node's membership change (a shared store only).
    Member { node: NodeId, change: MemberChange },
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
    /// The local clients' membership changes since the last call, in
    /// order, for a shared store.
    fn member_changes(&mut self) -> Vec<MemberChange> {
        Vec::new()
    }
    /// Joins a room read from the store (`None`: the store has nothing
    /// of it), now, before anything else is delivered.
    fn join_read(
        &mut self,
        asked: JoinAsked,
        stored: Option<StoredRoom>,
    ) -> Result<RoomRef, JoinError>;
}

/// Asks the sequencer to read a room from the store and join it, and waits
/// for the answer (a session's thread; never under the hub lock).
pub(crate) fn join_from_store(
    requests: &Sender<Request>,
    asked: JoinAsked,
) -> Result<RoomRef, JoinError> {
    let (answer, wait) = crossbeam_channel::bounded(1);
    let load = Load::Join { asked, answer };
    if requests.send(Request::Load(load)).is_err() {
        return Err(JoinError::Closed);
    }
    wait.recv().unwrap_or(Err(JoinError::Closed))
}

/// Asks the sequencer what the store has of the room called `room` (its
/// newest `count` messages and topic), and waits for the answer. `Err`:
/// it could not be read.
pub(crate) fn peek_store(
    requests: &Sender<Request>,
    room: &str,
    count: usize,
) -> Result<Option<StoredRoom>, ()> {
    let (answer, wait) = crossbeam_channel::bounded(1);
    let room = room.to_owned();
    if requests
        .send(Request::Load(Load::Peek {
            room,
            count,
            answer,
        }))
        .is_err()
    {
        return Err(());
    }
    wait.recv().unwrap_or(Err(()))
}

/// What the sequencer thread starts with.
pub(crate) struct SequencerParts<F> {
    pub(crate) requests: Receiver<Request>,
    pub(crate) store: Option<Box<dyn MessageStore>>,
    pub(crate) fanout: F,
    /// The id the next message gets.
    pub(crate) next_id: u64,
    /// How many of its newest messages a room read to be joined keeps.
    pub(crate) recent: usize,
}

/// The thread's body: runs until every front has dropped its sender.
pub(crate) fn run<F: Fanout>(parts: SequencerParts<F>) {
    let SequencerParts {
        requests,
        store,
        mut fanout,
        mut next_id,
        recent,
    } = parts;
    let mut taken = Taken::default();
    let mut store = store.map(|store| Kept {
        store,
        failing: false,
        unsent: Vec::new(),
    });
    let changes = store.as_mut().and_then(|kept| kept.store.changes());
    while let Some(first) = next_request(&requests, changes.as_ref()) {
        let Some(first) = first else {
            // A tick: changes no request announced (evictions, a node's
            // shutdown) go out now; else what the others committed.
            taken.take_members(&mut fanout);
            if !taken.items.is_empty() || store.as_ref().is_some_and(|kept| !kept.unsent.is_empty())
            {
                store_and_deliver(&mut store, &mut fanout, &mut next_id, &mut taken);
            } else if let Some(kept) = &mut store {
                catch_up(kept.store.as_mut(), &mut fanout);
            }
            continue;
        };
        // Changes of who is where made before this turn's first request
        // come before it (a session's own messages before a change of its
        // rooms were stored before the change: it waits for them).
        taken.take_members(&mut fanout);
        let mut next = Some(first);
        let mut announce = false;
        while let Some(request) = next.take() {
            match request {
                Request::Post(post) => taken.items.push(Item::Post(post)),
                Request::Topic(change) => taken.items.push(Item::Topic(change)),
                Request::Remember(name_key, rooms) => taken.remember(name_key, rooms),
                Request::Announce => {
                    announce = true;
                    taken.take_members(&mut fanout);
                }
                Request::Members => taken.take_members(&mut fanout),
                Request::Fence(fence) => taken.fences.push(fence),
                Request::Load(load) => taken.loads.push(load),
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
        // After the batch is delivered, before the next one is stored.
        for load in taken.loads.drain(..) {
            read_room(store.as_mut(), &mut fanout, load, recent);
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

/// Reads a room from the store and does what `load` asks with it. Without
/// a store there is nothing to read: the room is new.
fn read_room(store: Option<&mut Kept>, fanout: &mut impl Fanout, load: Load, recent: usize) {
    let (key, count) = match &load {
        Load::Join { asked, .. } => (crate::protocol::room_key(&asked.room), recent),
        Load::Peek { room, count, .. } => (crate::protocol::room_key(room), *count),
    };
    let stored = match store {
        Some(kept) => kept.store.room(&key, count).map_err(|error| {
            log::warn!(
                "could not read {key} from {}: {error}",
                kept.store.describe()
            );
        }),
        None => Ok(None),
    };
    match load {
        Load::Join { asked, answer } => {
            let joined = match stored {
                Ok(stored) => fanout.join_read(asked, stored),
                Err(()) => Err(JoinError::NotStored),
            };
            let _ = answer.send(joined);
        }
        Load::Peek { answer, .. } => {
            let _ = answer.send(stored);
        }
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
        Remote::Member { node, change } => Sequenced::Member { node, change },
    }
}

/// The store, and whether its last commit failed: an outage is logged
/// when it starts and when it ends, not once per batch.
struct Kept {
    store: Box<dyn MessageStore>,
    failing: bool,
    /// Membership changes of a batch that could not be stored: the next
    /// batch stores them first (unlike messages, nobody can send them
    /// again).
    unsent: Vec<MemberChange>,
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
    Member(MemberChange),
}

/// What an item of a batch is, in request order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Message,
    Topic,
    Member,
}

/// What one turn took from the queue.
#[derive(Default)]
struct Taken {
    items: Vec<Item>,
    memberships: Vec<(String, Vec<RoomRef>)>,
    fences: Vec<Sender<()>>,
    loads: Vec<Load>,
}

impl Taken {
    /// Keeps only an account's latest rooms.
    fn remember(&mut self, name_key: String, rooms: Vec<RoomRef>) {
        self.memberships.retain(|(key, _)| *key != name_key);
        self.memberships.push((name_key, rooms));
    }

    /// Takes the hub's membership changes at this point of the batch.
    fn take_members(&mut self, fanout: &mut impl Fanout) {
        let changes = fanout.member_changes();
        self.items.extend(changes.into_iter().map(Item::Member));
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
    let mut members = store
        .as_mut()
        .map(|kept| std::mem::take(&mut kept.unsent))
        .unwrap_or_default();
    // Each item's kind and sender, in request order (unsent changes first).
    let mut order = vec![(Kind::Member, NO_SENDER); members.len()];
    for item in taken.items.drain(..) {
        match item {
            Item::Post(post) => {
                order.push((Kind::Message, post.sender));
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
                order.push((Kind::Topic, change.sender));
                change.topic.ts = now;
                topics.push(change);
            }
            Item::Member(change) => {
                order.push((Kind::Member, NO_SENDER));
                members.push(change);
            }
        }
    }
    let memberships = std::mem::take(&mut taken.memberships);
    // Taken every turn, with a store or without, so the list stays short.
    let forgotten = fanout.forgotten_rooms();
    let mut earlier = Vec::new();
    if let Some(kept) = store {
        let (topic_places, member_places) =
            (places(&order, Kind::Topic), places(&order, Kind::Member));
        let batch = Batch {
            forgotten: &forgotten,
            messages: &messages,
            topics: &topics,
            topic_places: &topic_places,
            members: &members,
            member_places: &member_places,
            memberships: &memberships,
        };
        let Some(committed) = kept.commit(&batch) else {
            kept.unsent = members;
            let senders: Vec<ClientId> = (order.iter())
                .filter(|(kind, _)| *kind != Kind::Member)
                .map(|&(_, sender)| sender)
                .collect();
            fanout.refuse(&senders);
            return;
        };
        if let Some(first) = committed.first {
            // The store numbered them (nodes share its counter).
            let ids = (first..)
                .zip(&order)
                .filter(|(_, (kind, _))| *kind == Kind::Message);
            for (message, (id, _)) in messages.iter_mut().zip(ids) {
                message.id = id;
            }
            *next_id = first + order.len() as u64;
        }
        earlier = committed.earlier;
    }
    // Own membership changes were applied when they were made.
    let mut messages = messages.into_iter();
    let mut topics = topics.into_iter();
    let sequenced = (earlier.into_iter().map(from_remote))
        .chain(order.into_iter().filter_map(|(kind, sender)| match kind {
            Kind::Message => {
                let message = messages.next()?;
                Some(Sequenced::Message { message, sender })
            }
            Kind::Topic => topics.next().map(Sequenced::Topic),
            Kind::Member => None,
        }))
        .collect();
    fanout.deliver(sequenced);
}

/// The places in `order` of the items of `kind`.
fn places(order: &[(Kind, ClientId)], kind: Kind) -> Vec<usize> {
    (order.iter().enumerate())
        .filter(|(_, (of, _))| *of == kind)
        .map(|(place, _)| place)
        .collect()
}

#[cfg(test)]
mod tests;
