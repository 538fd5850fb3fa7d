// A literal port of Python must work or fail loudly — never hang, never cancel the wrong task
// (issue 8 §1). The programs are those of CPython's asyncio documentation (asyncio-queue.rst's
// worker example, asyncio-task.rst's cancel_me, shield and wait_for examples), written the way a
// Python developer first writes them. The refusals follow CPython's own: Lib/test/test_asyncio/
// test_tasks.py `test_create_task_with_noncoroutine` (TypeError) and test_runners.py
// `test_asyncio_run_only_coro` (ValueError).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { caught, isTimeout } from "../helpers.js";

const { coroutine, createTask, gather, sleep, timeout, waitFor } = asyncio;

const isRefusal = (e: unknown): boolean =>
  e instanceof TypeError && /already started/.test(e.message) && /\(\) =>/.test(e.message);

/** Run `main` on a virtual-time loop: timers fire in order at once, results stay deterministic. */
function vrun<T>(main: () => PromiseLike<T>): Promise<T> {
  return asyncio.run(main, { virtualTime: true });
}

describe("createTask / TaskGroup.createTask / run refuse a promise that already started", () => {
  async function worker(): Promise<string> {
    await sleep(0.01);
    return "w";
  }

  test("createTask(worker()) throws TypeError showing the fix (test_create_task_with_noncoroutine)", async () => {
    await vrun(async () => {
      const p = worker();
      assert.throws(() => createTask(p as never), isRefusal);
      await p; // the started promise is the caller's: it still completes in the caller
    });
  });

  test("loop.createTask and TaskGroup.createTask refuse it too", async () => {
    await vrun(async () => {
      const p = worker();
      assert.throws(() => asyncio.getRunningLoop().createTask(p as never), isRefusal);
      await asyncio.taskGroup(async (tg) => {
        assert.throws(() => tg.createTask(p as never), isRefusal);
      });
      await p;
    });
  });

  test("a non-native thenable and a Future are refused as well; a Future with its own message", async () => {
    await vrun(async () => {
      const thenable = { then: (ok: (v: number) => void) => ok(1) };
      assert.throws(() => createTask(thenable as never), isRefusal);
      const fut = asyncio.getRunningLoop().createFuture();
      assert.throws(() => createTask(fut as never), /a coroutine was expected/);
    });
  });

  test("run(main()) rejects with ValueError showing the fix (test_asyncio_run_only_coro)", async () => {
    const main = async (): Promise<number> => 1;
    const p = main();
    const err = await caught(asyncio.run(p as never));
    assert.ok(err instanceof asyncio.ValueError, String(err));
    assert.match((err as Error).message, /already started/);
    assert.match((err as Error).message, /run\(main\)/);
    assert.equal(await p, 1);
  });

  test("lazy bodies stay accepted: functions, coroutine() calls, generator objects, lazy operations", async () => {
    const results = await vrun(async () => {
      const lazy = coroutine(async (x: number) => {
        await sleep(0.01);
        return x;
      });
      const gen = function* (): Generator<unknown, string, any> {
        yield* sleep(0.01);
        return "gen";
      };
      return await gather(
        createTask(() => worker()),
        createTask(lazy(2)),
        createTask(gen()),
        createTask(sleep(0.01, "sleep")),
        createTask(sleep(0, "sleep(0)")),
        createTask(coroutine(gen)()),
      );
    });
    assert.deepEqual(results, ["w", 2, "gen", "sleep", "sleep(0)", "gen"]);
  });

  test("run() accepts a function, a coroutine() call and a generator object", async () => {
    assert.equal(await asyncio.run(async () => 1), 1);
    assert.equal(await asyncio.run(coroutine(async () => 2)()), 2);
    assert.equal(
      await asyncio.run(
        (function* () {
          yield;
          return 3;
        })(),
      ),
      3,
    );
  });
});

describe("the docs' programs, written as the README says", () => {
  test("queue workers (asyncio-queue.rst): createTask(() => worker(q)), cancel reaches the worker", async () => {
    const log: string[] = [];
    await vrun(async () => {
      const q = new asyncio.Queue<number>();
      async function worker(name: string): Promise<void> {
        for (;;) {
          const sleepFor = await q.get();
          await sleep(sleepFor);
          q.taskDone();
          log.push(`${name} slept ${sleepFor}`);
        }
      }
      for (const d of [0.3, 0.1, 0.2]) q.putNowait(d);
      const tasks = ["w-0", "w-1"].map((n) => createTask(() => worker(n)));
      await q.join();
      for (const t of tasks) t.cancel();
      const out = await gather(tasks, { returnExceptions: true });
      assert.ok(out.every((r) => (r as unknown) instanceof asyncio.CancelledError));
    });
    assert.deepEqual(log, ["w-1 slept 0.1", "w-0 slept 0.3", "w-1 slept 0.2"]);
  });

  test("the literal queue port createTask(worker(q)) fails at the call instead of hanging at gather", async () => {
    const err = await caught(
      vrun(async () => {
        const q = new asyncio.Queue<number>();
        async function worker(): Promise<void> {
          for (;;) {
            await q.get();
            q.taskDone();
          }
        }
        createTask(worker() as never);
      }),
    );
    assert.ok(isRefusal(err), String(err));
  });

  test("cancel_me (asyncio-task.rst): the cancel lands at the sleep, finally runs, run() finishes", async () => {
    const log: string[] = [];
    await vrun(async () => {
      async function cancelMe(): Promise<void> {
        log.push("cancel_me(): before sleep");
        try {
          await sleep(3600);
        } catch (e) {
          log.push("cancel_me(): cancel sleep");
          throw e;
        } finally {
          log.push("cancel_me(): after sleep");
        }
      }
      const task = createTask(() => cancelMe());
      await sleep(1);
      task.cancel();
      try {
        await task;
      } catch (e) {
        if (!(e instanceof asyncio.CancelledError)) throw e;
        log.push("main(): cancel_me is cancelled now");
      }
    });
    assert.deepEqual(log, [
      "cancel_me(): before sleep",
      "cancel_me(): cancel sleep",
      "cancel_me(): after sleep",
      "main(): cancel_me is cancelled now",
    ]);
  });
});

/** Each job wraps its work in a timeout, as the reproduction does. */
async function jobWithTimeout(name: string, limit: number, work: number): Promise<string> {
  return await timeout(limit, async () => {
    await sleep(work);
    return `${name} done`;
  });
}

async function jobWithWaitFor(name: string, limit: number, work: number): Promise<string> {
  return await waitFor(sleep(work, `${name} done`), limit);
}

describe("gather/shield/wait/asCompleted given started promises that use aiots", () => {
  for (const [kind, job] of [
    ["timeout()", jobWithTimeout],
    ["waitFor()", jobWithWaitFor],
  ] as const) {
    test(`gather(job("a"), job("b")) with ${kind} inside: refused with TypeError, the caller is not cancelled`, async () => {
      const log: string[] = [];
      const result = await vrun(async () => {
        const err = await caught(gather(job("a", 0.5, 0.1) as never, job("b", 0.3, 1) as never));
        log.push(isRefusal(err) ? "refused" : String(err));
        await sleep(2); // the caller goes on: no timer of the jobs fires at it
        log.push("caller still running");
        return asyncio.currentTask()!.cancelling();
      });
      assert.deepEqual(log, ["refused", "caller still running"]);
      assert.equal(result, 0);
    });

    test(`gather(() => job("a"), () => job("b")) with ${kind} inside behaves as CPython`, async () => {
      const out = await vrun(() =>
        gather(
          () => job("a", 0.05, 0.1),
          () => job("b", 0.3, 0.01),
          { returnExceptions: true },
        ),
      );
      assert.ok(isTimeout(out[0]), String(out[0]));
      assert.equal(out[1], "b done");
    });

    test(`gather of coroutine() jobs with ${kind} inside behaves as CPython`, async () => {
      const lazyJob = coroutine(job);
      const out = await vrun(() =>
        gather(lazyJob("a", 0.05, 0.1), lazyJob("b", 0.3, 0.01), { returnExceptions: true }),
      );
      assert.ok(isTimeout(out[0]), String(out[0]));
      assert.equal(out[1], "b done");
    });
  }

  test("a refused job stops at its first await: its finally runs, its body after the await never does", async () => {
    const log: string[] = [];
    await vrun(async () => {
      async function job(): Promise<void> {
        try {
          await sleep(0.1);
          log.push("after sleep");
        } finally {
          log.push("finally");
        }
      }
      const err = await caught(gather(job() as never));
      assert.ok(isRefusal(err));
      await sleep(1);
    });
    assert.deepEqual(log, ["finally"]);
  });

  test("shield(job()) is refused; shield(() => job()) protects the job (asyncio-task.rst shield)", async () => {
    const log: string[] = [];
    await vrun(async () => {
      async function job(): Promise<string> {
        await sleep(0.1);
        log.push("job done");
        return "x";
      }
      assert.ok(isRefusal(await caught(asyncio.shield(job() as never))));
      const outer = createTask(() => asyncio.shield(() => job()));
      await sleep(0.01);
      outer.cancel();
      assert.ok((await caught(outer)) instanceof asyncio.CancelledError);
      await sleep(0.2);
    });
    assert.deepEqual(log, ["job done"]); // the refused job stopped at its first await
  });

  test("wait([job(), job()]) and asCompleted([job()]) are refused the same way", async () => {
    await vrun(async () => {
      async function job(): Promise<number> {
        await sleep(0.1);
        return 1;
      }
      assert.ok(isRefusal(await caught(asyncio.wait([job(), job()] as never[]))));
      const it = asyncio.asCompleted([job()] as never[]);
      for (const next of it) assert.ok(isRefusal(await caught(next)));
      await sleep(0.2);
    });
  });

  test("generator-coroutine caller: yield* gather(job()) is refused the same way", async () => {
    const err = await caught(
      vrun(
        coroutine(function* () {
          async function job(): Promise<number> {
            await sleep(0.1);
            return 1;
          }
          return yield* gather(job() as never);
        }) as never,
      ),
    );
    assert.ok(isRefusal(err), String(err));
  });
});

describe("foreign promises stay welcome", () => {
  const foreign = <T>(v: T): Promise<T> => new Promise((ok) => setTimeout(ok, 1, v));

  test("gather/shield/wait/asCompleted/waitFor of promises that never touch aiots, inside a task", async () => {
    await asyncio.run(async () => {
      assert.deepEqual(await gather(foreign(1), Promise.resolve(2)), [1, 2]);
      assert.equal(await asyncio.shield(foreign("s")), "s");
      const [done, pending] = await asyncio.wait([foreign(1), foreign(2)]);
      assert.equal(done.size, 2);
      assert.equal(pending.size, 0);
      const got: number[] = [];
      for (const next of asyncio.asCompleted([foreign(3)])) got.push(await next);
      assert.deepEqual(got, [3]);
      assert.equal(await waitFor(foreign("w"), 5), "w");
    });
  });

  test("the caller's own awaits right after the call are not mistaken for a started promise", async () => {
    await asyncio.run(async () => {
      const g = gather(foreign(1));
      const [a, b] = await Promise.all([g, sleep(0, "s")]);
      assert.deepEqual(a, [1]);
      assert.equal(b, "s");
      const fut = asyncio.getRunningLoop().createFuture<number>();
      const chained = gather(foreign(2)).then((r) => r[0]!);
      fut.setResult(1);
      assert.equal(await chained, 2);
      assert.equal(await fut, 1);
    });
  });

  test("outside any task, started promises are plain promises (nothing to misattribute)", async () => {
    async function job(x: number): Promise<number> {
      await sleep(0.001);
      return x;
    }
    assert.deepEqual(await gather(job(1), job(2)), [1, 2]);
  });

  test("waitFor(startedPromise, t) awaits it in the calling task, as Python 3.12's wait_for awaits a coroutine", async () => {
    const out = await vrun(async () => {
      async function job(): Promise<string> {
        await sleep(10);
        return "late";
      }
      const err = await caught(waitFor(job(), 0.05)); // a pending promise holds virtual time: keep it short
      return [isTimeout(err), asyncio.currentTask()!.cancelling()];
    });
    assert.deepEqual(out, [true, 0]);
  });
});

describe("waitFor runs functions and generator objects (it resolved to the argument itself)", () => {
  async function job(): Promise<string> {
    await sleep(0.1);
    return "ran";
  }
  for (const t of [5, null]) {
    test(`waitFor(fn, ${t}), waitFor(coroutineFn, ${t}), waitFor(generatorObject, ${t})`, async () => {
      const out = await vrun(async () => [
        await waitFor(() => job(), t),
        await waitFor(coroutine(job), t),
        await waitFor(
          (function* () {
            yield* sleep(0.1);
            return "gen ran";
          })(),
          t,
        ),
      ]);
      assert.deepEqual(out, ["ran", "ran", "gen ran"]);
    });
  }

  test("waitFor(fn, t) times out the task it runs, and the caller gets TimeoutError", async () => {
    const log: string[] = [];
    const err = await vrun(async () =>
      caught(
        waitFor(async () => {
          try {
            await sleep(10);
          } finally {
            log.push("cancelled inside");
          }
        }, 1),
      ),
    );
    assert.ok(isTimeout(err));
    assert.deepEqual(log, ["cancelled inside"]);
  });

  test("waitFor(value, t) is refused with TypeError", async () => {
    await vrun(async () => {
      const err = await caught(waitFor(42 as never, 1));
      assert.ok(err instanceof TypeError, String(err));
    });
  });
});
