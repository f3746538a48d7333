//! Protocol version 2, rooms, through real sockets: one test or table per row
//! and rule of PROTOCOL.md's "Version 2: rooms", written from the contract;
//! where it leaves a choice open, the test follows docs/protocol.md and says
//! "Choice" in its doc.
//!
//! Most tests share one in-process server ([`shared_server`]): each uses its
//! own user and room names from [`unique`], and its users leave the default
//! room first ([`loner`]), so no other test's lines reach them. Tests that
//! need to see the default room alone or a server option start their own
//! server; restarts use the real binary.

mod commands;
mod free_text;
mod fronts;
mod hostile;
mod lifetime;
mod lobby;
mod names;
mod options;
mod order;
mod restart;
mod rows;
mod stored;
mod topics;

use crate::support::{Client, shared_server, split, unique};

/// A user on the shared server, registered under a fresh name and already
/// out of the default room, so it is in no room at all.
fn loner(prefix: &str) -> (Client, String) {
    let name = unique(prefix);
    let mut client = Client::hello_v2(shared_server());
    client.register(&name);
    client.leave_lobby(&name);
    (client, name)
}

/// Two users of the shared server in one fresh room and no other, with
/// their names and the room's; the first has read the second's `JOIN`.
fn pair(prefix: &str) -> ((Client, String), (Client, String), String) {
    let (mut first, first_name) = loner("amy");
    let (mut second, second_name) = loner("bo");
    let room = fresh_room(prefix);
    first.join_room(&room);
    second.join_room(&room);
    first.expect("JOIN ");
    ((first, first_name), (second, second_name), room)
}

/// A room name no other test uses, spelled with the case given.
fn fresh_room(prefix: &str) -> String {
    format!("#{}", unique(prefix))
}

/// The FIELDs of `line`, which must be of `kind`.
fn fields_of(line: &str, kind: &str) -> Vec<String> {
    let (found, fields, _) = split(line);
    assert_eq!(found, kind, "{line}");
    fields
}

/// The TEXT of `line` (empty if it has none).
fn text_of(line: &str) -> String {
    split(line).2.unwrap_or_default()
}

/// Lines the client got before the answer to a ping, keeping only those whose
/// KIND is one of `kinds`.
fn pending(client: &mut Client, kinds: &[&str]) -> Vec<String> {
    client
        .sync()
        .into_iter()
        .filter(|line| kinds.contains(&split(line).0.as_str()))
        .collect()
}
