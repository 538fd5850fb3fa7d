"""gather: N trivial tasks created together and gathered.

Usage: /usr/bin/python3 cases/gather.py <asyncio|uvloop> [n=100000]
One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
"""

import asyncio

from _common import collect, now, parse_args, report

contender, n, runtime = parse_args(100_000)


async def body(i):
    return i


async def main():
    t0 = now()
    results = await asyncio.gather(*[asyncio.create_task(body(i)) for i in range(n)])
    ms = (now() - t0) * 1000
    assert len(results) == n and results[-1] == n - 1
    return ms


asyncio.run(main())  # warm-up
collect()
ms = asyncio.run(main())
report(runtime, case="gather", contender=contender, n=n, ops=n, ms=ms, opsPerSec=n / ms * 1000)
