//! What was missed while away, room by room.
//!
//! [`CatchUp`] remembers the newest message id seen in each room. After a
//! reconnect each room is rejoined: its automatic replay (on joining) is
//! skipped, and the `/history` asked for right after shows only the messages
//! newer than what was seen and older than the first live one, marked
//! `[missed]`. A room the server puts the client in that the user had left
//! is hidden until the client's `/part` of it is answered.
//!
//! Invariant: ids are compared only within one room; version 2 orders each
//! room on its own. Rooms are keyed by [`key`], `""` for the one room of a
//! version-1 server.

use std::collections::HashMap;

use super::super::render::{Replay, count};
use crate::protocol::name_key;

/// The key of a room in the maps: its name in lower case, `""` for the one
/// room of a version-1 server.
pub(super) fn key(room: Option<&str>) -> String {
    room.map(name_key).unwrap_or_default()
}

/// Where one room is in catching up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The automatic join history is coming; it is skipped because the
    /// `/history` asked for right after covers it.
    SkipJoinHistory(Missed),
    /// The asked-for history is coming; only what was missed is shown.
    ShowMissed(Missed, u64),
    /// A room the server put us in that the user had left: nothing of it is
    /// shown until our `/part` of it is answered.
    Hide,
}

/// The ids that count as missed: newer than `after`, older than `live_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Missed {
    after: Option<u64>,
    live_from: Option<u64>,
    /// The newest id in the join replay: older than `after` means the server
    /// came back with its history reset (in-memory storage), ids restarting.
    join_newest: Option<u64>,
}

impl Missed {
    fn contains(&self, id: u64) -> bool {
        self.after.is_none_or(|after| id > after) && self.live_from.is_none_or(|live| id < live)
    }
}

/// Each room's newest id seen and where it is in catching up. See the
/// module docs.
#[derive(Debug, Clone, Default)]
pub(super) struct CatchUp {
    newest_seen: HashMap<String, u64>,
    rooms: HashMap<String, State>,
}

impl CatchUp {
    /// Whether a replay is still coming for some room.
    pub(super) fn active(&self) -> bool {
        self.rooms.values().any(|state| *state != State::Hide)
    }

    /// `room` is being joined again: its join replay is skipped, then the
    /// asked-for history shows what was missed.
    pub(super) fn start(&mut self, room: Option<&str>) {
        let key = key(room);
        let missed = Missed {
            after: self.newest_seen.get(&key).copied(),
            live_from: None,
            join_newest: None,
        };
        self.rooms.insert(key, State::SkipJoinHistory(missed));
    }

    /// Nothing of `room` is shown until [`CatchUp::unhide`].
    pub(super) fn hide(&mut self, room: &str) {
        self.rooms.insert(key(Some(room)), State::Hide);
    }

    /// Ends hiding `room`; false if it was not hidden.
    pub(super) fn unhide(&mut self, room: &str) -> bool {
        let hidden = self.is_hiding(Some(room));
        if hidden {
            self.rooms.remove(&key(Some(room)));
        }
        hidden
    }

    /// Whether `room` is hidden (left again after a reconnect).
    pub(super) fn is_hiding(&self, room: Option<&str>) -> bool {
        self.rooms.get(&key(room)) == Some(&State::Hide)
    }

    /// Whether lines of `room` are not shown now: its rejoin replay is
    /// coming, or it is hidden.
    pub(super) fn is_quiet(&self, room: Option<&str>) -> bool {
        matches!(
            self.rooms.get(&key(room)),
            Some(State::Hide | State::SkipJoinHistory(_))
        )
    }

    /// Whether `room` is being caught up in any way.
    pub(super) fn is_catching_up(&self, room: Option<&str>) -> bool {
        self.rooms.contains_key(&key(room))
    }

    /// A replayed message of `room`: how to show it, or `None` to skip it.
    pub(super) fn history(&mut self, room: Option<&str>, id: u64) -> Option<Replay> {
        let replay = match self.rooms.get_mut(&key(room)) {
            None => Some(Replay::History),
            Some(State::Hide) => None,
            Some(State::SkipJoinHistory(missed)) => {
                missed.join_newest = missed.join_newest.max(Some(id));
                None
            }
            Some(State::ShowMissed(missed, count)) if missed.contains(id) => {
                *count += 1;
                Some(Replay::Missed)
            }
            Some(State::ShowMissed(..)) => None,
        };
        self.saw(room, id);
        replay
    }

    /// The end of a replay of `room`, `count` messages: the notice to show.
    pub(super) fn history_end(&mut self, room: Option<&str>, shown: u64) -> Option<String> {
        let key = key(room);
        match self.rooms.get(&key).copied() {
            None if shown == 0 => None,
            None => Some(format!("end of history ({})", count(shown, "message"))),
            Some(State::Hide) => None,
            Some(State::SkipJoinHistory(mut missed)) => {
                if missed.join_newest < missed.after && missed.join_newest.is_some() {
                    // Ids restarted: everything the server has now is new.
                    missed.after = None;
                    self.newest_seen.remove(&key);
                    let newest = missed.join_newest.map(|id| (key.clone(), id));
                    self.newest_seen.extend(newest);
                }
                self.rooms.insert(key, State::ShowMissed(missed, 0));
                None
            }
            Some(State::ShowMissed(_, missed)) => {
                self.rooms.remove(&key);
                // With rooms, only a room that missed something says so.
                let quiet = missed == 0 && room.is_some();
                let said = format!("{} missed while away", count(missed, "message"));
                (!quiet).then_some(said)
            }
        }
    }

    /// A message of `room` with this id was seen.
    pub(super) fn saw(&mut self, room: Option<&str>, id: u64) {
        let newest = self.newest_seen.entry(key(room)).or_insert(id);
        *newest = (*newest).max(id);
    }

    /// A live message during catch-up: everything from it on is shown live, so
    /// the replay stops just before it.
    pub(super) fn saw_live(&mut self, room: Option<&str>, id: u64) {
        if let Some(State::SkipJoinHistory(missed) | State::ShowMissed(missed, _)) =
            self.rooms.get_mut(&key(room))
        {
            missed.live_from.get_or_insert(id);
        }
    }
}
