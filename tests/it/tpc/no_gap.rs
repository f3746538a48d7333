//! Issue 15, defect 3: a participant that was down while whole transactions
//! ran, and came back while no coordinator ran (`--request` mode leaves the
//! coordinator down between transactions), still gets one line for every
//! transaction, in order: every commit log ends identical (I4, I5).

use super::{Cluster, Opts, Proc, expect_decided, expect_run_decided};

/// Runs `--request text` to its end and returns the coordinator.
fn request(cluster: &Cluster, text: &str, members: &mut [&mut Proc], outcome: &str) {
    let args = ["--request", text];
    let mut coordinator = cluster.coordinator(Opts {
        args: &args,
        ..Opts::default()
    });
    expect_run_decided(&mut coordinator, members, outcome);
}

#[test]
fn tpc_defect3_a_participant_back_between_requests_gets_every_missed_line() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    request(&cluster, "one", &mut [&mut p1, &mut p2, &mut p3], "COMMIT");
    p3.kill();
    // Transactions 2 and 3 abort without p3 (the server answers no-such-user).
    let args = ["--request", "two"];
    let mut coordinator = cluster.coordinator(Opts {
        args: &args,
        ..Opts::default()
    });
    expect_decided(&mut [&mut coordinator, &mut p1, &mut p2], 2, "ABORT");
    assert_eq!(coordinator.wait_exit().code(), Some(1));
    let args = ["--request", "three"];
    let mut coordinator = cluster.coordinator(Opts {
        args: &args,
        ..Opts::default()
    });
    expect_decided(&mut [&mut coordinator, &mut p1, &mut p2], 3, "ABORT");
    assert_eq!(coordinator.wait_exit().code(), Some(1));
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
