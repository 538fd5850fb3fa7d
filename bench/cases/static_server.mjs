// Static-file servers for the `static` benchmark: each serves the directory BENCH_STATIC_DIR under
// /static/ on 127.0.0.1 (a free port). Prints "PORT <n>" once listening; serves until SIGTERM, or until
// its stdin closes (the driver went away). On SIGUSR2 it collects garbage and prints "MEM <rss> <heapUsed>".
// Usage: BENCH_STATIC_DIR=dir node --expose-gc cases/static_server.mjs <node|aiots|fastify>
//   node     raw node:http: fs.stat for the length, then fs.createReadStream(path).pipe(res)
//   aiots    aiots/web from dist/: router.addStatic("/static", dir) (FileResponse)
//   fastify  Fastify 5 + @fastify/static (root: dir, prefix: /static/)
// Keep-alive: 75 s everywhere (aiots' default), as in cases/http_server.mjs.
import { createReadStream, stat } from "node:fs";
import http from "node:http";
import { join, normalize, sep } from "node:path";

const IMPLS = ["node", "aiots", "fastify"];
const impl = process.argv[2];
const DIR = process.env.BENCH_STATIC_DIR;
if (!IMPLS.includes(impl) || !DIR) {
  process.stderr.write(`usage: BENCH_STATIC_DIR=dir node static_server.mjs <${IMPLS.join("|")}>\n`);
  process.exit(2);
}
const HOST = "127.0.0.1";
const KEEP_ALIVE_MS = 75_000;
const PREFIX = "/static/";

process.on("SIGUSR2", () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`MEM ${m.rss} ${m.heapUsed}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
const listening = (port) => process.stdout.write(`PORT ${port}\n`);

if (impl === "node") {
  const notFound = (res) => {
    res.writeHead(404, { "Content-Type": "text/plain", "Content-Length": 9 });
    res.end("Not Found");
  };
  const server = http.createServer((req, res) => {
    const url = req.url;
    const q = url.indexOf("?");
    const path = decodeURIComponent(q === -1 ? url : url.slice(0, q));
    if (req.method !== "GET" || !path.startsWith(PREFIX)) return notFound(res);
    const file = normalize(join(DIR, path.slice(PREFIX.length)));
    if (!file.startsWith(DIR + sep)) return notFound(res);
    stat(file, (err, st) => {
      if (err || !st.isFile()) return notFound(res);
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": st.size });
      createReadStream(file).pipe(res);
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.listen({ host: HOST, port: 0 }, () => listening(server.address().port));
  process.on("SIGTERM", () => process.exit(0));
} else if (impl === "aiots") {
  const dist = process.env.AIOTS_DIST ?? new URL("../../dist/", import.meta.url).pathname;
  const asyncio = await import(`${dist}/index.js`);
  const web = await import(`${dist}/web/index.js`);
  await asyncio.run(async () => {
    const app = new web.Application();
    app.router.addStatic("/static", DIR);
    const runner = new web.AppRunner(app, { keepAliveTimeout: KEEP_ALIVE_MS / 1000, shutdownTimeout: 1 });
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
  const { default: Fastify } = await import("fastify");
  const { default: fastifyStatic } = await import("@fastify/static");
  const app = Fastify({ logger: false, keepAliveTimeout: KEEP_ALIVE_MS });
  await app.register(fastifyStatic, { root: DIR, prefix: PREFIX });
  await app.listen({ host: HOST, port: 0 });
  listening(app.server.address().port);
  process.on("SIGTERM", () => process.exit(0));
}
