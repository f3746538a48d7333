//! suckless `ii`, Debian's build, driven through its file tree: it writes
//! everything a channel or a query received to `<host>/<name>/out`, one
//! line each (`<unix time> <nick> text`, or `-!-` and a notice), and reads
//! what to send from the FIFO `in` beside it.
//!
//! The process lives in a temporary directory and is killed and reaped when
//! the [`Ii`] is dropped, on every path out of a test.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::files::{wait_for_joined, wait_for_line, write_fifo};
use crate::support::{require_program, spawning};

/// A running `ii` connected as one nick.
pub struct Ii {
    child: Child,
    /// `<prefix>/<host>`: the server's `in`/`out` and a directory per
    /// channel or query. Its temporary parent goes with the `Ii`.
    tree: PathBuf,
    nick: String,
    _dir: tempfile::TempDir,
}

/// The `ii` program, or `None` when a plain `cargo test` skips it.
pub fn program() -> Option<PathBuf> {
    require_program(&["ii"], "the ii tests", "apt-get install ii")
}

impl Ii {
    /// Starts `ii` (found by [`program`]) as `nick` against `server` and
    /// waits until the server has welcomed it (`001`, which ii writes to the
    /// server's `out`).
    pub fn connect(program: &Path, server: SocketAddr, nick: &str) -> Ii {
        let dir = tempfile::tempdir().unwrap();
        let host = server.ip().to_string();
        let spawning = spawning();
        let child = Command::new(program)
            .arg("-s")
            .arg(&host)
            .arg("-p")
            .arg(server.port().to_string())
            .arg("-i")
            .arg(dir.path())
            .args(["-n", nick, "-f", nick])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ii");
        drop(spawning);
        let ii = Ii {
            child,
            tree: dir.path().join(host),
            nick: nick.to_owned(),
            _dir: dir,
        };
        // ii writes every numeric's text without the numeric; 001's ends with
        // the nick's mask, `nick!user@host` (RFC 2812), or the nick alone.
        let out = ii.tree.join("out");
        wait_for_line(&out, "ii waiting for its welcome", |line| {
            line.contains(&format!(" {nick}!")) || line.ends_with(&format!(" {nick}"))
        });
        ii
    }

    /// Joins `channel` and waits until ii has written its own join there.
    pub fn join(&self, channel: &str) {
        write_fifo(&self.tree.join("in"), &format!("/j {channel}"));
        let joined = format!("-!- {}(", self.nick);
        wait_for_line(&self.out(channel), "ii joining", |line| {
            line.contains(&joined) && line.ends_with(&format!("has joined {channel}"))
        });
    }

    /// Says `text` in `channel` (joined already).
    pub fn say(&self, channel: &str, text: &str) {
        write_fifo(&self.dir_of(channel).join("in"), text);
    }

    /// Sends `text` privately to `nick`.
    pub fn tell(&self, nick: &str, text: &str) {
        write_fifo(&self.tree.join("in"), &format!("/j {nick} {text}"));
    }

    /// Quits the server with `reason` (ii exits).
    pub fn quit(&self, reason: &str) {
        write_fifo(&self.tree.join("in"), &format!("/q {reason}"));
    }

    /// Waits until ii has written that `from` said `text` in `buffer` (a
    /// channel, or the nick of a private conversation), and returns the line.
    pub fn received(&self, buffer: &str, from: &str, text: &str) -> String {
        let said = format!("<{from}> {text}");
        wait_for_line(
            &self.out(buffer),
            &format!("ii waiting for {from}'s {text:?}"),
            |line| line.split_once(' ').is_some_and(|(_, rest)| rest == said),
        )
    }

    /// Waits until the lines ii wrote of what `from` said in `buffer`, put
    /// end to end, hold `text` (split over several IRC lines).
    pub fn received_joined(&self, buffer: &str, from: &str, text: &str) {
        let said = format!("<{from}> ");
        wait_for_joined(
            &self.out(buffer),
            &format!("ii waiting for {from}'s long text"),
            text,
            |line| line.split_once(' ')?.1.strip_prefix(said.as_str()),
        );
    }

    /// The `out` file of a channel or query.
    pub fn out(&self, buffer: &str) -> PathBuf {
        self.dir_of(buffer).join("out")
    }

    /// ii names a channel's or query's directory in lower case.
    fn dir_of(&self, buffer: &str) -> PathBuf {
        self.tree.join(buffer.to_lowercase())
    }
}

impl Drop for Ii {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
