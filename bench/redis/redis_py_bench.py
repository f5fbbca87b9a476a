"""The redis-py peer of bench/redis: redis-py under gevent (monkey-patched sockets), C greenlets,
each sending batches of P commands (P > 1: a non-transactional pipeline), GET or SET of a d-byte
value on redis-benchmark's key, N commands in all, over a pool of C connections. Prints the same
line as bench_redis_client: requests=N seconds=S cpu_seconds=U."""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import redis  # noqa: E402


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--test", default="get")
    p.add_argument("--callers", type=int, default=1)
    p.add_argument("--pipeline", type=int, default=1)
    p.add_argument("--size", type=int, default=3)
    p.add_argument("--requests", type=int, default=20000)
    a = p.parse_args()
    pool = redis.BlockingConnectionPool(host="127.0.0.1", port=a.port, max_connections=a.callers)
    client = redis.Redis(connection_pool=pool)
    key = "key:__rand_int__"
    value = b"x" * a.size
    gevent.joinall([gevent.spawn(client.set, key, value) for _ in range(a.callers)], raise_error=True)
    batches = max(1, a.requests // a.callers // a.pipeline)

    def caller():
        if a.pipeline == 1:
            op = (lambda: client.set(key, value)) if a.test == "set" else (lambda: client.get(key))
            for _ in range(batches):
                op()
            return
        pipe = client.pipeline(transaction=False)
        for _ in range(batches):
            for _ in range(a.pipeline):
                if a.test == "set":
                    pipe.set(key, value)
                else:
                    pipe.get(key)
            pipe.execute()

    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    gevent.joinall([gevent.spawn(caller) for _ in range(a.callers)], raise_error=True)
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    print("requests=%d seconds=%.6f cpu_seconds=%.6f" % (batches * a.callers * a.pipeline, seconds, cpu))


if __name__ == "__main__":
    main()
