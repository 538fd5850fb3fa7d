/**
 * Stream connections and servers: `openConnection`, `startServer` and their Unix-socket forms
 * (the functions of CPython's `asyncio/streams.py`). Each connection gets a `StreamReader` and a
 * `StreamWriter` joined by a `StreamReaderProtocol`.
 */

import type { EventLoop } from "./base-events.js";
import type {
  ConnectionOptions,
  ServerOptions,
  UnixConnectionOptions,
  UnixServerOptions,
} from "./connections.js";
import { ArgumentTypeError } from "./exceptions.js";
import type { Awaitable } from "./futures.js";
import { GenOp } from "./lazy-ops.js";
import { getRunningLoop } from "./loop-registry.js";
import type { Server } from "./server.js";
import { type ClientConnectedCallback, StreamReaderProtocol } from "./stream-protocol.js";
import { StreamReader } from "./stream-reader.js";
import { StreamWriter } from "./stream-writer.js";
import type { Transport } from "./transports.js";

/** Options of {@link openConnection}. */
export interface OpenConnectionOptions extends ConnectionOptions {
  /** The reader's buffer limit (default 64 KiB). */
  limit?: number;
}

/** Options of {@link startServer}. */
export interface StartServerOptions extends ServerOptions {
  /** Each reader's buffer limit (default 64 KiB). */
  limit?: number;
}

/**
 * Connect to `host:port` and return `[reader, writer]`.
 * @throws {ConnectionRefusedError} nothing listens there. @throws {GaiError} unknown host.
 * @see https://docs.python.org/3/library/asyncio-stream.html#asyncio.open_connection
 */
export function openConnection(
  host: string,
  port: number | string,
  options: OpenConnectionOptions = {},
): Awaitable<[StreamReader, StreamWriter]> {
  const { limit, ...rest } = options ?? {};
  return new GenOp(() => openGen((loop, f) => loop.createConnection(f, host, port, rest), limit));
}

/** Connect to the Unix socket at `path` and return `[reader, writer]`. */
export function openUnixConnection(
  path: string,
  options: UnixConnectionOptions & { limit?: number } = {},
): Awaitable<[StreamReader, StreamWriter]> {
  const { limit, ...rest } = options ?? {};
  return new GenOp(() => openGen((loop, f) => loop.createUnixConnection(f, path, rest), limit));
}

function* openGen(
  connect: (
    loop: EventLoop,
    factory: () => StreamReaderProtocol,
  ) => Awaitable<[Transport, StreamReaderProtocol]>,
  limit: number | undefined,
): Generator<unknown, [StreamReader, StreamWriter], unknown> {
  const loop = getRunningLoop();
  const reader = new StreamReader({ limit, loop });
  const protocol = new StreamReaderProtocol(reader, null, loop);
  const [transport] = yield* connect(loop, () => protocol);
  return [reader, new StreamWriter(transport, protocol, reader, loop)];
}

/**
 * Start a TCP server calling `clientConnected(reader, writer)` for each connection (an async or
 * generator function runs as a task). `host` null or omitted listens on every interface; port 0 picks one.
 * @see https://docs.python.org/3/library/asyncio-stream.html#asyncio.start_server
 */
export function startServer(
  clientConnected: ClientConnectedCallback,
  host?: string | readonly string[] | null,
  port?: number | string | null,
  options: StartServerOptions = {},
): Awaitable<Server> {
  checkCallback(clientConnected);
  const { limit, ...rest } = options ?? {};
  return new GenOp(function* () {
    const loop = getRunningLoop();
    return yield* loop.createServer(
      streamFactory(loop, clientConnected, limit),
      host ?? null,
      port ?? 0,
      rest,
    );
  });
}

/** Start a server on the Unix socket at `path` (a stale socket file there is replaced). */
export function startUnixServer(
  clientConnected: ClientConnectedCallback,
  path: string,
  options: UnixServerOptions & { limit?: number } = {},
): Awaitable<Server> {
  checkCallback(clientConnected);
  const { limit, ...rest } = options ?? {};
  return new GenOp(function* () {
    const loop = getRunningLoop();
    return yield* loop.createUnixServer(streamFactory(loop, clientConnected, limit), path, rest);
  });
}

function streamFactory(
  loop: EventLoop,
  cb: ClientConnectedCallback,
  limit: number | undefined,
): () => StreamReaderProtocol {
  if (limit !== undefined) new StreamReader({ limit, loop }); // validate now, not per connection
  return () => new StreamReaderProtocol(new StreamReader({ limit, loop }), cb, loop);
}

function checkCallback(cb: unknown): void {
  if (typeof cb !== "function") throw new ArgumentTypeError("clientConnected must be a function");
}
