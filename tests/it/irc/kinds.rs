//! What IRC has beside plain messages, through real sockets: `NOTICE` as
//! its own kind (stored, replayed, echoed, and marked for native users),
//! CTCP and client-only tags passed live between IRC users, `MODE`'s
//! creation time, and `CHATHISTORY`'s `AROUND`, `BETWEEN` and `TARGETS`.

use chatroom::server::{DataDir, ServerOptions, Storage};

use super::IrcClient;
use crate::support::{Client, TestServer, unthrottled};

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

/// Alice and Bob on IRC, Carol on the native front, all in `#lobby`.
fn three_in_lobby(server: &TestServer, caps: &str) -> (IrcClient, IrcClient, Client) {
    let irc = server.irc.unwrap();
    let mut carol = server.join("carol");
    let mut alice = IrcClient::register(irc, "alice", caps);
    let mut bob = IrcClient::register(irc, "bob", caps);
    for client in [&mut alice, &mut bob] {
        client.send("JOIN #lobby");
        client.until(" 366 ");
    }
    alice.sync();
    carol.until("JOIN ");
    carol.until("JOIN ");
    (alice, bob, carol)
}

#[test]
fn ctcp_passes_between_irc_users_unstored_and_a_native_user_is_answered_for() {
    let server = TestServer::with_irc(unthrottled());
    let (mut alice, mut bob, mut carol) = three_in_lobby(&server, "");
    alice.send("PRIVMSG bob :\u{1}VERSION\u{1}");
    assert_eq!(
        bob.line(),
        ":alice!alice@chatroom PRIVMSG bob \u{1}VERSION\u{1}"
    );
    bob.send("NOTICE alice :\u{1}VERSION weechat 4.1\u{1}");
    assert_eq!(
        alice.line(),
        ":bob!bob@chatroom NOTICE alice :\u{1}VERSION weechat 4.1\u{1}"
    );
    alice.send("PRIVMSG #lobby :\u{1}PING 1700000000\u{1}");
    assert_eq!(
        bob.line(),
        ":alice!alice@chatroom PRIVMSG #lobby :\u{1}PING 1700000000\u{1}"
    );
    alice.send("PRIVMSG carol :\u{1}PING 42\u{1}");
    assert_eq!(
        alice.line(),
        ":carol!carol@chatroom NOTICE alice :\u{1}PING 42\u{1}"
    );
    alice.send("PRIVMSG Carol :\u{1}VERSION\u{1}");
    let version = alice.line();
    assert!(
        version.starts_with(":carol!carol@chatroom NOTICE alice :\u{1}VERSION chatroom ")
            && version.ends_with(": carol is on chatroom's native protocol, not IRC\u{1}"),
        "{version}"
    );
    // Nothing reached the native user, and nothing was stored.
    alice.send("PRIVMSG #lobby :done");
    assert!(carol.until("MSG ").ends_with(" alice #lobby :done"));
    carol.send("/history 10");
    assert!(carol.line().ends_with(" alice #lobby :done"));
    carol.expect("HISTORY-END 1 ");
    server.stop();
}

#[test]
fn client_tags_and_tagmsg_reach_irc_users_with_message_tags_only() {
    let server = TestServer::with_irc(unthrottled());
    let (mut alice, mut bob, mut carol) = three_in_lobby(&server, "message-tags echo-message");
    let mut dave = IrcClient::register(server.irc.unwrap(), "dave", "server-time");
    dave.send("JOIN #lobby");
    dave.until(" 366 ");
    alice.sync();
    bob.sync();
    alice.send("@+typing=active;label=x TAGMSG #lobby");
    for client in [&mut alice, &mut bob] {
        let line = client.line();
        let (tags, rest) = line.split_once(' ').unwrap();
        assert_eq!(rest, ":alice!alice@chatroom TAGMSG #lobby");
        let mut tags: Vec<&str> = tags.trim_start_matches('@').split(';').collect();
        tags.sort_unstable();
        assert!(
            tags[0] == "+typing=active" && tags[1].starts_with("msgid=r"),
            "{tags:?}"
        );
        assert!(tags[2].starts_with("time=") && tags.len() == 3, "{tags:?}");
    }
    alice.send("@+draft/reply=1 PRIVMSG #lobby :agreed");
    let line = bob.line();
    assert!(
        line.starts_with("@") && line.contains(";+draft/reply=1"),
        "{line}"
    );
    assert!(
        line.ends_with(" :alice!alice@chatroom PRIVMSG #lobby agreed"),
        "{line}"
    );
    let line = dave.until(" PRIVMSG ");
    assert!(
        !line.contains("draft") && line.starts_with("@time="),
        "{line}"
    );
    assert!(carol.until("MSG ").ends_with(" alice #lobby :agreed"));
    assert!(dave.sync().is_empty(), "no TAGMSG without message-tags");
    server.stop();
}

#[test]
fn mode_tells_when_a_room_began_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = durable(dir.path());
    let mut carol = server.join("carol");
    carol.send("/join #rust");
    carol.until("HISTORY-END ");
    carol.send("first words");
    let line = carol.until("MSG ");
    let ts = line.split(' ').nth(2).unwrap();
    let began = chrono::DateTime::parse_from_rfc3339(ts)
        .unwrap()
        .timestamp();
    drop(carol);
    server.stop();

    let server = durable(dir.path());
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", "");
    alice.send("JOIN #Rust");
    alice.until(" 366 ");
    alice.send("MODE #RUST");
    assert_eq!(alice.line(), ":chatroom 324 alice #rust +");
    assert_eq!(alice.line(), format!(":chatroom 329 alice #rust {began}"));
    server.stop();
}

#[test]
fn chathistory_around_between_and_targets_over_a_real_socket() {
    let server = TestServer::with_irc(unthrottled());
    let mut bob = server.join("bob");
    for i in 1..=5 {
        bob.send(&format!("m{i}"));
    }
    bob.sync();
    let caps = "batch draft/chathistory message-tags";
    let mut alice = IrcClient::register(server.irc.unwrap(), "alice", caps);
    alice.send("JOIN #lobby");
    alice.until(" 366 ");
    let texts = |alice: &mut IrcClient, command: &str| {
        alice.send(command);
        alice.expect(":chatroom BATCH +history chathistory #lobby");
        let mut got = Vec::new();
        loop {
            let line = alice.line();
            if line == ":chatroom BATCH -history" {
                return got;
            }
            got.push(line.rsplit(' ').next().unwrap().to_owned());
        }
    };
    assert_eq!(
        texts(&mut alice, "CHATHISTORY BETWEEN #lobby msgid=5 msgid=1 10"),
        ["m2", "m3", "m4"]
    );
    assert_eq!(
        texts(&mut alice, "CHATHISTORY AROUND #lobby msgid=3 3"),
        ["m2", "m3", "m4"]
    );
    alice.send("CHATHISTORY TARGETS timestamp=2020-01-01T00:00:00.000Z timestamp=2262-01-01T00:00:00.000Z 10");
    alice.expect(":chatroom BATCH +targets draft/chathistory-targets");
    let listed = alice.line();
    assert!(
        listed.starts_with("@batch=targets :chatroom CHATHISTORY TARGETS #lobby 20"),
        "{listed}"
    );
    alice.expect(":chatroom BATCH -targets");
    server.stop();
}
