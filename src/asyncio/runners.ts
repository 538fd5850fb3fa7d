/**
 * `run()`: the entry point of an asyncio program (CPython's `asyncio/runners.py`).
 */

import process from "node:process";
import { isMainThread } from "node:worker_threads";
import type { EventLoop } from "./base-events.js";
import { checkTaskBody } from "./body-kind.js";
import { CancelledError, KeyboardInterrupt, RuntimeError, ValueError } from "./exceptions.js";
import { gather } from "./gather.js";
import { _getRunningLoop, newEventLoop, setEventLoop } from "./loop-registry.js";
import { allTasks, cancelSiteOf, type Task, type TaskBody } from "./tasks.js";
import { VirtualTimeLoop } from "./virtual-time.js";

/** Options of {@link run}. */
export interface RunOptions {
  /** Debug mode: slow callbacks, never-awaited coroutines, creation stacks (default `AIOTS_DEBUG`). */
  debug?: boolean;
  /** Run on a {@link VirtualTimeLoop}: timers fire at once, in order, when every task waits on time only. */
  virtualTime?: boolean;
  /** A loop to run on instead of a new one. */
  loop?: EventLoop;
  /**
   * Handle Ctrl+C like `asyncio.run` (default `true`): on the main thread, when nothing else listens
   * for SIGINT, the first SIGINT cancels the main task (its `finally` blocks run), a second one ends
   * the process as an unhandled SIGINT would.
   */
  handleSigint?: boolean;
}

/**
 * Run `main` on a new event loop and resolve with its result: creates the loop, runs `main` as a
 * task, then cancels the tasks still pending, waits for them, and closes the loop.
 *
 * `main` is a coroutine, a generator object, or a function returning an awaitable:
 * ```ts
 * await asyncio.run(async () => { await asyncio.sleep(1); return 42; });
 * ```
 * Ctrl+C cancels the main task; if it then ends cancelled, `run()` rejects with {@link KeyboardInterrupt}
 * (see {@link RunOptions.handleSigint}); left uncaught, it ends the process with status 1.
 * @throws {RuntimeError} when called while another loop is running.
 * @throws {ValueError} when `main` is not a coroutine, a generator or a function — in particular a
 * promise that already started (`run(main())` with an ordinary async function: pass `main` itself).
 * @see https://docs.python.org/3/library/asyncio-runner.html#asyncio.run
 */
export async function run<T>(main: TaskBody<T>, options?: RunOptions): Promise<T> {
  checkMain(main);
  const running = _getRunningLoop();
  if (running?.isRunning())
    throw new RuntimeError("asyncio.run() cannot be called from a running event loop");
  const loop = options?.loop ?? (options?.virtualTime ? new VirtualTimeLoop() : newEventLoop());
  if (options?.debug !== undefined) loop.setDebug(options.debug);
  setEventLoop(loop);
  const task = loop.createTask(main);
  const sigint = options?.handleSigint === false ? null : installSigint(task);
  try {
    return await loop.runUntilComplete(task);
  } catch (e) {
    if (e instanceof CancelledError && sigint !== null && sigint.count > 0 && task.uncancel() === 0) {
      throw new KeyboardInterrupt();
    }
    if (e instanceof CancelledError && task.cancelled()) throw mainCancelled(task, e);
    throw e;
  } finally {
    sigint?.remove();
    try {
      await cancelAllTasks(loop);
      await loop.shutdownDefaultExecutor(); // as asyncio.run does
    } finally {
      setEventLoop(null);
      loop.close();
    }
  }
}

/**
 * The CancelledError `run()` rejects with when its main task ended cancelled: the original one was
 * made deep inside the loop and its stack shows only aiots frames, so this one (made here, its stack
 * shows who called `run()`) names the task, its cancel message and, in debug mode, where `cancel()`
 * was called. The message stays the cancel message, as Python's.
 */
function mainCancelled(task: Task<unknown>, original: CancelledError): CancelledError {
  // No `cause`: the chain stays as CPython's (test_cancel_gather_2 checks there is none).
  const err = new CancelledError(original.message);
  const msg =
    original.message === "" ? "no cancel message" : `cancel message ${JSON.stringify(original.message)}`;
  const cancelSite = cancelSiteOf(task);
  const site =
    cancelSite === undefined
      ? "    (run in debug mode to see where cancel() was called)\n"
      : `    cancel() was called at:\n${cancelSite.replace(/^/gm, "    ")}\n`;
  const frames = (err.stack ?? "").split("\n").slice(1).join("\n");
  err.stack = `CancelledError: the main task '${task.getName()}' of run() was cancelled (${msg})\n${site}${frames}`;
  return err;
}

/** CPython's `asyncio.run` refuses a non-coroutine with ValueError; so do we, showing the fix. */
function checkMain(main: unknown): void {
  try {
    checkTaskBody(main, "run()");
  } catch (e) {
    const msg = (e as Error).message.replace(
      "Pass a function instead — e.g.",
      "Pass the function itself — run(main), run(() => main(args)) —, as for the tasks it creates:",
    );
    throw new ValueError(msg);
  }
}

async function cancelAllTasks(loop: EventLoop): Promise<void> {
  const toCancel = [...allTasks(loop)];
  if (toCancel.length === 0) return;
  for (const t of toCancel) t.cancel();
  await loop.runUntilComplete(gather(toCancel, { returnExceptions: true }));
  for (const t of toCancel) {
    if (t.cancelled()) continue;
    const exc = t.exception();
    if (exc !== null)
      loop.callExceptionHandler({
        message: "unhandled exception during asyncio.run() shutdown",
        exception: exc,
        task: t,
      });
  }
}

/** CPython's Runner SIGINT handling: the first SIGINT cancels the main task, the second is Node's. */
function installSigint(task: Task<unknown>): { count: number; remove(): void } | null {
  if (!isMainThread || process.listenerCount("SIGINT") > 0) return null;
  const state = {
    count: 0,
    remove(): void {
      process.removeListener("SIGINT", onSigint);
    },
  };
  const onSigint = (): void => {
    // A handler installed later (loop.addSignalHandler("SIGINT", …)) replaces this one, as
    // signal.signal() does for CPython's runner.
    if (process.listenerCount("SIGINT") > 1) return;
    state.count++;
    if (state.count === 1 && !task.done()) {
      task.cancel();
      return;
    }
    // Second Ctrl+C: give the signal back to Node (the process ends as on an unhandled SIGINT).
    state.remove();
    process.kill(process.pid, "SIGINT");
  };
  process.on("SIGINT", onSigint);
  return state;
}
