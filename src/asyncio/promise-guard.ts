/**
 * The started-promise guard: how `gather`, `wait`, `asCompleted` and `shield` refuse the literal
 * Python port `gather(job("a"), job("b"))` when `job` is an ordinary async function using aiots.
 *
 * Why it is needed: calling an async function runs it at once, in the caller's async context, so
 * every aiots await inside `job("a")` belongs to the *caller's* task. Python would run each job as
 * a task of its own; here a timeout inside job a would cancel the caller and job b, and cancelling
 * the caller would reach into both jobs. Nothing can move those awaits to another task afterwards,
 * so the call is refused instead — loudly, before any of it has an effect.
 *
 * How it is seen: `job("a")` runs until its first `await`; awaiting an aiots awaitable (which is
 * not a native promise) makes the engine call its `then` one microtask later, still in the caller's
 * context. Those microtasks were queued while the helper's arguments were evaluated, so they run
 * after the caller's synchronous code and before anything the caller queues once the helper
 * returned (its own `await` of the result among them). A helper that receives a native promise
 * inside a task therefore arms a guard on the task until that point (one microtask, queued at the
 * call): an aiots `then()` in the task's context while the guard is armed comes from code that
 * started before the call and is still running in the task — a started promise. The guard fails
 * the helper with {@link ArgumentTypeError} and rejects that await with the same error (so the job
 * stops at its first await, its `finally` blocks run, and no timer it set can fire).
 *
 * What is not seen: a started promise whose first aiots await completes at once (a `q.get()` on a
 * non-empty queue) or comes after a foreign await, or one started in an earlier step of the task.
 * Foreign promises (`fetch`, `fs`) never touch aiots and are always accepted. `waitFor` is not
 * guarded: like Python ≥ 3.12's `wait_for`, it awaits its argument in the calling task, which is
 * exactly where a started promise runs.
 * @internal
 */
import { PENDING } from "./cancellation.js";
import { ArgumentTypeError } from "./exceptions.js";
import type { Future } from "./futures.js";
import { taskStorage } from "./loop-registry.js";
import type { Task } from "./tasks.js";

/** Microtasks through a native promise (cheaper than queueMicrotask). */
const RESOLVED = Promise.resolve();

/** @internal How many guards are armed: lets fast paths skip the task lookup when none is. */
export const guards = { armed: 0 };

/** @internal One armed guard: what the helpers called in this step of the task want to hear. */
export class PromiseGuard {
  /** The refusal, once a started promise was seen. */
  error: ArgumentTypeError | null = null;
  /** The helpers' own results: `then()` on them is the caller's, not a started promise's. */
  readonly own: unknown[] = [];
  /** Called once with the refusal (fail the helper's future …). */
  readonly onRefused: ((err: ArgumentTypeError) => void)[] = [];
  readonly helpers: string[] = [];

  constructor(readonly task: Task<any>) {}
}

/**
 * @internal Arm the guard of the current task for `helper` (e.g. `"gather()"`): returns it, or
 * `null` outside a task. Call it only when the helper received a native promise.
 */
export function armGuard(helper: string): PromiseGuard | null {
  const task = taskStorage.getStore();
  if (task === undefined || task._state !== PENDING) return null;
  let g = armedGuards.get(task);
  if (g === undefined) {
    g = new PromiseGuard(task);
    armedGuards.set(task, g);
    guards.armed++;
    RESOLVED.then(() => disarm(g!));
  }
  if (!g.helpers.includes(helper)) g.helpers.push(helper);
  return g;
}

/**
 * The guards armed now, by task: armed for one microtask and rare, so a Map here rather than a field
 * on every Task.
 */
const armedGuards = new Map<Task<any>, PromiseGuard>();

function disarm(g: PromiseGuard): void {
  guards.armed--;
  if (armedGuards.get(g.task) === g) armedGuards.delete(g.task);
}

/**
 * @internal Called by every aiots `then()` made inside `task` while its guard is armed: returns the
 * error the await must reject with, or `null` when the await is the caller's own.
 */
export function guardedAwait(task: Task<any>, awaited: unknown): ArgumentTypeError | null {
  const g = armedGuards.get(task);
  if (g === undefined || g.own.includes(awaited)) return null;
  if (g.error === null) {
    g.error = new ArgumentTypeError(refusalMessage(g.helpers.join("/"), task.getName()));
    for (const cb of g.onRefused) cb(g.error);
  }
  return g.error;
}

/** @internal The message shared by every refusal of a started promise (it shows the fix). */
export function refusalMessage(where: string, taskName?: string): string {
  const owner = taskName === undefined ? "the caller's task" : `the calling task (${taskName})`;
  return (
    `${where} got a promise that already started: calling an async function runs it at once, so ` +
    `its awaits belong to ${owner} and it could never be cancelled on its own (a timeout inside it ` +
    `would cancel the caller and its siblings). Pass a function instead — e.g. ` +
    `gather(() => job("a"), () => job("b")), createTask(() => worker(q)) — or define the function ` +
    `with coroutine() so that calling it creates a lazy coroutine, as in Python.`
  );
}

/**
 * @internal The check of an aiots `then()` that has not looked up its task: the refusal to reject
 * the await with, or `null` (one global read when no guard is armed, the common case).
 */
export function refusedAwait(awaited: unknown): ArgumentTypeError | null {
  if (guards.armed === 0) return null;
  const task = taskStorage.getStore();
  return task === undefined ? null : guardedAwait(task, awaited);
}

/**
 * @internal A helper received a native promise: arm the guard so that the helper's result `fut`
 * fails with the refusal if a started promise shows itself in this step.
 */
export function guardFuture(fut: Future<any>, helper: string): void {
  const g = armGuard(helper);
  if (g === null) return;
  g.own.push(fut);
  const refuse = (err: ArgumentTypeError): void => {
    if (!fut.done()) fut.setException(err);
  };
  if (g.error !== null) refuse(g.error);
  else g.onRefused.push(refuse);
}
