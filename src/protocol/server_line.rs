//! Typed server lines: every line the server sends, parsed and encoded.
//!
//! [`ServerLine::parse`] is what a client (or a test) uses to read the server; the
//! server builds lines with [`ServerLine::encode`]. Unknown kinds parse to
//! [`ServerLine::Unknown`] and extra fields are ignored, so old clients keep
//! working as the protocol grows.
//!
//! Every server line is encoded here and nowhere else. The lines the server
//! sends most (`MSG`, `PRIV`, `HISTORY` and the counted runs) also have
//! encoders that borrow their parts ([`push_msg`], [`push_users_run`], ...),
//! so the server encodes a delivery once without building a [`ServerLine`];
//! [`ServerLine::encode_into`] calls the same functions.
//!
//! Version 2 added a room as the last field of `MSG`, `HISTORY`, `JOIN`,
//! `USERS-END` and `HISTORY-END`: `None` when a (version-1) line has none.

use chrono::{DateTime, SecondsFormat, Utc};

use super::MAX_SERVER_LINE;
use super::grammar::{Line, ParseError, encode_into, push_number};

/// A server timestamp: UTC, millisecond precision.
pub type Timestamp = DateTime<Utc>;

/// Formats a timestamp the way the protocol writes it: `2026-11-21T09:30:00.123Z`.
pub fn format_ts(ts: &Timestamp) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads a protocol timestamp (any RFC 3339 form is accepted).
pub fn parse_ts(value: &str) -> Result<Timestamp, ParseError> {
    DateTime::parse_from_rfc3339(value)
        .map(|ts| ts.with_timezone(&Utc))
        .map_err(|_| ParseError::BadValue {
            field: "ts",
            value: value.to_owned(),
        })
}

/// The codes of `ERROR` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// The client line was longer than the server's limit.
    LineTooLong,
    /// The client line was not UTF-8.
    BadEncoding,
    /// The client line held a control character.
    BadText,
    /// The requested name breaks the naming rules.
    NameInvalid,
    /// Someone online already has that name (in any case).
    NameTaken,
    /// An allow-list is configured and the name is not on it.
    NameNotAllowed,
    /// The command needs a registered name.
    NotRegistered,
    /// The private message's recipient is not online.
    NoSuchUser,
    /// The command is missing arguments or has bad ones.
    Usage,
    /// The command does not exist.
    UnknownCommand,
    /// The name belongs to an account (or the server admits only accounts):
    /// join with `/login <name> <password>`.
    LoginRequired,
    /// `/login` with a wrong name or password.
    LoginFailed,
    /// A password sent over a plain connection from another host: refused.
    InsecureLogin,
    /// A room argument that is not a valid room name.
    RoomInvalid,
    /// `/part`, `/say` or setting a topic in a room the client is not in.
    NotInRoom,
    /// Plain text (or a command needing a current room) while in no room.
    NoRoom,
    /// `/join` past the server's cap on rooms per client.
    TooManyRooms,
    /// A code this version does not know.
    Other(String),
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::LineTooLong => "line-too-long",
            ErrorCode::BadEncoding => "bad-encoding",
            ErrorCode::BadText => "bad-text",
            ErrorCode::NameInvalid => "name-invalid",
            ErrorCode::NameTaken => "name-taken",
            ErrorCode::NameNotAllowed => "name-not-allowed",
            ErrorCode::NotRegistered => "not-registered",
            ErrorCode::NoSuchUser => "no-such-user",
            ErrorCode::Usage => "usage",
            ErrorCode::UnknownCommand => "unknown-command",
            ErrorCode::LoginRequired => "login-required",
            ErrorCode::LoginFailed => "login-failed",
            ErrorCode::InsecureLogin => "insecure-login",
            ErrorCode::RoomInvalid => "room-invalid",
            ErrorCode::NotInRoom => "not-in-room",
            ErrorCode::NoRoom => "no-room",
            ErrorCode::TooManyRooms => "too-many-rooms",
            ErrorCode::Other(code) => code,
        }
    }

    /// Reads a code; unknown codes are kept as [`ErrorCode::Other`].
    pub fn parse(code: &str) -> ErrorCode {
        match code {
            "line-too-long" => ErrorCode::LineTooLong,
            "bad-encoding" => ErrorCode::BadEncoding,
            "bad-text" => ErrorCode::BadText,
            "name-invalid" => ErrorCode::NameInvalid,
            "name-taken" => ErrorCode::NameTaken,
            "name-not-allowed" => ErrorCode::NameNotAllowed,
            "not-registered" => ErrorCode::NotRegistered,
            "no-such-user" => ErrorCode::NoSuchUser,
            "usage" => ErrorCode::Usage,
            "unknown-command" => ErrorCode::UnknownCommand,
            "login-required" => ErrorCode::LoginRequired,
            "login-failed" => ErrorCode::LoginFailed,
            "insecure-login" => ErrorCode::InsecureLogin,
            "room-invalid" => ErrorCode::RoomInvalid,
            "not-in-room" => ErrorCode::NotInRoom,
            "no-room" => ErrorCode::NoRoom,
            "too-many-rooms" => ErrorCode::TooManyRooms,
            other => ErrorCode::Other(other.to_owned()),
        }
    }
}

/// One line from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerLine {
    /// First line on every connection.
    Hello {
        server: String,
        version: String,
        text: String,
    },
    /// The client's name was accepted; `online` counts users, the client included.
    Welcome {
        name: String,
        online: u64,
        text: String,
    },
    /// Some of the names online (a run of these ends with `UsersEnd`).
    Users { names: Vec<String> },
    /// Ends a run of `Users` lines: a room's members, or (no room) everyone.
    UsersEnd { count: u64, room: Option<String> },
    /// A room message.
    Msg {
        id: u64,
        ts: Timestamp,
        from: String,
        room: Option<String>,
        text: String,
    },
    /// A private message.
    Priv {
        id: u64,
        ts: Timestamp,
        from: String,
        to: String,
        text: String,
    },
    /// A stored room message replayed.
    History {
        id: u64,
        ts: Timestamp,
        from: String,
        room: Option<String>,
        text: String,
    },
    /// Ends a run of `History` lines.
    HistoryEnd { count: u64, room: Option<String> },
    /// Someone joined (a room, in version 2).
    Join {
        ts: Timestamp,
        name: String,
        room: Option<String>,
    },
    /// You are in `room` now, and it is your current room.
    Joined {
        room: String,
        members: u64,
        topic: String,
    },
    /// Someone left a room and stays online.
    Part {
        ts: Timestamp,
        name: String,
        room: String,
        reason: String,
    },
    /// Someone set a room's topic (`name` is `-` for a room with none).
    Topic {
        ts: Timestamp,
        name: String,
        room: String,
        text: String,
    },
    /// One room of a `/rooms` listing.
    Room {
        room: String,
        members: u64,
        topic: String,
    },
    /// Ends a `/rooms` listing.
    RoomsEnd { count: u64 },
    /// Someone left, and why.
    Leave {
        ts: Timestamp,
        name: String,
        reason: String,
    },
    /// A notice for humans.
    Info { text: String },
    /// The client's last line was refused.
    Error { code: ErrorCode, text: String },
    /// The answer to `/ping`.
    Pong { token: String },
    /// The server closes the connection after this line.
    Bye { reason: String },
    /// A kind this version does not know; kept so a client can show or log it.
    Unknown { kind: String, raw: String },
}

impl ServerLine {
    /// Parses one server line (without its LF).
    pub fn parse(input: &str) -> Result<ServerLine, ParseError> {
        let line = Line::parse(input)?;
        let text = || line.text.unwrap_or_default().to_owned();
        let owned = |i, name| line.field(i, name).map(str::to_owned);
        let optional = |i: usize| line.fields.get(i).map(|field| (*field).to_owned());
        Ok(match line.kind {
            "HELLO" => ServerLine::Hello {
                server: owned(0, "server")?,
                version: owned(1, "version")?,
                text: text(),
            },
            "WELCOME" => ServerLine::Welcome {
                name: owned(0, "name")?,
                online: line.number(1, "online")?,
                text: text(),
            },
            "USERS" => ServerLine::Users {
                names: line
                    .text
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            },
            "USERS-END" => ServerLine::UsersEnd {
                count: line.number(0, "count")?,
                room: optional(1),
            },
            "MSG" => ServerLine::Msg {
                id: line.number(0, "id")?,
                ts: parse_ts(line.field(1, "ts")?)?,
                from: owned(2, "from")?,
                room: optional(3),
                text: line.required_text()?.to_owned(),
            },
            "PRIV" => ServerLine::Priv {
                id: line.number(0, "id")?,
                ts: parse_ts(line.field(1, "ts")?)?,
                from: owned(2, "from")?,
                to: owned(3, "to")?,
                text: line.required_text()?.to_owned(),
            },
            "HISTORY" => ServerLine::History {
                id: line.number(0, "id")?,
                ts: parse_ts(line.field(1, "ts")?)?,
                from: owned(2, "from")?,
                room: optional(3),
                text: line.required_text()?.to_owned(),
            },
            "HISTORY-END" => ServerLine::HistoryEnd {
                count: line.number(0, "count")?,
                room: optional(1),
            },
            "JOIN" => ServerLine::Join {
                ts: parse_ts(line.field(0, "ts")?)?,
                name: owned(1, "name")?,
                room: optional(2),
            },
            "JOINED" => ServerLine::Joined {
                room: owned(0, "room")?,
                members: line.number(1, "members")?,
                topic: text(),
            },
            "PART" => ServerLine::Part {
                ts: parse_ts(line.field(0, "ts")?)?,
                name: owned(1, "name")?,
                room: owned(2, "room")?,
                reason: text(),
            },
            "TOPIC" => ServerLine::Topic {
                ts: parse_ts(line.field(0, "ts")?)?,
                name: owned(1, "name")?,
                room: owned(2, "room")?,
                text: text(),
            },
            "ROOM" => ServerLine::Room {
                room: owned(0, "room")?,
                members: line.number(1, "members")?,
                topic: text(),
            },
            "ROOMS-END" => ServerLine::RoomsEnd {
                count: line.number(0, "count")?,
            },
            "LEAVE" => ServerLine::Leave {
                ts: parse_ts(line.field(0, "ts")?)?,
                name: owned(1, "name")?,
                reason: text(),
            },
            "INFO" => ServerLine::Info { text: text() },
            "ERROR" => ServerLine::Error {
                code: ErrorCode::parse(line.field(0, "code")?),
                text: text(),
            },
            "PONG" => ServerLine::Pong {
                token: owned(0, "token")?,
            },
            "BYE" => ServerLine::Bye { reason: text() },
            kind => ServerLine::Unknown {
                kind: kind.to_owned(),
                raw: input.to_owned(),
            },
        })
    }

    /// Appends the line, LF included, to `out`.
    pub fn encode_into(&self, out: &mut String) {
        match self {
            ServerLine::Msg {
                id,
                ts,
                from,
                room,
                text,
            } => return push_msg(out, *id, ts, from, room.as_deref(), text),
            ServerLine::Priv {
                id,
                ts,
                from,
                to,
                text,
            } => return push_priv(out, *id, ts, from, to, text),
            ServerLine::History {
                id,
                ts,
                from,
                room,
                text,
            } => return push_history(out, *id, ts, from, room.as_deref(), text),
            ServerLine::UsersEnd { count, room } => {
                return push_counted_end(out, "USERS-END", *count, room.as_deref());
            }
            ServerLine::HistoryEnd { count, room } => {
                return push_counted_end(out, "HISTORY-END", *count, room.as_deref());
            }
            _ => {}
        }
        self.encode_other_into(out);
        out.push('\n');
    }

    fn encode_other_into(&self, out: &mut String) {
        match self {
            ServerLine::Hello {
                server,
                version,
                text,
            } => encode_into(out, "HELLO", &[server, version], Some(text)),
            ServerLine::Welcome { name, online, text } => {
                out.push_str("WELCOME ");
                out.push_str(name);
                push_number(out, *online);
                out.push_str(" :");
                out.push_str(text);
            }
            ServerLine::Users { names } => {
                out.push_str("USERS :");
                push_joined(out, names);
            }
            ServerLine::Join { ts, name, room } => {
                let ts = format_ts(ts);
                let mut fields = vec![ts.as_str(), name.as_str()];
                fields.extend(room.as_deref());
                encode_into(out, "JOIN", &fields, None)
            }
            ServerLine::Joined {
                room,
                members,
                topic,
            } => push_room_line(out, "JOINED", room, *members, topic),
            ServerLine::Part {
                ts,
                name,
                room,
                reason,
            } => encode_into(out, "PART", &[&format_ts(ts), name, room], Some(reason)),
            ServerLine::Topic {
                ts,
                name,
                room,
                text,
            } => encode_into(out, "TOPIC", &[&format_ts(ts), name, room], Some(text)),
            ServerLine::Room {
                room,
                members,
                topic,
            } => push_room_line(out, "ROOM", room, *members, topic),
            ServerLine::RoomsEnd { count } => {
                out.push_str("ROOMS-END");
                push_number(out, *count);
            }
            ServerLine::Leave { ts, name, reason } => {
                encode_into(out, "LEAVE", &[&format_ts(ts), name], Some(reason))
            }
            ServerLine::Info { text } => encode_into(out, "INFO", &[], Some(text)),
            ServerLine::Error { code, text } => {
                encode_into(out, "ERROR", &[code.as_str()], Some(text))
            }
            ServerLine::Pong { token } => encode_into(out, "PONG", &[token], None),
            ServerLine::Bye { reason } => encode_into(out, "BYE", &[], Some(reason)),
            ServerLine::Unknown { raw, .. } => out.push_str(raw),
            // Encoded by `encode_into` itself.
            ServerLine::Msg { .. }
            | ServerLine::Priv { .. }
            | ServerLine::History { .. }
            | ServerLine::UsersEnd { .. }
            | ServerLine::HistoryEnd { .. } => {}
        }
    }

    /// The line, LF included, as a new string.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(64);
        self.encode_into(&mut out);
        out
    }
}

/// Appends `MSG <id> <ts> <from> [<room>] :<text>`, LF included.
pub fn push_msg(
    out: &mut String,
    id: u64,
    ts: &Timestamp,
    from: &str,
    room: Option<&str>,
    text: &str,
) {
    message(out, "MSG", id, ts, &[Some(from), room], text);
}

/// Appends `PRIV <id> <ts> <from> <to> :<text>`, LF included.
pub fn push_priv(out: &mut String, id: u64, ts: &Timestamp, from: &str, to: &str, text: &str) {
    message(out, "PRIV", id, ts, &[Some(from), Some(to)], text);
}

/// Appends `HISTORY <id> <ts> <from> [<room>] :<text>`, LF included.
pub fn push_history(
    out: &mut String,
    id: u64,
    ts: &Timestamp,
    from: &str,
    room: Option<&str>,
    text: &str,
) {
    message(out, "HISTORY", id, ts, &[Some(from), room], text);
}

/// Appends `<kind> <count> [<room>]`, LF included: `USERS-END`,
/// `HISTORY-END`.
pub fn push_counted_end(out: &mut String, kind: &str, count: u64, room: Option<&str>) {
    out.push_str(kind);
    push_number(out, count);
    if let Some(room) = room {
        out.push(' ');
        out.push_str(room);
    }
    out.push('\n');
}

/// Appends `USERS` lines, each within [`MAX_SERVER_LINE`] (a name is never
/// split), then `USERS-END <count> [<room>]`. Returns the count.
pub fn push_users_run<'a>(
    out: &mut String,
    names: impl Iterator<Item = &'a str>,
    room: Option<&str>,
) -> u64 {
    const PREFIX: &str = "USERS :";
    let mut count = 0;
    let mut line_start = None;
    for name in names {
        let fits =
            line_start.is_some_and(|start| out.len() - start + 1 + name.len() < MAX_SERVER_LINE);
        if fits {
            out.push(' ');
        } else {
            if line_start.is_some() {
                out.push('\n');
            }
            line_start = Some(out.len());
            out.push_str(PREFIX);
        }
        out.push_str(name);
        count += 1;
    }
    if line_start.is_some() {
        out.push('\n');
    }
    push_counted_end(out, "USERS-END", count, room);
    count
}

fn message(
    out: &mut String,
    kind: &str,
    id: u64,
    ts: &Timestamp,
    names: &[Option<&str>],
    text: &str,
) {
    out.push_str(kind);
    push_number(out, id);
    out.push(' ');
    out.push_str(&format_ts(ts));
    for name in names.iter().flatten() {
        out.push(' ');
        out.push_str(name);
    }
    out.push_str(" :");
    out.push_str(text);
    out.push('\n');
}

/// `JOINED` and `ROOM`: `<kind> <room> <members> :<topic>`, no LF.
fn push_room_line(out: &mut String, kind: &str, room: &str, members: u64, topic: &str) {
    out.push_str(kind);
    out.push(' ');
    out.push_str(room);
    push_number(out, members);
    out.push_str(" :");
    out.push_str(topic);
}

fn push_joined(out: &mut String, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        parse_ts(s).unwrap()
    }

    /// Every line parses to the value and encodes back to the same text.
    fn check(wire: &str, value: ServerLine) {
        assert_eq!(ServerLine::parse(wire), Ok(value.clone()), "parse {wire:?}");
        assert_eq!(value.encode(), format!("{wire}\n"), "encode {value:?}");
    }

    #[test]
    fn server_line_table() {
        let t = "2026-11-21T09:30:00.123Z";
        let s = String::from;
        check(
            "HELLO chatroom 1 :Send your name to join.",
            ServerLine::Hello {
                server: s("chatroom"),
                version: s("1"),
                text: s("Send your name to join."),
            },
        );
        check(
            "WELCOME alice 2 :Welcome!",
            ServerLine::Welcome {
                name: s("alice"),
                online: 2,
                text: s("Welcome!"),
            },
        );
        check(
            "USERS :alice bob",
            ServerLine::Users {
                names: vec![s("alice"), s("bob")],
            },
        );
        check(
            "USERS-END 2",
            ServerLine::UsersEnd {
                count: 2,
                room: None,
            },
        );
        check(
            &format!("MSG 42 {t} alice :hi bob"),
            ServerLine::Msg {
                id: 42,
                ts: ts(t),
                from: s("alice"),
                room: None,
                text: s("hi bob"),
            },
        );
        check(
            &format!("MSG 1 {t} alice :"),
            ServerLine::Msg {
                id: 1,
                ts: ts(t),
                from: s("alice"),
                room: None,
                text: s(""),
            },
        );
        check(
            &format!("PRIV 43 {t} alice bob :x :y"),
            ServerLine::Priv {
                id: 43,
                ts: ts(t),
                from: s("alice"),
                to: s("bob"),
                text: s("x :y"),
            },
        );
        check(
            &format!("HISTORY 41 {t} bob :anyone?"),
            ServerLine::History {
                id: 41,
                ts: ts(t),
                from: s("bob"),
                room: None,
                text: s("anyone?"),
            },
        );
        check(
            "HISTORY-END 0",
            ServerLine::HistoryEnd {
                count: 0,
                room: None,
            },
        );
        check(
            &format!("JOIN {t} carol"),
            ServerLine::Join {
                ts: ts(t),
                name: s("carol"),
                room: None,
            },
        );
        check(
            &format!("LEAVE {t} carol :connection lost"),
            ServerLine::Leave {
                ts: ts(t),
                name: s("carol"),
                reason: s("connection lost"),
            },
        );
        check(
            "INFO :/who lists users",
            ServerLine::Info {
                text: s("/who lists users"),
            },
        );
        check(
            "ERROR name-taken :pick another",
            ServerLine::Error {
                code: ErrorCode::NameTaken,
                text: s("pick another"),
            },
        );
        check(
            "ERROR new-code :x",
            ServerLine::Error {
                code: ErrorCode::Other(s("new-code")),
                text: s("x"),
            },
        );
        check("PONG abc", ServerLine::Pong { token: s("abc") });
        check(
            "BYE :goodbye",
            ServerLine::Bye {
                reason: s("goodbye"),
            },
        );
        check(
            "FUTURE-KIND a b :c",
            ServerLine::Unknown {
                kind: s("FUTURE-KIND"),
                raw: s("FUTURE-KIND a b :c"),
            },
        );
    }

    #[test]
    fn extra_fields_are_ignored_and_missing_ones_refused() {
        assert_eq!(
            ServerLine::parse("USERS-END 2 #lobby extra"),
            Ok(ServerLine::UsersEnd {
                count: 2,
                room: Some("#lobby".into())
            })
        );
        assert!(matches!(
            ServerLine::parse("MSG 1"),
            Err(ParseError::MissingField { .. })
        ));
        assert!(matches!(
            ServerLine::parse("MSG x 2026-11-21T09:30:00.123Z a :t"),
            Err(ParseError::BadNumber { .. })
        ));
        assert!(matches!(
            ServerLine::parse("JOIN yesterday bob"),
            Err(ParseError::BadValue { .. })
        ));
    }

    /// Found by the `server_line` fuzz target: the grammar used to strip one
    /// trailing CR per parse, so encoding was not a fixed point.
    #[test]
    fn fuzz_regression_trailing_carriage_returns() {
        let input = "PONG \u{fffd}1\r\r\r";
        let once = ServerLine::parse(input).unwrap().encode();
        assert_eq!(once, format!("{input}\n"));
        assert_eq!(
            ServerLine::parse(once.trim_end_matches('\n'))
                .unwrap()
                .encode(),
            once
        );
    }

    #[test]
    fn error_codes_round_trip() {
        for code in [
            "line-too-long",
            "bad-encoding",
            "bad-text",
            "name-invalid",
            "name-taken",
            "name-not-allowed",
            "not-registered",
            "no-such-user",
            "usage",
            "unknown-command",
            "room-invalid",
            "not-in-room",
            "no-room",
            "too-many-rooms",
        ] {
            let parsed = ErrorCode::parse(code);
            assert!(!matches!(parsed, ErrorCode::Other(_)), "{code}");
            assert_eq!(parsed.as_str(), code);
        }
    }

    #[test]
    fn version_two_lines() {
        let t = "2026-11-21T09:30:00.123Z";
        let s = String::from;
        let room = || Some(s("#Rust"));
        check(
            &format!("MSG 42 {t} alice #Rust :hi"),
            ServerLine::Msg {
                id: 42,
                ts: ts(t),
                from: s("alice"),
                room: room(),
                text: s("hi"),
            },
        );
        check(
            &format!("HISTORY 41 {t} bob #Rust :a :b"),
            ServerLine::History {
                id: 41,
                ts: ts(t),
                from: s("bob"),
                room: room(),
                text: s("a :b"),
            },
        );
        check(
            "HISTORY-END 3 #Rust",
            ServerLine::HistoryEnd {
                count: 3,
                room: room(),
            },
        );
        check(
            "USERS-END 1 #Rust",
            ServerLine::UsersEnd {
                count: 1,
                room: room(),
            },
        );
        check(
            &format!("JOIN {t} carol #Rust"),
            ServerLine::Join {
                ts: ts(t),
                name: s("carol"),
                room: room(),
            },
        );
        check(
            "JOINED #Rust 3 :borrowck club",
            ServerLine::Joined {
                room: s("#Rust"),
                members: 3,
                topic: s("borrowck club"),
            },
        );
        check(
            "JOINED #Rust 1 :",
            ServerLine::Joined {
                room: s("#Rust"),
                members: 1,
                topic: s(""),
            },
        );
        check(
            &format!("PART {t} carol #Rust :lunch"),
            ServerLine::Part {
                ts: ts(t),
                name: s("carol"),
                room: s("#Rust"),
                reason: s("lunch"),
            },
        );
        check(
            &format!("TOPIC {t} - #Rust :"),
            ServerLine::Topic {
                ts: ts(t),
                name: s("-"),
                room: s("#Rust"),
                text: s(""),
            },
        );
        check(
            "ROOM #Rust 2 :a topic",
            ServerLine::Room {
                room: s("#Rust"),
                members: 2,
                topic: s("a topic"),
            },
        );
        check("ROOMS-END 2", ServerLine::RoomsEnd { count: 2 });
    }

    #[test]
    fn users_runs_respect_the_line_limit() {
        let names: Vec<String> = (0..2000)
            .map(|i| format!("user{i:05}_{}", "x".repeat(20)))
            .collect();
        let mut out = String::new();
        let count = push_users_run(&mut out, names.iter().map(String::as_str), Some("#lobby"));
        assert_eq!(count, 2000);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 2, "split over several lines");
        assert!(
            lines.iter().all(|line| line.len() < MAX_SERVER_LINE),
            "each line within the limit, LF included"
        );
        let listed: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("USERS :"))
            .flat_map(|l| l.split(' '))
            .collect();
        assert_eq!(listed, names);
        assert_eq!(*lines.last().unwrap(), "USERS-END 2000 #lobby");
    }

    #[test]
    fn empty_runs_still_end() {
        let mut out = String::new();
        assert_eq!(push_users_run(&mut out, std::iter::empty(), None), 0);
        push_counted_end(&mut out, "HISTORY-END", 0, Some("#a"));
        assert_eq!(out, "USERS-END 0\nHISTORY-END 0 #a\n");
    }
}
