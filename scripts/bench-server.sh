#!/usr/bin/env bash
# Throughput and footprint of `loadtop serve --threads 1` on /plaintext beside
# Go net/http and nginx: each server pinned to CPU 1, wrk pinned to CPU 0,
# alternating rounds, medians and ratios computed within the same rounds.
#
#   scripts/bench-server.sh            # 5 rounds of wrk -t1 -c100 -d10s
#   ROUNDS=3 DURATION=5s scripts/bench-server.sh
#   NICE=-10 scripts/bench-server.sh   # (root) favour servers and wrk over other load
#   LOADTOP_BIN=/path/to/loadtop scripts/bench-server.sh   # skip the build
# The build honours CARGO_TARGET_DIR.
#
# On a shared machine req/s swings with other load; req/cpu-s (requests per
# CPU-second the server used) is the steadier measure of what a server costs.
# Missing peers are installed with apt-get when running as root, else skipped.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-100}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
NICE=${NICE:-0}
# exec: the background job must be the server itself, so $! is its pid.
pin_server() { exec nice -n "$NICE" taskset -c "$SERVER_CPU" "$@"; }
pin_client() { nice -n "$NICE" taskset -c "$CLIENT_CPU" "$@"; }
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool taskset util-linux
require_tool --install wrk wrk
loadtop_bin
make_workdir

PEERS=(loadtop)
if have_peer go "skipping the Go peer" golang-go; then
    note "building the Go net/http peer"
    if (cd profiles/peers/go-hello && GO111MODULE=off GOCACHE="$WORK/gocache" go build -o "$WORK/go-hello" main.go); then
        PEERS+=(go)
    else
        echo "!! Go build failed: skipping the Go peer"
    fi
fi
if have_peer nginx "skipping the nginx peer" nginx-light nginx; then PEERS+=(nginx); fi

# Resident set of a process and its children, in kB.
rss_kb() {
    local total=0 pid
    for pid in "$1" $(pgrep -P "$1" || true); do
        total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

wait_listening() {
    local url=$1
    for _ in $(seq 1 400); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server at $url did not come up" >&2
    return 1
}

# Starts one peer as the target; sets TARGET_PID and URL (no trailing slash).
start_peer() {
    local port
    case $1 in
        loadtop)
            pin_server "$BIN" serve --bind 127.0.0.1:0 --threads 1 >"$WORK/loadtop.out" 2>"$WORK/loadtop.err" &
            TARGET_PID=$!
            URL=$(serve_ready_url loadtop "$TARGET_PID")
            ;;
        go)
            port=$(free_port)
            pin_server "$WORK/go-hello" -addr "127.0.0.1:$port" >/dev/null 2>&1 &
            TARGET_PID=$!
            URL="http://127.0.0.1:$port"
            ;;
        nginx)
            port=$(free_port)
            mkdir -p "$WORK/nginx/logs"
            cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log error;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    server {
        listen 127.0.0.1:$port;
        location /plaintext {
            default_type text/plain;
            return 200 'Hello, World!';
        }
    }
}
CONF
            pin_server nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >/dev/null 2>&1 &
            TARGET_PID=$!
            URL="http://127.0.0.1:$port"
            ;;
    esac
    wait_listening "$URL/plaintext"
}

: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
    for peer in "${PEERS[@]}"; do
        start_peer "$peer"
        sleep 0.3
        idle=$(rss_kb "$TARGET_PID")
        pin_client wrk -t1 -c"$CONNS" -d1s "$URL/plaintext" >/dev/null # warm-up
        ticks_before=$(cpu_ticks "$TARGET_PID")
        out=$(pin_client wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$URL/plaintext")
        ticks=$(($(cpu_ticks "$TARGET_PID") - ticks_before))
        loaded=$(rss_kb "$TARGET_PID")
        stop_target
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
        mean=$(to_ms "$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
        errors=$(awk '/Non-2xx|Socket errors/' <<<"$out" | tr -s ' ' | tr '\n' ' ')
        requests=$(awk '/requests in/ {print $1; exit}' <<<"$out")
        # Requests per CPU-second of the server: what the server costs per
        # request, far less sensitive to other load on a shared machine.
        per_cpu_s=$(per_cpu_second "$requests" "$ticks")
        echo "$peer $round $rps $mean $p99 $idle $loaded $per_cpu_s" >>"$WORK/results"
        printf 'round %d %-8s %10.0f req/s  mean %6.3f ms  p99 %6.3f ms  rss idle %5d kB loaded %5d kB  %8.0f req/cpu-s %s\n' \
            "$round" "$peer" "$rps" "$mean" "$p99" "$idle" "$loaded" "$per_cpu_s" "$errors"
    done
done

echo
echo "medians of $ROUNDS alternating rounds (wrk -t1 -c$CONNS -d$DURATION; server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU):"
printf '%-8s %12s %10s %10s %12s %12s %12s\n' peer req/s mean_ms p99_ms idle_rss_kB load_rss_kB req/cpu-s
for peer in "${PEERS[@]}"; do
    col() { column_median "$WORK/results" "$peer" "$1"; }
    printf '%-8s %12.0f %10.3f %10.3f %12.0f %12.0f %12.0f\n' "$peer" "$(col 3)" "$(col 4)" "$(col 5)" "$(col 6)" "$(col 7)" "$(col 8)"
done
# Ratios per round (same machine state), then their median.
for peer in "${PEERS[@]}"; do
    [[ $peer == loadtop ]] && continue
    for column in 3 8; do
        ratio=$(round_ratios "$WORK/results" loadtop "$peer" "$column" | median)
        label=$([[ $column == 3 ]] && echo "req/s" || echo "req/cpu-s")
        printf 'loadtop / %-6s %-9s ratio (median of per-round ratios): %.2fx\n' "$peer" "$label" "$ratio"
    done
done
