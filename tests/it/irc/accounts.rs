//! SASL PLAIN against the server's accounts, over real sockets.

use chatroom::server::accounts::Accounts;

use super::IrcClient;
use crate::support::{Client, TestServer};
use crate::tls::with_accounts;

const PASSWORD: &str = "correct horse battery";

#[test]
fn sasl_plain_logs_an_irc_client_in_as_an_account_and_a_bare_nick_is_refused() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    Accounts::in_dir(dir.path()).add("alice", PASSWORD).unwrap();
    let server = TestServer::with_irc(with_accounts(dir.path()));
    let irc = server.irc.unwrap();

    let mut bare = IrcClient::connect(irc);
    bare.send("NICK alice");
    bare.send("USER u 0 * :r");
    bare.expect(":chatroom 464 * :This nickname needs an account's password");

    let mut alice = IrcClient::connect(irc);
    alice.send("CAP REQ :sasl");
    alice.expect(":chatroom CAP * ACK sasl");
    alice.send("AUTHENTICATE PLAIN");
    alice.expect(":chatroom AUTHENTICATE +");
    let wrong = base64::engine::general_purpose::STANDARD.encode("\0alice\0wrong");
    alice.send(&format!("AUTHENTICATE {wrong}"));
    alice.expect(":chatroom 904 * :SASL authentication failed");
    alice.send("AUTHENTICATE PLAIN");
    alice.expect(":chatroom AUTHENTICATE +");
    let right = base64::engine::general_purpose::STANDARD.encode(format!("\0alice\0{PASSWORD}"));
    alice.send(&format!("AUTHENTICATE {right}"));
    alice.expect(":chatroom 900 * alice!alice@chatroom alice :You are now logged in as alice");
    alice.expect(":chatroom 903 * :SASL authentication successful");
    alice.send("NICK alice");
    alice.send("USER u 0 * :r");
    alice.send("CAP END");
    alice.until(" 001 alice ");

    let mut native = Client::connect(server.addr);
    native.expect("HELLO ");
    native.send("alice");
    native.expect("ERROR ");
    server.stop();
}
