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
work=$(mktemp -d)
target_pid=""
cleanup() {
    if [[ -n "$target_pid" ]]; then kill "$target_pid" 2>/dev/null || true; wait "$target_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [[ -n "${LOADTOP_BIN:-}" ]]; then
    loadtop=$(readlink -f "$LOADTOP_BIN")
else
    echo "== building (release)"
    cargo build --release --quiet --bin loadtop
    loadtop=$(readlink -f "${CARGO_TARGET_DIR:-target}/release/loadtop")
fi
if [[ "$GENERATOR" == harness ]]; then
    harness=$(cargo bench --bench generator --no-run --message-format=json 2>/dev/null \
        | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "generator":
        print(m["executable"])' | tail -1)
    [[ -x "$harness" ]] || { echo "cannot build benches/generator" >&2; exit 1; }
fi

# Peers: wrk is required for ratios; oha is optional.
if ! command -v wrk >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y -qq wrk >/dev/null 2>&1 || true
    fi
fi
have_wrk=$(command -v wrk >/dev/null && echo yes || echo no)
have_oha=$(command -v oha >/dev/null && echo yes || echo no)
[[ $have_wrk == yes ]] || echo "!! wrk not installed: skipping wrk (no ratios)"
[[ $have_oha == yes ]] || echo "!! oha not installed: skipping oha"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Target: nginx `return 200` with one worker, else the embedded server.
if command -v nginx >/dev/null; then
    port=$(free_port)
    mkdir -p "$work/nginx"
    cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $work/nginx/error.log warn;
pid $work/nginx/nginx.pid;
worker_rlimit_nofile 65536;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server { listen 127.0.0.1:$port; location / { return 200 "Hello, world!"; } }
}
CONF
    taskset -c $TARGET_CPU nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
    target_pid=$!
    url="http://127.0.0.1:$port/"
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    echo "== target: nginx (1 worker, CPU $TARGET_CPU) at $url"
else
    taskset -c $TARGET_CPU "$loadtop" serve --threads 1 --bind 127.0.0.1:0 > "$work/serve.out" 2>&1 &
    target_pid=$!
    url=""
    for _ in $(seq 100); do
        url=$(sed -n 's/^loadtop-serve listening=\(http:[^ ]*\).*/\1/p' "$work/serve.out" | head -1)
        [[ -n "$url" ]] && break
        sleep 0.1
    done
    [[ -n "$url" ]] || { echo "loadtop serve did not print its ready line" >&2; cat "$work/serve.out" >&2; exit 1; }
    url="${url%/}/"
    echo "== target: loadtop serve (1 thread, CPU $TARGET_CPU) at $url"
fi

# measure NAME FILE-PREFIX CMD...: runs CMD pinned under /usr/bin/time -v.
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
        measure "$prefix" "$harness" "$url" -t 1 -c "$CONNECTIONS" -d "$DURATION" "$@"
    else
        measure "$prefix" "$loadtop" bench "$url" -t1 -c"$CONNECTIONS" -d"${DURATION}s" --json "$prefix.json" "$@"
    fi
}

results="$work/results"
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
    run_loadtop "$work/loadtop.$round"
    record loadtop "$work/loadtop.$round" "$(requests_loadtop "$work/loadtop.$round")"
    if [[ $have_wrk == yes ]]; then
        measure "$work/wrk.$round" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$url"
        record wrk "$work/wrk.$round" "$(requests_wrk "$work/wrk.$round")"
    fi
    if [[ $have_oha == yes ]]; then
        measure "$work/oha.$round" oha -c "$CONNECTIONS" -z "${DURATION}s" --no-tui --output-format json "$url"
        record oha "$work/oha.$round" "$(requests_oha "$work/oha.$round")"
    fi
done

echo "== medians over $ROUNDS rounds"
median() { # tool column
    awk -v t="$1" -v c="$2" '$1 == t { print $c }' "$results" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for tool in loadtop wrk oha; do
    grep -q "^$tool " "$results" || continue
    printf "%-8s req/s=%9.0f  cpu_s=%6.2f  peak_rss_mib=%6.1f  cpu_ms_per_1k=%7.2f\n" "$tool" \
        "$(median $tool 2)" "$(median $tool 3)" "$(median $tool 4)" "$(median $tool 5)"
done
if grep -q "^wrk " "$results"; then
    awk -v a="$(median loadtop 2)" -v b="$(median wrk 2)" -v c="$(median loadtop 5)" -v d="$(median wrk 5)" \
        -v e="$(median loadtop 4)" -v f="$(median wrk 4)" 'BEGIN {
        printf "ratio loadtop/wrk: req/s %.2f  cpu_ms_per_1k %.2f  peak_rss %.2f\n", a / b, c / d, e / f }'
fi

echo "== fixed rate: loadtop -R $RATE -t1 -c$CONNECTIONS -d${DURATION}s"
run_loadtop "$work/rate" -R "$RATE"
read -r reqs secs <<< "$(requests_loadtop "$work/rate")"
awk -v r="${reqs:-0}" -v s="${secs:-1}" -v c="$(cpu_secs "$work/rate")" -v m="$(rss_kib "$work/rate")" -v R="$RATE" 'BEGIN {
    printf "loadtop  target=%d  achieved req/s=%.0f (%.1f%%)  cpu_ms_per_1k=%.2f  peak_rss_mib=%.1f\n",
        R, r / s, 100 * r / s / R, (r > 0) ? c * 1e6 / r : 0, m / 1024 }'
