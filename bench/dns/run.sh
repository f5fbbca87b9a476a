#!/usr/bin/env bash
# bench/dns: name resolution without blocking the hub, getaddrinfo on the thread pool (what
# fern::net::resolve does) against c-ares driven by the hub, with blocking getaddrinfo as the floor.
# Lookups of "localhost", of the host name (/etc/hosts) and of a .invalid name (NXDOMAIN), from one
# greenlet and from 100 at once; wall and CPU time per lookup. Writes bench/results/dns.md.
#
#   bench/dns/run.sh [--quick]
set -euo pipefail

HARNESS_PASS_ARGS=1  # bench_dns also takes --rounds N and --case KEY
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init dns "$@"
OUT="$ROOT/bench/results/dns.md"
BIN="$BUILD/bench/dns/bench_dns"
[[ -x "$BIN" ]] || die "$BIN not found; run ./run build release first"
((quick)) && PASS_ARGS+=(--quick)
# Not pinned: the pool's threads run on whichever core is free, as they would in production; CPU
# time per lookup counts every thread, so it stays comparable.
"$BIN" "${PASS_ARGS[@]}" --markdown "$OUT" | tee "$WORK/dns.txt"
keep_ratio_lines "$OUT" "$WORK/dns.txt"
harness_finish "$OUT"
