//! What a client is told when it registers, and again on `MOTD`/`LUSERS`.
//!
//! `001`-`004`, the `005` (ISUPPORT) lines, `LUSERS` and the message of the
//! day. ISUPPORT tells the truth about this server: names and rooms follow
//! the native protocol's rules (ASCII, case-insensitive, `#` rooms of up to
//! 32 characters), so the tokens say exactly that.

use crate::protocol::irc::MAX_BODY;
use crate::protocol::irc::numeric::{
    ERR_NOMOTD, RPL_CREATED, RPL_ENDOFMOTD, RPL_GLOBALUSERS, RPL_ISUPPORT, RPL_LOCALUSERS,
    RPL_LUSERCHANNELS, RPL_LUSERCLIENT, RPL_LUSERME, RPL_LUSEROP, RPL_LUSERUNKNOWN, RPL_MOTD,
    RPL_MOTDSTART, RPL_MYINFO, RPL_WELCOME, RPL_YOURHOST,
};
use crate::protocol::name::MAX_NAME_LEN;
use crate::protocol::room::MAX_ROOM_LEN;
use crate::protocol::{MAX_HISTORY_REQUEST, MAX_TOPIC_LEN};

use super::port::Counts;
use super::reply::{Out, Replier};
use super::users::MAX_TARGETS;

/// What the IRC front says about the server. Set once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The server's name: the source of its replies.
    pub(crate) server_name: String,
    /// The network's name (ISUPPORT `NETWORK`).
    pub(crate) network: String,
    /// The version string of `002` and `004`.
    pub(crate) version: String,
    /// When the server started, as `003` says it.
    pub(crate) created: String,
    /// Rooms one client may be in at once (`--max-rooms`).
    pub(crate) max_rooms: usize,
    /// The message of the day, one entry a line; `None`: `422`.
    pub(crate) motd: Option<Vec<String>>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            server_name: "chatroom".to_owned(),
            network: "chatroom".to_owned(),
            version: concat!("chatroom-", env!("CARGO_PKG_VERSION")).to_owned(),
            created: "at start".to_owned(),
            max_rooms: 64,
            motd: None,
        }
    }
}

impl Settings {
    /// The ISUPPORT tokens, in the order `005` lists them.
    pub(crate) fn isupport(&self) -> Vec<String> {
        vec![
            "CASEMAPPING=ascii".to_owned(),
            format!("CHANLIMIT=#:{}", self.max_rooms),
            // The one channel mode is `b`, whose list is always empty (rooms
            // are open, topics are members'); `004` says the same.
            "CHANMODES=b,,,".to_owned(),
            format!("CHANNELLEN={}", MAX_ROOM_LEN + 1),
            format!("CHATHISTORY={MAX_HISTORY_REQUEST}"),
            "CHANTYPES=#".to_owned(),
            format!("LINELEN={MAX_BODY}"),
            "MSGREFTYPES=msgid,timestamp".to_owned(),
            format!("NETWORK={}", self.network),
            format!("NICKLEN={MAX_NAME_LEN}"),
            "PREFIX=".to_owned(),
            "SAFELIST".to_owned(),
            "STATUSMSG=".to_owned(),
            // NAMES takes several channels too, but is left out: irctest
            // then expects operators (`@`) this server does not have.
            format!("TARGMAX=JOIN:,LIST:,NOTICE:{MAX_TARGETS},PART:,PRIVMSG:{MAX_TARGETS},WHOIS:1"),
            format!("TOPICLEN={MAX_TOPIC_LEN}"),
            "UTF8ONLY".to_owned(),
        ]
    }
}

/// Room for the welcome block without its MOTD lines.
const WELCOME_BYTES: usize = 2048;

/// `001`-`005`, `LUSERS` and the MOTD: what a client sees on registering.
pub(crate) fn welcome(settings: &Settings, to: Replier<'_>, counts: Counts, out: &mut Out) {
    // About 1.2 KiB without a MOTD: allocated once at a size the whole
    // block fits in, not grown line by line (see `reply.rs`).
    let motd_bytes: usize = settings
        .motd
        .iter()
        .flatten()
        .map(|line| line.len() + 64)
        .sum();
    out.lines.reserve(WELCOME_BYTES + motd_bytes);
    let welcome = format!(
        "Welcome to the {} IRC network {}",
        settings.network, to.nick
    );
    out.numeric(to, RPL_WELCOME, &[&welcome]);
    let host = format!(
        "Your host is {}, running version {}",
        settings.server_name, settings.version
    );
    out.numeric(to, RPL_YOURHOST, &[&host]);
    let created = format!("This server was created {}", settings.created);
    out.numeric(to, RPL_CREATED, &[&created]);
    out.numeric(
        to,
        RPL_MYINFO,
        // User modes `i` and `w` are taken (and mean nothing: everyone is
        // visible, there are no wallops); `b` is CHANMODES' one mode.
        &[&settings.server_name, &settings.version, "iw", "b"],
    );
    let tokens = settings.isupport();
    for chunk in tokens.chunks(12) {
        let mut params: Vec<&str> = chunk.iter().map(String::as_str).collect();
        params.push("are supported by this server");
        out.numeric(to, RPL_ISUPPORT, &params);
    }
    lusers(to, counts, out);
    motd(settings, to, out);
}

/// The `LUSERS` replies (`251`-`255`, `265`, `266`).
pub(crate) fn lusers(to: Replier<'_>, counts: Counts, out: &mut Out) {
    let users = counts.users.to_string();
    let line = format!("There are {users} users and 0 invisible on 1 servers");
    out.numeric(to, RPL_LUSERCLIENT, &[&line]);
    out.numeric(to, RPL_LUSEROP, &["0", "operator(s) online"]);
    let unknown = counts.unregistered.to_string();
    out.numeric(to, RPL_LUSERUNKNOWN, &[&unknown, "unknown connection(s)"]);
    let rooms = counts.rooms.to_string();
    out.numeric(to, RPL_LUSERCHANNELS, &[&rooms, "channels formed"]);
    let me = format!("I have {users} clients and 0 servers");
    out.numeric(to, RPL_LUSERME, &[&me]);
    let max = counts.max_users.max(counts.users).to_string();
    let local = format!("Current local users {users}, max {max}");
    out.numeric(to, RPL_LOCALUSERS, &[&users, &max, &local]);
    let global = format!("Current global users {users}, max {max}");
    out.numeric(to, RPL_GLOBALUSERS, &[&users, &max, &global]);
}

/// The message of the day (`375`, `372`..., `376`), or `422` if none.
pub(crate) fn motd(settings: &Settings, to: Replier<'_>, out: &mut Out) {
    let Some(lines) = &settings.motd else {
        out.numeric(to, ERR_NOMOTD, &["MOTD File is missing"]);
        return;
    };
    let start = format!("- {} Message of the day - ", settings.server_name);
    out.numeric(to, RPL_MOTDSTART, &[&start]);
    for line in lines {
        let line = format!("- {line}");
        out.numeric(to, RPL_MOTD, &[&line]);
    }
    out.numeric(to, RPL_ENDOFMOTD, &["End of /MOTD command."]);
}
