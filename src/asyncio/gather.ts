/**
 * `gather()`: run awaitables concurrently and collect their results in argument order
 * (CPython's `tasks.gather`).
 */

import { ArgumentTypeError } from "./exceptions.js";
import { Future } from "./futures.js";
import { isStartedPromise } from "./lazy-ops.js";
import { getEventLoop } from "./loop-registry.js";
import { guardFuture } from "./promise-guard.js";
import { _ensureFuture, type AwaitableLike, BodyKind, kindOf } from "./tasks.js";

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
  constructor(children: Future<unknown>[], loop: import("./base-events.js").EventLoop) {
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

let gatherStamp = 0;

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
  // Duplicates share one child. Futures are recognised by a per-gather stamp (no hashing of
  // 100 000 objects); other arguments (promises, coroutines) through a Map made on demand.
  const stamp = ++gatherStamp;
  let argToFut: Map<unknown, Future<unknown>> | null = null;
  const children: Future<unknown>[] = new Array(n);
  const doneFuts: Future<unknown>[] = [];
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
      const exc = fut._failed ? fut.exception() : null;
      if (fut._failed) {
        outer.setException(exc);
        return;
      }
    }
    if (nfinished === nfuts) {
      const results = new Array(n);
      for (let i = 0; i < n; i++) {
        const c = children[i]!;
        if (c.cancelled()) results[i] = c._makeCancelledError();
        else if (c._failed) results[i] = c.exception();
        else results[i] = c._result;
      }
      if (outer._cancelRequested) outer.setException(fut._makeCancelledError());
      else outer.setResult(results);
    }
  };

  let loop: import("./base-events.js").EventLoop | undefined;
  let startedPromises = false;
  for (let i = 0; i < n; i++) {
    const arg = list[i];
    const kind = i === n - 1 && lastKind !== -1 ? lastKind : kindOf(arg);
    if (isStartedPromise(arg)) startedPromises = true;
    let fut: Future<unknown> | undefined;
    if (kind === BodyKind.Future) {
      if ((arg as Future<unknown>)._gatherStamp === stamp) fut = arg as Future<unknown>;
    } else if (argToFut !== null) {
      fut = argToFut.get(arg);
    }
    if (fut === undefined) {
      if (arg === null || arg === undefined || (typeof arg !== "object" && typeof arg !== "function"))
        throw new ArgumentTypeError(`gather() expects awaitables, got ${String(arg)} at position ${i}`);
      fut = _ensureFuture(arg, kind, loop === undefined ? undefined : { loop });
      loop ??= fut._loop;
      nfuts++;
      if (kind === BodyKind.Future) (arg as Future<unknown>)._gatherStamp = stamp;
      else (argToFut ??= new Map()).set(arg, fut);
      if (fut.done()) doneFuts.push(fut);
      else fut._addListener(onChildDone);
    }
    children[i] = fut;
  }
  outer = new GatheringFuture<unknown[]>(children, loop!);
  if (startedPromises) guardFuture(outer, "gather()");
  for (const f of doneFuts) onChildDone(f);
  return outer;
}
