//! A tiny run of the load generator (`examples/bench`) against an in-process
//! server, so the benchmark cannot rot. It checks counts, never speeds.

#[allow(dead_code)]
#[path = "../../examples/bench/load/mod.rs"]
mod load;

use std::net::TcpListener;
use std::time::Duration;

use chatroom::server::Server;
use load::{Dialect, Load, Plan};

fn start_server() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    // Every generated client comes from 127.0.0.1 and sends at full speed.
    Server::start(listener, crate::support::unthrottled()).expect("server starts")
}

#[test]
fn fanout_reaches_every_client() {
    let server = start_server();
    let mut plan = Plan::new(server.local_addr(), Dialect::Chat, 20);
    plan.load = Load::Burst {
        senders: 3,
        messages: 50,
    };
    let outcome = load::run(&plan).expect("generator runs");
    assert_eq!(outcome.registered, 20);
    assert_eq!(
        outcome.joins,
        Dialect::Chat.expected_joins(20),
        "everyone told of every JOIN"
    );
    assert_eq!(outcome.sent, 150);
    assert_eq!(
        outcome.delivered,
        150 * 20,
        "the sender gets its own copy too"
    );
    assert_eq!(outcome.missing, 0);
    assert_eq!(outcome.closed, 0);
    server.shutdown().expect("clean shutdown");
}

#[test]
fn latency_probes_are_timed() {
    let server = start_server();
    let mut plan = Plan::new(server.local_addr(), Dialect::Chat, 10);
    plan.load = Load::Paced {
        senders: 2,
        rate: 200.0,
        duration: Duration::from_millis(200),
    };
    let outcome = load::run(&plan).expect("generator runs");
    assert!(outcome.sent > 0, "the pacer sent something");
    assert_eq!(outcome.delivered, outcome.sent * 10);
    assert_eq!(outcome.missing, 0);
    let samples = outcome.latency.as_ref().map_or(0, |h| h.len());
    assert_eq!(
        samples, outcome.delivered,
        "every delivery carried a readable stamp"
    );
    server.shutdown().expect("clean shutdown");
}
