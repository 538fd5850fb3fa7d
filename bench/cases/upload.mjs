// Upload benchmark driver (the `upload` case): starts one server (cases/upload_server.mjs, pinned to
// BENCH_SERVER_CPU, default 0), uploads one multipart/form-data body with a single file part of n MiB
// (default 100) from a raw node:http client (Content-Length set, 1 MiB writes with back-pressure) —
// once at 10 MiB as a warm-up, then at n MiB timed — checks that the server wrote every byte, and stops
// the server. The runner pins this process to the client core.
// Reports MiB/s (request start → response end) and the server's RSS growth while handling the upload.
// Usage: node cases/upload.mjs <aiots|busboy> [MiB]
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { report, stopServer } from "./_common.mjs";

const SERVERS = ["aiots", "busboy"];
const [server, nArg] = process.argv.slice(2);
if (!SERVERS.includes(server)) {
  process.stderr.write(`usage: node upload.mjs <${SERVERS.join("|")}> [MiB]\n`);
  process.exit(2);
}
const mib = nArg === undefined ? 100 : Number(nArg);
if (!Number.isInteger(mib) || mib <= 0) {
  process.stderr.write(`bad MiB: ${nArg}\n`);
  process.exit(2);
}
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? "0";
const MiB = 2 ** 20;
const CHUNK = randomBytes(MiB); // random bytes: a 60-character boundary never occurs in them

const dir = mkdtempSync(join(tmpdir(), "aiots-bench-upload-"));

function startServer() {
  const cmd = [process.execPath, "--expose-gc", "cases/upload_server.mjs", server];
  const pinned = process.env.BENCH_NO_TASKSET ? cmd : ["taskset", "-c", SERVER_CPU, ...cmd];
  const child = spawn(pinned[0], pinned.slice(1), {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, BENCH_UPLOAD_DIR: dir },
  });
  const exited = new Promise((r) => child.once("exit", r));
  const lines = createInterface({ input: child.stdout });
  const first = new Promise((resolve) => {
    lines.once("line", resolve);
    child.once("exit", (code, signal) => resolve(`EXIT ${code ?? signal}`));
  });
  return { child, exited, first };
}

/** POST one multipart body with one text field and one file part of `size` MiB → { ms, json }. */
function upload(port, size) {
  const boundary = `----aiotsbench${randomBytes(24).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nbench\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + size * MiB + tail.length;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: "/upload",
      agent: false,
      headers: { "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": length },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const ms = performance.now() - t0;
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) return reject(new Error(`${server}: HTTP ${res.statusCode}: ${text}`));
        resolve({ ms, json: JSON.parse(text) });
      });
    });
    (async () => {
      req.write(head);
      for (let i = 0; i < size; i++) if (!req.write(CHUNK)) await new Promise((r) => req.once("drain", r));
      req.end(tail);
    })().catch(reject);
  });
}

const srv = startServer();
try {
  const first = await srv.first;
  const port = Number(/^PORT (\d+)$/.exec(first)?.[1]);
  if (!port) throw new Error(`server said ${first}`);
  let warmGrowth = null;
  for (const size of [10, mib]) {
    const { ms, json } = await upload(port, size);
    if (json.bytes !== size * MiB || json.files !== 1)
      throw new Error(
        `${server}: wrote ${json.bytes} bytes in ${json.files} file(s), expected ${size * MiB} in 1`,
      );
    if (size !== mib) warmGrowth = json.peakRss - json.startRss;
    else
      report({
        contender: server,
        n: mib,
        ms,
        opsPerSec: (mib / ms) * 1000, // MiB/s
        startRss: json.startRss,
        peakRss: json.peakRss,
        rssGrowth: json.peakRss - json.startRss,
        warmupRssGrowth: warmGrowth, // the 10 MiB warm-up upload's: flat memory means about the same
      });
  }
} finally {
  await stopServer(srv);
  rmSync(dir, { recursive: true, force: true });
}
