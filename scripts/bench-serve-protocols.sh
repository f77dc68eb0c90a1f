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
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
if [[ -n "${LOADTOP_BIN:-}" ]]; then
    LOADTOP=$(readlink -f "$LOADTOP_BIN")
else
    cargo build --release --quiet --bin loadtop
    LOADTOP=$(readlink -f "${CARGO_TARGET_DIR:-target}/release/loadtop")
fi
VARIANTS=()
[[ -n "${LOADTOP_BASE:-}" ]] && VARIANTS+=(base-http)
VARIANTS+=(http https)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK)
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Starts one variant; sets SERVER_PID and URL.
start_variant() {
    local bin=$LOADTOP extra=()
    case $1 in
        base-http) bin=$(readlink -f "$LOADTOP_BASE") ;;
        https) extra=(--tls) ;;
    esac
    : >"$WORK/ready"
    taskset -c "$SERVER_CPU" "$bin" serve --bind 127.0.0.1:0 --threads 1 "${extra[@]}" >"$WORK/ready" 2>"$WORK/err" &
    SERVER_PID=$!
    for _ in $(seq 1 400); do [[ -s "$WORK/ready" ]] && break; sleep 0.05; done
    URL=$(sed -E 's/.*listening=([^ ]+).*/\1/' "$WORK/ready")
    [[ -n "$URL" ]] || { echo "$1 did not report ready: $(cat "$WORK/err")" >&2; exit 1; }
}

: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
    for variant in "${VARIANTS[@]}"; do
        start_variant "$variant"
        taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d1s "$URL/plaintext" >/dev/null # warm-up
        before=$(cpu_ticks "$SERVER_PID")
        out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" "$URL/plaintext")
        ticks=$(($(cpu_ticks "$SERVER_PID") - before))
        kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
        requests=$(awk '/requests in/ {print $1; exit}' <<<"$out")
        errors=$(awk '/Non-2xx|Socket errors/' <<<"$out" | tr -s ' ' | tr '\n' ' ')
        per_cpu_s=$(awk -v r="$requests" -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { print (t > 0) ? r / (t / hz) : 0 }')
        echo "$variant $round $rps $per_cpu_s" >>"$WORK/results"
        printf 'round %d %-9s %10.0f req/s %10.0f req/cpu-s %s\n' "$round" "$variant" "$rps" "$per_cpu_s" "$errors"
    done
done

echo
echo "medians of $ROUNDS alternating rounds (wrk -t1 -c$CONNS -d$DURATION; server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU):"
first=${VARIANTS[0]}
for variant in "${VARIANTS[@]}"; do
    col() { awk -v v="$variant" -v c="$1" '$1 == v {print $c}' "$WORK/results" | median; }
    ratio() { awk -v v="$variant" -v f="$first" -v c="$1" '$1 == f {b[$2] = $c} $1 == v {o[$2] = $c}
        END { for (r in b) if (b[r] > 0) print o[r] / b[r] }' "$WORK/results" | median; }
    printf '%-9s %10.0f req/s %10.0f req/cpu-s   vs %s: req/s %.3fx req/cpu-s %.3fx\n' \
        "$variant" "$(col 3)" "$(col 4)" "$first" "$(ratio 3)" "$(ratio 4)"
done
