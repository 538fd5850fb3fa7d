// gather: N trivial tasks (`async (i) => i`) started together and awaited together.
// Usage: node --expose-gc cases/gather.mjs <contender> [n=100000]
//   promise          Promise.all(items.map(body)): no tasks at all
//   task-floor       the floor of a task in this design (DESIGN-NOTES §2): per item one
//                    AsyncLocalStorage.run and one AbortController around the body, nothing else,
//                    all awaited by Promise.all
//   order-floor      the floor of CPython's scheduling order on Node: a minimal scheduler (see orderFloor)
//   aiots            aiots gather(items.map(i => createTask(() => body(i))))
//   aiots-promises   aiots gather of the n already-started promises of `body` (no tasks), inside run()
//   effection        Effection 4 spawn each + all
//   <x>-steady       contender <x> (task-floor, aiots) measured after 3 warm-up runs instead of 1: the
//                    steady state of a long-running process (see bench/README.md)
// One warm-up run in this process (same size; Effection: 1 000 tasks, it is too slow for more), then one
// measured run. Prints one JSON line.
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, threadCpu, threadCpuSince, timed } from "./_common.mjs";

const { contender, n } = parseArgs(100_000, [
  "promise",
  "task-floor",
  "order-floor",
  "state-floor",
  "task-floor-steady",
  "aiots",
  "aiots-steady",
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

/**
 * What asyncio's order costs at the least on Node, with a task's context entered as aiots enters it:
 * per item an object that lives until its step; a FIFO ready queue whose batch runs only what was
 * ready when it began; one async context per step (a root scope + `enterWith`); the body's promise
 * followed; one microtask hop so the body settles before the next step (a coroutine runs to its first
 * suspension inside its step); the completion reported through the ready queue (`call_soon` of done
 * callbacks). Nothing else: no cancellation, names, registry, validation or error paths.
 */
const orderScope = new AsyncResource("order-floor");
const RESOLVED = Promise.resolve();

function orderFloor(items) {
  return new Promise((resolveAll) => {
    const t0 = performance.now();
    const n = items.length;
    const results = new Array(n);
    const ready = [];
    let head = 0;
    let batchLeft = 0;
    let finished = 0;
    function enter() {
      als.enterWith(this);
      this.fn().then(onSettled);
    }
    function onSettled(value) {
      const t = als.getStore();
      t.done = true;
      t.result = value;
      ready.push(t);
    }
    function runBatches() {
      for (;;) {
        while (batchLeft > 0) {
          batchLeft--;
          const t = ready[head++];
          if (!t.done) {
            orderScope.runInAsyncScope(enter, t);
            RESOLVED.then(runBatches); // the hop: the body settles before the next step
            return;
          }
          results[t.index] = t.result;
          if (++finished === n) {
            resolveAll({ ms: performance.now() - t0, value: results });
            return;
          }
        }
        batchLeft = ready.length - head; // the next iteration: what the last one made ready
      }
    }
    for (let k = 0; k < n; k++) {
      const i = items[k];
      ready.push({ fn: () => body(i), index: k, done: false, result: undefined });
    }
    batchLeft = n;
    setImmediate(runBatches); // tasks start on the next loop iteration
  });
}

/**
 * `order-floor` with what a task must keep in asyncio: an object with CPython's Task slots (its 15
 * fields: state, result, exception, loop, callbacks, cancel message and error, log flag, source
 * traceback, coroutine, context, the future waited on, must-cancel, cancel count, name) and a done
 * callback per child, called from the ready queue as `gather`'s is. It shows what the size of that
 * state costs in the minimal scheduler.
 */
class StateTask {
  constructor(fn, index, loop) {
    this.state = 0;
    this.result = undefined;
    this.exception = null;
    this.loop = loop;
    this.callbacks = null;
    this.cancelMessage = null;
    this.cancelledExc = null;
    this.logTraceback = false;
    this.sourceTraceback = null;
    this.coro = fn;
    this.context = null;
    this.futWaiter = null;
    this.mustCancel = false;
    this.numCancelsRequested = 0;
    this.name = index;
    this.index = index;
  }
}
function stateFloor(items) {
  return new Promise((resolveAll) => {
    const t0 = performance.now();
    const n = items.length;
    const results = new Array(n);
    const ready = [];
    let head = 0;
    let batchLeft = 0;
    let finished = 0;
    function enter() {
      als.enterWith(this);
      this.coro().then(onSettled);
    }
    function onSettled(value) {
      const t = als.getStore();
      t.state = 2;
      t.result = value;
      ready.push(t);
    }
    function onChildDone(t) {
      results[t.index] = t.result;
      if (++finished === n) resolveAll({ ms: performance.now() - t0, value: results });
    }
    function runBatches() {
      for (;;) {
        while (batchLeft > 0) {
          batchLeft--;
          const t = ready[head++];
          if (t.state === 0) {
            orderScope.runInAsyncScope(enter, t);
            RESOLVED.then(runBatches);
            return;
          }
          t.callbacks(t);
          if (finished === n) return;
        }
        batchLeft = ready.length - head;
      }
    }
    for (let k = 0; k < n; k++) {
      const i = items[k];
      const t = new StateTask(() => body(i), k, null);
      t.callbacks = onChildDone;
      ready.push(t);
    }
    batchLeft = n;
    setImmediate(runBatches);
  });
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
  "order-floor": orderFloor,
  "state-floor": stateFloor,
  aiots,
  "aiots-promises": aiotsPromises,
  effection,
}[contender.replace(/-steady$/, "")];
const warmN = contender === "effection" ? Math.min(n, 1000) : n;
const warmups = contender.endsWith("-steady") ? 3 : 1;
for (let w = 0; w < warmups; w++) await impl(allItems.slice(0, warmN)); // warm-up
collect();
const cpu0 = threadCpu();
const { ms, value } = await impl(allItems);
const cpu = threadCpuSince(cpu0);
check(value);
report({ case: "gather", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000, ...cpu });
