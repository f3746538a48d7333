//! The hub registry with fake members: no sockets, no wire format. Each
//! fake encodes an event as a short description, counting its encodings.

mod remote;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::DateTime;
use parking_lot::Mutex;

use super::{Hub, Limits, Registry};
use crate::hub::event::{Delivery, Encoded, Format, HubEvent};
use crate::hub::member::{Member, Offered};
use crate::hub::message::{Audience, ClientId, RoomName, StoredMessage};
use crate::hub::rooms::Rooms;
use crate::hub::sequencer::Sequenced;
use crate::hub::store::StoredRoom;

const FAKE: Format = Format::slot(0);
const ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A client as the tests see it: what it was told, in order.
#[derive(Default)]
struct Fake {
    told: Mutex<Vec<String>>,
    /// Offers it takes before overflowing.
    room_for: usize,
    /// Every fake's encodings, counted together.
    encodings: Arc<AtomicUsize>,
    closed: Mutex<Option<(String, bool)>>,
    stopped: AtomicUsize,
}

impl Member for Fake {
    type WakeToken = ();

    fn deliver(&self, delivery: &Delivery<'_>) -> Offered<()> {
        let mut told = self.told.lock();
        if told.len() >= self.room_for {
            return Offered::Overflowed;
        }
        let encoded = delivery.encoded(FAKE, |event| {
            self.encodings.fetch_add(1, Ordering::Relaxed);
            Encoded::from(describe(event).into_bytes())
        });
        told.push(String::from_utf8(encoded.to_vec()).unwrap());
        match told.len() {
            1 => Offered::Wake(()),
            _ => Offered::Queued,
        }
    }

    fn close(&self, reason: &str, discard_backlog: bool) {
        *self.closed.lock() = Some((reason.to_owned(), discard_backlog));
    }

    fn stop(&self) {
        self.stopped.fetch_add(1, Ordering::Relaxed);
    }

    fn peer(&self) -> SocketAddr {
        SocketAddr::new(ADDRESS, 1)
    }
}

fn describe(event: &HubEvent<'_>) -> String {
    match event {
        HubEvent::Welcome {
            name,
            online,
            room,
            members,
            history,
        } => {
            let members: Vec<&str> = members.iter().collect();
            let history: Vec<u64> = history.iter().map(|m| m.id).collect();
            format!(
                "welcome {name} {online} {} {members:?} {history:?}",
                room.display
            )
        }
        HubEvent::Joined {
            room,
            members,
            history,
        } => {
            let members: Vec<&str> = members.iter().collect();
            let history: Vec<u64> = history.iter().map(|m| m.id).collect();
            format!("joined {} {members:?} {history:?}", room.room)
        }
        HubEvent::Current(room) => format!("current {}", room.room),
        HubEvent::Join { name, room, .. } => format!("join {name} {}", room.display),
        HubEvent::Joins(joins) => {
            let each: Vec<String> = joins.iter().map(|join| describe(join.event())).collect();
            each.join(", ")
        }
        HubEvent::Part { name, room, .. } => format!("part {name} {}", room.display),
        HubEvent::Leave { name, reason, .. } => format!("leave {name} {reason}"),
        HubEvent::Message(message) => format!("msg {} {}", message.id, message.text),
        HubEvent::Topic { room, topic } => format!("topic {} {}", room.display, topic.text),
        HubEvent::NotStored => "not stored".into(),
        HubEvent::Relay(relay) => format!("relay {}", relay.number),
    }
}

struct World {
    hub: Hub<Arc<Fake>>,
    fakes: HashMap<ClientId, Arc<Fake>>,
    encodings: Arc<AtomicUsize>,
    woken: usize,
}

impl World {
    /// A registry without a store (as `--ephemeral`'s).
    fn new() -> World {
        World::of(Rooms::without_store(10))
    }

    /// A registry whose rooms without members are the store's.
    fn with_store() -> World {
        World::of(Rooms::new(10))
    }

    fn of(rooms: Rooms) -> World {
        let limits = Limits {
            max_clients: 100_000,
            max_per_ip: 0,
            max_rooms: 10,
            replay: 10,
        };
        let registry = Registry::new(limits, rooms, "#lobby", HashMap::new());
        World {
            hub: Hub::new(registry),
            fakes: HashMap::new(),
            encodings: Arc::default(),
            woken: 0,
        }
    }

    fn locked<T>(&mut self, f: impl FnOnce(&mut Registry<Arc<Fake>>) -> T) -> T {
        let mut woken = 0;
        let result = self.hub.locked_then(f, |()| woken += 1);
        self.woken += woken;
        result
    }

    /// Admits and registers `name` as connection `id`, taking `room_for` offers.
    fn connect(&mut self, id: ClientId, name: &str, room_for: usize) {
        let fake = Arc::new(Fake {
            room_for,
            encodings: self.encodings.clone(),
            ..Fake::default()
        });
        self.fakes.insert(id, fake.clone());
        self.locked(|registry| {
            registry.admit(id, ADDRESS, fake).unwrap();
            registry.register(id, name, false, ts()).unwrap();
        });
    }

    fn told(&self, id: ClientId) -> Vec<String> {
        self.fakes[&id].told.lock().clone()
    }

    fn post(&mut self, id: u64, sender: ClientId, room: &str, text: &str) {
        let message = StoredMessage {
            id,
            ts: ts(),
            from: format!("client{sender}"),
            audience: Audience::Room(RoomName::new(room)),
            kind: crate::hub::message::Kind::Message,
            live_tags: None,
            text: text.into(),
        };
        self.locked(|registry| registry.deliver(vec![Sequenced::Message { message, sender }]));
    }
}

fn ts() -> chrono::DateTime<chrono::Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

#[test]
fn a_message_to_a_thousand_members_is_encoded_once() {
    let mut world = World::new();
    for id in 1..=1000 {
        world.connect(id, &format!("user{id:04}"), usize::MAX);
    }
    world.locked(|registry| registry.announce_joins());
    let before = world.encodings.load(Ordering::Relaxed);
    world.post(1, 1, "#lobby", "hello");
    assert_eq!(world.encodings.load(Ordering::Relaxed) - before, 1);
    for id in 1..=1000 {
        assert_eq!(world.told(id).last().unwrap(), "msg 1 hello", "client {id}");
    }
}

#[test]
fn joins_announced_together_are_one_event_to_earlier_members() {
    let mut world = World::new();
    world.connect(1, "alice", usize::MAX);
    world.locked(|registry| registry.announce_joins());
    world.connect(2, "bob", usize::MAX);
    world.connect(3, "carol", usize::MAX);
    world.locked(|registry| registry.announce_joins());
    assert_eq!(
        world.told(1),
        [
            "welcome alice 1 #lobby [\"alice\"] []",
            "join bob #lobby, join carol #lobby"
        ]
    );
    assert_eq!(world.told(2)[1..], ["join carol #lobby"]);
    assert_eq!(world.told(3).len(), 1, "carol found bob in her welcome");
}

#[test]
fn every_member_of_a_room_hears_its_events_in_one_order() {
    let mut world = World::new();
    for (id, name) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        world.connect(id, name, usize::MAX);
        world
            .locked(|registry| registry.join(id, "#rust", ts(), super::RoomCap::Applies))
            .unwrap();
    }
    world.post(1, 1, "#rust", "one");
    world
        .locked(|registry| registry.part(2, Some("#rust"), "bye", ts()))
        .unwrap();
    world.post(2, 3, "#rust", "two");
    let heard = |id| -> Vec<String> {
        world
            .told(id)
            .into_iter()
            .filter(|line| line.contains("#rust") || line.starts_with("msg"))
            .collect()
    };
    assert_eq!(
        heard(1),
        [
            "joined #rust [\"alice\"] []",
            "join bob #rust",
            "join carol #rust",
            "msg 1 one",
            "part bob #rust",
            "msg 2 two"
        ]
    );
    assert_eq!(heard(3)[1..], heard(1)[3..]);
    assert_eq!(
        heard(2).last().unwrap(),
        "part bob #rust",
        "nothing after it"
    );
}

#[test]
fn a_joiner_gets_the_replay_then_the_next_message_live() {
    let mut world = World::new();
    world.connect(1, "alice", usize::MAX);
    world
        .locked(|registry| registry.join(1, "#a", ts(), super::RoomCap::Applies))
        .unwrap();
    world.post(1, 1, "#a", "one");
    world.post(2, 1, "#a", "two");
    world.connect(2, "bob", usize::MAX);
    world
        .locked(|registry| registry.join(2, "#a", ts(), super::RoomCap::Applies))
        .unwrap();
    world.post(3, 1, "#a", "three");
    assert_eq!(
        world.told(2)[1..],
        ["joined #a [\"alice\", \"bob\"] [1, 2]", "msg 3 three"]
    );
}

#[test]
fn a_member_that_overflows_is_evicted_and_the_others_told() {
    let mut world = World::new();
    world.connect(1, "alice", usize::MAX);
    world.connect(2, "slow", 2);
    world.locked(|registry| registry.announce_joins());
    world.post(1, 1, "#lobby", "one");
    assert_eq!(world.fakes[&2].stopped.load(Ordering::Relaxed), 0);
    world.post(2, 1, "#lobby", "two");
    let slow = &world.fakes[&2];
    assert_eq!(
        *slow.closed.lock(),
        Some(("send queue exceeded".to_owned(), true))
    );
    assert_eq!(
        slow.stopped.load(Ordering::Relaxed),
        1,
        "stopped once, after the lock"
    );
    assert_eq!(
        world.told(1)[1..],
        [
            "join slow #lobby",
            "msg 1 one",
            "msg 2 two",
            "leave slow send queue exceeded"
        ]
    );
    assert_eq!(world.locked(|registry| registry.names()), ["alice"]);
}

#[test]
fn a_name_is_taken_once_in_any_case() {
    let mut world = World::new();
    world.connect(1, "alice", usize::MAX);
    let fake = Arc::new(Fake::default());
    let taken = world.locked(|registry| {
        registry.admit(2, ADDRESS, fake).unwrap();
        registry.register(2, "ALICE", false, ts())
    });
    assert_eq!(taken.unwrap_err(), super::RegisterError::NameTaken);
}

#[test]
fn wake_tokens_are_handed_out_after_the_lock_once_per_empty_queue() {
    let mut world = World::new();
    world.connect(1, "alice", usize::MAX);
    world.connect(2, "bob", usize::MAX);
    assert_eq!(world.woken, 2, "each welcome found an empty queue");
    world.post(1, 1, "#lobby", "one");
    assert_eq!(world.woken, 2, "the fakes never empty their queues");
}

#[test]
fn members_of_any_type_can_share_a_hub_behind_one_vtable() {
    type AnyMember = dyn Member<WakeToken = ()>;
    let limits = Limits {
        max_clients: 10,
        max_per_ip: 0,
        max_rooms: 10,
        replay: 10,
    };
    let registry =
        Registry::<Arc<AnyMember>>::new(limits, Rooms::without_store(10), "#lobby", HashMap::new());
    let hub = Hub::new(registry);
    let fake = Arc::new(Fake {
        room_for: usize::MAX,
        ..Fake::default()
    });
    let member: Arc<AnyMember> = fake.clone();
    hub.locked_then(
        |registry| {
            registry.admit(1, ADDRESS, member).unwrap();
            registry.register(1, "alice", false, ts()).unwrap();
        },
        |()| {},
    );
    assert_eq!(*fake.told.lock(), ["welcome alice 1 #lobby [\"alice\"] []"]);
}

#[test]
fn a_batch_reaches_each_member_in_order_run_by_run() {
    let mut world = World::new();
    for (id, name) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        world.connect(id, name, usize::MAX);
    }
    world
        .locked(|registry| registry.join(1, "#rust", ts(), super::RoomCap::Applies))
        .unwrap();
    world
        .locked(|registry| registry.part(3, Some("#lobby"), "bye", ts()))
        .unwrap();
    let message = |id: u64, sender: ClientId, room: &str| Sequenced::Message {
        message: StoredMessage {
            id,
            ts: ts(),
            from: format!("client{sender}"),
            audience: Audience::Room(RoomName::new(room)),
            kind: crate::hub::message::Kind::Message,
            live_tags: None,
            text: format!("m{id}"),
        },
        sender,
    };
    let batch = vec![
        message(1, 1, "#lobby"),
        message(2, 3, "#lobby"), // carol has left #lobby: only her receipt
        message(3, 2, "#lobby"),
        message(4, 1, "#rust"),
        message(5, 2, "#lobby"),
    ];
    let before = world.encodings.load(Ordering::Relaxed);
    world.locked(|registry| registry.deliver(batch));
    assert_eq!(world.encodings.load(Ordering::Relaxed) - before, 5);
    let heard = |id| -> Vec<String> {
        let told = world.told(id);
        told.into_iter()
            .filter(|line| line.starts_with("msg"))
            .collect()
    };
    assert_eq!(
        heard(1),
        ["msg 1 m1", "msg 2 m2", "msg 3 m3", "msg 4 m4", "msg 5 m5"]
    );
    assert_eq!(heard(2), ["msg 1 m1", "msg 2 m2", "msg 3 m3", "msg 5 m5"]);
    assert_eq!(heard(3), ["msg 2 m2"]);
}

#[test]
fn a_name_disconnected_is_closed_with_its_reason_and_the_others_told() {
    let mut world = World::new();
    world.connect(1, "alice", usize::MAX);
    world.connect(2, "bob", usize::MAX);
    world.locked(|registry| registry.announce_joins());
    let found = world.locked(|registry| registry.disconnect_name("BOB", "taken", ts()));
    assert!(found, "any case");
    let bob = &world.fakes[&2];
    assert_eq!(*bob.closed.lock(), Some(("taken".to_owned(), false)));
    assert_eq!(
        bob.stopped.load(Ordering::Relaxed),
        1,
        "stopped after the lock"
    );
    assert_eq!(world.told(1)[1..], ["join bob #lobby", "leave bob taken"]);
    assert_eq!(world.locked(|registry| registry.names()), ["alice"]);
    let again = world.locked(|registry| registry.disconnect_name("bob", "taken", ts()));
    assert!(!again, "no one called bob any more");
}

/// With a store, a room nobody is in is not in memory: joining it asks for
/// it to be read; once read it replays what was read, then goes live. A
/// message stored for it meanwhile reaches only its sender.
#[test]
fn with_a_store_a_room_without_members_is_read_back_to_be_joined() {
    use super::{InStore, JoinError, RoomCap};
    let mut world = World::with_store();
    world.connect(1, "alice", usize::MAX);
    let join = |id| {
        move |registry: &mut Registry<Arc<Fake>>| registry.join(id, "#a", ts(), RoomCap::Applies)
    };
    assert_eq!(world.locked(join(1)), Err(JoinError::InStore));
    world
        .locked(|registry| registry.join_read(1, "#a", ts(), RoomCap::Applies, None))
        .unwrap();
    world.post(1, 1, "#a", "one");
    world
        .locked(|registry| registry.part(1, Some("#a"), "", ts()))
        .unwrap();
    assert_eq!(
        world.locked(|registry| registry.recent("#a", 5).err()),
        Some(InStore)
    );
    assert_eq!(
        world.locked(|registry| registry.topic("#A").err()),
        Some(InStore)
    );
    world.post(2, 1, "#a", "late");
    assert_eq!(world.told(1).last().unwrap(), "msg 2 late", "its receipt");
    assert_eq!(world.locked(join(1)), Err(JoinError::InStore), "not held");

    world.connect(2, "bob", usize::MAX);
    let stored = |id: u64| {
        Arc::new(StoredMessage {
            id,
            ts: ts(),
            from: "client1".into(),
            audience: Audience::Room(RoomName::new("#a")),
            kind: crate::hub::message::Kind::Message,
            live_tags: None,
            text: format!("m{id}"),
        })
    };
    let read = StoredRoom {
        name: RoomName::new("#a"),
        topic: None,
        recent: vec![stored(1), stored(2)],
        first: None,
    };
    world
        .locked(|registry| registry.join_read(2, "#A", ts(), RoomCap::Applies, Some(read)))
        .unwrap();
    world.post(3, 2, "#a", "three");
    assert_eq!(
        world.told(2)[1..],
        ["joined #a [\"bob\"] [1, 2]", "msg 3 three"]
    );
}
