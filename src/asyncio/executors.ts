/**
 * Executors: CPU-bound work off the event loop, on worker threads or worker processes
 * (Python's `concurrent.futures` executors as used by `loop.run_in_executor` and `asyncio.to_thread`).
 *
 * **How a function reaches a worker.** JavaScript cannot send a function to another thread, so a
 * job names a module and one of its exports: `workerFunction(import.meta.url, "fib")` refers to
 * `export function fib(n)` in the calling module (any module URL works). The worker imports the
 * module once and calls the export with structured-cloned arguments; the result (or the thrown
 * error, with the worker's stack) comes back the same way.
 *
 * - {@link ThreadPoolExecutor}: worker threads through `piscina` (measured against, and preferred
 *   to, a hand-written pool).
 * - {@link ProcessPoolExecutor}: forked Node processes with a bounded pool and a queue of pending
 *   jobs; cancelling a running job kills its process (a new one is forked for the next job).
 */
import { type ChildProcess, fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { Piscina } from "piscina";
import { Deque } from "../internal/deque.js";
import { ArgumentTypeError, CancelledError, RuntimeError, ValueError } from "./exceptions.js";
import { Future, PENDING } from "./futures.js";
import { getEventLoop, taskStorage } from "./loop-registry.js";
import type { WorkerJob } from "./workers/job.js";

const EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const THREAD_ENTRY = new URL(`./workers/thread-entry${EXT}`, import.meta.url).href;
const PROCESS_ENTRY = fileURLToPath(new URL(`./workers/process-entry${EXT}`, import.meta.url));

/** A reference to an exported function that a worker can import and call. */
export interface WorkerFunction<A extends unknown[] = unknown[], R = unknown> {
  /** The module's URL. */
  readonly module: string;
  /** The export's name. */
  readonly name: string;
  /** Phantom: the function's type, for inference only. */
  readonly __type?: (...args: A) => R;
}

/**
 * Refer to `export function name(...)` of the module at `moduleUrl` (usually `import.meta.url`),
 * so an executor can run it in a worker.
 *
 * ```ts
 * export function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
 * const fibRef = asyncio.workerFunction<[number], number>(import.meta.url, "fib");
 * const r = await asyncio.toThread(fibRef, 30);
 * ```
 */
export function workerFunction<A extends unknown[] = unknown[], R = unknown>(
  moduleUrl: string | URL,
  name = "default",
): WorkerFunction<A, Awaited<R>> {
  if (typeof name !== "string" || name === "") throw new ArgumentTypeError("name must be a non-empty string");
  let module: string;
  if (moduleUrl instanceof URL) module = moduleUrl.href;
  else if (typeof moduleUrl === "string")
    module = /^[a-z][a-z0-9+.-]*:/i.test(moduleUrl) ? moduleUrl : pathToFileURL(moduleUrl).href;
  else throw new ArgumentTypeError(`moduleUrl must be a URL or a string, got ${inspect(moduleUrl)}`);
  return Object.freeze({ module, name });
}

function checkWorkerFunction(fn: unknown): asserts fn is WorkerFunction<unknown[], unknown> {
  if (typeof fn === "function")
    throw new ArgumentTypeError(
      `a function cannot be sent to a worker; export it and pass workerFunction(import.meta.url, "${fn.name || "name"}")`,
    );
  if (
    fn === null ||
    typeof fn !== "object" ||
    typeof (fn as any).module !== "string" ||
    typeof (fn as any).name !== "string"
  )
    throw new ArgumentTypeError(`expected a workerFunction(moduleUrl, name), got ${inspect(fn)}`);
}

/** Options of {@link Executor.shutdown}. */
export interface ShutdownOptions {
  /** Resolve only when every submitted job has finished (default true). */
  wait?: boolean;
  /** Drop the jobs still queued (they reject with CancelledError) (default false). */
  cancelFutures?: boolean;
}

/** A pool that runs {@link WorkerFunction}s. */
export interface Executor {
  /** Run `fn(...args)` in a worker; aborting `signal` drops a queued job or stops a running one. */
  submit<A extends unknown[], R>(
    fn: WorkerFunction<A, R>,
    args: A,
    options?: { signal?: AbortSignal },
  ): Promise<R>;
  /** Stop accepting jobs; see {@link ShutdownOptions}. */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

function checkWorkers(n: unknown): number {
  if (n === undefined) return Math.max(1, Math.min(32, availableParallelism() + 4));
  if (typeof n !== "number" || !Number.isInteger(n))
    throw new ArgumentTypeError(`maxWorkers must be an integer, got ${inspect(n)}`);
  if (n <= 0) throw new ValueError("max_workers must be greater than 0");
  return n;
}

/** What both pools keep for a submitted job. */
interface PendingJob {
  job: WorkerJob;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Stop listening to the job's signal (it has settled, or is about to). */
function releaseSignal(job: PendingJob): void {
  if (job.onAbort !== undefined) job.signal!.removeEventListener("abort", job.onAbort);
}

/**
 * What both pools keep in front of their workers: the jobs not started yet (in order), whether
 * the pool was shut down, and who waits for it to drain. The pool starts jobs in `dispatch`
 * (calling {@link drained} once nothing is queued or running) and handles a job whose signal
 * fired in `abort`.
 */
class JobQueue<J extends PendingJob> extends Deque<J> {
  readonly #dispatch: () => void;
  readonly #abort: (job: J) => void;
  #shutdown = false;
  #drained: (() => void)[] = [];

  constructor(dispatch: () => void, abort: (job: J) => void) {
    super();
    this.#dispatch = dispatch;
    this.#abort = abort;
  }

  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /**
   * `submit` of both pools: validate, refuse after shutdown, honour an already-aborted signal,
   * wire the signal to `abort`, queue the job (with the pool's own `extra` fields) and dispatch.
   */
  submit<R>(
    fn: WorkerFunction<unknown[], R>,
    args: unknown[],
    options: { signal?: AbortSignal } | undefined,
    extra: Omit<J, keyof PendingJob>,
  ): Promise<R> {
    checkWorkerFunction(fn);
    if (this.#shutdown) return Promise.reject(new RuntimeError("cannot schedule new futures after shutdown"));
    return new Promise<R>((resolve, reject) => {
      const pj = {
        ...extra,
        job: { module: fn.module, name: fn.name, args },
        resolve: resolve as (v: unknown) => void,
        reject,
        signal: options?.signal,
        onAbort: undefined,
      } as J;
      if (pj.signal?.aborted) {
        reject(pj.signal.reason ?? new CancelledError());
        return;
      }
      if (pj.signal !== undefined) {
        pj.onAbort = () => this.#abort(pj);
        pj.signal.addEventListener("abort", pj.onAbort, { once: true });
      }
      this.push(pj);
      this.#dispatch();
    });
  }

  /**
   * Stop accepting jobs; with `cancelFutures`, reject those not started yet (CancelledError).
   * Resolves once nothing is queued or running.
   */
  shutdown(cancelFutures: boolean | undefined): Promise<void> {
    this.#shutdown = true;
    if (cancelFutures) {
      while (this.length > 0) {
        const pj = this.shift()!;
        releaseSignal(pj);
        pj.reject(new CancelledError("executor shut down"));
      }
    }
    const drained = new Promise<void>((resolve) => this.#drained.push(resolve));
    this.#dispatch();
    return drained;
  }

  /** Nothing is queued or running: wake whoever waits in {@link shutdown}. */
  drained(): void {
    const waiters = this.#drained;
    this.#drained = [];
    for (const w of waiters) w();
  }
}

/** A job waiting in front of the thread pool, or running in it. */
interface QueuedJob extends PendingJob {
  /** Aborts the job inside piscina once it was handed over. */
  running: JobAbort | null;
}

/**
 * What piscina is given to stop a job it runs: the EventEmitter form its `signal` option accepts
 * (`aborted`, `reason`, `once` and `off` of "abort" — piscina 5 calls `removeListener`, its types name
 * `off`: both are here), one listener at most. An
 * AbortController per job, with the EventTarget listener piscina adds to its signal and removes at
 * the end, was a tenth of a small job's cost in the pool (bench `executor`).
 */
class JobAbort {
  aborted = false;
  reason: unknown = undefined;
  #listener: (() => void) | null = null;

  once(_event: "abort", listener: () => void): void {
    this.#listener = listener;
  }

  off(_event: "abort", listener: () => void): void {
    if (this.#listener === listener) this.#listener = null;
  }

  removeListener(event: "abort", listener: () => void): void {
    this.off(event, listener);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = null;
    listener?.();
  }
}

/**
 * A pool of worker threads. piscina runs the threads; aiots keeps the queue of pending jobs in
 * front of it (at most `maxWorkers` jobs are handed to piscina at once), so it knows which jobs
 * have not started: cancelling one removes it, and `shutdown({ cancelFutures })` drops them while
 * running jobs finish.
 * @see https://docs.python.org/3/library/concurrent.futures.html#threadpoolexecutor
 */
export class ThreadPoolExecutor implements Executor {
  readonly #pool: Piscina;
  readonly #queue = new JobQueue<QueuedJob>(
    () => this.#dispatch(),
    (qj) => this.#abort(qj),
  );
  readonly #running = new Set<QueuedJob>();
  readonly maxWorkers: number;

  constructor(options?: { maxWorkers?: number; idleTimeout?: number }) {
    this.maxWorkers = checkWorkers(options?.maxWorkers);
    this.#pool = new Piscina({
      filename: THREAD_ENTRY,
      minThreads: 0,
      maxThreads: this.maxWorkers,
      idleTimeout: (options?.idleTimeout ?? 1) * 1000,
    });
  }

  submit<A extends unknown[], R>(
    fn: WorkerFunction<A, R>,
    args: A,
    options?: { signal?: AbortSignal },
  ): Promise<R> {
    return this.#queue.submit(fn as WorkerFunction<unknown[], R>, args, options, { running: null });
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && this.#running.size < this.maxWorkers) {
      const qj = this.#queue.shift()!;
      qj.running = new JobAbort();
      this.#running.add(qj);
      this.#pool.run(qj.job, { signal: qj.running }).then(
        (v) => this.#settle(qj, true, v),
        (e) => this.#settle(qj, false, e),
      );
    }
    if (this.#queue.length === 0 && this.#running.size === 0) this.#queue.drained();
  }

  #settle(qj: QueuedJob, ok: boolean, v: unknown): void {
    if (!this.#running.delete(qj)) return; // already rejected by an abort
    releaseSignal(qj);
    if (ok) qj.resolve(v);
    else qj.reject(reviveError(v));
    this.#dispatch();
  }

  #abort(qj: QueuedJob): void {
    const reason = qj.signal?.reason ?? new CancelledError();
    if (qj.running === null) {
      this.#queue.remove(qj);
    } else {
      // Reject at once; piscina terminates the thread running it.
      this.#running.delete(qj);
      qj.running.abort(reason);
    }
    qj.reject(reason);
    this.#dispatch();
  }

  async shutdown(options?: ShutdownOptions): Promise<void> {
    const finish = this.#queue.shutdown(options?.cancelFutures).then(() => this.#pool.close());
    if (options?.wait ?? true) await finish;
  }

  /** Jobs waiting for a free thread. */
  get queueSize(): number {
    return this.#queue.length;
  }
}

interface ProcessJob extends PendingJob {
  worker: ChildProcess | null;
}

/** A worker process died while running a job (Python's `BrokenProcessPool`). */
export class BrokenProcessPool extends RuntimeError {
  override readonly code: string = "AIOTS_ERR_BROKEN_PROCESS_POOL";
  override name = "BrokenProcessPool";
}

/**
 * A pool of worker processes (forked Node processes, one job at a time each).
 * @see https://docs.python.org/3/library/concurrent.futures.html#processpoolexecutor
 */
export class ProcessPoolExecutor implements Executor {
  readonly maxWorkers: number;
  readonly #idle: ChildProcess[] = [];
  readonly #busy = new Map<ChildProcess, ProcessJob>();
  readonly #all = new Set<ChildProcess>();
  readonly #queue = new JobQueue<ProcessJob>(
    () => this.#dispatch(),
    (pj) => this.#abort(pj),
  );

  constructor(options?: { maxWorkers?: number }) {
    this.maxWorkers = checkWorkers(options?.maxWorkers ?? availableParallelism());
  }

  submit<A extends unknown[], R>(
    fn: WorkerFunction<A, R>,
    args: A,
    options?: { signal?: AbortSignal },
  ): Promise<R> {
    return this.#queue.submit(fn as WorkerFunction<unknown[], R>, args, options, { worker: null });
  }

  /** Jobs waiting for a free process. */
  get queueSize(): number {
    return this.#queue.length;
  }

  /** Live worker processes. */
  get processCount(): number {
    return this.#all.size;
  }

  #spawn(): ChildProcess {
    const child = fork(PROCESS_ENTRY, [], {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#all.add(child);
    child.on("message", (msg: { ok?: boolean; value?: unknown; error?: unknown; ready?: boolean }) => {
      if (msg.ready) return;
      const pj = this.#busy.get(child);
      if (pj === undefined) return;
      this.#busy.delete(child);
      releaseSignal(pj);
      this.#idle.push(child);
      idleRef(child, false);
      if (msg.ok) pj.resolve(msg.value);
      else pj.reject(reviveError(msg.error));
      this.#dispatch();
    });
    child.on("exit", (code, signal) => {
      this.#all.delete(child);
      const i = this.#idle.indexOf(child);
      if (i >= 0) this.#idle.splice(i, 1);
      const pj = this.#busy.get(child);
      if (pj !== undefined) {
        this.#busy.delete(child);
        releaseSignal(pj);
        pj.reject(
          new BrokenProcessPool(
            `A process in the process pool was terminated abruptly (${signal ?? `exit code ${code}`}) while running ${pj.job.name}()`,
          ),
        );
      }
      this.#dispatch();
    });
    child.on("error", () => {
      // Reported through "exit"; an error on a dead process must not crash the parent.
    });
    return child;
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && (this.#idle.length > 0 || this.#all.size < this.maxWorkers)) {
      const child = this.#idle.pop() ?? this.#spawn();
      const pj = this.#queue.shift()!;
      pj.worker = child;
      this.#busy.set(child, pj);
      idleRef(child, true);
      child.send(pj.job);
    }
    if (this.#queue.length === 0 && this.#busy.size === 0) {
      this.#queue.drained();
      if (this.#queue.isShutdown)
        for (const c of this.#idle) {
          idleRef(c, true); // keep the program alive until the process has exited
          c.kill();
        }
    }
  }

  #abort(pj: ProcessJob): void {
    const reason = pj.signal?.reason ?? new CancelledError();
    if (pj.worker === null) {
      this.#queue.remove(pj);
      pj.reject(reason);
      this.#dispatch();
      return;
    }
    const child = pj.worker;
    if (this.#busy.get(child) !== pj) return;
    // Reject at once; the process cannot be interrupted, so it is killed and replaced on demand.
    this.#busy.delete(child);
    this.#all.delete(child);
    child.removeAllListeners("exit");
    child.on("exit", () => {});
    child.kill("SIGKILL");
    pj.reject(reason);
    this.#dispatch();
  }

  async shutdown(options?: ShutdownOptions): Promise<void> {
    for (const c of this.#all) idleRef(c, true);
    const drained = this.#queue.shutdown(options?.cancelFutures);
    if (options?.wait ?? true) {
      await drained;
      await Promise.all(
        [...this.#all].map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once("exit", r)))),
      );
    }
  }
}

/**
 * Rebuild an error that crossed a thread or process boundary. Structured cloning keeps only
 * built-in error classes, so workers send `{ name, message, stack, props }` (see workers/job.ts)
 * and the caller gets an Error with the worker's class name, message, stack and own properties.
 */
function reviveError(e: unknown): unknown {
  if (e === null || typeof e !== "object" || (e as { __aiotsError?: boolean }).__aiotsError !== true)
    return e;
  const w = e as { name: string; message: string; stack?: string; props?: Record<string, unknown> };
  const Builtin = (globalThis as Record<string, unknown>)[w.name];
  const err: Error =
    typeof Builtin === "function" && (Builtin as { prototype?: unknown }).prototype instanceof Error
      ? new (Builtin as ErrorConstructor)(w.message)
      : new Error(w.message);
  Object.defineProperty(err, "name", { value: w.name, configurable: true, writable: true });
  if (w.stack !== undefined) err.stack = w.stack;
  if (w.props) Object.assign(err, w.props);
  return err;
}

function idleRef(child: ChildProcess, busy: boolean): void {
  // An idle pool must not keep the program alive; a busy one must.
  const channel = (child as unknown as { channel?: { ref(): void; unref(): void } }).channel;
  if (busy) {
    child.ref();
    channel?.ref();
  } else {
    child.unref();
    channel?.unref();
  }
}

/** The Future `runInExecutor` returns: cancelling it drops or stops the job. */
class ExecutorFuture<T> extends Future<T> {
  /** @internal */ _abort = new AbortController();

  override cancel(msg?: string): boolean {
    const ok = super.cancel(msg);
    if (ok) this._abort.abort(new CancelledError(msg));
    return ok;
  }
}

/** @internal Used by EventLoop.runInExecutor and toThread. */
export function submitToExecutor<A extends unknown[], R>(
  executor: Executor,
  fn: WorkerFunction<A, R>,
  args: A,
  loop: import("./base-events.js").EventLoop,
): Future<R> {
  checkWorkerFunction(fn);
  const fut = new ExecutorFuture<R>({ loop });
  (executor.submit(fn, args, { signal: fut._abort.signal }) as Promise<R>).then(
    (v) => {
      // A job that outlives its loop is dropped quietly, as CPython's _chain_future does.
      if (fut._state === PENDING && !loop.isClosed()) fut.setResult(v);
    },
    (e) => {
      if (fut._state === PENDING && !loop.isClosed()) fut.setException(e);
    },
  );
  return fut;
}

/**
 * Run `fn(...args)` on the running loop's default thread pool; resolves with its result.
 * Cancelling the awaiting task cancels the job.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread
 */
export function toThread<A extends unknown[], R>(fn: WorkerFunction<A, R>, ...args: A): Future<R> {
  const loop = taskStorage.getStore()?._loop ?? getEventLoop();
  return loop.runInExecutor(null, fn, ...args);
}
