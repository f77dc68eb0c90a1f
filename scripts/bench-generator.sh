#!/usr/bin/env bash
# Generator efficiency: loadtop vs wrk (and oha when installed) against one
# target, in alternating rounds, everything pinned: target on CPU 1,
# generators on CPU 0. Prints per round and medians: achieved req/s, CPU
# seconds (user+sys), peak RSS, CPU ms per 1,000 requests, and the
# loadtop/wrk ratios of the medians; then one fixed-rate loadtop run.
#
# Usage: scripts/bench-generator.sh [ROUNDS]
# Env:   DURATION (s, default 10), CONNECTIONS (100), RATE (20000),
#        GENERATOR=bench (loadtop bench, default) | harness (the engine's
#        benches/generator harness, for when `loadtop bench` is not wired),
#        LOADTOP_BIN (use this binary, skip the build), CARGO_TARGET_DIR.
set -euo pipefail

ROUNDS=${1:-${ROUNDS:-3}}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-100}
RATE=${RATE:-20000}
GENERATOR=${GENERATOR:-bench}
TARGET_CPU=1
GENERATOR_CPU=0

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool taskset util-linux
require_tool /usr/bin/time time
loadtop_bin
make_workdir
if [[ "$GENERATOR" == harness ]]; then
    harness=$(cargo bench --bench generator --no-run --message-format=json 2>/dev/null \
        | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "generator":
        print(m["executable"])' | tail -1)
    [[ -x "$harness" ]] || { echo "cannot build benches/generator" >&2; exit 1; }
fi

# Peers: wrk is needed for the ratios; oha is optional.
have_wrk=no have_oha=no
if have_peer wrk "skipping wrk (no ratios)" wrk; then have_wrk=yes; fi
if have_peer oha "skipping oha"; then have_oha=yes; fi

# Target: nginx `return 200` with one worker, else the embedded server.
# nginx gets room for many connections and keeps idle ones for the whole run.
if have_peer nginx "using loadtop serve --threads 1 as the target"; then
    WORKER_CONNECTIONS=20000 NGINX_RLIMIT_NOFILE=65536 NGINX_KEEPALIVE_TIMEOUT=300s start_nginx
    echo "== target: nginx (1 worker, CPU $TARGET_CPU) at $URL"
else
    start_loadtop_serve /
    echo "== target: loadtop serve (1 thread, CPU $TARGET_CPU) at $URL"
fi

# measure PREFIX CMD...: runs CMD pinned under /usr/bin/time -v (PREFIX.time, .out, .err).
measure() {
    local prefix=$1; shift
    /usr/bin/time -v -o "$prefix.time" taskset -c $GENERATOR_CPU "$@" > "$prefix.out" 2> "$prefix.err" || true
}
time_field() { sed -n "s/^[[:space:]]*$2: //p" "$1.time" | head -1; }
cpu_secs() { echo "$(time_field "$1" 'User time (seconds)') $(time_field "$1" 'System time (seconds)')" | awk '{print $1 + $2}'; }
rss_kib() { time_field "$1" 'Maximum resident set size (kbytes)'; }

# requests and seconds of one run, per tool.
requests_loadtop() {
    if [[ "$GENERATOR" == harness ]]; then
        sed -n 's/.*requests=\([0-9]*\) .*wall_s=\([0-9.]*\).*/\1 \2/p' "$1.out" | tail -1
    else
        python3 - "$1.json" <<'PY'
import json, sys
try:
    summary = json.load(open(sys.argv[1]))["summary"]
    print(summary["requests"], summary["duration_secs"])
except Exception:
    print("0 1")
PY
    fi
}
requests_wrk() { sed -n 's/^[[:space:]]*\([0-9]*\) requests in \([0-9.]*\)s.*/\1 \2/p' "$1.out" | tail -1; }
requests_oha() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["summary"]; print(round(s["requestsPerSec"]*s["total"]), s["total"])' "$1.out" 2>/dev/null || echo "0 1"; }

run_loadtop() {
    local prefix=$1; shift
    if [[ "$GENERATOR" == harness ]]; then
        measure "$prefix" "$harness" "$URL" -t 1 -c "$CONNECTIONS" -d "$DURATION" "$@"
    else
        measure "$prefix" "$BIN" bench "$URL" -t1 -c"$CONNECTIONS" -d"${DURATION}s" --json "$prefix.json" "$@"
    fi
}

results="$WORK/results"
: > "$results"
record() { # tool prefix "requests secs"
    local tool=$1 prefix=$2 reqs secs cpu rss
    read -r reqs secs <<< "$3"
    reqs=${reqs:-0}; secs=${secs:-1}
    cpu=$(cpu_secs "$prefix"); rss=$(rss_kib "$prefix")
    awk -v t="$tool" -v r="$reqs" -v s="$secs" -v c="$cpu" -v m="$rss" 'BEGIN {
        rps = (s > 0) ? r / s : 0; per1k = (r > 0) ? c * 1e6 / r : 0;
        printf "%-8s req/s=%9.0f  cpu_s=%6.2f  peak_rss_mib=%6.1f  cpu_ms_per_1k=%7.2f\n", t, rps, c, m / 1024, per1k;
        printf "%s %f %f %f %f\n", t, rps, c, m / 1024, per1k >> "/dev/stderr" }' 2>> "$results"
}

for round in $(seq "$ROUNDS"); do
    echo "== round $round/$ROUNDS (-t1 -c$CONNECTIONS -d${DURATION}s)"
    run_loadtop "$WORK/loadtop.$round"
    record loadtop "$WORK/loadtop.$round" "$(requests_loadtop "$WORK/loadtop.$round")"
    if [[ $have_wrk == yes ]]; then
        measure "$WORK/wrk.$round" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$URL"
        record wrk "$WORK/wrk.$round" "$(requests_wrk "$WORK/wrk.$round")"
    fi
    if [[ $have_oha == yes ]]; then
        measure "$WORK/oha.$round" oha -c "$CONNECTIONS" -z "${DURATION}s" --no-tui --output-format json "$URL"
        record oha "$WORK/oha.$round" "$(requests_oha "$WORK/oha.$round")"
    fi
done

echo "== medians over $ROUNDS rounds"
# Results lines are "tool req/s cpu_s rss_mib cpu_ms_per_1k", one per run.
tool_median() { column_median "$results" "$1" "$2" 0; } # tool column
for tool in loadtop wrk oha; do
    grep -q "^$tool " "$results" || continue
    printf "%-8s req/s=%9.0f  cpu_s=%6.2f  peak_rss_mib=%6.1f  cpu_ms_per_1k=%7.2f\n" "$tool" \
        "$(tool_median $tool 2)" "$(tool_median $tool 3)" "$(tool_median $tool 4)" "$(tool_median $tool 5)"
done
if grep -q "^wrk " "$results"; then
    awk -v a="$(tool_median loadtop 2)" -v b="$(tool_median wrk 2)" -v c="$(tool_median loadtop 5)" -v d="$(tool_median wrk 5)" \
        -v e="$(tool_median loadtop 4)" -v f="$(tool_median wrk 4)" 'BEGIN {
        printf "ratio loadtop/wrk: req/s %.2f  cpu_ms_per_1k %.2f  peak_rss %.2f\n", a / b, c / d, e / f }'
fi

echo "== fixed rate: loadtop -R $RATE -t1 -c$CONNECTIONS -d${DURATION}s"
run_loadtop "$WORK/rate" -R "$RATE"
read -r reqs secs <<< "$(requests_loadtop "$WORK/rate")"
awk -v r="${reqs:-0}" -v s="${secs:-1}" -v c="$(cpu_secs "$WORK/rate")" -v m="$(rss_kib "$WORK/rate")" -v R="$RATE" 'BEGIN {
    printf "loadtop  target=%d  achieved req/s=%.0f (%.1f%%)  cpu_ms_per_1k=%.2f  peak_rss_mib=%.1f\n",
        R, r / s, 100 * r / s / R, (r > 0) ? c * 1e6 / r : 0, m / 1024 }'
