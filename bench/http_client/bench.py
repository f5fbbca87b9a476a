"""Drives bench/http_client rounds (called by run.sh with nginx running): each workload is run by
fern's client, gevent + http.client (persistent connections), gevent + urllib (a connection per
request) and wrk (a C load generator, the reference of what one core can drive), once per round, the
order reversed every other round. Reports medians of requests/s and of client CPU time per request
(utime+stime of the client process), and medians of per-round ratios stated so that bigger is better
for fern. Prints RATIO lines and writes the Markdown results."""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from benchlib import (TIME_PREFIX, load_average, median_of, median_ratio, parse_key_values, pin_load,  # noqa: E402
                      round_order, time_cpu_seconds)


def run_fern(a, c, n):
    out = subprocess.run(pin_load([a.fern, "--url", a.url, "--concurrency", str(c), "--requests", str(n)]),
                         check=True, capture_output=True, text=True).stdout
    r = parse_key_values(out)
    return r["requests"] / r["seconds"], r["cpu_seconds"] / r["requests"], int(r["connections"])


def run_python(mode):
    def run(a, c, n):
        out = subprocess.run(pin_load([a.python, a.py_script, "--mode", mode, "--url", a.url, "--concurrency", str(c),
                                       "--requests", str(n)]),
                             check=True, capture_output=True, text=True).stdout
        r = parse_key_values(out)
        return r["requests"] / r["seconds"], r["cpu_seconds"] / r["requests"], int(r["connections"])
    return run


def run_wrk(a, c, seconds):
    proc = subprocess.run(TIME_PREFIX + pin_load(["wrk", "-t1", "-c", str(c), "-d", "%ds" % max(1, round(seconds)),
                                                  a.url]), check=True, capture_output=True, text=True)
    total = int(re.search(r"(\d+) requests in", proc.stdout).group(1))
    rps = float(re.search(r"Requests/sec:\s*([0-9.]+)", proc.stdout).group(1))
    return rps, time_cpu_seconds(proc.stderr) / total, c


CLIENTS = {
    "fern": ("fern::http::Client (keep-alive)", run_fern),
    "gevent_httpclient": ("gevent + http.client (persistent)", run_python("httpclient")),
    "gevent_urllib": ("gevent + urllib (new connection per request)", run_python("urllib")),
    "wrk": ("wrk -t1 (reference, C)", run_wrk),
}
PEERS = ["gevent_httpclient", "gevent_urllib", "wrk"]


def main():
    p = argparse.ArgumentParser()
    for name in ("url", "fern", "python", "py_script", "out", "machine", "load_start"):
        p.add_argument("--" + name.replace("_", "-"), dest=name, required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    scale = 0.25 if a.quick else 1.0
    sizes = {  # requests per run (wrk: seconds)
        "fern": {1: 20000, 50: 60000},
        "gevent_httpclient": {1: 4000, 50: 6000},
        "gevent_urllib": {1: 1500, 50: 2000},
        "wrk": {1: 2.0, 50: 2.0},
    }
    results = {}
    for c in (1, 50):
        samples = {k: [] for k in CLIENTS}
        for rnd in range(a.rounds):
            for k in round_order(rnd, CLIENTS):
                n = sizes[k][c] * scale if k != "wrk" else max(0.5, sizes[k][c] * scale)
                samples[k].append(CLIENTS[k][1](a, c, int(n) if k != "wrk" else n))
                print("round %d c=%d %s: %.0f req/s, %.2f us CPU/req" % (rnd, c, k, samples[k][-1][0],
                                                                       samples[k][-1][1] * 1e6), file=sys.stderr)
        results[c] = samples

    lines, ratio_lines = [], []
    for c, samples in results.items():
        lines.append("\n### %d concurrent request%s (keep-alive where the client supports it)\n" % (c, "s" * (c > 1)))
        lines.append("| client | requests/s | client CPU µs/request | connections opened |")
        lines.append("|---|---:|---:|---:|")
        for k, (label, _) in CLIENTS.items():
            rps = median_of(samples[k], 0)
            cpu = median_of(samples[k], 1)
            conns = samples[k][-1][2]
            lines.append("| %s | %.0f | %.2f | %d |" % (label, rps, cpu * 1e6, conns))
        rps_ratios, cpu_ratios = [], []
        for peer in PEERS:
            rr = median_ratio(samples["fern"], samples[peer], 0)
            cr = median_ratio(samples["fern"], samples[peer], 1, invert=True)
            rps_ratios.append("fern/%s=%.2f" % (peer, rr))
            cpu_ratios.append("fern/%s=%.2f" % (peer, cr))
        ratio_lines.append("RATIO http_client_hello_c%d_rps %s" % (c, " ".join(rps_ratios)))
        ratio_lines.append("RATIO http_client_hello_c%d_cpu_per_request %s" % (c, " ".join(cpu_ratios)))
        lines.append("\nRatios (median of per-round ratios; > 1 means fern is better): requests/s %s; "
                     "CPU per request (peer/fern) %s.\n" % (", ".join(rps_ratios), ", ".join(cpu_ratios)))
    for line in ratio_lines:
        print(line)
    load_end = load_average()
    with open(a.out, "w") as f:
        f.write(HEADER.format(machine=a.machine, rounds=a.rounds, load_start=a.load_start, load_end=load_end,
                              quick=" (--quick)" if a.quick else ""))
        f.write("\n".join(lines))
        f.write("\n```\n%s\n```\n" % "\n".join(ratio_lines))
        f.write(NOTES)


HEADER = """# HTTP client: fern vs gevent clients, against nginx

`bench/http_client/run.sh{quick}`: nginx (one worker, access log off, `return 200 "hello"`) on CPU 1;
every client on CPU 0, one thread, fetching `GET /hello` with C concurrent greenlets (C = 1 and 50)
and a fixed number of requests per run. {rounds} rounds, the order of the clients reversed every other
round; figures are medians, ratios are medians of per-round ratios. Client CPU time is the client
process's user+system time (getrusage, or /usr/bin/time for wrk) divided by the requests it made.

`{machine}`; load average {load_start} at the start, {load_end} at the end (other engineers build
on the same two cores, so wall-clock figures are noisy; CPU per request is the steadier measure).
"""

NOTES = """
Notes:
* `urllib.request.urlopen` sends `Connection: close` and opens a new TCP connection for every
  request (no keep-alive in the standard library's opener), so its row pays a connect and a close
  per request; gevent + `http.client` with one persistent `HTTPConnection` per greenlet is the fair
  peer of fern's keep-alive pool.
* wrk is not a client library: it is the C load generator of BENCH.md, shown as the reference of what
  one core can drive against this nginx. wrk runs for a fixed time rather than a fixed count.
* fern keeps up to C idle connections (max_idle_per_host = C) and opens at most one per greenlet; its
  warm-up request's connection is reused by the measured run, so "connections opened" is C.
"""

if __name__ == "__main__":
    main()
