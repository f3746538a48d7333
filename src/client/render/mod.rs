//! Turning what happened into one display line.
//!
//! A [`View`] is one thing to show (a message, a join, a notice, ...);
//! [`Renderer::render`] makes it a line: `[HH:MM]` in the renderer's time zone,
//! `<name> text`, a stable colour per name, own messages and mentions standing
//! out, history dimmed and marked. With colour off the same text comes out with
//! no escape sequence at all: that is the plain-mode format. Every piece of text
//! that came from the network is stripped of control characters here, so nothing
//! a user sends can reach another user's terminal as an escape sequence.
//!
//! A message from another day than today shows its date, `[11-21 09:30]`;
//! the driver says which day is today ([`Renderer::set_today`]).
//!
//! Pure: it never prints and never reads the clock or the environment.

use std::fmt::Display;

use chrono::{NaiveDate, TimeZone};

use super::input::ACTION_PREFIX;
use crate::protocol::frame::is_forbidden_char;
use crate::protocol::name_key;
use crate::protocol::server_line::Timestamp;

/// Whether a room message is live or replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// It just arrived.
    Live,
    /// Replayed history (on joining, or asked for with `/history`): dimmed.
    History,
    /// Replayed after a reconnect: sent while this client was away.
    Missed,
}

/// One thing to show the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// A room message (an action when its text starts with `/me `).
    Message {
        ts: Timestamp,
        from: String,
        text: String,
        replay: Replay,
    },
    /// A private message, to or from this user.
    Private {
        ts: Timestamp,
        from: String,
        to: String,
        text: String,
    },
    /// Someone joined.
    Join { ts: Timestamp, name: String },
    /// Someone left.
    Leave {
        ts: Timestamp,
        name: String,
        reason: String,
    },
    /// Someone left a room and stays online.
    Part {
        ts: Timestamp,
        name: String,
        reason: String,
    },
    /// Someone set a room's topic.
    Topic {
        ts: Timestamp,
        name: String,
        text: String,
    },
    /// A notice: from the server (`INFO`, `WELCOME`, ...) or from the client.
    Notice(String),
    /// Something went wrong: a server `ERROR` or a line the client refused.
    Error(String),
    /// One of our own messages, sent and not yet stored by the server: to
    /// the room (`to` is `None`) or to one user.
    Waiting { to: Option<String>, text: String },
}

/// Name colours: ANSI foreground codes, picked by [`name_colour`]. Red is left
/// out (errors) and so is bright yellow (mentions).
const NAME_COLOURS: [u8; 9] = [32, 33, 34, 35, 36, 92, 94, 95, 96];

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const MENTION: &str = "\x1b[1;93m";
const PRIVATE: &str = "\x1b[1;35m";

/// The colour of a name: the same name (in any case) always gets the same colour,
/// in every client and every run (FNV-1a over the lower-cased name; its high
/// half picks the colour, as FNV's low bits mix poorly).
pub fn name_colour(name: &str) -> u8 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name_key(name).bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    NAME_COLOURS[(hash >> 16) as usize % NAME_COLOURS.len()]
}

/// `1 message`, `2 messages`: a count and its noun, the plural with an `s`.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Removes control characters (C0 but TAB, DEL, C1) and turns TAB into a space.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| c == '\t' || !is_forbidden_char(c))
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect()
}

/// Whether `text` mentions `name` as a whole word, in any case.
pub fn mentions(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let (text, name) = (text.to_ascii_lowercase(), name.to_ascii_lowercase());
    text.match_indices(&name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char)
    })
}

/// Makes display lines for one user. See the module docs.
#[derive(Debug, Clone)]
pub struct Renderer<Tz> {
    me: String,
    colour: bool,
    zone: Tz,
    today: Option<NaiveDate>,
}

impl<Tz> Renderer<Tz>
where
    Tz: TimeZone,
    Tz::Offset: Display,
{
    /// A renderer for the user `me`, showing times in `zone`, with or without
    /// colour.
    pub fn new(me: &str, colour: bool, zone: Tz) -> Renderer<Tz> {
        Renderer {
            me: me.to_owned(),
            colour,
            zone,
            today: None,
        }
    }

    /// The user this renderer is for.
    pub fn me(&self) -> &str {
        &self.me
    }

    /// The zone times are shown in.
    pub fn zone(&self) -> &Tz {
        &self.zone
    }

    /// Today's date in the renderer's zone: messages of other days show
    /// their date. Until set, every message shows only its time.
    pub fn set_today(&mut self, today: NaiveDate) {
        self.today = Some(today);
    }

    /// The line for `view`, without a line ending.
    pub fn render(&self, view: &View) -> String {
        self.render_in(view, None)
    }

    /// The line for `view`, marked `[#room]` (after the time, if it has one)
    /// when `room` is given: a line of a room other than the one shown.
    pub fn render_in(&self, view: &View, room: Option<&str>) -> String {
        let marker = room.map(|room| format!("[{}] ", clean(room)));
        let marker = marker.as_deref().unwrap_or_default();
        let stamp = |ts: &Timestamp| format!("{} {marker}", self.time(ts));
        match view {
            View::Message {
                ts,
                from,
                text,
                replay,
            } => self.message(&stamp(ts), from, text, *replay),
            View::Private { ts, from, to, text } => self.private(&stamp(ts), from, to, text),
            View::Join { ts, name } => format!("{}--> {} joined", stamp(ts), self.name(name)),
            View::Leave { ts, name, reason } => format!(
                "{}<-- {} left the server ({})",
                stamp(ts),
                self.name(name),
                clean(reason)
            ),
            View::Part { ts, name, reason } => {
                let reason = match reason.is_empty() {
                    true => String::new(),
                    false => format!(" ({})", clean(reason)),
                };
                format!("{}<-- {} left the room{reason}", stamp(ts), self.name(name))
            }
            // `-` stands for nobody: the answer about a room with no topic.
            View::Topic { ts, name, .. } if name == "-" => format!("{}-!- no topic", stamp(ts)),
            View::Topic { ts, name, text } => format!(
                "{}-!- topic (set by {}): {}",
                stamp(ts),
                self.name(name),
                clean(text)
            ),
            View::Notice(text) => format!("{marker}{} {}", self.paint(BOLD, "***"), clean(text)),
            View::Error(text) => self.paint(RED, &format!("{marker}!!! {}", clean(text))),
            View::Waiting { to, text } => self.waiting(to.as_deref(), text),
        }
    }

    /// `[--:--]` where the server's time will be: not stored yet.
    fn waiting(&self, to: Option<&str>, text: &str) -> String {
        let line = match to {
            None => {
                let plain = Renderer::new(&self.me, false, self.zone.clone());
                format!("[--:--] {}", plain.message_body(&self.me, text))
            }
            Some(to) => format!("[--:--] [msg to {}] {}", clean(to), clean(text)),
        };
        self.paint(DIM, &line)
    }

    /// `stamp` is the time and the room marker, with a space after.
    fn message(&self, stamp: &str, from: &str, text: &str, replay: Replay) -> String {
        let marker = match replay {
            Replay::Live => "",
            Replay::History => "[history] ",
            Replay::Missed => "[missed] ",
        };
        if replay == Replay::History {
            let plain = Renderer::new(&self.me, false, self.zone.clone());
            let body = plain.message_body(from, text);
            return self.paint(DIM, &format!("{stamp}{marker}{body}"));
        }
        format!("{stamp}{marker}{}", self.message_body(from, text))
    }

    /// `<name> text` or `* name action`, coloured.
    fn message_body(&self, from: &str, text: &str) -> String {
        let own = name_key(from) == name_key(&self.me);
        let text_style = if own {
            BOLD
        } else if mentions(text, &self.me) {
            MENTION
        } else {
            ""
        };
        if let Some(action) = text.strip_prefix(ACTION_PREFIX) {
            let body = format!("{} {}", self.name(from), clean(action));
            return format!("{}{}", self.paint(text_style, "* "), body);
        }
        let name = format!("<{}>", self.name(from));
        format!("{name} {}", self.paint(text_style, &clean(text)))
    }

    fn private(&self, stamp: &str, from: &str, to: &str, text: &str) -> String {
        let marker = if name_key(to) == name_key(&self.me) {
            format!("[msg from {}]", clean(from))
        } else if name_key(from) == name_key(&self.me) {
            format!("[msg to {}]", clean(to))
        } else {
            format!("[msg {} -> {}]", clean(from), clean(to))
        };
        let text = match text.strip_prefix(ACTION_PREFIX) {
            Some(action) => format!("* {} {}", clean(from), clean(action)),
            None => clean(text),
        };
        format!("{stamp}{} {text}", self.paint(PRIVATE, &marker))
    }

    fn time(&self, ts: &Timestamp) -> String {
        let local = ts.with_timezone(&self.zone);
        let format = match self.today {
            Some(today) if local.date_naive() != today => "%m-%d %H:%M",
            _ => "%H:%M",
        };
        format!("[{}]", local.format(format))
    }

    fn name(&self, name: &str) -> String {
        let name = clean(name);
        if !self.colour {
            return name;
        }
        format!("\x1b[{}m{name}{RESET}", name_colour(&name))
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if !self.colour || style.is_empty() {
            return text.to_owned();
        }
        format!("{style}{text}{RESET}")
    }
}

#[cfg(test)]
mod tests;
