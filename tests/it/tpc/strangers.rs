//! Issue 15, defects 1 and 2: a chat user outside the group (the chat server
//! relays anyone's private messages) cannot write into a commit log or change
//! an outcome, whether it speaks under its own name or under the name of a
//! member that crashed. Every 3PC message is authenticated with the group's
//! key; what fails is logged (`IGNORED`) and moves nothing.

use super::{Cluster, Opts, REQUEST, crashed, expect_decided, expect_run_decided};
use std::time::{Duration, Instant};

use chatroom::tpc::driver::DEFAULT_KEY_FILE;

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

/// Item 1 of the last round: a coordinator that lost its `--dir`
/// (here, the whole group rerun in a new directory with the same key) numbers
/// from 1 again. A chat user who took a crashed member's name in the first
/// run was sent its `GLOBAL-COMMIT 1` (the catch-up a member gets when it
/// joins); in the second run it takes the crashed coordinator's name and
/// replays that line to a member that is READY in the new transaction 1,
/// which is aborting. Every coordinator message is bound to its
/// VOTE-REQUEST's nonce, so the replay is refused and the run aborts
/// everywhere.
#[test]
fn tpc_a_decision_replayed_from_an_earlier_run_of_the_same_id_is_refused() {
    let server = TestServer::unthrottled();
    let run1 = Cluster::at(server.addr);
    let [mut p1, mut p2, mut p3] = run1.three();
    let mut coordinator = run1.coordinator(Opts {
        stdin: true,
        ..Opts::default()
    });
    coordinator.type_line("run-1");
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        1,
        "COMMIT",
    );
    p1.kill();
    let mut recorder = take_name(&server, "p1");
    // p2 and p3 also greet a returning member (they ask it for outcomes
    // after theirs); the coordinator's catch-up decision is among the lines.
    let (line, at) = loop {
        let line = recorder.until("PRIV ");
        if let Some(at) = line.find(" :3PC GLOBAL-COMMIT 1 ") {
            break (line, at);
        }
    };
    let recorded = line[at + 2..].to_owned();
    drop(recorder);
    drop((coordinator, p2, p3));

    let run2 = Cluster::at(server.addr);
    std::fs::copy(
        run1.path().join(DEFAULT_KEY_FILE),
        run2.path().join(DEFAULT_KEY_FILE),
    )
    .expect("the same key");
    let t = Opts {
        timeout: Some("3s"),
        ..Opts::default()
    };
    let mut p1 = run2.participant("p1", t.clone());
    let mut p2 = run2.participant(
        "p2",
        Opts {
            args: &["--vote", "abort"],
            ..t.clone()
        },
    );
    let mut p3 = run2.participant("p3", t.clone());
    let mut coordinator = run2.coordinator(Opts {
        crash_at: Some("coordinator:after-send:VOTE-REQUEST:3"),
        args: &["--request", "run-2"],
        ..t.clone()
    });
    p1.expect("STATE 1 READY");
    expect_decided(&mut [&mut p2], 1, "ABORT");
    assert!(crashed(coordinator.wait_exit()));
    let mut mallory = take_name(&server, "coordinator");
    mallory.send(&format!("/msg p1 {recorded}"));
    let refused = p1.expect_line(
        |line| line.starts_with("IGNORED :coordinator: 3PC GLOBAL-COMMIT 1 belongs to another run"),
        Duration::from_secs(10),
    );
    assert!(
        refused.is_some(),
        "p1 took the replayed decision: {:?}",
        p1.seen
    );
    expect_decided(&mut [&mut p1, &mut p3], 1, "ABORT");
    assert_eq!(run2.commit_log("p1"), "\n");
}

/// Found from outside: each forged VOTE-REQUEST from another name made a
/// participant answer `KEY-MISMATCH`, and the server's flood control queued
/// those answers ahead of the participant's own vote, so 40 strangers with one
/// line each turned a commit into an abort (T = 1 s, default server). Now
/// strangers get at most 3 answers a connection, one at a time and only while
/// nothing of the participant's waits in the server, so they never take its
/// votes' place in the queue.
#[test]
fn tpc_strangers_cannot_delay_a_vote_by_making_a_participant_answer_them() {
    let server = TestServer::start(chatroom::server::ServerOptions {
        max_per_ip: 0,
        ..chatroom::server::ServerOptions::default()
    });
    let cluster = Cluster::at(server.addr);
    let t = Opts {
        timeout: Some("1s"),
        ..Opts::default()
    };
    let [mut p1, mut p2, mut p3] = cluster.three_with(t.clone());
    let strangers: Vec<Client> = (0..40)
        .map(|n| {
            let mut stranger = server.join(&format!("stranger{n}"));
            stranger.send(&format!(
                "/msg p1 3PC VOTE-REQUEST 99 p1,p2,p3 0123456789abcdef {} :x",
                "0".repeat(64)
            ));
            stranger
        })
        .collect();
    for _ in &strangers {
        p1.expect("KEY-MISMATCH ");
    }
    let mut coordinator = cluster.coordinator(Opts {
        args: &["--request", "fifteen"],
        ..t
    });
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2, &mut p3], "COMMIT");
    cluster.assert_logs("fifteen\n");
}
