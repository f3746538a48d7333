//! `bench`: the load generator, the raw baseline and the side-by-side comparison.
//!
//! ```text
//! cargo build --release --bins --examples
//! target/release/examples/bench connect --addr 127.0.0.1:25000 --clients 2000
//! target/release/examples/bench fanout  --addr 127.0.0.1:6667 --irc
//! target/release/examples/bench latency --addr 127.0.0.1:25000 --rate 500
//! target/release/examples/bench rooms   --addr 127.0.0.1:6667 --irc --rooms 100
//! target/release/examples/bench left-rooms --addr 127.0.0.1:25000 --pid PID --rooms 20000
//! target/release/examples/bench compare --rounds 3
//! target/release/examples/bench cluster --rounds 3   # needs PostgreSQL installed
//! target/release/examples/bench raw-server --port 0
//! target/release/examples/bench stacks --pid PID    # while clients idle
//! ```
//!
//! The engine is in `load/` (shared with the smoke test), the many-rooms
//! scenario in `rooms/` (likewise), rooms left empty in `left_rooms.rs`, the servers `compare` starts in `servers.rs`, the raw baseline in `raw.rs`, the table in
//! `compare.rs`, the stack high-water marks in `stacks.rs`, the nodes on
//! PostgreSQL beside one node in `cluster/`.

mod cluster;
mod compare;
mod left_rooms;
mod load;
mod raw;
mod rooms;
mod servers;
mod stacks;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use load::{Dialect, Load, Plan};

/// A load generator for chatroom, ngIRCd and InspIRCd.
#[derive(Parser, Debug)]
struct Cli {
    #[command(subcommand)]
    command: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Open and register N clients; clients/s and the server's RSS per client.
    Connect {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 2000)]
        clients: usize,
        /// Seconds to keep the clients connected before measuring the server again.
        #[arg(long, default_value_t = 0.0)]
        hold: f64,
    },
    /// N clients in one room, K send M messages each as fast as the server takes them.
    Fanout {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        fanout: FanoutShape,
    },
    /// A fixed offered load of stamped messages; delivery latency percentiles.
    Latency {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        latency: LatencyShape,
    },
    /// Many rooms, every client in a few, senders in each at a set rate:
    /// deliveries/s, latency, and every member got every message in one order.
    Rooms {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        rooms: rooms::RoomsShape,
    },
    /// One client makes N rooms, one line each, and leaves them: rooms/s and
    /// the server's RSS before and after.
    LeftRooms(left_rooms::LeftRoomsShape),
    /// Start each server in turn, run the scenarios, print one table.
    Compare(compare::Options),
    /// Nodes sharing one PostgreSQL (which it starts) beside one node on
    /// SQLite and one on PostgreSQL: fanout and latency, one table.
    Cluster(cluster::Options),
    /// The raw baseline: a one-thread epoll forwarder speaking enough of our protocol.
    RawServer {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// How deep each client thread's stack has ever been, in a running server.
    Stacks {
        /// The server's process id.
        #[arg(long)]
        pid: u32,
        /// The size of the stacks to look at (the server's client threads').
        #[arg(long, default_value_t = stacks::CLIENT_STACK_KIB)]
        stack_kib: usize,
    },
}

/// Where the server is and how to talk to it.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:25000")]
    addr: SocketAddr,
    /// Speak IRC (NICK/USER, JOIN #bench, PRIVMSG) instead of chatroom's protocol.
    #[arg(long)]
    irc: bool,
    /// The server's process id, to report its RSS and threads.
    #[arg(long)]
    pid: Option<u32>,
    /// Generator threads (the latency scenario has `--latency-threads`).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Connections being registered at once, at most.
    #[arg(long, default_value_t = 500)]
    window: usize,
}

impl Target {
    fn plan(&self, clients: usize, label: &str) -> Plan {
        let dialect = if self.irc {
            Dialect::Irc
        } else {
            Dialect::Chat
        };
        let mut plan = Plan::new(self.addr, dialect, clients);
        plan.threads = self.threads;
        plan.window = self.window;
        plan.server_pid = self.pid;
        plan.name_prefix = label[..1].to_owned();
        plan.label = Some(label.to_owned());
        plan
    }
}

#[derive(Args, Debug, Clone)]
pub struct FanoutShape {
    /// Clients in the room.
    #[arg(id = "fanout_clients", long = "fanout-clients", default_value_t = 500)]
    clients: usize,
    /// Clients that send.
    #[arg(long, default_value_t = 10)]
    senders: usize,
    /// Messages each sender sends.
    #[arg(long, default_value_t = 1000)]
    messages: usize,
}

#[derive(Args, Debug, Clone)]
pub struct LatencyShape {
    /// Clients in the room.
    #[arg(
        id = "latency_clients",
        long = "latency-clients",
        default_value_t = 200
    )]
    clients: usize,
    /// Clients that send.
    #[arg(id = "latency_senders", long = "latency-senders", default_value_t = 10)]
    senders: usize,
    /// Messages per second over all senders (deliveries/s = rate x clients).
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// How long to send.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Leave delayed acks on in the generator.
    #[arg(long)]
    no_quickack: bool,
    /// Generator threads in this scenario (`--threads` is for the others).
    /// One keeps up with 100,000 deliveries a second; a second thread would
    /// compete with the server for a two-core machine, and its waits for a
    /// core would be counted as the server's latency.
    #[arg(id = "latency_threads", long = "latency-threads", default_value_t = 1)]
    threads: usize,
}

pub fn fanout_plan(base: Plan, shape: &FanoutShape) -> Plan {
    Plan {
        clients: shape.clients,
        load: Load::Burst {
            senders: shape.senders,
            messages: shape.messages,
        },
        ..base
    }
}

pub fn latency_plan(base: Plan, shape: &LatencyShape) -> Plan {
    let duration = Duration::from_secs_f64(shape.seconds);
    let load = Load::Paced {
        senders: shape.senders,
        rate: shape.rate,
        duration,
    };
    Plan {
        clients: shape.clients,
        load,
        quickack: !shape.no_quickack,
        threads: shape.threads,
        ..base
    }
}

fn main() -> ExitCode {
    raise_fd_limit();
    let cli = Cli::parse();
    let result = match cli.command {
        Mode::Connect {
            target,
            clients,
            hold,
        } => {
            let plan = Plan {
                hold: Duration::from_secs_f64(hold),
                ..target.plan(clients, "connect")
            };
            report(load::run(&plan))
        }
        Mode::Fanout { target, fanout } => {
            report(load::run(&fanout_plan(target.plan(0, "fanout"), &fanout)))
        }
        Mode::Latency { target, latency } => report(load::run(&latency_plan(
            target.plan(0, "latency"),
            &latency,
        ))),
        Mode::Rooms { target, rooms } => {
            let dialect = if target.irc {
                Dialect::Irc
            } else {
                Dialect::Chat
            };
            let setup = rooms::Setup {
                window: target.window,
                label: Some("rooms".into()),
                ..rooms::Setup::new(target.addr, dialect, &rooms)
            };
            rooms::run(&setup).and_then(|outcome| {
                print!("{}", outcome.summary());
                outcome.verdict().map_err(std::io::Error::other)
            })
        }
        Mode::LeftRooms(shape) => left_rooms::run(&shape),
        Mode::Compare(options) => compare::run(&options),
        Mode::Cluster(options) => cluster::run(&options),
        Mode::RawServer { host, port } => match format!("{host}:{port}").parse() {
            Ok(addr) => raw::serve(addr),
            Err(error) => Err(std::io::Error::other(format!("bad --host/--port: {error}"))),
        },
        Mode::Stacks { pid, stack_kib } => {
            stacks::measure(pid, stack_kib).map(|depths| print!("{}", stacks::summary(&depths)))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn report(outcome: std::io::Result<load::Outcome>) -> std::io::Result<()> {
    print!("{}", outcome?.summary());
    Ok(())
}

/// Ten thousand clients need twenty thousand descriptors here and as many in
/// the server, which inherits this limit when `compare` starts it.
fn raise_fd_limit() {
    let wanted: libc::rlim_t = 200_000;
    // SAFETY: getrlimit/setrlimit on a properly initialised struct.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return;
        }
        let raised = libc::rlimit {
            rlim_cur: wanted.max(limit.rlim_cur),
            rlim_max: wanted.max(limit.rlim_max),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
