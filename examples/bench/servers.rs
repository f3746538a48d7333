//! Starting and stopping the servers `compare` measures: chatroom (ephemeral
//! and durable), ngIRCd, InspIRCd and the raw baseline. Each runs as a child
//! process on 127.0.0.1 with its files in a fresh directory, flood limits and
//! penalties off and connection limits high.

use std::io::{self, BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::Dialect;

/// A server `compare` knows how to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ChatEphemeral,
    /// An earlier chat-server binary (`--baseline-server`), run as `ChatEphemeral`.
    Baseline,
    ChatDurable,
    /// chatroom (ephemeral) spoken to over IRC, on its `--irc-port`.
    ChatIrc,
    Ngircd,
    Inspircd,
    Raw,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::ChatEphemeral,
        Kind::Baseline,
        Kind::ChatDurable,
        Kind::ChatIrc,
        Kind::Ngircd,
        Kind::Inspircd,
        Kind::Raw,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::ChatEphemeral => "chatroom",
            Kind::Baseline => "baseline",
            Kind::ChatDurable => "chatroom-durable",
            Kind::ChatIrc => "chatroom-irc",
            Kind::Ngircd => "ngircd",
            Kind::Inspircd => "inspircd",
            Kind::Raw => "raw",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Whether it has rooms: not the raw forwarder, nor the baseline (a
    /// chat-server from before rooms, for the one-room comparison).
    pub fn has_rooms(self) -> bool {
        !matches!(self, Kind::Raw | Kind::Baseline)
    }

    pub fn dialect(self) -> Dialect {
        match self {
            Kind::ChatIrc | Kind::Ngircd | Kind::Inspircd => Dialect::Irc,
            _ => Dialect::Chat,
        }
    }
}

/// A server child process, stopped when dropped.
pub struct Running {
    pub addr: SocketAddr,
    pub pid: u32,
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: signalling our own child process by its id.
        unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the chat-server binary is: next to the examples directory this
/// program was built into (`cargo build --release --bins --examples`).
pub fn chat_server_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    profile_dir.join("chat-server")
}

/// Which chat-server binaries run: `chatroom` (and `chatroom-durable`) this
/// build's unless given, `baseline` only if given.
#[derive(Debug, Clone, Copy, Default)]
pub struct Binaries<'a> {
    pub chatroom: Option<&'a Path>,
    pub baseline: Option<&'a Path>,
}

/// Starts `kind` with its files in `dir` (created fresh).
pub fn start(kind: Kind, dir: &Path, binaries: Binaries) -> io::Result<Running> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let log = std::fs::File::create(dir.join("server.log"))?;
    match kind {
        Kind::ChatEphemeral | Kind::ChatDurable | Kind::Baseline => {
            spawn_announcing(chat_server_command(kind, dir, binaries), log, Port::Native)
        }
        Kind::ChatIrc => spawn_announcing(chat_server_command(kind, dir, binaries), log, Port::Irc),
        Kind::Raw => {
            let mut command = Command::new(std::env::current_exe()?);
            command.args(["raw-server", "--port", "0"]);
            spawn_announcing(command, log, Port::Native)
        }
        Kind::Ngircd => {
            let port = free_port()?;
            let config = dir.join("ngircd.conf");
            std::fs::write(&config, ngircd_config(port, dir))?;
            std::fs::write(dir.join("motd"), "bench\n")?;
            let mut command = Command::new("ngircd");
            command.arg("--nodaemon").arg("--config").arg(&config);
            spawn_listening(command, log, port)
        }
        Kind::Inspircd => {
            let port = free_port()?;
            let config = dir.join("inspircd.conf");
            std::fs::write(&config, inspircd_config(port, dir))?;
            std::fs::write(dir.join("motd"), "bench\n")?;
            let mut command = Command::new("inspircd");
            command
                .arg("--nofork")
                .arg("--runasroot")
                .arg(format!("--config={}", config.display()));
            spawn_listening(command, log, port)
        }
    }
}

/// A durable chatroom with its files in `dir` (created fresh): on SQLite
/// there, or on PostgreSQL when given a `database` URL (a node of a
/// cluster; `bench cluster`).
pub fn start_chat_node(
    dir: &Path,
    binaries: Binaries,
    database: Option<&str>,
) -> io::Result<Running> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let log = std::fs::File::create(dir.join("server.log"))?;
    let mut command = chat_server_command(Kind::ChatDurable, dir, binaries);
    if let Some(url) = database {
        command.env("CHATROOM_DATABASE", url);
    }
    spawn_announcing(command, log, Port::Native)
}

/// The chat-server command line for `kind` (a chatroom or the baseline).
fn chat_server_command(kind: Kind, dir: &Path, binaries: Binaries) -> Command {
    let binary = match (kind, binaries.chatroom) {
        (Kind::Baseline, _) => binaries.baseline.map(Path::to_path_buf).unwrap_or_default(),
        (_, Some(path)) => path.to_path_buf(),
        (_, None) => chat_server_path(),
    };
    let mut command = Command::new(binary);
    // A send queue of 65,536 lines (the default is 4,096) so that bursts of
    // 10,000 to 40,000 messages measure throughput, not the eviction of
    // clients the generator could not read fast enough; the IRC servers
    // get large send queues too.
    command.args([
        "--port",
        "0",
        "--max-clients",
        "20000",
        "--send-queue",
        "65536",
    ]);
    // Flood control and the per-address limit are off, as they are for
    // the IRC servers: every client comes from 127.0.0.1 and the senders
    // send as fast as the server takes them.
    command.args(["--max-per-ip", "0", "--flood-rate", "0"]);
    command.env("RUST_LOG", "warn");
    // As many rooms a client as InspIRCd's `maxchans` (ngIRCd: no limit),
    // so a shape with more than the default 64 runs alike; the baseline,
    // from before rooms, has no such flag.
    if kind != Kind::Baseline {
        command.args(["--max-rooms", "1000"]);
        // The IRC front on a free port, out of the IRC servers' way (the
        // baseline, from before it, has no such flag).
        command.args(["--irc-port", "0"]);
    }
    if kind == Kind::ChatDurable {
        command.arg("--data-dir").arg(dir.join("data"));
    } else {
        command.arg("--ephemeral");
    }
    command
}

/// Which of its `Listening on ADDR ...` lines a server is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Port {
    /// `Listening on ADDR`: the native (or the raw baseline's) port.
    Native,
    /// `Listening on ADDR` followed by words naming IRC (not TLS).
    Irc,
}

impl Port {
    /// The address of an announcement line of this port, if it is one.
    fn address_in(self, line: &str) -> Option<SocketAddr> {
        let rest = line.trim().strip_prefix("Listening on ")?;
        let (addr, what) = rest.split_once(' ').unwrap_or((rest, ""));
        let wanted = match self {
            Port::Native => what.is_empty(),
            Port::Irc => what.contains("IRC") && !what.contains("TLS"),
        };
        wanted.then(|| addr.parse().ok()).flatten()
    }
}

/// For servers that print `Listening on ADDR` once bound, a line for each
/// port (`port` says which is measured; the others are ignored). Once the
/// line is read, stdout is drained by a thread that ends with the server.
fn spawn_announcing(mut command: Command, log: std::fs::File, port: Port) -> io::Result<Running> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()?;
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let pid = child.id();
    let mut said = Vec::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line)? == 0 {
            break;
        }
        if let Some(addr) = port.address_in(&line) {
            std::thread::Builder::new()
                .name("server-stdout".into())
                .spawn(move || io::copy(&mut stdout, &mut io::sink()))?;
            return Ok(Running { addr, pid, child });
        }
        said.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(io::Error::other(format!(
        "{command:?} did not announce its {port:?} address (said {said:?})"
    )))
}

/// For servers told their port: waits until a connection succeeds.
fn spawn_listening(mut command: Command, log: std::fs::File, port: u16) -> io::Result<Running> {
    let stderr = log.try_clone()?;
    let child = command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(stderr)
        .spawn()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut running = Running {
        addr,
        pid: child.id(),
        child,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(running);
        }
        if let Ok(Some(status)) = running.child.try_wait() {
            return Err(io::Error::other(format!("{command:?} exited: {status}")));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(io::Error::other(format!(
        "{command:?} is not listening on {addr}"
    )))
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn ngircd_config(port: u16, dir: &Path) -> String {
    format!(
        "[Global]
    Name = bench.invalid
    Info = bench
    Listen = 127.0.0.1
    Ports = {port}
    MotdFile = {motd}
    PidFile = {dir}/ngircd.pid
    ServerUID = 0
    ServerGID = 0
[Limits]
    MaxConnections = 0
    MaxConnectionsIP = 0
    MaxJoins = 0
    MaxNickLength = 30
    MaxPenaltyTime = 0
    PingTimeout = 600
    PongTimeout = 600
    MaxListSize = 100
[Options]
    DNS = no
    Ident = no
    PAM = no
",
        motd = dir.join("motd").display(),
        dir = dir.display()
    )
}

fn inspircd_config(port: u16, dir: &Path) -> String {
    let dir = dir.display();
    format!(
        r#"<config format="xml">
<server name="bench.invalid" description="bench" network="bench">
<admin name="bench" nick="bench" email="bench@bench.invalid">
<bind address="127.0.0.1" port="{port}" type="clients">
<connect name="bench" allow="*" maxchans="1000" localmax="1000000" globalmax="1000000" limit="1000000"
    maxconnwarn="off" threshold="1000000" commandrate="1000000000" fakelag="off"
    hardsendq="1G" softsendq="1G" recvq="1G" pingfreq="600" timeout="600"
    resolvehostnames="no" useident="no" registration="60">
<performance softlimit="1000000" somaxconn="4096" netbuffersize="65536" clonesonconnect="no" quietbursts="yes" timeskipwarn="0">
<pid file="{dir}/inspircd.pid">
<files motd="{dir}/motd">
<dns timeout="1">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxhost="64" maxquit="255" maxtopic="307" maxkick="255" maxreal="128" maxgecos="128" maxaway="200">
<channels users="1000000" opers="1000000">
<security hidesplits="no" hideulines="no" announceinvites="dynamic">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{dir}/inspircd.log">
"#
    )
}
