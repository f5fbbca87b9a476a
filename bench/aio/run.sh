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

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init aio "$@"
OUT="$ROOT/bench/results/aio.md"
if ((quick)); then ROUNDS=3 WARMUP=0.2 SECONDS_PER_RUN=0.5; else ROUNDS=5 WARMUP=0.4 SECONDS_PER_RUN=1.2; fi
SERVER_LIFETIME=600

OPS="$BUILD/bench/aio/bench_aio_ops"
AIO_ECHO="$BUILD/bench/aio/bench_aio_echo_server"
GREENLET_ECHO="$(find_binary "$BUILD/examples/echo_server" "$BUILD/bench/echo/echo_server")" ||
  die "echo_server not built (ninja bench_aio_ops bench_aio_echo_server echo_server bench_echo_loadgen)"
LOADGEN="$BUILD/bench/echo/bench_echo_loadgen"
for f in "$OPS" "$AIO_ECHO" "$LOADGEN"; do
  [[ -x "$f" ]] || die "$f not built (ninja bench_aio_ops bench_aio_echo_server echo_server bench_echo_loadgen)"
done

machine="$(machine_line)"
echo "$machine"

# --- 1. spawn / sleep(0) ---------------------------------------------------------------------------
ops_args=(--markdown "$WORK/ops.md" --python "$PYTHON")
((quick)) && ops_args+=(--quick)
"${pin_server[@]}" "$OPS" "${ops_args[@]}" | tee "$WORK/ops.txt"

# --- 2. echo ---------------------------------------------------------------------------------------
SERVERS=(aio_task greenlet asyncio)
start_server aio_task "$AIO_ECHO" --driver epoll
start_server greenlet "$GREENLET_ECHO" --driver epoll
start_server asyncio "$PYTHON" "$ROOT/bench/peers/asyncio_echo.py"
for name in "${SERVERS[@]}"; do
  [[ -n "${SERVER_PID[$name]:-}" ]] || die "$name did not start: ${SERVER_NOTE[$name]}"
done

: >"$WORK/echo.txt"
for conns in 1 100; do
  for ((round = 1; round <= ROUNDS; ++round)); do
    round_order "$round" "${SERVERS[@]}"
    for name in "${ORDER[@]}"; do
      line="$(timeout 60 "${pin_load[@]}" "$LOADGEN" --port "${SERVER_PORT[$name]}" --pid "${SERVER_PID[$name]}" \
        --warmup "$WARMUP" --seconds "$SECONDS_PER_RUN" --conns "$conns" --size 512)"
      echo "c$conns $round $name $line" >>"$WORK/echo.txt"
    done
  done
done

# The summary imports bench/lib/benchlib.py (medians of per-round ratios); RATIO lines of both
# parts close the results file, for its chart.
PYTHONPATH="$HARNESS_DIR${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" - "$WORK/echo.txt" "$WORK/ops.md" "$OUT" \
  "${machine#MACHINE }" "$ROUNDS" "$WORK/ops.txt" <<'PY'
import sys
from benchlib import median_of, median_ratio, parse_key_values

echo_file, ops_md, out, machine, rounds, ops_out = sys.argv[1:7]
names = ["aio_task", "greenlet", "asyncio"]
rows = {}  # workload -> round -> server -> (rps, cpu_us_per_req)
for line in open(echo_file):
    w, rnd, name, rest = line.split(" ", 3)
    kv = parse_key_values(rest)
    rows.setdefault(w, {}).setdefault(int(rnd), {})[name] = (kv["rps"], kv["cpu_us_per_req"])
md = ["# bench/aio", "", f"Machine: {machine}. Medians of {rounds} alternating rounds; ratios are "
      "peer/fern_task for costs (bigger is better for tasks). Targets: echo CPU per request >= 1.0x the "
      "greenlet server; spawn / sleep(0) >= 30x asyncio.", ""]
md.append(open(ops_md).read())
md += ["## Echo, 512 B ping-pong (bench/echo load generator, server on CPU 1)", "",
       "| workload | server | req/s | server CPU µs/req |", "|---|---|---:|---:|"]
ratio_lines = [line.strip() for line in open(ops_out) if line.startswith("RATIO ")]
for w, by_round in rows.items():
    # One sample per round for each server (None where it did not run), so ratios pair rounds.
    runs = {n: [by_round[r].get(n) for r in sorted(by_round)] for n in names}
    for n in names:
        md.append(f"| {w} | {n} | {median_of(runs[n], 0):.0f} | {median_of(runs[n], 1):.2f} |")
    cpu_ratio = {p: median_ratio(runs["aio_task"], runs[p], 1, invert=True) for p in names[1:]}
    rps_ratio = {p: median_ratio(runs["aio_task"], runs[p], 0) for p in names[1:]}
    for kind, ratios in (("cpu_per_req", cpu_ratio), ("rps", rps_ratio)):
        line = f"RATIO aio_echo_512B_{w}_{kind} " + " ".join(f"fern_task/{p}={v:.2f}" for p, v in ratios.items())
        print(line)
        ratio_lines.append(line)
    md.append(f"| {w} | ratio (CPU/req) | | " + ", ".join(f"{p}/task = {v:.2f}" for p, v in cpu_ratio.items()) + " |")
    md.append(f"| {w} | ratio (req/s) | " + ", ".join(f"task/{p} = {v:.2f}" for p, v in rps_ratio.items()) + " | |")
md += ["", "```", *ratio_lines, "```"]
open(out + ".tmp", "w").write("\n".join(md) + "\n")
PY
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT"
harness_finish "$OUT"
