/**
 * Example 01 — the same two plain functions run serially, then on two worker threads, then in two
 * worker processes. (Seed tutorial, "threads and processes" section.)
 *
 * A function reaches a worker as module URL + export name (`workerFunction`), so `a` and `b` live
 * in their own module, `01-workers.ts`, which each worker imports. Threads share this program's
 * stdout; the processes inherit it.
 *
 *   npm exec -- node --import tsx examples/01-threads-processes.ts
 */
import * as asyncio from "aiots";
import { a, b } from "./01-workers.ts";

const workers = new URL("./01-workers.ts", import.meta.url);
const aRef = asyncio.workerFunction<[], void>(workers, "a");
const bRef = asyncio.workerFunction<[], void>(workers, "b");

/** Run `a` and `b` at the same time on `executor`, then shut it down (waiting for its workers). */
async function both(executor: asyncio.ThreadPoolExecutor | asyncio.ProcessPoolExecutor): Promise<void> {
  try {
    await asyncio.run(async () => {
      const loop = asyncio.getRunningLoop();
      await asyncio.gather([loop.runInExecutor(executor, aRef), loop.runInExecutor(executor, bRef)]);
    });
  } finally {
    await executor.shutdown({ wait: true });
  }
}

console.log("serial:");
a();
b();

console.log("threads:");
await both(new asyncio.ThreadPoolExecutor({ maxWorkers: 2 }));

console.log("processes:");
await both(new asyncio.ProcessPoolExecutor({ maxWorkers: 2 }));
