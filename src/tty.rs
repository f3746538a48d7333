//! Reading a secret (a password) from the terminal with echo off.
//!
//! [`read_hidden`] talks to `/dev/tty`, not stdin, so it works while stdin is
//! a pipe. It turns echo off **before** it writes the prompt, and discards
//! anything typed before that (`TCSAFLUSH`), so no character of the secret
//! can be echoed however fast it is typed after the prompt appears. (Writing
//! the prompt first, as some libraries do, leaves a moment in which a typed
//! character is still echoed.) The terminal's settings are restored when the
//! line is read or reading fails.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};

use nix::sys::termios::{self, LocalFlags, SetArg, Termios};

/// Restores the terminal's settings when dropped.
struct Restore<'a> {
    tty: &'a File,
    saved: Termios,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.tty, SetArg::TCSANOW, &self.saved);
    }
}

/// Writes `prompt` on the terminal and reads one line with echo off. The line
/// ending is not part of the result. Fails without a terminal.
pub fn read_hidden(prompt: &str) -> io::Result<String> {
    let tty = OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let saved = termios::tcgetattr(&tty).map_err(io::Error::from)?;
    let mut hidden = saved.clone();
    hidden.local_flags.remove(LocalFlags::ECHO);
    hidden.local_flags.insert(LocalFlags::ECHONL);
    termios::tcsetattr(&tty, SetArg::TCSAFLUSH, &hidden).map_err(io::Error::from)?;
    let restore = Restore { tty: &tty, saved };
    let mut writer = restore.tty;
    writer.write_all(prompt.as_bytes())?;
    writer.flush()?;
    let mut line = String::new();
    BufReader::new(restore.tty).read_line(&mut line)?;
    drop(restore);
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_owned())
}
