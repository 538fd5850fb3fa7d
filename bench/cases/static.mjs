// Static-file benchmark driver (the `static` case): writes a 1 KiB and a 1 MiB file to a temporary
// directory, starts one server (cases/static_server.mjs, pinned to BENCH_SERVER_CPU, default 0), checks
// that it answers both files byte for byte (and a 404), then runs a 1 s wrk warm-up and
// `wrk -t1 -c50 -d<n>s --latency` on one file, and stops the server (SIGTERM, SIGKILL after 5 s).
// The runner pins this process to the client core; wrk inherits that pinning.
// Usage: node cases/static.mjs <node|aiots|fastify> <1k|1m> [seconds]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { report, stopServer } from "./_common.mjs";

const SERVERS = ["node", "aiots", "fastify"];
export const FILES = { "1k": 1024, "1m": 1024 * 1024 };
const [server, file, nArg] = process.argv.slice(2);
if (!SERVERS.includes(server) || !(file in FILES)) {
  process.stderr.write(`usage: node static.mjs <${SERVERS.join("|")}> <1k|1m> [seconds]\n`);
  process.exit(2);
}
const seconds = nArg === undefined ? 3 : Number(nArg);
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? "0";
const WRK = process.env.BENCH_WRK ?? "/usr/bin/wrk";
const CONNECTIONS = 50;

/** Deterministic, incompressible-looking content: byte i is a xorshift of i. */
function content(size) {
  const b = Buffer.alloc(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const dir = mkdtempSync(join(tmpdir(), "aiots-bench-static-"));
const data = {};
for (const [name, size] of Object.entries(FILES)) {
  data[name] = content(size);
  writeFileSync(join(dir, `${name}.bin`), data[name]);
}

function startServer() {
  const cmd = [process.execPath, "--expose-gc", "cases/static_server.mjs", server];
  const pinned = process.env.BENCH_NO_TASKSET ? cmd : ["taskset", "-c", SERVER_CPU, ...cmd];
  const child = spawn(pinned[0], pinned.slice(1), {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, BENCH_STATIC_DIR: dir },
  });
  const exited = new Promise((r) => child.once("exit", r));
  const lines = createInterface({ input: child.stdout });
  const first = new Promise((resolve) => {
    lines.once("line", resolve);
    child.once("exit", (code, signal) => resolve(`EXIT ${code ?? signal}`));
  });
  return { child, exited, first };
}

/** One GET over a fresh connection (Connection: close) → { status, body: Buffer } (no chunked: not used). */
function get(port, path) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () =>
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    const chunks = [];
    s.on("data", (d) => chunks.push(d));
    s.on("error", reject);
    s.on("close", () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf("\r\n\r\n");
      const head = all.subarray(0, end).toString("latin1");
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
      const chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
      resolve({ status, chunked, body: all.subarray(end + 4) });
    });
  });
}

async function check(port) {
  for (const name of Object.keys(FILES)) {
    const r = await get(port, `/static/${name}.bin`);
    if (r.status !== 200 || r.chunked || !r.body.equals(data[name]))
      throw new Error(
        `${server}: GET /static/${name}.bin → ${r.status}, ${r.body.length} bytes: not the file`,
      );
  }
  const missing = await get(port, "/static/nope.bin");
  if (missing.status !== 404) throw new Error(`${server}: GET /static/nope.bin → ${missing.status}`);
}

function runWrk(url, secs) {
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, ["-t1", `-c${CONNECTIONS}`, `-d${secs}s`, "--latency", url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
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
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${err.trim() || out.trim()}`));
      const rps = Number(/Requests\/sec:\s*([\d.]+)/.exec(out)?.[1]);
      const done = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out);
      const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      if (!Number.isFinite(rps) || !done || !p99)
        return reject(new Error(`cannot parse wrk output:\n${out}`));
      const unit = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };
      resolve({
        rps,
        requests: Number(done[1]),
        seconds: (Number(done[2]) * unit[done[3]]) / 1000,
        p99: Number(p99[1]) * unit[p99[2]],
        non2xx,
        errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
      });
    });
  });
}

const srv = startServer();
try {
  const first = await srv.first;
  const port = Number(/^PORT (\d+)$/.exec(first)?.[1]);
  if (!port) throw new Error(`server said ${first}`);
  await check(port);
  const url = `http://127.0.0.1:${port}/static/${file}.bin`;
  await runWrk(url, 1); // warm-up
  const r = await runWrk(url, seconds);
  if (r.non2xx > 0) throw new Error(`${server}: ${r.non2xx} non-2xx responses`);
  if (r.requests === 0) throw new Error(`${server}: no request completed`);
  report({
    contender: `${server}-${file}`,
    n: seconds,
    connections: CONNECTIONS,
    ms: r.seconds * 1000,
    opsPerSec: r.rps,
    mbPerSec: (r.rps * FILES[file]) / 2 ** 20,
    p99: r.p99,
    errors: r.errors,
  });
} finally {
  await stopServer(srv);
  rmSync(dir, { recursive: true, force: true });
}
