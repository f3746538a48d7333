//! The limits native clients have, applied to IRC clients.

use std::time::Duration;

use chatroom::server::ServerOptions;

use super::IrcClient;
use crate::support::{TestServer, unthrottled};

#[test]
fn a_line_over_512_bytes_is_refused_and_the_connection_goes_on() {
    let server = TestServer::with_irc(unthrottled());
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send(&format!("PRIVMSG #lobby :{}", "x".repeat(600)));
    alice.expect(":chatroom 417 alice :Input line was too long");
    alice.send(&format!("@+tag={} PING long", "y".repeat(9000)));
    alice.expect(":chatroom 417 alice :Input line was too long");
    assert!(alice.sync().is_empty());
    server.stop();
}

#[test]
fn max_rooms_is_chanlimit_and_joining_past_it_is_405() {
    let server = TestServer::with_irc(ServerOptions {
        max_rooms: 2,
        ..unthrottled()
    });
    let mut irc = IrcClient::connect(server.irc.unwrap());
    irc.send("NICK alice");
    irc.send("USER u 0 * :r");
    let isupport = irc.until(" 005 ");
    assert!(isupport.contains(" CHANLIMIT=#:2 "), "{isupport}");
    irc.until(" 422 ");
    irc.send("JOIN #a,#b,#c");
    irc.until(" 366 alice #a ");
    irc.until(" 366 alice #b ");
    irc.expect(":chatroom 405 alice #c :You have joined too many channels");
    server.stop();
}

#[test]
fn max_per_ip_counts_irc_and_native_connections_together() {
    let server = TestServer::with_irc(ServerOptions {
        max_per_ip: 1,
        ..unthrottled()
    });
    let _native = server.connect();
    let mut irc = IrcClient::connect(server.irc.unwrap());
    assert_eq!(
        irc.rest(),
        ["ERROR :Closing link: too many connections from your address"]
    );
    server.stop();
}

#[test]
fn require_login_refuses_a_bare_nick() {
    let server = TestServer::with_irc(ServerOptions {
        require_login: true,
        ..unthrottled()
    });
    let mut irc = IrcClient::connect(server.irc.unwrap());
    irc.send("NICK alice");
    irc.send("USER u 0 * :r");
    irc.expect(":chatroom 464 * :This nickname needs an account's password");
    server.stop();
}

#[test]
fn a_native_part_or_quit_too_long_for_irc_reaches_irc_members_cut() {
    let server = TestServer::with_irc(unthrottled());
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send("JOIN #lobby");
    alice.until(" 366 ");
    let mut bob = server.join("bob");
    alice.expect(":bob!bob@chatroom JOIN #lobby");
    bob.send(&format!("/part #lobby {}", "p".repeat(600)));
    let part = alice.line();
    assert!(
        part.starts_with(":bob!bob@chatroom PART #lobby ppp"),
        "{part}"
    );
    assert_eq!(part.len() + 2, 512);
    bob.send("/join #lobby");
    alice.expect(":bob!bob@chatroom JOIN #lobby");
    bob.send(&format!("/quit {}", "q".repeat(600)));
    let quit = alice.line();
    assert!(
        quit.starts_with(":bob!bob@chatroom QUIT :Quit: qqq"),
        "{quit}"
    );
    assert_eq!(quit.len() + 2, 512);
    alice.send("NAMES #lobby");
    assert_eq!(alice.line(), ":chatroom 353 alice = #lobby alice");
    server.stop();
}

#[test]
fn one_irc_line_posts_each_target_once_and_at_most_four() {
    let server = TestServer::with_irc(unthrottled());
    let mut bob = server.join("bob");
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send(&format!("PRIVMSG {} :once", vec!["bob"; 100].join(",")));
    alice.send("PRIVMSG bob,#a,#b,#c,#d :five");
    alice.expect(":chatroom 407 alice #d :Too many recipients");
    alice.send("PRIVMSG bob :end");
    assert!(bob.expect("PRIV ").ends_with(" alice bob :once"));
    assert!(bob.expect("PRIV ").ends_with(" alice bob :end"));
    server.stop();
}

#[test]
fn a_registration_timeout_says_what_the_client_did_not_finish() {
    let server = TestServer::with_irc(ServerOptions {
        registration_timeout: Duration::from_millis(300),
        ..unthrottled()
    });
    let mut capped = IrcClient::connect(server.irc.unwrap());
    capped.send("CAP LS 302");
    capped.send("NICK alice");
    capped.send("USER u 0 * :r");
    let mut bare = IrcClient::connect(server.irc.unwrap());
    bare.send("NICK bob");
    let capped = capped.rest();
    assert_eq!(
        capped.last().map(String::as_str),
        Some(
            "ERROR :Closing link: registration timed out: finish CAP negotiation (CAP END) in time"
        ),
        "{capped:?}"
    );
    assert_eq!(
        bare.rest(),
        ["ERROR :Closing link: registration timed out: send NICK and USER in time"]
    );
    server.stop();
}
