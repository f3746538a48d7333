//! `CHATHISTORY` (IRCv3 `draft/chathistory`) from a room's stored history.
//!
//! `LATEST`, `BEFORE` and `AFTER`, with `*`, `msgid=<id>` or
//! `timestamp=<RFC 3339>` as the reference, over the room's most recent
//! messages the hub keeps in memory (the newest 1000, as native `/history`
//! serves). The answer is a `chathistory` batch of `PRIVMSG`s carrying
//! their stored `time` and `msgid`. Only a member may read a room's history.

use std::sync::Arc;

use crate::hub::message::StoredMessage;
use crate::protocol::irc::Message;
use crate::protocol::server_line::Timestamp;
use crate::protocol::{MAX_HISTORY_REQUEST, parse_ts, validate_room};

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

    /// Whether `message` comes after the reference.
    fn is_before(&self, message: &StoredMessage) -> bool {
        match self {
            Reference::Newest => false,
            Reference::Id(id) => message.id > *id,
            Reference::Time(ts) => message.ts > *ts,
        }
    }
}

/// `CHATHISTORY <LATEST|BEFORE|AFTER> <room> <reference> <limit>`.
pub(crate) fn chathistory<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let [sub, room, reference, limit, ..] = params else {
        return fail(ctx, "NEED_MORE_PARAMS", &["Missing parameters"]);
    };
    let sub = sub.to_ascii_uppercase();
    let (Some(reference), Ok(limit)) = (Reference::parse(reference), limit.parse::<usize>()) else {
        return fail(ctx, "INVALID_PARAMS", &[&sub, "Invalid reference or limit"]);
    };
    let limit = limit.min(MAX_HISTORY_REQUEST);
    let history = validate_room(room)
        .ok()
        .and_then(|()| ctx.hub.history(room));
    let Some(history) = history else {
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
        _ => return fail(ctx, "INVALID_PARAMS", &[&sub, "Unknown subcommand"]),
    };
    let room = ctx.hub.room_display(room);
    send_batch(ctx, &room, &chosen);
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
