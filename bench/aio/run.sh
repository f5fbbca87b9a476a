#!/usr/bin/env bash
# bench/aio: fern::aio tasks against fern greenlets and Python asyncio (BENCH.md).
#   1. spawn / sleep(0) loops (bench_aio_ops: a sleep(0) round between two tasks, spawn + join);
#   2. the echo server written with tasks (bench/aio/echo_server.cpp) against the greenlet one
#      (examples/echo_server.cpp) and asyncio (bench/peers/asyncio_echo.py), all driven by
#      bench/echo's load generator: 512 B ping-pong at 1 and 100 connections, alternating rounds,
#      server on CPU 1 and load on CPU 0; reported are requests/s and server CPU per request.
# Writes bench/results/aio.md and prints RATIO lines.
#
#   bench/aio/run.sh [--quick]
set -euo pipefail
ROOT="${FERN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${FERN_BUILD_DIR:-build/release}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
PYTHON="${FERN_BENCH_PYTHON:-/usr/bin/python3}"
OUT="$ROOT/bench/results/aio.md"
quick=0
[[ "${1:-}" = "--quick" ]] && quick=1
if ((quick)); then ROUNDS=3 WARMUP=0.2 SECONDS_PER_RUN=0.5; else ROUNDS=5 WARMUP=0.4 SECONDS_PER_RUN=1.2; fi

OPS="$BUILD/bench/aio/bench_aio_ops"
AIO_ECHO="$BUILD/bench/aio/bench_aio_echo_server"
GREENLET_ECHO="$BUILD/examples/echo_server"
[[ -x "$GREENLET_ECHO" ]] || GREENLET_ECHO="$BUILD/bench/echo/echo_server"
LOADGEN="$BUILD/bench/echo/bench_echo_loadgen"
for f in "$OPS" "$AIO_ECHO" "$GREENLET_ECHO" "$LOADGEN"; do
  [[ -x "$f" ]] || { echo "bench/aio/run.sh: $f not built (ninja bench_aio_ops bench_aio_echo_server echo_server bench_echo_loadgen)" >&2; exit 1; }
done
pin_server=() pin_load=()
if command -v taskset >/dev/null && (($(nproc) > 1)); then pin_server=(taskset -c 1) pin_load=(taskset -c 0); fi

WORK="$(mktemp -d /tmp/fern-bench-aio.XXXXXX)"
declare -A PID=() PORT=()
cleanup() {
  for name in "${!PID[@]}"; do kill "${PID[$name]}" 2>/dev/null || true; done
  for name in "${!PID[@]}"; do wait "${PID[$name]}" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

machine="nproc=$(nproc) kernel=$(uname -r) cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)\""
echo "MACHINE $machine"

# --- 1. spawn / sleep(0) ---------------------------------------------------------------------------
ops_args=(--markdown "$WORK/ops.md" --python "$PYTHON")
((quick)) && ops_args+=(--quick)
"${pin_server[@]}" "$OPS" "${ops_args[@]}" | tee "$WORK/ops.txt"

# --- 2. echo ---------------------------------------------------------------------------------------
start_server() {  # NAME COMMAND...
  local name="$1" port="" i
  shift
  "${pin_server[@]}" "$@" --port 0 --seconds 600 >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PID[$name]=$!
  for ((i = 0; i < 200; ++i)); do
    port="$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/$name.out" | head -n1)"
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  [[ -n "$port" ]] || { echo "bench/aio/run.sh: $name did not start: $(cat "$WORK/$name.err")" >&2; exit 1; }
  PORT[$name]=$port
}
start_server aio_task "$AIO_ECHO" --driver epoll
start_server greenlet "$GREENLET_ECHO" --driver epoll
start_server asyncio "$PYTHON" "$ROOT/bench/peers/asyncio_echo.py"
SERVERS=(aio_task greenlet asyncio)

: >"$WORK/echo.txt"
for conns in 1 100; do
  for ((round = 1; round <= ROUNDS; ++round)); do
    order=("${SERVERS[@]}")
    ((round % 2 == 0)) && order=(asyncio greenlet aio_task)
    for name in "${order[@]}"; do
      line="$(timeout 60 "${pin_load[@]}" "$LOADGEN" --port "${PORT[$name]}" --pid "${PID[$name]}" \
        --warmup "$WARMUP" --seconds "$SECONDS_PER_RUN" --conns "$conns" --size 512)"
      echo "c$conns $round $name $line" >>"$WORK/echo.txt"
    done
  done
done

"$PYTHON" - "$WORK/echo.txt" "$WORK/ops.md" "$OUT" "$machine" "$ROUNDS" <<'PY'
import re, statistics, sys
echo_file, ops_md, out, machine, rounds = sys.argv[1:6]
rows = {}
for line in open(echo_file):
    w, rnd, name, rest = line.split(" ", 3)
    kv = dict(re.findall(r"(\w+)=([\d.]+)", rest))
    rows.setdefault(w, {}).setdefault(int(rnd), {})[name] = (float(kv["rps"]), float(kv["cpu_us_per_req"]))
md = ["# bench/aio", "", f"Machine: {machine}. Medians of {rounds} alternating rounds; ratios are "
      "peer/fern_task for costs (bigger is better for tasks). Targets: echo CPU per request >= 1.0x the "
      "greenlet server; spawn / sleep(0) >= 30x asyncio.", ""]
md.append(open(ops_md).read())
md += ["## Echo, 512 B ping-pong (bench/echo load generator, server on CPU 1)", "",
       "| workload | server | req/s | server CPU µs/req |", "|---|---|---:|---:|"]
for w, by_round in rows.items():
    names = ["aio_task", "greenlet", "asyncio"]
    for n in names:
        rps = statistics.median(r[n][0] for r in by_round.values())
        cpu = statistics.median(r[n][1] for r in by_round.values())
        md.append(f"| {w} | {n} | {rps:.0f} | {cpu:.2f} |")
    cpu_ratio = {p: statistics.median(r[p][1] / r["aio_task"][1] for r in by_round.values()) for p in names[1:]}
    rps_ratio = {p: statistics.median(r["aio_task"][0] / r[p][0] for r in by_round.values()) for p in names[1:]}
    print(f"RATIO aio_echo_512B_{w}_cpu_per_req " + " ".join(f"fern_task/{p}={v:.2f}" for p, v in cpu_ratio.items()))
    print(f"RATIO aio_echo_512B_{w}_rps " + " ".join(f"fern_task/{p}={v:.2f}" for p, v in rps_ratio.items()))
    md.append(f"| {w} | ratio (CPU/req) | | " + ", ".join(f"{p}/task = {v:.2f}" for p, v in cpu_ratio.items()) + " |")
    md.append(f"| {w} | ratio (req/s) | " + ", ".join(f"task/{p} = {v:.2f}" for p, v in rps_ratio.items()) + " | |")
open(out + ".tmp", "w").write("\n".join(md) + "\n")
PY
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT"
