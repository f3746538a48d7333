//! How many clients fit this machine: the server stays under the kernel's
//! limits by its own accounting, because passing one can kill the process.
//!
//! std aborts the whole process (it cannot even panic) when a new thread
//! cannot map its signal stack, which is what happens at `vm.max_map_count`:
//! every thread costs about four memory mappings (its stack and guard page,
//! std's signal stack and its guard). Other limits fail more gently (a
//! refused `clone`, `EMFILE` from `accept`), but each one still ends a
//! connection for nothing. So the server works out at start how many client
//! threads and descriptors it may use ([`Capacity::of`], pure, from
//! [`MachineLimits`]) and admits no connection past them; what it refuses
//! gets `BYE :server full` and one log line naming the limit and how to
//! raise it.
//!
//! Costs counted: a plain TCP client is one descriptor and one thread (its
//! session; the sequencer thread and the `flusher` write for it). A TLS client
//! is one descriptor and two threads (its writer makes the records); a UDP
//! client no descriptor and two threads. [`MachineLimits::read`] is the thin
//! edge that reads the limits from the system; everything else here is
//! arithmetic.

use std::fmt;
use std::path::{Path, PathBuf};

use nix::sys::resource::{Resource, getrlimit};

/// Memory mappings per thread: stack and guard page, std's signal stack and
/// its guard page.
pub const MAPPINGS_PER_THREAD: u64 = 4;
/// Mappings kept for everything that is not a client thread: the binary and
/// its libraries, glibc's heap arenas, SQLite, and the stacks glibc keeps
/// cached after threads end (up to 40 MiB of them: about 300 of ours).
pub const MAPPING_RESERVE: u64 = 2048;
/// Threads that are not client threads: admission, acceptors, history,
/// flusher, signals, `udp-recv`, accounts, and room to spare.
pub const FIXED_THREADS: u64 = 16;
/// Descriptors that are not client sockets: standard streams, listeners,
/// the database and its journal, the flusher's wake socket, the acceptors'
/// reserve descriptors, the accounts connection, and room to spare.
pub const DESCRIPTOR_RESERVE: u64 = 64;
/// Process ids kept for the rest of the machine under the system-wide
/// `kernel.pid_max` and `kernel.threads-max`.
pub const SYSTEM_TASK_RESERVE: u64 = 2048;
/// Tasks kept for other processes under a per-user or per-cgroup count.
pub const SHARED_TASK_RESERVE: u64 = 64;
/// Address space one thread reserves: a 128 KiB stack, its guard page, and
/// std's signal stack with its guard (virtual, mostly never touched).
pub const ADDRESS_SPACE_PER_THREAD: u64 = 160 * 1024;
/// Address space kept for the heap arenas, libraries and SQLite.
pub const ADDRESS_SPACE_RESERVE: u64 = 2 << 30;

/// One of the limits the capacity is worked out from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `--max-clients`, the configured bound.
    MaxClients,
    /// `RLIMIT_NOFILE`: descriptors this process may have open.
    OpenFiles,
    /// `vm.max_map_count`: memory mappings this process may have.
    MaxMapCount,
    /// `kernel.threads-max`: threads on the whole machine.
    ThreadsMax,
    /// `kernel.pid_max`: process and thread ids on the whole machine.
    PidMax,
    /// `RLIMIT_NPROC`: processes and threads of this user.
    Processes,
    /// The cgroup's `pids.max`: processes and threads in the cgroup.
    CgroupPids,
    /// `RLIMIT_AS`: this process's address space (every stack reserves some).
    AddressSpace,
}

impl Limit {
    /// Every limit read from the machine, in the order `--check` prints them.
    pub const MACHINE: [Limit; 7] = [
        Limit::OpenFiles,
        Limit::MaxMapCount,
        Limit::ThreadsMax,
        Limit::PidMax,
        Limit::Processes,
        Limit::CgroupPids,
        Limit::AddressSpace,
    ];

    /// What the limit is called where it is set.
    pub fn name(self) -> &'static str {
        match self {
            Limit::MaxClients => "--max-clients",
            Limit::OpenFiles => "open files (RLIMIT_NOFILE, ulimit -n)",
            Limit::MaxMapCount => "vm.max_map_count",
            Limit::ThreadsMax => "kernel.threads-max",
            Limit::PidMax => "kernel.pid_max",
            Limit::Processes => "user processes (RLIMIT_NPROC, ulimit -u)",
            Limit::CgroupPids => "the cgroup's pids.max",
            Limit::AddressSpace => "address space (RLIMIT_AS, ulimit -v)",
        }
    }

    /// How to raise it.
    pub fn how_to_raise(self) -> &'static str {
        match self {
            Limit::MaxClients => "raise --max-clients",
            Limit::OpenFiles => {
                "raise it with `ulimit -n 65536` before starting (LimitNOFILE= under systemd)"
            }
            Limit::MaxMapCount => "raise it with `sysctl -w vm.max_map_count=262144`",
            Limit::ThreadsMax => "raise it with `sysctl -w kernel.threads-max=200000`",
            Limit::PidMax => "raise it with `sysctl -w kernel.pid_max=131072`",
            Limit::Processes => "raise it with `ulimit -u 65536` (LimitNPROC= under systemd)",
            Limit::CgroupPids => {
                "raise the cgroup's pids.max (TasksMax= under systemd, --pids-limit in docker)"
            }
            Limit::AddressSpace => "raise it with `ulimit -v unlimited`",
        }
    }
}

/// The machine's limits as read at start; `None` is unlimited (or unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineLimits {
    /// `RLIMIT_NOFILE`, soft.
    pub open_files: Option<u64>,
    /// `vm.max_map_count`.
    pub max_map_count: Option<u64>,
    /// `kernel.threads-max`.
    pub threads_max: Option<u64>,
    /// `kernel.pid_max`.
    pub pid_max: Option<u64>,
    /// `RLIMIT_NPROC`, soft; `None` for root, whom the kernel does not hold to it.
    pub processes: Option<u64>,
    /// The cgroup's `pids.max` (v2, or v1's pids controller).
    pub cgroup_pids: Option<u64>,
    /// `RLIMIT_AS`, soft.
    pub address_space: Option<u64>,
}

impl MachineLimits {
    /// The value of one limit.
    pub fn get(&self, limit: Limit) -> Option<u64> {
        match limit {
            Limit::MaxClients => None,
            Limit::OpenFiles => self.open_files,
            Limit::MaxMapCount => self.max_map_count,
            Limit::ThreadsMax => self.threads_max,
            Limit::PidMax => self.pid_max,
            Limit::Processes => self.processes,
            Limit::CgroupPids => self.cgroup_pids,
            Limit::AddressSpace => self.address_space,
        }
    }

    /// Reads the limits of this process and machine. What cannot be read
    /// counts as unlimited.
    pub fn read() -> MachineLimits {
        let root = nix::unistd::geteuid().is_root();
        MachineLimits {
            open_files: rlimit(Resource::RLIMIT_NOFILE),
            max_map_count: read_number("/proc/sys/vm/max_map_count"),
            threads_max: read_number("/proc/sys/kernel/threads-max"),
            pid_max: read_number("/proc/sys/kernel/pid_max"),
            processes: if root {
                None
            } else {
                rlimit(Resource::RLIMIT_NPROC)
            },
            cgroup_pids: cgroup_pids_file().and_then(read_number),
            address_space: rlimit(Resource::RLIMIT_AS),
        }
    }
}

/// A soft resource limit; `None` when unlimited.
fn rlimit(resource: Resource) -> Option<u64> {
    let (soft, _hard) = getrlimit(resource).ok()?;
    (soft != libc::RLIM_INFINITY).then_some(soft)
}

/// A file holding one number; `None` if it is missing or says `max`.
fn read_number(path: impl AsRef<Path>) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// This process's cgroup `pids.max`: cgroup v2's unified hierarchy, or v1's
/// pids controller.
fn cgroup_pids_file() -> Option<PathBuf> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    cgroup_pids_path(&cgroups)
}

/// Where `pids.max` is for the cgroups listed in `/proc/self/cgroup`.
fn cgroup_pids_path(cgroups: &str) -> Option<PathBuf> {
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let path = path.trim_start_matches('/');
        if controllers.is_empty() {
            let file = Path::new("/sys/fs/cgroup").join(path).join("pids.max");
            if file.exists() {
                return Some(file);
            }
        } else if controllers.split(',').any(|c| c == "pids") {
            return Some(Path::new("/sys/fs/cgroup/pids").join(path).join("pids.max"));
        }
    }
    None
}

/// What one limit allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// The limit.
    pub limit: Limit,
    /// Its value; `None` is unlimited.
    pub value: Option<u64>,
    /// Plain clients it leaves room for; `None` is no bound.
    pub clients: Option<u64>,
}

/// How many clients the server admits, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capacity {
    /// Clients admitted at once: the configured bound or what fits, the lower.
    pub clients: usize,
    /// The limit that sets [`Capacity::clients`].
    pub bound_by: Limit,
    /// Threads client connections may have at once (a TLS or UDP client
    /// takes two, a plain one one).
    pub client_threads: u64,
    /// The limit that sets [`Capacity::client_threads`].
    pub threads_bound_by: Limit,
    /// What each machine limit allows, in [`Limit::MACHINE`] order.
    pub allowances: Vec<Allowance>,
}

impl Capacity {
    /// Works out the capacity from the machine's limits and `--max-clients`.
    pub fn of(limits: &MachineLimits, max_clients: usize) -> Capacity {
        let allowances: Vec<Allowance> = Limit::MACHINE
            .iter()
            .map(|&limit| Allowance {
                limit,
                value: limits.get(limit),
                clients: limits.get(limit).map(|value| clients_allowed(limit, value)),
            })
            .collect();
        let threads = allowances.iter().filter(|a| a.limit != Limit::OpenFiles);
        let (client_threads, threads_bound_by) = tightest(threads);
        let (fit, fit_bound_by) = tightest(allowances.iter());
        let (clients, bound_by) = if (max_clients as u64) <= fit {
            (max_clients, Limit::MaxClients)
        } else {
            (fit as usize, fit_bound_by)
        };
        Capacity {
            clients,
            bound_by,
            client_threads,
            threads_bound_by,
            allowances,
        }
    }

    /// The one warning line for a `--max-clients` higher than what fits.
    pub fn warning(&self, max_clients: usize) -> Option<String> {
        if self.bound_by == Limit::MaxClients {
            return None;
        }
        let value = self.value_of(self.bound_by);
        Some(format!(
            "--max-clients {max_clients} does not fit: {} ({value}) leaves room for {} clients, so the server admits {}; {}",
            self.bound_by.name(),
            self.clients,
            self.clients,
            self.bound_by.how_to_raise()
        ))
    }

    /// A limit's value as printed: a number or `unlimited`.
    pub fn value_of(&self, limit: Limit) -> String {
        let value = self.allowances.iter().find(|a| a.limit == limit);
        match value.and_then(|a| a.value) {
            Some(value) => value.to_string(),
            None => "unlimited".into(),
        }
    }
}

impl fmt::Display for Capacity {
    /// The report of `chat-server --check`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "capacity: {} clients ({})",
            self.clients,
            self.bound_by.name()
        )?;
        for allowance in &self.allowances {
            let value = self.value_of(allowance.limit);
            let room = match allowance.clients {
                Some(clients) => format!("room for {clients} plain clients"),
                None => "no bound".into(),
            };
            writeln!(f, "  {:<44} {value:>12}  {room}", allowance.limit.name())?;
        }
        write!(
            f,
            "a plain client takes 1 thread and 1 descriptor, a TLS client 2 threads and 1 descriptor, a UDP client 2 threads"
        )
    }
}

/// The lowest room for clients among `allowances`, and whose it is.
fn tightest<'a>(allowances: impl Iterator<Item = &'a Allowance>) -> (u64, Limit) {
    allowances
        .filter_map(|a| a.clients.map(|clients| (clients, a.limit)))
        .min_by_key(|&(clients, _)| clients)
        .unwrap_or((u64::MAX, Limit::MaxClients))
}

/// Plain clients (one thread, one descriptor each) that one limit leaves room for.
fn clients_allowed(limit: Limit, value: u64) -> u64 {
    let threads = |room: u64| room.saturating_sub(FIXED_THREADS);
    match limit {
        Limit::MaxClients => value,
        Limit::OpenFiles => value.saturating_sub(DESCRIPTOR_RESERVE),
        Limit::MaxMapCount => threads(value.saturating_sub(MAPPING_RESERVE) / MAPPINGS_PER_THREAD),
        Limit::ThreadsMax | Limit::PidMax => threads(value.saturating_sub(SYSTEM_TASK_RESERVE)),
        Limit::Processes | Limit::CgroupPids => threads(value.saturating_sub(SHARED_TASK_RESERVE)),
        Limit::AddressSpace => {
            threads(value.saturating_sub(ADDRESS_SPACE_RESERVE) / ADDRESS_SPACE_PER_THREAD)
        }
    }
}

#[cfg(test)]
mod tests;
