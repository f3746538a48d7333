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
//! A `/join` sent ([`RoomList::joining`]) is answered by `JOINED` later,
//! after the server's flood control maybe: its room is shown then only if
//! the user has not chosen a room (`Alt-1..9`, ...) since typing it.
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
struct RoomTab {
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
    rooms: Vec<RoomTab>,
    current: Option<usize>,
    kept: VecDeque<Shown>,
    /// A room was named: the server speaks version 2.
    named: bool,
    /// How many times the user chose the room shown.
    choices: u64,
    /// The rooms of `/join`s sent and not answered yet, each with
    /// [`RoomList::choices`] as it was when the `/join` was typed.
    joining: Vec<(String, u64)>,
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
                self.still_wanted(room) && self.show(at)
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

    /// A `/join` of `room` was sent: its `JOINED` shows the room unless
    /// the user chooses another room first.
    pub fn joining(&mut self, room: &str) {
        self.joining.push((name_key(room), self.choices));
    }

    /// Whether the room entered is to be shown: the server put the user in
    /// it by itself, or its latest `/join` was typed after the last choice.
    fn still_wanted(&mut self, room: &str) -> bool {
        let key = name_key(room);
        let typed = self.joining.iter().rev().find(|(r, _)| *r == key);
        let wanted = typed.is_none_or(|(_, choices)| *choices == self.choices);
        self.joining.retain(|(r, _)| *r != key);
        wanted
    }

    /// The user shows the `n`th room of the status line (from 1). True if
    /// it changed.
    pub fn switch_nth(&mut self, n: usize) -> bool {
        n >= 1 && n <= self.rooms.len() && self.choose(n - 1)
    }

    /// The user shows `room` if they are in it. True if it changed.
    pub fn switch_to(&mut self, room: &str) -> bool {
        self.position(room).is_some_and(|at| self.choose(at))
    }

    /// Shows the next room (`step` 1) or the previous one (`step` -1),
    /// round the list. True if it changed.
    pub fn switch_by(&mut self, step: isize) -> bool {
        let len = self.rooms.len() as isize;
        if len == 0 {
            return false;
        }
        let from = self.current.map_or(-1, |at| at as isize);
        self.choose((from + step).rem_euclid(len) as usize)
    }

    /// The user chose the room at `at`: `JOINED`s of `/join`s typed before
    /// no longer take the view from it.
    fn choose(&mut self, at: usize) -> bool {
        self.choices += 1;
        self.show(at)
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
            self.rooms.push(RoomTab {
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
mod tests;
