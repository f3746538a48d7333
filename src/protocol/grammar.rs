//! The shape every server line has: `KIND [FIELD ...] [:TEXT]`.
//!
//! [`Line`] is that shape with no meaning attached. [`crate::protocol::ServerLine`]
//! gives meaning to the kinds the server sends, and the 3PC messages, which travel
//! as the text of private messages, reuse the same shape. Parsing borrows from the
//! input; encoding appends to a `String`.

use std::fmt::Write as _;

/// A line split into kind, fields and optional trailing text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// The first word: upper-case letters, digits and `-`.
    pub kind: &'a str,
    /// The words between the kind and the text: never empty, no spaces, never
    /// starting with `:`.
    pub fields: Vec<&'a str>,
    /// Everything after the first ` :`, if there is one. May be empty.
    pub text: Option<&'a str>,
}

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The line was empty.
    #[error("empty line")]
    Empty,
    /// The first word is not an upper-case kind.
    #[error("bad kind {0:?}")]
    BadKind(String),
    /// Two spaces in a row, or a space at the end, made an empty field.
    #[error("empty field")]
    EmptyField,
    /// A field the kind requires is absent.
    #[error("{kind} needs a {field} field")]
    MissingField {
        /// The line's kind.
        kind: String,
        /// The name of the missing field.
        field: &'static str,
    },
    /// The kind requires a text part (` :...`) and there is none.
    #[error("{0} needs a text part")]
    MissingText(String),
    /// A field that should be a number is not one.
    #[error("{field} is not a number: {value:?}")]
    BadNumber {
        /// The name of the field.
        field: &'static str,
        /// What was there instead.
        value: String,
    },
    /// A field holds a value outside the ones the protocol allows.
    #[error("{field} has an unexpected value {value:?}")]
    BadValue {
        /// The name of the field.
        field: &'static str,
        /// What was there instead.
        value: String,
    },
}

impl<'a> Line<'a> {
    /// Splits `input` into kind, fields and text. `input` is one framed line:
    /// its LF, and a CR before it, already removed by the framing
    /// ([`crate::protocol::LineReader`]); any other character is kept, so
    /// parsing and encoding are exact inverses.
    pub fn parse(input: &'a str) -> Result<Line<'a>, ParseError> {
        if input.is_empty() {
            return Err(ParseError::Empty);
        }
        let (head, text) = match input.find(" :") {
            Some(at) => (&input[..at], Some(&input[at + 2..])),
            None => (input, None),
        };
        let mut words = head.split(' ');
        let kind = words.next().unwrap_or_default();
        if !is_kind(kind) {
            return Err(ParseError::BadKind(kind.to_owned()));
        }
        let fields: Vec<&str> = words.collect();
        if fields.iter().any(|f| f.is_empty()) {
            return Err(ParseError::EmptyField);
        }
        Ok(Line { kind, fields, text })
    }

    /// The field at `index`, or [`ParseError::MissingField`] naming it.
    pub fn field(&self, index: usize, name: &'static str) -> Result<&'a str, ParseError> {
        self.fields
            .get(index)
            .copied()
            .ok_or_else(|| ParseError::MissingField {
                kind: self.kind.to_owned(),
                field: name,
            })
    }

    /// The field at `index`, read as a decimal number.
    pub fn number<T: std::str::FromStr>(
        &self,
        index: usize,
        name: &'static str,
    ) -> Result<T, ParseError> {
        let value = self.field(index, name)?;
        value.parse().map_err(|_| ParseError::BadNumber {
            field: name,
            value: value.to_owned(),
        })
    }

    /// The text part, or [`ParseError::MissingText`].
    pub fn required_text(&self) -> Result<&'a str, ParseError> {
        self.text
            .ok_or_else(|| ParseError::MissingText(self.kind.to_owned()))
    }

    /// Appends the encoded line, without LF, to `out`.
    pub fn encode_into(&self, out: &mut String) {
        encode_into(out, self.kind, &self.fields, self.text);
    }
}

/// Appends `KIND FIELD ... :TEXT` (no LF) to `out`.
///
/// The caller guarantees that fields are valid (checked in debug builds): a field
/// that came from a user is always a validated name or a number.
pub fn encode_into(out: &mut String, kind: &str, fields: &[&str], text: Option<&str>) {
    debug_assert!(is_kind(kind), "bad kind {kind:?}");
    out.push_str(kind);
    for field in fields {
        debug_assert!(is_field(field), "bad field {field:?}");
        out.push(' ');
        out.push_str(field);
    }
    if let Some(text) = text {
        out.push_str(" :");
        out.push_str(text);
    }
}

/// Appends a number field (` 42`) without allocating.
pub fn push_number(out: &mut String, n: u64) {
    // Room first (a space and at most 20 digits), so that a growing `out` is
    // reallocated from this frame and not from under the formatter's: the
    // server's session threads keep every stack page they touch ("Stack
    // depth" in `docs/architecture.md`).
    out.reserve(21);
    let _ = write!(out, " {n}");
}

/// A kind: one or more of `A-Z`, `0-9` and `-`, starting with a letter or digit.
pub fn is_kind(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with('-')
        && word
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// A field: not empty, no space, not starting with `:`.
pub fn is_field(word: &str) -> bool {
    !word.is_empty() && !word.starts_with(':') && !word.contains(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<(&str, &[&str], Option<&str>), ParseError>) {
        let got = Line::parse(input).map(|l| (l.kind, l.fields, l.text));
        let expected = expected.map(|(k, f, t)| (k, f.to_vec(), t));
        assert_eq!(got, expected, "input {input:?}");
    }

    #[test]
    fn parse_table() {
        check("PING", Ok(("PING", &[], None)));
        check("USERS-END 3", Ok(("USERS-END", &["3"], None)));
        check("INFO :", Ok(("INFO", &[], Some(""))));
        check("INFO :a :b c", Ok(("INFO", &[], Some("a :b c"))));
        check(
            "MSG 1 ts bob :hi: there",
            Ok(("MSG", &["1", "ts", "bob"], Some("hi: there"))),
        );
        check("3PC ACK 7", Ok(("3PC", &["ACK", "7"], None)));
        check("MSG a:b", Ok(("MSG", &["a:b"], None)));
        check("MSG 1\r", Ok(("MSG", &["1\r"], None)));
        check("", Err(ParseError::Empty));
        check("msg 1", Err(ParseError::BadKind("msg".into())));
        check(" :x", Err(ParseError::BadKind("".into())));
        check("MSG  1", Err(ParseError::EmptyField));
        check("MSG 1 ", Err(ParseError::EmptyField));
    }

    #[test]
    fn encode_round_trips() {
        for input in [
            "PING",
            "MSG 1 2 bob :hi :x",
            "INFO :",
            "USERS-END 0",
            "3PC STATE 4 READY",
        ] {
            let mut out = String::new();
            Line::parse(input).unwrap().encode_into(&mut out);
            assert_eq!(out, input);
        }
    }
}
