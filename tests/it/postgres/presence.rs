//! Names across nodes when a node loses its presence connection (the
//! database restarted, or its backend terminated) while its clients stay:
//! no other node gives their names out, the node claims them again at once,
//! and if another node did take one meanwhile, the local holder is
//! disconnected with a reason: never two holders of one name. And a node
//! joining a database that has its tables says nothing about them.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{Client, ServerProcess, eventually, server_command, shared_postgres};

use super::store::start_node;

/// The pid of the backend holding `name`'s row, if any.
fn holder(db: &mut postgres::Client, name: &str) -> Option<i32> {
    db.query_opt(
        "SELECT node_pid FROM presence WHERE name_key = $1",
        &[&name],
    )
    .unwrap()
    .map(|row| row.get(0))
}

/// Ends backend `pid`, as an administrator (or a restart) would.
fn terminate(db: &mut postgres::Client, pid: i32) {
    let ended: bool = db
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(ended, "backend {pid} terminated");
}

/// Whether a newcomer on `addr` is refused `name` as taken.
fn refused(addr: std::net::SocketAddr, name: &str) -> bool {
    let mut other = Client::hello_v2(addr);
    other.send(name);
    let line = other.line();
    assert!(!line.starts_with("ERROR not-stored "), "{line}");
    line.starts_with("ERROR name-taken ")
}

#[test]
fn a_node_whose_presence_connection_is_cut_keeps_its_names_everywhere() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (node_a, node_b) = (start_node(&url, &data_a), start_node(&url, &data_b));
    let mut ada = Client::hello_v2(node_a.addr);
    ada.register("ada");
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let before = holder(&mut db, "ada").expect("ada's row");

    terminate(&mut db, before);
    assert!(refused(node_b.addr, "ada"), "ada is still ada's");
    // A takes a new name at once: a claim that finds the connection cut
    // connects again (not `not-stored` until the next tick).
    let mut bob = Client::hello_v2(node_a.addr);
    bob.register("bob");
    // Node A connects again and takes its rows over.
    let moved = eventually(Duration::from_secs(10), || {
        holder(&mut db, "ada").is_some_and(|pid| pid != before)
    });
    assert!(moved, "ada's row is claimed again under A's new connection");
    assert!(refused(node_b.addr, "ADA"), "and still refused on B");
    ada.send("/msg bob still here");
    assert!(bob.until("PRIV ").ends_with(":still here"));
}

#[test]
fn a_name_given_out_while_its_node_was_away_disconnects_the_local_holder() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let data = tempfile::tempdir().unwrap();
    let node = start_node(&url, &data);
    let mut ada = Client::hello_v2(node.addr);
    ada.register("ada");
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let node_pid = holder(&mut db, "ada").expect("ada's row");
    // Another node (this live connection) took ada while the node's
    // connection was away past the grace.
    db.batch_execute(
        "DELETE FROM presence WHERE name_key = 'ada';
         INSERT INTO presence (name_key, name, node_pid, node_start)
         SELECT 'ada', 'ada', pid, backend_start FROM pg_stat_activity
         WHERE pid = pg_backend_pid()",
    )
    .unwrap();
    let own = db.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);

    terminate(&mut db, node_pid);
    let bye = ada.until("BYE ");
    assert!(bye.contains("another server gave your name out"), "{bye}");
    assert_eq!(
        holder(&mut db, "ada"),
        Some(own),
        "the name stays the other's"
    );
}

#[test]
fn a_second_node_on_a_database_starts_without_notices_about_its_tables() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let _first = start_node(&url, &data_a);
    let data = data_b.path().to_str().unwrap();
    let mut command = server_command(&["--database", &url, "--data-dir", data]);
    command.env("RUST_LOG", "info");
    let mut second = ServerProcess::start_command(command);
    let stderr = BufReader::new(second.child.stderr.take().unwrap());
    let (lines, logged) = mpsc::channel();
    std::thread::Builder::new()
        .name("node-stderr".into())
        .spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    // Logged once the schema step is done: what it printed comes before.
    let mut before = Vec::new();
    loop {
        let line = logged
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no line saying where history is: {before:#?}"));
        if line.contains("history in ") {
            break;
        }
        before.push(line);
    }
    let noisy = before.iter().any(|line| line.contains("already exists"));
    assert!(!noisy, "{before:#?}");
}
