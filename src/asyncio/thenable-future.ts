/**
 * A Future that follows a promise or another thenable (a started operation aiots does not own):
 * what `ensureFuture`, `gather` and a generator task's `yield` make of one.
 * @internal
 */
import type { EventLoop } from "./base-events.js";
import { PENDING } from "./cancellation.js";
import { CancelledError } from "./exceptions.js";
import { Future } from "./futures.js";

/**
 * A Future that follows a promise or thenable. A rejection with CancelledError cancels it.
 * @internal
 */
export function wrapThenable<T>(p: PromiseLike<T>, loop: EventLoop): Future<T> {
  const fut = new Future<T>({ loop });
  loop._foreignPending++;
  const settled = (): void => {
    loop._foreignPending--;
  };
  p.then(
    (v) => {
      settled();
      if (fut._state === PENDING) fut.setResult(v);
    },
    (e) => {
      settled();
      if (fut._state !== PENDING) return;
      if (e instanceof CancelledError) fut._setCancelled(e);
      else fut.setException(e);
    },
  );
  return fut;
}
