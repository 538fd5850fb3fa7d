// Bounded queue: n items through a queue of maxsize 100, one producer and one consumer. Reports items/s.
// Usage: node --expose-gc cases/queue.mjs <contender> [n=1000000]
//   plain           a plain bounded async queue (below), producer and consumer two async functions
//   aiots           aiots Queue, producer and consumer two created tasks (async functions), gathered
//   aiots-gen       the same with generator coroutines (yield*)
//   aiots-main      aiots Queue, the producer a created task, the consumer run()'s main task itself
//   aiots-gen-main  the same with generator coroutines (the main task is the consumer coroutine)
// One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
import { performance } from "node:perf_hooks";
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(1_000_000, [
  "plain",
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
const { ms, value } = await impl(n);
check(value, n);
report({ case: "queue", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000 });
