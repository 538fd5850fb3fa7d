/**
 * An awaitable defined once, as a generator, that works in both coroutine forms.
 *
 * The slow paths of the primitives (a lock acquire that must wait, a queue get on an empty queue)
 * are written as generators that `yield*` waiter Futures, exactly like CPython's `async def`s.
 * `yield* op` delegates to that generator from a generator coroutine; `await op` drives it with a
 * small driver that registers each waiter with the awaiting task (so `task.cancel()` cancels it)
 * — no Task object, no async-context switch.
 *
 * Lazy objects a task can start are branded (`brandLazyBody` in coroutines.ts): `GenOp` and
 * `LazyOp` here, `Coroutine`, the sleeps.
 *
 * ## Naming rule for a lazy operation `x` (one shape in every class)
 *
 * | member                   | what it is                                                                             |
 * | ------------------------ | -------------------------------------------------------------------------------------- |
 * | `x(…)`                   | public method: `return new LazyOp(this.#xFast, this.#xGen, arg, this)` (or `eager(…)`) |
 * | `#xFast(arg)`            | private method: completes without waiting (the value), or returns `NOT_READY`; may throw |
 * | `*#xGen(arg)`            | private method that waits: a generator, or a hand-written `OpIterator` (yields waiter Futures) |
 *
 * `LazyOp` calls them with `this` = the instance it was given (`fast.call(self, arg)`): private
 * methods are shared by every instance, where arrows in fields were made per instance — a
 * connection's reader and writer carried fourteen of them (~800 bytes per idle connection). A fast
 * path that can only check (`Condition.wait`) still is `#xFast`, returning `NOT_READY`. An operation
 * with no fast path is `new GenOp(() => this.#xGen(…))`.
 */
import { brandLazyBody } from "./coroutines.js";
import { type Awaitable, Future, PENDING, Reaction, settleNow } from "./futures.js";
import { coop, genSteps, noteSuspend, requestFlush, taskStorage } from "./loop-registry.js";
import { refusedAwait } from "./promise-guard.js";
import type { Task } from "./tasks.js";

/**
 * What a lazy operation's waiting part is: a generator, or any object with a generator's protocol
 * (`next`, `throw`, `return`, iterable for `yield*`). A hand-written one keeps only the fields it
 * needs, where a suspended generator keeps its whole register file (see StreamReader's readline wait).
 */
export interface OpIterator<T> extends Iterator<unknown, T, unknown> {
  next(value?: unknown): IteratorResult<unknown, T>;
  throw(e: unknown): IteratorResult<unknown, T>;
  return(value: T): IteratorResult<unknown, T>;
  [Symbol.iterator](): OpIterator<T>;
}

/** A lazy operation: nothing runs until it is awaited or delegated to. */
export class GenOp<T> implements Awaitable<T> {
  readonly #start: () => Generator<unknown, T, unknown>;

  constructor(start: () => Generator<unknown, T, unknown>) {
    this.#start = start;
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    requestFlush();
    const refused = refusedAwait(this);
    if (refused !== null) return Promise.reject(refused).then(onfulfilled, onrejected);
    const task = taskStorage.getStore();
    const d = new GenDriver<T>(
      this.#start(),
      task !== undefined && task._state === PENDING ? task : null,
      onfulfilled,
      onrejected,
    );
    d.step(false, undefined);
    noteSuspend();
    return d as unknown as Promise<R1 | R2>;
  }

  [Symbol.iterator](): Iterator<unknown, T, unknown> {
    return this.#start();
  }

  /** @internal Lets `createTask(op)` / `ensureFuture(op)` run it as a task (it is lazy). */
  _start(): Generator<unknown, T, unknown> {
    return this.#start();
  }
}

brandLazyBody(GenOp);

class GenDriver<T> extends Reaction<T> {
  readonly #gen: OpIterator<T>;

  constructor(
    gen: OpIterator<T>,
    task: Task<any> | null,
    onfulfilled: ((value: T) => any) | null | undefined,
    onrejected: ((reason: any) => any) | null | undefined,
  ) {
    super(task, onfulfilled, onrejected);
    this.#gen = gen;
  }

  step(hasExc: boolean, v: unknown): void {
    let r: IteratorResult<unknown, T>;
    genSteps.depth++;
    try {
      r = hasExc ? this.#gen.throw(v) : this.#gen.next(v);
    } catch (e) {
      this.reject(e);
      return;
    } finally {
      genSteps.depth--;
    }
    if (r.done) {
      this.fulfil(r.value);
      return;
    }
    const f = r.value as Future<unknown>;
    this.task?._awaiting(f);
    f._addListener(this);
  }

  override _resume(ok: boolean, value: unknown): void {
    this.step(!ok, value);
  }
}

/**
 * @internal Hidden-class anchors of this module (see class-anchors.ts): a driver of a waiting
 * operation, made on an empty iterator and never stepped.
 */
export function lazyOpAnchors(): object[] {
  return [new GenDriver<void>(EMPTY_OP, null, undefined, undefined)];
}

/** What the anchor driver drives: an operation that is done at once. */
const EMPTY_OP: OpIterator<void> = {
  next: () => ({ done: true, value: undefined }),
  throw: (e: unknown) => {
    throw e;
  },
  return: (value: void) => ({ done: true, value }),
  [Symbol.iterator]() {
    return this;
  },
};

/** Returned by a fast path that cannot complete without waiting. */
export const NOT_READY: unique symbol = Symbol("aiots.notReady");

/**
 * A lazy primitive operation (`lock.acquire()`, `q.get()` …): like a Python coroutine, it does
 * nothing until it is awaited, `yield*`-ed or run as a task — so a task cancelled before it starts
 * takes no item and holds no lock. When it runs, `fast(arg)` completes it without waiting if it can
 * (no Future, a native promise for `await`); otherwise `slow(arg)` — a generator, or a hand-written
 * {@link OpIterator}, yielding waiter Futures — does, driven as in {@link GenOp}.
 */
export class LazyOp<A, T> implements Awaitable<T> {
  /** `fast` and `slow` are called with `this` = `self` (an instance's private methods). */
  constructor(
    readonly fast: (arg: A) => T | typeof NOT_READY,
    readonly slow: (arg: A) => OpIterator<T>,
    readonly arg: A,
    readonly self?: unknown,
  ) {}

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    requestFlush();
    const refused = refusedAwait(this);
    if (refused !== null) return Promise.reject(refused).then(onfulfilled, onrejected);
    if (--coop.left < 0) return this.#yieldThenRun(onfulfilled, onrejected);
    let v: T | typeof NOT_READY;
    try {
      v = this.fast.call(this.self, this.arg);
    } catch (e) {
      return settleNow(false, e, onfulfilled, onrejected);
    }
    if (v !== NOT_READY) return settleNow(true, v, onfulfilled, onrejected);
    noteSuspend();
    const task = taskStorage.getStore();
    const d = new GenDriver<T>(
      this.slow.call(this.self, this.arg),
      task !== undefined && task._state === PENDING ? task : null,
      onfulfilled,
      onrejected,
    );
    d.step(false, undefined);
    return d as unknown as Promise<R1 | R2>;
  }

  /**
   * The cooperative budget is spent (see `COOP_BUDGET`): suspend for one loop iteration, then run
   * the operation. A cancellation arriving meanwhile is delivered before it runs (nothing taken).
   */
  #yieldThenRun<R1, R2>(
    onfulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined,
    onrejected: ((reason: any) => R2 | PromiseLike<R2>) | null | undefined,
  ): Promise<R1 | R2> {
    noteSuspend();
    const task = taskStorage.getStore();
    const owner = task !== undefined && task._state === PENDING ? task : null;
    const d = new GenDriver<T>(yieldThenRun(this, owner), owner, onfulfilled, onrejected);
    d.step(false, undefined);
    return d as unknown as Promise<R1 | R2>;
  }

  [Symbol.iterator](): Iterator<unknown, T, unknown> {
    const v = this.fast.call(this.self, this.arg);
    if (v !== NOT_READY) return new Done(v);
    return this.slow.call(this.self, this.arg);
  }

  /** @internal Lets `createTask(op)` / `ensureFuture(op)` run it as a task. */
  _start(): Generator<unknown, T, unknown> {
    return runLazy(this);
  }
}

brandLazyBody(LazyOp);

function* yieldThenRun<A, T>(op: LazyOp<A, T>, task: Task<any> | null): Generator<unknown, T, unknown> {
  const turn = new Future<void>({ loop: task?._loop });
  turn.setResult(); // done: the driver's listener fires on the next iteration
  yield turn;
  return yield* runLazy(op);
}

function* runLazy<A, T>(op: LazyOp<A, T>): Generator<unknown, T, unknown> {
  const v = op.fast.call(op.self, op.arg);
  if (v !== NOT_READY) return v;
  return yield* op.slow.call(op.self, op.arg);
}

/**
 * An iterator that is finished at once with `value`, and is its own (only) result: `yield*` of a
 * completed operation costs one allocation. A lazy body too, so `createTask(reader.readline())`
 * inside a generator coroutine accepts what `eager` returned there.
 */
class Done<T> implements Iterator<unknown, T, unknown> {
  readonly done = true as const;
  constructor(readonly value: T) {}
  next(): IteratorReturnResult<T> {
    return this;
  }
  [Symbol.iterator](): this {
    return this;
  }
  /** @internal As a task body: a generator that returns the value. */
  _start(): Generator<unknown, T, unknown> {
    return returning(this.value);
  }
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return settleNow(true, this.value, onfulfilled, onrejected);
  }
}

brandLazyBody(Done);

const DONE_VOID = new Done<void>(undefined);

// biome-ignore lint/correctness/useYield: a task body that completes at once.
function* returning<T>(value: T): Generator<unknown, T, unknown> {
  return value;
}

/**
 * Own property of the resolved promises {@link eager} returns in async code, holding the result:
 * `createTask(reader.readline())` must accept them as the completed coroutines they stand for
 * (a plain started promise is refused there). A symbol-keyed own property does not cost `await`
 * its fast path; a WeakSet of them would, several times over.
 */
const READY_VALUE: unique symbol = Symbol("aiots.readyValue");

/** A resolved native promise of `v`, marked as an operation's result ({@link isReadyPromise}). */
function readyPromise<T>(v: T): Awaitable<T> {
  if (v === undefined) return READY_VOID as Awaitable<T>;
  const p = Promise.resolve(v) as Promise<T> & { [READY_VALUE]?: T };
  p[READY_VALUE] = v;
  return p as unknown as Awaitable<T>;
}

/** @internal True for the resolved promises {@link eager} returns for completed operations. */
export function isReadyPromise(x: Promise<unknown>): boolean {
  return (x as unknown) === READY_VOID || (x as { [READY_VALUE]?: unknown })[READY_VALUE] !== undefined;
}

/**
 * @internal A native promise that started work the caller's task did (an async function's), as
 * opposed to the result of an operation that completed when called ({@link isReadyPromise}).
 */
export function isStartedPromise(x: unknown): x is Promise<unknown> {
  return x instanceof Promise && !isReadyPromise(x);
}

/**
 * @internal The result an operation already completed with, when `x` stands for one (a ready
 * promise, a `Done`), else `NOT_READY`: a task made of it is done at once, so cancelling it
 * cannot lose what the operation took (a line read from a buffer).
 */
export function readyValue(x: object): unknown {
  if (x instanceof Done) return x.value;
  if (x === READY_VOID) return undefined;
  const v = (x as { [READY_VALUE]?: unknown })[READY_VALUE];
  return v === undefined ? NOT_READY : v;
}

/**
 * A completed `void` operation, shared: a resolved native Promise (which `await` takes in one
 * microtask, without calling a `then`) that `yield*` also accepts. `drain()` with nothing to wait
 * for returns it.
 */
export const READY_VOID: Awaitable<void> = Object.assign(Promise.resolve(), {
  [Symbol.iterator]: (): Done<void> => DONE_VOID,
}) as unknown as Awaitable<void>;

/**
 * Run a lazy operation's fast path now: its result as a {@link ready} promise when it completes,
 * otherwise (it must wait, or it fails) the lazy operation itself, which runs when awaited.
 */
export function eager<A, T>(
  fast: (arg: A) => T | typeof NOT_READY,
  slow: (arg: A) => OpIterator<T>,
  arg: A,
  self?: unknown,
): Awaitable<T> {
  // Budget spent (async code only: a generator step is synchronous, like CPython's): stay lazy, so
  // the awaiting code yields to the loop before the operation runs.
  if (genSteps.depth === 0 && --coop.left < 0) return new LazyOp(fast, slow, arg, self);
  let v: T | typeof NOT_READY;
  try {
    v = fast.call(self, arg);
  } catch {
    return new LazyOp(fast, slow, arg, self); // throws again when awaited, like a coroutine would
  }
  if (v === NOT_READY) return new LazyOp(fast, slow, arg, self);
  // Inside a generator step the result may be `yield*`-ed: one object that is both. Elsewhere (async
  // functions) a resolved native promise, which `await` takes in one microtask without a `then` call
  // (a thenable result would be adopted by it: `Done` settles with the thenable itself instead).
  if (genSteps.depth > 0 || (v !== null && typeof (v as { then?: unknown }).then === "function"))
    return new Done(v);
  return readyPromise(v);
}

/**
 * The waiting part of an operation built on another's (`hold()` on `acquire()`, a `for await` step on
 * `readline()` or `get()`): the other's wait, with its result mapped by `onEnd` — and an error it
 * ends with by `onError`, when given (which returns a result or throws). Everything else (the waiter
 * futures it yields, a close) is the wait's own.
 */
export class MappedWait<A, B> implements OpIterator<B> {
  readonly #wait: OpIterator<A>;
  readonly #onEnd: (a: A) => B;
  readonly #onError: ((e: unknown) => B) | undefined;

  constructor(wait: OpIterator<A>, onEnd: (a: A) => B, onError?: (e: unknown) => B) {
    this.#wait = wait;
    this.#onEnd = onEnd;
    this.#onError = onError;
  }

  next(value?: unknown): IteratorResult<unknown, B> {
    return this.#step(false, value);
  }

  throw(e: unknown): IteratorResult<unknown, B> {
    return this.#step(true, e);
  }

  /** Closed while waiting: the wait is closed (a waiter leaves its queue); nothing is mapped. */
  return(value: B): IteratorResult<unknown, B> {
    const r = this.#wait.return(undefined as A);
    return r.done ? { done: true, value } : r;
  }

  [Symbol.iterator](): this {
    return this;
  }

  #step(hasExc: boolean, v: unknown): IteratorResult<unknown, B> {
    let r: IteratorResult<unknown, A>;
    if (this.#onError === undefined) r = hasExc ? this.#wait.throw(v) : this.#wait.next(v);
    else {
      try {
        r = hasExc ? this.#wait.throw(v) : this.#wait.next(v);
      } catch (e) {
        return { done: true, value: this.#onError(e) };
      }
    }
    return r.done ? { done: true, value: this.#onEnd(r.value) } : r;
  }
}

/** What a finished `for await` step gives (shared: nothing reads it but `done`). */
export const ITERATION_DONE: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/** What {@link opIterator} applies to each result of its operation (and to an error one ends with). */
class Mapping<T, B> {
  constructor(
    readonly onEnd: (v: T) => B,
    readonly onError: ((e: unknown) => B) | undefined,
  ) {}
}

/** The fast part of lazy operation `op`, its value mapped (`this`: the mapping). */
function mappedFast<T, B>(this: Mapping<T, B>, op: LazyOp<unknown, T>): B | typeof NOT_READY {
  const v = op.fast.call(op.self, op.arg);
  return v === NOT_READY ? NOT_READY : this.onEnd(v);
}

/** The waiting part of lazy operation `op`, its result mapped (`this`: the mapping). */
function mappedSlow<T, B>(this: Mapping<T, B>, op: LazyOp<unknown, T>): OpIterator<B> {
  return new MappedWait(op.slow.call(op.self, op.arg), this.onEnd, this.onError);
}

/**
 * An async iterator whose steps are `await op()`, each result mapped by `onEnd` (and an error by
 * `onError`): `for await` over a reader's lines (`readline()`) or a queue's items (`get()`), as
 * CPython's `__anext__` awaits `self.readline()` — so a subclass's own method is what runs. When
 * `op()` gives a lazy operation (the primitives'), the step runs it now, as awaiting it would, and maps
 * its parts: a settled promise when it completes at once, else a promise following its wait. An async
 * generator's step took three microtask turns more (half the speed of the plain loop).
 */
export function opIterator<T, B>(
  op: () => Awaitable<T>,
  onEnd: (v: T) => IteratorResult<B, undefined>,
  onError?: (e: unknown) => IteratorResult<B, undefined>,
): AsyncIterableIterator<B> {
  const mapping = new Mapping(onEnd, onError);
  const iterator: AsyncIterableIterator<B> = {
    next: (): Promise<IteratorResult<B, undefined>> => {
      const aw = op();
      if (aw instanceof LazyOp) {
        requestFlush(); // what awaiting it does (LazyOp.then)
        const step = eager<LazyOp<unknown, T>, IteratorResult<B, undefined>>(
          mappedFast,
          mappedSlow,
          aw as LazyOp<unknown, T>,
          mapping,
        );
        return asPromise(step);
      }
      const v = readyValue(aw);
      if (v !== NOT_READY) return Promise.resolve(onEnd(v as T));
      return Promise.resolve(aw).then(onEnd, onError);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** A promise of `aw`: itself when it is one; `next()` is typed, and called by hand, as returning one. */
function asPromise<T>(aw: Awaitable<T>): Promise<T> {
  if (aw instanceof Promise) return aw as Promise<T>;
  return new Promise<T>((resolve, reject) => aw.then(resolve, reject));
}
