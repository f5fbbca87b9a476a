"""The PyMySQL peer of bench/mysql: PyMySQL under gevent (monkey-patched sockets), C greenlets,
each with its own connection, running sysbench's point select (`SELECT c FROM sbtest1 WHERE id=%s`
with a uniformly random id; PyMySQL interpolates the value client-side, it has no server-side
prepared statements) for a fixed time. Prints the same line as bench_mysql_point_select:
queries=N seconds=S cpu_seconds=U."""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import pymysql  # noqa: E402


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3306)
    p.add_argument("--user", default="root")
    p.add_argument("--db", default="sbtest")
    p.add_argument("--callers", type=int, default=1)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--table-size", type=int, default=10000)
    a = p.parse_args()
    conns = [pymysql.connect(host=a.host, port=a.port, user=a.user, database=a.db, charset="utf8mb4",
                             autocommit=True) for _ in range(a.callers)]
    go = gevent.event.Event()
    state = {"stop": False, "queries": 0}

    def caller(conn, seed):
        rng = random.Random(seed)
        cur = conn.cursor()
        go.wait()
        n = 0
        while not state["stop"]:
            cur.execute("SELECT c FROM sbtest1 WHERE id=%s", (rng.randint(1, a.table_size),))
            if len(cur.fetchall()) != 1:
                raise RuntimeError("id not found")
            n += 1
        state["queries"] += n

    def timer():
        go.wait()
        gevent.sleep(a.seconds)
        state["stop"] = True

    greenlets = [gevent.spawn(caller, c, i + 1) for i, c in enumerate(conns)]
    t = gevent.spawn(timer)
    gevent.sleep(0.001)
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    go.set()
    gevent.joinall(greenlets, raise_error=True)
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    t.join()
    print("queries=%d seconds=%.6f cpu_seconds=%.6f" % (state["queries"], seconds, cpu))


if __name__ == "__main__":
    main()
