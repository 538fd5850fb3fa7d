/**
 * An awaitable defined once, as a generator, that works in both coroutine forms.
 *
 * The slow paths of the primitives (a lock acquire that must wait, a queue get on an empty queue)
 * are written as generators that `yield*` waiter Futures, exactly like CPython's `async def`s.
 * `yield* op` delegates to that generator from a generator coroutine; `await op` drives it with a
 * small driver that registers each waiter with the awaiting task (so `task.cancel()` cancels it)
 * — no Task object, no async-context switch.
 */
import { type Awaitable, CANCELLED, FINISHED, type Future, PENDING, Reaction } from "../asyncio/futures.js";
import { taskStorage } from "../asyncio/loop-registry.js";
import type { Task } from "../asyncio/tasks.js";

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
    const task = taskStorage.getStore();
    const d = new GenDriver<T>(
      this.#start(),
      task !== undefined && task._state === PENDING ? task : null,
      onfulfilled,
      onrejected,
    );
    d.step(false, undefined);
    return d as unknown as Promise<R1 | R2>;
  }

  [Symbol.iterator](): Iterator<unknown, T, unknown> {
    return this.#start();
  }
}

class GenDriver<T> extends Reaction<T> {
  readonly #gen: Generator<unknown, T, unknown>;

  constructor(
    gen: Generator<unknown, T, unknown>,
    task: Task<any> | null,
    onfulfilled: ((value: T) => any) | null | undefined,
    onrejected: ((reason: any) => any) | null | undefined,
  ) {
    super(task, onfulfilled, onrejected);
    this.#gen = gen;
  }

  step(hasExc: boolean, v: unknown): void {
    let r: IteratorResult<unknown, T>;
    try {
      r = hasExc ? this.#gen.throw(v) : this.#gen.next(v);
    } catch (e) {
      this.reject(e);
      return;
    }
    if (r.done) {
      this.fulfil(r.value);
      return;
    }
    const f = r.value as Future<unknown>;
    this.task?._awaiting(f);
    f._addListener(this);
  }

  override _onFutureDone(f: Future<any>): void {
    const task = this.task;
    if (task !== null) {
      task._doneAwaiting(f);
      if (task._mustCancel && task._state === PENDING) {
        task._mustCancel = false;
        this.step(true, task._newCancelledError());
        return;
      }
    }
    if (f._state === FINISHED && !f._failed) this.step(false, f._result);
    else {
      f._retrieved();
      this.step(true, f._state === CANCELLED ? f._makeCancelledError() : f._exception);
    }
  }
}

/** An already-available value, awaitable and `yield*`-able without a Future (the fast paths). */
export class Ready<T> implements Awaitable<T> {
  constructor(readonly value: T) {}

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const r = new Reaction<T>(null, onfulfilled, onrejected);
    queueMicrotask(() => r.fulfil(this.value));
    return r as unknown as Promise<R1 | R2>;
  }

  [Symbol.iterator](): Iterator<unknown, T, unknown> {
    // Done at once: `yield*` returns the value without suspending.
    return { next: () => ({ done: true, value: this.value }) };
  }
}
