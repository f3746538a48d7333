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

use super::encode::push_room_line;
pub use super::encode::{
    NOTICE_FIELD, push_counted_end, push_history, push_message_line, push_msg, push_priv,
    push_users_run,
};
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

fn push_joined(out: &mut String, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(name);
    }
}

#[cfg(test)]
#[path = "server_line_tests.rs"]
mod tests;
