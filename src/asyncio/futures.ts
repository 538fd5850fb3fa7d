/**
 * `Future`: a value that will exist later, with CPython's semantics (`asyncio/futures.py`).
 *
 * A Future is a plain object (state, result, callback list). Awaiting it with `await` goes
 * through `then`, which registers a {@link Reaction} and, inside a task, records the future as
 * what the task waits on, so `task.cancel()` can cancel it. Done callbacks (and reactions) run
 * one loop iteration after the future completes, in registration order, never synchronously
 * inside `setResult` — as CPython schedules them with `call_soon`.
 */
import { inspect } from "node:util";
import type { EventLoop } from "./base-events.js";
import { CANCELLED, FINISHED, PENDING, WaiterKind } from "./cancellation.js";
import { CancelledError, deliveredCancelledError, InvalidStateError, RuntimeError } from "./exceptions.js";
import type { Runnable } from "./handles.js";
import { coop, getEventLoop, noteSuspend, requestFlush, taskStorage } from "./loop-registry.js";
import { guardedAwait, guards } from "./promise-guard.js";
import type { Task } from "./tasks.js";

/** @internal */
export { CANCELLED, FINISHED, PENDING } from "./cancellation.js";

/** Something `await` and `yield*` both accept and that yields a typed result. */
export interface Awaitable<T> extends PromiseLike<T> {
  [Symbol.iterator](): Iterator<unknown, T, unknown>;
}

/** A done callback: receives the future it was added to. */
export type DoneCallback<F> = (fut: F) => void;

/** @internal Whatever sits in a future's callback list besides plain functions. */
export interface FutureListener {
  _onFutureDone(fut: Future<any>): void;
}

/** @internal What waits on a future: a done callback, or an object woken with `_onFutureDone`. */
export type Listener = DoneCallback<any> | FutureListener;

const STATE_NAMES = ["PENDING", "CANCELLED", "FINISHED"];

/** @internal `Future._failure`: did the future fail, and was its exception retrieved? */
export const Failure = {
  /** No exception (pending, a result, or cancelled). */
  None: 0,
  /** Failed, and nobody retrieved the exception yet: reported if nobody ever does. */
  Unretrieved: 1,
  /** Failed; the exception was retrieved (or reported). */
  Retrieved: 2,
} as const;
/** @internal */
export type Failure = (typeof Failure)[keyof typeof Failure];

/** Microtasks through a native promise: cheaper than Node's queueMicrotask (no AsyncResource). */
const RESOLVED = Promise.resolve();

/**
 * Debug mode: where each future was created (CPython's `_source_traceback`). Kept beside the futures,
 * not in a field every future (and task) would carry.
 */
const sourceTracebacks = new WeakMap<Future<any>, string | undefined>();

/** @internal Where `fut` was created (debug mode only). */
export function sourceTracebackOf(fut: Future<any>): string | undefined {
  return sourceTracebacks.get(fut);
}

/**
 * The eventual result of an operation.
 *
 * Awaitable (`await fut`), delegatable in generator coroutines (`const v = yield* fut`), and
 * cancellable. Not thread-safe (there are no threads on the loop).
 * @see https://docs.python.org/3/library/asyncio-future.html#asyncio.Future
 */
export class Future<T = unknown> implements PromiseLike<T> {
  /** @internal */ _state = PENDING;
  /** @internal Whether the future failed, and whether its exception was retrieved (one field for both). */
  _failure: Failure = Failure.None;
  /**
   * @internal The result; with `_failed`, the exception (one field: a future holds one or the other).
   * While a Task is pending, what its next step sends in (`Task._stepArg`).
   */
  _result: T | undefined = undefined;
  /** @internal */ _loop: EventLoop;
  /**
   * @internal One listener is stored bare, more in an array (most futures have exactly one). Once the
   * future is done they wait here for their loop iteration (`_runReady`); a listener added after that
   * is scheduled on its own.
   */
  _callbacks: Listener | Listener[] | null = null;
  /**
   * @internal Why it was cancelled: the message given to `cancel()`, replaced by the CancelledError
   * once one is made for it (one field for both). A pending Task keeps its pending request's message here.
   */
  _cancel: string | CancelledError | undefined = undefined;
  /**
   * @internal What kind of waiter this future is for the task awaiting it: an ordinary suspension
   * point, or a proxy for awaits elsewhere (see the table in cancellation.ts).
   */
  _waiterKind: WaiterKind = WaiterKind.Plain;

  /** Create a pending future bound to `loop` (default: the running or current loop). */
  constructor(options?: { loop?: EventLoop }) {
    this._loop = options?.loop ?? getEventLoop();
    if (this._loop._debug) sourceTracebacks.set(this, captureStack(2));
  }

  /** @internal The exception of a failed future (kept in `_result`). */
  get _exception(): unknown {
    return this._failure !== Failure.None ? this._result : undefined;
  }

  /** @internal The future finished with an exception. */
  get _failed(): boolean {
    return this._failure !== Failure.None;
  }

  /** @internal The future failed and nobody has retrieved (or been told of) its exception yet. */
  get _logTraceback(): boolean {
    return this._failure === Failure.Unretrieved;
  }

  /** @internal The message of the cancellation (requested, or done). */
  get _cancelMessage(): string | undefined {
    const c = this._cancel;
    return c instanceof CancelledError ? c.message : c;
  }

  /** The loop this future is bound to. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** True when the future was cancelled. */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /** True when the future has a result, an exception, or was cancelled. */
  done(): boolean {
    return this._state !== PENDING;
  }

  /**
   * The result. Throws the future's exception if it has one.
   * @throws {CancelledError} if cancelled. @throws {InvalidStateError} if not done yet.
   */
  result(): T {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Result is not ready.");
    this._retrieved();
    if (this._failed) throw this._exception;
    return this._result as T;
  }

  /**
   * The exception the future holds, or `null` when it finished with a result.
   * @throws {CancelledError} if cancelled. @throws {InvalidStateError} if not done yet.
   */
  exception(): unknown {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Exception is not set.");
    this._retrieved();
    return this._failed ? this._exception : null;
  }

  /** Mark the future done with `result`. @throws {InvalidStateError} if already done. */
  setResult(result: T): void {
    if (this._state !== PENDING) throw new InvalidStateError(`${STATE_NAMES[this._state]}: ${this}`);
    this._result = result;
    this._state = FINISHED;
    this._scheduleCallbacks();
  }

  /** Mark the future done with an exception. @throws {InvalidStateError} if already done. */
  setException(exception: unknown): void {
    if (this._state !== PENDING) throw new InvalidStateError(`${STATE_NAMES[this._state]}: ${this}`);
    if (typeof exception === "function") {
      exception = new (exception as new () => unknown)();
    }
    this._result = exception as T;
    this._failure = Failure.Unretrieved;
    this._state = FINISHED;
    this._loop._unretrieved.noteFailed(this);
    this._scheduleCallbacks();
  }

  /**
   * Cancel the future: if it is pending, it becomes cancelled and its callbacks are scheduled.
   * @returns false when the future was already done.
   */
  cancel(msg?: string): boolean {
    this._retrieved();
    if (this._state !== PENDING) return false;
    this._setCancelled(msg);
    return true;
  }

  /**
   * @internal Make the pending future cancelled, for `reason`: a message, or the CancelledError to
   * raise (a task whose body raised one, a wrapped promise rejected with one).
   */
  _setCancelled(reason: string | CancelledError | undefined): void {
    this._state = CANCELLED;
    this._cancel = reason;
    this._scheduleCallbacks();
  }

  /**
   * Run `fn(future)` once the future is done (one loop iteration later, even if it is done now).
   */
  addDoneCallback(fn: DoneCallback<this>): void {
    if (typeof fn !== "function") throw new TypeError("done callback must be a function");
    this._addListener(fn);
  }

  /** Remove every registration of `fn`; returns how many were removed. */
  removeDoneCallback(fn: DoneCallback<this>): number {
    const cbs = this._callbacks;
    // Once done, the callbacks are scheduled already (CPython clears its list at completion).
    if (cbs === null || this._state !== PENDING) return 0;
    if (!Array.isArray(cbs)) {
      if (cbs !== fn) return 0;
      this._callbacks = null;
      return 1;
    }
    const kept = cbs.filter((cb) => cb !== fn);
    const removed = cbs.length - kept.length;
    this._callbacks = kept.length === 0 ? null : kept.length === 1 ? kept[0]! : kept;
    return removed;
  }

  /**
   * Promise interoperability; `await fut` lands here. Inside a task, the future becomes what the
   * task waits on, so cancelling the task cancels this future (CPython's `_fut_waiter`).
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const task = taskStorage.getStore();
    if (guards.armed !== 0 && task !== undefined) {
      const refused = guardedAwait(task, this);
      if (refused !== null) return Promise.reject(refused).then(onfulfilled, onrejected);
    }
    if (this._state === PENDING) noteSuspend();
    else requestFlush();
    if (this._state !== PENDING) {
      // Awaiting a done future does not suspend (as in CPython): settle through a native promise,
      // the cheapest await there is — unless a cancel request is pending for the task.
      // Past the cooperative budget (see COOP_BUDGET) the Reaction below goes through the loop instead.
      if ((task === undefined || !task._mustCancel || task._state !== PENDING) && --coop.left >= 0) {
        if (this._state === FINISHED && !this._failed)
          return settleNow(true, this._result, onfulfilled, onrejected);
        this._retrieved();
        const exc = this._state === CANCELLED ? this._makeCancelledError() : this._exception;
        return settleNow(false, exc, onfulfilled, onrejected);
      }
    }
    const owner = task !== undefined && task._state === PENDING ? task : null;
    if (owner !== null && this._state === PENDING) {
      // The checks CPython's Task.__step makes on what a coroutine yields.
      let err: RuntimeError | null = null;
      if ((this as unknown) === owner) err = new RuntimeError(`Task cannot await on itself: ${this}`);
      else if (this._loop !== owner._loop)
        err = new RuntimeError(`Task ${owner} got Future ${this} attached to a different loop`);
      if (err !== null) return Promise.reject(err).then(onfulfilled, onrejected);
    }
    const reaction = new Reaction<T>(owner, onfulfilled, onrejected);
    if (this._state !== PENDING) {
      if (coop.left < 0) {
        // Budget spent: resume on the next loop iteration (a pending cancel is delivered there).
        if (reaction.task !== null) reaction.task._awaiting(this);
        this._addListener(reaction);
      } else {
        // Done, with a cancel request pending: the Reaction delivers the cancellation.
        RESOLVED.then(() => reaction._onFutureDone(this));
      }
    } else {
      if (reaction.task !== null) reaction.task._awaiting(this);
      this._addListener(reaction);
    }
    // The Reaction is the thenable `then` returns (structurally a Promise; see Reaction).
    return reaction as unknown as Promise<R1 | R2>;
  }

  /** Promise interoperability: `then(undefined, onrejected)`. */
  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onrejected);
  }

  /** Promise interoperability: run `onfinally` however it settles. */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return (this.then() as Promise<T>).finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return "Future";
  }

  /** `const v = yield* fut` inside a generator coroutine. */
  *[Symbol.iterator](): Generator<unknown, T, unknown> {
    if (this._state === PENDING) yield this;
    if (this._state === PENDING) throw new RuntimeError("await wasn't used with future");
    return this.result();
  }

  /** @internal Register a listener; if already done it fires on the next iteration. */
  _addListener(listener: Listener): void {
    if (this._state !== PENDING) {
      this._loop._schedule(new ListenerCall(listener, this));
      return;
    }
    const cbs = this._callbacks;
    if (cbs === null) this._callbacks = listener;
    else if (Array.isArray(cbs)) cbs.push(listener);
    else this._callbacks = [cbs, listener];
  }

  /** @internal */
  _retrieved(): void {
    if (this._failure === Failure.Unretrieved) {
      this._failure = Failure.Retrieved;
      this._loop._unretrieved.retrieved(this);
    }
  }

  /** @internal */
  _scheduleCallbacks(): void {
    if (this._callbacks !== null) this._loop._schedule(this);
  }

  /** @internal Ready-queue entry point: fire the callbacks captured at completion. */
  _runReady(): void {
    const cbs = this._callbacks;
    if (cbs === null) return;
    this._callbacks = null;
    if (!Array.isArray(cbs)) callListener(cbs, this);
    else for (let i = 0; i < cbs.length; i++) callListener(cbs[i]!, this);
  }

  /** @internal The CancelledError to raise for this cancelled future (same object every time). */
  _makeCancelledError(): CancelledError {
    const c = this._cancel;
    if (c instanceof CancelledError) return c;
    const exc = deliveredCancelledError(c, this._loop._debug);
    this._cancel = exc;
    return exc;
  }

  /** @internal */
  _kind(): string {
    return "Future";
  }

  /** @internal */
  _reprInfo(): string[] {
    const info = [STATE_NAMES[this._state]!.toLowerCase()];
    if (this._state === FINISHED) {
      if (this._failed) info.push(`exception=${reprError(this._exception)}`);
      else info.push(`result=${inspect(this._result, { depth: 0, breakLength: Infinity })}`);
    }
    const count = (x: Listener | Listener[] | null): number =>
      x === null ? 0 : Array.isArray(x) ? x.length : 1;
    const n = count(this._callbacks);
    if (n > 0) info.push(`cb=[${n}]`);
    return info;
  }

  /** @internal */
  [inspect.custom](): string {
    return `<${this._kind()} ${this._reprInfo().join(" ")}>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}

/** One-line repr of an error, like Python's `RuntimeError('boom')` (no stack). */
export function reprError(e: unknown): string {
  if (e instanceof Error) return `${e.name}(${JSON.stringify(e.message)})`;
  return inspect(e, { depth: 0, breakLength: Number.POSITIVE_INFINITY });
}

/** @internal Run one listener, reporting a throwing done callback to the loop. */
export function callListener(listener: Listener, fut: Future<any>): void {
  if (typeof listener === "function") {
    try {
      listener(fut);
    } catch (exception) {
      fut._loop.callExceptionHandler({
        message: `Exception in callback ${listener.name || "<anonymous>"}(${fut})`,
        exception,
        future: fut,
      });
    }
  } else {
    listener._onFutureDone(fut);
  }
}

/** A listener added to a future that is already done: runs on the next iteration. */
class ListenerCall implements Runnable {
  constructor(
    readonly listener: Listener,
    readonly fut: Future<any>,
  ) {}
  _runReady(): void {
    callListener(this.listener, this.fut);
  }
}

/**
 * @internal One `then()` on an aiots awaitable: delivers the outcome to `onfulfilled` /
 * `onrejected` and settles the promise `then` returned. When it belongs to a task with a
 * pending cancel request, it delivers that cancellation instead of the value (CPython's
 * `__step` with `_must_cancel` set).
 */
export class Reaction<T> implements FutureListener, Runnable, PromiseLike<any> {
  /** 0 pending, 1 fulfilled, 2 rejected: the outcome of the derived promise. */
  #state = 0;
  #outcome: unknown = undefined;
  #promise: Promise<any> | undefined = undefined;
  #resolve: ((v: any) => void) | undefined = undefined;
  #reject: ((e: unknown) => void) | undefined = undefined;
  /** Value delivered when used directly as a ready-queue entry (sleep(0)). */
  value: T | undefined = undefined;

  constructor(
    readonly task: Task<any> | null,
    readonly onfulfilled: ((value: T) => any) | null | undefined,
    readonly onrejected: ((reason: any) => any) | null | undefined,
  ) {}

  /**
   * The promise `then()` returns, made only when someone chains on it: `await` ignores what
   * `then` returns, so the common case allocates no native promise at all.
   */
  #materialize(): Promise<any> {
    if (this.#promise === undefined) {
      if (this.#state === 1) this.#promise = Promise.resolve(this.#outcome);
      else if (this.#state === 2) this.#promise = Promise.reject(this.#outcome);
      else
        this.#promise = new Promise((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
    }
    return this.#promise;
  }

  then<R1 = any, R2 = never>(
    onfulfilled?: ((value: any) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#materialize().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<any> {
    return this.#materialize().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<any> {
    return this.#materialize().finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return "Promise";
  }

  /**
   * The awaited future is done: resume the awaiting code with its outcome — or, at this suspension
   * point, with the task's pending cancel request (CPython's `__step` with `_must_cancel` set).
   */
  _onFutureDone(fut: Future<any>): void {
    const task = this.task;
    if (task !== null) {
      task._doneAwaiting(fut);
      // An inline runner's completion is not a suspension point (its inner await took the cancel).
      const cancel = fut._waiterKind === WaiterKind.InlineRunner ? null : task._takeCancel();
      if (cancel !== null) {
        this._resume(false, cancel);
        return;
      }
    }
    if (fut._state === FINISHED && !fut._failed) {
      this._resume(true, fut._result);
      return;
    }
    fut._retrieved();
    this._resume(false, fut._state === CANCELLED ? fut._makeCancelledError() : fut._exception);
  }

  /** Ready-queue entry point when the reaction is scheduled on its own (sleep(0)). */
  _runReady(): void {
    const cancel = this.task?._takeCancel() ?? null;
    if (cancel !== null) this._resume(false, cancel);
    else this._resume(true, this.value);
  }

  /** Hand the outcome to the awaiting code (GenDriver overrides it to step its generator). */
  _resume(ok: boolean, value: unknown): void {
    if (ok) this.fulfil(value as T);
    else this.reject(value);
  }

  fulfil(value: T): void {
    requestFlush();
    const on = this.onfulfilled;
    if (typeof on === "function") {
      try {
        this.#settle(1, on(value));
      } catch (e) {
        this.#settle(2, e);
      }
    } else {
      this.#settle(1, value);
    }
  }

  reject(reason: unknown): void {
    requestFlush();
    const on = this.onrejected;
    if (typeof on === "function") {
      try {
        this.#settle(1, on(reason));
      } catch (e) {
        this.#settle(2, e);
      }
    } else {
      this.#settle(2, reason);
    }
  }

  #settle(state: 1 | 2, v: unknown): void {
    if (this.#promise !== undefined) {
      if (state === 1) this.#resolve!(v);
      else this.#reject!(v);
      return;
    }
    this.#state = state;
    this.#outcome = v;
    // A rejection nobody chained on is still reported as an unhandled rejection, as native then() would.
    if (state === 2) this.#materialize();
  }
}

/** @internal A settled promise of `undefined`, shared (nothing can change it). */
export const RESOLVED_UNDEFINED: Promise<any> = Promise.resolve(undefined);

/**
 * @internal The `then` of an awaitable whose outcome is known when `then` is called (a done future,
 * a lazy operation that completed without waiting): hand it to the callback now.
 *
 * `await x` on a thenable calls `x.then(resolve, reject)` from a microtask the engine queued; calling
 * `resolve` right there, rather than through `Promise.resolve(v).then(resolve, reject)`, saves one
 * microtask and two promises per `await` — and `resolve` returns `undefined`, so the promise `then`
 * returns is a shared resolved one. A callback passed to `then` directly therefore runs before `then`
 * returns (these are awaitables, not promises: `ensureFuture(x)` gives a Promise-like future).
 */
export function settleNow<R>(
  ok: boolean,
  value: unknown,
  onfulfilled: ((value: any) => any) | null | undefined,
  onrejected: ((reason: any) => any) | null | undefined,
): Promise<R> {
  const on = ok ? onfulfilled : onrejected;
  if (typeof on !== "function") return ok ? Promise.resolve(value as R) : Promise.reject(value);
  let r: unknown;
  try {
    r = on(value);
  } catch (e) {
    return Promise.reject(e);
  }
  return r === undefined ? RESOLVED_UNDEFINED : Promise.resolve(r as R);
}

/** @internal The creation stack, without the first `skip` frames (debug mode only). */
export function captureStack(skip: number): string | undefined {
  const stack = new Error().stack;
  return stack
    ?.split("\n")
    .slice(skip + 1)
    .join("\n");
}

/** True for aiots Futures (and Tasks) from any copy of the library. */
export function isFuture(x: unknown): x is Future<unknown> {
  return x instanceof Future;
}

/** True for objects with a callable `then`. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null && (typeof x === "object" || typeof x === "function") && typeof (x as any).then === "function"
  );
}
