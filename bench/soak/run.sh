#!/usr/bin/env bash
# bench/soak: the reliability soak. 10,000 connections held for 60 s at a steady 10,000 requests/s
# against fern's echo server (examples/echo_server) and HTTP server (examples/http_hello), three
# waves each with idle gaps, while a sampler reads the server's RSS and open descriptors every
# 0.5 s; then one million greenlets spawned, parked and finished, three times. The criteria (zero
# errors; descriptors and RSS back to the baseline once the connections close; no growth from wave
# to wave; RSS back near its baseline after the million) are computed and printed as PASS/FAIL
# lines; the exit status is non-zero when any failed. Not part of ./run test (it takes about 10
# minutes); ./run soak runs it. See docs/design/soak.md.
#
#   bench/soak/run.sh [--quick]      (--quick: 2,000 connections for 5 s, 100,000 greenlets)
#
# The descriptor limit is raised to the hard limit for the servers and the load generator. Servers
# run on CPU 1, the load generator on CPU 0. Writes bench/results/soak.md with soak.png (RSS and
# descriptors over time) and soak_million.png beside it.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init soak "$@"
OUT="$ROOT/bench/results/soak.md"

for f in examples/echo_server examples/http_hello bench/soak/bench_soak_load bench/soak/bench_soak_million; do
  [[ -x "$BUILD/$f" ]] || die "$BUILD/$f not found; build it first (./run build release, or ./run soak)"
done
hard="$(ulimit -Hn)"
if [[ "$hard" != unlimited ]] && ((hard < 10064)); then
  die "the descriptor hard limit is $hard; the soak needs 10,064 (raise it in limits.conf or run as root)"
fi
ulimit -n "$hard"

mkdir -p "$(dirname "$OUT")"
status=0
"$PYTHON" "$ROOT/bench/soak/soak.py" --build "$BUILD" --out "$OUT" --machine "$(machine_line)" \
  $( ((quick)) && echo --quick) || status=$?
say "results in $OUT"
exit "$status"
