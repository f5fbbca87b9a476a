"""Summarizes bench/http/run.sh results: medians per server with the server's busy share, medians
of per-round ratios, the targets, RATIO lines on stdout and the markdown report."""
import argparse
import collections
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib  # noqa: E402  (bench/lib: the protocol's shared pieces)

TARGETS = [  # (fern variant, peer, metric, minimum ratio, text)
    ("fern", "nginx", "rps", 1.0, "fern/epoll requests/s >= 1.0x nginx"),
    ("fern", "nginx", "cpu", 1.2, "fern/epoll CPU per request: nginx/fern >= 1.2"),
    ("fern_uring", "nginx", "cpu", 1.1, "fern/io_uring CPU per request: nginx/fern >= 1.1"),
    ("fern", "pywsgi", "rps", 10.0, "fern/epoll requests/s >= 10x gevent.pywsgi"),
]
FERNS = ["fern", "fern_uring"]
PEERS = ["nginx", "pywsgi"]

READING = """## Reading the keep-alive rows

fern and nginx make the same system calls per keep-alive request (one recv, one send, one epoll wait
per ~60 requests; `strace -c`), and `perf` puts 83-85 % of both servers' CPU in the kernel's loopback
TCP path. The CPU-per-request ratio can therefore move only by the userland share (fern about 12 %,
nginx about 17 %): a 1.2x advantage over nginx there would need fern's userland to cost nothing. With
wrk alone on CPU 0 of a loaded machine, keep-alive requests/s measures the load generator as much as
the servers: nginx/pywsgi lands near 7x here, not the 11x of an idle machine, which caps fern/pywsgi
the same way while the CPU ratio (fern about 12-14x cheaper than pywsgi) holds. Pipelined, one recv
and one send serve 16 requests and userland decides; nginx answers pipelined requests with one write
each and does not enable TCP_NODELAY on a connection that always has a pipelined request buffered,
so it is also stalled by Nagle there. Details: docs/design/servers.md.
"""


def parse(path):
    runs = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 4:
                continue
            fields = dict(p.split("=", 1) for p in parts[3:])
            runs.append((parts[0], int(parts[1]), parts[2], fields))
    return runs


def main():
    ap = argparse.ArgumentParser()
    for name in ["results", "notes", "out", "machine", "versions", "mode", "rounds", "seconds", "started", "load",
                 "pinned"]:
        ap.add_argument("--" + name, required=True)
    a = ap.parse_args()
    # workload -> server -> round -> (rps, cpu_us_per_request, errors, busy share)
    data = collections.defaultdict(lambda: collections.defaultdict(dict))
    order = []
    for workload, rnd, server, f in parse(a.results):
        if workload not in order:
            order.append(workload)
        requests = int(f["requests"])
        seconds = float(f["seconds"])
        cpu_s = float(f["cpu_s"])
        data[workload][server][rnd] = (requests / seconds, cpu_s * 1e6 / requests, int(f.get("errors", "0") or 0),
                                       cpu_s / seconds)

    lines = []
    ratio_lines = []
    target_rows = []
    table = ["| workload | server | requests/s (median) | server CPU µs/request (median) | server CPU busy | errors |",
             "|---|---|---:|---:|---:|---:|"]
    pairs = [(f, p) for f in FERNS for p in PEERS] + [("fern_uring", "fern")]
    ratio_table = ["| workload | " + " | ".join(f"{f}/{p} req/s | {p}/{f} CPU per req" for f, p in pairs) + " |",
                   "|---|" + "---:|---:|" * len(pairs)]
    for w in order:
        for server in FERNS + PEERS:
            rounds = data[w].get(server)
            if not rounds:
                continue
            rps = statistics.median(v[0] for v in rounds.values())
            cpu = statistics.median(v[1] for v in rounds.values())
            busy = statistics.median(v[3] for v in rounds.values())
            errors = sum(v[2] for v in rounds.values())
            table.append(f"| {w} | {server} | {rps:,.0f} | {cpu:.2f} | {busy * 100:.0f}% | {errors} |")
        ratios = {}
        for f_name, peer in pairs:
            both = [r for r in data[w].get(f_name, {}) if r in data[w].get(peer, {})]
            if not both:
                continue
            f = [{"rps": data[w][f_name][r][0], "cpu": data[w][f_name][r][1]} for r in both]
            p = [{"rps": data[w][peer][r][0], "cpu": data[w][peer][r][1]} for r in both]
            ratios[(f_name, peer, "rps")] = benchlib.median_ratio(f, p, "rps")
            ratios[(f_name, peer, "cpu")] = benchlib.median_ratio(f, p, "cpu", invert=True)
        cells = []
        for f_name, peer in pairs:
            for metric in ["rps", "cpu"]:
                v = ratios.get((f_name, peer, metric))
                cells.append("n/a" if v is None else f"{v:.2f}")
        ratio_table.append(f"| {w} | " + " | ".join(cells) + " |")
        parts = []
        for (f_name, peer, metric), v in ratios.items():
            parts.append(f"{f_name}/{peer}={v:.2f}" if metric == "rps" else f"cpu_{peer}/{f_name}={v:.2f}")
        ratio_lines.append(f"RATIO http_{w} " + " ".join(parts))
        for f_name, peer, metric, minimum, text in TARGETS:
            v = ratios.get((f_name, peer, metric))
            verdict = "n/a" if v is None else ("met" if v >= minimum else "NOT met")
            shown = "n/a" if v is None else f"{v:.2f}"
            target_rows.append(f"| {w} | {text} | {shown} | {verdict} |")

    print(a.machine)
    for l in table + [""] + ratio_table:
        print(l)
    for l in ratio_lines:
        print(l)

    notes = open(a.notes).read().strip()
    with open(a.out, "w") as out:
        out.write("# bench/http: fern's HTTP server vs nginx and gevent.pywsgi\n\n")
        out.write("Generated by `bench/http/run.sh`" + (" --quick" if a.mode == "quick" else "") + f" ({a.started}).\n\n")
        out.write(f"- {a.machine}\n- {a.versions}\n")
        out.write(f"- load average (1/5/15 min) before / after: {a.load}; servers pinned to CPU 1 and wrk to CPU 0: {a.pinned}\n")
        out.write(f"- {a.rounds} alternating rounds of {a.seconds} s per server and workload (order reversed every "
                  "other round), after a 1 s warm-up; `wrk -t1`, response body \"hello\".\n")
        out.write("- Servers: fern `examples/http_hello` (Release) on the epoll driver (`fern`) and on io_uring "
                  "(`fern_uring`, completion-based socket I/O), nginx with one worker, `master_process off`, "
                  "`access_log off`, `return 200 \"hello\"`; gevent.pywsgi with TCP_NODELAY "
                  "(`bench/http/pywsgi_hello.py`).\n")
        out.write("- CPU per request: the server's CPU time over the run (utime+stime of all its threads at "
                  "nanosecond precision, /proc/PID/task/*/schedstat), divided by the responses wrk counted; "
                  "busy share = that CPU time / the run's length. A row counts as measured at saturation only "
                  "near 90% busy or more: below that wrk, not the server, set the pace. Ratios are medians of "
                  "per-round ratios, stated so that bigger is better for fern.\n\n")
        if notes:
            out.write("Notes: " + notes.replace("\n", "; ") + "\n\n")
        out.write("## Medians\n\n" + "\n".join(table) + "\n\n## Ratios\n\n" + "\n".join(ratio_table) + "\n\n")
        out.write("## Targets\n\n| workload | target | ratio | verdict |\n|---|---|---:|---|\n")
        out.write("\n".join(target_rows) + "\n\n")
        out.write("```\n" + "\n".join(ratio_lines) + "\n```\n\n")
        out.write(READING)


if __name__ == "__main__":
    main()
