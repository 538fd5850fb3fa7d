// Task tracking: n iterations of `await x` on an already-resolved x inside one task. What aiots pays on
// top of a native await for knowing which task awaits (AsyncLocalStorage lookup + reaction), in ns/await.
// Usage: node --expose-gc cases/tracking.mjs <promise|promise-task|aiots> [n=200000]
//   promise       a resolved native promise, outside any loop (raw Node)
//   promise-task  the same loop inside an aiots task (the task's AsyncLocalStorage context is active)
//   aiots         a resolved aiots Future inside an aiots task
// One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(200_000, ["promise", "promise-task", "aiots"]);

async function awaitLoop(x, count) {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += await x;
  return sum;
}

function resolvedFuture() {
  const fut = new asyncio.Future();
  fut.setResult(1);
  return fut;
}

const impls = {
  promise: (count) => timed(() => awaitLoop(Promise.resolve(1), count)),
  "promise-task": (count) =>
    asyncio.run(() => asyncio.createTask(() => timed(() => awaitLoop(Promise.resolve(1), count)))),
  aiots: (count) =>
    asyncio.run(() => asyncio.createTask(() => timed(() => awaitLoop(resolvedFuture(), count)))),
};

function check(sum) {
  if (sum !== n) throw new Error(`wrong sum: ${sum}`);
}

const impl = impls[contender];
check((await impl(n)).value); // warm-up
collect();
const { ms, value } = await impl(n);
check(value);
report({ case: "tracking", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000, nsPerOp: (ms * 1e6) / n });
