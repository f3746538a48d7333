//! The real `chat-server` binary's IRC flags.

use std::io::BufRead;
use std::time::Duration;

use super::IrcClient;
use crate::support::{ServerProcess, output_within, server_command};

#[test]
fn irc_port_0_is_printed_and_served_under_the_server_name() {
    let args = ["--ephemeral", "--server-name", "irc.example.org"];
    let (mut child, _addr, mut stdout) = ServerProcess::start_with_stdout(&args);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let irc = line
        .trim_end()
        .strip_prefix("Listening on ")
        .and_then(|rest| rest.strip_suffix(" for IRC"))
        .unwrap_or_else(|| panic!("no IRC listening line: {line:?}"))
        .parse()
        .unwrap();
    let mut client = IrcClient::connect(irc);
    client.send("NICK alice");
    client.send("USER u 0 * :r");
    client.expect(":irc.example.org 001 alice ");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_server_name_irc_cannot_carry_refuses_to_start() {
    for name in ["two words", "", ":colon"] {
        let output = output_within(
            &mut server_command(&["--ephemeral", "--port", "0", "--server-name", name]),
            Duration::from_secs(10),
        );
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{name:?}: {stderr}");
        assert!(stderr.contains("a server name is"), "{name:?}: {stderr}");
    }
}
