"""Line-echo server with asyncio streams (readline + write + drain). Prints "PORT <n>", serves until SIGTERM.
On SIGUSR2 prints "MEM <rss> 0" (for the idle-connections measurement).
Usage: python3 cases/stream_server.py <asyncio|uvloop>"""

import asyncio
import gc
import os
import signal
import sys

if len(sys.argv) < 2 or sys.argv[1] not in ("asyncio", "uvloop"):
    sys.stderr.write("usage: python3 stream_server.py <asyncio|uvloop>\n")
    sys.exit(2)
if sys.argv[1] == "uvloop":
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def handle(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            writer.write(line)
            await writer.drain()
    except Exception:
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=20000)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))

    def mem():
        gc.collect()
        print(f"MEM {rss()} 0", flush=True)

    loop.add_signal_handler(signal.SIGUSR2, mem)
    await stop


asyncio.run(main())
