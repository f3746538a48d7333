//! What a request may be: its text is committed byte for byte, spaces at
//! either end included; one the participants could never take (empty) or the
//! server could never carry (over the line limit) is refused by the
//! coordinator at once, before anything is sent.

use super::{Cluster, Opts, expect_run_decided};

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
