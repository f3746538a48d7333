//! The `chat-server` binary as users run it: signals, exit codes, startup
//! errors that say what to do, and the HTTP-style frame log.

use std::io::BufRead;
use std::net::TcpListener;
use std::process::Output;

use crate::support::{Client, ServerProcess, server_command};

#[test]
fn sigterm_and_sigint_say_bye_and_exit_zero() {
    for signal in ["TERM", "INT"] {
        let server = ServerProcess::start(&["--ephemeral"]);
        let mut alice = server.join("alice");
        let mut waiting = server.connect();
        let status = server.signal(signal);
        assert!(status.success(), "SIG{signal}: exit {status:?}");
        assert_eq!(alice.rest(), ["BYE :server shutting down"]);
        assert_eq!(waiting.rest(), ["BYE :server shutting down"]);
    }
}

/// Runs `chat-server` expecting it to refuse to start: exit 1 and a single
/// line on stderr that contains `hint` and says its cause once.
fn check_refuses(args: &[&str], hint: &str) {
    let Output { status, stderr, .. } = server_command(args).output().unwrap();
    let stderr = String::from_utf8(stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(
        stderr.starts_with("chat-server: ") && stderr.contains(hint),
        "{args:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"));
    assert!(
        stderr.matches("(os error").count() <= 1,
        "the cause said once: {stderr}"
    );
}

#[test]
fn startup_errors_are_one_line_with_what_to_do() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    check_refuses(
        &["--ephemeral", "--port", &port],
        "already in use; stop the other server or choose another --port",
    );
    check_refuses(
        &["--ephemeral", "--port", "0", "--host", "192.0.2.1"],
        "not an address of this machine",
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let under_file = file.join("data");
    let under_file = under_file.to_str().unwrap();
    check_refuses(
        &["--port", "0", "--data-dir", under_file],
        "cannot use data directory",
    );
    check_refuses(
        &["--port", "0", "--data-dir", file.to_str().unwrap()],
        "Not a directory (os error 20); choose a writable --data-dir",
    );
    check_refuses(
        &["user", "list", "--data-dir", file.to_str().unwrap()],
        "Not a directory (os error 20); choose a writable --data-dir",
    );
    check_refuses(
        &["user", "list", "--data-dir", under_file],
        "Not a directory (os error 20); choose a writable --data-dir",
    );
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();
    check_refuses(
        &[
            "--ephemeral",
            "--port",
            "0",
            "--tls-cert",
            missing,
            "--tls-key",
            missing,
        ],
        "No such file or directory",
    );

    let corrupt = dir.path().join("corrupt");
    std::fs::create_dir(&corrupt).unwrap();
    std::fs::write(
        corrupt.join(chatroom::server::DATABASE_FILE),
        vec![0x42u8; 8192],
    )
    .unwrap();
    check_refuses(
        &["--port", "0", "--data-dir", corrupt.to_str().unwrap()],
        "move it aside",
    );
}

/// Every server line fits the protocol's 8192 bytes whatever `--max-line`
/// allows: the flag stops at 8000, where the longest line a client may send
/// still fits once it carries an id, a time and two 32-character names.
#[test]
fn max_line_keeps_every_server_line_within_the_protocol() {
    let spawning = crate::support::spawning();
    let too_big = server_command(&["--ephemeral", "--port", "0", "--max-line", "8001"])
        .output()
        .unwrap();
    drop(spawning);
    assert_eq!(too_big.status.code(), Some(2), "clap refuses the value");
    let stderr = String::from_utf8_lossy(&too_big.stderr);
    assert!(
        stderr.contains("--max-line") && stderr.contains("8000"),
        "{stderr}"
    );

    let server = ServerProcess::start(&["--ephemeral", "--max-line", "8000", "--flood-rate", "0"]);
    let (long_a, long_b) = ("a".repeat(32), "b".repeat(32));
    let mut alice = server.join(&long_a);
    let mut bob = server.join(&long_b);
    alice.expect("JOIN ");
    let text = "x".repeat(7999);
    alice.send(&text);
    let to_bob = format!("/msg {long_b} {}", "y".repeat(8000 - 1 - 6 - 32));
    alice.send(&to_bob);
    alice.send("/history 1");
    let lines = [
        alice.expect("MSG "),
        alice.expect("PRIV "),
        alice.expect("HISTORY "),
        bob.expect("MSG "),
        bob.expect("PRIV "),
    ];
    for line in &lines {
        assert!(
            line.len() < 8192, // the LF makes it 8192 at most
            "{} bytes: {}...",
            line.len() + 1,
            &line[..60]
        );
    }
    assert!(lines[0].ends_with(&text), "the whole text arrived");
}

#[test]
fn help_and_version() {
    let help = server_command(&["--help"]).output().unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(help.status.success());
    for flag in [
        "--host",
        "--port",
        "--data-dir",
        "--ephemeral",
        "--history",
        "--allow-users",
        "--max-line",
        "--max-clients",
        "--log-format",
    ] {
        assert!(text.contains(flag), "--help lists {flag}");
    }
    let version = server_command(&["--version"]).output().unwrap();
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("chat-server {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn http_log_format_prints_each_frame_as_a_request() {
    let (mut child, addr, mut stdout) =
        ServerProcess::start_with_stdout(&["--ephemeral", "--log-format", "http"]);
    let mut client = Client::connect(addr);
    client.expect("HELLO");
    client.send("alice");
    client.until("HISTORY-END");
    client.send("hi bob");
    client.expect("MSG ");
    let mut block = Vec::new();
    let mut line = String::new();
    while !block.iter().any(|l: &String| l == "hi bob") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "stdout ended");
        block.push(line.trim_end().to_owned());
    }
    let start = block
        .iter()
        .rposition(|l| l == "POST /chat HTTP/1.1")
        .expect("a request line");
    let request = &block[start..];
    assert!(request[1].starts_with("Host: 127.0.0.1:"));
    assert!(request[2].starts_with("User-Agent: chatroom-client (alice@127.0.0.1:"));
    assert_eq!(request[3], "Content-Type: text/plain; charset=utf-8");
    assert_eq!(request[4], "Content-Length: 6");
    assert!(request[5].starts_with("Date: ") && request[5].ends_with(" GMT"));
    assert_eq!(request[6], "");
    let _ = child.kill();
    let _ = child.wait();
}

/// Whoever reads the `Listening` lines may go away at once (`chat-server |
/// head -1`, or a script that wanted only the first line): the server must
/// go on serving, not panic on its next line to a closed pipe. The address
/// is read from the data directory's lock file, since stdout is closed
/// before the server writes anything to it.
#[test]
fn a_closed_stdout_never_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let spawning = crate::support::spawning();
    let mut child = server_command(&["--data-dir", dir.path().to_str().unwrap()])
        .args(["--port", "0", "--udp-port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn chat-server");
    drop(spawning);
    drop(child.stdout.take());
    let lock = dir.path().join(chatroom::server::LOCK_FILE);
    let mut addr = None;
    let recorded = crate::support::eventually(std::time::Duration::from_secs(10), || {
        let text = std::fs::read_to_string(&lock).unwrap_or_default();
        addr = text
            .lines()
            .find_map(|line| line.strip_prefix("plain "))
            .and_then(|a| a.trim().parse::<std::net::SocketAddr>().ok());
        addr.is_some() || child.try_wait().unwrap().is_some()
    });
    assert!(recorded, "the server recorded no address in {lock:?}");
    let status = child.try_wait().unwrap();
    assert!(
        status.is_none(),
        "chat-server exited with a closed stdout: {status:?}"
    );
    // A whole exchange, not only the greeting: a server that panicked on
    // its stdout could still be greeting while it shuts down.
    let mut client = Client::connect(addr.unwrap());
    client.expect("HELLO ");
    client.send("reader");
    client.expect("WELCOME reader ");
    client.until("HISTORY-END ");
    client.send("still here");
    client.until("MSG ");
    // A server that panicked exits 101 (perhaps only after it finished
    // greeting); a healthy one exits 0 on SIGTERM.
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with a pid we own and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill -TERM");
    let status = crate::support::wait_within(&mut child, std::time::Duration::from_secs(10))
        .expect("chat-server still running 10 s after SIGTERM");
    assert!(
        status.success(),
        "chat-server with a closed stdout: {status:?}"
    );
}
