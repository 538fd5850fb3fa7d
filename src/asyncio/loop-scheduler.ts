/**
 * `LoopScheduler`: the scheduling half of asyncio's loop (CPython's `base_events.py` `call_soon`,
 * `call_later`, `call_at`, `run_forever`, `_run_once` and the timers), on top of Node's own loop.
 * The loop users see, `EventLoop` (`base-events.ts`), is its one subclass and adds the services
 * that run on it: tasks, executors, connections, servers, signals, error reporting.
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
 *
 * Every `LoopScheduler` is an `EventLoop` (the class is abstract and `EventLoop` its only subclass):
 * where the scheduler hands itself to a handle, a future or the loop registry, the cast
 * `this as unknown as EventLoop` states that fact (it costs nothing at run time).
 */
import process from "node:process";
import { inspect } from "node:util";
import { Deque } from "../internal/deque.js";
import { MinHeap } from "../internal/heap.js";
import type { EventLoop } from "./base-events.js";
import { envDebug, iscoroutinefunction } from "./coroutines.js";
import { ArgumentTypeError, RuntimeError, ValueError } from "./exceptions.js";
import type { Future } from "./futures.js";
import { Handle, type Runnable, TimerHandle } from "./handles.js";
import { logger } from "./log.js";
import {
  _getRunningLoop,
  COOP_BUDGET,
  coop,
  runInRoot,
  setDrainingLoop,
  setRunningLoop,
  takeFlush,
  takeSuspend,
} from "./loop-registry.js";
import { type AwaitableLike, ensureFuture, type Task } from "./tasks.js";
import { UnretrievedTracker } from "./unretrieved.js";

/**
 * Microtask hops go through a resolved native promise: Node's queueMicrotask wraps every callback
 * in an AsyncResource, several times dearer.
 */
const RESOLVED = Promise.resolve();
/** Quiet microtask hops after which a paused batch goes on (see #continueBatch). */
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
 * The scheduling half of an event loop: the ready queue, the timers, running and stopping (see the
 * module doc). Not used on its own: `EventLoop` is the loop.
 */
export abstract class LoopScheduler {
  /** Callbacks slower than this many seconds are logged in debug mode. */
  slowCallbackDuration = 0.1;

  /** @internal */ _debug: boolean;
  /** @internal Foreign promises awaited through aiots (wrapThenable) still pending (virtual time reads it). */
  _foreignPending = 0;
  /** @internal Failed futures whose exception nobody retrieved yet (see unretrieved.ts). */
  readonly _unretrieved: UnretrievedTracker = new UnretrievedTracker(this as unknown as EventLoop);
  /** @internal */ readonly _ready = new Deque<Runnable>(1024);
  /**
   * @internal A task whose first step left its async body running: the task registry takes it in
   * (if it is still pending) before the next callback runs (see task-registry.ts).
   */
  _inFlight: Task<any> | null = null;

  /** @internal Hand `_inFlight` to the task registry (`EventLoop` has it). */
  abstract _settleInFlight(): void;
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
    const h = new Handle(callback, args, this as unknown as EventLoop);
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
    const h = new TimerHandle(when, this.#timerSeq++, callback, args, this as unknown as EventLoop);
    this._timers.push(h);
    if (when < this.#nodeTimerWhen) this._armTimer();
    return h;
  }

  /** @internal Append to the ready queue, asking Node for a turn if none is pending. */
  _schedule(r: Runnable): void {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
    this._ready.push(r);
    if (!this.#batchActive && !this.#chainPending && !this.#immediatePending && this.#ioDepth === 0)
      this.#requestIteration();
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
    this.#batchLeft = this._ready.length;
    this.#batchActive = true;
    takeSuspend(); // a suspension noted before the batch leaves nothing for it to wait for
    // Async code started or resumed just before (an eager task's first step, then `_afterIO`) runs
    // to its next suspension before the batch's first callback.
    if (takeFlush() && this.#batchLeft > 0) this.#pause();
    else this.#continueBatch();
  }

  /** True from the start of a batch until its last callback ran (also while it waits on microtasks). */
  #batchActive = false;

  /**
   * @internal Called by transports after delivering received data: run what it made ready now, in
   * the same Node callback, instead of on the next check phase — as CPython's `_run_once` runs the
   * ready queue right after the I/O events of an iteration. Saves a round trip's worth of latency.
   */
  _afterIO(): void {
    if (this.#ioDepth > 0) this.#ioDepth--; // an unmatched call must not stop the loop asking for turns
    if (this.#batchActive || this.#closed || this._ready.length === 0) return;
    this._runOnce();
  }

  /**
   * @internal Called by transports before delivering received data, and paired with `_afterIO` (in a
   * `finally`): a Node turn begins here, so what the data makes ready waits for `_afterIO` (or the
   * running batch), not a `setImmediate` — nor a chained iteration, which `_afterIO` makes needless.
   */
  _beforeIO(): void {
    this.#beginTurn();
    this.#ioDepth++;
  }

  /**
   * How many I/O turns are open (`_beforeIO` … `_afterIO`; they can nest). Inside one, scheduling asks
   * for no iteration: one would cost a microtask and a tick per received chunk, ahead of the code the
   * data resumes, and find the ready queue already run by `_afterIO`.
   */
  #ioDepth = 0;

  /** Callbacks of the current iteration not yet run (the batch may pause for microtasks). */
  #batchLeft = 0;

  /**
   * Run the rest of the current batch. After a callback that resumed or started a task, the
   * batch pauses on a microtask so that the task's async code runs *now*, before the next callback
   * — as CPython runs a task's step inside the callback that woke it.
   *
   * While paused, this same function is the microtask hop: async code resumed by the last callback
   * may take several hops (an await of a thenable, a task's promise settling …); aiots code that runs
   * in a hop asks for another, and the batch goes on after two quiet hops in a row (or at once when
   * the code noted its suspension). The hop and the batch are one function on purpose: as two, V8
   * optimized the batch twice (inlined into the hop, and on its own), and a burst of new tasks paid
   * for both compilations on the same core (`gather` of 100 000 tasks: 111 → 68 ms of TurboFan in the
   * bench's measured run; README, issue 12).
   */
  #continueBatch = (): void => {
    if (this.#paused) {
      const suspended = takeSuspend();
      if (takeFlush()) {
        this.#quietHops = 0;
        RESOLVED.then(this.#continueBatch);
        return;
      }
      if (!suspended && ++this.#quietHops < QUIET_HOPS) {
        RESOLVED.then(this.#continueBatch);
        return;
      }
      this.#paused = false;
    }
    const ready = this._ready;
    const prev = setDrainingLoop(this as unknown as EventLoop);
    try {
      while (this.#batchLeft > 0) {
        if (this._inFlight !== null) this._settleInFlight();
        this.#batchLeft--;
        const r = ready.shift()!;
        // Each callback starts with a full budget (Tokio's per-poll budget): the budget bounds one
        // chain of microtasks, which runs to its end before the next callback.
        coop.left = COOP_BUDGET;
        if (this._debug) this.#runTimed(r);
        else r._runReady();
        // Only async code the callback started (a flush request) is waited for. A suspension it
        // noted itself (a generator task that finished, an await reached synchronously) leaves
        // nothing on the microtask queue.
        takeSuspend();
        if (takeFlush() && this.#batchLeft > 0) {
          this.#pause();
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

  /** The batch waits on microtask hops (see #continueBatch). */
  #paused = false;
  #quietHops = 0;

  /** Let the microtasks run; the batch goes on once they have settled (see #continueBatch). */
  #pause(): void {
    this.#paused = true;
    this.#quietHops = 0;
    RESOLVED.then(this.#continueBatch);
  }

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
    setRunningLoop(this as unknown as EventLoop);
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
    if (other !== null && other !== (this as unknown as EventLoop) && other.isRunning())
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
      fut = ensureFuture(aw, { loop: this as unknown as EventLoop });
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
  }

  /** @internal Run by `close()` (executors register here). */
  readonly _closeHooks: (() => void)[] = [];

  /** @internal */
  _checkClosed(): void {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
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

/**
 * Run `fn(...args)` as an I/O turn of `loop` (`_beforeIO` … `_afterIO`, however `fn` ends): callbacks
 * and tasks it makes ready run before this Node callback returns (unless the loop is already running
 * a batch, which then picks them up).
 */
export function ioTurn<A extends unknown[], R>(loop: EventLoop, fn: (...args: A) => R, ...args: A): R {
  loop._beforeIO();
  try {
    return fn(...args);
  } finally {
    loop._afterIO();
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
