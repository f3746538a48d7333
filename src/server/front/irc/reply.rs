//! The lines a connection sends back to its own client, built in order.
//!
//! [`Out`] encodes each reply as it is made, so a connection's answers are
//! plain `String`s (CR LF included) by the time they leave the pure logic.
//! Every reply here is the server's: its source is the server's name, and a
//! numeric's first parameter is the client's nick (`*` before it has one).
//! Nothing here touches the hub; hub events are encoded in `events.rs`.

use crate::protocol::irc::{MAX_BODY, Message, MessageError};

/// What the connection logic wants done, beside sending its lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Out {
    /// The lines to send, in order, each ending with CR LF.
    pub(crate) lines: Vec<String>,
    /// Close the connection once the lines are sent.
    pub(crate) close: bool,
    /// The client quit with this reason (empty if it gave none): the hub
    /// tells the others.
    pub(crate) quit: Option<String>,
}

/// The server's name and the client's nick, which every reply names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replier<'a> {
    /// The server's name, the source of every reply.
    pub(crate) server: &'a str,
    /// The client's nick, or `*` before it has one.
    pub(crate) nick: &'a str,
}

impl Out {
    /// Sends `message` as the server's. A message too long for IRC (a long
    /// topic beside a long nick) has its last parameter cut at a character
    /// boundary to fit.
    pub(crate) fn send(&mut self, server: &str, message: Message<'_>) {
        let message = message.with_source(server);
        push_fitting(&mut self.lines, message);
    }

    /// Sends a numeric reply: `:server <code> <nick> <params...>`.
    pub(crate) fn numeric(&mut self, to: Replier<'_>, code: &str, params: &[&str]) {
        let mut all = Vec::with_capacity(params.len() + 1);
        all.push(to.nick);
        all.extend_from_slice(params);
        self.send(to.server, Message::new(code, all));
    }

    /// `ERROR :reason`, then the connection closes.
    pub(crate) fn error_and_close(&mut self, reason: &str) {
        push_fitting(&mut self.lines, Message::new("ERROR", vec![reason]));
        self.close = true;
    }
}

/// Encodes `message` into `lines`, cutting its last parameter (at a
/// character boundary) if the line would be over IRC's 512 bytes: a long
/// reason or topic is shortened, never the whole line lost. A message that
/// cannot be encoded at all (a bug: every parameter here is validated or the
/// server's own) is dropped.
pub(crate) fn push_fitting(lines: &mut Vec<String>, mut message: Message<'_>) {
    let over = match message.encode() {
        Ok(line) => {
            lines.push(line);
            return;
        }
        Err(MessageError::TooLong { len }) => len - MAX_BODY,
        Err(error) => {
            debug_assert!(false, "unencodable reply {message:?}: {error}");
            return;
        }
    };
    if let Some(last) = message.params.last_mut() {
        let mut keep = last.len().saturating_sub(over);
        while !last.is_char_boundary(keep) {
            keep -= 1;
        }
        *last = &last[..keep];
    }
    match message.encode() {
        Ok(line) => lines.push(line),
        Err(error) => debug_assert!(false, "reply still too long {message:?}: {error}"),
    }
}
