// gather: N trivial tasks (`async (i) => i`) started together and awaited together.
// Usage: node --expose-gc cases/gather.mjs <promise|aiots|effection> [n=100000]
// One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(100_000, ["promise", "aiots", "effection"]);
const items = Array.from({ length: n }, (_, i) => i);
const body = async (i) => i;

function check(results) {
  if (results.length !== n || results[n - 1] !== n - 1) throw new Error("wrong gather result");
}

async function promiseAll() {
  return timed(() => Promise.all(items.map((i) => body(i))));
}

async function aiots() {
  return asyncio.run(async () =>
    timed(() => asyncio.gather(items.map((i) => asyncio.createTask(() => body(i))))),
  );
}

async function effection() {
  const { run, spawn, all } = await import("effection");
  // Effection tasks are generator operations: spawn each child into the scope, then wait for all.
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
check((await impl()).value); // warm-up
collect();
const { ms, value } = await impl();
check(value);
report({ case: "gather", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000 });
