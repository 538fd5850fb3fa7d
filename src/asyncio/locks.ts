/**
 * Synchronisation primitives (CPython's `asyncio/locks.py`): Lock, Event, Condition, Semaphore,
 * BoundedSemaphore (Barrier, built on Condition, is in barrier.ts). FIFO fairness as in CPython; a
 * waiter cancelled while queued leaves without losing a wake-up meant for another.
 *
 * Every blocking method returns an awaitable usable as `await x.acquire()` from async functions and
 * `yield* x.acquire()` from generator coroutines. Python's `async with x:` is spelled one way on
 * every lock-like primitive (Lock, Condition, Semaphore, BoundedSemaphore): `hold()` acquires and
 * returns a {@link Held} handle, `await using _ = await x.hold()` (in a generator coroutine:
 * `using _ = yield* x.hold()`). The primitives themselves are not disposable: `await using _ = lock`
 * fails at the declaration, before the block runs, with a TypeError saying what to write.
 */
import { inspect } from "node:util";
import { Deque } from "../internal/deque.js";
import type { EventLoop } from "./base-events.js";
import { ArgumentTypeError, CancelledError, RuntimeError, ValueError } from "./exceptions.js";
import { type Awaitable, Future, PENDING } from "./futures.js";
import { type Held, holdHint, holdOf, refuseUsing } from "./held.js";
import { GenOp, LazyOp, NOT_READY, type OpIterator } from "./lazy-ops.js";
import { getEventLoop, taskStorage } from "./loop-registry.js";

/** The loop waiters are created on: the awaiting task's, else the current one. */
function waiterLoop(): EventLoop {
  return taskStorage.getStore()?._loop ?? getEventLoop();
}

/** True when a waiter that is not cancelled is queued. */
function anyLive(waiters: Deque<Future<unknown>> | null): boolean {
  if (waiters === null) return false;
  // Indexed, not for…of: an acquire asks on every call, and a Deque iterator is a generator object.
  for (let k = 0, n = waiters.length; k < n; k++) if (!waiters.at(k)!.cancelled()) return true;
  return false;
}

/** The first waiter still pending, or undefined. */
function firstPending<F extends Future<any>>(waiters: Deque<F>): F | undefined {
  for (let k = 0, n = waiters.length; k < n; k++) {
    const w = waiters.at(k)!;
    if (w._state === PENDING) return w;
  }
  return undefined;
}

/**
 * A mutual-exclusion lock. `acquire()` waits until the lock is free and takes it; `release()`
 * frees it and wakes the first waiter.
 *
 * ```ts
 * await using _ = await lock.hold();   // Python: async with lock:
 * // generator coroutine: using _ = yield* lock.hold();
 * // or: await lock.acquire(); try { … } finally { lock.release(); }
 * ```
 * @see https://docs.python.org/3/library/asyncio-sync.html#asyncio.Lock
 */
export class Lock {
  /** @internal */ _waiters: Deque<Future<unknown>> | null = null;
  /** @internal */ _locked = false;

  /** True when the lock is held. */
  locked(): boolean {
    return this._locked;
  }

  /** Take the lock, waiting while another task holds it. Resolves to `true`. Lazy, like a coroutine. */
  acquire(): Awaitable<true> {
    return new LazyOp(this.#acquireFast, this.#acquireGen, undefined, this);
  }

  #acquireFast(): true | typeof NOT_READY {
    if (!this._locked && !anyLive(this._waiters)) {
      this._locked = true;
      return true;
    }
    return NOT_READY;
  }

  *#acquireGen(): Generator<unknown, true, unknown> {
    this._waiters ??= new Deque();
    const fut = new Future<boolean>({ loop: waiterLoop() });
    this._waiters.push(fut);
    try {
      try {
        yield* fut;
      } finally {
        this._waiters.remove(fut);
      }
    } catch (e) {
      if (e instanceof CancelledError && !this._locked) this.#wakeUpFirst();
      throw e;
    }
    this._locked = true;
    return true;
  }

  /**
   * Acquire and return a handle that releases on dispose (Python: `async with lock:`):
   * `await using _ = await lock.hold()`; in a generator coroutine `using _ = yield* lock.hold()`.
   */
  hold(): Awaitable<Held> {
    return holdOf(this, this.acquire());
  }

  /**
   * Release the lock and wake the first waiter.
   * @throws {RuntimeError} "Lock is not acquired." when it is not held.
   */
  release(): void {
    if (!this._locked) throw new RuntimeError("Lock is not acquired.");
    this._locked = false;
    this.#wakeUpFirst();
  }

  #wakeUpFirst(): void {
    const fut = this._waiters?.peekFront();
    if (fut !== undefined && fut._state === PENDING) fut.setResult(true);
  }

  /** @internal */
  [inspect.custom](): string {
    const n = this._waiters?.length ?? 0;
    return `<Lock [${this._locked ? "locked" : "unlocked"}${n > 0 ? `, waiters:${n}` : ""}]>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}
refuseUsing(Lock, holdHint("lock"));

/**
 * An event: `wait()` blocks until `set()` is called; `clear()` resets it.
 * @see https://docs.python.org/3/library/asyncio-sync.html#asyncio.Event
 */
export class Event {
  #waiters = new Deque<Future<unknown>>();
  #value = false;

  /** True once `set()` was called (and not cleared since). */
  isSet(): boolean {
    return this.#value;
  }

  /** Set the event and wake every waiter. */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    for (const fut of this.#waiters) if (fut._state === PENDING) fut.setResult(true);
  }

  /** Reset the event: later `wait()` calls block again. */
  clear(): void {
    this.#value = false;
  }

  /** Wait until the event is set. Resolves to `true`. */
  wait(): Awaitable<true> {
    return new LazyOp(this.#waitFast, this.#waitGen, undefined, this);
  }

  #waitFast(): true | typeof NOT_READY {
    return this.#value ? true : NOT_READY;
  }

  *#waitGen(): Generator<unknown, true, unknown> {
    const fut = new Future<boolean>({ loop: waiterLoop() });
    this.#waiters.push(fut);
    try {
      yield* fut;
      return true;
    } finally {
      this.#waiters.remove(fut);
    }
  }

  /** @internal */
  [inspect.custom](): string {
    const n = this.#waiters.length;
    return `<Event [${this.#value ? "set" : "unset"}${n > 0 ? `, waiters:${n}` : ""}]>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}

/**
 * A condition variable: tasks `wait()` (releasing the lock) until another task `notify()`s.
 * @see https://docs.python.org/3/library/asyncio-sync.html#asyncio.Condition
 */
export class Condition {
  readonly #lock: Lock;
  #waiters = new Deque<Future<unknown>>();

  /** Use `lock` (default: a new Lock) as the underlying lock. */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock))
      throw new ArgumentTypeError(`Condition() expects a Lock, got ${inspect(lock)}`);
    this.#lock = lock ?? new Lock();
  }

  /** True when the underlying lock is held. */
  locked(): boolean {
    return this.#lock.locked();
  }

  /** Acquire the underlying lock. */
  acquire(): Awaitable<true> {
    return this.#lock.acquire();
  }

  /** Release the underlying lock. */
  release(): void {
    this.#lock.release();
  }

  /**
   * Acquire the underlying lock and return a handle that releases it on dispose (Python:
   * `async with cond:`): `await using _ = await cond.hold()`; in a generator coroutine
   * `using _ = yield* cond.hold()`.
   */
  hold(): Awaitable<Held> {
    return this.#lock.hold();
  }

  /**
   * Release the lock, wait to be notified, re-acquire the lock (even when cancelled). Resolves to `true`.
   * @throws {RuntimeError} when the lock is not held.
   */
  wait(): Awaitable<true> {
    return new LazyOp(this.#waitFast, this.#waitGen, undefined, this);
  }

  #waitFast(): typeof NOT_READY {
    if (!this.locked()) throw new RuntimeError("cannot wait on un-acquired lock");
    return NOT_READY;
  }

  *#waitGen(): Generator<unknown, true, unknown> {
    this.release();
    try {
      try {
        const fut = new Future<boolean>({ loop: waiterLoop() });
        this.#waiters.push(fut);
        try {
          yield* fut;
          return true;
        } finally {
          this.#waiters.remove(fut);
        }
      } finally {
        // Re-acquire the lock even if the wait was cancelled; keep the latest cancellation.
        let err: unknown = null;
        for (;;) {
          try {
            yield* this.#lock.acquire();
            break;
          } catch (e) {
            // biome-ignore lint/correctness/noUnsafeFinally: CPython re-raises from this finally too
            if (!(e instanceof CancelledError)) throw e;
            err = e;
          }
        }
        // biome-ignore lint/correctness/noUnsafeFinally: the latest cancellation wins, as in CPython
        if (err !== null) throw err;
      }
    } catch (e) {
      // We may have been notified before the error: pass the notification on (a spurious wake-up is allowed).
      this.#notify(1);
      throw e;
    }
  }

  /** Wait until `predicate()` is truthy (checked before each wait); resolves to its value. */
  waitFor<T>(predicate: () => T): Awaitable<T> {
    if (typeof predicate !== "function")
      throw new ArgumentTypeError("waitFor() expects a predicate function");
    const self = this;
    return new GenOp(function* () {
      let result = predicate();
      while (!result) {
        yield* self.wait();
        result = predicate();
      }
      return result;
    });
  }

  /**
   * Wake up to `n` waiting tasks. @throws {RuntimeError} when the lock is not held.
   */
  notify(n = 1): void {
    if (!this.locked()) throw new RuntimeError("cannot notify on un-acquired lock");
    this.#notify(n);
  }

  #notify(n: number): void {
    let idx = 0;
    for (const fut of this.#waiters) {
      if (idx >= n) break;
      if (fut._state === PENDING) {
        idx++;
        fut.setResult(false);
      }
    }
  }

  /** Wake up every waiting task. @throws {RuntimeError} when the lock is not held. */
  notifyAll(): void {
    this.notify(this.#waiters.length);
  }

  /** @internal */
  [inspect.custom](): string {
    const n = this.#waiters.length;
    return `<Condition [${this.locked() ? "locked" : "unlocked"}${n > 0 ? `, waiters:${n}` : ""}]>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}
refuseUsing(Condition, holdHint("cond"));

/**
 * A semaphore: a counter decremented by `acquire()` (which waits at zero) and incremented by
 * `release()`. FIFO: a new arrival waits behind earlier waiters even if the counter is positive.
 * @see https://docs.python.org/3/library/asyncio-sync.html#asyncio.Semaphore
 */
export class Semaphore {
  /** @internal */ _value: number;
  #waiters: Deque<Future<unknown>> | null = null;

  /** @throws {ValueError} when `value < 0`. */
  constructor(value = 1) {
    if (typeof value !== "number" || !Number.isInteger(value))
      throw new ArgumentTypeError(`Semaphore value must be an integer, got ${inspect(value)}`);
    if (value < 0) throw new ValueError("Semaphore initial value must be >= 0");
    this._value = value;
  }

  /** True when `acquire()` would wait (counter at zero, or earlier waiters still queued). */
  locked(): boolean {
    return this._value === 0 || anyLive(this.#waiters);
  }

  /** Decrement the counter, waiting while it is zero. Resolves to `true`. Lazy, like a coroutine. */
  acquire(): Awaitable<true> {
    return new LazyOp(this.#acquireFast, this.#acquireGen, undefined, this);
  }

  #acquireFast(): true | typeof NOT_READY {
    if (!this.locked()) {
      this._value--;
      return true;
    }
    return NOT_READY;
  }

  /**
   * An acquire that must wait: a small hand-written iterator, not a generator. In a fan-out through a
   * semaphore nearly every task waits here at once, and a suspended generator keeps its whole
   * register file alive.
   */
  #acquireGen(): OpIterator<true> {
    return new Semaphore.#AcquireWait(this);
  }

  /** The steps of CPython's `Semaphore.acquire` waiting loop, as an iterator (see {@link #acquireGen}). */
  static #AcquireWait = class AcquireWait implements OpIterator<true> {
    #fut: Future<boolean> | null = null;
    #finished = false;

    constructor(readonly sem: Semaphore) {}

    next(): IteratorResult<unknown, true> {
      const fut = this.#fut;
      if (fut === null) {
        // Queue a waiter and suspend on it.
        const sem = this.sem;
        sem.#waiters ??= new Deque();
        const w = new Future<boolean>({ loop: waiterLoop() });
        sem.#waiters.push(w);
        this.#fut = w;
        return { done: false, value: w };
      }
      // Resumed: the waiter is done (what `yield* fut` checks before returning its result).
      if (fut._state === PENDING) return this.#end(new RuntimeError("await wasn't used with future"));
      if (fut.cancelled()) return this.#end(fut._makeCancelledError());
      return this.#end(undefined, true);
    }

    throw(e: unknown): IteratorResult<unknown, true> {
      if (this.#fut === null || this.#finished) throw e;
      return this.#end(e);
    }

    return(value: true): IteratorResult<unknown, true> {
      if (this.#fut !== null && !this.#finished) {
        this.#finished = true;
        this.sem.#waiters!.remove(this.#fut);
        this.#wakeAllowed();
      }
      return { done: true, value };
    }

    [Symbol.iterator](): this {
      return this;
    }

    /** Leave the queue; `ok`: acquired, else fail with `e` (giving back a unit woken but cancelled). */
    #end(e: unknown, ok = false): IteratorResult<unknown, true> {
      const sem = this.sem;
      const fut = this.#fut!;
      this.#finished = true;
      sem.#waiters!.remove(fut);
      // Woken by release() but cancelled before running: give the unit back.
      if (!ok && e instanceof CancelledError && fut.done() && !fut.cancelled()) sem._value++;
      this.#wakeAllowed();
      if (!ok) throw e;
      return { done: true, value: true };
    }

    /** Others may have queued behind while the counter was positive: wake as many as allowed. */
    #wakeAllowed(): void {
      const sem = this.sem;
      while (sem._value > 0) if (!sem.#wakeUpNext()) break;
    }
  };

  /**
   * Acquire and return a handle that releases on dispose (Python: `async with sem:`):
   * `await using _ = await sem.hold()`; in a generator coroutine `using _ = yield* sem.hold()`.
   */
  hold(): Awaitable<Held> {
    return holdOf(this, this.acquire());
  }

  /** Increment the counter, waking the first waiter. */
  release(): void {
    this._value++;
    this.#wakeUpNext();
  }

  #wakeUpNext(): boolean {
    if (this.#waiters === null) return false;
    const fut = firstPending(this.#waiters);
    if (fut === undefined) return false;
    this._value--;
    fut.setResult(true);
    return true;
  }

  /** @internal */
  [inspect.custom](): string {
    const n = this.#waiters?.length ?? 0;
    return `<${this.constructor.name} [${this.locked() ? "locked" : `unlocked, value:${this._value}`}${n > 0 ? `, waiters:${n}` : ""}]>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}
refuseUsing(Semaphore, holdHint("sem")); // BoundedSemaphore inherits it

/**
 * A semaphore that refuses to be released above its initial value.
 * @see https://docs.python.org/3/library/asyncio-sync.html#asyncio.BoundedSemaphore
 */
export class BoundedSemaphore extends Semaphore {
  readonly #bound: number;

  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /** @throws {ValueError} "BoundedSemaphore released too many times". */
  override release(): void {
    if (this._value >= this.#bound) throw new ValueError("BoundedSemaphore released too many times");
    super.release();
  }
}
