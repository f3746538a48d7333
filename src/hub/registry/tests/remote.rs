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
