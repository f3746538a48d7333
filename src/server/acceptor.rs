//! An acceptor thread (`accept-plain`, `accept-tls`, `accept-irc`,
//! `accept-irc-tls`): accepts connections on
//! one listening socket and hands each to the admission thread
//! (`accept.rs`). It only calls `accept`, so nothing one connection does
//! holds up another's.
//!
//! Out of descriptors (`EMFILE`, `ENFILE`), `accept` fails while the
//! connection stays in the kernel's backlog, so retrying would spin and the
//! client would wait for nothing. The acceptor keeps one spare descriptor
//! for that case: it closes it, accepts the connection with it, tells it
//! `BYE :server full` and closes it, then takes the spare back. The
//! admission thread's own accounting (`capacity.rs`) keeps the server under
//! its limit; this is for descriptors taken by something else.

use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;
use rustls::ServerConfig;

use super::Shutdown;
use super::accepted::{Accepted, Front};
use super::capacity::Limit;
use crate::protocol::ServerLine;

/// The `BYE` reason for a connection refused at a limit.
pub(crate) const FULL: &str = "server full";

/// An acceptor thread's body: accepts until shutdown, handing each socket on.
pub(crate) fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    front: Front,
    accepted: Sender<Accepted>,
    shutdown: Shutdown,
) {
    let mut reserve = open_reserve();
    loop {
        let incoming = listener.accept();
        if shutdown.is_triggered() {
            return;
        }
        match incoming {
            Ok((stream, _)) => {
                if accepted
                    .send(Accepted::Tcp(stream, tls.clone(), front))
                    .is_err()
                {
                    return;
                }
            }
            Err(error) if out_of_descriptors(&error) => {
                refuse_without_descriptor(&listener, &mut reserve, &error);
            }
            Err(error) => {
                log::warn!("accept failed: {error}");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// A descriptor kept open so that, out of descriptors, the acceptor can
/// still take a connection off the backlog to tell it `BYE :server full`
/// (otherwise it would stay there, and `accept` would fail at once, forever).
fn open_reserve() -> Option<File> {
    File::open("/dev/null").ok()
}

fn out_of_descriptors(error: &std::io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// Frees the reserve descriptor, accepts the waiting connection with it,
/// tells it the server is full and closes it, then takes the reserve back.
/// With no reserve to spare it waits a moment for connections to end
/// rather than spin on a failing `accept`.
fn refuse_without_descriptor(
    listener: &TcpListener,
    reserve: &mut Option<File>,
    error: &std::io::Error,
) {
    let how = match error.raw_os_error() {
        Some(libc::ENFILE) => "the machine's open-file table (fs.file-max) is full",
        _ => Limit::OpenFiles.how_to_raise(),
    };
    if reserve.take().is_some()
        && let Ok((mut stream, peer)) = listener.accept()
    {
        let _ = stream.set_nonblocking(true);
        let _ = stream.write_all(
            ServerLine::Bye {
                reason: FULL.into(),
            }
            .encode()
            .as_bytes(),
        );
        log::warn!("{peer}: refused: {FULL}: out of descriptors ({error}); {how}");
    }
    *reserve = open_reserve();
    if reserve.is_none() {
        thread::sleep(Duration::from_millis(100));
    }
}
