//! Who is where, across three nodes on one database, through the real
//! binaries: a join, part or quit on one node reaches members on the
//! others with the same lines as a local one; `/who`, `/rooms` and the
//! online count are the cluster's; a node killed with `kill -9` has its
//! users leave everywhere within the bound docs/deployment.md states; a
//! node started later knows who is already there; and a native client and
//! an IRC client on different nodes see each other come and go.

use std::io::BufRead;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::irc::IrcClient;
use crate::support::{Client, ServerProcess, shared_postgres, split};

use super::store::{start_node, two_nodes};

/// docs/deployment.md's bound for a killed node's users to leave the other
/// nodes: the 3 s grace, a keeper tick and the reading node's tick, with
/// room for a loaded machine.
const GONE_WITHIN: Duration = Duration::from_secs(10);

/// The `USERS` names of a `/who` answer (lines up to `USERS-END`).
fn who(client: &mut Client, room: Option<&str>) -> Vec<String> {
    match room {
        Some(room) => client.send(&format!("/who {room}")),
        None => client.send("/who"),
    }
    let mut names = Vec::new();
    loop {
        let (kind, _, text) = split(&client.line());
        match kind.as_str() {
            "USERS" => names.extend(text.unwrap().split(' ').map(str::to_owned)),
            "USERS-END" => return names,
            _ => {}
        }
    }
}

/// `/rooms` as `(room, members)` pairs.
fn rooms(client: &mut Client) -> Vec<(String, usize)> {
    client.send("/rooms");
    let mut listed = Vec::new();
    loop {
        let (kind, fields, _) = split(&client.line());
        match kind.as_str() {
            "ROOM" => listed.push((fields[0].clone(), fields[1].parse().unwrap())),
            "ROOMS-END" => return listed,
            _ => {}
        }
    }
}

/// Asks `ask` until it answers `want`, for at most `within`: membership
/// reaches other nodes through the database, a moment after it changed.
fn settles<T: PartialEq + std::fmt::Debug>(
    within: Duration,
    mut ask: impl FnMut() -> T,
    want: &T,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        let got = ask();
        if &got == want || Instant::now() > deadline {
            return got;
        }
        std::thread::yield_now();
    }
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

#[test]
fn a_join_part_and_quit_on_one_node_reach_members_on_another_with_the_same_lines() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let nodes = two_nodes(&url);
    let (node_a, node_b) = (&nodes[0].0, &nodes[1].0);
    let mut ada = Client::hello_v2(node_a.addr);
    ada.register("ada");
    ada.join_room("#Hall");
    let mut bob = Client::hello_v2(node_b.addr);
    bob.register("bob");
    // (What bob's node knows trails the database by a notification.)
    let both = owned(&["ada", "bob"]);
    let seen = settles(GONE_WITHIN, || who(&mut bob, Some("#lobby")), &both);
    assert_eq!(seen, both, "ada is in #lobby on the other node");
    let joined = ada.until("JOIN ");
    assert!(joined.ends_with(" bob #lobby"), "{joined}");

    let hall = owned(&["ada"]);
    assert_eq!(
        settles(GONE_WITHIN, || who(&mut bob, Some("#hall")), &hall),
        hall
    );
    bob.join_room("#hall");
    let joined = ada.until("JOIN ");
    assert!(joined.ends_with(" bob #Hall"), "{joined}");
    bob.send("/say #hall hello from b");
    let message = ada.until("MSG ");
    assert!(message.ends_with(" bob #Hall :hello from b"), "{message}");

    bob.send("/part #hall off to bed");
    let part = ada.until("PART ");
    assert!(part.ends_with(" bob #Hall :off to bed"), "{part}");
    bob.send("/quit see you");
    let leave = ada.until("LEAVE ");
    assert!(leave.ends_with(" bob :see you"), "{leave}");
    assert_eq!(who(&mut ada, None), owned(&["ada"]));
}

#[test]
fn who_and_rooms_agree_on_every_node() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let nodes: Vec<ServerProcess> = dirs.iter().map(|dir| start_node(&url, dir)).collect();
    let mut clients: Vec<Client> = nodes
        .iter()
        .zip(["ada", "bob", "cyd"])
        .map(|(node, name)| {
            let mut client = Client::hello_v2(node.addr);
            client.register(name);
            client
        })
        .collect();
    clients[0].join_room("#a");
    clients[1].join_room("#a");
    clients[2].join_room("#b");
    let everyone = owned(&["ada", "bob", "cyd"]);
    let listing = vec![
        ("#a".to_owned(), 2),
        ("#b".to_owned(), 1),
        ("#lobby".to_owned(), 3),
    ];
    for client in &mut clients {
        assert_eq!(
            settles(GONE_WITHIN, || who(client, None), &everyone),
            everyone
        );
        let in_a = owned(&["ada", "bob"]);
        assert_eq!(
            settles(GONE_WITHIN, || who(client, Some("#a")), &in_a),
            in_a
        );
        assert_eq!(who(client, Some("#lobby")), everyone);
        assert_eq!(settles(GONE_WITHIN, || rooms(client), &listing), listing);
    }
}

#[test]
fn a_killed_nodes_users_leave_every_other_node_within_the_bound() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut nodes: Vec<ServerProcess> = dirs.iter().map(|dir| start_node(&url, dir)).collect();
    let mut ada = Client::hello_v2(nodes[0].addr);
    ada.register("ada");
    ada.join_room("#side");
    let mut bob = Client::hello_v2(nodes[1].addr);
    bob.register("bob");
    let mut cyd = Client::hello_v2(nodes[2].addr);
    cyd.register("cyd");
    cyd.join_room("#side");
    let everyone = owned(&["ada", "bob", "cyd"]);
    assert_eq!(
        settles(GONE_WITHIN, || who(&mut bob, None), &everyone),
        everyone
    );
    let side = owned(&["ada", "cyd"]);
    assert_eq!(
        settles(GONE_WITHIN, || who(&mut ada, Some("#side")), &side),
        side
    );

    let killed = Instant::now();
    assert!(!nodes.pop().unwrap().signal("KILL").success());
    // Each member that shared a room with cyd is told once.
    for client in [&mut ada, &mut bob] {
        let leave = client.until("LEAVE ");
        assert!(leave.contains(" cyd :"), "{leave}");
    }
    let took = killed.elapsed();
    assert!(took < GONE_WITHIN, "cyd left after {took:?}");
    for client in [&mut ada, &mut bob] {
        assert_eq!(who(client, None), owned(&["ada", "bob"]));
    }
    assert_eq!(who(&mut ada, Some("#side")), owned(&["ada"]));
    let listing = vec![("#lobby".to_owned(), 2), ("#side".to_owned(), 1)];
    assert_eq!(rooms(&mut bob), listing);
}

#[test]
fn a_node_started_later_knows_who_is_already_there() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let node_a = start_node(&url, &data_a);
    let mut ada = Client::hello_v2(node_a.addr);
    ada.register("ada");
    ada.join_room("#early");
    let mut amy = Client::hello_v2(node_a.addr);
    amy.register("amy");
    amy.send("/part #lobby");
    amy.until("PART ");

    let node_b = start_node(&url, &data_b);
    let mut bob = Client::hello_v2(node_b.addr);
    let welcome = bob.register("bob");
    // Read from the database at start (amy's part may still be on its way).
    assert!(welcome[1].contains("ada"), "{welcome:?}");
    let everyone = owned(&["ada", "amy", "bob"]);
    assert_eq!(
        settles(GONE_WITHIN, || who(&mut bob, None), &everyone),
        everyone
    );
    assert_eq!(who(&mut bob, Some("#early")), owned(&["ada"]));
    // And it follows from there: amy's leaving reaches it.
    amy.send("/quit");
    let everyone = owned(&["ada", "bob"]);
    assert_eq!(
        settles(GONE_WITHIN, || who(&mut bob, None), &everyone),
        everyone
    );
}

/// A node started by [`start_node_with_irc`], killed when dropped.
struct IrcNode(std::process::Child);

impl Drop for IrcNode {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A node whose IRC front's address is read from its stdout.
fn start_node_with_irc(url: &str, data: &tempfile::TempDir) -> (IrcNode, SocketAddr) {
    let dir = data.path().to_str().unwrap();
    let args = [
        "--database",
        url,
        "--data-dir",
        dir,
        "--flood-rate",
        "0",
        "--max-per-ip",
        "0",
    ];
    let (child, _addr, mut stdout) = ServerProcess::start_with_stdout(&args);
    let child = IrcNode(child);
    let irc = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no IRC line");
        let irc = (line.trim_end().strip_prefix("Listening on "))
            .and_then(|addr| addr.strip_suffix(" for IRC"));
        if let Some(addr) = irc {
            break addr.parse().unwrap();
        }
    };
    std::thread::Builder::new()
        .name("node-stdout".into())
        .spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()))
        .unwrap();
    (child, irc)
}

#[test]
fn a_native_client_and_an_irc_client_on_other_nodes_see_each_other_join_and_leave() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let node_a = start_node(&url, &data_a);
    let (_node_b, irc_b) = start_node_with_irc(&url, &data_b);
    let mut ivy = IrcClient::register(irc_b, "ivy", "");
    ivy.send("JOIN #lobby");
    ivy.until(" 366 ");
    // A version-1 client on the other node: it lives in the default room.
    let mut ada = Client::connect(node_a.addr);
    ada.expect("HELLO ");
    ada.send("ada");
    ada.expect("WELCOME ada ");
    let joined = ivy.until(" JOIN ");
    assert!(joined.starts_with(":ada"), "{joined}");
    let both = owned(&["ada", "ivy"]);
    assert_eq!(settles(GONE_WITHIN, || who(&mut ada, None), &both), both);

    ivy.send("PART #lobby :later");
    let part = ada.until("PART ");
    assert!(part.contains(" ivy #lobby :later"), "{part}");
    ivy.send("JOIN #lobby");
    let joined = ada.until("JOIN ");
    assert!(joined.contains(" ivy #lobby"), "{joined}");
    ada.send("/quit bye");
    let quit = ivy.until(" QUIT ");
    assert!(quit.starts_with(":ada") && quit.ends_with("bye"), "{quit}");
}

#[test]
fn a_topic_set_in_a_room_another_node_never_saw_is_shown_there() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let nodes = two_nodes(&url);
    let (node_a, node_b) = (&nodes[0].0, &nodes[1].0);
    let mut bob = Client::hello_v2(node_b.addr);
    bob.register("bob");
    let mut ada = Client::hello_v2(node_a.addr);
    ada.register("ada");
    ada.join_room("#new");
    ada.send("/topic #new fresh paint");
    ada.until("TOPIC ");
    // bob's node holds #new for ada (another node's member) without its
    // history, and reads the room, topic included, when bob joins it (a
    // sync through ada's node's lines is not enough).
    let want = "JOINED #new 2 :fresh paint".to_owned();
    let joined = settles(
        GONE_WITHIN,
        || {
            let answer = bob.join_room("#new");
            if answer[0] != want {
                bob.send("/part #new");
                bob.until("PART ");
            }
            answer[0].clone()
        },
        &want,
    );
    assert_eq!(joined, want);
}

#[test]
fn a_node_found_gone_while_still_alive_announces_its_users_again() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let nodes = two_nodes(&url);
    let (node_a, node_b) = (&nodes[0].0, &nodes[1].0);
    let mut ada = Client::hello_v2(node_a.addr);
    ada.register("ada");
    let mut bob = Client::hello_v2(node_b.addr);
    bob.register("bob");
    let both = owned(&["ada", "bob"]);
    assert_eq!(settles(GONE_WITHIN, || who(&mut bob, None), &both), both);
    // What another node's keeper does when ada's node's connection has
    // been away past the grace (here while the node is fine): ada's node
    // is gone, its users leave.
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut tx = db.transaction().unwrap();
    let node: i64 = (tx.query_one(
        "SELECT node FROM cluster_members WHERE name_key = 'ada' LIMIT 1",
        &[],
    ))
    .unwrap()
    .get(0);
    tx.execute("DELETE FROM cluster_nodes WHERE node = $1", &[&node])
        .unwrap();
    let id: i64 = (tx.query_one(
        "UPDATE chat_counter SET last_id = last_id + 1 RETURNING last_id",
        &[],
    ))
    .unwrap()
    .get(0);
    tx.execute(
        "INSERT INTO member_changes (id, node, kind, name, reason, ts_ms)
         VALUES ($1, $2, 6, '', '', 0)",
        &[&id, &node],
    )
    .unwrap();
    tx.execute("DELETE FROM cluster_members WHERE node = $1", &[&node])
        .unwrap();
    tx.batch_execute("NOTIFY chat_commits").unwrap();
    tx.commit().unwrap();

    let leave = bob.until("LEAVE ");
    assert!(leave.ends_with(" ada :its server went away"), "{leave}");
    // ada's node finds its row gone at its next stamp, and says again who
    // it holds: ada is back on bob's node, and in the database.
    let joined = bob.until("JOIN ");
    assert!(joined.ends_with(" ada #lobby"), "{joined}");
    assert_eq!(who(&mut bob, None), both);
    let rows: i64 = (db.query_one(
        "SELECT count(*) FROM cluster_members WHERE name_key = 'ada'",
        &[],
    ))
    .unwrap()
    .get(0);
    assert_eq!(rows, 2, "online, and in #lobby");
    ada.send("/ping still");
    assert_eq!(ada.until("PONG "), "PONG still", "ada never noticed");
}
