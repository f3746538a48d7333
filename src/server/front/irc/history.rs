//! `CHATHISTORY` (IRCv3 `draft/chathistory`) from a room's stored history.
//!
//! `LATEST`, `BEFORE`, `AFTER`, `AROUND` and `BETWEEN`, with `*`,
//! `msgid=<id>` or `timestamp=<RFC 3339>` as references, over the room's
//! most recent messages the hub keeps in memory (the newest 1000, as native
//! `/history` serves). The answer is a `chathistory` batch of `PRIVMSG`s
//! (and `NOTICE`s) carrying their stored `time` and `msgid`, oldest first.
//! Only a member may read a room's history. `TARGETS` lists the rooms one
//! is in that had messages between two times. Private messages are stored
//! but the hub keeps none in memory, so none is served.

use std::sync::Arc;

use crate::hub::message::StoredMessage;
use crate::protocol::irc::Message;
use crate::protocol::server_line::Timestamp;
use crate::protocol::{MAX_HISTORY_REQUEST, format_ts, parse_ts, validate_room};

use super::connection::Ctx;
use super::lines::{self, Said, Tags};
use super::port::IrcHub;
use super::reply::push_fitting;

/// Where a selection starts or ends.
enum Reference {
    /// No reference (`*`): the newest.
    Newest,
    /// The message with this id.
    Id(u64),
    /// This time.
    Time(Timestamp),
}

impl Reference {
    fn parse(word: &str) -> Option<Reference> {
        if word == "*" {
            return Some(Reference::Newest);
        }
        if let Some(id) = word.strip_prefix("msgid=") {
            return id.parse().ok().map(Reference::Id);
        }
        let ts = word.strip_prefix("timestamp=")?;
        parse_ts(ts).ok().map(Reference::Time)
    }

    /// Whether `message` comes before the reference.
    fn is_after(&self, message: &StoredMessage) -> bool {
        match self {
            Reference::Newest => true,
            Reference::Id(id) => message.id < *id,
            Reference::Time(ts) => message.ts < *ts,
        }
    }

    /// How many of `history` (in order) come before the reference.
    fn position(&self, history: &[Arc<StoredMessage>]) -> usize {
        history.partition_point(|m| self.is_after(m))
    }

    /// Whether `message` comes after the reference.
    fn is_before(&self, message: &StoredMessage) -> bool {
        match self {
            Reference::Newest => false,
            Reference::Id(id) => message.id > *id,
            Reference::Time(ts) => message.ts > *ts,
        }
    }
}

/// `CHATHISTORY <LATEST|BEFORE|AFTER|AROUND> <room> <reference> <limit>`,
/// `CHATHISTORY BETWEEN <room> <reference> <reference> <limit>` and
/// `CHATHISTORY TARGETS <timestamp> <timestamp> <limit>`.
pub(crate) fn chathistory<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let sub = params.first().map(|sub| sub.to_ascii_uppercase());
    match sub.as_deref() {
        Some("TARGETS") => return targets(&params[1..], ctx),
        Some("BETWEEN") => return between(&params[1..], ctx),
        _ => {}
    }
    let [sub, room, reference, limit, ..] = params else {
        return fail(ctx, "NEED_MORE_PARAMS", &["Missing parameters"]);
    };
    let sub = sub.to_ascii_uppercase();
    let (Some(reference), Ok(limit)) = (Reference::parse(reference), limit.parse::<usize>()) else {
        return fail(ctx, "INVALID_PARAMS", &[&sub, "Invalid reference or limit"]);
    };
    let limit = limit.min(MAX_HISTORY_REQUEST);
    let Some(history) = room_history(room, ctx) else {
        return fail(
            ctx,
            "INVALID_TARGET",
            &[&sub, room, "Not a channel you are in"],
        );
    };
    let chosen: Vec<&Arc<StoredMessage>> = match (sub.as_str(), &reference) {
        ("LATEST", Reference::Newest) => newest(history.iter(), limit),
        ("LATEST", _) => newest(history.iter().filter(|m| reference.is_before(m)), limit),
        ("BEFORE", _) => newest(history.iter().filter(|m| reference.is_after(m)), limit),
        ("AFTER", _) => history
            .iter()
            .filter(|m| reference.is_before(m))
            .take(limit)
            .collect(),
        ("AROUND", Reference::Newest) => {
            return fail(
                ctx,
                "INVALID_PARAMS",
                &[&sub, "AROUND needs a msgid or a timestamp"],
            );
        }
        ("AROUND", _) => around(&history, &reference, limit),
        _ => return fail(ctx, "INVALID_PARAMS", &[&sub, "Unknown subcommand"]),
    };
    let room = ctx.hub.room_display(room);
    send_batch(ctx, &room, &chosen);
}

/// `limit` messages around `reference`: the one it names (or the first
/// after it) in the middle, as many before it as after it where there are.
fn around<'a>(
    history: &'a [Arc<StoredMessage>],
    reference: &Reference,
    limit: usize,
) -> Vec<&'a Arc<StoredMessage>> {
    let middle = reference.position(history);
    let start = middle.saturating_sub(limit.saturating_sub(1) / 2);
    let end = (start + limit).min(history.len());
    let start = end.saturating_sub(limit);
    history[start..end].iter().collect()
}

/// `BETWEEN <room> <reference> <reference> <limit>`: the messages strictly
/// between the two, the first `limit` after the first reference if it is
/// the earlier, else the last `limit` before it; oldest first either way.
fn between<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let sub = "BETWEEN";
    let [room, from, to, limit, ..] = params else {
        return fail(ctx, "NEED_MORE_PARAMS", &["Missing parameters"]);
    };
    let references = (Reference::parse(from), Reference::parse(to));
    let (Some(from), Some(to), Ok(limit)) = (references.0, references.1, limit.parse::<usize>())
    else {
        return fail(ctx, "INVALID_PARAMS", &[sub, "Invalid reference or limit"]);
    };
    if matches!(from, Reference::Newest) || matches!(to, Reference::Newest) {
        return fail(
            ctx,
            "INVALID_PARAMS",
            &[sub, "BETWEEN needs msgids or timestamps"],
        );
    }
    let limit = limit.min(MAX_HISTORY_REQUEST);
    let Some(history) = room_history(room, ctx) else {
        return fail(
            ctx,
            "INVALID_TARGET",
            &[sub, room, "Not a channel you are in"],
        );
    };
    let forwards = from.position(&history) <= to.position(&history);
    let (low, high) = if forwards { (&from, &to) } else { (&to, &from) };
    let inside = history
        .iter()
        .filter(|m| low.is_before(m) && high.is_after(m));
    let chosen = match forwards {
        true => inside.take(limit).collect(),
        false => newest(inside, limit),
    };
    let room = ctx.hub.room_display(room);
    send_batch(ctx, &room, &chosen);
}

/// `TARGETS <timestamp> <timestamp> <limit>`: the rooms this client is in
/// whose latest message is strictly between the two times, each with that
/// message's time, the earliest first, at most `limit` of them.
fn targets<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let sub = "TARGETS";
    let [from, to, limit, ..] = params else {
        return fail(ctx, "NEED_MORE_PARAMS", &["Missing parameters"]);
    };
    let times = (Reference::parse(from), Reference::parse(to));
    let (Some(Reference::Time(from)), Some(Reference::Time(to)), Ok(limit)) =
        (times.0, times.1, limit.parse::<usize>())
    else {
        return fail(
            ctx,
            "INVALID_PARAMS",
            &[sub, "TARGETS needs two timestamps and a limit"],
        );
    };
    let (low, high) = (from.min(to), from.max(to));
    let mut found = Vec::new();
    for room in ctx.hub.my_rooms() {
        let history = ctx.hub.history(&room).unwrap_or_default();
        let latest = history.iter().rev().find(|m| m.ts > low && m.ts < high);
        if let Some(latest) = latest {
            found.push((latest.ts, room));
        }
    }
    found.sort();
    found.truncate(limit);
    let server = ctx.settings.server_name.as_str();
    let open = Message::new("BATCH", vec!["+targets", "draft/chathistory-targets"]);
    push_fitting(&mut ctx.out.lines, open.with_source(server));
    for (ts, room) in &found {
        let time = format_ts(ts);
        let line = Message::new("CHATHISTORY", vec!["TARGETS", room, &time])
            .with_source(server)
            .with_tag("batch", "targets");
        push_fitting(&mut ctx.out.lines, line);
    }
    let close = Message::new("BATCH", vec!["-targets"]).with_source(server);
    push_fitting(&mut ctx.out.lines, close);
}

/// The recent messages of `room` if it is valid and this client is in it.
fn room_history<H: IrcHub>(room: &str, ctx: &mut Ctx<'_, H>) -> Option<Vec<Arc<StoredMessage>>> {
    validate_room(room).ok()?;
    ctx.hub.history(room)
}

/// The last `limit` of `messages`, oldest first.
fn newest<'a>(
    messages: impl DoubleEndedIterator<Item = &'a Arc<StoredMessage>>,
    limit: usize,
) -> Vec<&'a Arc<StoredMessage>> {
    let mut chosen: Vec<_> = messages.rev().take(limit).collect();
    chosen.reverse();
    chosen
}

fn send_batch<H: IrcHub>(ctx: &mut Ctx<'_, H>, room: &str, chosen: &[&Arc<StoredMessage>]) {
    let server = ctx.settings.server_name.as_str();
    let id = "history";
    let start = format!("+{id}");
    let open = Message::new("BATCH", vec![&start, "chathistory", room]);
    push_fitting(&mut ctx.out.lines, open.with_source(server));
    for message in chosen {
        let mut out = String::new();
        let said = Said {
            id: message.id,
            ts: message.ts,
            from: &message.from,
            target: room,
            kind: message.kind,
            live_tags: None,
            text: &message.text,
        };
        lines::privmsg_in_batch(&mut out, &said, Tags::TimeAndId, id);
        ctx.out.lines.push(out);
    }
    let end = format!("-{id}");
    push_fitting(
        &mut ctx.out.lines,
        Message::new("BATCH", vec![&end]).with_source(server),
    );
}

fn fail<H: IrcHub>(ctx: &mut Ctx<'_, H>, code: &str, rest: &[&str]) {
    let mut params = vec!["CHATHISTORY", code];
    params.extend_from_slice(rest);
    let message = Message::new("FAIL", params).with_source(&ctx.settings.server_name);
    push_fitting(&mut ctx.out.lines, message);
}
