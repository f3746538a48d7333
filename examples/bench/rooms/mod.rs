//! The many-rooms scenario: many rooms of many members, every client in a
//! few of them, a few senders in each room sending at a set rate; deliveries
//! a second, latency from send to receipt, and a check that every member got
//! every message of its rooms once and in its room's one order.
//!
//! Against chatroom the clients speak protocol version 2 (`/part #lobby`,
//! `/join #rN`, `/say #rN text`, `MSG ... #rN :text`); against IRC servers
//! `JOIN #rN` and `PRIVMSG #rN :text`, with the same room names and the same
//! shape ([`layout`]). The load starts only once every client is in all its
//! rooms (`JOINED`, or IRC's end of NAMES), so no message can miss a member
//! that was not in yet. Like `load`, it never sleeps to synchronise: the
//! coordinating thread watches the workers' shared counters.

pub mod check;
pub mod layout;
pub mod member;
pub mod worker;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use hdrhistogram::Histogram;

// `super::load`, not `crate::load`: the smoke test compiles this module
// beside `load` inside its own module.
use super::load;
use check::{Findings, Receipts};
use layout::Layout;
use load::worker::Board;
use load::{Dialect, Progress, Stall};
use worker::RoomsReport;

/// The shape of a many-rooms run, as flags.
#[derive(Args, Debug, Clone)]
pub struct RoomsShape {
    /// Rooms (named #r0, #r1, ...).
    #[arg(long, default_value_t = 100)]
    rooms: usize,
    /// Members in each room.
    #[arg(long, default_value_t = 50)]
    room_members: usize,
    /// Rooms each client is in (clients = rooms x members / this).
    #[arg(long, default_value_t = 3)]
    rooms_per_client: usize,
    /// Members of each room that send to it.
    #[arg(long, default_value_t = 2)]
    room_senders: usize,
    /// Messages a second in each room, over its senders.
    #[arg(long, default_value_t = 10.0)]
    room_rate: f64,
    /// How long to send.
    #[arg(long, default_value_t = 10.0)]
    room_seconds: f64,
    /// Generator threads in this scenario (one keeps up, and a second would
    /// take a core from the server on a two-core machine; see `--latency-threads`).
    #[arg(long, default_value_t = 1)]
    room_threads: usize,
}

impl RoomsShape {
    pub fn layout(&self) -> Layout {
        Layout {
            rooms: self.rooms,
            members: self.room_members,
            per_client: self.rooms_per_client,
            senders: self.room_senders,
        }
    }

    /// One line saying the shape, for tables.
    pub fn describe(&self) -> String {
        let layout = self.layout();
        format!(
            "{} rooms x {} members, {} rooms per client ({} clients), {} senders a room, {} msg/s a room for {} s",
            self.rooms,
            self.room_members,
            self.rooms_per_client,
            layout.clients(),
            self.room_senders,
            self.room_rate,
            self.room_seconds
        )
    }
}

/// One many-rooms run against one server.
#[derive(Debug, Clone)]
pub struct Setup {
    pub target: SocketAddr,
    pub dialect: Dialect,
    pub layout: Layout,
    pub threads: usize,
    /// Connections opened but not yet in all their rooms, at most.
    pub window: usize,
    /// Messages a second in each room.
    pub rate: f64,
    pub duration: Duration,
    pub name_prefix: String,
    pub quickack: bool,
    /// Give up when no counter has moved for this long.
    pub stall: Duration,
    /// Shown on the progress line; `None` for none.
    pub label: Option<String>,
}

impl Setup {
    pub fn new(target: SocketAddr, dialect: Dialect, shape: &RoomsShape) -> Setup {
        Setup {
            target,
            dialect,
            layout: shape.layout(),
            threads: shape.room_threads,
            window: 500,
            rate: shape.room_rate,
            duration: Duration::from_secs_f64(shape.room_seconds),
            name_prefix: "m".into(),
            quickack: true,
            stall: Duration::from_secs(10),
            label: None,
        }
    }
}

/// What a many-rooms run measured.
#[derive(Debug, Clone)]
pub struct RoomsOutcome {
    pub clients: usize,
    /// Clients in all their rooms when the load started.
    pub ready: u64,
    pub closed: u64,
    /// From the first connection to every client in all its rooms.
    pub joined_after: Option<Duration>,
    pub sent: u64,
    pub findings: Findings,
    /// Rooms in which some member missed a message or saw one out of order.
    pub rooms_with_faults: usize,
    /// From the start of the load to the last delivery.
    pub load_time: Option<Duration>,
    /// Delivery latency over all rooms, in microseconds.
    pub latency: Option<Histogram<u64>>,
    /// Each room's p99 latency in milliseconds, sorted.
    pub room_p99_ms: Vec<f64>,
    pub errors: u64,
    pub first_error: Option<String>,
    pub misrouted: u64,
}

impl RoomsOutcome {
    pub fn deliveries_per_sec(&self) -> Option<f64> {
        let time = self.load_time.filter(|t| !t.is_zero())?;
        Some(self.findings.delivered as f64 / time.as_secs_f64())
    }

    pub fn latency_ms(&self, q: f64) -> Option<f64> {
        let histogram = self.latency.as_ref().filter(|h| !h.is_empty())?;
        Some(histogram.value_at_quantile(q) as f64 / 1000.0)
    }

    /// Missing, duplicated, out-of-order and misrouted messages together:
    /// zero in a correct run.
    pub fn faults(&self) -> u64 {
        let f = &self.findings;
        f.missing + f.duplicates + f.out_of_order + self.misrouted
    }

    /// `Ok` when the run measured what it should: every client got into all
    /// its rooms, messages were sent, and none was lost, repeated, misrouted
    /// or out of order. Otherwise what went wrong, for the exit status.
    pub fn verdict(&self) -> Result<(), String> {
        if self.ready < self.clients as u64 {
            let first = self.first_error.as_deref().unwrap_or("none");
            return Err(format!(
                "only {} of {} clients got into all their rooms ({} connections closed; first error: {first})",
                self.ready, self.clients, self.closed
            ));
        }
        if self.sent == 0 {
            return Err("no message was sent (--room-rate or --room-seconds is 0)".into());
        }
        match self.faults() {
            0 => Ok(()),
            n => Err(format!(
                "{n} messages lost, repeated, misrouted or out of order"
            )),
        }
    }

    /// A few lines for people.
    pub fn summary(&self) -> String {
        let secs = |d: Option<Duration>| {
            d.map_or("never".to_string(), |d| format!("{:.3} s", d.as_secs_f64()))
        };
        let f = &self.findings;
        let mut out = format!(
            "  clients {} in all their rooms {} after {}; closed {}; errors {}{}\n",
            self.clients,
            self.ready,
            secs(self.joined_after),
            self.closed,
            self.errors,
            self.first_error
                .as_ref()
                .map_or(String::new(), |e| format!(" (first: {e})")),
        );
        out += &format!(
            "  sent {} delivered {}/{} in {}: {:.0} deliveries/s; missing {} duplicates {} out of order {} misrouted {} (rooms with faults: {})\n",
            self.sent,
            f.delivered,
            f.expected,
            secs(self.load_time),
            self.deliveries_per_sec().unwrap_or(0.0),
            f.missing,
            f.duplicates,
            f.out_of_order,
            self.misrouted,
            self.rooms_with_faults,
        );
        if let Some(histogram) = self.latency.as_ref().filter(|h| !h.is_empty()) {
            let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
            let p99 = &self.room_p99_ms;
            out += &format!(
                "  latency ms p50 {:.3} p99 {:.3} max {:.3} ({} samples); per-room p99 best {:.3} median {:.3} worst {:.3}\n",
                ms(0.5),
                ms(0.99),
                histogram.max() as f64 / 1000.0,
                histogram.len(),
                p99.first().copied().unwrap_or(0.0),
                p99.get(p99.len() / 2).copied().unwrap_or(0.0),
                p99.last().copied().unwrap_or(0.0),
            );
        }
        out
    }
}

/// Runs `setup` to the end. See the module docs.
pub fn run(setup: &Setup) -> io::Result<RoomsOutcome> {
    setup.layout.validate().map_err(io::Error::other)?;
    let epoch = Instant::now();
    let board = Board::default();
    let body = |w| worker::run(setup, w, &board, epoch);
    let coordinator = || coordinate(setup, &board, epoch);
    let (timing, reports) = load::with_workers(setup.threads, "rooms", &board, body, coordinator)?;
    Ok(settle(setup, timing, reports))
}

/// When the coordinating thread saw each phase end.
struct Timing {
    joined_after: Option<Duration>,
    load_started: Option<Instant>,
}

/// Waits until every client is in all its rooms, starts the load, and waits
/// until the sending time is over and every message has reached every member
/// (or nothing has moved for `stall`).
fn coordinate(setup: &Setup, board: &Board, epoch: Instant) -> Timing {
    let clients = setup.layout.clients() as u64;
    let mut progress = Progress::new(setup.label.clone());
    let mut stall = Stall::new(setup.stall);
    let mut timing = Timing {
        joined_after: None,
        load_started: None,
    };
    loop {
        let ready = board.registered.load(Ordering::Relaxed);
        let joins = board.joins.load(Ordering::Relaxed);
        let closed = board.closed.load(Ordering::Relaxed);
        if ready >= clients {
            timing.joined_after = Some(epoch.elapsed());
            break;
        }
        if closed >= clients
            || stall.stalled(ready + joins + closed + board.opened.load(Ordering::Relaxed))
        {
            progress.done();
            return timing;
        }
        progress.show(|| {
            format!("in all their rooms {ready}/{clients}, rooms joined {joins}, closed {closed}")
        });
        thread::sleep(Duration::from_millis(5));
    }
    let recipients = setup.layout.members as u64 - u64::from(!setup.dialect.echoes());
    let load_start = board.run_load(
        epoch,
        recipients,
        setup.stall,
        &mut progress,
        |load_start, _| load_start.elapsed() >= setup.duration,
    );
    timing.load_started = Some(load_start);
    progress.done();
    timing
}

/// Adds up the workers' reports and checks every room.
fn settle(setup: &Setup, timing: Timing, reports: Vec<RoomsReport>) -> RoomsOutcome {
    let layout = setup.layout;
    let mut sent_by_room: Vec<Vec<(usize, u64)>> = vec![Vec::new(); layout.rooms];
    let mut receipts: Vec<Vec<Receipts>> = (0..layout.rooms).map(|_| Vec::new()).collect();
    let mut outcome = RoomsOutcome {
        clients: layout.clients(),
        ready: 0,
        closed: 0,
        joined_after: timing.joined_after,
        sent: 0,
        findings: Findings::default(),
        rooms_with_faults: 0,
        load_time: None,
        latency: None,
        room_p99_ms: Vec::new(),
        errors: 0,
        first_error: None,
        misrouted: 0,
    };
    let mut room_latency: Vec<Option<Histogram<u64>>> = vec![None; layout.rooms];
    let mut last_message = None;
    for report in reports {
        outcome.ready += report.ready.iter().filter(|&&r| r).count() as u64;
        outcome.closed += report.closed.iter().filter(|&&c| c).count() as u64;
        outcome.errors += report.errors;
        outcome.misrouted += report.misrouted;
        outcome.first_error = outcome.first_error.or(report.first_error);
        last_message = last_message.max(report.last_message);
        for mut seat in report.seats {
            for (i, &room) in seat.rooms.iter().enumerate() {
                if seat.sent[i] > 0 {
                    sent_by_room[room].push((seat.client, seat.sent[i]));
                }
                outcome.sent += seat.sent[i];
                let ids = std::mem::take(&mut seat.received[i]);
                receipts[room].push(Receipts {
                    client: seat.client,
                    ids,
                });
            }
        }
        for (room, histogram) in report.latency.into_iter().enumerate() {
            match room_latency[room].as_mut() {
                Some(total) => total.add(&histogram).expect("same bounds"),
                None => room_latency[room] = Some(histogram),
            }
        }
    }
    (outcome.findings, outcome.rooms_with_faults) =
        check_rooms(setup, &sent_by_room, &mut receipts);
    outcome.load_time = match (last_message, timing.load_started) {
        (Some(last), Some(started)) if outcome.sent > 0 => {
            Some(last.saturating_duration_since(started))
        }
        _ => None,
    };
    (outcome.latency, outcome.room_p99_ms) = merge_latency(room_latency);
    outcome
}

/// Checks every room; returns the findings over all and the rooms with faults.
/// A member that never reported (its connection was never opened) counts as
/// having received nothing.
fn check_rooms(
    setup: &Setup,
    sent_by_room: &[Vec<(usize, u64)>],
    receipts: &mut [Vec<Receipts>],
) -> (Findings, usize) {
    let mut findings = Findings::default();
    let mut faulty = 0;
    for (room, members) in receipts.iter_mut().enumerate() {
        for client in setup.layout.members_of(room) {
            if !members.iter().any(|r| r.client == client) {
                let ids = Vec::new();
                members.push(Receipts { client, ids });
            }
        }
        let echoes = setup.dialect.echoes();
        let found = check::check_room(&sent_by_room[room], members, echoes);
        if found.missing + found.duplicates + found.out_of_order > 0 {
            faulty += 1;
        }
        findings.add(found);
    }
    (findings, faulty)
}

/// All rooms' latency in one histogram, and each room's p99 in ms, sorted.
fn merge_latency(rooms: Vec<Option<Histogram<u64>>>) -> (Option<Histogram<u64>>, Vec<f64>) {
    let mut total: Option<Histogram<u64>> = None;
    let mut p99 = Vec::new();
    for histogram in rooms.into_iter().flatten().filter(|h| !h.is_empty()) {
        p99.push(histogram.value_at_quantile(0.99) as f64 / 1000.0);
        match total.as_mut() {
            Some(total) => total.add(&histogram).expect("same bounds"),
            None => total = Some(histogram),
        }
    }
    p99.sort_by(f64::total_cmp);
    (total, p99)
}
