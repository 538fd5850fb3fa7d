"""aiohttp's client for the `client` benchmark, on CPython + uvloop (Debian's python3-aiohttp and
python3-uvloop). Started by cases/client.mjs (which runs the server and inherits the client pinning to
this process): one `aiohttp.ClientSession()` (its defaults: a TCPConnector keeping connections alive,
limit 100), `async with session.get(url) as r: body = await r.read()`; sequentially, then with
`concurrency` in flight (that many tasks sharing one counter, gathered). Every response's status (200)
and body (b"Hello, World!") is checked. A warm-up of `warm` requests in each mode, then each mode timed
after a GC. Prints one JSON line: per mode { ms, rps, serverCpu, clientCpu } (shares of a core).
Usage: python3 cases/client.py <port> <n> <warm> <concurrency> <server pid>"""

import asyncio
import gc
import json
import platform
import sys
import time

import aiohttp
import uvloop

EXPECTED = b"Hello, World!"
CLK_TCK = 100  # Linux USER_HZ


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split(" ")  # fields from 3 on
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def check(status, body):
    if status != 200 or body != EXPECTED:
        raise RuntimeError(f"bad response: status {status}, body {body[:80]!r}")


async def main(url, n, warm, concurrency, server_pid):
    async with aiohttp.ClientSession() as session:

        async def seq(k):
            done = 0
            for _ in range(k):
                async with session.get(url) as r:
                    body = await r.read()
                check(r.status, body)
                done += 1
            return done

        async def par(k):
            issued = 0
            done = 0

            async def worker():
                nonlocal issued, done
                while issued < k:
                    issued += 1
                    async with session.get(url) as r:
                        body = await r.read()
                    check(r.status, body)
                    done += 1

            await asyncio.gather(*[asyncio.create_task(worker()) for _ in range(concurrency)])
            return done

        await seq(warm)
        await par(warm)
        modes = {}
        for mode, fn in (("seq", seq), ("c50", par)):
            gc.collect()
            cpu0 = cpu_seconds(server_pid)
            own0 = time.process_time()
            t0 = time.perf_counter()
            done = await fn(n)
            secs = time.perf_counter() - t0
            own = time.process_time() - own0
            if done != n:
                raise RuntimeError(f"{mode}: {done} of {n} requests completed")
            modes[mode] = {
                "ms": secs * 1000,
                "rps": n / secs,
                "serverCpu": (cpu_seconds(server_pid) - cpu0) / secs,
                "clientCpu": own / secs,
            }
        return modes


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.stderr.write("usage: python3 cases/client.py <port> <n> <warm> <concurrency> <server pid>\n")
        sys.exit(2)
    port, n, warm, concurrency, server_pid = (int(a) for a in sys.argv[1:])
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    modes = asyncio.run(main(f"http://127.0.0.1:{port}/", n, warm, concurrency, server_pid))
    out = {
        "modes": modes,
        "version": f"aiohttp {aiohttp.__version__}",
        "runtime": f"cpython {platform.python_version()} + uvloop {uvloop.__version__}",
    }
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
