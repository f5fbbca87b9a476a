#!/usr/bin/env bash
# bench/redis: fern's Redis client (bench/redis/client_bench.cpp) against redis-benchmark with the
# same -c/-P/-d and against redis-py under gevent, on one redis-server started here (CPU 1; every
# client on CPU 0). GET and SET, 3 B and 1 KiB values, 1 and 50 callers, pipeline 1 and 16, plus
# 50 callers sharing one connection (automatic pipelining). Alternating rounds; reports requests/s,
# client CPU per command, ratios, RATIO lines; writes bench/results/redis.md.
#
#   bench/redis/run.sh [--quick]
#
# Binaries come from ${FERN_BUILD_DIR:-build/release}. Needs redis-server, redis-benchmark,
# python3-gevent and python3-redis. Full mode takes about 6 minutes, --quick about 2.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init redis "$@"
OUT="$ROOT/bench/results/redis.md"
rounds=3

FERN_BIN="$BUILD/bench/redis/bench_redis_client"
[[ -x "$FERN_BIN" ]] || die "$FERN_BIN not found; build it first (ninja -C $BUILD bench_redis_client)"
command -v redis-benchmark > /dev/null || die "redis-benchmark is not installed (redis-tools)"
"$PYTHON" -c 'import gevent, redis' 2> /dev/null || die "python3-gevent and python3-redis are needed"

start_redis "${pin_server[@]}"

machine="$(machine_line) redis=$(redis-server --version | grep -o 'v=[0-9.]*')"
echo "$machine"
mkdir -p "$(dirname "$OUT")"
args=(--port "$PORT" --server-pid "$REDIS_PID" --fern "$FERN_BIN" --python "$PYTHON"
  --py-script "$ROOT/bench/redis/redis_py_bench.py" --rounds "$rounds" --out "$OUT"
  --machine "$machine" --load-start "$(cut -d' ' -f1 /proc/loadavg)")
((quick)) && args+=(--quick)
"$PYTHON" "$ROOT/bench/redis/bench.py" "${args[@]}" | grep '^RATIO'
echo "wrote $OUT"
harness_finish "$OUT"
