/**
 * `timeout()` / `timeoutAt()`: cancel a block of code after a deadline and raise TimeoutError
 * (CPython's `asyncio/timeouts.py`).
 *
 * TypeScript's `await using` cannot see the body's error, so the block is a callback:
 * `await timeout(1, async (cm) => { … })`. The `cancelling()`/`uncancel()` bookkeeping keeps an
 * outer `task.cancel()` a CancelledError and lets nested timeouts keep their own identity.
 */
import { inspect } from "node:util";
import { asAwaitable } from "./awaitables.js";
import { type Coroutine, coroutine } from "./coroutines.js";
import { ArgumentTypeError, CancelledError, RuntimeError, TimeoutError } from "./exceptions.js";
import type { Handle } from "./handles.js";
import { taskStorage } from "./loop-registry.js";
import { createTask, type Task } from "./tasks.js";

type State = "created" | "active" | "expiring" | "expired" | "finished";

/** The context manager `timeout()` hands to its body. */
export class Timeout {
  #state: State = "created";
  #when: number | null;
  #handle: Handle | null = null;
  #task: Task<any> | null = null;
  #cancelling = 0;

  /** @internal Use {@link timeout} or {@link timeoutAt}. */
  constructor(when: number | null) {
    this.#when = when;
  }

  /** The deadline (loop time, seconds), or `null` for none. */
  when(): number | null {
    return this.#when;
  }

  /**
   * Move the deadline (`null` removes it). A deadline in the past fires on the next iteration.
   * @throws {RuntimeError} outside the block.
   */
  reschedule(when: number | null): void {
    if (this.#state !== "active") {
      if (this.#state === "created") throw new RuntimeError("Timeout has not been entered");
      throw new RuntimeError(`Cannot change state of ${this.#state} Timeout`);
    }
    if (when !== null && typeof when !== "number")
      throw new ArgumentTypeError(`when must be a number or null, got ${inspect(when)}`);
    this.#when = when;
    this.#handle?.cancel();
    if (when === null) {
      this.#handle = null;
    } else {
      const loop = this.#task!._loop;
      this.#handle =
        when <= loop.time() ? loop.callSoon(this.#onTimeout) : loop.callAt(when, this.#onTimeout);
    }
  }

  /** True once the deadline passed and the block was (or is being) cancelled. */
  expired(): boolean {
    return this.#state === "expiring" || this.#state === "expired";
  }

  /** @internal */
  _enter(task: Task<any>): void {
    if (this.#state !== "created") throw new RuntimeError("Timeout has already been entered");
    this.#state = "active";
    this.#task = task;
    this.#cancelling = task.cancelling();
    this.reschedule(this.#when);
  }

  /** @internal Returns the error to throw instead of `exc`, if any. */
  _exit(hasExc: boolean, exc: unknown): unknown {
    this.#handle?.cancel();
    this.#handle = null;
    if (this.#state === "expiring") {
      this.#state = "expired";
      if (this.#task!.uncancel() <= this.#cancelling && hasExc && exc instanceof CancelledError) {
        return new TimeoutError("", { cause: exc });
      }
    } else if (this.#state === "active") {
      this.#state = "finished";
    }
    return undefined;
  }

  #onTimeout = (): void => {
    this.#task!.cancel();
    this.#state = "expiring";
    this.#handle = null;
  };

  /** @internal */
  [inspect.custom](): string {
    return `<Timeout [${this.#state}]${this.#state === "active" ? ` when=${this.#when}` : ""}>`;
  }
}

async function runWithTimeout<T>(whenFn: () => number | null, body: (cm: Timeout) => unknown): Promise<T> {
  const task = taskStorage.getStore();
  if (task === undefined) {
    // Differences from Python: outside a task the block runs as a new task instead of failing.
    return createTask(() => runWithTimeout<T>(whenFn, body)) as unknown as Promise<T>;
  }
  const cm = new Timeout(whenFn());
  cm._enter(task);
  let result: T;
  try {
    result = (await asAwaitable<T>(body(cm))) as T;
  } catch (e) {
    const replacement = cm._exit(true, e);
    if (replacement !== undefined) throw replacement;
    throw e;
  }
  cm._exit(false, undefined);
  return result;
}

const timeoutCoro = coroutine(runWithTimeout);

function checkBody(body: unknown): void {
  if (typeof body !== "function")
    throw new ArgumentTypeError(`timeout body must be a function, got ${inspect(body)}`);
}

/**
 * Run `body(cm)`; if it is still running after `delay` seconds, cancel it and throw TimeoutError.
 * `delay = null` sets no deadline (use `cm.reschedule()` later).
 *
 * ```ts
 * await asyncio.timeout(10, async () => { await longRunning(); });
 * ```
 * Differences from Python: a callback instead of `async with`; usable outside a task.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.timeout
 */
export function timeout<T>(
  delay: number | null,
  body: (cm: Timeout) => PromiseLike<T> | Generator<unknown, T, any> | T,
): Coroutine<T> {
  if (delay !== null && typeof delay !== "number")
    throw new ArgumentTypeError(`delay must be a number or null, got ${inspect(delay)}`);
  checkBody(body);
  // The deadline is computed when the block is entered (the coroutine is lazy).
  return timeoutCoro(
    () => (delay === null ? null : taskStorage.getStore()!._loop.time() + delay),
    body,
  ) as Coroutine<T>;
}

/**
 * Like {@link timeout} with an absolute deadline in loop time (`loop.time()` clock).
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.timeout_at
 */
export function timeoutAt<T>(
  when: number | null,
  body: (cm: Timeout) => PromiseLike<T> | Generator<unknown, T, any> | T,
): Coroutine<T> {
  if (when !== null && typeof when !== "number")
    throw new ArgumentTypeError(`when must be a number or null, got ${inspect(when)}`);
  checkBody(body);
  return timeoutCoro(() => when, body) as Coroutine<T>;
}
