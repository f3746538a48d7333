//! The lines the user sent that the server has not answered yet.
//!
//! Every line goes out in order, exactly once. [`Outgoing`] queues typed and
//! pasted lines and lets at most [`WINDOW`] of them be on their way at once,
//! so a long paste never fills the socket (the server's flood control reads
//! them at its pace) and the user can see how many are still to go.
//!
//! The server answers each line in the order it read them, with exactly one
//! closing line: its copy of a room message (`MSG` from us) or private
//! message (`PRIV` from us; `MSG` from us for `/say` too), `USERS-END` for
//! `/who`, `HISTORY-END` for `/history`, `PONG` for `/ping`, `JOINED` for
//! `/join`, our own `PART` for `/part`, `TOPIC` for `/topic`, `ROOMS-END`
//! for `/rooms`, or an `ERROR` for any of them. That closing
//! line takes the oldest line waiting for it off the list; an `ERROR` takes
//! the oldest line of any kind. Until then a message shows as "waiting"
//! (echo-message style, as irssi and weechat show it).
//!
//! Sans-IO: it never touches a socket or the clock.

use std::collections::VecDeque;

use crate::protocol::{Command, ServerLine, name_key};

/// How many lines may be sent and not yet answered.
pub const WINDOW: usize = 8;

/// The server line that answers a sent line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Its copy of our room message.
    Message,
    /// Its copy of our private message.
    Private,
    /// `USERS-END`.
    Users,
    /// `HISTORY-END`.
    History,
    /// `PONG`.
    Pong,
    /// `JOINED`.
    Joined,
    /// Our own `PART`.
    Parted,
    /// `TOPIC`.
    Topic,
    /// `ROOMS-END`.
    Rooms,
}

/// A line as typed, and what it shows while it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The line as sent on the wire.
    pub line: String,
    /// For a message: `None` for the room, `Some(name)` for a private one.
    /// `None` in the outer option for a command (nothing to show).
    pub shown: Option<Option<String>>,
    /// The message text (empty for a command).
    pub text: String,
}

#[derive(Debug, Clone)]
struct Sent {
    waiting: Waiting,
    answer: Answer,
    /// The room a `/who #room` or `/history #room` asked about, in lower
    /// case: only the end of that room's run answers it (a `/join` brings
    /// runs of its own).
    room: Option<String>,
}

impl Sent {
    fn new(waiting: Waiting) -> Option<Sent> {
        let (answer, room) = answer_to(&waiting.line)?;
        Some(Sent {
            waiting,
            answer,
            room,
        })
    }

    /// Whether a reply of this kind, naming this room, answers this line.
    fn answered_by(&self, answer: Answer, room: Option<&str>) -> bool {
        let room = room.map(name_key);
        self.answer == answer
            && match answer {
                // `/who` lists everyone, with no room; `/who #r` ends with `#r`.
                Answer::Users => self.room == room,
                // `/history n` ends with the current room's name.
                Answer::History => self.room.is_none() || self.room == room,
                _ => true,
            }
    }
}

/// Lines queued and on their way. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    queued: VecDeque<Waiting>,
    in_flight: VecDeque<Sent>,
    /// Room messages sent before a lost connection and never answered.
    unconfirmed: VecDeque<Waiting>,
}

impl Outgoing {
    /// Queues a line to send after those already queued.
    pub fn push(&mut self, line: String) {
        self.queued.push_back(waiting(line));
    }

    /// The next line to send now, if the window has room. It counts as on its
    /// way from here on.
    pub fn next_to_send(&mut self) -> Option<String> {
        if self.in_flight.len() >= WINDOW || !self.unconfirmed.is_empty() {
            return None;
        }
        let waiting = self.queued.pop_front()?;
        let line = waiting.line.clone();
        match Sent::new(waiting) {
            Some(sent) => self.in_flight.push_back(sent),
            None => log::debug!("sent a line no server line answers: {line:?}"),
        }
        Some(line)
    }

    /// Every queued line, whatever the window; they count as on their way.
    pub fn drain_all(&mut self) -> Vec<String> {
        std::iter::from_fn(|| {
            let waiting = self.queued.pop_front()?;
            let line = waiting.line.clone();
            self.in_flight.extend(Sent::new(waiting));
            Some(line)
        })
        .collect()
    }

    /// `line` was sent and refused on the spot (too long for a datagram):
    /// nothing will answer it.
    pub fn not_sent(&mut self, line: &str) {
        if let Some(at) = self.in_flight.iter().rposition(|s| s.waiting.line == line) {
            self.in_flight.remove(at);
        }
    }

    /// Takes the line `line` answers off the list, and gives it.
    pub fn answered(&mut self, line: &ServerLine, me: &str) -> Option<Waiting> {
        let mut room = None;
        let answer = match line {
            ServerLine::Msg { from, .. } if name_key(from) == name_key(me) => Answer::Message,
            ServerLine::Priv { from, .. } if name_key(from) == name_key(me) => Answer::Private,
            ServerLine::UsersEnd { room: named, .. } => {
                room = named.as_deref();
                Answer::Users
            }
            ServerLine::HistoryEnd { room: named, .. } => {
                room = named.as_deref();
                Answer::History
            }
            ServerLine::Pong { .. } => Answer::Pong,
            ServerLine::Joined { .. } => Answer::Joined,
            ServerLine::Part { name, .. } if name_key(name) == name_key(me) => Answer::Parted,
            ServerLine::Topic { .. } => Answer::Topic,
            ServerLine::RoomsEnd { .. } => Answer::Rooms,
            ServerLine::Error { .. } => return self.in_flight.pop_front().map(|s| s.waiting),
            _ => return None,
        };
        let found = self
            .in_flight
            .iter()
            .position(|s| s.answered_by(answer, room));
        found
            .and_then(|at| self.in_flight.remove(at))
            .map(|s| s.waiting)
    }

    /// The connection was lost: the room messages on their way become
    /// unconfirmed. Private messages on their way cannot be checked (they
    /// may or may not be stored): they are given up and returned. Commands
    /// on their way are dropped; their answers would mean nothing now.
    pub fn lost(&mut self) -> Vec<String> {
        let mut given_up = Vec::new();
        for sent in self.in_flight.drain(..) {
            match sent.answer {
                Answer::Message => self.unconfirmed.push_back(sent.waiting),
                Answer::Private => given_up.push(sent.waiting.line),
                _ => {}
            }
        }
        given_up
    }

    /// A message of ours with this text was in the replay of what was
    /// missed: the oldest unconfirmed one like it was stored after all.
    pub fn stored(&mut self, text: &str) {
        if let Some(at) = self.unconfirmed.iter().position(|w| w.text == text) {
            self.unconfirmed.remove(at);
        }
    }

    /// The replay is over: the unconfirmed messages not in it were not
    /// stored, so they go out again, before anything typed since. Gives
    /// how many.
    pub fn resend_unconfirmed(&mut self) -> usize {
        let count = self.unconfirmed.len();
        while let Some(waiting) = self.unconfirmed.pop_back() {
            self.queued.push_front(waiting);
        }
        count
    }

    /// Whether messages wait for the replay to say if they were stored.
    pub fn has_unconfirmed(&self) -> bool {
        !self.unconfirmed.is_empty()
    }

    /// The messages not yet stored, oldest first: on their way, then queued.
    pub fn waiting(&self) -> impl Iterator<Item = &Waiting> {
        let sent = self.in_flight.iter().map(|s| &s.waiting);
        sent.chain(self.unconfirmed.iter())
            .chain(self.queued.iter())
            .filter(|w| w.shown.is_some())
    }

    /// Whether nothing is queued or on its way.
    pub fn is_empty(&self) -> bool {
        self.queued.is_empty() && self.in_flight.is_empty() && self.unconfirmed.is_empty()
    }
}

fn waiting(line: String) -> Waiting {
    let (shown, text) = match Command::parse(&line) {
        Ok(Some(Command::Text(text) | Command::Say { text, .. })) => (Some(None), text.to_owned()),
        Ok(Some(Command::Msg { to, text })) => (Some(Some(to.to_owned())), text.to_owned()),
        _ => (None, String::new()),
    };
    Waiting { line, shown, text }
}

/// What answers `line`, and the room it asks about (`/who #r`,
/// `/history #r`), in lower case.
fn answer_to(line: &str) -> Option<(Answer, Option<String>)> {
    let answer = match Command::parse(line) {
        Ok(Some(Command::Text(_) | Command::Say { .. })) => Answer::Message,
        Ok(Some(Command::Msg { .. })) => Answer::Private,
        Ok(Some(Command::Who)) => Answer::Users,
        Ok(Some(Command::WhoIn(room))) => return Some((Answer::Users, Some(name_key(room)))),
        Ok(Some(Command::History(_))) => Answer::History,
        Ok(Some(Command::HistoryOf { room, .. })) => {
            return Some((Answer::History, Some(name_key(room))));
        }
        Ok(Some(Command::Ping(_))) => Answer::Pong,
        Ok(Some(Command::Join(_))) => Answer::Joined,
        Ok(Some(Command::Part { .. })) => Answer::Parted,
        Ok(Some(Command::Topic { .. })) => Answer::Topic,
        Ok(Some(Command::Rooms)) => Answer::Rooms,
        _ => return None,
    };
    Some((answer, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: &str = "2026-11-21T09:30:00.123Z";

    fn parse(line: &str) -> ServerLine {
        ServerLine::parse(line).unwrap()
    }

    fn waiting_lines(outgoing: &Outgoing) -> Vec<&str> {
        outgoing.waiting().map(|w| w.line.as_str()).collect()
    }

    #[test]
    fn a_long_paste_goes_out_a_window_at_a_time() {
        let mut outgoing = Outgoing::default();
        (0..20).for_each(|i| outgoing.push(format!("line {i}")));
        let first: Vec<String> = std::iter::from_fn(|| outgoing.next_to_send()).collect();
        assert_eq!(first.len(), WINDOW);
        assert_eq!(first[0], "line 0");
        assert_eq!(waiting_lines(&outgoing).len(), 20);
        let echo = parse(&format!("MSG 1 {TS} Alice :line 0"));
        assert_eq!(outgoing.answered(&echo, "alice").unwrap().line, "line 0");
        assert_eq!(outgoing.next_to_send().as_deref(), Some("line 8"));
        assert_eq!(outgoing.next_to_send(), None);
        assert_eq!(waiting_lines(&outgoing)[0], "line 1");
    }

    #[test]
    fn room_lines_are_answered_by_their_own_replies() {
        let mut outgoing = Outgoing::default();
        let sent = [
            "/say #go hi there",
            "/join #go",
            "/part #go",
            "/topic #go",
            "/rooms",
        ];
        sent.iter().for_each(|line| outgoing.push((*line).into()));
        let waiting: Vec<&Waiting> = outgoing.waiting().collect();
        assert_eq!(waiting.len(), 1, "only the message shows as waiting");
        assert_eq!(
            (&waiting[0].text, &waiting[0].shown),
            (&"hi there".to_string(), &Some(None))
        );
        while outgoing.next_to_send().is_some() {}
        let replies = [
            "ROOMS-END 2".to_string(),
            format!("TOPIC {TS} bob #go :x"),
            format!("PART {TS} bob #go :"),
            format!("PART {TS} alice #go :"),
            "JOINED #go 1 :".into(),
            format!("MSG 5 {TS} alice #go :hi there"),
        ];
        let answered: Vec<String> = replies
            .iter()
            .filter_map(|reply| outgoing.answered(&parse(reply), "alice"))
            .map(|w| w.line)
            .collect();
        assert_eq!(
            answered,
            [
                "/rooms",
                "/topic #go",
                "/part #go",
                "/join #go",
                "/say #go hi there"
            ]
        );
        assert!(outgoing.is_empty());
    }

    #[test]
    fn a_joins_own_runs_answer_no_who_or_history_of_another_room() {
        let mut outgoing = Outgoing::default();
        for line in ["/join #rust", "/who #go", "/history #go 5", "/part #go"] {
            outgoing.push(line.into());
        }
        while outgoing.next_to_send().is_some() {}
        let replies = [
            "JOINED #rust 1 :",
            "USERS-END 1 #rust",
            "HISTORY-END 0 #rust",
            "USERS-END 2 #GO",
            "HISTORY-END 1 #go",
            "ERROR not-in-room :you are not in #go",
        ];
        let answered: Vec<Option<String>> = replies
            .iter()
            .map(|reply| outgoing.answered(&parse(reply), "alice").map(|w| w.line))
            .collect();
        let expected = [
            Some("/join #rust"),
            None,
            None,
            Some("/who #go"),
            Some("/history #go 5"),
            Some("/part #go"),
        ];
        assert_eq!(answered, expected.map(|line| line.map(String::from)));
    }

    #[test]
    fn each_answer_closes_the_oldest_line_it_answers() {
        let mut outgoing = Outgoing::default();
        for line in ["/who", "hi", "/msg bob psst", "/ping t", "/history 5", "x"] {
            outgoing.push(line.into());
        }
        while outgoing.next_to_send().is_some() {}
        let check = |outgoing: &mut Outgoing, line: &str, expected: &[&str]| {
            outgoing.answered(&parse(line), "alice");
            let left: Vec<&str> = outgoing
                .in_flight
                .iter()
                .map(|s| s.waiting.line.as_str())
                .collect();
            assert_eq!(left, expected, "after {line}");
        };
        check(
            &mut outgoing,
            &format!("MSG 1 {TS} bob :not ours"),
            &["/who", "hi", "/msg bob psst", "/ping t", "/history 5", "x"],
        );
        check(
            &mut outgoing,
            &format!("MSG 2 {TS} alice :hi"),
            &["/who", "/msg bob psst", "/ping t", "/history 5", "x"],
        );
        check(
            &mut outgoing,
            "USERS-END 2",
            &["/msg bob psst", "/ping t", "/history 5", "x"],
        );
        check(
            &mut outgoing,
            "ERROR no-such-user :nobody called bob",
            &["/ping t", "/history 5", "x"],
        );
        check(&mut outgoing, "PONG t", &["/history 5", "x"]);
        check(&mut outgoing, "HISTORY-END 0", &["x"]);
        assert_eq!(waiting_lines(&outgoing), ["x"]);
        assert_eq!(outgoing.lost(), Vec::<String>::new());
        assert!(outgoing.has_unconfirmed());
    }

    #[test]
    fn after_a_lost_connection_unstored_messages_go_again_first() {
        let mut outgoing = Outgoing::default();
        for line in ["one", "/msg bob psst", "two", "three", "/who"] {
            outgoing.push(line.into());
        }
        while outgoing.next_to_send().is_some() {}
        assert_eq!(outgoing.lost(), ["/msg bob psst"]);
        outgoing.push("typed while away".into());
        assert_eq!(
            outgoing.next_to_send(),
            None,
            "held until the replay settles it"
        );
        assert_eq!(
            waiting_lines(&outgoing),
            ["one", "two", "three", "typed while away"]
        );
        outgoing.stored("two");
        outgoing.stored("not ours");
        assert_eq!(outgoing.resend_unconfirmed(), 2);
        let sent: Vec<String> = std::iter::from_fn(|| outgoing.next_to_send()).collect();
        assert_eq!(sent, ["one", "three", "typed while away"]);
    }

    #[test]
    fn only_messages_show_as_waiting() {
        let mut outgoing = Outgoing::default();
        for line in ["/who", "//me waves", "/msg bob psst", "/quit"] {
            outgoing.push(line.into());
        }
        let shown: Vec<(Option<String>, String)> = outgoing
            .waiting()
            .map(|w| (w.shown.clone().unwrap(), w.text.clone()))
            .collect();
        let expected = [
            (None, "/me waves".to_string()),
            (Some("bob".to_string()), "psst".to_string()),
        ];
        assert_eq!(shown, expected);
        assert_eq!(
            outgoing.drain_all(),
            ["/who", "//me waves", "/msg bob psst", "/quit"]
        );
    }
}
