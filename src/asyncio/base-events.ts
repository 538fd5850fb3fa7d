/**
 * `EventLoop`: asyncio's loop scheduled on top of Node's own (CPython's `base_events.py`).
 *
 * libuv does the I/O; this class does the scheduling. Ready callbacks sit in a FIFO queue and run
 * in batches — one batch per loop iteration, and a batch runs only what was ready when it began.
 * Iterations chain within one Node turn (on a tick that runs once every microtask has settled) for
 * up to 1 ms while callbacks keep becoming ready; then the loop yields to Node (`setImmediate`), so
 * I/O and Node timers wait at most about a millisecond and are never starved. Data received on a
 * transport runs what it made ready at once. Timers sit in one heap armed through a single Node
 * timer; cancelled timers are dropped lazily.
 *
 * Differences from Python: a loop processes its callbacks whenever it has any, not only inside
 * `runForever`/`runUntilComplete` — so awaitables made from plain Node code (a Fastify handler, a
 * CLI) work without `run()`. `runUntilComplete` and `runForever` return Promises; `isRunning()` is
 * true while one of them is in progress.
 */
import { inspect } from "node:util";
import { Deque } from "../internal/deque.js";
import { MinHeap } from "../internal/heap.js";
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
import { envDebug, iscoroutinefunction } from "./coroutines.js";
import { ArgumentTypeError, RuntimeError, ValueError } from "./exceptions.js";
import { type Executor, submitToExecutor, ThreadPoolExecutor, type WorkerFunction } from "./executors.js";
import { type Awaitable, Future } from "./futures.js";
import { Handle, type Runnable, TimerHandle } from "./handles.js";
import { logger } from "./log.js";
import {
  _getRunningLoop,
  COOP_BUDGET,
  coop,
  registerLoopFactory,
  runInRoot,
  setDrainingLoop,
  setRunningLoop,
  takeFlush,
  takeSuspend,
} from "./loop-registry.js";
import type { BaseProtocol } from "./protocols.js";
import type { Server } from "./server.js";
import { SignalHandlers, type SignalLike } from "./signals.js";
import {
  type AwaitableLike,
  createTask,
  ensureFuture,
  type Task,
  type TaskBody,
  type TaskOptions,
} from "./tasks.js";
import type { Transport } from "./transports.js";
import { UnretrievedTracker } from "./unretrieved.js";

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
 * Microtask hops go through a resolved native promise: Node's queueMicrotask wraps every callback
 * in an AsyncResource, several times dearer.
 */
const RESOLVED = Promise.resolve();
/** Quiet microtask hops after which a paused batch goes on (see #hop). */
const QUIET_HOPS = 2;

/**
 * How long (ms) one Node turn may go on running loop iterations back to back while callbacks keep
 * becoming ready. An iteration still runs only what was ready when it began; chaining iterations on a
 * tick that runs once the microtask queue is empty, instead of one `setImmediate` each, makes a
 * hand-off (a lock release, `sleep(0)`) cost microseconds less, and the budget bounds how long I/O and
 * timers wait for their turn.
 */
const TURN_BUDGET_MS = 1;
/** The clock is read once per this many chained iterations (reading it costs ~0.1 µs on a VM). */
const TURN_CLOCK_EVERY = 32;

const MIN_SCHEDULED_TIMER_HANDLES = 100;
const MIN_CANCELLED_TIMER_HANDLES_FRACTION = 0.5;
/** Node timers have millisecond resolution: a timer within this much of now is due. */
const CLOCK_RESOLUTION = 0.001;
const MAX_NODE_DELAY_MS = 2 ** 31 - 1;

/**
 * The pending tasks of a loop. Normally an intrusive doubly linked list through the tasks
 * themselves (no hashing, no allocation); in debug mode weak references, so a task that is
 * collected while pending can be reported.
 */
class TaskRegistry implements Iterable<Task<any>> {
  #head: Task<any> | null = null;
  #weakRefs: Set<WeakRef<Task<any>>> | null = null;
  #finalizer: FinalizationRegistry<{ repr: string; stack: string | undefined }> | null = null;

  constructor(readonly loop: EventLoop) {}

  add(task: Task<any>): void {
    if (this.loop._debug) {
      this.#addWeak(task);
      return;
    }
    task._registered = true;
    task._regNext = this.#head;
    if (this.#head !== null) this.#head._regPrev = task;
    this.#head = task;
  }

  delete(task: Task<any>): void {
    if (task._registered) {
      task._registered = false;
      const { _regPrev: prev, _regNext: next } = task;
      if (prev !== null) prev._regNext = next;
      else this.#head = next;
      if (next !== null) next._regPrev = prev;
      task._regPrev = task._regNext = null;
      return;
    }
    if (this.#weakRefs === null) return;
    for (const ref of this.#weakRefs) {
      if (ref.deref() === task) {
        this.#weakRefs.delete(ref);
        this.#finalizer?.unregister(ref);
        return;
      }
    }
  }

  #addWeak(task: Task<any>): void {
    this.#weakRefs ??= new Set();
    this.#finalizer ??= new FinalizationRegistry((held) => {
      this.loop.callExceptionHandler({
        message: "Task was destroyed but it is pending!",
        task: held.repr,
        sourceTraceback: held.stack,
      });
    });
    const ref = new WeakRef(task);
    this.#weakRefs.add(ref);
    this.#finalizer.register(task, { repr: String(task), stack: task._sourceTraceback }, ref);
  }

  *[Symbol.iterator](): Iterator<Task<any>> {
    for (let t = this.#head; t !== null; t = t._regNext) yield t;
    if (this.#weakRefs === null) return;
    for (const ref of this.#weakRefs) {
      const t = ref.deref();
      if (t === undefined) this.#weakRefs.delete(ref);
      else yield t;
    }
  }
}

/**
 * An asyncio event loop. Get one with `getEventLoop()`, `newEventLoop()`, or let `run()` make one.
 * @see https://docs.python.org/3/library/asyncio-eventloop.html
 */
export class EventLoop {
  /** Callbacks slower than this many seconds are logged in debug mode. */
  slowCallbackDuration = 0.1;

  /** @internal */ _debug: boolean;
  /** @internal Foreign promises awaited through aiots (wrapThenable) still pending (virtual time reads it). */
  _foreignPending = 0;
  /** @internal */ _tasks: TaskRegistry;
  /** @internal */ _exceptionHandler: ExceptionHandler | null = null;
  /** @internal Failed futures whose exception nobody retrieved yet (see unretrieved.ts). */
  readonly _unretrieved: UnretrievedTracker = new UnretrievedTracker(this);
  /** @internal */ readonly _ready = new Deque<Runnable>(1024);
  /** @internal */ readonly _timers = new MinHeap<TimerHandle>();
  #timerSeq = 0;
  #timerCancelledCount = 0;
  #nodeTimer: NodeJS.Timeout | null = null;
  #nodeTimerWhen = Number.POSITIVE_INFINITY;
  #immediatePending = false;
  #closed = false;
  #running = false;
  #stopping = false;
  #keepAlive: NodeJS.Timeout | null = null;
  #onStopped: (() => void) | null = null;

  constructor(options?: { debug?: boolean }) {
    this._debug = options?.debug ?? envDebug();
    this._tasks = new TaskRegistry(this);
  }

  // ---- clock -------------------------------------------------------------------------------

  /** The loop's monotonic clock, in seconds. */
  time(): number {
    return performance.now() / 1000;
  }

  // ---- scheduling --------------------------------------------------------------------------

  /**
   * Run `callback(...args)` on the next loop iteration. Callbacks run in the order they were added.
   * @throws {RuntimeError} "Event loop is closed".
   */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    this._checkClosed();
    checkCallback(callback, "callSoon");
    const h = new Handle(callback, args, this);
    this._schedule(h);
    return h;
  }

  /** Run `callback(...args)` after `delay` seconds. */
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    checkNumber(delay, "delay");
    checkCallback(callback, "callLater");
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /** Run `callback(...args)` at loop time `when` (seconds, the `time()` clock). */
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    checkNumber(when, "when");
    this._checkClosed();
    checkCallback(callback, "callAt");
    const h = new TimerHandle(when, this.#timerSeq++, callback, args, this);
    this._timers.push(h);
    if (when < this.#nodeTimerWhen) this._armTimer();
    return h;
  }

  /** @internal Append to the ready queue, asking Node for a turn if none is pending. */
  _schedule(r: Runnable): void {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
    this._ready.push(r);
    if (!this.#batchActive && !this.#chainPending && !this.#immediatePending) this.#requestIteration();
  }

  /**
   * Ask for the next iteration: in this Node turn, once every microtask has settled, while the turn
   * is within its budget; else on the next Node turn.
   */
  #requestIteration(): void {
    if (this.#withinTurnBudget()) {
      this.#chainPending = true;
      RESOLVED.then(this.#chainAfterMicrotasks);
    } else if (!this.#immediatePending) this.#requestTurn();
  }

  #requestTurn(): void {
    this.#immediatePending = true;
    // Outside any task's async context, so callbacks do not run "inside" whoever scheduled first.
    runInRoot(setImmediate, this.#onImmediate);
  }

  #onImmediate = (): void => {
    this.#immediatePending = false;
    this.#beginTurn();
    this._runOnce();
  };

  /**
   * When the current Node turn began running iterations (see TURN_BUDGET_MS): `NaN` until first
   * needed (then "now" — at most TURN_CLOCK_EVERY iterations late), -Infinity outside any turn.
   */
  #turnStart = Number.NEGATIVE_INFINITY;
  #turnIterations = 0;

  #beginTurn(): void {
    this.#turnStart = Number.NaN;
    this.#turnIterations = 0;
  }

  /** May this Node turn run another iteration? Reads the clock only every TURN_CLOCK_EVERY iterations. */
  #withinTurnBudget(): boolean {
    if (this.#turnStart === Number.NEGATIVE_INFINITY) return false; // not inside a turn of ours
    if (++this.#turnIterations % TURN_CLOCK_EVERY !== 0) return true;
    const now = performance.now();
    if (Number.isNaN(this.#turnStart)) {
      this.#turnStart = now;
      return true;
    }
    if (now - this.#turnStart < TURN_BUDGET_MS) return true;
    this.#turnStart = Number.NEGATIVE_INFINITY;
    return false;
  }

  #chainPending = false;

  /**
   * Queued as a microtask, so the tick it asks for runs once the microtask queue is empty: every
   * async continuation resumed by the last iteration has settled, as after a Node turn, but without
   * a poll of the OS. (The tick runs in the root async context.)
   */
  #chainAfterMicrotasks = (): void => {
    runInRoot(process.nextTick, this.#chainIteration);
  };

  /** The next iteration of the same Node turn. */
  #chainIteration = (): void => {
    this.#chainPending = false;
    if (this.#batchActive || this.#closed || this._ready.length === 0) return;
    this._runOnce();
  };

  #onNodeTimer = (): void => {
    this.#nodeTimer = null;
    this.#nodeTimerWhen = Number.POSITIVE_INFINITY;
    this.#beginTurn();
    this._runOnce();
  };

  /**
   * @internal The earliest live timer, or `undefined` when none is left. Pops the cancelled timers
   * off the heap top first, keeping the cancelled-timer count exact: subclasses (the virtual-time
   * loop) call this instead of popping the heap themselves, since a stale count would make a later
   * `cancel()` take live timers for cancelled ones and clear them.
   */
  _peekLiveTimer(): TimerHandle | undefined {
    const heap = this._timers;
    let top = heap.peek();
    while (top !== undefined && top._cancelled) {
      heap.pop();
      top._scheduled = false;
      this.#timerCancelledCount--;
      top = heap.peek();
    }
    return top;
  }

  /** @internal How many cancelled timers are still in the heap (CPython's `_timer_cancelled_count`). */
  get _timerCancelledCount(): number {
    return this.#timerCancelledCount;
  }

  /** @internal Arm the single Node timer for the earliest live timer (or disarm it). */
  _armTimer(): void {
    const top = this._peekLiveTimer();
    if (top === undefined || this.#closed) {
      if (this.#nodeTimer !== null) clearTimeout(this.#nodeTimer);
      this.#nodeTimer = null;
      this.#nodeTimerWhen = Number.POSITIVE_INFINITY;
      return;
    }
    // A Node timer armed for this time or earlier stays: when the earliest timer was cancelled (a
    // request done before its timeout), re-arming on every iteration would cost a clearTimeout and a
    // setTimeout each; at worst the old one fires early once, and that iteration re-arms.
    if (this.#nodeTimer !== null && top.heapKey >= this.#nodeTimerWhen) return;
    if (this.#nodeTimer !== null) clearTimeout(this.#nodeTimer);
    const ms = Math.min(MAX_NODE_DELAY_MS, Math.max(0, Math.ceil((top.heapKey - this.time()) * 1000)));
    this.#nodeTimerWhen = top.heapKey;
    this.#nodeTimer = runInRoot(setTimeout, this.#onNodeTimer, ms) as NodeJS.Timeout;
  }

  /** @internal A scheduled TimerHandle was cancelled. */
  _timerHandleCancelled(_h: TimerHandle): void {
    this.#timerCancelledCount++;
    const n = this._timers.length;
    if (this.#timerCancelledCount === n) {
      // Every timer is cancelled: drop them all and release the Node timer (it would keep the process alive).
      for (const t of this._timers.items) t._scheduled = false;
      this._timers.clear();
      this.#timerCancelledCount = 0;
      this._armTimer();
    } else if (
      n > MIN_SCHEDULED_TIMER_HANDLES &&
      this.#timerCancelledCount / n > MIN_CANCELLED_TIMER_HANDLES_FRACTION
    ) {
      this._timers.filter((t) => {
        if (t._cancelled) t._scheduled = false;
        return !t._cancelled;
      });
      this.#timerCancelledCount = 0;
      this._armTimer();
    }
  }

  /**
   * @internal One loop iteration (CPython's `_run_once`): move due timers to the ready queue,
   * then run the callbacks that are ready now — not those they schedule.
   */
  _runOnce(): void {
    if (this.#closed) return;
    const heap = this._timers;
    if (heap.length > 0) {
      const end = this.time() + CLOCK_RESOLUTION;
      let top = heap.peek();
      while (top !== undefined && (top._cancelled || top.heapKey < end)) {
        heap.pop();
        top._scheduled = false;
        if (top._cancelled) this.#timerCancelledCount--;
        else this._ready.push(top);
        top = heap.peek();
      }
      this._armTimer();
    }
    coop.left = COOP_BUDGET;
    this.#batchLeft = this._ready.length;
    this.#batchActive = true;
    this.#continueBatch();
  }

  /** True from the start of a batch until its last callback ran (also while it waits on microtasks). */
  #batchActive = false;

  /**
   * @internal Called by transports after delivering received data: run what it made ready now, in
   * the same Node callback, instead of on the next check phase — as CPython's `_run_once` runs the
   * ready queue right after the I/O events of an iteration. Saves a round trip's worth of latency.
   */
  _afterIO(): void {
    if (this.#batchActive || this.#closed || this._ready.length === 0) return;
    this._runOnce();
  }

  /**
   * @internal Called by transports before delivering received data: a Node turn begins here, so
   * what the data makes ready waits for `_afterIO` (or a chained iteration), not a `setImmediate`.
   */
  _beforeIO(): void {
    this.#beginTurn();
  }

  /** Callbacks of the current iteration not yet run (the batch may pause for microtasks). */
  #batchLeft = 0;

  /**
   * Run the rest of the current batch. After a callback that resumed or started a task, the
   * batch pauses on a microtask so that the task's async code runs *now*, before the next callback
   * — as CPython runs a task's step inside the callback that woke it.
   */
  #continueBatch = (): void => {
    const ready = this._ready;
    const prev = setDrainingLoop(this);
    try {
      while (this.#batchLeft > 0) {
        this.#batchLeft--;
        const r = ready.shift()!;
        if (this._debug) this.#runTimed(r);
        else r._runReady();
        const active = takeFlush();
        if ((takeSuspend() || active) && this.#batchLeft > 0) {
          this.#quietHops = 0;
          RESOLVED.then(this.#hop);
          return;
        }
      }
    } finally {
      setDrainingLoop(prev);
    }
    this.#batchActive = false;
    if (this.#closed) return;
    if (this.#stopping && this.#running) this.#finishRun();
    if (ready.length > 0 && !this.#chainPending) this.#requestIteration();
    this._afterBatch();
  };

  /** @internal Called after each batch; the virtual-time loop looks for idleness here. */
  _afterBatch(): void {}

  #quietHops = 0;

  /**
   * One microtask hop while the batch is paused. Async code resumed by the last callback may take
   * several hops (an await of a thenable, a task's promise settling …); aiots code that runs in a
   * hop asks for another, and the batch goes on after two quiet hops in a row.
   */
  #hop = (): void => {
    const suspended = takeSuspend();
    if (takeFlush()) this.#quietHops = 0;
    else if (suspended || ++this.#quietHops >= QUIET_HOPS) {
      this.#continueBatch();
      return;
    }
    RESOLVED.then(this.#hop);
  };

  #runTimed(r: Runnable): void {
    const t0 = performance.now();
    r._runReady();
    const dt = (performance.now() - t0) / 1000;
    if (dt >= this.slowCallbackDuration)
      logger.warning(`Executing ${inspect(r, { depth: 0 })} took ${dt.toFixed(3)} seconds`);
  }

  // ---- running and stopping ------------------------------------------------------------------

  /**
   * Run until `stop()` is called. The returned Promise settles after the iteration in which
   * `stop()` was called. Keeps the process alive meanwhile, as Python's `run_forever` blocks.
   */
  runForever(): Promise<void> {
    try {
      this.#checkRunnable();
    } catch (e) {
      return Promise.reject(e);
    }
    this.#running = true;
    setRunningLoop(this);
    this.#keepAlive = setInterval(() => {}, MAX_NODE_DELAY_MS);
    const done = new Promise<void>((resolve) => {
      this.#onStopped = resolve;
    });
    if (!this.#immediatePending) this.#requestTurn();
    return done;
  }

  #checkRunnable(): void {
    this._checkClosed();
    if (this.#running) throw new RuntimeError("This event loop is already running");
    const other = _getRunningLoop();
    if (other !== null && other !== this && other.isRunning())
      throw new RuntimeError("Cannot run the event loop while another loop is running");
  }

  #finishRun(): void {
    this.#stopping = false;
    this.#running = false;
    setRunningLoop(null);
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
    const cb = this.#onStopped;
    this.#onStopped = null;
    cb?.();
  }

  /**
   * Run until `aw` (a future, task, coroutine or promise) is done; resolves with its result or
   * rejects with its exception.
   */
  runUntilComplete<T>(aw: AwaitableLike<T>): Promise<T> {
    let fut: Future<T>;
    try {
      this.#checkRunnable();
      fut = ensureFuture(aw, { loop: this });
    } catch (e) {
      return Promise.reject(e);
    }
    const onDone = (): void => this.stop();
    fut.addDoneCallback(onDone);
    return this.runForever().then(() => {
      fut.removeDoneCallback(onDone);
      if (!fut.done()) throw new RuntimeError("Event loop stopped before Future completed.");
      return fut.result();
    });
  }

  /**
   * Stop the loop: `runForever()` returns after the current iteration. Called before
   * `runForever()`, the loop runs one iteration and stops.
   */
  stop(): void {
    this.#stopping = true;
    if (this.#running && !this.#immediatePending && !this.#closed) this.#requestTurn();
  }

  /** True while `runForever()` or `runUntilComplete()` is in progress. */
  isRunning(): boolean {
    return this.#running;
  }

  /** True once `close()` was called. */
  isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Close the loop: pending callbacks and timers are dropped; any later use throws.
   * @throws {RuntimeError} "Cannot close a running event loop".
   */
  close(): void {
    if (this.#running) throw new RuntimeError("Cannot close a running event loop");
    if (this.#closed) return;
    if (this._debug) logger.debug(`Close ${this}`);
    // Short programs end before the collector finds their failed tasks: report them now.
    this._unretrieved.reportAll();
    this.#closed = true;
    this.#batchLeft = 0;
    this._ready.clear();
    for (const t of this._timers.items) t._scheduled = false;
    this._timers.clear();
    this.#timerCancelledCount = 0;
    if (this.#nodeTimer !== null) clearTimeout(this.#nodeTimer);
    this.#nodeTimer = null;
    this.#nodeTimerWhen = Number.POSITIVE_INFINITY;
    for (const hook of this._closeHooks) hook();
    this.#signals?.clear();
    // CPython's close() shuts the default executor down without waiting.
    const ex = this.#defaultExecutor;
    this.#defaultExecutor = null;
    if (ex !== null) void ex.shutdown({ wait: false });
  }

  /** @internal Run by `close()` (executors register here). */
  readonly _closeHooks: (() => void)[] = [];

  /** @internal */
  _checkClosed(): void {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
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

  // ---- debug -------------------------------------------------------------------------------

  /** True in debug mode. */
  getDebug(): boolean {
    return this._debug;
  }

  /** Turn debug mode on or off (slow callbacks, creation stacks, never-awaited coroutines …). */
  setDebug(enabled: boolean): void {
    this._debug = Boolean(enabled);
  }

  /** @internal */
  [inspect.custom](): string {
    return `<EventLoop running=${this.#running} closed=${this.#closed} debug=${this._debug}>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}

function checkCallback(cb: unknown, method: string): void {
  if (typeof cb !== "function")
    throw new ArgumentTypeError(`a callable object was expected by ${method}(), got ${inspect(cb)}`);
  // As CPython: a lazy coroutine function called as a callback would only create a coroutine that
  // never runs. (A plain async function runs when called, so it is accepted.)
  if (iscoroutinefunction(cb) && !(cb instanceof AsyncFunction))
    throw new ArgumentTypeError(`coroutines cannot be used with ${method}()`);
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;

function checkNumber(x: unknown, name: string): void {
  if (typeof x !== "number") throw new ArgumentTypeError(`${name} must be a number, got ${inspect(x)}`);
  if (Number.isNaN(x)) throw new ValueError(`${name} must not be NaN`);
}

registerLoopFactory(() => new EventLoop());
