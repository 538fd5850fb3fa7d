/**
 * `run()`: the entry point of an asyncio program (CPython's `asyncio/runners.py`).
 */
import type { EventLoop } from "./base-events.js";
import { RuntimeError } from "./exceptions.js";
import { gather } from "./gather.js";
import { _getRunningLoop, newEventLoop, setEventLoop } from "./loop-registry.js";
import { allTasks, type TaskBody } from "./tasks.js";
import { VirtualTimeLoop } from "./virtual-time.js";

/** Options of {@link run}. */
export interface RunOptions {
  /** Debug mode: slow callbacks, never-awaited coroutines, creation stacks (default `AIOTS_DEBUG`). */
  debug?: boolean;
  /** Run on a {@link VirtualTimeLoop}: timers fire at once, in order, when every task waits on time only. */
  virtualTime?: boolean;
  /** A loop to run on instead of a new one. */
  loop?: EventLoop;
}

/**
 * Run `main` on a new event loop and resolve with its result: creates the loop, runs `main` as a
 * task, then cancels the tasks still pending, waits for them, and closes the loop.
 *
 * `main` is a coroutine, a generator object, or a function returning an awaitable:
 * ```ts
 * await asyncio.run(async () => { await asyncio.sleep(1); return 42; });
 * ```
 * @throws {RuntimeError} when called while another loop is running.
 * @see https://docs.python.org/3/library/asyncio-runner.html#asyncio.run
 */
export async function run<T>(main: TaskBody<T>, options?: RunOptions): Promise<T> {
  const running = _getRunningLoop();
  if (running?.isRunning())
    throw new RuntimeError("asyncio.run() cannot be called from a running event loop");
  const loop = options?.loop ?? (options?.virtualTime ? new VirtualTimeLoop() : newEventLoop());
  if (options?.debug !== undefined) loop.setDebug(options.debug);
  setEventLoop(loop);
  try {
    return await loop.runUntilComplete(main);
  } finally {
    try {
      await cancelAllTasks(loop);
      await loop.shutdownDefaultExecutor(); // as asyncio.run does
    } finally {
      setEventLoop(null);
      loop.close();
    }
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
