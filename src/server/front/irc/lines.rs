//! The IRC lines of what the hub tells a member: messages, joins, parts,
//! quits, topics, and the answer to one's own join.
//!
//! Pure builders over plain data, so the encoder of hub events stays a thin
//! `match`. Each appends whole lines (CR LF included) to a `String`.
//! A message longer than IRC carries (a native client may send up to 4 KiB)
//! becomes several `PRIVMSG` lines, cut at character boundaries, every one
//! with the same tags: nothing is lost.

use crate::hub::message::Topic;
use crate::protocol::format_ts;
use crate::protocol::irc::numeric::{RPL_TOPIC, RPL_TOPICWHOTIME};
use crate::protocol::irc::{MAX_BODY, Message};
use crate::protocol::server_line::Timestamp;

use super::channels::names_reply;
use super::reply::{Out, Replier, push_fitting};
use super::source;

/// Which tags a member's messages carry: what its capabilities asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tags {
    /// None (neither `server-time` nor `message-tags`).
    None,
    /// `time` only (`server-time`).
    Time,
    /// `time` and `msgid` (`message-tags`, whose clients take any tag).
    TimeAndId,
}

/// One stored message as IRC shows it.
pub(crate) struct Said<'a> {
    pub(crate) id: u64,
    pub(crate) ts: Timestamp,
    pub(crate) from: &'a str,
    /// A room, or the nick of the private message's recipient.
    pub(crate) target: &'a str,
    pub(crate) text: &'a str,
}

/// `PRIVMSG` line(s) for `said`, with `tags`.
pub(crate) fn privmsg(out: &mut String, said: &Said<'_>, tags: Tags) {
    let from = source(said.from);
    let time = format_ts(&said.ts);
    let id = said.id.to_string();
    // Bytes of the line around the text: `:from PRIVMSG target :` and CR LF.
    let around = from.len() + said.target.len() + 14;
    let budget = MAX_BODY.saturating_sub(around).max(1);
    for piece in pieces(said.text, budget) {
        let mut message = Message::new("PRIVMSG", vec![said.target, piece]).with_source(&from);
        if tags != Tags::None {
            message = message.with_tag("time", time.as_str());
        }
        if tags == Tags::TimeAndId {
            message = message.with_tag("msgid", id.as_str());
        }
        let mut lines = Vec::with_capacity(1);
        push_fitting(&mut lines, message);
        out.extend(lines);
    }
}

/// `text` cut into pieces of at most `budget` bytes, at character
/// boundaries (always at least one piece).
fn pieces(text: &str, budget: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > budget {
        let mut cut = budget;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    pieces.push(rest);
    pieces
}

/// `:name JOIN room`.
pub(crate) fn join(out: &mut String, name: &str, room: &str) {
    line(out, &source(name), "JOIN", vec![room]);
}

/// `:name PART room [:reason]`.
pub(crate) fn part(out: &mut String, name: &str, room: &str, reason: &str) {
    let mut params = vec![room];
    if !reason.is_empty() {
        params.push(reason);
    }
    line(out, &source(name), "PART", params);
}

/// `:name QUIT :Quit: reason`.
pub(crate) fn quit(out: &mut String, name: &str, reason: &str) {
    let reason = if reason.is_empty() {
        "Quit".to_owned()
    } else {
        format!("Quit: {reason}")
    };
    line(out, &source(name), "QUIT", vec![&reason]);
}

/// `:by TOPIC room :text`.
pub(crate) fn topic(out: &mut String, room: &str, topic: &Topic) {
    line(out, &source(&topic.by), "TOPIC", vec![room, &topic.text]);
}

/// What a member sees on joining `room`: its own `JOIN`, the topic if any
/// (`332`, `333`), and the names (`353`..., `366`).
pub(crate) fn joined<'n>(
    out: &mut String,
    to: Replier<'_>,
    room: &str,
    topic: Option<&Topic>,
    members: impl Iterator<Item = &'n str>,
    userhost: bool,
) {
    join(out, to.nick, room);
    let mut replies = Out::default();
    if let Some(topic) = topic {
        replies.numeric(to, RPL_TOPIC, &[room, &topic.text]);
        let when = topic.ts.timestamp().to_string();
        replies.numeric(to, RPL_TOPICWHOTIME, &[room, &source(&topic.by), &when]);
    }
    let members: Vec<String> = members.map(str::to_owned).collect();
    names_reply(to, &mut replies, room, &members, userhost);
    out.extend(replies.lines);
}

/// A notice that what the client sent could not be stored.
pub(crate) fn not_stored(out: &mut String, to: Replier<'_>) {
    let text = "The server could not store your message, so nobody got it. Try again in a moment.";
    line(out, to.server, "NOTICE", vec![to.nick, text]);
}

fn line(out: &mut String, from: &str, command: &str, params: Vec<&str>) {
    let mut lines = Vec::with_capacity(1);
    push_fitting(&mut lines, Message::new(command, params).with_source(from));
    out.extend(lines);
}
