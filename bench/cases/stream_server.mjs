// Line-echo servers for the streams benchmark. Prints "PORT <n>" once listening, serves until SIGTERM.
// Usage: node --expose-gc cases/stream_server.mjs <net-raw|net-write|net-cork|aiots|aiots-gen>
//   net-raw    echoes bytes as they come (no line splitting): the ceiling
//   net-write  splits lines, one socket.write per line
//   net-cork   splits lines, socket.cork() per chunk, one write per line, uncork at the end of the chunk
//   net-batch  splits lines, collects them per chunk and writes them with one Buffer.concat + write
//   net-async  an async function per connection awaiting each line and once after each write
//              (corked while lines are queued): the floor of the aiots async handler's shape
//   aiots      startServer; an async function doing readline() + write() + drain() per line
//   aiots-gen  the same as a generator coroutine (yield*)
// On SIGUSR2 it runs a GC and prints "MEM <rss> <heapUsed>" (for the idle-connections measurement).
import net from "node:net";
import * as asyncio from "../../dist/index.js";

const impl = process.argv[2];
const IMPLS = ["net-raw", "net-write", "net-cork", "net-batch", "net-async", "aiots", "aiots-gen"];
if (!IMPLS.includes(impl)) {
  process.stderr.write(`usage: node stream_server.mjs <${IMPLS.join("|")}>\n`);
  process.exit(2);
}

process.on("SIGUSR2", () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`MEM ${m.rss} ${m.heapUsed}\n`);
});

/** Split `chunk` (after `rest`) into lines; call `onLine` for each; return the unfinished tail. */
function splitLines(rest, chunk, onLine) {
  let buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
  let start = 0;
  for (;;) {
    const i = buf.indexOf(10, start);
    if (i === -1) break;
    onLine(buf.subarray(start, i + 1));
    start = i + 1;
  }
  buf = buf.subarray(start);
  return buf;
}

function nodeServer(handler) {
  const server = net.createServer({ noDelay: true }, handler);
  server.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${server.address().port}\n`));
  process.on("SIGTERM", () => process.exit(0));
}

if (impl === "net-raw") {
  nodeServer((sock) => {
    sock.on("data", (d) => sock.write(d));
    sock.on("error", () => {});
  });
} else if (impl === "net-batch") {
  nodeServer((sock) => {
    let rest = Buffer.alloc(0);
    let out = [];
    const collect = (line) => out.push(line);
    sock.on("data", (d) => {
      rest = splitLines(rest, d, collect);
      if (out.length > 0) sock.write(out.length === 1 ? out[0] : Buffer.concat(out));
      out = [];
    });
    sock.on("error", () => {});
  });
} else if (impl === "net-write" || impl === "net-cork") {
  const cork = impl === "net-cork";
  nodeServer((sock) => {
    let rest = Buffer.alloc(0);
    const write = (line) => sock.write(line);
    sock.on("data", (d) => {
      if (cork) sock.cork();
      rest = splitLines(rest, d, write);
      if (cork) sock.uncork();
    });
    sock.on("error", () => {});
  });
} else if (impl === "net-async") {
  // The floor of the async handler's shape on node:net: per connection one async function taking
  // each line with `await` of a resolved promise and awaiting once more after writing it — what
  // `await reader.readline()` + `await writer.drain()` cost when both complete at once — with the
  // socket corked while lines are queued, as the aiots transport coalesces a batch's writes.
  nodeServer((sock) => {
    let rest = Buffer.alloc(0);
    let lines = [];
    let next = 0;
    let wake = null;
    const queue = (line) => lines.push(line);
    sock.on("data", (d) => {
      if (next === lines.length) sock.cork();
      rest = splitLines(rest, d, queue);
      if (wake !== null) {
        const w = wake;
        wake = null;
        w();
      }
    });
    sock.on("error", () => {});
    sock.on("end", () => wake?.());
    (async () => {
      for (;;) {
        if (next === lines.length) {
          lines = [];
          next = 0;
          sock.uncork();
          await new Promise((r) => (wake = r));
          if (lines.length === 0) break;
        }
        const line = await Promise.resolve(lines[next++]);
        sock.write(line);
        await undefined;
      }
      sock.end();
    })();
  });
} else {
  const handlerAsync = async (reader, writer) => {
    try {
      for (;;) {
        const line = await reader.readline();
        if (line.length === 0) break;
        writer.write(line);
        await writer.drain();
      }
    } catch {}
    writer.close();
  };
  const handlerGen = asyncio.coroutine(function* (reader, writer) {
    try {
      for (;;) {
        const line = yield* reader.readline();
        if (line.length === 0) break;
        writer.write(line);
        yield* writer.drain();
      }
    } catch {}
    writer.close();
  });
  await asyncio.run(async () => {
    const server = await asyncio.startServer(impl === "aiots" ? handlerAsync : handlerGen, "127.0.0.1", 0, {
      backlog: 20000,
    });
    process.stdout.write(`PORT ${server.sockets[0].getsockname()[1]}\n`);
    const loop = asyncio.getRunningLoop();
    const main = asyncio.currentTask();
    loop.addSignalHandler("SIGTERM", () => main.cancel());
    try {
      await server.serveForever();
    } catch {}
    process.exit(0);
  });
}
