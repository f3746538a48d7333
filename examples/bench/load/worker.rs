//! A generator thread: one `mio` poll over its share of the clients.
//!
//! It opens its clients a window at a time, registers them, and when the board
//! says so sends its senders' messages: all at once (a burst) or at a fixed
//! rate. It reads everything every client receives, counting as it goes, and
//! adds its counts to the shared [`Board`] once per loop turn.
//!
//! The many-rooms scenario (`rooms/`) uses the same pieces: the [`Board`] and
//! its load phase ([`Board::run_load`]), the connection window ([`Opening`])
//! and the pacing [`Schedule`].

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::conn::{Conn, Tally, latency_text};
use super::{Load, Plan, Progress, Stall};

/// Phases the coordinating thread moves the workers through, after the
/// first (0: connect and register).
pub const LOAD: u8 = 1;
pub const STOP: u8 = 2;

/// Counters shared by all workers and the coordinating thread.
#[derive(Default)]
pub struct Board {
    pub phase: AtomicU8,
    /// When the load phase started, in nanoseconds since the epoch.
    pub load_start_ns: AtomicU64,
    pub opened: AtomicU64,
    pub registered: AtomicU64,
    pub joins: AtomicU64,
    pub messages: AtomicU64,
    pub closed: AtomicU64,
    pub refused: AtomicU64,
    pub sent: AtomicU64,
}

impl Board {
    /// Starts the load phase and waits until `sending_done(load start, sent)`
    /// and every message sent has reached its `recipients`, or nothing has
    /// moved for `stall`. Returns when the load started. Shared by the
    /// one-room and many-rooms coordinators.
    pub fn run_load(
        &self,
        epoch: Instant,
        recipients: u64,
        stall: Duration,
        progress: &mut Progress,
        sending_done: impl Fn(Instant, u64) -> bool,
    ) -> Instant {
        let load_start = Instant::now();
        self.load_start_ns.store(
            load_start.duration_since(epoch).as_nanos() as u64,
            Ordering::Release,
        );
        self.phase.store(LOAD, Ordering::Release);
        let mut stall = Stall::new(stall);
        loop {
            let delivered = self.messages.load(Ordering::Relaxed);
            let sent = self.sent.load(Ordering::Relaxed);
            let expected = sent * recipients;
            if sending_done(load_start, sent) && delivered >= expected {
                break;
            }
            if stall.stalled(delivered + sent) {
                break;
            }
            progress.show(|| format!("sent {sent} delivered {delivered}/{expected}"));
            thread::sleep(Duration::from_millis(1));
        }
        load_start
    }
}

/// What one client did, for the final count of missing messages.
pub struct ClientReport {
    pub sent: u64,
    pub messages: u64,
    pub registered: bool,
    pub closed: bool,
}

/// What a worker hands back when it stops.
pub struct WorkerReport {
    pub clients: Vec<ClientReport>,
    pub latency: Option<Histogram<u64>>,
    /// See [`Tally::by_nodes`].
    pub latency_by_nodes: Vec<Histogram<u64>>,
    pub last_message: Option<Instant>,
}

const READ_BUFFER: usize = 256 * 1024;
const TICK: Duration = Duration::from_millis(5);

/// The thread's body: serves clients `worker`, `worker + threads`, ... of the plan.
pub fn run(plan: &Plan, worker: usize, board: &Board, epoch: Instant) -> io::Result<WorkerReport> {
    let threads = plan.threads.max(1);
    let mine: Vec<usize> = (worker..plan.clients).step_by(threads).collect();
    let window = (plan.window / threads).max(1);
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut conns: Vec<Conn> = Vec::with_capacity(mine.len());
    let mut opening = Opening::new(window, mine.len());
    let mut buf = vec![0u8; READ_BUFFER];
    let latency = matches!(plan.load, Load::Paced { .. });
    let histogram = || Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
    let nodes = plan.nodes();
    let pairs = if latency && nodes > 1 {
        nodes * nodes
    } else {
        0
    };
    let mut tally = Tally {
        registered: 0,
        joins: 0,
        messages: 0,
        closed: 0,
        refused: 0,
        last_message: None,
        latency: latency.then(histogram),
        by_nodes: (0..pairs).map(|_| histogram()).collect(),
        nodes,
        epoch,
        quickack: latency && plan.quickack,
    };
    let mut pacer: Option<Pacer> = None;
    loop {
        while let Some(&global) = mine.get(conns.len()) {
            let (node, addr) = plan.node_of(global);
            let Some(stream) = opening.next(&poll, addr, conns.len(), mine.len(), board)? else {
                break;
            };
            let mut conn = Conn::new(stream, format!("{}{global}", plan.name_prefix));
            conn.node = node;
            conns.push(conn);
        }
        let timeout = pacer
            .as_ref()
            .map_or(TICK, |pacer| pacer.wait(Instant::now()).min(TICK));
        poll.poll(&mut events, Some(timeout))?;
        for event in events.iter() {
            let index = event.token().0;
            let conn = &mut conns[index];
            let connecting = !conn.wire.connected && !conn.closed();
            if connecting
                && (event.is_writable() || event.is_error())
                && conn.on_connected(plan.dialect).is_err()
            {
                conn.wire.closed = true;
                tally.closed += 1;
            }
            if event.is_readable() || event.is_read_closed() {
                conn.on_readable(&mut buf, plan.dialect, &mut tally, event.is_read_closed());
            }
            if event.is_writable() {
                conn.flush(&mut tally);
            }
            opening.settle(index, conn.registered || conn.closed());
        }
        let phase = board.phase.load(Ordering::Acquire);
        if phase >= LOAD && pacer.is_none() {
            let start = epoch + Duration::from_nanos(board.load_start_ns.load(Ordering::Acquire));
            pacer = Some(start_load(plan, &mine, &mut conns, &mut tally, start));
        }
        if let Some(pacer) = pacer.as_mut() {
            let sent = pacer.send_due(plan, &mut conns, &mut tally, Instant::now());
            board.sent.fetch_add(sent, Ordering::Relaxed);
        }
        publish(&mut tally, board);
        if phase == STOP {
            break;
        }
    }
    let clients = conns
        .iter()
        .map(|c| ClientReport {
            sent: c.sent,
            messages: c.messages,
            registered: c.registered,
            closed: c.closed(),
        })
        .collect();
    Ok(WorkerReport {
        clients,
        latency: tally.latency.take(),
        latency_by_nodes: std::mem::take(&mut tally.by_nodes),
        last_message: tally.last_message,
    })
}

/// Adds this turn's counts to the board and zeroes them.
fn publish(tally: &mut Tally, board: &Board) {
    for (local, shared) in [
        (&mut tally.registered, &board.registered),
        (&mut tally.joins, &board.joins),
        (&mut tally.messages, &board.messages),
        (&mut tally.closed, &board.closed),
        (&mut tally.refused, &board.refused),
    ] {
        if *local > 0 {
            shared.fetch_add(*local, Ordering::Relaxed);
            *local = 0;
        }
    }
}

/// Starts the load phase: a burst queues every message now; a paced load
/// returns the pacer that sends them over time.
fn start_load(
    plan: &Plan,
    mine: &[usize],
    conns: &mut [Conn],
    tally: &mut Tally,
    start: Instant,
) -> Pacer {
    let senders: Vec<usize> = (0..conns.len())
        .filter(|&i| mine[i] < plan.load.senders())
        .collect();
    let mut pacer = Pacer {
        senders: senders.clone(),
        next: 0,
        burst: 0,
        schedule: Schedule {
            start,
            interval: None,
            end: start,
            taken: 0,
        },
    };
    match plan.load {
        Load::None => {}
        Load::Burst { messages, .. } => {
            let mut burst_sent = 0;
            for &i in &senders {
                for seq in 0..messages {
                    conns[i]
                        .queue_message(plan.dialect, &format!("F{}-{seq} fanout payload", mine[i]));
                }
                conns[i].flush(tally);
                burst_sent += messages as u64;
            }
            pacer.burst = burst_sent;
            pacer.senders.clear();
        }
        Load::Paced {
            senders: all_senders,
            rate,
            duration,
        } => {
            let my_rate = rate * senders.len() as f64 / all_senders.max(1) as f64;
            if my_rate > 0.0 {
                pacer.schedule.interval = Some(Duration::from_secs_f64(1.0 / my_rate));
            }
            pacer.schedule.end = start + duration;
        }
    }
    pacer
}

/// Sends paced messages round-robin over this worker's senders.
struct Pacer {
    senders: Vec<usize>,
    next: usize,
    /// A burst's message count, reported once.
    burst: u64,
    schedule: Schedule,
}

impl Pacer {
    fn wait(&self, now: Instant) -> Duration {
        self.schedule.wait(now)
    }

    /// Sends every message due by `now`; returns how many were newly sent (a
    /// burst reports its whole count the first time).
    fn send_due(
        &mut self,
        plan: &Plan,
        conns: &mut [Conn],
        tally: &mut Tally,
        now: Instant,
    ) -> u64 {
        if self.schedule.interval.is_none() {
            return std::mem::take(&mut self.burst);
        }
        let mut sent = 0;
        while !self.senders.is_empty() && self.schedule.take_due(now) {
            let index = self.senders[self.next % self.senders.len()];
            self.next += 1;
            let conn = &mut conns[index];
            if conn.closed() {
                continue; // its slot passes unused, so a dead sender cannot stall the pacer
            }
            let stamp = Instant::now().duration_since(tally.epoch).as_nanos() as u64;
            conn.queue_message(plan.dialect, &latency_text(stamp, conn.node));
            conn.flush(tally);
            sent += 1;
        }
        sent
    }
}

/// A worker's connections still opening: it opens the next one only while
/// fewer than `window` are open but not yet settled (registered, in their
/// rooms, or closed). Shared by the one-room and many-rooms workers; the
/// connection at index `i` has token `i`.
pub struct Opening {
    settled: Vec<bool>,
    pending: usize,
    window: usize,
}

impl Opening {
    pub fn new(window: usize, capacity: usize) -> Opening {
        Opening {
            settled: Vec::with_capacity(capacity),
            pending: 0,
            window,
        }
    }

    /// Connects and registers connection `opened` of `total` with `poll`, if
    /// the window has room; `None` when it has not, or all are open.
    pub fn next(
        &mut self,
        poll: &Poll,
        target: SocketAddr,
        opened: usize,
        total: usize,
        board: &Board,
    ) -> io::Result<Option<TcpStream>> {
        if opened >= total || self.pending >= self.window {
            return Ok(None);
        }
        let mut stream = TcpStream::connect(target)?;
        let interest = Interest::READABLE | Interest::WRITABLE;
        poll.registry()
            .register(&mut stream, Token(opened), interest)?;
        self.settled.push(false);
        board.opened.fetch_add(1, Ordering::Relaxed);
        self.pending += 1;
        Ok(Some(stream))
    }

    /// Notes that connection `index` has settled when `done`; the first time
    /// frees its place in the window.
    pub fn settle(&mut self, index: usize, done: bool) {
        if done && !self.settled[index] {
            self.settled[index] = true;
            self.pending -= 1;
        }
    }
}

/// When paced messages are due: one every `interval` from `start` until
/// `end`, counted by `taken`. Shared by the one-room and many-rooms pacers.
pub struct Schedule {
    pub start: Instant,
    pub interval: Option<Duration>,
    pub end: Instant,
    pub taken: u64,
}

impl Schedule {
    /// How long until the next message is due (a tick when none is).
    pub fn wait(&self, now: Instant) -> Duration {
        match self.interval {
            Some(interval) if now < self.end => {
                (self.start + interval * self.taken as u32).saturating_duration_since(now)
            }
            _ => TICK,
        }
    }

    /// Takes the next slot if it is due by `now`.
    pub fn take_due(&mut self, now: Instant) -> bool {
        let Some(interval) = self.interval else {
            return false;
        };
        let due = now < self.end && self.start + interval * self.taken as u32 <= now;
        self.taken += u64::from(due);
        due
    }
}
