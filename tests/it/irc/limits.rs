//! The limits native clients have, applied to IRC clients.

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
