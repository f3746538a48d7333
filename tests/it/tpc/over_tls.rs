//! 3PC over TLS: the coordinator and participants take the client's TLS flags.

use super::{Cluster, Opts, expect_run_decided};
use crate::support::unthrottled;
use crate::tls::TlsServer;

#[test]
fn a_transaction_commits_over_tls_with_a_pinned_certificate() {
    let server = TlsServer::start(|_| unthrottled());
    let cluster = Cluster::at(server.tls);
    let pin = ["--tls-fingerprint", server.fingerprint.as_str()];
    let participant = Opts {
        args: &pin,
        ..Opts::default()
    };
    let [mut p1, mut p2, mut p3] =
        ["p1", "p2", "p3"].map(|name| cluster.participant(name, participant.clone()));
    let request = [
        "--tls-fingerprint",
        server.fingerprint.as_str(),
        "--request",
        "sealed",
    ];
    let mut coordinator = cluster.coordinator(Opts {
        args: &request,
        ..Opts::default()
    });
    expect_run_decided(&mut coordinator, &mut [&mut p1, &mut p2, &mut p3], "COMMIT");
    cluster.assert_logs("sealed\n");
}

#[test]
fn a_certificate_that_does_not_match_the_pin_is_final_not_retried() {
    let server = TlsServer::start(|_| unthrottled());
    let cluster = Cluster::at(server.tls);
    let wrong = "00".repeat(32);
    let request = ["--tls-fingerprint", wrong.as_str(), "--request", "never"];
    let mut coordinator = cluster.coordinator(Opts {
        args: &request,
        ..Opts::default()
    });
    let status = coordinator.wait_exit();
    assert_eq!(
        status.code(),
        Some(2),
        "an untrusted server is an error, not something to retry"
    );
    assert!(cluster.commit_log("p1").is_empty());
}
