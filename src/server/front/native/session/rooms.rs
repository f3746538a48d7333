//! The session's room commands (protocol version 2): `/join`, `/part`,
//! `/say`, `/topic`, `/rooms`, `/who <room>` and `/history`. Each checks its
//! room argument, asks the registry (or, for what must be stored, the
//! sequencer), and answers through the client's own queue.

use std::sync::Arc;

use chrono::Utc;

use super::super::replies::{push_history_run, rooms_listing};
use super::{ClientSession, State};
use crate::hub::message::{Audience, RoomRef, StoredMessage, Topic, TopicChange};
use crate::hub::registry::{InStore, JoinError, PartError, RoomCap, RoomView};
use crate::hub::sequencer::{self, JoinAsked, Request};
use crate::protocol::server_line::push_users_run;
use crate::protocol::{Command, ErrorCode, ServerLine, validate_room};

impl ClientSession {
    /// Every room command; `handle_registered` sends the rest here.
    #[inline(never)]
    pub(super) fn handle_room_command(&mut self, command: Command) {
        match command {
            Command::Join(room) => self.join(room),
            Command::Part { room, reason } => self.part(room, reason.unwrap_or_default()),
            Command::Say { room, text } => {
                if let Some(room) = self.room_of_mine(room) {
                    self.post(Audience::Room(room), text);
                }
            }
            Command::Topic { room, text } => self.topic(room, text),
            Command::Rooms => {
                // A topic or message this client just sent shows in the listing.
                self.wait_for_posts();
                let listing = self.shared.locked(|registry| registry.listing());
                self.send(rooms_listing(&listing));
            }
            Command::WhoIn(room) => {
                if !self.valid_room(room) {
                    return;
                }
                let view = self.shared.locked(|registry| registry.who_in(room));
                let mut out = String::new();
                let names = view.answer.iter().map(String::as_str);
                push_users_run(&mut out, names, Some(&view.room));
                self.send(out);
            }
            Command::History(count) => match self.current_room() {
                Some(room) => self.history(&room.display, count),
                None => self.no_room(),
            },
            Command::HistoryOf { room, count } => {
                if self.valid_room(room) {
                    self.history(room, count);
                }
            }
            other => log::error!("not a room command: {other:?}"),
        }
    }

    /// The current room, if any.
    pub(super) fn current_room(&self) -> Option<RoomRef> {
        match &self.state {
            State::Registered { current, .. } => current.clone(),
            State::Unregistered { .. } => None,
        }
    }

    pub(super) fn no_room(&self) {
        self.error(
            ErrorCode::NoRoom,
            "You are in no room, so that has nowhere to go. /join #lobby (or any #room) first; /rooms lists them.",
        );
    }

    /// Puts an account back in exactly the rooms it was in when it last
    /// left: out of the default room if it had left it, into the others
    /// even above a cap lowered since. Not inlined: it runs right after
    /// registration, the deepest point of the thread's stack.
    #[inline(never)]
    pub(super) fn rejoin_remembered_rooms(&mut self) {
        let id = self.id;
        let comeback = self.shared.locked(|registry| registry.comeback(id));
        if comeback.rooms.is_empty() && comeback.leave_default.is_none() {
            return;
        }
        if let Some(default) = &comeback.leave_default {
            self.leave(Some(&default.display), "");
        }
        for room in comeback.rooms {
            self.enter(&room.display, RoomCap::Waived);
        }
        self.remember_rooms();
    }

    fn join(&mut self, room: &str) {
        if self.enter(room, RoomCap::Applies) {
            self.remember_rooms();
        }
    }

    /// Joins `room`, or says why not. Returns whether the client is in it.
    fn enter(&mut self, room: &str, cap: RoomCap) -> bool {
        if !self.valid_room(room) {
            return false;
        }
        let id = self.id;
        // The client's own messages sent before this line come before it.
        self.wait_for_posts();
        let mut joined = self
            .shared
            .locked(|registry| registry.join(id, room, Utc::now(), cap));
        if joined == Err(JoinError::InStore) {
            // Read by the sequencer, between two of its deliveries.
            let asked = JoinAsked {
                id,
                room: room.to_owned(),
                ts: Utc::now(),
                cap,
            };
            joined = sequencer::join_from_store(&self.posts, asked);
        }
        self.shared.members_changed(&self.posts);
        match joined {
            Ok(room) => {
                self.set_current(Some(room));
                return true;
            }
            Err(JoinError::TooManyRooms) => {
                let max = self.shared.config.max_rooms;
                self.error(
                    ErrorCode::TooManyRooms,
                    format!(
                        "You are in {max} rooms, as many as this server allows. /part one first."
                    ),
                );
            }
            Err(JoinError::NotStored) => self.not_read(room),
            Err(JoinError::Closed | JoinError::InStore) => {}
        }
        false
    }

    /// Says that `room` could not be read from the store.
    fn not_read(&self, room: &str) {
        self.error(
            ErrorCode::Other("not-stored".into()),
            format!("The server could not read {room}'s history. Try again in a moment."),
        );
    }

    /// The room called `room` (any case) as the store has it, with its
    /// newest `count` messages and its topic, for a room not in memory;
    /// `None` (and the client told) if it could not be read.
    fn stored_view(&self, room: &str, count: usize) -> Option<RoomView<StoredParts>> {
        match sequencer::peek_store(&self.posts, room, count) {
            Ok(Some(stored)) => Some(RoomView {
                room: stored.name.display.clone(),
                answer: (stored.topic, stored.recent),
            }),
            Ok(None) => Some(RoomView {
                room: room.to_owned(),
                answer: (None, Vec::new()),
            }),
            Err(()) => {
                self.not_read(room);
                None
            }
        }
    }

    fn part(&mut self, room: Option<&str>, reason: &str) {
        if self.leave(room, reason) {
            self.remember_rooms();
        }
    }

    /// Leaves `room` (the current room if `None`), or says why not. Returns
    /// whether it left.
    fn leave(&mut self, room: Option<&str>, reason: &str) -> bool {
        if room.is_some_and(|room| !self.valid_room(room)) {
            return false;
        }
        let id = self.id;
        self.wait_for_posts();
        let parted = self
            .shared
            .locked(|registry| registry.part(id, room, reason, Utc::now()));
        self.shared.members_changed(&self.posts);
        match parted {
            Ok(current) => {
                self.set_current(current);
                return true;
            }
            Err(PartError::NotInRoom) => self.not_in_room(room.unwrap_or_default()),
            Err(PartError::NoRoom) => self.no_room(),
        }
        false
    }

    fn topic(&mut self, room: &str, text: Option<&str>) {
        let Some(text) = text else {
            if !self.valid_room(room) {
                return;
            }
            // A topic this client just set comes before the answer.
            self.wait_for_posts();
            let view = match self.shared.locked(|registry| registry.topic(room)) {
                Ok(view) => view,
                Err(InStore) => match self.stored_view(room, 0) {
                    Some(view) => RoomView {
                        room: view.room,
                        answer: view.answer.0,
                    },
                    None => return,
                },
            };
            let line = match view.answer {
                Some(topic) => topic_line(view.room, topic),
                None => topic_line(
                    view.room,
                    Topic {
                        ts: Utc::now(),
                        by: "-".into(),
                        text: String::new(),
                    },
                ),
            };
            self.reply(&line);
            return;
        };
        let (Some(room), Some(name)) = (self.room_of_mine(room), self.name()) else {
            return;
        };
        let change = TopicChange {
            sender: self.id,
            room,
            topic: Topic {
                ts: Utc::now(),
                by: name.to_owned(),
                text: text.to_owned(),
            },
        };
        if self.posts.send(Request::Topic(change)).is_ok() {
            self.posts_in_flight.set(true);
        }
    }

    fn history(&self, room: &str, count: usize) {
        // The client's own messages sent before this line belong in it.
        self.wait_for_posts();
        let view = match self.shared.locked(|registry| registry.recent(room, count)) {
            Ok(view) => view,
            Err(InStore) => match self.stored_view(room, count) {
                Some(view) => RoomView {
                    room: view.room,
                    answer: view.answer.1,
                },
                None => return,
            },
        };
        let mut out = String::new();
        push_history_run(&mut out, &view.answer, &view.room);
        self.send(out);
    }

    /// The room called `room` if it is valid and the client is in it;
    /// otherwise says why not and returns `None`.
    fn room_of_mine(&self, room: &str) -> Option<RoomRef> {
        if !self.valid_room(room) {
            return None;
        }
        let id = self.id;
        let mine = self
            .shared
            .locked(|registry| registry.member_room(id, room));
        if mine.is_none() {
            self.not_in_room(room);
        }
        mine
    }

    /// Whether `room` is a valid room name; if not, says why.
    fn valid_room(&self, room: &str) -> bool {
        let Err(error) = validate_room(room) else {
            return true;
        };
        let hint = if room.starts_with('#') {
            String::new()
        } else {
            format!(" Did you mean #{room}?")
        };
        self.error(
            ErrorCode::RoomInvalid,
            format!("{room:?} is not a valid room name: {error}.{hint}"),
        );
        false
    }

    fn not_in_room(&self, room: &str) {
        self.error(
            ErrorCode::NotInRoom,
            format!("You are not in {room}. /join {room} first."),
        );
    }

    fn set_current(&mut self, room: Option<RoomRef>) {
        if let State::Registered { current, .. } = &mut self.state {
            *current = room;
        }
    }

    /// Stores an account's rooms, to give them back when it returns.
    fn remember_rooms(&self) {
        let id = self.id;
        if let Some((key, rooms)) = self.shared.locked(|registry| registry.remember(id)) {
            let _ = self.posts.send(Request::Remember(key, rooms));
        }
    }
}

/// A stored room's topic and newest messages.
type StoredParts = (Option<Topic>, Vec<Arc<StoredMessage>>);

fn topic_line(room: String, topic: Topic) -> ServerLine {
    ServerLine::Topic {
        ts: topic.ts,
        name: topic.by,
        room,
        text: topic.text,
    }
}
