//! Free text, the last argument of `/msg`, `/say`, `/topic`, `/part` and
//! `/quit`: everything after the single space that ends the argument before
//! it, kept byte for byte, as a plain room line is. Spaces at either end are
//! part of what the sender wrote (a 3PC request MACs them), and text of only
//! spaces counts as none.

use super::{fields_of, pair, text_of};

/// Sends `command` from the first of a pair and returns the text of the first
/// `kind` line the second gets.
fn delivered(command: &str, kind: &str) -> String {
    let ((mut amy, _), (mut bo, bo_name), room) = pair("free");
    let command = command.replace("{room}", &room).replace("{bo}", &bo_name);
    amy.send(&command);
    let line = bo.until(&format!("{kind} "));
    fields_of(&line, kind);
    text_of(&line)
}

#[test]
fn free_text_keeps_its_spaces_byte_for_byte() {
    for (command, kind, text) in [
        ("room trailing  ", "MSG", "room trailing  "),
        ("/say {room} trailing   ", "MSG", "trailing   "),
        ("/say {room}  both ends ", "MSG", " both ends "),
        ("/msg {bo} trailing   ", "PRIV", "trailing   "),
        ("/msg {bo}   lead", "PRIV", "  lead"),
        ("/topic {room} topic  ", "TOPIC", "topic  "),
        ("/part {room} bye  ", "PART", "bye  "),
        ("/quit gone  ", "LEAVE", "gone  "),
    ] {
        assert_eq!(delivered(command, kind), text, "{command:?}");
    }
}

/// Text of only spaces is no text: `/msg` and `/say` want some, `/quit`
/// then has no reason.
#[test]
fn free_text_of_only_spaces_is_none() {
    assert_eq!(delivered("/quit   ", "LEAVE"), "quit");
    let ((mut amy, _), (_bo, bo_name), room) = pair("blank");
    for command in [format!("/msg {bo_name}    "), format!("/say {room}   ")] {
        amy.send(&command);
        amy.expect("ERROR usage :");
    }
}
