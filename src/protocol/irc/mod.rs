//! The IRC wire format (RFC 1459/2812 and IRCv3 message tags), pure.
//!
//! The IRC front (issue 17) speaks this beside the native protocol. Like the
//! rest of `protocol/`, nothing here sees a socket, a thread or a clock: a
//! line goes in as `&str`, a [`Message`] borrowing it comes out, and a
//! [`Message`] encodes into a `String`.
//!
//! - [`message`]: [`Message`], its parser and encoder, [`MessageError`].
//! - [`tags`]: IRCv3 tag keys and the escaping of tag values.
//! - [`numeric`]: the numeric replies the front sends, by name.
//!
//! Invariants: [`Message::parse`] (and [`Message::parse_from_client`], which
//! holds a client to its smaller tag limit) never panics; it takes one line whose CR LF
//! the framing already removed. Whatever it accepts encodes, and encoding is
//! a fixed point after one round (the fuzz target `irc_message` checks both).
//! What to do with a refused line (a too long one above all) is the front's
//! choice: the codec only says why, in a typed error.

pub mod message;
pub mod numeric;
pub mod tags;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use message::{Message, MessageError, Tag};

/// The most bytes of a line without its tag section, CR LF included
/// (RFC 1459 section 2.3, kept by IRCv3).
pub const MAX_BODY: usize = 512;
/// The most bytes of a line's tag section, its leading `@` and the space
/// after it included, in any line: a client's 4094 bytes of tag data and the
/// server's own 4094, with the `@`, a `;` and the space (IRCv3 message tags).
pub const MAX_TAGS: usize = 8191;
/// The most bytes of the tag section a client may send, `@` and the space
/// included: 4094 bytes of tag data. Over it, IRCv3 has the server answer
/// `ERR_INPUTTOOLONG` (417) and relay nothing; irctest checks exactly this.
pub const MAX_CLIENT_TAGS: usize = 4096;
/// The longest line a front's framing must hold to see every valid line
/// whole, CR LF included. (A client's longest is
/// [`MAX_CLIENT_TAGS`] + [`MAX_BODY`].)
pub const MAX_LINE: usize = MAX_TAGS + MAX_BODY;
