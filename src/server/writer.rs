//! A client's writer thread: the only code that writes to its socket.
//!
//! It waits for the first queued chunk, then takes everything else already
//! queued and writes it all with one `write_all`, so a backlog costs one system
//! call rather than one per line. When every producer has dropped its end of the
//! queue it sends the farewell `BYE`, if the server is closing the connection,
//! and shuts the socket's write side.
//!
//! Over TLS the same loop writes through [`Output::Tls`]; an empty chunk is the
//! session's request to send the TLS records reading produced (see
//! `transport.rs`).

use std::sync::Arc;

use super::outbox::Inbox;
use super::registry::Control;
use super::transport::Output;
use crate::protocol::ServerLine;

/// Stop gathering more chunks into one write past this many bytes.
const MAX_WRITE: usize = 256 * 1024;
/// A buffer grown past this is released after use, so an idle client holds
/// no large allocation.
const KEEP_CAPACITY: usize = 16 * 1024;

/// The thread's body.
pub(crate) fn run(mut stream: Output, inbox: Inbox, control: Arc<Control>) {
    let mut buf: Vec<u8> = Vec::new();
    while let Some(first) = inbox.recv() {
        if control
            .farewell()
            .is_some_and(|farewell| farewell.discard_backlog)
        {
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
            // A peer that is gone or takes nothing for the write timeout:
            // wake the session so the connection ends as lost.
            log::debug!("{}: write failed: {error}", control.peer);
            control.stop_reading();
            return;
        }
        buf.clear();
        if buf.capacity() > KEEP_CAPACITY {
            buf = Vec::new();
        }
    }
    if let Some(farewell) = control.farewell() {
        let bye = ServerLine::Bye {
            reason: farewell.reason,
        };
        let _ = stream.write_all(bye.encode().as_bytes());
    }
    stream.finish();
}
