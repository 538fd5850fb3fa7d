/**
 * The cancellation model of tasks: the future states, the kinds of waiters a task can be suspended
 * on, and the {@link WaiterSet} each task keeps of them.
 *
 * ## How a cancel reaches an await
 *
 * CPython's `Task.cancel()` cancels `_fut_waiter`, the one future the task's coroutine yielded, and
 * otherwise sets `_must_cancel` so that the next step throws CancelledError into the coroutine. An
 * aiots task runs generator coroutines the same way, but an *async* body suspends on native promises
 * the loop never sees: every aiots awaitable it awaits registers itself with the task instead (see
 * `Future.then`, `GenDriver.step`), and can be more than one at a time (`Promise.all` of two
 * futures). Those registered futures are the task's *waiters* ({@link WaiterSet}).
 *
 * Some waiters are not suspension points of their own but stand for awaits that are (a *proxy*):
 * cancelling the proxy would abandon the real await instead of interrupting it. Each future records
 * which kind of waiter it is in `Future._waiterKind` (default `Plain`):
 *
 * | kind             | marked by                  | registered by (1)          | cancelled by `task.cancel()` (2), when                               | its completion          |
 * | ---------------- | -------------------------- | -------------------------- | -------------------------------------------------------------------- | ----------------------- |
 * | `Plain`          | (default)                  | `_awaiting`, `handleYield` | pass 1, at once; at registration (3)                                 | a suspension point (5)  |
 * | `InlineRunner`   | `Task` ctor with an owner  | `_awaiting`                | pass 1, at once; at registration (3); it forwards to its own waiters | no suspension point (6) |
 * | `OwnBody`        | `handleYield` (`OWN_BODY`) | `handleYield`              | never: the body's own awaits take it                                 | no suspension point (7) |
 * | `StartedPromise` | `waitFor`                  | `_awaiting`                | pass 2, only if pass 1 cancelled nothing (4)                         | a suspension point (5)  |
 *
 * - `Plain`: any future (a lock waiter, a sleep, another task).
 * - `InlineRunner`: the Task that runs a `coroutine()` generator inline for the task `await`ing it.
 * - `OwnBody`: proxy of the promise of an async body the task's generator `yield*`-ed.
 * - `StartedPromise`: proxy of a native promise given to `waitFor()`; its awaits may be the task's
 *   own, or foreign (then only cancelling the proxy lets the timeout fire).
 *
 * 1. `Future.then` inside the task and `GenDriver.step` call `task._awaiting(fut)`; `handleYield`
 *    (generator tasks) sets `waiters.first`.
 * 2. `task.cancel()` calls {@link WaiterSet.cancel}: pass 1 cancels every `Plain` and `InlineRunner`
 *    waiter; if none took the cancel, pass 2 cancels the `StartedPromise` ones; if still none, the
 *    task keeps it pending (`_mustCancel`).
 * 3. A waiter registered while a cancel is pending is cancelled then (`_awaiting`, `handleYield`).
 * 4. …but `_awaiting` cancels a `StartedPromise` under a pending cancel only when it is the task's
 *    only waiter.
 * 5. A pending cancel is delivered when it completes: `Reaction._onFutureDone` → `_takeCancel`
 *    (async bodies), `runStep` (generator tasks).
 * 6. `Reaction._onFutureDone` does not take the pending cancel (the runner's inner await did).
 * 7. `runStep` delivers no pending cancel on the step it resumes (`StepInput.fromOwnBody`), as CPython
 *    does not: the cancel waits for the body's next aiots await.
 *
 * A waiter leaves the set when it completes (`Reaction._onFutureDone` → `_doneAwaiting`), at each
 * step of a generator task (`runStep` clears `first`), and when the body ends (`_clearWaiters`). A
 * cancel that no waiter took stays pending in the task (`_mustCancel`) until the next suspension
 * point takes it (`_takeCancel`).
 * @internal
 */
import type { Future } from "./futures.js";

/** @internal Future states. */
export const PENDING = 0;
/** @internal */ export const CANCELLED = 1;
/** @internal */ export const FINISHED = 2;

/**
 * @internal The kinds of waiters (see the table above): small integers, compared on every await
 * (V8 folds the loads from this constant object in optimised code).
 */
export const WaiterKind = {
  /** An ordinary future: the task's suspension point, cancelled directly. */
  Plain: 0,
  /** An inline runner Task: cancelled directly (it forwards); completing it is no suspension point. */
  InlineRunner: 1,
  /** Proxy of the task's own async body: never cancelled; resuming from it is no suspension point. */
  OwnBody: 2,
  /** Proxy of a started (maybe foreign) promise: cancelled only when no other waiter took the cancel. */
  StartedPromise: 3,
} as const;
/** @internal */
export type WaiterKind = (typeof WaiterKind)[keyof typeof WaiterKind];

/**
 * @internal The futures a task is suspended on. `first` is the one a generator task yielded (CPython's
 * `_fut_waiter`) or the first an async body awaited; `rest` holds the others an async body awaits
 * at the same time (rare: made on demand).
 */
export class WaiterSet {
  first: Future<any> | null = null;
  rest: Set<Future<any>> | null = null;

  /** Register `fut` (already registered: nothing happens). */
  add(fut: Future<any>): void {
    if (this.first === null) this.first = fut;
    else if (this.first !== fut) (this.rest ??= new Set()).add(fut);
  }

  /** `fut` completed: it is no longer waited on. */
  delete(fut: Future<any>): void {
    if (this.first === fut) this.first = null;
    else this.rest?.delete(fut);
  }

  /** True when a waiter other than `fut` is registered. */
  hasOtherThan(fut: Future<any>): boolean {
    if (this.first !== null && this.first !== fut) return true;
    if (this.rest === null) return false;
    for (const f of this.rest) if (f !== fut) return true;
    return false;
  }

  clear(): void {
    this.first = null;
    this.rest = null;
  }

  /**
   * Deliver a cancel request to the waiters (see the table): first every `Plain` and `InlineRunner`
   * waiter; only if none took it, the `StartedPromise` proxies. `OwnBody` proxies never.
   * @returns true when some waiter was cancelled.
   */
  cancel(msg: string | undefined): boolean {
    let delivered = false;
    let proxies = false;
    const first = this.first;
    if (first !== null) {
      const k = first._waiterKind;
      if (k === WaiterKind.Plain || k === WaiterKind.InlineRunner) {
        if (first.cancel(msg)) delivered = true;
      } else proxies = true;
    }
    const rest = this.rest === null ? null : [...this.rest]; // cancel() may change the set
    if (rest !== null) {
      for (const f of rest) {
        const k = f._waiterKind;
        if (k === WaiterKind.Plain || k === WaiterKind.InlineRunner) {
          if (f.cancel(msg)) delivered = true;
        } else proxies = true;
      }
    }
    if (delivered || !proxies) return delivered;
    if (first !== null && first._waiterKind === WaiterKind.StartedPromise && first.cancel(msg))
      delivered = true;
    if (rest !== null)
      for (const f of rest)
        if (f._waiterKind === WaiterKind.StartedPromise && f.cancel(msg)) delivered = true;
    return delivered;
  }
}
