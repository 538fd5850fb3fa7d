// Bounded queue: n items through a queue of maxsize 100, one producer and one consumer. Reports items/s.
// Usage: node --expose-gc cases/queue.mjs <contender> [n=1000000]
//   plain           a plain bounded async queue (below), producer and consumer two async functions
//   plain-lazy      the same queue with lazy get()/put() (a thenable run when awaited): the floor of
//                   a lazy operation awaited in an async function
//   aiots           aiots Queue, producer and consumer two created tasks (async functions), gathered
//   aiots-gen       the same with generator coroutines (yield*)
//   aiots-main      aiots Queue, the producer a created task, the consumer run()'s main task itself
//   aiots-gen-main  the same with generator coroutines (the main task is the consumer coroutine)
// One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
import { performance } from "node:perf_hooks";
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, threadCpu, threadCpuSince, timed } from "./_common.mjs";

const { contender, n } = parseArgs(1_000_000, [
  "plain",
  "plain-lazy",
  "aiots",
  "aiots-gen",
  "aiots-main",
  "aiots-gen-main",
]);
const MAXSIZE = 100;

/** The baseline: a bounded async queue as a competent Node developer would write it. */
class PlainQueue {
  constructor(maxsize) {
    this.maxsize = maxsize;
    this.items = [];
    this.getters = []; // resolve functions of consumers waiting for an item
    this.putters = []; // resolve functions of producers waiting for room
  }

  async put(item) {
    while (this.items.length >= this.maxsize) await new Promise((resolve) => this.putters.push(resolve));
    this.items.push(item);
    this.getters.shift()?.();
  }

  async get() {
    while (this.items.length === 0) await new Promise((resolve) => this.getters.push(resolve));
    const item = this.items.shift();
    this.putters.shift()?.();
    return item;
  }
}

/**
 * The floor of a lazy queue: PlainQueue's logic, but `get()`/`put()` return a lazy thenable that does
 * nothing until awaited (as a Python coroutine, and as aiots' operations), instead of an async
 * function's already-running promise. `await` of a thenable that is not a native promise costs the
 * engine a resolve-thenable job, a promise and two resolving functions: what every lazy operation pays.
 */
class LazyPlainQueue extends PlainQueue {
  put(item) {
    return new LazyCall(this, item, lazyPut);
  }
  get() {
    return new LazyCall(this, undefined, lazyGet);
  }
}

function lazyPut(q, item) {
  if (q.items.length >= q.maxsize) return PlainQueue.prototype.put.call(q, item);
  q.items.push(item);
  q.getters.shift()?.();
}

function lazyGet(q) {
  if (q.items.length === 0) return PlainQueue.prototype.get.call(q);
  const item = q.items.shift();
  q.putters.shift()?.();
  return item;
}

/** Runs `fn(q, arg)` when awaited; a promise it returns is adopted. */
class LazyCall {
  constructor(q, arg, fn) {
    this.q = q;
    this.arg = arg;
    this.fn = fn;
  }
  then(onfulfilled, onrejected) {
    const v = this.fn(this.q, this.arg);
    if (v instanceof Promise) return v.then(onfulfilled, onrejected);
    return onfulfilled(v);
  }
}

async function produce(q, count) {
  for (let i = 0; i < count; i++) await q.put(i);
}

async function consume(q, count) {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += await q.get();
  return sum;
}

const produceGen = asyncio.coroutine(function* (q, count) {
  for (let i = 0; i < count; i++) yield* q.put(i);
});

const consumeGen = asyncio.coroutine(function* (q, count) {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += yield* q.get();
  return sum;
});

// run()'s main task as the consumer: it creates the producer task, then consumes in its own body.
const mainGen = asyncio.coroutine(function* (count) {
  const t0 = performance.now();
  const q = new asyncio.Queue({ maxsize: MAXSIZE });
  const producer = asyncio.createTask(produceGen(q, count));
  const value = yield* consumeGen(q, count);
  yield* producer;
  return { ms: performance.now() - t0, value };
});

const impls = {
  plain: (count) =>
    timed(async () => {
      const q = new PlainQueue(MAXSIZE);
      return (await Promise.all([produce(q, count), consume(q, count)]))[1];
    }),
  "plain-lazy": (count) =>
    timed(async () => {
      const q = new LazyPlainQueue(MAXSIZE);
      return (await Promise.all([produce(q, count), consume(q, count)]))[1];
    }),
  aiots: (count) =>
    asyncio.run(async () =>
      timed(async () => {
        const q = new asyncio.Queue({ maxsize: MAXSIZE });
        const [, sum] = await asyncio.gather([
          asyncio.createTask(() => produce(q, count)),
          asyncio.createTask(() => consume(q, count)),
        ]);
        return sum;
      }),
    ),
  "aiots-gen": (count) =>
    asyncio.run(async () =>
      timed(async () => {
        const q = new asyncio.Queue({ maxsize: MAXSIZE });
        const [, sum] = await asyncio.gather([
          asyncio.createTask(produceGen(q, count)),
          asyncio.createTask(consumeGen(q, count)),
        ]);
        return sum;
      }),
    ),
  "aiots-main": (count) =>
    asyncio.run(async () =>
      timed(async () => {
        const q = new asyncio.Queue({ maxsize: MAXSIZE });
        const producer = asyncio.createTask(() => produce(q, count));
        const sum = await consume(q, count);
        await producer;
        return sum;
      }),
    ),
  "aiots-gen-main": (count) => asyncio.run(mainGen(count)),
};

function check(sum, count) {
  if (sum !== (count * (count - 1)) / 2) throw new Error(`wrong sum of items: ${sum}`);
}

const impl = impls[contender];
check((await impl(n)).value, n); // warm-up
collect();
const cpu0 = threadCpu();
const { ms, value } = await impl(n);
const cpu = threadCpuSince(cpu0);
check(value, n);
report({ case: "queue", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000, ...cpu });
