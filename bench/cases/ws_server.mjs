// WebSocket echo servers for the ws benchmark, on 127.0.0.1 (a free port). Each echoes every text
// message as text and every binary message as binary. Prints "PORT <n>" once listening; serves until
// SIGTERM, or until its stdin closes (the driver went away).
// Usage: node cases/ws_server.mjs <raw-ws|aiots>
//   raw-ws  the `ws` package's `new WebSocketServer({ port })`, echoing from its "message" event
//   ws-floor  the same `ws` server, with each connection's messages taken by an async function
//             awaiting a promise per message it must wait for (the shape of any `receive()` API):
//             the floor of a handler that reads its messages in a loop
//   aiots   aiots/web from dist/: Application + AppRunner + TCPSite, `router.addGet("/ws", handler)`,
//           the handler `await ws.prepare(request)`, `for await (const msg of ws)` and
//           `await ws.sendStr` / `await ws.sendBytes`
// The clients never offer permessage-deflate, so no server compresses.
const IMPLS = ["raw-ws", "ws-floor", "aiots"];
const impl = process.argv[2];
if (!IMPLS.includes(impl)) {
  process.stderr.write(`usage: node ws_server.mjs <${IMPLS.join("|")}>\n`);
  process.exit(2);
}
const HOST = "127.0.0.1";

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
const listening = (port) => process.stdout.write(`PORT ${port}\n`);

if (impl === "raw-ws") {
  const { WebSocketServer } = await import("ws");
  const wss = new WebSocketServer({ host: HOST, port: 0 });
  wss.on("connection", (ws) => {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  wss.on("listening", () => listening(wss.address().port));
  process.on("SIGTERM", () => process.exit(0));
} else if (impl === "ws-floor") {
  const { WebSocketServer } = await import("ws");
  const wss = new WebSocketServer({ host: HOST, port: 0 });
  wss.on("connection", async (ws) => {
    const buffer = [];
    let wake = null;
    ws.on("message", (data, isBinary) => {
      buffer.push(data, isBinary);
      if (wake !== null) {
        const w = wake;
        wake = null;
        w();
      }
    });
    ws.on("close", () => wake?.());
    while (ws.readyState === ws.OPEN) {
      if (buffer.length === 0) await new Promise((r) => (wake = r));
      while (buffer.length > 0) ws.send(buffer.shift(), { binary: buffer.shift() });
    }
  });
  wss.on("listening", () => listening(wss.address().port));
  process.on("SIGTERM", () => process.exit(0));
} else {
  // AIOTS_DIST (a built dist/ elsewhere) lets two builds of aiots be compared.
  const dist = process.env.AIOTS_DIST ?? new URL("../../dist/", import.meta.url).pathname;
  const asyncio = await import(`${dist}/index.js`);
  const web = await import(`${dist}/web/index.js`);
  await asyncio.run(async () => {
    const app = new web.Application();
    app.router.addGet("/ws", async (request) => {
      const ws = new web.WebSocketResponse();
      await ws.prepare(request);
      for await (const msg of ws) {
        if (msg.type === web.WSMsgType.TEXT) await ws.sendStr(msg.data);
        else if (msg.type === web.WSMsgType.BINARY) await ws.sendBytes(msg.data);
      }
      return ws;
    });
    const runner = new web.AppRunner(app, { shutdownTimeout: 1 });
    await runner.setup();
    const site = new web.TCPSite(runner, HOST, 0);
    await site.start();
    const stop = new asyncio.Event();
    asyncio.getRunningLoop().addSignalHandler("SIGTERM", () => stop.set());
    listening(runner.addresses[0][1]);
    await stop.wait();
    await runner.cleanup();
  });
  process.exit(0);
}
