//! What the user typed, understood on the client side.
//!
//! [`parse_input`] turns one typed line into an [`TypedLine`]: a line to send, a
//! `/quit` to send before leaving, a room to join or show, or something the
//! client does itself (`/help`, `/clear`, telling the user why a line was not
//! sent). It is pure: it never sends, prints or reads anything. Unknown
//! commands never reach the server; the user is told instead.
//!
//! Given the room on the screen, text and the commands whose room may be left
//! out (`/part`, `/topic`, `/history`) name that room on the wire
//! (`/say #rust hi`), so a line always goes where the user sees it going,
//! whatever room the server thinks is current. Without one (plain mode, a
//! version-1 server) they go as typed.

use super::render::count;
use crate::protocol::Command;
use crate::protocol::frame::is_forbidden_char;
use crate::protocol::room::validate_room;

/// The text a `/me` action carries on the wire: the room message `/me waves` is
/// shown by clients as the action `* alice waves`. It is sent as `//me waves`.
pub const ACTION_PREFIX: &str = "/me ";

/// The commands the client knows, for `/help` and tab completion.
pub const COMMANDS: &[&str] = &[
    "/help", "/quit", "/who", "/msg", "/history", "/me", "/clear", "/ping", "/join", "/part",
    "/say", "/topic", "/rooms",
];

/// The client's `/help` text, one line per entry.
pub const HELP: &[&str] = &[
    "commands:",
    "  text               send text to the room (//text sends /text)",
    "  /msg NAME TEXT     a private message to NAME",
    "  /me ACTION         an action: * you ACTION",
    "  /who [#ROOM]       who is online (in ROOM)",
    "  /history [#ROOM] [N]  the last N messages of the room (default 50)",
    "  /join #ROOM        join a room, or show it if you are in it",
    "  /part [#ROOM] [WHY]  leave the room shown (or ROOM)",
    "  /say #ROOM TEXT    send text to another room than the one shown",
    "  /topic [#ROOM] [TEXT]  show or set the topic",
    "  /rooms             list the rooms",
    "  Alt-1..9, Ctrl-N, Ctrl-P  show another of your rooms",
    "  /ping [TOKEN]      check that the server answers",
    "  /clear             clear the screen",
    "  /quit [REASON]     leave (also {exit}, Ctrl-D, Ctrl-C twice)",
    "  Tab completes commands, names and rooms",
];

/// One typed line, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedLine {
    /// Send this line to the server as it is.
    Send(String),
    /// Send this `/quit` line, then wait for the server's `BYE` and leave.
    Quit(String),
    /// Join this room, or show it if this user is in it already.
    Join(String),
    /// Show the client's help.
    Help,
    /// Clear the screen.
    Clear,
    /// A blank line: nothing to do.
    Nothing,
    /// The line was not sent; the text tells the user why.
    Refused(String),
}

/// A line longer than the server takes, counted as the user typed it.
///
/// What the client adds on the wire (`/say #room `, the `/` of `//me`) is
/// counted against the line, so the counter shown while typing, the refusal
/// on Enter and the refusal of a paste all agree with what the server
/// checks: `over` bytes come off the typed line and it goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong {
    /// The line's bytes as typed.
    pub typed: usize,
    /// How many bytes it is over.
    pub over: usize,
    /// The room it goes to, when the client names one on the wire.
    pub room: Option<String>,
}

impl TooLong {
    /// The most bytes this line may have as typed.
    pub fn limit(&self) -> usize {
        self.typed.saturating_sub(self.over)
    }

    /// Where the limit holds: ` in #room`, or nothing.
    fn place(&self) -> String {
        self.room
            .as_deref()
            .map(|room| format!(" in {room}"))
            .unwrap_or_default()
    }

    /// The refusal to show on Enter or for a pasted line. The line is not
    /// sent; in terminal mode it is kept to be shortened.
    pub fn refusal(&self) -> String {
        format!(
            "line-too-long: {} bytes, and a line{} holds at most {}; not sent. Shorten it by {} (Ctrl-W deletes a word, Ctrl-U the line)",
            self.typed,
            self.place(),
            self.limit(),
            count(self.over as u64, "byte"),
        )
    }

    /// The counter shown while typing.
    pub fn status(&self) -> String {
        format!(
            "!!! {} bytes: {} over the {}-byte limit{}, not sendable yet",
            self.typed,
            self.over,
            self.limit(),
            self.place(),
        )
    }
}

/// Whether `typed`, going out as `wire`, is longer than `max` bytes (the
/// server's limit, line ending not counted). `shown`: the room shown, named
/// in the refusal when the wire names it.
pub fn too_long(typed: &str, wire: &str, max: usize, shown: Option<&str>) -> Option<TooLong> {
    (wire.len() > max).then(|| TooLong {
        typed: typed.len(),
        over: wire.len() - max,
        room: shown
            .filter(|_| wire.len() > typed.len())
            .map(str::to_owned),
    })
}

/// How far `typed` is over the limit, as [`parse_input`] would send it
/// with the room `shown`: the counter shown while typing. A line that would
/// not be sent as it is (a local command, a refusal) is counted as typed.
pub fn overflow(typed: &str, max: usize, shown: Option<&str>) -> Option<TooLong> {
    match parse_input(typed, shown) {
        TypedLine::Send(wire) | TypedLine::Quit(wire) => too_long(typed, &wire, max, shown),
        _ => too_long(typed, typed, max, None),
    }
}

/// Reads one typed line (without its line ending). `shown`: the room on the
/// screen, if any (see the module docs).
pub fn parse_input(line: &str, shown: Option<&str>) -> TypedLine {
    if line.chars().any(is_forbidden_char) {
        return TypedLine::Refused("the line holds a control character and was not sent".into());
    }
    if let Some(rest) = line.strip_prefix('/')
        && !rest.starts_with('/')
    {
        let (word, args) = rest.split_once(' ').unwrap_or((rest, ""));
        let args = args.trim_matches(' ');
        match word.to_ascii_lowercase().as_str() {
            "me" => return action(args, shown),
            "clear" => return TypedLine::Clear,
            "help" => return TypedLine::Help,
            "j" => return parse_input(&format!("/join {args}"), shown),
            // `/topic text` sets the topic of the room shown.
            "topic" if !args.starts_with('#') => {
                let Some(room) = shown else {
                    return TypedLine::Refused("usage: /topic #room [text]".into());
                };
                return parse_input(&format!("/topic {room} {args}"), shown);
            }
            _ => {}
        }
    }
    match Command::parse(line) {
        Ok(None) => TypedLine::Nothing,
        Ok(Some(command)) => from_command(line, command, shown),
        Err(usage) => TypedLine::Refused(format!("usage: {}", usage.0)),
    }
}

/// `/join rust` means `#rust`, as in IRC clients; a name that is not a room
/// is refused with the rule it breaks.
fn join(room: &str) -> TypedLine {
    let room = match room.starts_with('#') {
        true => room.to_owned(),
        false => format!("#{room}"),
    };
    match validate_room(&room) {
        Ok(()) => TypedLine::Join(room),
        Err(error) => TypedLine::Refused(format!("usage: /join #room ({error})")),
    }
}

fn action(text: &str, shown: Option<&str>) -> TypedLine {
    if text.is_empty() {
        return TypedLine::Refused("usage: /me <action>".into());
    }
    text_to(&format!("{ACTION_PREFIX}{text}"), shown)
}

/// A room message with this text: to the room shown, or as plain text.
fn text_to(text: &str, shown: Option<&str>) -> TypedLine {
    match shown {
        Some(room) => TypedLine::Send(format!("/say {room} {text}")),
        None if text.starts_with('/') => TypedLine::Send(format!("/{text}")),
        None => TypedLine::Send(text.to_owned()),
    }
}

fn from_command(line: &str, command: Command<'_>, shown: Option<&str>) -> TypedLine {
    match command {
        Command::Text(text) if shown.is_some() => text_to(text, shown),
        Command::Text(_) => TypedLine::Send(line.to_owned()),
        Command::Msg { to, text } => TypedLine::Send(format!("/msg {to} {text}")),
        Command::Who => TypedLine::Send("/who".into()),
        Command::History(n) => match shown {
            Some(room) => TypedLine::Send(format!("/history {room} {n}")),
            None => TypedLine::Send(format!("/history {n}")),
        },
        Command::HistoryOf { room, count } => TypedLine::Send(format!("/history {room} {count}")),
        Command::WhoIn(room) => TypedLine::Send(format!("/who {room}")),
        Command::Join(room) => join(room),
        Command::Part { room, reason } => {
            let words = [Some("/part"), room.or(shown), reason];
            TypedLine::Send(words.into_iter().flatten().collect::<Vec<_>>().join(" "))
        }
        Command::Say { room, text } => TypedLine::Send(format!("/say {room} {text}")),
        Command::Topic { room, text: None } => TypedLine::Send(format!("/topic {room}")),
        Command::Topic {
            room,
            text: Some(text),
        } => TypedLine::Send(format!("/topic {room} {text}")),
        Command::Rooms => TypedLine::Send("/rooms".into()),
        Command::Ping(None) => TypedLine::Send("/ping".into()),
        Command::Ping(Some(token)) => TypedLine::Send(format!("/ping {token}")),
        Command::Quit(None) => TypedLine::Quit("/quit".into()),
        Command::Quit(Some(reason)) => TypedLine::Quit(format!("/quit {reason}")),
        Command::Help => TypedLine::Help,
        Command::Name(_) => TypedLine::Refused(
            "the name is chosen when connecting (chat-client --name NAME)".into(),
        ),
        Command::Login { .. } => TypedLine::Refused(
            "not sent: a password typed here would show on screen; use chat-client --login".into(),
        ),
        Command::Unknown(word) => TypedLine::Refused(format!(
            "unknown command /{word}, not sent; /help lists the commands (//{word} sends it as text)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: TypedLine) {
        assert_eq!(parse_input(line, None), expected, "line {line:?}");
    }

    fn check_in(line: &str, expected: TypedLine) {
        assert_eq!(parse_input(line, Some("#rust")), expected, "line {line:?}");
    }

    #[test]
    fn room_input_table() {
        let join = |room: &str| TypedLine::Join(room.into());
        let bad_char = "usage: /join #room (a room name holds only ASCII letters, digits, '_' and '-' after the '#')";
        check("/join #Rust", join("#Rust"));
        check("/JOIN rust", join("#rust"));
        check("/j  #go ", join("#go"));
        check("/join", refused("usage: /join <room>"));
        check("/join #a b", refused("usage: /join <room>"));
        check("/join #bad.name", refused(bad_char));
        check(
            &format!("/join #{}", "x".repeat(33)),
            refused("usage: /join #room (a room name has at most 32 characters after the '#')"),
        );
        check_in("hello", send("/say #rust hello"));
        check_in("//etc", send("/say #rust /etc"));
        check_in("/me waves", send("/say #rust /me waves"));
        check_in("/part", send("/part #rust"));
        check_in("/part bye all", send("/part #rust bye all"));
        check_in("/part #go bye", send("/part #go bye"));
        check("/part", send("/part"));
        check("/part #go", send("/part #go"));
        check("/say #go hi there", send("/say #go hi there"));
        check_in("/say hi", refused("usage: /say <room> <text>"));
        check("/say #go", refused("usage: /say <room> <text>"));
        check_in("/topic", send("/topic #rust"));
        check_in(
            "/topic all things rust",
            send("/topic #rust all things rust"),
        );
        check("/topic #go go!", send("/topic #go go!"));
        check("/topic", refused("usage: /topic #room [text]"));
        check("/rooms", send("/rooms"));
        check("/who #go", send("/who #go"));
        check_in("/who", send("/who"));
        check_in("/history", send("/history #rust 50"));
        check_in("/history 5", send("/history #rust 5"));
        check("/history #go 7", send("/history #go 7"));
        check("/history 7", send("/history 7"));
        check_in(
            "/history 0",
            refused("usage: /history [n], n from 1 to 1000"),
        );
        check_in("/msg bob hi", send("/msg bob hi"));
    }

    fn send(line: &str) -> TypedLine {
        TypedLine::Send(line.into())
    }

    fn refused(text: &str) -> TypedLine {
        TypedLine::Refused(text.into())
    }

    #[test]
    fn input_table() {
        check("hello there", send("hello there"));
        check(" hi ", send(" hi "));
        check("", TypedLine::Nothing);
        check("   ", TypedLine::Nothing);
        check("//etc/passwd", send("//etc/passwd"));
        check("//me is not an action", send("//me is not an action"));
        check("/me waves", send("//me waves"));
        check("/ME  waves twice ", send("//me waves twice"));
        check("/me", refused("usage: /me <action>"));
        check("/me   ", refused("usage: /me <action>"));
        check("/help", TypedLine::Help);
        check("/HELP me", TypedLine::Help);
        check("/clear", TypedLine::Clear);
        check("/who", send("/who"));
        check("/msg bob see you", send("/msg bob see you"));
        check("/msg  bob", refused("usage: /msg <name> <text>"));
        check("/msg bob", refused("usage: /msg <name> <text>"));
        check("/history", send("/history 50"));
        check("/history 7", send("/history 7"));
        check(
            "/history 0",
            refused("usage: /history [n], n from 1 to 1000"),
        );
        check("/ping", send("/ping"));
        check("/ping t1", send("/ping t1"));
        check("/quit", TypedLine::Quit("/quit".into()));
        check(
            "/quit gone fishing",
            TypedLine::Quit("/quit gone fishing".into()),
        );
        check("{exit}", TypedLine::Quit("/quit".into()));
        check(
            "/name bob",
            refused("the name is chosen when connecting (chat-client --name NAME)"),
        );
        check(
            "/dance now",
            refused(
                "unknown command /dance, not sent; /help lists the commands (//dance sends it as text)",
            ),
        );
        check(
            "bell \u{7} ring",
            refused("the line holds a control character and was not sent"),
        );
        check("tab\tok", send("tab\tok"));
    }

    #[test]
    fn too_long_lines_say_by_how_much() {
        assert_eq!(too_long("abcd", "abcd", 4, None), None);
        let refusal = too_long("abcdé", "abcdé", 4, None).unwrap().refusal();
        assert!(refusal.starts_with("line-too-long: 6 bytes, and a line holds at most 4; not sent. Shorten it by 2 bytes"), "{refusal}");
    }

    #[test]
    fn the_room_prefix_counts_against_the_line() {
        let max = 4095;
        let fits = "x".repeat(max - "/say #rust ".len());
        assert_eq!(overflow(&fits, max, Some("#rust")), None);
        assert_eq!(overflow(&fits, max, None), None);
        let over = overflow(&format!("{fits}x"), max, Some("#rust")).unwrap();
        assert_eq!((over.over, over.limit()), (1, 4084));
        assert!(
            over.refusal().starts_with(
                "line-too-long: 4085 bytes, and a line in #rust holds at most 4084; not sent. Shorten it by 1 byte ("
            ),
            "{}",
            over.refusal()
        );
        assert_eq!(
            over.status(),
            "!!! 4085 bytes: 1 over the 4084-byte limit in #rust, not sendable yet"
        );
        // Without a room the line goes as typed; `/me` gains one `/`.
        let action = overflow(&format!("/me {}", "w".repeat(max - 4)), max, None).unwrap();
        assert_eq!(
            (action.over, action.limit(), action.room),
            (1, max - 1, None)
        );
        // A local command is counted as typed.
        let help = overflow(&format!("/help {}", "h".repeat(max)), max, Some("#rust"));
        assert_eq!(help.map(|h| h.over), Some(6));
    }
}
