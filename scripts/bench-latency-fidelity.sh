#!/usr/bin/env bash
# Latency fidelity: does loadtop report the latency a known server induces as
# wrk does? Target `loadtop serve --threads 1` route /sleep?ms=10 (pinned to
# CPU 1), closed model with 2 connections; `loadtop bench -c 2 --json -` and
# `wrk -t1 -c2 --latency` alternate (pinned to CPU 0). Prints both p50s per
# round, the per-round difference and the median difference
# (target: |loadtop p50 - wrk p50| <= 0.3 ms).
#
#   scripts/bench-latency-fidelity.sh [ROUNDS]        # default 3 rounds
#   env: DURATION=10s CONNS=2 SLEEP_MS=10  LOADTOP_BIN=(skip the build)  CARGO_TARGET_DIR
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-${ROUNDS:-3}}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-2}
SLEEP_MS=${SLEEP_MS:-10}
TARGET_CPU=1
GENERATOR_CPU=0

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool taskset util-linux
HAVE_WRK=no
if have_peer wrk "loadtop p50 only, no comparison" wrk; then HAVE_WRK=yes; fi
loadtop_bin
make_workdir

start_loadtop_serve "/sleep?ms=$SLEEP_MS"
echo "target: $URL (loadtop serve --threads 1, CPU $TARGET_CPU); generators on CPU $GENERATOR_CPU; -c $CONNS -d $DURATION"

loadtop_round() { # prints "p50_ms p99_ms requests"
    taskset -c $GENERATOR_CPU "$BIN" bench "$URL" -c "$CONNS" -d "$DURATION" --json - 2> /dev/null > "$WORK/l.json" || true
    python3 - "$WORK/l.json" <<'PY'
import json, sys
try:
    s = json.load(open(sys.argv[1]))["summary"]
    print(s["latency"]["p50_us"] / 1000, s["latency"]["p99_us"] / 1000, s["requests"])
except Exception:
    print("nan nan 0")
PY
}

wrk_round() { # prints "p50_ms p99_ms requests"
    local out
    out=$(taskset -c $GENERATOR_CPU wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$URL")
    echo "$(to_ms "$(awk '$1 == "50%" {print $2}' <<< "$out")") $(to_ms "$(awk '$1 == "99%" {print $2}' <<< "$out")") $(awk '/requests in/ {print $1; exit}' <<< "$out")"
}

: > "$WORK/results"
for round in $(seq "$ROUNDS"); do
    # Alternate which generator goes first so drift over time favours neither.
    if (( round % 2 )); then
        read -r lp50 lp99 lreq <<< "$(loadtop_round)"
        if [[ $HAVE_WRK == yes ]]; then read -r wp50 wp99 wreq <<< "$(wrk_round)"; else wp50=nan; wp99=nan; wreq=0; fi
    else
        if [[ $HAVE_WRK == yes ]]; then read -r wp50 wp99 wreq <<< "$(wrk_round)"; else wp50=nan; wp99=nan; wreq=0; fi
        read -r lp50 lp99 lreq <<< "$(loadtop_round)"
    fi
    echo "$lp50 $wp50 $lp99 $wp99" >> "$WORK/results"
    awk -v r="$round" -v a="$lp50" -v b="$wp50" -v c="$lp99" -v d="$wp99" -v x="$lreq" -v y="$wreq" 'BEGIN {
        printf "round %d: loadtop p50 %.3f ms p99 %.3f ms (%d req) | wrk p50 %.3f ms p99 %.3f ms (%d req) | p50 diff %+.3f ms\n",
            r, a, c, x, b, d, y, a - b }'
done

ML=$(awk '{print $1}' "$WORK/results" | median)
MW=$(awk '{print $2}' "$WORK/results" | median)
MD=$(awk '{print $1 - $2}' "$WORK/results" | median)
awk -v a="$ML" -v b="$MW" -v d="$MD" 'BEGIN {
    ad = (d < 0) ? -d : d
    printf "median: loadtop p50 %.3f ms, wrk p50 %.3f ms, median per-round diff %+.3f ms (target |diff| <= 0.3 ms) %s\n",
        a, b, d, (ad <= 0.3) ? "PASS" : "MISS" }'
