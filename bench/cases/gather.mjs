// gather: N trivial tasks (`async (i) => i`) started together and awaited together.
// Usage: node --expose-gc cases/gather.mjs <promise|aiots|effection> [n=100000]
// One warm-up run in this process (same size; Effection: 1 000 tasks, it is too slow for more), then one
// measured run. Prints one JSON line.
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(100_000, ["promise", "aiots", "effection"]);
const allItems = Array.from({ length: n }, (_, i) => i);
const body = async (i) => i;

function check(results) {
  if (results.length !== n || results[n - 1] !== n - 1) throw new Error("wrong gather result");
}

async function promiseAll(items) {
  return timed(() => Promise.all(items.map((i) => body(i))));
}

async function aiots(items) {
  return asyncio.run(async () =>
    timed(() => asyncio.gather(items.map((i) => asyncio.createTask(() => body(i))))),
  );
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

const impl = { promise: promiseAll, aiots, effection }[contender];
const warmN = contender === "effection" ? Math.min(n, 1000) : n;
await impl(allItems.slice(0, warmN)); // warm-up
collect();
const { ms, value } = await impl(allItems);
check(value);
report({ case: "gather", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000 });
