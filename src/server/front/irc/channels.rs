//! The room commands of a registered client: `JOIN`, `PART`, `TOPIC`,
//! `NAMES`, `LIST` and the `MODE` queries clients send on joining.
//!
//! Each validates its arguments, asks the hub, and answers the asker with
//! numerics; what the room's members see (the joiner included) arrives as
//! hub events. Rooms have no modes: `MODE #room` says `+` and nobody is an
//! operator.

use crate::protocol::irc::numeric::{
    ERR_CHANOPRIVSNEEDED, ERR_NEEDMOREPARAMS, ERR_NOSUCHCHANNEL, ERR_NOSUCHNICK, ERR_NOTONCHANNEL,
    ERR_TOOMANYCHANNELS, ERR_UMODEUNKNOWNFLAG, ERR_UNAVAILRESOURCE, ERR_USERSDONTMATCH,
    RPL_CHANNELMODEIS, RPL_CREATIONTIME, RPL_ENDOFBANLIST, RPL_ENDOFNAMES, RPL_LIST, RPL_LISTEND,
    RPL_LISTSTART, RPL_NAMREPLY, RPL_NOTOPIC, RPL_TOPIC, RPL_TOPICWHOTIME, RPL_UMODEIS,
};
use crate::protocol::{MAX_TOPIC_LEN, name_key, room_key, validate_room};

use super::caps::Cap;
use super::connection::Ctx;
use super::port::{IrcHub, JoinRefusal};
use super::reply::{Out, Replier};
use super::source;
use super::users::plain_text;

/// `JOIN <room>{,<room>} [keys]`, or `JOIN 0` to leave every room.
pub(crate) fn join<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let Some(list) = params.first() else {
        return need_more(ctx, "JOIN");
    };
    if *list == "0" {
        for room in ctx.hub.my_rooms() {
            ctx.hub.part(&room, "");
        }
        return;
    }
    for room in list.split(',').filter(|room| !room.is_empty()) {
        if validate_room(room).is_err() {
            no_such_channel(ctx.to, ctx.out, room);
            continue;
        }
        match ctx.hub.join(room) {
            Err(JoinRefusal::TooManyRooms) => {
                let why = "You have joined too many channels";
                ctx.out.numeric(ctx.to, ERR_TOOMANYCHANNELS, &[room, why]);
            }
            Err(JoinRefusal::Unavailable) => {
                let why = "Channel is temporarily unavailable: try again in a moment";
                ctx.out.numeric(ctx.to, ERR_UNAVAILRESOURCE, &[room, why]);
            }
            Ok(_) => {}
        }
    }
}

/// `PART <room>{,<room>} [reason]`.
pub(crate) fn part<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let Some(list) = params.first() else {
        return need_more(ctx, "PART");
    };
    let reason = plain_text(params.get(1).copied().unwrap_or(""));
    for room in list.split(',').filter(|room| !room.is_empty()) {
        if validate_room(room).is_ok() && ctx.hub.part(room, &reason) {
            continue;
        }
        not_a_member(ctx, room);
    }
}

/// `TOPIC <room> [text]`: ask for the topic, or set it (members only).
pub(crate) fn topic<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let Some(room) = params.first().copied() else {
        return need_more(ctx, "TOPIC");
    };
    if validate_room(room).is_err() {
        return no_such_channel(ctx.to, ctx.out, room);
    }
    if let Some(text) = params.get(1) {
        let text = plain_text(text);
        // ISUPPORT says TOPICLEN: a longer topic is cut there, as IRC
        // servers do (the TOPIC every member gets shows what was kept).
        let text = &text[..text.floor_char_boundary(MAX_TOPIC_LEN)];
        if !ctx.hub.set_topic(room, text, ctx.now) {
            not_a_member(ctx, room);
        }
        return;
    }
    // A cleared topic (`TOPIC #room :`) is stored as empty text: no topic.
    let topic = ctx
        .hub
        .topic(room)
        .map(|topic| topic.filter(|topic| !topic.text.is_empty()));
    match topic {
        None => no_such_channel(ctx.to, ctx.out, room),
        Some(None) => ctx
            .out
            .numeric(ctx.to, RPL_NOTOPIC, &[room, "No topic is set"]),
        Some(Some(topic)) => {
            ctx.out.numeric(ctx.to, RPL_TOPIC, &[room, &topic.text]);
            let when = topic.ts.timestamp().to_string();
            ctx.out
                .numeric(ctx.to, RPL_TOPICWHOTIME, &[room, &source(&topic.by), &when]);
        }
    }
}

/// `NAMES [<room>{,<room>}]`: the members of each room named.
pub(crate) fn names<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let Some(list) = params.first() else {
        ctx.out
            .numeric(ctx.to, RPL_ENDOFNAMES, &["*", "End of /NAMES list"]);
        return;
    };
    for room in list.split(',').filter(|room| !room.is_empty()) {
        let members = validate_room(room)
            .ok()
            .and_then(|()| ctx.hub.members(room));
        if let Some(members) = members {
            let userhost = ctx.caps.has(Cap::UserhostInNames);
            let members = members.iter().map(String::as_str);
            names_reply(ctx.to, ctx.out, room, members, userhost);
        } else {
            ctx.out
                .numeric(ctx.to, RPL_ENDOFNAMES, &[room, "End of /NAMES list"]);
        }
    }
}

/// `353` lines (as many as the names need) and `366` for `room`.
/// With `userhost` (`userhost-in-names`), each is `nick!user@host`.
pub(crate) fn names_reply<'n>(
    to: Replier<'_>,
    out: &mut Out,
    room: &str,
    members: impl Iterator<Item = &'n str>,
    userhost: bool,
) {
    // Room for the prefix, the numeric, both names and the room: what is
    // left of 512 bytes holds the names.
    let budget = 512 - 64 - to.server.len() - to.nick.len() - room.len();
    // One buffer for every line's names, allocated once (see `reply.rs`).
    let mut line = String::with_capacity(budget);
    for member in members {
        let shown;
        let member = if userhost {
            shown = source(member);
            shown.as_str()
        } else {
            member
        };
        if !line.is_empty() && line.len() + 1 + member.len() > budget {
            out.numeric(to, RPL_NAMREPLY, &["=", room, &line]);
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(member);
    }
    if !line.is_empty() {
        out.numeric(to, RPL_NAMREPLY, &["=", room, &line]);
    }
    out.numeric(to, RPL_ENDOFNAMES, &[room, "End of /NAMES list"]);
}

/// `LIST [<room>{,<room>}]`: rooms with members, their counts and topics.
pub(crate) fn list<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let wanted: Option<Vec<String>> = params
        .first()
        .map(|list| list.split(',').map(room_key).collect());
    ctx.out
        .numeric(ctx.to, RPL_LISTSTART, &["Channel", "Users  Name"]);
    for room in ctx.hub.rooms() {
        if wanted
            .as_ref()
            .is_some_and(|w| !w.contains(&room_key(&room.name)))
        {
            continue;
        }
        let count = room.members.to_string();
        ctx.out
            .numeric(ctx.to, RPL_LIST, &[&room.name, &count, &room.topic]);
    }
    ctx.out.numeric(ctx.to, RPL_LISTEND, &["End of /LIST"]);
}

/// `MODE <target> [modes]`: a room's modes (none), its ban list (empty),
/// the client's own user modes (none); changes are refused.
pub(crate) fn mode<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    let Some(target) = params.first().copied() else {
        return need_more(ctx, "MODE");
    };
    let modes = params.get(1).copied();
    if target.starts_with('#') {
        return room_mode(target, modes, ctx);
    }
    if name_key(target) != name_key(ctx.to.nick) {
        if ctx.hub.user(target).is_none() {
            ctx.out
                .numeric(ctx.to, ERR_NOSUCHNICK, &[target, "No such nick"]);
        } else {
            let why = "Cannot change mode for other users";
            ctx.out.numeric(ctx.to, ERR_USERSDONTMATCH, &[why]);
        }
        return;
    }
    match modes {
        None => ctx.out.numeric(ctx.to, RPL_UMODEIS, &["+"]),
        // `+i` and `+w`, which clients send on connecting, mean nothing here
        // (every user is visible; there are no wallops): no answer, rather
        // than an error the user did not cause.
        Some(modes) if modes.chars().all(|c| matches!(c, '+' | '-' | 'i' | 'w')) => {}
        Some(_) => ctx
            .out
            .numeric(ctx.to, ERR_UMODEUNKNOWNFLAG, &["Unknown MODE flag"]),
    }
}

fn room_mode<H: IrcHub>(room: &str, modes: Option<&str>, ctx: &mut Ctx<'_, H>) {
    let exists = validate_room(room).is_ok() && ctx.hub.members(room).is_some();
    if !exists {
        return no_such_channel(ctx.to, ctx.out, room);
    }
    match modes {
        None => {
            let room = ctx.hub.room_display(room);
            ctx.out.numeric(ctx.to, RPL_CHANNELMODEIS, &[&room, "+"]);
            if let Some(created) = ctx.hub.created(&room) {
                let when = created.timestamp().to_string();
                ctx.out.numeric(ctx.to, RPL_CREATIONTIME, &[&room, &when]);
            }
        }
        Some("b" | "+b") => {
            ctx.out
                .numeric(ctx.to, RPL_ENDOFBANLIST, &[room, "End of channel ban list"]);
        }
        Some(_) => {
            let why = "You're not channel operator: rooms here have no modes";
            ctx.out.numeric(ctx.to, ERR_CHANOPRIVSNEEDED, &[room, why]);
        }
    }
}

/// `442` if `room` has members (and the client is not one), else `403`.
fn not_a_member<H: IrcHub>(ctx: &mut Ctx<'_, H>, room: &str) {
    let exists = validate_room(room).is_ok() && ctx.hub.members(room).is_some();
    if exists {
        ctx.out.numeric(
            ctx.to,
            ERR_NOTONCHANNEL,
            &[room, "You're not on that channel"],
        );
    } else {
        no_such_channel(ctx.to, ctx.out, room);
    }
}

pub(crate) fn no_such_channel(to: Replier<'_>, out: &mut Out, room: &str) {
    out.numeric(to, ERR_NOSUCHCHANNEL, &[room, "No such channel"]);
}

pub(crate) fn need_more<H: IrcHub>(ctx: &mut Ctx<'_, H>, command: &str) {
    ctx.out.numeric(
        ctx.to,
        ERR_NEEDMOREPARAMS,
        &[command, "Not enough parameters"],
    );
}
