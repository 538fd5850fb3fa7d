/**
 * What an argument of `createTask`, `ensureFuture`, `gather` … is: its {@link BodyKind}, classified
 * once at the public entry point and handed down (`_ensureFuture`, `_createTask`, the Task
 * constructor, the task's first step), so that no door asks again; and the refusal of what a task
 * cannot run.
 * @internal
 */
import { inspect } from "node:util";
import { isGenerator, isLazyBody } from "./coroutines.js";
import { ArgumentTypeError } from "./exceptions.js";
import { Future } from "./futures.js";
import { isReadyPromise } from "./lazy-ops.js";
import { refusalMessage } from "./promise-guard.js";

/**
 * @internal What an argument of `createTask`, `ensureFuture`, `gather` … is (see the module doc).
 */
export const BodyKind = {
  /** Not awaitable. */
  None: 0,
  /** A Future or Task (already scheduled). */
  Future: 1,
  /** A function: called inside the new task. */
  Function: 2,
  /** A generator object. */
  Generator: 3,
  /**
   * A lazy body: a Coroutine or a lazy aiots operation (see `isLazyBody`), or the ready promise of
   * an operation that completed when called (`reader.readline()` with a line buffered; `isReadyPromise`).
   */
  Lazy: 4,
  /** A promise or another thenable: already started. */
  Thenable: 5,
} as const;
/** @internal */
export type BodyKind = (typeof BodyKind)[keyof typeof BodyKind];

/** @internal `Task._gen` once the first step has run, for a body that is not a generator. */
export const STARTED = -1;

/** @internal What a task can run: a function, a generator or a lazy body. */
export function isTaskBodyKind(kind: BodyKind): boolean {
  return kind === BodyKind.Function || kind === BodyKind.Generator || kind === BodyKind.Lazy;
}

/** @internal Classify `x` (see {@link BodyKind}). */
export function kindOf(x: unknown): BodyKind {
  if (typeof x === "function") return BodyKind.Function;
  if (x === null || typeof x !== "object") return BodyKind.None;
  if (x instanceof Future) return BodyKind.Future;
  if (x instanceof Promise) return isReadyPromise(x) ? BodyKind.Lazy : BodyKind.Thenable;
  if (isLazyBody(x)) return BodyKind.Lazy;
  if (isGenerator(x)) return BodyKind.Generator;
  if (typeof (x as { then?: unknown }).then === "function") return BodyKind.Thenable;
  return BodyKind.None;
}

/**
 * @internal Refuse what a task cannot run: a Future (already scheduled), a promise that already
 * started (its first part ran in the caller's task: CPython refuses a non-coroutine here too), or
 * anything that is not awaitable.
 * @throws {ArgumentTypeError}
 */
export function checkTaskBody(coro: unknown, where: string, kind: BodyKind = kindOf(coro)): void {
  if (isTaskBodyKind(kind)) return;
  if (kind === BodyKind.Future)
    throw new ArgumentTypeError(`${where}: a coroutine was expected, got ${coro}`);
  if (kind === BodyKind.Thenable) throw new ArgumentTypeError(refusalMessage(where));
  throw new ArgumentTypeError(`${where}: a coroutine was expected, got ${inspect(coro, { depth: 0 })}`);
}
