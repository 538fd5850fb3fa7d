// No starvation through fast paths (issue 8 §2): operations that complete at once still resume the
// awaiting async function through a microtask, so two tasks handing items to each other through a
// queue that never fills nor empties would alternate on microtasks forever and the loop — timers,
// I/O, every other task — would never run. The cooperative budget (Tokio's coop budget) makes one
// operation in COOP_BUDGET yield to the loop first. CPython never needs it (a coroutine that does
// not block does not yield at all), so generator coroutines keep CPython's order exactly; see the
// last tests. Assertions are about order and outcome, never durations.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { caught, isCancelled, isTimeout } from "../helpers.js";

const { createTask, Queue, sleep } = asyncio;

/**
 * Two tasks passing items through `Queue({ maxsize: 5 })` until stopped (the reproduction).
 * `passed()` counts both puts and gets: with operations that complete at once, an iteration may be
 * all puts (the producer fills the queue while the consumer's wake-up waits for the next iteration,
 * as in CPython) and the next all gets.
 */
function startPingPong(): { stop: () => Promise<void>; passed: () => number } {
  const q = new Queue<number>({ maxsize: 5 });
  let passed = 0;
  const producer = createTask(async () => {
    for (let i = 0; ; i++) {
      await q.put(i);
      passed++;
    }
  });
  const consumer = createTask(async () => {
    for (;;) {
      await q.get();
      passed++;
    }
  });
  return {
    passed: () => passed,
    stop: async () => {
      producer.cancel();
      consumer.cancel();
      await asyncio.gather([producer, consumer], { returnExceptions: true });
    },
  };
}

describe("fast paths cannot starve the loop", () => {
  test("main's sleep(0.02) returns while the pair keeps passing items", async () => {
    await asyncio.run(async () => {
      const pair = startPingPong();
      await sleep(0.02);
      const seen = pair.passed();
      await sleep(0);
      assert.ok(seen > 0, "the pair ran");
      assert.ok(pair.passed() > seen, "and is still running: main got its turn in between");
      await pair.stop();
    });
  });

  test("a Node setTimeout fires while the pair runs", async () => {
    await asyncio.run(async () => {
      const pair = startPingPong();
      const fired = await asyncio.ensureFuture(new Promise<string>((ok) => setTimeout(ok, 10, "fired")));
      assert.equal(fired, "fired");
      assert.ok(pair.passed() > 0);
      await pair.stop();
    });
  });

  test("waitFor(..., 0.001) in a third task fires while the pair runs", async () => {
    await asyncio.run(async () => {
      const pair = startPingPong();
      const err = await caught(asyncio.waitFor(sleep(3600), 0.001));
      assert.ok(isTimeout(err), String(err));
      await pair.stop();
    });
  });

  test("waitFor(q.get(), t) around every get of a consumer fires once the producer stops", async () => {
    // Virtual time: the deadline (5 s) passes at once when nothing else can run, never before.
    await asyncio.run(
      async () => {
        const q = new Queue<number>({ maxsize: 5 });
        const producer = createTask(async () => {
          for (let i = 0; i < 10_000; i++) await q.put(i);
        });
        let got = 0;
        let timedOut = false;
        for (;;) {
          try {
            await asyncio.waitFor(q.get(), 5);
            got++;
          } catch (e) {
            if (!isTimeout(e)) throw e;
            timedOut = true;
            break;
          }
        }
        assert.equal(got, 10_000);
        assert.ok(timedOut);
        await producer;
      },
      { virtualTime: true },
    );
  });

  test("two tasks holding a Semaphore(2) in turns let a sleeping task wake up", async () => {
    await asyncio.run(async () => {
      const sem = new asyncio.Semaphore(2);
      let rounds = 0;
      const spin = async (): Promise<void> => {
        for (;;) {
          await sem.acquire();
          rounds++;
          sem.release();
        }
      };
      const a = createTask(spin);
      const b = createTask(spin);
      await sleep(0.005);
      assert.ok(rounds > 0);
      a.cancel();
      b.cancel();
      await asyncio.gather([a, b], { returnExceptions: true });
    });
  });

  test("one task awaiting a set Event or a done Future in a loop does not starve another", async () => {
    await asyncio.run(async () => {
      const ev = new asyncio.Event();
      ev.set();
      const fut = asyncio.getRunningLoop().createFuture<number>();
      fut.setResult(1);
      let spins = 0;
      const spinner = createTask(async () => {
        for (;;) {
          await ev.wait();
          await fut;
          spins++;
        }
      });
      const log: string[] = [];
      const other = createTask(async () => {
        await sleep(0);
        log.push("other ran");
      });
      await other;
      assert.deepEqual(log, ["other ran"]);
      assert.ok(spins > 0);
      spinner.cancel();
      assert.ok(isCancelled(await caught(spinner)));
    });
  });

  test("reading 10 000 buffered lines yields to another ready task on the way", async () => {
    await asyncio.run(async () => {
      const reader = new asyncio.StreamReader();
      reader.feedData(Buffer.from("line\n".repeat(10_000)));
      reader.feedEof();
      const log: string[] = [];
      const consumer = createTask(async () => {
        let n = 0;
        while ((await reader.readline()).length > 0) n++;
        log.push(`consumer read ${n}`);
      });
      const other = createTask(async () => {
        await sleep(0);
        log.push("other ran");
      });
      await asyncio.gather([consumer, other]);
      assert.deepEqual(log, ["other ran", "consumer read 10000"]);
    });
  });

  test("the budget is per callback: many tasks each taking a free slot once never yield for it", async () => {
    // Tokio gives each task poll its own budget. With one budget per loop iteration, the 1 025th of
    // 3 000 tasks started in one iteration would wait an iteration for a free Semaphore slot.
    await asyncio.run(async () => {
      const n = asyncio.COOP_BUDGET * 3;
      const sem = new asyncio.Semaphore(n);
      let acquired = 0;
      const tasks = Array.from({ length: n }, () =>
        createTask(async () => {
          await sem.acquire();
          acquired++;
        }),
      );
      await sleep(0); // every task's first step ran in the iteration before this resumes
      assert.equal(acquired, n);
      await asyncio.gather(tasks);
    });
  });

  test("a cancel that arrives while an operation yields for the budget takes nothing", async () => {
    await asyncio.run(async () => {
      const q = new Queue<number>();
      const total = asyncio.COOP_BUDGET * 4;
      for (let i = 0; i < total; i++) q.putNowait(i);
      const got: number[] = [];
      const consumer = createTask(async () => {
        for (;;) got.push(await q.get());
      });
      await sleep(0); // the consumer runs until its budget is spent, then yields
      consumer.cancel();
      assert.ok(isCancelled(await caught(consumer)));
      assert.ok(got.length < total, `the consumer yielded (got ${got.length})`);
      assert.equal(got.length + q.qsize(), total, "no item was lost");
      assert.deepEqual(got, [...got.keys()]);
    });
  });
});

describe("generator coroutines keep CPython's order (no budget needed: a step is synchronous)", () => {
  test("the producer fills the queue before the consumer runs (test_queues.py-style order)", async () => {
    const log: string[] = [];
    await asyncio.run(async () => {
      const q = new Queue<number>({ maxsize: 2 });
      const producer = createTask(function* () {
        for (let i = 0; i < 4; i++) {
          yield* q.put(i);
          log.push(`put ${i}`);
        }
      });
      const consumer = createTask(function* () {
        for (let i = 0; i < 4; i++) log.push(`get ${yield* q.get()}`);
      });
      await asyncio.gather([producer, consumer]);
    });
    // CPython: put 0, put 1 (full: the producer blocks), the consumer takes both, then the producer
    // wakes and fills again.
    assert.deepEqual(log, ["put 0", "put 1", "get 0", "get 1", "put 2", "put 3", "get 2", "get 3"]);
  });
});
