/**
 * `TaskGroup` / `taskGroup()`: structured concurrency (CPython's `asyncio/taskgroups.py`).
 *
 * The group waits for all its children; the first child failure cancels the other children and
 * the body, and the group then throws an {@link ExceptionGroup} of every non-cancellation error.
 * The body is a callback because `await using` cannot see the body's error.
 */
import { inspect } from "node:util";
import { asAwaitable } from "./awaitables.js";
import type { EventLoop } from "./base-events.js";
import { Coroutine, coroutine } from "./coroutines.js";
import { ArgumentTypeError, CancelledError, ExceptionGroup, RuntimeError } from "./exceptions.js";
import { Future } from "./futures.js";
import { taskStorage } from "./loop-registry.js";
import { createTask, type Task, type TaskBody } from "./tasks.js";

/**
 * A group of tasks that live no longer than the block that created them.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.TaskGroup
 */
export class TaskGroup {
  #entered = false;
  #exiting = false;
  #aborting = false;
  #loop: EventLoop | null = null;
  #parentTask: Task<any> | null = null;
  #parentCancelRequested = false;
  #tasks = new Set<Task<any>>();
  #errors: unknown[] = [];
  #onCompletedFut: Future<boolean> | null = null;
  #cancelOnEnter = false;

  /**
   * Create a task in this group.
   * @throws {RuntimeError} before the group is entered, after it finished, or while it shuts down.
   */
  createTask<T>(coro: TaskBody<T>, options?: { name?: string }): Task<T> {
    if (!this.#entered) {
      closeCoro(coro);
      throw new RuntimeError(`TaskGroup ${this} has not been entered`);
    }
    if (this.#exiting && this.#tasks.size === 0) {
      closeCoro(coro);
      throw new RuntimeError(`TaskGroup ${this} is finished`);
    }
    if (this.#aborting) {
      closeCoro(coro);
      throw new RuntimeError(`TaskGroup ${this} is shutting down`);
    }
    const task = createTask(coro, { ...options, loop: this.#loop! });
    this.#tasks.add(task);
    task.addDoneCallback(this.#onTaskDone);
    if (this.#aborting && !task.done()) task.cancel();
    return task;
  }

  /**
   * Cancel every task of the group and the body; the group then exits without CancelledError.
   * Called before the group is entered, it cancels on entry. Idempotent.
   */
  cancel(): void {
    if (!this.#entered) {
      this.#cancelOnEnter = true;
      return;
    }
    if (this.#exiting && this.#tasks.size === 0) return;
    if (!this.#aborting) {
      this.#abort();
      if (this.#parentTask !== null && !this.#parentCancelRequested) {
        this.#parentCancelRequested = true;
        this.#parentTask.cancel();
      }
    }
  }

  /** @internal */
  _enter(): void {
    if (this.#entered) throw new RuntimeError(`TaskGroup ${this} has already been entered`);
    const parent = taskStorage.getStore();
    if (parent === undefined) throw new RuntimeError(`TaskGroup ${this} cannot determine the parent task`);
    this.#loop = parent._loop;
    this.#parentTask = parent;
    this.#entered = true;
    if (this.#cancelOnEnter) this.cancel();
  }

  /** @internal The `__aexit__` of CPython; throws what the group must throw. */
  async _exit(hasExc: boolean, exc: unknown): Promise<void> {
    try {
      await this.#aexit(hasExc, exc);
    } finally {
      this.#parentTask = null;
      this.#errors = [];
    }
  }

  async #aexit(hasExc: boolean, exc: unknown): Promise<void> {
    this.#exiting = true;
    let propagateCancellation: unknown = hasExc && exc instanceof CancelledError ? exc : null;
    if (hasExc && !this.#aborting) this.#abort();
    let pendingCancellation: unknown = null;
    while (this.#tasks.size > 0) {
      this.#onCompletedFut ??= new Future<boolean>({ loop: this.#loop! });
      try {
        await this.#onCompletedFut;
      } catch (ex) {
        if (!(ex instanceof CancelledError)) throw ex;
        pendingCancellation = ex;
        if (!this.#aborting) {
          propagateCancellation = ex;
          this.#abort();
        }
      }
      this.#onCompletedFut = null;
    }
    const parent = this.#parentTask!;
    if (this.#parentCancelRequested) {
      if (parent.uncancel() === 0) propagateCancellation = null;
      else if (propagateCancellation === null) propagateCancellation = pendingCancellation;
    }
    if (propagateCancellation !== null && this.#errors.length === 0) throw propagateCancellation;
    if (hasExc && !(exc instanceof CancelledError)) this.#errors.push(exc);
    if (this.#errors.length > 0) {
      if (parent.cancelling() > 0) {
        parent.uncancel();
        parent.cancel();
      }
      throw new ExceptionGroup("unhandled errors in a TaskGroup", this.#errors);
    }
  }

  #abort(): void {
    this.#aborting = true;
    for (const t of this.#tasks) if (!t.done()) t.cancel();
  }

  #onTaskDone = (task: Task<any>): void => {
    this.#tasks.delete(task);
    if (this.#onCompletedFut !== null && this.#tasks.size === 0 && !this.#onCompletedFut.done())
      this.#onCompletedFut.setResult(true);
    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === null) return;
    this.#errors.push(exc);
    const parent = this.#parentTask;
    if (parent === null || parent.done()) {
      this.#loop!.callExceptionHandler({
        message: `Task ${task} has errored out but its parent task ${parent} is already completed`,
        exception: exc,
        task,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      this.#abort();
      this.#parentCancelRequested = true;
      parent.cancel();
    }
  };

  /** @internal */
  [inspect.custom](): string {
    const info: string[] = [];
    if (this.#tasks.size > 0) info.push(`tasks=${this.#tasks.size}`);
    if (this.#errors.length > 0) info.push(`errors=${this.#errors.length}`);
    if (this.#aborting) info.push("cancelling");
    else if (this.#entered) info.push("entered");
    return `<TaskGroup${info.length > 0 ? ` ${info.join(" ")}` : ""}>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }

  /**
   * Run `body(tg)` with this group entered, then wait for every task of the group.
   * @see {@link taskGroup}
   */
  run<T>(body: (tg: TaskGroup) => PromiseLike<T> | Generator<unknown, T, any> | T): Coroutine<T | undefined> {
    if (typeof body !== "function")
      throw new ArgumentTypeError(`TaskGroup body must be a function, got ${inspect(body)}`);
    return runGroupCoro(this, body) as Coroutine<T | undefined>;
  }
}

// `await using tg = new TaskGroup()` / `using tg = …` fail at the declaration, before the body runs,
// saying what to write instead. Defined after the class so TypeScript rejects the declaration too.
for (const sym of [Symbol.asyncDispose, Symbol.dispose]) {
  Object.defineProperty(TaskGroup.prototype, sym, {
    configurable: true,
    enumerable: false,
    get(this: object): never {
      throw new ArgumentTypeError(
        `${this.constructor.name} is not a context manager: write \`await taskGroup(async (tg) => { tg.createTask(…) })\` ` +
          "(Python: `async with asyncio.TaskGroup() as tg:`); `await using` cannot see the body's error, " +
          "so the group could not cancel the sibling tasks when the body fails",
      );
    },
  });
}

function closeCoro(coro: unknown): void {
  if (coro instanceof Coroutine) coro.close();
}

async function runGroup<T>(tg: TaskGroup, body: (tg: TaskGroup) => unknown): Promise<T | undefined> {
  if (taskStorage.getStore() === undefined) {
    // Differences from Python: outside a task the group runs in a new task instead of failing.
    return createTask(() => runGroup<T>(tg, body)) as unknown as Promise<T | undefined>;
  }
  tg._enter();
  let result: T | undefined;
  try {
    result = (await asAwaitable<T>(body(tg))) as T;
  } catch (e) {
    await tg._exit(true, e);
    return undefined; // the group swallowed the error (its own cancellation)
  }
  await tg._exit(false, undefined);
  return result;
}

const runGroupCoro = coroutine(runGroup);

/**
 * Run `body(tg)` and wait for every task it creates with `tg.createTask()`. The first failing
 * task cancels the others and the body; then an {@link ExceptionGroup} of all errors is thrown.
 *
 * ```ts
 * await asyncio.taskGroup(async (tg) => {
 *   tg.createTask(() => fetchOne(1));
 *   tg.createTask(() => fetchOne(2));
 * });
 * ```
 * Resolves with the body's result, or with `undefined` in exactly one case: `tg.cancel()` (called
 * by the body or by a task) stopped the body — it was suspended, got the CancelledError and did
 * not catch it — and the group swallowed that cancellation (no task failed, nobody else cancelled
 * the awaiting task). Hence `T | undefined`: no type can tell whether `tg.cancel()` runs. A body
 * returning `void` is unaffected; otherwise narrow (`?? fallback`) or, when the group never
 * calls `tg.cancel()`, assert (`!`). A failing task or body, or a cancellation from outside, is
 * thrown, never turned into `undefined`.
 * @see https://docs.python.org/3/library/asyncio-task.html#task-groups
 */
export function taskGroup<T>(
  body: (tg: TaskGroup) => PromiseLike<T> | Generator<unknown, T, any> | T,
): Coroutine<T | undefined> {
  return new TaskGroup().run(body);
}
