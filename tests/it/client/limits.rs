//! The line limit as the terminal client shows it, and refused lines kept
//! (issue: the limit was below the documented one, a refused paste was lost).
//!
//! In a room the client sends text as `/say #room TEXT`, so a line holds the
//! server's 4,095 bytes less that prefix: 4,083 in `#lobby`. The counter
//! while typing, the refusal on Enter and the refusal of a paste all count
//! the same way, and a line of exactly the limit goes out. A refused pasted
//! line is never lost: the first goes on the input line, the others into the
//! history (Up brings them back).

use super::pty::last_used_row;
use super::typing::room;

/// The most a line typed in `#lobby` holds: 4095 less `/say #lobby `.
const LOBBY_LIMIT: usize = 4095 - "/say #lobby ".len();

/// Whether some row holds every one of `parts`.
fn shows(rows: &[String], parts: &[&str]) -> bool {
    rows.iter().any(|r| parts.iter().all(|p| r.contains(p)))
}

#[test]
fn client_counts_the_room_prefix_while_typing_and_on_enter() {
    let (server, bob, mut alice) = room();
    alice.type_keys(&"x".repeat(LOBBY_LIMIT + 1));
    alice.wait_until("the counter one byte over", |rows| {
        shows(rows, &["4084 bytes: 1 over the 4083-byte limit"])
    });
    alice.type_keys("\r");
    alice.wait_until("the refusal saying the same", |rows| {
        // The refusal wraps: its second row says by how much.
        shows(rows, &["line-too-long: 4084 bytes", "at most 4083"])
            && shows(rows, &["Shorten it by 1 byte ("])
    });
    // One Backspace and it fits, to the byte.
    alice.type_keys("\x7f\r");
    assert_eq!(bob.next_msg_from("alice"), "x".repeat(LOBBY_LIMIT));
    server.stop();
}

#[test]
fn client_counts_a_paste_as_it_counts_typing() {
    let (server, bob, mut alice) = room();
    let long = "y".repeat(5000);
    alice.type_keys(&long);
    alice.wait_until("the counter", |rows| {
        shows(rows, &["917 over the 4083-byte"])
    });
    alice.type_keys("\x15");
    alice.type_keys(&format!("\x1b[200~{long}\r\x1b[201~"));
    alice.wait_until("the refusal of the paste", |rows| {
        shows(rows, &["line-too-long: 5000 bytes", "at most 4083"])
            && shows(rows, &["Shorten it by 917 bytes"])
    });
    alice.wait_until("the pasted line kept on the input line", |rows| {
        last_used_row(rows).starts_with("[alice] ") && last_used_row(rows).ends_with("yyyy")
    });
    alice.type_keys("\x15short\r");
    assert_eq!(bob.next_msg_from("alice"), "short");
    server.stop();
}

#[test]
fn client_keeps_the_refused_lines_of_a_mixed_paste() {
    let (server, bob, mut alice) = room();
    let long = "z".repeat(5000);
    let paste = format!("ok one\r{long}\r/dance\rok two\r");
    alice.type_keys(&format!("\x1b[200~{paste}\x1b[201~"));
    assert_eq!(bob.next_msg_from("alice"), "ok one");
    assert_eq!(bob.next_msg_from("alice"), "ok two");
    alice.wait_until("the first refused line on the input line", |rows| {
        last_used_row(rows).ends_with("zzzz")
            && shows(rows, &["1 more refused line is in the history"])
    });
    // Up brings back the other refused line, then the first one.
    alice.type_keys("\x15\x1b[A");
    alice.wait_until("the unknown command from the history", |rows| {
        last_used_row(rows) == "[alice] /dance"
    });
    alice.type_keys("\x1b[A");
    alice.wait_until("the long line from the history", |rows| {
        last_used_row(rows).ends_with("zzzz")
    });
    server.stop();
}

#[test]
fn client_keeps_a_pasted_unknown_command() {
    let (server, bob, mut alice) = room();
    alice.type_keys("\x1b[200~/dance\r\x1b[201~");
    alice.wait_until("the refused command on the input line", |rows| {
        shows(rows, &["unknown command /dance"]) && last_used_row(rows) == "[alice] /dance"
    });
    alice.type_keys("\x15after\r");
    assert_eq!(bob.next_msg_from("alice"), "after");
    server.stop();
}
