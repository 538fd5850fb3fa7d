/**
 * `gather()`: run awaitables concurrently and collect their results in argument order
 * (CPython's `tasks.gather`).
 */

import type { EventLoop } from "./base-events.js";
import { BodyKind, kindOf } from "./body-kind.js";
import { ArgumentTypeError } from "./exceptions.js";
import { Future, type Listener, PENDING } from "./futures.js";
import { _getRunningLoop, getEventLoop } from "./loop-registry.js";
import { guardFuture } from "./promise-guard.js";
import { _ensureFuture, type AwaitableLike } from "./tasks.js";
import { wrapThenable } from "./thenable-future.js";

/** Options of {@link gather}. */
export interface GatherOptions {
  /** Deliver errors (and cancellations) as results instead of failing the gather. */
  returnExceptions?: boolean;
}

type Results<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/**
 * The result of one element of a list mixing result types (`gather([coro, sleep(0, "x")])`): what
 * a function's awaitable gives (it runs as a task), a generator's return value, an awaitable's
 * value. Distributes over the element union.
 */
type ResultOf<A> = A extends (...args: never[]) => infer B
  ? ResultOf<B>
  : A extends Generator<unknown, infer R, any>
    ? Awaited<R>
    : Awaited<A>;

/** The Future `gather` returns: cancelling it cancels every child. */
export class GatheringFuture<T> extends Future<T> {
  /** @internal */ _children: Future<unknown>[];
  /** @internal */ _cancelRequested = false;

  /** @internal */
  constructor(children: Future<unknown>[], loop: EventLoop) {
    super({ loop });
    this._children = children;
  }

  /** Cancel every child that is not done; the gather then fails with CancelledError. */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let ret = false;
    for (const child of this._children) if (child.cancel(msg)) ret = true;
    if (ret) this._cancelRequested = true;
    return ret;
  }
}

/**
 * `thenables` as native promises, each foreign thenable's `then` called once: a query builder's
 * `then` runs the query, so following it twice (once more for `allSettled`, or for a duplicate
 * argument) would run it twice. Native promises are returned as they are.
 */
function adoptOnce(thenables: PromiseLike<unknown>[]): Promise<unknown>[] {
  let adopted: Map<PromiseLike<unknown>, Promise<unknown>> | null = null;
  let out: Promise<unknown>[] | null = null;
  for (let i = 0; i < thenables.length; i++) {
    const t = thenables[i]!;
    if (t instanceof Promise) {
      if (out !== null) out[i] = t;
      continue;
    }
    out ??= thenables.slice(0, i) as Promise<unknown>[];
    adopted ??= new Map();
    let p = adopted.get(t);
    if (p === undefined) {
      p = Promise.resolve(t);
      adopted.set(t, p);
    }
    out[i] = p;
  }
  return out ?? (thenables as Promise<unknown>[]);
}

/**
 * One child Future for all the promise (and other thenable) arguments of a gather, in argument
 * order: the engine's `Promise.all` (`Promise.allSettled` with `returnExceptions`, each rejection
 * being that promise's result), wrapped as any started promise is (`wrapThenable`: a `CancelledError`
 * rejection cancels it, and the loop counts it as foreign work). A Future per promise, each finishing
 * through the loop, made a gather of 100 000 promises run at a fifth of `Promise.all`'s speed.
 */
function followPromises(
  thenables: PromiseLike<unknown>[],
  returnExceptions: boolean,
  loop: EventLoop,
): Future<unknown[]> {
  const promises = adoptOnce(thenables);
  if (returnExceptions) return wrapThenable(Promise.allSettled(promises).then(settledOutcomes), loop);
  const all = Promise.all(promises);
  // After a first rejection the others may still be running: the loop counts them until they settle.
  all.then(undefined, () => {
    loop._foreignPending++;
    Promise.allSettled(promises).then(() => loop._foreignPending--);
  });
  return wrapThenable(all, loop);
}

function settledOutcomes(settled: PromiseSettledResult<unknown>[]): unknown[] {
  return settled.map((r) => (r.status === "fulfilled" ? r.value : r.reason));
}

/**
 * Run the awaitables concurrently; resolve with their results in argument order.
 *
 * The first error fails the gather (the others keep running) unless `returnExceptions` is set.
 * Cancelling the gather cancels all children. Pass one array (`gather(list, opts?)`) for large
 * fan-outs: spreading 200 000 arguments overflows V8.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.gather
 */
export function gather<T extends readonly unknown[]>(
  ...aws: { [K in keyof T]: AwaitableLike<T[K]> }
): GatheringFuture<Results<T>>;
export function gather<T extends readonly unknown[]>(
  ...args: [...{ [K in keyof T]: AwaitableLike<T[K]> }, GatherOptions]
): GatheringFuture<Results<T>>;
export function gather<T>(
  list: readonly AwaitableLike<T>[],
  options?: GatherOptions,
): GatheringFuture<Awaited<T>[]>;
export function gather<L extends readonly AwaitableLike<unknown>[]>(
  list: L,
  options?: GatherOptions,
): GatheringFuture<ResultOf<L[number]>[]>;
export function gather(...args: unknown[]): GatheringFuture<unknown[]> {
  let options: GatherOptions | undefined;
  let list: unknown[];
  // The last argument is the options when it is a plain object that is not awaitable. Its kind is
  // handed to gatherList when it is an awaitable after all (classified once).
  let lastKind: BodyKind | -1 = -1;
  const last = args.length > 0 ? args[args.length - 1] : undefined;
  if (last !== null && typeof last === "object" && !Array.isArray(last)) {
    lastKind = kindOf(last);
    if (lastKind === BodyKind.None) {
      options = args.pop() as GatherOptions;
      lastKind = -1;
    }
  }
  if (args.length === 1 && Array.isArray(args[0])) {
    list = args[0];
    lastKind = -1;
  } else list = args;
  return gatherList(list as AwaitableLike<unknown>[], options?.returnExceptions === true, lastKind);
}

/** Whether `listener` waits on the pending future `fut`. */
function hasListener(fut: Future<unknown>, listener: Listener): boolean {
  const cbs = fut._callbacks;
  return cbs === listener || (Array.isArray(cbs) && cbs.includes(listener));
}

function ignore(): void {}

/** `lastKind`: `kindOf(list[n - 1])` when the caller computed it already, else -1. */
function gatherList(
  list: readonly AwaitableLike<unknown>[],
  returnExceptions: boolean,
  lastKind: BodyKind | -1,
): GatheringFuture<unknown[]> {
  const n = list.length;
  if (n === 0) {
    const outer = new GatheringFuture<unknown[]>([], getEventLoop());
    outer.setResult([]);
    return outer;
  }
  // Duplicates share one child: a pending future by this gather's listener already on it (no hashing
  // of 100 000 objects), a done one through a Set, coroutines and functions through a Map, both made on
  // demand. A promise given twice is followed twice (both settle alike); a foreign thenable given twice
  // is followed once (see adoptOnce).
  let doneSeen: Set<Future<unknown>> | null = null;
  let argToFut: Map<unknown, Future<unknown>> | null = null;
  const children: Future<unknown>[] = new Array(n);
  const doneFuts: Future<unknown>[] = [];
  let nThenables = 0;
  let group: Future<unknown[]> | null = null; // the promises' child (see followPromises)
  let nfuts = 0;
  let nfinished = 0;
  let outer: GatheringFuture<unknown[]> | null = null;

  const onChildDone = (fut: Future<unknown>): void => {
    nfinished++;
    if (outer === null || outer.done()) {
      if (!fut.cancelled()) fut.exception(); // mark it retrieved
      return;
    }
    if (!returnExceptions) {
      if (fut.cancelled()) {
        outer.setException(fut._makeCancelledError());
        return;
      }
      if (fut._failed) {
        outer.setException(fut.exception());
        return;
      }
    }
    if (nfinished === nfuts) {
      if (group !== null && nfuts === 1 && !group._failed && !group.cancelled()) {
        // Every argument was a promise: Promise.all's (fresh) array is the result.
        if (outer._cancelRequested) outer.setException(fut._makeCancelledError());
        else outer.setResult(group._result as unknown[]);
        return;
      }
      const results = new Array(n);
      for (let i = 0, j = 0; i < n; i++) {
        const c = children[i]!;
        if (c.cancelled()) results[i] = c._makeCancelledError();
        else if (c._failed) results[i] = c.exception();
        else if (c === group) results[i] = group._result![j++];
        else results[i] = c._result;
      }
      if (outer._cancelRequested) outer.setException(fut._makeCancelledError());
      else outer.setResult(results);
    }
  };

  let loop: EventLoop | undefined;
  let loopOption: { loop: EventLoop } | undefined; // made once, for the children gather creates
  let startedPromises = false;
  let i = 0;
  try {
    for (; i < n; i++) {
      const arg = list[i];
      const kind = i === n - 1 && lastKind !== -1 ? lastKind : kindOf(arg);
      if (kind === BodyKind.Thenable) {
        // Followed once the gather exists (a thenable may call back at once).
        if (arg instanceof Promise) startedPromises = true;
        loop ??= _getRunningLoop() ?? getEventLoop(); // as wrapping it in a Future would pick
        if (nThenables++ === 0) nfuts++; // the group of all promises is one child
        continue; // children[i] is set to the group below
      }
      let fut: Future<unknown> | undefined;
      if (kind === BodyKind.Future) {
        const f = arg as Future<unknown>;
        if (f._state === PENDING ? hasListener(f, onChildDone) : doneSeen?.has(f) === true) fut = f;
      } else if (argToFut !== null) {
        fut = argToFut.get(arg);
      }
      if (fut === undefined) {
        if (arg === null || arg === undefined || (typeof arg !== "object" && typeof arg !== "function"))
          throw new ArgumentTypeError(`gather() expects awaitables, got ${String(arg)} at position ${i}`);
        // A future of the gather's loop is its own child; ensureFuture refuses one of another loop.
        fut =
          kind === BodyKind.Future && (loop === undefined || (arg as Future<unknown>)._loop === loop)
            ? (arg as Future<unknown>)
            : _ensureFuture(arg, kind, loop === undefined ? undefined : (loopOption ??= { loop }));
        loop ??= fut._loop;
        nfuts++;
        if (kind !== BodyKind.Future) (argToFut ??= new Map()).set(arg, fut);
        if (fut.done()) {
          doneFuts.push(fut);
          (doneSeen ??= new Set()).add(fut);
        } else fut._addListener(onChildDone);
      }
      children[i] = fut;
    }
  } catch (e) {
    // A later argument is refused: the promises before it are not followed, so mark their
    // rejections handled (a wrapping Future would have taken them) before the error propagates.
    for (let k = 0; k < i; k++) {
      const arg = list[k];
      if (arg instanceof Promise && children[k] === undefined) arg.then(undefined, ignore);
    }
    throw e;
  }
  loop ??= _getRunningLoop() ?? getEventLoop();
  outer = new GatheringFuture<unknown[]>(children, loop);
  if (startedPromises) guardFuture(outer, "gather()");
  if (nThenables > 0) {
    if (nThenables === n) {
      group = followPromises(list as PromiseLike<unknown>[], returnExceptions, loop);
      children.fill(group);
    } else {
      const promises: PromiseLike<unknown>[] = [];
      for (let i = 0; i < n; i++)
        if (children[i] === undefined) promises.push(list[i] as PromiseLike<unknown>);
      group = followPromises(promises, returnExceptions, loop);
      for (let i = 0; i < n; i++) if (children[i] === undefined) children[i] = group;
    }
    group._addListener(onChildDone);
  }
  for (const f of doneFuts) onChildDone(f);
  return outer;
}
