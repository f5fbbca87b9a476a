"""gevent's side of bench/hub: prints nanoseconds per operation for one operation.

usage: gevent_hub_ops.py sleep0|spawn_join|event|queue N
"""
import sys
import time

import gevent
from gevent.event import Event
from gevent.queue import Queue


def sleep0(n):
    def loop():
        for _ in range(n):
            gevent.sleep(0)
    a, b = gevent.spawn(loop), gevent.spawn(loop)
    t0 = time.perf_counter()
    gevent.joinall([a, b])
    return (time.perf_counter() - t0) / (2 * n)


def spawn_join(n):
    def nothing():
        pass
    t0 = time.perf_counter()
    for _ in range(n):
        gevent.spawn(nothing).join()
    return (time.perf_counter() - t0) / n


def event(n):
    ping, pong = Event(), Event()

    def a():
        for _ in range(n):
            ping.set()
            pong.wait()
            pong.clear()

    def b():
        for _ in range(n):
            ping.wait()
            ping.clear()
            pong.set()
    ga, gb = gevent.spawn(a), gevent.spawn(b)
    t0 = time.perf_counter()
    gevent.joinall([ga, gb])
    return (time.perf_counter() - t0) / (2 * n)


def queue(n):
    there, back = Queue(), Queue()

    def a():
        for i in range(n):
            there.put(i)
            back.get()

    def b():
        for _ in range(n):
            back.put(there.get())
    ga, gb = gevent.spawn(a), gevent.spawn(b)
    t0 = time.perf_counter()
    gevent.joinall([ga, gb])
    return (time.perf_counter() - t0) / (2 * n)


if __name__ == "__main__":
    op, n = sys.argv[1], int(sys.argv[2])
    print("%.1f" % (globals()[op](n) * 1e9))
