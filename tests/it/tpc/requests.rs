//! What a request may be: its text is committed byte for byte, spaces at
//! either end included; one the participants could never take (empty) or the
//! server could never carry (over the line limit) is refused by the
//! coordinator at once, before anything is sent.

use std::time::Duration;

use super::{Cluster, Opts, expect_decided, expect_run_decided};
use crate::support::output_within;

/// A request whose VOTE-REQUEST cannot fit the protocol's 4096-byte line.
fn too_long() -> String {
    "x".repeat(4000)
}

#[test]
fn tpc_a_request_with_spaces_at_its_ends_commits_as_written() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    let mut coordinator = cluster.coordinator(Opts {
        args: &["--request", " trail "],
        ..Opts::default()
    });
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2, &mut p3], "COMMIT");
    cluster.assert_logs(" trail \n");
}

/// `--request` that cannot work: exit 2 with one line saying why, without
/// waiting out T (it is a minute here) and without a participant online.
#[test]
fn tpc_coordinator_refuses_an_empty_or_oversized_request_at_once() {
    let cluster = Cluster::start();
    for (request, why) in [("", "empty"), (too_long().as_str(), "too long")] {
        let mut command = cluster.coordinator_command(Opts {
            args: &["--request", request],
            timeout: Some("60s"),
            ..Opts::default()
        });
        let output = output_within(&mut command, Duration::from_secs(20));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{why}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{why}: {stderr}");
        assert!(
            stderr.starts_with("chat-coordinator: ") && stderr.contains(why),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "nothing sent: {output:?}");
    }
    cluster.assert_logs("");
}

/// The same lines typed at the coordinator: each gets a line saying why,
/// nothing is sent, and the next request runs as transaction 1.
#[test]
fn tpc_coordinator_ignores_empty_and_oversized_typed_requests() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    let mut coordinator = cluster.coordinator(Opts {
        stdin: true,
        ..Opts::default()
    });
    coordinator.expect("CONNECTED ");
    coordinator.type_line("   ");
    assert!(coordinator.expect("IGNORED :").contains("empty"));
    coordinator.type_line(&too_long());
    assert!(coordinator.expect("IGNORED :").contains("too long"));
    coordinator.type_line("ok");
    coordinator.close_stdin();
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        1,
        "COMMIT",
    );
    assert!(coordinator.wait_exit().success());
    let requests: Vec<&String> = coordinator
        .seen
        .iter()
        .filter(|line| line.contains("VOTE-REQUEST"))
        .collect();
    assert_eq!(requests.len(), 3, "{:?}", coordinator.seen);
    assert!(
        requests.iter().all(|line| line.ends_with(" :ok")),
        "{requests:?}"
    );
    cluster.assert_logs("ok\n");
}
