use super::*;
use crate::hub::message::Audience;

fn keys(memberships: &Memberships) -> Vec<&str> {
    memberships.iter().map(|room| room.key.as_str()).collect()
}

#[test]
fn the_current_room_is_the_last_joined_or_switched_to() {
    let mut m = Memberships::default();
    assert_eq!(m.current(), None);
    for room in ["#lobby", "#a", "#b"] {
        m.push(RoomName::new(room));
    }
    assert_eq!(m.current().unwrap().key, "#b");
    assert!(m.make_current("#lobby"));
    assert_eq!(keys(&m), ["#a", "#b", "#lobby"]);
    assert!(!m.make_current("#nowhere"));
    assert_eq!(m.remove("#lobby").unwrap().key, "#lobby");
    assert_eq!(m.current().unwrap().key, "#b", "back to the one before");
    assert_eq!(m.remove("#a").unwrap().key, "#a");
    assert_eq!(keys(&m), ["#b"]);
    assert_eq!(m.remove("#b").unwrap().key, "#b");
    assert_eq!(m.len(), 0);
    assert_eq!(m.current(), None);
    assert!(m.remove("#b").is_none());
}

#[test]
fn one_room_costs_no_allocation_and_little_room() {
    let mut m = Memberships::default();
    m.push(RoomName::new("#lobby"));
    assert!(matches!(m, Memberships::One(_)));
    assert!(m.contains(&RoomName::new("#LOBBY")));
    assert!(std::mem::size_of::<Memberships>() <= 24);
}

fn message(id: u64, room: &RoomRef) -> Arc<StoredMessage> {
    Arc::new(StoredMessage {
        id,
        ts: Default::default(),
        from: "alice".into(),
        audience: Audience::Room(room.clone()),
        kind: crate::hub::message::Kind::Message,
        live_tags: None,
        text: format!("m{id}"),
    })
}

fn topic(text: &str) -> Topic {
    Topic {
        ts: Default::default(),
        by: "alice".into(),
        text: text.into(),
    }
}

#[test]
fn without_a_store_an_empty_room_is_forgotten_unless_it_has_messages() {
    let mut rooms = Rooms::without_store(2);
    let quiet = rooms.name_for("#Quiet");
    rooms.add_member(&quiet, "alice".into(), 1);
    assert_eq!(
        rooms.name_for("#QUIET").display,
        "#Quiet",
        "shown as created"
    );
    rooms.set_topic(&quiet, topic("not enough to stay"));
    rooms.remove_member("#quiet", "alice");
    assert!(
        rooms.get("#quiet").is_none(),
        "a topic alone does not keep it"
    );
    assert_eq!(
        rooms.take_forgotten(),
        ["#quiet"],
        "for the store to forget"
    );
    assert!(rooms.set_topic(&quiet, topic("late")).is_none());
    assert_eq!(rooms.take_forgotten(), ["#quiet"], "the late topic too");
    assert_eq!(rooms.name_for("#QUIET").display, "#QUIET", "a new room");
    let bare = rooms.name_for("#bare");
    rooms.add_member(&bare, "alice".into(), 1);
    rooms.remove_member("#bare", "alice");
    assert!(rooms.get("#bare").is_none());
    assert!(
        rooms.take_forgotten().is_empty(),
        "no topic: nothing to forget"
    );

    let busy = rooms.name_for("#busy");
    rooms.add_member(&busy, "alice".into(), 1);
    for id in 1..=3 {
        rooms.record(&message(id, &busy));
    }
    rooms.remove_member("#busy", "alice");
    let room = rooms.get("#busy").expect("kept: it has messages");
    let ids: Vec<u64> = room.recent(10).iter().map(|m| m.id).collect();
    assert_eq!(ids, [2, 3], "at most the capacity, newest kept");
    assert!(rooms.listing().is_empty(), "no members, not listed");
}

/// A durable server's memory holds rooms in use: a room's messages are
/// the store's once its last member has left, and a message stored for
/// a room nobody here is in (a sender that left, another node's) does
/// not bring it back.
#[test]
fn a_room_without_members_is_not_held_even_with_messages() {
    let mut rooms = Rooms::new(10);
    let busy = rooms.name_for("#busy");
    rooms.add_member(&busy, "alice".into(), 1);
    for id in 1..=3 {
        rooms.record(&message(id, &busy));
    }
    rooms.remove_member("#busy", "alice");
    assert!(rooms.get("#busy").is_none(), "its messages are the store's");
    assert!(rooms.take_forgotten().is_empty(), "its row stays stored");
    assert!(rooms.record(&message(4, &busy)).is_none());
    assert!(
        rooms.get("#busy").is_none(),
        "not brought back by a message"
    );
}

#[test]
fn a_room_read_back_from_the_store_is_as_stored_unless_memory_knows_better() {
    let mut rooms = Rooms::new(2);
    assert!(rooms.needs_reading("#busy"));
    let stored = |topic_text: &str| StoredRoom {
        name: RoomName::new("#Busy"),
        topic: Some(topic(topic_text)),
        recent: (1..=3)
            .map(|id| message(id, &RoomName::new("#Busy")))
            .collect(),
        first: None,
    };
    let name = rooms.restore("#BUSY", Some(stored("stored")));
    assert_eq!(name.display, "#Busy", "as created");
    assert!(!rooms.needs_reading("#busy"));
    let room = rooms.get("#busy").unwrap();
    let ids: Vec<u64> = room.recent(10).iter().map(|m| m.id).collect();
    assert_eq!(ids, [2, 3], "at most the capacity");
    rooms.add_member(&name, "alice".into(), 1);
    rooms.restore("#busy", Some(stored("older")));
    let room = rooms.get("#busy").unwrap();
    assert_eq!(room.topic.as_ref().unwrap().text, "stored", "memory wins");
    assert_eq!(room.member_count(), 1);

    // A topic whose room was forgotten, before the store forgets it.
    let quiet = rooms.restore("#quiet", None);
    rooms.add_member(&quiet, "alice".into(), 1);
    rooms.set_topic(&quiet, topic("going"));
    rooms.remove_member("#quiet", "alice");
    let stale = StoredRoom {
        name: quiet.clone(),
        topic: Some(topic("going")),
        recent: Vec::new(),
        first: None,
    };
    assert_eq!(rooms.restore("#QUIET", Some(stale)).display, "#QUIET");
    assert_eq!(rooms.get("#quiet").unwrap().topic, None);
    rooms.forget_if_unused("#quiet");
    assert!(rooms.get("#quiet").is_none(), "a join that failed");
}

#[test]
fn members_are_sorted_without_regard_to_case_and_listing_by_key() {
    let mut rooms = Rooms::new(10);
    let lobby = rooms.make_default(&RoomName::new("#lobby"));
    rooms.count_member(&lobby.key, true);
    let b = rooms.name_for("#B");
    let a = rooms.name_for("#a");
    rooms.add_member(&b, "zed".into(), 3);
    rooms.add_member(&b, "amy".into(), 2);
    rooms.add_member(&a, "bob".into(), 1);
    let members: Vec<ClientId> = rooms.get("#b").unwrap().members().collect();
    assert_eq!(members, [2, 3]);
    let listed: Vec<&str> = rooms
        .listing()
        .iter()
        .map(|room| room.name.display.as_str())
        .collect();
    assert_eq!(listed, ["#a", "#B", "#lobby"]);
    assert_eq!(rooms.get("#lobby").unwrap().member_count(), 1);
    rooms.count_member(&lobby.key, false);
    assert_eq!(rooms.listing().len(), 2);
    rooms.clear_members();
    assert!(rooms.get("#a").is_none());
    assert!(rooms.get("#lobby").is_some(), "the default room is kept");
}
