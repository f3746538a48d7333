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
pub mod outcome;
pub mod process;
pub mod progress;
pub mod wire;
pub mod worker;

pub use outcome::Outcome;
pub use process::ProcStatus;
pub use progress::{Progress, Stall};

use process::server_cpu_seconds;

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
    /// The other nodes of a cluster: client `i` connects to node `i % n`
    /// of the `n` nodes, `target` being node 0 (see [`Plan::node_of`]).
    pub other_nodes: Vec<SocketAddr>,
    /// Other processes whose CPU time, with their children's, counts as the
    /// server's: a cluster's other nodes and its PostgreSQL.
    pub other_pids: Vec<u32>,
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
            other_nodes: Vec::new(),
            other_pids: Vec::new(),
        }
    }

    /// How many nodes the clients are spread over.
    pub fn nodes(&self) -> usize {
        1 + self.other_nodes.len()
    }

    /// The node client `i` connects to, round-robin, and its address.
    pub fn node_of(&self, client: usize) -> (usize, SocketAddr) {
        match client % self.nodes() {
            0 => (0, self.target),
            node => (node, self.other_nodes[node - 1]),
        }
    }

    /// JOIN lines the first `registered` clients must have seen before the
    /// load starts. On a cluster, a node may tell its clients only of the
    /// JOINs on that node, so this counts those (a lower bound, if JOINs
    /// cross nodes).
    fn expected_joins(&self, registered: u64) -> u64 {
        let nodes = self.nodes() as u64;
        (0..nodes)
            .map(|node| registered / nodes + u64::from(node < registered % nodes))
            .map(|on_node| self.dialect.expected_joins(on_node))
            .sum()
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
    let expected_joins = plan.expected_joins(n);
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
        latency_by_nodes: Vec::new(),
        nodes: plan.nodes(),
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
        outcome.expected_joins = plan.expected_joins(registered);
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
    let cpu_before = server_cpu_seconds(plan);
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
    let cpu_after = server_cpu_seconds(plan);
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
        if outcome.latency_by_nodes.is_empty() {
            outcome.latency_by_nodes = report.latency_by_nodes;
            continue;
        }
        for (total, h) in outcome
            .latency_by_nodes
            .iter_mut()
            .zip(&report.latency_by_nodes)
        {
            total.add(h).expect("same bounds");
        }
    }
    outcome.latency = latency;
}
