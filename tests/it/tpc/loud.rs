//! Issue 15, "failures are loud": what a person running the binaries sees
//! when something is wrong, and the exit codes scripts see.

use std::ffi::{OsStr, OsString};
use std::net::TcpListener;
use std::process::Command;

use chatroom::tpc::auth::GroupKey;

use super::{Cluster, Opts, Proc, expect_decided};

/// A participant command with only the flags given (no `--wait-for-name`).
fn bare_participant(cluster: &Cluster, name: &str, dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chat-participant"));
    let port = cluster.addr.port().to_string();
    command.args(["--host", "127.0.0.1", "--port", &port, "--name", name]);
    command.arg("--dir").arg(dir);
    command
        .arg("--key-file")
        .arg(cluster.path().join("chat3pc.key"));
    command
}

#[test]
fn tpc_without_a_server_the_process_says_it_is_retrying() {
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cluster = Cluster::at(free);
    let command = bare_participant(&cluster, "p1", cluster.path());
    let mut p1 = Proc::spawn("p1", command, false);
    let line = p1.expect("RETRYING :");
    assert!(line.contains("cannot reach the chat server"), "{line}");
}

#[test]
fn tpc_a_taken_name_or_directory_exits_2_at_once() {
    let cluster = Cluster::start();
    let _p1 = cluster.participant("p1", Opts::default());
    let elsewhere = tempfile::tempdir().unwrap();
    let command = bare_participant(&cluster, "p1", elsewhere.path());
    let mut second = Proc::spawn("second p1", command, false);
    assert_eq!(second.wait_exit().code(), Some(2), "name taken");
    // The same name in the same directory: the state log is locked.
    let command = bare_participant(&cluster, "p1", cluster.path());
    let mut third = Proc::spawn("third p1", command, false);
    assert_eq!(third.wait_exit().code(), Some(2), "state log in use");
    assert!(!third.saw("CONNECTED"), "refused before connecting");
}

#[test]
fn tpc_a_bad_or_late_answer_gets_a_reply_and_the_ack_prompt_shows_t() {
    let cluster = Cluster::start();
    let human = Opts {
        args: &["--vote", "ask", "--ack", "ask"],
        stdin: true,
        timeout: Some("3s"),
        ..Opts::default()
    };
    let mut p1 = cluster.participant("p1", human);
    let [mut p2, mut p3] = ["p2", "p3"].map(|n| cluster.participant(n, Opts::default()));
    let mut coordinator = cluster.coordinator(Opts {
        args: &["--request", "x"],
        timeout: Some("3s"),
        ..Opts::default()
    });
    p1.expect("PROMPT 1 VOTE ");
    p1.type_line("maybe");
    let reply = p1.expect("IGNORED :");
    assert!(reply.contains("type c to commit or a to abort"), "{reply}");
    p1.type_line("c");
    // The coordinator commits T after its PRECOMMIT, with or without this
    // ACK: the prompt shows T (3 s), not this process's own T + T/6.
    let prompt = p1.expect("PROMPT 1 ACK ");
    assert!(prompt.starts_with("PROMPT 1 ACK 3 "), "{prompt}");
    p1.type_line("");
    expect_decided(
        &mut [&mut coordinator, &mut p1, &mut p2, &mut p3],
        1,
        "COMMIT",
    );
    p1.type_line("c");
    let late = p1.expect("IGNORED :");
    assert!(late.contains("nothing is asked now"), "{late}");
}

#[test]
fn tpc_stdin_mode_exits_1_when_a_transaction_aborted() {
    let cluster = Cluster::start();
    let _p1 = cluster.participant("p1", Opts::default());
    let _p2 = cluster.participant("p2", Opts::default());
    let votes_abort = Opts {
        args: &["--vote", "abort"],
        ..Opts::default()
    };
    let _p3 = cluster.participant("p3", votes_abort);
    let mut coordinator = cluster.coordinator(Opts {
        stdin: true,
        ..Opts::default()
    });
    coordinator.expect("CONNECTED ");
    coordinator.type_line("refused by p3");
    expect_decided(&mut [&mut coordinator], 1, "ABORT");
    coordinator.close_stdin();
    assert_eq!(coordinator.wait_exit().code(), Some(1));
}

/// Runs a 3PC binary with `args` (no server needed: it stops first) and
/// checks it exits 2 with one stderr line holding every piece of `expected`.
fn check_refused(binary: &str, args: &[OsString], expected: &[&str]) {
    let mut command = Command::new(binary);
    command.args(args).env("RUST_LOG", "off");
    let output = crate::support::output_within(&mut command, super::DEADLINE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
    for piece in expected {
        assert!(stderr.contains(piece), "{args:?}: {piece:?} in {stderr}");
    }
}

/// Paths that are not what a flag wants: each refused with what is wrong and
/// what to do next, exit 2, one line.
#[test]
fn tpc_a_directory_as_key_file_or_a_missing_dir_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = |p: &str| dir.path().join(p).into_os_string();
    let missing = path("no/such/dir");
    let participant = env!("CARGO_BIN_EXE_chat-participant");
    let coordinator = env!("CARGO_BIN_EXE_chat-coordinator");
    let with = |flags: &[&OsStr]| -> Vec<OsString> {
        let name = ["--name", "p1"].map(OsString::from);
        name.into_iter()
            .chain(flags.iter().map(|f| f.to_os_string()))
            .collect()
    };
    let key_file = "--key-file".as_ref();
    let dir_flag = "--dir".as_ref();
    let keygen = OsString::from("keygen");
    let here = dir.path().as_os_str();
    check_refused(
        participant,
        &with(&[key_file, here]),
        &["is a directory", "chat3pc.key", "keygen"],
    );
    check_refused(
        participant,
        &with(&[dir_flag, &missing]),
        &["--dir", "no such directory", "mkdir -p"],
    );
    let file = path("a-file");
    std::fs::write(&file, "").unwrap();
    check_refused(
        participant,
        &with(&[dir_flag, &file]),
        &["--dir", "not a directory"],
    );
    check_refused(
        coordinator,
        &[keygen.clone(), here.to_os_string()],
        &["is a directory", "keygen"],
    );
    let nowhere = path("no/such/dir/group.key");
    check_refused(
        coordinator,
        &[keygen, nowhere],
        &["no such directory", "mkdir -p"],
    );
}

/// A participant busy with coordinator A's undecided transaction answers a
/// second coordinator B's VOTE-REQUEST with `BUSY`, so B aborts at once
/// instead of waiting out its T (20 s here, beyond the test's deadline), and
/// A's transaction goes on undisturbed.
#[test]
fn tpc_a_busy_participant_tells_a_second_coordinator_at_once() {
    let cluster = Cluster::start();
    let slow = Opts {
        timeout: Some("20s"),
        ..Opts::default()
    };
    let mut p1 = cluster.participant(
        "p1",
        Opts {
            args: &["--vote", "ask"],
            stdin: true,
            ..slow.clone()
        },
    );
    let mut p2 = cluster.participant("p2", slow.clone());
    let mut p3 = cluster.participant("p3", slow.clone());
    let mut a = cluster.coordinator(Opts {
        args: &["--request", "from-a"],
        ..slow
    });
    p1.expect("PROMPT 1 VOTE ");
    // B has its own --dir, whose ids already went past A's.
    let b_dir = tempfile::tempdir().unwrap();
    std::fs::write(b_dir.path().join("b.state"), "NEXT 5\n").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_chat-coordinator"));
    let port = cluster.addr.port().to_string();
    command.args(["--host", "127.0.0.1", "--port", &port, "--name", "b"]);
    command.args(["--participants", "p1", "--timeout", "20s"]);
    command
        .args(["--request", "from-b"])
        .arg("--dir")
        .arg(b_dir.path());
    command
        .arg("--key-file")
        .arg(cluster.path().join("chat3pc.key"));
    let mut b = Proc::spawn("b", command, false);
    let busy = b.expect("STEP 5 :");
    assert!(busy.contains("p1 is busy with transaction 1"), "{busy}");
    expect_decided(&mut [&mut b], 5, "ABORT");
    assert_eq!(b.wait_exit().code(), Some(1), "an aborted --request");
    assert!(!p1.saw("STATE 5"), "p1 took part in B's transaction");
    p1.type_line("commit");
    expect_decided(&mut [&mut a, &mut p1, &mut p2, &mut p3], 1, "COMMIT");
    cluster.assert_logs("from-a\n");
}

/// A coordinator given another key than its participants: both sides say
/// what is wrong and what to do, instead of only "votes from nobody".
#[test]
fn tpc_a_mismatched_key_is_named_on_both_sides() {
    let cluster = Cluster::start();
    let [mut p1, mut p2, mut p3] = cluster.three();
    let other = tempfile::tempdir().unwrap();
    let other_key = other.path().join("other.key");
    GroupKey::create_file(&other_key).unwrap();
    let other_key = other_key.to_str().unwrap();
    let mut coordinator = cluster.coordinator(Opts {
        args: &["--request", "x", "--key-file", other_key],
        ..Opts::default()
    });
    for p in [&mut p1, &mut p2, &mut p3] {
        let line = p.expect("KEY-MISMATCH coordinator :");
        assert!(line.contains("give every process"), "{line}");
    }
    // One line per participant, in the order their answers arrive.
    let mut named = Vec::new();
    for _ in 0..3 {
        let line = coordinator.expect("KEY-MISMATCH ");
        assert!(line.contains(other_key), "names our key file: {line}");
        assert!(line.contains("give every process"), "{line}");
        named.push(line.split(' ').nth(1).unwrap_or_default().to_owned());
    }
    named.sort();
    assert_eq!(named, ["p1", "p2", "p3"]);
    expect_decided(&mut [&mut coordinator], 1, "ABORT");
    assert_eq!(coordinator.wait_exit().code(), Some(1));
}
