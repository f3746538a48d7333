//! Terminal mode never loses what a person types or pastes (issue 14): keys
//! written faster than anyone types (a whole burst in one write), plain and
//! bracketed pastes, over-long lines, the echo of one's own lines and resizes,
//! through the real binary in a pty, checked on the vt100 screen and on what
//! the server received.

use chatroom::protocol::ServerLine;

use super::pty::{Terminal, last_used_row};
use super::scripted::Scripted;
use super::{Peer, start_server};

/// A room with bob (a peer) and alice (the client in a pty, prompt shown).
pub(super) fn room() -> (crate::support::TestServer, Peer, Terminal) {
    let server = start_server();
    let bob = Peer::join(server.addr, "bob");
    let mut alice = Terminal::start(server.addr, "alice");
    // The prompt, and the room's members: the welcome run is all there.
    alice.wait_until("the prompt and the members", |rows| {
        rows.iter().any(|r| r.starts_with("[alice] "))
            && rows.iter().any(|r| r.starts_with("*** online (2): "))
    });
    (server, bob, alice)
}

/// The texts of the next `count` room messages alice sent, as bob got them.
fn messages_from_alice(bob: &Peer, count: usize) -> Vec<String> {
    (0..count).map(|_| bob.next_msg_from("alice")).collect()
}

#[test]
fn client_sends_every_line_typed_ahead_or_pasted_plainly() {
    let (server, bob, mut alice) = room();
    // A burst as tmux send-keys makes it, then a plain paste (LF endings, as
    // some terminals paste), each in one write.
    alice.type_keys("fast one\rfast two\rfast three\r");
    alice.type_keys("pasted one\npasted two\npasted three\n");
    alice.type_keys("last\r");
    let expected = [
        "fast one",
        "fast two",
        "fast three",
        "pasted one",
        "pasted two",
        "pasted three",
        "last",
    ];
    assert_eq!(messages_from_alice(&bob, expected.len()), expected);
    server.stop();
}

#[test]
fn client_keeps_lines_typed_with_the_name() {
    let server = start_server();
    let bob = Peer::join(server.addr, "bob");
    let mut alice = Terminal::start_with(server.addr, &[], &[]);
    alice.wait_until("the name prompt", |rows| {
        rows.iter().any(|r| r.starts_with("your name: "))
    });
    // The name and two lines in one write, before the server answered;
    // then the same as a paste.
    alice.type_keys("alice\rfirst\rsecond\r");
    assert_eq!(messages_from_alice(&bob, 2), ["first", "second"]);
    let mut carol = Terminal::start_with(server.addr, &[], &[]);
    carol.wait_until("the name prompt", |rows| {
        rows.iter().any(|r| r.starts_with("your name: "))
    });
    carol.type_keys("\x1b[200~carol\rthird\r\x1b[201~");
    assert_eq!(bob.next_msg_from("carol"), "third");
    server.stop();
}

/// Ctrl-Z with no shell to continue the client (an orphaned process group)
/// does not stop it; the line being typed is kept either way.
#[test]
fn client_goes_on_after_ctrl_z() {
    let (server, bob, mut alice) = room();
    alice.type_keys("half");
    alice.type_keys("\x1a");
    alice.type_keys(" done\r");
    assert_eq!(bob.next_msg_from("alice"), "half done");
    server.stop();
}

/// Killed politely (the terminal closing sends SIGHUP), the client quits as
/// the user would and gives the terminal back out of raw mode.
#[test]
fn client_quits_cleanly_when_asked_to_end() {
    let (server, bob, mut alice) = room();
    alice.signal("TERM");
    let status = alice.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let left = bob.wait_for("alice leaving", |l| matches!(l, ServerLine::Leave { .. }));
    assert!(matches!(left, ServerLine::Leave { name, .. } if name == "alice"));
    assert!(
        contains(&alice.written, "\x1b[?2004l"),
        "bracketed paste off"
    );
    server.stop();
}

#[test]
fn client_sends_a_bracketed_paste_line_by_line() {
    let (server, bob, mut alice) = room();
    alice.type_keys("\x1b[200~first\rsecond\r\tthird\r\x1b[201~");
    alice.type_keys("after\r");
    let expected = ["first", "second", "\tthird", "after"];
    assert_eq!(messages_from_alice(&bob, expected.len()), expected);
    let rows = alice.rows();
    assert!(
        !rows.iter().any(|r| r.contains("control character")),
        "screen:\n{}",
        rows.join("\n")
    );
    server.stop();
}

/// Eight lines as a terminal pastes them (CR endings), over the default
/// `--paste-max-lines`.
fn eight_lines() -> String {
    (1..=8).map(|i| format!("line {i}\r")).collect()
}

/// Pastes `paste` (bracketed), waits for the question, answers no and
/// waits for the paste to be dropped.
fn paste_and_drop(alice: &mut Terminal, paste: &str) {
    alice.type_keys(&format!("\x1b[200~{paste}\x1b[201~"));
    alice.wait_until("the question", |rows| {
        rows.iter().any(|r| r.contains("send 8 pasted lines?"))
    });
    alice.type_keys("n");
    alice.wait_until("the paste dropped", |rows| {
        rows.iter().any(|r| r.contains("paste of 8 lines not sent"))
    });
}

#[test]
fn client_asks_before_sending_a_long_paste() {
    let (server, bob, mut alice) = room();
    let paste = eight_lines();
    paste_and_drop(&mut alice, &paste);
    alice.type_keys(&format!("\x1b[200~{paste}\x1b[201~"));
    alice.wait_until("the question again", |rows| {
        rows.iter().any(|r| r.contains("send 8 pasted lines?"))
    });
    // Typed before the answer: kept for after it.
    alice.type_keys("after\ry");
    let mut expected: Vec<String> = (1..=8).map(|i| format!("line {i}")).collect();
    expected.push("after".into());
    assert_eq!(messages_from_alice(&bob, 9), expected);
    server.stop();
}

/// A line the client refuses goes back on the input line, but what was
/// typed after it in the same burst, before the refusal could be seen, is
/// lines of its own: sent, not glued onto the refused one.
#[test]
fn client_sends_what_was_typed_ahead_of_a_refused_line() {
    let (server, bob, mut alice) = room();
    alice.type_keys("/dance\rafter dance\rthird\r");
    assert_eq!(messages_from_alice(&bob, 2), ["after dance", "third"]);
    alice.wait_until("the refused line back on the input line", |rows| {
        last_used_row(rows) == "[alice] /dance"
    });
    alice.type_keys("\x15last\r");
    assert_eq!(bob.next_msg_from("alice"), "last");
    server.stop();
}

/// Dropping a long paste drops the paste, not what was typed before it.
#[test]
fn client_keeps_what_was_typed_when_a_long_paste_is_dropped() {
    let (server, bob, mut alice) = room();
    alice.type_keys("typed before ");
    let paste = eight_lines();
    paste_and_drop(&mut alice, &paste);
    alice.type_keys("kept\r");
    assert_eq!(bob.next_msg_from("alice"), "typed before kept");
    server.stop();
}

#[test]
fn client_keeps_an_over_long_line_on_the_input_line() {
    let (server, bob, mut alice) = room();
    let long = "x".repeat(5000);
    alice.type_keys(&format!("{long}\r"));
    alice.wait_until("the refusal with the byte count", |rows| {
        rows.iter()
            .any(|r| r.contains("5000 bytes") && r.contains("4083"))
    });
    alice.wait_until("the line still being edited", |rows| {
        last_used_row(rows).starts_with("[alice] ") && last_used_row(rows).ends_with("xxxxx")
    });
    // Ctrl-U clears it; the next line is the next message.
    alice.type_keys("\x15short\r");
    assert_eq!(bob.next_msg_from("alice"), "short");
    server.stop();
}

#[test]
fn client_shows_its_own_line_once() {
    let (server, mut bob, mut alice) = room();
    alice.type_keys("hi everyone\r");
    assert_eq!(bob.next_msg_from("alice"), "hi everyone");
    bob.send_line("sync");
    alice.wait_until("bob's line after alice's", |rows| {
        rows.iter().any(|r| r.ends_with("<bob> sync"))
    });
    let rows = alice.rows();
    let shown: Vec<&String> = rows.iter().filter(|r| r.contains("hi everyone")).collect();
    assert_eq!(shown.len(), 1, "screen:\n{}", rows.join("\n"));
    assert!(shown[0].ends_with("] <alice> hi everyone"), "{shown:?}");
    server.stop();
}

#[test]
fn client_marks_its_line_until_the_server_echoes_it() {
    let (mut server, mut alice) = Scripted::join(&[]);
    alice.type_keys("not yet stored\r");
    assert_eq!(server.read_line(), "not yet stored");
    alice.wait_until("the line marked as waiting", |rows| {
        rows.iter()
            .any(|r| r.trim_end() == "[--:--] <alice> not yet stored")
    });
    server.echo(7, "not yet stored");
    alice.wait_until("the server's copy in its place", |rows| {
        rows.iter()
            .any(|r| r.ends_with("09:30] <alice> not yet stored"))
            && !rows.iter().any(|r| r.contains("[--:--]"))
    });
    let rows = alice.rows();
    let shown = rows.iter().filter(|r| r.contains("not yet stored"));
    assert_eq!(shown.count(), 1, "screen:\n{}", rows.join("\n"));
}

/// Messages on their way when the connection drops are looked for in the
/// replay once back: those stored are not sent again, the others are, before
/// what was typed while away.
#[test]
fn client_sends_unstored_lines_again_after_a_reconnect() {
    let (mut server, mut alice) = Scripted::join(&[]);
    alice.type_keys("one\rtwo\r");
    assert_eq!([server.read_line(), server.read_line()], ["one", "two"]);
    server.to_client.shutdown(std::net::Shutdown::Both).unwrap();
    alice.wait_until("the loss", |rows| {
        rows.iter()
            .any(|r| r.starts_with("*** reconnecting in 1 s"))
    });
    alice.type_keys("three\r");
    server.reconnected();
    assert_eq!(server.read_line(), "/history 1000");
    server.write("HISTORY 5 2026-11-21T09:30:00.000Z alice :one\nHISTORY-END 1");
    assert_eq!([server.read_line(), server.read_line()], ["two", "three"]);
    alice.wait_until("the resend said", |rows| {
        rows.iter().any(|r| {
            r.starts_with("*** 1 line sent as the connection was lost had not been stored")
        })
    });
}

#[test]
fn client_paces_a_paste_and_counts_what_is_still_to_go() {
    let (mut server, mut alice) = Scripted::join(&["--paste-max-lines", "20"]);
    let paste: String = (1..=12).map(|i| format!("p{i}\r")).collect();
    alice.type_keys(&format!("\x1b[200~{paste}\x1b[201~"));
    // Eight go out at once; the rest wait for answers.
    let first: Vec<String> = (0..8).map(|_| server.read_line()).collect();
    assert_eq!(first, (1..=8).map(|i| format!("p{i}")).collect::<Vec<_>>());
    alice.wait_until("the waiting lines and the count", |rows| {
        rows.iter().any(|r| r.trim_end() == "[--:--] <alice> p1")
            && rows
                .iter()
                .any(|r| r.trim_end() == "*** 10 more lines still to go")
    });
    server.echo(1, "p1");
    server.write("ERROR bad-text :refused, say");
    assert_eq!(server.read_line(), "p9");
    assert_eq!(server.read_line(), "p10");
    alice.wait_until("two fewer to go", |rows| {
        rows.iter().any(|r| r.trim_end() == "*** not stored: p2")
            && rows.iter().any(|r| r.trim_end() == "[--:--] <alice> p3")
            && rows
                .iter()
                .any(|r| r.trim_end() == "*** 8 more lines still to go")
    });
    for id in 3..=10 {
        server.echo(id, &format!("p{id}"));
    }
    assert_eq!(server.read_line(), "p11");
    assert_eq!(server.read_line(), "p12");
    server.echo(11, "p11");
    alice.wait_until("only the last waiting", |rows| {
        rows.iter().any(|r| r.trim_end() == "[--:--] <alice> p12")
            && !rows.iter().any(|r| {
                r.contains("still to go") || r.contains("<alice> p11") && r.contains("--:--")
            })
    });
}

#[test]
fn client_resize_leaves_no_stale_input_line() {
    let (server, bob, mut alice) = room();
    let typed = "y".repeat(100);
    alice.type_keys(&typed);
    alice.wait_until("the typed text", |rows| {
        rows.iter().any(|r| r.contains("yyyyyyyyyy"))
    });
    // Wider, then narrower; each time one input line and the lines above it
    // intact, wrapped at the new width and indented under their text.
    for (cols, key, wrapped) in [(120, "Z", None), (40, "W", Some("    lists the commands"))] {
        alice.resize(24, cols);
        alice.type_keys(key);
        // A key drawn before the client hears of the resize may land on
        // the old layout; the redraw on SIGWINCH must leave one input line.
        alice.wait_until("one input line, redrawn", |rows| {
            let with_input = rows.iter().filter(|r| r.contains("yyyyy")).count();
            last_used_row(rows).ends_with(key) && with_input == 1
        });
        let rows = alice.rows();
        let screen = rows.join("\n");
        let online = if wrapped.is_some() { 2 } else { 1 };
        if let Some(wrapped) = wrapped {
            assert_eq!(rows[1].trim_end(), wrapped, "screen:\n{screen}");
        }
        assert!(
            rows[online].starts_with("*** online (2): "),
            "screen:\n{screen}"
        );
    }
    alice.type_keys("\r");
    assert_eq!(bob.next_msg_from("alice"), format!("{typed}ZW"));
    server.stop();
}

/// Bells rung in `written`: BEL bytes that do not end a title.
fn bells(written: &[u8]) -> usize {
    let bel = written.iter().filter(|&&b| b == 0x07).count();
    let titles = written.windows(4).filter(|w| w == b"\x1b]2;").count();
    bel - titles
}

fn contains(written: &[u8], wanted: &str) -> bool {
    written
        .windows(wanted.len())
        .any(|w| w == wanted.as_bytes())
}

#[test]
fn client_rings_for_mentions_and_counts_unread_in_the_title() {
    let (server, mut bob, mut alice) = room();
    let mut carol = Terminal::start_with(
        server.addr,
        &["--name", "carol"],
        &[("NO_BELL", std::path::Path::new("1"))],
    );
    carol.wait_until("carol's prompt", |rows| {
        rows.iter().any(|r| r.starts_with("[carol] "))
    });
    bob.send("just chatting");
    bob.send("alice, carol: lunch?");
    bob.send("/msg carol psst");
    for term in [&mut alice, &mut carol] {
        term.wait_until("bob's lines", |rows| {
            rows.iter()
                .any(|r| r.ends_with("<bob> alice, carol: lunch?"))
        });
    }
    carol.wait_until("bob's private line", |rows| {
        rows.iter().any(|r| r.ends_with("[msg from bob] psst"))
    });
    assert_eq!(bells(&alice.written), 1, "one mention");
    assert!(contains(
        &alice.written,
        "\x1b]2;(2) alice - chat-client\x07"
    ));
    assert_eq!(bells(&carol.written), 0, "NO_BELL");
    assert!(contains(
        &carol.written,
        "\x1b]2;(3) carol - chat-client\x07"
    ));
    // A key read them all.
    alice.type_keys("x");
    alice.wait_until("the typed key", |rows| last_used_row(rows) == "[alice] x");
    let title = "\x1b]2;alice - chat-client\x07";
    let tail = &alice.written[alice.written.len().saturating_sub(200)..];
    assert!(contains(tail, title), "{:?}", String::from_utf8_lossy(tail));
    server.stop();
}

/// Peer helpers only this module needs.
trait PeerExt {
    fn send_line(&mut self, line: &str);
}

impl PeerExt for Peer {
    fn send_line(&mut self, line: &str) {
        self.send(line);
        let _ = self.wait_for(
            "the echo",
            |l| matches!(l, ServerLine::Msg { text, .. } if text == line),
        );
    }
}
