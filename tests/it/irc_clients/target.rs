//! The IRC servers the programs connect to: the real `chat-server` with its
//! IRC port open (and its native port, for the raw line client), and ngIRCd
//! as the reference. Each is stopped and reaped when its guard is dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::{LINE_DEADLINE, eventually, require_program, spawning};

/// ngIRCd, the reference the harness is checked against: the same programs
/// and steps that must pass on chat-server pass on a server that has spoken
/// IRC for decades, so a failure on chat-server is chat-server's.
pub struct Ngircd {
    child: Child,
    pub irc: SocketAddr,
    _dir: tempfile::TempDir,
}

/// The `ngircd` program, or `None` when a plain `cargo test` skips it.
pub fn ngircd_program() -> Option<PathBuf> {
    require_program(
        &["ngircd", "/usr/sbin/ngircd"],
        "the IRC clients' reference run",
        "apt-get install ngircd",
    )
}

impl Ngircd {
    /// Starts ngIRCd on a free port of 127.0.0.1 (it cannot pick one
    /// itself), without penalties or per-address limits, and waits until it
    /// accepts connections.
    pub fn start(program: &Path) -> Ngircd {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let config = dir.path().join("ngircd.conf");
        std::fs::write(&config, ngircd_config(port, dir.path())).unwrap();
        let spawning = spawning();
        let child = Command::new(program)
            .arg("--nodaemon")
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ngircd");
        drop(spawning);
        let ngircd = Ngircd {
            child,
            irc: ([127, 0, 0, 1], port).into(),
            _dir: dir,
        };
        assert!(
            eventually(LINE_DEADLINE, || TcpStream::connect(ngircd.irc).is_ok()),
            "ngIRCd not listening on {} within {LINE_DEADLINE:?}",
            ngircd.irc
        );
        ngircd
    }
}

impl Drop for Ngircd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ngircd_config(port: u16, dir: &Path) -> String {
    format!(
        "[Global]
    Name = irc.invalid
    Info = reference
    Listen = 127.0.0.1
    Ports = {port}
    PidFile = {dir}/ngircd.pid
    ServerUID = {uid}
    ServerGID = {gid}
[Limits]
    MaxConnectionsIP = 0
    MaxPenaltyTime = 0
[Options]
    DNS = no
    Ident = no
    PAM = no
",
        dir = dir.display(),
        // SAFETY: getuid and getgid cannot fail.
        uid = unsafe { libc::getuid() },
        gid = unsafe { libc::getgid() },
    )
}
