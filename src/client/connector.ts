/**
 * `TCPConnector` (aiohttp's `TCPConnector`): the session's pool of keep-alive connections, on an
 * undici `Agent`.
 *
 * undici keeps the connections (one `Pool` per origin, `limitPerHost` as its `connections`); the
 * connector adds what aiohttp has and undici has not: a limit on the connections in use across all
 * hosts (`limit`, a semaphore held from the request's start to the end of its body — waiting for it
 * is the "connection queued" trace), per-request socket-connect timeouts, and the connection trace
 * signals (undici calls our `connect` function when, and only when, it opens a connection).
 */
import type { ConnectionOptions } from "node:tls";
import { inspect } from "node:util";
import { Agent, buildConnector, type Dispatcher, ProxyAgent } from "undici";
import { ArgumentTypeError, type EventLoop, Future, ValueError } from "../index.js";
import { ExpectContinueDispatcher, type ExpectContinueHandler } from "./expect-continue.js";

/** Options of {@link TCPConnector}. */
export interface TCPConnectorOptions {
  /** Connections in use at once across all hosts (default 100; 0: no limit). */
  limit?: number;
  /** Connections to one host (scheme, host and port) at once (default 0: no limit). */
  limitPerHost?: number;
  /** Seconds an idle keep-alive connection stays open (default 15). */
  keepaliveTimeout?: number;
  /** Close every connection after its response (no keep-alive; default false). */
  forceClose?: boolean;
  /**
   * TLS: `true` (default) verifies certificates; `false` does not (aiohttp's `ssl=False`); an
   * object gives Node's `tls.connect` options (`ca`, `cert`, `key`, `rejectUnauthorized` …).
   */
  ssl?: boolean | ConnectionOptions;
  /** Local address to connect from. */
  localAddr?: string | null;
  /** Largest response head in bytes (default 16 KiB · 2, as undici's). */
  maxHeaderSize?: number;
}

/**
 * What a traced request tells the connector while undici may be opening a connection for it. Only a
 * connection opened inside `dispatch` is seen (undici opens one later for a body of unknown length,
 * or for a request queued in its pool).
 */
export interface ConnectHooks {
  /** Awaited before the connection is opened (trace `onConnectionCreateStart`). */
  createStart(): Promise<void> | null;
  /** Awaited once it is (trace `onConnectionCreateEnd`). */
  createEnd(): Promise<void> | null;
  /** The request got a new connection (so it did not reuse one). */
  created: boolean;
}

/** The traced request being dispatched right now (undici may open a connection inside `dispatch`). */
let dispatching: ConnectHooks | null = null;

function count(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    throw new ValueError(`${name} must be an integer ≥ 0, got ${inspect(v)}`);
  return v;
}

/**
 * A pool of keep-alive HTTP/1.1 connections, shared by the requests of one or more sessions.
 * @see https://docs.aiohttp.org/en/stable/client_reference.html#tcpconnector
 */
export class TCPConnector {
  /** Connections in use at once across all hosts (0: no limit). */
  readonly limit: number;
  /** Connections to one host at once (0: no limit). */
  readonly limitPerHost: number;
  /** Seconds an idle connection is kept. */
  readonly keepaliveTimeout: number;
  /** Whether connections are closed after each response. */
  readonly forceClose: boolean;
  readonly #tls: ConnectionOptions;
  readonly #localAddr: string | null;
  readonly #maxHeaderSize: number | undefined;
  readonly #slots: ConnectionSlots | null;
  /**
   * One pool per socket-connect timeout (`null`: none): the timeout is the connector's, fixed when the
   * pool is made, so it holds for connections undici opens later too (not only inside `dispatch`).
   * Sessions rarely use more than one.
   */
  readonly #agents = new Map<number | null, Agent>();
  readonly #proxies = new Map<string, ProxyAgent>();
  /** `Expect: 100-continue` requests (undici refuses them): made on the first. */
  #expectContinue: ExpectContinueDispatcher | null = null;
  #closed = false;

  constructor(options: TCPConnectorOptions = {}) {
    if (options === null || typeof options !== "object")
      throw new ArgumentTypeError(`TCPConnector takes an options object, got ${inspect(options)}`);
    this.limit = count("limit", options.limit, 100);
    this.limitPerHost = count("limitPerHost", options.limitPerHost, 0);
    const ka = options.keepaliveTimeout ?? 15;
    if (typeof ka !== "number" || !(ka >= 0) || !Number.isFinite(ka))
      throw new ValueError(`keepaliveTimeout must be a number of seconds ≥ 0, got ${inspect(ka)}`);
    this.keepaliveTimeout = ka;
    this.forceClose = options.forceClose === true;
    if (this.forceClose && options.keepaliveTimeout != null)
      throw new ValueError("keepaliveTimeout cannot be set if forceClose is true");
    const ssl = options.ssl ?? true;
    if (typeof ssl === "boolean") this.#tls = ssl ? {} : { rejectUnauthorized: false };
    else if (typeof ssl === "object" && ssl !== null) this.#tls = { ...ssl };
    else throw new ArgumentTypeError(`ssl must be a boolean or TLS options, got ${inspect(ssl)}`);
    this.#localAddr = options.localAddr ?? null;
    if (options.maxHeaderSize !== undefined) count("maxHeaderSize", options.maxHeaderSize, 0);
    this.#maxHeaderSize = options.maxHeaderSize;
    // Created at once: the first request must not pay for it.
    this.#slots = this.limit > 0 ? new ConnectionSlots(this.limit) : null;
  }

  /** Whether {@link close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Close every connection now (requests in flight fail); the connector cannot be used again. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const all: { destroy(): Promise<void> }[] = [...this.#proxies.values(), ...this.#agents.values()];
    if (this.#expectContinue !== null) all.push(this.#expectContinue);
    this.#proxies.clear();
    this.#agents.clear();
    this.#expectContinue = null;
    await Promise.all(all.map((d) => d.destroy().catch(() => {})));
  }

  /** `await using connector = new TCPConnector()`: closed at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * @internal The dispatcher for a request: the connector's pool for `sockConnect` seconds of
   * connect timeout (`null`: none), or the one for `proxy`.
   * @throws {RuntimeError}-like errors are the session's business: check {@link closed} first.
   */
  dispatcher(
    proxy: URL | null,
    proxyHeaders: Record<string, string> | null,
    sockConnect: number | null,
  ): Dispatcher {
    if (proxy === null) {
      let agent = this.#agents.get(sockConnect);
      if (agent === undefined) {
        agent = new Agent(this.#agentOptions(sockConnect));
        this.#agents.set(sockConnect, agent);
      }
      return agent;
    }
    const key = `${proxy.href}\n${JSON.stringify(proxyHeaders ?? {})}\n${sockConnect}`;
    let p = this.#proxies.get(key);
    if (p === undefined) {
      p = new ProxyAgent({
        ...this.#agentOptions(sockConnect),
        uri: proxy.href,
        headers: proxyHeaders ?? undefined,
        proxyTunnel: false, // http through the proxy as absolute-form requests; CONNECT for https
        requestTls: this.#tls,
      });
      this.#proxies.set(key, p);
    }
    return p;
  }

  /** @internal The dispatcher of `Expect: 100-continue` requests (see expect-continue.ts). */
  expectContinueDispatcher(): ExpectContinueDispatcher {
    this.#expectContinue ??= new ExpectContinueDispatcher({
      tls: this.#tls,
      localAddress: this.#localAddr,
      limitPerHost: this.limitPerHost,
      keepaliveTimeout: this.keepaliveTimeout,
      forceClose: this.forceClose,
    });
    return this.#expectContinue;
  }

  /** @internal The `limit` slots (null: no limit). */
  get slots(): ConnectionSlots | null {
    return this.#slots;
  }

  /** @internal Dispatch `opts` with `hooks` visible to a connection undici opens meanwhile. */
  dispatch(
    dispatcher: Dispatcher | ExpectContinueDispatcher,
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler & ExpectContinueHandler,
    hooks: ConnectHooks | null,
  ): void {
    dispatching = hooks;
    try {
      dispatcher.dispatch(opts, handler);
    } finally {
      dispatching = null;
    }
  }

  #agentOptions(sockConnect: number | null): Agent.Options {
    // undici's own default is 10 s; 0 is none (aiohttp has no socket-connect limit by default).
    const connect = buildConnector({ ...this.#tls, timeout: sockConnect === null ? 0 : sockConnect * 1000 });
    return {
      connections: this.limitPerHost === 0 ? null : this.limitPerHost,
      pipelining: this.forceClose ? 0 : 1,
      keepAliveTimeout: Math.max(1, this.keepaliveTimeout * 1000),
      keepAliveMaxTimeout: Math.max(1, this.keepaliveTimeout * 1000),
      localAddress: this.#localAddr ?? undefined,
      maxHeaderSize: this.#maxHeaderSize,
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: (options, callback) => traced(connect, options, callback),
    };
  }

  [inspect.custom](): string {
    return `TCPConnector(limit=${this.limit}, limitPerHost=${this.limitPerHost}${this.#closed ? ", closed" : ""})`;
  }
}

/**
 * @internal The connector's `limit`: slots taken at once when free ({@link tryTake}), else waited
 * for in FIFO order ({@link wait}); {@link give} hands a freed slot to the first waiter still waiting.
 */
export class ConnectionSlots {
  #free: number;
  readonly #waiters: Future<void>[] = [];
  #head = 0;

  constructor(limit: number) {
    this.#free = limit;
  }

  /** Take a free slot now, if there is one. */
  tryTake(): boolean {
    if (this.#free > 0 && this.#head === this.#waiters.length) {
      this.#free--;
      return true;
    }
    return false;
  }

  /**
   * A Future settled when a slot is handed to the caller (who then owns it). Cancelling it gives
   * up the place in line; if a slot was handed over at the same time, the caller must {@link give} it back.
   */
  wait(loop: EventLoop): Future<void> {
    const f = new Future<void>({ loop });
    this.#waiters.push(f);
    return f;
  }

  /** A slot is free again: to the first waiter still waiting, else to the pool. */
  give(): void {
    const w = this.#waiters;
    while (this.#head < w.length) {
      const f = w[this.#head]!;
      (w as unknown[])[this.#head] = undefined;
      this.#head++;
      if (!f.done()) {
        f.setResult();
        this.#trim();
        return;
      }
    }
    this.#trim();
    this.#free++;
  }

  #trim(): void {
    if (this.#head === this.#waiters.length) {
      this.#waiters.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

/** Open a connection with `connect`, telling the traced request being dispatched, if any. */
function traced(
  connect: buildConnector.connector,
  options: buildConnector.Options,
  callback: buildConnector.Callback,
): void {
  const hooks = dispatching;
  if (hooks === null) {
    connect(options, callback);
    return;
  }
  hooks.created = true;
  const run = (): void =>
    connect(options, (...args) => {
      const end = args[0] === null ? hooks.createEnd() : null;
      if (end === null) callback(...args);
      else
        end.then(
          () => callback(...args),
          (e) => callback(e as Error, null),
        );
    });
  const start = hooks.createStart();
  if (start === null) run();
  else start.then(run, (e) => callback(e as Error, null));
}
