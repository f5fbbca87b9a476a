#!/usr/bin/env bash
# bench/hub: sleep(0), spawn+join, Event handoff and Queue ping-pong, fern against gevent and
# Boost.Fiber (BENCH.md). Writes bench/results/hub.md.
#
#   bench/hub/run.sh [--quick]
set -euo pipefail

HARNESS_PASS_ARGS=1  # bench_hub also takes --rounds N and --python PATH
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init hub "$@"
OUT="$ROOT/bench/results/hub.md"
BIN="$BUILD/bench/hub/bench_hub"
[[ -x "$BIN" ]] || die "$BIN not found; run ./run build release first"
((quick)) && PASS_ARGS+=(--quick)
machine_line
"${pin_server[@]}" "$BIN" "${PASS_ARGS[@]}" --markdown "$OUT" | tee "$WORK/hub.txt"
keep_ratio_lines "$OUT" "$WORK/hub.txt"
harness_finish "$OUT"
