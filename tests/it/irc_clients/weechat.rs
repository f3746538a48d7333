//! WeeChat without a screen (`weechat-headless`), driven as its users'
//! scripts drive it: commands go in through its FIFO plugin (a FIFO at a
//! path we choose), and its logger plugin writes every line each buffer
//! displays to `logs/irc.<server>.<buffer>.weechatlog`, flushed at once
//! (`date<TAB>prefix<TAB>message`; the prefix of a message is the nick,
//! perhaps after its channel mode, such as `@`).
//!
//! It runs with its whole home (configuration, logs, FIFO) in a temporary
//! directory, and is killed and reaped when the [`Weechat`] is dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::files::{wait_for_joined, wait_for_line, write_fifo};
use crate::support::{require_program, spawning};

/// What WeeChat calls the server it is given.
const SERVER: &str = "chatroom";

/// A running `weechat-headless` connected as one nick.
pub struct Weechat {
    child: Child,
    home: tempfile::TempDir,
    nick: String,
}

/// The `weechat-headless` program, or `None` when a plain `cargo test`
/// skips it.
pub fn program() -> Option<PathBuf> {
    require_program(
        &["weechat-headless"],
        "the weechat tests",
        "apt-get install weechat-headless",
    )
}

impl Weechat {
    /// Starts WeeChat (found by [`program`]) as `nick` against `server`,
    /// joining `channel` as soon as it is welcomed, and waits until it has
    /// shown its own join there.
    pub fn join(program: &Path, server: SocketAddr, nick: &str, channel: &str) -> Weechat {
        let weechat = Weechat::start(program, server, nick, channel);
        weechat.wait_joined(channel, nick);
        weechat
    }

    /// Starts WeeChat asking for `nick`, to join `channel` once welcomed.
    pub fn start(program: &Path, server: SocketAddr, nick: &str, channel: &str) -> Weechat {
        Weechat::launch(program, server, nick, channel, None)
    }

    /// [`Weechat::join`] over TLS, trusting only the certificate whose
    /// SHA-256 fingerprint is `fingerprint` (as chat-server prints it).
    pub fn join_tls(
        program: &Path,
        server: SocketAddr,
        fingerprint: &str,
        nick: &str,
        channel: &str,
    ) -> Weechat {
        let weechat = Weechat::launch(program, server, nick, channel, Some(fingerprint));
        weechat.wait_joined(channel, nick);
        weechat
    }

    fn launch(
        program: &Path,
        server: SocketAddr,
        nick: &str,
        channel: &str,
        fingerprint: Option<&str>,
    ) -> Weechat {
        let home = tempfile::tempdir().unwrap();
        let fifo = home.path().join("fifo");
        // `-r` runs these at start, in order, after the plugins are loaded.
        // WeeChat's own flood control, which holds each message it sends
        // back two seconds after the one before, is off: a test is not a
        // flood, and the server's flood control is not what is tested here.
        // WeeChat 4 renamed some options (`ssl` to `tls`, `anti_flood_prio_*`
        // to `anti_flood`); both names are given, and each version ignores
        // (or refuses, harmlessly) the other's.
        let mut commands = vec![
            format!("/set fifo.file.path {}", fifo.display()),
            "/set logger.file.flush_delay 0".to_owned(),
            format!(
                "/server add {SERVER} {}/{} -notls -nicks={nick} -username={nick} \
                 -realname={nick} -autojoin={channel} \
                 -anti_flood_prio_high=0 -anti_flood_prio_low=0 -anti_flood=0",
                server.ip(),
                server.port()
            ),
        ];
        if let Some(fingerprint) = fingerprint {
            let hex = fingerprint.replace(':', "").to_lowercase();
            for name in ["ssl", "tls"] {
                commands.push(format!("/set irc.server.{SERVER}.{name} on"));
                commands.push(format!("/set irc.server.{SERVER}.{name}_fingerprint {hex}"));
            }
        }
        commands.push(format!("/connect {SERVER}"));
        let spawning = spawning();
        let child = Command::new(program)
            .arg("--dir")
            .arg(home.path())
            .arg("-r")
            .arg(commands.join(";"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn weechat-headless");
        drop(spawning);
        Weechat {
            child,
            home,
            nick: nick.to_owned(),
        }
    }

    /// Waits until WeeChat has shown its own join of `channel` as `nick`.
    pub fn wait_joined(&self, channel: &str, nick: &str) {
        let joined = format!("{nick} (");
        wait_for_line(&self.log(channel), "weechat joining", |line| {
            let (prefix, message) = fields(line);
            prefix == "-->" && message.starts_with(&joined)
        });
    }

    /// Quits the server with `reason`, as `/quit` does (WeeChat exits).
    pub fn quit(&self, reason: &str) {
        let buffer = format!("irc.server.{SERVER}");
        write_fifo(&self.fifo(), &format!("{buffer} */quit {reason}"));
    }

    /// Says `text` in `channel` (joined already), typed into its buffer.
    pub fn say(&self, channel: &str, text: &str) {
        let buffer = format!("irc.{SERVER}.{channel}");
        write_fifo(&self.fifo(), &format!("{buffer} *{text}"));
    }

    /// Sends `text` privately to `nick`, as `/msg nick text` typed in the
    /// server's buffer.
    pub fn tell(&self, nick: &str, text: &str) {
        let buffer = format!("irc.server.{SERVER}");
        write_fifo(&self.fifo(), &format!("{buffer} */msg {nick} {text}"));
    }

    /// Waits until WeeChat has shown that `from` said `text` in `buffer` (a
    /// channel, or the nick of a private conversation), and returns the line.
    pub fn received(&self, buffer: &str, from: &str, text: &str) -> String {
        wait_for_line(
            &self.log(buffer),
            &format!("weechat ({}) waiting for {from}'s {text:?}", self.nick),
            |line| {
                let (prefix, message) = fields(line);
                prefix.trim_start_matches(['~', '&', '@', '%', '+']) == from && message == text
            },
        )
    }

    /// Waits until the lines WeeChat showed of what `from` said in
    /// `buffer`, put end to end, hold `text` (split over several IRC lines).
    pub fn received_joined(&self, buffer: &str, from: &str, text: &str) {
        wait_for_joined(
            &self.log(buffer),
            &format!("weechat ({}) waiting for {from}'s long text", self.nick),
            text,
            |line| {
                let (prefix, message) = fields(line);
                (prefix.trim_start_matches(['~', '&', '@', '%', '+']) == from).then_some(message)
            },
        );
    }

    /// The logger's file for a buffer of the server (its name in lower case).
    pub fn log(&self, buffer: &str) -> PathBuf {
        let name = format!("irc.{SERVER}.{buffer}.weechatlog").to_lowercase();
        self.home.path().join("logs").join(name)
    }

    fn fifo(&self) -> PathBuf {
        self.home.path().join("fifo")
    }
}

/// A log line's prefix and message, after its date.
fn fields(line: &str) -> (&str, &str) {
    let mut parts = line.splitn(3, '\t').skip(1);
    (parts.next().unwrap_or(""), parts.next().unwrap_or(""))
}

impl Drop for Weechat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
