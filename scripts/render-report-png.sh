#!/usr/bin/env bash
# Renders an HTML report to PNG with headless Chromium (Debian's `chromium`
# package), for the docs. With no REPORT.json it first records a short run of
# the default profile on the embedded server.
#
#   scripts/render-report-png.sh [REPORT.json] [OUT.png]
#   env: LOADTOP_BIN (skip the build), WIDTH=1280 HEIGHT=2400
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

OUT=${2:-docs/images/report.png}
WIDTH=${WIDTH:-1280}
HEIGHT=${HEIGHT:-2400}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "chromium is not installed (apt-get install -y chromium); nothing rendered"
  exit 1
fi
loadtop_bin
make_workdir

REPORT=${1:-}
if [ -z "$REPORT" ]; then
  REPORT="$WORK/run.json"
  "$BIN" run --headless --scale-time 0.4 --json "$REPORT" > /dev/null || true
fi
"$BIN" report "$REPORT" --html "$WORK/report.html" > /dev/null
mkdir -p "$(dirname "$OUT")"
# The flags keep Chromium off the network: this machine has none to offer.
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$WORK/profile" --hide-scrollbars \
  --window-size="$WIDTH,$HEIGHT" --screenshot="$OUT" "file://$WORK/report.html" 2>/dev/null
echo "wrote $OUT"
