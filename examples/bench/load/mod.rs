//! The load generator's engine: many clients on a few threads.
//!
//! [`run`] opens a [`Plan`]'s clients over non-blocking sockets (`mio`), spread
//! over `threads` worker threads, registers them in one room, waits until every
//! client has been told of every JOIN, then runs the load (none, a burst, or a
//! paced stream of stamped messages) and waits until every message has reached
//! every client or nothing has moved for `stall`. It never sleeps to
//! synchronise: the coordinating thread watches shared counters.
//!
//! The same engine speaks our protocol and IRC ([`Dialect`]), so one workload
//! runs against chatroom, ngIRCd and InspIRCd alike. It is also compiled into
//! the integration tests (`tests/it/bench_smoke.rs`), so it cannot rot.

pub mod conn;
pub mod progress;
pub mod wire;
pub mod worker;

pub use progress::{Progress, Stall};

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use worker::{Board, STOP};

/// The protocol the generated clients speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// chatroom's line protocol: a name, then text lines.
    Chat,
    /// IRC: NICK/USER, JOIN one channel, PRIVMSG to it.
    Irc,
}

impl Dialect {
    /// JOIN lines all clients see in total when `n` join one after another:
    /// chatroom tells everyone already there; IRC also echoes your own JOIN.
    pub fn expected_joins(self, n: u64) -> u64 {
        match self {
            Dialect::Chat => n * n.saturating_sub(1) / 2,
            Dialect::Irc => n * (n + 1) / 2,
        }
    }

    /// Whether a sender receives its own room message (chatroom: yes, as its
    /// acknowledgement; IRC: no).
    pub fn echoes(self) -> bool {
        self == Dialect::Chat
    }

    /// The lines a client named `name` registers with, line ends included.
    pub fn registration(self, name: &str) -> String {
        match self {
            Dialect::Chat => format!("{name}\n"),
            Dialect::Irc => format!("NICK {name}\r\nUSER {name} 0 * :{name}\r\n"),
        }
    }
}

/// What the clients do once they are all in the room.
#[derive(Debug, Clone, Copy)]
pub enum Load {
    /// Nothing: only connect and register.
    None,
    /// Clients `0..senders` each send `messages` as fast as the server takes them.
    Burst { senders: usize, messages: usize },
    /// Clients `0..senders` send `rate` messages a second between them, for
    /// `duration`, each stamped with its send time.
    Paced {
        senders: usize,
        rate: f64,
        duration: Duration,
    },
}

impl Load {
    pub fn senders(&self) -> usize {
        match *self {
            Load::None => 0,
            Load::Burst { senders, .. } | Load::Paced { senders, .. } => senders,
        }
    }
}

/// One run of the generator against one server.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: SocketAddr,
    pub dialect: Dialect,
    pub clients: usize,
    /// Generator threads.
    pub threads: usize,
    /// Connections opened but not yet registered, at most (over all threads).
    pub window: usize,
    /// Client names are this prefix and the client's number.
    pub name_prefix: String,
    pub load: Load,
    /// Set TCP_QUICKACK after every read (paced loads only).
    pub quickack: bool,
    /// The server's process, for its RSS and thread count.
    pub server_pid: Option<u32>,
    /// Give up when no counter has moved for this long.
    pub stall: Duration,
    /// Shown on the progress line; `None` for no progress line.
    pub label: Option<String>,
    /// Keep the clients connected this long after they are all in, then
    /// measure the server again (memory settles as queues drain).
    pub hold: Duration,
}

impl Plan {
    /// A plan with the usual settings: 2 threads, a window of 500, no load.
    pub fn new(target: SocketAddr, dialect: Dialect, clients: usize) -> Plan {
        Plan {
            target,
            dialect,
            clients,
            threads: 2,
            window: 500,
            name_prefix: "u".into(),
            load: Load::None,
            quickack: true,
            server_pid: None,
            stall: Duration::from_secs(10),
            label: None,
            hold: Duration::ZERO,
        }
    }
}

/// A process's memory and threads, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcStatus {
    pub rss_kib: u64,
    pub threads: u64,
}

impl ProcStatus {
    pub fn read(pid: u32) -> Option<ProcStatus> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = status.lines().find(|line| line.starts_with(name))?;
            line[name.len()..].split_whitespace().next()?.parse().ok()
        };
        Some(ProcStatus {
            rss_kib: field("VmRSS:")?,
            threads: field("Threads:")?,
        })
    }

    /// The status once the process has stopped starting threads: the same
    /// thread count for 200 ms (5 s at most). A server that has just said it
    /// listens may still be starting its own threads, and their stacks and
    /// heaps are not memory per client.
    pub fn settled(pid: u32) -> Option<ProcStatus> {
        let give_up = Instant::now() + Duration::from_secs(5);
        let mut last = ProcStatus::read(pid)?;
        let mut since = Instant::now();
        while since.elapsed() < Duration::from_millis(200) && Instant::now() < give_up {
            thread::sleep(Duration::from_millis(20));
            let now = ProcStatus::read(pid)?;
            if now.threads != last.threads {
                since = Instant::now();
            }
            last = now;
        }
        Some(last)
    }
}

/// A process's CPU time so far, user and system over all its threads, in
/// seconds, from `/proc/<pid>/stat` (in clock ticks, which Linux fixes at
/// 100 a second there). On a shared machine this moves much less from run
/// to run than throughput does: it is the server's own work, not its share
/// of the cores.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may
    // hold spaces: state is field 3, utime 14, stime 15.
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// What a run measured. Times count from the first connection attempt, except
/// `load_time`, which counts from the start of the load.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub clients: usize,
    pub registered: u64,
    /// When the last client registered (the last one that did, if some never did).
    pub registered_after: Option<Duration>,
    pub joins: u64,
    pub expected_joins: u64,
    /// When every client had been told of every JOIN.
    pub joined_after: Option<Duration>,
    pub before: Option<ProcStatus>,
    pub after: Option<ProcStatus>,
    /// Messages sent in the load phase.
    pub sent: u64,
    /// Room messages received, over all clients.
    pub delivered: u64,
    /// Room messages every client should have received, over all clients.
    pub expected: u64,
    /// Messages some client should have received but did not.
    pub missing: u64,
    /// Connections that closed or failed.
    pub closed: u64,
    /// Connections refused with `BYE :server full` (counted in `closed` too).
    pub refused: u64,
    /// When the load phase started.
    pub load_started: Option<Instant>,
    /// From the start of the load to the last delivery.
    pub load_time: Option<Duration>,
    /// The server's CPU seconds from the start of the load to its end (with
    /// the server's pid).
    pub load_cpu: Option<f64>,
    /// Delivery latency in microseconds (paced loads).
    pub latency: Option<Histogram<u64>>,
    /// How deep each of the server's client thread stacks had been after the
    /// hold, in bytes below its top (see `stacks.rs`): read when there is a
    /// hold and the server's pid, if `/proc/PID/mem` may be read.
    pub stacks: Option<Vec<usize>>,
}

impl Outcome {
    pub fn clients_per_sec(&self) -> Option<f64> {
        self.registered_after
            .map(|t| self.registered as f64 / t.as_secs_f64())
    }

    pub fn deliveries_per_sec(&self) -> Option<f64> {
        self.load_time
            .map(|t| self.delivered as f64 / t.as_secs_f64())
    }

    /// Messages sent per second, counted until the last delivery.
    pub fn messages_per_sec(&self) -> Option<f64> {
        self.load_time.map(|t| self.sent as f64 / t.as_secs_f64())
    }

    /// Server memory added per registered client.
    pub fn rss_per_client_kib(&self) -> Option<f64> {
        let (before, after) = (self.before?, self.after?);
        Some(after.rss_kib.saturating_sub(before.rss_kib) as f64 / self.registered.max(1) as f64)
    }

    /// Latency at quantile `q` in milliseconds.
    pub fn latency_ms(&self, q: f64) -> Option<f64> {
        let histogram = self.latency.as_ref().filter(|h| !h.is_empty())?;
        Some(histogram.value_at_quantile(q) as f64 / 1000.0)
    }

    /// A few lines for people.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let secs = |d: Option<Duration>| {
            d.map_or("never".to_string(), |d| format!("{:.3} s", d.as_secs_f64()))
        };
        out += &format!(
            "  clients {} registered {} after {} ({:.0}/s); joins {}/{} after {}; closed {} (refused, server full: {})\n",
            self.clients,
            self.registered,
            secs(self.registered_after),
            self.clients_per_sec().unwrap_or(0.0),
            self.joins,
            self.expected_joins,
            secs(self.joined_after),
            self.closed,
            self.refused,
        );
        if let (Some(before), Some(after)) = (self.before, self.after) {
            out += &format!(
                "  server RSS {} -> {} KiB, threads {} -> {}, {:.1} KiB per client\n",
                before.rss_kib,
                after.rss_kib,
                before.threads,
                after.threads,
                self.rss_per_client_kib().unwrap_or(0.0)
            );
        }
        if let Some(depths) = self.stacks.as_deref().filter(|depths| !depths.is_empty()) {
            out += &super::stacks::pages_line(depths);
        }
        if self.sent > 0 {
            out += &format!(
                "  sent {} delivered {}/{} missing {} in {}: {:.0} deliveries/s, {:.0} messages/s\n",
                self.sent,
                self.delivered,
                self.expected,
                self.missing,
                secs(self.load_time),
                self.deliveries_per_sec().unwrap_or(0.0),
                self.messages_per_sec().unwrap_or(0.0),
            );
        }
        if let Some(cpu) = self.load_cpu.filter(|_| self.delivered > 0) {
            out += &format!(
                "  server CPU during the load {cpu:.2} s, {:.3} us per delivery\n",
                cpu * 1e6 / self.delivered as f64
            );
        }
        if let Some(histogram) = self.latency.as_ref().filter(|h| !h.is_empty()) {
            let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
            out += &format!(
                "  latency ms p50 {:.3} p99 {:.3} p99.9 {:.3} max {:.3} ({} samples)\n",
                ms(0.5),
                ms(0.99),
                ms(0.999),
                histogram.max() as f64 / 1000.0,
                histogram.len()
            );
        }
        out
    }
}

/// Runs `plan` to the end. See the module docs.
pub fn run(plan: &Plan) -> io::Result<Outcome> {
    // Before any client connects, once the server has started.
    let before = plan.server_pid.and_then(ProcStatus::settled);
    let epoch = Instant::now();
    let board = Board::default();
    let body = |w| worker::run(plan, w, &board, epoch);
    let coordinator = || coordinate(plan, &board, epoch, before);
    let (mut outcome, reports) = with_workers(plan.threads, "bench", &board, body, coordinator)?;
    settle(plan, &mut outcome, reports);
    Ok(outcome)
}

/// Runs `body(w)` for `w` in `0..threads` on threads named `{name}-{w}` while
/// `coordinate` runs on this one, then sets the board's phase to STOP, which
/// ends them, and joins them. A thread that cannot start stops the others.
pub fn with_workers<R: Send, T>(
    threads: usize,
    name: &str,
    board: &Board,
    body: impl Fn(usize) -> io::Result<R> + Sync,
    coordinate: impl FnOnce() -> T,
) -> io::Result<(T, Vec<R>)> {
    thread::scope(|scope| {
        let mut workers = Vec::new();
        for w in 0..threads.max(1) {
            let body = &body;
            let spawned = thread::Builder::new()
                .name(format!("{name}-{w}"))
                .spawn_scoped(scope, move || body(w));
            match spawned {
                Ok(handle) => workers.push(handle),
                Err(error) => {
                    board.phase.store(STOP, Ordering::Release);
                    return Err(error);
                }
            }
        }
        let result = coordinate();
        board.phase.store(STOP, Ordering::Release);
        let mut reports = Vec::new();
        for handle in workers {
            let report = handle
                .join()
                .map_err(|_| io::Error::other("a generator thread panicked"))??;
            reports.push(report);
        }
        Ok((result, reports))
    })
}

/// Moves the workers through the phases and measures the times.
fn coordinate(plan: &Plan, board: &Board, epoch: Instant, before: Option<ProcStatus>) -> Outcome {
    let n = plan.clients as u64;
    let expected_joins = plan.dialect.expected_joins(n);
    let mut progress = Progress::new(plan.label.clone());
    let mut stall = Stall::new(plan.stall);
    let mut outcome = Outcome {
        clients: plan.clients,
        registered: 0,
        registered_after: None,
        joins: 0,
        expected_joins,
        joined_after: None,
        before,
        after: None,
        sent: 0,
        delivered: 0,
        expected: 0,
        missing: 0,
        closed: 0,
        refused: 0,
        load_started: None,
        load_time: None,
        load_cpu: None,
        latency: None,
        stacks: None,
    };
    loop {
        let registered = board.registered.load(Ordering::Relaxed);
        let joins = board.joins.load(Ordering::Relaxed);
        let closed = board.closed.load(Ordering::Relaxed);
        let refused = board.refused.load(Ordering::Relaxed);
        outcome.refused = refused;
        if registered > outcome.registered {
            outcome.registered = registered;
            outcome.registered_after = Some(epoch.elapsed());
        }
        outcome.joins = joins;
        // Connections the server refused do not join: everyone else is in
        // when the registered ones have been told of each other.
        outcome.expected_joins = plan.dialect.expected_joins(registered);
        if registered + refused >= n && joins >= outcome.expected_joins {
            outcome.joined_after = Some(epoch.elapsed());
            break;
        }
        if stall.stalled(registered + joins + closed + board.opened.load(Ordering::Relaxed)) {
            break;
        }
        progress.show(|| {
            format!("registered {registered}/{n} joins {joins}/{expected_joins} closed {closed}")
        });
        thread::sleep(Duration::from_millis(5));
    }
    if !plan.hold.is_zero() {
        progress.show(|| format!("holding {} clients for {:?}", n, plan.hold));
        thread::sleep(plan.hold);
    }
    outcome.after = plan.server_pid.and_then(ProcStatus::read);
    if let Some(pid) = plan.server_pid
        && !plan.hold.is_zero()
    {
        outcome.stacks = super::stacks::measure(pid, super::stacks::CLIENT_STACK_KIB).ok();
    }
    if let (Some(pid), Ok(path)) = (plan.server_pid, std::env::var("BENCH_SMAPS")) {
        let _ = std::fs::copy(format!("/proc/{pid}/smaps"), path);
    }
    if matches!(plan.load, Load::None) || outcome.joined_after.is_none() {
        progress.done();
        return outcome;
    }
    let recipients = if plan.dialect.echoes() { n } else { n - 1 };
    let cpu_before = plan.server_pid.and_then(cpu_seconds);
    let load_start = board.run_load(
        epoch,
        recipients,
        plan.stall,
        &mut progress,
        |load_start, sent| match plan.load {
            Load::Paced { duration, .. } => load_start.elapsed() >= duration,
            Load::Burst { senders, messages } => sent == (senders * messages) as u64,
            Load::None => true,
        },
    );
    outcome.load_started = Some(load_start);
    let cpu_after = plan.server_pid.and_then(cpu_seconds);
    outcome.load_cpu = cpu_before
        .zip(cpu_after)
        .map(|(before, after)| after - before);
    progress.done();
    outcome
}

/// Adds up the workers' reports: deliveries, missing messages, latency.
fn settle(plan: &Plan, outcome: &mut Outcome, reports: Vec<worker::WorkerReport>) {
    let clients: Vec<&worker::ClientReport> = reports.iter().flat_map(|r| &r.clients).collect();
    outcome.registered = clients.iter().filter(|c| c.registered).count() as u64;
    outcome.closed = clients.iter().filter(|c| c.closed).count() as u64;
    outcome.sent = clients.iter().map(|c| c.sent).sum();
    outcome.delivered = clients.iter().map(|c| c.messages).sum();
    let own = |c: &worker::ClientReport| if plan.dialect.echoes() { 0 } else { c.sent };
    outcome.expected = clients.iter().map(|c| outcome.sent - own(c)).sum::<u64>()
        + (plan.clients - clients.len()) as u64 * outcome.sent;
    outcome.missing = clients
        .iter()
        .map(|c| (outcome.sent - own(c)).saturating_sub(c.messages))
        .sum::<u64>()
        + (plan.clients - clients.len()) as u64 * outcome.sent;
    let last = reports.iter().filter_map(|r| r.last_message).max();
    if outcome.sent > 0
        && let (Some(last), Some(started)) = (last, outcome.load_started)
    {
        outcome.load_time = Some(last.saturating_duration_since(started));
    }
    let mut latency: Option<Histogram<u64>> = None;
    for report in reports {
        if let Some(h) = report.latency {
            match latency.as_mut() {
                Some(total) => total.add(&h).expect("same bounds"),
                None => latency = Some(h),
            }
        }
    }
    outcome.latency = latency;
}
