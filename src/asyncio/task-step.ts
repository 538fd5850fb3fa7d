/**
 * One step of a task (CPython's `Task.__step`), for both coroutine forms.
 *
 * - The first step starts the body: a function is called, a lazy body started, and what they give
 *   is classified: an async body's promise is followed (`Task._follow`), a generator is driven by
 *   the steps from then on.
 * - A generator is stepped with `gen.next(value)` or `gen.throw(exc)`; a yielded Future gets the task
 *   as its wake-up listener; a yielded thenable is wrapped in a Future; a bare `yield` re-queues the
 *   task for the next loop iteration.
 * - A cancel request waiting to be delivered is thrown into the body at the step, unless the value
 *   comes from an `OwnBody` proxy (no suspension point; see cancellation.ts).
 * @internal
 */
import { inspect } from "node:util";
import { BodyKind, STARTED } from "./body-kind.js";
import { WaiterKind, WaiterSet } from "./cancellation.js";
import { type Coroutine, isGenerator, isLazyBody, type LazyBody, OWN_BODY } from "./coroutines.js";
import { ArgumentTypeError, CancelledError, RuntimeError } from "./exceptions.js";
import { Future, isThenable } from "./futures.js";
import { genSteps, noteSuspend, taskStorage } from "./loop-registry.js";
import type { Task } from "./tasks.js";
import { wrapThenable } from "./thenable-future.js";

/**
 * The promise of the async body the task follows (`Task._follow`) resolved. Shared by every task:
 * a native promise runs it in the context `then` was called in, the task's. An async body settling
 * is a suspension point for the batch paused on it (see LoopScheduler's hops).
 */
export function onBodyResolved(value: unknown): void {
  noteSuspend();
  taskStorage.getStore()!._bodyReturned(value);
}

/** The promise of the async body the task follows rejected (see {@link onBodyResolved}). */
export function onBodyRejected(exc: unknown): void {
  noteSuspend();
  taskStorage.getStore()!._bodyFailed(exc);
}

/**
 * What a step sends into the body when it is not a plain value: an exception to throw, or a value
 * from an `OwnBody` proxy (no suspension point, so the step delivers no pending cancel). Made only on
 * those paths, where two fields on every task carried the flags before.
 */
export class StepInput {
  constructor(
    readonly value: unknown,
    readonly isExc: boolean,
    readonly fromOwnBody: boolean,
  ) {}
}

/** A step entered through `taskStepScope` (the root frame): set the task, then step. */
export function stepInScope(this: Task<any>): void {
  taskStorage.enterWith(this._ctx);
  runStep(this);
}

/** One step of a task, run with `currentTask()` = `task._ctx` (see `Task._step`). */
export function runStep(task: Task<any>): void {
  // A generator step is synchronous: the batch goes on right after it. Starting an async body asks
  // the batch to let its microtasks run first (`_follow`), as does any async code a step starts
  // (Coroutine._start).
  const arg = task._stepArg;
  task._stepArg = undefined;
  let hasExc = false;
  let value = arg;
  let exc: unknown;
  let fromOwnBody = false;
  if (arg instanceof StepInput) {
    hasExc = arg.isExc;
    fromOwnBody = arg.fromOwnBody;
    value = hasExc ? undefined : arg.value;
    exc = hasExc ? arg.value : undefined;
  }
  const owner = task._ctx; // the task itself, or the owner of an inline runner
  // An inline runner's first step is not a resumption (CPython enters the awaited coroutine
  // without a step), so a pending cancel waits for its first real suspension.
  if (
    owner._mustCancel &&
    !fromOwnBody &&
    !(task._waiterKind === WaiterKind.InlineRunner && !task._started)
  ) {
    if (!(hasExc && exc instanceof CancelledError)) exc = owner._newCancelledError();
    hasExc = true;
    owner._mustCancel = false;
  }
  if (task._waiters !== null) task._waiters.first = null;
  let gen = task._gen;
  if (typeof gen === "number") {
    const kind = gen; // classified when the task was made: Function, Generator or Lazy
    if (kind === STARTED) return; // an async body resumes through its promise, not through steps
    task._gen = STARTED;
    let body: unknown = task._coro;
    if (hasExc) {
      // Cancelled (or failed) before it started: the body never runs.
      if (kind === BodyKind.Lazy && typeof (body as any).close === "function")
        (body as Coroutine<any>).close();
      task._bodyFailed(exc);
      return;
    }
    if (kind !== BodyKind.Generator) {
      // What calling or starting the body gives is new: it is classified here.
      try {
        if (kind === BodyKind.Function) {
          body = (body as () => unknown)();
          if (body instanceof Promise) {
            task._follow(body); // the common case: an async function
            return;
          }
          if (isLazyBody(body)) body = body._start();
        } else {
          body = (body as LazyBody)._start();
        }
      } catch (e) {
        task._bodyFailed(e);
        return;
      }
    }
    if (isGenerator(body)) {
      gen = task._gen = body;
    } else if (body instanceof Promise) {
      task._follow(body);
      return;
    } else if (isThenable(body)) {
      task._followThenable(body as PromiseLike<any>);
      return;
    } else {
      task._bodyFailed(
        new ArgumentTypeError(
          `a coroutine, generator or awaitable was expected, got ${inspect(body, { depth: 0 })}`,
        ),
      );
      return;
    }
  }
  let r: IteratorResult<unknown, unknown>;
  genSteps.depth++;
  try {
    r = hasExc ? gen.throw(exc) : gen.next(value);
  } catch (e) {
    task._bodyFailed(e);
    return;
  } finally {
    genSteps.depth--;
  }
  if (r.done) {
    task._bodyReturned(r.value);
    return;
  }
  handleYield(task, r.value);
}

/** What a generator task does with the value it yielded. */
function handleYield(task: Task<any>, y: unknown): void {
  let fut: Future<any>;
  if (y instanceof Future) {
    if (y._loop !== task._loop) {
      task._scheduleThrow(new RuntimeError(`Task ${task} got Future ${y} attached to a different loop`));
      return;
    }
    if (y === task) {
      task._scheduleThrow(new RuntimeError(`Task cannot await on itself: ${task}`));
      return;
    }
    fut = y;
  } else if (y === undefined) {
    task._loop._schedule(task);
    return;
  } else if (isThenable(y)) {
    fut = wrapThenable(y, task._loop);
    if ((y as any)[OWN_BODY] === true) fut._waiterKind = WaiterKind.OwnBody;
  } else if (isGenerator(y)) {
    task._scheduleThrow(
      new RuntimeError(`yield was used instead of yield* for generator in task ${task} with ${y}`),
    );
    return;
  } else {
    task._scheduleThrow(new RuntimeError(`Task got bad yield: ${inspect(y, { depth: 0 })}`));
    return;
  }
  fut._addListener(task);
  (task._waiters ??= new WaiterSet()).first = fut;
  const owner = task._ctx;
  if (owner._mustCancel && fut._waiterKind !== WaiterKind.OwnBody && fut.cancel(owner._cancelMessage))
    owner._mustCancel = false;
}
