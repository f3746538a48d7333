#!/bin/sh
# Runs `bench compare` (docs/benchmarks.md): builds the release server and the
# generator, raises the descriptor limit to the hard limit, and passes its
# arguments on. Examples:
#   examples/bench/run.sh                      # everything, 3 interleaved rounds
#   examples/bench/run.sh --rounds 1 --servers chatroom --scenarios connect --connect-clients 10000
#   examples/bench/run.sh --rounds 1 --servers chatroom,ngircd,inspircd --scenarios rooms
#   examples/bench/run.sh --baseline 09b7a7d   # one-room fanout, this tree vs that commit
#
# --baseline REV builds REV's release chat-server from `git archive` (no
# worktree, nothing in the repository changes) into target/baseline/<rev>/,
# once (all baselines share target/baseline/target), and runs it as the
# server `baseline` in the same interleaved rounds.
# Without --servers it runs chatroom and baseline; without --scenarios, fanout.
set -eu
cd "$(dirname "$0")/../.."

# No sysctl is changed: the servers are measured with the machine's own
# limits (stock here: vm.max_map_count 65530, kernel.pid_max 32768), which
# is what a user gets. chatroom works out what fits them at start
# (`chat-server --check`) and refuses the rest with `BYE :server full`.
# The generator raises its own descriptor limit to the hard limit and the
# servers it starts inherit it; chatroom needs one descriptor per client.
ulimit -n "$(ulimit -Hn)"

# Take --baseline REV out of the arguments, keeping the rest in order.
rev=
servers_given=
scenarios_given=
count=$#
while [ "$count" -gt 0 ]; do
    arg=$1
    shift
    count=$((count - 1))
    case $arg in
    --baseline)
        [ "$count" -gt 0 ] || { echo "run.sh: --baseline needs a git revision" >&2; exit 2; }
        rev=$1
        shift
        count=$((count - 1))
        continue
        ;;
    --servers | --servers=*) servers_given=1 ;;
    --scenarios | --scenarios=*) scenarios_given=1 ;;
    esac
    set -- "$@" "$arg"
done

for tool in ngircd inspircd; do
    command -v "$tool" >/dev/null ||
        echo "run.sh: $tool is not installed; as root: apt-get install ngircd inspircd (or leave it out of --servers)" >&2
done

cargo build --release --bins --examples

if [ -n "$rev" ]; then
    commit=$(git rev-parse --verify "$rev^{commit}")
    short=$(git rev-parse --short "$commit")
    out=target/baseline/$short
    if [ ! -x "$out/chat-server" ]; then
        echo "run.sh: building chat-server at $short into $out (once)" >&2
        rm -rf "$out/src"
        mkdir -p "$out/src"
        git archive "$commit" | tar -x -C "$out/src"
        # One target directory for every baseline, so the next revision
        # rebuilds only the crate, not its dependencies.
        (cd "$out/src" && CARGO_TARGET_DIR=../../target cargo build --release --locked --bin chat-server)
        cp target/baseline/target/release/chat-server "$out/chat-server"
    fi
    set -- --baseline-server "$out/chat-server" "$@"
    [ -n "$servers_given" ] || set -- --servers chatroom,baseline "$@"
    [ -n "$scenarios_given" ] || set -- --scenarios fanout "$@"
fi

exec target/release/examples/bench compare "$@"
