//! The questions clients ask on their own about the server and who is on:
//! `ISON` (irssi's `/notify` polls it), `VERSION`, `TIME` and `INFO`.
//!
//! Each answers the asker alone and changes nothing. A server argument
//! (`VERSION <server>`, `TIME <server>`) is ignored: there is one server.

use crate::protocol::irc::numeric::{
    RPL_ENDOFINFO, RPL_INFO, RPL_ISON, RPL_ISUPPORT, RPL_TIME, RPL_VERSION,
};
use crate::protocol::validate_name;

use super::connection::Ctx;
use super::port::IrcHub;

/// `ISON <nick>{ <nick>}`: `303` with those online, each as its owner
/// spells it, in the order asked.
pub(crate) fn ison<H: IrcHub>(params: &[&str], ctx: &mut Ctx<'_, H>) {
    if params.is_empty() {
        return super::channels::need_more(ctx, "ISON");
    }
    let mut online = Vec::new();
    // Clients put several nicks in one trailing parameter too.
    for nick in params.iter().flat_map(|param| param.split(' ')).take(32) {
        if validate_name(nick).is_err() {
            continue;
        }
        if let Some(user) = ctx.hub.user(nick)
            && !online.contains(&user.name)
        {
            online.push(user.name);
        }
    }
    ctx.out.numeric(ctx.to, RPL_ISON, &[&online.join(" ")]);
}

/// `VERSION`: `351`, then the `005` lines, as the modern IRC document asks.
pub(crate) fn version<H: IrcHub>(ctx: &mut Ctx<'_, H>) {
    let settings = ctx.settings;
    let comment = "chatroom: IRC and native clients in the same rooms";
    let params = [
        settings.version.as_str(),
        settings.server_name.as_str(),
        comment,
    ];
    ctx.out.numeric(ctx.to, RPL_VERSION, &params);
    let tokens = settings.isupport();
    for chunk in tokens.chunks(12) {
        let mut params: Vec<&str> = chunk.iter().map(String::as_str).collect();
        params.push("are supported by this server");
        ctx.out.numeric(ctx.to, RPL_ISUPPORT, &params);
    }
}

/// `TIME`: `391 <server> <unix time> :<the time in words>`.
pub(crate) fn time<H: IrcHub>(ctx: &mut Ctx<'_, H>) {
    let seconds = ctx.now.timestamp().to_string();
    let words = ctx.now.format("%A %B %-d %Y -- %H:%M:%S UTC").to_string();
    let server = ctx.settings.server_name.as_str();
    ctx.out
        .numeric(ctx.to, RPL_TIME, &[server, &seconds, &words]);
}

/// `INFO`: a few `371` lines about the server, then `374`.
pub(crate) fn info<H: IrcHub>(ctx: &mut Ctx<'_, H>) {
    let settings = ctx.settings;
    let lines = [
        format!("{} ({})", settings.server_name, settings.version),
        "A chat server: IRC and native chat-client users share its rooms.".to_owned(),
        format!("Running since {}.", settings.created),
        "No operators, no channel modes, no services: log in with SASL or PASS.".to_owned(),
    ];
    for line in &lines {
        ctx.out.numeric(ctx.to, RPL_INFO, &[line]);
    }
    ctx.out
        .numeric(ctx.to, RPL_ENDOFINFO, &["End of /INFO list"]);
}
