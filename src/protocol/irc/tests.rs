//! Table tests: the examples of RFC 1459/2812 and of the IRCv3 message-tags,
//! server-time and msgid specifications, the edge cases of the ircdocs
//! parser tests, and every refusal.

use std::borrow::Cow;

use super::numeric::{self, ALL};
use super::{MAX_BODY, MAX_CLIENT_TAGS, MAX_TAGS, Message, MessageError, tags};

/// What a parsed message should be, spelt compactly: tags as (key, value).
struct Expected<'a> {
    tags: &'a [(&'a str, &'a str)],
    source: Option<&'a str>,
    command: &'a str,
    params: &'a [&'a str],
}

fn check(line: &str, expected: Expected<'_>) {
    let message = Message::parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    let tags: Vec<(&str, &str)> = message
        .tags
        .iter()
        .map(|tag| (tag.key, tag.value.as_ref()))
        .collect();
    assert_eq!(tags, expected.tags, "tags of {line:?}");
    assert_eq!(message.source, expected.source, "source of {line:?}");
    assert_eq!(message.command, expected.command, "command of {line:?}");
    assert_eq!(message.params, expected.params, "params of {line:?}");
    // Whatever parses encodes, and the encoding parses back to the same message.
    let encoded = message.encode().unwrap();
    let body = encoded.strip_suffix("\r\n").unwrap();
    assert_eq!(
        Message::parse(body).unwrap(),
        message,
        "{line:?} via {encoded:?}"
    );
}

fn plain<'a>(source: Option<&'a str>, command: &'a str, params: &'a [&'a str]) -> Expected<'a> {
    Expected {
        tags: &[],
        source,
        command,
        params,
    }
}

#[test]
fn rfc_examples_parse() {
    check(":WiZ NICK Kilroy", plain(Some("WiZ"), "NICK", &["Kilroy"]));
    check(
        ":Angel PRIVMSG Wiz :Hello are you receiving this message ?",
        plain(
            Some("Angel"),
            "PRIVMSG",
            &["Wiz", "Hello are you receiving this message ?"],
        ),
    );
    check(
        "PRIVMSG jto@tolsun.oulu.fi :Hello !",
        plain(None, "PRIVMSG", &["jto@tolsun.oulu.fi", "Hello !"]),
    );
    check(
        "USER guest 0 * :Ronnie Reagan",
        plain(None, "USER", &["guest", "0", "*", "Ronnie Reagan"]),
    );
    check(
        "JOIN #foo,#bar fubar,foobar",
        plain(None, "JOIN", &["#foo,#bar", "fubar,foobar"]),
    );
    check(
        "PING tolsun.oulu.fi",
        plain(None, "PING", &["tolsun.oulu.fi"]),
    );
    check(
        "QUIT :Gone to have lunch",
        plain(None, "QUIT", &["Gone to have lunch"]),
    );
    check(
        ":WiZ!jto@tolsun.oulu.fi PART #playzone :I lost",
        plain(
            Some("WiZ!jto@tolsun.oulu.fi"),
            "PART",
            &["#playzone", "I lost"],
        ),
    );
    check(
        "MODE #Finnish +imI *!*@*.fi",
        plain(None, "MODE", &["#Finnish", "+imI", "*!*@*.fi"]),
    );
    check(
        ":irc.example.net 001 alice :Welcome to the Internet Relay Network alice",
        plain(
            Some("irc.example.net"),
            "001",
            &["alice", "Welcome to the Internet Relay Network alice"],
        ),
    );
    check("CAP LS 302", plain(None, "CAP", &["LS", "302"]));
}

#[test]
fn ircv3_spec_examples_parse() {
    check(
        "@aaa=bbb;ccc;example.com/ddd=eee :nick!ident@host.com PRIVMSG me :Hello",
        Expected {
            tags: &[("aaa", "bbb"), ("ccc", ""), ("example.com/ddd", "eee")],
            source: Some("nick!ident@host.com"),
            command: "PRIVMSG",
            params: &["me", "Hello"],
        },
    );
    check(
        "@+example-client-tag=example-value PRIVMSG #channel :Message",
        Expected {
            tags: &[("+example-client-tag", "example-value")],
            source: None,
            command: "PRIVMSG",
            params: &["#channel", "Message"],
        },
    );
    check(
        "@+example.com/foo=bar :irc.example.com NOTICE #channel :A vendor-prefixed client-only tagged message",
        Expected {
            tags: &[("+example.com/foo", "bar")],
            source: Some("irc.example.com"),
            command: "NOTICE",
            params: &["#channel", "A vendor-prefixed client-only tagged message"],
        },
    );
    check(
        "@time=2011-10-19T16:40:51.620Z :Angel!angel@example.org PRIVMSG Wiz :Hello",
        Expected {
            tags: &[("time", "2011-10-19T16:40:51.620Z")],
            source: Some("Angel!angel@example.org"),
            command: "PRIVMSG",
            params: &["Wiz", "Hello"],
        },
    );
    check(
        "@msgid=63E1033A051D4B41B1AB1FA3CF4B243E :nick!user@host PRIVMSG #channel :Hello!",
        Expected {
            tags: &[("msgid", "63E1033A051D4B41B1AB1FA3CF4B243E")],
            source: Some("nick!user@host"),
            command: "PRIVMSG",
            params: &["#channel", "Hello!"],
        },
    );
}

#[test]
fn parser_edge_cases() {
    check(
        "foo bar baz asdf",
        plain(None, "foo", &["bar", "baz", "asdf"]),
    );
    check(
        ":coolguy foo bar baz :asdf quux",
        plain(Some("coolguy"), "foo", &["bar", "baz", "asdf quux"]),
    );
    check("foo bar baz :", plain(None, "foo", &["bar", "baz", ""]));
    check(
        "foo bar baz ::asdf",
        plain(None, "foo", &["bar", "baz", ":asdf"]),
    );
    check(
        ":coolguy foo bar baz :  asdf quux ",
        plain(Some("coolguy"), "foo", &["bar", "baz", "  asdf quux "]),
    );
    check(
        ":coolguy PRIVMSG bar :lol :) ",
        plain(Some("coolguy"), "PRIVMSG", &["bar", "lol :) "]),
    );
    check("foo b:ar", plain(None, "foo", &["b:ar"]));
    // Runs of spaces and a trailing space separate nothing.
    check(
        ":coolguy   foo   bar  baz   asdf ",
        plain(Some("coolguy"), "foo", &["bar", "baz", "asdf"]),
    );
    check(":src AWAY", plain(Some("src"), "AWAY", &[]));
    check(":src AWAY ", plain(Some("src"), "AWAY", &[]));
    check(
        ":cool\tguy foo bar",
        plain(Some("cool\tguy"), "foo", &["bar"]),
    );
    check(
        "@a=b\\\\and\\nk;c=72\\s45;d=gh\\:764 foo",
        Expected {
            tags: &[("a", "b\\and\nk"), ("c", "72 45"), ("d", "gh;764")],
            source: None,
            command: "foo",
            params: &[],
        },
    );
    check(
        "@c;h=;a=b :quux ab cd",
        Expected {
            tags: &[("c", ""), ("h", ""), ("a", "b")],
            source: Some("quux"),
            command: "ab",
            params: &["cd"],
        },
    );
    // A backslash before another character stands for it; a trailing one is dropped.
    check(
        "@a=\\b\\;c=x\\ foo",
        Expected {
            tags: &[("a", "b"), ("c", "x")],
            source: None,
            command: "foo",
            params: &[],
        },
    );
}

#[test]
fn the_last_repeated_tag_wins() {
    let message = Message::parse("@a=1;b=2;a=3 FOO").unwrap();
    assert_eq!(message.tag("a"), Some("3"));
    assert_eq!(message.tag("b"), Some("2"));
    assert_eq!(message.tag("c"), None);
}

fn refused(line: &str, expected: MessageError) {
    assert_eq!(Message::parse(line), Err(expected), "{line:?}");
}

#[test]
fn refusals() {
    use MessageError::*;
    refused("", MissingCommand);
    refused("   ", MissingCommand);
    refused(":nick", MissingCommand);
    refused(":nick ", MissingCommand);
    refused("@a=b", MissingCommand);
    refused(": PRIVMSG x", BadSource);
    let bad = |command: &str| BadCommand {
        command: command.to_string(),
    };
    refused("PRIV1MSG x", bad("PRIV1MSG"));
    refused("12 x", bad("12"));
    refused("0012", bad("0012"));
    refused("PRIVMSG\u{e9} x", bad("PRIVMSG\u{e9}"));
    refused("PRIVMSG #a :one\rQUIT", ForbiddenChar);
    refused("PRIVMSG #a :one\nQUIT", ForbiddenChar);
    refused("PRIVMSG #a :one\0", ForbiddenChar);
    let key = |key: &str| BadTagKey {
        key: key.to_string(),
    };
    refused("@ PING", key(""));
    refused("@a;;b PING", key(""));
    refused("@a; PING", key(""));
    refused("@=x PING", key(""));
    refused("@k!ey=1 PING", key("k!ey"));
    refused("@/a PING", key("/a"));
    refused("@vendor/ PING", key("vendor/"));
    refused("@+ PING", key("+"));
}

#[test]
fn the_body_limit_is_512_bytes_with_cr_lf() {
    let fits = format!("PRIVMSG #a :{}", "x".repeat(498));
    assert_eq!(fits.len() + 2, MAX_BODY);
    assert!(Message::parse(&fits).is_ok());
    let over = format!("PRIVMSG #a :{}", "x".repeat(499));
    refused(&over, MessageError::TooLong { len: 513 });
    // Tags do not count against the body.
    let tagged = format!("@time=2011-10-19T16:40:51.620Z {fits}");
    assert!(Message::parse(&tagged).is_ok());
}

#[test]
fn the_tag_limit_is_8191_bytes_with_at_and_space() {
    let fits = format!("@a={} PING", "x".repeat(MAX_TAGS - 4));
    assert!(Message::parse(&fits).is_ok());
    let over = format!("@a={} PING", "x".repeat(MAX_TAGS - 3));
    refused(
        &over,
        MessageError::TagsTooLong {
            len: MAX_TAGS + 1,
            max: MAX_TAGS,
        },
    );
}

/// irctest's `testLengthLimits`: from a client, 4094 bytes of tag data
/// (4096 with `@` and the space) pass, one more is refused.
#[test]
fn a_client_gets_4094_bytes_of_tag_data() {
    let at_limit = format!("@foo=bar;+baz={} TAGMSG #test", "a".repeat(4081));
    assert_eq!(at_limit.find("TAGMSG"), Some(MAX_CLIENT_TAGS));
    let message = Message::parse_from_client(&at_limit).unwrap();
    assert_eq!(message.tag("+baz").map(str::len), Some(4081));
    let over = format!("@foo=bar;+baz={} TAGMSG #test", "a".repeat(4082));
    assert_eq!(
        Message::parse_from_client(&over),
        Err(MessageError::TagsTooLong {
            len: MAX_CLIENT_TAGS + 1,
            max: MAX_CLIENT_TAGS,
        })
    );
    // From a server, the same line is fine.
    assert!(Message::parse(&over).is_ok());
    // At both limits at once: 4096 bytes of tags and 510 of the rest.
    let longest = format!(
        "@foo=bar;+baz={} PRIVMSG #test {}",
        "a".repeat(4081),
        "b".repeat(496)
    );
    assert_eq!(longest.len(), MAX_CLIENT_TAGS + MAX_BODY - 2);
    assert!(Message::parse_from_client(&longest).is_ok());
}

fn encodes(message: Message<'_>, expected: &str) {
    assert_eq!(message.encode().as_deref(), Ok(expected), "{message:?}");
}

#[test]
fn encoding_is_canonical() {
    encodes(
        Message::new("PRIVMSG", vec!["#a", "hello world"]).with_source("n!u@h"),
        ":n!u@h PRIVMSG #a :hello world\r\n",
    );
    encodes(
        Message::new("PRIVMSG", vec!["#a", "hi"]),
        "PRIVMSG #a hi\r\n",
    );
    encodes(Message::new("TOPIC", vec!["#a", ""]), "TOPIC #a :\r\n");
    encodes(
        Message::new("PRIVMSG", vec!["#a", ":)"]),
        "PRIVMSG #a ::)\r\n",
    );
    encodes(Message::new("QUIT", vec![]), "QUIT\r\n");
    encodes(
        Message::new("PRIVMSG", vec!["#a", "x"])
            .with_tag("time", "2011-10-19T16:40:51.620Z")
            .with_tag("+draft/reply", ""),
        "@time=2011-10-19T16:40:51.620Z;+draft/reply PRIVMSG #a x\r\n",
    );
    encodes(
        Message::new("TAGMSG", vec!["#a"]).with_tag("+x", "semi;colon space\\back\r\n"),
        "@+x=semi\\:colon\\sspace\\\\back\\r\\n TAGMSG #a\r\n",
    );
}

fn unencodable(message: Message<'_>, expected: MessageError) {
    let mut out = String::from("kept");
    assert_eq!(message.encode_into(&mut out), Err(expected), "{message:?}");
    assert_eq!(out, "kept", "a refused message leaves nothing behind");
}

#[test]
fn encoding_refuses_what_irc_cannot_carry() {
    use MessageError::*;
    unencodable(
        Message::new("X", vec!["a b", "c"]),
        BadMiddleParam { index: 0 },
    );
    unencodable(
        Message::new("X", vec!["a", "", "c"]),
        BadMiddleParam { index: 1 },
    );
    unencodable(
        Message::new("X", vec![":a", "c"]),
        BadMiddleParam { index: 0 },
    );
    unencodable(Message::new("X", vec!["hi\r\nQUIT"]), ForbiddenChar);
    unencodable(Message::new("X", vec![]).with_source("a b"), BadSource);
    unencodable(Message::new("X", vec![]).with_source(""), BadSource);
    unencodable(Message::new("X", vec![]).with_source("a\n"), ForbiddenChar);
    unencodable(
        Message::new("1X", vec![]),
        BadCommand {
            command: "1X".into(),
        },
    );
    unencodable(Message::new("", vec![]), MissingCommand);
    unencodable(
        Message::new("X", vec![]).with_tag("bad key", "v"),
        BadTagKey {
            key: "bad key".into(),
        },
    );
    unencodable(Message::new("X", vec![]).with_tag("a", "\0"), ForbiddenChar);
    let long = "x".repeat(510);
    unencodable(
        Message::new("PRIVMSG", vec!["#a", &long]),
        TooLong { len: 523 }, // "PRIVMSG #a " (11), the text, CR LF
    );
    let long_tag = "x".repeat(MAX_TAGS);
    unencodable(
        Message::new("X", vec![]).with_tag("a", long_tag.as_str()),
        TagsTooLong {
            len: MAX_TAGS + 4,
            max: MAX_TAGS,
        },
    );
}

#[test]
fn unescaping_borrows_when_there_is_nothing_to_undo() {
    assert!(matches!(tags::unescape("plain"), Cow::Borrowed("plain")));
    for (raw, value) in [
        ("\\:", ";"),
        ("\\s", " "),
        ("\\\\", "\\"),
        ("\\r", "\r"),
        ("\\n", "\n"),
        ("a\\", "a"),
        ("\\x", "x"),
        ("\\\\s", "\\s"),
    ] {
        assert_eq!(tags::unescape(raw), value, "{raw:?}");
    }
}

#[test]
fn numerics_are_three_digits_and_unique() {
    let mut seen = std::collections::HashSet::new();
    for code in ALL {
        assert!(Message::parse(code).is_ok(), "{code}");
        assert_eq!(code.len(), 3, "{code}");
        assert!(seen.insert(code), "{code} twice");
    }
    assert_eq!(numeric::RPL_ISUPPORT, "005");
    assert_eq!(numeric::RPL_SASLMECHS, "908");
}
