// HTTP client benchmark driver: keep-alive GETs against a raw node:http hello world
// (cases/client_server.mjs, started by this script pinned to BENCH_SERVER_CPU, default 0), first
// sequentially (one request at a time), then with 50 in flight (50 workers sharing one counter). The
// runner pins this process, which is the client, to the client core; the Python contender runs in a
// child process (cases/client.py, Debian's CPython + uvloop) that inherits that pinning.
// Usage: node --expose-gc cases/client.mjs <contender> [n]
//   n (default 20 000) requests per mode, after a warm-up of n/10 in each mode; every response's status
//   (200) and body (`Hello, World!`, 13 bytes) is checked — one bad response fails the run.
// Contenders, each written the way its documentation writes a GET and reads the body:
//   undici7    undici 7 `request(url)`, `await body.text()` (its global Agent)          [the baseline]
//   undici8    undici 8, the same
//   fetch      Node's global `fetch(url)`, `await res.text()` (Node's bundled undici)
//   node-http  `http.get(url, { agent })` with `new http.Agent({ keepAlive: true })`, chunks collected
//   axios      `axios.get(url)`, defaults (Node's http.globalAgent: keep-alive since Node 19)
//   aiots      aiots/client from dist/ (AIOTS_DIST overrides): `asyncio.run` + `await using session =
//              new client.ClientSession()`, `const r = await session.get(url); await r.read()`; 50 in
//              flight = 50 `asyncio.createTask(() => worker())` gathered with `asyncio.gather`
//   aiohttp    aiohttp's `ClientSession` on CPython + uvloop (cases/client.py)
// Prints one JSON line: per mode { ms, rps, serverCpu, clientCpu (shares of a core) }; opsPerSec = the 50-in-flight
// rate. Needs Node 24 (`await using`; undici 8 needs Node ≥ 22.19).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { collect, report, stopServer } from "./_common.mjs";

const CONTENDERS = ["undici7", "undici8", "fetch", "node-http", "axios", "aiots", "aiohttp"];
const CONCURRENCY = 50;
const EXPECTED = "Hello, World!";
const EXPECTED_BYTES = Buffer.from(EXPECTED);
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? "0";
const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const CLK_TCK = 100; // Linux USER_HZ
const BENCH = new URL("..", import.meta.url).pathname; // spawned scripts are relative to bench/

const [contender, nArg] = process.argv.slice(2);
const n = nArg === undefined ? 20_000 : Number(nArg);
if (!CONTENDERS.includes(contender) || !Number.isInteger(n) || n <= 0) {
  process.stderr.write(`usage: node cases/client.mjs <${CONTENDERS.join("|")}> [n]\n`);
  process.exit(2);
}
const warm = Math.max(200, Math.round(n / 10));

function startServer() {
  const cmd = [process.execPath, "cases/client_server.mjs"];
  // taskset execs the server, so child.pid is the server's pid (for /proc/<pid>/stat).
  const pinned = process.env.BENCH_NO_TASKSET ? cmd : ["taskset", "-c", SERVER_CPU, ...cmd];
  // stdin is a pipe: the server exits when it closes, so a killed driver leaves no server behind.
  const child = spawn(pinned[0], pinned.slice(1), { cwd: BENCH, stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((r) => child.once("exit", r));
  const port = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", (l) => {
      const p = Number(/^PORT (\d+)$/.exec(l)?.[1]);
      if (p) resolve(p);
      else reject(new Error(`server said ${l}`));
    });
    child.once("exit", (code, signal) => reject(new Error(`server exited (${code ?? signal})`)));
  });
  return { child, exited, port };
}

/** CPU seconds (user + system) used so far by process `pid`. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 on
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime
}

/** Throws unless the response is `200 Hello, World!` (body as a string, or as bytes: a view or an ArrayBuffer). */
function check(status, body) {
  const bytes =
    typeof body === "string"
      ? null
      : ArrayBuffer.isView(body)
        ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
        : Buffer.from(body);
  const ok = status === 200 && (bytes === null ? body === EXPECTED : bytes.equals(EXPECTED_BYTES));
  if (!ok) {
    const shown = JSON.stringify(String(bytes ?? body).slice(0, 80));
    throw new Error(`bad response: status ${status}, body ${shown}`);
  }
}

/**
 * The measurement, the same for every Node contender: `seq(k)` makes k requests one after the other,
 * `par(k)` makes k requests with CONCURRENCY in flight; both check every response. A warm-up of each,
 * then each mode timed after a GC. Returns the per-mode figures.
 */
async function measure(serverPid, seq, par) {
  await seq(warm);
  await par(warm);
  const modes = {};
  for (const [mode, fn] of [
    ["seq", seq],
    ["c50", par],
  ]) {
    collect();
    const cpu0 = cpuSeconds(serverPid);
    const usage0 = process.cpuUsage();
    const t0 = performance.now();
    const done = await fn(n);
    const ms = performance.now() - t0;
    const usage = process.cpuUsage(usage0);
    if (done !== n) throw new Error(`${mode}: ${done} of ${n} requests completed`);
    modes[mode] = {
      ms,
      rps: (n / ms) * 1000,
      serverCpu: (cpuSeconds(serverPid) - cpu0) / (ms / 1000),
      clientCpu: (usage.user + usage.system) / 1000 / ms,
    };
  }
  return modes;
}

/** seq/par from one `get(url)` → (status, body) function (every contender but aiots and aiohttp). */
function loops(get) {
  const seq = async (k) => {
    let done = 0;
    for (let i = 0; i < k; i++) {
      const [status, body] = await get();
      check(status, body);
      done++;
    }
    return done;
  };
  const par = async (k) => {
    let issued = 0;
    let done = 0;
    const worker = async () => {
      while (issued < k) {
        issued++;
        const [status, body] = await get();
        check(status, body);
        done++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return done;
  };
  return { seq, par };
}

async function nodeContender(url, serverPid) {
  switch (contender) {
    case "undici7":
    case "undici8": {
      const undici = await import(contender);
      const { seq, par } = loops(async () => {
        const { statusCode, body } = await undici.request(url);
        return [statusCode, await body.text()];
      });
      return { modes: await measure(serverPid, seq, par), version: undici7or8Version(contender) };
    }
    case "fetch": {
      const { seq, par } = loops(async () => {
        const res = await fetch(url);
        return [res.status, await res.text()];
      });
      return { modes: await measure(serverPid, seq, par), version: `undici ${process.versions.undici}` };
    }
    case "node-http": {
      const http = await import("node:http");
      const agent = new http.Agent({ keepAlive: true });
      const get = () =>
        new Promise((resolve, reject) => {
          const req = http.get(url, { agent }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => resolve([res.statusCode, Buffer.concat(chunks)]));
            res.on("error", reject);
          });
          req.on("error", reject);
        });
      const { seq, par } = loops(get);
      const modes = await measure(serverPid, seq, par);
      agent.destroy();
      return { modes };
    }
    case "axios": {
      const { default: axios } = await import("axios");
      const { seq, par } = loops(async () => {
        const res = await axios.get(url);
        return [res.status, res.data];
      });
      return { modes: await measure(serverPid, seq, par), version: axios.VERSION };
    }
    case "aiots":
      return aiotsContender(url, serverPid);
    default:
      throw new Error(`not a Node contender: ${contender}`);
  }
}

function undici7or8Version(name) {
  return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8"))
    .version;
}

/** aiots/client, written the way a user writes it. */
async function aiotsContender(url, serverPid) {
  const dist = process.env.AIOTS_DIST ?? new URL("../../dist/", import.meta.url).pathname;
  const client = await import(`${dist}/client/index.js`);
  const asyncio = await import(`${dist}/index.js`);
  if (typeof client.ClientSession !== "function")
    throw new Error("dist/client has no ClientSession yet — run npm run build");
  let modes;
  await asyncio.run(async () => {
    await using session = new client.ClientSession();
    const seq = async (k) => {
      let done = 0;
      for (let i = 0; i < k; i++) {
        const r = await session.get(url);
        const body = await r.read();
        check(r.status, body);
        done++;
      }
      return done;
    };
    const par = async (k) => {
      let issued = 0;
      let done = 0;
      const worker = async () => {
        while (issued < k) {
          issued++;
          const r = await session.get(url);
          const body = await r.read();
          check(r.status, body);
          done++;
        }
      };
      await asyncio.gather(Array.from({ length: CONCURRENCY }, () => asyncio.createTask(() => worker())));
      return done;
    };
    modes = await measure(serverPid, seq, par);
  });
  return { modes };
}

/** aiohttp: cases/client.py in a child process (it inherits this process's pinning). */
function aiohttpContender(port, serverPid) {
  const args = [
    "cases/client.py",
    String(port),
    String(n),
    String(warm),
    String(CONCURRENCY),
    String(serverPid),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd: BENCH, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line));
      else reject(new Error(`client.py exited with ${code ?? signal}`));
    });
  });
}

const srv = startServer();
try {
  const port = await srv.port;
  const url = `http://127.0.0.1:${port}/`;
  const r =
    contender === "aiohttp"
      ? await aiohttpContender(port, srv.child.pid)
      : await nodeContender(url, srv.child.pid);
  const { seq, c50 } = r.modes;
  report({
    case: "client",
    contender,
    n,
    warm,
    concurrency: CONCURRENCY,
    modes: r.modes,
    version: r.version ?? null,
    ms: c50.ms,
    opsPerSec: c50.rps,
    seqPerSec: seq.rps,
    ...(r.runtime ? { clientRuntime: r.runtime } : {}),
  });
} finally {
  await stopServer(srv);
}
// undici's and axios' keep-alive sockets (and Python's child) are gone with the process.
process.exit(0);
