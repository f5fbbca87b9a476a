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

ROOT="${FERN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${FERN_BUILD_DIR:-build/release}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
PYTHON="${FERN_BENCH_PYTHON:-/usr/bin/python3}"
OUT="$ROOT/bench/results/http_client.md"
NGINX="${FERN_NGINX:-/usr/sbin/nginx}"

quick=0 rounds=5
for a in "$@"; do
  case "$a" in
    --quick) quick=1 rounds=3 ;;
    -h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench/http_client/run.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

die() { printf 'bench/http_client/run.sh: %s\n' "$*" >&2; exit 1; }
FERN_BIN="$BUILD/bench/http_client/bench_http_client"
[[ -x "$FERN_BIN" ]] || die "$FERN_BIN not found; build it first (ninja -C $BUILD bench_http_client)"
[[ -x "$NGINX" ]] || die "nginx is not installed ($NGINX)"
command -v wrk > /dev/null || die "wrk is not installed"
"$PYTHON" -c 'import gevent' 2> /dev/null || die "python3-gevent is needed"

WORK="$(mktemp -d /tmp/fern-bench-http-client.XXXXXX)"
PORT="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2> /dev/null && wait "$SERVER_PID" 2> /dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

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
taskset -c 1 "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" &
SERVER_PID=$!
for _ in $(seq 200); do
  curl -sf "http://127.0.0.1:$PORT/hello" > /dev/null 2>&1 && break
  sleep 0.05
done
curl -sf "http://127.0.0.1:$PORT/hello" > /dev/null || die "nginx did not start: $(cat "$WORK/error.log")"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
machine="MACHINE nproc=$(nproc) kernel=$(uname -r) cpu=\"$cpu\" nginx=$("$NGINX" -v 2>&1 | grep -o '[0-9.]*$')"
echo "$machine"
mkdir -p "$(dirname "$OUT")"
args=(--url "http://127.0.0.1:$PORT/hello" --fern "$FERN_BIN" --python "$PYTHON"
  --py-script "$ROOT/bench/http_client/gevent_client.py" --rounds "$rounds" --out "$OUT"
  --machine "$machine" --load-start "$(cut -d' ' -f1 /proc/loadavg)")
((quick)) && args+=(--quick)
"$PYTHON" "$ROOT/bench/http_client/bench.py" "${args[@]}" | grep '^RATIO'
echo "wrote $OUT"
