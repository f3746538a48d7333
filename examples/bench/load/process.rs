//! What the generator reads of the server's processes in `/proc`: memory,
//! threads and CPU time. CPU time is the steadier signal on a shared
//! machine: it is the server's own work, not its share of the cores.

use std::thread;
use std::time::{Duration, Instant};

use super::Plan;

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

/// The CPU time of `pid` and of its children, those alive (every process
/// whose parent it is) and those it has waited for, in seconds. For
/// PostgreSQL, whose work is done in a backend process per connection.
pub fn cpu_seconds_with_children(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    // cutime and cstime are fields 16 and 17: 13 and 14 after the name.
    let mut fields = after_name.split_whitespace().skip(13);
    let cutime: u64 = fields.next()?.parse().ok()?;
    let cstime: u64 = fields.next()?.parse().ok()?;
    let mut total = cpu_seconds(pid)? + (cutime + cstime) as f64 / 100.0;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if parent_of(child) == Some(pid) {
            total += cpu_seconds(child).unwrap_or(0.0);
        }
    }
    Some(total)
}

/// The parent process of `pid`, from `/proc/<pid>/stat` (field 4).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// The server's CPU time: the plan's server and its other processes, each
/// with its children. `None` without a server pid.
pub fn server_cpu_seconds(plan: &Plan) -> Option<f64> {
    let mut total = cpu_seconds_with_children(plan.server_pid?)?;
    for &pid in &plan.other_pids {
        total += cpu_seconds_with_children(pid)?;
    }
    Some(total)
}
