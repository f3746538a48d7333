//! Other nodes' users in the registry (`remote.rs`), with fake members:
//! their changes reach local members as local ones do, they count in every
//! answer, and only local changes are recorded for the other nodes.

use std::sync::Arc;

use super::{Fake, World, ts};
use crate::hub::membership::{Change, MemberChange, NODE_GONE, RemoteUser};
use crate::hub::message::RoomName;
use crate::hub::sequencer::Sequenced;

/// `node`'s change `change` of `name`, as the store hands it on.
fn remote(node: i64, name: &str, change: Change) -> Sequenced {
    Sequenced::Member {
        node,
        change: MemberChange {
            ts: ts(),
            name: name.into(),
            change,
        },
    }
}

/// A remote user's member: takes everything (as the server's does).
fn nothing() -> Arc<Fake> {
    Arc::new(Fake {
        room_for: usize::MAX,
        ..Fake::default()
    })
}

/// A world in a cluster, knowing `users` at start, with alice (1) local.
fn clustered(users: Vec<RemoteUser>) -> World {
    let mut world = World::new();
    world.locked(|registry| registry.join_cluster(nothing, users));
    world.connect(1, "alice", usize::MAX);
    world.locked(|registry| registry.announce_joins());
    world
}

/// What the local clients' changes recorded so far say, briefly.
fn recorded(world: &mut World) -> Vec<String> {
    let changes = world.locked(|registry| registry.take_member_changes());
    changes
        .iter()
        .map(|change| format!("{} {:?}", change.name, change.change))
        .collect()
}

#[test]
fn remote_joins_parts_and_leaves_reach_local_members_and_count_everywhere() {
    let mut world = clustered(Vec::new());
    let hall = RoomName::new("#hall");
    world.locked(|registry| {
        registry.deliver(vec![
            remote(7, "bob", Change::Online),
            remote(7, "bob", Change::Join(RoomName::new("#lobby"))),
            remote(7, "bob", Change::Join(hall.clone())),
        ]);
    });
    assert_eq!(world.told(1)[1..], ["join bob #lobby"]);
    let (names, lobby, listed) = world.locked(|registry| {
        let listed: Vec<(String, usize)> = (registry.listing().iter())
            .map(|room| (room.room.display.clone(), room.members))
            .collect();
        (registry.names(), registry.who_in("#lobby").answer, listed)
    });
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(lobby, ["alice", "bob"]);
    assert_eq!(listed, [("#hall".into(), 1), ("#lobby".into(), 2)]);

    world.locked(|registry| {
        registry
            .join(1, "#hall", ts(), super::super::RoomCap::Applies)
            .unwrap()
    });
    world.locked(|registry| {
        registry.deliver(vec![remote(
            7,
            "bob",
            Change::Part {
                room: hall.clone(),
                reason: "bye".into(),
            },
        )]);
    });
    assert_eq!(world.told(1).last().unwrap(), "part bob #hall");
    // Another node's leave of a name it does not hold changes nothing.
    world.locked(|registry| {
        registry.deliver(vec![remote(8, "bob", Change::Leave { reason: "x".into() })])
    });
    world.locked(|registry| registry.deliver(vec![remote(7, "bob", Change::Gone)]));
    assert_eq!(
        world.told(1).last().unwrap(),
        &format!("leave bob {NODE_GONE}")
    );
    assert_eq!(world.locked(|registry| registry.names()), ["alice"]);
    // Only alice's own changes are for the other nodes.
    assert_eq!(
        recorded(&mut world),
        [
            "alice Online",
            "alice Join(RoomName { display: \"#lobby\", key: \"#lobby\" })",
            "alice Join(RoomName { display: \"#hall\", key: \"#hall\" })",
        ]
    );
}

#[test]
fn users_known_at_start_are_there_and_a_local_registration_replaces_a_stale_holder() {
    let users = vec![RemoteUser {
        node: 3,
        name: "Carol".into(),
        rooms: vec![RoomName::new("#lobby")],
    }];
    let mut world = clustered(users);
    assert_eq!(
        world.told(1)[0],
        "welcome alice 2 #lobby [\"alice\", \"Carol\"] []"
    );
    // The store gave "carol" to this node: node 3's Carol has left.
    world.connect(2, "carol", usize::MAX);
    assert_eq!(world.told(1)[1], format!("leave Carol {NODE_GONE}"));
    // Node 3's late leave is not the new carol's.
    world.locked(|registry| {
        registry.deliver(vec![remote(
            3,
            "Carol",
            Change::Leave {
                reason: "late".into(),
            },
        )])
    });
    assert_eq!(
        world.locked(|registry| registry.names()),
        ["alice", "carol"]
    );
}

/// With a store (a cluster's is PostgreSQL), another node's users keep a
/// room in memory without reading it; a local joiner reads it then. A room
/// with neither local nor remote members is forgotten, and a remote topic
/// for a room not in memory is left to the store.
#[test]
fn with_a_store_remote_members_keep_a_room_and_a_local_join_reads_it() {
    use super::super::{InStore, JoinError, RoomCap};
    use crate::hub::message::{NO_SENDER, StoredMessage, Topic, TopicChange};
    use crate::hub::store::StoredRoom;

    let mut world = World::with_store();
    world.locked(|registry| registry.join_cluster(nothing, Vec::new()));
    world.connect(1, "alice", usize::MAX);
    let hall = RoomName::new("#hall");
    let topic = |room: &str, text: &str| {
        Sequenced::Topic(TopicChange {
            sender: NO_SENDER,
            room: RoomName::new(room),
            topic: Topic {
                ts: ts(),
                by: "bob".into(),
                text: text.into(),
            },
        })
    };
    world.locked(|registry| {
        registry.deliver(vec![
            remote(7, "bob", Change::Online),
            remote(7, "bob", Change::Join(hall.clone())),
            topic("#hall", "live"),
            topic("#elsewhere", "nobody here"),
        ])
    });
    let listed = world.locked(|registry| {
        (registry.listing().iter())
            .map(|room| (room.room.display.clone(), room.members))
            .collect::<Vec<_>>()
    });
    assert_eq!(listed, [("#hall".into(), 1), ("#lobby".into(), 1)]);
    let elsewhere = world.locked(|registry| registry.topic("#elsewhere").err());
    assert_eq!(elsewhere, Some(InStore), "dropped: the store's row has it");
    let unread = world.locked(|registry| registry.recent("#hall", 5).err());
    assert_eq!(unread, Some(InStore), "in use, but its history is unread");

    let join = |registry: &mut super::super::Registry<Arc<Fake>>| {
        registry.join(1, "#hall", ts(), RoomCap::Applies)
    };
    assert_eq!(world.locked(join), Err(JoinError::InStore));
    let first = ts() - chrono::Duration::days(3);
    let read = StoredRoom {
        name: hall.clone(),
        topic: Some(Topic {
            ts: ts(),
            by: "bob".into(),
            text: "stored".into(),
        }),
        recent: vec![Arc::new(StoredMessage {
            id: 4,
            ts: first,
            from: "bob".into(),
            audience: crate::hub::message::Audience::Room(hall.clone()),
            kind: crate::hub::message::Kind::Message,
            live_tags: None,
            text: "old".into(),
        })],
        first: Some(first),
    };
    world
        .locked(|registry| registry.join_read(1, "#hall", ts(), RoomCap::Applies, Some(read)))
        .unwrap();
    assert_eq!(
        world.told(1).last().unwrap(),
        "joined #hall [\"alice\", \"bob\"] [4]"
    );
    let (since, topic_now) = world.locked(|registry| {
        let topic = registry.topic("#hall").unwrap().answer.unwrap().text;
        (registry.since("#hall"), topic)
    });
    assert_eq!(since, Some(first), "when its first message was stored");
    assert_eq!(topic_now, "stored");

    world
        .locked(|registry| registry.part(1, Some("#hall"), "", ts()))
        .unwrap();
    let kept = world.locked(|registry| registry.recent("#hall", 5).unwrap().answer.len());
    assert_eq!(kept, 1, "bob, another node's, keeps it in memory");
    world.locked(|registry| {
        registry.deliver(vec![remote(
            7,
            "bob",
            Change::Part {
                room: hall.clone(),
                reason: "bye".into(),
            },
        )])
    });
    let gone = world.locked(|registry| registry.recent("#hall", 5).err());
    assert_eq!(
        gone,
        Some(InStore),
        "no member here or elsewhere: forgotten"
    );
}
