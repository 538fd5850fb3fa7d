// The server of the `client` benchmark: a raw node:http hello world on 127.0.0.1 (a free port). Every
// request, whatever its method or path, gets `200 OK`, `Content-Type: text/plain` and the 13 bytes
// `Hello, World!` with an explicit Content-Length, so every client can keep its connection alive.
// Idle keep-alive connections are kept for 75 s (aiohttp's default; Node's own is 5 s). Prints
// "PORT <n>" once listening; serves until SIGTERM, or until its stdin closes (the driver went away).
// The driver (cases/client.mjs) starts it pinned to the server core.
// Usage: node cases/client_server.mjs
import http from "node:http";

const BODY = Buffer.from("Hello, World!");
const HEADERS = { "Content-Type": "text/plain", "Content-Length": String(BODY.length) };

const server = http.createServer((_req, res) => {
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.keepAliveTimeout = 75_000;
server.headersTimeout = 76_000;

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
process.on("SIGTERM", () => process.exit(0));
server.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${server.address().port}\n`));
