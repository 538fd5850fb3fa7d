/**
 * Shared test helpers. Tests assert order and outcome, never wall-clock durations.
 */
import { test } from "node:test";
import * as asyncio from "../src/index.js";

/** Run `main` on a fresh loop with `asyncio.run`, in debug mode off unless asked. */
export function runMain<T>(
  main: () => PromiseLike<T> | Generator<unknown, T, any>,
  debug = false,
): Promise<T> {
  return asyncio.run(main as asyncio.TaskBody<T>, { debug });
}

/** Collect what the core logs (slow callbacks, never-retrieved exceptions …) while `fn` runs. */
export async function captureLogs<T>(fn: () => Promise<T>): Promise<{ result: T; logs: string[] }> {
  const logs: string[] = [];
  const prev = asyncio.logger.handler;
  asyncio.logger.handler = (level, message) => {
    logs.push(`${level}: ${message}`);
  };
  try {
    const result = await fn();
    return { result, logs };
  } finally {
    asyncio.logger.handler = prev;
  }
}

/**
 * Define the same test twice: once with async functions, once with generator coroutines.
 * `make` receives the form and returns the test body. Used for every cancellation case.
 */
export function bothForms(
  name: string,
  body: { async: () => Promise<void>; gen: () => Promise<void> },
): void {
  test(`${name} [async function]`, body.async);
  test(`${name} [generator coroutine]`, body.gen);
}

/** Spin the loop `n` iterations (CPython's test_utils.run_briefly). */
export async function runBriefly(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await asyncio.sleep(0);
}

/** What {@link caught} returns when the awaitable did not throw. */
export const NO_ERROR = Symbol("no error");

/** Await `aw` and return what it threw, or {@link NO_ERROR}. */
export async function caught(aw: PromiseLike<unknown>): Promise<unknown> {
  try {
    await aw;
  } catch (e) {
    return e;
  }
  return NO_ERROR;
}

/** `yield*` to `aw` in a generator coroutine and return what it threw, or {@link NO_ERROR}. */
export function* caughtGen(aw: Iterable<unknown>): Generator<unknown, unknown, any> {
  try {
    yield* aw;
  } catch (e) {
    return e;
  }
  return NO_ERROR;
}

/** `n` bare yields: `n` loop iterations from a generator coroutine. */
export function* runBrieflyGen(n = 1): Generator<unknown, void, any> {
  for (let i = 0; i < n; i++) yield;
}

export const isTimeout = (e: unknown): boolean => e instanceof asyncio.TimeoutError;
export const isCancelled = (e: unknown): boolean => e instanceof asyncio.CancelledError;

/** Call `fn` and await its result; return what was thrown (at the call or at the await), else {@link NO_ERROR}. */
export async function caughtCall(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return NO_ERROR;
}

/** The two coroutine forms every cancellation case runs in. */
export type Form = "async" | "gen";

/** A task that awaits `op()` in the given coroutine form (`await` or `yield*`). */
export function spawnIn<T>(form: Form, op: () => asyncio.Awaitable<T>): asyncio.Task<T> {
  if (form === "async")
    return asyncio.createTask(async (): Promise<T> => {
      return await op();
    });
  return asyncio.createTask(function* (): Generator<unknown, T, any> {
    return yield* op();
  });
}
