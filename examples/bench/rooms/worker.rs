//! A generator thread of a many-rooms run: one `mio` poll over its share of
//! the clients (`worker`, `worker + threads`, ...). It opens them a window at
//! a time, lets them register and join their rooms, and when the board says
//! so sends its senders' messages at the set rate, round-robin over its
//! (sender, room) pairs, each stamped with its send time.

use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use mio::{Events, Poll};

use super::Setup;
use super::load::worker::{Board, LOAD, Opening, STOP, Schedule};
use super::member::{Member, RoomTally, Seat};

/// What a worker hands back when it stops.
pub struct RoomsReport {
    pub seats: Vec<Seat>,
    pub ready: Vec<bool>,
    pub closed: Vec<bool>,
    pub latency: Vec<Histogram<u64>>,
    pub last_message: Option<Instant>,
    pub errors: u64,
    pub first_error: Option<String>,
    pub misrouted: u64,
}

const READ_BUFFER: usize = 256 * 1024;
const TICK: Duration = Duration::from_millis(5);

/// The thread's body. See the module docs.
pub fn run(setup: &Setup, worker: usize, board: &Board, epoch: Instant) -> io::Result<RoomsReport> {
    let threads = setup.threads.max(1);
    let mine: Vec<usize> = (worker..setup.layout.clients()).step_by(threads).collect();
    let window = (setup.window / threads).max(1);
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut members: Vec<Member> = Vec::with_capacity(mine.len());
    let mut opening = Opening::new(window, mine.len());
    let mut buf = vec![0u8; READ_BUFFER];
    let histogram = Histogram::new_with_bounds(1, 60_000_000, 2).expect("valid bounds");
    let mut tally = RoomTally {
        ready: 0,
        joins: 0,
        messages: 0,
        closed: 0,
        last_message: None,
        latency: vec![histogram; setup.layout.rooms],
        errors: 0,
        first_error: None,
        misrouted: 0,
        epoch,
        quickack: setup.quickack,
    };
    let mut pacer: Option<Pacer> = None;
    loop {
        while let Some(stream) =
            opening.next(&poll, setup.target, members.len(), mine.len(), board)?
        {
            let client = mine[members.len()];
            let name = format!("{}{client}", setup.name_prefix);
            members.push(Member::new(stream, client, name, &setup.layout));
        }
        let timeout = pacer
            .as_ref()
            .map_or(TICK, |pacer| pacer.wait(Instant::now()).min(TICK));
        poll.poll(&mut events, Some(timeout))?;
        for event in events.iter() {
            let index = event.token().0;
            let member = &mut members[index];
            on_event(setup, member, event, &mut buf, &mut tally);
            opening.settle(index, member.ready() || member.wire.closed);
        }
        let phase = board.phase.load(Ordering::Acquire);
        if phase >= LOAD && pacer.is_none() {
            let start = epoch + Duration::from_nanos(board.load_start_ns.load(Ordering::Acquire));
            pacer = Some(Pacer::new(setup, &members, start));
        }
        if let Some(pacer) = pacer.as_mut() {
            let sent = pacer.send_due(setup, &mut members, epoch, Instant::now());
            board.sent.fetch_add(sent, Ordering::Relaxed);
        }
        publish(&mut tally, board);
        if phase == STOP {
            break;
        }
    }
    Ok(RoomsReport {
        ready: members.iter().map(Member::ready).collect(),
        closed: members.iter().map(|m| m.wire.closed).collect(),
        seats: members.into_iter().map(|m| m.seat).collect(),
        latency: tally.latency,
        last_message: tally.last_message,
        errors: tally.errors,
        first_error: tally.first_error,
        misrouted: tally.misrouted,
    })
}

fn on_event(
    setup: &Setup,
    member: &mut Member,
    event: &mio::event::Event,
    buf: &mut [u8],
    tally: &mut RoomTally,
) {
    let connecting = !member.wire.connected && !member.wire.closed;
    if connecting
        && (event.is_writable() || event.is_error())
        && member.on_connected(setup.dialect).is_err()
    {
        member.wire.closed = true;
        tally.closed += 1;
    }
    if event.is_readable() || event.is_read_closed() {
        member.on_readable(buf, setup.dialect, tally, event.is_read_closed());
    }
    if event.is_writable() {
        let was_closed = member.wire.closed;
        member.wire.flush();
        if member.wire.closed && !was_closed {
            tally.closed += 1;
        }
    }
}

/// Adds this turn's counts to the board (ready members count as registered,
/// rooms joined as joins) and zeroes them.
fn publish(tally: &mut RoomTally, board: &Board) {
    for (local, shared) in [
        (&mut tally.ready, &board.registered),
        (&mut tally.joins, &board.joins),
        (&mut tally.messages, &board.messages),
        (&mut tally.closed, &board.closed),
    ] {
        if *local > 0 {
            shared.fetch_add(*local, Ordering::Relaxed);
            *local = 0;
        }
    }
}

/// Sends this worker's share of the messages at the set rate, round-robin
/// over its (member, room) pairs, so each pair sends `rate / senders` a second.
struct Pacer {
    /// (member index, room index within the member).
    slots: Vec<(usize, usize)>,
    next: usize,
    schedule: Schedule,
}

impl Pacer {
    fn new(setup: &Setup, members: &[Member], start: Instant) -> Pacer {
        let mut slots = Vec::new();
        for (index, member) in members.iter().enumerate() {
            for room in setup.layout.sends_of(member.seat.client) {
                let at = member.seat.rooms.iter().position(|&r| r == room);
                slots.extend(at.map(|at| (index, at)));
            }
        }
        let per_slot = setup.rate / setup.layout.senders.max(1) as f64;
        let rate = per_slot * slots.len() as f64;
        let schedule = Schedule {
            start,
            interval: (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate)),
            end: start + setup.duration,
            taken: 0,
        };
        Pacer {
            slots,
            next: 0,
            schedule,
        }
    }

    fn wait(&self, now: Instant) -> Duration {
        self.schedule.wait(now)
    }

    /// Sends every message due by `now`; returns how many were sent. A dead
    /// sender's slot passes unused, so it cannot stall the pacer.
    fn send_due(
        &mut self,
        setup: &Setup,
        members: &mut [Member],
        epoch: Instant,
        now: Instant,
    ) -> u64 {
        let mut sent = 0;
        while !self.slots.is_empty() && self.schedule.take_due(now) {
            let (index, room) = self.slots[self.next % self.slots.len()];
            self.next += 1;
            let member = &mut members[index];
            if member.wire.closed {
                continue;
            }
            let stamp = Instant::now().duration_since(epoch).as_nanos() as u64;
            member.queue_message(setup.dialect, room, stamp);
            member.wire.flush();
            sent += 1;
        }
        sent
    }
}
