//! IRC users and native users in the same rooms, through one hub.

use super::IrcClient;
use crate::support::{TestServer, unthrottled};

fn server() -> TestServer {
    TestServer::with_irc(unthrottled())
}

#[test]
fn an_irc_user_and_a_native_user_see_each_other_in_lobby() {
    let server = server();
    let mut bob = server.join("bob");
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send("JOIN #lobby");
    alice.expect(":alice!alice@chatroom JOIN #lobby");
    alice.expect(":chatroom 353 alice = #lobby :alice bob");
    alice.expect(":chatroom 366 alice #lobby ");
    bob.until("JOIN ");

    bob.send("hello from native");
    let line = alice.line();
    assert_eq!(line, ":bob!bob@chatroom PRIVMSG #lobby :hello from native");

    alice.send("PRIVMSG #lobby :hello from irc");
    alice.send("PRIVMSG bob :psst");
    alice.send("TOPIC #lobby :cats");
    alice.send("PART #lobby :later");
    bob.until("MSG 1 "); // its own, first
    assert!(
        bob.expect("MSG ")
            .ends_with(" alice #lobby :hello from irc")
    );
    assert!(bob.expect("PRIV ").ends_with(" alice bob :psst"));
    assert!(bob.expect("TOPIC ").ends_with(" alice #lobby :cats"));
    assert!(bob.expect("PART ").ends_with(" alice #lobby :later"));
    assert_eq!(
        alice.sync(),
        [
            ":alice!alice@chatroom TOPIC #lobby cats",
            ":alice!alice@chatroom PART #lobby later",
        ],
        "without echo-message an IRC user does not get its own messages back"
    );

    bob.send("/msg alice back at you");
    assert_eq!(alice.line(), ":bob!bob@chatroom PRIVMSG alice :back at you");
    alice.send("JOIN #lobby");
    alice.until(" 366 ");
    bob.until("JOIN ");
    alice.send("QUIT :gone home");
    assert_eq!(alice.rest(), ["ERROR :Closing link (quit)"]);
    assert!(bob.expect("LEAVE ").ends_with(" alice :gone home"));
    bob.send("/quit");
    server.stop();
}

#[test]
fn a_native_user_sees_an_irc_users_quit_and_the_other_way_round() {
    let server = server();
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send("JOIN #lobby");
    alice.until(" 366 ");
    let mut bob = server.join("bob");
    assert_eq!(alice.line(), ":bob!bob@chatroom JOIN #lobby");
    bob.send("/quit off to bed");
    assert_eq!(alice.line(), ":bob!bob@chatroom QUIT :Quit: off to bed");
    server.stop();
}

#[test]
fn names_are_one_namespace_for_both_fronts() {
    let server = server();
    let _bob = server.join("Bob");
    let mut irc = IrcClient::connect(server.irc.unwrap());
    irc.send("NICK bob");
    irc.expect(":chatroom 433 * bob :Nickname is already in use");
    irc.send("NICK carol");
    irc.send("USER u 0 * :r");
    irc.until(" 001 carol ");
    let mut native = server.connect();
    native.send("CAROL");
    native.expect("ERROR name-taken ");
    server.stop();
}

#[test]
fn every_member_sees_the_room_in_one_order() {
    let server = server();
    let mut bob = server.join("bob");
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "message-tags echo-message");
    alice.send("JOIN #lobby");
    alice.until(" 366 ");
    bob.until("JOIN ");
    for i in 0..20 {
        bob.send(&format!("native {i}"));
        alice.send(&format!("PRIVMSG #lobby :irc {i}"));
    }
    let mut native_ids = Vec::new();
    while native_ids.len() < 40 {
        let line = bob.until("MSG ");
        native_ids.push(line.split(' ').nth(1).unwrap().to_owned());
    }
    let mut irc_ids = Vec::new();
    while irc_ids.len() < 40 {
        let line = alice.until(" PRIVMSG #lobby ");
        let id = line.split(';').find_map(|tag| tag.strip_prefix("msgid="));
        let id = id.unwrap_or_else(|| panic!("no msgid in {line:?}"));
        irc_ids.push(id.split(' ').next().unwrap().to_owned());
    }
    assert_eq!(irc_ids, native_ids);
    server.stop();
}
