"""Lock: 10 tasks contending for one asyncio.Lock, n acquire/release pairs in total (n/10 each).

The critical section awaits asyncio.sleep(0): in CPython awaiting a plain coroutine or a done future does
not suspend, so without it the first task would take every turn and there would be no contention.

Usage: /usr/bin/python3 cases/lock.py <asyncio|uvloop> [n=100000]
One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
"""

import asyncio

from _common import collect, now, parse_args, report

contender, n, runtime = parse_args(100_000)
TASKS = 10
per_task = -(-n // TASKS)


async def main():
    t0 = now()
    lock = asyncio.Lock()
    inside = 0

    async def worker():
        nonlocal inside
        for _ in range(per_task):
            async with lock:
                await asyncio.sleep(0)
                inside += 1

    await asyncio.gather(*[asyncio.create_task(worker()) for _ in range(TASKS)])
    ms = (now() - t0) * 1000
    assert inside == TASKS * per_task
    return ms


asyncio.run(main())  # warm-up
collect()
ms = asyncio.run(main())
ops = TASKS * per_task
report(runtime, case="lock", contender=contender, n=ops, ops=ops, ms=ms, opsPerSec=ops / ms * 1000)
