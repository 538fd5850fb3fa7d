// Upload servers for the `upload` benchmark: POST /upload takes a multipart/form-data body and streams
// its file part(s) to BENCH_UPLOAD_DIR (write-stream back-pressure respected), then answers JSON
// { bytes, files, startRss, peakRss } — the bytes written (from fs.stat), and the process RSS when the
// request arrived (after a GC) and at its peak while it was handled (sampled every 5 ms). Prints
// "PORT <n>" once listening; serves until SIGTERM or until its stdin closes.
// Usage: BENCH_UPLOAD_DIR=dir node --expose-gc cases/upload_server.mjs <aiots|busboy>
//   aiots   aiots/web from dist/: `for await (const part of await request.multipart())`, each chunk of
//           the part written to an fs.WriteStream (await "drain" when write() returns false)
//   busboy  raw node:http + @fastify/busboy: req.pipe(busboy), each file stream .pipe(fs.WriteStream)
import { once } from "node:events";
import { createWriteStream, statSync, unlinkSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { finished } from "node:stream/promises";

const IMPLS = ["aiots", "busboy"];
const impl = process.argv[2];
const DIR = process.env.BENCH_UPLOAD_DIR;
if (!IMPLS.includes(impl) || !DIR) {
  process.stderr.write(`usage: BENCH_UPLOAD_DIR=dir node upload_server.mjs <${IMPLS.join("|")}>\n`);
  process.exit(2);
}
const HOST = "127.0.0.1";
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
const listening = (port) => process.stdout.write(`PORT ${port}\n`);

let nextFile = 0;
const target = () => join(DIR, `upload-${process.pid}-${nextFile++}.bin`);

/** RSS sampling for one request: { stop() → { startRss, peakRss } }. */
function rssWatch() {
  globalThis.gc?.();
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  const timer = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > peakRss) peakRss = r;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      return { startRss, peakRss };
    },
  };
}

/** Sizes of the written files (then removed). */
function collectFiles(paths) {
  let bytes = 0;
  for (const p of paths) {
    bytes += statSync(p).size;
    unlinkSync(p);
  }
  return bytes;
}

if (impl === "aiots") {
  const dist = process.env.AIOTS_DIST ?? new URL("../../dist/", import.meta.url).pathname;
  const asyncio = await import(`${dist}/index.js`);
  const web = await import(`${dist}/web/index.js`);
  await asyncio.run(async () => {
    const app = new web.Application();
    app.router.addPost("/upload", async (request) => {
      const watch = rssWatch();
      const paths = [];
      for await (const part of await request.multipart()) {
        if (part.filename === null) {
          await part.release();
          continue;
        }
        const path = target();
        paths.push(path);
        const out = createWriteStream(path);
        for await (const chunk of part) if (!out.write(chunk)) await once(out, "drain");
        out.end();
        await finished(out);
      }
      const mem = watch.stop();
      return web.jsonResponse({ bytes: collectFiles(paths), files: paths.length, ...mem });
    });
    const runner = new web.AppRunner(app, { shutdownTimeout: 1 });
    await runner.setup();
    await new web.TCPSite(runner, HOST, 0).start();
    const stop = new asyncio.Event();
    asyncio.getRunningLoop().addSignalHandler("SIGTERM", () => stop.set());
    listening(runner.addresses[0][1]);
    await stop.wait();
    await runner.cleanup();
  });
  process.exit(0);
} else {
  const { default: Busboy } = await import("@fastify/busboy");
  const server = http.createServer((req, res) => {
    const fail = (err) => {
      res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(String(err));
    };
    if (req.method !== "POST" || req.url !== "/upload") {
      res.writeHead(404, { "Content-Type": "text/plain", "Content-Length": 9 });
      return res.end("Not Found");
    }
    const watch = rssWatch();
    const paths = [];
    const writes = [];
    const bb = new Busboy({ headers: req.headers });
    bb.on("file", (_field, file) => {
      const path = target();
      paths.push(path);
      const out = createWriteStream(path);
      writes.push(finished(out));
      file.pipe(out);
    });
    bb.on("error", fail);
    bb.on("finish", () => {
      Promise.all(writes).then(() => {
        const mem = watch.stop();
        const body = JSON.stringify({ bytes: collectFiles(paths), files: paths.length, ...mem });
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
        res.end(body);
      }, fail);
    });
    req.pipe(bb);
  });
  server.listen({ host: HOST, port: 0 }, () => listening(server.address().port));
  process.on("SIGTERM", () => process.exit(0));
}
