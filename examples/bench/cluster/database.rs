//! A PostgreSQL of the benchmark's own: `initdb` into a fresh directory,
//! `pg_ctl start` on a free loopback port, `pg_ctl stop` when dropped. As the
//! tests' harness does (`tests/it/support/postgres.rs`), with one difference
//! that matters here: PostgreSQL's own settings are left at their defaults
//! (`fsync` and `synchronous_commit` on), so a commit waits for the disk as
//! it would in production. `--pg-setting` adds `-c NAME=VALUE` for a tuned run.
//!
//! PostgreSQL refuses to run as root; as root its programs run as the
//! `postgres` user (or `nobody`), which owns the directory.

use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running PostgreSQL cluster in a directory of its own.
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    run_as: Option<(u32, u32)>,
    /// The postmaster's process id: its backends are its children.
    pub pid: u32,
    databases: usize,
}

impl Postgres {
    /// Makes a cluster in `dir` (emptied first) and starts it with
    /// `settings` (`NAME=VALUE`, each passed as `-c`).
    pub fn start(dir: &Path, settings: &[String]) -> io::Result<Postgres> {
        let initdb = find_initdb().ok_or_else(|| {
            io::Error::other(
                "PostgreSQL's initdb is not installed (as root: apt-get install postgresql)",
            )
        })?;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir)?;
        let run_as = unprivileged_user()?;
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
        }
        let mut postgres = Postgres {
            bin: initdb.parent().map(Path::to_path_buf).unwrap_or_default(),
            dir: dir.to_path_buf(),
            port: TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(),
            run_as,
            pid: 0,
            databases: 0,
        };
        let data = dir.join("data");
        let data = data.to_string_lossy();
        // --no-sync: only initdb's own files skip the flush, not the server.
        let init = ["-D", &data, "-U", "postgres", "-A", "trust", "-E", "UTF8"];
        postgres.run("initdb", &[&init[..], &["--no-sync"]].concat())?;
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            postgres.port,
            dir.display()
        );
        for setting in settings {
            options += &format!(" -c {setting}");
        }
        let log = dir.join("postgres.log");
        let log = log.to_string_lossy();
        let start = ["start", "-w", "-t", "60", "-D", &data, "-l", &log, "-o"];
        postgres.run("pg_ctl", &[&start[..], &[&options]].concat())?;
        let pid_file = std::fs::read_to_string(dir.join("data/postmaster.pid"))?;
        postgres.pid = pid_file
            .lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .ok_or_else(|| io::Error::other("no pid in postmaster.pid"))?;
        Ok(postgres)
    }

    /// The URL of a new, empty database, so each run starts from no rows.
    pub fn new_database(&mut self) -> io::Result<String> {
        self.databases += 1;
        let name = format!("bench{}", self.databases);
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .map_err(io::Error::other)?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(io::Error::other)?;
        Ok(self.url(&name))
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs one of PostgreSQL's programs to its end.
    fn run(&self, program: &str, args: &[&str]) -> io::Result<()> {
        let mut command = Command::new(self.bin.join(program));
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        let output = command.output()?;
        if output.status.success() {
            return Ok(());
        }
        Err(io::Error::other(format!(
            "{program} {args:?} failed: {}; see {}",
            String::from_utf8_lossy(&output.stderr).trim(),
            self.dir.join("postgres.log").display()
        )))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.run(
            "pg_ctl",
            &["stop", "-w", "-m", "fast", "-D", &data.to_string_lossy()],
        );
    }
}

/// `initdb` on `PATH`, or in Debian's newest `/usr/lib/postgresql/*/bin`.
fn find_initdb() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|dirs| {
        std::env::split_paths(&dirs)
            .map(|dir| dir.join("initdb"))
            .find(|path| path.is_file())
    });
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin/initdb"))
        .filter(|path| path.is_file())
        .collect();
    versions.sort();
    on_path.or_else(|| versions.pop())
}

/// The `postgres` user's (or `nobody`'s) ids when running as root.
fn unprivileged_user() -> io::Result<Option<(u32, u32)>> {
    if !nix::unistd::Uid::effective().is_root() {
        return Ok(None);
    }
    ["postgres", "nobody"]
        .iter()
        .find_map(|name| nix::unistd::User::from_name(name).ok().flatten())
        .map(|user| Some((user.uid.as_raw(), user.gid.as_raw())))
        .ok_or_else(|| io::Error::other("as root, PostgreSQL needs a user: postgres or nobody"))
}
