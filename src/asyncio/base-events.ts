/**
 * `EventLoop`: asyncio's event loop as users see it (CPython's `base_events.py` `BaseEventLoop`).
 * Its scheduling — callbacks, timers, running and stopping — is `LoopScheduler` (`loop-scheduler.ts`),
 * which it extends; this module adds what runs on that scheduler: futures and tasks (and the
 * registry of pending tasks), executors, connections and servers, signal handlers, and the
 * exception handler that reports errors nobody else handles.
 */
import { inspect } from "node:util";
import { anchorHiddenClasses } from "./class-anchors.js";
import {
  type ConnectionOptions,
  createConnection,
  createServer,
  createUnixConnection,
  createUnixServer,
  type ServerOptions,
  type SSLOption,
  type StartTlsOptions,
  startTls,
  type UnixConnectionOptions,
  type UnixServerOptions,
} from "./connections.js";
import { ArgumentTypeError } from "./exceptions.js";
import { type Executor, submitToExecutor, ThreadPoolExecutor, type WorkerFunction } from "./executors.js";
import { type Awaitable, Future } from "./futures.js";
import { logger } from "./log.js";
import { registerLoopFactory } from "./loop-registry.js";
import { LoopScheduler } from "./loop-scheduler.js";
import type { BaseProtocol } from "./protocols.js";
import type { Server } from "./server.js";
import { SignalHandlers, type SignalLike } from "./signals.js";
import { TaskRegistry } from "./task-registry.js";
import { createTask, type Task, type TaskBody, type TaskOptions } from "./tasks.js";
import type { Transport } from "./transports.js";

/** What an exception handler receives (CPython's context dict). */
export interface ExceptionContext {
  message: string;
  exception?: unknown;
  future?: unknown;
  task?: unknown;
  handle?: unknown;
  sourceTraceback?: string | undefined;
  [key: string]: unknown;
}

/** An exception handler: `(loop, context) => void`. */
export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

/**
 * An asyncio event loop. Get one with `getEventLoop()`, `newEventLoop()`, or let `run()` make one.
 * @see https://docs.python.org/3/library/asyncio-eventloop.html
 */
export class EventLoop extends LoopScheduler {
  /** @internal */ _tasks: TaskRegistry = new TaskRegistry(this);
  /** @internal */ _exceptionHandler: ExceptionHandler | null = null;

  constructor(options?: { debug?: boolean }) {
    super(options);
    anchorHiddenClasses(() => new EventLoop({ debug: false }));
  }

  /** @internal */
  override _settleInFlight(): void {
    this._tasks.settleInFlight();
  }

  /**
   * Close the loop: pending callbacks and timers are dropped, signal handlers removed, the default
   * executor shut down without waiting (as CPython); any later use throws.
   * @throws {RuntimeError} "Cannot close a running event loop".
   */
  override close(): void {
    if (this.isClosed()) return; // (a closed loop is never running)
    // The ready queue is dropped: tasks that never started stay listed by allTasks(), as in CPython.
    if (!this.isRunning()) this._tasks.keepUnstarted();
    super.close();
    this.#signals?.clear();
    // CPython's close() shuts the default executor down without waiting.
    const ex = this.#defaultExecutor;
    this.#defaultExecutor = null;
    if (ex !== null) void ex.shutdown({ wait: false });
  }

  // ---- futures and tasks -------------------------------------------------------------------

  /** A new pending Future bound to this loop. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>({ loop: this });
  }

  /** Schedule `coro` as a Task on this loop (see the module function `createTask`). */
  createTask<T>(coro: TaskBody<T>, options?: { name?: string }): Task<T> {
    this._checkClosed();
    return createTask(coro, { ...(options as TaskOptions), loop: this });
  }

  // ---- executors ---------------------------------------------------------------------------

  #defaultExecutor: Executor | null = null;

  /**
   * Run `fn(...args)` in `executor` (`null`: the loop's default thread pool, created on first use)
   * and return a Future of the result. Cancelling the Future drops a queued job or stops a running one.
   * `fn` is a {@link workerFunction} reference: functions cannot be sent to workers.
   */
  runInExecutor<A extends unknown[], R>(
    executor: Executor | null,
    fn: WorkerFunction<A, R>,
    ...args: A
  ): Future<R> {
    this._checkClosed();
    if (executor === null || executor === undefined) {
      this.#defaultExecutor ??= new ThreadPoolExecutor();
      executor = this.#defaultExecutor;
    }
    return submitToExecutor(executor, fn, args, this);
  }

  /** Use `executor` for `runInExecutor(null, …)` and `toThread`. */
  setDefaultExecutor(executor: Executor): void {
    if (executor === null || typeof executor !== "object" || typeof executor.submit !== "function")
      throw new ArgumentTypeError(`executor must be an Executor, got ${inspect(executor)}`);
    this.#defaultExecutor = executor;
  }

  /** Shut the default executor down and wait for its jobs (CPython's `shutdown_default_executor`). */
  async shutdownDefaultExecutor(): Promise<void> {
    const ex = this.#defaultExecutor;
    this.#defaultExecutor = null;
    await ex?.shutdown({ wait: true });
  }

  // ---- network -----------------------------------------------------------------------------

  /**
   * Connect to `host:port`, then call `protocolFactory()` and wire the protocol to a transport.
   * Resolves to `[transport, protocol]` once `connectionMade` ran.
   * @throws {ConnectionRefusedError} nothing listens. @throws {GaiError} unknown host.
   * @see https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.create_connection
   */
  createConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    host: string,
    port: number | string,
    options?: ConnectionOptions,
  ): Awaitable<[Transport, P]> {
    this._checkClosed();
    return createConnection(this, protocolFactory, host, port, options);
  }

  /** Connect to the Unix socket at `path` (see {@link createConnection}). */
  createUnixConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    path: string,
    options?: UnixConnectionOptions,
  ): Awaitable<[Transport, P]> {
    this._checkClosed();
    return createUnixConnection(this, protocolFactory, path, options);
  }

  /**
   * Listen on `host:port` (`host` null: every interface; port 0: any free port); each accepted
   * connection gets `protocolFactory()` and a transport.
   * @throws {OSError} the address is in use (EADDRINUSE) or cannot be bound.
   * @see https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.create_server
   */
  createServer(
    protocolFactory: () => BaseProtocol,
    host?: string | readonly string[] | null,
    port?: number | string | null,
    options?: ServerOptions,
  ): Awaitable<Server> {
    this._checkClosed();
    return createServer(this, protocolFactory, host, port, options);
  }

  /** Listen on the Unix socket at `path` (a stale socket file there is replaced). */
  createUnixServer(
    protocolFactory: () => BaseProtocol,
    path: string,
    options?: UnixServerOptions,
  ): Awaitable<Server> {
    this._checkClosed();
    return createUnixServer(this, protocolFactory, path, options);
  }

  /**
   * Upgrade an open connection to TLS; resolves to the new transport (the protocol keeps receiving).
   * @see https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.start_tls
   */
  startTls(
    transport: Transport,
    protocol: BaseProtocol,
    ssl: SSLOption,
    options?: StartTlsOptions,
  ): Awaitable<Transport> {
    this._checkClosed();
    return startTls(this, transport, protocol, ssl, options);
  }

  // ---- signals -----------------------------------------------------------------------------

  #signals: SignalHandlers | null = null;

  /**
   * Call `callback(...args)` (as a loop callback) whenever the process receives `sig`
   * (`"SIGINT"`, `"SIGTERM"`, `"SIGHUP"` … or a number). Replaces an earlier handler for `sig`.
   * @throws {TypeError} for a coroutine function. @throws {ValueError} unknown signal.
   * @throws {RuntimeError} SIGKILL/SIGSTOP, or the loop is closed.
   */
  addSignalHandler<A extends unknown[]>(
    sig: SignalLike,
    callback: (...args: A) => unknown,
    ...args: A
  ): void {
    this.#signals ??= new SignalHandlers(this);
    this.#signals.add(sig, callback as (...a: unknown[]) => unknown, args);
  }

  /** Remove the handler for `sig`; false if there was none. Node's default behaviour returns. */
  removeSignalHandler(sig: SignalLike): boolean {
    if (this.#signals === null) {
      new SignalHandlers(this).remove(sig); // validates sig
      return false;
    }
    return this.#signals.remove(sig);
  }

  // ---- errors ------------------------------------------------------------------------------

  /** Install `handler` for errors nobody else handles (`null` restores the default). */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function")
      throw new ArgumentTypeError(`A callable object or None is expected, got ${inspect(handler)}`);
    this._exceptionHandler = handler;
  }

  /** The installed exception handler, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this._exceptionHandler;
  }

  /** The default handler: logs the message, the exception and the context on the `asyncio` logger. */
  defaultExceptionHandler(context: ExceptionContext): void {
    const lines = [context.message || "Unhandled exception in event loop"];
    for (const key of Object.keys(context).sort()) {
      if (key === "message" || key === "exception" || context[key] === undefined) continue;
      if (key === "sourceTraceback") {
        lines.push(`Object created at (most recent call first):\n${context.sourceTraceback}`);
        continue;
      }
      lines.push(
        `${key}: ${typeof context[key] === "string" ? context[key] : inspect(context[key], { depth: 1 })}`,
      );
    }
    if ("exception" in context) {
      const e = context.exception;
      lines.push(e instanceof Error && e.stack ? e.stack : inspect(e));
    }
    logger.error(lines.join("\n"));
  }

  /** Report an error: to the installed handler, else the default one. Never throws. */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this._exceptionHandler;
    if (handler === null) {
      try {
        this.defaultExceptionHandler(context);
      } catch (e) {
        logger.error(`Exception in default exception handler: ${inspect(e)}`);
      }
      return;
    }
    try {
      handler(this, context);
    } catch (exc) {
      try {
        this.defaultExceptionHandler({
          message: "Unhandled error in exception handler",
          exception: exc,
          context,
        });
      } catch (e) {
        logger.error(`Exception in default exception handler while handling an error: ${inspect(e)}`);
      }
    }
  }
}

registerLoopFactory(() => new EventLoop());
