/**
 * @internal Turn whatever a user callback returned (promise, coroutine, generator, value) into
 * something `await` handles inside the current task.
 */
import { Coroutine, coroutineHooks, isGenerator } from "./coroutines.js";

export function asAwaitable<T>(x: unknown): PromiseLike<T> | T {
  if (isGenerator(x)) return coroutineHooks.runInline(x) as PromiseLike<T>;
  if (x instanceof Coroutine) return x as PromiseLike<T>;
  return x as PromiseLike<T> | T;
}
