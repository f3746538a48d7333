//! Issue 15, defect 3: a participant that was down while whole transactions
//! ran, and came back while no coordinator ran (`--request` mode leaves the
//! coordinator down between transactions), still gets one line for every
//! transaction, in order: every commit log ends identical (I4, I5).

use super::{Cluster, Opts, Proc, expect_decided};

/// Runs `--request text` (transaction `tx`) to its end: it commits.
fn request(cluster: &Cluster, tx: u64, text: &str, members: &mut [&mut Proc]) {
    let args = ["--request", text];
    let mut coordinator = cluster.coordinator(Opts {
        args: &args,
        ..Opts::default()
    });
    expect_decided(&mut [&mut coordinator], tx, "COMMIT");
    expect_decided(members, tx, "COMMIT");
    assert_eq!(coordinator.wait_exit().code(), Some(0));
}

/// Runs `--request text` (transaction `tx`) while a member is down: the
/// coordinator and the members `up` decide ABORT, and the coordinator exits 1.
fn request_aborted(cluster: &Cluster, tx: u64, text: &str, up: &mut [&mut Proc]) {
    let args = ["--request", text];
    let mut coordinator = cluster.coordinator(Opts {
        args: &args,
        ..Opts::default()
    });
    expect_decided(&mut [&mut coordinator], tx, "ABORT");
    expect_decided(up, tx, "ABORT");
    assert_eq!(coordinator.wait_exit().code(), Some(1));
}

#[test]
fn tpc_defect3_a_participant_back_between_requests_gets_every_missed_line() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    request(&cluster, 1, "one", &mut [&mut p1, &mut p2, &mut p3]);
    p3.kill();
    // Transactions 2 and 3 abort without p3 (the server answers no-such-user).
    request_aborted(&cluster, 2, "two", &mut [&mut p1, &mut p2]);
    request_aborted(&cluster, 3, "three", &mut [&mut p1, &mut p2]);
    // p3 comes back while no coordinator runs; the next one catches it up
    // before its own transaction.
    let mut p3 = cluster.participant("p3", Opts::default());
    let args = ["--request", "four"];
    let mut coordinator = cluster.coordinator(Opts {
        args: &args,
        ..Opts::default()
    });
    expect_decided(&mut [&mut p3], 2, "ABORT");
    expect_decided(&mut [&mut p3], 3, "ABORT");
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        4,
        "COMMIT",
    );
    assert_eq!(coordinator.wait_exit().code(), Some(0));
    cluster.assert_logs("one\n\n\nfour\n");
}

/// Issue 15, defect 4: a coordinator started with another `--dir` (its state
/// log lost, or a second coordinator) begins again at transaction 1, which the
/// participants already used. They say so (CONFLICT); the coordinator stops
/// with a clear error and exit 2, records the ids in use, and the next run
/// goes on from there and commits.
#[test]
fn tpc_defect4_a_coordinator_with_another_dir_is_told_the_ids_in_use() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    request(&cluster, 1, "one", &mut [&mut p1, &mut p2, &mut p3]);
    request(&cluster, 2, "two", &mut [&mut p1, &mut p2, &mut p3]);
    let elsewhere = tempfile::tempdir().unwrap();
    let mut lost = coordinator_in(&cluster, elsewhere.path(), "again");
    let conflict = lost.expect("CONFLICT ");
    assert!(
        conflict.contains(" 2 "),
        "tells the highest id in use: {conflict}"
    );
    assert_eq!(lost.wait_exit().code(), Some(2), "a conflict is an error");
    // Nobody wrote a line for the refused request.
    cluster.assert_logs("one\ntwo\n");
    let mut coordinator = coordinator_in(&cluster, elsewhere.path(), "three");
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        3,
        "COMMIT",
    );
    assert_eq!(coordinator.wait_exit().code(), Some(0));
    cluster.assert_logs("one\ntwo\nthree\n");
}

/// A coordinator for `--request text` with its state in `dir`, not the
/// cluster's, and the cluster's key.
fn coordinator_in(cluster: &Cluster, dir: &std::path::Path, text: &str) -> Proc {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_chat-coordinator"));
    let port = cluster.addr.port().to_string();
    command.args([
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--timeout",
        super::T,
    ]);
    command.args(["--participants", "p1,p2,p3", "--request", text, "--dir"]);
    command.arg(dir).arg("--key-file");
    command.arg(cluster.path().join("chat3pc.key"));
    Proc::spawn("coordinator elsewhere", command, false)
}

/// Issue 15, I4 and I5 without the coordinator's log: p3 misses transaction
/// 2, then the coordinator loses its `--dir`, so the outcome of 2 lives only
/// in p1's and p2's logs. The next coordinator is told the ids in use
/// (CONFLICT, exit 2) and runs transaction 3; p3, whose ids stop at 1, learns
/// the outcome of 2 from its peers before it votes, and every commit log ends
/// identical. (p3 comes back after the CONFLICT run, so that the CONFLICT the
/// coordinator adopts is p1's or p2's, not p3's lower one: the id of the next
/// run does not depend on who answered first.)
#[test]
fn tpc_a_participant_learns_a_missed_outcome_from_its_peers() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    request(&cluster, 1, "one", &mut [&mut p1, &mut p2, &mut p3]);
    p3.kill();
    request_aborted(&cluster, 2, "five", &mut [&mut p1, &mut p2]);
    // The coordinator's state log is gone: a new --dir.
    let wiped = tempfile::tempdir().unwrap();
    let mut lost = coordinator_in(&cluster, wiped.path(), "six");
    lost.expect("CONFLICT ");
    assert_eq!(lost.wait_exit().code(), Some(2), "a conflict is an error");
    let mut p3 = cluster.participant("p3", Opts::default());
    let mut coordinator = coordinator_in(&cluster, wiped.path(), "seven");
    expect_decided(&mut [&mut p3], 2, "ABORT");
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        3,
        "COMMIT",
    );
    assert_eq!(coordinator.wait_exit().code(), Some(0));
    cluster.assert_logs("one\n\nseven\n");
}

/// Issue 15, I4 and I5 with no coordinator ever again: p3 misses
/// transactions 2 and 3 (both abort), and no coordinator runs after it comes
/// back (its `--dir` is lost, or nobody has anything to request). p3 learns
/// the missed outcomes from its peers on recovery, on its own, and its commit
/// log ends equal to theirs.
#[test]
fn tpc_a_participant_back_with_no_coordinator_learns_what_it_missed() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    request(&cluster, 1, "one", &mut [&mut p1, &mut p2, &mut p3]);
    p3.kill();
    request_aborted(&cluster, 2, "two", &mut [&mut p1, &mut p2]);
    request_aborted(&cluster, 3, "three", &mut [&mut p1, &mut p2]);
    let mut p3 = cluster.participant("p3", Opts::default());
    expect_decided(&mut [&mut p3], 2, "ABORT");
    expect_decided(&mut [&mut p3], 3, "ABORT");
    cluster.assert_logs("one\n\n\n");
}

/// The same when nobody who knows is up as p3 comes back: p1 and p2 are down
/// then, so p3's look-back learns nothing; when p1 comes back (its `JOIN`
/// line), p3 asks again and writes the line it missed.
#[test]
fn tpc_a_participant_back_before_its_peers_learns_when_one_joins() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    request(&cluster, 1, "one", &mut [&mut p1, &mut p2, &mut p3]);
    p3.kill();
    request_aborted(&cluster, 2, "two", &mut [&mut p1, &mut p2]);
    p1.kill();
    p2.kill();
    let mut p3 = cluster.participant("p3", Opts::default());
    // Its first look-back reaches nobody.
    p3.expect("SERVER-ERROR no-such-user ");
    assert_eq!(cluster.commit_log("p3"), "one\n", "nobody up knows 2 yet");
    let _p1 = cluster.participant("p1", Opts::default());
    expect_decided(&mut [&mut p3], 2, "ABORT");
    assert_eq!(cluster.commit_log("p3"), "one\n\n");
}
