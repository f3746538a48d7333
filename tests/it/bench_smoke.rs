//! A tiny run of the load generator (`examples/bench`) against an in-process
//! server, so the benchmark cannot rot. It checks counts, never speeds.

#[allow(dead_code)]
#[path = "../../examples/bench/load/mod.rs"]
pub(crate) mod load;
#[allow(dead_code)]
#[path = "../../examples/bench/rooms/mod.rs"]
mod rooms;
#[path = "../../examples/bench/stacks.rs"]
mod stacks;

use std::net::TcpListener;
use std::time::Duration;

use chatroom::server::{Listeners, Server};
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

/// The same over chat-server's IRC front, as `bench compare` measures it
/// (the server `chatroom-irc`): NICK/USER, JOIN #bench, PRIVMSG, no echo.
#[test]
fn fanout_over_the_irc_front_reaches_every_client() {
    let any = "127.0.0.1:0".parse().unwrap();
    let listeners = Listeners {
        plain: Some(chatroom::server::bind(any).expect("bind TCP")),
        irc: Some(chatroom::server::bind(any).expect("bind IRC")),
        ..Listeners::default()
    };
    let server = Server::start(listeners, crate::support::unthrottled()).expect("server starts");
    let irc = server.irc_addr().expect("an IRC port");
    let mut plan = Plan::new(irc, Dialect::Irc, 20);
    plan.load = Load::Burst {
        senders: 3,
        messages: 50,
    };
    let outcome = load::run(&plan).expect("generator runs");
    let summary = outcome.summary();
    assert_eq!(outcome.registered, 20, "{summary}");
    assert_eq!(
        outcome.joins,
        Dialect::Irc.expected_joins(20),
        "everyone told of every JOIN, their own too\n{summary}"
    );
    assert_eq!(outcome.sent, 150, "{summary}");
    assert_eq!(
        outcome.delivered,
        150 * 19,
        "no copy to the sender\n{summary}"
    );
    assert_eq!((outcome.missing, outcome.closed), (0, 0), "{summary}");
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

/// A short, quick many-rooms run against `target`.
fn tiny_rooms(target: std::net::SocketAddr) -> rooms::Setup {
    rooms::Setup {
        target,
        dialect: Dialect::Chat,
        layout: rooms::layout::Layout {
            rooms: 1,
            members: 1,
            per_client: 1,
            senders: 1,
        },
        threads: 1,
        window: 100,
        rate: 100.0,
        duration: Duration::from_millis(300),
        name_prefix: "m".into(),
        quickack: false,
        stall: Duration::from_secs(5),
        label: None,
    }
}

/// The many-rooms scenario, tiny: 4 rooms of 5, every client in 2 of them,
/// 2 senders in each. Every member gets every message of its rooms, once, in
/// its room's one order, and nothing lands in a room it was not sent to.
#[test]
fn many_rooms_lose_nothing_and_keep_one_order_per_room() {
    let server = start_server();
    let shape = rooms::layout::Layout {
        rooms: 4,
        members: 5,
        per_client: 2,
        senders: 2,
    };
    let setup = rooms::Setup {
        layout: shape,
        ..tiny_rooms(server.local_addr())
    };
    let outcome = rooms::run(&setup).expect("generator runs");
    let summary = outcome.summary();
    assert_eq!(
        outcome.ready, 10,
        "every client in both its rooms\n{summary}"
    );
    assert_eq!((outcome.errors, outcome.closed), (0, 0), "{summary}");
    assert!(outcome.sent > 0, "the senders sent\n{summary}");
    let findings = outcome.findings;
    assert_eq!(findings.expected, outcome.sent * 5, "{summary}");
    assert_eq!(findings.delivered, findings.expected, "{summary}");
    assert_eq!(outcome.faults(), 0, "{summary}");
    server.shutdown().expect("clean shutdown");
}

/// A run that could not get its clients in says so (`bench rooms` exits
/// non-zero), rather than reporting zero losses of nothing.
#[test]
fn a_rooms_run_nobody_got_into_is_a_failure() {
    let nobody = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = nobody.local_addr().expect("address");
    drop(nobody); // connections to it are refused
    let layout = rooms::layout::Layout {
        rooms: 2,
        members: 2,
        per_client: 1,
        senders: 1,
    };
    let setup = rooms::Setup {
        layout,
        stall: Duration::from_secs(5),
        ..tiny_rooms(addr)
    };
    let outcome = rooms::run(&setup).expect("generator runs");
    let verdict = outcome.verdict();
    assert!(verdict.is_err(), "{}", outcome.summary());
    assert!(
        verdict.unwrap_err().contains("0 of 4 clients"),
        "{}",
        outcome.summary()
    );
}

/// `bench stacks` finds a thread's deepest point: here, a thread of our own
/// with a 128 KiB stack that went 24 KiB deep and then waits.
#[test]
fn stack_depth_is_the_deepest_point_a_thread_reached() {
    #[inline(never)]
    fn go_deep() {
        let deep = [1u8; 24 * 1024];
        std::hint::black_box(&deep);
    }
    let (deep_done, went_deep) = crossbeam_channel::bounded(0);
    let (release, released) = crossbeam_channel::bounded::<()>(0);
    let thread = std::thread::Builder::new()
        .name("deep-stack".into())
        .stack_size(128 * 1024)
        .spawn(move || {
            go_deep();
            deep_done.send(()).unwrap();
            let _ = released.recv();
        })
        .unwrap();
    went_deep.recv().unwrap();
    let depths = stacks::measure(std::process::id(), 128).expect("reads its own stacks");
    drop(release);
    thread.join().unwrap();
    assert!(
        depths
            .iter()
            .any(|&depth| (24 * 1024..64 * 1024).contains(&depth)),
        "no stack reached 24 KiB: {depths:?}"
    );
}
