#!/usr/bin/env python3
"""bench/soak/soak.py: the soak's driver (bench/soak/run.sh starts it). Runs the waves against
fern's echo and HTTP servers while sampling their memory and descriptors, then the million-greenlet
program; judges every criterion, prints PASS/FAIL lines and writes bench/results/soak.md with the
plots beside it.

    soak.py --build DIR --out bench/results/soak.md [--quick]

For each server (examples/echo_server, examples/http_hello; the epoll driver, the default):
start it on CPU 1 with the descriptor limit raised to the hard limit, let it idle (the baseline:
the median of its samples over the last seconds of the idle), then three waves: bench_soak_load
(CPU 0) opens N connections, sends R requests per second over them for D seconds, closes them all;
an idle gap follows, whose last samples are the wave's "after" figures. A sampler thread reads
VmRSS (/proc/PID/status) and the number of open descriptors (/proc/PID/fd) every 0.5 s throughout.

Criteria, per server: every wave has zero errors and all N connections up; after every wave the
descriptors are back to the baseline and RSS is within 1% of it; RSS after the last wave is within
1% of RSS after the first (no growth across waves). Million greenlets: all of them parked at once in
every wave; after every wave RSS is back within 2% of the wave's peak growth above the baseline,
and does not grow from wave to wave (1%).
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib  # noqa: E402


def status_kib(pid, key="VmRSS"):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


class Sampler(threading.Thread):
    """(t, rss_kib, fds) of one process every `period` seconds, t from `origin`."""

    def __init__(self, pid, origin, period=0.5):
        super().__init__(daemon=True)
        self.pid, self.origin, self.period = pid, origin, period
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            rss, fds = status_kib(self.pid), open_fds(self.pid)
            if rss is not None and fds is not None:
                self.samples.append((time.monotonic() - self.origin, rss, fds))
            self.stopping.wait(self.period)

    def settled(self, since, column):
        """The median of a column over the samples taken after `since` (seconds from origin)."""
        values = [s[column] for s in self.samples if s[0] >= since]
        return statistics.median(values) if values else None


def pinned(cpu, argv):
    return (["taskset", "-c", cpu] + argv) if shutil.which("taskset") and os.cpu_count() > 1 else argv


def start_server(argv):
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not m:
        p.kill()
        raise RuntimeError("%s did not start: %s %s" % (argv[0], line, p.stderr.read()[:300]))
    return p, int(m.group(1))


def soak_server(name, argv, args, loadgen, origin):
    """One server: baseline, the waves, the gaps. Returns a dict with everything measured."""
    server, port = start_server(pinned("1", argv))
    sampler = Sampler(server.pid, origin)
    sampler.start()
    out = {"name": name, "waves": [], "sampler": sampler, "start": time.monotonic() - origin}
    time.sleep(args.idle)
    out["baseline_rss"] = sampler.settled(time.monotonic() - origin - args.idle / 2, 1)
    out["baseline_fds"] = sampler.settled(time.monotonic() - origin - args.idle / 2, 2)
    proto = "http" if name == "http" else "echo"
    for wave in range(1, args.waves + 1):
        begin = time.monotonic() - origin
        cmd = pinned("0", [loadgen, "--port", str(port), "--proto", proto, "--conns", str(args.conns),
                           "--rate", str(args.rate), "--seconds", str(args.seconds),
                           "--connect-rate", str(args.connect_rate)])
        cpu_before = benchlib.process_cpu_seconds(server.pid)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.seconds + 120)
        end = time.monotonic() - origin
        busy = (benchlib.process_cpu_seconds(server.pid) - cpu_before) / max(end - begin, 1e-9)
        kv = benchlib.parse_key_values(r.stdout)
        if r.returncode != 0 or "errors" not in kv:
            kv.setdefault("errors", float("nan"))
            print("soak: %s wave %d: load generator failed: %s" % (name, wave, (r.stderr or r.stdout)[:300]),
                  file=sys.stderr)
        during = [s for s in sampler.samples if begin <= s[0] <= end]
        time.sleep(args.gap)
        after_from = time.monotonic() - origin - min(2.0, args.gap / 2)
        kv.update(wave=wave, begin=begin, end=end, busy=busy,
                  peak_rss=max((s[1] for s in during), default=None),
                  peak_fds=max((s[2] for s in during), default=None),
                  after_rss=sampler.settled(after_from, 1), after_fds=sampler.settled(after_from, 2))
        out["waves"].append(kv)
        print("soak: %s wave %d: %s" % (name, wave, r.stdout.strip()), file=sys.stderr)
        if server.poll() is not None:
            print("soak: %s died: %s" % (name, server.stderr.read()[:300]), file=sys.stderr)
            break
    out["end"] = time.monotonic() - origin
    sampler.stopping.set()
    sampler.join()
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    out["stderr"] = server.stderr.read()[:2000]
    return out


def run_million(binary, args):
    cmd = pinned("1", [binary, "--greenlets", str(args.greenlets), "--waves", str(args.waves)])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    stages, samples, limit = [], [], {}
    for line in r.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        kv = dict(item.split("=", 1) for item in rest.split() if "=" in item)
        if kind == "STAGE":
            stages.append(kv)
        elif kind == "SAMPLE":
            samples.append((float(kv["t"]), int(kv["rss_kib"])))
        elif kind == "LIMIT":
            limit = kv
    return {"stages": stages, "samples": samples, "limit": limit, "returncode": r.returncode}


def within(value, reference, fraction):
    return value is not None and reference is not None and abs(value - reference) <= fraction * reference


def judge_server(s, conns):
    checks = []
    for w in s["waves"]:
        ok = w.get("errors") == 0 and w.get("connected") == conns
        checks.append(("%s wave %d: %d/%d connected, %s errors" % (
            s["name"], w["wave"], w.get("connected", 0), conns, fmt_num(w.get("errors"))), ok))
        checks.append(("%s wave %d: descriptors after %s vs baseline %s (1%%)" % (
            s["name"], w["wave"], fmt_num(w["after_fds"]), fmt_num(s["baseline_fds"])),
            within(w["after_fds"], s["baseline_fds"], 0.01)))
        checks.append(("%s wave %d: RSS after %s KiB vs baseline %s KiB (1%%)" % (
            s["name"], w["wave"], fmt_num(w["after_rss"]), fmt_num(s["baseline_rss"])),
            within(w["after_rss"], s["baseline_rss"], 0.01)))
    if len(s["waves"]) > 1:
        first, last = s["waves"][0], s["waves"][-1]
        checks.append(("%s: RSS after the last wave %s KiB vs after the first %s KiB (no growth, 1%%)" % (
            s["name"], fmt_num(last["after_rss"]), fmt_num(first["after_rss"])),
            last["after_rss"] is not None and first["after_rss"] is not None
            and last["after_rss"] <= first["after_rss"] * 1.01))
    return checks


def judge_million(m, greenlets):
    checks = []
    stages = m["stages"]
    base = next((int(s["rss_kib"]) for s in stages if s["stage"] == "baseline"), None)
    finished = []
    for s in stages:
        if s["stage"] == "parked":
            checks.append(("million wave %s: %s greenlets parked at once" % (s["wave"], s["alive"]),
                           int(s["alive"]) == greenlets))
            peak = int(s["rss_kib"])
        elif s["stage"] == "idle" and base is not None:
            after = int(s["rss_kib"])
            finished.append(after)
            growth = max(peak - base, 1)
            checks.append(("million wave %s: RSS after %d KiB, baseline %d KiB: %.2f%% of the peak's growth "
                           "(%d KiB) left (2%%)" % (s["wave"], after, base, 100.0 * (after - base) / growth,
                                                   peak - base), after - base <= 0.02 * growth))
    if len(finished) > 1:
        checks.append(("million: RSS after the last wave %d KiB vs after the first %d KiB (no growth, 1%%)" % (
            finished[-1], finished[0]), finished[-1] <= finished[0] * 1.01))
    if m["returncode"] != 0:
        checks.append(("million: exited with status %d" % m["returncode"], False))
    return checks


def fmt_num(v):
    if v is None:
        return "-"
    if isinstance(v, float) and v != v:
        return "nan"
    return "%d" % v if float(v).is_integer() else "%.1f" % v


def plot(servers, million, png_servers, png_million):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("soak: matplotlib missing (python3-matplotlib): no plots", file=sys.stderr)
        return False
    fig, axes = plt.subplots(2, len(servers), figsize=(6 * len(servers), 6), squeeze=False, sharex="col")
    for col, s in enumerate(servers):
        samples = s["sampler"].samples
        t = [x[0] - s["start"] for x in samples]
        ax_rss, ax_fd = axes[0][col], axes[1][col]
        ax_rss.plot(t, [x[1] / 1024 for x in samples], color="#1565c0", linewidth=1)
        ax_fd.plot(t, [x[2] for x in samples], color="#2e7d32", linewidth=1)
        for ax in (ax_rss, ax_fd):
            for w in s["waves"]:
                ax.axvspan(w["begin"] - s["start"], w["end"] - s["start"], color="#eeeeee", zorder=0)
        ax_rss.axhline(s["baseline_rss"] / 1024, color="black", linewidth=0.6, linestyle="--")
        ax_fd.axhline(s["baseline_fds"], color="black", linewidth=0.6, linestyle="--")
        ax_rss.set_title("%s server: RSS (MiB); waves shaded, baseline dashed" % s["name"], fontsize=9)
        ax_fd.set_title("%s server: open descriptors" % s["name"], fontsize=9)
        ax_fd.set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(png_servers, dpi=90)
    plt.close(fig)
    if million and million["samples"]:
        fig, ax = plt.subplots(figsize=(9, 3.5))
        ax.plot([x[0] for x in million["samples"]], [x[1] / 1024 for x in million["samples"]], color="#1565c0")
        ax.set_xlabel("seconds")
        ax.set_ylabel("RSS (MiB)")
        ax.set_title("million greenlets: RSS while each wave spawns, parks and finishes them", fontsize=9)
        fig.tight_layout()
        fig.savefig(png_million, dpi=90)
        plt.close(fig)
    return True


def write_report(path, args, servers, million, checks, machine, drew):
    base = os.path.splitext(os.path.basename(path))[0]
    lines = ["# Soak: many connections for a long time, a million greenlets", ""]
    if drew:
        lines += ["![RSS and descriptors over time](%s.png)" % base, ""]
    lines += [
        "Generated by `./run soak` (bench/soak/run.sh, bench/soak/soak.py); do not edit by hand. How to",
        "read it: docs/design/soak.md.", "",
        "`%s`" % machine, "",
        "Mode: %s. Per server: %d waves of %d connections held for %g s at %g requests/s in all"
        " (opened %g per second), %g s idle after each; descriptor limit %d (hard %d)." % (
            "quick" if args.quick else "full", args.waves, args.conns, args.seconds, args.rate,
            args.connect_rate, args.gap, resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            resource.getrlimit(resource.RLIMIT_NOFILE)[1]), "",
        "## Servers", "",
        "| server | wave | connected | requests | replies/s | late | max latency ms | errors | server busy"
        " | RSS KiB baseline / peak / after | descriptors baseline / peak / after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for s in servers:
        for w in s["waves"]:
            lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %.0f%% | %s / %s / %s | %s / %s / %s |" % (
                s["name"], w["wave"], fmt_num(w.get("connected")), fmt_num(w.get("requests")),
                fmt_num(w.get("rate")), fmt_num(w.get("late")), fmt_num(w.get("max_latency_ms")),
                fmt_num(w.get("errors")), 100 * w["busy"], fmt_num(s["baseline_rss"]), fmt_num(w["peak_rss"]),
                fmt_num(w["after_rss"]), fmt_num(s["baseline_fds"]), fmt_num(w["peak_fds"]),
                fmt_num(w["after_fds"])))
    if million:
        lines += ["", "## A million greenlets", ""]
        if drew and million["samples"]:
            lines += ["![RSS over the million-greenlet waves](%s_million.png)" % base, ""]
        lines += ["| wave | stage | alive | RSS KiB | mappings | seconds |", "|---:|---|---:|---:|---:|---:|"]
        for st in million["stages"]:
            lines.append("| %s | %s | %s | %s | %s | %s |" % (st["wave"], st["stage"], st["alive"], st["rss_kib"],
                                                           st["maps"], st["seconds"]))
        if million["limit"]:
            lim = million["limit"]
            lines += ["", "Guarded stacks (the default mode): %s greenlets alive at once, then the kernel refused"
                      " a mapping (%s refused in the last batch); %s mappings in use, vm.max_map_count %s." % (
                          lim.get("alive"), lim.get("refused"), lim.get("maps"), lim.get("max_map_count"))]
    lines += ["", "## Verdict", ""]
    for text, ok in checks:
        lines.append("- %s %s" % ("PASS" if ok else "**FAIL**", text))
    for s in servers:
        if s["stderr"].strip():
            lines += ["", "%s server's stderr: `%s`" % (s["name"], s["stderr"].strip().replace("\n", " / ")[:500])]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--machine", default="")
    args = ap.parse_args()
    if args.quick:
        args.conns, args.seconds, args.rate, args.waves, args.gap, args.idle = 2000, 5, 2000, 3, 4, 3
        args.greenlets = 100000
    else:
        args.conns, args.seconds, args.rate, args.waves, args.gap, args.idle = 10000, 60, 10000, 3, 8, 4
        args.greenlets = 1000000
    args.connect_rate = 5000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.conns + 64
    if hard != resource.RLIM_INFINITY and hard < need:
        sys.exit("soak: the descriptor hard limit (%d) is below the %d the servers need" % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers and the loadgen

    b = args.build
    loadgen = os.path.join(b, "bench/soak/bench_soak_load")
    million_bin = os.path.join(b, "bench/soak/bench_soak_million")
    servers_argv = [
        ("echo", [os.path.join(b, "examples/echo_server"), "--port", "0", "--driver", "epoll", "--seconds", "3600"]),
        ("http", [os.path.join(b, "examples/http_hello"), "--port", "0", "--driver", "epoll", "--seconds", "3600"]),
    ]
    origin = time.monotonic()
    servers, checks = [], []
    for name, argv in servers_argv:
        print("soak: %s server, %d waves of %d connections" % (name, args.waves, args.conns), file=sys.stderr)
        s = soak_server(name, argv, args, loadgen, origin)
        servers.append(s)
        checks += judge_server(s, args.conns)
    print("soak: %d greenlets, %d waves" % (args.greenlets, args.waves), file=sys.stderr)
    million = run_million(million_bin, args)
    checks += judge_million(million, args.greenlets)

    base, _ = os.path.splitext(args.out)
    drew = plot(servers, million, base + ".png", base + "_million.png")
    write_report(args.out, args, servers, million, checks, args.machine, drew)
    for text, ok in checks:
        print("%s %s" % ("PASS" if ok else "FAIL", text))
    failed = sum(1 for _, ok in checks if not ok)
    print("SOAK %s (%d of %d checks failed)" % ("PASS" if failed == 0 else "FAIL", failed, len(checks)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
