//! One TLS connection shared by a reader thread and a writer thread.
//!
//! rustls's `StreamOwned` owns both directions, so it cannot be split across a
//! reader and a writer thread. Here the rustls state machine sits behind one
//! `parking_lot::Mutex` in a [`TlsLink`], and each thread keeps its own clone of
//! the socket:
//!
//! - [`TlsReadHalf`] (a [`Read`], so `LineReader` works unchanged) reads raw
//!   bytes from the socket **without** the lock, then takes the lock to feed
//!   them in (`read_tls`, `process_new_packets`) and to take out plaintext.
//! - [`TlsWriteHalf`] takes the lock to feed plaintext in and to take every
//!   pending TLS record out into a `Vec`, releases it, then writes the `Vec`.
//!
//! So the lock covers only memory work, never socket I/O: a peer that stops
//! reading blocks the writer in `write`, and the reader can still take the lock.
//!
//! **Who writes TLS records.** Records carry sequence numbers and must reach the
//! socket in the order rustls made them. Reading can make records too
//! (handshake messages, alerts, key-update answers). If the reader wrote those
//! itself, it could take records out after the writer took its own and write
//! them first. So only the write half ever takes records out and writes them:
//! when feeding input leaves records waiting, the read half calls its `wake`
//! function, which on the server queues an empty chunk on the client's outbox so
//! the writer thread comes round, takes out everything pending and writes it. An
//! `AtomicBool` keeps at most one wake in flight. The client, whose handshake is
//! finished before its reader thread starts, passes no wake: anything reading
//! produces later (a key-update answer) goes out with its next line.
//!
//! A peer that closes without TLS's `close_notify` gets an `UnexpectedEof`
//! error rather than a clean end of stream, so a cut-off last line is never
//! taken for a whole one.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

/// Raw bytes read from the socket at once. Small, because every idle client
/// keeps one; rustls gathers a large record from several reads.
const READ_BUFFER: usize = 4 * 1024;
/// The write half's record buffer is released after use past this size, so
/// an idle client holds no large allocation.
const KEEP_RECORDS: usize = 4 * 1024;

/// The rustls state of one connection, shared by its two halves.
pub struct TlsLink {
    /// The TLS state machine. The lock guards only it: held to feed bytes in
    /// and take bytes out, never across socket I/O.
    conn: Mutex<rustls::Connection>,
    /// The reader asked the writer to send records and the writer has not yet
    /// taken them out.
    wake_pending: AtomicBool,
}

/// Called by the read half when records are waiting to be written.
pub type Wake = Box<dyn Fn() + Send>;

impl TlsLink {
    /// Splits `conn`, running over `socket`, into a read half and a write half.
    /// `wake` is called when reading left records to send (see the module docs).
    pub fn split(
        conn: impl Into<rustls::Connection>,
        socket: &TcpStream,
        wake: Option<Wake>,
    ) -> io::Result<(TlsReadHalf, TlsWriteHalf)> {
        let mut conn = conn.into();
        // The write half empties rustls's buffers after every write, so the
        // buffered amount is bounded by the caller's own queue.
        conn.set_buffer_limit(None);
        let link = Arc::new(TlsLink {
            conn: Mutex::new(conn),
            wake_pending: AtomicBool::new(false),
        });
        let read = TlsReadHalf {
            link: link.clone(),
            socket: socket.try_clone()?,
            buf: vec![0; READ_BUFFER].into_boxed_slice(),
            wake,
        };
        let write = TlsWriteHalf {
            link,
            socket: socket.try_clone()?,
            records: Vec::new(),
        };
        Ok((read, write))
    }
}

/// The reading side: plaintext out of raw socket bytes. See the module docs.
pub struct TlsReadHalf {
    link: Arc<TlsLink>,
    socket: TcpStream,
    buf: Box<[u8]>,
    wake: Option<Wake>,
}

impl TlsReadHalf {
    /// The socket, to set its read timeout.
    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    /// Feeds `bytes` (empty: the socket ended) into rustls. Returns whether
    /// records wait to be written, and the protocol error if there was one.
    fn feed(&self, mut bytes: &[u8]) -> (bool, io::Result<()>) {
        let mut conn = self.link.conn.lock();
        let mut result = Ok(());
        loop {
            if let Err(error) = conn.read_tls(&mut bytes) {
                result = Err(error);
                break;
            }
            if let Err(error) = conn.process_new_packets() {
                result = Err(io::Error::new(io::ErrorKind::InvalidData, error));
                break;
            }
            if bytes.is_empty() {
                break;
            }
        }
        (conn.wants_write(), result)
    }

    fn wake_writer(&self) {
        if let Some(wake) = &self.wake
            && !self.link.wake_pending.swap(true, Ordering::AcqRel)
        {
            wake();
        }
    }
}

impl Read for TlsReadHalf {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.link.conn.lock().reader().read(out) {
                Ok(n) => return Ok(n),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
            // No plaintext buffered: read the socket, without the lock. A read
            // timeout returns from here and leaves everything intact.
            let n = self.socket.read(&mut self.buf)?;
            let (wants_write, result) = self.feed(&self.buf[..n]);
            if wants_write {
                self.wake_writer();
            }
            result?;
        }
    }
}

/// The writing side: plaintext in, records out to the socket. See the module
/// docs.
pub struct TlsWriteHalf {
    link: Arc<TlsLink>,
    socket: TcpStream,
    /// Records taken out of rustls, written after the lock is released.
    records: Vec<u8>,
}

impl TlsWriteHalf {
    /// Encrypts `plaintext` (which may be empty, just to send what reading
    /// left pending) and writes every pending record.
    pub fn send(&mut self, plaintext: &[u8]) -> io::Result<()> {
        {
            self.link.wake_pending.store(false, Ordering::Release);
            let mut conn = self.link.conn.lock();
            if !plaintext.is_empty() {
                conn.writer().write_all(plaintext)?;
            }
            while conn.wants_write() {
                conn.write_tls(&mut self.records)?;
            }
        }
        let result = self.socket.write_all(&self.records);
        self.records.clear();
        if self.records.capacity() > KEEP_RECORDS {
            self.records = Vec::new();
        }
        result
    }

    /// Sends TLS's `close_notify` and shuts the socket's write side.
    pub fn finish(&mut self) {
        self.link.conn.lock().send_close_notify();
        let _ = self.send(&[]);
        let _ = self.socket.shutdown(Shutdown::Write);
    }

    /// Sets the socket's write timeout.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.socket.set_write_timeout(timeout)
    }
}
