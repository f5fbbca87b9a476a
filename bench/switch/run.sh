#!/usr/bin/env bash
# bench/switch: greenlet switch, spawn+finish and parked-greenlet memory, fern against Boost.Context,
# Boost.Fiber and Python's greenlet/gevent, in alternating rounds (see shared BENCH.md).
#
#   bench/switch/run.sh [--quick]
#
# Builds nothing: `./run bench` builds build/release first. The binary is looked up in
# ${FERN_BUILD_DIR:-build/release}. Prints the machine line, tables, RATIO and TARGET lines, and writes
# bench/results/switch.md. --quick finishes in well under a minute (gevent at 1M is skipped there).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init switch "$@"
BIN="$BUILD/bench/switch/bench_switch"
OUT="$ROOT/bench/results/switch.md"
args=()
((quick)) && args+=(--quick)

[[ -x "$BIN" ]] || die "$BIN not found; build it first (./run build release, or ./run bench)"
[[ -x "$PYTHON" ]] || say "$PYTHON not found; the Python greenlet/gevent peer is skipped"

# Everything runs on one core (the children too: the Python peer and the RSS probes inherit it), so
# fern and its peers see the same core and cache; CPU 1 keeps clear of a load generator on CPU 0.
mkdir -p "$(dirname "$OUT")"
"${pin_server[@]}" "$BIN" "${args[@]}" --python "$PYTHON" --peer "$ROOT/bench/peers/greenlet_switch.py" \
  --markdown "$OUT" | tee "$WORK/switch.txt"
keep_ratio_lines "$OUT" "$WORK/switch.txt"
harness_finish "$OUT"
