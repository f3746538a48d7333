//! Rows T1 and H1: everyone down after C4, and the chat server killed while the
//! coordinator is in PRECOMMIT.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::{Cluster, Opts, REQUEST, crashed, expect_decided};
use crate::support::ServerProcess;

#[test]
fn tpc_t1_total_failure_after_c4_blocks_until_all_are_back_then_commit() {
    let cluster = Cluster::start();
    let t = Opts {
        timeout: Some("2s"),
        ..Opts::default()
    };
    let [mut p1, mut p2, mut p3] = cluster.three_with(t.clone());
    let mut coordinator = cluster.coordinator(Opts {
        crash_at: Some("coordinator:after-send:PRECOMMIT:1"),
        args: REQUEST,
        ..t.clone()
    });
    p1.expect("STATE 1 PRECOMMIT");
    assert!(crashed(coordinator.wait_exit()));
    // Total failure before anyone's termination protocol starts (T + T/6).
    for p in [&mut p1, &mut p2, &mut p3] {
        p.kill();
        assert!(!p.saw("DECIDED"), "{} decided before the failure", p.name);
    }
    // p2, p3 and the coordinator come back; p1, the one in PRECOMMIT, does not.
    let mut p2 = cluster.participant("p2", t.clone());
    let mut p3 = cluster.participant("p3", t.clone());
    let mut coordinator = cluster.coordinator(t.clone());
    coordinator.expect("STATE 1 RECOVERING");
    // Several rounds of asking (T/6 each) and nobody decides.
    for _ in 0..4 {
        p2.expect("SEND coordinator 3PC DECISION-REQ 1");
    }
    for p in [&p2, &p3, &coordinator] {
        assert!(!p.saw("DECIDED"), "{} decided while p1 was down", p.name);
    }
    let mut p1 = cluster.participant("p1", t);
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        1,
        "COMMIT",
    );
    assert!(coordinator.wait_exit().success());
    cluster.assert_logs("x\n");
}

fn kill_server(server: &mut std::process::Child) {
    server.kill().expect("SIGKILL the chat server");
    server.wait().expect("reap the chat server");
}

fn server_on(port: u16) -> std::process::Child {
    let spawning = crate::support::spawning();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .args(crate::support::IRC_ON_FREE_PORTS)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--ephemeral",
        ])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("restart chat-server");
    drop(spawning);
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.starts_with("Listening on "), "{first:?}");
    std::thread::Builder::new()
        .name("server-stdout".into())
        .spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()))
        .unwrap();
    child
}

#[test]
fn tpc_h1_chat_server_killed_in_precommit_nobody_decides_then_commit() {
    let mut first = ServerProcess::start(&["--host", "127.0.0.1", "--ephemeral"]);
    let cluster = Cluster::at(first.addr);
    // The humans never ACK, so the coordinator sits in PRECOMMIT for T.
    let t = Opts {
        timeout: Some("3s"),
        args: &["--ack", "ask"],
        stdin: true,
        ..Opts::default()
    };
    let [mut p1, mut p2, mut p3] = cluster.three_with(t);
    let mut coordinator = cluster.coordinator(Opts {
        timeout: Some("3s"),
        args: REQUEST,
        ..Opts::default()
    });
    coordinator.expect("STATE 1 PRECOMMIT");
    for p in [&mut p1, &mut p2, &mut p3] {
        p.expect("PROMPT 1 ACK ");
    }
    kill_server(&mut first.child);
    for p in [&mut coordinator, &mut p1, &mut p2, &mut p3] {
        p.expect("DISCONNECTED ");
    }
    // Cut off for longer than T: nobody decides.
    let quiet = coordinator.expect_line(|l| l.starts_with("DECIDED"), Duration::from_secs(4));
    assert!(quiet.is_none(), "the coordinator decided while cut off");
    for p in [&p1, &p2, &p3] {
        assert!(!p.saw("DECIDED"), "{} decided while cut off", p.name);
    }
    let mut second = server_on(cluster.addr.port());
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        1,
        "COMMIT",
    );
    assert!(coordinator.saw("STATE 1 RECOVERING"));
    assert!(coordinator.wait_exit().success());
    cluster.assert_logs("x\n");
    kill_server(&mut second);
}
