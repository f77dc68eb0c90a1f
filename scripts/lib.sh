# shellcheck shell=bash
# shellcheck disable=SC2034 # sets BIN, URL and CLK_TCK for the scripts that source it
# Shared by the benchmark scripts in scripts/, so that they find the binary,
# start targets, skip missing peers and take medians the same way. Source it
# after `set -euo pipefail` and `cd` to the repository root:
#
#   # shellcheck source=scripts/lib.sh
#   source scripts/lib.sh
#
# Variables: WORK is the run's temp dir (make_workdir), BIN the loadtop binary
# (loadtop_bin), TARGET_PID the one target server of the moment and URL its
# URL (start_nginx, start_loadtop_serve, pinned to TARGET_CPU, which the
# caller sets). BACKGROUND_PIDS lists servers that live for the whole run.
#
# Result files hold one line per measurement with the key (tool, variant,
# rate) first; per-round ones have the round number second:
# "KEY ROUND VALUE...". column_median, round_ratios and summarize_variants
# read them.

# Debian puts nginx in /usr/sbin, which is not on a normal user's PATH, and
# the Go toolchain in /usr/lib/go/bin.
PATH="$PATH:/usr/sbin:/usr/lib/go/bin"
# /proc/PID/stat counts CPU time in these ticks (100 per second on Linux).
CLK_TCK=$(getconf CLK_TCK)
BACKGROUND_PIDS=()

# Progress notes go to stderr, so stdout holds only figures and skip notes.
note() { echo "# $*" >&2; }

# ---------------------------------------------------------------- tools

# apt_install PACKAGE...: as root with apt-get, installs the first PACKAGE that
# installs (refreshing the index once if needed). Never fails: the caller
# checks for the tool afterwards.
apt_install() {
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then return 0; fi
    local package
    for package in "$@"; do
        note "installing $package with apt-get"
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null 2>&1; }; then
            return 0
        fi
    done
}

# require_tool [--install] NAME PACKAGE: exits the script, naming PACKAGE,
# unless NAME (a command or a path) is there; with --install it first tries
# apt_install PACKAGE.
require_tool() {
    local install=no
    if [[ $1 == --install ]]; then install=yes; shift; fi
    local name=$1 package=$2
    if [[ $install == yes ]] && ! command -v "$name" >/dev/null; then apt_install "$package"; fi
    command -v "$name" >/dev/null && return 0
    echo "$name is required (apt-get install -y $package)" >&2
    exit 1
}

# have_peer NAME CONSEQUENCE [PACKAGE...]: true when NAME is installed (after
# trying apt_install PACKAGE... when given); otherwise prints
# "!! NAME not installed: CONSEQUENCE" and is false. A benchmark skips a
# missing peer and says so, rather than failing.
have_peer() {
    local name=$1 consequence=$2; shift 2
    if ! command -v "$name" >/dev/null && (($# > 0)); then apt_install "$@"; fi
    command -v "$name" >/dev/null && return 0
    echo "!! $name not installed: $consequence"
    return 1
}

# BIN: $LOADTOP_BIN as given, or a release build (into $CARGO_TARGET_DIR).
loadtop_bin() {
    if [[ -n "${LOADTOP_BIN:-}" ]]; then
        BIN=$(readlink -f "$LOADTOP_BIN")
    else
        note "building loadtop (release; LOADTOP_BIN=path skips this)"
        cargo build --release --quiet --bin loadtop
        BIN=$(readlink -f "${CARGO_TARGET_DIR:-target}/release/loadtop")
    fi
}

# ------------------------------------------------------- processes, cleanup

# stop_pid PID: ends a process this script started and reaps it; nothing for
# an empty PID.
stop_pid() {
    [[ -n "${1:-}" ]] || return 0
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

stop_target() {
    stop_pid "${TARGET_PID:-}"
    TARGET_PID=""
}

# The EXIT trap of make_workdir. A script with more to undo (a tmux server, a
# generator) traps its own function, which calls this one last.
cleanup_workdir() {
    local pid
    for pid in "${BACKGROUND_PIDS[@]}"; do stop_pid "$pid"; done
    stop_target
    if [[ -n "${WORK:-}" ]]; then rm -rf "$WORK"; fi
}

make_workdir() {
    WORK=$(mktemp -d)
    trap cleanup_workdir EXIT
}

# ---------------------------------------------------------------- targets

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx `return 200` with one worker on TARGET_CPU. Env: WORKER_CONNECTIONS
# (4096); NGINX_RLIMIT_NOFILE, NGINX_KEEPALIVE_TIMEOUT and NGINX_LISTEN_BACKLOG
# add worker_rlimit_nofile, keepalive_timeout and `listen ... backlog=` when
# set (the many-connection runs need them; nginx's defaults otherwise).
start_nginx() {
    local port rlimit="" keepalive="" backlog=""
    port=$(free_port)
    [[ -z "${NGINX_RLIMIT_NOFILE:-}" ]] || rlimit="worker_rlimit_nofile $NGINX_RLIMIT_NOFILE;"
    [[ -z "${NGINX_KEEPALIVE_TIMEOUT:-}" ]] || keepalive="keepalive_timeout $NGINX_KEEPALIVE_TIMEOUT;"
    [[ -z "${NGINX_LISTEN_BACKLOG:-}" ]] || backlog=" backlog=$NGINX_LISTEN_BACKLOG"
    mkdir -p "$WORK/nginx"
    cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $WORK/nginx/error.log warn;
pid $WORK/nginx/nginx.pid;
$rlimit
events { worker_connections ${WORKER_CONNECTIONS:-4096}; }
http {
  access_log off;
  keepalive_requests 100000000;
  $keepalive
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server { listen 127.0.0.1:$port$backlog; location / { return 200 "Hello, world!"; } }
}
CONF
    taskset -c "$TARGET_CPU" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
    TARGET_PID=$!
    URL="http://127.0.0.1:$port/"
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
}

# serve_ready_url NAME PID: waits up to 20 s for the ready line that
# `loadtop serve` (process PID, stdout in $WORK/NAME.out, stderr in
# $WORK/NAME.err) prints, "loadtop-serve listening=URL admin-token=... pid=...",
# and prints URL without a trailing slash. Fails, quoting the server's stderr,
# if the server exits or stays silent.
serve_ready_url() {
    local name=$1 pid=$2 url=""
    for _ in $(seq 200); do
        url=$(sed -n 's/^loadtop-serve listening=\([^ ]*\).*/\1/p' "$WORK/$name.out" 2>/dev/null | head -1)
        [[ -z "$url" ]] || break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$url" ]]; then
        echo "loadtop serve ($name) did not report ready: $(cat "$WORK/$name.err" 2>/dev/null)" >&2
        return 1
    fi
    echo "${url%/}"
}

# start_loadtop_serve PATH [SERVE-ARGS...]: `loadtop serve --threads 1` on
# TARGET_CPU; URL = its base URL + PATH.
start_loadtop_serve() {
    local path=$1; shift
    taskset -c "$TARGET_CPU" "$BIN" serve --bind 127.0.0.1:0 --threads 1 "$@" > "$WORK/serve.out" 2> "$WORK/serve.err" &
    TARGET_PID=$!
    URL="$(serve_ready_url serve "$TARGET_PID")$path"
}

# ------------------------------------------------------------ measurement

# cpu_ticks PID: user + system CPU of PID and its children (nginx's worker
# under its master), in CLK_TCK ticks; 0 once the process is gone.
cpu_ticks() {
    local total=0 pid
    for pid in "$1" $(pgrep -P "$1" || true); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

# per_cpu_second REQUESTS TICKS: requests per CPU-second, what a server costs
# per request; far steadier than req/s on a shared machine.
per_cpu_second() {
    awk -v r="$1" -v t="$2" -v hz="$CLK_TCK" 'BEGIN { print (t > 0) ? r / (t / hz) : 0 }'
}

# to_ms DURATION: a wrk duration (812.00us, 1.23ms, 1.01s) in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
        else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
        else print v }'
}

# ---------------------------------------------------------------- summaries

# median [EMPTY]: the median of the numbers on stdin, one per line (the mean
# of the middle two for an even count); EMPTY (default nan) if there are none.
median() {
    sort -g | awk -v empty="${1:-nan}" '{ v[NR] = $1 }
        END { if (NR == 0) print empty; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# column_median RESULTS KEY COLUMN [EMPTY]: median of field COLUMN over the
# lines of RESULTS whose first field is KEY.
column_median() {
    awk -v k="$2" -v c="$3" '$1 == k { print $c }' "$1" | median "${4:-nan}"
}

# round_ratios RESULTS NUMERATOR DENOMINATOR COLUMN: per round (field 2) that
# has both keys, field COLUMN of NUMERATOR over that of DENOMINATOR, one per
# line, for median. A ratio within one round compares runs that shared the
# machine's state; rounds with a denominator <= 0 are left out.
round_ratios() {
    awk -v n="$2" -v d="$3" -v c="$4" '$1 == d { den[$2] = $c } $1 == n { num[$2] = $c }
        END { for (r in den) if ((r in num) && den[r] > 0) print num[r] / den[r] }' "$1"
}

# summarize_variants RESULTS METRICS VARIANT...: per VARIANT, the median of
# each metric and the median of its per-round ratios to the first VARIANT.
# RESULTS lines are "VARIANT ROUND VALUE..."; METRICS names the VALUE columns
# in order as "PRINTF-FORMAT:LABEL" words. With METRICS
# "%10.0f:req/s %8.2f:cpu-ms/1k" a line reads
#   https1          9123 req/s     6.40 cpu-ms/1k   vs http1: req/s 0.870x cpu-ms/1k 1.170x
summarize_variants() {
    local results=$1 metric_words=$2; shift 2
    local first=$1 variant metric column format
    local -a metrics values
    read -ra metrics <<< "$metric_words"
    for variant in "$@"; do
        format='%-9s'; values=("$variant"); column=3
        for metric in "${metrics[@]}"; do
            format+=" ${metric%%:*} ${metric#*:}"
            values+=("$(column_median "$results" "$variant" "$column")")
            column=$((column + 1))
        done
        format+='   vs %s:'; values+=("$first"); column=3
        for metric in "${metrics[@]}"; do
            format+=" ${metric#*:} %.3fx"
            values+=("$(round_ratios "$results" "$variant" "$first" "$column" | median)")
            column=$((column + 1))
        done
        # shellcheck disable=SC2059 # the format is built from METRICS above
        printf "$format\n" "${values[@]}"
    done
}
