//! IRCv3 capability negotiation (`CAP LS`, `REQ`, `LIST`, `END`).
//!
//! Pure: [`Caps`] is the set a connection has enabled, and
//! [`Caps::handle`] answers one `CAP` command. Negotiation holds
//! registration: a client that sends `CAP LS` or `CAP REQ` before it is
//! registered is not welcomed until it sends `CAP END` (the connection
//! reads [`CapAnswer::hold`]). Only what the front really does is offered.

use crate::protocol::irc::Message;
use crate::protocol::irc::numeric::{ERR_INVALIDCAPCMD, ERR_NEEDMOREPARAMS};

use super::reply::{Out, Replier};

/// One capability the front offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cap {
    /// `echo-message`: a client's own messages come back to it as sent.
    EchoMessage,
    /// `message-tags`: tags on messages, `msgid` among them.
    MessageTags,
    /// `server-time`: each message carries the time the server stored it.
    ServerTime,
    /// `multi-prefix`: every prefix of a member in `NAMES` and `WHO`
    /// (nobody has one here, so it changes nothing, truthfully).
    MultiPrefix,
    /// `userhost-in-names`: `NAMES` lists `nick!user@host`.
    UserhostInNames,
}

/// Every capability offered, in the order `CAP LS` lists them.
const OFFERED: [Cap; 5] = [
    Cap::EchoMessage,
    Cap::MessageTags,
    Cap::MultiPrefix,
    Cap::ServerTime,
    Cap::UserhostInNames,
];

impl Cap {
    /// The capability's name on the wire.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Cap::EchoMessage => "echo-message",
            Cap::MessageTags => "message-tags",
            Cap::ServerTime => "server-time",
            Cap::MultiPrefix => "multi-prefix",
            Cap::UserhostInNames => "userhost-in-names",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }

    fn from_name(name: &str) -> Option<Cap> {
        OFFERED.into_iter().find(|cap| cap.name() == name)
    }
}

/// The capabilities one connection has enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Caps(u8);

/// What a `CAP` command means for registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CapAnswer {
    /// Negotiation goes on: registration waits for `CAP END`.
    Hold,
    /// `CAP END`: registration may complete.
    End,
    /// Nothing changes for registration (`LIST`, or a refused command).
    Neutral,
}

impl Caps {
    /// The set as bits, to keep in an atomic.
    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    /// The set [`Caps::bits`] gave.
    pub(crate) fn from_bits(bits: u8) -> Caps {
        Caps(bits)
    }

    /// Whether `cap` is enabled.
    pub(crate) fn has(self, cap: Cap) -> bool {
        self.0 & cap.bit() != 0
    }

    /// The enabled names, space-separated.
    fn names(self) -> String {
        let enabled: Vec<&str> = OFFERED
            .into_iter()
            .filter(|cap| self.has(*cap))
            .map(Cap::name)
            .collect();
        enabled.join(" ")
    }

    /// Answers `CAP <sub> [args]` (params after the command) into `out`.
    pub(crate) fn handle(&mut self, params: &[&str], to: Replier<'_>, out: &mut Out) -> CapAnswer {
        let Some(sub) = params.first() else {
            out.numeric(to, ERR_NEEDMOREPARAMS, &["CAP", "Not enough parameters"]);
            return CapAnswer::Neutral;
        };
        let sub = sub.to_ascii_uppercase();
        match sub.as_str() {
            "LS" => {
                let offered: Vec<&str> = OFFERED.into_iter().map(Cap::name).collect();
                cap_reply(out, to, "LS", &offered.join(" "));
                CapAnswer::Hold
            }
            "LIST" => {
                cap_reply(out, to, "LIST", &self.names());
                CapAnswer::Neutral
            }
            "REQ" => {
                let wanted = params.get(1).copied().unwrap_or("");
                match self.apply(wanted) {
                    Some(caps) => {
                        *self = caps;
                        cap_reply(out, to, "ACK", wanted);
                    }
                    None => cap_reply(out, to, "NAK", wanted),
                }
                CapAnswer::Hold
            }
            "END" => CapAnswer::End,
            _ => {
                out.numeric(to, ERR_INVALIDCAPCMD, &[&sub, "Invalid CAP subcommand"]);
                CapAnswer::Neutral
            }
        }
    }

    /// The set after `REQ wanted`, or `None` if any name is unknown (IRCv3:
    /// a request is granted whole or not at all).
    fn apply(self, wanted: &str) -> Option<Caps> {
        let mut caps = self;
        for word in wanted.split(' ').filter(|word| !word.is_empty()) {
            let (off, name) = match word.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, word),
            };
            let cap = Cap::from_name(name)?;
            if off {
                caps.0 &= !cap.bit();
            } else {
                caps.0 |= cap.bit();
            }
        }
        Some(caps)
    }
}

fn cap_reply(out: &mut Out, to: Replier<'_>, sub: &str, list: &str) {
    out.send(to.server, Message::new("CAP", vec![to.nick, sub, list]));
}
