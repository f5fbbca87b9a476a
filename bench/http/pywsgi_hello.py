"""gevent.pywsgi hello-world server, the Python peer of bench/http.

pywsgi writes the head and the body of a response in two sends; with Nagle's algorithm and the
client's delayed ACK that caps it near 2K requests/s, so TCP_NODELAY is set on every connection, as
nginx and fern do (see BENCH.md).

    pywsgi_hello.py [--port N] [--seconds S]

Prints "listening on 127.0.0.1:PORT" once it accepts connections.
"""
import argparse
import socket
import sys

from gevent import pywsgi, spawn_later


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


class NoDelayServer(pywsgi.WSGIServer):
    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--seconds", type=float, default=0)
    args = parser.parse_args()
    server = NoDelayServer(("127.0.0.1", args.port), hello, log=None, backlog=4096)
    server.start()
    print("listening on 127.0.0.1:%d" % server.server_port, flush=True)
    if args.seconds > 0:
        spawn_later(args.seconds, server.stop, 1)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
