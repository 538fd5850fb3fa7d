/**
 * `AppRunner` and the sites (aiohttp's `web_runner`): the programmatic form of `runApp`.
 *
 * ```ts
 * const runner = new web.AppRunner(app);
 * await runner.setup();
 * const site = new web.TCPSite(runner, "127.0.0.1", 0);
 * await site.start();
 * console.log(runner.addresses);   // [["127.0.0.1", 43817]]
 * await runner.cleanup();
 * ```
 * Shutdown follows aiohttp's order (DESIGN-NOTES §8): stop listening, close idle keep-alive
 * connections, let requests in flight finish for up to `shutdownTimeout` seconds, cancel what is
 * left, then run `onShutdown` and `onCleanup`.
 */
import type * as http from "node:http";
import type * as https from "node:https";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import { inspect } from "node:util";
import { reusePortSupported, runInRoot } from "../asyncio/kernel.js";
import { ArgumentTypeError, getEventLoop, RuntimeError, ValueError } from "../index.js";
import { Application } from "./app.js";
import { accessLogger } from "./log.js";
import { type HandlerOptions, RequestHandler } from "./server.js";

/** Options of {@link AppRunner}. */
export interface AppRunnerOptions extends HandlerOptions {
  /** Seconds requests in flight get to finish at shutdown before they are cancelled (default 60). */
  shutdownTimeout?: number;
}

/**
 * Runs an application on one or more sites.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#apprunner
 */
export class AppRunner {
  readonly app: Application;
  readonly #options: AppRunnerOptions;
  #handler: RequestHandler | null = null;
  readonly #sites = new Set<BaseSite>();
  #cleanedUp = false;

  constructor(app: Application, options: AppRunnerOptions = {}) {
    if (!(app instanceof Application))
      throw new ArgumentTypeError(`AppRunner needs an Application, got ${inspect(app, { depth: 0 })}`);
    const t = options.shutdownTimeout ?? 60;
    if (typeof t !== "number" || !(t >= 0))
      throw new ValueError(`shutdownTimeout must be a number ≥ 0, got ${inspect(t)}`);
    this.app = app;
    this.#options = { accessLog: accessLogger, ...options };
  }

  /** Start the application (`onStartup`, `cleanupCtx`) and freeze it. */
  async setup(): Promise<void> {
    if (this.#handler !== null) throw new RuntimeError("AppRunner is already set up");
    const loop = getEventLoop();
    await this.app.startup();
    this.#handler = new RequestHandler(this.app, loop, this.#options);
  }

  /** @internal The request handler the sites serve with. */
  get requestHandler(): RequestHandler {
    if (this.#handler === null) throw new RuntimeError("Call setup() before adding sites");
    return this.#handler;
  }

  /** The sites started on this runner. */
  get sites(): ReadonlySet<BaseSite> {
    return this.#sites;
  }

  /** What the sites listen on: `[host, port]` for TCP, the path for Unix sockets. */
  get addresses(): (readonly [string, number] | string)[] {
    const out: (readonly [string, number] | string)[] = [];
    for (const s of this.#sites) {
      const a = s.nodeServer?.address();
      if (a === null || a === undefined) continue;
      out.push(typeof a === "string" ? a : ([(a as AddressInfo).address, (a as AddressInfo).port] as const));
    }
    return out;
  }

  /** @internal */
  addSite(site: BaseSite): void {
    if (this.#sites.has(site)) throw new RuntimeError(`Site ${site.name} is already registered in runner`);
    this.#sites.add(site);
  }

  /** @internal */
  dropSite(site: BaseSite): void {
    this.#sites.delete(site);
  }

  /** Stop every site, finish (or cancel) the requests in flight, then run `onShutdown` and `onCleanup`. */
  async cleanup(): Promise<void> {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    for (const site of [...this.#sites]) await site.stop();
    if (this.#handler !== null) {
      await this.#handler.shutdown(this.#options.shutdownTimeout ?? 60);
      await this.app.shutdown();
    }
    await this.app.cleanup();
  }
}

/** What the sites share. */
export abstract class BaseSite {
  readonly runner: AppRunner;
  /** @internal The listening Node server, once started. */
  nodeServer: http.Server | null = null;

  constructor(runner: AppRunner) {
    if (!(runner instanceof AppRunner))
      throw new ArgumentTypeError(`a site needs an AppRunner, got ${inspect(runner, { depth: 0 })}`);
    this.runner = runner;
  }

  /** The URL the site serves (`http://127.0.0.1:8080`). */
  abstract get name(): string;

  /** Start listening. */
  abstract start(): Promise<void>;

  /** @internal Listen with `listen(...args)`; resolves once listening. */
  async listenWith(ssl: https.ServerOptions | null, ...args: unknown[]): Promise<void> {
    if (this.nodeServer !== null) throw new RuntimeError(`Site ${this.name} is already started`);
    const server = this.runner.requestHandler.createNodeServer(ssl);
    this.runner.addSite(this);
    this.nodeServer = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => {
        this.runner.dropSite(this);
        this.nodeServer = null;
        reject(e);
      };
      server.once("error", onError);
      // In the root async context: request callbacks must not run inside whichever task started the site.
      runInRoot(() =>
        (server.listen as (...a: unknown[]) => void)(...args, () => {
          server.off("error", onError);
          resolve();
        }),
      );
    });
  }

  /** Stop listening (connections in flight are left to the runner's cleanup). */
  async stop(): Promise<void> {
    const server = this.nodeServer;
    this.runner.dropSite(this);
    if (server === null) return;
    server.close();
  }
}

/** Options of {@link TCPSite}. */
export interface TCPSiteOptions {
  /** Let several processes listen on the same port (`SO_REUSEPORT`; Node ≥ 22.12). */
  reusePort?: boolean;
  /** Listen backlog (default 128). */
  backlog?: number;
  /** Serve HTTPS with these Node TLS options (`{ key, cert }`). */
  ssl?: https.ServerOptions | null;
}

/** A TCP site: `new TCPSite(runner, "0.0.0.0", 8080)`; port 0 picks a free port. */
export class TCPSite extends BaseSite {
  readonly #host: string;
  readonly #port: number;
  readonly #options: TCPSiteOptions;

  constructor(
    runner: AppRunner,
    host: string | null = null,
    port: number | null = null,
    options: TCPSiteOptions = {},
  ) {
    super(runner);
    if (host !== null && typeof host !== "string")
      throw new ArgumentTypeError(`host must be a string, got ${inspect(host)}`);
    const p = port ?? (options.ssl ? 8443 : 8080);
    if (!Number.isInteger(p) || p < 0 || p > 65535)
      throw new ValueError(`port must be an integer 0–65535, got ${inspect(port)}`);
    if (options.reusePort && !reusePortSupported())
      throw new ValueError(`reusePort is not supported on Node ${process.versions.node} (needs ≥ 22.12)`);
    this.#host = host ?? "0.0.0.0";
    this.#port = p;
    this.#options = options;
  }

  get name(): string {
    const scheme = this.#options.ssl ? "https" : "http";
    const a = this.nodeServer?.address();
    const port = a !== null && a !== undefined && typeof a !== "string" ? a.port : this.#port;
    const host = this.#host.includes(":") ? `[${this.#host}]` : this.#host;
    return `${scheme}://${host}:${port}`;
  }

  async start(): Promise<void> {
    await this.listenWith(this.#options.ssl ?? null, {
      host: this.#host,
      port: this.#port,
      backlog: this.#options.backlog ?? 128,
      reusePort: this.#options.reusePort,
    });
  }
}

/** A Unix-socket site: `new UnixSite(runner, "/tmp/app.sock")`. */
export class UnixSite extends BaseSite {
  readonly #path: string;

  constructor(runner: AppRunner, path: string) {
    super(runner);
    if (typeof path !== "string" || path === "")
      throw new ArgumentTypeError(`path must be a non-empty string, got ${inspect(path)}`);
    this.#path = path;
  }

  get name(): string {
    return `http://unix:${this.#path}:`;
  }

  async start(): Promise<void> {
    const { existsSync, statSync, unlinkSync } = await import("node:fs");
    // A stale socket file from a previous run is replaced (as asyncio's create_unix_server does).
    if (existsSync(this.#path) && statSync(this.#path).isSocket()) unlinkSync(this.#path);
    await this.listenWith(null, this.#path);
  }
}

/** A site on a socket or server you already have (`net.Server`, or a listening handle). */
export class SockSite extends BaseSite {
  readonly #sock: NetServer | Socket | { fd: number };

  constructor(runner: AppRunner, sock: NetServer | Socket | { fd: number }) {
    super(runner);
    if (sock === null || typeof sock !== "object")
      throw new ArgumentTypeError(`sock must be a server, socket or { fd }, got ${inspect(sock)}`);
    this.#sock = sock;
  }

  get name(): string {
    const a = this.nodeServer?.address();
    if (a === null || a === undefined) return "http://sock";
    return typeof a === "string" ? `http://unix:${a}:` : `http://${a.address}:${a.port}`;
  }

  async start(): Promise<void> {
    await this.listenWith(null, this.#sock);
  }
}
