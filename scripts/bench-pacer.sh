#!/usr/bin/env bash
# Pacer accuracy: how closely open-model sends leave at their intended time,
# and what the generator costs. Target `loadtop serve --threads 1` /plaintext
# (pinned to CPU 1); `loadtop bench -R RATE` (pinned to CPU 0) at 100, 1,000,
# 10,000 and 50,000 req/s. Per rate, medians over ROUNDS rounds of:
#   send lag p50 / p99 / max   actual minus intended send (summary.send_lag)
#   corr-svc p50               corrected p50 minus service p50: what pacing
#                              adds to every corrected latency
#   achieved                   responses per second
#   cpu/1k                     generator CPU (user + system, whole process)
#                              per 1,000 responses, in ms
# Targets: send lag p50 <= 20 us and p99 <= 100 us up to 10,000 req/s;
# corr-svc p50 <= 50 us at 1,000 req/s; cpu/1k <= 50 ms at 1,000 req/s.
#
#   scripts/bench-pacer.sh [ROUNDS]          # default 3 rounds
#   env: DURATION=10s RATES="100 1000 10000 50000" CONNS=16
#        LOADTOP_BIN=(skip the build)  CARGO_TARGET_DIR
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-${ROUNDS:-3}}
DURATION=${DURATION:-10s}
RATES=${RATES:-100 1000 10000 50000}
CONNS=${CONNS:-16}
TARGET_CPU=1
GENERATOR_CPU=0

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool taskset util-linux
require_tool python3 python3
require_tool /usr/bin/time time
loadtop_bin
make_workdir

start_loadtop_serve /plaintext
echo "target: $URL (loadtop serve --threads 1, CPU $TARGET_CPU); generator on CPU $GENERATOR_CPU; -c $CONNS -d $DURATION, $ROUNDS rounds"

# One round at RATE: "RATE ROUND lag_p50 lag_p99 lag_max corr_minus_svc
# achieved cpu_ms_per_1k", from the JSON report and /usr/bin/time's user +
# system seconds of the bench process.
pacer_round() {
    local rate=$1 round=$2
    rm -f "$WORK/r.json"
    /usr/bin/time -f '%U %S' -o "$WORK/time" \
        taskset -c $GENERATOR_CPU "$BIN" bench "$URL" -R "$rate" -c "$CONNS" \
        -d "$DURATION" --json "$WORK/r.json" > /dev/null 2>&1 || true
    python3 - "$WORK/r.json" "$rate" "$round" "$WORK/time" <<'PY'
import json, sys
path, rate, rnd, times = sys.argv[1:5]
try:
    s = json.load(open(path))["summary"]
    user, system = (float(v) for v in open(times).read().split()[-2:])
    lag = s["send_lag"]
    requests = max(s["requests"], 1)
    print(rate, rnd, lag["p50_us"], lag["p99_us"], lag["max_us"],
          s["latency"]["p50_us"] - s["service"]["p50_us"],
          round(s["rps"], 1), round((user + system) * 1e6 / requests, 1))
except Exception as error:
    print(f"# round failed: {error}", file=sys.stderr)
PY
}

RESULTS="$WORK/results"
: > "$RESULTS"
for round in $(seq "$ROUNDS"); do
    for rate in $RATES; do
        note "round $round: -R $rate"
        pacer_round "$rate" "$round" >> "$RESULTS"
    done
done

printf '%8s %10s %10s %10s %14s %10s %8s\n' rate "lag p50" "lag p99" "lag max" "corr-svc p50" achieved "cpu/1k"
for rate in $RATES; do
    printf '%8s %8sus %8sus %8sus %12sus %10s %6sms\n' "$rate" \
        "$(column_median "$RESULTS" "$rate" 3)" "$(column_median "$RESULTS" "$rate" 4)" \
        "$(column_median "$RESULTS" "$rate" 5)" "$(column_median "$RESULTS" "$rate" 6)" \
        "$(column_median "$RESULTS" "$rate" 7)" "$(column_median "$RESULTS" "$rate" 8)"
done
