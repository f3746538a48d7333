//! The IRC servers the programs connect to: the real `chat-server` with its
//! IRC port open (and its native port, for the raw line client), and ngIRCd
//! as the reference. Each is stopped and reaped when its guard is dropped.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::{
    LINE_DEADLINE, ServerProcess, eventually, require_program, server_command, spawning,
};

/// The real `chat-server` (with the IRC port 0, as every test server
/// has), its ports read from its `Listening on` lines; stopped when dropped.
pub struct IrcServer {
    /// The native port, and the process (killed and reaped on drop).
    pub native: ServerProcess,
    /// The IRC port.
    pub irc: SocketAddr,
    /// IRC over TLS and the certificate's SHA-256 fingerprint as the server
    /// printed it (`AB:CD:...`), for a server started [`IrcServer::with_tls`].
    pub irc_tls: Option<(SocketAddr, String)>,
    /// The data directory of a server with TLS (its certificate is there).
    _data: Option<tempfile::TempDir>,
}

/// What the server has announced on stdout so far.
#[derive(Default)]
struct Announced {
    native: Option<SocketAddr>,
    irc: Option<SocketAddr>,
    irc_tls: Option<SocketAddr>,
    fingerprint: Option<String>,
}

impl Announced {
    fn take(&mut self, line: &str) {
        if let Some(fingerprint) = line.strip_prefix("TLS certificate SHA-256 fingerprint: ") {
            self.fingerprint = Some(fingerprint.to_owned());
        }
        let Some(rest) = line.strip_prefix("Listening on ") else {
            return;
        };
        let (addr, what) = rest.split_once(' ').unwrap_or((rest, ""));
        let addr = Some(addr.parse().expect("an address after 'Listening on'"));
        match what {
            "" => self.native = addr,
            "for IRC" => self.irc = addr,
            "for IRC with TLS" => self.irc_tls = addr,
            _ => {}
        }
    }

    fn complete(&self, tls: bool) -> bool {
        self.native.is_some()
            && self.irc.is_some()
            && (!tls || (self.irc_tls.is_some() && self.fingerprint.is_some()))
    }
}

impl IrcServer {
    /// An ephemeral server.
    pub fn start() -> IrcServer {
        IrcServer::launch(&["--ephemeral"], None)
    }

    /// A server with a self-signed certificate in a temporary data
    /// directory, so IRC over TLS is open too.
    pub fn with_tls() -> IrcServer {
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().to_str().unwrap().to_owned();
        let args = ["--data-dir", &dir, "--tls-self-signed", "--tls-port", "0"];
        IrcServer::launch(&args, Some(data))
    }

    fn launch(args: &[&str], data: Option<tempfile::TempDir>) -> IrcServer {
        let spawning = spawning();
        let child = server_command(args)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn chat-server");
        drop(spawning);
        // Owned by its guard from here, so that every failure below stops it.
        let mut process = ServerProcess {
            child,
            addr: ([0, 0, 0, 0], 0).into(),
        };
        let mut stdout = BufReader::new(process.child.stdout.take().unwrap());
        let mut announced = Announced::default();
        while !announced.complete(data.is_some()) {
            let mut line = String::new();
            let read = stdout
                .read_line(&mut line)
                .expect("read chat-server stdout");
            assert!(read > 0, "chat-server stopped before announcing its ports");
            announced.take(line.trim());
        }
        // Keep stdout drained so the server never blocks on it.
        std::thread::Builder::new()
            .name("server-stdout".into())
            .spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()))
            .unwrap();
        process.addr = announced.native.unwrap();
        IrcServer {
            native: process,
            irc: announced.irc.unwrap(),
            irc_tls: announced.irc_tls.zip(announced.fingerprint),
            _data: data,
        }
    }
}

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
