//! What the user typed, understood on the client side.
//!
//! [`parse_input`] turns one typed line into an [`Input`]: a line to send as it
//! is, a `/quit` to send before leaving, or something the client does itself
//! (`/help`, `/clear`, telling the user why a line was not sent). It is pure: it
//! never sends, prints or reads anything. Unknown commands never reach the
//! server; the user is told instead.

use crate::protocol::Command;
use crate::protocol::frame::is_forbidden_char;

/// The text a `/me` action carries on the wire: the room message `/me waves` is
/// shown by clients as the action `* alice waves`. It is sent as `//me waves`.
pub const ACTION_PREFIX: &str = "/me ";

/// The commands the client knows, for `/help` and tab completion.
pub const COMMANDS: &[&str] = &[
    "/help", "/quit", "/who", "/msg", "/history", "/me", "/clear", "/ping",
];

/// The client's `/help` text, one line per entry.
pub const HELP: &[&str] = &[
    "commands:",
    "  text               send text to the room (//text sends /text)",
    "  /msg NAME TEXT     a private message to NAME",
    "  /me ACTION         an action: * you ACTION",
    "  /who               who is online",
    "  /history [N]       the last N room messages (default 50)",
    "  /ping [TOKEN]      check that the server answers",
    "  /clear             clear the screen",
    "  /quit [REASON]     leave (also {exit}, Ctrl-D, Ctrl-C twice)",
    "  Tab completes commands and names",
];

/// One typed line, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Send this line to the server as it is.
    Send(String),
    /// Send this `/quit` line, then wait for the server's `BYE` and leave.
    Quit(String),
    /// Show the client's help.
    Help,
    /// Clear the screen.
    Clear,
    /// A blank line: nothing to do.
    Nothing,
    /// The line was not sent; the text tells the user why.
    Refused(String),
}

/// The line `line` would go out as, if it is longer than `max` bytes (the
/// server's limit, line ending not counted): the refusal to show. The line is
/// not sent; in terminal mode it stays on the input line to be shortened.
pub fn too_long(line: &str, max: usize) -> Option<String> {
    let bytes = line.len();
    (bytes > max).then(|| {
        format!(
            "line-too-long: {bytes} bytes, and a line holds at most {max}; not sent. Shorten it by {} bytes (Ctrl-W deletes a word, Ctrl-U the line)",
            bytes - max
        )
    })
}

/// Reads one typed line (without its line ending).
pub fn parse_input(line: &str) -> Input {
    if line.chars().any(is_forbidden_char) {
        return Input::Refused("the line holds a control character and was not sent".into());
    }
    if let Some(rest) = line.strip_prefix('/')
        && !rest.starts_with('/')
    {
        let (word, args) = rest.split_once(' ').unwrap_or((rest, ""));
        match word.to_ascii_lowercase().as_str() {
            "me" => return action(args.trim_matches(' ')),
            "clear" => return Input::Clear,
            "help" => return Input::Help,
            _ => {}
        }
    }
    match Command::parse(line) {
        Ok(None) => Input::Nothing,
        Ok(Some(command)) => from_command(line, command),
        Err(usage) => Input::Refused(format!("usage: {}", usage.0)),
    }
}

fn action(text: &str) -> Input {
    if text.is_empty() {
        return Input::Refused("usage: /me <action>".into());
    }
    Input::Send(format!("/{ACTION_PREFIX}{text}"))
}

fn from_command(line: &str, command: Command<'_>) -> Input {
    match command {
        Command::Text(_) => Input::Send(line.to_owned()),
        Command::Msg { to, text } => Input::Send(format!("/msg {to} {text}")),
        Command::Who => Input::Send("/who".into()),
        Command::History(n) => Input::Send(format!("/history {n}")),
        Command::Ping(None) => Input::Send("/ping".into()),
        Command::Ping(Some(token)) => Input::Send(format!("/ping {token}")),
        Command::Quit(None) => Input::Quit("/quit".into()),
        Command::Quit(Some(reason)) => Input::Quit(format!("/quit {reason}")),
        Command::Help => Input::Help,
        Command::Name(_) => {
            Input::Refused("the name is chosen when connecting (chat-client --name NAME)".into())
        }
        Command::Login { .. } => Input::Refused(
            "not sent: a password typed here would show on screen; use chat-client --login".into(),
        ),
        // Rooms (protocol version 2) go to the server as typed.
        Command::WhoIn(_)
        | Command::HistoryOf { .. }
        | Command::Join(_)
        | Command::Part { .. }
        | Command::Say { .. }
        | Command::Topic { .. }
        | Command::Rooms => Input::Send(line.to_owned()),
        Command::Unknown(word) => Input::Refused(format!(
            "unknown command /{word}, not sent; /help lists the commands (//{word} sends it as text)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: Input) {
        assert_eq!(parse_input(line), expected, "line {line:?}");
    }

    fn send(line: &str) -> Input {
        Input::Send(line.into())
    }

    fn refused(text: &str) -> Input {
        Input::Refused(text.into())
    }

    #[test]
    fn input_table() {
        check("hello there", send("hello there"));
        check(" hi ", send(" hi "));
        check("", Input::Nothing);
        check("   ", Input::Nothing);
        check("//etc/passwd", send("//etc/passwd"));
        check("//me is not an action", send("//me is not an action"));
        check("/me waves", send("//me waves"));
        check("/ME  waves twice ", send("//me waves twice"));
        check("/me", refused("usage: /me <action>"));
        check("/me   ", refused("usage: /me <action>"));
        check("/help", Input::Help);
        check("/HELP me", Input::Help);
        check("/clear", Input::Clear);
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
        check("/quit", Input::Quit("/quit".into()));
        check(
            "/quit gone fishing",
            Input::Quit("/quit gone fishing".into()),
        );
        check("{exit}", Input::Quit("/quit".into()));
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
        assert_eq!(too_long("abcd", 4), None);
        let refusal = too_long("abcdé", 4).unwrap();
        assert!(refusal.starts_with("line-too-long: 6 bytes, and a line holds at most 4; not sent. Shorten it by 2 bytes"), "{refusal}");
    }
}
