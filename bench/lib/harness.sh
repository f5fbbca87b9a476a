# bench/lib/harness.sh: what the server benchmarks share, sourced by bench/*/run.sh. Finding (or
# compiling) the peers, pinning servers and load to their CPUs, starting servers on free ports,
# the interleaved round order, the server's CPU time, the machine line and the chart beside each
# results file. Its Python side, for the drivers that run the rounds, is bench/lib/benchlib.py.
# The protocol itself (BENCH.md's points, copied in docs/design/benchmarks.md):
# servers on CPU 1 and load on CPU 0, every server once per round, the order reversed every other
# round, medians of per-round ratios, and the server's busy share shown in every loaded row.
#
#   source "$ROOT/bench/lib/harness.sh"
#   harness_init echo "$@"         # parses --quick, makes $WORK, sets the traps and the pins
#   start_server NAME COMMAND...    # appends --port 0 --seconds N; waits for "listening on ..."
#   round_order ROUND NAME...       # the names in this round's order, in ORDER
#   HARNESS_ON_EXIT+=("stop_process $pid")   # for a server started without start_server
#   harness_finish OUT.md           # draws OUT.png beside OUT.md

HARNESS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${FERN_ROOT:-$(cd "$HARNESS_DIR/../.." && pwd)}"
BUILD="${FERN_BUILD_DIR:-build/release}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
PYTHON="${FERN_BENCH_PYTHON:-/usr/bin/python3}"
CC_BIN="${CC:-cc}" CXX_BIN="${CXX:-c++}"

declare -A SERVER_PID=() SERVER_PORT=() SERVER_NOTE=()
BENCH_NAME=bench
quick=0
# Commands harness_cleanup runs (eval'd, in order) before it stops the start_server servers and
# removes $WORK: how a script that starts its own server (redis-server, nginx, ...) stops it on exit.
HARNESS_ON_EXIT=()
# With HARNESS_PASS_ARGS=1 set before harness_init, arguments it does not take are kept here for
# the benchmark binary (bench/hub and bench/dns take --rounds N and more) instead of refused.
PASS_ARGS=()

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench/%s: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

# harness_init NAME ARGS...: --quick and --help (the calling script's header comment) are taken;
# any other argument is refused, or kept in PASS_ARGS under HARNESS_PASS_ARGS=1.
harness_init() {
  BENCH_NAME="$1"
  shift
  local a
  for a in "$@"; do
    case "$a" in
      --quick) quick=1 ;;
      -h | --help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
      *) [[ "${HARNESS_PASS_ARGS:-0}" = 1 ]] || die "unknown argument $a"; PASS_ARGS+=("$a") ;;
    esac
  done
  WORK="$(mktemp -d "/tmp/fern-bench-$BENCH_NAME.XXXXXX")"
  trap harness_cleanup EXIT
  trap 'exit 130' INT TERM HUP PIPE
  pin_server=() pin_load=()
  if command -v taskset >/dev/null && (($(nproc) > 1)); then
    pin_server=(taskset -c 1) pin_load=(taskset -c 0)
  fi
  STARTED_AT="$(date -u '+%Y-%m-%d %H:%M UTC')"
  LOAD_START="$(cut -d' ' -f1 /proc/loadavg)"
}

harness_cleanup() {
  local name cmd
  for cmd in "${HARNESS_ON_EXIT[@]}"; do eval "$cmd" || true; done
  for name in "${!SERVER_PID[@]}"; do kill "${SERVER_PID[$name]}" 2>/dev/null || true; done
  for name in "${!SERVER_PID[@]}"; do wait "${SERVER_PID[$name]}" 2>/dev/null || true; done
  rm -rf "$WORK"
}

# stop_process PID [SIGNAL]: signals a process this script started (TERM unless told) and reaps
# it; for HARNESS_ON_EXIT.
stop_process() {
  kill -s "${2:-TERM}" "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# free_port: a TCP port free on 127.0.0.1, for a server that cannot pick its own and report it.
free_port() {
  "$PYTHON" "$HARNESS_DIR/benchlib.py" free-port
}

# start_redis PIN...: a throwaway redis-server on a free port in $WORK, started under the command
# prefix PIN... (a taskset, or nothing); sets PORT and REDIS_PID, stops it on exit, waits until it
# answers.
start_redis() {
  command -v redis-server > /dev/null || die "redis-server is not installed"
  PORT="$(free_port)"
  "$@" redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --logfile "$WORK/redis.log" --dir "$WORK" &
  REDIS_PID=$!
  HARNESS_ON_EXIT+=("stop_process $REDIS_PID")
  for _ in $(seq 200); do
    redis-cli -p "$PORT" ping > /dev/null 2>&1 && return 0
    sleep 0.05
  done
  die "redis-server did not start: $(cat "$WORK/redis.log")"
}

# find_binary CANDIDATE...: the first executable.
find_binary() {
  local f
  for f in "$@"; do
    [[ -x "$f" ]] && { printf '%s\n' "$f"; return 0; }
  done
  return 1
}

# peer_binary CMAKE_TARGET SOURCE [compiler flags...]: the peer from the build tree, or compiled
# from SOURCE into $WORK (C with $CC, C++ with $CXX); prints nothing when it cannot be built.
peer_binary() {
  local target="$1" source="$2"
  shift 2
  local found
  if found="$(find_binary "$BUILD/bench/$BENCH_NAME/$target")"; then
    printf '%s\n' "$found"
    return 0
  fi
  local out="$WORK/$target" compiler="$CC_BIN"
  [[ "$source" == *.cpp ]] && compiler="$CXX_BIN"
  say "$target not built by CMake; compiling $(basename "$source")"
  if "$compiler" -O2 -o "$out" "$source" "$@" 2>"$WORK/$target.build.err"; then
    printf '%s\n' "$out"
  else
    say "$target did not compile: $(head -c 300 "$WORK/$target.build.err")"
  fi
}

# wait_listening NAME PID OUTFILE: records the port from its "listening on 127.0.0.1:PORT" line,
# or the server as unavailable (with the start of its stderr) when it exits or never says it.
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
    wait "$pid" 2>/dev/null || true
    SERVER_NOTE[$name]="unavailable: $(head -c 300 "$WORK/$name.err" 2>/dev/null | tr '\n' ' ')"
    say "$name: ${SERVER_NOTE[$name]}"
    return 0
  fi
  SERVER_PID[$name]=$pid SERVER_PORT[$name]=$port
  say "$name: pid $pid, port $port"
}

# start_server NAME COMMAND...: on CPU 1, a free port, ending itself after $SERVER_LIFETIME s
# should this script be killed with -9.
start_server() {
  local name="$1"
  shift
  "${pin_server[@]}" "$@" --port 0 --seconds "${SERVER_LIFETIME:-1200}" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  wait_listening "$name" $! "$WORK/$name.out"
}

# server_alive NAME: false (and the server noted as died) when it is gone.
server_alive() {
  local name="$1"
  [[ -n "${SERVER_PID[$name]:-}" ]] || return 1
  if ! kill -0 "${SERVER_PID[$name]}" 2>/dev/null; then
    SERVER_NOTE[$name]="died during the run: $(head -c 300 "$WORK/$name.err" | tr '\n' ' ')"
    say "$name died; its stderr: ${SERVER_NOTE[$name]}"
    unset "SERVER_PID[$name]"
    return 1
  fi
}

# round_order ROUND NAME...: sets ORDER to the names, reversed in even rounds (A B, B A, ...), so
# neither side always runs first after the same neighbour.
round_order() {
  local round="$1" i
  shift
  ORDER=("$@")
  if ((round % 2 == 0)); then
    ORDER=()
    for ((i = $#; i >= 1; --i)); do ORDER+=("${!i}"); done
  fi
}

# cpu_seconds PID: the process's CPU time so far (all threads, utime+stime) at nanosecond
# precision from /proc/PID/task/*/schedstat.
cpu_seconds() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ns += $1} END {printf "%.6f\n", ns / 1e9}'
}

machine_line() {
  local cpu
  cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
  printf 'MACHINE nproc=%s kernel=%s cpu="%s"\n' "$(nproc)" "$(uname -r)" "$cpu"
}

# write_notes FILE NAME...: one "name note" line per server that has a note.
write_notes() {
  local file="$1" name
  shift
  : >"$file"
  for name in "$@"; do
    [[ -n "${SERVER_NOTE[$name]:-}" ]] && printf '%s %s\n' "$name" "${SERVER_NOTE[$name]}" >>"$file"
  done
  return 0
}

# keep_ratio_lines OUT.md OUTPUT...: appends the RATIO lines a benchmark binary printed (saved in
# the OUTPUT files) to its results file as one fenced block, for a binary whose own Markdown shows
# the ratios only as tables; chart.py draws from those lines.
keep_ratio_lines() {
  local md="$1" lines
  shift
  lines="$(grep -h '^RATIO ' "$@" 2>/dev/null)" || return 0
  [[ -f "$md" ]] || return 0
  printf '\n```\n%s\n```\n' "$lines" >>"$md"
}

# measure_begin: marks when the measured rounds start (after the servers are up), for the time
# harness_summarize reports.
measure_begin() { MEASURE_START=$SECONDS; }

# harness_summarize SUMMARIZER.py [ARG...]: the end of a benchmark of servers. Reports how long the
# rounds took, writes the notes of the servers in SERVERS, runs the summarizer over $RESULTS into
# $OUT with the arguments every summarizer takes (--results --notes --out --machine --started
# --load) and the ARGs that are its own, and draws the chart.
harness_summarize() {
  local summarizer="$1" notes="$WORK/notes.txt"
  shift
  LOAD_END="$(cut -d' ' -f1 /proc/loadavg)"
  say "measured in $((SECONDS - ${MEASURE_START:-0})) s"
  write_notes "$notes" "${SERVERS[@]}"
  mkdir -p "$(dirname "$OUT")"
  "$PYTHON" "$summarizer" --results "$RESULTS" --notes "$notes" --out "$OUT" --machine "$(machine_line)" \
    --started "$STARTED_AT" --load "$LOAD_START / $LOAD_END" "$@"
  harness_finish "$OUT"
}

# harness_finish OUT.md: the chart beside the results file.
harness_finish() {
  LOAD_END="$(cut -d' ' -f1 /proc/loadavg)"
  "$PYTHON" "$HARNESS_DIR/chart.py" "$1" || say "no chart drawn for $1"
}
