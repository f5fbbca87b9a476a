#!/usr/bin/env bash
# bench/mysql: fern's MariaDB/MySQL client (bench/mysql/point_select.cpp) against sysbench and
# PyMySQL under gevent, on one mariadbd started here (CPU 1; every client on CPU 0): sysbench's
# oltp_point_select (primary-key point select on its own table) from 1, 8 and 32 callers.
# Alternating rounds; reports queries/s, client and server CPU per query, the server's busy share,
# ratios and RATIO lines; writes bench/results/mysql.md.
#
#   bench/mysql/run.sh [--quick]
#
# Binaries come from ${FERN_BUILD_DIR:-build/release}. Needs mariadb-server, sysbench and
# python3-pymysql + python3-gevent. Full mode takes about 3 minutes, --quick about 1.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init mysql "$@"
OUT="$ROOT/bench/results/mysql.md"
TABLE_SIZE=10000
if ((quick)); then rounds=3 seconds=2; else rounds=5 seconds=3; fi

FERN_BIN="$BUILD/bench/mysql/bench_mysql_point_select"
[[ -x "$FERN_BIN" ]] || die "$FERN_BIN not found; build it first (ninja -C $BUILD bench_mysql_point_select)"
command -v mariadbd > /dev/null || command -v /usr/sbin/mariadbd > /dev/null || die "mariadb-server is not installed"
command -v sysbench > /dev/null || die "sysbench is not installed"
"$PYTHON" -c 'import gevent, pymysql' 2> /dev/null || die "python3-gevent and python3-pymysql are needed"

PORT="$(free_port)"
SOCK="$WORK/mysqld.sock"

# Its own tmpdir: mariadbd clears "#sql*" files from its tmpdir at start (shared /tmp breaks others).
mkdir -p "$WORK/tmp"
mariadb-install-db --no-defaults --datadir="$WORK/data" --user=root --auth-root-authentication-method=normal \
  --tmpdir="$WORK/tmp" > "$WORK/install.log" 2>&1 || die "mariadb-install-db failed: $(cat "$WORK/install.log")"
"${pin_server[@]}" /usr/sbin/mariadbd --no-defaults --datadir="$WORK/data" --tmpdir="$WORK/tmp" --socket="$SOCK" \
  --port="$PORT" --bind-address=127.0.0.1 --user=root --max-connections=500 > "$WORK/mariadbd.log" 2>&1 &
MARIADB_PID=$!
HARNESS_ON_EXIT+=("stop_process $MARIADB_PID")
for _ in $(seq 300); do
  mariadb-admin --socket="$SOCK" -uroot ping > /dev/null 2>&1 && break
  sleep 0.1
done
mariadb-admin --socket="$SOCK" -uroot ping > /dev/null 2>&1 || die "mariadbd did not start: $(cat "$WORK/mariadbd.log")"
mariadb --socket="$SOCK" -uroot -e "CREATE DATABASE sbtest"
sysbench oltp_point_select --db-driver=mysql --mysql-socket="$SOCK" --mysql-user=root --mysql-db=sbtest \
  --tables=1 --table-size="$TABLE_SIZE" prepare > "$WORK/prepare.log" 2>&1 ||
  die "sysbench prepare failed: $(cat "$WORK/prepare.log")"

machine="$(machine_line) mariadb=$(/usr/sbin/mariadbd --version | grep -o 'Ver [0-9.]*' | cut -d' ' -f2) sysbench=$(sysbench --version | cut -d' ' -f2)"
echo "$machine"
mkdir -p "$(dirname "$OUT")"
args=(--port "$PORT" --server-pid "$MARIADB_PID" --table-size "$TABLE_SIZE" --fern "$FERN_BIN" --python "$PYTHON"
  --py-script "$ROOT/bench/mysql/pymysql_bench.py" --rounds "$rounds" --seconds "$seconds" --out "$OUT"
  --machine "$machine" --load-start "$(cut -d' ' -f1 /proc/loadavg)")
((quick)) && args+=(--quick)
"$PYTHON" "$ROOT/bench/mysql/bench.py" "${args[@]}" | grep '^RATIO'
echo "wrote $OUT"
harness_finish "$OUT"
