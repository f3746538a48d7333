//! One server per data directory, through real processes: a second one
//! refuses to start and says who holds the directory; the lock dies with
//! its process, so a restart after `kill -9` works at once.

use std::time::Duration;

use crate::support::{ServerProcess, output_within, server_command};

/// Long enough for any refusal; a server that starts instead runs past it.
const REFUSAL_DEADLINE: Duration = Duration::from_secs(10);

/// Runs a second server on `data`, which must refuse: exit 1, one line.
fn second_server_refuses(data: &str, args: &[&str]) -> String {
    let output = output_within(
        server_command(&["--data-dir", data, "--port", "0"]).args(args),
        REFUSAL_DEADLINE,
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(output.stdout.is_empty(), "it never listened");
    stderr
}

#[test]
fn a_second_server_on_the_same_data_directory_refuses_and_the_first_serves_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = ServerProcess::start(&["--data-dir", data]);
    let mut alice = first.join("alice");
    alice.send("before");
    alice.until("MSG ");
    for args in [&[][..], &["--tls-self-signed", "--tls-port", "0"][..]] {
        let refusal = second_server_refuses(data, args);
        for part in [
            format!("data directory {data} is in use by another chat-server"),
            format!("pid {}", first.pid()),
            format!("{}", first.addr),
            "choose another --data-dir".to_owned(),
        ] {
            assert!(refusal.contains(&part), "{part:?} in {refusal:?}");
        }
    }
    // Nothing was touched: the first server still stores and delivers.
    let mut bob = first.join("bob");
    alice.send("after");
    assert!(alice.until("MSG ").ends_with(" alice #lobby :after"));
    assert!(bob.until("MSG ").ends_with(" alice #lobby :after"));
    assert!(
        !dir.path()
            .join(chatroom::tls::server::SELF_SIGNED_CERT_FILE)
            .exists(),
        "the refused server made no certificate"
    );

    // kill -9 leaves the lock file, not the lock: a new server starts at
    // once and has the history.
    let status = first.signal("KILL");
    assert!(!status.success());
    let second = ServerProcess::start(&["--data-dir", data]);
    let mut carol = second.join("carol");
    carol.send("/history 2");
    assert!(carol.expect("HISTORY ").ends_with(" alice #lobby :before"));
    assert!(carol.expect("HISTORY ").ends_with(" alice #lobby :after"));
}

/// A server with `--ephemeral` keeps nothing there, so it does not hold the
/// directory, and a durable server on the same directory still starts.
#[test]
fn an_ephemeral_server_does_not_hold_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let ephemeral = ServerProcess::start(&["--data-dir", data, "--ephemeral"]);
    let durable = ServerProcess::start(&["--data-dir", data]);
    let mut alice = durable.join("alice");
    alice.send("stored");
    alice.until("MSG ");
    ephemeral.join("bob");
}
