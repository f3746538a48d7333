//! The data directory and its lock: one server per directory.
//!
//! Two servers on one directory would both number messages from the same
//! database and lose every message to `UNIQUE constraint failed`. So a
//! durable server takes [`DataDir::lock`] before it touches anything in the
//! directory (history, accounts, its TLS certificate): an exclusive
//! `flock(2)` on [`LOCK_FILE`], taken without waiting and held as long as
//! the [`DataDir`] (every clone of it) lives; dropping the last one unlocks
//! at once, even while a child being forked still holds a copy of the open
//! file. The lock belongs to the open file, so the kernel drops it with the
//! process however it ends: a server
//! killed with `kill -9` leaves the file but not the lock, and the next one
//! starts at once. Nothing is ever judged stale.
//!
//! Only once it holds the lock does a server write into the file who it is
//! (its pid, then its addresses with [`DataDir::record_listening`]), so a
//! second server can say who holds the directory. The file's text is for
//! that message only; the lock is the truth.
//!
//! `--ephemeral` servers write nothing there and take no lock; nor do
//! `chat-server user` commands, which SQLite keeps safe beside a running
//! server.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ServerError;

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "chat-server.lock";

/// A data directory this process holds the lock of. Cheap to clone; the lock
/// is released when the last clone is dropped (or the process ends).
#[derive(Debug, Clone)]
pub struct DataDir {
    inner: Arc<Locked>,
}

#[derive(Debug)]
struct Locked {
    path: PathBuf,
    /// The open lock file: the lock lives exactly as long as this.
    file: File,
}

impl Drop for Locked {
    /// Unlocks before the file closes: a child that another thread of this
    /// process is forking holds a copy of the open file until it execs, and
    /// closing ours alone would leave the lock to that copy for a moment,
    /// so a server started right after this one stops would find the
    /// directory held (by this very process).
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

impl DataDir {
    /// Creates `path` if needed and takes its lock, or says who holds it
    /// ([`ServerError::DataDirInUse`]) or why the directory cannot be used
    /// ([`ServerError::DataDir`]). Records this process's pid in the lock
    /// file.
    pub fn lock(path: &Path) -> Result<DataDir, ServerError> {
        let unusable = |cause| ServerError::DataDir {
            path: path.to_owned(),
            cause,
        };
        create(path).map_err(unusable)?;
        let lock_path = path.join(LOCK_FILE);
        // Not truncated on open: until we hold the lock, the text is the
        // holder's.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(unusable)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let text = std::fs::read_to_string(&lock_path).unwrap_or_default();
                return Err(ServerError::DataDirInUse {
                    path: path.to_owned(),
                    holder: describe_holder(&text),
                });
            }
            Err(TryLockError::Error(cause)) => return Err(unusable(cause)),
        }
        let dir = DataDir {
            inner: Arc::new(Locked {
                path: path.to_owned(),
                file,
            }),
        };
        dir.write(&format!("pid {}\n", std::process::id()))
            .map_err(unusable)?;
        Ok(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Adds the server's addresses to the lock file, each with what it
    /// serves (`plain`, `tls`, `udp`), for the message a second server
    /// prints.
    pub fn record_listening(&self, listening: &[(&str, std::net::SocketAddr)]) -> io::Result<()> {
        let mut text = format!("pid {}\n", std::process::id());
        for (what, addr) in listening {
            text.push_str(&format!("{what} {addr}\n"));
        }
        self.write(&text)
    }

    fn write(&self, text: &str) -> io::Result<()> {
        let file = &self.inner.file;
        file.set_len(0)?;
        file.write_all_at(text.as_bytes(), 0)
    }
}

/// Creates the data directory `path` if it does not exist. A file where the
/// directory should be is "Not a directory": `create_dir_all`'s "File
/// exists" would puzzle anyone who meant it as the directory.
pub(crate) fn create(path: &Path) -> io::Result<()> {
    std::fs::create_dir_all(path).map_err(|error| match error.kind() {
        io::ErrorKind::AlreadyExists => io::Error::from_raw_os_error(libc::ENOTDIR),
        _ => error,
    })
}

/// Who holds a lock, from its lock file's text: `pid 4242, listening on
/// 127.0.0.1:25000, TLS 127.0.0.1:25001`. `None` when the text says nothing
/// (the holder has not written it yet, or it is not a chat-server).
fn describe_holder(text: &str) -> Option<String> {
    let mut pid = None;
    let mut listening = Vec::new();
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("pid", value)) => pid = Some(value.trim()),
            Some(("plain", addr)) => listening.push(addr.trim().to_owned()),
            Some(("tls", addr)) => listening.push(format!("TLS {}", addr.trim())),
            Some(("udp", addr)) => listening.push(format!("UDP {}", addr.trim())),
            _ => {}
        }
    }
    let mut parts: Vec<String> = pid.map(|pid| format!("pid {pid}")).into_iter().collect();
    if !listening.is_empty() {
        parts.push(format!("listening on {}", listening.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_as_a_second_server_describes_it() {
        let check = |text: &str, expected: Option<&str>| {
            assert_eq!(describe_holder(text).as_deref(), expected, "{text:?}");
        };
        check("", None);
        check("garbage\n", None);
        check("pid 42\n", Some("pid 42"));
        check(
            "pid 42\nplain 127.0.0.1:25000\ntls 127.0.0.1:25001\nudp 127.0.0.1:25000\n",
            Some("pid 42, listening on 127.0.0.1:25000, TLS 127.0.0.1:25001, UDP 127.0.0.1:25000"),
        );
        check("tls [::1]:25001\n", Some("listening on TLS [::1]:25001"));
    }

    #[test]
    fn one_holder_at_a_time_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = DataDir::lock(&data).unwrap();
        first
            .record_listening(&[("plain", "127.0.0.1:25000".parse().unwrap())])
            .unwrap();
        // flock locks belong to open files, so a second open in this very
        // process conflicts as another process's would.
        match DataDir::lock(&data) {
            Err(ServerError::DataDirInUse { path, holder }) => {
                assert_eq!(path, data);
                let pid = std::process::id();
                assert_eq!(
                    holder.as_deref(),
                    Some(format!("pid {pid}, listening on 127.0.0.1:25000").as_str())
                );
            }
            other => panic!("expected DataDirInUse, got {other:?}"),
        }
        let clone = first.clone();
        drop(first);
        assert!(DataDir::lock(&data).is_err(), "a clone still holds it");
        drop(clone);
        let again = DataDir::lock(&data).expect("free once every clone is gone");
        assert_eq!(again.path(), data);
    }

    /// A child process that another thread forks holds a copy of every
    /// open file until it execs (close-on-exec acts only then), the lock
    /// file's too: letting go must not wait for it.
    #[test]
    fn letting_go_frees_the_lock_while_a_forked_child_still_holds_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let held = DataDir::lock(dir.path()).unwrap();
        let childs_copy = held.inner.file.try_clone().unwrap();
        drop(held);
        let again = DataDir::lock(dir.path()).expect("free once the DataDir is gone");
        drop((again, childs_copy));
    }

    #[test]
    fn a_directory_that_cannot_be_made_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        for path in [file.join("data"), file] {
            match DataDir::lock(&path) {
                Err(error @ ServerError::DataDir { .. }) => {
                    assert!(error.to_string().contains("Not a directory"), "{error}");
                }
                other => panic!("expected DataDir, got {other:?}"),
            }
        }
    }
}
