#!/usr/bin/env bash
# bench/http_client: fern's HTTP client (bench/http_client/client_bench.cpp) fetching from nginx, side
# by side with Python gevent + http.client (persistent connections), gevent + urllib (a connection
# per request) and wrk as the C reference, at 1 and 50 concurrent requests. nginx runs on CPU 1
# (one worker, access log off, `return 200 "hello"`); every client on CPU 0. Alternating rounds;
# reports requests/s and client CPU time per request, ratios, RATIO lines; writes
# bench/results/http_client.md.
#
#   bench/http_client/run.sh [--quick]
#
# The fern binary comes from ${FERN_BUILD_DIR:-build/release}. Needs nginx, wrk and python3-gevent.
# Full mode takes about 3 minutes, --quick about 1.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init http_client "$@"
OUT="$ROOT/bench/results/http_client.md"
NGINX="${FERN_NGINX:-/usr/sbin/nginx}"
rounds=5
((quick)) && rounds=3

FERN_BIN="$BUILD/bench/http_client/bench_http_client"
[[ -x "$FERN_BIN" ]] || die "$FERN_BIN not found; build it first (ninja -C $BUILD bench_http_client)"
[[ -x "$NGINX" ]] || die "nginx is not installed ($NGINX)"
command -v wrk > /dev/null || die "wrk is not installed"
"$PYTHON" -c 'import gevent' 2> /dev/null || die "python3-gevent is needed"

PORT="$(free_port)"

mkdir -p "$WORK/temp"
cat > "$WORK/nginx.conf" << CONF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/temp/body;
  proxy_temp_path $WORK/temp/proxy;
  fastcgi_temp_path $WORK/temp/fastcgi;
  uwsgi_temp_path $WORK/temp/uwsgi;
  scgi_temp_path $WORK/temp/scgi;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$PORT;
    location = /hello { return 200 "hello"; }
  }
}
CONF
"${pin_server[@]}" "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" &
NGINX_PID=$!
HARNESS_ON_EXIT+=("stop_process $NGINX_PID")
for _ in $(seq 200); do
  curl -sf "http://127.0.0.1:$PORT/hello" > /dev/null 2>&1 && break
  sleep 0.05
done
curl -sf "http://127.0.0.1:$PORT/hello" > /dev/null || die "nginx did not start: $(cat "$WORK/error.log")"

machine="$(machine_line) nginx=$("$NGINX" -v 2>&1 | grep -o '[0-9.]*$')"
echo "$machine"
mkdir -p "$(dirname "$OUT")"
args=(--url "http://127.0.0.1:$PORT/hello" --fern "$FERN_BIN" --python "$PYTHON"
  --py-script "$ROOT/bench/http_client/gevent_client.py" --rounds "$rounds" --out "$OUT"
  --machine "$machine" --load-start "$(cut -d' ' -f1 /proc/loadavg)")
((quick)) && args+=(--quick)
"$PYTHON" "$ROOT/bench/http_client/bench.py" "${args[@]}" | grep '^RATIO'
echo "wrote $OUT"
harness_finish "$OUT"
