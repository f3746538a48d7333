//! Every new command's refusals and error codes, one line each: a fresh user
//! in no room sends one command and the first line back must start as
//! expected. `{r}` stands for a room nobody has used, `{m}` for a room the
//! user is in.

use crate::support::{Client, shared_server};

use super::{fresh_room, loner};

/// Sends `command` from a new user in room `{m}` only (or in none, if the
/// command has no `{m}`) and checks the first line of the answer.
fn check(command: &str, expected_prefix: &str) {
    let (mut user, _) = loner("cmd");
    let (fresh, member) = (fresh_room("r"), fresh_room("m"));
    if command.contains("{m}") {
        user.join_room(&member);
    }
    let fill = |s: &str| s.replace("{r}", &fresh).replace("{m}", &member);
    user.send(&fill(command));
    let line = user.line();
    let expected = fill(expected_prefix);
    assert!(
        line.starts_with(&expected),
        "{command:?}: expected {expected:?}, got {line:?}"
    );
}

#[test]
fn refusals_and_error_codes() {
    check("/join", "ERROR usage :");
    check("/join {r} {m}", "ERROR usage :"); // Choice: extra words.
    check("/join rust", "ERROR room-invalid :"); // Choice: no `#`.
    check("/part {r}", "ERROR not-in-room :");
    check("/part {r} {m} then a reason", "ERROR not-in-room :");
    check("/part", "ERROR no-room :"); // Choice: no room, none current.
    check("/part just a reason", "ERROR no-room :");
    check("text in no room", "ERROR no-room :");
    check("//slash text in no room", "ERROR no-room :");
    check("/say {r} hello", "ERROR not-in-room :");
    check("/say {m}", "ERROR usage :");
    check("/say", "ERROR usage :");
    check("/topic", "ERROR usage :");
    check("/topic {r} a topic", "ERROR not-in-room :");
    check("/history", "ERROR no-room :"); // Choice.
    check("/history {m} 0", "ERROR usage :");
    check("/history {m} 1001", "ERROR usage :");
    check("/history {m} many", "ERROR usage :");
    check("/rooms extra", "ERROR usage :"); // Choice.
}

/// Choice: reading a room needs no membership, and a room that does not
/// exist reads as empty.
#[test]
fn reading_a_room_one_is_not_in() {
    check("/who {r}", "USERS-END 0 {r}");
    check("/topic {r}", "TOPIC ");
    check("/history {r}", "HISTORY-END 0 {r}");
    check("/history {r} 5", "HISTORY-END 0 {r}");
    check("/who {m}", "USERS :cmd");
    check("/history {m} 1000", "HISTORY-END 0 {m}");
}

#[test]
fn command_words_in_any_case() {
    check("/JOIN {r}", "JOINED {r} 1 :");
    check("/Part {m}", "PART ");
    check("/SAY {m} hi", "MSG ");
    check("/Topic {m} hello", "TOPIC ");
    check("/ROOMS", "ROOM");
    check("/WHO {m}", "USERS :");
}

#[test]
fn room_commands_before_registering_get_not_registered() {
    let mut stranger = Client::hello_v2(shared_server());
    for command in [
        "/join #lobby",
        "/part #lobby",
        "/say #lobby hi",
        "/topic #lobby",
        "/rooms",
        "/who #lobby",
        "/history #lobby",
    ] {
        stranger.send(command);
        let line = stranger.line();
        assert!(
            line.starts_with("ERROR not-registered :"),
            "{command}: {line}"
        );
    }
}
