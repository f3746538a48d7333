//! A generated client's socket and buffers: what every scenario's client
//! shares. It writes what was queued, reads what arrives and hands each
//! complete line (without its line end) to the caller; it knows nothing of
//! either protocol. Once `closed`, it neither reads nor writes again.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::time::Instant;

use mio::net::TcpStream;

/// A non-blocking connection with its output queue and a partial input line.
pub struct Wire {
    pub stream: TcpStream,
    pub connected: bool,
    pub closed: bool,
    out: Vec<u8>,
    out_pos: usize,
    carry: Vec<u8>,
}

impl Wire {
    pub fn new(stream: TcpStream) -> Wire {
        Wire {
            stream,
            connected: false,
            closed: false,
            out: Vec::new(),
            out_pos: 0,
            carry: Vec::new(),
        }
    }

    /// Called on the first writable event: the connection is up, or failed.
    pub fn on_connected(&mut self) -> io::Result<()> {
        if let Some(error) = self.stream.take_error()? {
            return Err(error);
        }
        self.stream.peer_addr()?;
        self.stream.set_nodelay(true)?;
        self.connected = true;
        Ok(())
    }

    /// Adds `bytes` to the output queue; [`Wire::flush`] writes them.
    pub fn queue(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Writes as much of the queue as the socket takes now.
    pub fn flush(&mut self) {
        if !self.connected || self.closed {
            return;
        }
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => return self.closed = true,
                Ok(n) => self.out_pos += n,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.closed = true,
            }
        }
        self.out.clear();
        self.out_pos = 0;
    }

    /// Reads what the socket holds and calls `on_line(line, now, wire)` for
    /// every complete line, `\r` stripped; `wire` is this connection, to queue
    /// answers on (they are flushed at the end). A read that does not fill
    /// `buf` emptied the socket, and anything arriving later raises a new
    /// (edge-triggered) event, so it stops there, saving the read that would
    /// say so, unless the peer has closed (`closing`): its end of stream
    /// raised no new edge. `quickack` re-arms TCP_QUICKACK after each read.
    pub fn read_lines(
        &mut self,
        buf: &mut [u8],
        closing: bool,
        quickack: bool,
        mut on_line: impl FnMut(&[u8], Instant, &mut Wire),
    ) {
        while !self.closed {
            match self.stream.read(buf) {
                Ok(0) => self.closed = true,
                Ok(n) => {
                    let now = Instant::now();
                    self.take_lines(&buf[..n], now, &mut on_line);
                    if quickack {
                        set_quickack(&self.stream);
                    }
                    if n < buf.len() && !closing {
                        break;
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => self.closed = true,
            }
        }
        self.flush();
    }

    fn take_lines(
        &mut self,
        data: &[u8],
        now: Instant,
        on_line: &mut impl FnMut(&[u8], Instant, &mut Wire),
    ) {
        let mut rest = data;
        if !self.carry.is_empty() {
            let Some(lf) = memchr::memchr(b'\n', rest) else {
                self.carry.extend_from_slice(rest);
                return;
            };
            let mut line = std::mem::take(&mut self.carry);
            line.extend_from_slice(&rest[..lf]);
            on_line(strip_cr(&line), now, self);
            line.clear();
            self.carry = line;
            rest = &rest[lf + 1..];
        }
        let mut start = 0;
        for lf in memchr::memchr_iter(b'\n', rest) {
            on_line(strip_cr(&rest[start..lf]), now, self);
            start = lf + 1;
        }
        self.carry.extend_from_slice(&rest[start..]);
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The command word of an IRC line, after any `:prefix`.
pub fn irc_command(line: &[u8]) -> &[u8] {
    let mut words = line.split(|&b| b == b' ');
    let first = words.next().unwrap_or(b"");
    if first.starts_with(b":") {
        words.next().unwrap_or(b"")
    } else {
        first
    }
}

/// Answers an IRC `PING` line on `wire`.
pub fn irc_pong(line: &[u8], wire: &mut Wire) {
    let token = line.splitn(2, |&b| b == b' ').nth(1).unwrap_or(b"");
    wire.queue(b"PONG ");
    wire.queue(token);
    wire.queue(b"\r\n");
}

/// Asks the kernel to acknowledge received data at once. It falls back to
/// delayed acks on its own, so this is repeated after each read.
fn set_quickack(stream: &TcpStream) {
    let one: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a c_int option value of the right size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
