/**
 * Lazy coroutine objects, both forms: generator functions (`yield*`) and async functions.
 *
 * `coroutine(fn)` returns a function whose calls create a {@link Coroutine}: nothing runs until it
 * is awaited, `yield*`-ed, or wrapped in a task — as in Python.
 */
import process from "node:process";
import { inspect } from "node:util";
import { RuntimeError } from "./exceptions.js";
import type { Awaitable } from "./futures.js";
import { captureStack, isThenable } from "./futures.js";
import { logger } from "./log.js";
import { _getRunningLoop, requestFlush } from "./loop-registry.js";
import { refusedAwait } from "./promise-guard.js";

const COROUTINE_FUNCTION = Symbol.for("aiots.coroutineFunction");

/** The brand of {@link LazyBody} classes: set on their prototype by {@link brandLazyBody}. */
const LAZY_BODY = Symbol("aiots.lazyBody");

/** @internal Set by tasks.ts: drives a generator inline, on behalf of the awaiting task. */
export const coroutineHooks = {
  runInline: null as unknown as (gen: Generator<unknown, unknown, unknown>) => PromiseLike<unknown>,
};

/** The generator type of a generator coroutine returning `T`. */
export type CoroutineGenerator<T> = Generator<unknown, T, any>;

/** Debug mode only: coroutines created and never awaited. */
const neverAwaited = new FinalizationRegistry<{ name: string; stack: string | undefined }>((held) => {
  logger.warning(
    `coroutine '${held.name}' was never awaited${held.stack ? `\nCoroutine created at (most recent call first)\n${held.stack}` : ""}`,
  );
});

/** @internal True when debug diagnostics are on for new objects made outside a loop's methods. */
export function debugEnabled(): boolean {
  const loop = _getRunningLoop();
  if (loop !== null) return loop._debug;
  return envDebug();
}

/** @internal `AIOTS_DEBUG=1` (or any value but "" and "0"). */
export function envDebug(): boolean {
  const v = process.env.AIOTS_DEBUG;
  return v !== undefined && v !== "" && v !== "0";
}

/**
 * A lazy call of a coroutine function. Awaitable once (`await c` or `yield* c`), or handed to
 * `createTask`. Awaiting it runs its body in the awaiting task (no new task).
 */
export class Coroutine<T = unknown> implements Awaitable<T> {
  readonly #fn: (...args: any[]) => unknown;
  readonly #args: unknown[];
  readonly #thisArg: unknown;
  /** @internal */ _started = false;

  /** @internal Use {@link coroutine}. */
  constructor(fn: (...args: any[]) => unknown, args: unknown[], thisArg: unknown) {
    this.#fn = fn;
    this.#args = args;
    this.#thisArg = thisArg;
    if (debugEnabled()) neverAwaited.register(this, { name: this.name, stack: captureStack(3) }, this);
  }

  /** The coroutine function's name. */
  get name(): string {
    return this.#fn.name || "<anonymous>";
  }

  /**
   * @internal Start the body: returns a generator, a thenable, or a plain value.
   * @throws {RuntimeError} when already started.
   */
  _start(): unknown {
    if (this._started) throw new RuntimeError("cannot reuse already awaited coroutine");
    this._started = true;
    neverAwaited.unregister(this);
    const body = this.#fn.apply(this.#thisArg, this.#args);
    // An async body leaves work on the microtask queue; a generator has not run yet.
    if (!isGenerator(body)) requestFlush();
    return body;
  }

  /** Mark the coroutine closed without running it (a task cancelled before it started). */
  close(): void {
    this._started = true;
    neverAwaited.unregister(this);
  }

  /** Await the coroutine: runs its body in the current task. */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    let p: PromiseLike<T>;
    const refused = refusedAwait(this);
    if (refused !== null) {
      this.close();
      return Promise.reject(refused).then(onfulfilled, onrejected);
    }
    try {
      const body = this._start();
      if (isGenerator(body))
        return coroutineHooks.runInline(body).then(onfulfilled as any, onrejected) as Promise<R1 | R2>;
      else if (isThenable(body)) p = body as PromiseLike<T>;
      else p = Promise.resolve(body as T);
    } catch (e) {
      p = Promise.reject(e);
    }
    if (p instanceof Promise) return p.then(onfulfilled, onrejected);
    return Promise.resolve(p).then(onfulfilled, onrejected);
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
    return "Coroutine";
  }

  /** `const v = yield* coro` inside a generator coroutine. */
  [Symbol.iterator](): Iterator<unknown, T, unknown> {
    const body = this._start();
    if (isGenerator(body)) return body as Iterator<unknown, T, unknown>;
    if (isThenable(body)) return awaitThenable(body as PromiseLike<T>);
    return awaitThenable(Promise.resolve(body as T));
  }

  /** @internal */
  [inspect.custom](): string {
    return `<Coroutine ${this.name} ${this._started ? "started" : "created"}>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}

brandLazyBody(Coroutine);

/**
 * @internal Marks the promise of an aiots coroutine's own async body when a generator task
 * delegates to it with `yield*`: its awaits belong to the task, so the task's Future wrapping it
 * becomes an `OwnBody` proxy (see cancellation.ts).
 */
export const OWN_BODY = Symbol("aiots.ownBody");

function* awaitThenable<T>(p: PromiseLike<T>): Generator<unknown, T, any> {
  if (p instanceof Promise) (p as any)[OWN_BODY] = true;
  return (yield p) as T;
}

/**
 * Make a coroutine function from a generator function or an async function.
 *
 * ```ts
 * const sleepy = coroutine(function* (x: number) {
 *   yield* asyncio.sleep(x);
 *   return x;
 * });
 * await sleepy(1);            // from async code
 * const v = yield* sleepy(1); // from another generator coroutine
 * ```
 * @see https://docs.python.org/3/library/asyncio-task.html#coroutines
 */
export function coroutine<A extends unknown[], T>(
  fn: (...args: A) => Generator<unknown, T, any>,
): (...args: A) => Coroutine<T>;
export function coroutine<A extends unknown[], T>(
  fn: (...args: A) => PromiseLike<T>,
): (...args: A) => Coroutine<Awaited<T>>;
export function coroutine(fn: (...args: any[]) => unknown): (...args: any[]) => Coroutine<unknown> {
  if (typeof fn !== "function") throw new TypeError(`coroutine() expects a function, got ${typeof fn}`);
  const wrapper = function (this: unknown, ...args: unknown[]): Coroutine<unknown> {
    return new Coroutine(fn, args, this);
  };
  Object.defineProperty(wrapper, "name", { value: fn.name });
  Object.defineProperty(wrapper, COROUTINE_FUNCTION, { value: true });
  return wrapper;
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;

/**
 * True for async functions, generator functions and `coroutine()` results.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.iscoroutinefunction
 */
export function iscoroutinefunction(f: unknown): boolean {
  if (typeof f !== "function") return false;
  return (
    f instanceof AsyncFunction || f instanceof GeneratorFunction || (f as any)[COROUTINE_FUNCTION] === true
  );
}

/**
 * True for coroutine objects and generator objects; false for functions, plain values and Promises.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.iscoroutine
 */
export function iscoroutine(x: unknown): boolean {
  return x instanceof Coroutine || isGenerator(x);
}

/**
 * @internal A lazy body a task can start: a {@link Coroutine}, or an aiots operation that is lazy
 * like one (`sleep(1)`, `lock.acquire()`, `q.get()` …). They all expose `_start()`, and their class
 * is branded with {@link brandLazyBody}: an object that merely has a `_start()` method is not one.
 */
export interface LazyBody {
  _start(): unknown;
}

/**
 * @internal Brand `cls` (whose instances implement {@link LazyBody}) so that {@link isLazyBody}
 * accepts its instances. On the prototype: the instances carry nothing.
 */
export function brandLazyBody(cls: abstract new (...args: never[]) => LazyBody): void {
  Object.defineProperty(cls.prototype, LAZY_BODY, { value: true });
}

/** @internal True for instances of the classes branded with {@link brandLazyBody}. */
export function isLazyBody(x: unknown): x is LazyBody {
  return x !== null && typeof x === "object" && (x as { [LAZY_BODY]?: unknown })[LAZY_BODY] === true;
}

/** @internal Duck-typed generator object check. */
export function isGenerator(x: unknown): x is Generator<unknown, unknown, unknown> {
  return (
    x !== null &&
    typeof x === "object" &&
    typeof (x as any).next === "function" &&
    typeof (x as any).throw === "function" &&
    typeof (x as any).return === "function" &&
    typeof (x as any)[Symbol.iterator] === "function"
  );
}
