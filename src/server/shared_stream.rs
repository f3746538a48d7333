//! One client socket shared by its session, its writer and its [`Control`].
//!
//! Each used to hold its own `try_clone` of the socket: three descriptors per
//! client. Under a limit of 20,000 open files that capped the server at 6,600
//! clients. A socket can be read by one thread and written by another through
//! `&TcpStream`, so they now share one descriptor, closed when the last of the
//! three lets go (or the client's send queue, which keeps a handle for the
//! sequencer's non-blocking sends and goes with the session). (A TLS connection's halves are made by `TlsLink::split`,
//! which keeps its own handles.)
//!
//! [`Control`]: super::control::Control

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::ops::Deref;
use std::sync::Arc;

/// A shared client socket. Derefs to the `TcpStream` for options and shutdown.
#[derive(Debug, Clone)]
pub(crate) struct SharedStream(Arc<TcpStream>);

impl SharedStream {
    pub(crate) fn new(stream: TcpStream) -> SharedStream {
        SharedStream(Arc::new(stream))
    }
}

impl Deref for SharedStream {
    type Target = TcpStream;

    fn deref(&self) -> &TcpStream {
        &self.0
    }
}

impl Read for SharedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl Write for SharedStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self.0).flush()
    }
}
