//! What the IRC client programs leave on disk, read with deadlines: the
//! files they write what they received into (ii's `out`, weechat's logs)
//! and the FIFOs they read commands from.
//!
//! Nothing here sleeps to synchronise: a wait polls the file until the line
//! is there or the deadline passes, and the failure shows what the file held.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{LINE_DEADLINE, eventually};

/// The first line of the text file at `path` for which `matches` holds,
/// waiting up to [`LINE_DEADLINE`] for it to be written; fails the test
/// with what the file held (`what` says whose file it is).
pub fn wait_for_line(path: &Path, what: &str, matches: impl Fn(&str) -> bool) -> String {
    let mut found = None;
    eventually(LINE_DEADLINE, || {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        found = text.lines().find(|line| matches(line)).map(str::to_owned);
        found.is_some()
    });
    found.unwrap_or_else(|| {
        let held = std::fs::read_to_string(path).unwrap_or_else(|e| format!("(unreadable: {e})"));
        panic!(
            "{what}: no matching line in {} within {LINE_DEADLINE:?}; it held:\n{held}",
            path.display()
        )
    })
}

/// Waits until the messages that `message` picks out of the lines of
/// `path` (in file order, each line's text or `None`), joined with nothing
/// between them, hold `text`: a text too long for one IRC line arrives as
/// several. Fails the test like [`wait_for_line`].
pub fn wait_for_joined(
    path: &Path,
    what: &str,
    text: &str,
    message: impl Fn(&str) -> Option<&str>,
) {
    let joined = |file: &str| file.lines().filter_map(&message).collect::<String>();
    let arrived = eventually(LINE_DEADLINE, || {
        joined(&std::fs::read_to_string(path).unwrap_or_default()).contains(text)
    });
    if !arrived {
        let held = std::fs::read_to_string(path).unwrap_or_default();
        panic!(
            "{what}: {} does not hold the text within {LINE_DEADLINE:?}; it held:\n{held}",
            path.display()
        );
    }
}

/// Writes `line` and a LF to the FIFO at `path` once its program reads it:
/// opening a FIFO without a reader fails with ENXIO (the program has not
/// created or reopened it yet), so that is retried until the deadline.
pub fn write_fifo(path: &Path, line: &str) {
    let deadline = Instant::now() + LINE_DEADLINE;
    loop {
        let opened = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path);
        match opened {
            Ok(mut fifo) => {
                assert!(
                    path.metadata().unwrap().file_type().is_fifo(),
                    "{} is not a FIFO",
                    path.display()
                );
                // A line is far below PIPE_BUF, so it is written whole.
                fifo.write_all(format!("{line}\n").as_bytes())
                    .unwrap_or_else(|e| panic!("write to {}: {e}", path.display()));
                return;
            }
            Err(e)
                if matches!(e.kind(), ErrorKind::NotFound)
                    || e.raw_os_error() == Some(libc::ENXIO) =>
            {
                assert!(
                    Instant::now() < deadline,
                    "nobody reads the FIFO {} after {LINE_DEADLINE:?}",
                    path.display()
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("open {}: {e}", path.display()),
        }
    }
}
