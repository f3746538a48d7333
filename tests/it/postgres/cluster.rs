//! Three nodes on one PostgreSQL database, through the real binaries: a
//! room is one room whichever node its members are on, with one order of
//! messages and topics; a name is one client's on every node; a node killed
//! with `kill -9` costs none of what it acknowledged, its names are freed,
//! and the others go on.

use std::time::Duration;

use crate::support::{Client, PgCluster, ServerProcess, eventually, shared_postgres, split};

use super::store::{start_node, start_node_with};

/// Three nodes on a fresh database, with their data directories.
fn three_nodes(url: &str) -> Vec<(ServerProcess, tempfile::TempDir)> {
    (0..3)
        .map(|_| {
            let data = tempfile::tempdir().unwrap();
            (start_node(url, &data), data)
        })
        .collect()
}

/// `(id, from, text)` of each `MSG` of `room` that `client` receives, until
/// it has `count`; other lines are skipped.
fn room_messages(client: &mut Client, room: &str, count: usize) -> Vec<(u64, String, String)> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let (kind, fields, text) = split(&client.line());
        if kind == "MSG" && fields.get(3).map(String::as_str) == Some(room) {
            seen.push((fields[0].parse().unwrap(), fields[2].clone(), text.unwrap()));
        }
    }
    seen
}

#[test]
fn members_on_three_nodes_share_a_room_and_see_one_order() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let nodes = three_nodes(&url);
    let names = ["ada", "bob", "cyd"];
    let mut clients: Vec<Client> = nodes
        .iter()
        .zip(names)
        .map(|((node, _), name)| {
            let mut client = Client::hello_v2(node.addr);
            client.register(name);
            client.join_room("#Shared");
            client
        })
        .collect();
    // Everyone at once, without waiting for answers.
    const EACH: usize = 40;
    for i in 0..EACH {
        for (client, name) in clients.iter_mut().zip(names) {
            client.send(&format!("/say #shared {name} {i}"));
        }
    }
    let seen: Vec<Vec<(u64, String, String)>> = clients
        .iter_mut()
        .map(|client| room_messages(client, "#Shared", 3 * EACH))
        .collect();
    assert_eq!(seen[0], seen[1], "ada's and bob's order");
    assert_eq!(seen[0], seen[2], "ada's and cyd's order");
    assert!(
        seen[0].windows(2).all(|pair| pair[0].0 < pair[1].0),
        "ids increase: {:?}",
        seen[0]
    );
    for name in names {
        let own: Vec<&str> = (seen[0].iter())
            .filter(|(_, from, _)| from == name)
            .map(|(_, _, text)| text.as_str())
            .collect();
        let sent: Vec<String> = (0..EACH).map(|i| format!("{name} {i}")).collect();
        assert_eq!(own, sent, "{name}'s messages, in the order sent");
    }

    // A topic set on one node reaches the room's members on the others.
    clients[1].send("/topic #shared across nodes");
    for client in &mut clients {
        let topic = client.until("TOPIC ");
        assert!(topic.ends_with(" bob #Shared :across nodes"), "{topic}");
    }
}

#[test]
fn a_node_killed_loses_nothing_it_acknowledged_and_the_others_go_on() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let mut nodes = three_nodes(&url);
    let mut ada = Client::hello_v2(nodes[0].0.addr);
    ada.register("ada");
    let mut bob = Client::hello_v2(nodes[1].0.addr);
    bob.register("bob");
    let mut cyd = Client::hello_v2(nodes[2].0.addr);
    cyd.register("cyd");
    for i in 0..20 {
        cyd.send(&format!("before {i}"));
    }
    let acknowledged = room_messages(&mut cyd, "#lobby", 20);
    let (node, _data) = nodes.pop().unwrap();
    assert!(!node.signal("KILL").success());
    assert_eq!(room_messages(&mut ada, "#lobby", 20), acknowledged);
    assert_eq!(room_messages(&mut bob, "#lobby", 20), acknowledged);
    ada.send("still here");
    let after = room_messages(&mut bob, "#lobby", 1);
    assert_eq!(after[0].2, "still here");
    assert!(after[0].0 > acknowledged[19].0);
    // A node started now replays all of it.
    let data = tempfile::tempdir().unwrap();
    let fresh = start_node(&url, &data);
    let mut dot = Client::hello_v2(fresh.addr);
    let welcome = dot.register("dot");
    let replayed: Vec<&String> = welcome
        .iter()
        .filter(|line| line.starts_with("HISTORY "))
        .collect();
    assert_eq!(replayed.len(), 21, "{welcome:?}");
}

#[test]
fn postgresql_restarted_under_two_nodes_they_refuse_meanwhile_and_share_again() {
    let Some(pg) = PgCluster::start() else {
        return;
    };
    let url = pg.database();
    let nodes: Vec<_> = three_nodes(&url).into_iter().take(2).collect();
    let mut ada = Client::hello_v2(nodes[0].0.addr);
    ada.register("ada");
    let mut bob = Client::hello_v2(nodes[1].0.addr);
    bob.register("bob");
    ada.send("before");
    assert_eq!(room_messages(&mut bob, "#lobby", 1)[0].2, "before");

    pg.stop();
    ada.send("while away");
    assert!(ada.until("ERROR ").starts_with("ERROR not-stored "));
    pg.start_again();

    // Each node connects again, and listens again: both ways work.
    ada.send("back");
    let seen = room_messages(&mut bob, "#lobby", 1);
    assert_eq!(seen[0].2, "back", "bob never got the refused message");
    bob.send("welcome back");
    // (ada's "before" was read with the refusal.)
    let seen = room_messages(&mut ada, "#lobby", 2);
    let texts: Vec<&str> = seen.iter().map(|(_, _, text)| text.as_str()).collect();
    assert_eq!(texts, ["back", "welcome back"]);
}

#[test]
fn a_name_is_taken_on_every_node_and_freed_when_its_node_is_killed() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let mut nodes = three_nodes(&url);
    let mut ada = Client::hello_v2(nodes[0].0.addr);
    ada.register("ada");
    let mut again = Client::hello_v2(nodes[1].0.addr);
    again.send("ADA");
    assert!(
        again.line().starts_with("ERROR name-taken "),
        "ada is ada's on every node"
    );
    // Given back when its client leaves (read to its end: its node gives
    // the name back as the connection ends, not before).
    ada.send("/quit");
    ada.rest();
    drop(again);
    let given_back = eventually(Duration::from_secs(10), || {
        let mut other = Client::hello_v2(nodes[1].0.addr);
        other.send("ADA");
        other.line().starts_with("WELCOME ADA ")
    });
    assert!(given_back, "ada's name is given back when ada leaves");

    // A killed node's names are free on the others within seconds.
    let mut kim = Client::hello_v2(nodes[2].0.addr);
    kim.register("kim");
    let (node, _data) = nodes.pop().unwrap();
    assert!(!node.signal("KILL").success());
    // (PostgreSQL ends the dead node's session as soon as it sees the
    // socket closed, and its names outlive it by the 3 s grace that lets a
    // node that only lost its connection keep them: allow it some seconds.)
    let freed = eventually(Duration::from_secs(10), || {
        let mut other = Client::hello_v2(nodes[0].0.addr);
        other.send("kim");
        other.line().starts_with("WELCOME kim ")
    });
    assert!(freed, "kim is free once kim's node is dead");
}

#[test]
fn an_evicted_clients_name_is_free_on_the_other_nodes() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (node_a, _) = start_node_with(&url, &data_a, &["--send-queue", "64"]);
    let node_b = start_node(&url, &data_b);
    let mut slow = Client::hello_v2(node_a.addr);
    slow.register("slow");
    let mut bob = Client::hello_v2(node_a.addr);
    bob.register("bob");
    // slow reads nothing more; bob's big messages overflow its queue.
    let text = "x".repeat(4000);
    let (mut sent, mut evicted) = (0, false);
    while !evicted {
        assert!(sent < 20_000, "slow was never evicted");
        // In bursts: a round trip per message would take long.
        for _ in 0..50 {
            bob.send(&text);
        }
        sent += 50;
        let mut echoes = 0;
        while echoes < 50 {
            let line = bob.line();
            if line.starts_with("LEAVE ") {
                assert!(line.ends_with(" slow :send queue exceeded"), "{line}");
                evicted = true;
            } else {
                echoes += 1;
            }
        }
    }
    drop(slow);
    let freed = eventually(Duration::from_secs(5), || {
        let mut other = Client::hello_v2(node_b.addr);
        other.send("slow");
        other.line().starts_with("WELCOME slow ")
    });
    assert!(freed, "an evicted client's name is given back");
}

/// A node where nobody is in a room reads it from the database when a
/// client joins it, while another node's member keeps talking there: the
/// joiner gets every line once, in the replay or live after it.
#[test]
fn a_join_racing_another_nodes_messages_gets_each_once() {
    const SAID: usize = 300;
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let (speaker_data, joiner_data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let speaker_node = start_node(&url, &speaker_data);
    let joiner_node = start_node(&url, &joiner_data);
    let mut speaker = Client::hello_v2(speaker_node.addr);
    speaker.register("speaker");
    speaker.join_room("#Busy");
    for n in 0..SAID {
        speaker.send(&n.to_string());
    }
    // Mid-stream: some lines are stored, others not yet.
    room_messages(&mut speaker, "#Busy", SAID / 5);
    let mut joiner = Client::hello_v2(joiner_node.addr);
    joiner.register("joiner");
    let answer = joiner.join_room("#busy");
    let mut seen: Vec<usize> = (answer.iter())
        .filter(|line| line.starts_with("HISTORY "))
        .map(|line| split(line).2.unwrap().parse().unwrap())
        .collect();
    let live = SAID - seen.len();
    seen.extend(
        room_messages(&mut joiner, "#Busy", live)
            .into_iter()
            .map(|(_, _, text)| text.parse::<usize>().unwrap()),
    );
    assert_eq!(seen, (0..SAID).collect::<Vec<_>>());
}

#[test]
fn a_batch_whose_node_never_said_it_was_on_disk_still_reaches_every_node() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let nodes = super::store::two_nodes(&url);
    let mut clients: Vec<Client> = (nodes.iter().zip(["ada", "bob"]))
        .map(|((node, _), name)| {
            let mut client = Client::hello_v2(node.addr);
            client.register(name);
            client
        })
        .collect();
    // What a node leaves behind when its connection breaks between a
    // batch's commit and its mark (`durable.rs`): a numbered, committed
    // message that no node was told of, and no mark covering it.
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut tx = db.transaction().unwrap();
    let id: i64 = (tx.query_one(
        "UPDATE chat_counter SET last_id = last_id + 1 RETURNING last_id",
        &[],
    ))
    .unwrap()
    .get(0);
    tx.execute(
        "INSERT INTO messages (id, ts_ms, sender, text, room)
         VALUES ($1, 0, 'zed', 'stranded', '#lobby')",
        &[&id],
    )
    .unwrap();
    tx.commit().unwrap();
    // The keepers find it and mark it: both nodes hand it out, once.
    for client in &mut clients {
        let got = room_messages(client, "#lobby", 1);
        assert_eq!(got, [(id as u64, "zed".into(), "stranded".into())]);
    }
    clients[0].send("/say #lobby after");
    for client in &mut clients {
        let got = room_messages(client, "#lobby", 1);
        assert_eq!(got[0].1, "ada", "nothing between: {got:?}");
        assert_eq!(got[0].2, "after");
        assert!(got[0].0 > id as u64);
    }
}
