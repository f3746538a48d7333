//! Trust on first use through the client binary, with its config directory in
//! a temporary `XDG_CONFIG_HOME`: a new server is refused without a terminal
//! (with its fingerprint and what to do), remembered with `--tls-accept-new`,
//! and a changed certificate on the same host and port is refused loudly. On
//! a terminal, the client asks once, then asks for the password with echo off.

use std::path::Path;

use super::{TlsServer, with_accounts};
use crate::client::PlainClient;
use crate::client::pty::Terminal;

fn client(server: &TlsServer, config_home: &Path, args: &[&str]) -> PlainClient {
    PlainClient::start_with_env(server.tls, args, &[("XDG_CONFIG_HOME", config_home)])
}

#[test]
fn trust_on_first_use_remembers_and_refuses_a_changed_certificate() {
    let config_home = tempfile::tempdir().unwrap();
    let first = TlsServer::start(with_accounts);
    let known_servers = config_home.path().join("chatroom").join("known_servers");

    let mut unasked = client(
        &first,
        config_home.path(),
        &["--tls-tofu", "--name", "alice"],
    );
    let (code, stderr) = unasked.wait_exit();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&first.fingerprint), "{stderr}");
    assert!(stderr.contains("--tls-accept-new"), "{stderr}");
    assert!(!known_servers.exists(), "nothing remembered without a yes");

    let mut accepted = client(
        &first,
        config_home.path(),
        &["--tls-accept-new", "--name", "alice"],
    );
    accepted.expect_line("*** joined as alice (1 online)");
    accepted.close_stdin();
    let (code, stderr) = accepted.wait_exit();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("remembered"), "{stderr}");
    let remembered = std::fs::read_to_string(&known_servers).unwrap();
    let entry = format!("127.0.0.1:{} {}\n", first.tls.port(), first.fingerprint);
    assert_eq!(remembered, entry);

    let mut known = client(&first, config_home.path(), &["--tls-tofu", "--name", "bob"]);
    known.expect_line("*** joined as bob (1 online)");
    known.close_stdin();
    let (code, stderr) = known.wait_exit();
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("remembered"), "asked only once: {stderr}");

    let tls_addr = first.tls;
    drop(first.stop());
    let impostor = TlsServer::start_on(tempfile::tempdir().unwrap(), tls_addr, with_accounts);
    let mut refused = client(
        &impostor,
        config_home.path(),
        &["--tls-accept-new", "--name", "alice"],
    );
    let (code, stderr) = refused.wait_exit();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("HAS CHANGED"), "{stderr}");
    assert!(stderr.contains(&impostor.fingerprint), "{stderr}");
    assert!(
        refused.seen.iter().all(|line| !line.contains("joined")),
        "{:#?}",
        refused.seen
    );
    assert_eq!(
        std::fs::read_to_string(&known_servers).unwrap(),
        entry,
        "the remembered fingerprint is never replaced"
    );
}

#[test]
fn on_a_terminal_the_client_asks_once_and_never_echoes_the_password() {
    const PASSWORD: &str = "hunter2 but longer";
    let config_home = tempfile::tempdir().unwrap();
    let server = TlsServer::start(|dir| {
        chatroom::server::accounts::Accounts::in_dir(dir)
            .add("alice", PASSWORD)
            .unwrap();
        with_accounts(dir)
    });
    let env = [("XDG_CONFIG_HOME", config_home.path())];
    let mut terminal = Terminal::start_with(server.tls, &["--tls-tofu", "--name", "alice"], &env);
    let fingerprint = server.fingerprint.clone();
    terminal.wait_until("the fingerprint and the question", |rows| {
        rows.iter().any(|row| row.contains(&fingerprint[..20]))
            && rows.iter().any(|row| row.contains("(yes/no)"))
    });
    terminal.type_keys("yes\r");
    terminal.wait_until("the password prompt", |rows| {
        rows.iter().any(|row| row.contains("password for alice"))
    });
    terminal.type_keys(&format!("{PASSWORD}\r"));
    terminal.wait_until("joined", |rows| {
        rows.iter().any(|row| row.contains("joined as alice"))
    });
    assert!(
        terminal.rows().iter().all(|row| !row.contains("hunter2")),
        "the password was echoed:\n{}",
        terminal.rows().join("\n")
    );
    terminal.type_keys("/quit\r");
    assert!(terminal.wait_exit().success());
    let known = std::fs::read_to_string(config_home.path().join("chatroom/known_servers")).unwrap();
    assert!(known.contains(&server.fingerprint), "{known}");
}
