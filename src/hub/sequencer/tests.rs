use super::*;
use crate::hub::message::{Audience, RoomName, Topic};
use crate::hub::store::StoreError;

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
                Sequenced::Member { node, change } => format!("{node}: {change:?}"),
            });
        }
    }
    fn refuse(&mut self, _senders: &[ClientId]) {}
    fn announce(&mut self) {}
    fn forgotten_rooms(&mut self) -> Vec<String> {
        Vec::new()
    }
    fn join_read(
        &mut self,
        asked: JoinAsked,
        stored: Option<StoredRoom>,
    ) -> Result<RoomRef, JoinError> {
        let ids: Vec<u64> = stored
            .iter()
            .flat_map(|room| &room.recent)
            .map(|m| m.id)
            .collect();
        self.delivered
            .push(format!("{} joins {} read {ids:?}", asked.id, asked.room));
        Ok(RoomName::new(&asked.room))
    }
}

/// A store in memory: every message committed, in order.
#[derive(Default)]
struct Memory {
    messages: Vec<StoredMessage>,
}

impl MessageStore for Memory {
    fn describe(&self) -> String {
        "memory".into()
    }
    fn load(&mut self, _: &str, _: usize) -> Result<super::super::store::Loaded, StoreError> {
        Ok(Default::default())
    }
    fn room(&mut self, key: &str, recent: usize) -> Result<Option<StoredRoom>, StoreError> {
        let mine = (self.messages.iter()).filter(|m| m.room().is_some_and(|room| room.key == key));
        let all: Vec<_> = mine.cloned().map(std::sync::Arc::new).collect();
        let skip = all.len().saturating_sub(recent);
        Ok((!all.is_empty()).then(|| StoredRoom {
            name: RoomName::new(key),
            topic: None,
            recent: all.into_iter().skip(skip).collect(),
            first: None,
        }))
    }
    fn commit(&mut self, batch: &Batch<'_>) -> Result<Committed, StoreError> {
        self.messages.extend(batch.messages.iter().cloned());
        Ok(Committed::default())
    }
}

fn post(sender: ClientId, text: &str) -> Request {
    Request::Post(Post {
        sender,
        from: "alice".into(),
        audience: Audience::Room(RoomName::new("#a")),
        kind: crate::hub::message::Kind::Message,
        live_tags: None,
        text: text.into(),
    })
}

/// The read for a join comes after everything taken before it (or with
/// it) is stored and delivered, and before anything after it is: each
/// message is in the read or delivered after it, once.
#[test]
fn a_room_read_for_a_join_sits_between_two_deliveries() {
    let (send, requests) = crossbeam_channel::unbounded();
    let (answer, joined) = crossbeam_channel::bounded(1);
    send.send(post(1, "before")).unwrap();
    let asked = JoinAsked {
        id: 9,
        room: "#a".into(),
        ts: Default::default(),
        cap: RoomCap::Applies,
    };
    send.send(Request::Load(Load::Join { asked, answer }))
        .unwrap();
    send.send(post(1, "with")).unwrap();
    let mut recorder = Recorder::default();
    let sending = std::thread::spawn(move || {
        assert_eq!(joined.recv().unwrap().unwrap().key, "#a");
        send.send(post(1, "after")).unwrap();
    });
    run(SequencerParts {
        requests,
        store: Some(Box::new(Memory::default())),
        fanout: &mut recorder,
        next_id: 1,
        recent: 10,
    });
    sending.join().unwrap();
    assert_eq!(
        recorder.delivered,
        [
            "1 before from 1",
            "2 with from 1",
            "9 joins #a read [1, 2]",
            "3 after from 1"
        ]
    );
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
        recent: 10,
    });
    assert_eq!(
        recorder.delivered,
        ["7 one from 1", "topic t", "8 two from 3"]
    );
}
