#!/usr/bin/env bash
# What a request mix costs the generator: the same open-model headless run
# (`loadtop run PROFILE --headless`, 1,000 req/s for 20 s, 16 connections, one
# generator thread) against `loadtop serve --threads 1` /plaintext, once with
# one request and once with a 64-name mix of the same route (`?n=1`..`?n=64`,
# equal weights). Target pinned to CPU 1, generator to CPU 0. Per variant,
# medians over ROUNDS rounds of:
#   cpu      user + system seconds of the loadtop run process (/usr/bin/time)
#   rss      its peak RSS in MB (/usr/bin/time's maximum resident set size)
#   requests responses in the report (both variants must match the rate)
# and the per-round ratios of mix64 to one. Targets: cpu ratio <= 1.25 and
# mix64 rss < 40 MB.
#
#   scripts/bench-mix-cost.sh [ROUNDS]       # default 3 rounds
#   env: RATE=1000 DURATION=20s CONNS=16 NAMES=64
#        LOADTOP_BIN=(skip the build)  CARGO_TARGET_DIR
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-${ROUNDS:-3}}
RATE=${RATE:-1000}
DURATION=${DURATION:-20s}
CONNS=${CONNS:-16}
NAMES=${NAMES:-64}
TARGET_CPU=1
GENERATOR_CPU=0

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool taskset util-linux
require_tool python3 python3
require_tool /usr/bin/time time
loadtop_bin
make_workdir

start_loadtop_serve ""
echo "target: $URL/plaintext (loadtop serve --threads 1, CPU $TARGET_CPU); generator on CPU $GENERATOR_CPU;" \
    "open model $RATE req/s, -c $CONNS, $DURATION, $ROUNDS rounds"

# profile VARIANT: the run's profile; `one` has a single request, `mix64`
# NAMES entries on the same route, so only the bookkeeping differs.
profile() {
    local variant=$1 i
    cat <<TOML
name = "mix-cost-$variant"
[target]
url = "$URL/plaintext"
[load]
model = "open"
threads = 1
connections = $CONNS
timeout = "5s"
[[stages]]
name = "steady"
duration = "$DURATION"
rate = $RATE
TOML
    if [[ $variant == mix64 ]]; then
        for i in $(seq "$NAMES"); do
            printf '[[requests]]\nname = "GET /plaintext %d"\npath = "/plaintext?n=%d"\n' "$i" "$i"
        done
    fi
}

# One round: "VARIANT ROUND cpu_s rss_mb requests".
mix_round() {
    local variant=$1 round=$2
    profile "$variant" > "$WORK/$variant.toml"
    rm -f "$WORK/r.json"
    /usr/bin/time -f '%U %S %M' -o "$WORK/time" \
        taskset -c $GENERATOR_CPU "$BIN" run "$WORK/$variant.toml" --headless \
        --json "$WORK/r.json" > /dev/null 2> "$WORK/run.err" || true
    python3 - "$WORK/r.json" "$variant" "$round" "$WORK/time" <<'PY'
import json, sys
path, variant, rnd, times = sys.argv[1:5]
try:
    s = json.load(open(path))["summary"]
    user, system, rss_kb = (float(v) for v in open(times).read().split()[-3:])
    print(variant, rnd, round(user + system, 2), round(rss_kb / 1024, 1), s["requests"])
except Exception as error:
    print(f"# round failed: {error}", file=sys.stderr)
PY
}

RESULTS="$WORK/results"
: > "$RESULTS"
for round in $(seq "$ROUNDS"); do
    for variant in one mix64; do
        note "round $round: $variant"
        mix_round "$variant" "$round" >> "$RESULTS"
    done
done
if ! grep -q '^mix64 ' "$RESULTS"; then
    echo "no run finished; last stderr: $(tail -3 "$WORK/run.err")" >&2
    exit 1
fi

summarize_variants "$RESULTS" "%6.2f:cpu-s %6.1f:rss-MB %7.0f:requests" one mix64
awk '$1 == "mix64" { print $4 }' "$RESULTS" | median |
    awk '{ printf "mix64 peak RSS %.1f MB (target < 40 MB)\n", $1 }'
round_ratios "$RESULTS" mix64 one 3 | median |
    awk '{ printf "mix64 / one CPU %.3fx (target <= 1.25x)\n", $1 }'
