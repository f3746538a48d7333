//! The rooms as terminal mode shows them: which ones this user is in, in the
//! status line's order, which one is shown, what is unread in the others, and
//! each room's recent lines for when it is shown again.
//!
//! [`Shown`] is one thing to show with the room it belongs to (`None`: no
//! room, such as a private message or a notice; a version-1 server names no
//! room at all) and what it changes in the list ([`RoomChange`]).
//! [`RoomList`] takes them in order, switches with `Alt-1..9`, `Ctrl-N` and
//! `Ctrl-P`, and writes the status line:
//! `[1:#lobby] 2:#rust(3) 3:#go(1!)`: the shown room in brackets, unread
//! messages counted, a `!` where your name was mentioned.
//!
//! Invariants: the shown room, when there is one, is in the list; a room's
//! unread count is zero while it is shown. Switching never talks to the
//! server: typed text names its room (`/say`), so it goes to the room on the
//! screen whatever the server thinks is current.
//!
//! Pure: no terminal, no socket, no clock.

use std::collections::VecDeque;

use super::attention::Attention;
use super::render::{View, clean};
use crate::protocol::name_key;

/// How many lines are kept to fill the screen when a room is shown again.
const KEPT: usize = 2000;

/// What a line changes in the list of rooms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomChange {
    /// This user is now in the room and it is their current one: show it.
    Entered(String),
    /// This user is in the room (a message came from it): list it, but do
    /// not switch to it.
    Listed(String),
    /// This user left the room.
    Left(String),
}

/// One thing to show, with its room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// What to show.
    pub view: View,
    /// The room it belongs to, if any.
    pub room: Option<String>,
    /// What it changes in the list of rooms.
    pub change: Option<RoomChange>,
}

impl Shown {
    /// A line that belongs to no room.
    pub fn plain(view: View) -> Shown {
        Shown {
            view,
            room: None,
            change: None,
        }
    }

    /// A line of `room` (none for a version-1 server).
    pub fn in_room(view: View, room: Option<&str>) -> Shown {
        Shown {
            view,
            room: room.map(str::to_owned),
            change: None,
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    unread: usize,
    mentioned: bool,
}

/// One room in the status line.
struct Item {
    text: String,
    width: usize,
    keep: Keep,
}

/// How much a room's item is wanted in a narrow status line, most first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Keep {
    Shown,
    Mention,
    Unread,
    Quiet,
}

/// The rooms of terminal mode. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct RoomList {
    rooms: Vec<Entry>,
    current: Option<usize>,
    kept: VecDeque<Shown>,
    /// A room was named: the server speaks version 2.
    named: bool,
}

impl RoomList {
    /// Whether the server has rooms (it named one); a version-1 server never
    /// does, and then nothing here shows.
    pub fn has_rooms(&self) -> bool {
        self.named
    }

    /// The room on the screen: where typed text goes.
    pub fn current(&self) -> Option<&str> {
        self.current.map(|at| self.rooms[at].name.as_str())
    }

    /// The rooms joined, in the status line's order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.rooms.iter().map(|entry| entry.name.as_str())
    }

    /// Whether this user is in `room`.
    pub fn is_member(&self, room: &str) -> bool {
        self.position(room).is_some()
    }

    /// The marker a line of `room` gets: the room, unless it is the one shown.
    pub fn marker<'a>(&self, room: Option<&'a str>) -> Option<&'a str> {
        let shown = self.current().map(name_key);
        room.filter(|room| Some(name_key(room)) != shown)
    }

    /// Takes one line in: applies its change, counts it as unread in its
    /// room when that room is not shown, and keeps it. True when the shown
    /// room changed (the screen is to be filled again).
    pub fn arrived(&mut self, shown: &Shown, attention: Attention) -> bool {
        self.named |= shown.room.is_some() || shown.change.is_some();
        let switched = match &shown.change {
            Some(RoomChange::Entered(room)) => {
                let at = self.add(room);
                self.show(at)
            }
            Some(RoomChange::Listed(room)) => {
                self.add(room);
                false
            }
            Some(RoomChange::Left(room)) => self.remove(room),
            None => false,
        };
        if let Some(at) = shown.room.as_deref().and_then(|r| self.position(r))
            && Some(at) != self.current
            && attention >= Attention::Unread
        {
            self.rooms[at].unread += 1;
            self.rooms[at].mentioned |= attention == Attention::Bell;
        }
        self.kept.push_back(shown.clone());
        if self.kept.len() > KEPT {
            self.kept.pop_front();
        }
        switched
    }

    /// Shows the `n`th room of the status line (from 1). True if it changed.
    pub fn switch_nth(&mut self, n: usize) -> bool {
        n >= 1 && n <= self.rooms.len() && self.show(n - 1)
    }

    /// Shows `room` if this user is in it. True if it changed.
    pub fn switch_to(&mut self, room: &str) -> bool {
        self.position(room).is_some_and(|at| self.show(at))
    }

    /// Shows the next room (`step` 1) or the previous one (`step` -1),
    /// round the list. True if it changed.
    pub fn switch_by(&mut self, step: isize) -> bool {
        let len = self.rooms.len() as isize;
        if len == 0 {
            return false;
        }
        let from = self.current.map_or(-1, |at| at as isize);
        self.show((from + step).rem_euclid(len) as usize)
    }

    /// The last `max` lines of the shown room, and those of no room.
    pub fn recent(&self, max: usize) -> Vec<&Shown> {
        let shown = self.current().map(name_key);
        let mut lines: Vec<&Shown> = self
            .kept
            .iter()
            .rev()
            .filter(|line| {
                line.room
                    .as_deref()
                    .is_none_or(|r| Some(name_key(r)) == shown)
            })
            .take(max)
            .collect();
        lines.reverse();
        lines
    }

    /// The status line, `[1:#lobby] 2:#rust(3) 3:#go(1!)`; `None` before
    /// any room. With `colour`, the shown room is bold and a room with a
    /// mention bold yellow. Longer than `width` columns, it keeps the shown
    /// room and those with something unread, and counts the others:
    /// `2:#rust(3) [9:#go] +8`; if even those are too many, the shown room
    /// stays, then the mentions, then the other unread rooms, first first.
    pub fn status(&self, colour: bool, width: usize) -> Option<String> {
        if self.rooms.is_empty() {
            return self.has_rooms().then(|| "(in no room: /join #room)".into());
        }
        let mut items: Vec<Item> = (0..self.rooms.len())
            .map(|at| self.item(at, colour))
            .collect();
        let row_width = |items: &[Item], hidden: usize| {
            let counted = if hidden > 0 {
                format!(" +{hidden}").len()
            } else {
                0
            };
            items.iter().map(|item| item.width + 1).sum::<usize>() - 1 + counted
        };
        let total = items.len();
        if row_width(&items, 0) > width {
            items.retain(|item| item.keep != Keep::Quiet);
        }
        // Drop the least wanted room, the last of its kind, until it fits.
        while row_width(&items, total - items.len()) > width {
            let least = items
                .iter()
                .map(|item| item.keep)
                .max()
                .unwrap_or(Keep::Shown);
            if least == Keep::Shown {
                break;
            }
            let at = items.iter().rposition(|item| item.keep == least);
            items.remove(at.expect("the least wanted is there"));
        }
        let shown: Vec<&str> = items.iter().map(|item| item.text.as_str()).collect();
        let hidden = total - items.len();
        Some(match hidden {
            0 => shown.join(" "),
            _ => format!("{} +{hidden}", shown.join(" ")),
        })
    }

    /// The `at`th room's item in the status line.
    fn item(&self, at: usize, colour: bool) -> Item {
        let entry = &self.rooms[at];
        let paint = |style: &str, text: String| match colour {
            true => format!("{style}{text}\x1b[0m"),
            false => text,
        };
        let item = format!("{}:{}", at + 1, entry.name);
        let (plain, keep) = match (Some(at) == self.current, entry.unread, entry.mentioned) {
            (true, ..) => (format!("[{item}]"), Keep::Shown),
            (false, 0, _) => (item, Keep::Quiet),
            (false, n, true) => (format!("{item}({n}!)"), Keep::Mention),
            (false, n, false) => (format!("{item}({n})"), Keep::Unread),
        };
        let text = match keep {
            Keep::Shown => paint("\x1b[1m", plain.clone()),
            Keep::Mention => paint("\x1b[1;93m", plain.clone()),
            _ => plain.clone(),
        };
        Item {
            text,
            width: super::screen::width(&plain),
            keep,
        }
    }

    fn position(&self, room: &str) -> Option<usize> {
        let key = name_key(room);
        self.rooms
            .iter()
            .position(|entry| name_key(&entry.name) == key)
    }

    fn add(&mut self, room: &str) -> usize {
        self.position(room).unwrap_or_else(|| {
            self.rooms.push(Entry {
                // Cleaned like every text from the network: the rooms row
                // is written to the terminal as it is.
                name: clean(room),
                unread: 0,
                mentioned: false,
            });
            self.rooms.len() - 1
        })
    }

    fn show(&mut self, at: usize) -> bool {
        let entry = &mut self.rooms[at];
        (entry.unread, entry.mentioned) = (0, false);
        self.current.replace(at) != Some(at)
    }

    /// Leaves `room`; if it was shown, the one before it (or the first) is
    /// shown instead. True if the shown room changed.
    fn remove(&mut self, room: &str) -> bool {
        let Some(at) = self.position(room) else {
            return false;
        };
        self.rooms.remove(at);
        match self.current {
            Some(current) if current == at => {
                self.current = None;
                if !self.rooms.is_empty() {
                    self.show(at.saturating_sub(1));
                }
                true
            }
            Some(current) if current > at => {
                self.current = Some(current - 1);
                false
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entered(room: &str) -> Shown {
        Shown {
            view: View::Notice(format!("now in {room}")),
            room: Some(room.into()),
            change: Some(RoomChange::Entered(room.into())),
        }
    }

    fn said(room: &str, text: &str) -> Shown {
        Shown::in_room(View::Notice(text.into()), Some(room))
    }

    fn left(room: &str) -> Shown {
        Shown {
            change: Some(RoomChange::Left(room.into())),
            ..said(room, "left")
        }
    }

    /// Three rooms joined in order, `#go` shown last.
    fn three() -> RoomList {
        let mut list = RoomList::default();
        for room in ["#lobby", "#rust", "#go"] {
            assert!(list.arrived(&entered(room), Attention::None));
        }
        list
    }

    #[test]
    fn a_version_1_server_shows_no_rooms() {
        let mut list = RoomList::default();
        let line = Shown::plain(View::Notice("hi".into()));
        assert!(!list.arrived(&line, Attention::Unread));
        assert!(!list.has_rooms());
        assert_eq!(list.status(false, 80), None);
        assert_eq!(list.marker(None), None);
        assert!(!list.switch_by(1));
    }

    #[test]
    fn unread_counts_and_mentions_per_room() {
        let mut list = three();
        assert_eq!(list.status(false, 80).unwrap(), "1:#lobby 2:#rust [3:#go]");
        list.arrived(&said("#rust", "a"), Attention::Unread);
        list.arrived(&said("#RUST", "b"), Attention::Bell);
        list.arrived(&said("#lobby", "c"), Attention::Unread);
        list.arrived(&said("#go", "shown"), Attention::Unread);
        list.arrived(&said("#lobby", "mine"), Attention::None);
        let status = list.status(false, 80).unwrap();
        assert_eq!(status, "1:#lobby(1) 2:#rust(2!) [3:#go]");
        assert!(list.switch_nth(2));
        assert_eq!(
            list.status(false, 80).unwrap(),
            "1:#lobby(1) [2:#rust] 3:#go"
        );
        let coloured = list.status(true, 80).unwrap();
        assert_eq!(coloured, "1:#lobby(1) \x1b[1m[2:#rust]\x1b[0m 3:#go");
    }

    #[test]
    fn a_room_name_never_reaches_the_terminal_raw() {
        let mut list = RoomList::default();
        list.arrived(&entered("#a\x1b[2J"), Attention::None);
        assert_eq!(list.status(false, 80).unwrap(), "[1:#a[2J]");
    }

    #[test]
    fn a_long_rooms_row_keeps_the_room_shown_and_the_unread_ones() {
        let mut list = three();
        list.arrived(&said("#rust", "a"), Attention::Unread);
        assert_eq!(
            list.status(false, 27).unwrap(),
            "1:#lobby 2:#rust(1) [3:#go]"
        );
        assert_eq!(list.status(false, 26).unwrap(), "2:#rust(1) [3:#go] +1");
    }

    #[test]
    fn a_narrow_rooms_row_keeps_the_room_shown_then_mentions_then_unread() {
        let mut list = three();
        list.arrived(&entered("#epsilon"), Attention::None);
        list.arrived(&said("#lobby", "a"), Attention::Unread);
        list.arrived(&said("#rust", "b"), Attention::Unread);
        list.arrived(&said("#go", "c"), Attention::Bell);
        assert_eq!(
            list.status(false, 45).unwrap(),
            "1:#lobby(1) 2:#rust(1) 3:#go(1!) [4:#epsilon]"
        );
        assert_eq!(list.status(false, 30).unwrap(), "3:#go(1!) [4:#epsilon] +2");
        assert_eq!(list.status(false, 16).unwrap(), "[4:#epsilon] +3");
    }

    #[test]
    fn switching_by_number_and_round_the_list() {
        let mut list = three();
        assert!(list.switch_by(1));
        assert_eq!(list.current(), Some("#lobby"));
        assert!(list.switch_by(-1));
        assert_eq!(list.current(), Some("#go"));
        assert!(!list.switch_nth(3), "already shown");
        assert!(!list.switch_nth(4) && !list.switch_nth(0));
        assert!(list.switch_to("#Rust"));
        assert!(!list.switch_to("#nowhere"));
        assert_eq!(list.marker(Some("#rust")), None);
        assert_eq!(list.marker(Some("#go")), Some("#go"));
    }

    #[test]
    fn leaving_the_shown_room_shows_the_one_before() {
        let mut list = three();
        list.switch_nth(2);
        assert!(list.arrived(&left("#rust"), Attention::None));
        assert_eq!(list.current(), Some("#lobby"));
        assert!(!list.arrived(&left("#go"), Attention::None));
        assert!(list.arrived(&left("#lobby"), Attention::None));
        assert_eq!(list.current(), None);
        assert!(list.has_rooms());
        assert_eq!(list.status(false, 80).unwrap(), "(in no room: /join #room)");
    }

    #[test]
    fn a_room_shown_again_has_its_own_lines() {
        let mut list = three();
        list.arrived(&said("#rust", "r1"), Attention::Unread);
        list.arrived(
            &Shown::plain(View::Notice("everywhere".into())),
            Attention::None,
        );
        list.arrived(&said("#go", "g1"), Attention::Unread);
        list.switch_to("#rust");
        let texts: Vec<String> = list
            .recent(10)
            .iter()
            .map(|s| format!("{:?}", s.view))
            .collect();
        assert_eq!(
            texts,
            [
                r#"Notice("now in #rust")"#,
                r#"Notice("r1")"#,
                r#"Notice("everywhere")"#
            ]
        );
        assert_eq!(list.recent(1).len(), 1);
    }
}
