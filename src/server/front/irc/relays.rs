//! What IRC users pass to each other live and the hub never stores: CTCP
//! requests and replies (`PRIVMSG`/`NOTICE` whose text is `\x01WORD
//! ...\x01`, other than `ACTION`) and `TAGMSG` (client-only tags alone).
//!
//! Both go to the hub as relays (`hub/registry/relay.rs`): to a room's IRC
//! members, or to one IRC user, never to native users, whose protocol has
//! neither. A `TAGMSG` reaches only clients that enabled `message-tags`. A
//! CTCP request to a native user is answered here, on its behalf, as IRC
//! users expect of a user's client: `VERSION`, `PING`, `TIME` and
//! `CLIENTINFO` with a `NOTICE` from that user saying it is on the native
//! protocol; another request gets a `NOTICE` from the server saying nothing
//! was sent. A CTCP reply (a `NOTICE`) to a native user goes nowhere.

use crate::hub::message::Kind;
use crate::protocol::irc::Message;
use crate::protocol::{validate_name, validate_room};

use super::connection::Ctx;
use super::port::{IrcHub, Relayed, Sending};
use super::reply::push_fitting;
use super::source;
use super::users::{cannot_send_to_room, checked_targets, no_such_nick};

/// The CTCP requests answered on a native user's behalf.
const ANSWERED: &str = "ACTION CLIENTINFO PING TIME VERSION";

/// The command of a CTCP message other than `ACTION` (`VERSION` in
/// `\x01VERSION\x01`), which is not text to post.
pub(crate) fn ctcp_request(text: &str) -> Option<String> {
    let request = text.strip_prefix('\u{1}')?;
    let word: String = request
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    // `\x01\x01` names no request: it is text (empty once cleaned).
    (!word.is_empty() && !word.eq_ignore_ascii_case("ACTION")).then(|| word.to_ascii_uppercase())
}

/// The CTCP message `text` (whose command is `request`), a request
/// (`PRIVMSG`) or a reply (`NOTICE`), to `target`.
pub(crate) fn ctcp<H: IrcHub>(
    target: &str,
    text: &str,
    request: &str,
    kind: Kind,
    ctx: &mut Ctx<'_, H>,
) {
    let message = Sending {
        kind,
        text: Some(text),
        tags: ctx.client_tags,
    };
    let answer = kind == Kind::Message;
    match relay(target, &message, ctx) {
        Relayed::Sent => {}
        Relayed::NotTaken if answer => answer_for_native(target, text, request, ctx),
        Relayed::NoSuchUser if answer => no_such_nick(target, ctx),
        Relayed::NotInRoom if answer => cannot_send_to_room(target, ctx),
        Relayed::NotTaken | Relayed::NoSuchUser | Relayed::NotInRoom => {}
    }
}

/// `TAGMSG <target>{,<target>}`: the client-only tags alone, to each.
pub(crate) fn tagmsg<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let Some(targets) = params.first().filter(|t| !t.is_empty()) else {
        return super::channels::need_more(ctx, "TAGMSG");
    };
    let Some(targets) = checked_targets(targets, true, ctx) else {
        return;
    };
    let message = Sending {
        kind: Kind::Message,
        text: None,
        tags: ctx.client_tags,
    };
    for target in targets {
        match relay(target, &message, ctx) {
            // A native user takes no tags: nothing to tell the sender.
            Relayed::Sent | Relayed::NotTaken => {}
            Relayed::NoSuchUser => no_such_nick(target, ctx),
            Relayed::NotInRoom => cannot_send_to_room(target, ctx),
        }
    }
}

/// Relays `message` to `target` if it is a valid room or nick.
fn relay<H: IrcHub>(target: &str, message: &Sending<'_>, ctx: &mut Ctx<'_, H>) -> Relayed {
    if target.starts_with('#') {
        if validate_room(target).is_err() {
            return Relayed::NotInRoom;
        }
    } else if validate_name(target).is_err() {
        return Relayed::NoSuchUser;
    }
    ctx.hub.relay(target, message)
}

/// The answer IRC users expect from the client of `nick`, a native user,
/// to the CTCP request `text`.
fn answer_for_native<H: IrcHub>(nick: &str, text: &str, request: &str, ctx: &mut Ctx<'_, H>) {
    let nick = ctx
        .hub
        .user(nick)
        .map_or_else(|| nick.to_owned(), |user| user.name);
    let inner = text.trim_matches('\u{1}');
    let reply = match request {
        "VERSION" => format!(
            "VERSION chatroom {}: {nick} is on chatroom's native protocol, not IRC",
            env!("CARGO_PKG_VERSION")
        ),
        // `PING <token>` comes back as it was sent.
        "PING" => inner.to_owned(),
        "TIME" => format!("TIME {}", ctx.now.to_rfc2822()),
        "CLIENTINFO" => format!("CLIENTINFO {ANSWERED}"),
        _ => {
            let why = format!(
                "{nick} is on chatroom's native protocol, which has no CTCP {request}: nothing was sent"
            );
            let notice = Message::new("NOTICE", vec![ctx.to.nick, &why]);
            return ctx.out.send(ctx.to.server, notice);
        }
    };
    let reply = format!("\u{1}{reply}\u{1}");
    let from = source(&nick);
    let notice = Message::new("NOTICE", vec![ctx.to.nick, &reply]).with_source(&from);
    push_fitting(&mut ctx.out.lines, notice);
}
