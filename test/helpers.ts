/**
 * Shared test helpers. Tests assert order and outcome, never wall-clock durations.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { test } from "node:test";
import * as asyncio from "../src/index.js";

/** Run `main` on a fresh loop with `asyncio.run`, in debug mode off unless asked. */
export function runMain<T>(
  main: () => PromiseLike<T> | Generator<unknown, T, any>,
  debug = false,
): Promise<T> {
  return asyncio.run(main as asyncio.TaskBody<T>, { debug });
}

/**
 * Collect what the core logs (slow callbacks, never-retrieved exceptions …) while `fn` runs; `fn`
 * gets the lines collected so far (a live array).
 */
export async function captureLogs<T>(
  fn: (logs: string[]) => Promise<T>,
): Promise<{ result: T; logs: string[] }> {
  const logs: string[] = [];
  const prev = asyncio.logger.handler;
  asyncio.logger.handler = (level, message) => {
    logs.push(`${level}: ${message}`);
  };
  try {
    const result = await fn(logs);
    return { result, logs };
  } finally {
    asyncio.logger.handler = prev;
  }
}

/**
 * Define the same test twice: once with async functions, once with generator coroutines.
 * `body` is either one body per form, or one body that receives the {@link Form} to run in.
 * Used for every cancellation case.
 */
export function bothForms(
  name: string,
  body: { async: () => Promise<void>; gen: () => Promise<void> } | ((form: Form) => Promise<void>),
): void {
  const forms = typeof body === "function" ? { async: () => body("async"), gen: () => body("gen") } : body;
  test(`${name} [async function]`, forms.async);
  test(`${name} [generator coroutine]`, forms.gen);
}

/** A test body that runs `fn` on a fresh loop (`asyncio.run`), e.g. for requests that need a running loop. */
export function inLoop(fn: () => Promise<void>): () => Promise<void> {
  return () => asyncio.run(fn);
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

/**
 * `yield*` to `aw` in a generator coroutine and return what it threw, or {@link NO_ERROR}.
 * Given a function, call it inside the `try` too (so a throw at the call is caught as well).
 */
export function* caughtGen(
  aw: Iterable<unknown> | (() => Iterable<unknown>),
): Generator<unknown, unknown, any> {
  try {
    yield* typeof aw === "function" ? aw() : aw;
  } catch (e) {
    return e;
  }
  return NO_ERROR;
}

/** `n` bare yields: `n` loop iterations from a generator coroutine. */
export function* runBrieflyGen(n = 1): Generator<unknown, void, any> {
  for (let i = 0; i < n; i++) yield;
}

/** A predicate for assert.rejects/throws: a TimeoutError. */
export const isTimeout = (e: unknown): boolean => e instanceof asyncio.TimeoutError;
/** A predicate for assert.rejects/throws: a CancelledError. */
export const isCancelled = (e: unknown): boolean => e instanceof asyncio.CancelledError;

/** A predicate for assert.rejects/throws: a CancelledError, with `message` when given. */
export function cancelledWith(message?: string): (e: unknown) => boolean {
  return (e: unknown) =>
    e instanceof asyncio.CancelledError && (message === undefined || e.message === message);
}

/** The current task's `cancelling()` count (call it inside a task). */
export function cancelling(): number {
  return asyncio.currentTask()!.cancelling();
}

/** Keep the loop busy (synchronously) for `ms` milliseconds, like CPython's time.sleep() in a callback. */
export function blockLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The running loop (call it inside a task). */
export function loopNow(): asyncio.EventLoop {
  return asyncio.getRunningLoop();
}

/** Settle `aw` and report how, without throwing. */
export async function outcome(aw: PromiseLike<unknown>): Promise<{ ok: boolean; value: unknown }> {
  try {
    return { ok: true, value: await aw };
  } catch (e) {
    return { ok: false, value: e };
  }
}

/** Call `fn` and await its result; return what was thrown (at the call or at the await), else {@link NO_ERROR}. */
export async function caughtCall(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return NO_ERROR;
}

/**
 * Await `p` (or call it and await the result) and return what it threw; fail the test when
 * nothing was thrown (compare {@link caughtCall}, which returns {@link NO_ERROR} then).
 */
export async function thrownBy(p: PromiseLike<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return e;
  }
  assert.fail("expected an error");
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

/** A promise with its resolve/reject exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Poll `predicate` once per `interval` seconds (at most `tries` times); false when it never held. */
export async function eventually(predicate: () => boolean, tries = 500, interval = 0.01): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, interval * 1000));
  }
  return predicate();
}

/** A port of `host` nothing listens on (bound, then closed at once); rejects when `host` cannot be bound. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const s = net.createServer();
  s.listen(0, host);
  await once(s, "listening");
  const port = (s.address() as net.AddressInfo).port;
  s.close();
  await once(s, "close");
  return port;
}
