//! Issue 15, defects 1 and 2: a chat user outside the group (the chat server
//! relays anyone's private messages) cannot write into a commit log or change
//! an outcome, whether it speaks under its own name or under the name of a
//! member that crashed. Every 3PC message is authenticated with the group's
//! key; what fails is logged (`IGNORED`) and moves nothing.

use super::{Cluster, Opts, REQUEST, crashed, expect_decided, expect_run_decided};
use std::time::{Duration, Instant};

use crate::support::{Client, TestServer};

/// Registers as `name` as soon as the server has noticed its owner is gone.
fn take_name(server: &TestServer, name: &str) -> Client {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut client = server.connect();
        client.send(name);
        let line = client.line();
        if line.starts_with(&format!("WELCOME {name} ")) {
            client.until("HISTORY-END ");
            return client;
        }
        assert!(
            line.starts_with("ERROR name-taken") && Instant::now() < deadline,
            "cannot take the name {name}: {line}"
        );
        // Backoff between attempts (the server refuses a name ten times at most
        // per connection), not synchronisation: the loop waits for WELCOME.
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn tpc_defect1_a_stranger_cannot_inject_a_transaction_or_an_abort() {
    let server = TestServer::unthrottled();
    let cluster = Cluster::at(server.addr);
    let [mut p1, mut p2, mut p3] = cluster.three();
    let mut mallory = server.join("mallory");
    for line in [
        "/msg p1 3PC VOTE-REQUEST 1000000 p1 :INJECTED BY MALLORY",
        "/msg p1 3PC PRECOMMIT 1000000",
        "/msg p1 3PC GLOBAL-COMMIT 1000000",
        "/msg p2 3PC GLOBAL-ABORT 1",
    ] {
        mallory.send(line);
    }
    p1.expect("IGNORED :");
    p2.expect("IGNORED :");
    let mut coordinator = cluster.coordinator(Opts {
        args: &["--request", "legit-1"],
        ..Opts::default()
    });
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2, &mut p3], "COMMIT");
    assert!(!p1.saw("STATE 1000000"), "p1 moved on a forged message");
    cluster.assert_logs("legit-1\n");
}

#[test]
fn tpc_defect2_a_name_taken_over_after_a_crash_cannot_answer_for_the_member() {
    let server = TestServer::unthrottled();
    let cluster = Cluster::at(server.addr);
    let t = Opts {
        timeout: Some("2s"),
        ..Opts::default()
    };
    let [mut p1, mut p2, mut p3] = cluster.three_with(t.clone());
    let point = "coordinator:before-log:PRECOMMIT";
    let mut coordinator = cluster.coordinator(Opts {
        crash_at: Some(point),
        args: REQUEST,
        ..t.clone()
    });
    for p in [&mut p1, &mut p2, &mut p3] {
        p.expect("STATE 1 READY");
    }
    assert!(crashed(coordinator.wait_exit()));
    p3.kill();
    // Someone else takes the name p3 and claims p3 committed.
    let mut impostor = take_name(&server, "p3");
    impostor.send("/msg p1 3PC STATE 1 COMMIT");
    impostor.send("/msg p2 3PC STATE 1 COMMIT");
    p1.expect("IGNORED :");
    p2.expect("IGNORED :");
    // p1 and p2 alone (p3 is gone) are READY: termination aborts, and the
    // restarted coordinator, with only BEGIN logged, aborts too.
    expect_decided(&mut [&mut p1, &mut p2], 1, "ABORT");
    let mut coordinator = cluster.coordinator(t);
    expect_decided(&mut [&mut coordinator], 1, "ABORT");
    assert!(coordinator.wait_exit().success());
    assert_eq!(cluster.commit_log("p1"), "\n");
    assert_eq!(cluster.commit_log("p2"), "\n");
}
