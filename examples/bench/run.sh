#!/bin/sh
# Runs `bench compare` (docs/benchmarks.md): builds the release server and the
# generator, raises the descriptor limit to the hard limit, and passes its
# arguments on. Examples:
#   examples/bench/run.sh                      # everything, 3 interleaved rounds
#   examples/bench/run.sh --rounds 1 --servers chatroom --scenarios connect --connect-clients 10000
set -eu
cd "$(dirname "$0")/../.."

# No sysctl is changed: the servers are measured with the machine's own
# limits (stock here: vm.max_map_count 65530, kernel.pid_max 32768), which
# is what a user gets. chatroom works out what fits them at start
# (`chat-server --check`) and refuses the rest with `BYE :server full`.
# The generator raises its own descriptor limit to the hard limit and the
# servers it starts inherit it; chatroom needs one descriptor per client.
ulimit -n "$(ulimit -Hn)"

cargo build --release --bins --examples
exec target/release/examples/bench compare "$@"
