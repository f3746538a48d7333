//! Table tests of what the IRC front bounds: a topic's length, the targets
//! of one line, lines it cannot take as they are, and what it relays
//! without storing (CTCP, `TAGMSG`).

use super::tests::{Harness, lobby};

#[test]
fn a_topic_over_topiclen_is_cut_to_it_at_a_character_boundary() {
    let mut harness = Harness::registered("me", lobby());
    // 391 bytes of two-byte characters and one ASCII: cut to 389.
    let text = format!("x{}", "é".repeat(195));
    assert!(harness.send(&format!("TOPIC #lobby :{text}")).is_empty());
    let kept = &text[..389];
    assert_eq!(harness.hub.calls, [format!("topic #lobby {kept}")]);
}

#[test]
fn one_line_names_each_target_once_and_at_most_targmax_of_them() {
    let mut harness = Harness::registered("me", lobby());
    let same = vec!["alice"; 80].join(",");
    assert!(harness.send(&format!("PRIVMSG {same} :x")).is_empty());
    assert_eq!(harness.hub.calls, ["tell alice x"]);
    harness.hub.calls.clear();
    let rooms = ["#lobby", "#LOBBY", "#Lobby"].join(",");
    assert!(harness.send(&format!("PRIVMSG {rooms} :y")).is_empty());
    assert_eq!(harness.hub.calls, ["say #lobby y"]);
    harness.hub.calls.clear();
    let five = "#lobby,alice,#a,#b,#c";
    assert_eq!(
        harness.send(&format!("PRIVMSG {five} :z")),
        [":chatroom 407 me #c :Too many recipients: at most 4 a line, nothing was sent"]
    );
    assert!(harness.send(&format!("NOTICE {five} :z")).is_empty());
    assert!(harness.hub.calls.is_empty(), "{:?}", harness.hub.calls);
}

#[test]
fn the_welcome_advertises_what_the_server_does() {
    let mut harness = Harness::new(lobby());
    harness.send("NICK me");
    let got = harness.send("USER u 0 * :Real Name");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        got[3],
        format!(":chatroom 004 me chatroom chatroom-{version} iw b")
    );
    let isupport = got[4..6].join(" ");
    for token in [
        " CHANMODES=b,,, ",
        " TARGMAX=JOIN:,LIST:,NOTICE:4,PART:,PRIVMSG:4,WHOIS:1 ",
    ] {
        assert!(isupport.contains(token), "{token} in {isupport}");
    }
    assert!(!isupport.contains(" ELIST"), "{isupport}");
}

/// 496 bytes as the client sends them, 514 as members would get them.
const TOO_LONG_TO_RELAY: &str = concat!(
    "PRIVMSG #lobby :",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
);

#[test]
fn lines_the_server_took_in_silence_get_an_answer_or_are_dropped_on_purpose() {
    let s = ":chatroom";
    let nick_change =
        format!("{s} 447 me :Nicknames cannot be changed here: reconnect with the new one");
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<String>, Vec<&str>)> = vec![
        // The docs promise 447 for every NICK once registered.
        ("NICK ME", vec![nick_change.clone()], vec![]),
        ("NICK me", vec![nick_change], vec![]),
        // Client-only tags and CTCP are relayed live, never stored.
        ("@+typing=active;server=x TAGMSG #lobby", vec![], vec!["relay #lobby [+typing=active] (tags only)"]),
        ("TAGMSG alice", vec![], vec!["relay alice (tags only)"]),
        ("TAGMSG nobody", vec![format!("{s} 401 me nobody :No such nick/channel")], vec![]),
        ("TAGMSG #elsewhere", vec![format!("{s} 403 me #elsewhere :No such channel")], vec![]),
        ("TAGMSG", vec![format!("{s} 461 me TAGMSG :Not enough parameters")], vec![]),
        ("@+draft/reply=7 PRIVMSG #lobby :yes", vec![], vec!["say #lobby [+draft/reply=7] yes"]),
        ("PRIVMSG alice :\u{1}VERSION\u{1}", vec![], vec!["relay alice \u{1}VERSION\u{1}"]),
        ("PRIVMSG #lobby :\u{1}PING 123\u{1}", vec![], vec!["relay #lobby \u{1}PING 123\u{1}"]),
        ("NOTICE alice :\u{1}VERSION chatroom\u{1}", vec![], vec!["relay alice NOTICE \u{1}VERSION chatroom\u{1}"]),
        ("PRIVMSG nobody :\u{1}VERSION\u{1}", vec![format!("{s} 401 me nobody :No such nick/channel")], vec![]),
        ("NOTICE nobody :\u{1}VERSION\u{1}", vec![], vec![]),
        // A native user's CTCP is answered on its behalf.
        ("PRIVMSG nativebob :\u{1}PING 123\u{1}", vec![":nativebob!nativebob@chatroom NOTICE me :\u{1}PING 123\u{1}".to_owned()], vec![]),
        ("PRIVMSG nativebob :\u{1}CLIENTINFO\u{1}", vec![":nativebob!nativebob@chatroom NOTICE me :\u{1}CLIENTINFO ACTION CLIENTINFO PING TIME VERSION\u{1}".to_owned()], vec![]),
        ("PRIVMSG nativebob :\u{1}FINGER\u{1}", vec![format!("{s} NOTICE me :nativebob is on chatroom's native protocol, which has no CTCP FINGER: nothing was sent")], vec![]),
        ("NOTICE nativebob :\u{1}VERSION x\u{1}", vec![], vec![]),
        ("PRIVMSG #lobby :\u{1}ACTION waves\u{1}", vec![], vec!["say #lobby /me waves"]),
        // Text that would not reach IRC members in one line is refused.
        (TOO_LONG_TO_RELAY, vec![format!("{s} 417 me :Input line was too long: to #lobby it would not fit in one IRC line with your nick and host (me!me@chatroom): nothing was sent")], vec![]),
        // A NUL or a lone CR: IRC cannot carry it, and the client is told.
        ("PRIVMSG #lobby :a\0b", vec![format!("{s} FAIL * INVALID_LINE :The line held a NUL or a lone CR, which IRC cannot carry: nothing was done")], vec![]),
        ("PRIVMSG #lobby :a\rb", vec![format!("{s} FAIL * INVALID_LINE :The line held a NUL or a lone CR, which IRC cannot carry: nothing was done")], vec![]),
    ];
    for (input, replies, calls) in cases {
        let hub = lobby().with_room("#native", &["nativebob"]);
        let mut harness = Harness::registered("me", hub);
        assert_eq!(harness.send(input), replies, "replies to {input:?}");
        assert_eq!(harness.hub.calls, calls, "hub calls for {input:?}");
    }
}

#[test]
fn pass_logs_in_to_the_account_that_is_the_nick() {
    let s = ":chatroom";
    let needs = format!(
        "{s} 464 * :This nickname needs an account's password: send PASS <password> before NICK and USER, or log in with SASL PLAIN (over TLS, or from this machine)"
    );
    let mut harness = Harness::new(lobby());
    harness.send("NICK locked");
    assert_eq!(harness.send("USER u 0 * :r"), [needs]);
    let mut harness = Harness::new(lobby());
    harness.send("PASS wrong");
    harness.send("NICK locked");
    assert_eq!(
        harness.send("USER u 0 * :r"),
        [format!("{s} 464 * :Password incorrect for locked")]
    );
    let mut harness = Harness::new(lobby());
    assert!(harness.send("PASS right").is_empty());
    harness.send("NICK locked");
    let welcome = harness.send("USER u 0 * :r");
    assert!(
        welcome[0].starts_with(":chatroom 001 locked "),
        "{welcome:?}"
    );
    // A nick that is nobody's account: PASS has no effect.
    let mut harness = Harness::new(lobby());
    harness.send("PASS anything");
    harness.send("NICK free");
    let welcome = harness.send("USER u 0 * :r");
    assert!(welcome[0].starts_with(":chatroom 001 free "), "{welcome:?}");
}
