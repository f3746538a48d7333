//! Property tests for the IRC codec: a message encodes to a line that parses
//! back to it, whatever parses re-encodes to a fixed point, and no input
//! makes the parser panic.

use std::borrow::Cow;

use proptest::prelude::*;

use super::{Message, Tag, tags};

fn key() -> impl Strategy<Value = String> {
    "\\+?([a-z0-9.-]{1,10}/)?[A-Za-z0-9-]{1,12}"
}

/// Tag values may hold anything but NUL: escaping carries the rest.
fn value() -> impl Strategy<Value = String> {
    "[^\0]{0,20}"
}

fn middle() -> impl Strategy<Value = String> {
    "[^\0\r\n :][^\0\r\n ]{0,12}"
}

fn trailing() -> impl Strategy<Value = String> {
    "[^\0\r\n]{0,40}"
}

/// The owned parts of a message, borrowed into a [`Message`] by [`message`].
#[derive(Debug, Clone)]
struct Parts {
    tags: Vec<(String, String)>,
    source: Option<String>,
    command: String,
    params: Vec<String>,
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        proptest::collection::vec((key(), value()), 0..4),
        proptest::option::of("[^\0\r\n :][^\0\r\n ]{0,20}"),
        prop_oneof!["[A-Za-z]{1,10}", "[0-9]{3}"],
        proptest::collection::vec(middle(), 0..6),
        proptest::option::of(trailing()),
    )
        .prop_map(|(tags, source, command, mut params, last)| {
            params.extend(last);
            Parts {
                tags,
                source,
                command,
                params,
            }
        })
}

fn message(parts: &Parts) -> Message<'_> {
    Message {
        tags: parts
            .tags
            .iter()
            .map(|(key, value)| Tag {
                key,
                value: Cow::Borrowed(value),
            })
            .collect(),
        source: parts.source.as_deref(),
        command: &parts.command,
        params: parts.params.iter().map(String::as_str).collect(),
    }
}

proptest! {
    #[test]
    fn encoded_messages_parse_back(parts in parts()) {
        let original = message(&parts);
        let line = original.encode().unwrap();
        let body = line.strip_suffix("\r\n").unwrap();
        prop_assert_eq!(Message::parse(body).unwrap(), original);
    }

    #[test]
    fn escaped_values_unescape_back(value in value()) {
        let mut escaped = String::new();
        tags::escape_into(&value, &mut escaped);
        prop_assert!(!escaped.contains([';', ' ', '\r', '\n']));
        prop_assert_eq!(tags::unescape(&escaped), value.as_str());
    }

    #[test]
    fn any_line_parses_or_is_refused_and_parsed_ones_reencode_stably(
        line in "(@[a-z=;\\\\+/. ]{0,12} )?(:[^\r\n]{0,8} )?[A-Za-z0-9 :\\\\]{0,30}|[^\n]{0,60}"
    ) {
        let Ok(parsed) = Message::parse(&line) else { return Ok(()) };
        let once = parsed.encode().unwrap();
        let reparsed = Message::parse(once.strip_suffix("\r\n").unwrap()).unwrap();
        prop_assert_eq!(&reparsed, &parsed);
        prop_assert_eq!(reparsed.encode().unwrap(), once);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let line = String::from_utf8_lossy(&bytes);
        let _ = Message::parse(&line);
    }
}
