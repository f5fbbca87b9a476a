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

ROOT="${FERN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${FERN_BUILD_DIR:-build/release}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
BIN="$BUILD/bench/switch/bench_switch"
PYTHON="${FERN_BENCH_PYTHON:-/usr/bin/python3}"
OUT="$ROOT/bench/results/switch.md"

args=()
for a in "$@"; do
  case "$a" in
    --quick) args+=(--quick) ;;
    -h | --help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench/switch/run.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

if [[ ! -x "$BIN" ]]; then
  echo "bench/switch/run.sh: $BIN not found; build it first (./run build release, or ./run bench)" >&2
  exit 1
fi
if [[ ! -x "$PYTHON" ]]; then
  echo "bench/switch/run.sh: $PYTHON not found; the Python greenlet/gevent peer is skipped" >&2
fi

# Everything runs on one core (the children too: the Python peer and the RSS probes inherit it), so
# fern and its peers see the same core and cache; CPU 1 keeps clear of a load generator on CPU 0.
pin=()
if command -v taskset >/dev/null && (($(nproc) > 1)); then
  pin=(taskset -c 1)
fi

mkdir -p "$(dirname "$OUT")"
"${pin[@]}" "$BIN" "${args[@]}" --python "$PYTHON" --peer "$ROOT/bench/peers/greenlet_switch.py" \
  --markdown "$OUT"
