//! The encoders of the lines the server sends most, borrowing their parts,
//! so that a delivery is encoded once without building a [`ServerLine`]
//! first. [`ServerLine::encode_into`] calls them too: each line has one
//! encoder.
//!
//! [`ServerLine`]: super::ServerLine
//! [`ServerLine::encode_into`]: super::ServerLine::encode_into

use super::MAX_SERVER_LINE;
use super::grammar::push_number;
use super::server_line::{Timestamp, format_ts};

/// Appends `MSG <id> <ts> <from> [<room>] :<text>`, LF included.
pub fn push_msg(
    out: &mut String,
    id: u64,
    ts: &Timestamp,
    from: &str,
    room: Option<&str>,
    text: &str,
) {
    push_message_line(out, "MSG", id, ts, &[Some(from), room], text);
}

/// Appends `PRIV <id> <ts> <from> <to> :<text>`, LF included.
pub fn push_priv(out: &mut String, id: u64, ts: &Timestamp, from: &str, to: &str, text: &str) {
    push_message_line(out, "PRIV", id, ts, &[Some(from), Some(to)], text);
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
    push_message_line(out, "HISTORY", id, ts, &[Some(from), room], text);
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

/// The last field of a notice's `MSG`, `PRIV` or `HISTORY` line (a field
/// older parsers ignore; see docs/protocol.md).
pub const NOTICE_FIELD: &str = "notice";

/// Appends `<kind> <id> <ts> <name>... :<text>`, LF included: the shape of
/// `MSG`, `PRIV` and `HISTORY`, with any fields after the id and time.
pub fn push_message_line(
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
pub(super) fn push_room_line(out: &mut String, kind: &str, room: &str, members: u64, topic: &str) {
    out.push_str(kind);
    out.push(' ');
    out.push_str(room);
    push_number(out, members);
    out.push_str(" :");
    out.push_str(topic);
}
