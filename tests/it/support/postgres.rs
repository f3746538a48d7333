//! A real PostgreSQL for the tests that need one: `initdb` into a temporary
//! directory, `pg_ctl start` on a free loopback port with its socket in that
//! directory, and `pg_ctl stop` plus removal when dropped (a panicking test
//! drops it too while unwinding).
//!
//! [`shared_postgres`] is one cluster for the whole test process, stopped
//! when the process exits; each test takes a fresh database on it
//! ([`PgCluster::database`]), so tests never see each other's rows. A test
//! that stops or restarts PostgreSQL starts its own [`PgCluster`].
//!
//! PostgreSQL refuses to run as root, so as root (CI here) every PostgreSQL
//! program runs as the `postgres` user (or `nobody`), which owns the
//! temporary directory. The programs are found with `require_program`: a
//! plain `cargo test` without them skips, `.ci/run` installs them.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use super::{output_within, require_program, unique};

/// How long `pg_ctl` may take to start or stop a cluster.
const PG_CTL_DEADLINE: Duration = Duration::from_secs(60);

/// One running (or stopped) PostgreSQL cluster in a temporary directory.
pub struct PgCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// The loopback TCP port it listens on.
    pub port: u16,
    /// The user PostgreSQL programs run as, when the tests run as root.
    run_as: Option<(u32, u32)>,
}

impl PgCluster {
    /// Makes and starts a cluster, or `None` (after saying why) when
    /// PostgreSQL is not installed and `.ci/run` did not ask for it.
    pub fn start() -> Option<PgCluster> {
        let initdb = require_program(
            &candidates("initdb")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            "PostgreSQL tests need initdb and pg_ctl",
            "apt-get install postgresql",
        )?;
        let bin = initdb.parent().expect("initdb's directory").to_path_buf();
        let dir = tempfile::Builder::new()
            .prefix("chatroom-pg")
            .tempdir()
            .expect("temporary directory for PostgreSQL");
        let run_as = unprivileged_user();
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("give the temporary directory to PostgreSQL's user");
        }
        let cluster = PgCluster {
            bin,
            dir,
            port: free_port(),
            run_as,
        };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        cluster.start_again();
        Some(cluster)
    }

    /// Starts the (stopped) cluster, waiting until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log");
        self.run(
            "pg_ctl",
            &[
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                self.data_dir().to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
            ],
        );
    }

    /// Stops the cluster (`pg_ctl stop -m fast`: sessions are ended at once).
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &[
                "stop",
                "-w",
                "-m",
                "fast",
                "-D",
                self.data_dir().to_str().unwrap(),
            ],
        );
    }

    /// A URL of a new, empty database no other test uses.
    pub fn database(&self) -> String {
        let name = unique("test");
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect to the test cluster");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        self.url(&name)
    }

    /// The temporary directory holding the cluster.
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a PostgreSQL program to its end; fails the test (with the
    /// server's log) if it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let mut command = Command::new(self.bin.join(program));
        command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        let output = output_within(&mut command, PG_CTL_DEADLINE);
        if !output.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default();
            panic!(
                "{program} {args:?} failed: {}\n{}\nserver log:\n{log}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }

    /// Stops the cluster without waiting for sessions, ignoring failure
    /// (it may be stopped already).
    fn stop_now(&self) {
        let mut command = Command::new(self.bin.join("pg_ctl"));
        command
            .args(["stop", "-w", "-m", "immediate", "-D"])
            .arg(self.data_dir())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        let _ = command.status();
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop_now();
        // The temporary directory goes with `self.dir`.
    }
}

/// The cluster every PostgreSQL test of this process shares, or `None`
/// when PostgreSQL is missing (see [`PgCluster::start`]). Stopped and
/// removed when the process exits.
pub fn shared_postgres() -> Option<&'static PgCluster> {
    static SHARED: OnceLock<Option<PgCluster>> = OnceLock::new();
    extern "C" fn stop_shared() {
        if let Some(Some(cluster)) = SHARED.get() {
            cluster.stop_now();
            let _ = std::fs::remove_dir_all(cluster.dir.path());
        }
    }
    SHARED
        .get_or_init(|| {
            let cluster = PgCluster::start()?;
            // SAFETY: registers a plain function with no arguments, run
            // once by `exit` after the test harness is done.
            unsafe { libc::atexit(stop_shared) };
            Some(cluster)
        })
        .as_ref()
}

/// Where `program` may be: on `PATH`, or in Debian's versioned directories.
fn candidates(program: &str) -> Vec<String> {
    let mut found = vec![program.to_owned()];
    if let Ok(versions) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut dirs: Vec<PathBuf> = versions.flatten().map(|v| v.path()).collect();
        dirs.sort();
        // Newest first.
        for dir in dirs.iter().rev() {
            found.push(dir.join("bin").join(program).display().to_string());
        }
    }
    found
}

/// The `postgres` user's (or `nobody`'s) ids when running as root, which
/// PostgreSQL refuses; `None` otherwise.
fn unprivileged_user() -> Option<(u32, u32)> {
    if !nix::unistd::Uid::effective().is_root() {
        return None;
    }
    let user = ["postgres", "nobody"]
        .iter()
        .find_map(|name| nix::unistd::User::from_name(name).ok().flatten())
        .expect("as root, PostgreSQL needs a user to run as: postgres or nobody");
    Some((user.uid.as_raw(), user.gid.as_raw()))
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}
