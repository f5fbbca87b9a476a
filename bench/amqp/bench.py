"""Drives bench/amqp rounds (called by run.sh with a running rabbitmq-server): every workload is run by
fern's client, rabbitmq-c and pika, once per round, the order reversed every other round; prints RATIO
lines and writes the Markdown report. Each client prints messages, seconds and cpu_seconds for its timed
part; broker CPU (utime+stime of beam.smp from /proc) is sampled around each client run (a consume run's
untimed fill is outside it). Rates and CPU per message are medians over rounds; comparisons are medians
of same-round ratios with their range, stated so that bigger is better for fern."""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from benchlib import (format_ratio_range, is_nan, load_average, machine_line, median_of, paired_ratios,  # noqa: E402
                      parse_key_values, pin_load, process_cpu_seconds, ratio_stats, round_order)

BATCH = 1000  # publishes in flight per wait for confirms (fern and rabbitmq-c's batch variant alike)


def wait_until_idle(pid):
    """Waits (at most 10 s) until the broker used under 5% of a core in two 100 ms windows in a row:
    what it still does for the previous run (message store writes and clean-up after a purge) must
    not land in the next client's sample."""
    quiet = 0
    for _ in range(100):
        c0 = process_cpu_seconds(pid)
        time.sleep(0.1)
        quiet = quiet + 1 if process_cpu_seconds(pid) - c0 < 0.005 else 0
        if quiet == 2:
            return True
    return False


def run_pinned(argv):
    proc = subprocess.run(pin_load(argv), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        sys.exit("bench/amqp: %s failed (%d): %s%s" % (" ".join(argv[:3]), proc.returncode, proc.stdout,
                                                         proc.stderr))
    return parse_key_values(proc.stdout)


def common(a, w, n):
    return ["--port", str(a.port), "--size", str(w["size"]), "--messages", str(n)]


RUNNERS = {
    "fern": lambda a, w, n: run_pinned([a.fern, "--test", w["test"], "--batch", str(BATCH)] + common(a, w, n)),
    "rabbitmq_c": lambda a, w, n: run_pinned([a.rabbitmq_c, "--test", w["test"]] + common(a, w, n)),
    "rabbitmq_c_batch": lambda a, w, n: run_pinned(
        [a.rabbitmq_c, "--test", "confirm_batch", "--batch", str(BATCH)] + common(a, w, n)),
    "pika": lambda a, w, n: run_pinned([a.python, a.pika_script, "--test", w["test"]] + common(a, w, n)),
}

LABELS = {"fern": "fern", "rabbitmq_c": "rabbitmq-c", "rabbitmq_c_batch": "rabbitmq-c batch",
          "pika": "pika"}


def workloads(quick):
    scale = 0.4 if quick else 1.0
    out = []
    for test in ("publish", "confirm", "consume"):
        for size, label in ((100, "100B"), (4096, "4KiB")):
            clients = ["fern", "rabbitmq_c", "pika"]
            if test == "confirm":
                clients = ["fern", "rabbitmq_c_batch", "rabbitmq_c", "pika"]
            n = {"publish": 15000, "confirm": 15000, "consume": 20000}[test]
            # Waiting for each confirm is a broker round trip with a disk sync behind it: ~500/s.
            each_n = 1000
            out.append(dict(name="%s_%s" % (test, label), test=test, size=size, clients=clients,
                            n={c: int((each_n if (test == "confirm" and c in ("rabbitmq_c", "pika")) else n) * scale)
                               for c in clients}))
    return out


def fill(a, w, n):
    run_pinned([a.rabbitmq_c, "--test", "fill"] + common(a, w, n))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--fern", required=True)
    p.add_argument("--rabbitmq-c", required=True)
    p.add_argument("--python", default="/usr/bin/python3")
    p.add_argument("--pika-script", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", required=True)
    p.add_argument("--machine", default=None, help="the MACHINE line (default: this machine's)")
    p.add_argument("--load-start", default="")
    a = p.parse_args()
    if a.machine is None:
        a.machine = machine_line()

    ws = workloads(a.quick)
    samples = {}  # (workload, client) -> list of dicts: rate, cpu, srv, busy
    for r in range(a.rounds):
        for w in ws:
            for client in round_order(r, w["clients"]):
                n = w["n"][client]
                # Each run starts on a queue reset outside its broker CPU sample: empty, or holding
                # exactly the N messages a consumer takes.
                if w["test"] == "consume":
                    fill(a, w, n)
                else:
                    run_pinned([a.rabbitmq_c, "--test", "purge"] + common(a, w, 1))
                wait_until_idle(a.server_pid)
                s0 = process_cpu_seconds(a.server_pid)
                res = RUNNERS[client](a, w, n)
                srv = process_cpu_seconds(a.server_pid) - s0
                if int(res["messages"]) != n:
                    sys.exit("bench/amqp: %s reported %d messages, expected %d" % (client, res["messages"], n))
                s = dict(rate=n / res["seconds"], cpu=res["cpu_seconds"] / n, srv=srv / n,
                         busy=srv / res["seconds"], syscalls=None)
                if "sends" in res:
                    s["syscalls"] = (res["sends"] + res["recvs"]) / n
                samples.setdefault((w["name"], client), []).append(s)
                print("round %d %-13s %-17s %8.0f msg/s %7.2f us/msg client CPU %6.1f us/msg broker, busy %.2f" % (
                    r + 1, w["name"], client, s["rate"], s["cpu"] * 1e6, s["srv"] * 1e6, s["busy"]),
                    file=sys.stderr, flush=True)
    write_report(a, ws, samples)


def med(samples, name, client, key):
    return median_of(samples.get((name, client), []), key)


def ratios(samples, name, client, peer, key, invert=False):
    """Same-round ratios fern/peer (invert: peer/fern, for costs): (median, min, max)."""
    return ratio_stats(paired_ratios(samples.get((name, client), []), samples.get((name, peer), []), key, invert))


NOTES = """## Reading the numbers

* Every message is persistent (delivery_mode 2) and goes to a durable queue through the default
  exchange, so the broker writes it to its message store; the broker (one Erlang VM on one core)
  is the limit of every loaded row, and messages/s are close for the clients that keep it busy.
  What separates the clients is their own CPU per message (`CPU µs`), measured on the client
  process alone (utime+stime of its timed part).
* publish: no confirms; a run ends when the queue holds all N messages (a passive queue.declare
  repeated every millisecond until its count is N), so the rate is what the broker took in, not
  what the client managed to write into a socket buffer.
* confirm: the same guarantee for every client: the run ends when the broker has acknowledged
  every message. pika's BlockingConnection in confirm mode waits for each message's basic.ack
  inside basic_publish (its only confirm API), rabbitmq-c is shown both waiting for each ack
  (`amqp_simple_wait_frame` after every publish) and with batches of %d publishes in flight (its
  API allows it: publish the batch, then read frames until the ack that covers the last tag).
  fern publishes batches of %d (each publish returns a Confirm at once) and calls
  `wait_for_confirms` per batch. Waiting per message costs a broker round trip with a disk sync
  behind it.
* consume: basic.qos prefetch 100, one basic.ack per message; the queue is filled with N
  messages (by rabbitmq-c, untimed, outside the broker CPU sample) before each consumer runs.
* Before each run the queue is reset outside the broker CPU sample (purged, or purged and filled
  for a consumer), and the driver waits (at most 10 s) until the broker is idle: under 5%% of a
  core for two 100 ms windows in a row. `srv µs/msg` is the broker's CPU from the client's connect to its exit over N;
  `busy` is that CPU over the timed part's wall time (1.00 = its whole core), so work the broker
  does for connecting, or still does after the run (writing its message store), can push it past
  1.00.
* Where `broker busy` is well below 1.00 the broker was not the limit: other work on the
  machine's two cores set the pace (see the load average above), and the rates and their ratios
  move with it; the CPU-per-message columns are the steadier comparison.
* `Options::max_pending_output` bounds how much a publish loop that never parks queues before
  the writer greenlet sends it. Under the client's earlier 4 MiB bound a side run (15000 × 100 B,
  medians of 4 alternating runs, not repeated by run.sh) measured such a loop at 1.81 µs/msg of
  client CPU and 115 µs/msg of broker CPU, against 0.43 and 92 when the same loop called
  `fern::sleep(0)` every 1000 publishes (rabbitmq-c: 6.02 and 90): the broker takes one huge
  burst less efficiently than a steady stream. The rows above use the 256 KiB bound.
""" % (BATCH, BATCH)


def write_report(a, ws, samples):
    lines = ["# bench/amqp: fern's RabbitMQ client vs rabbitmq-c and pika\n", "%s  \n" % a.machine]
    lines.append("Mode: %s, %d rounds alternating (order reversed every other round); rabbitmq-server on CPU 1, "
                 "every client on CPU 0; load average at start %s, at end %s.\n" % (
                     "quick" if a.quick else "full", a.rounds, a.load_start, load_average()))
    lines.append("Medians over rounds. msg/s = messages / timed seconds; CPU µs = client process CPU per message; "
                 "srv µs = broker CPU per message; busy = broker CPU / wall time. Ratios are medians of same-round "
                 "ratios (range in brackets), bigger is better for fern: rate fern/peer, CPU peer/fern.\n")
    lines.append("| workload | client | msg/s | CPU µs/msg | srv µs/msg | broker busy | syscalls/msg | "
                 "rate fern/peer | CPU peer/fern |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    ratio_lines = []
    for w in ws:
        n = w["name"]
        parts = ["RATIO amqp_%s" % n]
        for c in w["clients"]:
            sc = med(samples, n, c, "syscalls")
            row = "| %s | %s | %.0f | %.2f | %.1f | %.2f | %s |" % (
                n, LABELS[c], med(samples, n, c, "rate"), med(samples, n, c, "cpu") * 1e6,
                med(samples, n, c, "srv") * 1e6, med(samples, n, c, "busy"), "" if is_nan(sc) else "%.3f" % sc)
            if c == "fern":
                row += " — | — |"
            else:
                rr = ratios(samples, n, "fern", c, "rate")
                cr = ratios(samples, n, "fern", c, "cpu", invert=True)
                row += " %s | %s |" % (format_ratio_range(rr), format_ratio_range(cr))
                parts.append("fern/%s=%.2f cpu_%s/fern=%.2f" % (c, rr[0], c, cr[0]))
            lines.append(row)
        ratio_lines.append(" ".join(parts))
    lines.append("\n## Targets\n")
    lines += targets(ws, samples)
    lines.append("\n```\n" + "\n".join(ratio_lines) + "\n```\n")
    lines.append(NOTES)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def verdict(ok):
    return "**met**" if ok else "**not met**"


def targets(ws, samples):
    out = []
    for w in ws:
        n = w["name"]
        if w["test"] == "confirm":
            r = ratios(samples, n, "fern", "pika", "rate")
            out.append("* %s: confirmed publishing ≥ 10× pika's confirm-each rate: fern/pika = %s → %s" % (
                n, format_ratio_range(r), verdict(r[0] >= 10)))
        else:
            r = ratios(samples, n, "fern", "rabbitmq_c", "rate")
            out.append("* %s: ≥ 1.0× rabbitmq-c: fern/rabbitmq-c = %s → %s" % (
                n, format_ratio_range(r), verdict(r[0] >= 1.0)))
    for w in ws:
        n = w["name"]
        r = ratios(samples, n, "fern", "pika", "cpu", invert=True)
        out.append("* %s: client CPU per message ≤ 1/5 of pika's: pika/fern = %s → %s" % (
            n, format_ratio_range(r), verdict(r[0] >= 5)))
    return out


if __name__ == "__main__":
    main()
