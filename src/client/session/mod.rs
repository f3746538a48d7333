//! What the client remembers about its rooms, and what each server line means
//! for the user.
//!
//! [`Session::handle`] takes one [`ServerLine`] and gives the [`Shown`]s to
//! show, each with its room (version 2; a version-1 server names none) and
//! what it changes in the list of rooms. It keeps the online names and the
//! rooms (for tab completion), gathers a run of `USERS` lines into one line,
//! and, through [`catch_up`], the newest message id seen in each room so that
//! after a reconnect it can show exactly what was missed:
//! [`Session::reconnected`] gives the lines to send (rejoin each room, ask for
//! its history), and the replayed messages older than what this client
//! already saw are left out.
//!
//! Invariants: ids are compared only within one room (version 2 orders each
//! room on its own); the room the server puts a new client in is learnt from
//! the first `-END` line naming a room, and a reconnect never changes the
//! room shown.
//!
//! Sans-IO: it never touches a socket, a terminal or the clock.

mod catch_up;

use super::render::{Replay, View, count as counted};
use super::rooms::{RoomChange, Shown};
use crate::protocol::server_line::Timestamp;
use crate::protocol::{MAX_HISTORY_REQUEST, ServerLine, name_key};
use catch_up::CatchUp;

/// The client's view of the server. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct Session {
    me: String,
    online: Vec<String>,
    users_run: Vec<String>,
    /// The rooms this user is in, in the order joined.
    rooms: Vec<String>,
    /// Rooms seen in a `/rooms` listing, for completion.
    listed: Vec<String>,
    /// Whether the room the server puts us in on registering is still to
    /// be learnt.
    landing_pending: bool,
    /// That room, once learnt.
    landing: Option<String>,
    /// What was missed while away, room by room.
    catch_up: CatchUp,
}

impl Session {
    /// A session of the user `me` that has seen nothing yet.
    pub fn new(me: &str) -> Session {
        Session {
            me: me.to_owned(),
            landing_pending: true,
            ..Session::default()
        }
    }

    /// The names online, as last told by the server.
    pub fn online(&self) -> &[String] {
        &self.online
    }

    /// What Tab completes to: the names online, then the rooms joined and
    /// listed.
    pub fn completions(&self) -> Vec<String> {
        let mut all = self.online.clone();
        for room in self.rooms.iter().chain(&self.listed) {
            if !all.iter().any(|r| name_key(r) == name_key(room)) {
                all.push(room.clone());
            }
        }
        all
    }

    /// The rooms this user is in, in the order joined.
    pub fn rooms(&self) -> &[String] {
        &self.rooms
    }

    /// Whether a replay after a reconnect is still coming.
    pub fn catching_up(&self) -> bool {
        self.catch_up.active()
    }

    /// Call once registered again after a lost connection; send the lines it
    /// returns, in order: each room joined again and its history asked for
    /// (a version-1 server: the history). The replays that follow show only
    /// the messages missed.
    pub fn reconnected(&mut self) -> Vec<String> {
        self.users_run.clear();
        self.landing_pending = true;
        let mut lines = Vec::new();
        if let Some(landing) = self.landing.clone()
            && !self.is_member(&landing)
        {
            self.catch_up.hide(&landing);
            lines.push(format!("/part {landing}"));
        }
        if self.rooms.is_empty() && self.landing.is_none() {
            self.catch_up.start(None);
            return vec![format!("/history {MAX_HISTORY_REQUEST}")];
        }
        for room in self.rooms.clone() {
            self.catch_up.start(Some(&room));
            lines.push(format!("/join {room}"));
            lines.push(format!("/history {room} {MAX_HISTORY_REQUEST}"));
        }
        lines
    }

    fn is_member(&self, room: &str) -> bool {
        self.rooms.iter().any(|r| name_key(r) == name_key(room))
    }

    /// What `line` means for the user: zero, one or more things to show.
    pub fn handle(&mut self, line: &ServerLine) -> Vec<Shown> {
        match line {
            ServerLine::Welcome { online, text, .. } => {
                vec![Shown::plain(View::Notice(format!(
                    "{text} ({online} online)"
                )))]
            }
            ServerLine::Users { names } => {
                self.users_run.extend(names.iter().cloned());
                Vec::new()
            }
            ServerLine::UsersEnd { count, room } => self.users_end(*count, room.as_deref()),
            ServerLine::Msg {
                id,
                ts,
                from,
                text,
                room,
            } => self.msg(*id, message(ts, from, text, Replay::Live), room.as_deref()),
            ServerLine::Priv {
                id,
                ts,
                from,
                to,
                text,
            } => {
                self.catch_up.saw(None, *id);
                let (from, to, text) = (from.clone(), to.clone(), text.clone());
                vec![Shown::plain(View::Private {
                    ts: *ts,
                    from,
                    to,
                    text,
                })]
            }
            ServerLine::History {
                id,
                ts,
                from,
                text,
                room,
            } => self.history(*id, ts, from, text, room.as_deref()),
            ServerLine::HistoryEnd { count, room } => self.history_end(*count, room.as_deref()),
            ServerLine::Join { ts, name, room } => {
                self.add_online(name);
                let view = View::Join {
                    ts: *ts,
                    name: name.clone(),
                };
                self.in_room(view, room.as_deref())
            }
            ServerLine::Leave { ts, name, reason } => {
                self.online.retain(|n| name_key(n) != name_key(name));
                let (name, reason) = (name.clone(), reason.clone());
                vec![Shown::plain(View::Leave {
                    ts: *ts,
                    name,
                    reason,
                })]
            }
            ServerLine::Info { text } => vec![Shown::plain(View::Notice(text.clone()))],
            ServerLine::Error { code, text } => {
                let error = View::Error(format!("{}: {text}", code.as_str()));
                vec![Shown::plain(error)]
            }
            ServerLine::Pong { token } => vec![notice(format!("pong {token}"))],
            ServerLine::Bye { reason } => vec![notice(format!("bye: {reason}"))],
            ServerLine::Joined { .. }
            | ServerLine::Part { .. }
            | ServerLine::Topic { .. }
            | ServerLine::Room { .. }
            | ServerLine::RoomsEnd { .. } => self.room_line(line),
            ServerLine::Hello { .. } | ServerLine::Unknown { .. } => Vec::new(),
        }
    }

    /// A live message of `room`; a room not known yet is listed.
    fn msg(&mut self, id: u64, view: View, room: Option<&str>) -> Vec<Shown> {
        if self.catch_up.is_hiding(room) {
            return Vec::new();
        }
        self.catch_up.saw(room, id);
        self.catch_up.saw_live(room, id);
        let mut shown = Shown::in_room(view, room);
        if let Some(room) = room
            && !self.is_member(room)
        {
            self.rooms.push(room.to_owned());
            shown.change = Some(RoomChange::Listed(room.to_owned()));
        }
        vec![shown]
    }

    /// The lines version 2 added: `JOINED`, `PART`, `TOPIC`, `ROOM`,
    /// `ROOMS-END`.
    fn room_line(&mut self, line: &ServerLine) -> Vec<Shown> {
        match line {
            ServerLine::Joined {
                room,
                members,
                topic,
            } => self.joined(room, *members, topic),
            ServerLine::Part {
                ts,
                name,
                room,
                reason,
            } => self.part(ts, name, room, reason),
            ServerLine::Topic {
                ts,
                name,
                room,
                text,
            } => {
                let (ts, name, text) = (*ts, name.clone(), text.clone());
                self.in_room(View::Topic { ts, name, text }, Some(room))
            }
            ServerLine::Room {
                room,
                members,
                topic,
            } => {
                if !self.listed.iter().any(|r| name_key(r) == name_key(room)) {
                    self.listed.push(room.clone());
                }
                let members = counted(*members, "member");
                let listed = format!("{room} ({members}) {topic}");
                vec![notice(listed.trim_end().to_owned())]
            }
            ServerLine::RoomsEnd { count } => vec![notice(counted(*count, "room"))],
            _ => Vec::new(),
        }
    }

    /// One line of `room`, unless the room is hidden now.
    fn in_room(&self, view: View, room: Option<&str>) -> Vec<Shown> {
        if self.catch_up.is_quiet(room) {
            return Vec::new();
        }
        vec![Shown::in_room(view, room)]
    }

    fn users_end(&mut self, count: u64, room: Option<&str>) -> Vec<Shown> {
        let names = std::mem::take(&mut self.users_run);
        let listed = names.join(" ");
        match room {
            None => self.online = names,
            Some(_) => names.iter().for_each(|name| self.add_online(name)),
        }
        let change = self.landed(room);
        let mut shown = self.in_room(View::Notice(format!("online ({count}): {listed}")), room);
        if let Some(first) = shown.first_mut() {
            first.change = change;
        }
        shown
    }

    /// The first `-END` line naming a room after registering names the room
    /// the server put us in: on the first connection, it is entered.
    fn landed(&mut self, room: Option<&str>) -> Option<RoomChange> {
        let room = room.filter(|_| self.landing_pending)?;
        self.landing_pending = false;
        self.landing.get_or_insert_with(|| room.to_owned());
        if self.is_member(room) || self.catch_up.is_catching_up(Some(room)) {
            return None;
        }
        self.rooms.push(room.to_owned());
        Some(RoomChange::Entered(room.to_owned()))
    }

    fn joined(&mut self, room: &str, members: u64, topic: &str) -> Vec<Shown> {
        self.landing_pending = false;
        if self.catch_up.is_catching_up(Some(room)) {
            return Vec::new(); // joined again after a reconnect
        }
        if !self.is_member(room) {
            self.rooms.push(room.to_owned());
        }
        let members = counted(members, "member");
        let topic = match topic {
            "" => "no topic".to_owned(),
            topic => format!("topic: {topic}"),
        };
        vec![Shown {
            view: View::Notice(format!("now in {room} ({members}), {topic}")),
            room: Some(room.to_owned()),
            change: Some(RoomChange::Entered(room.to_owned())),
        }]
    }

    fn part(&mut self, ts: &Timestamp, name: &str, room: &str, reason: &str) -> Vec<Shown> {
        let view = View::Part {
            ts: *ts,
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        if name_key(name) != name_key(&self.me) {
            return self.in_room(view, Some(room));
        }
        if self.catch_up.unhide(room) {
            return Vec::new();
        }
        self.rooms.retain(|r| name_key(r) != name_key(room));
        vec![Shown {
            view,
            room: Some(room.to_owned()),
            change: Some(RoomChange::Left(room.to_owned())),
        }]
    }

    fn history(
        &mut self,
        id: u64,
        ts: &Timestamp,
        from: &str,
        text: &str,
        room: Option<&str>,
    ) -> Vec<Shown> {
        let replay = self.catch_up.history(room, id);
        let shown = replay.map(|replay| Shown::in_room(message(ts, from, text, replay), room));
        shown.into_iter().collect()
    }

    fn history_end(&mut self, count: u64, room: Option<&str>) -> Vec<Shown> {
        let change = self.landed(room);
        let shown = self.catch_up.history_end(room, count);
        let shown = shown.map(|text| Shown {
            view: View::Notice(text),
            room: room.map(str::to_owned),
            change: change.clone(),
        });
        match (shown, change) {
            (Some(shown), _) => vec![shown],
            (None, Some(change)) => vec![Shown {
                view: View::Notice(format!("now in {}", room.unwrap_or_default())),
                room: room.map(str::to_owned),
                change: Some(change),
            }],
            (None, None) => Vec::new(),
        }
    }

    fn add_online(&mut self, name: &str) {
        if !self.online.iter().any(|n| name_key(n) == name_key(name)) {
            self.online.push(name.to_owned());
            self.online.sort_by_key(|n| name_key(n));
        }
    }
}

fn notice(text: String) -> Shown {
    Shown::plain(View::Notice(text))
}

fn message(ts: &Timestamp, from: &str, text: &str, replay: Replay) -> View {
    View::Message {
        ts: *ts,
        from: from.to_owned(),
        text: text.to_owned(),
        replay,
    }
}

#[cfg(test)]
mod tests;
