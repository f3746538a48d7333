//! Private messages between nodes, through the real binaries: `/msg` and
//! IRC `PRIVMSG` reach a user connected to another node, both ways and
//! across the two protocols; `no-such-user` (IRC `401`) only for a name
//! that is on no node. A message that cannot reach its recipient is
//! refused (`ERROR not-stored`), never silently dropped: while the
//! database is away, and while the recipient's node has just died and its
//! names are not yet free. An IRC nick that cannot be checked across
//! nodes gets `437`.

use std::time::{Duration, Instant};

use crate::irc::IrcClient;
use crate::support::{Client, PgCluster, eventually, shared_postgres, split};

use super::store::{irc_addr, two_nodes};

/// Two nodes on a fresh database `url`, with their data directories.
/// `(from, to, text)` of the next `PRIV` line `client` receives.
fn next_private(client: &mut Client) -> (String, String, String) {
    let (_, fields, text) = split(&client.until("PRIV "));
    (fields[2].clone(), fields[3].clone(), text.unwrap())
}

fn private(from: &str, to: &str, text: &str) -> (String, String, String) {
    (from.to_owned(), to.to_owned(), text.to_owned())
}

#[test]
fn private_messages_cross_nodes_both_ways_and_both_protocols() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let nodes = two_nodes(&url);
    let mut ada = Client::hello_v2(nodes[0].0.addr);
    ada.register("ada");
    let mut bob = Client::hello_v2(nodes[1].0.addr);
    bob.register("Bob");
    let mut ivy = IrcClient::register(irc_addr(nodes[1].1.path()), "ivy", "");

    ada.send("/msg bob hello from A");
    let expected = private("ada", "Bob", "hello from A");
    assert_eq!(next_private(&mut ada), expected, "ada's own copy");
    assert_eq!(next_private(&mut bob), expected);
    bob.send("/msg ADA hello from B");
    let expected = private("Bob", "ada", "hello from B");
    assert_eq!(next_private(&mut bob), expected, "bob's own copy");
    assert_eq!(next_private(&mut ada), expected);

    ada.send("/msg ivy to IRC on B");
    assert_eq!(next_private(&mut ada), private("ada", "ivy", "to IRC on B"));
    let said = ivy.until(" PRIVMSG ivy ");
    assert!(said.starts_with(":ada!"), "{said}");
    assert!(said.ends_with(" PRIVMSG ivy :to IRC on B"), "{said}");
    ivy.send("PRIVMSG ada :from IRC on B");
    assert_eq!(
        next_private(&mut ada),
        private("ivy", "ada", "from IRC on B")
    );

    ada.send("/msg nobody hello?");
    let refused = ada.until("ERROR ");
    assert!(refused.starts_with("ERROR no-such-user "), "{refused}");
    ivy.send("PRIVMSG nobody :hello?");
    ivy.until(" 401 ivy nobody ");
}

#[test]
fn an_irc_nick_is_one_clients_on_every_node_and_privmsg_reaches_another_nodes_irc_user() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let nodes = two_nodes(&url);
    let (irc_a, irc_b) = (irc_addr(nodes[0].1.path()), irc_addr(nodes[1].1.path()));
    let mut ivy = IrcClient::register(irc_a, "ivy", "");
    let mut native = Client::hello_v2(nodes[1].0.addr);
    native.send("IVY");
    assert!(native.line().starts_with("ERROR name-taken "));
    let mut again = IrcClient::connect(irc_b);
    again.send("NICK Ivy");
    again.send("USER u 0 * :r");
    again.until(" 433 ");

    let mut jon = IrcClient::register(irc_b, "jon", "");
    jon.send("PRIVMSG ivy :across nodes");
    let said = ivy.until(" PRIVMSG ivy ");
    assert!(said.starts_with(":jon!"), "{said}");
    assert!(said.ends_with(" PRIVMSG ivy :across nodes"), "{said}");

    // Given back when its client leaves.
    ivy.send("QUIT");
    ivy.rest();
    let freed = eventually(Duration::from_secs(5), || {
        let mut other = Client::hello_v2(nodes[1].0.addr);
        other.send("ivy");
        other.line().starts_with("WELCOME ivy ")
    });
    assert!(freed, "an IRC client's nick is given back when it leaves");
}

/// Waits until PostgreSQL has ended every backend of a node that was
/// killed: `count` presence connections are left.
fn wait_for_presence_connections(url: &str, count: i64) {
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE application_name = 'chat-server presence'",
                &[],
            )
            .unwrap()
            .get(0);
        if left == count {
            return;
        }
        assert!(Instant::now() < deadline, "{left} presence connections");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_private_message_to_a_user_whose_node_just_died_is_refused_not_lost() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let mut nodes = two_nodes(&url);
    let mut ada = Client::hello_v2(nodes[0].0.addr);
    ada.register("ada");
    let mut bob = Client::hello_v2(nodes[1].0.addr);
    bob.register("bob");
    ada.send("/msg bob still there?");
    assert_eq!(next_private(&mut bob).2, "still there?");

    let (node, _data) = nodes.pop().unwrap();
    assert!(!node.signal("KILL").success());
    wait_for_presence_connections(&url, 1);
    // Its names are kept for a few seconds (a node that only lost its
    // connection comes back): the sender learns, rather than the message
    // being stored for nobody.
    ada.send("/msg bob are you there?");
    let refused = ada.until("ERROR ");
    assert!(refused.starts_with("ERROR not-stored "), "{refused}");
    assert!(refused.contains("bob"), "{refused}");
    // Then the name is nowhere.
    let gone = eventually(Duration::from_secs(10), || {
        ada.send("/msg bob are you there?");
        let mut answer = ada.line();
        // bob leaving, once his node is found gone, may come first.
        while answer.starts_with("LEAVE ") {
            answer = ada.line();
        }
        assert!(answer.starts_with("ERROR "), "never stored: {answer}");
        answer.starts_with("ERROR no-such-user ")
    });
    assert!(gone, "bob is nowhere once his node's grace is over");
}

#[test]
fn a_private_message_to_another_node_while_the_database_is_away_is_refused() {
    let Some(pg) = PgCluster::start() else {
        return;
    };
    let url = pg.database();
    let nodes = two_nodes(&url);
    let mut ada = Client::hello_v2(nodes[0].0.addr);
    ada.register("ada");
    let mut bob = Client::hello_v2(nodes[1].0.addr);
    bob.register("bob");

    pg.stop();
    ada.send("/msg bob while away");
    let refused = ada.until("ERROR ");
    assert!(refused.starts_with("ERROR not-stored "), "{refused}");
    // A nick cannot be checked on the other nodes now: 437, try again.
    let mut zoe = IrcClient::connect(irc_addr(nodes[1].1.path()));
    zoe.send("NICK zoe");
    zoe.send("USER u 0 * :r");
    let unchecked = zoe.until(" zoe ");
    assert!(
        unchecked.contains(" 437 * zoe :Cannot check"),
        "{unchecked}"
    );
    // And a new native client: not "login-required".
    let mut zed = Client::hello_v2(nodes[0].0.addr);
    zed.send("zed");
    let unchecked = zed.line();
    assert!(unchecked.starts_with("ERROR not-stored "), "{unchecked}");
    pg.start_again();

    let delivered = eventually(Duration::from_secs(10), || {
        ada.send("/msg bob back");
        ada.line().starts_with("PRIV ")
    });
    assert!(delivered, "private messages work again");
    assert_eq!(next_private(&mut bob), private("ada", "bob", "back"));
}
