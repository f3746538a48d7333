//! The IRC front (issue 17): IRC clients in the same rooms as native ones.
//!
//! The connection logic is sans IO: [`connection::Connection`] turns one
//! client line into hub calls (through [`port::IrcHub`]) and reply lines;
//! `events.rs` turns hub events into IRC lines for the member's queue. The
//! session thread that owns the socket is the only part that does I/O.
//!
//! - `connection.rs`: states (registering, registered), dispatch, `NICK`,
//!   `USER`, `PASS`, `PING`, `QUIT`.
//! - `caps.rs`: `CAP` negotiation.
//! - `welcome.rs`: `001`-`005` (ISUPPORT), `LUSERS`, `MOTD`.
//! - `channels.rs`: `JOIN`, `PART`, `TOPIC`, `NAMES`, `LIST`, `MODE`.
//! - `users.rs`: `PRIVMSG`, `NOTICE`, `WHO`, `WHOIS`, `AWAY`.
//! - `about.rs`: `ISON`, `VERSION`, `TIME`, `INFO`.
//! - `relays.rs`: CTCP and `TAGMSG`, passed live between IRC users.
//! - `reply.rs`: the lines a connection sends back to its own client.
//! - `port.rs`: the hub as one IRC connection sees it.
//!
//! Invariant: every user on every front is `name!name@chatroom` to IRC
//! clients: the hub knows names only, and addresses are nobody's business.

pub(crate) mod about;
pub(crate) mod caps;
pub(crate) mod channels;
pub(crate) mod connection;
pub(crate) mod history;
pub(crate) mod lines;
pub(crate) mod member;
pub(crate) mod port;
pub(crate) mod relays;
pub(crate) mod reply;
pub(crate) mod sasl;
pub(crate) mod session;
pub(crate) mod users;
pub(crate) mod welcome;

#[cfg(test)]
mod bounds_tests;
#[cfg(test)]
mod ircv3_tests;
#[cfg(test)]
mod lines_tests;
#[cfg(test)]
mod tests;

/// The user and host part every user shows to IRC clients.
pub(crate) const HOST: &str = "chatroom";

/// A user's IRC source: `name!name@chatroom`.
pub(crate) fn source(name: &str) -> String {
    format!("{name}!{name}@{HOST}")
}

/// The last line an IRC client gets when the server closes its connection.
pub(crate) fn irc_farewell(reason: &str) -> String {
    let text = format!("Closing link: {reason}");
    let mut line = String::new();
    reply::push_fitting(
        &mut line,
        crate::protocol::irc::Message::new("ERROR", vec![&text]),
    );
    line
}
