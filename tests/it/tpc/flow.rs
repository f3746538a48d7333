//! The normal flow, driven the way people drive it: a human voting and
//! acknowledging on stdin, and several requests on the coordinator's stdin.

use super::{Cluster, Opts, REQUEST, expect_decided};

#[test]
fn tpc_human_votes_and_acks_on_stdin() {
    let cluster = Cluster::start();
    let human = Opts {
        args: &["--vote", "ask", "--ack", "ask"],
        stdin: true,
        ..Opts::default()
    };
    let mut p1 = cluster.participant("p1", human);
    let mut p2 = cluster.participant("p2", Opts::default());
    let mut p3 = cluster.participant("p3", Opts::default());
    let mut coordinator = cluster.coordinator(Opts {
        args: REQUEST,
        ..Opts::default()
    });
    p1.expect("PROMPT 1 VOTE ");
    p1.type_line("c");
    p1.expect("PROMPT 1 ACK ");
    p1.type_line("");
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        1,
        "COMMIT",
    );
    assert!(coordinator.saw("RECV p1 3PC ACK 1"));
    cluster.assert_logs("x\n");
}

#[test]
fn tpc_stdin_lines_are_transactions_in_order() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    let mut coordinator = cluster.coordinator(Opts {
        stdin: true,
        ..Opts::default()
    });
    coordinator.expect("CONNECTED ");
    for request in ["buy 100", "sell 50", "hold"] {
        coordinator.type_line(request);
    }
    coordinator.close_stdin();
    for tx in 1..=3 {
        expect_decided(
            &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
            tx,
            "COMMIT",
        );
    }
    assert!(
        coordinator.wait_exit().success(),
        "exits at the end of stdin"
    );
    cluster.assert_logs("buy 100\nsell 50\nhold\n");
}
