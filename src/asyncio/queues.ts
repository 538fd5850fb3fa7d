/**
 * Queues (CPython's `asyncio/queues.py`): `Queue` (FIFO), `PriorityQueue` (smallest first),
 * `LifoQueue` (last in, first out), with `shutdown()` (Python 3.13).
 *
 * `put()`/`get()` return awaitables usable with `await` and `yield*`; when they need not wait they
 * allocate no Future. A cancelled `get()`/`put()` leaves the queue without losing a wake-up meant
 * for another waiter.
 */
import { inspect } from "node:util";
import { Deque } from "../internal/deque.js";
import {
  ArgumentTypeError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  RuntimeError,
  ValueError,
} from "./exceptions.js";
import { type Awaitable, CANCELLED, Future, PENDING } from "./futures.js";
import { ITERATION_DONE, LazyOp, NOT_READY, type OpIterator, opIterator } from "./lazy-ops.js";
import { Event } from "./locks.js";
import { getEventLoop, taskStorage } from "./loop-registry.js";

/** Options of the queue constructors. */
export interface QueueOptions {
  /** Maximum number of items; `<= 0` (default) means unbounded. */
  maxsize?: number;
}

function newWaiter(): Future<void> {
  return new Future<void>({ loop: taskStorage.getStore()?._loop ?? getEventLoop() });
}

function wakeupNext(waiters: Deque<Future<void>>): void {
  while (waiters.length > 0) {
    const w = waiters.shift()!;
    if (w._state === PENDING) {
      w.setResult();
      break;
    }
  }
}

/**
 * A FIFO queue for producer/consumer tasks.
 *
 * ```ts
 * const q = new asyncio.Queue<number>({ maxsize: 100 });
 * await q.put(1);
 * const item = await q.get(); q.taskDone();
 * for await (const item of q) { … }   // until shutdown()
 * ```
 * @see https://docs.python.org/3/library/asyncio-queue.html#asyncio.Queue
 */
export class Queue<T> implements AsyncIterable<T> {
  readonly #maxsize: number;
  readonly #getters = new Deque<Future<void>>();
  readonly #putters = new Deque<Future<void>>();
  #unfinishedTasks = 0;
  readonly #finished = new Event();
  #isShutdown = false;

  constructor(options?: QueueOptions) {
    const maxsize = options?.maxsize ?? 0;
    if (typeof maxsize !== "number" || Number.isNaN(maxsize))
      throw new ArgumentTypeError(`maxsize must be a number, got ${inspect(maxsize)}`);
    this.#maxsize = maxsize;
    this.#finished.set();
  }

  /** @internal Storage hooks, overridden by PriorityQueue and LifoQueue. */
  protected _put(item: T): void {
    this.#items.push(item);
  }

  /** @internal */
  protected _get(): T {
    return this.#items.shift() as T;
  }

  /** @internal */
  protected _size(): number {
    return this.#items.length;
  }

  #items = new Deque<T>(64);

  /** Number of items in the queue. */
  qsize(): number {
    return this._size();
  }

  /** The maximum size (`0` = unbounded). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** True when the queue holds no item. */
  empty(): boolean {
    return this._size() === 0;
  }

  /** True when the queue holds `maxsize` items (never for an unbounded queue). */
  full(): boolean {
    return this.#maxsize > 0 && this._size() >= this.#maxsize;
  }

  /**
   * Put an item, waiting while the queue is full.
   * @throws {QueueShutDown} when the queue is shut down.
   */
  put(item: T): Awaitable<void> {
    return new LazyOp(this.#putFast, this.#putGen, item, this);
  }

  #putFast(item: T): undefined | typeof NOT_READY {
    if (this.full()) return NOT_READY;
    if (this.#isShutdown) throw new QueueShutDown();
    this.#putNow(item);
    return undefined;
  }

  #putGen(item: T): OpIterator<void> {
    return new Queue.#Wait<T, void>(this, true, item);
  }

  /**
   * A `put()` or `get()` that must wait, as CPython's loop does it: park on the putters (getters)
   * while the queue is full (empty), then put (get) without waiting. A waiter that fails — cancelled,
   * closed, or woken when it can no longer proceed — passes its wake-up on to the next one.
   *
   * A small hand-written iterator, not generators: a producer filling a bounded queue waits once every
   * `maxsize` items, and the generators it replaces were three per wait (the operation's, the loop's,
   * and the `yield*` of the waiter).
   */
  static #Wait = class QueueWait<T, R> implements OpIterator<R> {
    #waiter: Future<void> | null = null;
    #finished = false;

    readonly #q: Queue<T>;
    readonly #isPut: boolean;
    readonly #item: T | undefined;

    constructor(q: Queue<T>, isPut: boolean, item: T | undefined) {
      this.#q = q;
      this.#isPut = isPut;
      this.#item = item;
    }

    next(): IteratorResult<unknown, R> {
      if (this.#finished) return { done: true, value: undefined as R }; // as a finished generator
      const w = this.#waiter;
      if (w !== null) {
        // Resumed: the waiter is done (what `yield* fut` checks before returning its result).
        if (w._state === PENDING) return this.#fail(new RuntimeError("await wasn't used with future"));
        // Cancelled or failed: what `yield* fut` throws there (its `result()`).
        if (w._state === CANCELLED) return this.#fail(w._makeCancelledError());
        if (w._failed) return this.#fail(w.exception());
        this.#waiter = null;
      }
      try {
        return this.#waitOrFinish();
      } catch (e) {
        this.#finished = true; // as a generator that threw: done
        throw e;
      }
    }

    /** One turn of the waiting loop: park again while blocked, else put (get) without waiting. */
    #waitOrFinish(): IteratorResult<unknown, R> {
      const q = this.#q;
      if (!this.#blocked()) {
        this.#finished = true;
        if (this.#isPut) {
          q.putNowait(this.#item as T);
          return { done: true, value: undefined as R };
        }
        return { done: true, value: q.getNowait() as unknown as R };
      }
      if (q.#isShutdown) throw new QueueShutDown();
      const waiter = newWaiter();
      this.#waiters().push(waiter);
      this.#waiter = waiter;
      return { done: false, value: waiter };
    }

    throw(e: unknown): IteratorResult<unknown, R> {
      if (this.#waiter === null || this.#finished) {
        this.#finished = true;
        throw e;
      }
      return this.#fail(e);
    }

    /** Closed while waiting (a coroutine's `close()`): leave the line as a failure does, without one. */
    return(value: R): IteratorResult<unknown, R> {
      if (this.#waiter !== null && !this.#finished) this.#leave();
      this.#finished = true;
      return { done: true, value };
    }

    [Symbol.iterator](): this {
      return this;
    }

    #blocked(): boolean {
      return this.#isPut ? this.#q.full() : this.#q.empty();
    }

    #waiters(): Deque<Future<void>> {
      return this.#isPut ? this.#q.#putters : this.#q.#getters;
    }

    #fail(e: unknown): never {
      this.#leave();
      throw e;
    }

    #leave(): void {
      const waiter = this.#waiter!;
      const waiters = this.#waiters();
      this.#finished = true;
      waiter.cancel();
      waiters.remove(waiter);
      if (!this.#blocked() && !waiter.cancelled()) wakeupNext(waiters);
    }
  };

  /**
   * @internal Hidden-class anchors of this module (see class-anchors.ts): a queue, an operation of
   * each kind (never awaited), and a wait of each kind (never stepped).
   */
  static _anchors(): object[] {
    const q = new Queue<undefined>({ maxsize: 1 });
    return [
      q,
      q.get(),
      q.put(undefined),
      new Queue.#Wait(q, true, undefined),
      new Queue.#Wait(q, false, undefined),
    ];
  }

  /**
   * Put an item without waiting.
   * @throws {QueueFull} when full. @throws {QueueShutDown} when shut down.
   */
  putNowait(item: T): void {
    if (this.#isShutdown) throw new QueueShutDown();
    if (this.full()) throw new QueueFull();
    this.#putNow(item);
  }

  /** Add `item` (the checks are done) and wake the first waiting getter. */
  #putNow(item: T): void {
    this._put(item);
    this.#unfinishedTasks++;
    this.#finished.clear();
    wakeupNext(this.#getters);
  }

  /**
   * Remove and return an item, waiting while the queue is empty.
   * @throws {QueueShutDown} when the queue is shut down and empty (or shut down immediately).
   */
  get(): Awaitable<T> {
    return new LazyOp(this.#getFast, this.#getGen, undefined, this);
  }

  #getFast(): T | typeof NOT_READY {
    if (this._size() === 0) return NOT_READY;
    return this.#takeNow();
  }

  #getGen(): OpIterator<T> {
    return new Queue.#Wait<T, T>(this, false, undefined);
  }

  /**
   * Remove and return an item without waiting.
   * @throws {QueueEmpty} when empty. @throws {QueueShutDown} when empty and shut down.
   */
  getNowait(): T {
    if (this.empty()) {
      if (this.#isShutdown) throw new QueueShutDown();
      throw new QueueEmpty();
    }
    return this.#takeNow();
  }

  /** Take the first item (the queue is not empty) and wake the first waiting putter. */
  #takeNow(): T {
    const item = this._get();
    wakeupNext(this.#putters);
    return item;
  }

  /**
   * Mark one item taken with `get()` as processed (for `join()`).
   * @throws {ValueError} when called more times than items were put.
   */
  taskDone(): void {
    if (this.#unfinishedTasks <= 0) throw new ValueError("task_done() called too many times");
    this.#unfinishedTasks--;
    if (this.#unfinishedTasks === 0) this.#finished.set();
  }

  /** Wait until every item put has been marked done with `taskDone()`. */
  join(): Awaitable<void> {
    return new LazyOp(this.#joinFast, this.#joinGen, undefined, this);
  }

  #joinFast(): undefined | typeof NOT_READY {
    return this.#unfinishedTasks === 0 ? undefined : NOT_READY;
  }

  *#joinGen(): Generator<unknown, void, unknown> {
    yield* this.#finished.wait();
  }

  /**
   * Shut the queue down: `put()` throws QueueShutDown at once, `get()` once the queue is empty.
   * With `immediate`, the items left are dropped (and counted done) and blocked getters throw too.
   */
  shutdown(immediate = false): void {
    this.#isShutdown = true;
    if (immediate) {
      while (!this.empty()) {
        this._get();
        if (this.#unfinishedTasks > 0) this.#unfinishedTasks--;
      }
      if (this.#unfinishedTasks === 0) this.#finished.set();
    }
    // Every blocked getter and putter re-checks and sees the shutdown.
    for (const waiters of [this.#getters, this.#putters]) {
      while (waiters.length > 0) {
        const w = waiters.shift()!;
        if (w._state === PENDING) w.setResult();
      }
    }
  }

  /**
   * Items until the queue is shut down and drained: `for await (const item of q)`. Each step is
   * `await this.get()` (see `opIterator`); an item is given as it was put, never awaited.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return opIterator(() => this.get(), itemStep, endAtShutDown);
  }

  /** @internal */
  [inspect.custom](): string {
    const info = [`maxsize=${this.#maxsize}`, `qsize=${this._size()}`];
    if (this.#getters.length > 0) info.push(`_getters[${this.#getters.length}]`);
    if (this.#putters.length > 0) info.push(`_putters[${this.#putters.length}]`);
    if (this.#unfinishedTasks > 0) info.push(`tasks=${this.#unfinishedTasks}`);
    if (this.#isShutdown) info.push("shutdown");
    return `<${this.constructor.name} ${info.join(" ")}>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}

/** Compare two keys like Python compares numbers, strings and tuples (arrays, element-wise). */
export function pythonCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = pythonCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint"))
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ta === "string" && tb === "string") return compareCodePoints(a as string, b as string);
  if (ta === "boolean" && tb === "boolean") return Number(a) - Number(b);
  throw new ArgumentTypeError(
    `'<' not supported between ${Array.isArray(a) ? "array" : ta} and ${Array.isArray(b) ? "array" : tb} (pass a compare function)`,
  );
}

/** Compare strings by Unicode code point, as Python does (JS `<` compares UTF-16 code units). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort above every BMP character: shift the ranges so that
    // code-unit order matches code-point order.
    if (x >= 0xd800) x += x < 0xe000 ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y < 0xe000 ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/** Options of {@link PriorityQueue}. */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /** Order of the items (negative: `a` first). Default: Python's ordering of numbers, strings and arrays. */
  compare?: (a: T, b: T) => number;
}

/**
 * A queue that returns the smallest item first (Python's `heapq` order: numbers, strings and arrays
 * compared like tuples, or `compare`). Equal items come out in insertion order.
 * @see https://docs.python.org/3/library/asyncio-queue.html#asyncio.PriorityQueue
 */
export class PriorityQueue<T> extends Queue<T> {
  readonly #heap: { item: T; seq: number }[] = [];
  readonly #compare: (a: T, b: T) => number;
  #seq = 0;

  constructor(options?: PriorityQueueOptions<T>) {
    super(options);
    if (options?.compare !== undefined && typeof options.compare !== "function")
      throw new ArgumentTypeError("compare must be a function");
    this.#compare = options?.compare ?? (pythonCompare as (a: T, b: T) => number);
  }

  #less(x: { item: T; seq: number }, y: { item: T; seq: number }): boolean {
    const c = this.#compare(x.item, y.item);
    return c < 0 || (c === 0 && x.seq < y.seq);
  }

  protected override _put(item: T): void {
    const h = this.#heap;
    const node = { item, seq: this.#seq++ };
    // Find the slot first, comparing only: a compare that throws leaves the heap untouched.
    let target = h.length;
    while (target > 0) {
      const p = (target - 1) >> 1;
      if (!this.#less(node, h[p]!)) break;
      target = p;
    }
    let i = h.length;
    h.push(node);
    while (i > target) {
      const p = (i - 1) >> 1;
      h[i] = h[p]!;
      i = p;
    }
    h[target] = node;
  }

  protected override _get(): T {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.#less(h[r]!, h[l]!) ? r : l;
        if (!this.#less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top.item;
  }

  protected override _size(): number {
    return this.#heap.length;
  }
}

/**
 * A queue that returns the most recently added item first.
 * @see https://docs.python.org/3/library/asyncio-queue.html#asyncio.LifoQueue
 */
export class LifoQueue<T> extends Queue<T> {
  readonly #stack: T[] = [];

  protected override _put(item: T): void {
    this.#stack.push(item);
  }

  protected override _get(): T {
    return this.#stack.pop() as T;
  }

  protected override _size(): number {
    return this.#stack.length;
  }
}

/** A `for await` step of a queue: the item taken. */
function itemStep<T>(item: T): IteratorResult<T, undefined> {
  return { done: false, value: item };
}

/** A `for await` over a queue ends when the queue is shut down (and drained). */
function endAtShutDown(e: unknown): IteratorReturnResult<undefined> {
  if (e instanceof QueueShutDown) return ITERATION_DONE;
  throw e;
}
