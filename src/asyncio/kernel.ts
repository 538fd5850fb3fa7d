/**
 * The kernel: the one internal surface of the core that the layers above it (`http/`, `web/`,
 * `client/`, `test-utils/`) may use besides the public API of `aiots`.
 *
 * Everything else in `asyncio/` — `_`-prefixed members, the loop registry, the task internals — is
 * private to the core and stripped from the published `.d.ts` (`stripInternal`); the architecture
 * test forbids the upper layers any other `asyncio/` import and any `._x` member access. When a layer
 * needs more, it is added here, with a name that says what it is for.
 *
 * What is here:
 * - {@link runInRoot}: start Node work (servers, sockets, timers) in the root async context, so
 *   its callbacks never run "inside" whichever task happened to create it.
 * - {@link ioTurn}: deliver an I/O event (request data, a socket chunk) as a turn of the loop, so
 *   what it makes ready runs in the same Node callback, as CPython runs the ready queue right after
 *   the I/O events of an iteration.
 * - {@link startTask}: a task whose first step runs at once (a request handler's task).
 * - {@link brand}: cross-realm `instanceof` for error classes (two copies of aiots agree);
 *   {@link addBrand} gives an error class a second base (Python's multiple inheritance).
 * - {@link reusePortSupported}: whether this Node can listen with `SO_REUSEPORT`.
 * - {@link trackForeign}: tell a loop that a foreign operation is in flight, so a virtual-time loop
 *   does not jump over its completion.
 * - {@link asAwaitable}: turn what a user callback returned (a promise, a `coroutine()` call, a
 *   generator object, a plain value) into something `await` runs in the current task.
 * - {@link readerFromNode}, {@link readerFromSource}: a `StreamReader` fed from a Node `Readable` (a request or response
 *   body) with back-pressure and a per-chunk check (how body-size limits are enforced).
 *   {@link feedReader} and {@link endReader} feed one inside an {@link ioTurn} without a closure per chunk.
 * - Lazy operations ({@link LazyOp}, {@link GenOp}, {@link eager}, {@link NOT_READY},
 *   {@link READY_VOID}): awaitables usable with `await` and `yield*`, lazy like coroutines, that
 *   complete without a Future when they need not wait — the building blocks of every primitive.
 * @internal
 */
import type { EventLoop } from "./base-events.js";
import { setDrainingLoop } from "./loop-registry.js";
import { Task } from "./tasks.js";

export { addBrand, brand } from "../internal/brand.js";
export { asAwaitable } from "./awaitables.js";
export { reusePortSupported } from "./connections.js";
export { eager, GenOp, LazyOp, NOT_READY, READY_VOID } from "./lazy-ops.js";
export { runInRoot } from "./loop-registry.js";
export { ioTurn } from "./loop-scheduler.js";
export {
  endReader,
  feedReader,
  type NodeReaderOptions,
  type ReaderSource,
  readerFromNode,
  readerFromSource,
} from "./node-readable.js";

/**
 * Create a task for `body` on `loop` and run its first step now, inside this call (CPython 3.12's
 * eager task start), as an I/O turn of the loop: a request's handler starts in the same Node
 * callback that received the request, with no trip through the ready queue. Everything after the
 * body's first suspension runs as in any task.
 */
export function startTask<T>(loop: EventLoop, body: () => PromiseLike<T>, name?: string): Task<T> {
  const task = new Task<T>(body, name === undefined ? { loop, eager: true } : { loop, name, eager: true });
  loop._beforeIO();
  // The step runs synchronously for `loop`, wherever this is called from: its code finds `loop` as
  // the running one (`_getRunningLoop` asks the draining loop first), not the loop whose batch called.
  const prev = setDrainingLoop(loop);
  try {
    task._step();
  } finally {
    setDrainingLoop(prev);
    loop._afterIO();
  }
  return task;
}

/**
 * A foreign operation (a Node request, a child process, a promise aiots does not own) started on
 * behalf of `loop`: a virtual-time loop will not jump its clock until the returned function is
 * called (once; later calls do nothing).
 */
export function trackForeign(loop: EventLoop): () => void {
  loop._foreignPending++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    loop._foreignPending--;
  };
}
