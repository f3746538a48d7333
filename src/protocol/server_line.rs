//! Typed server lines: every line the server sends, parsed and encoded.
//!
//! [`ServerLine::parse`] is what a client (or a test) uses to read the server; the
//! server builds lines with [`ServerLine::encode`]. Unknown kinds parse to
//! [`ServerLine::Unknown`] and extra fields are ignored, so old clients keep
//! working as the protocol grows.

use chrono::{DateTime, SecondsFormat, Utc};

use super::grammar::{Line, ParseError, encode_into, push_number};
use super::room_line as rooms;

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
    /// Ends a run of `Users` lines; `room` when it listed one room (version 2).
    UsersEnd { count: u64, room: Option<String> },
    /// A room message; `room` names it from version 2 on.
    Msg {
        id: u64,
        ts: Timestamp,
        from: String,
        text: String,
        room: Option<String>,
    },
    /// A private message.
    Priv {
        id: u64,
        ts: Timestamp,
        from: String,
        to: String,
        text: String,
    },
    /// A stored room message replayed; `room` names it from version 2 on.
    History {
        id: u64,
        ts: Timestamp,
        from: String,
        text: String,
        room: Option<String>,
    },
    /// Ends a run of `History` lines; `room` from version 2 on.
    HistoryEnd { count: u64, room: Option<String> },
    /// Someone joined (the server, or `room` from version 2 on).
    Join {
        ts: Timestamp,
        name: String,
        room: Option<String>,
    },
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
    /// Version 2: you are now in `room`, your current room.
    Joined {
        room: String,
        members: u64,
        topic: String,
    },
    /// Version 2: `name` left `room` and stays online.
    Part {
        ts: Timestamp,
        name: String,
        room: String,
        reason: String,
    },
    /// Version 2: the topic of `room`, set by `name`.
    Topic {
        ts: Timestamp,
        name: String,
        room: String,
        text: String,
    },
    /// Version 2: one room of a `/rooms` listing.
    Room {
        room: String,
        members: u64,
        topic: String,
    },
    /// Version 2: ends a `/rooms` listing.
    RoomsEnd { count: u64 },
    /// A kind this version does not know; kept so a client can show or log it.
    Unknown { kind: String, raw: String },
}

impl ServerLine {
    /// Parses one server line (without its LF).
    pub fn parse(input: &str) -> Result<ServerLine, ParseError> {
        let line = Line::parse(input)?;
        let text = || line.text.unwrap_or_default().to_owned();
        let owned = |i, name| line.field(i, name).map(str::to_owned);
        let optional = |i: usize| line.fields.get(i).map(|f| (*f).to_owned());
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
                text: line.required_text()?.to_owned(),
                room: optional(3),
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
                text: line.required_text()?.to_owned(),
                room: optional(3),
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
            "JOINED" | "PART" | "TOPIC" | "ROOM" | "ROOMS-END" => rooms::parse(&line)?,
            kind => ServerLine::Unknown {
                kind: kind.to_owned(),
                raw: input.to_owned(),
            },
        })
    }

    /// Appends the line, LF included, to `out`.
    pub fn encode_into(&self, out: &mut String) {
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
            ServerLine::UsersEnd { count, room } => counted(out, "USERS-END", *count, room),
            ServerLine::Msg {
                id,
                ts,
                from,
                text,
                room,
            } => message(out, "MSG", *id, ts, &with_room(from, room), text),
            ServerLine::Priv {
                id,
                ts,
                from,
                to,
                text,
            } => message(out, "PRIV", *id, ts, &[from, to], text),
            ServerLine::History {
                id,
                ts,
                from,
                text,
                room,
            } => message(out, "HISTORY", *id, ts, &with_room(from, room), text),
            ServerLine::HistoryEnd { count, room } => counted(out, "HISTORY-END", *count, room),
            ServerLine::Join { ts, name, room } => {
                let ts = format_ts(ts);
                let mut fields = vec![ts.as_str(), name.as_str()];
                fields.extend(room.as_deref());
                encode_into(out, "JOIN", &fields, None)
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
            ServerLine::Joined { .. }
            | ServerLine::Part { .. }
            | ServerLine::Topic { .. }
            | ServerLine::Room { .. }
            | ServerLine::RoomsEnd { .. } => rooms::encode_into_out(self, out),
            ServerLine::Unknown { raw, .. } => out.push_str(raw),
        }
        out.push('\n');
    }

    /// The line, LF included, as a new string.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(64);
        self.encode_into(&mut out);
        out
    }
}

fn counted(out: &mut String, kind: &str, count: u64, room: &Option<String>) {
    out.push_str(kind);
    push_number(out, count);
    if let Some(room) = room {
        out.push(' ');
        out.push_str(room);
    }
}

/// The name fields of a message line: the sender, then the room if any.
fn with_room<'a>(from: &'a String, room: &'a Option<String>) -> Vec<&'a String> {
    std::iter::once(from).chain(room.as_ref()).collect()
}

fn message(out: &mut String, kind: &str, id: u64, ts: &Timestamp, names: &[&String], text: &str) {
    out.push_str(kind);
    push_number(out, id);
    out.push(' ');
    out.push_str(&format_ts(ts));
    for name in names {
        out.push(' ');
        out.push_str(name);
    }
    out.push_str(" :");
    out.push_str(text);
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
                text: s("hi bob"),
                room: None,
            },
        );
        check(
            &format!("MSG 1 {t} alice :"),
            ServerLine::Msg {
                id: 1,
                ts: ts(t),
                from: s("alice"),
                text: s(""),
                room: None,
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
                text: s("anyone?"),
                room: None,
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
            ServerLine::parse("USERS-END 2 extra"),
            Ok(ServerLine::UsersEnd {
                count: 2,
                room: Some("extra".into())
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
        ] {
            let parsed = ErrorCode::parse(code);
            assert!(!matches!(parsed, ErrorCode::Other(_)), "{code}");
            assert_eq!(parsed.as_str(), code);
        }
    }
}
