//! The normal flow, driven the way people drive it: a human voting and
//! acknowledging on stdin, and several requests on the coordinator's stdin.

use super::{Cluster, Opts, REQUEST, expect_decided};
use crate::support::TestServer;

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

/// Issue 15, defect 5: a chat server with its default flood control (a burst
/// of 10 lines, then 5 a second) carries 20 back-to-back transactions with
/// T = 1 s, all committed. The coordinator sends 9 lines per transaction and
/// starts the next one only once the server has taken every line of the last.
#[test]
fn tpc_defect5_twenty_back_to_back_transactions_on_a_default_server() {
    let server = TestServer::ephemeral();
    let cluster = Cluster::at(server.addr);
    let t = Opts {
        timeout: Some("1s"),
        ..Opts::default()
    };
    let [mut p1, mut p2, mut p3] = cluster.three_with(t.clone());
    let mut coordinator = cluster.coordinator(Opts { stdin: true, ..t });
    coordinator.expect("CONNECTED ");
    let requests: Vec<String> = (1..=20).map(|n| format!("order {n}")).collect();
    for request in &requests {
        coordinator.type_line(request);
    }
    coordinator.close_stdin();
    for tx in 1..=20 {
        expect_decided(
            &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
            tx,
            "COMMIT",
        );
    }
    assert!(coordinator.wait_exit().success());
    let expected: String = requests.iter().map(|r| format!("{r}\n")).collect();
    cluster.assert_logs(&expected);
}
