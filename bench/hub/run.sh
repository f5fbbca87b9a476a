#!/usr/bin/env bash
# bench/hub: sleep(0), spawn+join, Event handoff and Queue ping-pong, fern against gevent and
# Boost.Fiber (BENCH.md). Writes bench/results/hub.md.
#
#   bench/hub/run.sh [--quick]
set -euo pipefail
ROOT="${FERN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${FERN_BUILD_DIR:-build/release}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
BIN="$BUILD/bench/hub/bench_hub"
[[ -x "$BIN" ]] || { echo "bench/hub/run.sh: $BIN not found; run ./run build release first" >&2; exit 1; }
pin=()
command -v taskset >/dev/null && (($(nproc) > 1)) && pin=(taskset -c 1)
exec "${pin[@]}" "$BIN" "$@" --markdown "$ROOT/bench/results/hub.md"
