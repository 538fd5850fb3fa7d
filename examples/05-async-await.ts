/**
 * Example 05 — async/await: two async functions interleave on one thread; `asyncio.wait` runs
 * them concurrently. Then `iscoroutinefunction` / `iscoroutine`. (Seed tutorial, "async/await".)
 *
 *   npm exec -- node --import tsx examples/05-async-await.ts [seconds]
 */
import { threadId } from "node:worker_threads";
import * as asyncio from "aiots";

const seconds = Number(process.argv[2] ?? 3);

async function sleep(x: number): Promise<void> {
  for (let i = 0; i < 3; i++) {
    console.log(`sleep ${i}`);
    await asyncio.sleep(x);
  }
}

/** Prints the live threads each step: JavaScript runs the loop on the main thread only. */
async function showthread(x: number): Promise<void> {
  for (let i = 0; i < 3; i++) {
    console.log(`showthread ${i}: threads [main (threadId ${threadId})]`);
    await asyncio.sleep(x);
  }
}

const loop = asyncio.getEventLoop();
await loop.runUntilComplete(asyncio.wait([sleep(seconds), showthread(seconds)]));
loop.close();

console.log(asyncio.iscoroutinefunction(sleep));
console.log(asyncio.iscoroutine(showthread));
