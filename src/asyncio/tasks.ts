/**
 * `Task`: a coroutine scheduled on the loop (CPython's `asyncio/tasks.py` `Task`), for both
 * coroutine forms, and the functions that make and find tasks (`createTask`, `ensureFuture`,
 * `currentTask`, `allTasks`).
 *
 * - What one step does — start the body, drive a generator, deliver a pending cancel — is
 *   task-step.ts (CPython's `Task.__step`).
 * - Each step runs with `taskStorage` set to the task, in a frame built on the root one
 *   (`taskStepScope`); an async body's later parts inherit it through their promises. Every aiots
 *   awaitable they await registers itself as one of the task's waiters (see `Future.then`), so
 *   `task.cancel()` cancels the awaits the task is suspended on; with none, the next aiots await
 *   throws.
 *
 * The cancellation model — which waiters a cancel reaches, and when — is described, with its table
 * of waiter kinds, in cancellation.ts.
 */
import type { EventLoop } from "./base-events.js";
import { BodyKind, checkTaskBody, isTaskBodyKind, kindOf, STARTED } from "./body-kind.js";
import { CANCELLED, FINISHED, PENDING, WaiterKind, WaiterSet } from "./cancellation.js";
import { type Coroutine, coroutineHooks } from "./coroutines.js";
import {
  ArgumentTypeError,
  CancelledError,
  deliveredCancelledError,
  InvalidStateError,
  RuntimeError,
  ValueError,
} from "./exceptions.js";
import { type Awaitable, captureStack, Future } from "./futures.js";
import { NOT_READY, readyValue } from "./lazy-ops.js";
import { getEventLoop, noteSuspend, requestFlush, taskStepScope, taskStorage } from "./loop-registry.js";
import { onBodyRejected, onBodyResolved, runStep, StepInput, stepInScope } from "./task-step.js";
import { wrapThenable } from "./thenable-future.js";

/**
 * Anything a task can run: a lazy coroutine (`coroutine()` call, generator object, a lazy aiots
 * operation such as `sleep(1)` or `q.get()`), or a zero-argument function returning an awaitable,
 * called inside the new task. A native `Promise` is not one: it already started in the caller (it
 * has no `[Symbol.iterator]`, so it is no `Awaitable`). Nor is a {@link Future} or a Task: it is
 * already scheduled (`createTask` throws). It matches `Awaitable` structurally: `addDoneCallback?:
 * never` keeps it out (a public member, so the check survives `stripInternal` declarations).
 */
export type TaskBody<T> =
  | Coroutine<T>
  | Generator<unknown, T, any>
  | (Awaitable<T> & { readonly addDoneCallback?: never })
  | (() => Coroutine<T> | Generator<unknown, T, any> | PromiseLike<T>);

/** Options of {@link createTask}. */
export interface TaskOptions {
  /** Task name, shown in reprs and logs (default `Task-N`). */
  name?: string;
  /** Loop to run on (default: the running loop, else the current one). */
  loop?: EventLoop;
  /** @internal Do not schedule the first step: the creator runs it at once (`startTask`). */
  eager?: boolean;
}

let taskCounter = 0;

/** `task.signal`'s controller, made when first asked for (few tasks are): not a field every task carries. */
const abortControllers = new WeakMap<Task<any>, AbortController>();

/** Debug mode: where `cancel()` was first called, per task (shown when the cancellation escapes `run()`). */
const cancelSites = new WeakMap<Task<any>, string | undefined>();

/** @internal Where `cancel()` was first called on `task` (debug mode only), for `run()`'s report. */
export function cancelSiteOf(task: Task<any>): string | undefined {
  return cancelSites.get(task);
}

const FutureProto = Future.prototype;

/**
 * A coroutine wrapped for concurrent execution on the loop.
 *
 * Cancellation is delivered at the await point: `task.cancel()` makes the `await` / `yield*` the
 * task is suspended on throw {@link CancelledError}; `finally` blocks run; the task may catch it
 * and go on. `task.signal` is aborted on the first cancel request, for foreign APIs.
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.Task
 */
export class Task<T = unknown> extends Future<T> {
  /** @internal */ _coro: TaskBody<T>;
  /**
   * @internal Until the first step, the body's {@link BodyKind} (classified once by whoever created
   * the task); then the generator the steps drive, or {@link STARTED} for a body that is not one
   * (one field for what the task runs and whether it started).
   */
  _gen: Generator<unknown, T, unknown> | BodyKind | typeof STARTED;
  /**
   * @internal The `cancel()` requests not withdrawn, times two, plus one while a request is still to
   * be delivered: one field for `_numCancelsRequested` and `_mustCancel`.
   */
  _cancelRequests = 0;

  /** @internal How many cancel requests are pending (CPython's `_num_cancels_requested`). */
  get _numCancelsRequested(): number {
    return this._cancelRequests >> 1;
  }

  /** @internal A cancel request waits to be delivered at the next suspension point (`_must_cancel`). */
  get _mustCancel(): boolean {
    return (this._cancelRequests & 1) !== 0;
  }
  /** @internal */
  set _mustCancel(v: boolean) {
    this._cancelRequests = v ? this._cancelRequests | 1 : this._cancelRequests & ~1;
  }
  /**
   * @internal What the task is suspended on (see cancellation.ts). Made at the first suspension: a
   * task whose body never awaits an aiots awaitable (most `gather` fan-outs) allocates none.
   */
  _waiters: WaiterSet | null = null;

  /** @internal The first step has run (the body was started, or the task finished before it). */
  get _started(): boolean {
    const g = this._gen;
    return typeof g !== "number" || g === STARTED;
  }
  /** @internal A string, or the number N of the default name `Task-N` (built lazily). */
  _name: string | number;

  /**
   * @internal What the next step sends into the body: a plain value, or a {@link StepInput}. Kept in
   * `_result`, which a pending task does not use; every step takes it (`runStep`) before the body can
   * finish, so a finished task's `_result` is only its own.
   */
  get _stepArg(): unknown {
    return this._result;
  }
  /** @internal */
  set _stepArg(v: unknown) {
    this._result = v as T;
  }
  /** @internal The task `currentTask()` reports during steps: the task itself (an inline runner: its owner). */
  get _ctx(): Task<any> {
    return this;
  }

  /** Prefer {@link createTask}. */
  constructor(coro: TaskBody<T>, options?: TaskOptions);
  /**
   * @internal `owner`: the task an inline runner works for (only `InlineRunner` passes one, and it
   * reports the owner as `_ctx`); `kind`: `kindOf(coro)`, already computed by the caller.
   */
  constructor(
    coro: TaskBody<T>,
    options: TaskOptions | undefined,
    owner: Task<any> | undefined,
    kind: BodyKind,
  );
  constructor(coro: TaskBody<T>, options?: TaskOptions, owner?: Task<any>, kind?: BodyKind) {
    kind ??= kindOf(coro);
    if (owner === undefined && !isTaskBodyKind(kind)) checkTaskBody(coro, "createTask()", kind);
    super(options ?? (owner !== undefined ? { loop: owner._loop } : undefined));
    this._coro = coro;
    this._gen = kind;
    this._name = options?.name === undefined ? ++taskCounter : String(options.name);
    if (owner !== undefined) {
      this._waiterKind = WaiterKind.InlineRunner;
      return;
    }
    const loop = this._loop;
    if (kind === BodyKind.Lazy) {
      loop._checkClosed();
      // An operation that completed when it was called (`reader.readline()` with a line buffered):
      // the task is done with its result now, so a cancel cannot drop what it took.
      const v = readyValue(coro as object);
      if (v !== NOT_READY) {
        this._gen = STARTED;
        FutureProto.setResult.call(this, v);
        return;
      }
    }
    // A closed loop refuses the task before any registry sees it.
    if (options?.eager !== true) loop._schedule(this);
    else loop._checkClosed();
    if (loop._debug) loop._tasks.created(this);
  }

  /** The task's name. */
  getName(): string {
    if (typeof this._name === "number") this._name = `Task-${this._name}`;
    return this._name;
  }

  /** Rename the task. */
  setName(name: unknown): void {
    this._name = String(name);
  }

  /** The coroutine (or function, generator, promise) the task runs. */
  getCoro(): TaskBody<T> {
    return this._coro;
  }

  /** An `AbortSignal` aborted (with a CancelledError) on the first cancel request. */
  get signal(): AbortSignal {
    let ac = abortControllers.get(this);
    if (ac === undefined) {
      ac = new AbortController();
      abortControllers.set(this, ac);
      if (this._numCancelsRequested > 0 || (this._state !== PENDING && this.cancelled()))
        ac.abort(new CancelledError(this._cancelMessage));
    }
    return ac.signal;
  }

  /**
   * Request cancellation: the await the task is suspended on throws CancelledError (or, if it is
   * not suspended on an aiots awaitable, the next one does).
   * @returns false when the task is already done.
   */
  override cancel(msg?: string): boolean {
    this._retrieved();
    if (this._state !== PENDING) return false;
    // An inline runner only passes the cancellation on; its owner keeps the bookkeeping.
    if (this._waiterKind === WaiterKind.InlineRunner)
      return this._waiters !== null && this._waiters.cancel(msg);
    if (this._loop._debug && !cancelSites.has(this)) cancelSites.set(this, captureStack(2));
    this._cancelRequests += 2;
    const ac = abortControllers.get(this);
    if (ac !== undefined && !ac.signal.aborted) ac.abort(new CancelledError(msg));
    if (this._waiters !== null && this._waiters.cancel(msg)) return true;
    this._mustCancel = true;
    this._cancel = msg;
    return true;
  }

  /** How many cancel requests are pending (`cancel()` calls minus `uncancel()` calls). */
  cancelling(): number {
    return this._numCancelsRequested;
  }

  /** Withdraw one cancel request; returns the number still pending. */
  uncancel(): number {
    if (this._cancelRequests >= 2) {
      this._cancelRequests -= 2;
      if (this._cancelRequests === 1) this._cancelRequests = 0; // the last one withdrawn: none to deliver
    }
    return this._numCancelsRequested;
  }

  /** @throws {RuntimeError} Tasks are completed by their coroutine only. */
  override setResult(_result: T): void {
    throw new RuntimeError("Task does not support set_result operation");
  }

  /** @throws {RuntimeError} Tasks are completed by their coroutine only. */
  override setException(_exception: unknown): void {
    throw new RuntimeError("Task does not support set_exception operation");
  }

  /** @internal Ready-queue entry: step while pending, fire callbacks once done. */
  override _runReady(): void {
    if (this._state === PENDING) this._step();
    else FutureProto._runReady.call(this);
  }

  /** @internal Wake-up: the future the task waited on is done. */
  _onFutureDone(fut: Future<any>): void {
    if (this._state !== PENDING) return;
    const fromOwnBody = fut._waiterKind === WaiterKind.OwnBody;
    if (fut._state === FINISHED && !fut._failed) {
      this._stepArg = fromOwnBody ? new StepInput(fut._result, false, true) : fut._result;
    } else {
      fut._retrieved();
      const exc = fut._state === CANCELLED ? fut._makeCancelledError() : fut._exception;
      this._stepArg = new StepInput(exc, true, fromOwnBody);
    }
    this._step();
  }

  /**
   * @internal Future.then() inside this task: remember what the task is suspended on; with a cancel
   * pending, deliver it to `fut` if its kind allows (see cancellation.ts).
   */
  _awaiting(fut: Future<any>): void {
    const waiters = (this._waiters ??= new WaiterSet());
    waiters.add(fut);
    if (
      this._mustCancel &&
      fut._state === PENDING &&
      fut._waiterKind !== WaiterKind.OwnBody &&
      !(fut._waiterKind === WaiterKind.StartedPromise && waiters.hasOtherThan(fut)) &&
      fut.cancel(this._cancelMessage)
    )
      this._mustCancel = false;
  }

  /** @internal */
  _doneAwaiting(fut: Future<any>): void {
    this._waiters?.delete(fut);
  }

  /**
   * @internal At a suspension point: take the pending cancel request, if any, and return the
   * CancelledError to throw there.
   */
  _takeCancel(): CancelledError | null {
    if (!this._mustCancel || this._state !== PENDING) return null;
    this._mustCancel = false;
    return this._newCancelledError();
  }

  /** @internal A fresh CancelledError for a pending cancel request. */
  _newCancelledError(): CancelledError {
    return deliveredCancelledError(this._cancelMessage, this._loop._debug);
  }

  /** @internal Run one step inside the task's async context (`currentTask()` is `_ctx`). */
  _step(): void {
    if (this._state !== PENDING) throw new InvalidStateError(`_step(): already done: ${this}`);
    // A first step puts the task in flight (see task-registry.ts): the registry takes it in if it is
    // still pending when the loop's next callback begins.
    if (!this._started) this._loop._tasks.started(this);
    if (taskStepScope !== null) taskStepScope.runInAsyncScope(stepInScope, this);
    else taskStorage.run(this._ctx, runStep, this);
  }

  /** @internal Schedule a step that throws `exc` into the coroutine. */
  _scheduleThrow(exc: unknown): void {
    this._stepArg = new StepInput(exc, true, false);
    this._loop._schedule(this);
  }

  /** @internal The body returned. */
  _bodyReturned(value: T): void {
    if (this._state !== PENDING) return;
    this._clearWaiters();
    if (this._mustCancel) {
      this._mustCancel = false;
      this._finish(FutureProto._setCancelled, this._cancel);
    } else {
      this._finish(FutureProto.setResult, value);
    }
  }

  /** @internal The body threw. */
  _bodyFailed(exc: unknown): void {
    if (this._state !== PENDING) return;
    this._clearWaiters();
    if (exc instanceof CancelledError) {
      this._finish(FutureProto._setCancelled, exc);
    } else {
      this._finish(FutureProto.setException, exc);
    }
  }

  /**
   * @internal Start an async body: subscribe to its promise. Called inside the task's async
   * context, so the (shared, allocation-free) callbacks find the task with `getStore()`.
   */
  _follow(p: Promise<T>): void {
    // Its first awaits are on the microtask queue: the batch lets them run before its next callback.
    requestFlush();
    // Native promises run their callbacks in the context `then` was called in (this task's).
    p.then(onBodyResolved, onBodyRejected);
  }

  /** @internal {@link _follow} for other thenables (an aiots awaitable, a user thenable): they may not, so closures. */
  _followThenable(p: PromiseLike<T>): void {
    requestFlush();
    p.then(
      (v) => {
        noteSuspend();
        this._bodyReturned(v);
      },
      (e) => {
        noteSuspend();
        this._bodyFailed(e);
      },
    );
  }

  /** @internal Complete the task with `method` and leave the loop's task registry. */
  _finish(method: (this: Future<T>, arg: any) => unknown, arg: unknown): void {
    method.call(this, arg);
    if (this._waiterKind !== WaiterKind.InlineRunner) this._loop._tasks.delete(this);
  }

  /** @internal */
  _clearWaiters(): void {
    this._waiters = null;
  }

  /** @internal */
  override _kind(): string {
    return "Task";
  }

  /** @internal */
  override _reprInfo(): string[] {
    const info = super._reprInfo();
    if (this._state === PENDING && this._numCancelsRequested > 0) info[0] = "cancelling";
    info.splice(1, 0, `name='${this.getName()}'`);
    const coro = this._coro as any;
    const coroName = coro?.name ?? (typeof coro === "function" ? coro.name : undefined);
    if (coroName) info.splice(2, 0, `coro=<${coroName}>`);
    if (this._waiters?.first != null) info.push(`wait_for=${this._waiters.first}`);
    return info;
  }
}

/**
 * A generator driven inline for the task awaiting it: its steps run as that task (`currentTask()` is
 * the owner). A subclass, so that the owner is not a field every task carries.
 */
class InlineRunner<T> extends Task<T> {
  readonly _owner: Task<any>;

  constructor(gen: Generator<unknown, T, unknown>, owner: Task<any>) {
    super(gen, undefined, owner, BodyKind.Generator);
    this._owner = owner;
  }

  override get _ctx(): Task<any> {
    return this._owner;
  }
}

/** Drive a generator inline for the task awaiting it (used by `await coroutine(function*…)()`). */
coroutineHooks.runInline = (gen) => {
  const owner = taskStorage.getStore();
  if (owner === undefined || owner._state !== PENDING) return createTask(gen);
  const runner = new InlineRunner(gen, owner);
  // Its first step runs here, in the owner's own frame (what the owner's async code set up stays
  // visible to it); later steps come from the loop, like the owner's.
  runStep(runner);
  return runner;
};

/**
 * Schedule `coro` to run as a task, concurrently with the caller.
 *
 * Accepts a `coroutine()` call, a generator object, a lazy aiots operation (`sleep(1)`), or a
 * zero-argument function returning an awaitable — the function is called inside the new task, so
 * everything it awaits belongs to it: `createTask(() => worker(q))`.
 * @throws {ArgumentTypeError} for a promise that already started (`createTask(worker(q))` with an
 * ordinary async function: its first part ran in the caller's task, so it could never be cancelled
 * on its own — CPython refuses a non-coroutine here too), a Future, or a non-awaitable.
 *
 * Differences from Python: works without a running loop (uses the current loop).
 * @see https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task
 */
export function createTask<T>(coro: TaskBody<T>, options?: TaskOptions): Task<T> {
  return _createTask(coro, kindOf(coro), options);
}

/**
 * @internal {@link createTask} of a body already classified (`kind = kindOf(coro)`). Without a
 * `loop` option the Future constructor takes `getEventLoop()`: the running loop, else the current one.
 */
export function _createTask<T>(coro: TaskBody<T>, kind: BodyKind, options?: TaskOptions): Task<T> {
  return new Task(coro, options, undefined, kind);
}

/** The task running the current code, or `null` outside any task. */
export function currentTask(): Task<unknown> | null {
  return taskStorage.getStore() ?? null;
}

/** The tasks of `loop` (default: the running or current loop) that are not done. */
export function allTasks(loop?: EventLoop): Set<Task<unknown>> {
  const l = loop ?? getEventLoop();
  const out = new Set<Task<unknown>>();
  for (const t of l._tasks) if (!t.done()) out.add(t);
  return out;
}

/**
 * Anything {@link ensureFuture}, {@link gather} and the other fan-out helpers accept: what a task
 * can run, a Future, or a promise (a foreign one such as `fetch()`: see the started-promise rule).
 *
 * A Future (or Task) is accepted as the `PromiseLike<T>` it is: there is no `Future<T>` member on
 * purpose. With one, `T` inferred from an awaitable typed as none of the members (`Awaitable<T>`
 * with an optional member, e.g. `TaskBody`'s own) also went through `Future<T>`'s
 * `[Symbol.iterator](): Generator<…, T, …>`, where the source's `Iterator.return?(value?: T)` (a
 * method's optional parameter) made `T | undefined` a candidate: `await waitFor(q.get(), 1)`,
 * `await shield(sleep(0, "x"))` were typed `T | undefined` (see test/types/).
 */
export type AwaitableLike<T> = TaskBody<T> | PromiseLike<T>;

/**
 * A Future for `aw`: a Future is returned as is, a coroutine (or function, generator) becomes a
 * Task, a promise or thenable is wrapped.
 * @throws {ArgumentTypeError} for anything else.
 * @see https://docs.python.org/3/library/asyncio-future.html#asyncio.ensure_future
 */
export function ensureFuture<T>(aw: AwaitableLike<T>, options?: { loop?: EventLoop }): Future<T> {
  return _ensureFuture(aw, kindOf(aw), options);
}

function pickLoop(options?: { loop?: EventLoop }): EventLoop {
  return options?.loop ?? getEventLoop();
}

/** @internal {@link ensureFuture} of an awaitable already classified (`kind = kindOf(aw)`). */
export function _ensureFuture<T>(
  aw: AwaitableLike<T>,
  kind: BodyKind,
  options: { loop?: EventLoop } | undefined,
): Future<T> {
  switch (kind) {
    case BodyKind.Future:
      if (options?.loop !== undefined && (aw as Future<T>)._loop !== options.loop)
        throw new ValueError(
          "The future belongs to a different loop than the one specified as the loop argument",
        );
      return aw as Future<T>;
    case BodyKind.Function:
    case BodyKind.Generator:
    case BodyKind.Lazy:
      return _createTask(aw as TaskBody<T>, kind, options);
    case BodyKind.Thenable:
      return wrapThenable(aw as PromiseLike<T>, pickLoop(options));
    default:
      throw new ArgumentTypeError("An asyncio.Future, a coroutine or an awaitable is required");
  }
}
