#!/usr/bin/python3
"""Python greenlet and gevent peer of bench/switch; one measurement per process, one number printed.

    greenlet_switch.py versions         greenlet and gevent versions
    greenlet_switch.py switch N         ns per switch: two greenlets switching to each other N times
    greenlet_switch.py spawn N          ns per greenlet(fn).switch() of a function that returns at once
    greenlet_switch.py rss N            bytes of RSS per parked gevent greenlet: N x
                                        gevent.spawn(gevent.sleep, 1000), then gevent.sleep(0)

Run with Debian's /usr/bin/python3 (python3-gevent brings greenlet 2 and gevent 22).
"""

import os
import sys
import time


def versions():
    import greenlet

    line = "greenlet " + greenlet.__version__
    try:
        import gevent

        line += ", gevent " + gevent.__version__
    except ImportError:
        pass
    print(line)


def switch(n):
    from greenlet import greenlet

    round_trips = n // 2
    result = []

    def a():
        b_switch = gb.switch
        b_switch()  # first start of b, outside the timed loop
        start = time.perf_counter_ns()
        for _ in range(round_trips):
            b_switch()
        result.append((time.perf_counter_ns() - start) / (2 * round_trips))

    def b():
        a_switch = ga.switch
        while True:
            a_switch()

    ga = greenlet(a)
    gb = greenlet(b)
    ga.switch()
    print("%.1f" % result[0])


def spawn(n):
    from greenlet import greenlet

    def body():
        pass

    greenlet(body).switch()
    start = time.perf_counter_ns()
    for _ in range(n):
        greenlet(body).switch()
    print("%.1f" % ((time.perf_counter_ns() - start) / n))


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def parked_rss(n):
    import gevent

    gevent.sleep(0)  # the hub and its loop exist before the baseline
    before = resident_bytes()
    parked = [gevent.spawn(gevent.sleep, 1000) for _ in range(n)]
    gevent.sleep(0)  # every greenlet starts and parks in its sleep
    after = resident_bytes()
    assert all(not g.dead for g in parked)
    print("%.1f" % ((after - before) / n))
    sys.stdout.flush()
    os._exit(0)  # tearing down n greenlets measures nothing


def main(argv):
    if len(argv) == 2 and argv[1] == "versions":
        versions()
        return 0
    if len(argv) != 3 or argv[1] not in ("switch", "spawn", "rss"):
        print(__doc__, file=sys.stderr)
        return 2
    n = int(argv[2])
    {"switch": switch, "spawn": spawn, "rss": parked_rss}[argv[1]](n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
