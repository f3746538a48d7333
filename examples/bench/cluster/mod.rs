//! `bench cluster`: chat-server nodes sharing one PostgreSQL, beside one
//! node on SQLite and one node on PostgreSQL, in the same run (issue 18).
//!
//! It starts its own PostgreSQL ([`database`], with PostgreSQL's default
//! settings: every commit waits for the disk), then for each round and each
//! setup (`sqlite`, `postgres`, `cluster`; the order reversed in even rounds,
//! as `compare` does) starts fresh nodes on a new empty database, spreads the
//! clients round-robin over the nodes, and runs two scenarios:
//!
//! - **fanout**: every client sends as fast as the nodes take it; the
//!   figure is messages committed (and delivered to every client) a second;
//! - **latency**: a fixed offered load of stamped messages (by default 500 a
//!   second into a room of 200: 100,000 deliveries a second), senders spread
//!   over the nodes like everyone else, so latency is reported with the
//!   sender on the receiver's node (same node) and on another (cross-node).
//!
//! The server's CPU time is the nodes' and PostgreSQL's (the postmaster and
//! its backends), never the generator's. A table of medians and the two
//! targets' verdicts ([`table`]) end the run.

mod database;
mod table;

use std::io;
use std::path::PathBuf;

use clap::Args;

use crate::load::{self, Dialect, Outcome, Plan};
use crate::servers::{self, Running};
use crate::{FanoutShape, LatencyShape, fanout_plan, latency_plan};
use database::Postgres;
use table::Results;

#[derive(Args, Debug)]
pub struct Options {
    /// Rounds; the table shows the median of each number.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Setups, in the order each round runs them: sqlite (one node,
    /// `--data-dir`), postgres (one node on PostgreSQL), cluster (`--nodes`
    /// nodes on PostgreSQL).
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres,cluster")]
    setups: Vec<String>,
    /// Scenarios: fanout, latency.
    #[arg(long, value_delimiter = ',', default_value = "fanout,latency")]
    scenarios: Vec<String>,
    /// Nodes in the cluster setup.
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// Clients in the fanout scenario's room.
    #[arg(long, default_value_t = 50)]
    fanout_clients: usize,
    /// Clients that send in the fanout scenario.
    #[arg(long, default_value_t = 50)]
    senders: usize,
    /// Messages each of them sends.
    #[arg(long, default_value_t = 400)]
    messages: usize,
    #[command(flatten)]
    latency: LatencyShape,
    /// A PostgreSQL setting for a tuned run, `NAME=VALUE` (repeatable), e.g.
    /// `synchronous_commit=off`; without it PostgreSQL runs with its defaults.
    #[arg(long)]
    pg_setting: Vec<String>,
    /// The chat-server binary, if not this build's.
    #[arg(long)]
    chat_server: Option<PathBuf>,
    /// Generator threads (the latency scenario has `--latency-threads`).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Where the nodes and PostgreSQL keep their files.
    #[arg(long, default_value = "/tmp/chatroom-bench-cluster")]
    dir: PathBuf,
}

/// What runs against: one SQLite node, one PostgreSQL node, or a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    Sqlite,
    Postgres,
    Cluster,
}

impl Setup {
    fn parse(name: &str) -> Option<Setup> {
        [Setup::Sqlite, Setup::Postgres, Setup::Cluster]
            .into_iter()
            .find(|setup| setup.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Setup::Sqlite => "sqlite",
            Setup::Postgres => "postgres",
            Setup::Cluster => "cluster",
        }
    }
}

pub fn run(options: &Options) -> io::Result<()> {
    let setups: Vec<Setup> = (options.setups.iter())
        .map(|name| {
            Setup::parse(name).ok_or_else(|| io::Error::other(format!("unknown setup {name}")))
        })
        .collect::<io::Result<_>>()?;
    let needs_postgres = setups.iter().any(|&setup| setup != Setup::Sqlite);
    let mut database = match needs_postgres {
        true => Some(Postgres::start(
            &options.dir.join("postgres"),
            &options.pg_setting,
        )?),
        false => None,
    };
    let load_before = load_average();
    let mut results = Results::default();
    for round in 1..=options.rounds {
        let mut order: Vec<(usize, Setup)> = setups.iter().copied().enumerate().collect();
        if round % 2 == 0 {
            order.reverse();
        }
        for (index, setup) in order {
            for scenario in &options.scenarios {
                let label = format!("round {round} {} {scenario}", setup.name());
                let outcome = run_one(options, setup, scenario, &label, database.as_mut())?;
                println!(
                    "== {label} (load average {})\n{}",
                    load_average(),
                    outcome.summary()
                );
                results.record(index, scenario, &outcome);
            }
        }
    }
    println!(
        "\nload average {load_before} at the start, {} at the end",
        load_average()
    );
    table::print(&setups, &results, options);
    Ok(())
}

/// Starts `setup`'s nodes, runs `scenario` against them, stops them.
fn run_one(
    options: &Options,
    setup: Setup,
    scenario: &str,
    label: &str,
    database: Option<&mut Postgres>,
) -> io::Result<Outcome> {
    let (url, postgres_pid) = match (setup, database) {
        (Setup::Sqlite, _) => (None, None),
        (_, Some(postgres)) => (Some(postgres.new_database()?), Some(postgres.pid)),
        (_, None) => return Err(io::Error::other("PostgreSQL was not started")),
    };
    let nodes = start_nodes(options, setup, url.as_deref())?;
    let mut plan = Plan::new(nodes[0].addr, Dialect::Chat, 0);
    plan.threads = options.threads;
    plan.server_pid = Some(nodes[0].pid);
    plan.other_nodes = nodes[1..].iter().map(|node| node.addr).collect();
    plan.other_pids = nodes[1..].iter().map(|node| node.pid).collect();
    plan.other_pids.extend(postgres_pid);
    plan.name_prefix = scenario[..1].to_owned();
    plan.label = Some(label.to_owned());
    let plan = match scenario {
        "fanout" => fanout_plan(plan, &fanout_shape(options)),
        "latency" => latency_plan(plan, &options.latency),
        other => return Err(io::Error::other(format!("unknown scenario {other}"))),
    };
    let outcome = load::run(&plan);
    drop(nodes);
    outcome
}

fn fanout_shape(options: &Options) -> FanoutShape {
    FanoutShape {
        clients: options.fanout_clients,
        senders: options.senders,
        messages: options.messages,
    }
}

/// The nodes of `setup`, each with its own directory, on `url` if given.
fn start_nodes(options: &Options, setup: Setup, url: Option<&str>) -> io::Result<Vec<Running>> {
    let count = if setup == Setup::Cluster {
        options.nodes.max(1)
    } else {
        1
    };
    let binaries = servers::Binaries {
        chatroom: options.chat_server.as_deref(),
        baseline: None,
    };
    (0..count)
        .map(|node| {
            let dir = options.dir.join(format!("{}-{node}", setup.name()));
            servers::start_chat_node(&dir, binaries, url)
        })
        .collect()
}

/// `/proc/loadavg`'s three averages.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
