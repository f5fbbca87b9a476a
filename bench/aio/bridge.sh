#!/usr/bin/env bash
# bench/aio/bridge.sh: what a task pays to use a greenlet-style client. The same Redis GETs from C
# greenlet callers and from C tasks whose every call goes through aio::in_greenlet
# (bench/redis/client_bench.cpp --from greenlet|task), against one redis-server; redis on CPU 0, the
# client (the thing measured) on CPU 1; interleaved rounds, the order flipped every round. Reported:
# client CPU per command, the client's busy share, and the median of the per-round task/greenlet
# ratios. Writes bench/results/aio_bridge.md and prints RATIO lines.
#
#   bench/aio/bridge.sh [--quick]
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init aio_bridge "$@"
OUT="$ROOT/bench/results/aio_bridge.md"
if ((quick)); then ROUNDS=3 REQUESTS=40000; else ROUNDS=8 REQUESTS=200000; fi

BIN="$BUILD/bench/redis/bench_redis_client"
[[ -x "$BIN" ]] || die "$BIN not found; build it first (ninja -C $BUILD bench_redis_client)"

start_redis "${pin_load[@]}"

machine="$(machine_line)"
echo "$machine"
: > "$WORK/runs.txt"
for callers in 1 50; do
  for round in $(seq "$ROUNDS"); do
    round_order "$round" greenlet task
    for from in "${ORDER[@]}"; do
      line="$("${pin_server[@]}" "$BIN" --port "$PORT" --test get --callers "$callers" --from "$from" \
        --requests "$REQUESTS")"
      echo "callers=$callers round=$round from=$from $line" | tee -a "$WORK/runs.txt"
    done
  done
done

"$PYTHON" - "$WORK/runs.txt" "$OUT" "$machine" << 'PY'
import re, statistics, sys
runs, out, machine = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(runs) if line.strip()]
lines = ["# aio bridge: a Redis GET from a task (through aio::in_greenlet) vs from a greenlet", "",
         machine, "",
         "Client CPU per command (median of rounds), the client's busy share, and the median of the",
         "per-round ratios task / greenlet (1.00 = free; the target is within 1.10).", "",
         "| callers | greenlet CPU/cmd | task CPU/cmd | client busy (greenlet / task) | task/greenlet |",
         "|---|---|---|---|---|"]
ratios = []
for callers in sorted({r["callers"] for r in rows}, key=int):
    per = {"greenlet": {}, "task": {}}
    busy = {"greenlet": [], "task": []}
    for r in rows:
        if r["callers"] != callers: continue
        us = float(r["cpu_seconds"]) / float(r["requests"]) * 1e6
        per[r["from"]][r["round"]] = us
        busy[r["from"]].append(float(r["cpu_seconds"]) / float(r["seconds"]))
    paired = [per["task"][k] / per["greenlet"][k] for k in per["task"] if k in per["greenlet"]]
    ratio = statistics.median(paired)
    ratios.append((callers, ratio, min(paired), max(paired)))
    lines.append(f"| {callers} | {statistics.median(per['greenlet'].values()):.2f} µs | "
                 f"{statistics.median(per['task'].values()):.2f} µs | "
                 f"{statistics.median(busy['greenlet']):.0%} / {statistics.median(busy['task']):.0%} | "
                 f"{ratio:.3f} ({min(paired):.3f}–{max(paired):.3f}) |")
lines += ["", "```"] + [f"RATIO aio_bridge callers={c} task/greenlet={r:.3f} min={lo:.3f} max={hi:.3f}"
                        for c, r, lo, hi in ratios] + ["```", ""]
open(out, "w").write("\n".join(lines))
for c, r, lo, hi in ratios:
    print(f"RATIO aio_bridge callers={c} task/greenlet={r:.3f} min={lo:.3f} max={hi:.3f}")
PY
echo "wrote $OUT"
