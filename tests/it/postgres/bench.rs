//! `bench cluster`'s engine against three real nodes on one database: the
//! generator spreads its clients round-robin over the nodes, every message
//! reaches every client whichever node it was sent to, and latency is told
//! apart by the sender's and the receiver's node. Counts, never speeds.

use std::time::Duration;

use crate::bench_smoke::load::{self, Dialect, Load, Plan};
use crate::support::shared_postgres;

use super::store::start_node;

#[test]
fn the_cluster_benchmark_spreads_clients_over_three_nodes_and_accounts_for_every_message() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let data: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let nodes: Vec<_> = data.iter().map(|data| start_node(&url, data)).collect();
    let mut plan = Plan::new(nodes[0].addr, Dialect::Chat, 12);
    plan.other_nodes = nodes[1..].iter().map(|node| node.addr).collect();
    plan.load = Load::Burst {
        senders: 6,
        messages: 20,
    };
    let fanout = load::run(&plan).expect("generator runs");
    let summary = fanout.summary();
    assert_eq!(fanout.registered, 12, "{summary}");
    assert_eq!(fanout.sent, 120, "{summary}");
    assert_eq!(
        fanout.delivered,
        120 * 12,
        "every client, every node\n{summary}"
    );
    assert_eq!(fanout.missing, 0, "{summary}");

    plan.name_prefix = "l".into();
    plan.load = Load::Paced {
        senders: 3,
        rate: 60.0,
        duration: Duration::from_millis(500),
    };
    let latency = load::run(&plan).expect("generator runs");
    let summary = latency.summary();
    assert_eq!(latency.missing, 0, "{summary}");
    assert!(latency.sent > 0, "{summary}");
    assert_eq!(latency.nodes, 3);
    // Senders 0, 1 and 2 are on nodes 0, 1 and 2: each node receives from
    // its own and from the two others.
    for node in 0..3 {
        assert!(
            latency
                .latency_between(|s, r| s == node && r == node)
                .is_some(),
            "{summary}"
        );
        assert!(
            latency
                .latency_between(|s, r| s != node && r == node)
                .is_some(),
            "{summary}"
        );
    }
    assert!(summary.contains("cross-node: p50"), "{summary}");
}
