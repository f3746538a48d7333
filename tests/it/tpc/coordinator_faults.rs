//! Rows C1 to C8: the coordinator dies at each step, and the outcome is the one
//! the fault table gives, at every process and in every commit log.

use super::{Cluster, Opts, Proc, REQUEST, crashed, expect_decided, expect_run_decided};

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

/// Starts p1 to p3, lets the coordinator crash at `point` and waits until
/// the participants, left on their own, decide `outcome`.
fn participants_decide_after_crash(point: &str, outcome: &str) -> (Cluster, [Proc; 3]) {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    crash_coordinator(&cluster, point);
    expect_decided(&mut [&mut p1, &mut p2, &mut p3], 1, outcome);
    (cluster, [p1, p2, p3])
}

/// With a timeout long enough to restart the coordinator before the
/// participants give up on it: starts p1 to p3, lets the coordinator crash at
/// `point` and starts it again.
fn restart_before_timeout(point: &str) -> (Cluster, Proc, [Proc; 3]) {
    let cluster = Cluster::start();
    let slow = Opts {
        timeout: Some("4s"),
        ..Opts::default()
    };
    let participants = cluster.three_with(slow.clone());
    let mut coordinator = cluster.coordinator(Opts {
        crash_at: Some(point),
        args: REQUEST,
        ..slow.clone()
    });
    assert!(crashed(coordinator.wait_exit()));
    let coordinator = cluster.coordinator(slow);
    (cluster, coordinator, participants)
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
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2, &mut p3], "COMMIT");
    cluster.assert_logs("after\n");
}

#[test]
fn tpc_c2_vote_request_reached_one_abort_everywhere() {
    let (cluster, [p1, p2, _p3]) =
        participants_decide_after_crash("coordinator:after-send:VOTE-REQUEST:1", "ABORT");
    // p1 voted and ran termination: p2 and p3 answered UNKNOWN, so abort.
    assert!(p1.saw("STATE 1 TERMINATION"));
    assert!(!p2.saw("RECV coordinator 3PC VOTE-REQUEST"));
    restart_coordinator(&cluster, Some("ABORT"));
    cluster.assert_logs("\n");
}

#[test]
fn tpc_c3_all_votes_in_dies_before_logging_precommit_abort() {
    let (cluster, _participants) =
        participants_decide_after_crash("coordinator:before-log:PRECOMMIT", "ABORT");
    restart_coordinator(&cluster, Some("ABORT"));
    cluster.assert_logs("\n");
}

#[test]
fn tpc_c4_precommit_reached_one_termination_commits() {
    let (cluster, [p1, _p2, _p3]) =
        participants_decide_after_crash("coordinator:after-send:PRECOMMIT:1", "COMMIT");
    // p1, in PRECOMMIT and first by name, led: it sent PRECOMMIT to the others.
    assert!(p1.saw("SEND p2 3PC PRECOMMIT 1"));
    restart_coordinator(&cluster, Some("COMMIT"));
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_c5_all_precommits_sent_no_ack_commit() {
    let (cluster, _participants) =
        participants_decide_after_crash("coordinator:after-send:PRECOMMIT:3", "COMMIT");
    restart_coordinator(&cluster, Some("COMMIT"));
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_c6_commit_logged_one_global_commit_sent_commit() {
    let (cluster, _participants) =
        participants_decide_after_crash("coordinator:after-send:GLOBAL-COMMIT:1", "COMMIT");
    // The restarted coordinator has COMMIT logged: it resends, decides nothing new.
    restart_coordinator(&cluster, None);
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_c7_restart_in_wait_before_participants_time_out_abort() {
    let (cluster, mut coordinator, [mut p1, mut p2, mut p3]) =
        restart_before_timeout("coordinator:after-send:VOTE-REQUEST:3");
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
    let (cluster, mut coordinator, [mut p1, mut p2, mut p3]) =
        restart_before_timeout("coordinator:after-log:PRECOMMIT");
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
