#!/bin/bash
# The server's CPU time (user + system, all its threads, from /proc) per
# million deliveries of `bench fanout` (500 clients, 10 x 1000), for two
# chat-server binaries in interleaved rounds. Less sensitive to a busy
# machine than deliveries/s: what the other engineers' builds take is not
# counted. See docs/benchmarks.md, "The hub reshape".
# usage: examples/bench/cpu-per-delivery.sh ROUNDS BINARY_A BINARY_B
set -eu
rounds=$1 a=$2 b=$3
ulimit -n "$(ulimit -Hn)"
tick=$(getconf CLK_TCK)
bench=target/release/examples/bench
port=25300
cpu_ticks() { read -r -a stat <"/proc/$1/stat"; echo $((stat[13] + stat[14])); }
run() {
    port=$((port + 1))
    RUST_LOG=warn "$1" --port "$port" --max-clients 20000 --send-queue 65536 \
        --max-per-ip 0 --flood-rate 0 --ephemeral >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    local before out after delivered
    before=$(cpu_ticks "$pid")
    out=$("$bench" fanout --addr "127.0.0.1:$port" --fanout-clients 500 --senders 10 --messages 1000 | grep deliveries/s)
    after=$(cpu_ticks "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    delivered=$(echo "$out" | sed -E 's/.*delivered ([0-9]+)\/.*/\1/')
    echo "$1 cpu_s_per_M=$(echo "scale=3; ($after - $before) / $tick * 1000000 / $delivered" | bc) ($out)"
}
for round in $(seq "$rounds"); do
    if [ $((round % 2)) = 1 ]; then run "$a"; run "$b"; else run "$b"; run "$a"; fi
done
