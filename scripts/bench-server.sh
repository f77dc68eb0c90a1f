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
ROOT=$(pwd)
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

note() { echo "# $*" >&2; }

apt_install() {
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        note "installing $1 with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1; } || true
    fi
}

command -v wrk >/dev/null || apt_install wrk
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }

if [[ -n "${LOADTOP_BIN:-}" ]]; then
    LOADTOP=$(readlink -f "$LOADTOP_BIN")
else
    note "building loadtop (release)"
    cargo build --release --quiet --bin loadtop
    LOADTOP=$(readlink -f "${CARGO_TARGET_DIR:-$ROOT/target}/release/loadtop")
fi

PEERS=(loadtop)
if ! command -v go >/dev/null && [[ ! -x /usr/lib/go/bin/go ]]; then apt_install golang-go; fi
GO=$(command -v go || echo /usr/lib/go/bin/go)
if [[ -x "$GO" ]]; then
    note "building the Go net/http peer"
    if (cd profiles/peers/go-hello && GO111MODULE=off GOCACHE="$WORK/gocache" "$GO" build -o "$WORK/go-hello" main.go); then
        PEERS+=(go)
    else
        note "Go build failed: skipping the Go peer"
    fi
else
    note "go not found: skipping the Go peer"
fi
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || apt_install nginx-light || apt_install nginx
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ -x "$NGINX" ]]; then PEERS+=(nginx); else note "nginx not found: skipping the nginx peer"; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Resident set of a process and its children, in kB.
rss_kb() {
    local total=0 pid
    for pid in "$1" $(pgrep -P "$1" || true); do
        total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

# CPU time (user + system) of a process and its children, in clock ticks.
cpu_ticks() {
    local total=0 pid
    for pid in "$1" $(pgrep -P "$1" || true); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

wait_listening() {
    local url=$1 i
    for i in $(seq 1 400); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server at $url did not come up" >&2
    return 1
}

# Starts one peer; sets SERVER_PID and URL.
start_peer() {
    local port
    case $1 in
        loadtop)
            : >"$WORK/ready"
            pin_server "$LOADTOP" serve --bind 127.0.0.1:0 --threads 1 >"$WORK/ready" 2>"$WORK/loadtop.err" &
            SERVER_PID=$!
            for _ in $(seq 1 400); do [[ -s "$WORK/ready" ]] && break; sleep 0.05; done
            URL=$(sed -E 's/.*listening=([^ ]+).*/\1/' "$WORK/ready")
            [[ -n "$URL" ]] || { echo "loadtop serve did not report ready: $(cat "$WORK/loadtop.err")" >&2; return 1; }
            ;;
        go)
            port=$(free_port)
            pin_server "$WORK/go-hello" -addr "127.0.0.1:$port" >/dev/null 2>&1 &
            SERVER_PID=$!
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
            pin_server "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >/dev/null 2>&1 &
            SERVER_PID=$!
            URL="http://127.0.0.1:$port"
            ;;
    esac
    wait_listening "$URL/plaintext"
}

stop_peer() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

to_ms() { # wrk prints 812.00us, 1.23ms, 1.01s
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
        else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
        else print v }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
    for peer in "${PEERS[@]}"; do
        start_peer "$peer"
        sleep 0.3
        idle=$(rss_kb "$SERVER_PID")
        pin_client wrk -t1 -c"$CONNS" -d1s "$URL/plaintext" >/dev/null # warm-up
        ticks_before=$(cpu_ticks "$SERVER_PID")
        out=$(pin_client wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$URL/plaintext")
        ticks=$(($(cpu_ticks "$SERVER_PID") - ticks_before))
        loaded=$(rss_kb "$SERVER_PID")
        stop_peer
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
        mean=$(to_ms "$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
        errors=$(awk '/Non-2xx|Socket errors/' <<<"$out" | tr -s ' ' | tr '\n' ' ')
        requests=$(awk '/requests in/ {print $1; exit}' <<<"$out")
        # Requests per CPU-second of the server: what the server costs per
        # request, far less sensitive to other load on a shared machine.
        per_cpu_s=$(awk -v r="$requests" -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { print (t > 0) ? r / (t / hz) : 0 }')
        echo "$peer $round $rps $mean $p99 $idle $loaded $per_cpu_s" >>"$WORK/results"
        printf 'round %d %-8s %10.0f req/s  mean %6.3f ms  p99 %6.3f ms  rss idle %5d kB loaded %5d kB  %8.0f req/cpu-s %s\n' \
            "$round" "$peer" "$rps" "$mean" "$p99" "$idle" "$loaded" "$per_cpu_s" "$errors"
    done
done

echo
echo "medians of $ROUNDS alternating rounds (wrk -t1 -c$CONNS -d$DURATION; server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU):"
printf '%-8s %12s %10s %10s %12s %12s %12s\n' peer req/s mean_ms p99_ms idle_rss_kB load_rss_kB req/cpu-s
for peer in "${PEERS[@]}"; do
    col() { awk -v p="$peer" -v c="$1" '$1 == p {print $c}' "$WORK/results" | median; }
    printf '%-8s %12.0f %10.3f %10.3f %12.0f %12.0f %12.0f\n' "$peer" "$(col 3)" "$(col 4)" "$(col 5)" "$(col 6)" "$(col 7)" "$(col 8)"
done
# Ratios per round (same machine state), then their median.
for peer in "${PEERS[@]}"; do
    [[ $peer == loadtop ]] && continue
    for column in 3 8; do
        ratio=$(awk -v p="$peer" -v c="$column" '$1 == "loadtop" {l[$2] = $c} $1 == p {o[$2] = $c}
            END { for (r in l) if (o[r] > 0) print l[r] / o[r] }' "$WORK/results" | median)
        label=$([[ $column == 3 ]] && echo "req/s" || echo "req/cpu-s")
        printf 'loadtop / %-6s %-9s ratio (median of per-round ratios): %.2fx\n' "$peer" "$label" "$ratio"
    done
done
