"""The Python peers of bench/http_client: C gevent greenlets fetch one URL N times in total, after
gevent.monkey.patch_all(). --mode urllib uses urllib.request.urlopen, which opens a new connection
for every request (urllib sends "Connection: close"); --mode httpclient keeps one persistent
http.client.HTTPConnection per greenlet, the fair peer of a keep-alive client. Prints
  requests=N seconds=S cpu_seconds=C connections=K errors=E bytes=B
with cpu_seconds from getrusage(RUSAGE_SELF) over the measured run."""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import http.client  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402

import gevent  # noqa: E402


def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--mode", choices=("urllib", "httpclient"), required=True)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--requests", type=int, default=1000)
    a = p.parse_args()
    parts = urllib.parse.urlsplit(a.url)
    state = {"started": 0, "errors": 0, "bytes": 0, "connections": 0}

    def urllib_worker():
        while state["started"] < a.requests:
            state["started"] += 1
            try:
                with urllib.request.urlopen(a.url) as r:
                    state["bytes"] += len(r.read())
                state["connections"] += 1
            except Exception as e:  # noqa: BLE001
                state["errors"] += 1
                if state["errors"] == 1:
                    print("gevent_client:", e, file=sys.stderr)

    def httpclient_worker():
        conn = None
        while state["started"] < a.requests:
            state["started"] += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(parts.hostname, parts.port)
                    state["connections"] += 1
                conn.request("GET", parts.path or "/")
                r = conn.getresponse()
                state["bytes"] += len(r.read())
                if r.will_close:
                    conn.close()
                    conn = None
            except Exception as e:  # noqa: BLE001
                state["errors"] += 1
                conn = None
                if state["errors"] == 1:
                    print("gevent_client:", e, file=sys.stderr)

    worker = urllib_worker if a.mode == "urllib" else httpclient_worker
    c0, t0 = cpu(), time.monotonic()
    gevent.joinall([gevent.spawn(worker) for _ in range(a.concurrency)])
    seconds, cpu_seconds = time.monotonic() - t0, cpu() - c0
    print("requests=%d seconds=%.6f cpu_seconds=%.6f connections=%d errors=%d bytes=%d"
          % (a.requests, seconds, cpu_seconds, state["connections"], state["errors"], state["bytes"]))
    return 0 if state["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
