// WebSocket benchmark driver: 50 clients at once, each sending one 64-byte text message and awaiting
// its echo before sending the next, against one echo server (cases/ws_server.mjs or .py) pinned to
// BENCH_SERVER_CPU (default 0). The runner pins this process (the load generator, the `ws` client,
// the same for every server) to the client core.
// Usage:
//   node cases/ws.mjs <raw-ws|aiots|cpython|uvloop> [seconds]
//        a 1 s warm-up, then `seconds` (default 5) measured: messages/s, round-trip latency
//        percentiles, and the server's CPU time per message (/proc/<pid>/stat)
//   node cases/ws.mjs duel <A> <B> [seconds] [rounds]
//        both servers at the same time on the server core, each loaded by its own generator process
//        pinned to the client core: the ratio B/A is the ratio of their CPU cost per message, with the
//        machine's noise shared (cf. bench/duel.sh). A 2 s warm-up, then `rounds` (default 3).
//   node cases/ws.mjs load <port> <seconds> [warm-up seconds]
//        the generator alone, against ws://127.0.0.1:<port>/ws (used by duel)
// Clients do not offer permessage-deflate, skip UTF-8 validation of the echoes (each echo's length is
// checked, the first ones' contents too) and mask with a zero key (the `ws` client then skips the XOR):
// the lighter the generator, the more the server's own cost decides the figure.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { WebSocket } from "ws";
import { report, stopServer } from "./_common.mjs";

const SERVERS = ["raw-ws", "ws-floor", "aiots", "cpython", "uvloop"];
const CLIENTS = 50;
const SIZE = 64;
const TEXT = "x".repeat(SIZE - 8);
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? "0";
const CLIENT_CPU = process.env.BENCH_CLIENT_CPU ?? "1";
const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const CLK_TCK = 100; // Linux USER_HZ
const BENCH = new URL("..", import.meta.url).pathname; // spawned scripts are relative to bench/

function usage() {
  process.stderr.write(
    `usage: node ws.mjs <${SERVERS.join("|")}> [seconds]\n` +
      "       node ws.mjs duel <A> <B> [seconds] [rounds]\n" +
      "       node ws.mjs load <port> <seconds> [warm-up seconds]\n",
  );
  process.exit(2);
}

function posInt(v, dflt) {
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isFinite(n) || n <= 0) usage();
  return n;
}

function startServer(server) {
  const py = server === "cpython" || server === "uvloop";
  const cmd = py
    ? [PYTHON, "cases/ws_server.py", server === "cpython" ? "asyncio" : "uvloop"]
    : [process.execPath, "cases/ws_server.mjs", server];
  // taskset execs the server, so child.pid is the server's pid (for /proc/<pid>/stat).
  const pinned = process.env.BENCH_NO_TASKSET ? cmd : ["taskset", "-c", SERVER_CPU, ...cmd];
  // stdin is a pipe: the server exits when it closes, so a killed driver leaves no server behind.
  const child = spawn(pinned[0], pinned.slice(1), { cwd: BENCH, stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((r) => child.once("exit", r));
  const port = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (l) => {
      const p = Number(/^PORT (\d+)$/.exec(l)?.[1]);
      if (p) resolve(p);
      else reject(new Error(`${server}: server said ${l}`));
    });
    child.once("exit", (code, signal) => reject(new Error(`${server}: exited (${code ?? signal})`)));
  });
  return { child, exited, port };
}

/** CPU seconds (user + system) used so far by process `pid`. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 on
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime
}

const zeroMask = () => {}; // leaves the 4-byte mask zeroed: the ws client then skips masking

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      skipUTF8Validation: true,
      generateMask: zeroMask,
    });
    ws.once("open", () => {
      ws.off("error", reject);
      resolve(ws);
    });
    ws.once("error", reject);
  });
}

/** One echo of `data` (binary or text) on `ws`, checked. */
function echoOnce(ws, data, binary) {
  return new Promise((resolve, reject) => {
    ws.once("message", (got, isBinary) => {
      if (isBinary !== binary || !Buffer.from(got).equals(Buffer.from(data)))
        reject(new Error(`bad echo: ${isBinary ? "binary" : "text"} ${JSON.stringify(String(got))}`));
      else resolve();
    });
    ws.send(data, { binary });
  });
}

function percentile(sorted, p) {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/**
 * The load: CLIENTS connections, each in a send → await echo → send loop; `warm` seconds unrecorded,
 * then `seconds` recorded. `onWindow(start|end)` marks the window (for the server's CPU time).
 */
async function load(port, seconds, warm, onWindow = () => {}) {
  const url = `ws://127.0.0.1:${port}/ws`;
  const socks = await Promise.all(Array.from({ length: CLIENTS }, () => open(url)));
  // Both echo paths (sendStr and sendBytes on aiots), contents checked, on every connection.
  await Promise.all(
    socks.map(async (ws, i) => {
      const msg = `${String(i).padStart(8, "0")}${TEXT}`;
      await echoOnce(ws, msg, false);
      await echoOnce(ws, Buffer.from(msg), true);
    }),
  );
  let recording = false;
  let running = true;
  let count = 0;
  let lat = new Float64Array(1 << 20);
  let bad = null;
  let inFlight = 0;
  let drained = null;
  for (const [i, ws] of socks.entries()) {
    const msg = `${String(i).padStart(8, "0")}${TEXT}`;
    let t0 = 0;
    const send = () => {
      inFlight++;
      t0 = performance.now();
      ws.send(msg);
    };
    ws.on("message", (data, isBinary) => {
      const t = performance.now();
      inFlight--;
      if (isBinary || data.length !== SIZE) bad ??= `echo of ${data.length} bytes (binary: ${isBinary})`;
      if (recording) {
        if (count === lat.length) {
          const bigger = new Float64Array(lat.length * 2);
          bigger.set(lat);
          lat = bigger;
        }
        lat[count++] = t - t0;
      }
      if (running) send();
      else if (inFlight === 0) drained?.();
    });
    ws.on("error", (err) => {
      bad ??= err.message;
    });
    send();
  }
  const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));
  await sleep(warm);
  onWindow("start");
  count = 0;
  recording = true;
  const t0 = performance.now();
  await sleep(seconds);
  recording = false;
  const ms = performance.now() - t0;
  onWindow("end");
  const n = count;
  running = false;
  if (inFlight > 0) await Promise.race([new Promise((r) => (drained = r)), sleep(5)]);
  await Promise.all(
    socks.map(
      (ws) =>
        new Promise((r) => {
          ws.once("close", r);
          ws.close(1000);
          setTimeout(() => {
            ws.terminate();
            r();
          }, 2000).unref();
        }),
    ),
  );
  if (bad !== null) throw new Error(bad);
  if (n === 0) throw new Error("no echo completed");
  const sorted = lat.subarray(0, n).sort();
  return {
    clients: CLIENTS,
    size: SIZE,
    messages: n,
    ms,
    opsPerSec: (n / ms) * 1000,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted[n - 1],
  };
}

/** One server, measured alone: messages/s, latency, server CPU per message. */
async function single(server, seconds) {
  const srv = startServer(server);
  try {
    const port = await srv.port;
    let cpu0 = 0;
    let cpuUsage0 = null;
    let serverCpu = 0;
    let clientCpu = 0;
    const r = await load(port, seconds, 1, (mark) => {
      if (mark === "start") {
        cpu0 = cpuSeconds(srv.child.pid);
        cpuUsage0 = process.cpuUsage();
      } else {
        serverCpu = cpuSeconds(srv.child.pid) - cpu0;
        const u = process.cpuUsage(cpuUsage0);
        clientCpu = (u.user + u.system) / 1e6;
      }
    });
    const secs = r.ms / 1000;
    report({
      contender: server,
      seconds,
      ...r,
      serverCpu: serverCpu / secs, // share of one core (clock-tick resolution: ±1 %)
      clientCpu: clientCpu / secs,
      serverUsPerMsg: (serverCpu / r.messages) * 1e6,
    });
  } finally {
    await stopServer(srv);
  }
}

/** A generator process pinned to the client core, against `port`. */
function loader(port, seconds, warm) {
  const cmd = [process.execPath, "cases/ws.mjs", "load", String(port), String(seconds), String(warm)];
  const pinned = process.env.BENCH_NO_TASKSET ? cmd : ["taskset", "-c", CLIENT_CPU, ...cmd];
  return new Promise((resolve, reject) => {
    const child = spawn(pinned[0], pinned.slice(1), { cwd: BENCH, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line));
      else reject(new Error(`generator exited with ${code}`));
    });
  });
}

async function duel(a, b, seconds, rounds) {
  const sa = startServer(a);
  const sb = startServer(b);
  try {
    const [pa, pb] = await Promise.all([sa.port, sb.port]);
    await Promise.all([loader(pa, 2, 0.5), loader(pb, 2, 0.5)]); // warm-up
    const ratios = [];
    const costs = [];
    for (let r = 1; r <= rounds; r++) {
      // Server CPU over the whole round (warm-up and close included, so µs/msg reads a bit high).
      const ca = cpuSeconds(sa.child.pid);
      const cb = cpuSeconds(sb.child.pid);
      const [ra, rb] = await Promise.all([loader(pa, seconds, 0.5), loader(pb, seconds, 0.5)]);
      const usA = ((cpuSeconds(sa.child.pid) - ca) / ra.messages) * 1e6;
      const usB = ((cpuSeconds(sb.child.pid) - cb) / rb.messages) * 1e6;
      const ratio = rb.opsPerSec / ra.opsPerSec;
      ratios.push(ratio);
      costs.push(usB / usA);
      const fmt = (x, us) =>
        `${(x.opsPerSec / 1000).toFixed(1)} k msgs/s (p99 ${x.p99.toFixed(2)} ms, ≤ ${us.toFixed(1)} µs CPU/msg)`;
      console.log(
        `round ${r}: ${a} ${fmt(ra, usA)}, ${b} ${fmt(rb, usB)}, ${b}/${a} = ${ratio.toFixed(3)} ` +
          `(CPU per message ${b}/${a} = ${(usB / usA).toFixed(3)})`,
      );
    }
    const sorted = [...ratios].sort((x, y) => x - y);
    const cs = [...costs].sort((x, y) => x - y);
    console.log(
      `${b}/${a} median ${sorted[sorted.length >> 1].toFixed(3)} (min ${sorted[0].toFixed(3)}, ` +
        `max ${sorted[sorted.length - 1].toFixed(3)}); CPU per message ${b}/${a} median ` +
        `${cs[cs.length >> 1].toFixed(3)} (min ${cs[0].toFixed(3)}, max ${cs[cs.length - 1].toFixed(3)}); ` +
        `both servers on core ${SERVER_CPU}, generators on core ${CLIENT_CPU}, ${CLIENTS} clients each, ` +
        `${seconds} s per round`,
    );
  } finally {
    await Promise.all([stopServer(sa), stopServer(sb)]);
  }
}

const [first, ...rest] = process.argv.slice(2);
if (first === "load") {
  const port = posInt(rest[0]);
  report({ port, ...(await load(port, posInt(rest[1]), rest[2] === undefined ? 1 : Number(rest[2]))) });
} else if (first === "duel") {
  if (!SERVERS.includes(rest[0]) || !SERVERS.includes(rest[1])) usage();
  await duel(rest[0], rest[1], posInt(rest[2], 5), posInt(rest[3], 3));
} else if (SERVERS.includes(first)) {
  await single(first, posInt(rest[0], 5));
} else usage();
