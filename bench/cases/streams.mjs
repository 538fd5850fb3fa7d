// Streams benchmark driver: starts one line-echo server (pinned to BENCH_SERVER_CPU, default 0) and
// drives it from this process (the runner pins it to another core) with a raw node:net client.
// Usage: node cases/streams.mjs <server> <pipelined|rtt|idle> [n] [lines per write]
//   server: net-raw | net-write | net-cork | net-batch | net-async | aiots | aiots-gen | cpython | uvloop
//   pipelined  n 64-byte lines written back to back, the 64 KiB-write load generator: 1 024 lines per
//              socket write (the optional last argument changes it), back-pressure respected; lines/s.
//              Smaller writes make the corked node:net baseline bimodal here (~0.8 or ~2.5 M lines/s).
//   rtt        n request/response round trips of one 64-byte line; round trips/s
//   idle       n idle connections held (each echoed one line, so the server's handler is running);
//              reports the server's RSS growth per connection over the second half (bytesPerConn)
//              and over all of them (bytesPerConnAll, which includes one-time heap growth)
import { spawn } from "node:child_process";
import net from "node:net";
import { createInterface } from "node:readline";
import { report, threadCpu } from "./_common.mjs";

const SERVERS = [
  "net-raw",
  "net-write",
  "net-cork",
  "net-batch",
  "net-async",
  "aiots",
  "aiots-gen",
  "cpython",
  "uvloop",
];
const MODES = { pipelined: 1_000_000, rtt: 100_000, idle: 10_000 };
const [server, mode, nArg, perWriteArg] = process.argv.slice(2);
if (!SERVERS.includes(server) || !(mode in MODES)) {
  process.stderr.write(`usage: node streams.mjs <${SERVERS.join("|")}> <pipelined|rtt|idle> [n]\n`);
  process.exit(2);
}
const n = nArg === undefined ? MODES[mode] : Number(nArg);
const LINES_PER_WRITE = perWriteArg === undefined ? 1024 : Number(perWriteArg);
if (!Number.isInteger(n) || n <= 0 || !Number.isInteger(LINES_PER_WRITE) || LINES_PER_WRITE <= 0) {
  process.stderr.write(`bad n or lines per write: ${nArg} ${perWriteArg}\n`);
  process.exit(2);
}
const LINE = Buffer.from(`${"x".repeat(63)}\n`);
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? "0";
const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";

function startServer() {
  const py = server === "cpython" || server === "uvloop";
  const cmd = py
    ? [PYTHON, "cases/stream_server.py", server === "cpython" ? "asyncio" : "uvloop"]
    : [process.execPath, "--expose-gc", "cases/stream_server.mjs", server];
  const pinned = process.env.BENCH_NO_TASKSET ? cmd : ["taskset", "-c", SERVER_CPU, ...cmd];
  const child = spawn(pinned[0], pinned.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const pending = [];
  const waiting = [];
  lines.on("line", (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else pending.push(l);
  });
  const nextLine = () =>
    pending.length > 0 ? Promise.resolve(pending.shift()) : new Promise((r) => waiting.push(r));
  return { child, nextLine };
}

/**
 * The server process's CPU time so far (ms, all its threads; `null` where /proc is missing). `taskset`
 * execs the server, so the child's pid is the server's. In `rtt` this is the figure that shows a
 * server's cost per round trip when the round trips are bound by the loopback's latency, as they are
 * on this project's VM on some days: the throughput of every server is then the same.
 */
function serverCpuMs(pid) {
  const t = threadCpu(pid);
  return t === null ? null : (t.main + t.other) / 1e6;
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => resolve(s));
    s.once("error", reject);
  });
}

async function pipelined(port) {
  const sock = await connect(port);
  const total = n * LINE.length;
  const block = Buffer.concat(Array.from({ length: LINES_PER_WRITE }, () => LINE));
  let received = 0;
  const t0 = performance.now();
  const done = new Promise((resolve) => {
    sock.on("data", (d) => {
      received += d.length;
      if (received >= total) resolve();
    });
  });
  let sent = 0;
  while (sent < n) {
    const k = Math.min(LINES_PER_WRITE, n - sent);
    const ok = sock.write(k === LINES_PER_WRITE ? block : block.subarray(0, k * LINE.length));
    sent += k;
    if (!ok) await new Promise((r) => sock.once("drain", r));
  }
  await done;
  const ms = performance.now() - t0;
  sock.destroy();
  return ms;
}

async function rtt(port) {
  const sock = await connect(port);
  let want = 0;
  let got = 0;
  let wake = null;
  sock.on("data", (d) => {
    got += d.length;
    if (got >= want && wake) {
      const w = wake;
      wake = null;
      w();
    }
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    want += LINE.length;
    sock.write(LINE);
    if (got < want) await new Promise((r) => (wake = r));
  }
  const ms = performance.now() - t0;
  sock.destroy();
  return ms;
}

async function idle(port, mem) {
  const before = await mem();
  let mid = null;
  const socks = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += 250) {
    if (mid === null && i >= n / 2) mid = { ...(await mem()), at: i };
    const batch = await Promise.all(
      Array.from({ length: Math.min(250, n - i) }, async () => {
        const s = await connect(port);
        await new Promise((r) => {
          s.once("data", r);
          s.write(LINE);
        });
        return s;
      }),
    );
    socks.push(...batch);
  }
  const ms = performance.now() - t0;
  const after = await mem();
  for (const s of socks) s.destroy();
  return { ms, before, mid, after };
}

const { child, nextLine } = startServer();
try {
  const first = await nextLine();
  const port = Number(/^PORT (\d+)$/.exec(first)?.[1]);
  if (!port) throw new Error(`server said ${first}`);
  const mem = async () => {
    child.kill("SIGUSR2");
    for (;;) {
      const l = await nextLine();
      const m = /^MEM (\d+) (\d+)$/.exec(l);
      if (m) return { rss: Number(m[1]), heap: Number(m[2]) };
    }
  };
  if (mode === "idle") {
    const { ms, before, mid, after } = await idle(port, mem);
    // Per connection = the growth from the second half of the connections (n/2 → n): the first
    // half also pays one-time growth (V8's young generation, pools), which is not per connection.
    const half = n - mid.at;
    report({
      contender: server,
      mode,
      n,
      ms,
      opsPerSec: (n / ms) * 1000,
      bytesPerConn: (after.rss - mid.rss) / half,
      heapPerConn: (after.heap - mid.heap) / half,
      bytesPerConnAll: (after.rss - before.rss) / n,
      heapPerConnAll: (after.heap - before.heap) / n,
    });
  } else {
    const run = mode === "pipelined" ? pipelined : rtt;
    const cpu0 = serverCpuMs(child.pid);
    const ms = await run(port);
    const cpu1 = serverCpuMs(child.pid);
    const extra = mode === "pipelined" ? { linesPerWrite: LINES_PER_WRITE } : {};
    const cpu = cpu0 === null || cpu1 === null ? {} : { serverCpuUsPerOp: ((cpu1 - cpu0) * 1000) / n };
    report({ contender: server, mode, n, ms, opsPerSec: (n / ms) * 1000, ...extra, ...cpu });
  }
} finally {
  child.kill("SIGTERM");
}
