/**
 * Opening connections and servers: the bodies of `loop.createConnection`, `loop.createServer` and
 * their Unix-socket forms (CPython's `create_connection`/`create_server` in `base_events.py` and
 * `unix_events.py`). Node's `net`/`tls` do the system calls; errors become Python's `OSError`s.
 */
import { lstatSync, unlinkSync } from "node:fs";
import * as net from "node:net";
import process from "node:process";
import * as tls from "node:tls";
import type { EventLoop } from "./base-events.js";
import { ArgumentTypeError, ConnectionAbortedError, OSError, ValueError } from "./exceptions.js";
import { type Awaitable, Future } from "./futures.js";
import { GenOp } from "./lazy-ops.js";
import { runInRoot } from "./loop-registry.js";
import type { BaseProtocol } from "./protocols.js";
import { Server } from "./server.js";
import { SocketTransport } from "./socket-transport.js";
import type { Transport } from "./transports.js";

/**
 * The `ssl` option: `true` for a client with the default trust store, a `tls.SecureContext`, or
 * Node's TLS options (`{ ca, cert, key, rejectUnauthorized … }`). A server needs a context or options
 * holding its certificate and key.
 */
export type SSLOption = boolean | tls.SecureContext | tls.ConnectionOptions | tls.TlsOptions;

/** Options of `loop.createConnection` and `openConnection`. */
export interface ConnectionOptions {
  /** Connect over TLS (see {@link SSLOption}). */
  ssl?: SSLOption | null;
  /** The name to check the server's certificate against (default: `host` when it is a name). */
  serverHostname?: string | null;
  /** Bind the local end to `[host, port]` first. */
  localAddr?: [string, number] | null;
  /** 4 or 6 to force an address family; 0 (default) for either. */
  family?: 0 | 4 | 6;
  /** Seconds the TLS handshake may take (default 60, as in CPython). */
  sslHandshakeTimeout?: number | null;
}

/** Options of `loop.createServer` and `startServer`. */
export interface ServerOptions {
  /** Serve TLS: a `tls.SecureContext` or Node's TLS server options (with `cert` and `key`). */
  ssl?: tls.SecureContext | tls.TlsOptions | null;
  /** Listen backlog (default 100, as in CPython). */
  backlog?: number;
  /** Let several processes listen on the same port (`SO_REUSEPORT`; Node ≥ 22.12). */
  reusePort?: boolean;
  /** Accept connections at once (default `true`); else call `server.startServing()`. */
  startServing?: boolean;
  /** 4 or 6 to force an address family when `host` is a name. */
  family?: 0 | 4 | 6;
}

/** Options of the Unix-socket forms. */
export interface UnixConnectionOptions {
  ssl?: SSLOption | null;
  serverHostname?: string | null;
  sslHandshakeTimeout?: number | null;
}

/** Options of `loop.createUnixServer` and `startUnixServer`. */
export interface UnixServerOptions {
  ssl?: tls.SecureContext | tls.TlsOptions | null;
  backlog?: number;
  startServing?: boolean;
}

const DEFAULT_SSL_HANDSHAKE_TIMEOUT = 60;

/** @internal */
export function createConnection<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  host: string,
  port: number | string,
  options: ConnectionOptions = {},
): Awaitable<[Transport, P]> {
  checkFactory(protocolFactory);
  if (typeof host !== "string" || host === "") throw new ArgumentTypeError("host must be a non-empty string");
  const p = checkPort(port);
  checkOptions(options);
  return new GenOp(() => connectGen(loop, protocolFactory, { host, port: p }, options, host));
}

/** @internal */
export function createUnixConnection<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  path: string,
  options: UnixConnectionOptions = {},
): Awaitable<[Transport, P]> {
  checkFactory(protocolFactory);
  checkPath(path);
  checkOptions(options);
  return new GenOp(() => connectGen(loop, protocolFactory, { path }, options, null));
}

function* connectGen<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  where: { host: string; port: number } | { path: string },
  options: ConnectionOptions,
  host: string | null,
): Generator<unknown, [Transport, P], unknown> {
  loop._checkClosed();
  const ssl = options.ssl ?? null;
  if (ssl === null && options.serverHostname != null) {
    throw new ValueError("serverHostname is only meaningful with ssl");
  }
  // As CPython's create_connection: a handshake timeout without TLS is a mistake, not ignored.
  if (ssl === null && options.sslHandshakeTimeout != null) {
    throw new ValueError("sslHandshakeTimeout is only meaningful with ssl");
  }
  const connected = new Future<void>({ loop });
  const sock = runInRoot(openSocket, where, options, ssl, host);
  const onError = (err: Error): void => {
    if (!connected.done()) connected.setException(OSError.from(err));
  };
  const onConnect = (): void => {
    if (!connected.done()) connected.setResult();
  };
  sock.on("error", onError);
  sock.once(ssl === null ? "connect" : "secureConnect", onConnect);
  const handshakeTimer =
    ssl === null ? null : handshakeDeadline(loop, connected, options.sslHandshakeTimeout);
  try {
    yield* connected;
  } catch (e) {
    sock.destroy();
    throw e;
  } finally {
    handshakeTimer?.cancel();
    sock.removeListener("error", onError);
    sock.removeListener(ssl === null ? "connect" : "secureConnect", onConnect);
  }
  let protocol: P;
  try {
    protocol = protocolFactory();
  } catch (e) {
    sock.destroy();
    throw e;
  }
  const made = new Future<void>({ loop });
  // A Unix client is unnamed: its own address is "" and the peer's is the path (as getsockname/getpeername).
  const extra = "path" in where ? { peername: where.path, sockname: "" } : undefined;
  const transport = new SocketTransport(loop, sock, protocol, { waiter: made, extra });
  try {
    yield* made;
  } catch (e) {
    transport.abort();
    throw e;
  }
  return [transport, protocol];
}

function openSocket(
  where: { host: string; port: number } | { path: string },
  options: ConnectionOptions,
  ssl: SSLOption | null,
  host: string | null,
): net.Socket {
  const base: net.NetConnectOpts =
    "path" in where
      ? { path: where.path, allowHalfOpen: true }
      : {
          host: where.host,
          port: where.port,
          allowHalfOpen: true,
          noDelay: true,
          family: options.family ?? 0,
          localAddress: options.localAddr?.[0],
          localPort: options.localAddr?.[1],
        };
  if (ssl === null) return net.connect(base);
  const servername = options.serverHostname ?? (host !== null && net.isIP(host) === 0 ? host : undefined);
  return tls.connect({ ...base, ...clientTlsOptions(ssl), servername } as tls.ConnectionOptions);
}

function clientTlsOptions(ssl: SSLOption): tls.ConnectionOptions {
  if (ssl === true) return {};
  if (ssl === false) throw new ValueError("ssl=false: pass null for a plain connection");
  if (isSecureContext(ssl)) return { secureContext: ssl };
  return ssl as tls.ConnectionOptions;
}

function serverTlsOptions(ssl: tls.SecureContext | tls.TlsOptions): tls.TlsOptions {
  if (typeof ssl !== "object" || ssl === null) {
    throw new ArgumentTypeError("ssl must be a tls.SecureContext or TLS server options");
  }
  if (isSecureContext(ssl)) return { secureContext: ssl };
  return ssl;
}

/** `tls.createSecureContext()` results carry the native context; option objects do not. */
function isSecureContext(x: unknown): x is tls.SecureContext {
  return typeof x === "object" && x !== null && "context" in x && typeof (x as any).context === "object";
}

/** @internal */
export function createServer(
  loop: EventLoop,
  protocolFactory: () => BaseProtocol,
  host: string | readonly string[] | null | undefined,
  port: number | string | null | undefined,
  options: ServerOptions = {},
): Awaitable<Server> {
  checkFactory(protocolFactory);
  const hosts = host == null || host === "" ? [null] : typeof host === "string" ? [host] : [...host];
  for (const h of hosts) {
    if (h !== null && typeof h !== "string")
      throw new ArgumentTypeError("host must be a string or a list of strings");
  }
  const p = port == null ? 0 : checkPort(port);
  if (options.backlog !== undefined && !(Number.isInteger(options.backlog) && options.backlog >= 0)) {
    throw new ValueError(`backlog must be a non-negative integer, got ${options.backlog}`);
  }
  if (options.reusePort && !reusePortSupported()) {
    throw new ValueError(`reusePort is not supported on Node ${process.versions.node} (needs ≥ 22.12)`);
  }
  const listens = tcpListens(hosts, p, options);
  return new GenOp(() =>
    listenAll(loop, protocolFactory, options.ssl ?? null, options.startServing ?? true, listens, []),
  );
}

/** @internal */
export function createUnixServer(
  loop: EventLoop,
  protocolFactory: () => BaseProtocol,
  path: string,
  options: UnixServerOptions = {},
): Awaitable<Server> {
  checkFactory(protocolFactory);
  checkPath(path);
  return new GenOp(() => unixServerGen(loop, protocolFactory, path, options));
}

function* unixServerGen(
  loop: EventLoop,
  protocolFactory: () => BaseProtocol,
  path: string,
  options: UnixServerOptions,
): Generator<unknown, Server, unknown> {
  // A socket file left by a dead server would make listen() fail; CPython removes it too.
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // does not exist
  }
  return yield* listenAll(
    loop,
    protocolFactory,
    options.ssl ?? null,
    options.startServing ?? true,
    [{ path, backlog: options.backlog ?? 100 }],
    [path],
  );
}

function* listenAll(
  loop: EventLoop,
  protocolFactory: () => BaseProtocol,
  ssl: tls.SecureContext | tls.TlsOptions | null,
  startServing: boolean,
  listens: net.ListenOptions[],
  unixPaths: string[],
): Generator<unknown, Server, unknown> {
  loop._checkClosed();
  const servers: net.Server[] = [];
  const server = new Server(loop, servers, protocolFactory, { unixPaths });
  const ready: Future<void>[] = [];
  for (const opts of listens) {
    const srv = runInRoot(makeNodeServer, ssl);
    // Unix: Node reports no addresses for an accepted socket; the path is this side's own address.
    const extra = opts.path !== undefined ? { sockname: opts.path, peername: "" } : undefined;
    srv.on(ssl === null ? "connection" : "secureConnection", (sock: net.Socket) =>
      server._accept(sock, extra),
    );
    const f = new Future<void>({ loop });
    const onError = (err: Error): void => {
      if (!f.done()) f.setException(OSError.from(err));
    };
    srv.once("error", onError);
    runInRoot(() =>
      srv.listen(opts, () => {
        srv.removeListener("error", onError);
        if (!f.done()) f.setResult();
      }),
    );
    servers.push(srv);
    ready.push(f);
  }
  try {
    for (const f of ready) yield* f;
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  server._noteUnixPaths();
  if (startServing) yield* server.startServing();
  return server;
}

function makeNodeServer(ssl: tls.SecureContext | tls.TlsOptions | null): net.Server {
  if (ssl === null) return net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  return tls.createServer({ ...serverTlsOptions(ssl), allowHalfOpen: true });
}

/** TCP servers: one Node server per host. */
function tcpListens(hosts: (string | null)[], port: number, options: ServerOptions): net.ListenOptions[] {
  return hosts.map((h) => ({
    host: h ?? undefined,
    port,
    backlog: options.backlog ?? 100,
    reusePort: options.reusePort,
  }));
}

/** @internal `SO_REUSEPORT` through Node's `listen({ reusePort })` (Node ≥ 22.12 / 23.1). */
export function reusePortSupported(): boolean {
  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

function checkFactory(f: unknown): void {
  if (typeof f !== "function") throw new ArgumentTypeError("protocolFactory must be a function");
}

function checkPort(port: unknown): number {
  const n = typeof port === "string" && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new ArgumentTypeError(
      `port must be an integer, not ${typeof port === "string" ? JSON.stringify(port) : typeof port}`,
    );
  }
  if (n < 0 || n > 65535) throw new ValueError(`port must be 0-65535, got ${n}`);
  return n;
}

function checkPath(path: unknown): void {
  if (typeof path !== "string" || path === "") throw new ArgumentTypeError("path must be a non-empty string");
}

function checkOptions(options: unknown): void {
  if (options === null || typeof options !== "object")
    throw new ArgumentTypeError("options must be an object");
}

/** Options of `loop.startTls`. */
export interface StartTlsOptions {
  /** True on the accepting side. */
  serverSide?: boolean;
  /** Client side: the name to check the certificate against. */
  serverHostname?: string | null;
  /** Seconds the handshake may take (default 60). */
  sslHandshakeTimeout?: number | null;
}

/** @internal Upgrade a connection to TLS: the socket moves to a new transport, the protocol stays. */
export function startTls(
  loop: EventLoop,
  transport: Transport,
  protocol: BaseProtocol,
  ssl: SSLOption,
  options: StartTlsOptions = {},
): Awaitable<Transport> {
  if (!(transport instanceof SocketTransport)) {
    throw new ArgumentTypeError(`transport ${transport} is not supported by startTls()`);
  }
  if (ssl === null || ssl === undefined || ssl === false)
    throw new ValueError("startTls() needs an ssl option");
  return new GenOp(() => startTlsGen(loop, transport, protocol, ssl, options));
}

function* startTlsGen(
  loop: EventLoop,
  transport: SocketTransport,
  protocol: BaseProtocol,
  ssl: SSLOption,
  options: StartTlsOptions,
): Generator<unknown, Transport, unknown> {
  loop._checkClosed();
  const server = transport._server;
  const raw = transport._detachSocket();
  const serverSide = options.serverSide ?? false;
  const secured = new Future<void>({ loop });
  let tlsSock: tls.TLSSocket;
  if (serverSide) {
    const opts = serverTlsOptions(ssl as tls.SecureContext | tls.TlsOptions);
    tlsSock = runInRoot(
      () =>
        new tls.TLSSocket(raw, {
          ...(opts as tls.TLSSocketOptions),
          isServer: true,
          secureContext: opts.secureContext ?? tls.createSecureContext(opts),
        }),
    );
    tlsSock.once("secure", () => secured.done() || secured.setResult());
  } else {
    const servername = options.serverHostname ?? undefined;
    tlsSock = runInRoot(() => tls.connect({ ...clientTlsOptions(ssl), socket: raw, servername }));
    tlsSock.once("secureConnect", () => secured.done() || secured.setResult());
  }
  const onError = (err: Error): void => {
    if (!secured.done()) secured.setException(OSError.from(err));
  };
  tlsSock.on("error", onError);
  const timer = handshakeDeadline(loop, secured, options.sslHandshakeTimeout);
  try {
    yield* secured;
  } catch (e) {
    tlsSock.destroy();
    throw e;
  } finally {
    timer.cancel();
    tlsSock.removeListener("error", onError);
  }
  return new SocketTransport(loop, tlsSock, protocol, { server, callConnectionMade: false });
}

/** Fail `handshake` with CPython's ConnectionAbortedError unless it completes within `seconds`. */
function handshakeDeadline(loop: EventLoop, handshake: Future<void>, seconds: number | null | undefined) {
  const limit = seconds ?? DEFAULT_SSL_HANDSHAKE_TIMEOUT;
  return loop.callLater(limit, () => {
    if (handshake.done()) return;
    handshake.setException(
      new ConnectionAbortedError(
        `SSL handshake is taking longer than ${limit} seconds: aborting the connection`,
      ),
    );
  });
}
