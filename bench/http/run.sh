#!/usr/bin/env bash
# bench/http: fern's HTTP/1.1 server (examples/http_hello.cpp, epoll and io_uring drivers) side by
# side with nginx (one worker, access log off, `return 200 "hello"`) and gevent.pywsgi (TCP_NODELAY,
# bench/http/pywsgi_hello.py), all driven by wrk. The protocol and the shared harness:
# bench/lib/harness.sh, docs/design/benchmarks.md.
#
#   bench/http/run.sh [--quick]
#
# Workloads: keep-alive at 100 and 1000 connections, and 100 connections pipelining 16 requests per
# write (bench/http/pipeline.lua). Every server is measured once per round, the order reversed every
# other round; reported are medians of requests/s, of server CPU time per request and of the
# server's busy share, and medians of per-round ratios. Servers run on CPU 1, wrk on CPU 0,
# everything on 127.0.0.1. Writes bench/results/http.md with its chart and prints RATIO lines.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init http "$@"
NGINX="${FERN_BENCH_NGINX:-/usr/sbin/nginx}"
WRK="${FERN_BENCH_WRK:-wrk}"
OUT="$ROOT/bench/results/http.md"
HERE="$ROOT/bench/http"
if ((quick)); then ROUNDS=3 DURATION=1; else ROUNDS=5 DURATION=3; fi
ROUNDS="${FERN_BENCH_ROUNDS:-$ROUNDS}" DURATION="${FERN_BENCH_SECONDS:-$DURATION}"
SERVER_LIFETIME=$((quick ? 600 : 1800))

FERN_BIN="$(find_binary "$BUILD/examples/http_hello" "$BUILD/bench/http/http_hello")" ||
  die "http_hello not found in $BUILD; build it first (ninja -C $BUILD http_hello)"
command -v "$WRK" >/dev/null || die "wrk not found (apt-get install wrk)"

start_nginx() {
  [[ -x "$NGINX" ]] || { SERVER_NOTE[nginx]="unavailable: $NGINX not found"; return 0; }
  local dir="$WORK/nginx" port
  port="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  mkdir -p "$dir/temp"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/temp/body; proxy_temp_path $dir/temp/proxy; fastcgi_temp_path $dir/temp/fastcgi;
  uwsgi_temp_path $dir/temp/uwsgi; scgi_temp_path $dir/temp/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port backlog=4096;
    location / { return 200 "hello"; }
  }
}
CONF
  "${pin_server[@]}" "$NGINX" -p "$dir" -c "$dir/nginx.conf" >"$WORK/nginx.err" 2>&1 &
  local pid=$! i
  for ((i = 0; i < 200; ++i)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "listening on 127.0.0.1:$port" >"$WORK/nginx.out"
  wait_listening nginx "$pid" "$WORK/nginx.out"
}

start_pywsgi() {
  if ! "$PYTHON" -c 'import gevent' 2>/dev/null; then
    SERVER_NOTE[pywsgi]="unavailable: $PYTHON has no gevent (apt-get install python3-gevent)"
    return 0
  fi
  start_server pywsgi "$PYTHON" "$HERE/pywsgi_hello.py"
}

SERVERS=(fern fern_uring nginx pywsgi)
start_server fern "$FERN_BIN" --driver epoll
start_server fern_uring "$FERN_BIN" --driver uring
start_nginx
start_pywsgi
[[ -n "${SERVER_PID[fern]:-}" ]] || die "the fern server did not start: ${SERVER_NOTE[fern]:-}"

# name | wrk arguments
WORKLOADS=(
  "keepalive_c100|-c100"
  "keepalive_c1000|-c1000"
  "pipelined16_c100|-c100 -s $HERE/pipeline.lua"
)

RESULTS="$WORK/results.txt"
: >"$RESULTS"
measure_begin

run_one() {  # run_one WORKLOAD ROUND SERVER WRK-ARGS...
  local workload="$1" round="$2" name="$3"
  shift 3
  server_alive "$name" || return 0
  local pid="${SERVER_PID[$name]}" port="${SERVER_PORT[$name]}" before after out requests errors
  before="$(cpu_seconds "$pid")"
  out="$(timeout $((DURATION + 60)) "${pin_load[@]}" "$WRK" -t1 "$@" -d"${DURATION}s" --timeout 5s \
    "http://127.0.0.1:$port/" 2>&1)" || true
  after="$(cpu_seconds "$pid")"
  requests="$(awk '/ requests in /{print $1}' <<<"$out")"
  errors="$(awk '/Socket errors/{gsub(",",""); print $4+$6+$8+$10} /Non-2xx/{print $NF}' <<<"$out" | paste -sd+ | bc 2>/dev/null || echo 0)"
  if [[ -z "$requests" || "$requests" == 0 ]]; then
    say "$workload round $round $name: wrk failed: $(head -c 300 <<<"$out")"
    return 0
  fi
  printf '%s %s %s requests=%s seconds=%s cpu_s=%s errors=%s\n' "$workload" "$round" "$name" "$requests" \
    "$DURATION" "$(awk -v a="$after" -v b="$before" 'BEGIN {printf "%.6f", a - b}')" "${errors:-0}" >>"$RESULTS"
}

for entry in "${WORKLOADS[@]}"; do
  workload="${entry%%|*}"
  read -r -a wargs <<<"${entry#*|}"
  say "$workload ($ROUNDS rounds of ${DURATION}s)"
  for name in "${SERVERS[@]}"; do  # warm-up: connections, caches, nginx's and Python's allocators
    [[ -n "${SERVER_PID[$name]:-}" ]] || continue
    timeout 30 "${pin_load[@]}" "$WRK" -t1 "${wargs[@]}" -d1s "http://127.0.0.1:${SERVER_PORT[$name]}/" >/dev/null 2>&1 || true
  done
  for ((round = 1; round <= ROUNDS; ++round)); do
    round_order "$round" "${SERVERS[@]}"
    for name in "${ORDER[@]}"; do
      [[ -n "${SERVER_PID[$name]:-}" ]] || continue
      run_one "$workload" "$round" "$name" "${wargs[@]}"
    done
  done
done

versions="nginx $({ "$NGINX" -v 2>&1 || true; } | sed 's/.*nginx\///'), gevent $("$PYTHON" -c 'import gevent; print(gevent.__version__)' 2>/dev/null || echo '?')"
versions+=", wrk $({ "$WRK" -v 2>&1 || true; } | head -n1 | awk '{print $2}')"
harness_summarize "$HERE/summarize.py" --versions "$versions" --mode "$( ((quick)) && echo quick || echo full)" \
  --rounds "$ROUNDS" --seconds "$DURATION" --pinned "$( ((${#pin_server[@]})) && echo yes || echo no)"
