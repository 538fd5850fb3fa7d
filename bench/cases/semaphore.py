"""Semaphore: n trivial jobs (a plain `async def` that returns), at most 10 running at once, all gathered.

Usage: /usr/bin/python3 cases/semaphore.py <asyncio|uvloop> [n=100000]
One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
"""

import asyncio

from _common import collect, now, parse_args, report

contender, n, runtime = parse_args(100_000)


async def job():
    return 1


async def limited(sem):
    async with sem:
        return await job()


async def main():
    t0 = now()
    sem = asyncio.Semaphore(10)
    results = await asyncio.gather(*[asyncio.create_task(limited(sem)) for _ in range(n)])
    ms = (now() - t0) * 1000
    assert len(results) == n and all(r == 1 for r in results)
    return ms


asyncio.run(main())  # warm-up
collect()
ms = asyncio.run(main())
report(runtime, case="semaphore", contender=contender, n=n, ops=n, ms=ms, opsPerSec=n / ms * 1000)
