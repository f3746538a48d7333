//! Bad input: malformed 3PC lines, messages from a non-member, unknown
//! transactions, a participant that is not online. Each is logged and ignored;
//! nothing crashes and the decision is the right one.

use super::{Cluster, Opts, expect_decided, expect_run_decided};
use crate::support::TestServer;

#[test]
fn tpc_bad_input_is_ignored_and_the_transaction_commits() {
    let server = TestServer::unthrottled();
    let cluster = Cluster::at(server.addr);
    let human = Opts {
        args: &["--vote", "ask"],
        stdin: true,
        timeout: Some("3s"),
        ..Opts::default()
    };
    let mut p1 = cluster.participant("p1", human);
    let slow = Opts {
        timeout: Some("3s"),
        ..Opts::default()
    };
    let mut p2 = cluster.participant("p2", slow.clone());
    let mut p3 = cluster.participant("p3", slow.clone());
    let mut coordinator = cluster.coordinator(Opts {
        args: &["--request", "x"],
        ..slow
    });
    p1.expect("PROMPT 1 VOTE ");
    let mut eve = server.join("eve");
    for line in [
        "/msg p1 3PC",
        "/msg p1 3PC FROB 1",
        "/msg p1 3PC STATE 1 SLEEPY",
        "/msg p1 3PC VOTE-REQUEST 1 p1,p1 :dup",
        "/msg p1 3PC GLOBAL-ABORT 1",
        "/msg p1 3PC GLOBAL-COMMIT 7",
        "/msg p1 3PC STATE 1 ABORT",
        "/msg coordinator 3PC VOTE-ABORT 1",
        "/msg coordinator 3PC VOTE-COMMIT 99",
        "/msg coordinator not 3PC at all",
    ] {
        eve.send(line);
    }
    // p1 saw and dropped every one of its seven; the coordinator its three.
    for _ in 0..7 {
        p1.expect("IGNORED :");
    }
    for _ in 0..3 {
        coordinator.expect("IGNORED :");
    }
    p1.type_line("commit");
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2, &mut p3], "COMMIT");
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_participant_not_online_aborts() {
    let cluster = Cluster::start();
    let mut p1 = cluster.participant("p1", Opts::default());
    let mut p2 = cluster.participant("p2", Opts::default());
    // p3 never starts: the server answers ERROR no-such-user to its messages.
    let mut coordinator = cluster.coordinator(Opts {
        args: &["--request", "x"],
        ..Opts::default()
    });
    coordinator.expect("SERVER-ERROR no-such-user ");
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2], "ABORT");
    assert_eq!(cluster.commit_log("p1"), "\n");
    assert_eq!(cluster.commit_log("p2"), "\n");
    // p3 comes online later; the restarted coordinator resends the logged
    // decision to every member, and p3 writes its line too.
    let mut p3 = cluster.participant("p3", Opts::default());
    let mut coordinator = cluster.coordinator(Opts::default());
    expect_decided(&mut [&mut p3], 1, "ABORT");
    assert!(coordinator.wait_exit().success());
    cluster.assert_logs("\n");
}

#[test]
fn tpc_participant_offline_for_two_transactions_catches_up_in_order() {
    let cluster = Cluster::start();
    let mut p1 = cluster.participant("p1", Opts::default());
    let mut p2 = cluster.participant("p2", Opts::default());
    let mut coordinator = cluster.coordinator(Opts {
        stdin: true,
        ..Opts::default()
    });
    coordinator.expect("CONNECTED ");
    coordinator.type_line("first");
    coordinator.type_line("second");
    for tx in 1..=2 {
        expect_decided(&mut [&mut coordinator, &mut p1, &mut p2], tx, "ABORT");
    }
    // p3 joins: the coordinator sends it both decisions it missed, in order.
    let mut p3 = cluster.participant("p3", Opts::default());
    expect_decided(&mut [&mut p3], 1, "ABORT");
    expect_decided(&mut [&mut p3], 2, "ABORT");
    coordinator.type_line("third");
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        3,
        "COMMIT",
    );
    coordinator.close_stdin();
    assert_eq!(
        coordinator.wait_exit().code(),
        Some(1),
        "stdin mode exits 1 when a transaction aborted"
    );
    cluster.assert_logs("\n\nthird\n");
}
