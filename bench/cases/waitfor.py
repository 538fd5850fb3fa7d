"""waitFor timeouts: n concurrent tasks, each `wait_for(sleep(10), 0.05)` that times out; all gathered.

Usage: /usr/bin/python3 cases/waitfor.py <asyncio|uvloop> [n=100000]
Warm-up with n/10 in this process, then one measured run. Reports wall time and peak RSS (CPython has
no cheap "heap used" figure, so peakHeapUsed is null). Prints one JSON line.
"""

import asyncio

from _common import collect, max_rss, now, parse_args, report, rss

contender, n, runtime = parse_args(100_000)


async def one():
    try:
        await asyncio.wait_for(asyncio.sleep(10), 0.05)
        return False
    except asyncio.TimeoutError:
        return True


async def main(count, peak):
    t0 = now()
    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await asyncio.sleep(0)  # let every task reach its wait_for
    peak[0] = max(peak[0], rss())
    results = await asyncio.gather(*tasks)
    ms = (now() - t0) * 1000
    assert len(results) == count and all(results)
    return ms


peak = [0]
asyncio.run(main(max(1, n // 10), peak))  # warm-up
collect()
start_rss = rss()
ms = asyncio.run(main(n, peak))
report(
    runtime,
    case="waitfor",
    contender=contender,
    n=n,
    ops=n,
    ms=ms,
    opsPerSec=n / ms * 1000,
    startRss=start_rss,
    peakRss=max(peak[0], max_rss()),
    startHeapUsed=None,
    peakHeapUsed=None,
)
