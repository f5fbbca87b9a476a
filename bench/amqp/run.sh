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

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init amqp "$@"
OUT="$ROOT/bench/results/amqp.md"
RABBITMQ_BIN=/usr/lib/rabbitmq/bin
rounds=5
((quick)) && rounds=2

FERN_BIN="$BUILD/bench/amqp/bench_amqp_client"
C_BIN="$BUILD/bench/amqp/bench_amqp_rabbitmq_c"
[[ -x "$FERN_BIN" ]] || die "$FERN_BIN not found; build it first (ninja -C $BUILD bench_amqp_client)"
[[ -x "$C_BIN" ]] || die "$C_BIN not found; build it first (ninja -C $BUILD bench_amqp_rabbitmq_c; needs librabbitmq-dev)"
[[ -x "$RABBITMQ_BIN/rabbitmq-server" ]] || die "rabbitmq-server is not installed"
"$PYTHON" -c 'import pika' 2> /dev/null || die "python3-pika is needed"

PORT="$(free_port)" DIST_PORT="$(free_port)" EPMD_PORT="$(free_port)"
NODE="fernbench$$@localhost"

# The broker in its own directory with its own epmd; as root it drops to `rabbitmq` (setpriv), which
# must own that directory. RABBITMQ_ALLOW_INPUT makes the start script exec the VM in place, so
# BROKER_PID is beam.smp itself (its threads' CPU time is the broker's).
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
"${pin_server[@]}" "${drop[@]}" env -i -C "$WORK" HOME="$WORK" PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  ERL_EPMD_PORT="$EPMD_PORT" RABBITMQ_NODENAME="$NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
  RABBITMQ_NODE_PORT="$PORT" RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$WORK/mnesia" \
  RABBITMQ_LOG_BASE="$WORK/log" RABBITMQ_FEATURE_FLAGS_FILE="$WORK/feature_flags" \
  RABBITMQ_PID_FILE="$WORK/rabbitmq.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$WORK/enabled_plugins" \
  RABBITMQ_CONFIG_FILE="$WORK/rabbitmq" RABBITMQ_ADVANCED_CONFIG_FILE="$WORK/advanced.config" \
  RABBITMQ_CONF_ENV_FILE="$WORK/rabbitmq-env.conf" RABBITMQ_ALLOW_INPUT=1 \
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-noinput \
  "$RABBITMQ_BIN/rabbitmq-server" > "$WORK/console.log" 2>&1 &
BROKER_PID=$!
# The broker first, then its epmd; a throwaway broker needs no gentle stop.
HARNESS_ON_EXIT+=("stop_process $BROKER_PID KILL" "stop_process $EPMD_PID KILL")
for _ in $(seq 600); do
  (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null && break
  kill -0 "$BROKER_PID" 2> /dev/null || break
  sleep 0.1
done
(exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null || die "rabbitmq-server did not start: $(cat "$WORK/console.log")"

version="$(dpkg-query -W -f='${Version}' rabbitmq-server 2> /dev/null || echo '?')"
rmqc="$(dpkg-query -W -f='${Version}' librabbitmq-dev 2> /dev/null || echo '?')"
pika="$("$PYTHON" -c 'import pika; print(pika.__version__)')"
machine="$(machine_line) rabbitmq-server=$version rabbitmq-c=$rmqc pika=$pika"
echo "$machine"
mkdir -p "$(dirname "$OUT")"
args=(--port "$PORT" --server-pid "$BROKER_PID" --fern "$FERN_BIN" --rabbitmq-c "$C_BIN" --python "$PYTHON"
  --pika-script "$ROOT/bench/amqp/pika_bench.py" --rounds "$rounds" --out "$OUT"
  --machine "$machine" --load-start "$(cut -d' ' -f1 /proc/loadavg)")
((quick)) && args+=(--quick)
"$PYTHON" "$ROOT/bench/amqp/bench.py" "${args[@]}" | grep '^RATIO'
echo "wrote $OUT"
harness_finish "$OUT"
