"""aiohttp WebSocket echo server for the ws benchmark, on 127.0.0.1 (a free port): GET /ws upgrades,
each text message is echoed with send_str, each binary one with send_bytes. Prints "PORT <n>" once
listening; serves until SIGTERM or until stdin closes (the driver went away). Access logging is off.
The clients never offer permessage-deflate, so nothing is compressed.
Usage: python3 cases/ws_server.py <asyncio|uvloop>"""

import asyncio
import os
import signal
import sys

from aiohttp import WSMsgType, web

if len(sys.argv) < 2 or sys.argv[1] not in ("asyncio", "uvloop"):
    sys.stderr.write("usage: python3 ws_server.py <asyncio|uvloop>\n")
    sys.exit(2)
if sys.argv[1] == "uvloop":
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def echo(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def main():
    app = web.Application()
    app.router.add_get("/ws", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=1)
    await site.start()
    print(f"PORT {site._server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def done():
        if not stop.done():
            stop.set_result(None)

    loop.add_signal_handler(signal.SIGTERM, done)

    def stdin_readable():
        if not os.read(0, 4096):
            loop.remove_reader(0)
            done()

    loop.add_reader(0, stdin_readable)
    await stop
    await runner.cleanup()


asyncio.run(main())
