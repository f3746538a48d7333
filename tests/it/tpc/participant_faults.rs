//! Rows P1 to P7: a participant dies at each step, votes abort, or its human
//! never answers.

use super::{Cluster, Opts, Proc, REQUEST, crashed, expect_decided, expect_run_decided};

/// Runs one transaction with p1 started with `p1_opts`, p2 and p3 voting commit.
fn start(cluster: &Cluster, p1_opts: Opts<'_>) -> (Proc, Proc, Proc, Proc) {
    let p1 = cluster.participant("p1", p1_opts);
    let p2 = cluster.participant("p2", Opts::default());
    let p3 = cluster.participant("p3", Opts::default());
    let coordinator = cluster.coordinator(Opts {
        args: REQUEST,
        ..Opts::default()
    });
    (coordinator, p1, p2, p3)
}

/// Lets p1 crash at `point`, and returns the others once they and the
/// coordinator decided `outcome` and the coordinator exited.
fn crash_p1(cluster: &Cluster, point: &str, outcome: &str) -> (Proc, Proc) {
    let p1_opts = Opts {
        crash_at: Some(point),
        ..Opts::default()
    };
    let (mut coordinator, mut p1, mut p2, mut p3) = start(cluster, p1_opts);
    p1.expect(&format!("CRASH {point}"));
    assert!(crashed(p1.wait_exit()), "p1 aborted at {point}");
    expect_run_decided(&mut coordinator, &mut [&mut p2, &mut p3], outcome);
    (p2, p3)
}

/// Restarts p1 and waits for its decision of transaction 1.
fn restart_p1(cluster: &Cluster, outcome: &str) -> Proc {
    let mut p1 = cluster.participant("p1", Opts::default());
    expect_decided(&mut [&mut p1], 1, outcome);
    p1
}

#[test]
fn tpc_p1_dies_before_voting_abort_and_empty_line_after_restart() {
    let cluster = Cluster::start();
    let asks = Opts {
        args: &["--vote", "ask"],
        stdin: true,
        ..Opts::default()
    };
    let (mut coordinator, mut p1, mut p2, mut p3) = start(&cluster, asks);
    p1.expect("PROMPT 1 VOTE ");
    p1.kill();
    expect_run_decided(&mut coordinator, &mut [&mut p2, &mut p3], "ABORT");
    assert_eq!(cluster.commit_log("p1"), "");
    let mut p1 = restart_p1(&cluster, "ABORT");
    assert!(p1.saw("STEP 1 :restarted before voting: abort"));
    p1.kill();
    cluster.assert_logs("\n");
}

#[test]
fn tpc_p2_dies_after_logging_ready_before_vote_left_abort() {
    let cluster = Cluster::start();
    let (_p2, _p3) = crash_p1(&cluster, "participant:after-log:READY", "ABORT");
    // The coordinator is gone; recovery learns the abort from p2 or p3.
    let mut p1 = restart_p1(&cluster, "ABORT");
    assert!(p1.saw("STATE 1 RECOVERING"));
    p1.kill();
    cluster.assert_logs("\n");
}

#[test]
fn tpc_p3_dies_in_ready_after_voting_ack_timeout_commits() {
    let cluster = Cluster::start();
    let (_p2, _p3) = crash_p1(&cluster, "participant:after-send:VOTE-COMMIT:1", "COMMIT");
    let mut p1 = restart_p1(&cluster, "COMMIT");
    p1.kill();
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_p4_dies_in_precommit_before_ack_commit() {
    let cluster = Cluster::start();
    let (_p2, _p3) = crash_p1(&cluster, "participant:after-log:PRECOMMIT", "COMMIT");
    let mut p1 = restart_p1(&cluster, "COMMIT");
    p1.kill();
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_p5_dies_between_logging_commit_and_commit_log_exactly_one_line() {
    let cluster = Cluster::start();
    let (_p2, _p3) = crash_p1(&cluster, "participant:before-apply", "COMMIT");
    assert_eq!(cluster.commit_log("p1"), "");
    // Restarted with COMMIT logged and no line: it writes the line once.
    let mut p1 = cluster.participant("p1", Opts::default());
    p1.expect("APPLIED 1 :x");
    p1.expect("DECIDED 1 COMMIT");
    p1.kill();
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_p5_dies_after_the_line_before_applied_no_second_line() {
    let cluster = Cluster::start();
    let (_p2, _p3) = crash_p1(&cluster, "participant:after-apply", "COMMIT");
    assert_eq!(cluster.commit_log("p1"), "x\n");
    // Restarted with the line written but no APPLIED record: it only records it.
    let mut p1 = cluster.participant("p1", Opts::default());
    p1.expect("STEP 1 :commit-log line written before the crash: record APPLIED only");
    p1.kill();
    assert!(!p1.saw("APPLIED"), "no second line: {:?}", p1.seen);
    let state = std::fs::read_to_string(cluster.path().join("p1.state")).unwrap();
    assert!(state.ends_with("COMMIT 1\nAPPLIED 1\n"), "{state}");
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_p6_one_participant_votes_abort_empty_line_everywhere() {
    let cluster = Cluster::start();
    let votes_abort = Opts {
        args: &["--vote", "abort"],
        ..Opts::default()
    };
    let (mut coordinator, mut p1, mut p2, mut p3) = start(&cluster, votes_abort);
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2, &mut p3], "ABORT");
    cluster.assert_logs("\n");
}

#[test]
fn tpc_p7_human_never_votes_abort() {
    let cluster = Cluster::start();
    let silent = Opts {
        args: &["--vote", "ask"],
        stdin: true,
        ..Opts::default()
    };
    let (mut coordinator, mut p1, mut p2, mut p3) = start(&cluster, silent);
    p1.expect("PROMPT 1 VOTE ");
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2, &mut p3], "ABORT");
    cluster.assert_logs("\n");
}

#[test]
fn tpc_p7_human_never_acks_commit() {
    let cluster = Cluster::start();
    let silent = Opts {
        args: &["--vote", "commit", "--ack", "ask"],
        stdin: true,
        ..Opts::default()
    };
    let (mut coordinator, mut p1, mut p2, mut p3) = start(&cluster, silent);
    p1.expect("PROMPT 1 ACK ");
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2, &mut p3], "COMMIT");
    assert!(coordinator.saw("STEP 1 :timeout in PRECOMMIT"));
    cluster.assert_logs("x\n");
}
