#!/usr/bin/python3
"""asyncio peer of bench/echo: the standard event loop with a Protocol, asyncio's fastest idiomatic
form for an echo (no stream objects, no task per read): data_received writes the bytes straight
back; the transport sends at once and buffers only what the kernel does not take, and reading
pauses while that buffer is over its high-water mark. asyncio sets
TCP_NODELAY on its TCP transports itself.

    asyncio_echo.py [--port N] [--seconds S]     (port 0: any free port; printed on stdout)

Run with Debian's /usr/bin/python3.
"""

import argparse
import asyncio
import signal


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    # Flow control: while the client does not read its echo, stop reading its requests, so the
    # send buffer cannot grow without bound (this is what a stream's drain() does).
    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()


async def serve(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", port, backlog=4096)
    print("listening on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8007)
    parser.add_argument("--seconds", type=int, default=0)
    args = parser.parse_args()
    if args.seconds > 0:
        signal.alarm(args.seconds)  # SIGALRM's default action ends the process
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
