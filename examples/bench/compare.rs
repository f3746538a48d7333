//! `bench compare`: every scenario against every server, rounds interleaved
//! (round 1 runs all servers, then round 2, ...) so that a noisy neighbour
//! hurts all of them alike, then one table of medians with ratios. Even
//! rounds run the servers in the reverse order (A B, B A, A B, ...), so a
//! load that grows or fades through a round does not always favour the
//! server that runs first.
//!
//! Each scenario gets a freshly started server, so RSS is measured from a
//! clean process and no scenario pays for the previous one's disconnects.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::load::{self, Outcome, Plan};
use crate::rooms::{self, RoomsOutcome, RoomsShape};
use crate::servers::{self, Kind};
use crate::{FanoutShape, LatencyShape, fanout_plan, latency_plan};

#[derive(Args, Debug)]
pub struct Options {
    /// Rounds; the table shows the median of each number.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Servers, in the order each round runs them.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "chatroom,chatroom-durable,ngircd,inspircd,raw"
    )]
    servers: Vec<String>,
    /// Scenarios: connect, fanout, latency, history, rooms (rooms is not
    /// run against raw or baseline, which have one room).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "connect,fanout,latency,history,rooms"
    )]
    scenarios: Vec<String>,
    /// Clients the connect scenario registers.
    #[arg(long, default_value_t = 2000)]
    connect_clients: usize,
    /// Seconds the connect scenario holds its clients, idle, before it reads
    /// the server's RSS again (queues drain, buffers are freed).
    #[arg(long, default_value_t = 2.0)]
    connect_hold: f64,
    #[command(flatten)]
    fanout: FanoutShape,
    #[command(flatten)]
    latency: LatencyShape,
    #[command(flatten)]
    rooms: RoomsShape,
    /// The chat-server binary the server `baseline` runs (an earlier
    /// revision's, built by `run.sh --baseline REV`), with the same flags as
    /// `chatroom`.
    #[arg(long)]
    baseline_server: Option<PathBuf>,
    /// The chat-server binary `chatroom` and `chatroom-durable` run, if not
    /// this build's (one with rooms: it is given `--max-rooms`), e.g. another
    /// branch's, to compare two builds with `baseline`.
    #[arg(long)]
    chat_server: Option<PathBuf>,
    /// Clients in the history scenario; every one of them sends.
    #[arg(long, default_value_t = 10)]
    history_clients: usize,
    /// Messages each history client sends.
    #[arg(long, default_value_t = 4000)]
    history_messages: usize,
    /// Generator threads (the latency scenario has `--latency-threads`).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Connections being registered at once in the connect scenario, at most.
    #[arg(long, default_value_t = 500)]
    window: usize,
    /// The same for ngIRCd in the other scenarios (whose timing starts once all
    /// are in): small enough for its listen backlog of 10, so no SYN is dropped
    /// and retried a second later. InspIRCd takes about a second to register
    /// each client, so it needs the wide window.
    #[arg(long, default_value_t = 8)]
    ngircd_window: usize,
    /// Where the servers keep their configuration, logs and data.
    #[arg(long, default_value = "/tmp/chatroom-bench")]
    dir: PathBuf,
}

/// Every number measured, by server and metric, one value per round.
type Results = BTreeMap<(usize, &'static str), Vec<f64>>;

pub fn run(options: &Options) -> io::Result<()> {
    let kinds: Vec<Kind> = options
        .servers
        .iter()
        .map(|name| {
            Kind::parse(name).ok_or_else(|| io::Error::other(format!("unknown server {name}")))
        })
        .collect::<io::Result<_>>()?;
    if kinds.contains(&Kind::Baseline) && options.baseline_server.is_none() {
        return Err(io::Error::other(
            "server baseline needs --baseline-server PATH (run.sh --baseline REV builds one)",
        ));
    }
    let mut results = Results::new();
    for round in 1..=options.rounds {
        let mut order: Vec<(usize, Kind)> = kinds.iter().copied().enumerate().collect();
        if round % 2 == 0 {
            order.reverse();
        }
        for (index, kind) in order {
            for scenario in &options.scenarios {
                let label = format!("round {round} {} {scenario}", kind.name());
                if scenario == "rooms" && !kind.has_rooms() {
                    continue;
                }
                let binaries = servers::Binaries {
                    chatroom: options.chat_server.as_deref(),
                    baseline: options.baseline_server.as_deref(),
                };
                let server = servers::start(kind, &options.dir.join(kind.name()), binaries)?;
                if scenario == "rooms" {
                    let outcome = run_rooms(options, kind, &server, &label)?;
                    drop(server);
                    println!("== {label}\n{}", outcome.summary());
                    record_rooms(&mut results, index, &outcome);
                    continue;
                }
                let plan = plan_for(options, kind, &server, scenario, &label)?;
                let outcome = load::run(&plan)?;
                drop(server);
                println!("== {label}\n{}", outcome.summary());
                record(&mut results, index, scenario, &outcome);
            }
        }
    }
    print_table(&kinds, &results, options);
    print_rooms_table(&kinds, &results, options);
    print_baseline(&kinds, &results);
    Ok(())
}

/// The one-room plan for `scenario` against a started server.
fn plan_for(
    options: &Options,
    kind: Kind,
    server: &servers::Running,
    scenario: &str,
    label: &str,
) -> io::Result<Plan> {
    let mut plan = Plan::new(server.addr, kind.dialect(), 0);
    plan.threads = options.threads;
    plan.window = if kind == Kind::Ngircd {
        options.ngircd_window
    } else {
        options.window
    };
    plan.server_pid = Some(server.pid);
    plan.name_prefix = scenario[..1].to_owned();
    plan.label = Some(label.to_owned());
    Ok(match scenario {
        "connect" => Plan {
            clients: options.connect_clients,
            window: options.window,
            stall: Duration::from_secs(40), // SYN retries back off to 15 and 31 s
            hold: Duration::from_secs_f64(options.connect_hold),
            ..plan
        },
        "fanout" => fanout_plan(plan, &options.fanout),
        "latency" => latency_plan(plan, &options.latency),
        "history" => {
            let shape = FanoutShape {
                clients: options.history_clients,
                senders: options.history_clients,
                messages: options.history_messages,
            };
            fanout_plan(plan, &shape)
        }
        other => return Err(io::Error::other(format!("unknown scenario {other}"))),
    })
}

/// The many-rooms scenario against a started server.
fn run_rooms(
    options: &Options,
    kind: Kind,
    server: &servers::Running,
    label: &str,
) -> io::Result<RoomsOutcome> {
    let setup = rooms::Setup {
        window: if kind == Kind::Ngircd {
            options.ngircd_window
        } else {
            options.window
        },
        label: Some(label.to_owned()),
        ..rooms::Setup::new(server.addr, kind.dialect(), &options.rooms)
    };
    rooms::run(&setup)
}

fn record_rooms(results: &mut Results, server: usize, outcome: &RoomsOutcome) {
    let mut put = |metric: &'static str, value: Option<f64>| {
        if let Some(value) = value {
            results.entry((server, metric)).or_default().push(value);
        }
    };
    put("rooms deliveries/s", outcome.deliveries_per_sec());
    put(
        "rooms all in s",
        outcome.joined_after.map(|d| d.as_secs_f64()),
    );
    put("rooms p50 ms", outcome.latency_ms(0.5));
    put("rooms p99 ms", outcome.latency_ms(0.99));
    put(
        "rooms worst room p99 ms",
        outcome.room_p99_ms.last().copied(),
    );
    put("rooms missing", Some(outcome.findings.missing as f64));
    put(
        "rooms out of order",
        Some(outcome.findings.out_of_order as f64),
    );
    put(
        "rooms other faults",
        Some((outcome.findings.duplicates + outcome.misrouted + outcome.errors) as f64),
    );
}

fn record(results: &mut Results, server: usize, scenario: &str, outcome: &Outcome) {
    let mut put = |metric: &'static str, value: Option<f64>| {
        if let Some(value) = value {
            results.entry((server, metric)).or_default().push(value);
        }
    };
    match scenario {
        "connect" => {
            put("clients/s", outcome.clients_per_sec());
            put("registered", Some(outcome.registered as f64));
            put(
                "all joined s",
                outcome.joined_after.map(|d| d.as_secs_f64()),
            );
            put("KiB/client", outcome.rss_per_client_kib());
            put("threads", outcome.after.map(|s| s.threads as f64));
        }
        "fanout" => {
            put("deliveries/s", outcome.deliveries_per_sec());
            put("fanout server CPU s", outcome.load_cpu);
            put("fanout missing", Some(outcome.missing as f64));
        }
        "latency" => {
            put("p50 ms", outcome.latency_ms(0.5));
            put("p99 ms", outcome.latency_ms(0.99));
            put("p99.9 ms", outcome.latency_ms(0.999));
            put("max ms", outcome.latency_ms(1.0));
            put("latency missing", Some(outcome.missing as f64));
        }
        "history" => {
            put("messages/s", outcome.messages_per_sec());
            put("history missing", Some(outcome.missing as f64));
        }
        _ => {}
    }
}

/// Clients per second, with how many registered when not all did.
fn clients_cell(per_sec: Option<f64>, registered: Option<f64>, wanted: usize) -> String {
    match (per_sec, registered) {
        (Some(rate), Some(n)) if (n as usize) < wanted => {
            format!("{rate:.0} (only {n:.0}/{wanted})")
        }
        (Some(rate), _) => format!("{rate:.0}"),
        _ => "-".into(),
    }
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

fn print_table(kinds: &[Kind], results: &Results, options: &Options) {
    if results
        .keys()
        .all(|(_, metric)| metric.starts_with("rooms "))
    {
        return;
    }
    let get = |server: usize, metric: &str| results.get(&(server, metric)).and_then(|v| median(v));
    let find = |kind: Kind| kinds.iter().position(|&k| k == kind);
    let reference = |kind: Kind| find(kind).and_then(|i| get(i, "deliveries/s"));
    let (ngircd, raw) = (reference(Kind::Ngircd), reference(Kind::Raw));
    let f = FanoutShape {
        ..options.fanout.clone()
    };
    println!(
        "\nMedians of {} round(s). connect: {} clients; fanout: {} clients, {} x {}; latency: {} clients, {} msg/s; history: {} x {}\n",
        options.rounds,
        options.connect_clients,
        f.clients,
        f.senders,
        f.messages,
        options.latency.clients,
        options.latency.rate,
        options.history_clients,
        options.history_messages
    );
    println!(
        "| server | clients/s | all joined s | KiB/client | threads | deliveries/s | vs ngIRCd | vs raw | missing | p50 ms | p99 ms | p99.9 ms | max ms | history msg/s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (i, kind) in kinds.iter().enumerate() {
        let cell = |metric: &str, digits: usize| {
            get(i, metric).map_or("-".to_string(), |v| format!("{v:.digits$}"))
        };
        let deliveries = get(i, "deliveries/s");
        let ratio = |reference: Option<f64>| match (deliveries, reference) {
            (Some(d), Some(r)) if r > 0.0 => format!("{:.2}x", d / r),
            _ => "-".to_string(),
        };
        let missing: f64 = ["fanout missing", "latency missing", "history missing"]
            .iter()
            .filter_map(|m| get(i, m))
            .fold(0.0, |sum, m| sum + m); // not sum(), which gives -0 for none
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            kind.name(),
            clients_cell(
                get(i, "clients/s"),
                get(i, "registered"),
                options.connect_clients
            ),
            cell("all joined s", 3),
            cell("KiB/client", 1),
            cell("threads", 0),
            deliveries.map_or("-".into(), |d| format!("{:.3}M", d / 1e6)),
            ratio(ngircd),
            ratio(raw),
            missing,
            cell("p50 ms", 3),
            cell("p99 ms", 3),
            cell("p99.9 ms", 3),
            cell("max ms", 3),
            cell("messages/s", 0),
        );
    }
}

fn print_rooms_table(kinds: &[Kind], results: &Results, options: &Options) {
    let get = |server: usize, metric: &str| results.get(&(server, metric)).and_then(|v| median(v));
    if !kinds
        .iter()
        .enumerate()
        .any(|(i, _)| get(i, "rooms deliveries/s").is_some())
    {
        return;
    }
    println!(
        "\nMany rooms, medians of {} round(s): {}\n",
        options.rounds,
        options.rooms.describe()
    );
    println!(
        "| server | all in their rooms s | deliveries/s | p50 ms | p99 ms | worst room p99 ms | missing | out of order | other faults |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (i, kind) in kinds.iter().enumerate() {
        let cell = |metric: &str, digits: usize| {
            get(i, metric).map_or("-".to_string(), |v| format!("{v:.digits$}"))
        };
        if get(i, "rooms deliveries/s").is_none() {
            continue;
        }
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            kind.name(),
            cell("rooms all in s", 2),
            cell("rooms deliveries/s", 0),
            cell("rooms p50 ms", 3),
            cell("rooms p99 ms", 3),
            cell("rooms worst room p99 ms", 3),
            cell("rooms missing", 0),
            cell("rooms out of order", 0),
            cell("rooms other faults", 0),
        );
    }
}

/// chatroom's one-room fanout against the baseline's, round by round: the
/// rounds are interleaved, so each pair ran within a minute of each other.
/// Throughput (higher is better) and the server's CPU during the load
/// (lower is better, and steadier on a shared machine).
fn print_baseline(kinds: &[Kind], results: &Results) {
    let find = |kind: Kind| kinds.iter().position(|&k| k == kind);
    let (Some(current), Some(baseline)) = (find(Kind::ChatEphemeral), find(Kind::Baseline)) else {
        return;
    };
    for (metric, what) in [
        ("deliveries/s", "fanout deliveries/s"),
        ("fanout server CPU s", "fanout server CPU"),
    ] {
        let rounds = |i: usize| results.get(&(i, metric)).cloned().unwrap_or_default();
        let (now, before) = (rounds(current), rounds(baseline));
        if let Some(line) = ratio_line(what, &now, &before) {
            println!("{line}");
        }
    }
}

/// `now` against `before`, pair by pair: the ratio of the medians, the
/// median and geometric mean of the per-round ratios, and each round's.
fn ratio_line(what: &str, now: &[f64], before: &[f64]) -> Option<String> {
    let ratios: Vec<f64> = now
        .iter()
        .zip(before)
        .filter(|(_, b)| **b > 0.0)
        .map(|(n, b)| n / b)
        .collect();
    let of_medians = median(now)? / median(before).filter(|m| *m > 0.0)?;
    let geometric = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    Some(format!(
        "\n{what}, chatroom vs baseline: {of_medians:.3}x of the baseline's median; \
         per round median {:.3}x, geometric mean {geometric:.3}x (per round: {})",
        median(&ratios)?,
        each.join(", ")
    ))
}
