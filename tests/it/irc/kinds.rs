//! What IRC has beside plain messages, through real sockets: `NOTICE` as
//! its own kind (stored, replayed, echoed, and marked for native users).

use chatroom::server::{DataDir, ServerOptions, Storage};

use super::IrcClient;
use crate::support::{TestServer, unthrottled};

fn durable(dir: &std::path::Path) -> TestServer {
    TestServer::with_irc(ServerOptions {
        storage: Storage::Durable(DataDir::lock(dir).expect("lock the data directory")),
        ..unthrottled()
    })
}

#[test]
fn a_notice_stays_a_notice_for_every_member_and_in_history() {
    let dir = tempfile::tempdir().unwrap();
    let server = durable(dir.path());
    let irc = server.irc.unwrap();
    let mut carol = server.join("carol");
    let mut alice = IrcClient::register(irc, "alice", "echo-message batch");
    let mut bob = IrcClient::register(irc, "bob", "");
    for client in [&mut alice, &mut bob] {
        client.send("JOIN #lobby");
        client.until(" 366 ");
    }
    alice.send("NOTICE #lobby :the build is green");
    alice.send("NOTICE bob :psst");
    alice.send("NOTICE carol :psst too");
    assert_eq!(
        alice.until(" NOTICE "),
        ":alice!alice@chatroom NOTICE #lobby :the build is green",
        "its echo"
    );
    assert_eq!(
        bob.until(" NOTICE "),
        ":alice!alice@chatroom NOTICE #lobby :the build is green"
    );
    assert_eq!(bob.line(), ":alice!alice@chatroom NOTICE bob psst");
    let line = carol.until("MSG ");
    assert!(
        line.ends_with(" alice #lobby notice :the build is green"),
        "{line}"
    );
    let line = carol.until("PRIV ");
    assert!(line.ends_with(" alice carol notice :psst too"), "{line}");
    alice.send("PRIVMSG #lobby :and a message");
    assert_eq!(
        alice.until(" PRIVMSG "),
        ":alice!alice@chatroom PRIVMSG #lobby :and a message"
    );
    drop((alice, bob, carol));
    server.stop();

    // After a restart, from the store.
    let server = durable(dir.path());
    let mut dave = server.join("dave");
    dave.send("/history 5");
    let mut replay = Vec::new();
    loop {
        let line = dave.line();
        if line.starts_with("HISTORY-END ") {
            break;
        }
        let (_, rest) = line.split_once(" alice ").expect("alice's");
        replay.push(rest.to_owned());
    }
    assert_eq!(
        replay,
        ["#lobby notice :the build is green", "#lobby :and a message"]
    );
    let mut erin = IrcClient::register(server.irc.unwrap(), "erin", "batch draft/chathistory");
    erin.send("JOIN #lobby");
    erin.until(" 366 ");
    erin.send("CHATHISTORY LATEST #lobby * 10");
    erin.expect(":chatroom BATCH +history chathistory #lobby");
    let notice = erin.line();
    assert!(
        notice.ends_with(":alice!alice@chatroom NOTICE #lobby :the build is green"),
        "{notice}"
    );
    let message = erin.line();
    assert!(
        message.ends_with(":alice!alice@chatroom PRIVMSG #lobby :and a message"),
        "{message}"
    );
    server.stop();
}
