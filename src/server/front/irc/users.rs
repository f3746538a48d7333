//! The message and user commands of a registered client: `PRIVMSG`,
//! `NOTICE`, `WHO`, `WHOIS` and `AWAY`.
//!
//! A message to a room goes to the hub as the room's next message; one to a
//! nick as a private message. A `NOTICE` is stored and relayed as a
//! notice (IRC members see `NOTICE`, native ones a line marked `notice`);
//! as RFC 2812 asks, a `NOTICE` is never answered with an error.
//!
//! Text reaches native users too, whose protocol never carries control
//! characters: IRC formatting (bold, colours) is removed, and a CTCP
//! `ACTION` (`/me waves`) becomes the text `/me waves`, as the native client
//! sends an action (which IRC members get back as an `ACTION`). Other CTCP requests (`VERSION`, `PING`) are
//! not text: they are neither relayed nor stored, and the sender is told.
//! One line names at most [`MAX_TARGETS`] distinct targets (`TARGMAX`):
//! flood control counts lines, so one line posts at most that many.

use crate::protocol::irc::numeric::{
    ERR_CANNOTSENDTOCHAN, ERR_INPUTTOOLONG, ERR_NONICKNAMEGIVEN, ERR_NORECIPIENT,
    ERR_NOSUCHCHANNEL, ERR_NOSUCHNICK, ERR_NOTEXTTOSEND, ERR_TOOMANYTARGETS, RPL_AWAY,
    RPL_ENDOFWHO, RPL_ENDOFWHOIS, RPL_NOWAWAY, RPL_UNAWAY, RPL_USERHOST, RPL_WHOISCHANNELS,
    RPL_WHOISSERVER, RPL_WHOISUSER, RPL_WHOREPLY,
};
use crate::protocol::{is_service_name, name_key, room_key, validate_name, validate_room};

use std::borrow::Cow;

use crate::protocol::frame::is_forbidden_char;

use super::connection::Ctx;
use super::lines::command_of;
use super::port::{IrcHub, Sending};
use super::relays;
use super::{HOST, source};
use crate::hub::message::Kind;
use crate::protocol::irc::{MAX_BODY, Message};

/// `PRIVMSG`/`NOTICE <target>{,<target>} <text>` (`kind` says which): a
/// `NOTICE` never gets an error back.
pub(crate) fn message<H: IrcHub>(params: &[&str], kind: Kind, ctx: &mut Ctx<'_, H>) {
    let answer = kind == Kind::Message;
    let command = command_of(kind);
    // `PRIVMSG , :x` names no target either.
    let targets = params.first().copied().unwrap_or_default();
    if distinct_targets(targets).is_empty() {
        if answer {
            let why = format!("No recipient given ({command})");
            ctx.out.numeric(ctx.to, ERR_NORECIPIENT, &[&why]);
        }
        return;
    }
    let raw = params.get(1).copied().unwrap_or_default();
    let ctcp = relays::ctcp_request(raw);
    let text = plain_text(raw);
    if text.is_empty() && ctcp.is_none() {
        if answer {
            ctx.out
                .numeric(ctx.to, ERR_NOTEXTTOSEND, &["No text to send"]);
        }
        return;
    }
    let Some(targets) = checked_targets(targets, answer, ctx) else {
        return;
    };
    if let Some(target) = targets
        .iter()
        .find(|target| !fits_one_line(ctx.to.nick, command, target, raw))
    {
        let why = format!(
            "Input line was too long: to {target} it would not fit in one IRC line with your nick and host ({}): nothing was sent",
            source(ctx.to.nick)
        );
        ctx.out.numeric(ctx.to, ERR_INPUTTOOLONG, &[&why]);
        return;
    }
    for target in targets {
        let message = Sending {
            kind,
            text: Some(&text),
            tags: ctx.client_tags,
        };
        match &ctcp {
            Some(request) => relays::ctcp(target, raw, request, kind, ctx),
            None if target.starts_with('#') => to_room(target, &message, ctx),
            None => to_user(target, &message, ctx),
        }
    }
}

/// Whether `text` from `nick` to `target` fits in one relayed line of
/// 512 bytes (`:nick!nick@host COMMAND target :text` and CR LF), as IRC
/// members get it: a longer one is refused (`417`) rather than reach them
/// cut or in pieces.
fn fits_one_line(nick: &str, command: &str, target: &str, text: &str) -> bool {
    let line = 1 + source(nick).len() + 1 + command.len() + 1 + target.len() + 2 + text.len() + 2;
    line <= MAX_BODY
}

/// The distinct targets of `targets`, or `None` (and `407` if `answer`)
/// if there are more than [`MAX_TARGETS`]: then nothing is sent.
pub(crate) fn checked_targets<'t, H: IrcHub>(
    targets: &'t str,
    answer: bool,
    ctx: &mut Ctx<'_, H>,
) -> Option<Vec<&'t str>> {
    let targets = distinct_targets(targets);
    if targets.len() <= MAX_TARGETS {
        return Some(targets);
    }
    if answer {
        let why = format!("Too many recipients: at most {MAX_TARGETS} a line, nothing was sent");
        let excess = targets[MAX_TARGETS];
        ctx.out.numeric(ctx.to, ERR_TOOMANYTARGETS, &[excess, &why]);
    }
    None
}

/// The targets of `PRIVMSG`/`NOTICE` one line may name (ISUPPORT
/// `TARGMAX`): one line is one line of flood control, so it posts at most
/// this many messages.
pub(crate) const MAX_TARGETS: usize = 4;

/// The comma-separated `targets`, each once (rooms and nicks compared
/// without case), in the order given.
fn distinct_targets(targets: &str) -> Vec<&str> {
    let key = |target: &str| {
        if target.starts_with('#') {
            room_key(target)
        } else {
            name_key(target)
        }
    };
    let mut seen = Vec::new();
    let mut distinct = Vec::new();
    for target in targets.split(',').filter(|t| !t.is_empty()) {
        let key = key(target);
        if !seen.contains(&key) {
            seen.push(key);
            distinct.push(target);
        }
    }
    distinct
}

fn to_room<H: IrcHub>(room: &str, message: &Sending<'_>, ctx: &mut Ctx<'_, H>) {
    if validate_room(room).is_ok() && ctx.hub.say(room, message) {
        return;
    }
    if message.kind == Kind::Message {
        cannot_send_to_room(room, ctx);
    }
}

/// `404` if `room` exists (the sender is not in it), else `403`.
pub(crate) fn cannot_send_to_room<H: IrcHub>(room: &str, ctx: &mut Ctx<'_, H>) {
    let exists = validate_room(room).is_ok() && ctx.hub.members(room).is_some();
    if exists {
        let why = "Cannot send to channel: join it first";
        ctx.out.numeric(ctx.to, ERR_CANNOTSENDTOCHAN, &[room, why]);
    } else {
        ctx.out
            .numeric(ctx.to, ERR_NOSUCHCHANNEL, &[room, "No such channel"]);
    }
}

fn to_user<H: IrcHub>(nick: &str, message: &Sending<'_>, ctx: &mut Ctx<'_, H>) {
    let answer = message.kind == Kind::Message;
    // Clients that identify on their own send their password here: it goes
    // nowhere, and the sender learns how to log in.
    if is_service_name(nick) {
        if answer {
            let why = format!(
                "There is no {nick} here, and your message went nowhere: log in with SASL PLAIN, or PASS <password> before NICK and USER"
            );
            ctx.out.send(
                ctx.to.server,
                Message::new("NOTICE", vec![ctx.to.nick, &why]),
            );
        }
        return;
    }
    if validate_name(nick).is_err() || !ctx.hub.tell(nick, message) {
        if answer {
            no_such_nick(nick, ctx);
        }
        return;
    }
    if !answer {
        return;
    }
    // The nick as its owner spells it, not as the sender typed it.
    if let Some(user) = ctx.hub.user(nick)
        && let Some(away) = user.away
    {
        ctx.out.numeric(ctx.to, RPL_AWAY, &[&user.name, &away]);
    }
}

/// `401` for `nick`.
pub(crate) fn no_such_nick<H: IrcHub>(nick: &str, ctx: &mut Ctx<'_, H>) {
    ctx.out
        .numeric(ctx.to, ERR_NOSUCHNICK, &[nick, "No such nick/channel"]);
}

/// `WHO <room|mask>`: one `352` per member of the room (or per user whose
/// nick matches the mask, `*` and `?` as wildcards), then `315`.
pub(crate) fn who<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let mask = params.first().copied().unwrap_or("*");
    let (room, names) = if mask.starts_with('#') {
        let members = validate_room(mask)
            .ok()
            .and_then(|()| ctx.hub.members(mask));
        (ctx.hub.room_display(mask), members.unwrap_or_default())
    } else {
        let mut names = ctx.hub.online();
        names.retain(|name| matches_mask(mask, name));
        ("*".to_owned(), names)
    };
    for name in &names {
        let Some(user) = ctx.hub.user(name) else {
            continue;
        };
        let flags = if user.away.is_some() { "G" } else { "H" };
        let hops_name = format!("0 {}", user.realname);
        let server = ctx.settings.server_name.as_str();
        let params = [
            room.as_str(),
            &user.user,
            HOST,
            server,
            &user.name,
            flags,
            &hops_name,
        ];
        ctx.out.numeric(ctx.to, RPL_WHOREPLY, &params);
    }
    ctx.out
        .numeric(ctx.to, RPL_ENDOFWHO, &[mask, "End of WHO list"]);
}

/// Whether `name` matches the IRC mask `mask` (`*` any run, `?` one
/// character), without regard to ASCII case.
fn matches_mask(mask: &str, name: &str) -> bool {
    fn go(mask: &[u8], name: &[u8]) -> bool {
        match mask.split_first() {
            None => name.is_empty(),
            Some((b'*', rest)) => (0..=name.len()).any(|skip| go(rest, &name[skip..])),
            Some((b'?', rest)) => !name.is_empty() && go(rest, &name[1..]),
            Some((c, rest)) => name
                .split_first()
                .is_some_and(|(n, tail)| n.eq_ignore_ascii_case(c) && go(rest, tail)),
        }
    }
    mask.len() <= 64 && go(mask.as_bytes(), name.as_bytes())
}

/// `WHOIS [server] <nick>`: who `nick` is, or `401`, then `318`.
pub(crate) fn whois<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let Some(nick) = params.last().copied().filter(|nick| !nick.is_empty()) else {
        ctx.out
            .numeric(ctx.to, ERR_NONICKNAMEGIVEN, &["No nickname given"]);
        return;
    };
    let user = validate_name(nick).ok().and_then(|()| ctx.hub.user(nick));
    let Some(user) = user else {
        ctx.out
            .numeric(ctx.to, ERR_NOSUCHNICK, &[nick, "No such nick/channel"]);
        ctx.out
            .numeric(ctx.to, RPL_ENDOFWHOIS, &[nick, "End of /WHOIS list"]);
        return;
    };
    let name = user.name.as_str();
    let params = [name, &user.user, HOST, "*", &user.realname];
    ctx.out.numeric(ctx.to, RPL_WHOISUSER, &params);
    if !user.rooms.is_empty() {
        let rooms = user.rooms.join(" ");
        ctx.out.numeric(ctx.to, RPL_WHOISCHANNELS, &[name, &rooms]);
    }
    let server = ctx.settings.server_name.as_str();
    ctx.out.numeric(
        ctx.to,
        RPL_WHOISSERVER,
        &[name, server, &ctx.settings.network],
    );
    if let Some(away) = &user.away {
        ctx.out.numeric(ctx.to, RPL_AWAY, &[name, away]);
    }
    ctx.out
        .numeric(ctx.to, RPL_ENDOFWHOIS, &[name, "End of /WHOIS list"]);
}

/// `USERHOST <nick>{ <nick>}`: `nick=+user@host` (`-` if away) for each
/// online one, up to five.
pub(crate) fn userhost<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    if params.is_empty() {
        return super::channels::need_more(ctx, "USERHOST");
    }
    let mut found = Vec::new();
    for nick in params.iter().take(5) {
        if let Some(user) = validate_name(nick).ok().and_then(|()| ctx.hub.user(nick)) {
            let here = if user.away.is_some() { '-' } else { '+' };
            found.push(format!("{}={here}{}@{HOST}", user.name, user.user));
        }
    }
    ctx.out.numeric(ctx.to, RPL_USERHOST, &[&found.join(" ")]);
}

/// `AWAY [message]`: set the away message, or clear it without one.
pub(crate) fn away<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    match params.first().filter(|message| !message.is_empty()) {
        Some(message) => {
            ctx.hub.set_away(Some(&plain_text(message)));
            ctx.out
                .numeric(ctx.to, RPL_NOWAWAY, &["You have been marked as being away"]);
        }
        None => {
            ctx.hub.set_away(None);
            ctx.out.numeric(
                ctx.to,
                RPL_UNAWAY,
                &["You are no longer marked as being away"],
            );
        }
    }
}

/// `text` without control characters, a CTCP `ACTION` (any case) written
/// as the native client writes an action, `/me <action>` (see the module
/// docs); an action with nothing to say is empty. Other CTCP requests keep
/// their words.
pub(crate) fn plain_text(text: &str) -> Cow<'_, str> {
    if let Some(action) = ctcp_action(text) {
        let action = without_controls(action);
        let action = action.trim_start();
        if action.trim().is_empty() {
            return Cow::Borrowed("");
        }
        return Cow::Owned(format!("/me {action}"));
    }
    without_controls(text)
}

/// What a CTCP `ACTION` (`\x01ACTION waves\x01`, any case, the closing
/// `\x01` optional) says the sender does.
fn ctcp_action(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('\u{1}')?;
    let inner = inner.strip_suffix('\u{1}').unwrap_or(inner);
    let (word, rest) = inner.split_once(' ').unwrap_or((inner, ""));
    word.eq_ignore_ascii_case("ACTION").then_some(rest)
}

fn without_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_forbidden_char) {
        return Cow::Borrowed(text);
    }
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{3}' {
            // A colour code: up to two digits, then optionally `,` and two more.
            skip_digits(&mut chars);
            if chars.peek() == Some(&',') {
                chars.next();
                skip_digits(&mut chars);
            }
        } else if !is_forbidden_char(c) {
            plain.push(c);
        }
    }
    Cow::Owned(plain)
}

fn skip_digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for _ in 0..2 {
        if chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
        }
    }
}
