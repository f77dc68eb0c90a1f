#!/usr/bin/env bash
# What the protocol layer costs `loadtop serve --threads 1` on /plaintext:
# this build over plain HTTP/1.1 and over HTTPS (wrk sends no ALPN, so HTTP/1.1
# after the preface sniff), beside an optional baseline binary over plain
# HTTP/1.1 (LOADTOP_BASE, e.g. built from the commit before a listener
# change). Server pinned to CPU 1, wrk -t1 -c$CONNS pinned to CPU 0,
# alternating rounds, medians, and per-round ratios against the first variant.
#
#   LOADTOP_BIN=target/release/loadtop scripts/bench-serve-protocols.sh
#   LOADTOP_BASE=/tmp/loadtop-base LOADTOP_BIN=... ROUNDS=5 DURATION=5s scripts/bench-serve-protocols.sh
#
# req/cpu-s (requests per CPU-second the server used) is the steady measure
# on a shared machine; req/s swings with other load.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-50}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool taskset util-linux
require_tool --install wrk wrk
loadtop_bin
make_workdir
VARIANTS=()
[[ -n "${LOADTOP_BASE:-}" ]] && VARIANTS+=(base-http)
VARIANTS+=(http https)

# Starts one variant as the target; sets TARGET_PID and URL.
start_variant() {
    local bin=$BIN extra=()
    case $1 in
        base-http) bin=$(readlink -f "$LOADTOP_BASE") ;;
        https) extra=(--tls) ;;
    esac
    taskset -c "$SERVER_CPU" "$bin" serve --bind 127.0.0.1:0 --threads 1 "${extra[@]}" >"$WORK/$1.out" 2>"$WORK/$1.err" &
    TARGET_PID=$!
    URL=$(serve_ready_url "$1" "$TARGET_PID")
}

: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
    for variant in "${VARIANTS[@]}"; do
        start_variant "$variant"
        taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d1s "$URL/plaintext" >/dev/null # warm-up
        before=$(cpu_ticks "$TARGET_PID")
        out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" "$URL/plaintext")
        ticks=$(($(cpu_ticks "$TARGET_PID") - before))
        stop_target
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
        requests=$(awk '/requests in/ {print $1; exit}' <<<"$out")
        errors=$(awk '/Non-2xx|Socket errors/' <<<"$out" | tr -s ' ' | tr '\n' ' ')
        per_cpu_s=$(per_cpu_second "$requests" "$ticks")
        echo "$variant $round $rps $per_cpu_s" >>"$WORK/results"
        printf 'round %d %-9s %10.0f req/s %10.0f req/cpu-s %s\n' "$round" "$variant" "$rps" "$per_cpu_s" "$errors"
    done
done

echo
echo "medians of $ROUNDS alternating rounds (wrk -t1 -c$CONNS -d$DURATION; server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU):"
summarize_variants "$WORK/results" "%10.0f:req/s %10.0f:req/cpu-s" "${VARIANTS[@]}"
