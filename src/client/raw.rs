//! The terminal itself, for terminal mode: raw mode, its size, and the two
//! threads that watch it.
//!
//! [`RawMode`] switches the terminal to raw mode (every byte as typed, no
//! echo, no signals from Ctrl-C or Ctrl-Z: the client handles those keys),
//! turns on bracketed paste and saves the window title, and undoes all of it
//! when dropped. Switching never discards typed-ahead bytes (`TCSANOW`).
//!
//! [`Watchers`] runs `chat-keys`, which reads stdin and sends the bytes as
//! they come, and `chat-winch`, which sends a note on every `SIGWINCH` (and
//! on `SIGTERM`, `SIGINT` and `SIGHUP`, so that the client quits cleanly and
//! gives the terminal back rather than dying in raw mode). Both
//! are stopped and joined by [`Watchers::stop`]: `chat-keys` polls stdin with
//! a short timeout, so it never sits in a read that cannot be interrupted.

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios::{self, SetArg, Termios};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGWINCH};
use signal_hook::iterator::{Handle, Signals};

/// How long `chat-keys` waits for input before it checks whether to stop.
const KEY_POLL: Duration = Duration::from_millis(100);

/// Raw mode, on until dropped. See the module docs.
pub struct RawMode {
    saved: Termios,
    raw: Termios,
}

impl RawMode {
    /// Switches stdin's terminal to raw mode.
    pub fn enter() -> io::Result<RawMode> {
        let stdin = io::stdin();
        let saved = termios::tcgetattr(stdin.as_fd()).map_err(io::Error::from)?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        // Output stays cooked: a log line on stderr still starts its row.
        raw.output_flags = saved.output_flags;
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw).map_err(io::Error::from)?;
        // Bracketed paste on; the window title saved on xterm's title stack.
        write_now("\x1b[?2004h\x1b[22;0t")?;
        Ok(RawMode { saved, raw })
    }

    /// Back to the terminal's own line mode, but with echo off, while the
    /// client registers: a password prompt can read a line, and keys typed
    /// meanwhile wait unechoed for [`RawMode::resume`].
    pub fn pause(&self) -> io::Result<()> {
        let mut quiet = self.saved.clone();
        quiet.local_flags.remove(termios::LocalFlags::ECHO);
        let stdin = io::stdin();
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &quiet).map_err(io::Error::from)
    }

    /// Ctrl-Z: gives the terminal back as it was and stops the process, as
    /// the shell's job control expects; raw mode again once continued. (A
    /// process with no shell to continue it, in an orphaned process group,
    /// is not stopped: it just goes on.)
    pub fn suspend(&self) -> io::Result<()> {
        write_now("\x1b[?2004l")?;
        let stdin = io::stdin();
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &self.saved).map_err(io::Error::from)?;
        nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP).map_err(io::Error::from)?;
        self.resume()?;
        write_now("\x1b[?2004h")
    }

    /// Raw mode again after [`RawMode::pause`].
    pub fn resume(&self) -> io::Result<()> {
        let stdin = io::stdin();
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &self.raw).map_err(io::Error::from)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = write_now("\x1b[?2004l\x1b[23;0t");
        let stdin = io::stdin();
        let _ = termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &self.saved);
    }
}

/// Writes `text` to stdout and flushes it.
pub fn write_now(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// The terminal's size as (rows, columns); 24 by 80 when it cannot be told.
pub fn size() -> (u16, u16) {
    match rustix::termios::tcgetwinsize(io::stdout()) {
        Ok(size) if size.ws_row > 0 && size.ws_col > 0 => (size.ws_row, size.ws_col),
        _ => (24, 80),
    }
}

/// Waits up to `timeout` (forever with `None`) for stdin and reads what is
/// there. `Ok(None)`: nothing came in time. An empty read means stdin ended.
pub fn read_stdin(timeout: Option<Duration>) -> io::Result<Option<Vec<u8>>> {
    let stdin = io::stdin();
    let timeout = match timeout {
        Some(wait) => PollTimeout::try_from(wait).unwrap_or(PollTimeout::MAX),
        None => PollTimeout::NONE,
    };
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, timeout) {
        Ok(0) | Err(Errno::EINTR) => return Ok(None),
        Ok(_) => {}
        Err(error) => return Err(error.into()),
    }
    let mut buffer = [0u8; 4096];
    match nix::unistd::read(stdin.as_fd(), &mut buffer) {
        Ok(read) => Ok(Some(buffer[..read].to_vec())),
        Err(Errno::EINTR | Errno::EAGAIN) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// What the watcher threads report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// Bytes typed or pasted.
    Bytes(Vec<u8>),
    /// Stdin ended or failed.
    Closed,
    /// The window was resized.
    Resized,
    /// The process was asked to end (`SIGTERM`, `SIGINT`, or `SIGHUP` as
    /// the terminal closed): quit as the user would, terminal restored.
    Ended,
}

/// The `chat-keys` and `chat-winch` threads. See the module docs.
pub struct Watchers {
    stop: Arc<AtomicBool>,
    signals: Handle,
    threads: Vec<JoinHandle<()>>,
}

impl Watchers {
    /// Starts both threads; what they see arrives on the returned channel.
    pub fn start() -> io::Result<(Watchers, Receiver<Watched>)> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let mut signals = Signals::new([SIGWINCH, SIGTERM, SIGINT, SIGHUP])?;
        let handle = signals.handle();
        let winch_tx = tx.clone();
        let winch = thread::Builder::new()
            .name("chat-winch".into())
            .spawn(move || {
                for signal in signals.forever() {
                    let watched = match signal {
                        SIGWINCH => Watched::Resized,
                        _ => Watched::Ended,
                    };
                    if winch_tx.send(watched).is_err() {
                        return;
                    }
                }
            })?;
        let keys_stop = stop.clone();
        let keys = thread::Builder::new()
            .name("chat-keys".into())
            .spawn(move || read_keys(&tx, &keys_stop))?;
        let watchers = Watchers {
            stop,
            signals: handle,
            threads: vec![winch, keys],
        };
        Ok((watchers, rx))
    }

    /// Stops both threads and waits for them.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.signals.close();
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

fn read_keys(tx: &Sender<Watched>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let watched = match read_stdin(Some(KEY_POLL)) {
            Ok(None) => continue,
            Ok(Some(bytes)) if bytes.is_empty() => Watched::Closed,
            Ok(Some(bytes)) => Watched::Bytes(bytes),
            Err(error) => {
                log::warn!("reading the terminal failed: {error}");
                Watched::Closed
            }
        };
        let closed = watched == Watched::Closed;
        if tx.send(watched).is_err() || closed {
            return;
        }
    }
}
