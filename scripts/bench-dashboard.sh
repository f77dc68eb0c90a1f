#!/usr/bin/env bash
# Dashboard overhead: the same `loadtop bench` run headless and with the
# dashboard open (under tmux), in alternating rounds, generator pinned to
# CPU 0 and the target (`loadtop serve --threads 1`) to CPU 1.
# Prints achieved req/s of both, the ratio (target >= 0.97), the CPU
# used by the dashboard's render thread (the main thread) as a share of one
# core (target <= 3%), and the generator's whole CPU per 1,000 requests in
# both modes: on a shared machine req/s swings between runs far more than
# the dashboard could cost, while CPU per request stays steady.
# Ratios are taken within each round, then their median; the order of the
# two runs alternates between rounds.
#
#   scripts/bench-dashboard.sh [ROUNDS]
#   env: ROUNDS=3 DURATION=10s CONNS=50 URL_PATH=/plaintext LOADTOP_BIN=(skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-${ROUNDS:-3}}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
URL_PATH=${URL_PATH:-/plaintext}
TARGET_CPU=1

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
require_tool tmux tmux
require_tool taskset util-linux
require_tool /usr/bin/time time
loadtop_bin
make_workdir
# Its own tmux server, so the run never touches the user's sessions.
SOCKET="loadtop-bench-$$"
cleanup() {
  tmux -L "$SOCKET" kill-server 2>/dev/null || true
  cleanup_workdir
}
trap cleanup EXIT

start_loadtop_serve "$URL_PATH"
echo "target: $URL (loadtop serve --threads 1 on CPU 1); generator on CPU 0; $DURATION, $CONNS connections"

rps_of() { python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['summary']['rps']))" "$1"; }
# CPU ms per 1,000 requests: "per1k_of REPORT CPU_SECONDS".
per1k_of() { python3 -c "import json,sys; n=json.load(open(sys.argv[1]))['summary']['requests']; print(round(float(sys.argv[2]) * 1e6 / n, 3) if n else 0)" "$1" "$2"; }

# Prints "RPS CPU_MS_PER_1K".
headless_round() {
  /usr/bin/time -f "%U %S" -o "$WORK/h.time" \
    taskset -c 0 "$BIN" bench "$URL" -c "$CONNS" -d "$DURATION" --headless --json "$WORK/h.json" > /dev/null
  local cpu; cpu=$(awk '{print $1 + $2}' "$WORK/h.time")
  echo "$(rps_of "$WORK/h.json") $(per1k_of "$WORK/h.json" "$cpu")"
}

# Prints "RPS RENDER_PERCENT CPU_MS_PER_1K".
dashboard_round() {
  rm -f "$WORK/d.json" "$WORK/pid"
  tmux -L "$SOCKET" new-session -d -s dash -x 120 -y 40 \
    "sh -c 'echo \$\$ > $WORK/pid; exec taskset -c 0 $BIN bench $URL -c $CONNS -d $DURATION --json $WORK/d.json'"
  for _ in $(seq 50); do [ -s "$WORK/pid" ] && break; sleep 0.1; done
  local pid; pid=$(cat "$WORK/pid")
  local start; start=$(date +%s.%N)
  # The run is over when the summary shows; read the main (render) thread's CPU then.
  for _ in $(seq 600); do
    tmux -L "$SOCKET" capture-pane -p -t dash 2>/dev/null | grep -q "Run finished" && break
    sleep 0.1
  done
  local end; end=$(date +%s.%N)
  # The main thread's task has the process's pid; its ticks are the render thread's.
  local ticks; ticks=$(awk '{print $14 + $15}' "/proc/$pid/task/$pid/stat")
  local all_ticks; all_ticks=$(cpu_ticks "$pid")
  tmux -L "$SOCKET" send-keys -t dash q
  for _ in $(seq 100); do [ -s "$WORK/d.json" ] && ! kill -0 "$pid" 2>/dev/null && break; sleep 0.1; done
  tmux -L "$SOCKET" kill-server 2>/dev/null || true
  local rps; rps=$(rps_of "$WORK/d.json")
  local render; render=$(python3 -c "print(round($ticks / $CLK_TCK / ($end - $start) * 100, 2))")
  echo "$rps $render $(per1k_of "$WORK/d.json" "$(python3 -c "print($all_ticks / $CLK_TCK)")")"
}

HEADLESS=(); DASH=(); RENDER=(); RATIO=(); HCPU=(); DCPU=(); CPU_RATIO=()
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then
    read -r h hc < <(headless_round)
    read -r d r dc < <(dashboard_round)
  else
    read -r d r dc < <(dashboard_round)
    read -r h hc < <(headless_round)
  fi
  HEADLESS+=("$h"); DASH+=("$d"); RENDER+=("$r"); HCPU+=("$hc"); DCPU+=("$dc")
  RATIO+=("$(python3 -c "print($d / $h)")"); CPU_RATIO+=("$(python3 -c "print($dc / $hc)")")
  echo "round $round: headless $h req/s $hc cpu_ms/1k | dashboard $d req/s $dc cpu_ms/1k | render thread ${r}% of a core"
done

median_of() { printf '%s\n' "$@" | median; }
MH=$(median_of "${HEADLESS[@]}"); MD=$(median_of "${DASH[@]}"); MR=$(median_of "${RENDER[@]}")
MRATIO=$(median_of "${RATIO[@]}"); MHC=$(median_of "${HCPU[@]}"); MDC=$(median_of "${DCPU[@]}"); MCR=$(median_of "${CPU_RATIO[@]}")
python3 - "$MH" "$MD" "$MR" "$MRATIO" "$MHC" "$MDC" "$MCR" <<'EOF'
import sys
h, d, r, ratio, hc, dc, cr = map(float, sys.argv[1:])
print(f"median: headless {h:.0f} req/s, dashboard {d:.0f} req/s; median per-round ratio {ratio:.3f} (target >= 0.97)")
print(f"median render thread CPU: {r:.2f}% of one core (target <= 3%)")
print(f"median generator CPU per 1k requests: headless {hc:.2f} ms, dashboard {dc:.2f} ms; median per-round ratio {cr:.3f}")
EOF
