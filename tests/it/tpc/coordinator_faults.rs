//! Rows C1 to C8: the coordinator dies at each step, and the outcome is the one
//! the fault table gives, at every process and in every commit log.

use super::{Cluster, Opts, REQUEST, crashed, expect_decided};

fn crash_coordinator(cluster: &Cluster, point: &str) {
    let mut coordinator = cluster.coordinator(Opts {
        crash_at: Some(point),
        args: REQUEST,
        ..Opts::default()
    });
    coordinator.expect(&format!("CRASH {point}"));
    assert!(
        crashed(coordinator.wait_exit()),
        "the coordinator aborted at {point}"
    );
}

/// Restarts the coordinator without a request: it recovers, finishes the
/// transaction and exits at the end of its (empty) stdin.
fn restart_coordinator(cluster: &Cluster, outcome: Option<&str>) {
    let mut coordinator = cluster.coordinator(Opts::default());
    if let Some(outcome) = outcome {
        expect_decided(&mut [&mut coordinator], 1, outcome);
    }
    assert!(coordinator.wait_exit().success());
}

#[test]
fn tpc_c1_dies_before_logging_begin_no_transaction() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    crash_coordinator(&cluster, "coordinator:before-log:BEGIN");
    restart_coordinator(&cluster, None);
    cluster.assert_logs("");
    // Nothing reached anyone; the next request is transaction 1 and commits.
    let mut coordinator = cluster.coordinator(Opts {
        args: &["--request", "after"],
        ..Opts::default()
    });
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        1,
        "COMMIT",
    );
    assert!(coordinator.wait_exit().success());
    cluster.assert_logs("after\n");
}

#[test]
fn tpc_c2_vote_request_reached_one_abort_everywhere() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    crash_coordinator(&cluster, "coordinator:after-send:VOTE-REQUEST:1");
    // p1 voted and runs termination: p2 and p3 answer UNKNOWN, so abort.
    expect_decided(&mut [&mut p1, &mut p2, &mut p3], 1, "ABORT");
    assert!(p1.saw("STATE 1 TERMINATION"));
    assert!(!p2.saw("RECV coordinator 3PC VOTE-REQUEST"));
    restart_coordinator(&cluster, Some("ABORT"));
    cluster.assert_logs("\n");
}

#[test]
fn tpc_c3_all_votes_in_dies_before_logging_precommit_abort() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    crash_coordinator(&cluster, "coordinator:before-log:PRECOMMIT");
    expect_decided(&mut [&mut p1, &mut p2, &mut p3], 1, "ABORT");
    restart_coordinator(&cluster, Some("ABORT"));
    cluster.assert_logs("\n");
}

#[test]
fn tpc_c4_precommit_reached_one_termination_commits() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    crash_coordinator(&cluster, "coordinator:after-send:PRECOMMIT:1");
    expect_decided(&mut [&mut p1, &mut p2, &mut p3], 1, "COMMIT");
    // p1, in PRECOMMIT and first by name, led: it sent PRECOMMIT to the others.
    assert!(p1.saw("SEND p2 3PC PRECOMMIT 1"));
    restart_coordinator(&cluster, Some("COMMIT"));
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_c5_all_precommits_sent_no_ack_commit() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    crash_coordinator(&cluster, "coordinator:after-send:PRECOMMIT:3");
    expect_decided(&mut [&mut p1, &mut p2, &mut p3], 1, "COMMIT");
    restart_coordinator(&cluster, Some("COMMIT"));
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_c6_commit_logged_one_global_commit_sent_commit() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    crash_coordinator(&cluster, "coordinator:after-send:GLOBAL-COMMIT:1");
    expect_decided(&mut [&mut p1, &mut p2, &mut p3], 1, "COMMIT");
    // The restarted coordinator has COMMIT logged: it resends, decides nothing new.
    restart_coordinator(&cluster, None);
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_c7_restart_in_wait_before_participants_time_out_abort() {
    let cluster = Cluster::start();
    let slow = Opts {
        timeout: Some("4s"),
        ..Opts::default()
    };
    let [mut p1, mut p2, mut p3] = ["p1", "p2", "p3"].map(|n| cluster.participant(n, slow.clone()));
    let mut coordinator = cluster.coordinator(Opts {
        crash_at: Some("coordinator:after-send:VOTE-REQUEST:3"),
        args: REQUEST,
        ..slow.clone()
    });
    assert!(crashed(coordinator.wait_exit()));
    let mut coordinator = cluster.coordinator(slow);
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        1,
        "ABORT",
    );
    assert!(coordinator.saw("STEP 1 :restarted with only BEGIN logged: abort"));
    assert!(coordinator.wait_exit().success());
    cluster.assert_logs("\n");
}

#[test]
fn tpc_c8_restart_in_precommit_all_members_up_commit() {
    let cluster = Cluster::start();
    let slow = Opts {
        timeout: Some("4s"),
        ..Opts::default()
    };
    let [mut p1, mut p2, mut p3] = ["p1", "p2", "p3"].map(|n| cluster.participant(n, slow.clone()));
    let mut coordinator = cluster.coordinator(Opts {
        crash_at: Some("coordinator:after-log:PRECOMMIT"),
        args: REQUEST,
        ..slow.clone()
    });
    assert!(crashed(coordinator.wait_exit()));
    let mut coordinator = cluster.coordinator(slow);
    coordinator.expect("STATE 1 RECOVERING");
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        1,
        "COMMIT",
    );
    assert!(coordinator.saw("STEP 1 :every member is up and undecided: resume"));
    assert!(coordinator.wait_exit().success());
    cluster.assert_logs("x\n");
}
