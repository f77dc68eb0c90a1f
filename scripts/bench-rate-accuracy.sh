#!/usr/bin/env bash
# Fixed-rate accuracy: `loadtop bench URL -R N -d 10s -c 200` for several
# rates against one target (nginx `return 200`, 1 worker, else
# `loadtop serve --threads 1`), target pinned to CPU 1 and the generator to
# CPU 0. Rates alternate within each round; prints per run and the medians
# of achieved / asked (target: within 1% up to 50 000 req/s), with the late
# and dropped sends the report counts.
#
#   scripts/bench-rate-accuracy.sh [ROUNDS]          # default 3 rounds
#   env: RATES="1000 10000 30000 50000" DURATION=10s CONNS=200
#        TARGET=nginx|loadtop  LOADTOP_BIN=(skip the build)  CARGO_TARGET_DIR
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-${ROUNDS:-3}}
RATES=${RATES:-"1000 10000 30000 50000"}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-200}
TARGET=${TARGET:-nginx}
TARGET_CPU=1
GENERATOR_CPU=0

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool taskset util-linux
loadtop_bin
make_workdir

if [[ "$TARGET" == nginx ]] && ! have_peer nginx "using loadtop serve --threads 1 as the target"; then
    TARGET=loadtop
fi
if [[ "$TARGET" == nginx ]]; then
    start_nginx
    echo "target: nginx (1 worker, CPU $TARGET_CPU) at $URL"
else
    start_loadtop_serve /plaintext
    echo "target: loadtop serve (1 thread, CPU $TARGET_CPU) at $URL"
fi
echo "generator: loadtop bench -R N -d $DURATION -c $CONNS on CPU $GENERATOR_CPU; $ROUNDS rounds"

# Prints "achieved_rps requests late dropped errors" of one report.
summary_of() {
    python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
errors = sum(e["count"] for e in s["errors"])
print(f'{s["rps"]:.1f} {s["requests"]} {s["late_sends"]} {s["dropped_sends"]} {errors}')
PY
}

: > "$WORK/results"
for round in $(seq "$ROUNDS"); do
    for rate in $RATES; do
        taskset -c $GENERATOR_CPU "$BIN" bench "$URL" -R "$rate" -d "$DURATION" -c "$CONNS" \
            --headless --json "$WORK/r.json" > /dev/null 2> "$WORK/r.err" || true
        if [[ ! -s "$WORK/r.json" ]]; then echo "round $round -R $rate: no report ($(tail -1 "$WORK/r.err"))"; continue; fi
        read -r rps reqs late dropped errors <<< "$(summary_of "$WORK/r.json")"
        rm -f "$WORK/r.json"
        echo "$rate $rps $late $dropped $errors" >> "$WORK/results"
        awk -v n="$rate" -v a="$rps" -v q="$reqs" -v l="$late" -v d="$dropped" -v e="$errors" -v r="$round" 'BEGIN {
            printf "round %d  asked %6d  achieved %9.1f req/s (%7.3f%%)  requests %8d  late %d  dropped %d  errors %d\n",
                r, n, a, 100 * a / n, q, l, d, e }'
    done
done

echo "== medians over $ROUNDS rounds (target: achieved within 1% of asked)"
for rate in $RATES; do
    # A rate with no report in any round shows as 0 achieved (a MISS).
    col() { column_median "$WORK/results" "$rate" "$1" 0; }
    awk -v n="$rate" -v a="$(col 2)" -v l="$(col 3)" -v d="$(col 4)" -v e="$(col 5)" 'BEGIN {
        dev = 100 * (a - n) / n; if (dev < 0) adev = -dev; else adev = dev
        printf "asked %6d  achieved %9.1f req/s  deviation %+7.3f%%  late %d  dropped %d  errors %d  %s\n",
            n, a, dev, l, d, e, (adev <= 1) ? "PASS" : "MISS" }'
done
