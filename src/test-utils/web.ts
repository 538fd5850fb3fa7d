/**
 * Web testing utilities (aiohttp's `test_utils`): `TestServer` runs an application on a free port
 * of 127.0.0.1, `makeMockedRequest` builds a `Request` without any socket.
 */
import { Buffer } from "node:buffer";
import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { inspect } from "node:util";
import { ArgumentTypeError, getEventLoop, RuntimeError } from "../index.js";
import {
  Application,
  AppRunner,
  type AppRunnerOptions,
  Request,
  TCPSite,
  UrlMappingMatchInfo,
} from "../web/index.js";

/**
 * An application served on `127.0.0.1` and a free port, for tests.
 *
 * ```ts
 * await using server = await new TestServer(app).start();
 * const res = await fetch(server.makeUrl("/users/1"));
 * ```
 */
export class TestServer {
  readonly app: Application;
  readonly host: string;
  readonly #options: AppRunnerOptions;
  #runner: AppRunner | null = null;
  #port: number | null = null;

  constructor(app: Application, options: AppRunnerOptions & { host?: string; port?: number } = {}) {
    if (!(app instanceof Application))
      throw new ArgumentTypeError(`TestServer needs an Application, got ${inspect(app, { depth: 0 })}`);
    const { host, port, ...runnerOptions } = options;
    this.app = app;
    this.host = host ?? "127.0.0.1";
    this.#port = port ?? 0;
    this.#options = { accessLog: null, shutdownTimeout: 5, ...runnerOptions };
  }

  /** Start serving; resolves with the server itself (so `await using s = await new TestServer(app).start()`). */
  async start(): Promise<this> {
    if (this.#runner !== null) throw new RuntimeError("TestServer is already started");
    const runner = new AppRunner(this.app, this.#options);
    await runner.setup();
    const site = new TCPSite(runner, this.host, this.#port);
    await site.start();
    this.#runner = runner;
    const first = runner.addresses[0];
    this.#port = Array.isArray(first) ? (first as readonly [string, number])[1] : this.#port;
    return this;
  }

  /** The port it listens on (known after `start()`). */
  get port(): number {
    if (this.#runner === null) throw new RuntimeError("TestServer is not started");
    return this.#port!;
  }

  /** The runner (for `runner.addresses` and the like). */
  get runner(): AppRunner {
    if (this.#runner === null) throw new RuntimeError("TestServer is not started");
    return this.#runner;
  }

  /** `http://127.0.0.1:PORT` */
  get baseUrl(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** The absolute URL of `path` on this server. */
  makeUrl(path: string): URL {
    if (typeof path !== "string" || !path.startsWith("/"))
      throw new ArgumentTypeError(`path must start with "/", got ${inspect(path)}`);
    return new URL(path, this.baseUrl);
  }

  /** Stop the server gracefully (idempotent). */
  async close(): Promise<void> {
    const runner = this.#runner;
    if (runner === null) return;
    await runner.cleanup();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Options of {@link makeMockedRequest}. */
export interface MockedRequestOptions {
  /** Request headers. */
  headers?: Record<string, string> | Iterable<readonly [string, string]>;
  /** The application (a fresh one by default). */
  app?: Application;
  /** Route variables. */
  matchInfo?: Record<string, string>;
  /** The body. */
  payload?: Uint8Array | string;
  /** `"1.1"` by default. */
  version?: string;
  /** `"https"` for a secure request. */
  scheme?: "http" | "https";
}

/**
 * A `Request` with no connection behind it, for unit-testing handlers and middlewares
 * (aiohttp's `make_mocked_request`). Its body is `payload`; responses cannot be `prepare()`d on it.
 */
export function makeMockedRequest(method: string, path: string, options: MockedRequestOptions = {}): Request {
  if (typeof method !== "string" || method === "")
    throw new ArgumentTypeError("method must be a non-empty string");
  if (typeof path !== "string" || !path.startsWith("/"))
    throw new ArgumentTypeError(`path must start with "/", got ${inspect(path)}`);
  const msg = new IncomingMessage(new Socket());
  msg.method = method.toUpperCase();
  msg.url = path;
  msg.httpVersion = options.version ?? "1.1";
  const raw: string[] = [];
  const lower: Record<string, string> = {};
  const pairs =
    options.headers === undefined
      ? []
      : Symbol.iterator in options.headers
        ? options.headers
        : Object.entries(options.headers);
  for (const [k, v] of pairs as Iterable<readonly [string, string]>) {
    raw.push(k, v);
    lower[k.toLowerCase()] = k.toLowerCase() in lower ? `${lower[k.toLowerCase()]}, ${v}` : v;
  }
  const payload = options.payload;
  if (payload !== undefined && lower["content-length"] === undefined) {
    const n = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
    raw.push("Content-Length", String(n));
    lower["content-length"] = String(n);
  }
  msg.rawHeaders = raw;
  msg.headers = lower;
  if (payload !== undefined)
    msg.push(typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload));
  msg.push(null);
  msg.complete = true; // the whole message is there: its end is not an abort
  const app = options.app ?? new Application();
  const matchInfo = new UrlMappingMatchInfo({ ...options.matchInfo }, null, app);
  return new Request(msg, null, app, { loop: getEventLoop(), scheme: options.scheme ?? "http" }, matchInfo);
}
