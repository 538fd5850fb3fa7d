// Port of CPython's Lib/test/test_asyncio/test_queues.py (QueueBasicTests, QueueGetTests,
// QueuePutTests, the join and shutdown mixins, the LifoQueue/PriorityQueue variants).
// One conformance suite runs for Queue, LifoQueue and PriorityQueue; each cancellation case runs
// with async functions and with generator coroutines. Ordering comes from loop iterations
// (sleep(0)) and futures; the few timers only order events, nothing measures wall-clock time.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import * as asyncio from "../../src/index.js";
import {
  bothForms,
  caughtCall as caught,
  caughtGen,
  isCancelled,
  runBriefly,
  runBrieflyGen,
  runMain,
  spawnIn as spawn,
} from "../helpers.js";

const isShutDown = (e: unknown): boolean => e instanceof asyncio.QueueShutDown;

/** What a queue shows through util.inspect (CPython's repr). */
const repr = (q: unknown): string => inspect(q);

/** Index of the item a queue kind hands out next, among the items it holds (in put order). */
type Pick = (pending: readonly number[]) => number;
const fifo: Pick = () => 0;
const lifo: Pick = (p) => p.length - 1;
const smallest: Pick = (p) => p.indexOf(Math.min(...p)); // first of equal keys: stable

/** The order in which a queue of this kind returns `items` put in that order. */
function drainOrder(pick: Pick, items: readonly number[]): number[] {
  const pending = [...items];
  const out: number[] = [];
  while (pending.length > 0) out.push(pending.splice(pick(pending), 1)[0]!);
  return out;
}

interface QueueSpec {
  name: "Queue" | "LifoQueue" | "PriorityQueue";
  make<T>(options?: asyncio.QueueOptions): asyncio.Queue<T>;
  /** What `get()` returns after putting 1, 3, 2 (CPython's test_order for the class). */
  order132: number[];
  pick: Pick;
}

/** Assert put/putNowait/get/getNowait all throw QueueShutDown (async-function form). */
async function assertShutDownEverywhere(q: asyncio.Queue<string>): Promise<void> {
  assert.ok(isShutDown(await caught(() => q.put("data"))), "put() after shutdown");
  assert.throws(() => q.putNowait("data"), asyncio.QueueShutDown);
  assert.ok(isShutDown(await caught(() => q.get())), "get() after shutdown");
  assert.throws(() => q.getNowait(), asyncio.QueueShutDown);
}

/** Generator-coroutine form of {@link assertShutDownEverywhere}. */
function* assertShutDownEverywhereGen(q: asyncio.Queue<string>): Generator<unknown, void, any> {
  assert.ok(isShutDown(yield* caughtGen(() => q.put("data"))), "put() after shutdown");
  assert.throws(() => q.putNowait("data"), asyncio.QueueShutDown);
  assert.ok(isShutDown(yield* caughtGen(() => q.get())), "get() after shutdown");
  assert.throws(() => q.getNowait(), asyncio.QueueShutDown);
}

// ---------------------------------------------------------------------------------------------
// The conformance suite shared by the three queue classes.
// ---------------------------------------------------------------------------------------------

function queueConformance(spec: QueueSpec): void {
  const { name, make, pick } = spec;
  const order = (items: readonly number[]): number[] => drainOrder(pick, items);

  describe(`${name}: basics (QueueBasicTests)`, () => {
    test(`test_repr: util.inspect shows class, maxsize, waiters (test_queues.py QueueBasicTests) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>();
        assert.ok(repr(q).startsWith(`<${name}`), repr(q));
        assert.ok(repr(q).includes("maxsize=0"), repr(q));
        assert.ok(!repr(q).includes("_getters"), repr(q));

        // A waiting getter shows up, and is gone once served.
        const q2 = make<number>();
        const getter = asyncio.createTask(() => q2.get());
        await asyncio.sleep(0);
        assert.ok(repr(q2).includes("_getters[1]"), repr(q2));
        q2.putNowait(0);
        assert.equal(await getter, 0);
        assert.ok(!repr(q2).includes("_getters"), repr(q2));

        // A waiting putter shows up, and is gone once served.
        const q3 = make<number>({ maxsize: 1 });
        q3.putNowait(1);
        const putter = asyncio.createTask(() => q3.put(2));
        await asyncio.sleep(0);
        assert.ok(repr(q3).includes("_putters[1]"), repr(q3));
        assert.ok(repr(q3).includes("maxsize=1"), repr(q3));
        q3.getNowait();
        await putter;
        assert.equal(putter.done(), true);
        assert.ok(!repr(q3).includes("_putters"), repr(q3));

        // The items held (CPython prints `_queue=[1]`; aiots prints the size).
        const q4 = make<number>();
        q4.putNowait(1);
        assert.ok(repr(q4).includes("qsize=1"), repr(q4));
      });
    });

    test(`test_str: String(queue) (test_queues.py QueueBasicTests) [${name}]`, () => {
      const q = make<number>();
      assert.ok(String(q).startsWith(`<${name}`), String(q));
      assert.ok(String(q).includes("maxsize=0"), String(q));
    });

    test(`test_empty: empty() and qsize() (test_queues.py QueueBasicTests) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>();
        assert.equal(q.empty(), true);
        assert.equal(q.qsize(), 0);
        await q.put(1);
        assert.equal(q.empty(), false);
        assert.equal(q.qsize(), 1);
        assert.equal(await q.get(), 1);
        assert.equal(q.empty(), true);
        assert.equal(q.qsize(), 0);
      });
    });

    test(`test_full: unbounded is never full, maxsize=1 is full after one put (test_queues.py QueueBasicTests) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>();
        assert.equal(q.full(), false);
        for (let i = 0; i < 100; i++) q.putNowait(i);
        assert.equal(q.full(), false);
        assert.equal(q.qsize(), 100);

        const q1 = make<number>({ maxsize: 1 });
        assert.equal(q1.full(), false);
        await q1.put(1);
        assert.equal(q1.full(), true);
        q1.getNowait();
        assert.equal(q1.full(), false);
      });
    });

    test(`test_order: ${name} returns ${JSON.stringify(spec.order132)} after putting 1, 3, 2 (test_queues.py ${name === "Queue" ? "QueueBasicTests" : `${name}Tests`}) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>();
        for (const i of [1, 3, 2]) await q.put(i);
        const items: number[] = [];
        for (let i = 0; i < 3; i++) items.push(await q.get());
        assert.deepEqual(items, spec.order132);
        assert.deepEqual(order([1, 3, 2]), spec.order132); // the model used below agrees
      });
    });

    bothForms(`test_order with interleaved put/get (test_queues.py QueueBasicTests.test_order) [${name}]`, {
      async: async () => {
        await runMain(async () => {
          const q = make<number>();
          const got: number[] = [];
          for (const i of [5, 1, 4]) await q.put(i);
          got.push(await q.get());
          for (const i of [2, 3]) await q.put(i);
          while (!q.empty()) got.push(await q.get());
          const first = order([5, 1, 4])[0]!;
          const rest = [5, 1, 4];
          rest.splice(rest.indexOf(first), 1);
          assert.deepEqual(got, [first, ...order([...rest, 2, 3])]);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const q = make<number>();
          const got: number[] = [];
          for (const i of [5, 1, 4]) yield* q.put(i);
          got.push(yield* q.get());
          for (const i of [2, 3]) yield* q.put(i);
          while (!q.empty()) got.push(yield* q.get());
          const first = order([5, 1, 4])[0]!;
          const rest = [5, 1, 4];
          rest.splice(rest.indexOf(first), 1);
          assert.deepEqual(got, [first, ...order([...rest, 2, 3])]);
        });
      },
    });

    bothForms(
      `test_maxsize: a putter blocks at maxsize and resumes after a get (test_queues.py QueueBasicTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 2 });
            assert.equal(q.maxsize, 2);
            const haveBeenPut: number[] = [];
            const t = asyncio.createTask(async () => {
              for (let i = 0; i < 3; i++) {
                await q.put(i);
                haveBeenPut.push(i);
              }
              return true;
            });
            await runBriefly(2);
            // The putter is blocked after putting two items.
            assert.deepEqual(haveBeenPut, [0, 1]);
            assert.equal(q.full(), true);
            const first = order([0, 1])[0]!;
            assert.equal(await q.get(), first);
            // Let the putter resume and put the last item.
            await asyncio.sleep(0);
            assert.deepEqual(haveBeenPut, [0, 1, 2]);
            const left = [0, 1].filter((x) => x !== first);
            assert.deepEqual([await q.get(), await q.get()], order([...left, 2]));
            assert.equal(t.done(), true);
            assert.equal(t.result(), true);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 2 });
            assert.equal(q.maxsize, 2);
            const haveBeenPut: number[] = [];
            const t = asyncio.createTask(function* () {
              for (let i = 0; i < 3; i++) {
                yield* q.put(i);
                haveBeenPut.push(i);
              }
              return true;
            });
            yield* runBrieflyGen(2);
            assert.deepEqual(haveBeenPut, [0, 1]);
            const first = order([0, 1])[0]!;
            assert.equal(yield* q.get(), first);
            yield* asyncio.sleep(0);
            assert.deepEqual(haveBeenPut, [0, 1, 2]);
            const left = [0, 1].filter((x) => x !== first);
            const a = yield* q.get();
            const b = yield* q.get();
            assert.deepEqual([a, b], order([...left, 2]));
            assert.equal(t.done(), true);
            assert.equal(t.result(), true);
          });
        },
      },
    );

    test(`argument validation: maxsize must be a number, <= 0 means unbounded (test_queues.py QueueBasicTests.test_maxsize) [${name}]`, () => {
      assert.equal(make<number>().maxsize, 0);
      assert.equal(make<number>({}).maxsize, 0);
      assert.throws(() => make<number>({ maxsize: "3" as unknown as number }), TypeError);
      assert.throws(() => make<number>({ maxsize: Number.NaN }), TypeError);
      const neg = make<number>({ maxsize: -1 });
      assert.equal(neg.maxsize, -1);
      for (let i = 0; i < 10; i++) neg.putNowait(i);
      assert.equal(neg.full(), false);
      assert.equal(neg.qsize(), 10);
    });

    test(`${name} is a Queue and async-iterable (test_queues.py QueueBasicTests) [${name}]`, () => {
      const q = make<number>();
      assert.ok(q instanceof asyncio.Queue);
      assert.equal(typeof q[Symbol.asyncIterator], "function");
    });
  });

  describe(`${name}: get (QueueGetTests)`, () => {
    bothForms(`test_blocking_get: get() of an available item (test_queues.py QueueGetTests) [${name}]`, {
      async: async () => {
        await runMain(async () => {
          const q = make<number>();
          q.putNowait(1);
          assert.equal(await q.get(), 1);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const q = make<number>();
          q.putNowait(1);
          assert.equal(yield* q.get(), 1);
        });
      },
    });

    bothForms(
      `test_get_with_putters: get() wakes a blocked putter (test_queues.py QueueGetTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 1 });
            await q.put(1);
            const putter = spawn("async", () => q.put(2));
            await runBriefly();
            assert.equal(putter.done(), false);
            assert.equal(await q.get(), 1);
            await runBriefly();
            assert.equal(putter.done(), true);
            assert.equal(putter.result(), undefined);
            assert.equal(q.getNowait(), 2);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 1 });
            yield* q.put(1);
            const putter = spawn("gen", () => q.put(2));
            yield* runBrieflyGen();
            assert.equal(putter.done(), false);
            assert.equal(yield* q.get(), 1);
            yield* runBrieflyGen();
            assert.equal(putter.done(), true);
            assert.equal(putter.result(), undefined);
            assert.equal(q.getNowait(), 2);
          });
        },
      },
    );

    bothForms(
      `test_blocking_get_wait: a blocked get() is woken by a later put (test_queues.py QueueGetTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            const started = new asyncio.Event();
            let finished = false;
            const getTask = asyncio.createTask(async () => {
              started.set();
              const res = await q.get();
              finished = true;
              return res;
            });
            await started.wait();
            assert.equal(finished, false);
            asyncio.getRunningLoop().callLater(0.01, () => q.putNowait(1));
            const res = await getTask;
            assert.equal(finished, true);
            assert.equal(res, 1);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            const started = new asyncio.Event();
            let finished = false;
            const getTask = asyncio.createTask(function* () {
              started.set();
              const res = yield* q.get();
              finished = true;
              return res;
            });
            yield* started.wait();
            assert.equal(finished, false);
            asyncio.getRunningLoop().callLater(0.01, () => q.putNowait(1));
            const res = yield* getTask;
            assert.equal(finished, true);
            assert.equal(res, 1);
          });
        },
      },
    );

    test(`test_nonblocking_get (test_queues.py QueueGetTests) [${name}]`, () => {
      const q = make<number>();
      q.putNowait(1);
      assert.equal(q.getNowait(), 1);
    });

    test(`test_nonblocking_get_exception: getNowait() on empty → QueueEmpty (test_queues.py QueueGetTests) [${name}]`, () => {
      const q = make<number>();
      assert.throws(() => q.getNowait(), asyncio.QueueEmpty);
      q.putNowait(1);
      q.getNowait();
      assert.throws(() => q.getNowait(), asyncio.QueueEmpty);
    });

    bothForms(
      `test_get_cancelled: get() under waitFor returns the item put before the timeout (test_queues.py QueueGetTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            const getTask = asyncio.createTask(async () => await asyncio.waitFor(q.get(), 60));
            await runBriefly(2); // let the task start waiting
            q.putNowait(1);
            assert.equal(await getTask, 1);
            assert.equal(q.qsize(), 0);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            const getTask = asyncio.createTask(function* () {
              return yield* asyncio.waitFor(q.get(), 60);
            });
            yield* runBrieflyGen(2);
            q.putNowait(1);
            assert.equal(yield* getTask, 1);
            assert.equal(q.qsize(), 0);
          });
        },
      },
    );

    bothForms(
      `test_get_cancelled_race: a cancelled getter does not take the next item (test_queues.py QueueGetTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>();
            const t1 = spawn("async", () => q.get());
            const t2 = spawn("async", () => q.get());
            await asyncio.sleep(0);
            t1.cancel();
            await asyncio.sleep(0);
            assert.equal(t1.done(), true);
            assert.equal(t1.cancelled(), true);
            await q.put("a");
            await asyncio.sleep(0);
            assert.equal(await t2, "a");
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>();
            const t1 = spawn("gen", () => q.get());
            const t2 = spawn("gen", () => q.get());
            yield* asyncio.sleep(0);
            t1.cancel();
            yield* asyncio.sleep(0);
            assert.equal(t1.done(), true);
            assert.equal(t1.cancelled(), true);
            yield* q.put("a");
            yield* asyncio.sleep(0);
            assert.equal(yield* t2, "a");
          });
        },
      },
    );

    bothForms(
      `test_get_with_waiting_putters: blocked putters are served in order (test_queues.py QueueGetTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>({ maxsize: 1 });
            const pa = spawn("async", () => q.put("a"));
            const pb = spawn("async", () => q.put("b"));
            assert.equal(await q.get(), "a");
            assert.equal(await q.get(), "b");
            await pa;
            await pb;
            assert.equal(q.empty(), true);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>({ maxsize: 1 });
            const pa = spawn("gen", () => q.put("a"));
            const pb = spawn("gen", () => q.put("b"));
            assert.equal(yield* q.get(), "a");
            assert.equal(yield* q.get(), "b");
            yield* pa;
            yield* pb;
            assert.equal(q.empty(), true);
          });
        },
      },
    );

    bothForms(
      `test_why_are_getters_waiting: producer and consumer through maxsize=1 finish (test_queues.py QueueGetTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 1 });
            const received: number[] = [];
            await asyncio.taskGroup(async (tg) => {
              tg.createTask(async () => {
                for (let i = 0; i < 5; i++) await q.put(i);
              });
              tg.createTask(async () => {
                for (let i = 0; i < 5; i++) received.push(await q.get());
              });
            });
            assert.deepEqual(received, [0, 1, 2, 3, 4]);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 1 });
            const received: number[] = [];
            // biome-ignore lint/correctness/useYield: the group does the waiting
            yield* asyncio.taskGroup(function* (tg) {
              tg.createTask(function* () {
                for (let i = 0; i < 5; i++) yield* q.put(i);
              });
              tg.createTask(function* () {
                for (let i = 0; i < 5; i++) received.push(yield* q.get());
              });
            });
            assert.deepEqual(received, [0, 1, 2, 3, 4]);
          });
        },
      },
    );

    bothForms(
      `test_cancelled_getters_not_being_held_in_self_getters: a timed-out get() leaves no getter behind (test_queues.py QueueGetTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 5 });
            const e = await caught(() => asyncio.waitFor(q.get(), 0.001));
            assert.ok(e instanceof asyncio.TimeoutError, String(e));
            assert.ok(!repr(q).includes("_getters"), repr(q));
            // The next item goes to the next reader, not to the abandoned getter.
            q.putNowait(7);
            assert.equal(await q.get(), 7);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 5 });
            const e = yield* caughtGen(() => asyncio.waitFor(q.get(), 0.001));
            assert.ok(e instanceof asyncio.TimeoutError, String(e));
            assert.ok(!repr(q).includes("_getters"), repr(q));
            q.putNowait(7);
            assert.equal(yield* q.get(), 7);
          });
        },
      },
    );
  });

  describe(`${name}: put (QueuePutTests)`, () => {
    bothForms(
      `test_blocking_put: put() on an unbounded queue does not block (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            await q.put(1);
            assert.equal(await q.get(), 1);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            yield* q.put(1);
            assert.equal(yield* q.get(), 1);
          });
        },
      },
    );

    bothForms(
      `test_blocking_put_wait: a blocked put() is woken by a later get (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 1 });
            const started = new asyncio.Event();
            let finished = false;
            const putTask = asyncio.createTask(async () => {
              started.set();
              await q.put(1);
              await q.put(2);
              finished = true;
            });
            asyncio.getRunningLoop().callLater(0.01, () => q.getNowait());
            await started.wait();
            assert.equal(finished, false);
            await putTask;
            assert.equal(finished, true);
            assert.equal(q.getNowait(), 2);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 1 });
            const started = new asyncio.Event();
            let finished = false;
            const putTask = asyncio.createTask(function* () {
              started.set();
              yield* q.put(1);
              yield* q.put(2);
              finished = true;
            });
            asyncio.getRunningLoop().callLater(0.01, () => q.getNowait());
            yield* started.wait();
            assert.equal(finished, false);
            yield* putTask;
            assert.equal(finished, true);
            assert.equal(q.getNowait(), 2);
          });
        },
      },
    );

    test(`test_nonblocking_put (test_queues.py QueuePutTests) [${name}]`, () => {
      const q = make<number>();
      q.putNowait(1);
      assert.equal(q.getNowait(), 1);
    });

    test(`test_nonblocking_put_exception: putNowait() on a full queue → QueueFull (test_queues.py QueuePutTests) [${name}]`, () => {
      const q = make<number>({ maxsize: 1 });
      q.putNowait(1);
      assert.throws(() => q.putNowait(2), asyncio.QueueFull);
      assert.equal(q.qsize(), 1);
      assert.equal(q.getNowait(), 1);
    });

    test(`test_float_maxsize: maxsize=1.3 holds two items (test_queues.py QueuePutTests) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>({ maxsize: 1.3 });
        q.putNowait(1);
        q.putNowait(2);
        assert.equal(q.full(), true);
        assert.throws(() => q.putNowait(3), asyncio.QueueFull);

        const q2 = make<number>({ maxsize: 1.3 });
        await q2.put(1);
        await q2.put(2);
        assert.equal(q2.full(), true);
      });
    });

    test(`test_put_cancelled: a put task and a get meet (test_queues.py QueuePutTests) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>();
        const t = asyncio.createTask(async () => {
          await q.put(1);
          return true;
        });
        assert.equal(await q.get(), 1);
        assert.equal(t.done(), true);
        assert.equal(t.result(), true);
      });
    });

    bothForms(
      `test_get_cancel_drop_one_pending_reader: cancelling a woken reader drops no item (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            let reader = spawn("async", () => q.get());
            await asyncio.sleep(0);
            q.putNowait(1);
            q.putNowait(2);
            reader.cancel();
            try {
              await reader;
            } catch (e) {
              assert.ok(isCancelled(e), String(e));
              reader = spawn("async", () => q.get()); // try again
              await reader;
            }
            const [first, second] = order([1, 2]);
            assert.equal(reader.result(), first); // the other one would mean an item was dropped
            assert.equal(q.qsize(), 1);
            assert.equal(q.getNowait(), second);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            let reader = spawn("gen", () => q.get());
            yield* asyncio.sleep(0);
            q.putNowait(1);
            q.putNowait(2);
            reader.cancel();
            try {
              yield* reader;
            } catch (e) {
              assert.ok(isCancelled(e), String(e));
              reader = spawn("gen", () => q.get());
              yield* reader;
            }
            const [first, second] = order([1, 2]);
            assert.equal(reader.result(), first);
            assert.equal(q.qsize(), 1);
            assert.equal(q.getNowait(), second);
          });
        },
      },
    );

    bothForms(
      `test_get_cancel_drop_many_pending_readers: the wake-up of a cancelled reader passes on (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            let reader2!: asyncio.Task<number>;
            let reader3!: asyncio.Task<number>;
            await asyncio.taskGroup(async (tg) => {
              const reader1 = tg.createTask(() => q.get());
              reader2 = tg.createTask(() => q.get());
              reader3 = tg.createTask(() => q.get());
              await asyncio.sleep(0);
              q.putNowait(1);
              q.putNowait(2);
              reader1.cancel();
              assert.ok(isCancelled(await caught(() => reader1)));
              await reader3;
            });
            // Which of the two readers gets which item is not defined.
            assert.deepEqual(new Set([reader2.result(), reader3.result()]), new Set([1, 2]));
            assert.equal(q.empty(), true);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            let reader2!: asyncio.Task<number>;
            let reader3!: asyncio.Task<number>;
            yield* asyncio.taskGroup(function* (tg) {
              const reader1 = tg.createTask(spawnBody(() => q.get()));
              reader2 = tg.createTask(spawnBody(() => q.get()));
              reader3 = tg.createTask(spawnBody(() => q.get()));
              yield* asyncio.sleep(0);
              q.putNowait(1);
              q.putNowait(2);
              reader1.cancel();
              assert.ok(isCancelled(yield* caughtGen(() => reader1)));
              yield* reader3;
            });
            assert.deepEqual(new Set([reader2.result(), reader3.result()]), new Set([1, 2]));
            assert.equal(q.empty(), true);
          });
        },
      },
    );

    bothForms(
      `test_put_cancel_drop: cancelling a woken writer loses no slot (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 1 });
            q.putNowait(1);
            // Putting a second item has to block.
            let writer = spawn("async", () => q.put(2));
            await asyncio.sleep(0);
            assert.equal(q.getNowait(), 1);
            writer.cancel();
            try {
              await writer;
            } catch (e) {
              assert.ok(isCancelled(e), String(e));
              writer = spawn("async", () => q.put(2)); // try again
              await writer;
            }
            assert.equal(q.getNowait(), 2);
            assert.equal(q.qsize(), 0);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 1 });
            q.putNowait(1);
            let writer = spawn("gen", () => q.put(2));
            yield* asyncio.sleep(0);
            assert.equal(q.getNowait(), 1);
            writer.cancel();
            try {
              yield* writer;
            } catch (e) {
              assert.ok(isCancelled(e), String(e));
              writer = spawn("gen", () => q.put(2));
              yield* writer;
            }
            assert.equal(q.getNowait(), 2);
            assert.equal(q.qsize(), 0);
          });
        },
      },
    );

    bothForms(
      `test_put_cancelled_race: a cancelled putter does not take the free slot (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>({ maxsize: 1 });
            const putA = spawn("async", () => q.put("a"));
            const putB = spawn("async", () => q.put("b"));
            const putC = spawn("async", () => q.put("X"));
            await asyncio.sleep(0);
            assert.equal(putA.done(), true);
            assert.equal(putB.done(), false);
            putC.cancel();
            await asyncio.sleep(0);
            assert.equal(putC.done(), true);
            assert.equal(putC.cancelled(), true);
            assert.equal(q.getNowait(), "a");
            await asyncio.sleep(0);
            assert.equal(q.getNowait(), "b");
            await putB;
            assert.equal(q.empty(), true);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>({ maxsize: 1 });
            const putA = spawn("gen", () => q.put("a"));
            const putB = spawn("gen", () => q.put("b"));
            const putC = spawn("gen", () => q.put("X"));
            yield* asyncio.sleep(0);
            assert.equal(putA.done(), true);
            assert.equal(putB.done(), false);
            putC.cancel();
            yield* asyncio.sleep(0);
            assert.equal(putC.done(), true);
            assert.equal(putC.cancelled(), true);
            assert.equal(q.getNowait(), "a");
            yield* asyncio.sleep(0);
            assert.equal(q.getNowait(), "b");
            yield* putB;
            assert.equal(q.empty(), true);
          });
        },
      },
    );

    bothForms(
      `test_put_with_waiting_getters: put() serves a waiting getter (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>();
            const t = spawn("async", () => q.get());
            await asyncio.sleep(0);
            await q.put("a");
            assert.equal(await t, "a");
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>();
            const t = spawn("gen", () => q.get());
            yield* asyncio.sleep(0);
            yield* q.put("a");
            assert.equal(yield* t, "a");
          });
        },
      },
    );

    bothForms(
      `test_why_are_putters_waiting: every freed slot wakes one putter (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 2 });
            await asyncio.taskGroup(async (tg) => {
              tg.createTask(async () => {
                await asyncio.sleep(0);
                const n = q.qsize();
                for (let i = 0; i < n; i++) q.getNowait();
              });
              for (const i of [0, 1, 2, 3]) tg.createTask(async () => await q.put(i));
            });
            assert.equal(q.qsize(), 2);
            assert.deepEqual([q.getNowait(), q.getNowait()], order([2, 3]));
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 2 });
            yield* asyncio.taskGroup(function* (tg) {
              tg.createTask(function* () {
                yield* asyncio.sleep(0);
                const n = q.qsize();
                for (let i = 0; i < n; i++) q.getNowait();
              });
              for (const i of [0, 1, 2, 3]) tg.createTask(spawnBody(() => q.put(i)));
            });
            assert.equal(q.qsize(), 2);
            assert.deepEqual([q.getNowait(), q.getNowait()], order([2, 3]));
          });
        },
      },
    );

    bothForms(
      `test_cancelled_puts_not_being_held_in_self_putters: a cancelled put() leaves no putter behind (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 1 });
            q.putNowait(1);
            const putTask = spawn("async", () => q.put(1));
            await asyncio.sleep(0);
            assert.ok(repr(q).includes("_putters[1]"), repr(q));
            putTask.cancel();
            assert.ok(isCancelled(await caught(() => putTask)));
            assert.ok(!repr(q).includes("_putters"), repr(q));
            assert.equal(q.qsize(), 1);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 1 });
            q.putNowait(1);
            const putTask = spawn("gen", () => q.put(1));
            yield* asyncio.sleep(0);
            assert.ok(repr(q).includes("_putters[1]"), repr(q));
            putTask.cancel();
            assert.ok(isCancelled(yield* caughtGen(() => putTask)));
            assert.ok(!repr(q).includes("_putters"), repr(q));
            assert.equal(q.qsize(), 1);
          });
        },
      },
    );

    bothForms(
      `test_cancelled_put_silence_value_error_exception: a putter woken then cancelled ends cancelled (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 1 });
            q.putNowait(1);
            const putTask = spawn("async", () => q.put(1));
            await asyncio.sleep(0);
            q.getNowait(); // takes the putter's waiter out of the putters
            putTask.cancel();
            const e = await caught(() => putTask);
            assert.ok(isCancelled(e), String(e));
            assert.equal(putTask.cancelled(), true);
            assert.equal(q.qsize(), 0);
            assert.ok(!repr(q).includes("_putters"), repr(q));
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 1 });
            q.putNowait(1);
            const putTask = spawn("gen", () => q.put(1));
            yield* asyncio.sleep(0);
            q.getNowait();
            putTask.cancel();
            const e = yield* caughtGen(() => putTask);
            assert.ok(isCancelled(e), String(e));
            assert.equal(putTask.cancelled(), true);
            assert.equal(q.qsize(), 0);
            assert.ok(!repr(q).includes("_putters"), repr(q));
          });
        },
      },
    );

    bothForms(
      `test_put_cancel_drop: the wake-up of a cancelled putter passes to the next putter (test_queues.py QueuePutTests) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 1 });
            q.putNowait(0);
            const w1 = spawn("async", () => q.put(1));
            const w2 = spawn("async", () => q.put(2));
            await asyncio.sleep(0);
            assert.equal(q.getNowait(), 0); // wakes w1
            w1.cancel();
            assert.ok(isCancelled(await caught(() => w1)));
            await w2; // the freed slot went to w2
            assert.equal(q.getNowait(), 2);
            assert.equal(q.empty(), true);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 1 });
            q.putNowait(0);
            const w1 = spawn("gen", () => q.put(1));
            const w2 = spawn("gen", () => q.put(2));
            yield* asyncio.sleep(0);
            assert.equal(q.getNowait(), 0);
            w1.cancel();
            assert.ok(isCancelled(yield* caughtGen(() => w1)));
            yield* w2;
            assert.equal(q.getNowait(), 2);
            assert.equal(q.empty(), true);
          });
        },
      },
    );

    // get()/put() are coroutines in CPython: nothing happens until the task runs them, so a task
    // cancelled before its first step neither takes an item nor adds one.
    bothForms(
      `a get() task cancelled before it starts takes no item (test_queues.py QueuePutTests.test_get_cancel_drop_one_pending_reader) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            q.putNowait(1);
            const reader = asyncio.createTask(q.get());
            reader.cancel();
            assert.ok(isCancelled(await caught(() => reader)));
            assert.equal(q.qsize(), 1, "the item was dropped");
            assert.equal(q.getNowait(), 1);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            q.putNowait(1);
            const reader = asyncio.createTask(q.get());
            reader.cancel();
            assert.ok(isCancelled(yield* caughtGen(() => reader)));
            assert.equal(q.qsize(), 1, "the item was dropped");
            assert.equal(q.getNowait(), 1);
          });
        },
      },
    );

    bothForms(
      `a put() task cancelled before it starts adds no item (test_queues.py QueuePutTests.test_put_cancel_drop) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>({ maxsize: 1 });
            const writer = asyncio.createTask(q.put(1));
            writer.cancel();
            assert.ok(isCancelled(await caught(() => writer)));
            assert.equal(q.qsize(), 0, "the cancelled put() added its item");
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>({ maxsize: 1 });
            const writer = asyncio.createTask(q.put(1));
            writer.cancel();
            assert.ok(isCancelled(yield* caughtGen(() => writer)));
            assert.equal(q.qsize(), 0, "the cancelled put() added its item");
          });
        },
      },
    );
  });

  describe(`${name}: taskDone/join (_QueueJoinTestMixin)`, () => {
    test(`test_task_done_underflow: taskDone() without a put → ValueError (test_queues.py _QueueJoinTestMixin) [${name}]`, () => {
      const q = make<number>();
      assert.throws(() => q.taskDone(), asyncio.ValueError);
      q.putNowait(1);
      q.getNowait();
      q.taskDone();
      assert.throws(() => q.taskDone(), asyncio.ValueError);
    });

    bothForms(
      `test_task_done: join() waits until two workers marked 100 items done (test_queues.py _QueueJoinTestMixin) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            for (let i = 0; i < 100; i++) q.putNowait(i);
            let accumulator = 0;
            let running = true;
            const worker = async (): Promise<void> => {
              while (running) {
                const item = await q.get();
                accumulator += item;
                q.taskDone();
              }
            };
            await asyncio.taskGroup(async (tg) => {
              const tasks = [tg.createTask(worker), tg.createTask(worker)];
              await q.join();
              assert.equal(accumulator, 4950);
              // Let the workers finish.
              running = false;
              for (let i = 0; i < tasks.length; i++) q.putNowait(0);
            });
            await q.join();
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            for (let i = 0; i < 100; i++) q.putNowait(i);
            let accumulator = 0;
            let running = true;
            const worker = function* (): Generator<unknown, void, any> {
              while (running) {
                const item = yield* q.get();
                accumulator += item;
                q.taskDone();
              }
            };
            yield* asyncio.taskGroup(function* (tg) {
              const tasks = [tg.createTask(worker), tg.createTask(worker)];
              yield* q.join();
              assert.equal(accumulator, 4950);
              running = false;
              for (let i = 0; i < tasks.length; i++) q.putNowait(0);
            });
            yield* q.join();
          });
        },
      },
    );

    bothForms(
      `test_join_empty_queue: join() of a fresh queue returns at once (test_queues.py _QueueJoinTestMixin) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            await q.join();
            await q.join();
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            yield* q.join();
            yield* q.join();
          });
        },
      },
    );

    test(`test_format: unfinished tasks show as tasks=N (test_queues.py _QueueJoinTestMixin) [${name}]`, () => {
      const q = make<number>();
      assert.ok(repr(q).includes("maxsize=0"), repr(q));
      assert.ok(!repr(q).includes("tasks="), repr(q));
      q.putNowait(1);
      q.putNowait(2);
      q.getNowait();
      q.getNowait();
      assert.ok(repr(q).includes("tasks=2"), repr(q));
      q.taskDone();
      assert.ok(repr(q).includes("tasks=1"), repr(q));
      q.taskDone();
      assert.ok(!repr(q).includes("tasks="), repr(q));
    });

    bothForms(
      `join() returns only after the last taskDone() (test_queues.py _QueueJoinTestMixin.test_task_done) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            for (const i of [1, 2, 3]) q.putNowait(i);
            const joiners = [spawn("async", () => q.join()), spawn("async", () => q.join())];
            for (let i = 0; i < 3; i++) q.getNowait();
            await runBriefly();
            q.taskDone();
            q.taskDone();
            await runBriefly(2);
            assert.deepEqual(
              joiners.map((j) => j.done()),
              [false, false],
            );
            q.taskDone();
            await runBriefly(2);
            assert.deepEqual(
              joiners.map((j) => j.done()),
              [true, true],
            );
            // A new put makes join() wait again.
            q.putNowait(4);
            const again = spawn("async", () => q.join());
            await runBriefly(2);
            assert.equal(again.done(), false);
            q.getNowait();
            q.taskDone();
            await again;
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            for (const i of [1, 2, 3]) q.putNowait(i);
            const joiners = [spawn("gen", () => q.join()), spawn("gen", () => q.join())];
            for (let i = 0; i < 3; i++) q.getNowait();
            yield* runBrieflyGen();
            q.taskDone();
            q.taskDone();
            yield* runBrieflyGen(2);
            assert.deepEqual(
              joiners.map((j) => j.done()),
              [false, false],
            );
            q.taskDone();
            yield* runBrieflyGen(2);
            assert.deepEqual(
              joiners.map((j) => j.done()),
              [true, true],
            );
            q.putNowait(4);
            const again = spawn("gen", () => q.join());
            yield* runBrieflyGen(2);
            assert.equal(again.done(), false);
            q.getNowait();
            q.taskDone();
            yield* again;
          });
        },
      },
    );

    bothForms(
      `a cancelled join() leaves the other joiners waiting (test_queues.py _QueueJoinTestMixin.test_task_done) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            q.putNowait(1);
            const j1 = spawn("async", () => q.join());
            const j2 = spawn("async", () => q.join());
            await runBriefly();
            j1.cancel();
            assert.ok(isCancelled(await caught(() => j1)));
            assert.equal(j2.done(), false);
            q.getNowait();
            q.taskDone();
            await j2;
            assert.equal(j2.cancelled(), false);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            q.putNowait(1);
            const j1 = spawn("gen", () => q.join());
            const j2 = spawn("gen", () => q.join());
            yield* runBrieflyGen();
            j1.cancel();
            assert.ok(isCancelled(yield* caughtGen(() => j1)));
            assert.equal(j2.done(), false);
            q.getNowait();
            q.taskDone();
            yield* j2;
            assert.equal(j2.cancelled(), false);
          });
        },
      },
    );
  });

  describe(`${name}: shutdown (_QueueShutdownTestMixin)`, () => {
    test(`test_format: a shut-down queue shows shutdown (test_queues.py _QueueShutdownTestMixin) [${name}]`, () => {
      const q = make<number>();
      q.shutdown();
      assert.ok(repr(q).includes("maxsize=0"), repr(q));
      assert.ok(repr(q).includes("shutdown"), repr(q));
    });

    bothForms(
      `test_shutdown_empty: a waiting get() throws QueueShutDown (test_queues.py _QueueShutdownTestMixin) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>();
            const getTask = spawn("async", () => q.get());
            await asyncio.sleep(0); // get() waits before the shutdown
            q.shutdown(false);
            assert.equal(q.qsize(), 0);
            await q.join();
            await asyncio.sleep(0);
            assert.equal(getTask.done(), true);
            assert.ok(isShutDown(await caught(() => getTask)));
            await assertShutDownEverywhere(q);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>();
            const getTask = spawn("gen", () => q.get());
            yield* asyncio.sleep(0);
            q.shutdown(false);
            assert.equal(q.qsize(), 0);
            yield* q.join();
            yield* asyncio.sleep(0);
            assert.equal(getTask.done(), true);
            assert.ok(isShutDown(yield* caughtGen(() => getTask)));
            yield* assertShutDownEverywhereGen(q);
          });
        },
      },
    );

    bothForms(
      `test_shutdown_nonempty: a blocked put() throws, items stay gettable, join() waits (test_queues.py _QueueShutdownTestMixin) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>({ maxsize: 1 });
            q.putNowait("data");
            const joinTask = spawn("async", () => q.join());
            const putTask = spawn("async", () => q.put("data2"));
            await asyncio.sleep(0);
            assert.equal(putTask.done(), false);

            q.shutdown(false); // unfinished tasks: 1 -> 1
            assert.equal(q.qsize(), 1);
            await asyncio.sleep(0);
            assert.equal(putTask.done(), true);
            assert.ok(isShutDown(await caught(() => putTask)));

            assert.equal(await q.get(), "data");
            await asyncio.sleep(0);
            assert.equal(joinTask.done(), false);
            await assertShutDownEverywhere(q);

            q.taskDone();
            await asyncio.sleep(0);
            assert.equal(joinTask.done(), true);
            await joinTask;
            assert.throws(() => q.taskDone(), asyncio.ValueError);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>({ maxsize: 1 });
            q.putNowait("data");
            const joinTask = spawn("gen", () => q.join());
            const putTask = spawn("gen", () => q.put("data2"));
            yield* asyncio.sleep(0);
            assert.equal(putTask.done(), false);

            q.shutdown(false);
            assert.equal(q.qsize(), 1);
            yield* asyncio.sleep(0);
            assert.equal(putTask.done(), true);
            assert.ok(isShutDown(yield* caughtGen(() => putTask)));

            assert.equal(yield* q.get(), "data");
            yield* asyncio.sleep(0);
            assert.equal(joinTask.done(), false);
            yield* assertShutDownEverywhereGen(q);

            q.taskDone();
            yield* asyncio.sleep(0);
            assert.equal(joinTask.done(), true);
            yield* joinTask;
            assert.throws(() => q.taskDone(), asyncio.ValueError);
          });
        },
      },
    );

    bothForms(
      `test_shutdown_immediate: items are dropped and join() returns (test_queues.py _QueueShutdownTestMixin) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>();
            q.putNowait("data");
            const joinTask = spawn("async", () => q.join());
            q.shutdown(true); // unfinished tasks: 1 -> 0
            assert.equal(q.qsize(), 0);
            await asyncio.sleep(0);
            assert.equal(joinTask.done(), true);
            await joinTask;
            await assertShutDownEverywhere(q);
            assert.throws(() => q.taskDone(), asyncio.ValueError);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>();
            q.putNowait("data");
            const joinTask = spawn("gen", () => q.join());
            q.shutdown(true);
            assert.equal(q.qsize(), 0);
            yield* asyncio.sleep(0);
            assert.equal(joinTask.done(), true);
            yield* joinTask;
            yield* assertShutDownEverywhereGen(q);
            assert.throws(() => q.taskDone(), asyncio.ValueError);
          });
        },
      },
    );

    bothForms(
      `test_shutdown_immediate_with_unfinished: items already taken still need taskDone() (test_queues.py _QueueShutdownTestMixin) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>();
            q.putNowait("data");
            q.putNowait("data");
            const joinTask = spawn("async", () => q.join());
            assert.equal(await q.get(), "data");
            q.shutdown(true); // unfinished tasks: 2 -> 1
            assert.equal(q.qsize(), 0);
            await asyncio.sleep(0);
            assert.equal(joinTask.done(), false);
            await assertShutDownEverywhere(q);
            q.taskDone();
            assert.throws(() => q.taskDone(), asyncio.ValueError);
            await asyncio.sleep(0);
            assert.equal(joinTask.done(), true);
            await joinTask;
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>();
            q.putNowait("data");
            q.putNowait("data");
            const joinTask = spawn("gen", () => q.join());
            assert.equal(yield* q.get(), "data");
            q.shutdown(true);
            assert.equal(q.qsize(), 0);
            yield* asyncio.sleep(0);
            assert.equal(joinTask.done(), false);
            yield* assertShutDownEverywhereGen(q);
            q.taskDone();
            assert.throws(() => q.taskDone(), asyncio.ValueError);
            yield* asyncio.sleep(0);
            assert.equal(joinTask.done(), true);
            yield* joinTask;
          });
        },
      },
    );

    bothForms(
      `shutdown(immediate) wakes every blocked getter, putter and joiner (test_queues.py _QueueShutdownTestMixin.test_shutdown_immediate) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const empty = make<string>();
            const getters = [1, 2, 3].map(() => spawn("async", () => empty.get()));
            const full = make<string>({ maxsize: 1 });
            full.putNowait("x");
            const putters = [1, 2].map(() => spawn("async", () => full.put("y")));
            const joiner = spawn("async", () => full.join());
            await runBriefly();
            assert.ok(repr(empty).includes("_getters[3]"), repr(empty));
            assert.ok(repr(full).includes("_putters[2]"), repr(full));
            empty.shutdown(true);
            full.shutdown(true);
            for (const t of [...getters, ...putters]) assert.ok(isShutDown(await caught(() => t)));
            await joiner;
            assert.equal(full.qsize(), 0);
            assert.ok(!repr(empty).includes("_getters"), repr(empty));
            assert.ok(!repr(full).includes("_putters"), repr(full));
          });
        },
        gen: async () => {
          await runMain(function* () {
            const empty = make<string>();
            const getters = [1, 2, 3].map(() => spawn("gen", () => empty.get()));
            const full = make<string>({ maxsize: 1 });
            full.putNowait("x");
            const putters = [1, 2].map(() => spawn("gen", () => full.put("y")));
            const joiner = spawn("gen", () => full.join());
            yield* runBrieflyGen();
            assert.ok(repr(empty).includes("_getters[3]"), repr(empty));
            assert.ok(repr(full).includes("_putters[2]"), repr(full));
            empty.shutdown(true);
            full.shutdown(true);
            for (const t of [...getters, ...putters]) assert.ok(isShutDown(yield* caughtGen(() => t)));
            yield* joiner;
            assert.equal(full.qsize(), 0);
            assert.ok(!repr(empty).includes("_getters"), repr(empty));
            assert.ok(!repr(full).includes("_putters"), repr(full));
          });
        },
      },
    );

    bothForms(
      `shutdown() after a put woke a getter: the getter still gets the item (test_queues.py _QueueShutdownTestMixin.test_shutdown_nonempty) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>();
            const getter = spawn("async", () => q.get());
            await runBriefly();
            q.putNowait("data"); // wakes the getter, which has not run yet
            q.shutdown();
            assert.equal(await getter, "data");
            assert.ok(isShutDown(await caught(() => q.get())));
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>();
            const getter = spawn("gen", () => q.get());
            yield* runBrieflyGen();
            q.putNowait("data");
            q.shutdown();
            assert.equal(yield* getter, "data");
            assert.ok(isShutDown(yield* caughtGen(() => q.get())));
          });
        },
      },
    );

    bothForms(
      `shutdown(immediate) after a put woke a getter: the getter throws QueueShutDown (test_queues.py _QueueShutdownTestMixin.test_shutdown_immediate) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<string>();
            const getter = spawn("async", () => q.get());
            await runBriefly();
            q.putNowait("data");
            q.shutdown(true);
            assert.ok(isShutDown(await caught(() => getter)));
            await q.join(); // the dropped item counts as done
            assert.throws(() => q.taskDone(), asyncio.ValueError);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<string>();
            const getter = spawn("gen", () => q.get());
            yield* runBrieflyGen();
            q.putNowait("data");
            q.shutdown(true);
            assert.ok(isShutDown(yield* caughtGen(() => getter)));
            yield* q.join();
            assert.throws(() => q.taskDone(), asyncio.ValueError);
          });
        },
      },
    );

    test(`shutdown() twice, and shutdown(true) after shutdown() (test_queues.py _QueueShutdownTestMixin.test_shutdown_immediate) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>();
        q.putNowait(1);
        q.putNowait(2);
        q.shutdown();
        q.shutdown();
        assert.equal(q.qsize(), 2);
        q.shutdown(true);
        assert.equal(q.qsize(), 0);
        await q.join();
        assert.ok(isShutDown(await caught(() => q.get())));
      });
    });

    test(`for await drains the items then ends at shutdown (test_queues.py _QueueShutdownTestMixin.test_shutdown_nonempty) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>();
        for (const i of [1, 3, 2]) q.putNowait(i);
        q.shutdown();
        const seen: number[] = [];
        for await (const item of q) {
          seen.push(item);
          q.taskDone();
        }
        assert.deepEqual(seen, spec.order132);
        await q.join();
      });
    });

    test(`for await follows a producer and ends when it shuts the queue down (test_queues.py _QueueShutdownTestMixin.test_shutdown_empty) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>({ maxsize: 1 });
        const producer = asyncio.createTask(async () => {
          for (let i = 0; i < 5; i++) await q.put(i);
          await q.join();
          q.shutdown();
        });
        const seen: number[] = [];
        for await (const item of q) {
          seen.push(item);
          q.taskDone();
        }
        assert.deepEqual(seen, [0, 1, 2, 3, 4]);
        await producer;
      });
    });

    test(`for await ends without the items left at shutdown(immediate) (test_queues.py _QueueShutdownTestMixin.test_shutdown_immediate) [${name}]`, async () => {
      await runMain(async () => {
        const q = make<number>();
        for (const i of [1, 3, 2]) q.putNowait(i);
        const seen: number[] = [];
        for await (const item of q) {
          seen.push(item);
          if (seen.length === 1) q.shutdown(true);
        }
        assert.deepEqual(seen, [spec.order132[0]]);
        assert.equal(q.qsize(), 0);
      });
    });

    // Found by a review: the iterator's ready steps did not ask the loop's batch to wait for the
    // consumer's microtasks, as get() does, and items went to consumers in another order.
    test(`consumers iterating with for await take items in the order of get() loops; next() is a Promise [${name}]`, async () => {
      await runMain(async () => {
        const orders: string[] = [];
        for (const form of ["for", "get"] as const) {
          const q = make<number>();
          const seen: string[] = [];
          const consumers = ["A", "B", "C"].map((n) =>
            asyncio.createTask(
              form === "for"
                ? async () => {
                    for await (const x of q) seen.push(`${n}${x}`);
                  }
                : async () => {
                    for (;;) {
                      let x: number;
                      try {
                        x = await q.get();
                      } catch (e) {
                        if (isShutDown(e)) return;
                        throw e;
                      }
                      seen.push(`${n}${x}`);
                    }
                  },
            ),
          );
          await asyncio.sleep(0);
          for (let i = 0; i < 6; i++) q.putNowait(i);
          await asyncio.sleep(0);
          await asyncio.sleep(0);
          for (let i = 6; i < 9; i++) await q.put(i);
          await asyncio.sleep(0);
          await asyncio.sleep(0);
          q.shutdown();
          await asyncio.gather(consumers);
          orders.push(seen.join(","));
        }
        assert.equal(orders[0], orders[1]);
        const q = make<number>();
        const step = q[Symbol.asyncIterator]().next();
        assert.ok(step instanceof Promise, "a waiting step is a Promise");
        q.putNowait(7);
        assert.deepEqual(await step.finally(() => {}), { done: false, value: 7 });
      });
    });

    test(`for await goes through a subclass's own get() [${name}]`, async () => {
      await runMain(async () => {
        const base = make<number>();
        const Sub = class extends (base.constructor as typeof asyncio.Queue<number>) {
          override get(): asyncio.Awaitable<number> {
            const item = super.get();
            // An async-only override: a promise (what `for await` needs; `yield*` would need more).
            return (async () => 10 * (await item))() as unknown as asyncio.Awaitable<number>;
          }
        };
        const q = new Sub();
        q.putNowait(1);
        q.putNowait(2);
        q.shutdown();
        const seen: number[] = [];
        for await (const x of q) seen.push(x);
        assert.deepEqual(seen.sort(), [10, 20]);
      });
    });

    test(`for await gives each item as it was put, a promise too (never awaited) [${name}]`, async () => {
      await runMain(async () => {
        // One item per queue: a PriorityQueue never compares a lone item.
        const p = Promise.resolve("inside");
        const fut = new asyncio.Future<string>();
        const seen: unknown[] = [];
        for (const item of [p, fut]) {
          const q = make<unknown>();
          q.putNowait(item);
          q.shutdown();
          for await (const got of q) seen.push(got);
        }
        assert.equal(seen.length, 2);
        assert.ok(seen[0] === p && seen[1] === fut, "the items themselves");
        fut.cancel();
      });
    });

    bothForms(
      `cancelling a consumer iterating the queue cancels it, no getter left (test_queues.py QueueGetTests.test_get_cancelled_race) [${name}]`,
      {
        async: async () => {
          await runMain(async () => {
            const q = make<number>();
            const seen: number[] = [];
            const consumer = asyncio.createTask(async () => {
              for await (const item of q) seen.push(item);
              return "ended";
            });
            q.putNowait(1);
            await runBriefly(2);
            assert.deepEqual(seen, [1]);
            assert.ok(repr(q).includes("_getters[1]"), repr(q));
            consumer.cancel();
            assert.ok(isCancelled(await caught(() => consumer)));
            assert.equal(consumer.cancelled(), true);
            assert.ok(!repr(q).includes("_getters"), repr(q));
            q.putNowait(2);
            assert.equal(q.getNowait(), 2);
          });
        },
        gen: async () => {
          await runMain(function* () {
            const q = make<number>();
            const seen: number[] = [];
            // The generator form of `for await`: get() until QueueShutDown.
            const consumer = asyncio.createTask(function* () {
              for (;;) {
                let item: number;
                try {
                  item = yield* q.get();
                } catch (e) {
                  if (isShutDown(e)) return "ended";
                  throw e;
                }
                seen.push(item);
              }
            });
            q.putNowait(1);
            yield* runBrieflyGen(2);
            assert.deepEqual(seen, [1]);
            assert.ok(repr(q).includes("_getters[1]"), repr(q));
            consumer.cancel();
            assert.ok(isCancelled(yield* caughtGen(() => consumer)));
            assert.equal(consumer.cancelled(), true);
            assert.ok(!repr(q).includes("_getters"), repr(q));
            q.putNowait(2);
            assert.equal(q.getNowait(), 2);
          });
        },
      },
    );
  });
}

/** A zero-argument generator function that `yield*`s `op()` (task body in the generator form). */
function spawnBody<T>(op: () => asyncio.Awaitable<T>): () => Generator<unknown, T, any> {
  return function* () {
    return yield* op();
  };
}

queueConformance({
  name: "Queue",
  make: <T>(options?: asyncio.QueueOptions) => new asyncio.Queue<T>(options),
  order132: [1, 3, 2],
  pick: fifo,
});

queueConformance({
  name: "LifoQueue",
  make: <T>(options?: asyncio.QueueOptions) => new asyncio.LifoQueue<T>(options),
  order132: [2, 3, 1],
  pick: lifo,
});

queueConformance({
  name: "PriorityQueue",
  make: <T>(options?: asyncio.QueueOptions) => new asyncio.PriorityQueue<T>(options),
  order132: [1, 2, 3],
  pick: smallest,
});

// ---------------------------------------------------------------------------------------------
// PriorityQueue ordering: Python's heapq order of numbers, strings and tuples, or a compare.
// ---------------------------------------------------------------------------------------------

function drain<T>(q: asyncio.Queue<T>): T[] {
  const out: T[] = [];
  while (!q.empty()) out.push(q.getNowait());
  return out;
}

describe("PriorityQueue ordering (PriorityQueueTests)", () => {
  test("test_order: numbers smallest first, negatives and floats included (test_queues.py PriorityQueueTests)", () => {
    const q = new asyncio.PriorityQueue<number>();
    const items = [5, -1, 3.5, 0, 2, 10, -7.25, 3];
    for (const i of items) q.putNowait(i);
    assert.deepEqual(
      drain(q),
      [...items].sort((a, b) => a - b),
    );
  });

  test("test_order: strings in Python order (test_queues.py PriorityQueueTests)", () => {
    const q = new asyncio.PriorityQueue<string>();
    for (const s of ["pear", "apple", "Zebra", "banana", "", "app"]) q.putNowait(s);
    assert.deepEqual(drain(q), ["", "Zebra", "app", "apple", "banana", "pear"]);
  });

  test("test_order: strings compare by code point like Python, astral characters last (test_queues.py PriorityQueueTests)", () => {
    // Python compares str by code point: U+FF21 < U+1F600. UTF-16 code units would put the
    // emoji (surrogate 0xD83D) first.
    const q = new asyncio.PriorityQueue<string>();
    for (const s of ["\u{1F600}", "\uFF21", "a"]) q.putNowait(s);
    assert.deepEqual(drain(q), ["a", "\uFF21", "\u{1F600}"]);
  });

  test("test_order: arrays compare like Python tuples, element by element, shorter first (test_queues.py PriorityQueueTests)", () => {
    const q = new asyncio.PriorityQueue<unknown[]>();
    const items: unknown[][] = [[2, "a"], [1, "b"], [1, "a"], [1], [], [1, "a", 0], [0, "z", 9]];
    for (const t of items) q.putNowait(t);
    assert.deepEqual(drain(q), [[], [0, "z", 9], [1], [1, "a"], [1, "a", 0], [1, "b"], [2, "a"]]);
  });

  test("test_order: nested arrays compare recursively (test_queues.py PriorityQueueTests)", () => {
    const q = new asyncio.PriorityQueue<unknown[]>();
    for (const t of [
      [1, [2, 3]],
      [1, [2]],
      [0, [9]],
      [1, [1, 9]],
    ])
      q.putNowait(t);
    assert.deepEqual(drain(q), [
      [0, [9]],
      [1, [1, 9]],
      [1, [2]],
      [1, [2, 3]],
    ]);
  });

  test("test_order: [priority, payload] with distinct priorities never compares payloads (test_queues.py PriorityQueueTests)", () => {
    const q = new asyncio.PriorityQueue<[number, { job: string }]>();
    const jobs: [number, { job: string }][] = [
      [3, { job: "c" }],
      [1, { job: "a" }],
      [2, { job: "b" }],
    ];
    for (const j of jobs) q.putNowait(j);
    assert.deepEqual(
      drain(q).map(([, p]) => p.job),
      ["a", "b", "c"],
    );
  });

  test("test_order: a compare function orders the items (test_queues.py PriorityQueueTests)", async () => {
    await runMain(async () => {
      interface Job {
        prio: number;
        name: string;
      }
      const q = new asyncio.PriorityQueue<Job>({ compare: (a, b) => b.prio - a.prio }); // largest first
      for (const [prio, name] of [
        [1, "low"],
        [5, "high"],
        [3, "mid"],
      ] as const)
        await q.put({ prio, name });
      const names: string[] = [];
      while (!q.empty()) names.push((await q.get()).name);
      assert.deepEqual(names, ["high", "mid", "low"]);
    });
  });

  test("test_order: equal keys come out in insertion order (compare function) (test_queues.py PriorityQueueTests)", () => {
    interface Job {
      prio: number;
      seq: number;
    }
    const q = new asyncio.PriorityQueue<Job>({ compare: (a, b) => a.prio - b.prio });
    const jobs: Job[] = [];
    for (let seq = 0; seq < 60; seq++) jobs.push({ prio: (seq * 7) % 3, seq });
    for (const j of jobs) q.putNowait(j);
    // Interleave gets and puts so the heap is reshuffled on the way.
    const out: Job[] = [];
    for (let i = 0; i < 10; i++) out.push(q.getNowait());
    const late: Job[] = [];
    for (let seq = 60; seq < 70; seq++) late.push({ prio: seq % 3, seq });
    for (const j of late) q.putNowait(j);
    out.push(...drain(q));
    const expectedFirst = [...jobs].sort((a, b) => a.prio - b.prio || a.seq - b.seq).slice(0, 10);
    assert.deepEqual(
      out.slice(0, 10).map((j) => j.seq),
      expectedFirst.map((j) => j.seq),
    );
    const rest = [...jobs.filter((j) => !expectedFirst.includes(j)), ...late].sort(
      (a, b) => a.prio - b.prio || a.seq - b.seq,
    );
    assert.deepEqual(
      out.slice(10).map((j) => j.seq),
      rest.map((j) => j.seq),
    );
  });

  test("test_order: equal arrays come out in insertion order (test_queues.py PriorityQueueTests)", () => {
    const q = new asyncio.PriorityQueue<unknown[]>();
    const a1 = [1, "x"];
    const b = [0, "y"];
    const a2 = [1, "x"];
    const a3 = [1, "x"];
    for (const t of [a1, b, a2, a3]) q.putNowait(t);
    const out = drain(q);
    assert.equal(out[0], b);
    assert.equal(out[1], a1);
    assert.equal(out[2], a2);
    assert.equal(out[3], a3);
  });

  bothForms(
    "incomparable items → TypeError on put, the queue unchanged (test_queues.py PriorityQueueTests.test_order)",
    {
      async: async () => {
        await runMain(async () => {
          const q = new asyncio.PriorityQueue<unknown>();
          await q.put(1);
          assert.throws(() => q.putNowait("a"), TypeError);
          const e = await caught(() => q.put("a"));
          assert.ok(e instanceof TypeError, String(e));
          // Equal priorities with payloads that cannot be compared, like Python's (1, {}) < (1, {}).
          const q2 = new asyncio.PriorityQueue<unknown>();
          q2.putNowait([1, {}]);
          assert.throws(() => q2.putNowait([1, {}]), TypeError);
          assert.equal(q2.qsize(), 1);
          // The failed puts left nothing behind: one item, one taskDone.
          assert.equal(q.qsize(), 1);
          assert.equal(await q.get(), 1);
          q.taskDone();
          await q.join();
          assert.throws(() => q.taskDone(), asyncio.ValueError);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const q = new asyncio.PriorityQueue<unknown>();
          yield* q.put(1);
          assert.throws(() => q.putNowait("a"), TypeError);
          const e = yield* caughtGen(() => q.put("a"));
          assert.ok(e instanceof TypeError, String(e));
          const q2 = new asyncio.PriorityQueue<unknown>();
          q2.putNowait([1, {}]);
          assert.throws(() => q2.putNowait([1, {}]), TypeError);
          assert.equal(q2.qsize(), 1);
          assert.equal(q.qsize(), 1);
          assert.equal(yield* q.get(), 1);
          q.taskDone();
          yield* q.join();
          assert.throws(() => q.taskDone(), asyncio.ValueError);
        });
      },
    },
  );

  test("a TypeError deep in the heap loses and duplicates no queued item (test_queues.py PriorityQueueTests.test_order)", () => {
    // [1, 5] is comparable with the root and with [2, 0], but not with [1, "x"] (5 vs "x"), which
    // is met only two levels up the heap.
    const q = new asyncio.PriorityQueue<unknown[]>();
    const items: unknown[][] = [
      [0, 0],
      [1, "x"],
      [0, 1],
      [2, 0],
      [2, 1],
      [0, 2],
      [0, 3],
    ];
    for (const t of items) q.putNowait(t);
    assert.throws(() => q.putNowait([1, 5]), TypeError);
    assert.equal(q.qsize(), items.length);
    assert.deepEqual(drain(q), [
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
      [1, "x"],
      [2, 0],
      [2, 1],
    ]);
  });

  test("the first item is never compared, as with heapq on an empty list (test_queues.py PriorityQueueTests.test_order)", () => {
    const q = new asyncio.PriorityQueue<object>();
    const only = {};
    q.putNowait(only);
    assert.throws(() => q.putNowait({}), TypeError);
    assert.equal(q.getNowait(), only);
  });

  test("argument validation: compare must be a function (test_queues.py PriorityQueueTests)", () => {
    assert.throws(
      () => new asyncio.PriorityQueue<number>({ compare: 3 as unknown as (a: number, b: number) => number }),
      TypeError,
    );
    assert.throws(() => new asyncio.PriorityQueue<number>({ maxsize: "x" as unknown as number }), TypeError);
    const q = new asyncio.PriorityQueue<number>({ maxsize: 2, compare: (a, b) => a - b });
    assert.equal(q.maxsize, 2);
  });

  test("pythonCompare: numbers, strings, arrays like tuples; TypeError otherwise (test_queues.py PriorityQueueTests)", () => {
    const sign = (n: number): number => Math.sign(n);
    assert.equal(sign(asyncio.pythonCompare(1, 2)), -1);
    assert.equal(sign(asyncio.pythonCompare(2.5, 2)), 1);
    assert.equal(asyncio.pythonCompare(3, 3), 0);
    assert.equal(sign(asyncio.pythonCompare("a", "b")), -1);
    assert.equal(asyncio.pythonCompare("x", "x"), 0);
    assert.equal(sign(asyncio.pythonCompare([1, 2], [1, 3])), -1);
    assert.equal(sign(asyncio.pythonCompare([1, 2], [1])), 1);
    assert.equal(asyncio.pythonCompare([1, "a"], [1, "a"]), 0);
    assert.equal(sign(asyncio.pythonCompare([0, {}], [1, {}])), -1); // decided before the payload
    assert.throws(() => asyncio.pythonCompare(1, "1"), TypeError);
    assert.throws(() => asyncio.pythonCompare({}, {}), TypeError);
    assert.throws(() => asyncio.pythonCompare(null, null), TypeError);
    assert.throws(() => asyncio.pythonCompare([1, {}], [1, {}]), TypeError);
  });
});

describe("LifoQueue (LifoQueueTests)", () => {
  bothForms("test_order: the newest item first, also across blocking gets (test_queues.py LifoQueueTests)", {
    async: async () => {
      await runMain(async () => {
        const q = new asyncio.LifoQueue<number>();
        const getter = spawn("async", () => q.get());
        await runBriefly();
        q.putNowait(1); // goes straight to the waiting getter's turn
        q.putNowait(2);
        assert.equal(await getter, 2);
        q.putNowait(3);
        assert.deepEqual([await q.get(), await q.get()], [3, 1]);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const q = new asyncio.LifoQueue<number>();
        const getter = spawn("gen", () => q.get());
        yield* runBrieflyGen();
        q.putNowait(1);
        q.putNowait(2);
        assert.equal(yield* getter, 2);
        q.putNowait(3);
        const a = yield* q.get();
        const b = yield* q.get();
        assert.deepEqual([a, b], [3, 1]);
      });
    },
  });
});

describe("a waiting put()/get() closed with its coroutine", () => {
  // CPython's Queue.put/get clean up in a bare `except:`, which a coroutine's close() (GeneratorExit)
  // reaches too: the waiter leaves the line, and the next wake-up goes to the next waiter.
  for (const op of ["put", "get"] as const) {
    test(`a ${op}() closed while it waits leaves the line: the next waiter gets the wake-up`, async () => {
      await runMain(async () => {
        const q = new asyncio.Queue<number>({ maxsize: 1 });
        if (op === "put") q.putNowait(0);
        const closed = (function* (): Generator<unknown, void, unknown> {
          if (op === "put") yield* q.put(1);
          else yield* q.get();
        })();
        const parked = closed.next(); // parks on the putters (getters)
        assert.equal(parked.done, false);
        const next = asyncio.createTask(function* (): Generator<unknown, number | undefined, unknown> {
          if (op === "put") {
            yield* q.put(2);
            return undefined;
          }
          return yield* q.get();
        });
        await asyncio.sleep(0); // the task parks behind the closed one
        closed.return(undefined);
        assert.ok((parked.value as asyncio.Future<void>).cancelled());
        // A slot frees (an item arrives): its wake-up goes to the task.
        if (op === "put") assert.equal(q.getNowait(), 0);
        else q.putNowait(7);
        const got = await asyncio.waitFor(next, 5);
        if (op === "put") assert.equal(q.getNowait(), 2);
        else assert.equal(got, 7);
      });
    });
  }
});

describe("the waiting put()/get() as an iterator (driven by hand, as yield* drives it)", () => {
  test("woken, then closed before it ran: the wake-up passes on to the next putter", async () => {
    await runMain(async () => {
      const q = new asyncio.Queue<number>({ maxsize: 1 });
      q.putNowait(0);
      const closed = (function* (): Generator<unknown, void, unknown> {
        yield* q.put(1);
      })();
      const parked = closed.next();
      const next = asyncio.createTask(function* (): Generator<unknown, void, unknown> {
        yield* q.put(2);
      });
      await asyncio.sleep(0); // the task parks behind
      assert.equal(q.getNowait(), 0); // wakes the first putter (the closed one, soon)
      assert.equal((parked.value as asyncio.Future<void>).done(), true);
      closed.return(undefined); // closed before it ran: its wake-up goes on
      await asyncio.waitFor(next, 5);
      assert.deepEqual([q.getNowait(), q.qsize()], [2, 0]);
    });
  });

  test("after it finished: next() is done, throw() rethrows, return() returns, and the queue is untouched", async () => {
    await runMain(async () => {
      const q = new asyncio.Queue<number>();
      const it = (q.get() as unknown as Iterable<unknown>)[Symbol.iterator]();
      const parked = it.next();
      assert.equal(parked.done, false);
      q.putNowait(5);
      await asyncio.sleep(0);
      assert.deepEqual(it.next(), { done: true, value: 5 });
      q.putNowait(6);
      assert.deepEqual(it.next(), { done: true, value: undefined });
      const boom = new Error("boom");
      assert.throws(
        () => it.throw!(boom),
        (e) => e === boom,
      );
      assert.deepEqual(it.return!(1), { done: true, value: 1 });
      assert.deepEqual([q.qsize(), q.getNowait()], [1, 6]);
    });
  });

  test("a waiter that failed throws its exception into the operation, which leaves the line (yield* fut's result())", async () => {
    await runMain(async () => {
      const q = new asyncio.Queue<number>();
      const first = (function* (): Generator<unknown, number, unknown> {
        return yield* q.get();
      })();
      const parked = first.next();
      const next = asyncio.createTask(function* (): Generator<unknown, number, unknown> {
        return yield* q.get();
      });
      await asyncio.sleep(0);
      const boom = new Error("waiter failed");
      (parked.value as asyncio.Future<void>).setException(boom);
      assert.throws(
        () => first.next(),
        (e) => e === boom,
      );
      q.putNowait(3); // the first getter left the line: the item's wake-up goes to the task
      assert.equal(await asyncio.waitFor(next, 5), 3);
    });
  });
});
