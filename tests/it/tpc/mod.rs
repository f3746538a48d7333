//! End-to-end 3PC: the real `chat-coordinator` and `chat-participant` binaries over
//! a real chat server, with short timeouts, killing processes with SIGKILL or
//! `CHAT3PC_CRASH_AT`, one test per row of the fault table (C, P, T, H) plus bad
//! input. Each test asserts the outcome and the exact commit logs.
//!
//! Nothing sleeps to synchronise: [`Proc::expect`] waits for a plain-mode output
//! line with a deadline.

mod bad_input;
mod coordinator_faults;
mod flow;
mod loud;
mod no_gap;
mod over_tls;
mod participant_faults;
mod requests;
mod strangers;
mod total_failure;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chatroom::tpc::auth::GroupKey;
use chatroom::tpc::driver::DEFAULT_KEY_FILE;
use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::support::TestServer;

/// T for most tests: long enough that a loaded machine delivers a message within
/// T/6, short enough that the whole run stays within a couple of minutes.
pub const T: &str = "900ms";

/// How long any expected line may take.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A running coordinator or participant whose stdout is read on a named thread.
pub struct Proc {
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    reader: Option<JoinHandle<()>>,
    /// Every line seen so far, for assertions and failure messages.
    pub seen: Vec<String>,
}

impl Proc {
    pub fn spawn(name: &str, mut command: Command, with_stdin: bool) -> Proc {
        command
            .stdin(if with_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .env("RUST_LOG", "warn");
        let spawning = crate::support::spawning();
        let mut child = command.spawn().expect("spawn a 3PC binary");
        drop(spawning);
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = crossbeam_channel::unbounded();
        let reader = std::thread::Builder::new()
            .name(format!("stdout-{name}"))
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn reader");
        Proc {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            lines,
            reader: Some(reader),
            seen: Vec::new(),
        }
    }

    /// Waits for a line starting with `prefix`; returns it.
    pub fn expect(&mut self, prefix: &str) -> String {
        self.expect_line(|line| line.starts_with(prefix), DEADLINE)
            .unwrap_or_else(|| self.fail(&format!("no line starting with {prefix:?}")))
    }

    /// Waits for a line matching `pred`, at most `timeout`; `None` if the
    /// deadline passed or the process ended first.
    pub fn expect_line(
        &mut self,
        pred: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.lines.recv_deadline(deadline) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return Some(line);
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Reads the rest of the output until the process exits (its stdout
    /// closes), and returns its exit status. Fails if it is still running after
    /// [`DEADLINE`].
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            match self.lines.recv_deadline(deadline) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => self.fail("did not exit"),
            }
        }
        self.child.wait().expect("wait for a 3PC process")
    }

    /// Types a line at the process, as its human would.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("started with stdin");
        writeln!(stdin, "{line}").expect("write to stdin");
    }

    /// Ends the process's stdin, as Ctrl-D would.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        while self
            .expect_line(|_| false, Duration::from_secs(5))
            .is_some()
        {}
    }

    /// True if some line seen so far starts with `prefix`.
    pub fn saw(&self, prefix: &str) -> bool {
        self.seen.iter().any(|line| line.starts_with(prefix))
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{}: {what}; its output:\n{}",
            self.name,
            self.seen.join("\n")
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// Where the chat server is, and a temp dir for the logs.
pub struct Cluster {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    _server: Option<TestServer>,
}

/// Options for one process.
#[derive(Default, Clone)]
pub struct Opts<'a> {
    pub crash_at: Option<&'a str>,
    pub args: &'a [&'a str],
    pub timeout: Option<&'a str>,
    pub stdin: bool,
}

impl Cluster {
    /// An in-process chat server on port 0.
    pub fn start() -> Cluster {
        let server = TestServer::unthrottled();
        let mut cluster = Cluster::at(server.addr);
        cluster._server = Some(server);
        cluster
    }

    /// For a server that lives elsewhere (a child process). The group's key
    /// is made in the logs' directory, where every process finds it.
    pub fn at(addr: SocketAddr) -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir");
        GroupKey::create_file(&dir.path().join(DEFAULT_KEY_FILE)).expect("make the group key");
        Cluster {
            addr,
            dir,
            _server: None,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, binary: &str, name: &str, opts: &Opts<'_>) -> Command {
        let mut command = Command::new(binary);
        let port = self.addr.port().to_string();
        command.args(["--host", "127.0.0.1", "--port", &port, "--name", name]);
        command.arg("--dir").arg(self.path());
        command.args(["--timeout", opts.timeout.unwrap_or(T)]);
        // Tests restart a killed process at once, before the server may have
        // noticed; `loud.rs` checks the default (exit 2 on a taken name).
        command.arg("--wait-for-name");
        command.args(opts.args);
        if let Some(point) = opts.crash_at {
            command.env("CHAT3PC_CRASH_AT", point);
        }
        command
    }

    /// Starts a participant and waits until it is registered.
    pub fn participant(&self, name: &str, opts: Opts<'_>) -> Proc {
        let command = self.command(env!("CARGO_BIN_EXE_chat-participant"), name, &opts);
        let mut proc = Proc::spawn(name, command, opts.stdin);
        proc.expect("CONNECTED ");
        proc
    }

    /// Starts p1, p2 and p3 voting commit with automatic ACKs.
    pub fn three(&self) -> [Proc; 3] {
        self.three_with(Opts::default())
    }

    /// Starts p1, p2 and p3, each with `opts`.
    pub fn three_with(&self, opts: Opts<'_>) -> [Proc; 3] {
        ["p1", "p2", "p3"].map(|name| self.participant(name, opts.clone()))
    }

    /// Starts the coordinator for p1,p2,p3 (add `--request` in `opts.args`).
    pub fn coordinator(&self, opts: Opts<'_>) -> Proc {
        let stdin = opts.stdin;
        Proc::spawn("coordinator", self.coordinator_command(opts), stdin)
    }

    /// The command that runs the coordinator for p1,p2,p3, not yet started.
    pub fn coordinator_command(&self, opts: Opts<'_>) -> Command {
        let mut command =
            self.command(env!("CARGO_BIN_EXE_chat-coordinator"), "coordinator", &opts);
        command.args(["--participants", "p1,p2,p3"]);
        command
    }

    /// A participant's commit log, exactly.
    pub fn commit_log(&self, name: &str) -> String {
        let path: PathBuf = self.path().join(format!("{name}.log"));
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// Asserts every participant's commit log is `expected`.
    pub fn assert_logs(&self, expected: &str) {
        for name in ["p1", "p2", "p3"] {
            assert_eq!(self.commit_log(name), expected, "commit log of {name}");
        }
    }
}

/// Waits for `DECIDED <tx> <outcome>` at every process given.
pub fn expect_decided(procs: &mut [&mut Proc], tx: u64, outcome: &str) {
    for i in 0..procs.len() {
        let line = procs[i].expect(&format!("DECIDED {tx} "));
        if line != format!("DECIDED {tx} {outcome}") {
            for p in procs.iter() {
                eprintln!("==== {}\n{}", p.name, p.seen.join("\n"));
            }
        }
        let proc = &procs[i];
        assert_eq!(line, format!("DECIDED {tx} {outcome}"), "{}", proc.name);
    }
}

/// For a coordinator started with a request: waits for it and `others` to
/// decide `outcome` on transaction 1, then for it to exit as such a run does,
/// 0 for COMMIT and 1 for ABORT. (A restarted coordinator without a request
/// exits 0 either way.)
pub fn expect_run_decided(coordinator: &mut Proc, others: &mut [&mut Proc], outcome: &str) {
    expect_decided(&mut [&mut *coordinator], 1, outcome);
    expect_decided(others, 1, outcome);
    let code = if outcome == "COMMIT" { 0 } else { 1 };
    assert_eq!(
        coordinator.wait_exit().code(),
        Some(code),
        "coordinator exit"
    );
}

/// The `--request x` arguments.
pub const REQUEST: &[&str] = &["--request", "x"];

/// The exit status of a process that aborted itself (SIGABRT).
pub fn crashed(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(6)
}
