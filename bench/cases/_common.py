"""Shared helpers for the CPython case scripts (stdlib + uvloop only)."""

import asyncio
import gc
import json
import os
import platform
import resource
import sys
import time


def parse_args(default_n):
    """`python3 cases/x.py <asyncio|uvloop> [n]` -> (contender, n); installs uvloop's policy if asked."""
    if len(sys.argv) < 2 or sys.argv[1] not in ("asyncio", "uvloop"):
        sys.stderr.write(f"usage: python3 {sys.argv[0]} <asyncio|uvloop> [n]\n")
        sys.exit(2)
    contender = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else default_n
    runtime = f"cpython {platform.python_version()}"
    if contender == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        runtime += f" + uvloop {uvloop.__version__}"
    return contender, n, runtime


def collect():
    gc.collect()


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def max_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


now = time.perf_counter


def report(runtime, **fields):
    fields["runtime"] = runtime
    fields["maxRss"] = max_rss()
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()
