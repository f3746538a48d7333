//! Table tests of the IRC connection logic against a fake hub.
//!
//! Each case sends lines to one [`Connection`] and compares every reply
//! line (CR LF removed) and every hub call with what is expected.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};

use super::connection::Connection;
use super::port::{
    Counts, IrcHub, JoinRefusal, NameRefusal, Relayed, RoomSummary, Sending, UserSummary,
};
use super::welcome::Settings;
use crate::hub::message::{Kind, Topic};
use crate::protocol::server_line::Timestamp;
use crate::protocol::{name_key, room_key};

/// A hub in memory: rooms with members and topics, the names taken, and a
/// log of what the connection asked.
#[derive(Default)]
pub(super) struct FakeHub {
    me: Option<String>,
    names: Vec<String>,
    rooms: BTreeMap<String, (String, Vec<String>, Option<Topic>)>,
    away: BTreeMap<String, String>,
    max_rooms: usize,
    /// What the connection asked of the hub, in order.
    pub(super) calls: Vec<String>,
    /// The history every room has (for CHATHISTORY).
    pub(super) history: Vec<std::sync::Arc<crate::hub::message::StoredMessage>>,
    /// The account a SASL login succeeded for.
    logged_in: Option<String>,
}

impl FakeHub {
    pub(super) fn with_room(mut self, room: &str, members: &[&str]) -> FakeHub {
        let members: Vec<String> = members.iter().map(|m| (*m).to_owned()).collect();
        // `me` is the client under test: it takes its name by registering.
        for member in members.iter().filter(|member| *member != "me") {
            if !self.names.iter().any(|n| name_key(n) == name_key(member)) {
                self.names.push(member.clone());
            }
        }
        self.rooms
            .insert(room_key(room), (room.to_owned(), members, None));
        self
    }

    fn me(&self) -> String {
        self.me.clone().expect("registered")
    }

    fn is_member(&self, room: &str) -> bool {
        let me = self.me();
        self.rooms
            .get(&room_key(room))
            .is_some_and(|(_, members, _)| members.contains(&me))
    }
}

/// What a call sent, as the log shows it: `NOTICE ` before a notice's
/// text, `[tags] ` before tags, `(tags only)` for no text.
fn shown(message: &Sending<'_>) -> String {
    let notice = match message.kind {
        Kind::Message => "",
        Kind::Notice => "NOTICE ",
    };
    let tags = message
        .tags
        .map(|tags| format!("[{tags}] "))
        .unwrap_or_default();
    let text = message.text.unwrap_or("(tags only)");
    format!("{tags}{notice}{text}")
}

impl IrcHub for FakeHub {
    fn name_is_free(&mut self, name: &str) -> bool {
        !self.names.iter().any(|n| name_key(n) == name_key(name))
    }
    fn claim_name(&mut self, name: &str, _user: &str, _realname: &str) -> Result<(), NameRefusal> {
        if name_key(name) == "locked" && self.logged_in.as_deref() != Some("locked") {
            return Err(NameRefusal::NeedsLogin);
        }
        if !self.name_is_free(name) {
            return Err(NameRefusal::Taken);
        }
        self.names.push(name.to_owned());
        self.me = Some(name.to_owned());
        Ok(())
    }
    fn log_in(
        &mut self,
        account: &str,
        password: &str,
    ) -> Result<String, super::port::LoginRefusal> {
        match (account, password) {
            ("locked", "right") => {
                self.logged_in = Some("locked".to_owned());
                Ok("locked".to_owned())
            }
            _ => Err(super::port::LoginRefusal::Failed),
        }
    }
    fn join(&mut self, room: &str) -> Result<bool, JoinRefusal> {
        if self.is_member(room) {
            return Ok(false);
        }
        let mine = self
            .rooms
            .values()
            .filter(|(_, m, _)| m.contains(&self.me()))
            .count();
        if self.max_rooms > 0 && mine >= self.max_rooms {
            return Err(JoinRefusal::TooManyRooms);
        }
        self.calls.push(format!("join {room}"));
        let me = self.me();
        let entry = self.rooms.entry(room_key(room));
        entry
            .or_insert_with(|| (room.to_owned(), Vec::new(), None))
            .1
            .push(me);
        Ok(true)
    }
    fn part(&mut self, room: &str, reason: &str) -> bool {
        if !self.is_member(room) {
            return false;
        }
        self.calls.push(format!("part {room} {reason}"));
        let me = self.me();
        let (_, members, _) = self.rooms.get_mut(&room_key(room)).expect("member");
        members.retain(|m| *m != me);
        true
    }
    fn my_rooms(&mut self) -> Vec<String> {
        let me = self.me();
        let rooms = self.rooms.values().filter(|(_, m, _)| m.contains(&me));
        rooms.map(|(name, _, _)| name.clone()).collect()
    }
    fn say(&mut self, room: &str, message: &Sending<'_>) -> bool {
        if !self.is_member(room) {
            return false;
        }
        self.calls.push(format!("say {room} {}", shown(message)));
        true
    }
    fn tell(&mut self, name: &str, message: &Sending<'_>) -> bool {
        if self.name_is_free(name) {
            return false;
        }
        self.calls.push(format!("tell {name} {}", shown(message)));
        true
    }
    fn relay(&mut self, target: &str, message: &Sending<'_>) -> Relayed {
        let is_room = target.starts_with('#');
        let found = match is_room {
            true => self.is_member(target),
            false => !self.name_is_free(target),
        };
        if !found {
            return match is_room {
                true => Relayed::NotInRoom,
                false => Relayed::NoSuchUser,
            };
        }
        // A user whose name starts with `native` is on the native front.
        if target.starts_with("native") {
            return Relayed::NotTaken;
        }
        self.calls
            .push(format!("relay {target} {}", shown(message)));
        Relayed::Sent
    }
    fn topic(&mut self, room: &str) -> Option<Option<Topic>> {
        let (_, members, topic) = self.rooms.get(&room_key(room))?;
        (!members.is_empty()).then(|| topic.clone())
    }
    fn created(&mut self, room: &str) -> Option<Timestamp> {
        self.rooms.contains_key(&room_key(room)).then(now)
    }
    fn set_topic(&mut self, room: &str, text: &str, now: Timestamp) -> bool {
        if !self.is_member(room) {
            return false;
        }
        self.calls.push(format!("topic {room} {text}"));
        let by = self.me();
        let entry = self.rooms.get_mut(&room_key(room)).expect("member");
        entry.2 = Some(Topic {
            ts: now,
            by,
            text: text.to_owned(),
        });
        true
    }
    fn members(&mut self, room: &str) -> Option<Vec<String>> {
        let (_, members, _) = self.rooms.get(&room_key(room))?;
        (!members.is_empty()).then(|| members.clone())
    }
    fn rooms(&mut self) -> Vec<RoomSummary> {
        let rooms = self.rooms.values().filter(|(_, m, _)| !m.is_empty());
        rooms
            .map(|(name, members, topic)| RoomSummary {
                name: name.clone(),
                members: members.len(),
                topic: topic.as_ref().map(|t| t.text.clone()).unwrap_or_default(),
            })
            .collect()
    }
    fn user(&mut self, name: &str) -> Option<UserSummary> {
        let found = self.names.iter().find(|n| name_key(n) == name_key(name))?;
        let rooms = self.rooms.values().filter(|(_, m, _)| m.contains(found));
        Some(UserSummary {
            user: found.clone(),
            realname: found.clone(),
            name: found.clone(),
            rooms: rooms.map(|(name, _, _)| name.clone()).collect(),
            away: self.away.get(&name_key(found)).cloned(),
        })
    }
    fn history(
        &mut self,
        room: &str,
    ) -> Option<Vec<std::sync::Arc<crate::hub::message::StoredMessage>>> {
        self.is_member(room).then(|| self.history.clone())
    }
    fn online(&mut self) -> Vec<String> {
        self.names.clone()
    }
    fn room_display(&mut self, room: &str) -> String {
        let found = self.rooms.get(&room_key(room));
        found.map_or(room.to_owned(), |(name, _, _)| name.clone())
    }
    fn set_away(&mut self, message: Option<&str>) {
        let me = name_key(&self.me());
        match message {
            Some(message) => self.away.insert(me, message.to_owned()),
            None => self.away.remove(&me),
        };
    }
    fn counts(&mut self) -> Counts {
        Counts {
            users: self.names.len(),
            max_users: self.names.len(),
            rooms: self.rooms().len(),
            unregistered: 0,
        }
    }
}

pub(super) fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 3, 15, 0, 0).unwrap()
}

pub(super) struct Harness {
    connection: Connection,
    pub(super) hub: FakeHub,
    settings: Settings,
    closed: bool,
}

impl Harness {
    pub(super) fn new(hub: FakeHub) -> Harness {
        Harness {
            connection: Connection::new(),
            hub,
            settings: Settings::default(),
            closed: false,
        }
    }

    /// A harness whose client registered as `nick`, its welcome discarded.
    pub(super) fn registered(nick: &str, hub: FakeHub) -> Harness {
        let mut harness = Harness::new(hub);
        harness.send(&format!("NICK {nick}"));
        let welcome = harness.send("USER u 0 * :Real Name");
        assert!(welcome[0].contains(" 001 "), "{welcome:?}");
        harness.hub.calls.clear();
        harness
    }

    pub(super) fn send(&mut self, line: &str) -> Vec<String> {
        let out = self
            .connection
            .handle_line(line, &mut self.hub, &self.settings, now());
        self.closed |= out.close;
        out.lines
            .iter()
            .map(|line| line.strip_suffix("\r\n").expect("CR LF").to_owned())
            .collect()
    }
}

/// Sends `input` to a client registered as `me` (in a hub made by `hub`)
/// and checks its replies and the hub calls.
fn check(hub: FakeHub, input: &str, replies: &[&str], calls: &[&str]) {
    let mut harness = Harness::registered("me", hub);
    let got = harness.send(input);
    assert_eq!(got, replies, "replies to {input:?}");
    assert_eq!(harness.hub.calls, calls, "hub calls for {input:?}");
}

pub(super) fn lobby() -> FakeHub {
    FakeHub::default().with_room("#lobby", &["alice", "me"])
}

#[test]
fn registered_commands() {
    let s = ":chatroom";
    let long = format!("PRIVMSG #lobby :{}", "x".repeat(600));
    #[rustfmt::skip]
    let cases: Vec<(FakeHub, &str, Vec<String>, Vec<&str>)> = vec![
        (lobby(), "PING tok", vec![format!("{s} PONG chatroom tok")], vec![]),
        (lobby(), "PING", vec![format!("{s} 409 me :No origin specified")], vec![]),
        (lobby(), "PONG x", vec![], vec![]),
        (lobby(), "FOO", vec![format!("{s} 421 me FOO :Unknown command")], vec![]),
        (lobby(), "USER a 0 * :b", vec![format!("{s} 462 me :You may not reregister")], vec![]),
        (lobby(), "NICK other", vec![format!("{s} 447 me :Nicknames cannot be changed here: reconnect with the new one")], vec![]),
        // JOIN
        (lobby(), "JOIN #a,#b", vec![], vec!["join #a", "join #b"]),
        (lobby(), "join #lobby", vec![], vec![]),
        (lobby(), "JOIN", vec![format!("{s} 461 me JOIN :Not enough parameters")], vec![]),
        (lobby(), "JOIN lobby,#ok", vec![format!("{s} 403 me lobby :No such channel")], vec!["join #ok"]),
        (lobby(), "JOIN 0", vec![], vec!["part #lobby "]),
        (FakeHub { max_rooms: 1, ..lobby() }, "JOIN #x", vec![format!("{s} 405 me #x :You have joined too many channels")], vec![]),
        // PART
        (lobby(), "PART #lobby :bye now", vec![], vec!["part #lobby bye now"]),
        (lobby().with_room("#other", &["alice"]), "PART #other", vec![format!("{s} 442 me #other :You're not on that channel")], vec![]),
        (lobby(), "PART #nowhere", vec![format!("{s} 403 me #nowhere :No such channel")], vec![]),
        (lobby(), "PART", vec![format!("{s} 461 me PART :Not enough parameters")], vec![]),
        // PRIVMSG and NOTICE
        (lobby(), "PRIVMSG #lobby :hello there", vec![], vec!["say #lobby hello there"]),
        (lobby(), "PRIVMSG alice,#lobby hi", vec![], vec!["tell alice hi", "say #lobby hi"]),
        (lobby(), "PRIVMSG bob hi", vec![format!("{s} 401 me bob :No such nick/channel")], vec![]),
        (lobby(), "PRIVMSG #nowhere hi", vec![format!("{s} 403 me #nowhere :No such channel")], vec![]),
        (lobby().with_room("#other", &["alice"]), "PRIVMSG #other hi", vec![format!("{s} 404 me #other :Cannot send to channel: join it first")], vec![]),
        (lobby(), "PRIVMSG", vec![format!("{s} 411 me :No recipient given (PRIVMSG)")], vec![]),
        (lobby(), "PRIVMSG #lobby", vec![format!("{s} 412 me :No text to send")], vec![]),
        (lobby(), "PRIVMSG #lobby :", vec![format!("{s} 412 me :No text to send")], vec![]),
        (lobby(), "NOTICE bob hi", vec![], vec![]),
        (lobby(), "NOTICE #lobby :note", vec![], vec!["say #lobby NOTICE note"]),
        (lobby(), "PRIVMSG #lobby :\u{1}ACTION waves\u{1}", vec![], vec!["say #lobby /me waves"]),
        (lobby(), "PRIVMSG #lobby :\u{2}bold\u{2} \u{3}4,12red\u{3} \u{3}7x", vec![], vec!["say #lobby bold red x"]),
        (lobby(), "PRIVMSG #lobby :\u{2}\u{3}", vec![format!("{s} 412 me :No text to send")], vec![]),
        // TOPIC
        (lobby(), "TOPIC #lobby", vec![format!("{s} 331 me #lobby :No topic is set")], vec![]),
        (lobby(), "TOPIC #lobby :new topic", vec![], vec!["topic #lobby new topic"]),
        (lobby(), "TOPIC #nowhere", vec![format!("{s} 403 me #nowhere :No such channel")], vec![]),
        (lobby().with_room("#other", &["alice"]), "TOPIC #other :x", vec![format!("{s} 442 me #other :You're not on that channel")], vec![]),
        (lobby(), "TOPIC", vec![format!("{s} 461 me TOPIC :Not enough parameters")], vec![]),
        // NAMES, LIST
        (lobby(), "NAMES #lobby", vec![format!("{s} 353 me = #lobby :alice me"), format!("{s} 366 me #lobby :End of /NAMES list")], vec![]),
        (lobby(), "NAMES #nowhere", vec![format!("{s} 366 me #nowhere :End of /NAMES list")], vec![]),
        (lobby(), "NAMES", vec![format!("{s} 366 me * :End of /NAMES list")], vec![]),
        (lobby().with_room("#b", &["alice"]), "LIST", vec![format!("{s} 321 me Channel :Users  Name"), format!("{s} 322 me #b 1 :"), format!("{s} 322 me #lobby 2 :"), format!("{s} 323 me :End of /LIST")], vec![]),
        (lobby().with_room("#b", &["alice"]), "LIST #B", vec![format!("{s} 321 me Channel :Users  Name"), format!("{s} 322 me #b 1 :"), format!("{s} 323 me :End of /LIST")], vec![]),
        // MODE
        (lobby(), "MODE #LOBBY", vec![format!("{s} 324 me #lobby +"), format!("{s} 329 me #lobby {}", now().timestamp())], vec![]),
        (lobby(), "MODE #lobby b", vec![format!("{s} 368 me #lobby :End of channel ban list")], vec![]),
        (lobby(), "MODE #lobby +o alice", vec![format!("{s} 482 me #lobby :You're not channel operator: rooms here have no modes")], vec![]),
        (lobby(), "MODE #nowhere", vec![format!("{s} 403 me #nowhere :No such channel")], vec![]),
        (lobby(), "MODE me", vec![format!("{s} 221 me +")], vec![]),
        (lobby(), "MODE me +i", vec![], vec![]),
        (lobby(), "MODE me +x", vec![format!("{s} 501 me :Unknown MODE flag")], vec![]),
        (lobby(), "MODE alice", vec![format!("{s} 502 me :Cannot change mode for other users")], vec![]),
        (lobby(), "MODE bob", vec![format!("{s} 401 me bob :No such nick")], vec![]),
        (lobby(), "MODE", vec![format!("{s} 461 me MODE :Not enough parameters")], vec![]),
        // WHO, WHOIS, AWAY
        (lobby(), "WHO #lobby", vec![format!("{s} 352 me #lobby alice chatroom chatroom alice H :0 alice"), format!("{s} 352 me #lobby me chatroom chatroom me H :0 me"), format!("{s} 315 me #lobby :End of WHO list")], vec![]),
        (lobby(), "WHO alice", vec![format!("{s} 352 me * alice chatroom chatroom alice H :0 alice"), format!("{s} 315 me alice :End of WHO list")], vec![]),
        (lobby(), "WHO #nowhere", vec![format!("{s} 315 me #nowhere :End of WHO list")], vec![]),
        (lobby(), "WHOIS alice", vec![format!("{s} 311 me alice alice chatroom * alice"), format!("{s} 319 me alice #lobby"), format!("{s} 312 me alice chatroom chatroom"), format!("{s} 318 me alice :End of /WHOIS list")], vec![]),
        (lobby(), "WHOIS bob", vec![format!("{s} 401 me bob :No such nick/channel"), format!("{s} 318 me bob :End of /WHOIS list")], vec![]),
        (lobby(), "WHOIS", vec![format!("{s} 431 me :No nickname given")], vec![]),
        (lobby(), "AWAY :lunch", vec![format!("{s} 306 me :You have been marked as being away")], vec![]),
        (lobby(), "AWAY", vec![format!("{s} 305 me :You are no longer marked as being away")], vec![]),
        // Lines IRC cannot carry
        (lobby(), &long, vec![format!("{s} 417 me :Input line was too long")], vec![]),
        (lobby(), "", vec![], vec![]),
        // Not a command word (typed as in chat-client): unknown, not silence.
        (lobby(), "12 x", vec![format!("{s} 421 me 12 :Unknown command")], vec![]),
        (lobby(), "/msg bob hi", vec![format!("{s} 421 me /msg :Unknown command")], vec![]),
    ];
    for (hub, input, replies, calls) in cases {
        let replies: Vec<&str> = replies.iter().map(String::as_str).collect();
        check(hub, input, &replies, &calls);
    }
}

#[test]
fn away_is_told_to_whoever_messages_or_asks() {
    let mut hub = lobby();
    hub.away
        .insert("alice".to_owned(), "gone fishing".to_owned());
    check(
        hub,
        "PRIVMSG alice :hi",
        &[":chatroom 301 me alice :gone fishing"],
        &["tell alice hi"],
    );
    let mut hub = lobby();
    hub.away.insert("alice".to_owned(), "gone".to_owned());
    let mut harness = Harness::registered("me", hub);
    let who = harness.send("WHO alice");
    assert_eq!(
        who[0],
        ":chatroom 352 me * alice chatroom chatroom alice G :0 alice"
    );
}

#[test]
fn topic_query_names_who_set_it_and_when() {
    let mut harness = Harness::registered("me", lobby());
    harness.send("TOPIC #lobby :cats");
    let got = harness.send("TOPIC #LOBBY");
    let when = now().timestamp();
    assert_eq!(
        got,
        [
            ":chatroom 332 me #LOBBY cats".to_owned(),
            format!(":chatroom 333 me #LOBBY me!me@chatroom {when}"),
        ]
    );
}

#[test]
fn quit_closes_with_error_and_tells_the_reason() {
    let mut harness = Harness::registered("me", lobby());
    let out =
        harness
            .connection
            .handle_line("QUIT :see you", &mut harness.hub, &harness.settings, now());
    assert_eq!(out.lines, ["ERROR :Closing link (quit)\r\n"]);
    assert!(out.close);
    assert_eq!(out.quit.as_deref(), Some("see you"));
}

/// The commands of each line of `got`, to compare welcomes by shape.
fn commands(got: &[String]) -> Vec<&str> {
    got.iter()
        .map(|line| line.split(' ').nth(1).unwrap_or(""))
        .collect()
}

#[test]
fn registration_welcomes_with_isupport_lusers_and_no_motd() {
    let mut harness = Harness::new(lobby());
    assert_eq!(harness.send("NICK Me"), Vec::<String>::new());
    let got = harness.send("USER u 0 * :Real Name");
    assert_eq!(
        commands(&got),
        [
            "001", "002", "003", "004", "005", "005", "251", "252", "253", "254", "255", "265",
            "266", "422"
        ]
    );
    assert_eq!(
        got[0],
        ":chatroom 001 Me :Welcome to the chatroom IRC network Me"
    );
    let isupport = got[4..6].join(" ");
    for token in [
        "CASEMAPPING=ascii",
        "CHANTYPES=#",
        "NICKLEN=32",
        "CHANNELLEN=33",
        "TOPICLEN=390",
        "CHANLIMIT=#:64",
        "LINELEN=512",
    ] {
        assert!(isupport.contains(token), "{token} in {isupport}");
    }
    assert_eq!(harness.connection.nick(), Some("Me"));
    assert_eq!(harness.hub.me.as_deref(), Some("Me"));
}

#[test]
fn registration_refusals() {
    let s = ":chatroom";
    #[rustfmt::skip]
    let cases: Vec<(&[&str], Vec<String>)> = vec![
        (&["JOIN #a"], vec![format!("{s} 451 * :You have not registered")]),
        (&["NICK"], vec![format!("{s} 431 * :No nickname given")]),
        (&["NICK 9lives"], vec![format!("{s} 432 * 9lives :Erroneous nickname: 1 to 32 ASCII letters, digits, '_' or '-', first a letter")]),
        (&["NICK alice"], vec![format!("{s} 433 * alice :Nickname is already in use")]),
        (&["NICK ALICE"], vec![format!("{s} 433 * ALICE :Nickname is already in use")]),
        (&["USER u 0 *"], vec![format!("{s} 461 * USER :Not enough parameters")]),
        (&["NICK locked", "USER u 0 * :r"], vec![format!("{s} 464 * :This nickname needs an account's password: send PASS <password> before NICK and USER, or log in with SASL PLAIN (over TLS, or from this machine)")]),
        (&["PASS"], vec![format!("{s} 461 * PASS :Not enough parameters")]),
        (&["PASS secret"], vec![]),
        (&["PING :abc"], vec![format!("{s} PONG chatroom abc")]),
        (&["QUIT"], vec!["ERROR :Closing link (quit)".to_owned()]),
    ];
    for (lines, expected) in cases {
        let mut harness = Harness::new(lobby());
        let mut got = Vec::new();
        for line in lines {
            got = harness.send(line);
        }
        assert_eq!(got, expected, "after {lines:?}");
        assert_eq!(harness.connection.nick(), None, "after {lines:?}");
    }
}

#[test]
fn a_refused_nick_can_be_replaced() {
    let mut harness = Harness::new(lobby());
    harness.send("NICK alice");
    harness.send("USER u 0 * :r");
    assert_eq!(harness.connection.nick(), None);
    let got = harness.send("NICK bob");
    assert_eq!(commands(&got)[0], "001");
    assert_eq!(harness.connection.nick(), Some("bob"));
}

#[test]
fn cap_negotiation_holds_registration_until_end() {
    let s = ":chatroom";
    let mut harness = Harness::new(lobby());
    assert_eq!(
        harness.send("CAP LS 302"),
        [format!(
            "{s} CAP * LS :batch draft/chathistory echo-message message-tags multi-prefix sasl server-time userhost-in-names"
        )]
    );
    harness.send("NICK bob");
    assert_eq!(harness.send("USER u 0 * :r"), Vec::<String>::new());
    assert_eq!(
        harness.send("CAP REQ :server-time echo-message"),
        [format!("{s} CAP * ACK :server-time echo-message")]
    );
    assert_eq!(
        harness.send("CAP REQ :server-time bogus"),
        [format!("{s} CAP * NAK :server-time bogus")]
    );
    assert_eq!(
        harness.send("CAP LIST"),
        [format!("{s} CAP * LIST :echo-message server-time")]
    );
    assert_eq!(
        harness.send("CAP REQ -echo-message"),
        [format!("{s} CAP * ACK -echo-message")]
    );
    assert_eq!(harness.connection.nick(), None);
    assert_eq!(commands(&harness.send("CAP END"))[0], "001");
    assert_eq!(
        harness.send("CAP LIST"),
        [format!("{s} CAP bob LIST server-time")]
    );
    assert_eq!(
        harness.send("CAP FOO"),
        [format!("{s} 410 bob FOO :Invalid CAP subcommand")]
    );
    assert_eq!(
        harness.send("CAP"),
        [format!("{s} 461 bob CAP :Not enough parameters")]
    );
}

#[test]
fn long_replies_are_cut_to_fit_irc() {
    let members: Vec<String> = (0..100)
        .map(|i| format!("user{i:02}-{}", "x".repeat(20)))
        .collect();
    let names: Vec<&str> = members.iter().map(String::as_str).collect();
    let mut harness = Harness::registered("me", FakeHub::default().with_room("#big", &names));
    let got = harness.send("NAMES #big");
    assert!(got.len() > 2, "{}", got.len());
    assert!(got.iter().all(|line| line.len() + 2 <= 512));
    let listed: usize = got
        .iter()
        .filter(|line| line.contains(" 353 "))
        .map(|line| line.rsplit(':').next().unwrap().split(' ').count())
        .sum();
    assert_eq!(listed, 100);
}
