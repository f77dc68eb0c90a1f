#!/usr/bin/env bash
# Generator memory, two checks against one target (nginx `return 200`, 1
# worker, worker_connections raised; else `loadtop serve --threads 1`),
# target pinned to CPU 1, generator to CPU 0:
#   1. many connections: peak RSS of `loadtop bench -c 10000 -d 20s` from
#      /usr/bin/time -v (target <= 100 MB), with the connections it opened;
#   2. flat over time: one long `loadtop bench -c 100 -d DURATION` run whose
#      VmRSS is read from /proc/PID/status every SAMPLE seconds; prints the
#      samples and compares the mean of the first minute with the mean of the
#      last minute (target within +-5%).
#
#   scripts/bench-memory.sh                 # both checks, 10-minute soak
#   DURATION=120s scripts/bench-memory.sh   # shorter soak
#   CHECKS=soak RATE=5000 scripts/bench-memory.sh   # soak only, open model at 5000 req/s
#   env: CHECKS="conns soak" MANY_CONNS=10000 MANY_DURATION=20s DURATION=600s
#        SOAK_CONNS=100 SAMPLE=10 RATE=(empty: closed model) TARGET=nginx|loadtop
#        LOADTOP_BIN=(skip the build) CARGO_TARGET_DIR
# RATE keeps the soak light, so other benchmarks can run beside it on a
# shared machine; RSS flatness is about the requests served, not their rate.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKS=${CHECKS:-"conns soak"}
MANY_CONNS=${MANY_CONNS:-10000}
MANY_DURATION=${MANY_DURATION:-20s}
DURATION=${DURATION:-600s}
SOAK_CONNS=${SOAK_CONNS:-100}
SAMPLE=${SAMPLE:-10}
RATE=${RATE:-}
TARGET=${TARGET:-nginx}
TARGET_CPU=1
GENERATOR_CPU=0

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool taskset util-linux
require_tool /usr/bin/time time
loadtop_bin

# Each connection is one descriptor on both sides; leave room for the rest.
want_fds=$((MANY_CONNS + 1024))
if (( $(ulimit -n) < want_fds )); then ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; fi
echo "open files limit: $(ulimit -n)"

make_workdir
# The soak's generator runs in the background; stop it too if cut short.
GEN_PID=""
cleanup() {
    stop_pid "$GEN_PID"
    cleanup_workdir
}
trap cleanup EXIT

if [[ "$TARGET" == nginx ]] && ! have_peer nginx "using loadtop serve --threads 1 as the target"; then
    TARGET=loadtop
fi
if [[ "$TARGET" == nginx ]]; then
    # Room for every connection, a listen queue for 10 000 opened at once, and
    # idle connections kept for the whole soak.
    WORKER_CONNECTIONS=$((MANY_CONNS * 2)) NGINX_RLIMIT_NOFILE=$((MANY_CONNS * 2 + 1024)) \
        NGINX_KEEPALIVE_TIMEOUT=300s NGINX_LISTEN_BACKLOG=4096 start_nginx
    echo "target: nginx (1 worker, worker_connections $((MANY_CONNS * 2)), CPU $TARGET_CPU) at $URL"
else
    start_loadtop_serve /plaintext
    echo "target: loadtop serve (1 thread, CPU $TARGET_CPU) at $URL"
fi

report_line() { # file: "requests rps connects errors"
    python3 - "$1" <<'PY'
import json, sys
try:
    s = json.load(open(sys.argv[1]))["summary"]
    kinds = ",".join(f'{e["kind"]}={e["count"]}' for e in s["errors"]) or "none"
    print(s["requests"], round(s["rps"]), s["connects"], sum(e["count"] for e in s["errors"]), kinds)
except Exception:
    print("0 0 0 0 none")
PY
}

if [[ " $CHECKS " == *" conns "* ]]; then
    echo "== $MANY_CONNS connections: loadtop bench -c $MANY_CONNS -d $MANY_DURATION (CPU $GENERATOR_CPU)"
    /usr/bin/time -v -o "$WORK/many.time" taskset -c $GENERATOR_CPU "$BIN" bench "$URL" \
        -c "$MANY_CONNS" -d "$MANY_DURATION" --headless --json "$WORK/many.json" > /dev/null 2> "$WORK/many.err" || true
    rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$WORK/many.time")
    read -r reqs rps connects errors kinds <<< "$(report_line "$WORK/many.json")"
    awk -v k="${rss:-0}" -v q="$reqs" -v r="$rps" -v c="$connects" -v e="$errors" -v n="$MANY_CONNS" -v why="$kinds" 'BEGIN {
        printf "peak RSS %.1f MiB (%.1f KiB per connection)  connects %d for %d connections  requests %d  %d req/s  errors %d (%s)  (target <= 100 MB) %s\n",
            k / 1024, k / n, c, n, q, r, e, why, (k * 1024 <= 100e6) ? "PASS" : "MISS" }'
    [[ -s "$WORK/many.err" ]] && tail -3 "$WORK/many.err" | sed 's/^/  stderr: /'
fi

if [[ " $CHECKS " == *" soak "* ]]; then
    rate_args=(); model="closed model"
    if [[ -n "$RATE" ]]; then rate_args=(-R "$RATE"); model="open model at $RATE req/s"; fi
    echo "== soak: loadtop bench -c $SOAK_CONNS -d $DURATION ($model, CPU $GENERATOR_CPU), VmRSS every ${SAMPLE}s"
    # taskset execs, so $! is the generator itself.
    taskset -c $GENERATOR_CPU "$BIN" bench "$URL" -c "$SOAK_CONNS" -d "$DURATION" "${rate_args[@]}" \
        --headless --json "$WORK/soak.json" > /dev/null 2> "$WORK/soak.err" &
    GEN_PID=$!
    start=$(date +%s)
    : > "$WORK/samples"
    while kill -0 "$GEN_PID" 2>/dev/null; do
        sleep "$SAMPLE"
        kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$GEN_PID/status" 2>/dev/null || true)
        [[ -n "$kb" ]] || break
        t=$(( $(date +%s) - start ))
        echo "$t $kb" >> "$WORK/samples"
        printf "t=%4ds  VmRSS %6d kB\n" "$t" "$kb"
    done
    wait "$GEN_PID" 2>/dev/null || true
    GEN_PID=""
    read -r reqs rps connects errors kinds <<< "$(report_line "$WORK/soak.json")"
    echo "soak report: requests $reqs  $rps req/s  connects $connects  errors $errors ($kinds)"
    # First minute vs last minute (or first/last sixth of shorter runs).
    awk -v total="$(tail -1 "$WORK/samples" | awk '{print $1}')" '
        { t[NR] = $1; k[NR] = $2 }
        END {
            if (NR < 2) { print "too few samples"; exit }
            w = (total >= 180) ? 60 : total / 6
            for (i = 1; i <= NR; i++) {
                if (t[i] <= w) { a += k[i]; na++ }
                if (t[i] > total - w) { b += k[i]; nb++ }
            }
            if (na == 0) { a = k[1]; na = 1 } if (nb == 0) { b = k[NR]; nb = 1 }
            a /= na; b /= nb; d = 100 * (b - a) / a; ad = (d < 0) ? -d : d
            printf "first %.0fs mean VmRSS %.0f kB, last %.0fs mean %.0f kB: change %+.2f%% (target within 5%%) %s\n",
                w, a, w, b, d, (ad <= 5) ? "PASS" : "MISS"
        }' "$WORK/samples"
fi
