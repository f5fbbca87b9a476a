"""Drives bench/redis rounds (called by run.sh with a running redis-server): every workload is run
by fern's client, redis-benchmark and redis-py under gevent, once per round, alternating the order
each round; prints RATIO lines and writes the Markdown table. Requests/s and client CPU time per
command (utime+stime of the client process) are reported as medians; comparisons are medians of
per-round ratios, stated so that bigger is better for fern."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from benchlib import (TIME_PREFIX, load_average, machine_line, median_of, median_ratio,  # noqa: E402
                      parse_key_values, pin_load, process_cpu_seconds, round_order, time_cpu_seconds)


def run_fern(a, w, n):
    out = subprocess.run(
        pin_load([a.fern, "--port", str(a.port), "--test", w["test"], "--callers", str(w["c"]),
                  "--connections", str(w["conns"]), "--pipeline", str(w["P"]), "--size", str(w["d"]),
                  "--requests", str(n)]),
        check=True, capture_output=True, text=True).stdout
    r = parse_key_values(out)
    return r["requests"] / r["seconds"], r["cpu_seconds"] / r["requests"], (r["sends"] + r["recvs"]) / r["requests"]


def run_redis_benchmark(a, w, n):
    proc = subprocess.run(
        TIME_PREFIX + pin_load(["redis-benchmark", "-h", "127.0.0.1", "-p", str(a.port), "-c", str(w["c"]),
                                "-P", str(w["P"]), "-d", str(w["d"]), "-t", w["test"], "-n", str(n), "--csv"]),
        check=True, capture_output=True, text=True)
    rps = None
    for line in proc.stdout.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if cells and cells[0] == w["test"].upper():
            rps = float(cells[1])
    return rps, time_cpu_seconds(proc.stderr) / n, None


def run_redis_py(a, w, n):
    out = subprocess.run(
        pin_load([a.python, a.py_script, "--port", str(a.port), "--test", w["test"], "--callers", str(w["c"]),
                  "--pipeline", str(w["P"]), "--size", str(w["d"]), "--requests", str(n)]),
        check=True, capture_output=True, text=True).stdout
    r = parse_key_values(out)
    return r["requests"] / r["seconds"], r["cpu_seconds"] / r["requests"], None


NOTES = """## Reading the numbers

* Client and server share a 2-core machine with other work, so req/s moves between rounds; the
  client CPU per command (and its ratio) is the steadier figure. `srv µs` shows whether the server
  was the limit: where fern and redis-benchmark load it the same per command and req/s are equal,
  the server (one core) set the pace and the client comparison is the CPU column.
* 1 caller, pipeline 1 is a latency test: each command waits a full round trip including the
  server's own ~30 µs of CPU here, so every client's req/s is diluted by the same server and
  scheduler time; fern's own cost is ~2 syscalls (send, recv) per command plus a share of
  epoll_wait.
* 50 callers with automatic pipelining on one connection send each hub turn's commands in one
  write and read the replies in one recv (0.04 syscalls per command for small values).
* Pipelines of 1 KiB GETs allocate one arena per reply; with 50 connections x 16 replies alive at
  once, glibc's heap trimming (brk shrink and regrow, page faults) costs a visible share of the
  client's CPU. Setting `MALLOC_TRIM_THRESHOLD_=67108864` for the fern process cut its CPU per
  command by about a quarter in a side run; the table uses default malloc settings.
"""

RUNNERS = {"fern": run_fern, "redis_benchmark": run_redis_benchmark, "redis_py": run_redis_py}


def workloads(quick):
    scale = 0.25 if quick else 1.0
    out = []
    for d in (3, 1024):
        for c in (1, 50):
            for P in (1, 16):
                for test in ("set", "get"):
                    n = (20000 if c == 1 else 60000) * (10 if P == 16 else 1)
                    out.append(dict(name="%s_%dB_c%d_P%d" % (test, d, c, P), test=test, d=d, c=c, P=P, conns=c,
                                    n=int(n * scale), py_n=int(n * scale / (10 if P == 1 else 20)),
                                    clients=["fern", "redis_benchmark", "redis_py"]))
        for test in ("set", "get"):
            # 50 callers on ONE connection: automatic pipelining, compared with redis-benchmark's
            # unpipelined 50 connections (the same workload row as c50_P1).
            out.append(dict(name="%s_%dB_c50_auto" % (test, d), test=test, d=d, c=50, P=1, conns=1,
                            n=int(200000 * scale), py_n=0, clients=["fern"]))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--fern", required=True)
    p.add_argument("--python", default="/usr/bin/python3")
    p.add_argument("--py-script", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", required=True)
    p.add_argument("--machine", default=None, help="the MACHINE line (default: this machine's)")
    p.add_argument("--load-start", default="")
    a = p.parse_args()
    if a.machine is None:
        a.machine = machine_line()

    ws = workloads(a.quick)
    samples = {}  # (workload, client) -> list of (rps, cpu_per_req, server_cpu_per_req, syscalls_per_req)
    for r in range(a.rounds):
        for w in ws:
            for client in round_order(r, w["clients"]):
                n = w["py_n"] if client == "redis_py" else w["n"]
                s0 = process_cpu_seconds(a.server_pid)
                rps, cpu, syscalls = RUNNERS[client](a, w, n)
                srv = (process_cpu_seconds(a.server_pid) - s0) / n
                samples.setdefault((w["name"], client), []).append((rps, cpu, srv, syscalls))
                print("round %d %-22s %-16s %10.0f req/s %7.2f us/cmd client CPU%s" % (
                    r + 1, w["name"], client, rps, cpu * 1e6,
                    "" if syscalls is None else "  %.2f syscalls/cmd" % syscalls), file=sys.stderr, flush=True)

    def med(name, client, i):
        return median_of(samples.get((name, client), []), i)

    def ratio(name, a_client, b_client, i, invert=False):
        return median_ratio(samples.get((name, a_client), []), samples.get((name, b_client), []), i, invert)

    lines = []
    lines.append("# bench/redis: fern's Redis client vs redis-benchmark and redis-py + gevent\n")
    lines.append("%s  \n" % a.machine)
    lines.append("Mode: %s, %d rounds alternating (order reversed every other round); redis-server 7 on CPU 1, "
                 "every client on CPU 0; load average at start %s, at end %s.\n" % (
                     "quick" if a.quick else "full", a.rounds, a.load_start, load_average()))
    lines.append("Workload as `redis-benchmark -t get|set -c C -P P -d D` (one key, `key:__rand_int__`). "
                 "fern: C caller greenlets over a pool of C connections (P > 1: explicit Pipeline of P). "
                 "redis-py 4.3 under gevent: C greenlets, BlockingConnectionPool of C. "
                 "CPU = client process utime+stime per command (redis-benchmark: /usr/bin/time, including its "
                 "start-up); srv = redis-server CPU per command. Ratios are medians of per-round ratios, "
                 "bigger is better for fern: req/s fern/peer, CPU peer/fern.\n")
    lines.append("| workload | fern req/s | redis-benchmark req/s | redis-py req/s | fern/rb | fern/py | "
                 "fern CPU µs | rb CPU µs | py CPU µs | CPU rb/fern | CPU py/fern | fern syscalls/cmd | srv µs (fern/rb) |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratio_lines = []
    for w in ws:
        n = w["name"]
        if "auto" in n:
            continue
        f_rps, rb_rps, py_rps = med(n, "fern", 0), med(n, "redis_benchmark", 0), med(n, "redis_py", 0)
        lines.append("| %s | %.0f | %.0f | %.0f | %.2f | %.1f | %.2f | %.2f | %.1f | %.2f | %.1f | %.2f | %.1f / %.1f |" % (
            n, f_rps, rb_rps, py_rps, ratio(n, "fern", "redis_benchmark", 0), ratio(n, "fern", "redis_py", 0),
            med(n, "fern", 1) * 1e6, med(n, "redis_benchmark", 1) * 1e6, med(n, "redis_py", 1) * 1e6,
            ratio(n, "fern", "redis_benchmark", 1, True), ratio(n, "fern", "redis_py", 1, True),
            med(n, "fern", 3), med(n, "fern", 2) * 1e6, med(n, "redis_benchmark", 2) * 1e6))
        ratio_lines.append("RATIO redis_%s fern/redis_benchmark=%.2f fern/redis_py=%.2f cpu_redis_benchmark/fern=%.2f "
                           "cpu_redis_py/fern=%.2f" % (n, ratio(n, "fern", "redis_benchmark", 0),
                                                       ratio(n, "fern", "redis_py", 0),
                                                       ratio(n, "fern", "redis_benchmark", 1, True),
                                                       ratio(n, "fern", "redis_py", 1, True)))
    lines.append("\n## Automatic pipelining: 50 callers on one connection, no explicit pipeline\n")
    lines.append("Compared with redis-benchmark's unpipelined run at the same 50 callers (`-c 50 -P 1`, "
                 "50 connections), measured in the same rounds.\n")
    lines.append("| workload | fern 1 conn req/s | redis-benchmark -c 50 -P 1 req/s | fern/rb | fern CPU µs | "
                 "rb CPU µs | fern syscalls/cmd |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for w in ws:
        n = w["name"]
        if "auto" not in n:
            continue
        peer = n.replace("auto", "P1")
        r = median_ratio(samples[(n, "fern")], samples[(peer, "redis_benchmark")], 0)
        lines.append("| %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.3f |" % (
            n, med(n, "fern", 0), med(peer, "redis_benchmark", 0), r, med(n, "fern", 1) * 1e6,
            med(peer, "redis_benchmark", 1) * 1e6, med(n, "fern", 3)))
        ratio_lines.append("RATIO redis_%s fern_auto/redis_benchmark_P1=%.2f" % (n, r))
    lines.append("\n```\n" + "\n".join(ratio_lines) + "\n```\n")
    lines.append(NOTES)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
