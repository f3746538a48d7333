//! How much a display line asks for the user's attention: the bell for a
//! mention or a private message, an unread count for other people's
//! messages. Terminal mode acts on it; plain mode ignores it.
//!
//! Pure: it only looks at the [`View`].

use super::render::{Replay, View, mentions};
use crate::protocol::name_key;

/// How much a line asks for the user's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Attention {
    /// Nothing to point out.
    None,
    /// Someone else said something: it counts as unread.
    Unread,
    /// It mentions the user or was sent to them alone: ring the bell.
    Bell,
}

/// What `view` asks of `me`: messages from others count as unread, and ring
/// the bell when they mention `me` or are private. Replayed history never
/// does; messages missed while away do.
pub fn attention(view: &View, me: &str) -> Attention {
    let other = |from: &str| name_key(from) != name_key(me);
    match view {
        View::Message {
            replay: Replay::History,
            ..
        } => Attention::None,
        View::Message { from, text, .. } if other(from) => {
            if mentions(text, me) {
                Attention::Bell
            } else {
                Attention::Unread
            }
        }
        View::Private { from, .. } if other(from) => Attention::Bell,
        _ => Attention::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse_ts;

    fn message(from: &str, text: &str, replay: Replay) -> View {
        View::Message {
            ts: parse_ts("2026-11-21T09:30:00.123Z").unwrap(),
            from: from.into(),
            text: text.into(),
            replay,
        }
    }

    fn private(from: &str, to: &str, text: &str) -> View {
        View::Private {
            ts: parse_ts("2026-11-21T09:30:00.123Z").unwrap(),
            from: from.into(),
            to: to.into(),
            text: text.into(),
        }
    }

    #[test]
    fn attention_table() {
        let check = |view: View, expected: Attention| {
            assert_eq!(attention(&view, "alice"), expected, "{view:?}");
        };
        use Replay::*;
        check(message("bob", "hi", Live), Attention::Unread);
        check(message("bob", "hi Alice", Live), Attention::Bell);
        check(message("bob", "hi alice", Missed), Attention::Bell);
        check(message("bob", "hi alice", History), Attention::None);
        check(message("ALICE", "me, alice", Live), Attention::None);
        check(private("bob", "alice", "psst"), Attention::Bell);
        check(private("alice", "bob", "psst"), Attention::None);
        check(View::Notice("alice joined".into()), Attention::None);
    }
}
