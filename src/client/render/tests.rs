//! Tests of [`Renderer`]: views in, display lines out.

use chrono::{FixedOffset, Utc};

use super::*;
use crate::protocol::parse_ts;

fn ts() -> Timestamp {
    parse_ts("2026-11-21T09:30:00.123Z").unwrap()
}

fn message(from: &str, text: &str, replay: Replay) -> View {
    View::Message {
        ts: ts(),
        from: from.into(),
        text: text.into(),
        replay,
    }
}

fn private(from: &str, to: &str, text: &str) -> View {
    View::Private {
        ts: ts(),
        from: from.into(),
        to: to.into(),
        text: text.into(),
    }
}

fn check(view: View, expected: &str) {
    let renderer = Renderer::new("alice", false, Utc);
    assert_eq!(renderer.render(&view), expected, "{view:?}");
}

fn check_colour(view: View, expected: &str) {
    let renderer = Renderer::new("alice", true, Utc);
    assert_eq!(renderer.render(&view), expected, "{view:?}");
}

#[test]
fn plain_lines() {
    use Replay::*;
    check(message("bob", "hi alice", Live), "[09:30] <bob> hi alice");
    check(message("bob", "/me waves", Live), "[09:30] * bob waves");
    check(message("bob", "/menu", Live), "[09:30] <bob> /menu");
    check(
        message("bob", "old", History),
        "[09:30] [history] <bob> old",
    );
    check(
        message("bob", "/me sat", History),
        "[09:30] [history] * bob sat",
    );
    check(
        message("bob", "away", Missed),
        "[09:30] [missed] <bob> away",
    );
    check(
        private("bob", "alice", "psst"),
        "[09:30] [msg from bob] psst",
    );
    check(private("alice", "bob", "psst"), "[09:30] [msg to bob] psst");
    check(private("carol", "bob", "x"), "[09:30] [msg carol -> bob] x");
    check(
        private("bob", "alice", "/me nods"),
        "[09:30] [msg from bob] * bob nods",
    );
    let (name, reason) = ("bob".to_string(), "lunch".to_string());
    check(
        View::Join {
            ts: ts(),
            name: name.clone(),
        },
        "[09:30] --> bob joined",
    );
    check(
        View::Leave {
            ts: ts(),
            name,
            reason,
        },
        "[09:30] <-- bob left the server (lunch)",
    );
    check(View::Notice("2 online".into()), "*** 2 online");
    check(
        View::Error("no-such-user: who?".into()),
        "!!! no-such-user: who?",
    );
}

#[test]
fn lines_of_another_room_are_marked() {
    let check = |view: View, expected: &str| {
        let renderer = Renderer::new("alice", false, Utc);
        assert_eq!(renderer.render_in(&view, Some("#rust")), expected);
    };
    use Replay::*;
    check(message("bob", "hi", Live), "[09:30] [#rust] <bob> hi");
    check(
        message("bob", "old", History),
        "[09:30] [#rust] [history] <bob> old",
    );
    check(
        message("bob", "/me waves", Live),
        "[09:30] [#rust] * bob waves",
    );
    let (ts, name) = (ts(), "bob".to_string());
    let (reason, text) = ("bored".to_string(), "rust!".to_string());
    check(
        View::Part {
            ts,
            name: name.clone(),
            reason,
        },
        "[09:30] [#rust] <-- bob left the room (bored)",
    );
    check(
        View::Topic { ts, name, text },
        "[09:30] [#rust] -!- topic (set by bob): rust!",
    );
    let nobody = "-".to_string();
    check(
        View::Topic {
            ts,
            name: nobody,
            text: String::new(),
        },
        "[09:30] [#rust] -!- no topic",
    );
    check(View::Notice("x".into()), "[#rust] *** x");
    check(View::Error("y".into()), "[#rust] !!! y");
    let renderer = Renderer::new("alice", true, Utc);
    let line = renderer.render_in(&message("bob", "old", History), Some("#r"));
    assert_eq!(line, "\x1b[2m[09:30] [#r] [history] <bob> old\x1b[0m");
}

#[test]
fn control_characters_never_reach_the_screen() {
    use Replay::*;
    check(
        message("bob", "\u{1b}[2Jgone\u{7}", Live),
        "[09:30] <bob> [2Jgone",
    );
    check(
        message("b\u{1b}ob", "a\tb\u{9b}c", Live),
        "[09:30] <bob> a bc",
    );
    check(View::Notice("x\u{0}y\u{7f}".into()), "*** xy");
}

#[test]
fn coloured_lines() {
    use Replay::*;
    let bob = format!("\x1b[{}mbob\x1b[0m", name_colour("bob"));
    let alice = format!("\x1b[{}malice\x1b[0m", name_colour("alice"));
    check_colour(message("bob", "hi", Live), &format!("[09:30] <{bob}> hi"));
    check_colour(
        message("bob", "hi Alice!", Live),
        &format!("[09:30] <{bob}> \x1b[1;93mhi Alice!\x1b[0m"),
    );
    check_colour(
        message("alice", "mine", Live),
        &format!("[09:30] <{alice}> \x1b[1mmine\x1b[0m"),
    );
    check_colour(
        message("bob", "/me waves", Live),
        &format!("[09:30] * {bob} waves"),
    );
    check_colour(
        message("bob", "old", History),
        "\x1b[2m[09:30] [history] <bob> old\x1b[0m",
    );
    check_colour(View::Error("oops".into()), "\x1b[31m!!! oops\x1b[0m");
    check_colour(View::Notice("hey".into()), "\x1b[1m***\x1b[0m hey");
    check_colour(
        private("bob", "alice", "psst"),
        "[09:30] \x1b[1;35m[msg from bob]\x1b[0m psst",
    );
}

#[test]
fn times_are_shown_in_the_renderers_zone() {
    let paris = FixedOffset::east_opt(3600).unwrap();
    let renderer = Renderer::new("alice", false, paris);
    let line = renderer.render(&message("bob", "hi", Replay::Live));
    assert_eq!(line, "[10:30] <bob> hi");
}

#[test]
fn other_days_show_their_date() {
    let mut renderer = Renderer::new("alice", false, Utc);
    let check = |renderer: &Renderer<Utc>, expected: &str| {
        assert_eq!(
            renderer.render(&message("bob", "hi", Replay::Live)),
            expected
        );
    };
    check(&renderer, "[09:30] <bob> hi");
    renderer.set_today(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap());
    check(&renderer, "[09:30] <bob> hi");
    renderer.set_today(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
    check(&renderer, "[11-21 09:30] <bob> hi");
}

#[test]
fn waiting_lines() {
    check(
        View::Waiting {
            to: None,
            text: "hi".into(),
        },
        "[--:--] <alice> hi",
    );
    check(
        View::Waiting {
            to: None,
            text: "/me waves".into(),
        },
        "[--:--] * alice waves",
    );
    check(
        View::Waiting {
            to: Some("bob".into()),
            text: "psst".into(),
        },
        "[--:--] [msg to bob] psst",
    );
}

#[test]
fn counts_agree_with_their_nouns() {
    assert_eq!(count(0u64, "message"), "0 messages");
    assert_eq!(count(1u64, "message"), "1 message");
    assert_eq!(count(2u64, "line"), "2 lines");
}

#[test]
fn mention_table() {
    let check = |text: &str, expected: bool| {
        assert_eq!(mentions(text, "alice"), expected, "{text:?}");
    };
    check("hi alice", true);
    check("ALICE: look", true);
    check("(alice)", true);
    check("alice", true);
    check("malice aforethought", false);
    check("alice_2 is here", false);
    check("alice-bot", false);
    check("nobody", false);
    check("émile and alice", true);
}

#[test]
fn name_colours_are_stable_and_case_blind() {
    let check = |name: &str, expected: u8| assert_eq!(name_colour(name), expected, "{name}");
    check("alice", name_colour("ALICE"));
    check("bob", name_colour("Bob"));
    // Pinned: changing the hash would change everyone's colours.
    check("alice", 95);
    check("bob", 92);
    check("carol", 94);
    check("dave", 36);
    let used: std::collections::BTreeSet<u8> =
        (0..200).map(|i| name_colour(&format!("user{i}"))).collect();
    assert_eq!(used.len(), NAME_COLOURS.len(), "every colour gets used");
}
