#!/usr/bin/env bash
# bench/echo: fern's greenlet echo server (examples/echo_server.cpp, epoll and io_uring drivers)
# side by side with a raw edge-triggered epoll loop in C, Boost.Asio with C++20 coroutines, gevent's
# StreamServer and asyncio, all driven by the same load generator (bench/echo/loadgen.c). See
# /work/shared/BENCH.md for the protocol.
#
#   bench/echo/run.sh [--quick]
#
# Workloads: ping-pong 512 B and 4 KiB at 1, 100 and 1000 connections; streaming 64 KiB chunks at 1
# and 4 connections. Each is measured in rounds, every server once per round (A B A B, the order
# reversed every other round); reported are medians and medians of per-round ratios, for requests/s
# (MB/s when streaming) and for the server's CPU time per request (per MiB when streaming).
# Servers run on CPU 1, the load generator on CPU 0, everything on 127.0.0.1.
#
# Binaries come from ${FERN_BUILD_DIR:-build/release} (`./run bench` builds it); C and C++ peers
# missing there are compiled into a temporary directory. Prints the machine line, a table and RATIO
# lines, and writes bench/results/echo.md. Full mode takes about 7 minutes, --quick under 2.
set -euo pipefail

ROOT="${FERN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${FERN_BUILD_DIR:-build/release}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
PYTHON="${FERN_BENCH_PYTHON:-/usr/bin/python3}"
OUT="$ROOT/bench/results/echo.md"
PEERS="$ROOT/bench/peers"

quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h | --help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench/echo/run.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

if ((quick)); then
  ROUNDS=3 WARMUP=0.2 SECONDS_PER_RUN=0.4
else
  ROUNDS=5 WARMUP=0.4 SECONDS_PER_RUN=1.2
fi
# Every server also ends itself after this long, should this script be killed with -9.
SERVER_LIFETIME=$((quick ? 300 : 1200))

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench/echo/run.sh: %s\n' "$*" >&2; exit 1; }

WORK="$(mktemp -d /tmp/fern-bench-echo.XXXXXX)"
declare -A SERVER_PID=() SERVER_PORT=() SERVER_NOTE=()
cleanup() {
  local name pid
  for name in "${!SERVER_PID[@]}"; do
    pid="${SERVER_PID[$name]}"
    kill "$pid" 2>/dev/null || true
  done
  for name in "${!SERVER_PID[@]}"; do
    wait "${SERVER_PID[$name]}" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# --- binaries --------------------------------------------------------------------------------------

find_binary() {  # first executable among the arguments
  local f
  for f in "$@"; do
    [[ -x "$f" ]] && { printf '%s\n' "$f"; return 0; }
  done
  return 1
}

FERN_BIN="$(find_binary "$BUILD/examples/echo_server" "$BUILD/bench/echo/echo_server")" ||
  die "echo_server not found in $BUILD; build it first (./run build release, or ./run bench)"

CC_BIN="${CC:-cc}" CXX_BIN="${CXX:-c++}"
LOADGEN="$(find_binary "$BUILD/bench/echo/bench_echo_loadgen")" || {
  say "loadgen not built by CMake; compiling it"
  "$CC_BIN" -O2 -o "$WORK/loadgen" "$ROOT/bench/echo/loadgen.c" || die "cannot compile loadgen.c"
  LOADGEN="$WORK/loadgen"
}
RAW_BIN="$(find_binary "$BUILD/bench/echo/bench_echo_raw_epoll")" || {
  say "raw_epoll_echo not built by CMake; compiling it"
  "$CC_BIN" -O2 -o "$WORK/raw_epoll_echo" "$PEERS/raw_epoll_echo.c" && RAW_BIN="$WORK/raw_epoll_echo" || RAW_BIN=""
}
ASIO_BIN="$(find_binary "$BUILD/bench/echo/bench_echo_asio")" || {
  say "asio_echo not built by CMake; compiling it"
  "$CXX_BIN" -std=c++20 -O2 -fcoroutines -o "$WORK/asio_echo" "$PEERS/asio_echo.cpp" -pthread &&
    ASIO_BIN="$WORK/asio_echo" || ASIO_BIN=""
}

pin_server=() pin_load=()
if command -v taskset >/dev/null && (($(nproc) > 1)); then
  pin_server=(taskset -c 1) pin_load=(taskset -c 0)
fi

# --- servers ---------------------------------------------------------------------------------------

# start_server NAME COMMAND...: starts it on a free port (--port 0) and waits for its
# "listening on 127.0.0.1:PORT" line. A server that cannot start is recorded as unavailable.
start_server() {
  local name="$1"
  shift
  local out="$WORK/$name.out" err="$WORK/$name.err"
  "${pin_server[@]}" "$@" --port 0 --seconds "$SERVER_LIFETIME" >"$out" 2>"$err" &
  local pid=$! i port=""
  for ((i = 0; i < 200; ++i)); do
    port="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" 2>/dev/null | head -n1)"
    [[ -n "$port" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z "$port" ]] || ! kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    SERVER_NOTE[$name]="unavailable: $(head -c 300 "$err" | tr '\n' ' ')"
    say "$name: ${SERVER_NOTE[$name]}"
    return 0
  fi
  SERVER_PID[$name]=$pid
  SERVER_PORT[$name]=$port
  say "$name: pid $pid, port $port"
}

SERVERS=(fern fern_uring raw_epoll asio gevent asyncio)
start_server fern "$FERN_BIN" --driver epoll
start_server fern_uring "$FERN_BIN" --driver uring
if [[ -n "$RAW_BIN" ]]; then start_server raw_epoll "$RAW_BIN"; else SERVER_NOTE[raw_epoll]="unavailable: no C compiler"; fi
if [[ -n "$ASIO_BIN" ]]; then start_server asio "$ASIO_BIN"; else SERVER_NOTE[asio]="unavailable: Boost.Asio did not build"; fi
if [[ -x "$PYTHON" ]] && "$PYTHON" -c 'import gevent' 2>/dev/null; then
  start_server gevent "$PYTHON" "$PEERS/gevent_echo.py"
else
  SERVER_NOTE[gevent]="unavailable: $PYTHON has no gevent (apt-get install python3-gevent)"
fi
if [[ -x "$PYTHON" ]]; then
  start_server asyncio "$PYTHON" "$PEERS/asyncio_echo.py"
else
  SERVER_NOTE[asyncio]="unavailable: $PYTHON not found"
fi
[[ -n "${SERVER_PID[fern]:-}" ]] || die "the fern server did not start: ${SERVER_NOTE[fern]}"

# --- runs ------------------------------------------------------------------------------------------

# name | loadgen arguments
WORKLOADS=(
  "pingpong_512B_c1|--conns 1 --size 512"
  "pingpong_512B_c100|--conns 100 --size 512"
  "pingpong_512B_c1000|--conns 1000 --size 512"
  "pingpong_4KiB_c1|--conns 1 --size 4096"
  "pingpong_4KiB_c100|--conns 100 --size 4096"
  "pingpong_4KiB_c1000|--conns 1000 --size 4096"
  "stream_64KiB_c1|--stream --conns 1 --size 65536"
  "stream_64KiB_c4|--stream --conns 4 --size 65536"
)

RESULTS="$WORK/results.txt"
: >"$RESULTS"
LOAD_START="$(cut -d' ' -f1 /proc/loadavg)"
STARTED_AT="$(date -u '+%Y-%m-%d %H:%M UTC')"
started_s=$SECONDS

run_one() {  # run_one WORKLOAD ROUND SERVER ARGS...
  local workload="$1" round="$2" name="$3" line
  shift 3
  local pid="${SERVER_PID[$name]}"
  if ! kill -0 "$pid" 2>/dev/null; then
    SERVER_NOTE[$name]="died during the run (see its stderr above)"
    say "$name died; its stderr: $(head -c 300 "$WORK/$name.err")"
    unset "SERVER_PID[$name]"
    return 0
  fi
  # The loadgen is bounded by its own clock; timeout is the backstop should a server wedge it.
  if line="$(timeout 60 "${pin_load[@]}" "$LOADGEN" --port "${SERVER_PORT[$name]}" --pid "$pid" \
    --warmup "$WARMUP" --seconds "$SECONDS_PER_RUN" "$@" 2>"$WORK/loadgen.err")"; then
    printf '%s %s %s %s\n' "$workload" "$round" "$name" "$line" >>"$RESULTS"
  else
    say "$workload round $round $name: load generator failed: $(head -c 300 "$WORK/loadgen.err") $line"
    printf '%s %s %s failed=1\n' "$workload" "$round" "$name" >>"$RESULTS"
  fi
}

for entry in "${WORKLOADS[@]}"; do
  workload="${entry%%|*}"
  read -r -a wargs <<<"${entry#*|}"
  say "$workload (${ROUNDS} rounds)"
  for ((round = 1; round <= ROUNDS; ++round)); do
    order=("${SERVERS[@]}")
    if ((round % 2 == 0)); then
      order=()
      for ((i = ${#SERVERS[@]} - 1; i >= 0; --i)); do order+=("${SERVERS[$i]}"); done
    fi
    for name in "${order[@]}"; do
      [[ -n "${SERVER_PID[$name]:-}" ]] || continue
      run_one "$workload" "$round" "$name" "${wargs[@]}"
    done
  done
done

LOAD_END="$(cut -d' ' -f1 /proc/loadavg)"
say "measured in $((SECONDS - started_s)) s"

# --- report ----------------------------------------------------------------------------------------

NOTES="$WORK/notes.txt"
: >"$NOTES"
for name in "${SERVERS[@]}"; do
  [[ -n "${SERVER_NOTE[$name]:-}" ]] && printf '%s %s\n' "$name" "${SERVER_NOTE[$name]}" >>"$NOTES"
done
versions="Boost $(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp 2>/dev/null | tr _ .)"
versions+=", Python $("$PYTHON" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '?')"
versions+=", gevent $("$PYTHON" -c 'import gevent; print(gevent.__version__)' 2>/dev/null || echo '?')"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
machine="MACHINE nproc=$(nproc) kernel=$(uname -r) cpu=\"$cpu\""
mkdir -p "$(dirname "$OUT")"
"$PYTHON" "$ROOT/bench/echo/summarize.py" --results "$RESULTS" --notes "$NOTES" --out "$OUT" \
  --machine "$machine" --versions "$versions" --mode "$( ((quick)) && echo quick || echo full)" \
  --rounds "$ROUNDS" --seconds "$SECONDS_PER_RUN" --warmup "$WARMUP" --started "$STARTED_AT" \
  --load "$LOAD_START / $LOAD_END" --pinned "$( ((${#pin_server[@]})) && echo yes || echo no)"
