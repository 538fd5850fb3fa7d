/**
 * `wait()`, `waitFor()` and `asCompleted()` (CPython's `tasks.wait`, `tasks.wait_for`,
 * `tasks.as_completed`).
 */
import { inspect } from "node:util";
import { Deque } from "../internal/deque.js";
import { asAwaitable } from "./awaitables.js";
import type { EventLoop } from "./base-events.js";
import { BodyKind, kindOf } from "./body-kind.js";
import { WaiterKind } from "./cancellation.js";
import { type Coroutine, coroutine } from "./coroutines.js";
import { ArgumentTypeError, CancelledError, TimeoutError, ValueError } from "./exceptions.js";
import { Future, PENDING } from "./futures.js";
import type { TimerHandle } from "./handles.js";
import { isStartedPromise } from "./lazy-ops.js";
import { getEventLoop, taskStorage } from "./loop-registry.js";
import { armGuard, type PromiseGuard } from "./promise-guard.js";
import { _ensureFuture, type AwaitableLike, ensureFuture } from "./tasks.js";
import { timeout } from "./timeouts.js";

/** `wait()` returns when any future finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** `wait()` returns when any future finishes with an exception (or all finish). */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** `wait()` returns when all futures finish or are cancelled. */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When `wait()` returns. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of {@link wait}. */
export interface WaitOptions {
  /** Seconds to wait at most; `null`/absent waits without limit. Expiry never throws. */
  timeout?: number | null;
  /** When to return (default {@link ALL_COMPLETED}). */
  returnWhen?: ReturnWhen;
}

/** A native promise among the awaitables of an array or a Set (other iterables may be one-shot). */
function hasStartedPromise(fs: unknown): boolean {
  if (!Array.isArray(fs) && !(fs instanceof Set)) return false;
  for (const aw of fs) if (isStartedPromise(aw)) return true;
  return false;
}

function checkTimeout(t: unknown): void {
  if (t !== null && t !== undefined && typeof t !== "number")
    throw new ArgumentTypeError(`timeout must be a number or null, got ${inspect(t)}`);
}

function toFutures(
  fs: Iterable<AwaitableLike<unknown>>,
  what: string,
  loop?: EventLoop,
): Set<Future<unknown>> {
  const kind = kindOf(fs);
  if (kind === BodyKind.Future || kind === BodyKind.Generator || kind === BodyKind.Lazy)
    throw new ArgumentTypeError(`expect a list of futures, not ${(fs as object).constructor.name}`);
  if (fs === null || typeof (fs as any)?.[Symbol.iterator] !== "function")
    throw new ArgumentTypeError(`${what} expects an iterable of awaitables, got ${inspect(fs)}`);
  const out = new Set<Future<unknown>>();
  for (const aw of new Set(fs)) out.add(ensureFuture(aw, loop === undefined ? undefined : { loop }));
  return out;
}

async function waitImpl(
  fs: Iterable<AwaitableLike<unknown>>,
  options: WaitOptions | undefined,
  guard: PromiseGuard | null,
): Promise<[Set<Future<unknown>>, Set<Future<unknown>>]> {
  if (guard?.error != null) {
    // The started promises were refused (each rejects with this error): the refusal is reported here.
    for (const aw of fs) if (isStartedPromise(aw)) aw.catch(() => {});
    throw guard.error;
  }
  const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
  const to = options?.timeout ?? null;
  const futs = toFutures(fs, "wait()");
  if (futs.size === 0) throw new ValueError("Set of Tasks/Futures is empty.");
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED)
    throw new ValueError(`Invalid return_when value: ${returnWhen}`);
  const loop = taskStorage.getStore()?._loop ?? getEventLoop();
  const waiter = new Future<void>({ loop });
  let timeoutHandle: TimerHandle | null = null;
  if (to !== null) timeoutHandle = loop.callLater(to, releaseWaiter, waiter);
  let counter = futs.size;
  const onCompletion = (f: Future<unknown>): void => {
    counter--;
    if (
      counter <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f._failed)
    ) {
      timeoutHandle?.cancel();
      if (waiter._state === PENDING) waiter.setResult();
    }
  };
  for (const f of futs) f.addDoneCallback(onCompletion);
  try {
    await waiter;
  } finally {
    timeoutHandle?.cancel();
    for (const f of futs) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<Future<unknown>>();
  const pending = new Set<Future<unknown>>();
  for (const f of futs) (f.done() ? done : pending).add(f);
  return [done, pending];
}

function releaseWaiter(waiter: Future<void>): void {
  if (waiter._state === PENDING) waiter.setResult();
}

const waitCoro = coroutine(waitImpl);

/**
 * Wait for the futures (tasks, coroutines, promises — wrapped) until `returnWhen` holds or the
 * timeout passes; returns `[done, pending]`. Never throws TimeoutError, never cancels.
 *
 * Differences from Python: coroutines and promises are accepted (wrapped in tasks/futures, which
 * are what the returned sets hold); Python ≥ 3.11 rejects coroutines.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.wait
 */
export function wait<T>(
  fs: Iterable<AwaitableLike<T>>,
  options?: WaitOptions,
): Coroutine<[Set<Future<T>>, Set<Future<T>>]> {
  checkTimeout(options?.timeout);
  const guard = hasStartedPromise(fs) ? armGuard("wait()") : null;
  const coro = waitCoro(fs as Iterable<AwaitableLike<unknown>>, options, guard) as Coroutine<
    [Set<Future<T>>, Set<Future<T>>]
  >;
  guard?.own.push(coro);
  return coro;
}

async function cancelAndWait(fut: Future<unknown>): Promise<void> {
  const waiter = new Future<void>({ loop: fut._loop });
  const cb = (): void => releaseWaiter(waiter);
  fut.addDoneCallback(cb);
  try {
    fut.cancel();
    await waiter;
  } finally {
    fut.removeDoneCallback(cb);
  }
}

async function waitForImpl<T>(aw: AwaitableLike<T>, to: number | null): Promise<T> {
  const kind = kindOf(aw);
  if (to !== null && to <= 0) {
    const fut = _ensureFuture(aw, kind, undefined);
    if (fut.done()) return fut.result();
    await cancelAndWait(fut);
    try {
      return fut.result();
    } catch (e) {
      if (e instanceof CancelledError) throw new TimeoutError("", { cause: e });
      throw e;
    }
  }
  if (kind === BodyKind.None)
    throw new ArgumentTypeError(`waitFor() expects an awaitable, got ${inspect(aw, { depth: 0 })}`);
  // A started promise is awaited through a proxy Future: if it was started in this task, the
  // timeout's cancellation reaches its awaits (Python's wait_for(coro())); if it is foreign,
  // the proxy itself is cancelled so the timeout still fires (a `StartedPromise` waiter).
  let target: unknown = aw; // a Future, a lazy body or another thenable is awaited as it is
  if (isStartedPromise(aw)) {
    const f = _ensureFuture(aw, kind, undefined);
    f._waiterKind = WaiterKind.StartedPromise;
    target = f;
  } else if (kind === BodyKind.Function) {
    target = _ensureFuture(aw, kind, undefined); // a function (or coroutine function) runs as a task, as in gather()
  } else if (kind === BodyKind.Generator) {
    target = asAwaitable(aw); // a generator object runs in this task, like Python's `await coro`
  }
  return timeout(to, async () => (await (target as PromiseLike<T>)) as T);
}

const waitForCoro = coroutine(waitForImpl);

/**
 * Wait for `aw` at most `timeout` seconds: on expiry it is cancelled and TimeoutError is thrown.
 * `timeout = null` waits without limit. If the caller is cancelled, `aw` is cancelled too.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.wait_for
 */
export function waitFor<T>(aw: AwaitableLike<T>, timeout: number | null): Coroutine<T> {
  checkTimeout(timeout);
  if (timeout === undefined) timeout = null;
  return waitForCoro(aw as AwaitableLike<unknown>, timeout) as Coroutine<T>;
}

/**
 * Iterate over awaitables as they complete (CPython 3.13's `as_completed`).
 *
 * `for (const next of asCompleted(aws)) { const r = await next; }` yields awaitables of the
 * results in completion order; `for await (const fut of asCompleted(aws))` yields the finished
 * futures themselves (the originals when futures/tasks were passed). On timeout the remaining
 * awaits throw TimeoutError.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.as_completed
 */
export function asCompleted<T>(
  aws: Iterable<AwaitableLike<T>>,
  options?: { timeout?: number | null },
): AsCompletedIterator<T> {
  checkTimeout(options?.timeout);
  return new AsCompletedIterator<T>(aws, options?.timeout ?? null);
}

/** What {@link asCompleted} returns: iterable and async-iterable. */
export class AsCompletedIterator<T> implements Iterable<Coroutine<T>>, AsyncIterable<Future<T>> {
  #done = new Deque<Future<T> | null>();
  #getters = new Deque<Future<[Future<T> | null]>>(); // boxed: a Future result would be adopted by await
  #unfinished: Set<Future<T>>;
  #leftToYield: number;
  #timeoutHandle: TimerHandle | null = null;
  #loop: EventLoop;

  /** @internal */
  constructor(aws: Iterable<AwaitableLike<T>>, to: number | null) {
    this.#loop = taskStorage.getStore()?._loop ?? getEventLoop();
    this.#unfinished = toFutures(aws as Iterable<AwaitableLike<unknown>>, "asCompleted()", this.#loop) as Set<
      Future<T>
    >;
    for (const f of this.#unfinished) f.addDoneCallback(this.#onCompletion);
    const guard = hasStartedPromise(aws) ? armGuard("asCompleted()") : null;
    if (guard !== null) {
      guard.own.push(this);
      if (guard.error !== null) this.#refused = guard.error;
      else guard.onRefused.push(this.#refuse);
    }
    if (this.#unfinished.size > 0 && to !== null)
      this.#timeoutHandle = this.#loop.callLater(to, this.#onTimeout);
    this.#leftToYield = this.#unfinished.size;
  }

  #refused: Error | null = null;

  #refuse = (err: Error): void => {
    this.#refused = err;
    for (const g of this.#getters) if (!g.done()) g.setException(err);
    this.#getters.clear();
  };

  #push(f: Future<T> | null): void {
    const g = this.#getters.shift();
    if (g !== undefined) g.setResult([f]);
    else this.#done.push(f);
  }

  #onTimeout = (): void => {
    for (const f of this.#unfinished) {
      f.removeDoneCallback(this.#onCompletion);
      this.#push(null);
    }
    this.#unfinished.clear();
  };

  #onCompletion = (f: Future<T>): void => {
    if (this.#unfinished.size === 0) return;
    this.#unfinished.delete(f);
    this.#push(f);
    if (this.#unfinished.size === 0) this.#timeoutHandle?.cancel();
  };

  /** Boxed in an array: an async function returning a Future would hand back its result instead. */
  async #waitForOne(): Promise<[Future<T>]> {
    if (this.#refused !== null) throw this.#refused;
    let f: Future<T> | null;
    if (this.#done.length > 0) {
      f = this.#done.shift()!;
    } else {
      const g = new Future<[Future<T> | null]>({ loop: this.#loop });
      this.#getters.push(g);
      try {
        [f] = await g;
      } catch (e) {
        this.#getters.remove(g);
        throw e;
      }
    }
    if (f === null) throw new TimeoutError();
    return [f];
  }

  *[Symbol.iterator](): Iterator<Coroutine<T>> {
    while (this.#leftToYield > 0) {
      this.#leftToYield--;
      yield coroutine(async () => (await this.#waitForOne())[0].result())();
    }
  }

  /** Written by hand: an async generator would `await` each yielded Future and hand out its result. */
  [Symbol.asyncIterator](): AsyncIterator<Future<T>> {
    return {
      next: async (): Promise<IteratorResult<Future<T>>> => {
        if (this.#leftToYield <= 0) return { done: true, value: undefined };
        this.#leftToYield--;
        const [f] = await this.#waitForOne();
        return { done: false, value: f };
      },
    };
  }
}
