// HTTP servers for the http benchmark, each serving the 100-route table of cases/_http_routes.mjs on
// 127.0.0.1 (a free port). Prints "PORT <n>" once listening; serves until SIGTERM, or until its stdin
// closes (the driver went away). On SIGUSR2 it collects garbage and prints "MEM <rss> <heapUsed>".
// Usage: node --expose-gc cases/http_server.mjs <node|aiots|fastify|hono|express>
//   node     raw node:http, hand-routed (a Map of static paths, then a Map of first segments)
//   aiots    aiots/web from dist/: Application + AppRunner + TCPSite, async handlers (a task per request)
//   fastify  Fastify 5, logger off        hono  Hono 4 on @hono/node-server        express  Express 5
// Every server keeps idle keep-alive connections 75 s (aiohttp's and aiots' default; Node's is 5 s).
import http from "node:http";
import { colon, routeTable } from "./_http_routes.mjs";

const IMPLS = ["node", "node-floor", "aiots", "fastify", "hono", "express"];
const impl = process.argv[2];
if (!IMPLS.includes(impl)) {
  process.stderr.write(`usage: node http_server.mjs <${IMPLS.join("|")}>\n`);
  process.exit(2);
}
const HOST = "127.0.0.1";
const KEEP_ALIVE_MS = 75_000;
const BACKLOG = 2048; // the http-idle case opens connections 250 at a time
const HELLO = "Hello, World!";
const JSON_BODY = { hello: "world" };
const ROUTES = routeTable();

process.on("SIGUSR2", () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`MEM ${m.rss} ${m.heapUsed}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
const listening = (port) => process.stdout.write(`PORT ${port}\n`);

if (impl === "node" || impl === "node-floor") {
  const TEXT = { "Content-Type": "text/plain; charset=utf-8" };
  const JSONT = { "Content-Type": "application/json; charset=utf-8" };
  const send = (res, headers, body) => {
    res.writeHead(200, { ...headers, "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  };
  const exact = new Map(); // path → (req, res)
  const byPrefix = new Map(); // "/items1" → (req, res, id) for /items1/{id}
  const userTails = new Map(); // "posts2" → (req, res, id) for /users/{id}/posts2
  let user = null;
  for (const r of ROUTES) {
    if (r.kind === "root") exact.set("/", (_q, s) => send(s, TEXT, HELLO));
    else if (r.kind === "json") exact.set("/json", (_q, s) => send(s, JSONT, JSON.stringify(JSON_BODY)));
    else if (r.kind === "user") user = (_q, s, id) => send(s, TEXT, `user ${id}`);
    else if (r.kind === "static") exact.set(r.path, (_q, s) => send(s, TEXT, `route ${r.k}`));
    else if (r.kind === "param")
      byPrefix.set(r.path.slice(0, r.path.indexOf("/", 1)), (_q, s, id) =>
        send(s, TEXT, `route ${r.k} ${id}`),
      );
    else
      userTails.set(r.path.slice(r.path.lastIndexOf("/") + 1), (_q, s, id) =>
        send(s, TEXT, `route ${r.k} ${id}`),
      );
  }
  const notFound = (res) => {
    res.writeHead(404, { "Content-Type": "text/plain", "Content-Length": 9 });
    res.end("Not Found");
  };
  // node-floor: the same server plus the floor of "a task per request" (DESIGN-NOTES §2): one
  // AsyncLocalStorage.run and one AbortController around each async handler — what no aiots change
  // can remove while every request keeps its own async context.
  const { AsyncLocalStorage } = await import("node:async_hooks");
  const als = new AsyncLocalStorage();
  const floor = impl === "node-floor";
  const route = (req, res) => {
    const url = req.url;
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (req.method !== "GET") return notFound(res);
    const h = exact.get(path);
    if (h !== undefined) return h(req, res);
    const slash = path.indexOf("/", 1);
    if (slash === -1) return notFound(res);
    const first = path.slice(0, slash);
    const rest = path.slice(slash + 1);
    if (first === "/users") {
      const s2 = rest.indexOf("/");
      if (s2 === -1) return rest === "" ? notFound(res) : user(req, res, decodeURIComponent(rest));
      const tail = userTails.get(rest.slice(s2 + 1));
      return tail === undefined || s2 === 0
        ? notFound(res)
        : tail(req, res, decodeURIComponent(rest.slice(0, s2)));
    }
    const p = byPrefix.get(first);
    if (p === undefined || rest === "" || rest.includes("/")) return notFound(res);
    return p(req, res, decodeURIComponent(rest));
  };
  const inTask = async (req, res) => route(req, res);
  const server = http.createServer(
    floor ? (req, res) => als.run({ signal: new AbortController() }, inTask, req, res) : route,
  );
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.listen({ host: HOST, port: 0, backlog: BACKLOG }, () => listening(server.address().port));
  process.on("SIGTERM", () => process.exit(0));
} else if (impl === "aiots") {
  // AIOTS_DIST (a built dist/ elsewhere) lets bench/duel.sh pit two builds of aiots against each other.
  const dist = process.env.AIOTS_DIST ?? new URL("../../dist/", import.meta.url).pathname;
  const asyncio = await import(`${dist}/index.js`);
  const web = await import(`${dist}/web/index.js`);
  await asyncio.run(async () => {
    const app = new web.Application();
    for (const r of ROUTES) {
      if (r.kind === "root") app.router.addGet("/", async () => new web.Response({ text: HELLO }));
      else if (r.kind === "json") app.router.addGet("/json", async () => web.jsonResponse(JSON_BODY));
      else if (r.kind === "user")
        app.router.addGet(
          r.path,
          async (req) => new web.Response({ text: `user ${req.matchInfo.get("id")}` }),
        );
      else if (r.kind === "static")
        app.router.addGet(r.path, async () => new web.Response({ text: `route ${r.k}` }));
      else
        app.router.addGet(
          r.path,
          async (req) => new web.Response({ text: `route ${r.k} ${req.matchInfo.get("id")}` }),
        );
    }
    const runner = new web.AppRunner(app, { keepAliveTimeout: KEEP_ALIVE_MS / 1000, shutdownTimeout: 1 });
    await runner.setup();
    const site = new web.TCPSite(runner, HOST, 0, { backlog: BACKLOG });
    await site.start();
    const stop = new asyncio.Event();
    const loop = asyncio.getRunningLoop();
    loop.addSignalHandler("SIGTERM", () => stop.set());
    listening(runner.addresses[0][1]);
    await stop.wait();
    await runner.cleanup();
  });
  process.exit(0);
} else if (impl === "fastify") {
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ logger: false, keepAliveTimeout: KEEP_ALIVE_MS });
  for (const r of ROUTES) {
    const p = colon(r.path);
    if (r.kind === "root") app.get(p, (_q, reply) => reply.send(HELLO));
    else if (r.kind === "json") app.get(p, (_q, reply) => reply.send(JSON_BODY));
    else if (r.kind === "user") app.get(p, (req, reply) => reply.send(`user ${req.params.id}`));
    else if (r.kind === "static") app.get(p, (_q, reply) => reply.send(`route ${r.k}`));
    else app.get(p, (req, reply) => reply.send(`route ${r.k} ${req.params.id}`));
  }
  await app.listen({ host: HOST, port: 0, backlog: BACKLOG });
  listening(app.server.address().port);
  process.on("SIGTERM", () => process.exit(0));
} else if (impl === "hono") {
  const { Hono } = await import("hono");
  const { serve } = await import("@hono/node-server");
  const app = new Hono();
  for (const r of ROUTES) {
    const p = colon(r.path);
    if (r.kind === "root") app.get(p, (c) => c.text(HELLO));
    else if (r.kind === "json") app.get(p, (c) => c.json(JSON_BODY));
    else if (r.kind === "user") app.get(p, (c) => c.text(`user ${c.req.param("id")}`));
    else if (r.kind === "static") app.get(p, (c) => c.text(`route ${r.k}`));
    else app.get(p, (c) => c.text(`route ${r.k} ${c.req.param("id")}`));
  }
  const server = serve({ fetch: app.fetch, hostname: HOST, port: 0 }, (info) => listening(info.port));
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  process.on("SIGTERM", () => process.exit(0));
} else {
  const { default: express } = await import("express");
  const app = express();
  for (const r of ROUTES) {
    const p = colon(r.path);
    if (r.kind === "root") app.get(p, (_q, res) => res.type("text/plain").send(HELLO));
    else if (r.kind === "json") app.get(p, (_q, res) => res.json(JSON_BODY));
    else if (r.kind === "user")
      app.get(p, (req, res) => res.type("text/plain").send(`user ${req.params.id}`));
    else if (r.kind === "static") app.get(p, (_q, res) => res.type("text/plain").send(`route ${r.k}`));
    else app.get(p, (req, res) => res.type("text/plain").send(`route ${r.k} ${req.params.id}`));
  }
  const server = app.listen(0, HOST, BACKLOG, () => listening(server.address().port));
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  process.on("SIGTERM", () => process.exit(0));
}
