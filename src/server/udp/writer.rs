//! A UDP client's writer thread: the only code that sends it `DATA`.
//!
//! It takes queued chunks like the TCP writer, splits them into lines and
//! sends each as one numbered datagram through the client's send window,
//! resending what goes unacknowledged. A full window is a full socket: the
//! writer waits for room, and meanwhile the client's queue fills, so a client
//! that does not acknowledge is evicted by the same queue limits as a TCP
//! reader; a window that stays full for [`STALLED`] evicts it too. Once the
//! queue closes it sends the farewell `BYE`, waits (briefly) for it to be
//! acknowledged, and ends the session with `CLOSE`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::peer::UdpPeer;
use crate::protocol::ServerLine;
use crate::server::control::Control;
use crate::server::outbox::{Chunk, Inbox, Received};
use crate::udp::GIVE_UP;

/// A window full for this long, with no acknowledgement making room, is a
/// reader too slow to keep: the same as the TCP writer's write timeout.
pub(crate) const STALLED: Duration = Duration::from_secs(10);
/// How long the farewell waits for its acknowledgement.
const FAREWELL_WAIT: Duration = Duration::from_secs(2);

/// Why the writer stopped sending lines.
enum Stop {
    /// The queue closed: the session ended.
    Closed,
    /// The client is being evicted; what is queued is thrown away.
    Discard,
    /// The client stopped acknowledging.
    Lost,
}

/// The thread's body. `evict` reports this client as too slow (as a queue
/// overflow would) to the registry.
pub(crate) fn run(peer: Arc<UdpPeer>, inbox: Inbox, control: Arc<Control>, evict: impl Fn()) {
    let stop = send_lines(&peer, &inbox, &control, &evict);
    if let Stop::Lost = stop {
        log::info!("{}: UDP client stopped acknowledging", control.peer);
        control.stop_reading();
    }
    drop(inbox);
    if let Some(farewell) = control.farewell()
        && !matches!(stop, Stop::Lost)
    {
        let bye = ServerLine::Bye {
            reason: farewell.reason,
        }
        .encode();
        let bye = bye.trim_end_matches('\n');
        if peer.push(bye.as_bytes()).is_ok() {
            let until = Instant::now() + FAREWELL_WAIT;
            while !peer.wait_for_all_acknowledged(until) && !peer.is_closed() {
                if Instant::now() >= until {
                    break;
                }
                peer.resend_due();
            }
        }
    }
    peer.finish();
}

/// Sends every queued line until the queue closes or the client is dropped.
fn send_lines(peer: &UdpPeer, inbox: &Inbox, control: &Control, evict: &impl Fn()) -> Stop {
    let mut batch: VecDeque<Chunk> = VecDeque::new();
    loop {
        if let Some(oldest) = peer.resend_due()
            && oldest.elapsed() > GIVE_UP
        {
            return Stop::Lost;
        }
        match inbox.recv_batch_until(&mut batch, peer.next_due()) {
            Received::Closed => return Stop::Closed,
            Received::TimedOut => continue,
            Received::Chunks => {}
        }
        for chunk in batch.drain(..) {
            for line in chunk.split(|&b| b == b'\n').filter(|line| !line.is_empty()) {
                if let Err(stop) = send_line(peer, control, line, evict) {
                    return stop;
                }
            }
        }
    }
}

/// Sends one line, first waiting for room in the window if it is full.
fn send_line(
    peer: &UdpPeer,
    control: &Control,
    line: &[u8],
    evict: &impl Fn(),
) -> Result<(), Stop> {
    let discard = || peer.is_closed() || control.is_discarding();
    if discard() {
        return Err(Stop::Discard);
    }
    let stalled_at = Instant::now() + STALLED;
    while peer.push(line).is_err() {
        if discard() {
            return Err(Stop::Discard);
        }
        if Instant::now() >= stalled_at {
            log::warn!("{}: UDP window full for {STALLED:?}", peer.addr);
            evict();
            return Err(Stop::Discard);
        }
        if !peer.wait_for_room(stalled_at) {
            peer.resend_due();
        }
    }
    Ok(())
}
