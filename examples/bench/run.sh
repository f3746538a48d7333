#!/bin/sh
# Runs `bench compare` (docs/benchmarks.md): builds the release server and the
# generator, lifts the system limits 10,000 clients need, and passes its
# arguments on. Examples:
#   examples/bench/run.sh                      # everything, 3 interleaved rounds
#   examples/bench/run.sh --rounds 1 --servers chatroom --scenarios connect --connect-clients 10000
set -eu
cd "$(dirname "$0")/../.."

# 10,000 clients are 20,000 server threads; each has a stack, a guard page and
# std's signal stack, so 65,530 memory mappings (the default) are not enough,
# nor are 32,768 process ids. As root, raise them; otherwise say so.
if [ "$(id -u)" = 0 ]; then
    [ "$(cat /proc/sys/vm/max_map_count)" -ge 262144 ] || echo 262144 > /proc/sys/vm/max_map_count
    [ "$(cat /proc/sys/kernel/pid_max)" -ge 131072 ] || echo 131072 > /proc/sys/kernel/pid_max
else
    echo "run.sh: not root; 10,000 clients may need vm.max_map_count >= 262144 and kernel.pid_max >= 131072" >&2
fi
# The generator raises its own descriptor limit to the hard limit and the
# servers it starts inherit it; chatroom needs one descriptor per client.
ulimit -n "$(ulimit -Hn)"

cargo build --release --bins --examples
exec target/release/examples/bench compare "$@"
