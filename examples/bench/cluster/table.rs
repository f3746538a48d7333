//! `bench cluster`'s results: every number of every round, by setup, and
//! the table of medians with the two targets checked against them.

use std::collections::BTreeMap;

use super::{Options, Setup};
use crate::load::Outcome;

/// The cross-node p99 may be at most this many times the single node's.
const LATENCY_TARGET: f64 = 2.0;
/// Durable messages a second the cluster must commit, at least.
const COMMIT_TARGET: f64 = 20_000.0;

/// Every number measured, by setup (its index) and metric, one per round.
#[derive(Default)]
pub struct Results(BTreeMap<(usize, String), Vec<f64>>);

impl Results {
    /// Records what `scenario` measured for setup `index`.
    pub fn record(&mut self, index: usize, scenario: &str, outcome: &Outcome) {
        let mut put = |metric: &str, value: Option<f64>| {
            if let Some(value) = value {
                self.0
                    .entry((index, metric.to_owned()))
                    .or_default()
                    .push(value);
            }
        };
        let per_message = outcome
            .load_cpu
            .filter(|_| outcome.sent > 0)
            .map(|cpu| cpu * 1e6 / outcome.sent as f64);
        let p99 = |h: Option<hdrhistogram::Histogram<u64>>| {
            h.map(|h| h.value_at_quantile(0.99) as f64 / 1000.0)
        };
        match scenario {
            "fanout" => {
                put("messages/s", outcome.messages_per_sec());
                put("deliveries/s", outcome.deliveries_per_sec());
                put("fanout us/message", per_message);
                put("fanout missing", Some(outcome.missing as f64));
            }
            "latency" => {
                put("latency deliveries/s", outcome.deliveries_per_sec());
                put("p50", outcome.latency_ms(0.5));
                put("p99", outcome.latency_ms(0.99));
                put("p99.9", outcome.latency_ms(0.999));
                put("same p99", p99(outcome.latency_between(|s, r| s == r)));
                put("cross p99", p99(outcome.latency_between(|s, r| s != r)));
                put("latency us/message", per_message);
                put("latency missing", Some(outcome.missing as f64));
                for node in 0..outcome.nodes.min(10) {
                    let h = outcome.latency_between(|_, r| r == node);
                    put(&format!("node {node} p99"), p99(h));
                }
            }
            _ => {}
        }
    }

    fn median(&self, index: usize, metric: &str) -> Option<f64> {
        let mut values = self.0.get(&(index, metric.to_owned()))?.clone();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied()
    }

    fn rounds(&self, index: usize, metric: &str) -> String {
        let values = self.0.get(&(index, metric.to_owned()));
        let shown: Vec<String> = values
            .into_iter()
            .flatten()
            .map(|v| format_number(*v))
            .collect();
        shown.join(", ")
    }
}

/// Prints the table of medians, the rounds' values, and the verdicts.
pub fn print(setups: &[Setup], results: &Results, options: &Options) {
    println!(
        "\nMedians of {} round(s). fanout: {} clients, {} x {}; latency: {} clients, {} msg/s over {} senders\n",
        options.rounds,
        options.fanout_clients,
        options.senders,
        options.messages,
        options.latency.clients,
        options.latency.rate,
        options.latency.senders,
    );
    println!(
        "| setup | msg/s committed | deliveries/s | server CPU us/msg (fanout) | latency deliveries/s | p50 ms | p99 ms | p99.9 ms | same-node p99 | cross-node p99 | p99 by receiving node | server CPU us/msg (latency) | missing |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (i, setup) in setups.iter().enumerate() {
        let cell = |metric: &str| results.median(i, metric).map_or("-".into(), format_number);
        let by_node: Vec<String> = (0..10)
            .map_while(|node| results.median(i, &format!("node {node} p99")))
            .map(format_number)
            .collect();
        let missing = ["fanout missing", "latency missing"]
            .iter()
            .filter_map(|metric| results.median(i, metric))
            .fold(0.0, |sum, m| sum + m);
        let nodes = if *setup == Setup::Cluster {
            options.nodes
        } else {
            1
        };
        println!(
            "| {} ({nodes} node{}) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {missing} |",
            setup.name(),
            if nodes == 1 { "" } else { "s" },
            cell("messages/s"),
            cell("deliveries/s"),
            cell("fanout us/message"),
            cell("latency deliveries/s"),
            cell("p50"),
            cell("p99"),
            cell("p99.9"),
            cell("same p99"),
            cell("cross p99"),
            if by_node.is_empty() {
                "-".into()
            } else {
                by_node.join(" / ")
            },
            cell("latency us/message"),
        );
    }
    println!();
    for (i, setup) in setups.iter().enumerate() {
        for metric in ["messages/s", "p99", "cross p99"] {
            if results.median(i, metric).is_some() {
                println!(
                    "{} {metric} by round: {}",
                    setup.name(),
                    results.rounds(i, metric)
                );
            }
        }
    }
    print_verdicts(setups, results);
}

/// The targets, against the medians.
fn print_verdicts(setups: &[Setup], results: &Results) {
    let find = |wanted: Setup| setups.iter().position(|&setup| setup == wanted);
    let Some(cluster) = find(Setup::Cluster) else {
        return;
    };
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    if let Some(committed) = results.median(cluster, "messages/s") {
        println!(
            "target: at least {} durable messages/s committed on the cluster: {} ({})",
            format_number(COMMIT_TARGET),
            format_number(committed),
            verdict(committed >= COMMIT_TARGET)
        );
    }
    let Some(cross) = results.median(cluster, "cross p99") else {
        return;
    };
    for single in [Setup::Sqlite, Setup::Postgres] {
        let Some(p99) = find(single).and_then(|i| results.median(i, "p99")) else {
            continue;
        };
        println!(
            "target: cross-node p99 {cross:.3} ms within {LATENCY_TARGET}x the single node's ({}, {p99:.3} ms): {:.2}x ({})",
            single.name(),
            cross / p99,
            verdict(cross <= LATENCY_TARGET * p99)
        );
    }
}

/// Three significant figures, without exponents.
fn format_number(value: f64) -> String {
    match value.abs() {
        v if v >= 1000.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        _ => format!("{value:.3}"),
    }
}
