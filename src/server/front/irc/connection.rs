//! One IRC connection's logic, sans IO: a line in, lines out.
//!
//! [`Connection::handle_line`] takes one line from the client (its CR LF
//! already removed), the hub as [`IrcHub`] and the time, and returns what to
//! send back and whether to close. States are types: a [`Registering`]
//! connection holds what `NICK`, `USER` and `CAP` gave so far, a
//! [`Registered`] one holds its nick; registration happens once, when both
//! were given, capability negotiation (if begun) has ended, and the hub
//! let it take the nick. Nothing here reads a clock, a socket or a lock.
//!
//! The room and user commands are in `channels.rs` and `users.rs`; the
//! welcome in `welcome.rs`; capability negotiation in `caps.rs`.

use crate::hub::message::Kind;
use crate::protocol::irc::numeric::{
    ERR_ALREADYREGISTERED, ERR_ERRONEUSNICKNAME, ERR_INPUTTOOLONG, ERR_NEEDMOREPARAMS,
    ERR_NICKLOCKED, ERR_NICKNAMEINUSE, ERR_NONICKCHANGE, ERR_NONICKNAMEGIVEN, ERR_NOORIGIN,
    ERR_NOTREGISTERED, ERR_PASSWDMISMATCH, ERR_UNAVAILRESOURCE, ERR_UNKNOWNCOMMAND,
};
use crate::protocol::irc::{Message, MessageError, tags};
use crate::protocol::server_line::Timestamp;
use crate::protocol::{NameError, name_key, validate_name};

use super::caps::{CapAnswer, Caps};
use super::port::{IrcHub, LoginRefusal, NameRefusal};
use super::reply::{Out, Replier};
use super::sasl::Sasl;
use super::welcome::{self, Settings};
use super::{about, channels, history, relays, users};

/// One IRC connection. See the module docs.
#[derive(Debug)]
pub(crate) struct Connection {
    state: State,
    caps: Caps,
}

#[derive(Debug)]
enum State {
    Registering(Registering),
    Registered(Registered),
}

/// Before registration: what the client said so far.
#[derive(Debug, Default)]
struct Registering {
    nick: Option<String>,
    /// The user name and real name `USER` gave.
    user: Option<(String, String)>,
    /// `CAP LS` or `CAP REQ` was sent and `CAP END` not yet.
    negotiating: bool,
    /// SASL, and the account logged in as.
    sasl: Sasl,
    /// What `PASS` gave: the password of the account the nick is, if it is
    /// one (there is no server password).
    password: Option<String>,
}

/// After registration.
#[derive(Debug)]
struct Registered {
    nick: String,
}

/// What one registered command needs: the hub, who is asking, where
/// replies go, and the time.
pub(crate) struct Ctx<'a, H: IrcHub> {
    pub(crate) hub: &'a mut H,
    pub(crate) settings: &'a Settings,
    pub(crate) to: Replier<'a>,
    pub(crate) out: &'a mut Out,
    pub(crate) now: Timestamp,
    /// The client's capabilities.
    pub(crate) caps: Caps,
    /// The line's client-only tags (`+key=value`), escaped and
    /// `;`-separated as on the wire, if it had any: relayed with it.
    pub(crate) client_tags: Option<&'a str>,
}

impl Default for Connection {
    fn default() -> Connection {
        Connection::new()
    }
}

impl Connection {
    /// A connection that has said nothing yet.
    pub(crate) fn new() -> Connection {
        Connection {
            state: State::Registering(Registering::default()),
            caps: Caps::default(),
        }
    }

    /// The nick once registered.
    pub(crate) fn nick(&self) -> Option<&str> {
        match &self.state {
            State::Registered(registered) => Some(&registered.nick),
            State::Registering(_) => None,
        }
    }

    /// Whether the client began capability negotiation and has not ended
    /// it (`CAP END`), which holds its registration.
    pub(crate) fn is_negotiating(&self) -> bool {
        matches!(&self.state, State::Registering(registering) if registering.negotiating)
    }

    /// The capabilities the client enabled.
    pub(crate) fn caps(&self) -> Caps {
        self.caps
    }

    /// Handles one line from the client. See the module docs.
    pub(crate) fn handle_line(
        &mut self,
        line: &str,
        hub: &mut impl IrcHub,
        settings: &Settings,
        now: Timestamp,
    ) -> Out {
        let mut out = Out::default();
        let nick = self.nick().unwrap_or("*").to_owned();
        let to = Replier {
            server: &settings.server_name,
            nick: &nick,
        };
        let message = match Message::parse_from_client(line) {
            Ok(message) => message,
            Err(MessageError::TooLong { .. } | MessageError::TagsTooLong { .. }) => {
                out.numeric(to, ERR_INPUTTOOLONG, &["Input line was too long"]);
                return out;
            }
            Err(MessageError::ForbiddenChar) => {
                let why =
                    "The line held a NUL or a lone CR, which IRC cannot carry: nothing was done";
                out.send(
                    to.server,
                    Message::new("FAIL", vec!["*", "INVALID_LINE", why]),
                );
                return out;
            }
            // Not a command word (`/msg nick hi`, typed as in chat-client):
            // unknown, as the docs promise, so the user learns it went nowhere.
            Err(MessageError::BadCommand { command }) => {
                match self.nick() {
                    Some(_) => out.numeric(to, ERR_UNKNOWNCOMMAND, &[&command, "Unknown command"]),
                    None => out.numeric(to, ERR_NOTREGISTERED, &["You have not registered"]),
                }
                return out;
            }
            // Not IRC (no command at all, bad tags): nothing to answer.
            Err(_) => return out,
        };
        let command = message.command.to_ascii_uppercase();
        let params = &message.params;
        let client_tags = client_tags(&message);
        if command == "CAP" {
            self.handle_cap(params, to, hub, settings, &mut out);
            return out;
        }
        match &mut self.state {
            State::Registering(_) => {
                self.before_registration(&command, params, hub, settings, &mut out)
            }
            State::Registered(_) => {
                let mut ctx = Ctx {
                    hub,
                    settings,
                    to,
                    out: &mut out,
                    now,
                    caps: self.caps,
                    client_tags: client_tags.as_deref(),
                };
                registered_command(&command, params, &mut ctx);
            }
        }
        out
    }

    // Out of line, as a rare command, so its locals are not in the frame
    // under every other command's (see `nick_locked`).
    #[inline(never)]
    fn handle_cap(
        &mut self,
        params: &[&str],
        to: Replier<'_>,
        hub: &mut impl IrcHub,
        settings: &Settings,
        out: &mut Out,
    ) {
        let answer = self.caps.handle(params, to, out);
        if let State::Registering(registering) = &mut self.state {
            match answer {
                CapAnswer::Hold => registering.negotiating = true,
                CapAnswer::End => {
                    registering.negotiating = false;
                    self.try_register(hub, settings, out);
                }
                CapAnswer::Neutral => {}
            }
        }
    }

    fn before_registration(
        &mut self,
        command: &str,
        params: &[&str],
        hub: &mut impl IrcHub,
        settings: &Settings,
        out: &mut Out,
    ) {
        let State::Registering(registering) = &mut self.state else {
            return;
        };
        let to = Replier {
            server: &settings.server_name,
            nick: "*",
        };
        match command {
            "NICK" => {
                let Some(nick) = checked_nick(params, to, hub, out) else {
                    return;
                };
                registering.nick = Some(nick);
            }
            "USER" => {
                if params.len() < 4 || params[0].is_empty() || params[3].is_empty() {
                    out.numeric(to, ERR_NEEDMOREPARAMS, &["USER", "Not enough parameters"]);
                    return;
                }
                let user = user_name(params[0]);
                let realname = users::plain_text(params[3]).into_owned();
                registering.user = Some((user, realname));
            }
            // No server password: PASS is the password of the account the
            // nick is, if it is one (else it has no effect).
            "PASS" => {
                match params.first() {
                    Some(password) => registering.password = Some((*password).to_owned()),
                    None => {
                        out.numeric(to, ERR_NEEDMOREPARAMS, &["PASS", "Not enough parameters"]);
                    }
                }
                return;
            }
            "PING" => return ping(params, to, out),
            "PONG" => return,
            "AUTHENTICATE" => {
                return registering
                    .sasl
                    .handle(params.first().copied(), hub, to, out);
            }
            "QUIT" => return out.error_and_close("Closing link (quit)"),
            _ => {
                out.numeric(to, ERR_NOTREGISTERED, &["You have not registered"]);
                return;
            }
        }
        self.try_register(hub, settings, out);
    }

    /// Registers if the client gave a nick and a user and is not
    /// negotiating capabilities, and the hub lets it have the nick.
    fn try_register(&mut self, hub: &mut impl IrcHub, settings: &Settings, out: &mut Out) {
        let State::Registering(registering) = &mut self.state else {
            return;
        };
        let (Some(nick), Some((user, realname))) = (&registering.nick, &registering.user) else {
            return;
        };
        if registering.negotiating {
            return;
        }
        let nick = nick.clone();
        let (user, realname) = (user.clone(), realname.clone());
        if let Some(account) = registering.sasl.account()
            && name_key(account) != name_key(&nick)
        {
            nick_locked(account, &settings.server_name, out);
            registering.nick = None;
            return;
        }
        let to = Replier {
            server: &settings.server_name,
            nick: "*",
        };
        if let Err(refusal) = claim_name(registering, &nick, (&user, &realname), hub) {
            refuse_name(refusal, &nick, to, out);
            registering.nick = None;
            return;
        }
        let to = Replier {
            server: &settings.server_name,
            nick: &nick,
        };
        welcome::welcome(settings, to, hub.counts(), out);
        self.state = State::Registered(Registered { nick });
    }
}

/// `902`: SASL logged in as `account`, and the nick is another. Out of
/// line: `try_register`'s frame is under every registration's deepest
/// calls (docs/architecture.md, "Stack depth is memory").
#[inline(never)]
fn nick_locked(account: &str, server: &str, out: &mut Out) {
    let to = Replier { server, nick: "*" };
    let why = format!("You are logged in as {account}: register with that nick");
    out.numeric(to, ERR_NICKLOCKED, &[&why]);
}

/// Claims `nick` in the hub; a nick that is an account's, refused without
/// a login, is claimed again after logging in with the `PASS` given.
fn claim_name(
    registering: &mut Registering,
    nick: &str,
    (user, realname): (&str, &str),
    hub: &mut impl IrcHub,
) -> Result<(), NameRefusal> {
    match hub.claim_name(nick, user, realname) {
        Err(NameRefusal::NeedsLogin) if registering.sasl.account().is_none() => {}
        claimed => return claimed,
    }
    let Some(password) = registering.password.take() else {
        return Err(NameRefusal::NeedsLogin);
    };
    match hub.log_in(nick, &password) {
        Ok(account) => registering.sasl = Sasl::LoggedIn(account),
        Err(LoginRefusal::Insecure) => return Err(NameRefusal::InsecurePassword),
        Err(LoginRefusal::Failed) => return Err(NameRefusal::WrongPassword),
    }
    hub.claim_name(nick, user, realname)
}

/// The nick in `NICK <nick>` if it may be taken, else the refusal sent.
fn checked_nick(
    params: &[&str],
    to: Replier<'_>,
    hub: &mut impl IrcHub,
    out: &mut Out,
) -> Option<String> {
    let Some(nick) = params.first().filter(|nick| !nick.is_empty()) else {
        out.numeric(to, ERR_NONICKNAMEGIVEN, &["No nickname given"]);
        return None;
    };
    if let Err(error) = validate_name(nick) {
        let why = match error {
            NameError::Reserved => {
                "Erroneous nickname: reserved for IRC services (there are none here: log in with SASL or PASS)"
            }
            _ => "Erroneous nickname: 1 to 32 ASCII letters, digits, '_' or '-', first a letter",
        };
        out.numeric(to, ERR_ERRONEUSNICKNAME, &[nick, why]);
        return None;
    }
    if !hub.name_is_free(nick) {
        refuse_name(NameRefusal::Taken, nick, to, out);
        return None;
    }
    Some((*nick).to_owned())
}

fn refuse_name(refusal: NameRefusal, nick: &str, to: Replier<'_>, out: &mut Out) {
    match refusal {
        NameRefusal::Taken => {
            out.numeric(to, ERR_NICKNAMEINUSE, &[nick, "Nickname is already in use"]);
        }
        NameRefusal::Unchecked => {
            let why = "Cannot check this nickname right now (the server cannot reach its database): try again in a moment";
            out.numeric(to, ERR_UNAVAILRESOURCE, &[nick, why]);
        }
        NameRefusal::NeedsLogin => {
            let why = "This nickname needs an account's password: send PASS <password> before NICK and USER, or log in with SASL PLAIN (over TLS, or from this machine)";
            out.numeric(to, ERR_PASSWDMISMATCH, &[why]);
        }
        NameRefusal::WrongPassword => {
            let why = format!("Password incorrect for {nick}");
            out.numeric(to, ERR_PASSWDMISMATCH, &[&why]);
        }
        NameRefusal::InsecurePassword => {
            let why = "Passwords travel in clear only from this machine: connect with TLS";
            out.numeric(to, ERR_PASSWDMISMATCH, &[why]);
        }
        NameRefusal::NotAllowed => {
            let why = "This server does not admit that nickname";
            out.numeric(to, ERR_ERRONEUSNICKNAME, &[nick, why]);
        }
    }
}

/// The user name `USER` gave, as a source may show it: ASCII letters,
/// digits, `-`, `_` and `.`, at most 16 of them (`~` if none is left).
fn user_name(given: &str) -> String {
    let keep = |c: &char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let user: String = given.chars().filter(keep).take(16).collect();
    if user.is_empty() {
        "~".to_owned()
    } else {
        user
    }
}

/// The client-only tags of `message` (keys starting `+`), escaped and
/// `;`-separated as on the wire, or `None`. Other tags a client sends
/// are the server's to set, and dropped.
fn client_tags(message: &Message<'_>) -> Option<String> {
    let mut raw = String::new();
    for tag in message.tags.iter().filter(|tag| tag.key.starts_with('+')) {
        if !raw.is_empty() {
            raw.push(';');
        }
        raw.push_str(tag.key);
        if !tag.value.is_empty() {
            raw.push('=');
            tags::escape_into(&tag.value, &mut raw);
        }
    }
    (!raw.is_empty()).then_some(raw)
}

/// `PING <token>`: `PONG <server> :<token>`.
fn ping(params: &[&str], to: Replier<'_>, out: &mut Out) {
    let Some(token) = params.first() else {
        out.numeric(to, ERR_NOORIGIN, &["No origin specified"]);
        return;
    };
    out.send(to.server, Message::new("PONG", vec![to.server, token]));
}

/// One command of a registered client.
fn registered_command<H: IrcHub>(command: &str, params: &[&str], ctx: &mut Ctx<'_, H>) {
    let to = ctx.to;
    match command {
        "PING" => ping(params, to, ctx.out),
        "PONG" => {}
        // Even to the same nick (a case change included): the docs promise
        // 447, and a silent NICK leaves a client waiting.
        "NICK" => {
            let why = "Nicknames cannot be changed here: reconnect with the new one";
            ctx.out.numeric(to, ERR_NONICKCHANGE, &[why]);
        }
        "TAGMSG" => relays::tagmsg(params, ctx),
        "USER" | "PASS" | "AUTHENTICATE" => {
            ctx.out
                .numeric(to, ERR_ALREADYREGISTERED, &["You may not reregister"]);
        }
        "QUIT" => {
            let reason = params.first().copied().unwrap_or("");
            ctx.out.quit = Some(users::plain_text(reason).into_owned());
            ctx.out.error_and_close("Closing link (quit)");
        }
        "MOTD" => welcome::motd(ctx.settings, to, ctx.out),
        "LUSERS" => welcome::lusers(to, ctx.hub.counts(), ctx.out),
        "JOIN" => channels::join(params, ctx),
        "PART" => channels::part(params, ctx),
        "TOPIC" => channels::topic(params, ctx),
        "NAMES" => channels::names(params, ctx),
        "LIST" => channels::list(params, ctx),
        "MODE" => channels::mode(params, ctx),
        "PRIVMSG" => users::message(params, Kind::Message, ctx),
        "NOTICE" => users::message(params, Kind::Notice, ctx),
        "WHO" => users::who(params, ctx),
        "WHOIS" => users::whois(params, ctx),
        "USERHOST" => users::userhost(params, ctx),
        "CHATHISTORY" => history::chathistory(params, ctx),
        "AWAY" => users::away(params, ctx),
        "ISON" => about::ison(params, ctx),
        "VERSION" => about::version(ctx),
        "TIME" => about::time(ctx),
        "INFO" => about::info(ctx),
        _ => {
            ctx.out
                .numeric(to, ERR_UNKNOWNCOMMAND, &[command, "Unknown command"]);
        }
    }
}
