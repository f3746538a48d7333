//! The IRC lines of what the hub tells a member: messages, joins, parts,
//! quits, topics, and the answer to one's own join.
//!
//! Pure builders over plain data, so the encoder of hub events stays a thin
//! `match`. Each appends whole lines (CR LF included) to a `String`.
//! A message longer than IRC carries (a native client may send up to 4 KiB)
//! becomes several `PRIVMSG` lines, cut at character boundaries: nothing is
//! lost. Every piece has the message's `time`; only the first has its
//! `msgid`, which IRCv3 says names one message (a client that drops
//! duplicate msgids would otherwise hide the rest). A stored action
//! (`/me waves`, what the native client and an IRC `/me` both send)
//! reaches IRC members as a CTCP `ACTION` again. Other lines too long for IRC (a reason, a topic) have
//! their last parameter cut to fit, never dropped.

use crate::hub::message::{Kind, Relay, Topic};
use crate::protocol::format_ts;
use crate::protocol::irc::numeric::{RPL_TOPIC, RPL_TOPICWHOTIME};
use crate::protocol::irc::tags;
use crate::protocol::irc::{MAX_BODY, Message};
use crate::protocol::server_line::Timestamp;

use super::channels::names_reply;
use super::reply::{Lines, Out, Replier, push_fitting};
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
    /// `PRIVMSG` or `NOTICE`.
    pub(crate) kind: Kind,
    /// Its client-only tags, escaped as on the wire (`+a=b;+c`), for the
    /// members that take tags.
    pub(crate) live_tags: Option<&'a str>,
    pub(crate) text: &'a str,
}

/// The IRC command of a message of `kind`.
pub(crate) fn command_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Message => "PRIVMSG",
        Kind::Notice => "NOTICE",
    }
}

/// `PRIVMSG` (or `NOTICE`) line(s) for `said`, with `tags`.
pub(crate) fn privmsg(out: &mut String, said: &Said<'_>, tags: Tags) {
    privmsg_tagged(out, said, tags, None);
}

/// `PRIVMSG` line(s) for `said` inside the batch `batch`.
pub(crate) fn privmsg_in_batch(out: &mut String, said: &Said<'_>, tags: Tags, batch: &str) {
    privmsg_tagged(out, said, tags, Some(batch));
}

fn privmsg_tagged(out: &mut String, said: &Said<'_>, tags: Tags, batch: Option<&str>) {
    let from = source(said.from);
    let time = format_ts(&said.ts);
    let id = said.id.to_string();
    let action = action_of(said);
    let text = action.unwrap_or(said.text);
    // Bytes of the line around the text: `:from PRIVMSG target :` (as
    // long as `NOTICE`), CR LF,
    // and an action's `\x01ACTION ` and `\x01`.
    let wrapping = if action.is_some() {
        ACTION.len() + 1
    } else {
        0
    };
    let around = from.len() + said.target.len() + 14 + wrapping;
    let budget = MAX_BODY.saturating_sub(around).max(1);
    for (index, piece) in pieces(text, budget).into_iter().enumerate() {
        let wrapped;
        let piece = if action.is_some() {
            wrapped = format!("{ACTION}{piece}\u{1}");
            wrapped.as_str()
        } else {
            piece
        };
        let command = command_of(said.kind);
        let mut message = Message::new(command, vec![said.target, piece]).with_source(&from);
        if let Some(batch) = batch {
            message = message.with_tag("batch", batch);
        }
        if tags != Tags::None {
            message = message.with_tag("time", time.as_str());
        }
        // A msgid names one message: only its first piece carries it.
        if tags == Tags::TimeAndId && index == 0 {
            message = message.with_tag("msgid", id.as_str());
            message = with_client_tags(message, said.live_tags);
        }
        let mut lines = Vec::with_capacity(1);
        push_fitting(&mut lines, message);
        out.extend(lines);
    }
}

/// A relay (`hub/message.rs`: a CTCP request or reply, or a `TAGMSG`) as
/// its IRC line to `target`: `PRIVMSG`, `NOTICE` or `TAGMSG`. Its msgid is
/// `r` and its number, so it never names a stored message.
pub(crate) fn relay(out: &mut String, relay: &Relay, target: &str, tags: Tags) {
    let from = source(&relay.from);
    let time = format_ts(&relay.ts);
    let id = format!("r{}", relay.number);
    let (command, params) = match &relay.text {
        Some(text) => (command_of(relay.kind), vec![target, text.as_str()]),
        None => ("TAGMSG", vec![target]),
    };
    let mut message = Message::new(command, params).with_source(&from);
    if tags != Tags::None {
        message = message.with_tag("time", time.as_str());
    }
    if tags == Tags::TimeAndId {
        message = message.with_tag("msgid", id.as_str());
        message = with_client_tags(message, relay.tags.as_deref());
    }
    let mut lines = Vec::with_capacity(1);
    push_fitting(&mut lines, message);
    out.extend(lines);
}

/// `message` with the client-only tags `raw` (escaped, `;`-separated).
fn with_client_tags<'a>(mut message: Message<'a>, raw: Option<&'a str>) -> Message<'a> {
    for tag in raw
        .unwrap_or_default()
        .split(';')
        .filter(|tag| !tag.is_empty())
    {
        let (key, value) = tag.split_once('=').unwrap_or((tag, ""));
        message = message.with_tag(key, tags::unescape(value));
    }
    message
}

/// How a CTCP `ACTION` starts.
const ACTION: &str = "\u{1}ACTION ";

/// What the sender does, if the text is an action: `/me <does>`, as the
/// native client sends one and an IRC `/me` is stored, or `* <sender>
/// <does>`, as actions were stored before.
fn action_of<'a>(said: &Said<'a>) -> Option<&'a str> {
    if let Some(does) = said.text.strip_prefix("/me ") {
        return (!does.trim().is_empty()).then_some(does);
    }
    let rest = said.text.strip_prefix("* ")?;
    let (name, does) = rest.split_once(' ')?;
    (name == said.from && !does.is_empty()).then_some(does)
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
/// (`332`, `333`; a cleared one, empty, is none), and the names (`353`...,
/// `366`).
pub(crate) fn joined<'n>(
    out: &mut String,
    to: Replier<'_>,
    room: &str,
    topic: Option<&Topic>,
    members: impl Iterator<Item = &'n str>,
    userhost: bool,
) {
    join(out, to.nick, room);
    // The replies go on in `out` itself: no line of its own, no copy of
    // the names (see `reply.rs`).
    let mut replies = Out {
        lines: Lines::from_text(std::mem::take(out)),
        ..Out::default()
    };
    if let Some(topic) = topic.filter(|topic| !topic.text.is_empty()) {
        replies.numeric(to, RPL_TOPIC, &[room, &topic.text]);
        let when = topic.ts.timestamp().to_string();
        replies.numeric(to, RPL_TOPICWHOTIME, &[room, &source(&topic.by), &when]);
    }
    names_reply(to, &mut replies, room, members, userhost);
    *out = replies.lines.into_text();
}

/// A notice that what the client sent could not be stored.
pub(crate) fn not_stored(out: &mut String, to: Replier<'_>) {
    let text = "The server could not store your message, so nobody got it. Try again in a moment.";
    line(out, to.server, "NOTICE", vec![to.nick, text]);
}

fn line(out: &mut String, from: &str, command: &str, params: Vec<&str>) {
    push_fitting(out, Message::new(command, params).with_source(from));
}
