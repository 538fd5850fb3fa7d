/**
 * `sleep(delay, result?)`. `sleep(0)` (or less) gives up control for exactly one loop iteration,
 * like CPython's bare `yield`, without allocating a Future or a timer.
 */
import { inspect } from "node:util";
import type { EventLoop } from "./base-events.js";
import { brandLazyBody } from "./coroutines.js";
import { ArgumentTypeError, ValueError } from "./exceptions.js";
import { type Awaitable, Future, PENDING, Reaction } from "./futures.js";
import type { TimerHandle } from "./handles.js";
import { getEventLoop, noteSuspend, taskStorage } from "./loop-registry.js";
import { guardedAwait, guards } from "./promise-guard.js";

/** The Future behind `sleep(delay > 0)`: cancelling it cancels its timer. */
class SleepFuture<T> extends Future<T> {
  /** @internal */ _handle: TimerHandle | null = null;

  override cancel(msg?: string): boolean {
    const ok = super.cancel(msg);
    if (ok && this._handle !== null) {
      this._handle.cancel();
      this._handle = null;
    }
    return ok;
  }
}

function wake<T>(fut: SleepFuture<T>, result: T): void {
  fut._handle = null;
  if (fut._state === PENDING) fut.setResult(result);
}

/** `sleep(0)`: one loop iteration. Awaitable from async functions and `yield*`-able. */
class YieldOnce<T> implements Awaitable<T> {
  constructor(readonly result: T) {}

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const task = taskStorage.getStore();
    if (guards.armed !== 0 && task !== undefined) {
      const refused = guardedAwait(task, this);
      if (refused !== null) return Promise.reject(refused).then(onfulfilled, onrejected);
    }
    noteSuspend();
    const r = new Reaction<T>(
      task !== undefined && task._state === PENDING ? task : null,
      onfulfilled,
      onrejected,
    );
    r.value = this.result;
    const loop: EventLoop = task !== undefined ? task._loop : getEventLoop();
    loop._schedule(r);
    return r as unknown as Promise<R1 | R2>;
  }

  *[Symbol.iterator](): Generator<unknown, T, unknown> {
    yield;
    return this.result;
  }

  /** @internal Lets `createTask(sleep(0))` run it as a task (it is lazy). */
  _start(): Generator<unknown, T, unknown> {
    return this[Symbol.iterator]();
  }

  [inspect.custom](): string {
    return "<sleep(0)>";
  }
}

brandLazyBody(YieldOnce);

const YIELD_ONCE = new YieldOnce<unknown>(undefined);

/**
 * Suspend the current task for `delay` seconds, then resolve with `result`.
 *
 * Cancelling the task while it sleeps throws CancelledError at the await. `delay <= 0` yields to
 * the loop for one iteration.
 * @throws {ArgumentTypeError} when `delay` is not a number. @throws {ValueError} when it is NaN.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.sleep
 */
export function sleep<T = void>(delay: number, result?: T): Awaitable<T> {
  if (typeof delay !== "number") throw new ArgumentTypeError(`delay must be a number, got ${inspect(delay)}`);
  if (Number.isNaN(delay)) throw new ValueError("Invalid delay: NaN (not a number)");
  if (delay <= 0) return result === undefined ? (YIELD_ONCE as YieldOnce<T>) : new YieldOnce(result as T);
  return new SleepOp(delay, result as T);
}

/**
 * `sleep(delay > 0)`: lazy like a Python coroutine — the timer starts when it is awaited, on the
 * awaiting task's loop (so `otherLoop.runUntilComplete(sleep(1))` runs on `otherLoop`).
 */
class SleepOp<T> implements Awaitable<T> {
  constructor(
    readonly delay: number,
    readonly result: T,
  ) {}

  #start(): SleepFuture<T> {
    const task = taskStorage.getStore();
    const loop = task !== undefined ? task._loop : getEventLoop();
    const fut = new SleepFuture<T>({ loop });
    fut._handle = loop.callLater(this.delay, wake, fut, this.result);
    return fut;
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#start().then(onfulfilled, onrejected);
  }

  [Symbol.iterator](): Iterator<unknown, T, unknown> {
    return this.#start()[Symbol.iterator]();
  }

  /** @internal Lets `ensureFuture`/`createTask` run it as a task on a chosen loop. */
  _start(): Iterator<unknown, T, unknown> {
    return this[Symbol.iterator]();
  }

  [inspect.custom](): string {
    return `<sleep(${this.delay})>`;
  }
}
brandLazyBody(SleepOp);
