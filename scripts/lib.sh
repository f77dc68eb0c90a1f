# Shared by the benchmark scripts: source it after `set -euo pipefail` and
# `cd` to the repository root. Callers set WORK (a temp dir) and
# TARGET_CPU; these functions set BIN, TARGET_PID and URL.

# BIN: $LOADTOP_BIN as given, or a release build (into $CARGO_TARGET_DIR).
loadtop_bin() {
    if [[ -n "${LOADTOP_BIN:-}" ]]; then
        BIN=$(readlink -f "$LOADTOP_BIN")
    else
        cargo build --release --quiet --bin loadtop
        BIN=$(readlink -f "${CARGO_TARGET_DIR:-target}/release/loadtop")
    fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx `return 200` with one worker on TARGET_CPU; WORKER_CONNECTIONS (4096).
start_nginx() {
    local port; port=$(free_port)
    mkdir -p "$WORK/nginx"
    cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $WORK/nginx/error.log warn;
pid $WORK/nginx/nginx.pid;
events { worker_connections ${WORKER_CONNECTIONS:-4096}; }
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
    taskset -c "$TARGET_CPU" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
    TARGET_PID=$!
    URL="http://127.0.0.1:$port/"
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
}

# `loadtop serve --threads 1` on TARGET_CPU; URL = its base URL + $1.
start_loadtop_serve() {
    taskset -c "$TARGET_CPU" "$BIN" serve --bind 127.0.0.1:0 --threads 1 > "$WORK/serve.out" &
    TARGET_PID=$!
    for _ in $(seq 50); do grep -q listening= "$WORK/serve.out" && break; sleep 0.1; done
    URL="$(sed -n 's/.*listening=\([^ ]*\).*/\1/p' "$WORK/serve.out" | head -1)"
    URL="${URL%/}$1"
}

stop_target() {
    if [[ -n "${TARGET_PID:-}" ]]; then kill "$TARGET_PID" 2>/dev/null || true; wait "$TARGET_PID" 2>/dev/null || true; fi
}
