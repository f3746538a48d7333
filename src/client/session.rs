//! What the client remembers about the room, and what each server line means
//! for the user.
//!
//! [`Session::handle`] takes one [`ServerLine`] and gives the [`View`]s to show.
//! It keeps the online names (for tab completion), gathers a run of `USERS`
//! lines into one line, and remembers the newest message id seen so that after a
//! reconnect it can show exactly what was missed: [`Session::reconnected`] gives
//! the `/history` line to send, and the replayed messages older than what this
//! client already saw are left out.
//!
//! Sans-IO: it never touches a socket, a terminal or the clock.

use super::render::{Replay, View, count as counted};
use crate::protocol::server_line::Timestamp;
use crate::protocol::{MAX_HISTORY_REQUEST, ServerLine, name_key};

/// Where the session is in catching up after a reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CatchUp {
    /// Not catching up: history is shown as history.
    Off,
    /// The automatic join history is coming; it is skipped because the
    /// `/history` asked for right after covers it.
    SkipJoinHistory(Missed),
    /// The asked-for history is coming; only what was missed is shown.
    ShowMissed(Missed, u64),
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

/// The client's view of the room. See the module docs.
#[derive(Debug, Clone)]
pub struct Session {
    online: Vec<String>,
    users_run: Vec<String>,
    newest_seen: Option<u64>,
    catch_up: CatchUp,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A session that has seen nothing yet.
    pub fn new() -> Session {
        Session {
            online: Vec::new(),
            users_run: Vec::new(),
            newest_seen: None,
            catch_up: CatchUp::Off,
        }
    }

    /// The names online, as last told by the server.
    pub fn online(&self) -> &[String] {
        &self.online
    }

    /// Whether a replay after a reconnect is still coming.
    pub fn catching_up(&self) -> bool {
        self.catch_up != CatchUp::Off
    }

    /// Call once registered again after a lost connection; send the line it
    /// returns. The replay that follows shows only the messages missed.
    pub fn reconnected(&mut self) -> String {
        self.users_run.clear();
        self.catch_up = CatchUp::SkipJoinHistory(Missed {
            after: self.newest_seen,
            live_from: None,
            join_newest: None,
        });
        format!("/history {MAX_HISTORY_REQUEST}")
    }

    /// What `line` means for the user: zero, one or more things to show.
    pub fn handle(&mut self, line: &ServerLine) -> Vec<View> {
        match line {
            ServerLine::Welcome { online, text, .. } => {
                vec![View::Notice(format!("{text} ({online} online)"))]
            }
            ServerLine::Users { names } => {
                self.users_run.extend(names.iter().cloned());
                Vec::new()
            }
            ServerLine::UsersEnd { count, .. } => {
                self.online = std::mem::take(&mut self.users_run);
                let names = self.online.join(" ");
                vec![View::Notice(format!("online ({count}): {names}"))]
            }
            ServerLine::Msg {
                id, ts, from, text, ..
            } => {
                self.saw(*id);
                self.saw_live(*id);
                vec![message(ts, from, text, Replay::Live)]
            }
            ServerLine::Priv {
                id,
                ts,
                from,
                to,
                text,
            } => {
                self.saw(*id);
                let (from, to, text) = (from.clone(), to.clone(), text.clone());
                vec![View::Private {
                    ts: *ts,
                    from,
                    to,
                    text,
                }]
            }
            ServerLine::History {
                id, ts, from, text, ..
            } => self.history(*id, ts, from, text),
            ServerLine::HistoryEnd { count, .. } => self.history_end(*count),
            ServerLine::Join { ts, name, .. } => {
                self.add_online(name);
                vec![View::Join {
                    ts: *ts,
                    name: name.clone(),
                }]
            }
            ServerLine::Leave { ts, name, reason } => {
                self.online.retain(|n| name_key(n) != name_key(name));
                let (name, reason) = (name.clone(), reason.clone());
                vec![View::Leave {
                    ts: *ts,
                    name,
                    reason,
                }]
            }
            ServerLine::Info { text } => vec![View::Notice(text.clone())],
            ServerLine::Error { code, text } => {
                vec![View::Error(format!("{}: {text}", code.as_str()))]
            }
            ServerLine::Pong { token } => vec![View::Notice(format!("pong {token}"))],
            ServerLine::Bye { reason } => vec![View::Notice(format!("bye: {reason}"))],
            ServerLine::Hello { .. } | ServerLine::Unknown { .. } => Vec::new(),
            // Rooms (protocol version 2): the client's rooms UI is its own change.
            ServerLine::Joined { .. }
            | ServerLine::Part { .. }
            | ServerLine::Topic { .. }
            | ServerLine::Room { .. }
            | ServerLine::RoomsEnd { .. } => Vec::new(),
        }
    }

    fn history(&mut self, id: u64, ts: &Timestamp, from: &str, text: &str) -> Vec<View> {
        let shown = match &mut self.catch_up {
            CatchUp::Off => Some(Replay::History),
            CatchUp::SkipJoinHistory(missed) => {
                missed.join_newest = missed.join_newest.max(Some(id));
                None
            }
            CatchUp::ShowMissed(missed, count) if missed.contains(id) => {
                *count += 1;
                Some(Replay::Missed)
            }
            CatchUp::ShowMissed(..) => None,
        };
        self.saw(id);
        shown
            .map(|replay| message(ts, from, text, replay))
            .into_iter()
            .collect()
    }

    fn history_end(&mut self, count: u64) -> Vec<View> {
        match self.catch_up {
            CatchUp::Off if count == 0 => Vec::new(),
            CatchUp::Off => vec![View::Notice(format!(
                "end of history ({})",
                counted(count, "message")
            ))],
            CatchUp::SkipJoinHistory(mut missed) => {
                if missed.join_newest < missed.after && missed.join_newest.is_some() {
                    // Ids restarted: everything the server has now is new.
                    missed.after = None;
                    self.newest_seen = missed.join_newest;
                }
                self.catch_up = CatchUp::ShowMissed(missed, 0);
                Vec::new()
            }
            CatchUp::ShowMissed(_, shown) => {
                self.catch_up = CatchUp::Off;
                let missed = counted(shown, "message");
                vec![View::Notice(format!("{missed} missed while away"))]
            }
        }
    }

    fn saw(&mut self, id: u64) {
        self.newest_seen = self.newest_seen.max(Some(id));
    }

    /// A live message during catch-up: everything from it on is shown live, so
    /// the replay stops just before it.
    fn saw_live(&mut self, id: u64) {
        if let CatchUp::SkipJoinHistory(missed) | CatchUp::ShowMissed(missed, _) =
            &mut self.catch_up
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
            shown.extend(session.handle(&parsed).iter().map(|v| renderer.render(v)));
        }
        shown
    }

    /// Table helper: a fresh session, `lines` in, `expected` display lines out.
    fn check(lines: &[&str], expected: &[&str]) {
        assert_eq!(feed(&mut Session::new(), lines), expected, "{lines:?}");
    }

    const TS: &str = "2026-11-21T09:30:00.123Z";

    fn msg(kind: &str, id: u64, from: &str, text: &str) -> String {
        format!("{kind} {id} {TS} {from} :{text}")
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
        let mut session = Session::new();
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
        let mut session = Session::new();
        feed(
            &mut session,
            &[&msg("HISTORY", 5, "bob", "seen"), "HISTORY-END 1"],
        );
        feed(&mut session, &[&msg("MSG", 7, "bob", "seen too")]);
        assert_eq!(session.reconnected(), "/history 1000");
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
        let mut session = Session::new();
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
        let mut session = Session::new();
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
