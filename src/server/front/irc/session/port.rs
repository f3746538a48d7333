//! [`SessionHub`]: the real hub as one IRC connection sees it
//! ([`IrcHub`]), over the server's hub lock and the sequencer.
//!
//! Questions and membership changes take the hub lock once each; messages
//! and topics go to the sequencer like a native client's, so they are
//! stored and reach every member in the room's one order. Names pass the
//! same checks as native ones (`--allow-user`, accounts, `--require-login`).

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use crossbeam_channel::Sender;
use parking_lot::Mutex;

use crate::hub::message::{Audience, ClientId, Post, Topic, TopicChange};
use crate::hub::registry::{JoinError, RoomCap};
use crate::hub::sequencer::Request;
use crate::protocol::name_key;
use crate::protocol::server_line::Timestamp;
use crate::server::control::Control;
use crate::server::{ServerState, login};

use super::super::member::IrcMember;
use super::super::port::{Counts, IrcHub, JoinRefusal, NameRefusal, RoomSummary, UserSummary};
use super::super::welcome::Settings;
use crate::server::Config;

/// The IRC users' away messages, by name key. Only IRC has them, so the
/// front keeps them; the lock guards only this map.
#[derive(Default)]
pub(crate) struct AwayBook(Mutex<HashMap<String, String>>);

impl AwayBook {
    fn get(&self, name: &str) -> Option<String> {
        self.0.lock().get(&name_key(name)).cloned()
    }

    fn set(&self, name: &str, message: Option<&str>) {
        let mut book = self.0.lock();
        match message {
            Some(message) => book.insert(name_key(name), message.to_owned()),
            None => book.remove(&name_key(name)),
        };
    }
}

/// See the module docs.
pub(crate) struct SessionHub<'a> {
    pub(crate) id: ClientId,
    pub(crate) shared: &'a ServerState,
    pub(crate) control: &'a Control,
    pub(crate) member: &'a IrcMember,
    pub(crate) posts: &'a Sender<Request>,
    pub(crate) away: &'a AwayBook,
    /// The name once registered.
    pub(crate) name: Option<String>,
    /// Posts sent since the last fence (see `session.rs`).
    pub(crate) posted: &'a Cell<bool>,
}

impl SessionHub<'_> {
    fn post(&self, request: Request) {
        if self.posts.send(request).is_ok() {
            self.posted.set(true);
        }
    }

    /// Waits until this connection's posts are stored and queued, so a
    /// membership change that follows them (a `PART` after a message) keeps
    /// the order the client sent them in.
    fn fence(&self) {
        super::fence(self.posts, self.posted);
    }

    fn me(&self) -> &str {
        self.name.as_deref().unwrap_or("*")
    }
}

impl IrcHub for SessionHub<'_> {
    fn name_is_free(&mut self, name: &str) -> bool {
        self.shared.locked(|hub| hub.online_name(name).is_none())
    }

    fn claim_name(&mut self, name: &str) -> Result<(), NameRefusal> {
        let config = &self.shared.config;
        if let Some(allowed) = &config.allow_users
            && !allowed.iter().any(|a| a.eq_ignore_ascii_case(name))
        {
            return Err(NameRefusal::NotAllowed);
        }
        if login::check_name(self.shared, self.control, name, None).is_err() {
            return Err(NameRefusal::NeedsLogin);
        }
        let (id, member) = (self.id, self.member);
        let registered = self.shared.locked(|hub| {
            if hub.online_name(name).is_some() {
                return None;
            }
            // Named before it is registered: deliveries may follow at once.
            member.set_nick(name);
            hub.register_in_no_room(id, name, false).ok()
        });
        let online = registered.ok_or(NameRefusal::Taken)?;
        log::info!(
            "{}: joined over IRC as {name} ({online} online)",
            self.control.peer
        );
        self.name = Some(name.to_owned());
        Ok(())
    }

    fn join(&mut self, room: &str) -> Result<bool, JoinRefusal> {
        self.fence();
        let id = self.id;
        self.shared.locked(|hub| {
            if hub.member_room(id, room).is_some() {
                return Ok(false);
            }
            match hub.join(id, room, Utc::now(), RoomCap::Applies) {
                Ok(_) => Ok(true),
                Err(JoinError::TooManyRooms) => Err(JoinRefusal::TooManyRooms),
                Err(JoinError::Closed) => Ok(false),
            }
        })
    }

    fn part(&mut self, room: &str, reason: &str) -> bool {
        self.fence();
        let id = self.id;
        self.shared
            .locked(|hub| hub.part(id, Some(room), reason, Utc::now()).is_ok())
    }

    fn my_rooms(&mut self) -> Vec<String> {
        let me = self.me().to_owned();
        let user = self.shared.locked(|hub| hub.user(&me));
        user.map(|user| user.rooms).unwrap_or_default()
    }

    fn say(&mut self, room: &str, text: &str) -> bool {
        let id = self.id;
        let Some(room) = self.shared.locked(|hub| hub.member_room(id, room)) else {
            return false;
        };
        self.post(Request::Post(Post {
            sender: id,
            from: self.me().to_owned(),
            audience: Audience::Room(room),
            text: text.to_owned(),
        }));
        true
    }

    fn tell(&mut self, name: &str, text: &str) -> bool {
        let Some(to) = self.shared.locked(|hub| hub.online_name(name)) else {
            return false;
        };
        self.post(Request::Post(Post {
            sender: self.id,
            from: self.me().to_owned(),
            audience: Audience::Private(to),
            text: text.to_owned(),
        }));
        true
    }

    fn topic(&mut self, room: &str) -> Option<Option<Topic>> {
        let (members, topic) = self
            .shared
            .locked(|hub| (hub.who_in(room).answer.len(), hub.topic(room).answer));
        (members > 0).then_some(topic)
    }

    fn set_topic(&mut self, room: &str, text: &str, now: Timestamp) -> bool {
        let id = self.id;
        let Some(room) = self.shared.locked(|hub| hub.member_room(id, room)) else {
            return false;
        };
        let topic = Topic {
            ts: now,
            by: self.me().to_owned(),
            text: text.to_owned(),
        };
        self.post(Request::Topic(TopicChange {
            sender: id,
            room,
            topic,
        }));
        true
    }

    fn members(&mut self, room: &str) -> Option<Vec<String>> {
        let members = self.shared.locked(|hub| hub.who_in(room).answer);
        (!members.is_empty()).then_some(members)
    }

    fn rooms(&mut self) -> Vec<RoomSummary> {
        let listed = self.shared.locked(|hub| hub.listing());
        listed
            .into_iter()
            .filter(|room| room.members > 0)
            .map(|room| RoomSummary {
                name: room.room.display.clone(),
                members: room.members,
                topic: room.topic.map(|topic| topic.text).unwrap_or_default(),
            })
            .collect()
    }

    fn user(&mut self, name: &str) -> Option<UserSummary> {
        let user = self.shared.locked(|hub| hub.user(name))?;
        Some(UserSummary {
            away: self.away.get(&user.name),
            name: user.name,
            rooms: user.rooms,
        })
    }

    fn set_away(&mut self, message: Option<&str>) {
        let me = self.me().to_owned();
        self.away.set(&me, message);
    }

    fn counts(&mut self) -> Counts {
        let population = self.shared.locked(|hub| hub.population());
        Counts {
            users: population.registered,
            rooms: population.rooms,
            unregistered: population.unregistered,
        }
    }
}

/// Forgets a leaving user's away message.
pub(crate) fn forget_away(away: &AwayBook, name: &str) {
    away.set(name, None);
}

/// The shared state of the IRC front: what it says about the server, and
/// the away messages.
pub(crate) struct IrcShared {
    pub(crate) settings: Arc<Settings>,
    pub(crate) away: AwayBook,
}

impl IrcShared {
    /// The IRC front of a server configured with `config`.
    pub(crate) fn new(config: &Config) -> IrcShared {
        let settings = Settings {
            max_rooms: config.max_rooms.max(1),
            created: Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ..Settings::default()
        };
        IrcShared {
            settings: Arc::new(settings),
            away: AwayBook::default(),
        }
    }
}
