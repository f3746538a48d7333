//! [`IrcMember`]: how the hub reaches an IRC client, and the IRC encoding
//! of hub events.
//!
//! An event that reaches many members (a message, a join, a part, a quit,
//! a topic) is encoded once per tag style, through the delivery's cache:
//! [`PLAIN`], [`TIME`] and [`TAGGED`] are the IRC front's slots beside the
//! native one. The events only one member gets (its own join's names) are
//! encoded for it alone, since they name it. Under the hub lock, like every
//! member: no blocking, no I/O.
//!
//! Echo: the hub sends a sender its own message (the native receipt); an
//! IRC client gets it only if it enabled `echo-message`, as IRCv3 says.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use crate::hub::event::{Delivery, Encoded, Format, HubEvent};
use crate::hub::member::{Member, Offered};
use crate::hub::message::{Audience, Relay};
use crate::protocol::name_key;
use crate::server::control::Control;
use crate::server::outbox::{Outbox, Overflow, Waker};

use super::caps::{Cap, Caps};
use super::lines::{self, Said, Tags};
use super::reply::Replier;
use super::welcome::Settings;

/// IRC without tags.
pub(crate) const PLAIN: Format = Format::slot(1);
/// IRC with `server-time`'s `time` tag.
pub(crate) const TIME: Format = Format::slot(2);
/// IRC with `time` and `msgid` (`message-tags`).
pub(crate) const TAGGED: Format = Format::slot(3);

/// See the module docs.
pub(crate) struct IrcMember {
    pub(crate) outbox: Outbox,
    pub(crate) control: Arc<Control>,
    settings: Arc<Settings>,
    /// Set once, just before the client registers (so before the hub can
    /// tell it anything).
    nick: OnceLock<String>,
    /// The client's capabilities, changed by `CAP REQ` at any time.
    caps: AtomicU8,
}

impl IrcMember {
    pub(crate) fn new(outbox: Outbox, control: Arc<Control>, settings: Arc<Settings>) -> IrcMember {
        IrcMember {
            outbox,
            control,
            settings,
            nick: OnceLock::new(),
            caps: AtomicU8::new(0),
        }
    }

    /// Names the member, before it registers (the first name given wins).
    pub(crate) fn set_nick(&self, nick: &str) {
        let _ = self.nick.set(nick.to_owned());
    }

    /// Records the client's capabilities.
    pub(crate) fn set_caps(&self, caps: Caps) {
        self.caps.store(caps.bits(), Ordering::Relaxed);
    }

    fn caps(&self) -> Caps {
        Caps::from_bits(self.caps.load(Ordering::Relaxed))
    }

    fn encode_own(&self, event: &HubEvent<'_>) -> Option<Encoded> {
        let nick = self.nick.get()?;
        let to = Replier {
            server: &self.settings.server_name,
            nick,
        };
        let userhost = self.caps().has(Cap::UserhostInNames);
        let mut out = match event {
            HubEvent::Welcome { members, .. } | HubEvent::Joined { members, .. } => {
                String::with_capacity(joined_size(members.iter(), userhost))
            }
            _ => String::new(),
        };
        match event {
            HubEvent::Welcome { room, members, .. } => {
                lines::joined(&mut out, to, &room.display, None, members.iter(), userhost);
            }
            HubEvent::Joined { room, members, .. } => {
                lines::joined(
                    &mut out,
                    to,
                    room.room,
                    room.topic,
                    members.iter(),
                    userhost,
                );
            }
            HubEvent::NotStored => lines::not_stored(&mut out, to),
            _ => return None,
        }
        Some(Encoded::from(out.into_bytes()))
    }

    /// Whether what `from` sent to `audience` is this client's own, which
    /// it sees only with `echo-message` (a private message to itself always
    /// arrives).
    fn is_unwanted_echo(&self, from: &str, audience: &Audience) -> bool {
        let Some(nick) = self.nick.get() else {
            return false;
        };
        if self.caps().has(Cap::EchoMessage) || name_key(from) != name_key(nick) {
            return false;
        }
        !matches!(audience, Audience::Private(to) if name_key(to) == name_key(nick))
    }

    /// Whether this client does not get `relay`: its own without
    /// `echo-message`, or tags alone (`TAGMSG`) without `message-tags`.
    fn refuses(&self, relay: &Relay) -> bool {
        let tags_only = relay.text.is_none() && !self.caps().has(Cap::MessageTags);
        tags_only || self.is_unwanted_echo(&relay.from, &relay.audience)
    }

    fn offer(&self, chunk: &Encoded) -> Offered<Waker> {
        match self.outbox.offer_deferred(chunk) {
            Ok(Some(waker)) => Offered::Wake(waker),
            Ok(None) => Offered::Queued,
            Err(Overflow) => Offered::Overflowed,
        }
    }
}

impl Member for IrcMember {
    type WakeToken = Waker;

    fn deliver(&self, delivery: &Delivery<'_>) -> Offered<Waker> {
        let event = delivery.event();
        match event {
            HubEvent::Welcome { .. } | HubEvent::Joined { .. } | HubEvent::NotStored => {
                return match self.encode_own(event) {
                    Some(chunk) => self.offer(&chunk),
                    None => Offered::Queued,
                };
            }
            // Already a member: IRC says nothing.
            HubEvent::Current(_) => return Offered::Queued,
            HubEvent::Message(message)
                if self.is_unwanted_echo(&message.from, &message.audience) =>
            {
                return Offered::Queued;
            }
            HubEvent::Relay(relay) if self.refuses(relay) => return Offered::Queued,
            _ => {}
        }
        let style = style(self.caps());
        let chunk = delivery.encoded(style.0, |event| encode(event, style));
        self.offer(chunk)
    }

    fn close(&self, reason: &str, discard_backlog: bool) {
        self.control.set_farewell(reason, discard_backlog);
        if discard_backlog {
            self.outbox.discard();
        }
    }

    fn stop(&self) {
        self.control.stop_reading();
    }

    fn peer(&self) -> SocketAddr {
        self.control.peer
    }

    fn takes_relays(&self) -> bool {
        true
    }
}

/// Room enough for what a joiner is told (its JOIN, a topic, the names in
/// `353` lines of about 400 bytes each, `366`), so that it is allocated
/// once, here, and never grown deep in the encoder (the session thread keeps
/// every stack page it touches).
fn joined_size<'n>(members: impl Iterator<Item = &'n str>, userhost: bool) -> usize {
    let per_name = if userhost {
        2 * super::HOST.len() + 3
    } else {
        1
    };
    let names: usize = members.map(|name| name.len() * 2 + per_name).sum();
    let lines = names / 400 + 1;
    names + lines * 200 + 1024
}

/// The slot and tags for a client with `caps`.
fn style(caps: Caps) -> (Format, Tags) {
    if caps.has(Cap::MessageTags) {
        (TAGGED, Tags::TimeAndId)
    } else if caps.has(Cap::ServerTime) {
        (TIME, Tags::Time)
    } else {
        (PLAIN, Tags::None)
    }
}

/// An event every member of a tag style gets alike, as IRC lines. A batch
/// of joins is each join's own encoding (found in its cache, or made there).
pub(crate) fn encode(event: &HubEvent<'_>, style: (Format, Tags)) -> Encoded {
    let mut out = String::new();
    if let HubEvent::Joins(joins) = event {
        for join in joins.iter() {
            out.push_str(
                std::str::from_utf8(join.encoded(style.0, |e| encode(e, style))).unwrap_or(""),
            );
        }
    } else {
        encode_into(&mut out, event, style.1);
    }
    Encoded::from(out.into_bytes())
}

fn encode_into(out: &mut String, event: &HubEvent<'_>, tags: Tags) {
    match event {
        HubEvent::Join { name, room, .. } => lines::join(out, name, &room.display),
        HubEvent::Joins(_) => {}
        HubEvent::Part {
            name, room, reason, ..
        } => lines::part(out, name, &room.display, reason),
        HubEvent::Leave { name, reason, .. } => lines::quit(out, name, reason),
        HubEvent::Message(message) => {
            let target = match &message.audience {
                Audience::Room(room) => room.display.as_str(),
                Audience::Private(to) => to.as_str(),
            };
            let said = Said {
                id: message.id,
                ts: message.ts,
                from: &message.from,
                target,
                kind: message.kind,
                live_tags: message.live_tags.as_deref(),
                text: &message.text,
            };
            lines::privmsg(out, &said, tags);
        }
        HubEvent::Relay(relay) => {
            let target = match &relay.audience {
                Audience::Room(room) => room.display.as_str(),
                Audience::Private(to) => to.as_str(),
            };
            lines::relay(out, relay, target, tags);
        }
        HubEvent::Topic { room, topic } => lines::topic(out, &room.display, topic),
        HubEvent::Welcome { .. }
        | HubEvent::Joined { .. }
        | HubEvent::Current(_)
        | HubEvent::NotStored => {}
    }
}
