//! The lines a connection sends back to its own client, built in order.
//!
//! [`Out`] encodes each reply as it is made, so a connection's answers are
//! plain text (CR LF after each line) by the time they leave the pure logic.
//! Every reply here is the server's: its source is the server's name, and a
//! numeric's first parameter is the client's nick (`*` before it has one).
//! Nothing here touches the hub; hub events are encoded in `member.rs`.
//!
//! Invariant: the replies to one line are encoded into ONE buffer
//! ([`Lines`]), never a `String` per line. Each IRC client has a thread, and
//! glibc keeps up to seven freed blocks of each size in a per-thread cache:
//! twenty lines of twenty sizes freed after registration stayed in every
//! client's thread for good (docs/benchmarks.md, "Memory per IRC client").

use std::fmt;

use crate::protocol::irc::{MAX_BODY, Message, MessageError};

/// What the connection logic wants done, beside sending its lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Out {
    /// The lines to send, in order.
    pub(crate) lines: Lines,
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

/// Lines to send, encoded one after another (each ending with CR LF) into
/// one buffer. See the module docs.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct Lines(String);

impl Lines {
    /// Lines appended to `text`, which holds whole lines (or nothing).
    pub(crate) fn from_text(text: String) -> Lines {
        Lines(text)
    }

    /// Makes room for `bytes` more, so a block of known size is allocated
    /// once rather than grown (each growth frees a block into the thread's
    /// cache).
    pub(crate) fn reserve(&mut self, bytes: usize) {
        self.0.reserve(bytes);
    }

    /// Appends `line`, which ends with CR LF.
    pub(crate) fn push(&mut self, line: String) {
        self.0.push_str(&line);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each line, CR LF included.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split_inclusive("\r\n")
    }

    /// All the lines as one text.
    pub(crate) fn into_text(self) -> String {
        self.0
    }
}

impl fmt::Debug for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const N: usize> PartialEq<[&str; N]> for Lines {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

/// Where [`push_fitting`] encodes: a list of lines, or one buffer.
pub(crate) trait LineSink {
    /// Appends `message` as one line; on an error nothing is appended.
    fn push_message(&mut self, message: &Message<'_>) -> Result<(), MessageError>;
}

impl LineSink for Vec<String> {
    fn push_message(&mut self, message: &Message<'_>) -> Result<(), MessageError> {
        self.push(message.encode()?);
        Ok(())
    }
}

impl LineSink for String {
    fn push_message(&mut self, message: &Message<'_>) -> Result<(), MessageError> {
        message.encode_into(self)
    }
}

impl LineSink for Lines {
    fn push_message(&mut self, message: &Message<'_>) -> Result<(), MessageError> {
        message.encode_into(&mut self.0)
    }
}

/// Encodes `message` into `lines`, cutting its last parameter (at a
/// character boundary) if the line would be over IRC's 512 bytes: a long
/// reason or topic is shortened, never the whole line lost. A message that
/// cannot be encoded at all (a bug: every parameter here is validated or the
/// server's own) is dropped.
pub(crate) fn push_fitting(lines: &mut impl LineSink, mut message: Message<'_>) {
    let over = match lines.push_message(&message) {
        Ok(()) => return,
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
    match lines.push_message(&message) {
        Ok(()) => {}
        Err(error) => debug_assert!(false, "reply still too long {message:?}: {error}"),
    }
}
