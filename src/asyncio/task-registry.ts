/**
 * `TaskRegistry`: the pending tasks of a loop, what `allTasks()` lists and what `run()` cancels at
 * its end (CPython keeps them in `_scheduled_tasks`, a WeakSet, and a set for eager tasks).
 *
 * Where a pending task is, and how the registry finds it:
 *
 * | the task                                              | found through                              |
 * | ----------------------------------------------------- | ------------------------------------------ |
 * | made, its first step not run yet                      | the loop's ready queue (scanned)           |
 * | in its first step, or its async body still running   | `loop._inFlight` (one task at a time)      |
 * | suspended after that                                  | a Set                                      |
 * | any, in debug mode                                    | weak references, from the moment it is made |
 *
 * A task joins the Set only if it is still pending when the next callback begins. Most async bodies a
 * `gather` fans out settle within the pause that follows their first step, so they never touch it. (An
 * intrusive list through the tasks cost every task two fields, and unlinking wrote into two neighbours
 * scattered over the heap: a tenth of a trivial task's time.)
 */
import type { EventLoop } from "./base-events.js";
import { PENDING } from "./cancellation.js";
import { sourceTracebackOf } from "./futures.js";
import { Task } from "./tasks.js";

/** A pending task whose first step has not run (what the ready queue holds for it). */
function isUnstarted(r: unknown): r is Task<any> {
  return r instanceof Task && !r._started && r._state === PENDING;
}

/** The pending tasks of one loop (see the module doc). */
export class TaskRegistry implements Iterable<Task<any>> {
  #suspended = new Set<Task<any>>();
  #weakRefs: Set<WeakRef<Task<any>>> | null = null;
  /** Each task's entry in `#weakRefs` (a task is tracked once, and leaves without a scan). */
  #weakRefOf: WeakMap<Task<any>, WeakRef<Task<any>>> | null = null;
  #finalizer: FinalizationRegistry<{ repr: string; stack: string | undefined }> | null = null;

  constructor(readonly loop: EventLoop) {}

  /** A task was made. Only debug mode tracks it from now on (to report it if collected while pending). */
  created(task: Task<any>): void {
    if (this.loop._debug) this.#addWeak(task);
  }

  /** The task's first step begins: it is in flight until the loop's next callback. */
  started(task: Task<any>): void {
    if (this.loop._debug) {
      this.#addWeak(task);
      return;
    }
    this.settleInFlight();
    this.loop._inFlight = task;
  }

  /** The loop is about to run a callback: the task in flight joins the Set if it is still pending. */
  settleInFlight(): void {
    const task = this.loop._inFlight;
    if (task === null) return;
    this.loop._inFlight = null;
    if (task._state === PENDING) this.#suspended.add(task);
  }

  /** The loop is closing and drops its ready queue: its unstarted tasks join the Set. */
  keepUnstarted(): void {
    this.settleInFlight();
    for (const r of this.loop._ready) if (isUnstarted(r)) this.#suspended.add(r);
  }

  /** The task is done. */
  delete(task: Task<any>): void {
    if (this.loop._inFlight === task) {
      this.loop._inFlight = null;
    } else {
      this.#suspended.delete(task);
    }
    const ref = this.#weakRefOf?.get(task);
    if (ref !== undefined) {
      this.#weakRefOf!.delete(task);
      this.#weakRefs!.delete(ref);
      this.#finalizer!.unregister(ref);
    }
  }

  #addWeak(task: Task<any>): void {
    this.#weakRefOf ??= new WeakMap();
    if (this.#weakRefOf.has(task)) return;
    this.#weakRefs ??= new Set();
    this.#finalizer ??= new FinalizationRegistry((held) => {
      this.loop.callExceptionHandler({
        message: "Task was destroyed but it is pending!",
        task: held.repr,
        sourceTraceback: held.stack,
      });
    });
    const ref = new WeakRef(task);
    this.#weakRefOf.set(task, ref);
    this.#weakRefs.add(ref);
    this.#finalizer.register(task, { repr: String(task), stack: sourceTracebackOf(task) }, ref);
  }

  /** Every pending task (a task may come twice: `allTasks()` collects them in a Set). */
  *[Symbol.iterator](): Iterator<Task<any>> {
    const inFlight = this.loop._inFlight;
    if (inFlight !== null && inFlight._state === PENDING) yield inFlight;
    yield* this.#suspended;
    for (const r of this.loop._ready) if (isUnstarted(r)) yield r;
    if (this.#weakRefs === null) return;
    for (const ref of this.#weakRefs) {
      const t = ref.deref();
      if (t === undefined) this.#weakRefs.delete(ref);
      else yield t;
    }
  }
}
