/** `shield()`: protect an awaitable from the cancellation of whoever awaits it (CPython's `tasks.shield`). */
import { Future } from "./futures.js";
import { isStartedPromise } from "./lazy-ops.js";
import { guardFuture } from "./promise-guard.js";
import { type AwaitableLike, ensureFuture } from "./tasks.js";

/**
 * Await `aw` without letting a cancellation of the awaiting task cancel it.
 *
 * If the awaiting task is cancelled, the `await shield(x)` throws CancelledError but `x` keeps
 * running. If `x` itself is cancelled, so is the shield.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.shield
 */
export function shield<T>(aw: AwaitableLike<T>): Future<T> {
  const inner = ensureFuture(aw);
  if (inner.done()) return inner;
  const outer = new Future<T>({ loop: inner._loop });
  if (isStartedPromise(aw)) guardFuture(outer, "shield()");
  const onInnerDone = (f: Future<T>): void => {
    if (outer.done()) {
      if (!f.cancelled()) f.exception(); // mark retrieved
      return;
    }
    if (f.cancelled()) outer.cancel();
    else if (f._failed) outer.setException(f.exception());
    else outer.setResult(f._result as T);
  };
  const onOuterDone = (): void => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(onOuterDone);
  return outer;
}
