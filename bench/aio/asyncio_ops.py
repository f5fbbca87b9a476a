#!/usr/bin/python3
"""asyncio's side of bench/aio: prints nanoseconds per operation for one operation.

usage: asyncio_ops.py sleep0|spawn_join N

sleep0: two tasks each awaiting asyncio.sleep(0) N times (per yield).
spawn_join: create_task of an empty coroutine and await it, N times (per spawn+join).
"""
import asyncio
import sys
import time


async def sleep0(n):
    async def loop():
        for _ in range(n):
            await asyncio.sleep(0)
    t0 = time.perf_counter()
    await asyncio.gather(loop(), loop())
    return (time.perf_counter() - t0) / (2 * n)


async def spawn_join(n):
    async def nothing():
        pass
    t0 = time.perf_counter()
    for _ in range(n):
        await asyncio.create_task(nothing())
    return (time.perf_counter() - t0) / n


def main():
    op, n = sys.argv[1], int(sys.argv[2])
    seconds = asyncio.run({"sleep0": sleep0, "spawn_join": spawn_join}[op](n))
    print("%.1f" % (seconds * 1e9))


if __name__ == "__main__":
    main()
