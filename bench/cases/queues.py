"""Bounded queue: n items through asyncio.Queue(maxsize=100), one producer task and one consumer task.

Usage: /usr/bin/python3 cases/queues.py <asyncio|uvloop> [n=1000000]
One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
Named queues.py, not queue.py: a queue.py next to the script would shadow the stdlib module (uvloop imports it).
"""

import asyncio

from _common import collect, now, parse_args, report

contender, n, runtime = parse_args(1_000_000)


async def produce(q, count):
    for i in range(count):
        await q.put(i)


async def consume(q, count):
    total = 0
    for _ in range(count):
        total += await q.get()
    return total


async def main():
    t0 = now()
    q = asyncio.Queue(maxsize=100)
    _, total = await asyncio.gather(asyncio.create_task(produce(q, n)), asyncio.create_task(consume(q, n)))
    ms = (now() - t0) * 1000
    assert total == n * (n - 1) // 2
    return ms


asyncio.run(main())  # warm-up
collect()
ms = asyncio.run(main())
report(runtime, case="queue", contender=contender, n=n, ops=n, ms=ms, opsPerSec=n / ms * 1000)
