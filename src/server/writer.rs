//! A client's writer thread: the only code that writes to its socket.
//!
//! It waits for the first queued chunk, then takes everything else already
//! queued and writes it all with one `write_all`, so a backlog costs one system
//! call rather than one per line. When every producer has dropped its end of the
//! queue it sends the farewell `BYE`, if the server is closing the connection,
//! and shuts the socket's write side.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use super::outbox::Inbox;
use super::registry::Control;
use crate::protocol::ServerLine;

/// Stop gathering more chunks into one write past this many bytes.
const MAX_WRITE: usize = 256 * 1024;
/// A buffer grown past this is released after use even while more is queued.
/// Once the queue is empty it is released whatever its size, so an idle client
/// holds no buffer (it used to keep up to this much each: 16 KiB of RSS per
/// client after a burst of JOINs).
const KEEP_CAPACITY: usize = 16 * 1024;

/// The thread's body.
pub(crate) fn run(mut stream: TcpStream, inbox: Inbox, control: Arc<Control>) {
    let mut buf: Vec<u8> = Vec::new();
    while let Some(first) = inbox.recv() {
        if control.farewell().is_some_and(|farewell| farewell.discard_backlog) {
            break;
        }
        buf.extend_from_slice(&first);
        while buf.len() < MAX_WRITE {
            match inbox.try_recv() {
                Ok(chunk) => buf.extend_from_slice(&chunk),
                Err(_) => break,
            }
        }
        if let Err(error) = stream.write_all(&buf) {
            log::debug!("{}: write failed: {error}", control.peer);
            return;
        }
        buf.clear();
        if buf.capacity() > KEEP_CAPACITY || inbox.is_empty() {
            // About to wait: an idle client holds no buffer at all.
            buf = Vec::new();
        }
    }
    if let Some(farewell) = control.farewell() {
        let bye = ServerLine::Bye { reason: farewell.reason };
        let _ = stream.write_all(bye.encode().as_bytes());
    }
    let _ = stream.shutdown(Shutdown::Write);
}
