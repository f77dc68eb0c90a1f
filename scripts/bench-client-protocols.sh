#!/usr/bin/env bash
# What each transport costs the generator: `loadtop bench -t1 -c$CONNS`
# against `loadtop serve --threads 1` on /plaintext over plain HTTP/1.1, h2c,
# HTTPS (HTTP/1.1) and HTTPS + h2 ($STREAMS streams per connection). Server
# pinned to CPU 1, generator to CPU 0, alternating rounds, medians, and
# per-round ratios against plain HTTP/1.1.
#
#   LOADTOP_BIN=target/release/loadtop ROUNDS=3 DURATION=5 scripts/bench-client-protocols.sh
#
# cpu-ms/1k (the generator's user+sys CPU per 1,000 responses) is the steady
# measure on a shared machine; req/s swings with other load and is bounded by
# the single-threaded server.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-50}
STREAMS=${STREAMS:-4}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool taskset util-linux
require_tool /usr/bin/time time
loadtop_bin
make_workdir

# One plain and one TLS server for the whole run (BACKGROUND_PIDS, stopped at
# exit); sets SERVER_URL to the base URL.
start_server() {
    local name=$1; shift
    taskset -c "$SERVER_CPU" "$BIN" serve --bind 127.0.0.1:0 --threads 1 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    BACKGROUND_PIDS+=($!)
    SERVER_URL=$(serve_ready_url "$name" "$!")
}
start_server plain
PLAIN=$SERVER_URL
start_server tls --tls --tls-cert-out "$WORK/cert.pem"
TLS=$SERVER_URL

VARIANTS=(http1 h2c https1 https-h2)
args_for() {
    case $1 in
        http1) echo "$PLAIN/plaintext" ;;
        h2c) echo "$PLAIN/plaintext --http2 --h2-streams $STREAMS" ;;
        https1) echo "$TLS/plaintext --cacert $WORK/cert.pem" ;;
        https-h2) echo "$TLS/plaintext --cacert $WORK/cert.pem --http2 --h2-streams $STREAMS" ;;
    esac
}

: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
    for variant in "${VARIANTS[@]}"; do
        # shellcheck disable=SC2046 # the flags are meant to split
        /usr/bin/time -f '%U %S' -o "$WORK/time" taskset -c "$CLIENT_CPU" "$BIN" bench \
            $(args_for "$variant") -t1 -c"$CONNS" -d"${DURATION}s" --headless --json "$WORK/report.json" >/dev/null 2>"$WORK/bench.err" \
            || { echo "$variant failed: $(cat "$WORK/bench.err")" >&2; exit 1; }
        read -r requests rps errors < <(python3 -c 'import json,sys
s = json.load(open(sys.argv[1]))["summary"]
print(s["requests"], s["rps"], sum(e["count"] for e in s["errors"]))' "$WORK/report.json")
        cpu_ms_per_1k=$(awk -v r="$requests" '{ print (r > 0) ? ($1 + $2) * 1e6 / r : 0 }' "$WORK/time")
        echo "$variant $round $rps $cpu_ms_per_1k" >>"$WORK/results"
        printf 'round %d %-9s %10.0f req/s %8.2f cpu-ms/1k  errors=%s\n' "$round" "$variant" "$rps" "$cpu_ms_per_1k" "$errors"
    done
done

echo
echo "medians of $ROUNDS alternating rounds (bench -t1 -c$CONNS -d${DURATION}s, h2 with $STREAMS streams; server on CPU $SERVER_CPU, generator on CPU $CLIENT_CPU):"
summarize_variants "$WORK/results" "%10.0f:req/s %8.2f:cpu-ms/1k" "${VARIANTS[@]}"
