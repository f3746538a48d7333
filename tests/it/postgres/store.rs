//! One node on PostgreSQL, through the real binary: what it stores is in
//! the database (a restart on a NEW data directory finds it), an
//! unreachable database at start is one line saying what to do, and a
//! database lost under traffic costs refusals (`ERROR not-stored`), never
//! an acknowledged message or a connection.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{
    Client, PgCluster, ServerProcess, output_within, server_command, shared_postgres, split,
};

const EXIT_DEADLINE: Duration = Duration::from_secs(10);

/// `chat-server` on `url`, with a data directory of its own (accounts and
/// certificate only) and no flood control.
pub fn start_node(url: &str, data: &tempfile::TempDir) -> ServerProcess {
    start_logged_node(url, data).0
}

/// Two nodes on `url` (`start_node`), each with its data directory.
pub fn two_nodes(url: &str) -> Vec<(ServerProcess, tempfile::TempDir)> {
    (0..2)
        .map(|_| {
            let data = tempfile::tempdir().unwrap();
            (start_node(url, &data), data)
        })
        .collect()
}

/// [`start_node`], and its log (warnings and errors) as it grows: it is
/// drained, since a full pipe would stop the node.
pub fn start_logged_node(
    url: &str,
    data: &tempfile::TempDir,
) -> (ServerProcess, Arc<Mutex<String>>) {
    start_node_with(url, data, &[])
}

/// [`start_logged_node`] with more flags.
pub fn start_node_with(
    url: &str,
    data: &tempfile::TempDir,
    more: &[&str],
) -> (ServerProcess, Arc<Mutex<String>>) {
    let mut args = vec![
        "--database",
        url,
        "--data-dir",
        data.path().to_str().unwrap(),
        "--flood-rate",
        "0",
        "--max-per-ip",
        "0",
        "--history",
        "1000",
    ];
    args.extend_from_slice(more);
    let mut node = ServerProcess::start(&args);
    let stderr = node.child.stderr.take().expect("the node's stderr");
    let log = Arc::new(Mutex::new(String::new()));
    let written = log.clone();
    std::thread::Builder::new()
        .name("node-stderr".into())
        .spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = written.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        })
        .unwrap();
    (node, log)
}

/// The IRC address a node recorded in its data directory's lock file.
pub fn irc_addr(data: &Path) -> SocketAddr {
    let lock = std::fs::read_to_string(data.join(chatroom::server::LOCK_FILE)).unwrap();
    lock.lines()
        .find_map(|line| line.strip_prefix("irc "))
        .unwrap_or_else(|| panic!("no IRC address in the lock file: {lock:?}"))
        .parse()
        .unwrap()
}

fn stop(server: ServerProcess) {
    let (status, _) = server.terminate_within(EXIT_DEADLINE);
    assert!(status.success(), "{status}");
}

/// The texts of a welcome's or a join's `HISTORY` lines.
fn replayed(run: &[String]) -> Vec<String> {
    run.iter()
        .filter(|line| line.starts_with("HISTORY "))
        .map(|line| split(line).2.unwrap_or_default())
        .collect()
}

#[test]
fn rooms_topics_and_messages_live_in_the_database_not_the_data_directory() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let first_dir = tempfile::tempdir().unwrap();
    let server = start_node(&url, &first_dir);
    let mut ann = Client::hello_v2(server.addr);
    ann.register("ann");
    ann.send("hello lobby");
    let lobby_msg = ann.expect("MSG ");
    ann.join_room("#Deep");
    ann.send("/topic #deep down here");
    ann.expect("TOPIC ");
    ann.send("/say #deep one");
    ann.send("/say #deep two");
    let deep_two = ann
        .through("MSG ")
        .into_iter()
        .chain([ann.line()])
        .last()
        .unwrap();
    stop(server);

    // Another data directory: only the database can remember.
    let second_dir = tempfile::tempdir().unwrap();
    let server = start_node(&url, &second_dir);
    let mut bea = Client::hello_v2(server.addr);
    let welcome = bea.register("bea");
    assert_eq!(replayed(&welcome), ["hello lobby"], "{welcome:?}");
    let answer = bea.join_room("#DEEP");
    assert_eq!(answer[0], "JOINED #Deep 1 :down here");
    assert_eq!(replayed(&answer), ["one", "two"]);
    let lobby_id: u64 = split(&lobby_msg).1[0].parse().unwrap();
    let two_id: u64 = split(&deep_two).1[0].parse().unwrap();
    assert!(two_id > lobby_id, "{lobby_msg} then {deep_two}");
    bea.send("/say #deep three");
    let three = bea.expect("MSG ");
    let three_id: u64 = split(&three).1[0].parse().unwrap();
    assert!(three_id > two_id, "ids go on after a restart: {three}");
    stop(server);
}

#[test]
fn an_unreachable_database_at_start_is_one_line_saying_what_to_do() {
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://chat:secret@127.0.0.1:{port}/rooms");
    let data = tempfile::tempdir().unwrap();
    let output = output_within(
        &mut server_command(&[
            "--port",
            "0",
            "--database",
            &url,
            "--data-dir",
            data.path().to_str().unwrap(),
        ]),
        Duration::from_secs(20),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    let line = lines[0];
    assert!(
        line.starts_with(&format!(
            "chat-server: cannot use the PostgreSQL database postgres://chat@127.0.0.1:{port}/rooms: "
        )),
        "{line}"
    );
    assert!(line.contains("Connection refused"), "{line}");
    assert!(line.contains("check that PostgreSQL is running"), "{line}");
    assert!(!line.contains("secret"), "no password in errors: {line}");
}

#[test]
fn a_database_lost_under_traffic_refuses_then_recovers_and_loses_nothing_acknowledged() {
    let Some(pg) = PgCluster::start() else {
        return;
    };
    let url = pg.database();
    let data = tempfile::tempdir().unwrap();
    let (server, log) = start_logged_node(&url, &data);
    let mut cy = Client::hello_v2(server.addr);
    cy.register("cy");
    let mut dee = Client::hello_v2(server.addr);
    dee.register("dee");
    cy.through("JOIN ");

    // cy keeps WINDOW messages in flight; another thread stops the
    // database once 20 are acknowledged and starts it after the first
    // refusal; cy goes on until 20 more are acknowledged.
    const WINDOW: usize = 16;
    let (to_database, commands) = std::sync::mpsc::channel::<bool>();
    let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
    // A refused message whose commit was done but whose answer was cut off
    // is stored after all, and every member gets it once the node learns
    // so, the sender included: a MSG of cy's that answers nothing ("late").
    let (mut unanswered, mut late) = (std::collections::VecDeque::new(), Vec::new());
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("pg-ctl".into())
            .spawn_scoped(scope, || {
                for stop in commands {
                    match stop {
                        true => pg.stop(),
                        false => pg.start_again(),
                    }
                }
            })
            .unwrap();
        let (mut sent, mut in_flight, mut stopped, mut restarted_at) = (0, 0, false, None);
        loop {
            let done = restarted_at.is_some_and(|at| acknowledged.len() >= at + 20);
            while in_flight < WINDOW && !done {
                cy.send(&format!("m{sent}"));
                unanswered.push_back(format!("m{sent}"));
                sent += 1;
                in_flight += 1;
                assert!(sent < 100_000, "the database never came back");
            }
            if in_flight == 0 {
                break;
            }
            let line = cy.line();
            let (kind, fields, text) = split(&line);
            match kind.as_str() {
                "MSG" if fields[2] == "cy" && text.as_ref() != unanswered.front() => {
                    late.push(text.unwrap());
                    continue;
                }
                "MSG" if fields[2] == "cy" => acknowledged.push(text.unwrap()),
                "ERROR" if fields[0] == "not-stored" => refused.push(unanswered[0].clone()),
                _ => panic!("unexpected {line}"),
            }
            unanswered.pop_front();
            in_flight -= 1;
            if acknowledged.len() >= 20 && !stopped {
                to_database.send(true).unwrap();
                stopped = true;
            }
            if refused.len() == 1 && restarted_at.is_none() {
                to_database.send(false).unwrap();
                restarted_at = Some(acknowledged.len());
            }
        }
        drop(to_database);
    });
    assert!(
        !refused.is_empty(),
        "the database was away for some messages"
    );
    assert!(acknowledged.len() >= 20);
    // Still connected, both of them, and it works again.
    cy.send("after");
    loop {
        let text = split(&cy.until("MSG ")).2.unwrap();
        if text == "after" {
            break;
        }
        late.push(text);
    }
    for text in &late {
        assert!(
            refused.contains(text),
            "only a refused message comes late: {text}"
        );
    }
    acknowledged.push("after".into());
    let seen_by_dee: Vec<String> = std::iter::from_fn(|| {
        let line = dee.until("MSG ");
        let text = split(&line).2.unwrap();
        (text != "after").then_some(text)
    })
    .collect();
    let (seen_late, seen_acknowledged): (Vec<String>, Vec<String>) = seen_by_dee
        .into_iter()
        .partition(|text| late.contains(text));
    assert_eq!(
        seen_acknowledged,
        acknowledged[..acknowledged.len() - 1],
        "dee saw exactly the acknowledged ones"
    );
    assert_eq!(seen_late, late, "and what cy saw stored after all");
    stop(server);
    // The outage is logged when it starts and when it ends, not per batch.
    let log = log.lock().unwrap().clone();
    let refusing: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("could not store"))
        .collect();
    assert_eq!(refusing.len(), 1, "{log}");
    assert!(refusing[0].contains("refusing messages until it works again"));
    assert_eq!(log.matches("stores messages again").count(), 1, "{log}");

    let server = start_node(&url, &tempfile::tempdir().unwrap());
    let mut eve = Client::hello_v2(server.addr);
    let stored = replayed(&eve.register("eve"));
    // A refused message may be stored after all (its commit done, the
    // answer cut off); an acknowledged one is always stored, in order.
    let stored_acknowledged: Vec<&String> = stored
        .iter()
        .filter(|text| acknowledged.contains(text))
        .collect();
    assert_eq!(
        stored_acknowledged,
        acknowledged.iter().collect::<Vec<_>>(),
        "every acknowledged message is stored, in order"
    );
    assert!(stored.len() <= acknowledged.len() + refused.len());
    for text in &late {
        assert!(
            stored.contains(text),
            "{text} was delivered, so it is stored"
        );
    }
    stop(server);
}
