#!/usr/bin/env bash
# bench/amqp: fern's RabbitMQ client (bench/amqp/client_bench.cpp) against rabbitmq-c (C, blocking) and
# pika (Python BlockingConnection) on one throwaway rabbitmq-server started here (CPU 1; every client on
# CPU 0). Unconfirmed publish, confirmed publish and consume with acks (prefetch 100), 100 B and 4 KiB
# persistent messages on a durable queue. Alternating short rounds; reports messages/s, client and
# broker CPU per message, the broker's busy share, ratios, RATIO lines; writes bench/results/amqp.md.
#
#   bench/amqp/run.sh [--quick]
#
# Binaries come from ${FERN_BUILD_DIR:-build/release} (targets bench_amqp_client and
# bench_amqp_rabbitmq_c). Needs rabbitmq-server, librabbitmq-dev and python3-pika; run as root the
# broker drops to the `rabbitmq` user. Full mode takes about 8 minutes, --quick about 2.
set -euo pipefail

ROOT="${FERN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BUILD="${FERN_BUILD_DIR:-build/release}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
PYTHON="${FERN_BENCH_PYTHON:-/usr/bin/python3}"
OUT="$ROOT/bench/results/amqp.md"
RABBITMQ_BIN=/usr/lib/rabbitmq/bin

quick=0 rounds=5
for a in "$@"; do
  case "$a" in
    --quick) quick=1 rounds=2 ;;
    -h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench/amqp/run.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

die() { printf 'bench/amqp/run.sh: %s\n' "$*" >&2; exit 1; }
FERN_BIN="$BUILD/bench/amqp/bench_amqp_client"
C_BIN="$BUILD/bench/amqp/bench_amqp_rabbitmq_c"
[[ -x "$FERN_BIN" ]] || die "$FERN_BIN not found; build it first (ninja -C $BUILD bench_amqp_client)"
[[ -x "$C_BIN" ]] || die "$C_BIN not found; build it first (ninja -C $BUILD bench_amqp_rabbitmq_c; needs librabbitmq-dev)"
[[ -x "$RABBITMQ_BIN/rabbitmq-server" ]] || die "rabbitmq-server is not installed"
"$PYTHON" -c 'import pika' 2> /dev/null || die "python3-pika is needed"

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK="$(mktemp -d /tmp/fern-bench-amqp.XXXXXX)"
PORT="$(free_port)" DIST_PORT="$(free_port)" EPMD_PORT="$(free_port)"
NODE="fernbench$$@localhost"
SERVER_PID="" EPMD_PID=""
cleanup() {
  local pid
  for pid in $SERVER_PID $EPMD_PID; do
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# The broker in its own directory with its own epmd; as root it drops to `rabbitmq` (setpriv), which
# must own that directory. RABBITMQ_ALLOW_INPUT makes the start script exec the VM in place, so
# SERVER_PID is beam.smp itself (its /proc/PID/stat is the broker's CPU).
mkdir -p "$WORK/mnesia" "$WORK/log"
echo '[].' > "$WORK/enabled_plugins"
printf 'FERNBENCH%sCOOKIE' "$$" > "$WORK/.erlang.cookie"
chmod 400 "$WORK/.erlang.cookie"
printf 'loopback_users = none\nlog.console = false\nlog.file.level = warning\n' > "$WORK/rabbitmq.conf"
: > "$WORK/rabbitmq-env.conf"
chmod 755 "$WORK"
drop=()
if [[ "$(id -u)" = 0 ]]; then
  chown -R rabbitmq:rabbitmq "$WORK"
  drop=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups --pdeathsig=KILL)
fi
# Both die with this script even if it is killed (parent-death signal).
setpriv --pdeathsig=KILL epmd -port "$EPMD_PORT" -address 127.0.0.1 &
EPMD_PID=$!
taskset -c 1 "${drop[@]}" env -i -C "$WORK" HOME="$WORK" PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  ERL_EPMD_PORT="$EPMD_PORT" RABBITMQ_NODENAME="$NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
  RABBITMQ_NODE_PORT="$PORT" RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$WORK/mnesia" \
  RABBITMQ_LOG_BASE="$WORK/log" RABBITMQ_FEATURE_FLAGS_FILE="$WORK/feature_flags" \
  RABBITMQ_PID_FILE="$WORK/rabbitmq.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$WORK/enabled_plugins" \
  RABBITMQ_CONFIG_FILE="$WORK/rabbitmq" RABBITMQ_ADVANCED_CONFIG_FILE="$WORK/advanced.config" \
  RABBITMQ_CONF_ENV_FILE="$WORK/rabbitmq-env.conf" RABBITMQ_ALLOW_INPUT=1 \
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-noinput \
  "$RABBITMQ_BIN/rabbitmq-server" > "$WORK/console.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do
  (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null && break
  kill -0 "$SERVER_PID" 2> /dev/null || break
  sleep 0.1
done
(exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null || die "rabbitmq-server did not start: $(cat "$WORK/console.log")"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
version="$(dpkg-query -W -f='${Version}' rabbitmq-server 2> /dev/null || echo '?')"
rmqc="$(dpkg-query -W -f='${Version}' librabbitmq-dev 2> /dev/null || echo '?')"
pika="$("$PYTHON" -c 'import pika; print(pika.__version__)')"
machine="MACHINE nproc=$(nproc) kernel=$(uname -r) cpu=\"$cpu\" rabbitmq-server=$version rabbitmq-c=$rmqc pika=$pika"
echo "$machine"
mkdir -p "$(dirname "$OUT")"
args=(--port "$PORT" --server-pid "$SERVER_PID" --fern "$FERN_BIN" --rabbitmq-c "$C_BIN" --python "$PYTHON"
  --pika-script "$ROOT/bench/amqp/pika_bench.py" --rounds "$rounds" --out "$OUT"
  --machine "$machine" --load-start "$(cut -d' ' -f1 /proc/loadavg)")
((quick)) && args+=(--quick)
"$PYTHON" "$ROOT/bench/amqp/bench.py" "${args[@]}" | grep '^RATIO'
echo "wrote $OUT"
