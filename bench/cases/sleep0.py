"""sleep(0) ping-pong: 2 concurrent tasks, each awaiting asyncio.sleep(0) n times. Reports yields/s.

Usage: /usr/bin/python3 cases/sleep0.py <asyncio|uvloop> [n=250000]
One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
"""

import asyncio

from _common import collect, now, parse_args, report

contender, n, runtime = parse_args(250_000)


async def loop(count):
    for _ in range(count):
        await asyncio.sleep(0)


async def main():
    t0 = now()
    await asyncio.gather(asyncio.create_task(loop(n)), asyncio.create_task(loop(n)))
    return (now() - t0) * 1000


asyncio.run(main())  # warm-up
collect()
ms = asyncio.run(main())
report(runtime, case="sleep0", contender=contender, n=n, ops=2 * n, ms=ms, opsPerSec=2 * n / ms * 1000)
