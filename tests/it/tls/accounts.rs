//! Accounts: `/login`, names that belong to accounts, `--require-login`,
//! passwords refused in clear from other hosts, failed logins slowed per
//! address, `chat-server user ...`, and logs that never hold a password.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chatroom::server::ServerOptions;
use chatroom::server::accounts::Accounts;

use super::{TlsClient, TlsServer, with_accounts};
use crate::client::PlainClient;
use crate::support::{Client, server_command};

const PASSWORD: &str = "correct horse battery";

fn elsewhere() -> IpAddr {
    "127.0.0.2".parse().unwrap()
}

/// The test configuration with an account `alice`.
fn with_alice(dir: &Path) -> ServerOptions {
    Accounts::in_dir(dir).add("alice", PASSWORD).unwrap();
    with_accounts(dir)
}

fn plain(addr: SocketAddr) -> Client {
    let mut client = Client::connect(addr);
    client.expect("HELLO ");
    client
}

#[test]
fn login_right_and_wrong_and_names_that_belong_to_accounts() {
    let server = TlsServer::start(with_alice);
    let mut local = plain(server.plain);
    local.send("alice");
    local.expect("ERROR login-required :alice belongs to an account");
    local.send("/name ALICE");
    local.expect("ERROR login-required ");
    local.send("/login alice wrong password");
    local.expect("ERROR login-failed ");
    local.send("/login nobody whatever");
    local.expect("ERROR login-failed ");
    local.send(&format!("/login Alice {PASSWORD}"));
    local.expect("WELCOME Alice ");
    local.until("HISTORY-END ");
    local.send("/login alice again");
    local.expect("ERROR unknown-command ");

    let mut carol = server.connect_tls();
    carol.send("carol");
    carol.expect("WELCOME carol ");
}

#[test]
fn require_login_admits_only_accounts() {
    let server = TlsServer::start(|dir| ServerOptions {
        require_login: true,
        ..with_alice(dir)
    });
    let mut client = server.connect_tls();
    client.send("carol");
    client.expect("ERROR login-required :This server admits only accounts");
    client.send(&format!("/login alice {PASSWORD}"));
    client.expect("WELCOME alice ");
}

#[test]
fn a_password_in_clear_from_another_host_is_refused() {
    let server = TlsServer::start(with_alice);
    let mut remote = Client::connect_from(elsewhere(), server.plain);
    remote.expect("HELLO ");
    remote.send(&format!("/login alice {PASSWORD}"));
    remote.expect("ERROR insecure-login :use TLS");
    remote.send("bob");
    remote.expect("WELCOME bob ");

    let mut remote_tls = TlsClient::connect_tls(Some(elsewhere()), server.tls, &server.fingerprint);
    remote_tls.expect("HELLO ");
    remote_tls.send(&format!("/login alice {PASSWORD}"));
    remote_tls.expect("WELCOME alice ");
}

#[test]
fn failed_logins_slow_down_their_address() {
    let server = TlsServer::start(with_alice);
    let mut client = plain(server.plain);
    // Three failures: the next try waits 250 ms, 500 ms, then 1 s.
    for _ in 0..3 {
        client.send("/login alice wrong");
        client.expect("ERROR login-failed ");
    }
    let started = Instant::now();
    client.send(&format!("/login alice {PASSWORD}"));
    client.expect("WELCOME alice ");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the fourth try was not slowed: {:?}",
        started.elapsed()
    );
    // A success clears the address.
    let mut again = plain(server.plain);
    let started = Instant::now();
    again.send("/login alice wrong");
    again.expect("ERROR login-failed ");
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[test]
fn the_client_logs_in_with_a_password_file() {
    let server = TlsServer::start(with_alice);
    let password_file = server.dir.path().join("password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let file = password_file.to_str().unwrap();
    let fingerprint = server.fingerprint.as_str();

    let mut without = PlainClient::start(
        server.tls,
        &["--tls-fingerprint", fingerprint, "--name", "alice"],
    );
    let (code, stderr) = without.wait_exit();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("login-required"), "{stderr}");

    let mut with = PlainClient::start(
        server.tls,
        &[
            "--tls-fingerprint",
            fingerprint,
            "--name",
            "alice",
            "--password-file",
            file,
        ],
    );
    with.expect_line("*** joined as alice (1 online)");
    with.close_stdin();
    let (code, stderr) = with.wait_exit();
    assert_eq!(code, 0, "{stderr}");
}

/// Runs `chat-server user ...` with `stdin` as its input.
fn user(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let spawning = crate::support::spawning();
    let mut child = server_command(&["user"])
        .args(args)
        .args(["--data-dir", data_dir.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(spawning);
    // `list` and `del` read nothing and may have exited already: a broken
    // pipe here is expected.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn user_add_del_and_list_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let check = |args: &[&str], code: i32, stdout: &str, stderr_has: &str| {
        let output = user(dir.path(), args, &format!("{PASSWORD}\n"));
        let (out, err) = (text(&output.stdout), text(&output.stderr));
        assert_eq!(output.status.code(), Some(code), "{args:?}: {err}");
        assert_eq!(out, stdout, "{args:?}");
        assert!(err.contains(stderr_has), "{args:?}: {err}");
    };
    check(&["add", "alice"], 0, "added account alice\n", "");
    check(&["add", "bob"], 0, "added account bob\n", "");
    check(&["add", "ALICE"], 1, "", "already has an account");
    check(&["add", "9lives"], 1, "", "not a valid name");
    check(&["list"], 0, "alice\nbob\n", "");
    check(&["del", "Bob"], 0, "deleted account Bob\n", "");
    check(&["del", "bob"], 1, "", "has no account");
    check(&["list"], 0, "alice\n", "");

    let database = std::fs::read(dir.path().join(chatroom::server::DATABASE_FILE)).unwrap();
    let needle = PASSWORD.as_bytes();
    assert!(
        !database
            .windows(needle.len())
            .any(|window| window == needle),
        "the password is stored only hashed"
    );
}

#[test]
fn nothing_secret_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    assert!(
        user(dir.path(), &["add", "alice"], PASSWORD)
            .status
            .success()
    );
    let stderr_path = dir.path().join("stderr.log");
    let spawning = crate::support::spawning();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .args(crate::support::IRC_ON_FREE_PORTS)
        .args(["--port", "0", "--data-dir", data, "--log-format", "http"])
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    drop(spawning);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let addr: SocketAddr = first
        .trim()
        .strip_prefix("Listening on ")
        .unwrap()
        .parse()
        .unwrap();

    let mut local = plain(addr);
    local.send("/login alice wrong-secret-guess");
    local.expect("ERROR login-failed ");
    local.send(&format!("/login alice {PASSWORD}"));
    local.expect("WELCOME alice ");
    let mut remote = Client::connect_from(elsewhere(), addr);
    remote.expect("HELLO ");
    remote.send(&format!("/login alice {PASSWORD}"));
    remote.expect("ERROR insecure-login ");
    local.send("/quit");
    local.until("BYE ");
    drop(remote);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut frames = String::new();
    stdout.read_to_string(&mut frames).unwrap();
    assert!(child.wait().unwrap().success());
    let log = std::fs::read_to_string(&stderr_path).unwrap();

    for secret in [PASSWORD, "wrong-secret-guess"] {
        assert!(!log.contains(secret), "a password in the log:\n{log}");
        assert!(!frames.contains(secret), "a password on stdout:\n{frames}");
    }
    assert!(log.contains("failed login as alice"), "{log}");
    assert!(log.contains("logged in as alice"), "{log}");
    assert!(log.contains("refused a password sent in clear"), "{log}");
    assert!(frames.contains("/login alice ********"), "{frames}");
}
