//! Accounts in PostgreSQL, through the real binaries: `chat-server user
//! add|del|list --database` (or `CHATROOM_DATABASE`) once, and every node
//! on that database knows the account at once: `/login`, IRC `PASS`,
//! `--require-login`. Passwords are stored only as argon2id hashes. A node
//! says which accounts of its data directory it no longer uses.

use std::io::Write;
use std::process::{Output, Stdio};
use std::time::Duration;

use chatroom::server::accounts::Accounts;

use crate::irc::IrcClient;
use crate::support::{Client, eventually, server_command, shared_postgres};

use super::store::{irc_addr, start_logged_node, start_node, start_node_with};

const PASSWORD: &str = "correct horse battery";

/// Runs `chat-server user ...` on `url` (given with `--database`, or in
/// `CHATROOM_DATABASE` when `by_env`), a data directory of its own, and
/// `stdin` as its input.
fn user(url: &str, by_env: bool, args: &[&str], stdin: &str) -> Output {
    let data = tempfile::tempdir().unwrap();
    let mut command = server_command(&["user"]);
    command
        .args(args)
        .args(["--data-dir", data.path().to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match by_env {
        true => command.env("CHATROOM_DATABASE", url),
        false => command.args(["--database", url]),
    };
    let spawning = crate::support::spawning();
    let mut child = command.spawn().unwrap();
    drop(spawning);
    // `list` and `del` read nothing and may have exited already.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn check(url: &str, by_env: bool, args: &[&str], code: i32, stdout: &str, stderr_has: &str) {
    let output = user(url, by_env, args, &format!("{PASSWORD}\n"));
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(code), "{args:?}: {err}");
    assert_eq!(out, stdout, "{args:?}");
    assert!(err.contains(stderr_has), "{args:?}: {err}");
}

#[test]
fn user_add_del_list_work_on_the_database_and_store_only_hashes() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    check(
        &url,
        false,
        &["add", "alice"],
        0,
        "added account alice\n",
        "",
    );
    check(&url, true, &["add", "bob"], 0, "added account bob\n", "");
    check(
        &url,
        true,
        &["add", "ALICE"],
        1,
        "",
        "already has an account",
    );
    check(&url, false, &["list"], 0, "alice\nbob\n", "");
    check(&url, false, &["del", "Bob"], 0, "deleted account Bob\n", "");
    check(&url, true, &["del", "bob"], 1, "", "has no account");
    check(&url, true, &["list"], 0, "alice\n", "");
    let away = "postgres://postgres@127.0.0.1:1/nowhere";
    check(
        away,
        false,
        &["list"],
        1,
        "",
        "check that PostgreSQL is running",
    );

    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let hash: String = client
        .query_one("SELECT hash FROM accounts WHERE name_key = 'alice'", &[])
        .unwrap()
        .get(0);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

/// Logs in as alice on `addr`; the first line of the answer.
fn log_in(addr: std::net::SocketAddr, password: &str) -> (Client, String) {
    let mut client = Client::hello_v2(addr);
    client.send(&format!("/login alice {password}"));
    let answer = client.line();
    (client, answer)
}

#[test]
fn an_account_added_once_logs_in_on_every_node_and_a_wrong_password_on_none() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let data: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = start_node(&url, &data[0]);
    let b = start_node(&url, &data[1]);
    let (c, _) = start_node_with(&url, &data[2], &["--require-login"]);
    // Added while the nodes run: counts at once.
    check(
        &url,
        false,
        &["add", "alice"],
        0,
        "added account alice\n",
        "",
    );

    for node in [&a, &b, &c] {
        let (_, answer) = log_in(node.addr, "wrong guess");
        assert!(answer.starts_with("ERROR login-failed "), "{answer}");
        let mut bare = Client::hello_v2(node.addr);
        bare.send("alice");
        let answer = bare.line();
        assert!(answer.starts_with("ERROR login-required "), "{answer}");
    }
    for node in [&a, &b, &c] {
        // The name is free again once the last node's client has left (each try
        // checks a password, which takes a while on a loaded machine).
        let mut welcomed = None;
        let logged_in = eventually(Duration::from_secs(20), || {
            let (client, answer) = log_in(node.addr, PASSWORD);
            assert!(!answer.starts_with("ERROR login-failed "), "{answer}");
            welcomed = Some(client);
            answer.starts_with("WELCOME alice ")
        });
        assert!(logged_in, "alice logs in on {}", node.addr);
        let mut alice = welcomed.unwrap();
        alice.send("/quit");
        alice.until("BYE ");
    }

    // IRC: PASS, and SASL PLAIN, on another node than the one it was added from.
    let mut pass = IrcClient::connect(irc_addr(data[1].path()));
    pass.send("PASS wrong");
    pass.send("NICK alice");
    pass.send("USER u 0 * :r");
    pass.until(" 464 ");
    let mut pass = IrcClient::connect(irc_addr(data[1].path()));
    pass.send(&format!("PASS :{PASSWORD}"));
    pass.send("NICK alice");
    pass.send("USER u 0 * :r");
    pass.until(" 001 alice ");
    pass.send("QUIT");
    pass.rest();

    // Deleted once: refused on every node at once.
    check(
        &url,
        false,
        &["del", "alice"],
        0,
        "deleted account alice\n",
        "",
    );
    for node in [&a, &b] {
        let (_, answer) = log_in(node.addr, PASSWORD);
        assert!(answer.starts_with("ERROR login-failed "), "{answer}");
    }
}

#[test]
fn a_node_names_the_accounts_of_its_data_directory_it_does_not_use() {
    let Some(pg) = shared_postgres() else {
        return;
    };
    let url = pg.database();
    let data = tempfile::tempdir().unwrap();
    Accounts::in_dir(data.path())
        .add("carol", PASSWORD)
        .unwrap();
    let (node, log) = start_logged_node(&url, &data);
    let warned = eventually(Duration::from_secs(5), || {
        let log = log.lock().unwrap();
        log.contains("accounts this node does not use") && log.contains(": carol;")
    });
    assert!(warned, "{}", log.lock().unwrap());
    // And carol is indeed a bare name to it.
    let mut bare = Client::hello_v2(node.addr);
    bare.register("carol");
}
