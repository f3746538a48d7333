//! The help text and what each line costs in flood-control tokens.

use crate::protocol::Frame;

pub(super) const HELP: &[&str] = &[
    "Commands:",
    "  /join <room>         join a room (#name), or switch to it: plain text goes there",
    "  /part [room] [why]   leave a room (the current one if none given)",
    "  /say <room> <text>   send to a room you are in without switching",
    "  /topic <room> [text] show a room's topic, or set it",
    "  /rooms               list the rooms with people in them",
    "  /msg <name> <text>   send a private message",
    "  /who [room]          list who is online, or in a room",
    "  /history [room] [n]  replay a room's last n messages (1 to 1000, default 50)",
    "  /ping [token]        check the connection (the server answers PONG)",
    "  /quit [reason]       leave (or type {exit})",
    "  /login <name> <pw>   join as an account (before joining; over TLS)",
    "  /help                this list",
    "  //text               send a room message that starts with /",
    "Before joining, send your name. Anything else you type goes to the room.",
];

/// What a line costs in flood-control tokens: commands that make the server
/// gather and send a lot (a `/join` replays history) cost more than a
/// message.
pub(super) fn cost(frame: &Frame) -> u32 {
    match frame {
        Frame::Line(line) if line.len() > 1 && line.starts_with('/') && !line.starts_with("//") => {
            let word = line[1..].split(' ').next().unwrap_or_default();
            let heavy = ["who", "history", "rooms", "join"];
            if heavy.iter().any(|heavy| word.eq_ignore_ascii_case(heavy)) {
                3
            } else {
                1
            }
        }
        _ => 1,
    }
}
