//! One IRC message: `[@tags ][:source ]COMMAND[ param ...][ :trailing]`.
//!
//! [`Message::parse`] takes one line without its CR LF (the framing strips
//! it) and borrows from it. It is lenient where deployed clients differ
//! (runs of spaces between words, a trailing space) and strict where a
//! stranger could smuggle something (CR, LF or NUL anywhere, invalid tag
//! keys, over-long lines). [`Message::encode`] writes the one canonical
//! spelling, CR LF included: single spaces, and a `:` before the last
//! parameter only when it needs one (empty, holding a space, or starting with
//! `:`). Everything `parse` accepts, `encode` can write, no longer than it
//! came, so a parsed message re-encodes to a fixed point.
//!
//! The command is kept as sent: IRC commands are case-insensitive, and
//! comparing them without case is the front's business.

use std::borrow::Cow;

use thiserror::Error;

use super::tags;
use super::{MAX_BODY, MAX_CLIENT_TAGS, MAX_TAGS};

/// One IRCv3 message tag. A missing value and an empty one are the same
/// thing (the spec says so), so both are an empty `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The key, with its `+` (client-only) and vendor prefix if any.
    pub key: &'a str,
    /// The value, unescaped. It may hold CR, LF and `;`: write it only
    /// through [`Message::encode`] (or [`super::tags::escape_into`]), never
    /// raw into a line of any protocol.
    pub value: Cow<'a, str>,
}

/// One IRC message, borrowing the line it was parsed from (or the strings it
/// was built from).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message<'a> {
    /// The IRCv3 tags, in the order sent. A key may repeat; [`Message::tag`]
    /// gives the last one, as the spec asks.
    pub tags: Vec<Tag<'a>>,
    /// The source (prefix): a server name or `nick[!user][@host]`.
    pub source: Option<&'a str>,
    /// Letters, or a three-digit numeric, as sent.
    pub command: &'a str,
    /// The parameters, the trailing one (after ` :`) included, without its `:`.
    pub params: Vec<&'a str>,
}

/// Why a line is not an IRC message, or why a message cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MessageError {
    /// The line (or a parameter, the source or a tag value being encoded)
    /// holds CR, LF or NUL, which IRC never carries inside a line.
    #[error("IRC lines cannot hold CR, LF or NUL")]
    ForbiddenChar,
    /// Without its tag section the line is over 512 bytes, CR LF counted.
    #[error("the line is {len} bytes without its tags (CR LF counted), over IRC's {MAX_BODY}")]
    TooLong {
        /// The length, CR LF counted.
        len: usize,
    },
    /// The tag section, `@` and the space after it counted, is over the
    /// limit: 4096 bytes from a client, 8191 in any line.
    #[error("the tags are {len} bytes, over IRC's {max}")]
    TagsTooLong {
        /// The length of the tag section.
        len: usize,
        /// The limit it is over ([`MAX_CLIENT_TAGS`] or [`MAX_TAGS`]).
        max: usize,
    },
    /// A tag key is empty or holds characters keys cannot have.
    #[error("invalid tag key {key:?}")]
    BadTagKey {
        /// The key as found (cut to 64 bytes).
        key: String,
    },
    /// The source is empty (a `:` alone) or, when encoding, holds a space.
    #[error("invalid source: empty or holding a space")]
    BadSource,
    /// There is no command after the tags and the source.
    #[error("no command")]
    MissingCommand,
    /// The command is neither ASCII letters nor three digits.
    #[error("invalid command {command:?}: neither letters nor three digits")]
    BadCommand {
        /// The command as found (cut to 64 bytes).
        command: String,
    },
    /// When encoding: a parameter before the last is empty, holds a space or
    /// starts with `:`, which only the last one can carry.
    #[error("parameter {index} is empty, holds a space or starts with ':', and is not the last")]
    BadMiddleParam {
        /// The parameter's position, from 0.
        index: usize,
    },
}

impl<'a> Message<'a> {
    /// A message with no tags and no source.
    pub fn new(command: &'a str, params: Vec<&'a str>) -> Message<'a> {
        Message {
            tags: Vec::new(),
            source: None,
            command,
            params,
        }
    }

    /// The same message from `source`.
    pub fn with_source(mut self, source: &'a str) -> Message<'a> {
        self.source = Some(source);
        self
    }

    /// The same message with one more tag (`value` unescaped; empty for none).
    pub fn with_tag(mut self, key: &'a str, value: impl Into<Cow<'a, str>>) -> Message<'a> {
        self.tags.push(Tag {
            key,
            value: value.into(),
        });
        self
    }

    /// The value of the last tag named `key`, unescaped.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .rev()
            .find(|tag| tag.key == key)
            .map(|tag| tag.value.as_ref())
    }

    /// Parses one line from a client, its CR LF already removed: as
    /// [`Message::parse`], but a client's tag section may hold at most
    /// [`MAX_CLIENT_TAGS`] bytes (IRCv3 gives it 4094 bytes of tag data).
    pub fn parse_from_client(line: &'a str) -> Result<Message<'a>, MessageError> {
        Message::parse_within(line, MAX_CLIENT_TAGS)
    }

    /// Parses any line, its CR LF already removed, with a tag section of at
    /// most [`MAX_TAGS`] bytes (a server's own tags included). See the
    /// module docs.
    pub fn parse(line: &'a str) -> Result<Message<'a>, MessageError> {
        Message::parse_within(line, MAX_TAGS)
    }

    fn parse_within(line: &'a str, max_tags: usize) -> Result<Message<'a>, MessageError> {
        if line.bytes().any(|b| matches!(b, b'\0' | b'\r' | b'\n')) {
            return Err(MessageError::ForbiddenChar);
        }
        let mut rest = line;
        let mut tags = Vec::new();
        if let Some(after_at) = rest.strip_prefix('@') {
            let (raw_tags, body) = split_word(after_at);
            let len = raw_tags.len() + 2;
            if len > max_tags {
                return Err(MessageError::TagsTooLong { len, max: max_tags });
            }
            tags = parse_tags(raw_tags)?;
            rest = body;
        }
        let len = rest.len() + 2;
        if len > MAX_BODY {
            return Err(MessageError::TooLong { len });
        }
        rest = rest.trim_start_matches(' ');
        let mut source = None;
        if let Some(after_colon) = rest.strip_prefix(':') {
            let (word, after) = split_word(after_colon);
            if word.is_empty() {
                return Err(MessageError::BadSource);
            }
            source = Some(word);
            rest = after.trim_start_matches(' ');
        }
        let (command, mut rest) = split_word(rest);
        check_command(command)?;
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
            if let Some(trailing) = rest.strip_prefix(':') {
                params.push(trailing);
                break;
            }
            let (param, after) = split_word(rest);
            params.push(param);
            rest = after;
        }
        Ok(Message {
            tags,
            source,
            command,
            params,
        })
    }

    /// The message as one line, CR LF included. See [`Message::encode_into`].
    pub fn encode(&self) -> Result<String, MessageError> {
        let mut out = String::with_capacity(64);
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Appends the message to `out` as one line, CR LF included. On an error
    /// `out` is left as it was: nothing half-written can reach a peer.
    pub fn encode_into(&self, out: &mut String) -> Result<(), MessageError> {
        let start = out.len();
        let written = self.write_tags(out).and_then(|()| self.write_body(out));
        if written.is_err() {
            out.truncate(start);
        }
        written
    }

    fn write_tags(&self, out: &mut String) -> Result<(), MessageError> {
        if self.tags.is_empty() {
            return Ok(());
        }
        let start = out.len();
        out.push('@');
        for (index, tag) in self.tags.iter().enumerate() {
            if !tags::is_valid_key(tag.key) {
                return Err(bad_tag_key(tag.key));
            }
            if index > 0 {
                out.push(';');
            }
            out.push_str(tag.key);
            if tag.value.contains('\0') {
                return Err(MessageError::ForbiddenChar);
            }
            if !tag.value.is_empty() {
                out.push('=');
                tags::escape_into(&tag.value, out);
            }
        }
        out.push(' ');
        let len = out.len() - start;
        if len > MAX_TAGS {
            return Err(MessageError::TagsTooLong { len, max: MAX_TAGS });
        }
        Ok(())
    }

    fn write_body(&self, out: &mut String) -> Result<(), MessageError> {
        let start = out.len();
        if let Some(source) = self.source {
            if source.is_empty() || source.contains(' ') {
                return Err(MessageError::BadSource);
            }
            check_chars(source)?;
            out.push(':');
            out.push_str(source);
            out.push(' ');
        }
        check_command(self.command)?;
        out.push_str(self.command);
        let last = self.params.len().saturating_sub(1);
        for (index, param) in self.params.iter().enumerate() {
            check_chars(param)?;
            let needs_colon = param.is_empty() || param.contains(' ') || param.starts_with(':');
            if needs_colon && index != last {
                return Err(MessageError::BadMiddleParam { index });
            }
            out.push(' ');
            if needs_colon {
                out.push(':');
            }
            out.push_str(param);
        }
        out.push_str("\r\n");
        let len = out.len() - start;
        if len > MAX_BODY {
            return Err(MessageError::TooLong { len });
        }
        Ok(())
    }
}

/// The first space-separated word of `text`, and what follows that space.
fn split_word(text: &str) -> (&str, &str) {
    text.split_once(' ').unwrap_or((text, ""))
}

fn parse_tags(raw: &str) -> Result<Vec<Tag<'_>>, MessageError> {
    raw.split(';')
        .map(|item| {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            if !tags::is_valid_key(key) {
                return Err(bad_tag_key(key));
            }
            Ok(Tag {
                key,
                value: tags::unescape(value),
            })
        })
        .collect()
}

fn check_command(command: &str) -> Result<(), MessageError> {
    if command.is_empty() {
        return Err(MessageError::MissingCommand);
    }
    let letters = command.bytes().all(|b| b.is_ascii_alphabetic());
    let numeric = command.len() == 3 && command.bytes().all(|b| b.is_ascii_digit());
    if letters || numeric {
        return Ok(());
    }
    Err(MessageError::BadCommand {
        command: cut(command),
    })
}

fn check_chars(text: &str) -> Result<(), MessageError> {
    if text.bytes().any(|b| matches!(b, b'\0' | b'\r' | b'\n')) {
        return Err(MessageError::ForbiddenChar);
    }
    Ok(())
}

fn bad_tag_key(key: &str) -> MessageError {
    MessageError::BadTagKey { key: cut(key) }
}

/// At most 64 bytes of `text`, cut on a character boundary, for an error.
fn cut(text: &str) -> String {
    let mut end = text.len().min(64);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}
