/**
 * Example 06 — a TCP echo server with `startServer` and clients with `openConnection`.
 * (Seed tutorial, "TcpEchoServer".)
 *
 *   npm exec -- node --import tsx examples/06-tcp-echo.ts                 # demo: server + 100 clients at once
 *   npm exec -- node --import tsx examples/06-tcp-echo.ts server --port 8888   # serve until Ctrl+C
 *   npm exec -- node --import tsx examples/06-tcp-echo.ts client --port 8888 hello world
 */
import { parseArgs } from "node:util";
import * as asyncio from "aiots";

const USAGE = `usage: 06-tcp-echo.ts [demo|server|client] [options] [lines…]

  demo     start a server on a free port, run --clients clients at once, check every echo (default)
  server   echo every line back until Ctrl+C (SIGINT) or SIGTERM
  client   send each remaining argument as a line, print what comes back

options:
  --host HOST      address to listen on / connect to (default 127.0.0.1)
  --port PORT      port (default 0 = any free port for server and demo, 8888 for client)
  --clients N      demo: clients at once (default 100)
  --lines N        demo: lines per client (default 10)
  -h, --help       this help`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    clients: { type: "string", default: "100" },
    lines: { type: "string", default: "10" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const mode = positionals[0] ?? "demo";

/** The server side: one task per connection, each line written back as it arrives. */
async function handleEcho(reader: asyncio.StreamReader, writer: asyncio.StreamWriter): Promise<void> {
  for await (const line of reader) {
    writer.write(line);
    await writer.drain();
  }
  writer.close();
  await writer.waitClosed();
}

async function startEchoServer(host: string, port: number): Promise<asyncio.Server> {
  return asyncio.startServer(handleEcho, host, port);
}

function portOf(server: asyncio.Server): number {
  return (server.sockets[0]!.getsockname() as [string, number])[1];
}

/** One client: send `lines`, read each echo back, return them. */
async function echoClient(host: string, port: number, lines: string[]): Promise<string[]> {
  const [reader, writer] = await asyncio.openConnection(host, port);
  const back: string[] = [];
  try {
    for (const line of lines) {
      writer.write(`${line}\n`);
      await writer.drain();
      back.push((await reader.readline()).toString("utf8").replace(/\n$/, ""));
    }
  } finally {
    writer.close();
    await writer.waitClosed();
  }
  return back;
}

async function demo(host: string, clients: number, perClient: number): Promise<void> {
  await using server = await startEchoServer(host, 0);
  const port = portOf(server);
  console.log(`echo server on ${host}:${port}`);
  const results = await asyncio.gather(
    // Functions, not started promises: each client runs as a task of its own, as in Python.
    Array.from(
      { length: clients },
      (_, c) => () =>
        echoClient(
          host,
          port,
          Array.from({ length: perClient }, (_, i) => `client ${c} line ${i}`),
        ),
    ),
  );
  let ok = 0;
  results.forEach((back, c) => {
    if (back.every((line, i) => line === `client ${c} line ${i}`) && back.length === perClient) ok++;
  });
  console.log(
    `${clients} clients, ${clients * perClient} lines: ${ok} clients got every line back unchanged`,
  );
}

async function serve(host: string, port: number): Promise<void> {
  const server = await startEchoServer(host, port);
  console.log(`serving on ${host}:${portOf(server)} (Ctrl+C to stop)`);
  const loop = asyncio.getRunningLoop();
  const main = asyncio.currentTask()!;
  for (const sig of ["SIGINT", "SIGTERM"] as const) loop.addSignalHandler(sig, () => main.cancel());
  try {
    await server.serveForever();
  } catch (e) {
    if (!asyncio.isCancelledError(e)) throw e;
    console.log("server closed");
  }
}

async function client(host: string, port: number, lines: string[]): Promise<void> {
  for (const line of await echoClient(host, port, lines.length > 0 ? lines : ["hello"])) console.log(line);
}

await asyncio.run(async () => {
  const host = values.host!;
  switch (mode) {
    case "demo":
      return demo(host, Number(values.clients), Number(values.lines));
    case "server":
      return serve(host, Number(values.port ?? 0));
    case "client":
      return client(host, Number(values.port ?? 8888), positionals.slice(1));
    default:
      console.error(`unknown mode ${JSON.stringify(mode)}\n\n${USAGE}`);
      process.exitCode = 2;
  }
});
