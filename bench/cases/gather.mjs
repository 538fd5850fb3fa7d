// gather: N trivial tasks (`async (i) => i`) started together and awaited together.
// Usage: node --expose-gc cases/gather.mjs <contender> [n=100000]
//   promise          Promise.all(items.map(body)): no tasks at all
//   task-floor       the floor of a task in this design (DESIGN-NOTES §2): per item one
//                    AsyncLocalStorage.run and one AbortController around the body, nothing else,
//                    all awaited by Promise.all
//   aiots            aiots gather(items.map(i => createTask(() => body(i))))
//   aiots-promises   aiots gather of the n already-started promises of `body` (no tasks), inside run()
//   effection        Effection 4 spawn each + all
// One warm-up run in this process (same size; Effection: 1 000 tasks, it is too slow for more), then one
// measured run. Prints one JSON line.
import { AsyncLocalStorage } from "node:async_hooks";
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(100_000, [
  "promise",
  "task-floor",
  "aiots",
  "aiots-promises",
  "effection",
]);
const allItems = Array.from({ length: n }, (_, i) => i);
const body = async (i) => i;

function check(results) {
  if (results.length !== n || results[n - 1] !== n - 1) throw new Error("wrong gather result");
}

async function promiseAll(items) {
  return timed(() => Promise.all(items.map((i) => body(i))));
}

const als = new AsyncLocalStorage();

async function taskFloor(items) {
  // One context and one abort signal per task, as a task carries; the body gets the signal, as a task
  // body can reach its task's. Nothing else: no loop, no scheduling, no result bookkeeping.
  return timed(() =>
    Promise.all(
      items.map((i) =>
        als.run({}, () => {
          const ac = new AbortController();
          return body(i, ac.signal);
        }),
      ),
    ),
  );
}

async function aiots(items) {
  return asyncio.run(async () =>
    timed(() => asyncio.gather(items.map((i) => asyncio.createTask(() => body(i))))),
  );
}

async function aiotsPromises(items) {
  // Foreign (native) promises that never touch aiots: gather accepts them inside a task.
  return asyncio.run(async () => timed(() => asyncio.gather(items.map((i) => body(i)))));
}

async function effection(items) {
  const { run, spawn, all } = await import("effection");
  // Effection tasks are generator operations: spawn each child into the scope, then wait for all.
  // biome-ignore lint/correctness/useYield: the trivial body, like `async (i) => i` for the others.
  function* child(i) {
    return i;
  }
  return run(function* () {
    const t0 = performance.now();
    const tasks = [];
    for (const i of items) tasks.push(yield* spawn(() => child(i)));
    const value = yield* all(tasks);
    return { ms: performance.now() - t0, value };
  });
}

const impl = {
  promise: promiseAll,
  "task-floor": taskFloor,
  aiots,
  "aiots-promises": aiotsPromises,
  effection,
}[contender];
const warmN = contender === "effection" ? Math.min(n, 1000) : n;
await impl(allItems.slice(0, warmN)); // warm-up
collect();
const { ms, value } = await impl(allItems);
check(value);
report({ case: "gather", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000 });
