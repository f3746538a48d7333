//! What one run of the generator measured ([`Outcome`]), and its summary
//! for people: counts, rates, the server's memory and CPU, latency (on a
//! cluster also by the sender's and the receiver's node).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::ProcStatus;

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
    /// The same by the sender's and the receiver's node, at `sender * nodes
    /// + receiver`, on a cluster (else empty).
    pub latency_by_nodes: Vec<Histogram<u64>>,
    /// Nodes the clients were spread over.
    pub nodes: usize,
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

    /// Latency merged over the (sender node, receiver node) pairs for which
    /// `wanted` holds; `None` on one node or if none was recorded.
    pub fn latency_between(&self, wanted: impl Fn(usize, usize) -> bool) -> Option<Histogram<u64>> {
        let mut merged: Option<Histogram<u64>> = None;
        for (index, h) in self.latency_by_nodes.iter().enumerate() {
            if !wanted(index / self.nodes, index % self.nodes) {
                continue;
            }
            match merged.as_mut() {
                Some(total) => total.add(h).expect("same bounds"),
                None => merged = Some(h.clone()),
            }
        }
        merged.filter(|h| !h.is_empty())
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
            out += &super::super::stacks::pages_line(depths);
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
        out += &self.node_latency_lines();
        out
    }

    /// On a cluster, latency with the sender on the receiver's node, on
    /// another node, and by the receiver's node.
    fn node_latency_lines(&self) -> String {
        let mut out = String::new();
        let mut line = |what: String, h: Option<Histogram<u64>>| {
            if let Some(h) = h {
                let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
                out += &format!(
                    "  {what}: p50 {:.3} p99 {:.3} p99.9 {:.3} ms ({} samples)\n",
                    ms(0.5),
                    ms(0.99),
                    ms(0.999),
                    h.len()
                );
            }
        };
        line("same node".into(), self.latency_between(|s, r| s == r));
        line("cross-node".into(), self.latency_between(|s, r| s != r));
        for node in 0..self.nodes {
            let h = self.latency_between(|_, r| r == node);
            line(format!("received on node {node}"), h);
        }
        out
    }
}
