#!/usr/bin/env bash
# bench/storm: a connection storm and the memory each connection costs. 5,000 clients connect at
# once to a freshly started echo server and then ping-pong 512 B messages; every request's latency
# is kept, the first one of each client counted from its connect attempt, over 4 s from the first
# connect (p50, p99, max). The servers: fern's echo example (examples/echo_server.cpp) on the epoll
# and io_uring drivers, the raw edge-triggered epoll loop in C (bench/peers/raw_epoll_echo.c) and Go
# with a goroutine per connection (bench/peers/go_echo.go, GOMAXPROCS=1). The same load generator
# (bench/storm/storm_load.c) drives all of them.
#
#   bench/storm/run.sh [--quick]
#
# RSS per connection, from /proc/PID/status VmRSS: (RSS with the 5,000 connections open - RSS of
# the fresh server) / 5,000, once right after the ping-pong run (every connection used) and once in
# a separate run where the clients only connect and wait (idle connections). Also kept per run: the
# server's busy share (CPU time over the run's wall time) and the kernel's listen-queue counters
# (TcpExtListenOverflows, TcpExtListenDrops: a SYN or an ACK dropped because the accept queue was
# full, which the client resends only a second later).
# Every server is started afresh for every run (a storm hits a server that just started), in
# interleaved rounds (the order reversed every other round); reported are medians and medians of
# per-round ratios. Servers on CPU 1, the load generator on CPU 0. Writes bench/results/storm.md and
# its chart storm.png. Go's peer needs the go compiler (Debian's golang-go); without it the Go
# column is marked unavailable. About 4 minutes, --quick about 1.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init storm "$@"
OUT="$ROOT/bench/results/storm.md"
PEERS="$ROOT/bench/peers"

if ((quick)); then ROUNDS=3; else ROUNDS=7; fi
CONNS=5000 SIZE=512 RUN_SECONDS=4 IDLE_SECONDS=2
SERVER_LIFETIME=60

FERN_BIN="$(find_binary "$BUILD/examples/echo_server" "$BUILD/bench/echo/echo_server")" ||
  die "echo_server not found in $BUILD; build it first (./run build release, or ./run bench)"
LOADGEN="$(peer_binary bench_storm_load "$ROOT/bench/storm/storm_load.c")"
[[ -n "$LOADGEN" ]] || die "the load generator did not build"
RAW_BIN="$(find_binary "$BUILD/bench/echo/bench_echo_raw_epoll")" || RAW_BIN="$(peer_binary bench_storm_raw_epoll "$PEERS/raw_epoll_echo.c")"
GO_BIN=""
if command -v go >/dev/null; then
  say "building the Go peer ($(go version | cut -d' ' -f3))"
  if (cd "$WORK" && cp "$PEERS/go_echo.go" . && GOCACHE="$WORK/gocache" GO111MODULE=off go build -o go_echo go_echo.go) \
    2>"$WORK/go.build.err"; then
    GO_BIN="$WORK/go_echo"
  else
    say "the Go peer did not build: $(head -c 300 "$WORK/go.build.err")"
  fi
fi

hard="$(ulimit -Hn)"
if [[ "$hard" != unlimited ]] && ((hard < CONNS + 64)); then die "the descriptor hard limit $hard is below $((CONNS + 64))"; fi
ulimit -n "$hard"

SERVERS=(fern fern_uring raw_epoll go)
declare -A COMMAND=(
  [fern]="$FERN_BIN --driver epoll"
  [fern_uring]="$FERN_BIN --driver uring"
  [raw_epoll]="$RAW_BIN"
  [go]="$GO_BIN"
)
[[ -n "$RAW_BIN" ]] || SERVER_NOTE[raw_epoll]="unavailable: did not build"
[[ -n "$GO_BIN" ]] || SERVER_NOTE[go]="unavailable: no go compiler (apt-get install golang-go)"

# listen_counters: "overflows drops" so far, system-wide.
listen_counters() {
  nstat -az TcpExtListenOverflows TcpExtListenDrops 2>/dev/null |
    awk '$1 == "TcpExtListenOverflows" {o = $2} $1 == "TcpExtListenDrops" {d = $2} END {print o + 0, d + 0}'
}

stop_server() {
  local name="$1"
  [[ -n "${SERVER_PID[$name]:-}" ]] || return 0
  stop_process "${SERVER_PID[$name]}"
  unset "SERVER_PID[$name]"
}

RESULTS="$WORK/results.txt"
: >"$RESULTS"
run_one() {  # run_one ROUND NAME MODE
  local round="$1" name="$2" mode="$3" line before after
  [[ -n "${COMMAND[$name]}" ]] || return 0
  # shellcheck disable=SC2086 # the command holds its own arguments
  start_server "$name" ${COMMAND[$name]}
  [[ -n "${SERVER_PID[$name]:-}" ]] || return 0
  sleep 0.3  # the fresh server settles (its RSS baseline is read by the load generator)
  read -r -a before < <(listen_counters)
  local -a extra=()
  [[ "$mode" == idle ]] && extra=(--idle --seconds "$IDLE_SECONDS") || extra=(--seconds "$RUN_SECONDS")
  if line="$(timeout 60 "${pin_load[@]}" "$LOADGEN" --port "${SERVER_PORT[$name]}" --pid "${SERVER_PID[$name]}" \
    --conns "$CONNS" --size "$SIZE" "${extra[@]}" 2>"$WORK/loadgen.err")"; then
    read -r -a after < <(listen_counters)
    printf '%s %s %s listen_overflows=%s listen_drops=%s\n' "$round" "$name" "$line" \
      "$((after[0] - before[0]))" "$((after[1] - before[1]))" >>"$RESULTS"
  else
    say "round $round $name $mode: load generator failed: $(head -c 300 "$WORK/loadgen.err")"
  fi
  server_alive "$name" || true
  stop_server "$name"
}

measure_begin
for ((round = 1; round <= ROUNDS; ++round)); do
  round_order "$round" "${SERVERS[@]}"
  say "round $round of $ROUNDS: ${ORDER[*]}"
  for name in "${ORDER[@]}"; do
    run_one "$round" "$name" pingpong
    run_one "$round" "$name" idle
  done
done
harness_summarize "$ROOT/bench/storm/summarize.py" \
  --go "$(command -v go >/dev/null && go version | cut -d' ' -f3 || echo none)" \
  --rounds "$ROUNDS" --conns "$CONNS" --size "$SIZE" --seconds "$RUN_SECONDS" \
  --somaxconn "$(sysctl -n net.core.somaxconn 2>/dev/null || echo '?')" \
  --syn-backlog "$(sysctl -n net.ipv4.tcp_max_syn_backlog 2>/dev/null || echo '?')"
