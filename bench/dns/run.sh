#!/usr/bin/env bash
# bench/dns: name resolution without blocking the hub, getaddrinfo on the thread pool (what
# fern::net::resolve does) against c-ares driven by the hub, with blocking getaddrinfo as the floor.
# Lookups of "localhost", of the host name (/etc/hosts) and of a .invalid name (NXDOMAIN), from one
# greenlet and from 100 at once; wall and CPU time per lookup. Writes bench/results/dns.md.
#
#   bench/dns/run.sh [--quick]
set -euo pipefail
ROOT="${FERN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${FERN_BUILD_DIR:-build/release}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
BIN="$BUILD/bench/dns/bench_dns"
[[ -x "$BIN" ]] || { echo "bench/dns/run.sh: $BIN not found; run ./run build release first" >&2; exit 1; }
# Not pinned: the pool's threads run on whichever core is free, as they would in production; CPU
# time per lookup counts every thread, so it stays comparable.
exec "$BIN" "$@" --markdown "$ROOT/bench/results/dns.md"
