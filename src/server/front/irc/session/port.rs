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
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use crossbeam_channel::Sender;
use parking_lot::Mutex;

use crate::hub::message::{Audience, ClientId, Post, Relay, StoredMessage, Topic, TopicChange};
use crate::hub::registry::{JoinError, RoomCap};
use crate::hub::sequencer::{self, JoinAsked, Request};
use crate::hub::store::postgres::presence::ClaimError;
use crate::protocol::server_line::Timestamp;
use crate::protocol::{ErrorCode, MAX_HISTORY_REQUEST};
use crate::protocol::{name_key, validate_name};
use crate::server::across_nodes::{self, Recipient};
use crate::server::control::Control;
use crate::server::{ServerState, login};

use super::super::member::IrcMember;
use super::super::port::{
    Counts, IrcHub, JoinRefusal, LoginRefusal, NameRefusal, Relayed, RoomSummary, Sending,
    UserSummary,
};
use super::super::welcome::Settings;
use crate::server::ServerOptions;

/// What IRC says about its users and the hub does not know: the user name
/// and real name `USER` gave, and away messages. By name key; the lock
/// guards only this map and is never held over anything else.
#[derive(Default)]
pub(crate) struct UserBook(Mutex<HashMap<String, IrcUser>>);

/// One IRC user's entry in the [`UserBook`].
#[derive(Debug, Clone, Default)]
struct IrcUser {
    user: String,
    realname: String,
    away: Option<String>,
}

impl UserBook {
    fn get(&self, name: &str) -> Option<IrcUser> {
        self.0.lock().get(&name_key(name)).cloned()
    }

    fn add(&self, name: &str, user: &str, realname: &str) {
        let entry = IrcUser {
            user: user.to_owned(),
            realname: realname.to_owned(),
            away: None,
        };
        self.0.lock().insert(name_key(name), entry);
    }

    fn set_away(&self, name: &str, message: Option<&str>) {
        if let Some(entry) = self.0.lock().get_mut(&name_key(name)) {
            entry.away = message.map(str::to_owned);
        }
    }

    /// The away message of the IRC user `name`, if it is away.
    pub(crate) fn away(&self, name: &str) -> Option<String> {
        self.get(name)?.away
    }

    /// Forgets a user that left.
    pub(crate) fn remove(&self, name: &str) {
        self.0.lock().remove(&name_key(name));
    }
}

/// See the module docs.
pub(crate) struct SessionHub<'a> {
    pub(crate) id: ClientId,
    pub(crate) shared: &'a ServerState,
    pub(crate) control: &'a Control,
    pub(crate) member: &'a IrcMember,
    pub(crate) posts: &'a Sender<Request>,
    pub(crate) users: &'a UserBook,
    /// The name once registered.
    pub(crate) name: Option<String>,
    /// The account SASL logged in as, until it registers.
    pub(crate) account: Option<String>,
    /// Whether the connection is TLS (a password may come from anywhere).
    pub(crate) encrypted: bool,
    /// See [`IrcShared::max_users`].
    pub(crate) max_users: &'a AtomicUsize,
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

    fn claim_name(&mut self, name: &str, user: &str, realname: &str) -> Result<(), NameRefusal> {
        let config = &self.shared.config;
        if let Some(allowed) = &config.allow_users
            && !allowed.iter().any(|a| a.eq_ignore_ascii_case(name))
        {
            return Err(NameRefusal::NotAllowed);
        }
        let account = self
            .account
            .as_deref()
            .is_some_and(|account| name_key(account) == name_key(name));
        if !account && let Err((code, _)) = login::check_name(self.shared, self.control, name, None)
        {
            return Err(match code {
                ErrorCode::Other(code) if code == login::ACCOUNTS_UNCHECKED => {
                    NameRefusal::Unchecked
                }
                _ => NameRefusal::NeedsLogin,
            });
        }
        across_nodes::claim(self.shared, name).map_err(|error| match error {
            ClaimError::Taken => NameRefusal::Taken,
            ClaimError::Unreachable(_) | ClaimError::Reconnecting => {
                log::warn!(
                    "{}: could not check {name} across nodes: {error}",
                    self.control.peer
                );
                NameRefusal::Unchecked
            }
        })?;
        let (id, member) = (self.id, self.member);
        let registered = self.shared.locked(|hub| {
            if hub.online_name(name).is_some() {
                return None;
            }
            // Named before it is registered: deliveries may follow at once.
            member.set_nick(name);
            hub.register_in_no_room(id, name, account).ok()
        });
        let Some(online) = registered else {
            across_nodes::release(self.shared, name);
            return Err(NameRefusal::Taken);
        };
        self.shared.members_changed(self.posts);
        self.users.add(name, user, realname);
        self.max_users.fetch_max(online, Ordering::Relaxed);
        log::info!(
            "{}: joined over IRC as {name} ({online} online)",
            self.control.peer
        );
        self.name = Some(name.to_owned());
        Ok(())
    }

    fn log_in(&mut self, account: &str, password: &str) -> Result<String, LoginRefusal> {
        if login::is_insecure(self.encrypted, self.control.peer) {
            log::warn!(
                "{}: refused a password sent in clear from another host",
                self.control.peer
            );
            return Err(LoginRefusal::Insecure);
        }
        if validate_name(account).is_err() {
            return Err(LoginRefusal::Failed);
        }
        login::check_name(self.shared, self.control, account, Some(password))
            .map_err(|_| LoginRefusal::Failed)?;
        self.account = Some(account.to_owned());
        Ok(account.to_owned())
    }

    fn join(&mut self, room: &str) -> Result<bool, JoinRefusal> {
        self.fence();
        let id = self.id;
        let mut joined = self.shared.locked(|hub| {
            if hub.member_room(id, room).is_some() {
                return Err(JoinError::Closed);
            }
            hub.join(id, room, Utc::now(), RoomCap::Applies)
        });
        if joined == Err(JoinError::InStore) {
            // Read by the sequencer, between two of its deliveries.
            let asked = JoinAsked {
                id,
                room: room.to_owned(),
                ts: Utc::now(),
                cap: RoomCap::Applies,
            };
            joined = sequencer::join_from_store(self.posts, asked);
        }
        self.shared.members_changed(self.posts);
        match joined {
            Ok(_) => Ok(true),
            Err(JoinError::TooManyRooms) => Err(JoinRefusal::TooManyRooms),
            Err(JoinError::NotStored) => Err(JoinRefusal::Unavailable),
            Err(JoinError::Closed | JoinError::InStore) => Ok(false),
        }
    }

    fn part(&mut self, room: &str, reason: &str) -> bool {
        self.fence();
        let id = self.id;
        let parted = self
            .shared
            .locked(|hub| hub.part(id, Some(room), reason, Utc::now()).is_ok());
        self.shared.members_changed(self.posts);
        parted
    }

    fn my_rooms(&mut self) -> Vec<String> {
        let me = self.me().to_owned();
        let user = self.shared.locked(|hub| hub.user(&me));
        user.map(|user| user.rooms).unwrap_or_default()
    }

    fn say(&mut self, room: &str, message: &Sending<'_>) -> bool {
        let id = self.id;
        let Some(room) = self.shared.locked(|hub| hub.member_room(id, room)) else {
            return false;
        };
        self.post(Request::Post(Post {
            sender: id,
            from: self.me().to_owned(),
            audience: Audience::Room(room),
            kind: message.kind,
            text: message.text.unwrap_or_default().to_owned(),
            live_tags: message.tags.map(Arc::from),
        }));
        true
    }

    fn tell(&mut self, name: &str, message: &Sending<'_>) -> bool {
        let to = match across_nodes::find_recipient(self.shared, name) {
            Recipient::Online(to) => to,
            Recipient::Nowhere => return false,
            Recipient::Unknown(_) => {
                // Told as a message that could not be stored, after what
                // this connection sent before it.
                self.fence();
                let id = self.id;
                self.shared.locked(|hub| hub.refuse(&[id]));
                return true;
            }
        };
        self.post(Request::Post(Post {
            sender: self.id,
            from: self.me().to_owned(),
            audience: Audience::Private(to),
            kind: message.kind,
            text: message.text.unwrap_or_default().to_owned(),
            live_tags: message.tags.map(Arc::from),
        }));
        true
    }

    fn relay(&mut self, target: &str, message: &Sending<'_>) -> Relayed {
        // After this connection's posts, as the client sent them.
        self.fence();
        let id = self.id;
        let audience = if target.starts_with('#') {
            match self.shared.locked(|hub| hub.member_room(id, target)) {
                Some(room) => Audience::Room(room),
                None => return Relayed::NotInRoom,
            }
        } else {
            match self.shared.locked(|hub| hub.online_name(target)) {
                Some(name) => Audience::Private(name),
                None => return Relayed::NoSuchUser,
            }
        };
        let relay = Relay {
            sender: id,
            from: self.me().to_owned(),
            audience,
            number: 0,
            ts: Utc::now(),
            kind: message.kind,
            text: message.text.map(str::to_owned),
            tags: message.tags.map(Arc::from),
        };
        self.shared.locked(|hub| hub.relay(relay))
    }

    fn topic(&mut self, room: &str) -> Option<Option<Topic>> {
        let (members, topic) = self
            .shared
            .locked(|hub| (hub.who_in(room).answer.len(), hub.topic(room)));
        // A room with members is in memory.
        let topic = topic.ok().and_then(|view| view.answer);
        (members > 0).then_some(topic)
    }

    fn created(&mut self, room: &str) -> Option<Timestamp> {
        self.shared.locked(|hub| hub.since(room))
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
        let found = self.shared.locked(|hub| hub.user(name))?;
        // A native user has no entry: its name stands for both.
        let irc = self.users.get(&found.name).unwrap_or_else(|| IrcUser {
            user: found.name.clone(),
            realname: found.name.clone(),
            away: None,
        });
        Some(UserSummary {
            away: irc.away,
            user: irc.user,
            realname: irc.realname,
            name: found.name,
            rooms: found.rooms,
        })
    }

    fn history(&mut self, room: &str) -> Option<Vec<Arc<StoredMessage>>> {
        let id = self.id;
        self.shared.locked(|hub| {
            hub.member_room(id, room)?;
            // A member's room is in memory.
            Some(hub.recent(room, MAX_HISTORY_REQUEST).ok()?.answer)
        })
    }

    fn online(&mut self) -> Vec<String> {
        self.shared.locked(|hub| hub.names())
    }

    fn room_display(&mut self, room: &str) -> String {
        self.shared.locked(|hub| hub.who_in(room).room)
    }

    fn set_away(&mut self, message: Option<&str>) {
        let me = self.me().to_owned();
        self.users.set_away(&me, message);
    }

    fn counts(&mut self) -> Counts {
        let population = self.shared.locked(|hub| hub.population());
        let users = population.registered;
        let max = self
            .max_users
            .fetch_max(users, Ordering::Relaxed)
            .max(users);
        Counts {
            users,
            max_users: max,
            rooms: population.rooms,
            unregistered: population.unregistered,
        }
    }
}

/// The shared state of the IRC front: what it says about the server, and
/// the away messages.
pub(crate) struct IrcShared {
    pub(crate) settings: Arc<Settings>,
    pub(crate) users: UserBook,
    /// The most users seen online at once (for `LUSERS`), as far as IRC
    /// connections have looked.
    pub(crate) max_users: AtomicUsize,
}

impl IrcShared {
    /// The IRC front of a server configured with `config`.
    pub(crate) fn new(config: &ServerOptions) -> IrcShared {
        let settings = Settings {
            server_name: config.server_name.clone(),
            max_rooms: config.max_rooms.max(1),
            created: Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ..Settings::default()
        };
        IrcShared {
            settings: Arc::new(settings),
            users: UserBook::default(),
            max_users: AtomicUsize::new(0),
        }
    }
}
