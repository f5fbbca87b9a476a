#!/usr/bin/env bash
# bench/echo: fern's greenlet echo server (examples/echo_server.cpp, epoll and io_uring drivers)
# side by side with a raw edge-triggered epoll loop in C, a raw io_uring loop in C (single-shot and
# multishot receive), Boost.Asio with
# C++20 coroutines, gevent's StreamServer and asyncio, all driven by the same load generator
# (bench/echo/loadgen.c; ping-pong through io_uring, so it can keep a server's core busy). The
# protocol and the shared harness: bench/lib/harness.sh, docs/design/benchmarks.md.
#
#   bench/echo/run.sh [--quick]
#
# Workloads: ping-pong 512 B and 4 KiB at 1, 100 and 1000 connections; streaming 64 KiB chunks at 1
# and 4 connections. Each is measured in rounds, every server once per round (A B A B, the order
# reversed every other round); reported are medians and medians of per-round ratios, for requests/s
# (MB/s when streaming) and for the server's CPU time per request (per MiB when streaming), with
# the server's busy share in every row.
# Servers run on CPU 1, the load generator on CPU 0, everything on 127.0.0.1.
#
# Binaries come from ${FERN_BUILD_DIR:-build/release} (`./run bench` builds it); C and C++ peers
# missing there are compiled into a temporary directory. Prints the machine line, a table and RATIO
# lines, and writes bench/results/echo.md with its chart echo.png. Full mode takes about 8 minutes,
# --quick about 2.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init echo "$@"
OUT="$ROOT/bench/results/echo.md"
PEERS="$ROOT/bench/peers"

if ((quick)); then
  ROUNDS=3 WARMUP=0.2 SECONDS_PER_RUN=0.4
else
  ROUNDS=5 WARMUP=0.4 SECONDS_PER_RUN=1.2
fi
SERVER_LIFETIME=$((quick ? 300 : 1200))

FERN_BIN="$(find_binary "$BUILD/examples/echo_server" "$BUILD/bench/echo/echo_server")" ||
  die "echo_server not found in $BUILD; build it first (./run build release, or ./run bench)"
LOADGEN="$(peer_binary bench_echo_loadgen "$ROOT/bench/echo/loadgen.c" -luring)"
[[ -n "$LOADGEN" ]] || die "the load generator did not build"
RAW_BIN="$(peer_binary bench_echo_raw_epoll "$PEERS/raw_epoll_echo.c")"
RAW_URING_BIN="$(peer_binary bench_echo_raw_uring "$PEERS/raw_uring_echo.c" -luring)"
ASIO_BIN="$(peer_binary bench_echo_asio "$PEERS/asio_echo.cpp" -std=c++20 -fcoroutines -pthread)"

SERVERS=(fern fern_uring raw_epoll raw_uring raw_uring_ms asio gevent asyncio)
start_server fern "$FERN_BIN" --driver epoll
start_server fern_uring "$FERN_BIN" --driver uring
if [[ -n "$RAW_BIN" ]]; then start_server raw_epoll "$RAW_BIN"; else SERVER_NOTE[raw_epoll]="unavailable: did not build"; fi
if [[ -n "$RAW_URING_BIN" ]]; then
  start_server raw_uring "$RAW_URING_BIN"
  start_server raw_uring_ms "$RAW_URING_BIN" --multishot
else
  SERVER_NOTE[raw_uring]="unavailable: did not build" SERVER_NOTE[raw_uring_ms]="unavailable: did not build"
fi
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
  "pingpong_512B_c1|--uring --conns 1 --size 512"
  "pingpong_512B_c100|--uring --conns 100 --size 512"
  "pingpong_512B_c1000|--uring --conns 1000 --size 512"
  "pingpong_4KiB_c1|--uring --conns 1 --size 4096"
  "pingpong_4KiB_c100|--uring --conns 100 --size 4096"
  "pingpong_4KiB_c1000|--uring --conns 1000 --size 4096"
  "stream_64KiB_c1|--stream --conns 1 --size 65536"
  "stream_64KiB_c4|--stream --conns 4 --size 65536"
)

RESULTS="$WORK/results.txt"
: >"$RESULTS"
measure_begin

run_one() {  # run_one WORKLOAD ROUND SERVER ARGS...
  local workload="$1" round="$2" name="$3" line
  shift 3
  server_alive "$name" || return 0
  local pid="${SERVER_PID[$name]}"
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
    round_order "$round" "${SERVERS[@]}"
    for name in "${ORDER[@]}"; do
      [[ -n "${SERVER_PID[$name]:-}" ]] || continue
      run_one "$workload" "$round" "$name" "${wargs[@]}"
    done
  done
done

# --- report ----------------------------------------------------------------------------------------

versions="Boost $(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp 2>/dev/null | tr _ .)"
versions+=", Python $("$PYTHON" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '?')"
versions+=", gevent $("$PYTHON" -c 'import gevent; print(gevent.__version__)' 2>/dev/null || echo '?')"
harness_summarize "$ROOT/bench/echo/summarize.py" --versions "$versions" --mode "$( ((quick)) && echo quick || echo full)" \
  --rounds "$ROUNDS" --seconds "$SECONDS_PER_RUN" --warmup "$WARMUP" \
  --pinned "$( ((${#pin_server[@]})) && echo yes || echo no)"
