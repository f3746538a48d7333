//! What an outside tester found with irssi, WeeChat and raw sockets, each
//! kept from coming back: service nicks, the commands clients send on their
//! own (`ISON`, `VERSION`, `TIME`, `INFO`), lines that got no answer, a
//! cleared topic, and away users as native senders see them.

use super::IrcClient;
use crate::support::{TestServer, unthrottled};

fn server() -> TestServer {
    TestServer::with_irc(unthrottled())
}

#[test]
fn service_nicks_are_refused_on_both_fronts() {
    let server = server();
    let mut irc = IrcClient::connect(server.irc.unwrap());
    irc.send("NICK NickServ");
    irc.expect(":chatroom 432 * NickServ :");
    irc.send("NICK chanserv");
    irc.expect(":chatroom 432 * chanserv :");
    let mut native = server.connect();
    native.send("MemoServ");
    let refusal = native.expect("ERROR name-invalid :");
    assert!(refusal.contains("reserved"), "{refusal}");
    server.stop();
}

#[test]
fn a_privmsg_to_nickserv_is_answered_with_a_notice_and_goes_nowhere() {
    let server = server();
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send("PRIVMSG NickServ :IDENTIFY hunter2");
    let notice = alice.expect(":chatroom NOTICE alice :");
    assert!(
        notice.contains("SASL") && notice.contains("PASS"),
        "{notice}"
    );
    assert!(alice.sync().is_empty());
    server.stop();
}

#[test]
fn ison_version_time_and_info_are_answered() {
    let server = server();
    let _bob = server.join("Bob");
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send("ISON bob nobody ALICE");
    alice.expect(":chatroom 303 alice :Bob alice");
    alice.send("VERSION");
    alice.expect(":chatroom 351 alice chatroom-");
    alice.expect(":chatroom 005 alice CASEMAPPING=ascii ");
    alice.until(" 005 alice ");
    alice.send("TIME");
    let time = alice.expect(":chatroom 391 alice chatroom ");
    assert!(
        time.split(' ').nth(4).unwrap().parse::<u64>().is_ok(),
        "{time}"
    );
    alice.send("INFO");
    alice.expect(":chatroom 371 alice :");
    alice.until(":chatroom 374 alice :End of /INFO list");
    alice.send("ISON");
    alice.expect(":chatroom 461 alice ISON :");
    server.stop();
}

#[test]
fn lines_that_are_not_irc_commands_get_421_and_an_empty_target_411() {
    let server = server();
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send("/msg nat hi");
    alice.expect(":chatroom 421 alice /msg :Unknown command");
    alice.send("/join #x");
    alice.expect(":chatroom 421 alice /join :Unknown command");
    alice.send("{exit}");
    alice.expect(":chatroom 421 alice {exit} :Unknown command");
    alice.send("PRIVMSG , :x");
    alice.expect(":chatroom 411 alice :No recipient given (PRIVMSG)");
    assert!(alice.sync().is_empty());
    server.stop();
}

#[test]
fn a_cleared_topic_reads_back_as_no_topic() {
    let server = server();
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send("JOIN #lobby");
    alice.until(" 366 ");
    alice.send("TOPIC #lobby :cats");
    alice.expect(":alice!alice@chatroom TOPIC #lobby cats");
    alice.send("TOPIC #lobby :");
    alice.expect(":alice!alice@chatroom TOPIC #lobby :");
    alice.send("TOPIC #lobby");
    alice.expect(":chatroom 331 alice #lobby :No topic is set");
    let mut bob = IrcClient::register(server.irc.unwrap(), "bob", "");
    bob.send("JOIN #lobby");
    bob.expect(":bob!bob@chatroom JOIN #lobby");
    bob.expect(":chatroom 353 bob = #lobby :");
    server.stop();
}

#[test]
fn an_away_irc_user_is_announced_to_native_and_irc_senders_by_its_own_name() {
    let server = server();
    let mut alice = IrcClient::register(server.irc.unwrap(), "Alice", "");
    alice.send("AWAY :at lunch");
    alice.expect(":chatroom 306 Alice ");
    let mut nat = server.join("nat");
    nat.send("/msg alice are you there?");
    assert!(nat.expect("PRIV ").ends_with(" nat Alice :are you there?"));
    let info = nat.expect("INFO :");
    assert!(
        info.contains("Alice") && info.contains("away") && info.contains("at lunch"),
        "{info}"
    );
    let mut bob = IrcClient::register(server.irc.unwrap(), "bob", "");
    bob.send("PRIVMSG ALICE :hi");
    bob.expect(":chatroom 301 bob Alice :at lunch");
    assert_eq!(
        alice.line(),
        ":nat!nat@chatroom PRIVMSG Alice :are you there?"
    );
    assert_eq!(alice.line(), ":bob!bob@chatroom PRIVMSG Alice hi");
    server.stop();
}

#[test]
fn an_action_is_the_native_clients_me_on_both_fronts() {
    let server = server();
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "echo-message");
    alice.send("JOIN #lobby");
    alice.until(" 366 ");
    let mut nat = server.join("nat");
    alice.until(" JOIN ");
    alice.send("PRIVMSG #lobby :\u{1}ACTION waves\u{1}");
    alice.expect(":alice!alice@chatroom PRIVMSG #lobby :\u{1}ACTION waves\u{1}");
    assert!(nat.expect("MSG ").ends_with(" alice #lobby :/me waves"));
    alice.send("PRIVMSG nat :\u{1}action nods\u{1}");
    alice.expect(":alice!alice@chatroom PRIVMSG nat :\u{1}ACTION nods\u{1}");
    assert!(nat.expect("PRIV ").ends_with(" alice nat :/me nods"));
    nat.send("//me bows");
    nat.until("MSG ");
    alice.expect(":nat!nat@chatroom PRIVMSG #lobby :\u{1}ACTION bows\u{1}");
    nat.send("/msg alice /me winks");
    alice.expect(":nat!nat@chatroom PRIVMSG alice :\u{1}ACTION winks\u{1}");
    // An action with nothing to say, or an empty CTCP, is no text.
    for empty in ["\u{1}ACTION\u{1}", "\u{1}ACTION \u{1}", "\u{1}\u{1}"] {
        alice.send(&format!("PRIVMSG #lobby :{empty}"));
        alice.expect(":chatroom 412 alice :No text to send");
    }
    server.stop();
}
