//! The listening socket, bound with a backlog that fits a crowd.
//!
//! `std::net::TcpListener::bind` listens with a backlog of 128. When hundreds of
//! clients connect at once the kernel drops the connections past it, and each
//! dropped client waits a second (then 3, then 7) before it tries again: 2,000
//! clients took 4.7 s to register instead of well under 2. The kernel caps the
//! backlog at `net.core.somaxconn` (4096 by default since Linux 5.4).

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use socket2::{Domain, Protocol, Socket, Type};

/// Connections the kernel completes and holds for the accept thread.
pub const LISTEN_BACKLOG: i32 = 4096;

/// Like `TcpListener::bind` (the first address that works, `SO_REUSEADDR` set),
/// but with a backlog of [`LISTEN_BACKLOG`].
pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
    let mut last_error = None;
    for addr in addr.to_socket_addrs()? {
        match bind_one(addr) {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind to")))
}

fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}
