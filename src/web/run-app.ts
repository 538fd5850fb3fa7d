/**
 * `runApp` (aiohttp's `web.run_app`): serve an application until SIGINT or SIGTERM, then shut down
 * gracefully and return (the process then exits with status 0 on its own).
 *
 * ```ts
 * await web.runApp(app, { host: "0.0.0.0", port: 9999 });
 * // ======== Running on http://0.0.0.0:9999 ========
 * // (Press CTRL+C to quit)
 * ```
 * With `workers: n`, the primary process forks `n` workers (`node:cluster`) that share the port;
 * the primary prints the banner, forwards SIGINT/SIGTERM to the workers, and returns once every
 * worker has finished its own graceful shutdown.
 */

import cluster from "node:cluster";
import type * as https from "node:https";
import process from "node:process";
import { inspect } from "node:util";
import { ArgumentTypeError, Event, getRunningLoop, run, ValueError } from "../index.js";
import { Application } from "./app.js";
import { accessLogger, type WebLogger } from "./log.js";
import { AppRunner, type BaseSite, TCPSite, UnixSite } from "./runner.js";

/** Options of {@link runApp}. */
export interface RunAppOptions {
  /** Host(s) to listen on (default `0.0.0.0`). */
  host?: string | string[];
  /** Port (default 8080, or 8443 with `ssl`). */
  port?: number;
  /** A Unix socket path instead of (or besides, with `host`) TCP. */
  path?: string;
  /** Seconds requests in flight get to finish at shutdown (default 60). */
  shutdownTimeout?: number;
  /** Where access-log records go (default `web.accessLogger`; `null`: none). */
  accessLog?: WebLogger | null;
  /** aiohttp's access-log format. */
  accessLogFormat?: string;
  /** Prints the banner (default `console.log`); `null` prints nothing. */
  printFn?: ((text: string) => void) | null;
  /** Stop on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  /** `SO_REUSEPORT` (Node ≥ 22.12). */
  reusePort?: boolean;
  /** Listen backlog (default 128). */
  backlog?: number;
  /** Serve HTTPS with these Node TLS options. */
  ssl?: https.ServerOptions | null;
  /** Serve from this many processes sharing the port (`node:cluster`); default 1. */
  workers?: number;
  /** Cancel a handler's task when its client goes away (default false). */
  handlerCancellation?: boolean;
  /** Debug mode for the loop (slow callbacks, never-retrieved exceptions…) and the access log. */
  debug?: boolean;
}

/**
 * Serve `app` until SIGINT/SIGTERM (or until the returned promise's run is otherwise stopped).
 * `app` may also be a promise of an application (an async factory's result).
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#aiohttp.web.run_app
 */
export async function runApp(
  app: Application | PromiseLike<Application>,
  options: RunAppOptions = {},
): Promise<void> {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1)
    throw new ValueError(`workers must be an integer ≥ 1, got ${inspect(workers)}`);
  if (options.printFn !== undefined && options.printFn !== null && typeof options.printFn !== "function")
    throw new ArgumentTypeError("printFn must be a function or null");
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers, options);
  try {
    await run(() => serve(app, options, workers > 1), { debug: options.debug, handleSigint: false });
  } finally {
    // A cluster worker's IPC channel keeps it alive: let go of it so the worker can exit.
    if (workers > 1 && cluster.isWorker) cluster.worker?.disconnect();
  }
}

function banner(sites: readonly BaseSite[] | readonly string[]): string {
  const names = sites.map((s) => (typeof s === "string" ? s : s.name)).sort();
  return `======== Running on ${names.join(", ")} ========\n(Press CTRL+C to quit)`;
}

async function serve(
  appOrPromise: Application | PromiseLike<Application>,
  options: RunAppOptions,
  isWorker: boolean,
): Promise<void> {
  const app = await appOrPromise;
  if (!(app instanceof Application))
    throw new ArgumentTypeError(`runApp needs an Application, got ${inspect(app, { depth: 0 })}`);
  if (options.debug) accessLogger.level = "debug";
  const runner = new AppRunner(app, {
    shutdownTimeout: options.shutdownTimeout,
    accessLog: options.accessLog === undefined ? accessLogger : options.accessLog,
    accessLogFormat: options.accessLogFormat,
    handlerCancellation: options.handlerCancellation,
  });
  const stop = new Event();
  const loop = getRunningLoop();
  try {
    await runner.setup();
    const sites: BaseSite[] = [];
    const hosts =
      options.host === undefined ? (options.path === undefined ? ["0.0.0.0"] : []) : [options.host].flat();
    for (const host of hosts)
      sites.push(
        new TCPSite(runner, host, options.port ?? null, {
          reusePort: options.reusePort,
          backlog: options.backlog,
          ssl: options.ssl,
        }),
      );
    if (options.path !== undefined) sites.push(new UnixSite(runner, options.path));
    for (const s of sites) await s.start();
    if (options.handleSignals !== false) {
      for (const sig of ["SIGINT", "SIGTERM"] as const) loop.addSignalHandler(sig, () => stop.set());
    }
    const print = options.printFn === undefined ? console.log : options.printFn;
    if (print !== null && !isWorker) print(banner(sites));
    if (isWorker) process.send?.({ aiots: "listening", names: sites.map((s) => s.name) });
    await stop.wait();
  } finally {
    if (options.handleSignals !== false) {
      for (const sig of ["SIGINT", "SIGTERM"] as const) loop.removeSignalHandler(sig);
    }
    await runner.cleanup();
  }
}

/** The primary of `workers: n`: fork, print the banner once all listen, forward signals, wait. */
async function runPrimary(n: number, options: RunAppOptions): Promise<void> {
  const children = Array.from({ length: n }, () => cluster.fork());
  const names = await new Promise<string[]>((resolve, reject) => {
    let ready = 0;
    let first: string[] = [];
    for (const w of children) {
      w.on("message", (m: { aiots?: string; names?: string[] }) => {
        if (m?.aiots !== "listening") return;
        if (ready === 0) first = m.names ?? [];
        if (++ready === n) resolve(first);
      });
      w.once("exit", (code) => {
        if (ready < n)
          reject(new Error(`worker ${w.process.pid} exited with status ${code} before listening`));
      });
    }
  });
  const print = options.printFn === undefined ? console.log : options.printFn;
  if (print !== null) print(banner(names));
  const exited = Promise.all(
    children.map((w) => new Promise<void>((resolve) => w.once("exit", () => resolve()))),
  );
  if (options.handleSignals !== false) {
    const forward = (sig: NodeJS.Signals): void => {
      for (const w of children) if (!w.isDead()) w.process.kill(sig);
    };
    const onInt = (): void => forward("SIGINT");
    const onTerm = (): void => forward("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    await exited;
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  } else {
    await exited;
  }
}
