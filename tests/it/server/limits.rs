//! The server at the machine's limits: a connection past a limit is refused
//! with `BYE :server full`, everyone else carries on, the process lives.

use std::io::Read;
use std::process::Command;

use chatroom::server::ServerOptions;
use chatroom::server::capacity::MachineLimits;

use crate::support::{Client, LINE_DEADLINE, ServerProcess, TestServer, eventually, unthrottled};

/// `chat-server args` under a descriptor limit of `files`, with
/// `prlimit` (util-linux).
fn under_file_limit(files: u32, args: &[&str]) -> Command {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--nofile={files}:{files}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_chat-server"))
        .args(crate::support::IRC_ON_FREE_PORTS)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    command
}

#[test]
fn out_of_descriptors_the_late_ones_are_told_and_the_early_ones_keep_chatting() {
    // 100 descriptors leave room for 36 clients (capacity.rs keeps 64).
    let args = ["--ephemeral", "--max-per-ip", "0", "--flood-rate", "0"];
    let mut server = ServerProcess::start_command(under_file_limit(100, &args));
    let mut admitted = Vec::new();
    let mut refused = 0;
    for _ in 0..120 {
        let mut client = Client::connect(server.addr);
        let first = client.line();
        if first.starts_with("HELLO ") {
            admitted.push(client);
        } else {
            assert_eq!(first, "BYE :server full");
            assert_eq!(client.try_line(), None, "then the connection closes");
            refused += 1;
        }
    }
    assert!(admitted.len() >= 30, "{} admitted", admitted.len());
    assert_eq!(admitted.len() + refused, 120);
    let (mut first, mut last) = (admitted.remove(0), admitted.pop().unwrap());
    first.send("early");
    first.expect("WELCOME early ");
    last.send("late");
    last.expect("WELCOME late ");
    first.until("JOIN ");
    last.send("still here");
    assert!(first.until("MSG ").ends_with(" late #lobby :still here"));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server lives"
    );
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mut log = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("does not fit")).collect();
    assert_eq!(warnings.len(), 1, "one warning at start: {log}");
    assert!(warnings[0].contains("ulimit -n"), "{log}");
    let refusals: Vec<&str> = log.lines().filter(|l| l.contains("refused")).collect();
    assert!(
        refusals[0].contains("refused: server full") && refusals[0].contains("ulimit -n"),
        "the first refusal names the limit: {log}"
    );
    // The others are summed up every few seconds, not logged one by one.
    assert!(
        refused > 40 && refusals.len() < refused / 4,
        "{refused} refused: {log}"
    );
}

#[test]
fn a_small_mapping_budget_is_kept_to() {
    // Room for three client threads: (2048 + 4 * 19) mappings, 16 kept.
    let server = TestServer::start(ServerOptions {
        machine_limits: Some(MachineLimits {
            max_map_count: Some(2048 + 4 * (16 + 3)),
            ..MachineLimits::default()
        }),
        ..unthrottled()
    });
    let mut alice = server.join("alice");
    let bob = server.join("bob");
    let _carol = server.join("carol");
    let mut late = Client::connect(server.addr);
    assert_eq!(late.line(), "BYE :server full");
    alice.send("/who");
    alice.until("USERS-END ");
    drop(bob);
    alice.until("LEAVE ");
    let eventually_admitted = eventually(LINE_DEADLINE, || {
        let mut next = Client::connect(server.addr);
        next.line().starts_with("HELLO ")
    });
    assert!(eventually_admitted, "a thread given back is used again");
}

#[test]
fn check_prints_the_capacity_and_each_limit() {
    let spawning = crate::support::spawning();
    let output = under_file_limit(200, &["--check", "--max-clients", "1000"])
        .output()
        .expect("run chat-server --check");
    drop(spawning);
    assert!(output.status.success());
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(
        report.starts_with("capacity: 136 clients (open files"),
        "{report}"
    );
    for limit in [
        "vm.max_map_count",
        "kernel.pid_max",
        "pids.max",
        "ulimit -n 65536",
    ] {
        assert!(report.contains(limit), "{limit} missing: {report}");
    }
}
