//! What the IRC connection logic asks of the hub, as one trait.
//!
//! [`IrcHub`] is the IRC front's view of the hub for ONE connection: every
//! method acts as that connection (its name, its rooms). The session thread
//! implements it over the real hub; the tests implement it with a fake. It
//! returns answers that belong to the asker alone (who is in a room, a
//! refusal); what other members must see, and the joiner's own `JOIN` with
//! its topic and names, comes back later as hub events through the
//! connection's member queue, in the room's one order.
//!
//! Names and rooms cross this boundary already validated by the caller
//! (`protocol::validate_name`, `protocol::validate_room`).

use crate::hub::message::{Kind, Topic};
pub(crate) use crate::hub::registry::Relayed;
use crate::protocol::server_line::Timestamp;

/// Why the hub refused a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameRefusal {
    /// Someone (on any front, on any node sharing the database) has it.
    Taken,
    /// The database that says whether the name is free, or an account's,
    /// cannot be asked right now: try again in a moment.
    Unchecked,
    /// The name is an account's and this connection did not log in as it,
    /// or `--require-login` is set and it did not log in at all.
    NeedsLogin,
    /// The server admits only some names (`--allow-user`) and not this one.
    NotAllowed,
    /// The name is an account's and the password `PASS` gave is wrong.
    WrongPassword,
    /// The name is an account's and `PASS` gave its password in clear from
    /// another machine (the native rule: TLS, or loopback).
    InsecurePassword,
}

/// Why a login (SASL PLAIN) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginRefusal {
    /// Wrong account or password (or the accounts cannot be checked).
    Failed,
    /// A password in clear from another machine: refused unchecked.
    Insecure,
}

/// Why the hub refused a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinRefusal {
    /// The connection is in `--max-rooms` rooms already.
    TooManyRooms,
    /// The channel's history could not be read from the store.
    Unavailable,
}

/// What a client sends to a room or a user.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sending<'a> {
    /// `PRIVMSG` or `NOTICE`.
    pub(crate) kind: Kind,
    /// Its text; `None` for tags alone (`TAGMSG`), which only a relay is.
    pub(crate) text: Option<&'a str>,
    /// Its client-only tags (`+key=value`), escaped as on the wire and
    /// `;`-separated, if it had any.
    pub(crate) tags: Option<&'a str>,
}

/// A room as a `LIST` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoomSummary {
    /// Its name as shown.
    pub(crate) name: String,
    /// How many members it has.
    pub(crate) members: usize,
    /// Its topic's text, empty if none.
    pub(crate) topic: String,
}

/// One online user as `WHOIS` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserSummary {
    /// The name as its owner typed it.
    pub(crate) name: String,
    /// Its IRC user name and real name (`USER`); a native user's name for both.
    pub(crate) user: String,
    pub(crate) realname: String,
    /// The rooms it is in, as shown.
    pub(crate) rooms: Vec<String>,
    /// Its away message, if it set one (IRC users only).
    pub(crate) away: Option<String>,
}

/// How many are here, for `LUSERS` and `WHOIS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counts {
    /// Registered connections, every front.
    pub(crate) users: usize,
    /// The most registered connections seen at once.
    pub(crate) max_users: usize,
    /// Rooms with members.
    pub(crate) rooms: usize,
    /// Connections not registered yet.
    pub(crate) unregistered: usize,
}

/// The hub, as one IRC connection sees it. See the module docs.
pub(crate) trait IrcHub {
    /// Whether `name` is free to take right now (a hint for `NICK` before
    /// registration; [`IrcHub::claim_name`] decides).
    fn name_is_free(&mut self, name: &str) -> bool;
    /// Takes `name` for this connection (with the `USER` and real name it
    /// gave) and registers it: from now on it receives events. No room is
    /// joined (IRC clients choose their own).
    fn claim_name(&mut self, name: &str, user: &str, realname: &str) -> Result<(), NameRefusal>;
    /// Checks an account's password (SASL PLAIN); the account's name as
    /// stored on success. The next [`IrcHub::claim_name`] of that name
    /// registers as the account.
    fn log_in(&mut self, account: &str, password: &str) -> Result<String, LoginRefusal>;
    /// Joins `room` (creating it if needed). The joiner's `JOIN`, topic and
    /// names arrive as an event. `Ok(false)`: already a member, nothing sent.
    fn join(&mut self, room: &str) -> Result<bool, JoinRefusal>;
    /// Leaves `room`; `false` if not a member.
    fn part(&mut self, room: &str, reason: &str) -> bool;
    /// The rooms this connection is in, as shown.
    fn my_rooms(&mut self) -> Vec<String>;
    /// Posts `message` (its text is `Some`) to `room`; `false` if not a
    /// member (nothing posted).
    fn say(&mut self, room: &str, message: &Sending<'_>) -> bool;
    /// Sends `message` (its text is `Some`) to the user `name`; `false` if
    /// no such user is online.
    fn tell(&mut self, name: &str, message: &Sending<'_>) -> bool;
    /// Passes `message` live, never stored, to `target` (a room this
    /// connection is in, or a user) and the users there whose front takes
    /// relays (IRC users): a CTCP request or reply, or a `TAGMSG`.
    fn relay(&mut self, target: &str, message: &Sending<'_>) -> Relayed;
    /// A room's topic: `None` if the room does not exist (has no members),
    /// `Some(None)` if it has no topic.
    fn topic(&mut self, room: &str) -> Option<Option<Topic>>;
    /// When a room began, as far as the hub knows (its first stored
    /// message, else the first join, message or topic this server saw);
    /// `None` if there is no such room.
    fn created(&mut self, room: &str) -> Option<Timestamp>;
    /// Sets a room's topic (members only: `false` if not a member).
    fn set_topic(&mut self, room: &str, text: &str, now: Timestamp) -> bool;
    /// A room's members as shown, `None` if the room has none.
    fn members(&mut self, room: &str) -> Option<Vec<String>>;
    /// The room's recent stored messages (oldest first), `None` unless this
    /// connection is a member.
    fn history(
        &mut self,
        room: &str,
    ) -> Option<Vec<std::sync::Arc<crate::hub::message::StoredMessage>>>;
    /// Every room with members.
    fn rooms(&mut self) -> Vec<RoomSummary>;
    /// The names of everyone online, on every front.
    fn online(&mut self) -> Vec<String>;
    /// A room's name as shown (as its creator typed it), or `room` itself
    /// if there is no such room.
    fn room_display(&mut self, room: &str) -> String;
    /// An online user, `None` if `name` is not online.
    fn user(&mut self, name: &str) -> Option<UserSummary>;
    /// Sets (`Some`) or clears (`None`) this connection's away message.
    fn set_away(&mut self, message: Option<&str>);
    /// How many users and rooms there are.
    fn counts(&mut self) -> Counts;
}
