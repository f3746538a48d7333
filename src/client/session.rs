//! What the client remembers about its rooms, and what each server line means
//! for the user.
//!
//! [`Session::handle`] takes one [`ServerLine`] and gives the [`Shown`]s to
//! show, each with its room (version 2; a version-1 server names none) and
//! what it changes in the list of rooms. It keeps the online names and the
//! rooms (for tab completion), gathers a run of `USERS` lines into one line,
//! and remembers the newest message id seen in each room so that after a
//! reconnect it can show exactly what was missed: [`Session::reconnected`]
//! gives the lines to send (rejoin each room, ask for its history), and the
//! replayed messages older than what this client already saw are left out.
//!
//! Invariants: ids are compared only within one room (version 2 orders each
//! room on its own); the room the server puts a new client in is learnt from
//! the first `-END` line naming a room, and a reconnect never changes the
//! room shown.
//!
//! Sans-IO: it never touches a socket, a terminal or the clock.

use std::collections::HashMap;

use super::render::{Replay, View, count as counted};
use super::rooms::{RoomChange, Shown};
use crate::protocol::server_line::Timestamp;
use crate::protocol::{MAX_HISTORY_REQUEST, ServerLine, name_key};

/// Where one room is in catching up after a reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CatchUp {
    /// The automatic join history is coming; it is skipped because the
    /// `/history` asked for right after covers it.
    SkipJoinHistory(Missed),
    /// The asked-for history is coming; only what was missed is shown.
    ShowMissed(Missed, u64),
    /// A room the server put us in that the user had left: nothing of it is
    /// shown until our `/part` of it is answered.
    Hide,
}

/// The ids that count as missed: newer than `after`, older than `live_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Missed {
    after: Option<u64>,
    live_from: Option<u64>,
    /// The newest id in the join replay: older than `after` means the server
    /// came back with its history reset (in-memory storage), ids restarting.
    join_newest: Option<u64>,
}

impl Missed {
    fn contains(&self, id: u64) -> bool {
        self.after.is_none_or(|after| id > after) && self.live_from.is_none_or(|live| id < live)
    }
}

/// The key of a room in the maps: its name in lower case, `""` for the one
/// room of a version-1 server.
fn key(room: Option<&str>) -> String {
    room.map(name_key).unwrap_or_default()
}

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
    newest_seen: HashMap<String, u64>,
    catch_up: HashMap<String, CatchUp>,
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
        self.catch_up.values().any(|c| *c != CatchUp::Hide)
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
            self.catch_up.insert(key(Some(&landing)), CatchUp::Hide);
            lines.push(format!("/part {landing}"));
        }
        if self.rooms.is_empty() && self.landing.is_none() {
            self.start_catch_up(None);
            return vec![format!("/history {MAX_HISTORY_REQUEST}")];
        }
        for room in self.rooms.clone() {
            self.start_catch_up(Some(&room));
            lines.push(format!("/join {room}"));
            lines.push(format!("/history {room} {MAX_HISTORY_REQUEST}"));
        }
        lines
    }

    fn start_catch_up(&mut self, room: Option<&str>) {
        let key = key(room);
        let after = self.newest_seen.get(&key).copied();
        let missed = Missed {
            after,
            live_from: None,
            join_newest: None,
        };
        self.catch_up.insert(key, CatchUp::SkipJoinHistory(missed));
    }

    fn is_member(&self, room: &str) -> bool {
        self.rooms.iter().any(|r| name_key(r) == name_key(room))
    }

    /// Whether lines of `room` are not shown now: its rejoin replay, or a
    /// room being left again.
    fn hidden(&self, room: Option<&str>) -> bool {
        matches!(
            self.catch_up.get(&key(room)),
            Some(CatchUp::Hide | CatchUp::SkipJoinHistory(_))
        )
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
            } => {
                let room = room.as_deref();
                if self.catch_up.get(&key(room)) == Some(&CatchUp::Hide) {
                    return Vec::new();
                }
                self.saw(room, *id);
                self.saw_live(room, *id);
                let mut shown = Shown::in_room(message(ts, from, text, Replay::Live), room);
                if let Some(room) = room
                    && !self.is_member(room)
                {
                    self.rooms.push(room.to_owned());
                    shown.change = Some(RoomChange::Listed(room.to_owned()));
                }
                vec![shown]
            }
            ServerLine::Priv {
                id,
                ts,
                from,
                to,
                text,
            } => {
                self.saw(None, *id);
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
                let (name, text) = (name.clone(), text.clone());
                self.in_room(
                    View::Topic {
                        ts: *ts,
                        name,
                        text,
                    },
                    Some(room),
                )
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
                vec![notice(format!("{room} ({members}) {topic}"))]
            }
            ServerLine::RoomsEnd { count } => vec![notice(counted(*count, "room"))],
            ServerLine::Hello { .. } | ServerLine::Unknown { .. } => Vec::new(),
        }
    }

    /// One line of `room`, unless the room is hidden now.
    fn in_room(&self, view: View, room: Option<&str>) -> Vec<Shown> {
        if self.hidden(room) {
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
        if self.is_member(room) || self.catch_up.contains_key(&key(Some(room))) {
            return None;
        }
        self.rooms.push(room.to_owned());
        Some(RoomChange::Entered(room.to_owned()))
    }

    fn joined(&mut self, room: &str, members: u64, topic: &str) -> Vec<Shown> {
        self.landing_pending = false;
        if self.catch_up.contains_key(&key(Some(room))) {
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
        if self.catch_up.get(&key(Some(room))) == Some(&CatchUp::Hide) {
            self.catch_up.remove(&key(Some(room)));
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
        let replay = match self.catch_up.get_mut(&key(room)) {
            None => Some(Replay::History),
            Some(CatchUp::Hide) => None,
            Some(CatchUp::SkipJoinHistory(missed)) => {
                missed.join_newest = missed.join_newest.max(Some(id));
                None
            }
            Some(CatchUp::ShowMissed(missed, count)) if missed.contains(id) => {
                *count += 1;
                Some(Replay::Missed)
            }
            Some(CatchUp::ShowMissed(..)) => None,
        };
        self.saw(room, id);
        let shown = replay.map(|replay| Shown::in_room(message(ts, from, text, replay), room));
        shown.into_iter().collect()
    }

    fn history_end(&mut self, count: u64, room: Option<&str>) -> Vec<Shown> {
        let change = self.landed(room);
        let key = key(room);
        let shown = match self.catch_up.get(&key).copied() {
            None if count == 0 => None,
            None => Some(format!("end of history ({})", counted(count, "message"))),
            Some(CatchUp::Hide) => None,
            Some(CatchUp::SkipJoinHistory(mut missed)) => {
                if missed.join_newest < missed.after && missed.join_newest.is_some() {
                    // Ids restarted: everything the server has now is new.
                    missed.after = None;
                    self.newest_seen.remove(&key);
                    self.newest_seen
                        .extend(missed.join_newest.map(|id| (key.clone(), id)));
                }
                self.catch_up.insert(key, CatchUp::ShowMissed(missed, 0));
                None
            }
            Some(CatchUp::ShowMissed(_, shown)) => {
                self.catch_up.remove(&key);
                let missed = counted(shown, "message");
                Some(format!("{missed} missed while away"))
            }
        };
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

    fn saw(&mut self, room: Option<&str>, id: u64) {
        let newest = self.newest_seen.entry(key(room)).or_insert(id);
        *newest = (*newest).max(id);
    }

    /// A live message during catch-up: everything from it on is shown live, so
    /// the replay stops just before it.
    fn saw_live(&mut self, room: Option<&str>, id: u64) {
        if let Some(CatchUp::SkipJoinHistory(missed) | CatchUp::ShowMissed(missed, _)) =
            self.catch_up.get_mut(&key(room))
        {
            missed.live_from.get_or_insert(id);
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
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::client::render::Renderer;

    /// Feeds wire lines to `session` and renders what it shows, one line each.
    fn feed(session: &mut Session, lines: &[&str]) -> Vec<String> {
        let renderer = Renderer::new("alice", false, Utc);
        let mut shown = Vec::new();
        for line in lines {
            let parsed = ServerLine::parse(line).unwrap();
            let handled = session.handle(&parsed);
            shown.extend(
                handled
                    .iter()
                    .map(|s| renderer.render_in(&s.view, s.room.as_deref())),
            );
        }
        shown
    }

    /// Table helper: a fresh session, `lines` in, `expected` display lines out.
    fn check(lines: &[&str], expected: &[&str]) {
        assert_eq!(
            feed(&mut Session::new("alice"), lines),
            expected,
            "{lines:?}"
        );
    }

    const TS: &str = "2026-11-21T09:30:00.123Z";

    fn msg(kind: &str, id: u64, from: &str, text: &str) -> String {
        format!("{kind} {id} {TS} {from} :{text}")
    }

    fn changes(session: &mut Session, line: &str) -> Vec<Option<RoomChange>> {
        let parsed = ServerLine::parse(line).unwrap();
        session
            .handle(&parsed)
            .into_iter()
            .map(|s| s.change)
            .collect()
    }

    #[test]
    fn version_2_lines_as_shown() {
        check(
            &[
                &format!("MSG 5 {TS} bob #rust :hi"),
                &format!("JOIN {TS} carol #rust"),
            ],
            &[
                "[09:30] [#rust] <bob> hi",
                "[09:30] [#rust] --> carol joined",
            ],
        );
        check(
            &[
                &format!("PART {TS} carol #rust :bored"),
                &format!("TOPIC {TS} carol #rust :rust!"),
                "JOINED #go 2 :",
                "JOINED #rust 3 :all things rust",
                "USERS :alice bob",
                "USERS-END 2 #rust",
                &format!("HISTORY 3 {TS} bob #rust :old"),
                "HISTORY-END 1 #rust",
                "ROOM #rust 3 :all things rust",
                "ROOM #go 1 :",
                "ROOMS-END 2",
            ],
            &[
                "[09:30] [#rust] <-- carol left the room (bored)",
                "[09:30] [#rust] -!- carol set the topic: rust!",
                "[#go] *** now in #go (2 members), no topic",
                "[#rust] *** now in #rust (3 members), topic: all things rust",
                "[#rust] *** online (2): alice bob",
                "[09:30] [#rust] [history] <bob> old",
                "[#rust] *** end of history (1 message)",
                "*** #rust (3 members) all things rust",
                "*** #go (1 member) ",
                "*** 2 rooms",
            ],
        );
    }

    #[test]
    fn rooms_entered_listed_and_left() {
        let mut session = Session::new("alice");
        let entered = |room: &str| vec![Some(RoomChange::Entered(room.into()))];
        feed(&mut session, &["WELCOME alice 2 :hi", "USERS :alice bob"]);
        assert_eq!(
            changes(&mut session, "USERS-END 2 #lobby"),
            entered("#lobby")
        );
        assert_eq!(changes(&mut session, "HISTORY-END 0 #lobby"), []);
        assert_eq!(changes(&mut session, "JOINED #rust 1 :"), entered("#rust"));
        assert_eq!(
            changes(&mut session, "JOINED #lobby 2 :"),
            entered("#lobby")
        );
        let msg = format!("MSG 9 {TS} bob #go :hi");
        let listed = vec![Some(RoomChange::Listed("#go".into()))];
        assert_eq!(changes(&mut session, &msg), listed);
        let part = format!("PART {TS} ALICE #rust :");
        let left = vec![Some(RoomChange::Left("#rust".into()))];
        assert_eq!(changes(&mut session, &part), left);
        assert_eq!(session.rooms(), ["#lobby", "#go"]);
        feed(&mut session, &["ROOM #zig 1 :"]);
        assert_eq!(
            session.completions(),
            ["alice", "bob", "#lobby", "#go", "#zig"]
        );
    }

    #[test]
    fn a_reconnect_rejoins_every_room_and_shows_what_each_missed() {
        let mut session = Session::new("alice");
        let first = [
            "USERS-END 1 #lobby",
            "JOINED #rust 1 :",
            &format!("MSG 10 {TS} bob #lobby :seen in lobby"),
            &format!("MSG 20 {TS} bob #rust :seen in rust"),
        ];
        feed(&mut session, &first);
        let lines = session.reconnected();
        let expected = [
            "/join #lobby",
            "/history #lobby 1000",
            "/join #rust",
            "/history #rust 1000",
        ];
        assert_eq!(lines, expected);
        let replies = [
            "WELCOME alice 2 :back",
            "USERS-END 2 #lobby",
            &format!("HISTORY 10 {TS} bob #lobby :seen in lobby"),
            "HISTORY-END 1 #lobby",
            "JOINED #lobby 2 :",
            &format!("HISTORY 10 {TS} bob #lobby :seen in lobby"),
            &format!("HISTORY 15 {TS} bob #lobby :missed in lobby"),
            "HISTORY-END 2 #lobby",
            "JOINED #rust 2 :",
            "USERS-END 2 #rust",
            &format!("HISTORY 12 {TS} bob #rust :missed in rust"),
            "HISTORY-END 1 #rust",
            &format!("HISTORY 12 {TS} bob #rust :missed in rust"),
            "HISTORY-END 1 #rust",
        ];
        let shown = feed(&mut session, &replies);
        let expected = [
            "*** back (2 online)",
            "[09:30] [#lobby] [missed] <bob> missed in lobby",
            "[#lobby] *** 1 message missed while away",
            "[09:30] [#rust] [missed] <bob> missed in rust",
            "[#rust] *** 1 message missed while away",
        ];
        assert_eq!(shown, expected);
        assert!(!session.catching_up());
    }

    #[test]
    fn a_reconnect_leaves_the_landing_room_the_user_had_left() {
        let mut session = Session::new("alice");
        feed(&mut session, &["USERS-END 1 #lobby", "JOINED #rust 1 :"]);
        feed(&mut session, &[&format!("PART {TS} alice #lobby :")]);
        let lines = session.reconnected();
        assert_eq!(
            lines,
            ["/part #lobby", "/join #rust", "/history #rust 1000"]
        );
        let replies = [
            "USERS-END 1 #lobby",
            &format!("HISTORY 3 {TS} bob #lobby :old"),
            "HISTORY-END 1 #lobby",
            &format!("MSG 4 {TS} bob #lobby :live"),
            &format!("PART {TS} alice #lobby :"),
            "JOINED #rust 1 :",
            "HISTORY-END 0 #rust",
            "HISTORY-END 0 #rust",
        ];
        let shown = feed(&mut session, &replies);
        assert_eq!(shown, ["[#rust] *** 0 messages missed while away"]);
        assert_eq!(session.rooms(), ["#rust"]);
    }

    #[test]
    fn server_lines_as_shown() {
        check(&["HELLO chatroom 1 :Send your name to join."], &[]);
        check(
            &["WELCOME alice 2 :Welcome, alice!"],
            &["*** Welcome, alice! (2 online)"],
        );
        check(
            &["USERS :alice bob", "USERS :carol", "USERS-END 3"],
            &["*** online (3): alice bob carol"],
        );
        check(&[&msg("MSG", 42, "bob", "hi")], &["[09:30] <bob> hi"]);
        check(
            &[&msg("MSG", 42, "bob", "/me waves")],
            &["[09:30] * bob waves"],
        );
        check(
            &[&format!("PRIV 43 {TS} bob alice :psst")],
            &["[09:30] [msg from bob] psst"],
        );
        check(
            &[&format!("PRIV 43 {TS} alice bob :psst")],
            &["[09:30] [msg to bob] psst"],
        );
        check(
            &[&msg("HISTORY", 1, "bob", "old"), "HISTORY-END 1"],
            &[
                "[09:30] [history] <bob> old",
                "*** end of history (1 message)",
            ],
        );
        check(&["HISTORY-END 0"], &[]);
        check(&[&format!("JOIN {TS} bob")], &["[09:30] --> bob joined"]);
        check(
            &[&format!("LEAVE {TS} bob :quit")],
            &["[09:30] <-- bob left (quit)"],
        );
        check(&["INFO :commands: ..."], &["*** commands: ..."]);
        check(
            &["ERROR no-such-user :nobody called zed"],
            &["!!! no-such-user: nobody called zed"],
        );
        check(&["PONG t1"], &["*** pong t1"]);
        check(&["BYE :goodbye"], &["*** bye: goodbye"]);
        check(&["FROB 1 2 :future"], &[]);
    }

    #[test]
    fn online_names_follow_joins_and_leaves() {
        let mut session = Session::new("alice");
        feed(&mut session, &["USERS :alice bob", "USERS-END 2"]);
        assert_eq!(session.online(), ["alice", "bob"]);
        feed(
            &mut session,
            &[&format!("JOIN {TS} Aaron"), &format!("JOIN {TS} BOB")],
        );
        assert_eq!(session.online(), ["Aaron", "alice", "bob"]);
        feed(&mut session, &[&format!("LEAVE {TS} ALICE :quit")]);
        assert_eq!(session.online(), ["Aaron", "bob"]);
    }

    #[test]
    fn after_a_reconnect_only_missed_messages_are_replayed() {
        let mut session = Session::new("alice");
        feed(
            &mut session,
            &[&msg("HISTORY", 5, "bob", "seen"), "HISTORY-END 1"],
        );
        feed(&mut session, &[&msg("MSG", 7, "bob", "seen too")]);
        assert_eq!(session.reconnected(), ["/history 1000"]);
        let shown = feed(
            &mut session,
            &[
                "WELCOME alice 2 :back",
                &msg("HISTORY", 8, "bob", "join replay"),
                "HISTORY-END 1",
                &msg("MSG", 10, "bob", "live"),
                &msg("HISTORY", 7, "bob", "seen too"),
                &msg("HISTORY", 8, "bob", "missed 1"),
                &msg("HISTORY", 9, "carol", "missed 2"),
                &msg("HISTORY", 10, "bob", "live"),
                "HISTORY-END 4",
                &msg("HISTORY", 9, "carol", "asked for later"),
                "HISTORY-END 1",
            ],
        );
        let expected = [
            "*** back (2 online)",
            "[09:30] <bob> live",
            "[09:30] [missed] <bob> missed 1",
            "[09:30] [missed] <carol> missed 2",
            "*** 2 messages missed while away",
            "[09:30] [history] <carol> asked for later",
            "*** end of history (1 message)",
        ];
        assert_eq!(shown, expected);
    }

    #[test]
    fn a_server_that_lost_its_history_replays_everything() {
        let mut session = Session::new("alice");
        feed(
            &mut session,
            &[&msg("MSG", 40, "bob", "before the restart")],
        );
        session.reconnected();
        let shown = feed(
            &mut session,
            &[
                &msg("HISTORY", 2, "carol", "after the restart"),
                "HISTORY-END 1",
                &msg("HISTORY", 1, "carol", "first after"),
                &msg("HISTORY", 2, "carol", "after the restart"),
                "HISTORY-END 2",
            ],
        );
        let expected = [
            "[09:30] [missed] <carol> first after",
            "[09:30] [missed] <carol> after the restart",
            "*** 2 messages missed while away",
        ];
        assert_eq!(shown, expected);
        session.reconnected();
        let shown = feed(
            &mut session,
            &[
                "HISTORY-END 0",
                &msg("HISTORY", 2, "carol", "x"),
                "HISTORY-END 1",
            ],
        );
        assert_eq!(shown, ["*** 0 messages missed while away"]);
    }

    #[test]
    fn a_reconnect_before_any_message_replays_everything() {
        let mut session = Session::new("alice");
        session.reconnected();
        let shown = feed(
            &mut session,
            &[
                "HISTORY-END 0",
                &msg("HISTORY", 1, "bob", "first"),
                "HISTORY-END 1",
            ],
        );
        assert_eq!(
            shown,
            [
                "[09:30] [missed] <bob> first",
                "*** 1 message missed while away"
            ]
        );
    }
}
