use super::*;

/// The stock settings of the benchmark machine: `ulimit -n 20000`,
/// `vm.max_map_count` 65530, `kernel.pid_max` 32768, threads-max 192724,
/// root (no RLIMIT_NPROC), no cgroup pids limit, no address-space limit.
const STOCK: MachineLimits = MachineLimits {
    open_files: Some(20_000),
    max_map_count: Some(65_530),
    threads_max: Some(192_724),
    pid_max: Some(32_768),
    processes: None,
    cgroup_pids: None,
    address_space: None,
};

/// Checks the clients admitted and the limit that sets them.
fn check(limits: MachineLimits, max_clients: usize, clients: usize, bound_by: Limit) {
    let capacity = Capacity::of(&limits, max_clients);
    assert_eq!(
        (capacity.clients, capacity.bound_by),
        (clients, bound_by),
        "{limits:?} with --max-clients {max_clients}"
    );
}

#[test]
fn the_lowest_limit_sets_the_capacity() {
    // (65530 - 2048) / 4 - 16 = 15854 threads, one per plain client.
    check(STOCK, 10_000, 10_000, Limit::MaxClients);
    check(STOCK, 20_000, 15_854, Limit::MaxMapCount);
    check(STOCK, 15_854, 15_854, Limit::MaxClients);
    let few_files = MachineLimits {
        open_files: Some(1024),
        ..STOCK
    };
    check(few_files, 10_000, 1024 - 64, Limit::OpenFiles);
    let raised = MachineLimits {
        max_map_count: Some(262_144),
        ..STOCK
    };
    check(raised, 40_000, 20_000 - 64, Limit::OpenFiles);
    let many_files = MachineLimits {
        open_files: Some(1 << 20),
        ..raised
    };
    check(many_files, 40_000, 32_768 - 2048 - 16, Limit::PidMax);
    let small_cgroup = MachineLimits {
        cgroup_pids: Some(1000),
        ..STOCK
    };
    check(small_cgroup, 10_000, 1000 - 64 - 16, Limit::CgroupPids);
    let user_limit = MachineLimits {
        processes: Some(4096),
        ..STOCK
    };
    check(user_limit, 10_000, 4096 - 64 - 16, Limit::Processes);
    let few_threads = MachineLimits {
        threads_max: Some(5000),
        ..STOCK
    };
    check(few_threads, 10_000, 5000 - 2048 - 16, Limit::ThreadsMax);
    // 3 GiB: 1 GiB over the reserve, 160 KiB a thread.
    let small_address_space = MachineLimits {
        address_space: Some(3 << 30),
        ..STOCK
    };
    check(small_address_space, 10_000, 6553 - 16, Limit::AddressSpace);
}

#[test]
fn limits_below_their_reserve_leave_no_room_and_unknown_ones_no_bound() {
    let tiny = MachineLimits {
        open_files: Some(10),
        ..STOCK
    };
    check(tiny, 10_000, 0, Limit::OpenFiles);
    check(MachineLimits::default(), 10_000, 10_000, Limit::MaxClients);
    let unbounded = Capacity::of(&MachineLimits::default(), usize::MAX);
    assert_eq!(unbounded.client_threads, u64::MAX);
}

#[test]
fn client_threads_ignore_descriptors() {
    let few_files = MachineLimits {
        open_files: Some(1024),
        ..STOCK
    };
    let capacity = Capacity::of(&few_files, 10_000);
    assert_eq!(
        (capacity.client_threads, capacity.threads_bound_by),
        (15_854, Limit::MaxMapCount)
    );
}

#[test]
fn the_warning_names_the_limit_and_how_to_raise_it() {
    let capacity = Capacity::of(&STOCK, 20_000);
    let warning = capacity.warning(20_000).expect("20,000 does not fit");
    for part in [
        "--max-clients 20000",
        "vm.max_map_count (65530)",
        "15854",
        "sysctl -w vm.max_map_count",
    ] {
        assert!(warning.contains(part), "{part:?} missing from {warning:?}");
    }
    assert_eq!(Capacity::of(&STOCK, 10_000).warning(10_000), None);
}

#[test]
fn the_cgroup_file_is_found_for_v2_and_v1() {
    assert_eq!(
        cgroup_pids_path("9:name=systemd:/\n8:pids:/user.slice\n0::/\n"),
        Some(PathBuf::from("/sys/fs/cgroup/pids/user.slice/pids.max"))
    );
    assert_eq!(cgroup_pids_path("1:cpu:/\n"), None);
}
