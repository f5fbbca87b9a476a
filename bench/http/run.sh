#!/usr/bin/env bash
# bench/http: fern's HTTP/1.1 server (examples/http_hello.cpp) side by side with nginx (one worker,
# access log off, `return 200 "hello"`) and gevent.pywsgi (TCP_NODELAY, bench/http/pywsgi_hello.py),
# all driven by wrk. See /work/shared/BENCH.md for the protocol.
#
#   bench/http/run.sh [--quick]
#
# Workloads: keep-alive at 100 and 1000 connections, and 100 connections pipelining 16 requests per
# write (bench/http/pipeline.lua). Every server is measured once per round, the order reversed every
# other round; reported are medians of requests/s and of server CPU time per request (utime+stime
# from /proc/PID/stat over the run), and medians of per-round ratios. Servers run on CPU 1, wrk on
# CPU 0, everything on 127.0.0.1. Writes bench/results/http.md and prints RATIO lines.
set -euo pipefail

ROOT="${FERN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${FERN_BUILD_DIR:-build/release}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
PYTHON="${FERN_BENCH_PYTHON:-/usr/bin/python3}"
NGINX="${FERN_BENCH_NGINX:-/usr/sbin/nginx}"
WRK="${FERN_BENCH_WRK:-wrk}"
OUT="$ROOT/bench/results/http.md"
HERE="$ROOT/bench/http"

quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h | --help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench/http/run.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done
if ((quick)); then ROUNDS=3 DURATION=1; else ROUNDS=5 DURATION=3; fi
ROUNDS="${FERN_BENCH_ROUNDS:-$ROUNDS}" DURATION="${FERN_BENCH_SECONDS:-$DURATION}"
SERVER_LIFETIME=$((quick ? 600 : 1800))  # servers end themselves should this script be killed

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench/http/run.sh: %s\n' "$*" >&2; exit 1; }

WORK="$(mktemp -d /tmp/fern-bench-http.XXXXXX)"
declare -A SERVER_PID=() SERVER_PORT=() SERVER_NOTE=()
cleanup() {
  local name
  for name in "${!SERVER_PID[@]}"; do kill "${SERVER_PID[$name]}" 2>/dev/null || true; done
  for name in "${!SERVER_PID[@]}"; do wait "${SERVER_PID[$name]}" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

FERN_BIN=""
for f in "$BUILD/examples/http_hello" "$BUILD/bench/http/http_hello"; do [[ -x "$f" ]] && { FERN_BIN="$f"; break; }; done
[[ -n "$FERN_BIN" ]] || die "http_hello not found in $BUILD; build it first (ninja -C $BUILD http_hello)"
command -v "$WRK" >/dev/null || die "wrk not found (apt-get install wrk)"

pin_server=() pin_load=()
if command -v taskset >/dev/null && (($(nproc) > 1)); then pin_server=(taskset -c 1) pin_load=(taskset -c 0); fi

# wait_listening NAME PID OUTFILE: the port from a "listening on 127.0.0.1:PORT" line.
wait_listening() {
  local name="$1" pid="$2" out="$3" i port=""
  for ((i = 0; i < 200; ++i)); do
    port="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" 2>/dev/null | head -n1)"
    [[ -n "$port" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z "$port" ]] || ! kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    SERVER_NOTE[$name]="unavailable: $(head -c 300 "$WORK/$name.err" 2>/dev/null | tr '\n' ' ')"
    say "$name: ${SERVER_NOTE[$name]}"
    return 0
  fi
  SERVER_PID[$name]=$pid SERVER_PORT[$name]=$port
  say "$name: pid $pid, port $port"
}

start_fern() {
  "${pin_server[@]}" "$FERN_BIN" --port 0 --seconds "$SERVER_LIFETIME" >"$WORK/fern.out" 2>"$WORK/fern.err" &
  wait_listening fern $! "$WORK/fern.out"
}

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
  "${pin_server[@]}" "$PYTHON" "$HERE/pywsgi_hello.py" --port 0 --seconds "$SERVER_LIFETIME" \
    >"$WORK/pywsgi.out" 2>"$WORK/pywsgi.err" &
  wait_listening pywsgi $! "$WORK/pywsgi.out"
}

SERVERS=(fern nginx pywsgi)
start_fern
start_nginx
start_pywsgi
[[ -n "${SERVER_PID[fern]:-}" ]] || die "the fern server did not start: ${SERVER_NOTE[fern]:-}"

# name | wrk arguments
WORKLOADS=(
  "keepalive_c100|-c100"
  "keepalive_c1000|-c1000"
  "pipelined16_c100|-c100 -s $HERE/pipeline.lua"
)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
RESULTS="$WORK/results.txt"
: >"$RESULTS"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
STARTED_AT="$(date -u '+%Y-%m-%d %H:%M UTC')"
started_s=$SECONDS

run_one() {  # run_one WORKLOAD ROUND SERVER WRK-ARGS...
  local workload="$1" round="$2" name="$3"
  shift 3
  local pid="${SERVER_PID[$name]}" port="${SERVER_PORT[$name]}" before after out requests errors
  if ! kill -0 "$pid" 2>/dev/null; then
    SERVER_NOTE[$name]="died during the run: $(head -c 300 "$WORK/$name.err" | tr '\n' ' ')"
    unset "SERVER_PID[$name]"
    return 0
  fi
  before="$(cpu_ticks "$pid")"
  out="$(timeout $((DURATION + 60)) "${pin_load[@]}" "$WRK" -t1 "$@" -d"${DURATION}s" --timeout 5s \
    "http://127.0.0.1:$port/" 2>&1)" || true
  after="$(cpu_ticks "$pid")"
  requests="$(awk '/ requests in /{print $1}' <<<"$out")"
  errors="$(awk '/Socket errors/{gsub(",",""); print $4+$6+$8+$10} /Non-2xx/{print $NF}' <<<"$out" | paste -sd+ | bc 2>/dev/null || echo 0)"
  if [[ -z "$requests" || "$requests" == 0 ]]; then
    say "$workload round $round $name: wrk failed: $(head -c 300 <<<"$out")"
    return 0
  fi
  printf '%s %s %s requests=%s seconds=%s cpu_ticks=%s errors=%s\n' "$workload" "$round" "$name" "$requests" \
    "$DURATION" "$((after - before))" "${errors:-0}" >>"$RESULTS"
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
    order=("${SERVERS[@]}")
    if ((round % 2 == 0)); then order=(); for ((i = ${#SERVERS[@]} - 1; i >= 0; --i)); do order+=("${SERVERS[$i]}"); done; fi
    for name in "${order[@]}"; do
      [[ -n "${SERVER_PID[$name]:-}" ]] || continue
      run_one "$workload" "$round" "$name" "${wargs[@]}"
    done
  done
done

LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
say "measured in $((SECONDS - started_s)) s"

NOTES="$WORK/notes.txt"
: >"$NOTES"
for name in "${SERVERS[@]}"; do
  [[ -n "${SERVER_NOTE[$name]:-}" ]] && printf '%s %s\n' "$name" "${SERVER_NOTE[$name]}" >>"$NOTES"
done
versions="nginx $({ "$NGINX" -v 2>&1 || true; } | sed 's/.*nginx\///'), gevent $("$PYTHON" -c 'import gevent; print(gevent.__version__)' 2>/dev/null || echo '?')"
versions+=", wrk $({ "$WRK" -v 2>&1 || true; } | head -n1 | awk '{print $2}')"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
machine="MACHINE nproc=$(nproc) kernel=$(uname -r) cpu=\"$cpu\""
mkdir -p "$(dirname "$OUT")"
"$PYTHON" "$HERE/summarize.py" --results "$RESULTS" --notes "$NOTES" --out "$OUT" --machine "$machine" \
  --versions "$versions" --mode "$( ((quick)) && echo quick || echo full)" --rounds "$ROUNDS" \
  --seconds "$DURATION" --started "$STARTED_AT" --load "$LOAD_START / $LOAD_END" \
  --ticks "$(getconf CLK_TCK)" --pinned "$( ((${#pin_server[@]})) && echo yes || echo no)"
