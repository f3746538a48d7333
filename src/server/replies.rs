//! The multi-line replies, encoded as one chunk each: the welcome block a
//! client gets on joining, and the `USERS` and `HISTORY` runs (also the answers
//! to `/who` and `/history`). Pure: names and stored messages in, text out.

use std::sync::Arc;

use super::history::StoredMessage;
use super::outbox::Chunk;
use crate::protocol::grammar::push_number;
use crate::protocol::{MAX_SERVER_LINE, ServerLine};

/// The block a client gets on joining: `WELCOME`, the online list, the history.
pub(crate) fn welcome_block(
    name: &str,
    online: &mut dyn Iterator<Item = &str>,
    history: &[Arc<StoredMessage>],
) -> Chunk {
    // Sized up front: growing from empty freed a block of every size up to 1 KiB
    // into glibc's per-thread cache, which keeps them for the life of the thread.
    let mut users = String::with_capacity(4096);
    let count = push_users(&mut users, online);
    let text = format!("Welcome to the chatroom, {name}! Type /help for commands.");
    // One allocation for the whole block, made here: this runs at the deepest
    // point of a session thread's stack ("Stack depth" in
    // `docs/architecture.md`), and a reallocation from inside the encoder
    // went deeper still.
    let mut out = String::with_capacity(2 * text.len() + users.len() + 4096);
    ServerLine::Welcome {
        name: name.to_owned(),
        online: count,
        text,
    }
    .encode_into(&mut out);
    out.push_str(&users);
    push_history(&mut out, history);
    Chunk::from(out.into_bytes())
}

/// Appends `USERS` lines, each within the server line limit, and `USERS-END`.
/// Returns the count.
pub(crate) fn push_users<'a>(out: &mut String, names: impl Iterator<Item = &'a str>) -> u64 {
    const PREFIX: &str = "USERS :";
    let mut count = 0;
    let mut line_start = None;
    for name in names {
        let fits =
            line_start.is_some_and(|start| out.len() - start + 1 + name.len() < MAX_SERVER_LINE);
        if fits {
            out.push(' ');
        } else {
            if line_start.is_some() {
                out.push('\n');
            }
            line_start = Some(out.len());
            out.push_str(PREFIX);
        }
        out.push_str(name);
        count += 1;
    }
    if line_start.is_some() {
        out.push('\n');
    }
    out.push_str("USERS-END");
    push_number(out, count);
    out.push('\n');
    count
}

/// Appends `HISTORY` lines and `HISTORY-END`.
pub(crate) fn push_history(out: &mut String, messages: &[Arc<StoredMessage>]) {
    for message in messages {
        message.encode_history(out);
    }
    out.push_str("HISTORY-END");
    push_number(out, messages.len() as u64);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_lines_respect_the_line_limit() {
        let names: Vec<String> = (0..2000)
            .map(|i| format!("user{i:05}_{}", "x".repeat(20)))
            .collect();
        let mut out = String::new();
        let count = push_users(&mut out, names.iter().map(String::as_str));
        assert_eq!(count, 2000);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 2, "split over several lines");
        assert!(
            lines.iter().all(|line| line.len() < MAX_SERVER_LINE),
            "each line within the limit, LF included"
        );
        let listed: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("USERS :"))
            .flat_map(|l| l.split(' '))
            .collect();
        assert_eq!(listed, names);
        assert_eq!(*lines.last().unwrap(), "USERS-END 2000");
    }

    #[test]
    fn empty_lists_still_end() {
        let mut out = String::new();
        assert_eq!(push_users(&mut out, std::iter::empty()), 0);
        push_history(&mut out, &[]);
        assert_eq!(out, "USERS-END 0\nHISTORY-END 0\n");
    }
}
