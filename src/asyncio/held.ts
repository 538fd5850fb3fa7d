/**
 * Python's `async with x:` on the lock-like primitives: `hold()` and the handle it gives.
 *
 * `await using _ = await x.hold()` (in a generator coroutine, `using _ = yield* x.hold()`) acquires
 * `x` and returns a {@link Held} handle that releases it when the block ends. `hold()` maps the
 * primitive's `acquire()` operation ({@link holdOf}), not an acquire wrapped in a generator: an
 * uncontended `hold()` costs one handle and no waiter, as an uncontended `acquire()` does. The
 * primitives themselves refuse `using` ({@link refuseUsing}).
 */
import { inspect } from "node:util";
import { ArgumentTypeError } from "./exceptions.js";
import { type Awaitable, RESOLVED_UNDEFINED } from "./futures.js";
import { GenOp, LazyOp, MappedWait, NOT_READY, type OpIterator } from "./lazy-ops.js";

/**
 * What `hold()` returns: the primitive, acquired; disposing the handle releases it, once, whether the
 * block ends normally, with an error or by cancellation. `await using _ = await x.hold()`, or
 * `using _ = yield* x.hold()` in a generator coroutine (release is synchronous, so both work).
 */
export interface Held extends AsyncDisposable, Disposable {
  /** Release now (idempotent). A function of its own: `held.release` may be passed around. */
  release(): void;
}

/** What a handle releases: a lock-like primitive. */
interface Releasable {
  release(): void;
}

/** @internal The handle `hold()` gives: releases `target` once. */
export class HeldHandle implements Held {
  #target: Releasable | null;

  constructor(target: Releasable) {
    this.#target = target;
  }

  // An arrow, as the handle's `release` always was: it may be called detached.
  readonly release = (): void => {
    const target = this.#target;
    if (target === null) return;
    this.#target = null;
    target.release();
  };

  [Symbol.dispose](): void {
    this.release();
  }

  /** Releases at once; a release that throws gives a rejected promise, as an async function would. */
  [Symbol.asyncDispose](): Promise<void> {
    try {
      this.release();
    } catch (e) {
      return Promise.reject(e);
    }
    return RESOLVED_UNDEFINED;
  }

  /** @internal */
  [inspect.custom](): string {
    return this.#target === null ? "<Held (released)>" : `<Held ${inspect(this.#target)}>`;
  }
}

/**
 * @internal `hold()` of a lock-like primitive, `acquiring` being its `acquire()` (a subclass's own
 * too: CPython's `__aenter__` awaits `self.acquire()`). The primitives' acquire is a lazy operation:
 * `hold()` is then one with the same fast and waiting parts, ending in the handle — an uncontended
 * hold costs the handle and no waiter. Any other awaitable goes through a generator.
 */
export function holdOf(target: Releasable, acquiring: Awaitable<unknown>): Awaitable<Held> {
  if (acquiring instanceof LazyOp) return new LazyOp(holdFast, holdWait, acquiring, target);
  return new GenOp(function* () {
    yield* acquiring;
    return new HeldHandle(target) as Held;
  });
}

function holdFast(this: Releasable, acquiring: LazyOp<unknown, unknown>): Held | typeof NOT_READY {
  return acquiring.fast.call(acquiring.self, acquiring.arg) === NOT_READY ? NOT_READY : new HeldHandle(this);
}

function holdWait(this: Releasable, acquiring: LazyOp<unknown, unknown>): OpIterator<Held> {
  return new MappedWait(acquiring.slow.call(acquiring.self, acquiring.arg), () => new HeldHandle(this));
}

/**
 * @internal Make `await using _ = x` and `using _ = x` fail for instances of `cls` with an
 * {@link ArgumentTypeError} whose message (`hint(className)`) says what to write instead. The runtime
 * reads `[Symbol.asyncDispose]` / `[Symbol.dispose]` when it evaluates the declaration, before the
 * block runs, so these throwing getters stop it there with nothing acquired. They are defined after
 * the class, not in it, so TypeScript does not see the class as disposable and rejects the
 * declaration too. Non-enumerable and on the prototype: `inspect`, `instanceof` and copies of own
 * properties never meet them.
 */
export function refuseUsing(
  cls: abstract new (...args: never[]) => object,
  hint: (name: string) => string,
): void {
  for (const sym of [Symbol.asyncDispose, Symbol.dispose]) {
    Object.defineProperty(cls.prototype, sym, {
      configurable: true,
      enumerable: false,
      get(this: object): never {
        throw new ArgumentTypeError(hint(this.constructor.name));
      },
    });
  }
}

/** @internal The hint for a lock-like primitive `x` (the variable name shown in the message). */
export const holdHint =
  (x: string) =>
  (name: string): string =>
    `${name} is not a context manager by itself: write \`await using _ = await ${x}.hold()\` ` +
    `(Python: \`async with ${x}:\`); in a generator coroutine, \`using _ = yield* ${x}.hold()\``;
