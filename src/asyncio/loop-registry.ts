/**
 * Process-wide loop state: the current ("default") loop, the loop that is running, and the
 * `AsyncLocalStorage` that tells async functions which task they belong to.
 *
 * Kept apart from `base-events.ts` so that futures and tasks can find "the loop" without
 * importing the loop class (which imports them): `base-events.ts` registers its factory here.
 */
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import type { EventLoop } from "./base-events.js";
import { RuntimeError } from "./exceptions.js";
import type { Task } from "./tasks.js";

/** The task an async function (or a generator step) runs on behalf of. */
export const taskStorage: AsyncLocalStorage<Task<unknown>> = new AsyncLocalStorage();

/**
 * The root async context, captured when this module loads: where the loop's Node callbacks run
 * ({@link runInRoot}), and the frame each task step starts from ({@link taskStepScope}).
 */
const rootScope = new AsyncResource("aiots.root", { requireManualDestroy: true });

/**
 * @internal Runs a function in the root async context. Node callbacks the loop schedules run there,
 * so loop callbacks never run "inside" whoever scheduled first. The resource's `runInAsyncScope`,
 * called directly: `AsyncLocalStorage.snapshot()` wraps the same call in one more bound function,
 * which every chained loop iteration paid (a `sleep(0)` ping-pong ran 24 % slower).
 */
export function runInRoot<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  return rootScope.runInAsyncScope(fn, null, ...args);
}

/** Whether async context lives in frames: then `enterWith` inside a scope stays in that scope. */
function contextFramesInUse(): boolean {
  const probe = new AsyncLocalStorage<number>();
  const scope = new AsyncResource("aiots.probe", { requireManualDestroy: true });
  scope.runInAsyncScope(() => probe.enterWith(1));
  return scope.runInAsyncScope(() => probe.getStore()) === undefined;
}

/**
 * @internal The root scope, for task steps: entering it swaps the current async context frame for
 * the root one and back, with no copy, and the step then sets its task with `enterWith`, which
 * copies the root frame (empty: cheap). `taskStorage.run` copies the current frame
 * twice (in, and back out to the prior value), and each copy of a non-empty frame iterates a Map:
 * ~0.25 µs per step against ~0.06 µs this way. What a step sees (and what the async code it starts
 * inherits) then does not depend on the code that happened to run the loop.
 *
 * `null` where `AsyncLocalStorage` is not on AsyncContextFrame (Node 22's default; Node 24 has it):
 * there `enterWith` writes onto the current resource — this shared scope — and nothing would restore
 * it, so a step goes through `taskStorage.run`.
 */
export const taskStepScope: AsyncResource | null = contextFramesInUse() ? rootScope : null;

const state = {
  factory: null as (() => EventLoop) | null,
  current: null as EventLoop | null,
  running: null as EventLoop | null,
  draining: null as EventLoop | null,
};

/** @internal Called once by base-events.ts. */
export function registerLoopFactory(factory: () => EventLoop): void {
  state.factory = factory;
}

/** @internal Set while a loop is inside runForever/runUntilComplete. */
export function setRunningLoop(loop: EventLoop | null): void {
  state.running = loop;
}

/** @internal Set while a loop runs a batch of ready callbacks. */
export function setDrainingLoop(loop: EventLoop | null): EventLoop | null {
  const prev = state.draining;
  state.draining = loop;
  return prev;
}

/** The running loop if there is one, else `null` (never throws). */
export function _getRunningLoop(): EventLoop | null {
  // A loop's batch runs its callbacks (task steps among them) synchronously: while one runs, that
  // loop is the running one, with no lookup of the async context (a `gather` of 100 000 created
  // tasks asks once per task). Async code resumed outside a batch finds its task's loop.
  if (state.draining !== null) return state.draining;
  const task = taskStorage.getStore();
  if (task !== undefined) return task._loop;
  return state.running;
}

/**
 * The loop running the current task or callback.
 * @throws {RuntimeError} "no running event loop" outside one.
 * @see https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.get_running_loop
 */
export function getRunningLoop(): EventLoop {
  const loop = _getRunningLoop();
  if (loop === null) throw new RuntimeError("no running event loop");
  return loop;
}

/**
 * The running loop, else the current loop of this process, created on first use.
 *
 * Differences from Python: never warns; a loop always processes its callbacks when it has any,
 * so awaitables made from plain Node code (outside `run()`) work on this loop.
 */
export function getEventLoop(): EventLoop {
  const running = _getRunningLoop();
  if (running !== null) return running;
  if (state.current === null) state.current = newEventLoop();
  return state.current;
}

/** Make `loop` the current loop of the process (`null` forgets it). */
export function setEventLoop(loop: EventLoop | null): void {
  state.current = loop;
}

/** A new, independent event loop. */
export function newEventLoop(): EventLoop {
  if (state.factory === null) throw new RuntimeError("aiots: the event loop module is not loaded");
  return state.factory();
}

/**
 * How many operations may complete at once (without a real suspension) between two loop
 * iterations: Tokio's cooperative budget. An `await` of an operation that completes at once still
 * costs a microtask, so two tasks passing items through a queue that never fills nor empties would
 * alternate on microtasks forever and starve the loop (timers, I/O, every other task). Once the
 * budget is spent, the next such operation first yields to the loop for one iteration. Every callback
 * the loop runs (a task's step, a wake-up) starts with a full budget, as Tokio gives each task poll
 * its own: the budget bounds one chain of microtasks, which runs to its end before the next callback.
 */
export const COOP_BUDGET = 1024;

/** @internal The cooperative budget left in the current callback's chain (see {@link COOP_BUDGET}). */
export const coop = { left: COOP_BUDGET };

let flushWanted = false;

/** @internal A task stepped or an await resumed: the running batch should let microtasks run. */
export function requestFlush(): void {
  flushWanted = true;
}

let suspendNoted = false;

/**
 * @internal Code resumed by the batch reached its next suspension (an aiots awaitable's `then` was
 * called for a pending operation, or a task finished): the paused batch may go on.
 */
export function noteSuspend(): void {
  suspendNoted = true;
}

/** @internal Read and clear the suspension note. */
export function takeSuspend(): boolean {
  const s = suspendNoted;
  suspendNoted = false;
  return s;
}

/** @internal Read and clear the flush request. */
export function takeFlush(): boolean {
  const f = flushWanted;
  flushWanted = false;
  return f;
}

/**
 * @internal How many generator-coroutine steps are on the stack. Code running inside one may be
 * delegated to with `yield*`, so operations that complete at once return an object that is iterable
 * as well as awaitable there, and a plain (cheaper to await) resolved promise elsewhere.
 */
export const genSteps = { depth: 0 };
