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

command -v taskset >/dev/null || { echo "taskset is required (util-linux)" >&2; exit 1; }
if [[ -n "${LOADTOP_BIN:-}" ]]; then
    BIN=$(readlink -f "$LOADTOP_BIN")
else
    cargo build --release --quiet --bin loadtop
    BIN=$(readlink -f "${CARGO_TARGET_DIR:-target}/release/loadtop")
fi

WORK=$(mktemp -d)
TARGET_PID=""
cleanup() {
    if [[ -n "$TARGET_PID" ]]; then kill "$TARGET_PID" 2>/dev/null || true; wait "$TARGET_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [[ "$TARGET" == nginx ]] && ! command -v nginx >/dev/null; then
    echo "!! nginx not installed: using loadtop serve --threads 1 as the target"
    TARGET=loadtop
fi
if [[ "$TARGET" == nginx ]]; then
    port=$(free_port)
    mkdir -p "$WORK/nginx"
    cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $WORK/nginx/error.log warn;
pid $WORK/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server { listen 127.0.0.1:$port; location / { return 200 "Hello, world!"; } }
}
CONF
    taskset -c $TARGET_CPU nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
    TARGET_PID=$!
    URL="http://127.0.0.1:$port/"
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    echo "target: nginx (1 worker, CPU $TARGET_CPU) at $URL"
else
    taskset -c $TARGET_CPU "$BIN" serve --bind 127.0.0.1:0 --threads 1 > "$WORK/serve.out" &
    TARGET_PID=$!
    for _ in $(seq 50); do grep -q listening= "$WORK/serve.out" && break; sleep 0.1; done
    URL="$(sed -n 's/.*listening=\([^ ]*\).*/\1/p' "$WORK/serve.out" | head -1)"
    URL="${URL%/}/plaintext"
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

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "== medians over $ROUNDS rounds (target: achieved within 1% of asked)"
for rate in $RATES; do
    col() { awk -v n="$rate" -v c="$1" '$1 == n { print $c }' "$WORK/results" | median; }
    awk -v n="$rate" -v a="$(col 2)" -v l="$(col 3)" -v d="$(col 4)" -v e="$(col 5)" 'BEGIN {
        dev = 100 * (a - n) / n; if (dev < 0) adev = -dev; else adev = dev
        printf "asked %6d  achieved %9.1f req/s  deviation %+7.3f%%  late %d  dropped %d  errors %d  %s\n",
            n, a, dev, l, d, e, (adev <= 1) ? "PASS" : "MISS" }'
done
