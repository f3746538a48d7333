//! Client lines: what a line sent to the server asks it to do.
//!
//! [`Command::parse`] is pure and knows nothing of sessions: the server decides
//! what a command means before and after registration (a plain line is a name
//! before, a room message after). Room arguments are recognised by their `#`
//! and handed on as typed: the server checks them with
//! [`super::validate_room`], so a bad one gets `room-invalid`, not `usage`.
//!
//! Free text, the last argument of `/msg`, `/say`, `/topic`, `/part` and
//! `/quit`, is everything after the single space that ends the argument
//! before it (the command word, for `/quit`), kept byte for byte like a plain
//! line: a 3PC request's MAC covers its spaces. Text of only spaces is none.
//! Every other argument is a word: spaces around words are separators.

use super::{DEFAULT_HISTORY_REQUEST, MAX_HISTORY_REQUEST, MAX_TOPIC_LEN};

/// One client line, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    /// Plain text: a room message once registered, the name asked for before.
    /// `//text` arrives here as `/text`.
    Text(&'a str),
    /// `/name <name>`.
    Name(&'a str),
    /// `/login <name> <password>`: join as an account. The password is
    /// everything after the name (it may hold spaces) and must never be logged.
    Login { name: &'a str, password: &'a str },
    /// `/msg <name> <text>`.
    Msg { to: &'a str, text: &'a str },
    /// `/who`: everyone online.
    Who,
    /// `/who <room>`: that room's members.
    WhoIn(&'a str),
    /// `/history [n]`: the current room's, with the default filled in.
    History(usize),
    /// `/history <room> [n]`, with the default filled in.
    HistoryOf { room: &'a str, count: usize },
    /// `/join <room>`.
    Join(&'a str),
    /// `/part [<room>] [reason]`: `room` is `None` for the current room.
    Part {
        room: Option<&'a str>,
        reason: Option<&'a str>,
    },
    /// `/say <room> <text>`.
    Say { room: &'a str, text: &'a str },
    /// `/topic <room> [text]`: sets the topic with text, asks for it without.
    Topic {
        room: &'a str,
        text: Option<&'a str>,
    },
    /// `/rooms`.
    Rooms,
    /// `/ping [token]`.
    Ping(Option<&'a str>),
    /// `/help`.
    Help,
    /// `/quit [reason]` or `{exit}`.
    Quit(Option<&'a str>),
    /// A command word this server does not know (without the `/`).
    Unknown(&'a str),
}

/// A known command with missing or bad arguments; holds the right form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("usage: {0}")]
pub struct UsageError(pub &'static str);

impl<'a> Command<'a> {
    /// Reads one client line. `Ok(None)` for a line of only spaces, which is
    /// ignored.
    pub fn parse(line: &'a str) -> Result<Option<Command<'a>>, UsageError> {
        if line.trim_matches(' ').is_empty() {
            return Ok(None);
        }
        if line == "{exit}" {
            return Ok(Some(Command::Quit(None)));
        }
        let Some(rest) = line.strip_prefix('/') else {
            return Ok(Some(Command::Text(line)));
        };
        if rest.starts_with('/') {
            return Ok(Some(Command::Text(rest)));
        }
        let (word, text) = split_word(rest);
        let args = text.trim_matches(' ');
        let command = match word.to_ascii_lowercase().as_str() {
            "name" | "nick" => match split_word(args) {
                (name, "") if !name.is_empty() => Command::Name(name),
                _ => return Err(UsageError("/name <name>")),
            },
            "login" => {
                let (name, password) = split_word(args);
                let password = password.trim_start_matches(' ');
                if name.is_empty() || password.is_empty() {
                    return Err(UsageError("/login <name> <password>"));
                }
                Command::Login { name, password }
            }
            "msg" => {
                let (to, text) = split_word(text.trim_start_matches(' '));
                if to.is_empty() || is_blank(text) {
                    return Err(UsageError("/msg <name> <text>"));
                }
                Command::Msg { to, text }
            }
            "who" => match split_word(args).0 {
                room if room.starts_with('#') => Command::WhoIn(room),
                _ => Command::Who,
            },
            "history" => parse_history(args)?,
            "join" => match split_word(args) {
                (room, "") if !room.is_empty() => Command::Join(room),
                _ => return Err(UsageError("/join <room>")),
            },
            "part" => parse_part(text),
            "say" => {
                let (room, text) = split_word(text.trim_start_matches(' '));
                if room.is_empty() || is_blank(text) {
                    return Err(UsageError("/say <room> <text>"));
                }
                Command::Say { room, text }
            }
            "topic" => parse_topic(text)?,
            "rooms" if args.is_empty() => Command::Rooms,
            "rooms" => return Err(UsageError("/rooms")),
            "ping" => match split_word(args).0 {
                "" => Command::Ping(None),
                token if token.starts_with(':') => return Err(UsageError("/ping [token]")),
                token => Command::Ping(Some(token)),
            },
            "help" => Command::Help,
            "quit" => Command::Quit((!is_blank(text)).then_some(text)),
            _ => Command::Unknown(word),
        };
        Ok(Some(command))
    }
}

/// `/history [n]` or `/history <room> [n]`.
fn parse_history(args: &str) -> Result<Command<'_>, UsageError> {
    let (first, rest) = split_word(args);
    if first.starts_with('#') {
        let usage = UsageError("/history <room> [n], n from 1 to 1000");
        let count = parse_history_count(rest.trim_start_matches(' '), usage)?;
        return Ok(Command::HistoryOf { room: first, count });
    }
    let usage = UsageError("/history [n], n from 1 to 1000");
    Ok(Command::History(parse_history_count(args, usage)?))
}

fn parse_history_count(args: &str, usage: UsageError) -> Result<usize, UsageError> {
    if args.is_empty() {
        return Ok(DEFAULT_HISTORY_REQUEST);
    }
    match args.parse::<usize>() {
        Ok(n) if (1..=MAX_HISTORY_REQUEST).contains(&n) => Ok(n),
        _ => Err(usage),
    }
}

/// `/part [<room>] [reason]` (`args`: all after the command word's space): a
/// first word with `#` is the room.
fn parse_part(args: &str) -> Command<'_> {
    let (first, rest) = split_word(args.trim_start_matches(' '));
    let (room, reason) = if first.starts_with('#') {
        (Some(first), rest)
    } else {
        (None, args)
    };
    Command::Part {
        room,
        reason: (!is_blank(reason)).then_some(reason),
    }
}

/// `/topic <room> [text]`, the text at most [`MAX_TOPIC_LEN`] bytes.
fn parse_topic(args: &str) -> Result<Command<'_>, UsageError> {
    let (room, text) = split_word(args.trim_start_matches(' '));
    let text = if is_blank(text) { "" } else { text };
    if room.is_empty() {
        return Err(UsageError("/topic <room> [text]"));
    }
    if text.len() > MAX_TOPIC_LEN {
        return Err(UsageError("/topic <room> [text], text at most 390 bytes"));
    }
    Ok(Command::Topic {
        room,
        text: (!text.is_empty()).then_some(text),
    })
}

/// True for free text that is no text: empty or only spaces.
fn is_blank(text: &str) -> bool {
    text.trim_matches(' ').is_empty()
}

/// Splits at the first space: `("msg", "bob hi")`.
fn split_word(s: &str) -> (&str, &str) {
    s.split_once(' ').unwrap_or((s, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: Result<Option<Command>, UsageError>) {
        assert_eq!(Command::parse(line), expected, "line {line:?}");
    }

    #[test]
    fn command_table() {
        use Command::*;
        check("hello there", Ok(Some(Text("hello there"))));
        check("   ", Ok(None));
        check(" hi ", Ok(Some(Text(" hi "))));
        check("//etc/passwd", Ok(Some(Text("/etc/passwd"))));
        check("{exit}", Ok(Some(Quit(None))));
        check("/quit", Ok(Some(Quit(None))));
        check("/QUIT out for lunch", Ok(Some(Quit(Some("out for lunch")))));
        check("/name alice", Ok(Some(Name("alice"))));
        check("/name", Err(UsageError("/name <name>")));
        check("/name a b", Err(UsageError("/name <name>")));
        check(
            "/msg bob see you at 10",
            Ok(Some(Msg {
                to: "bob",
                text: "see you at 10",
            })),
        );
        check(
            "/Msg bob   spaced ",
            Ok(Some(Msg {
                to: "bob",
                text: "  spaced ",
            })),
        );
        check(
            "/msg  bob trail  ",
            Ok(Some(Msg {
                to: "bob",
                text: "trail  ",
            })),
        );
        check("/msg bob", Err(UsageError("/msg <name> <text>")));
        check("/msg bob   ", Err(UsageError("/msg <name> <text>")));
        check("/msg", Err(UsageError("/msg <name> <text>")));
        check(
            "/login alice pass word",
            Ok(Some(Login {
                name: "alice",
                password: "pass word",
            })),
        );
        check("/LOGIN alice", Err(UsageError("/login <name> <password>")));
        check("/login", Err(UsageError("/login <name> <password>")));
        check("/who", Ok(Some(Who)));
        check("/WHO extra", Ok(Some(Who)));
        check("/history", Ok(Some(History(50))));
        check("/history 7", Ok(Some(History(7))));
        check("/history 1000", Ok(Some(History(1000))));
        check(
            "/history 0",
            Err(UsageError("/history [n], n from 1 to 1000")),
        );
        check(
            "/history 1001",
            Err(UsageError("/history [n], n from 1 to 1000")),
        );
        check(
            "/history lots",
            Err(UsageError("/history [n], n from 1 to 1000")),
        );
        check("/ping", Ok(Some(Ping(None))));
        check("/ping abc", Ok(Some(Ping(Some("abc")))));
        check("/ping abc def", Ok(Some(Ping(Some("abc")))));
        check("/ping :x", Err(UsageError("/ping [token]")));
        check("/help", Ok(Some(Help)));
        check("/who #rust", Ok(Some(WhoIn("#rust"))));
        check("/who #bad!", Ok(Some(WhoIn("#bad!"))));
        check(
            "/history #rust",
            Ok(Some(HistoryOf {
                room: "#rust",
                count: 50,
            })),
        );
        check(
            "/history #rust 7",
            Ok(Some(HistoryOf {
                room: "#rust",
                count: 7,
            })),
        );
        check(
            "/history #rust 0",
            Err(UsageError("/history <room> [n], n from 1 to 1000")),
        );
        check(
            "/history 7 #rust",
            Err(UsageError("/history [n], n from 1 to 1000")),
        );
        check("/join #rust", Ok(Some(Join("#rust"))));
        check("/JOIN rust", Ok(Some(Join("rust"))));
        check("/join", Err(UsageError("/join <room>")));
        check("/join #a #b", Err(UsageError("/join <room>")));
        check(
            "/part",
            Ok(Some(Part {
                room: None,
                reason: None,
            })),
        );
        check(
            "/part #rust off to lunch",
            Ok(Some(Part {
                room: Some("#rust"),
                reason: Some("off to lunch"),
            })),
        );
        check(
            "/part off to lunch",
            Ok(Some(Part {
                room: None,
                reason: Some("off to lunch"),
            })),
        );
        check(
            "/say #rust hi :) all",
            Ok(Some(Say {
                room: "#rust",
                text: "hi :) all",
            })),
        );
        check(
            "/say #rust  both ends ",
            Ok(Some(Say {
                room: "#rust",
                text: " both ends ",
            })),
        );
        check("/say #rust", Err(UsageError("/say <room> <text>")));
        check("/say #rust    ", Err(UsageError("/say <room> <text>")));
        check("/quit  bye ", Ok(Some(Quit(Some(" bye ")))));
        check("/quit   ", Ok(Some(Quit(None))));
        check("/join #rust ", Ok(Some(Join("#rust"))));
        check(
            "/part #rust  later ",
            Ok(Some(Part {
                room: Some("#rust"),
                reason: Some(" later "),
            })),
        );
        check(
            "/part  #rust",
            Ok(Some(Part {
                room: Some("#rust"),
                reason: None,
            })),
        );
        check(
            "/topic #rust topic  ",
            Ok(Some(Topic {
                room: "#rust",
                text: Some("topic  "),
            })),
        );
        check(
            "/topic #rust   ",
            Ok(Some(Topic {
                room: "#rust",
                text: None,
            })),
        );
        check("/say", Err(UsageError("/say <room> <text>")));
        check(
            "/topic #rust borrowck club",
            Ok(Some(Topic {
                room: "#rust",
                text: Some("borrowck club"),
            })),
        );
        check(
            "/topic #rust",
            Ok(Some(Topic {
                room: "#rust",
                text: None,
            })),
        );
        check("/topic", Err(UsageError("/topic <room> [text]")));
        check(
            &format!("/topic #rust {}", "x".repeat(391)),
            Err(UsageError("/topic <room> [text], text at most 390 bytes")),
        );
        check("/rooms", Ok(Some(Rooms)));
        check("/rooms x", Err(UsageError("/rooms")));
        check("/dance", Ok(Some(Unknown("dance"))));
        check("/", Ok(Some(Unknown(""))));
    }
}
