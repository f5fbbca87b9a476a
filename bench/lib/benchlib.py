"""bench/lib/benchlib.py: what the Python bench drivers share, so the protocol of
docs/design/benchmarks.md is written once (bench/lib/harness.sh is its shell side): the CPU time of
a process, the key=value lines every client prints, the alternating round order, medians of
per-round ratios and how they are printed, the machine line and a free loopback port.

A driver beside a run.sh imports it with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    import benchlib

and harness.sh runs it as a command for the one thing the shell cannot do alone:

    benchlib.py free-port        prints a TCP port free on 127.0.0.1

Only the standard library: the drivers run under whatever /usr/bin/python3 the machine has.
"""
import glob
import math
import os
import platform
import re
import shutil
import socket
import statistics
import sys

# The load (every client the drivers start) runs on CPU 0, servers on CPU 1 (harness.sh pins them).
LOAD_CPU = "0"

# Prefix for a command whose own CPU time is wanted and that does not report it itself
# (redis-benchmark, sysbench, wrk): /usr/bin/time prints wall, user and system seconds on stderr.
TIME_PREFIX = ["/usr/bin/time", "-f", "TIME %e %U %S"]

_KEY_VALUE = re.compile(r"(\w+)=([0-9.]+(?:[eE][-+]?[0-9]+)?)")
_TIME_LINE = re.compile(r"TIME ([0-9.]+) ([0-9.]+) ([0-9.]+)")


def process_cpu_seconds(pid):
    """CPU time (user + system) the process has used so far, all its threads together.

    Read at nanosecond precision from /proc/PID/task/*/schedstat (its first field is the thread's
    time on a CPU): a run of a second or two moves the tick counters of /proc/PID/stat only by a few
    hundred ticks, too coarse for per-request figures. A thread that exits between two readings takes
    its time with it, so this suits servers that keep their threads (redis-server, nginx with one
    worker, beam's schedulers, mariadbd's thread cache). Falls back to utime+stime from
    /proc/PID/stat (every thread, dead ones included, at tick precision) where schedstat is missing.
    """
    total_ns, read_any = 0, False
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(path) as f:
                total_ns += int(f.read().split()[0])
            read_any = True
        except (OSError, ValueError, IndexError):
            pass  # the thread exited while we were listing them
    if read_any:
        return total_ns / 1e9
    with open("/proc/%d/stat" % pid) as f:
        # The command name (field 2) may hold spaces or ')'; the fields after its last ')' are fixed.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parse_key_values(text):
    """{key: float} from the `key=value ...` line(s) a bench client prints (requests=, seconds=,
    cpu_seconds=, ...); values that are not numbers (mode=pingpong, a version 7.0.15) are left out."""
    out = {}
    for k, v in _KEY_VALUE.findall(text):
        try:
            out[k] = float(v)
        except ValueError:
            pass
    return out


def time_cpu_seconds(stderr):
    """User + system seconds from the TIME line TIME_PREFIX leaves on stderr."""
    m = _TIME_LINE.search(stderr)
    if not m:
        raise ValueError("no /usr/bin/time line in: %s" % stderr[-300:])
    return float(m.group(2)) + float(m.group(3))


def pin_load(argv):
    """argv run on the load CPU, as harness.sh pins its load: only where taskset exists and there
    is more than one CPU to keep the load apart from the server."""
    if shutil.which("taskset") and len(os.sched_getaffinity(0)) > 1:
        return ["taskset", "-c", LOAD_CPU] + list(argv)
    return list(argv)


def round_order(round_index, names):
    """The names in the order round `round_index` (from 0) runs them: as given in even rounds,
    reversed in odd ones (A B C, C B A, ...), so no side always runs first or after the same
    neighbour. harness.sh's round_order does the same with rounds counted from 1."""
    names = list(names)
    return names if round_index % 2 == 0 else names[::-1]


def _value(sample, key):
    if sample is None:
        return None
    return sample[key]


def median_of(samples, key):
    """Median of sample[key] over the samples that have it (None where a side did not run or a
    figure does not apply); NaN when none has."""
    values = [v for v in (_value(s, key) for s in samples) if v is not None]
    return statistics.median(values) if values else float("nan")


def paired_ratios(subject, peer, key, invert=False):
    """Per-round ratios subject/peer of sample[key] (invert: peer/subject, for costs, so that above
    1 still favours the subject). subject[i] and peer[i] are the same round's samples; only rounds
    where both sides ran (neither is None, nor its value None or zero) give a ratio."""
    out = []
    for s, p in zip(subject, peer):
        x, y = _value(s, key), _value(p, key)
        if x is None or y is None:
            continue
        num, den = (y, x) if invert else (x, y)
        if den:
            out.append(num / den)
    return out


def ratio_stats(ratios):
    """(median, min, max) of per-round ratios; NaNs when there are none."""
    if not ratios:
        nan = float("nan")
        return nan, nan, nan
    return statistics.median(ratios), min(ratios), max(ratios)


def median_ratio(subject, peer, key, invert=False):
    """The median of paired_ratios: the figure every comparison and RATIO line reports."""
    return ratio_stats(paired_ratios(subject, peer, key, invert))[0]


def format_ratio_range(stats):
    """(median, min, max) as `1.23 (1.10–1.31)`."""
    return "%.2f (%.2f–%.2f)" % tuple(stats)


def format_range(values):
    """The spread of per-round ratios as `1.10-1.31` (no spaces, so it fits a RATIO line)."""
    if not values:
        return "nan-nan"
    return "%.2f-%.2f" % (min(values), max(values))


def load_average():
    """The 1-minute load average as /proc/loadavg prints it: how busy the shared machine was."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine_line(**versions):
    """`MACHINE nproc=N kernel=K cpu="MODEL"`, then key=value for each version given; the same line
    harness.sh's machine_line prints, which starts every results file."""
    # nproc counts the CPUs this process may run on, as the shell's nproc does.
    line = 'MACHINE nproc=%d kernel=%s cpu="%s"' % (len(os.sched_getaffinity(0)), platform.release(), cpu_model())
    return line + "".join(" %s=%s" % kv for kv in versions.items())


def free_port():
    """A TCP port nothing listens on at 127.0.0.1 right now, for servers that cannot be told to
    pick their own (--port 0) and report it. The socket is closed before the server binds it, so
    another process could take it in between; on a bench machine that does not happen."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_nan(value):
    return isinstance(value, float) and math.isnan(value)


def main(argv):
    if len(argv) == 2 and argv[1] == "free-port":
        print(free_port())
        return 0
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
