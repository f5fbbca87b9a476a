#!/usr/bin/python3
"""gevent peer of bench/echo: gevent's StreamServer, one greenlet per connection running the
textbook loop (recv up to 64 KiB, sendall it back). TCP_NODELAY is set as every other server in the
comparison sets it.

    gevent_echo.py [--port N] [--seconds S]     (port 0: any free port; printed on stdout)

Run with Debian's /usr/bin/python3 (python3-gevent: gevent 22, greenlet 2).
"""

import argparse
import signal
import socket

from gevent.server import StreamServer


def handle(sock, _address):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    recv = sock.recv
    sendall = sock.sendall
    try:
        while True:
            data = recv(65536)
            if not data:
                break
            sendall(data)
    except OSError:
        pass  # the client reset the connection: it is gone either way


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8007)
    parser.add_argument("--seconds", type=int, default=0)
    args = parser.parse_args()
    server = StreamServer(("127.0.0.1", args.port), handle, backlog=4096)
    server.start()
    print("listening on 127.0.0.1:%d" % server.server_port, flush=True)
    if args.seconds > 0:
        signal.alarm(args.seconds)  # SIGALRM's default action ends the process
    server.serve_forever()


if __name__ == "__main__":
    main()
