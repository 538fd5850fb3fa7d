// HTTP benchmark driver: starts one server (cases/http_server.mjs or .py, pinned to BENCH_SERVER_CPU,
// default 0), checks that it answers the measured routes and a few of the 99 others correctly, measures,
// and stops the server (SIGTERM, then SIGKILL after 5 s; the server also exits when its stdin closes).
// The runner pins this process to the client core; wrk inherits that pinning.
// Usage: node cases/http.mjs <server> <wrk|idle> [n]
//   server: node | aiots | fastify | hono | express | cpython | uvloop   (the last two: aiohttp)
//   wrk    for each measured route: a 1 s warm-up, then `wrk -t1 -c50 -d<n>s --latency` (n default 5);
//          req/s and latency percentiles per route, opsPerSec = the median of the routes' req/s
//   idle   n keep-alive connections (default 10 000), each having made one GET /, held open; reports
//          the server's RSS (and JS heap) growth per connection, both after a GC
import { spawn } from "node:child_process";
import net from "node:net";
import { createInterface } from "node:readline";
import { report, stopServer } from "./_common.mjs";
import { FILLER_CHECKS, MEASURED } from "./_http_routes.mjs";

const SERVERS = ["node", "aiots", "fastify", "hono", "express", "cpython", "uvloop"];
const MODES = { wrk: 5, idle: 10_000 };
const [server, mode, nArg] = process.argv.slice(2);
if (!SERVERS.includes(server) || !(mode in MODES)) {
  process.stderr.write(`usage: node http.mjs <${SERVERS.join("|")}> <wrk|idle> [n]\n`);
  process.exit(2);
}
const n = nArg === undefined ? MODES[mode] : Number(nArg);
if (!Number.isInteger(n) || n <= 0) {
  process.stderr.write(`bad n: ${nArg}\n`);
  process.exit(2);
}
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? "0";
const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const WRK = process.env.BENCH_WRK ?? "/usr/bin/wrk";
const CONNECTIONS = 50;

function startServer() {
  const py = server === "cpython" || server === "uvloop";
  const cmd = py
    ? [PYTHON, "cases/http_server.py", server === "cpython" ? "asyncio" : "uvloop"]
    : [process.execPath, "--expose-gc", "cases/http_server.mjs", server];
  const pinned = process.env.BENCH_NO_TASKSET ? cmd : ["taskset", "-c", SERVER_CPU, ...cmd];
  // stdin is a pipe: the server exits when it closes, so a killed driver leaves no server behind.
  const child = spawn(pinned[0], pinned.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((r) => child.once("exit", r));
  const lines = createInterface({ input: child.stdout });
  const pending = [];
  const waiting = [];
  lines.on("line", (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else pending.push(l);
  });
  child.once("exit", (code, signal) => {
    for (const w of waiting.splice(0)) w(`EXIT ${code ?? signal}`);
  });
  const nextLine = () =>
    pending.length > 0 ? Promise.resolve(pending.shift()) : new Promise((r) => waiting.push(r));
  return { child, exited, nextLine };
}

/** One GET over a fresh connection (Connection: close) → { status, type, body }. */
function get(port, path) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () =>
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    const chunks = [];
    s.on("data", (d) => chunks.push(d));
    s.on("error", reject);
    s.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const head = text.slice(0, text.indexOf("\r\n\r\n"));
      const body = text.slice(text.indexOf("\r\n\r\n") + 4);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
      const type = /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? "";
      const chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
      resolve({ status, type, body: chunked ? dechunk(body) : body });
    });
  });
}

function dechunk(body) {
  let out = "";
  let i = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", i);
    const size = Number.parseInt(body.slice(i, eol), 16);
    if (!(size > 0)) return out;
    out += body.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
}

function sameJson(a, b) {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

async function checkRoutes(port) {
  const want = [
    ...MEASURED.map((m) => ({ path: m.path, body: m.body, type: m.type })),
    ...FILLER_CHECKS.map((f) => ({ ...f, type: "text/plain" })),
  ];
  for (const w of want) {
    const r = await get(port, w.path);
    // JSON is compared parsed (aiohttp's json.dumps writes `{"hello": "world"}`).
    const same = w.type === "application/json" ? sameJson(r.body, w.body) : r.body === w.body;
    if (r.status !== 200 || !same || !r.type.startsWith(w.type))
      throw new Error(
        `${server}: GET ${w.path} → ${r.status} ${JSON.stringify(r.type)} ${JSON.stringify(r.body.slice(0, 80))}, ` +
          `expected 200 ${w.type} ${JSON.stringify(w.body)}`,
      );
  }
  const missing = await get(port, "/no/such/route");
  if (missing.status !== 404)
    throw new Error(`${server}: GET /no/such/route → ${missing.status}, expected 404`);
}

function runWrk(url, seconds) {
  return new Promise((resolve, reject) => {
    const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", url];
    const child = spawn(WRK, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`wrk exited with ${code}: ${err.trim() || out.trim()}`));
      else resolve(parseWrk(out));
    });
  });
}

const UNIT_MS = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };
const toMs = (v, u) => Number(v) * UNIT_MS[u];

/** wrk's report → { rps, requests, seconds, p50, p75, p90, p99 (ms), errors, non2xx }. */
export function parseWrk(text) {
  const rps = Number(/Requests\/sec:\s*([\d.]+)/.exec(text)?.[1]);
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(text);
  const pct = {};
  for (const m of text.matchAll(/^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$/gm))
    pct[m[1]] = toMs(m[2], m[3]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  if (!Number.isFinite(rps) || !done || pct["99"] === undefined)
    throw new Error(`cannot parse wrk output:\n${text}`);
  return {
    rps,
    requests: Number(done[1]),
    seconds: toMs(done[2], done[3]) / 1000,
    p50: pct["50"],
    p75: pct["75"],
    p90: pct["90"],
    p99: pct["99"],
    errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx,
  };
}

async function wrkMode(port) {
  const routes = {};
  let ms = 0;
  for (const m of MEASURED) {
    const url = `http://127.0.0.1:${port}${m.path}`;
    await runWrk(url, 1); // warm-up (JIT, connection set-up paths, caches)
    const r = await runWrk(url, n);
    if (r.non2xx > 0) throw new Error(`${server}: ${m.label}: ${r.non2xx} non-2xx responses`);
    if (r.requests === 0) throw new Error(`${server}: ${m.label}: no request completed`);
    routes[m.id] = r;
    ms += r.seconds * 1000;
  }
  const rates = Object.values(routes)
    .map((r) => r.rps)
    .sort((a, b) => a - b);
  return { routes, ms, opsPerSec: rates[rates.length >> 1] };
}

/** Open one keep-alive connection, make one GET /, read the whole response, keep the socket. */
function openIdle(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () =>
      s.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    );
    let got = "";
    const onData = (d) => {
      got += d.toString("latin1");
      if (got.endsWith("Hello, World!")) {
        s.off("data", onData);
        s.off("error", reject);
        s.on("error", () => {});
        resolve(s);
      }
    };
    s.on("data", onData);
    s.once("error", reject);
  });
}

async function openMany(port, count) {
  const socks = [];
  for (let i = 0; i < count; i += 250)
    socks.push(
      ...(await Promise.all(Array.from({ length: Math.min(250, count - i) }, () => openIdle(port)))),
    );
  return socks;
}

async function idleMode(port, mem) {
  // Warm the server's request path first (JIT, lazily created state), so the baseline includes it.
  for (const s of await openMany(port, 500)) s.destroy();
  await new Promise((r) => setTimeout(r, 200));
  const before = await mem();
  const t0 = performance.now();
  const socks = await openMany(port, n);
  const ms = performance.now() - t0;
  const after = await mem();
  const closedEarly = socks.filter((s) => s.destroyed || !s.readable).length;
  for (const s of socks) s.destroy();
  if (closedEarly > 0)
    throw new Error(`${server}: ${closedEarly} idle connections were closed by the server`);
  return {
    ms,
    opsPerSec: (n / ms) * 1000,
    rssBefore: before.rss,
    rssAfter: after.rss,
    bytesPerConn: (after.rss - before.rss) / n,
    heapPerConn: before.heap > 0 ? (after.heap - before.heap) / n : null,
  };
}

const srv = startServer();
try {
  const first = await srv.nextLine();
  const port = Number(/^PORT (\d+)$/.exec(first)?.[1]);
  if (!port) throw new Error(`server said ${first}`);
  await checkRoutes(port);
  if (mode === "wrk") {
    const r = await wrkMode(port);
    report({ contender: server, mode, n, connections: CONNECTIONS, ...r });
  } else {
    const mem = async () => {
      srv.child.kill("SIGUSR2");
      for (;;) {
        const l = await srv.nextLine();
        const m = /^MEM (\d+) (\d+)$/.exec(l);
        if (m) return { rss: Number(m[1]), heap: Number(m[2]) };
        if (l.startsWith("EXIT ")) throw new Error(`server exited (${l.slice(5)})`);
      }
    };
    report({ contender: server, mode, n, ...(await idleMode(port, mem)) });
  }
} finally {
  await stopServer(srv);
}
