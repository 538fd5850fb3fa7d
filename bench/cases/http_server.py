"""aiohttp server for the http benchmark: the same 100-route table as cases/_http_routes.mjs, on
127.0.0.1 (a free port). Prints "PORT <n>" once listening; serves until SIGTERM or until stdin closes
(the driver went away). On SIGUSR2 it collects garbage and prints "MEM <rss> 0".
Access logging is off (access_log=None): aiohttp 3.8 formats every access-log line even when the
logger would drop it. Idle keep-alive connections stay 75 s (aiohttp's default).
Usage: python3 cases/http_server.py <asyncio|uvloop>"""

import asyncio
import gc
import os
import signal
import sys

from aiohttp import web

if len(sys.argv) < 2 or sys.argv[1] not in ("asyncio", "uvloop"):
    sys.stderr.write("usage: python3 http_server.py <asyncio|uvloop>\n")
    sys.exit(2)
if sys.argv[1] == "uvloop":
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def route_table():
    """Mirror of routeTable() in _http_routes.mjs: (kind, k, path) in registration order."""
    fillers = []
    for k in range(97):
        if k % 4 == 0:
            fillers.append(("static", k, f"/static{k}/list"))
        elif k % 4 == 1:
            fillers.append(("param", k, f"/items{k}/{{id}}"))
        elif k % 4 == 2:
            fillers.append(("user-tail", k, f"/users/{{id}}/posts{k}"))
        else:
            fillers.append(("static", k, f"/api/v1/things{k}/all"))
    return [
        *fillers[:33],
        ("root", None, "/"),
        *fillers[33:65],
        ("user", None, "/users/{id}"),
        *fillers[65:],
        ("json", None, "/json"),
    ]


def handler(kind, k):
    if kind == "root":

        async def h(request):
            return web.Response(text="Hello, World!")

    elif kind == "json":

        async def h(request):
            return web.json_response({"hello": "world"})

    elif kind == "user":

        async def h(request):
            return web.Response(text=f"user {request.match_info['id']}")

    elif kind == "static":

        async def h(request):
            return web.Response(text=f"route {k}")

    else:

        async def h(request):
            return web.Response(text=f"route {k} {request.match_info['id']}")

    return h


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def main():
    app = web.Application()
    for kind, k, path in route_table():
        app.router.add_get(path, handler(kind, k))
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=75)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
    await site.start()
    print(f"PORT {site._server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def done():
        if not stop.done():
            stop.set_result(None)

    loop.add_signal_handler(signal.SIGTERM, done)

    def mem():
        gc.collect()
        print(f"MEM {rss()} 0", flush=True)

    loop.add_signal_handler(signal.SIGUSR2, mem)

    def stdin_readable():
        if not os.read(0, 4096):
            loop.remove_reader(0)
            done()

    loop.add_reader(0, stdin_readable)
    await stop
    await runner.cleanup()


asyncio.run(main())
