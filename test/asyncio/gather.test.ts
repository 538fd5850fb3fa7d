// Port of the gather() tests of CPython's Lib/test/test_asyncio/test_tasks.py
// (GatherTestsBase, FutureGatherTests, CoroutineGatherTests, and gather cases of BaseTaskTests).
// RunCoroutineThreadsafeTests do not apply (no threads on the loop).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { bothForms, cancelledWith, caught, isCancelled, loopNow, runBriefly, runMain } from "../helpers.js";

const { CancelledError, coroutine, createTask, gather, sleep } = asyncio;

type Wrap = (f: asyncio.Future<number>) => asyncio.AwaitableLike<number>;

/** The three ways GatherTestsBase hands futures to gather: as is, or wrapped in a coroutine of either form. */
const wraps: Record<string, Wrap> = {
  futures: (f) => f,
  "async coroutines": (f) => coroutine(async () => await f)(),
  "generator coroutines": (f) =>
    coroutine(function* () {
      return yield* f;
    })(),
};

/** Spread form with an optional trailing options object. */
function gatherSpread(args: asyncio.AwaitableLike<unknown>[], opts?: asyncio.GatherOptions) {
  const all: unknown[] = opts === undefined ? args : [...args, opts];
  return (gather as (...a: unknown[]) => asyncio.GatheringFuture<unknown[]>)(...all);
}

function futures<T>(n: number): asyncio.Future<T>[] {
  const loop = loopNow();
  return Array.from({ length: n }, () => loop.createFuture<T>());
}

function doneCallbackCounter(fut: asyncio.Future<any>): { calls: number } {
  const counter = { calls: 0 };
  fut.addDoneCallback((f) => {
    assert.equal(f, fut);
    counter.calls++;
  });
  return counter;
}

describe("GatherTestsBase (futures, async coroutines, generator coroutines)", () => {
  for (const [kind, wrap] of Object.entries(wraps)) {
    for (const opts of [undefined, { returnExceptions: false }, { returnExceptions: true }]) {
      test(`test_success / test_result_exception_success (test_tasks.py) — ${kind}, ${JSON.stringify(opts)}`, async () => {
        await runMain(async () => {
          const [a, b, c] = futures<number>(3);
          const fut = gatherSpread([a!, b!, c!].map(wrap), opts);
          const cb = doneCallbackCounter(fut);
          await runBriefly(2);
          b!.setResult(1);
          a!.setResult(2);
          await runBriefly(5);
          assert.equal(cb.calls, 0);
          assert.ok(!fut.done());
          c!.setResult(3);
          await runBriefly(5);
          assert.equal(cb.calls, 1);
          assert.deepEqual(fut.result(), [2, 1, 3]);
        });
      });
    }

    test(`test_one_exception (test_tasks.py) — ${kind}`, async () => {
      await runMain(async () => {
        const [a, b, c, d, e] = futures<number>(5);
        const fut = gatherSpread([a!, b!, c!, d!, e!].map(wrap));
        const cb = doneCallbackCounter(fut);
        await runBriefly(2);
        const exc = new RangeError("ZeroDivisionError");
        a!.setResult(1);
        b!.setException(exc);
        await runBriefly(5);
        assert.ok(fut.done());
        assert.equal(cb.calls, 1);
        assert.equal(fut.exception(), exc);
        // Does nothing
        c!.setResult(3);
        d!.cancel();
        e!.setException(new Error("later"));
        e!.exception();
        await runBriefly(5);
        assert.equal(cb.calls, 1);
        assert.equal(fut.exception(), exc);
      });
    });

    test(`test_return_exceptions (test_tasks.py) — ${kind}`, async () => {
      await runMain(async () => {
        const [a, b, c, d] = futures<number>(4);
        const fut = gatherSpread([a!, b!, c!, d!].map(wrap), { returnExceptions: true });
        const cb = doneCallbackCounter(fut);
        await runBriefly(2);
        const exc = new RangeError("ZeroDivisionError");
        const exc2 = new Error("RuntimeError");
        b!.setResult(1);
        c!.setException(exc);
        a!.setResult(3);
        await runBriefly(5);
        assert.ok(!fut.done());
        d!.setException(exc2);
        await runBriefly(5);
        assert.ok(fut.done());
        assert.equal(cb.calls, 1);
        assert.deepEqual(fut.result(), [3, 1, exc, exc2]);
        assert.equal(fut.result()[2], exc);
      });
    });
  }
});

describe("FutureGatherTests", () => {
  test("test_constructor_empty_sequence_use_running_loop (test_tasks.py)", async () => {
    await runMain(async () => {
      const fut = gather();
      assert.ok(fut instanceof asyncio.Future);
      assert.equal(fut.getLoop(), loopNow());
      await runBriefly();
      assert.ok(fut.done());
      assert.deepEqual(fut.result(), []);
      assert.deepEqual(await gather([]), []);
      assert.deepEqual(await gather([], { returnExceptions: true }), []);
    });
  });

  test("test_constructor_heterogenous_futures (test_tasks.py): futures of two loops → ValueError", async () => {
    const one = asyncio.newEventLoop();
    const other = asyncio.newEventLoop();
    try {
      const fut1 = one.createFuture();
      const fut2 = other.createFuture();
      assert.throws(() => gather(fut1, fut2), asyncio.ValueError);
    } finally {
      one.close();
      other.close();
    }
  });

  test("test_constructor_homogenous_futures (test_tasks.py): the gather uses its children's loop", async () => {
    const other = asyncio.newEventLoop();
    try {
      const children = [other.createFuture(), other.createFuture(), other.createFuture()];
      const fut = gather(...children);
      assert.equal(fut.getLoop(), other);
      assert.ok(!fut.done());
      const fut2 = gather(children);
      assert.equal(fut2.getLoop(), other);
      for (const [i, c] of children.entries()) c.setResult(i);
      assert.deepEqual(await fut, [0, 1, 2]);
      assert.deepEqual(await fut2, [0, 1, 2]);
    } finally {
      other.close();
    }
  });

  test("test_one_cancellation (test_tasks.py): a cancelled child fails the gather with CancelledError", async () => {
    await runMain(async () => {
      const [a, b, c, d, e] = futures<number>(5);
      const fut = gather(a!, b!, c!, d!, e!);
      const cb = doneCallbackCounter(fut);
      a!.setResult(1);
      b!.cancel("child");
      await runBriefly(3);
      assert.ok(fut.done());
      assert.equal(cb.calls, 1);
      assert.ok(!fut.cancelled()); // the outer future is not cancelled itself
      assert.ok(cancelledWith("child")(fut.exception()));
      // Does nothing
      c!.setResult(3);
      d!.cancel();
      e!.setException(new Error("RuntimeError"));
      e!.exception();
      await runBriefly(3);
      assert.equal(cb.calls, 1);
    });
  });

  test("test_result_exception_one_cancellation (test_tasks.py)", async () => {
    await runMain(async () => {
      const [a, b, c, d, e, f] = futures<number>(6);
      const fut = gather(a!, b!, c!, d!, e!, f!, { returnExceptions: true });
      const cb = doneCallbackCounter(fut);
      a!.setResult(1);
      const zde = new RangeError("ZeroDivisionError");
      b!.setException(zde);
      c!.cancel();
      await runBriefly(3);
      assert.ok(!fut.done());
      d!.setResult(3);
      e!.cancel("e");
      const rte = new Error("RuntimeError");
      f!.setException(rte);
      const res = await fut;
      assert.ok(cancelledWith("")(res[2]));
      assert.ok(cancelledWith("e")(res[4]));
      assert.deepEqual([res[0], res[1], res[3], res[5]], [1, zde, 3, rte]);
      await runBriefly();
      assert.equal(cb.calls, 1);
      assert.ok(!fut.cancelled());
    });
  });

  test("test_cancel_gather_1 (test_tasks.py): a gather refuses cancel once all children are done", async () => {
    await runMain(async () => {
      const fut = loopNow().createFuture<number>();
      const childCoro = coroutine(function* () {
        return yield* fut;
      });
      const gatherFuture = gather(childCoro());
      const gatherTask = asyncio.ensureFuture(gatherFuture);
      assert.equal(gatherTask, gatherFuture);
      await runBriefly(); // the child task is now waiting on fut
      let cancelResult: boolean | null = null;
      fut.addDoneCallback(() => {
        cancelResult = gatherTask.cancel();
      });
      fut.setResult(42);
      assert.deepEqual(await gatherTask, [42]);
      assert.equal(cancelResult, false);
      assert.ok(!gatherTask.cancelled());
    });
  });

  test("test_gather_shield (test_tasks.py): cancelling a gather of shields leaves the shielded futures alone", async () => {
    await runMain(async () => {
      const [child1, child2] = futures<number>(2);
      const inner1 = asyncio.shield(child1!);
      const inner2 = asyncio.shield(child2!);
      const parent = gather(inner1, inner2);
      await runBriefly();
      assert.ok(parent.cancel());
      await runBriefly(3);
      assert.ok(parent.exception() instanceof CancelledError);
      assert.ok(inner1.cancelled());
      assert.ok(inner2.cancelled());
      assert.ok(!child1!.cancelled());
      assert.ok(!child2!.cancelled());
      child1!.setResult(1);
      child2!.setResult(2);
      await runBriefly(3);
      assert.equal(child1!.result(), 1);
    });
  });

  test("gather of already-done futures (test_tasks.py test_shield_shortcut analogue)", async () => {
    await runMain(async () => {
      const [a, b, c] = futures<number>(3);
      a!.setResult(1);
      b!.setResult(2);
      c!.setResult(3);
      assert.deepEqual(await gather(a!, b!, c!), [1, 2, 3]);
      const [d, e] = futures<number>(2);
      const exc = new Error("done with an error");
      d!.setResult(4);
      e!.setException(exc);
      await assert.rejects(gather(d!, e!), (x: unknown) => x === exc);
      assert.deepEqual(await gather([d!, e!], { returnExceptions: true }), [4, exc]);
      const [f] = futures<number>(1);
      f!.cancel();
      await assert.rejects(gather(f!), cancelledWith());
    });
  });

  test("gather(list, opts): a single array of 200 000 futures (no argument-limit overflow)", async () => {
    await runMain(async () => {
      const n = 200_000;
      const futs = futures<number>(n);
      const g = gather(futs);
      for (let i = 0; i < n; i++) futs[i]!.setResult(i);
      const res = await g;
      assert.equal(res.length, n);
      assert.equal(res[0], 0);
      assert.equal(res[n - 1], n - 1);
      assert.equal(res[12345], 12345);

      const futs2 = futures<number>(n);
      const g2 = gather(futs2, { returnExceptions: true });
      const exc = new Error("one bad apple");
      for (let i = 0; i < n; i++) {
        if (i === 77_777) futs2[i]!.setException(exc);
        else futs2[i]!.setResult(i);
      }
      const res2 = await g2;
      assert.equal(res2.length, n);
      assert.equal(res2[77_777], exc);
      assert.equal(res2[n - 1], n - 1);
    });
  });

  test("gather(list): 20 000 coroutines run as tasks, results in argument order", async () => {
    await runMain(async () => {
      const n = 20_000;
      const double = coroutine(async (i: number) => i * 2);
      const res = await gather(Array.from({ length: n }, (_, i) => double(i)));
      assert.equal(res.length, n);
      assert.equal(res[n - 1], (n - 1) * 2);
      assert.equal(res[4242], 8484);
    });
  });

  test("test_issue46672 (test_tasks.py): a non-awaitable argument → TypeError, nothing reported", async () => {
    await runMain(async () => {
      const reported: unknown[] = [];
      loopNow().setExceptionHandler((_loop, ctx) => {
        reported.push(ctx);
      });
      const c = coroutine(async (s: string) => s)("abc");
      assert.throws(() => gatherSpread([c, 5 as any]), TypeError);
      assert.throws(() => gatherSpread([{} as any, c]), TypeError);
      await runBriefly(5);
      assert.deepEqual(reported, []);
    });
  });
});

describe("CoroutineGatherTests", () => {
  test("test_constructor_use_running_loop (test_tasks.py)", async () => {
    await runMain(async () => {
      const coro = coroutine(async () => "abc");
      const fut = gather(coro(), coro());
      assert.equal(fut.getLoop(), loopNow());
      assert.deepEqual(await fut, ["abc", "abc"]);
    });
  });

  test("test_duplicate_coroutines (test_tasks.py) — both forms", async () => {
    await runMain(async () => {
      let runs = 0;
      const coro = coroutine(async (s: string) => {
        runs++;
        return s;
      });
      const c = coro("abc");
      assert.deepEqual(await gather(c, c, coro("def"), c), ["abc", "abc", "def", "abc"]);
      assert.equal(runs, 2);

      const gcoro = coroutine(function* (s: string) {
        runs++;
        yield;
        return s;
      });
      const g = gcoro("xyz");
      assert.deepEqual(await gather(g, gcoro("uvw"), g), ["xyz", "uvw", "xyz"]);
      assert.equal(runs, 4);
    });
  });

  test("duplicate futures share one child (test_duplicate_coroutines)", async () => {
    await runMain(async () => {
      const [f, g] = futures<number>(2);
      const t = createTask(async () => 7);
      const p = Promise.resolve(9);
      const outer = gather(f!, g!, f!, t, t, p, p);
      f!.setResult(1);
      g!.setResult(2);
      assert.deepEqual(await outer, [1, 2, 1, 7, 7, 9, 9]);
    });
  });

  test("duplicates: a done future twice, a future with other listeners twice, a child of another gather once", async () => {
    await runMain(async () => {
      const [f, g, h] = futures<number>(3);
      const done = loopNow().createFuture<number>();
      done.setResult(0);
      const seen: number[] = [];
      f!.addDoneCallback(() => seen.push(1)); // f's listeners are an array once the gather adds its own
      const other = gather(h!, g!); // g and h already wait for another gather
      const outer = gather([done, f!, g!, done, f!, h!, g!]);
      assert.equal(outer._children.filter((c, i, all) => all.indexOf(c) === i).length, 4);
      f!.setResult(1);
      g!.setResult(2);
      h!.setResult(3);
      assert.deepEqual(await outer, [0, 1, 2, 0, 1, 3, 2]);
      assert.deepEqual(await other, [3, 2]);
      assert.deepEqual(seen, [1]);
    });
  });

  test("arguments of every kind, results in argument order (test_success)", async () => {
    await runMain(async () => {
      const fut = loopNow().createFuture<string>();
      loopNow().callLater(0.002, () => fut.setResult("future"));
      function* plain(): asyncio.CoroutineGenerator<string> {
        yield* sleep(0.001);
        return "generator";
      }
      const res = await gather(
        fut,
        coroutine(async () => "async")(),
        coroutine(function* () {
          yield;
          return "gen";
        })(),
        plain(),
        Promise.resolve("promise"),
        () => sleep(0, "thunk"),
        createTask(async () => "task"),
        sleep(0.001, "sleep"),
      );
      assert.deepEqual(res, ["future", "async", "gen", "generator", "promise", "thunk", "task", "sleep"]);
    });
  });

  test("one failure propagates while the other children keep running (test_one_exception)", async () => {
    await runMain(async () => {
      const log: string[] = [];
      const gate = loopNow().createFuture<void>();
      const failing = coroutine(async () => {
        await sleep(0);
        throw new Error("boom");
      });
      const slow = coroutine(function* () {
        yield* gate;
        log.push("slow done");
        return "slow";
      });
      const slowCoro = slow();
      const g = gather(failing(), slowCoro);
      await assert.rejects(g, /boom/);
      assert.deepEqual(log, []);
      const all = [...asyncio.allTasks()];
      const slowTask = all.find((t) => t.getCoro() === slowCoro)!;
      assert.ok(slowTask !== undefined, "the slow child is still running");
      assert.ok(!slowTask.done());
      gate.setResult();
      assert.equal(await slowTask, "slow");
      assert.deepEqual(log, ["slow done"]);
    });
  });

  test("a child task cancelling itself: gather fails with CancelledError, outer not cancelled() (test_one_cancellation)", async () => {
    await runMain(async () => {
      const selfCancel = createTask(async () => {
        asyncio.currentTask()!.cancel("me");
        await sleep(0);
      });
      const other = createTask(async () => {
        await sleep(0);
        await sleep(0);
        return 1;
      });
      const g = gather(selfCancel, other);
      await assert.rejects(g, cancelledWith("me"));
      assert.ok(g.done());
      assert.ok(!g.cancelled());
      assert.ok(selfCancel.cancelled());
      assert.equal(await other, 1); // not cancelled by the gather
    });
  });

  test("returnExceptions collects errors and CancelledErrors of tasks (test_result_exception_one_cancellation)", async () => {
    await runMain(async () => {
      const err = new TypeError("bad");
      const res = await gather(
        createTask(async () => 1),
        createTask(async () => {
          throw err;
        }),
        createTask(async () => {
          asyncio.currentTask()!.cancel("c");
          await sleep(0);
        }),
        createTask(
          coroutine(function* () {
            yield* sleep(0);
            return 4;
          })(),
        ),
        { returnExceptions: true },
      );
      assert.equal(res[0], 1);
      assert.equal(res[1], err);
      assert.ok(cancelledWith("c")(res[2]));
      assert.equal(res[3], 4);
    });
  });

  test("cancelling the gather cancels every child; the gather fails with CancelledError (test_cancellation_broadcast)", async () => {
    await runMain(async () => {
      const log: string[] = [];
      const child = (name: string) =>
        createTask(async () => {
          try {
            await sleep(10);
          } finally {
            log.push(name);
          }
        });
      const c1 = child("c1");
      const c2 = child("c2");
      const g = gather(c1, c2);
      await runBriefly();
      assert.ok(g.cancel("stop"));
      await assert.rejects(g, cancelledWith("stop"));
      assert.ok(c1.cancelled());
      assert.ok(c2.cancelled());
      assert.deepEqual(log.sort(), ["c1", "c2"]);
      assert.equal(g.cancel(), false);
    });
  });

  bothForms("test_cancellation_broadcast (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        let proof = 0;
        const waiter = loopNow().createFuture<void>();
        const inner = coroutine(async () => {
          await waiter;
          proof += 1;
        });
        const child1 = asyncio.ensureFuture(inner());
        const child2 = asyncio.ensureFuture(inner());
        let gatherer: asyncio.GatheringFuture<unknown> | undefined;
        const outer = coroutine(async () => {
          gatherer = gather(child1, child2);
          await gatherer;
          proof += 100;
        });
        const f = asyncio.ensureFuture(outer());
        await runBriefly();
        assert.ok(f.cancel());
        await assert.rejects(f, cancelledWith());
        assert.equal(gatherer!.cancel(), false);
        assert.ok(waiter.cancelled());
        assert.ok(child1.cancelled());
        assert.ok(child2.cancelled());
        await runBriefly();
        assert.equal(proof, 0);
      });
    },
    gen: async () => {
      await runMain(async () => {
        let proof = 0;
        const waiter = loopNow().createFuture<void>();
        const inner = coroutine(function* () {
          yield* waiter;
          proof += 1;
        });
        const child1 = asyncio.ensureFuture(inner());
        const child2 = asyncio.ensureFuture(inner());
        let gatherer: asyncio.GatheringFuture<unknown> | undefined;
        const outer = coroutine(function* () {
          gatherer = gather(child1, child2);
          yield* gatherer;
          proof += 100;
        });
        const f = asyncio.ensureFuture(outer());
        await runBriefly();
        assert.ok(f.cancel());
        await assert.rejects(f, cancelledWith());
        assert.equal(gatherer!.cancel(), false);
        assert.ok(waiter.cancelled());
        assert.ok(child1.cancelled());
        assert.ok(child2.cancelled());
        await runBriefly();
        assert.equal(proof, 0);
      });
    },
  });

  bothForms("test_exception_marking (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const inner = coroutine(async (f: asyncio.Future<void>) => {
          await f;
          throw new asyncio.RuntimeError("should not be ignored");
        });
        const [a, b] = futures<void>(2);
        const f = asyncio.ensureFuture(
          coroutine(async () => {
            await gather(inner(a!), inner(b!));
          })(),
        );
        await runBriefly();
        a!.setResult();
        await runBriefly(3);
        b!.setResult();
        await runBriefly(3);
        assert.ok(f.done());
        assert.ok(f.exception() instanceof asyncio.RuntimeError);
      });
    },
    gen: async () => {
      await runMain(async () => {
        const inner = coroutine(function* (f: asyncio.Future<void>) {
          yield* f;
          throw new asyncio.RuntimeError("should not be ignored");
        });
        const [a, b] = futures<void>(2);
        const f = asyncio.ensureFuture(
          coroutine(function* () {
            yield* gather(inner(a!), inner(b!));
          })(),
        );
        await runBriefly();
        a!.setResult();
        await runBriefly(3);
        b!.setResult();
        await runBriefly(3);
        assert.ok(f.done());
        assert.ok(f.exception() instanceof asyncio.RuntimeError);
      });
    },
  });

  for (const msg of [undefined, "my message"]) {
    bothForms(
      `test_cancel_gather_2 (test_tasks.py) msg=${String(msg)}: the cancel message reaches the caller`,
      {
        async: async () => {
          await assert.rejects(
            runMain(async () => {
              const qwe = createTask(async () => {
                for (let i = 0; i < 1000; i++) {
                  await gather(sleep(0.001), { returnExceptions: true });
                }
              });
              await sleep(0.005);
              qwe.cancel(msg);
              await qwe;
            }),
            (e: unknown) => cancelledWith(msg ?? "")(e) && (e as Error).cause === undefined,
          );
        },
        gen: async () => {
          await assert.rejects(
            runMain(async () => {
              const qwe = createTask(
                coroutine(function* () {
                  for (let i = 0; i < 1000; i++) {
                    yield* gather(sleep(0.001), { returnExceptions: true });
                  }
                })(),
              );
              await sleep(0.005);
              qwe.cancel(msg);
              await qwe;
            }),
            (e: unknown) => cancelledWith(msg ?? "")(e) && (e as Error).cause === undefined,
          );
        },
      },
    );
  }

  bothForms("gather inside a cancelled task cancels its children (test_cancel_awaited_task)", {
    async: async () => {
      await runMain(async () => {
        const log: string[] = [];
        let children: asyncio.Task<void>[] = [];
        const t: asyncio.Task<void> = createTask(async () => {
          children = [1, 2].map((i) =>
            createTask(async () => {
              try {
                await sleep(10);
              } finally {
                log.push(`child ${i}`);
              }
            }),
          );
          await sleep(0); // the children start
          t.cancel(); // not suspended: the next await (the gather) is cancelled
          try {
            await gather(children);
          } catch (e) {
            log.push(isCancelled(e) ? "outer cancelled" : "outer other");
            throw e;
          }
        });
        await assert.rejects(t, cancelledWith());
        assert.ok(t.cancelled());
        assert.ok(children.every((c) => c.cancelled()));
        assert.deepEqual(log, ["child 1", "child 2", "outer cancelled"]);
      });
    },
    gen: async () => {
      await runMain(async () => {
        const log: string[] = [];
        let children: asyncio.Task<void>[] = [];
        const t: asyncio.Task<void> = createTask(
          coroutine(function* () {
            children = [1, 2].map((i) =>
              createTask(
                coroutine(function* () {
                  try {
                    yield* sleep(10);
                  } finally {
                    log.push(`child ${i}`);
                  }
                })(),
              ),
            );
            yield* sleep(0);
            t.cancel();
            try {
              yield* gather(children);
            } catch (e) {
              log.push(isCancelled(e) ? "outer cancelled" : "outer other");
              throw e;
            }
          })(),
        );
        await assert.rejects(t, cancelledWith());
        assert.ok(t.cancelled());
        assert.ok(children.every((c) => c.cancelled()));
        assert.deepEqual(log, ["child 1", "child 2", "outer cancelled"]);
      });
    },
  });

  bothForms(
    "gather children cancelled before they start never run (test_cancel_with_message_before_starting_task)",
    {
      async: async () => {
        await runMain(async () => {
          let ran = 0;
          const child = coroutine(async () => {
            ran++;
          });
          const g = gather(child(), child());
          assert.ok(g.cancel());
          await assert.rejects(g, cancelledWith());
          assert.equal(ran, 0);
        });
      },
      gen: async () => {
        await runMain(async () => {
          let ran = 0;
          const child = coroutine(function* () {
            ran++;
            yield;
          });
          const g = gather(child(), child());
          assert.ok(g.cancel());
          await assert.rejects(g, cancelledWith());
          assert.equal(ran, 0);
        });
      },
    },
  );

  bothForms("a task awaiting a gather: cancel reaches the running children (test_cancellation_broadcast)", {
    async: async () => {
      await runMain(async () => {
        const log: string[] = [];
        const child = coroutine(async (name: string) => {
          try {
            await sleep(10);
          } finally {
            log.push(name);
          }
        });
        const t = createTask(async () => {
          await gather(child("a"), child("b"));
        });
        await runBriefly(2);
        t.cancel("bye");
        await assert.rejects(t, cancelledWith("bye"));
        assert.ok(t.cancelled());
        assert.deepEqual(log.sort(), ["a", "b"]);
      });
    },
    gen: async () => {
      await runMain(async () => {
        const log: string[] = [];
        const child = coroutine(function* (name: string) {
          try {
            yield* sleep(10);
          } finally {
            log.push(name);
          }
        });
        const t = createTask(
          coroutine(function* () {
            yield* gather(child("a"), child("b"));
          })(),
        );
        await runBriefly(2);
        t.cancel("bye");
        await assert.rejects(t, cancelledWith("bye"));
        assert.ok(t.cancelled());
        assert.deepEqual(log.sort(), ["a", "b"]);
      });
    },
  });
});

// Promise arguments are followed together by one Promise.all (PromiseGroup in gather.ts), not by a
// Future each: these pin what the wrapping futures did (CPython wraps each awaitable with
// ensure_future), so the cheaper path keeps the same outcomes.
describe("promise arguments (followed together, as wrapped futures behaved)", () => {
  const later = <T>(v: T, ms = 1): Promise<T> => new Promise((r) => setTimeout(() => r(v), ms));
  const failLater = (e: unknown, ms = 1): Promise<never> =>
    new Promise((_, reject) => setTimeout(() => reject(e), ms));

  test("only promises: results in argument order; a value with a `status` field is returned as is", async () => {
    await runMain(async () => {
      const record = { status: "fulfilled", value: "not a settlement record" };
      assert.deepEqual(await gather([later("a", 3), Promise.resolve(record), later("c")]), [
        "a",
        record,
        "c",
      ]);
      assert.deepEqual(await gather([later(1), Promise.resolve(record)], { returnExceptions: true }), [
        1,
        record,
      ]);
    });
  });

  test("promises mixed with futures and tasks, returnExceptions: every outcome in its place", async () => {
    await runMain(async () => {
      const [f] = futures<string>(1);
      const boom = new Error("boom");
      const cancelled = new CancelledError("from the promise");
      const outer = gather(
        [
          later("p1"),
          f!,
          failLater(boom),
          createTask(async () => "task"),
          Promise.reject(cancelled),
          createTask(async () => {
            throw boom;
          }),
        ],
        { returnExceptions: true },
      );
      f!.setResult("future");
      assert.deepEqual(await outer, ["p1", "future", boom, "task", cancelled, boom]);
    });
  });

  test("the first rejection fails the gather while the other promises go on (test_one_exception)", async () => {
    await runMain(async () => {
      const boom = new Error("boom");
      const log: string[] = [];
      const slow = later("slow", 5).then((v) => {
        log.push(v);
        return v;
      });
      const err = await caught(
        gather(
          failLater(boom),
          slow,
          createTask(async () => "task"),
        ),
      );
      assert.equal(err, boom);
      assert.deepEqual(log, []);
      await slow;
      assert.deepEqual(log, ["slow"]);
    });
  });

  test("a promise rejected with CancelledError fails the gather with it, not cancelled() (test_one_cancellation)", async () => {
    await runMain(async () => {
      const exc = new CancelledError("inner");
      const outer = gather(later(1), Promise.reject(exc));
      assert.equal(await caught(outer), exc);
      assert.equal(outer.cancelled(), false);
    });
  });

  test("cancelling a gather of pending promises: cancel() is true, it fails with CancelledError(msg) (test_cancellation_broadcast)", async () => {
    await runMain(async () => {
      const loop = loopNow();
      const outer = gather(
        later("late", 5),
        createTask(() => sleep(10, "task")),
      );
      await sleep(0);
      assert.equal(outer.cancel("stop"), true);
      assert.equal(outer.cancel("again"), true, "the task child still takes the request");
      assert.ok(cancelledWith("stop")(await caught(outer)));
      assert.equal(outer.done(), true);
      assert.equal(outer.cancel(), false);
      await later(null, 8); // the promise resolves now: nothing changes, nothing is logged
      assert.ok(outer.exception() instanceof CancelledError);
      assert.equal(loop._foreignPending, 0);
    });
  });

  test("after a first rejection the loop still counts the running promises as foreign work (virtual time waits for them)", async () => {
    await runMain(async () => {
      const loop = loopNow();
      const slow = later("slow", 5);
      assert.ok((await caught(gather(Promise.reject(new Error("x")), slow))) instanceof Error);
      assert.equal(loop._foreignPending, 1);
      await slow;
      await sleep(0);
      assert.equal(loop._foreignPending, 0);
    });
  });
});

describe("promise arguments: what the review of the Promise.all path pinned", () => {
  /** A query-builder-like thenable: its `then` runs the query, and it counts how often it ran. */
  function query<T>(outcome: { value: T } | { error: unknown }): PromiseLike<T> & { runs: number } {
    const q = {
      runs: 0,
      then(onOk?: ((v: T) => unknown) | null, onErr?: ((e: unknown) => unknown) | null) {
        q.runs++;
        const p = "value" in outcome ? Promise.resolve(outcome.value) : Promise.reject(outcome.error);
        return p.then(onOk, onErr);
      },
    };
    return q as PromiseLike<T> & { runs: number };
  }

  test("a foreign thenable's then() runs once: given twice, or after another argument failed", async () => {
    await runMain(async () => {
      const loop = loopNow();
      const ok = query({ value: 1 });
      assert.deepEqual(await gather(ok, ok, Promise.resolve(2)), [1, 1, 2]);
      assert.equal(ok.runs, 1);
      const good = query({ value: "x" });
      const bad = query({ error: new Error("query failed") });
      const e = await caught(gather(good, bad));
      assert.equal((e as Error).message, "query failed");
      await sleep(0);
      assert.equal(good.runs, 1);
      assert.equal(bad.runs, 1);
      assert.equal(loop._foreignPending, 0);
    });
  });

  test("children report in the order they finished, through the loop (a future's failure first)", async () => {
    await runMain(async () => {
      const [f] = futures<number>(1);
      let rejectP: (e: unknown) => void = () => {};
      const p = new Promise<number>((_, reject) => {
        rejectP = reject;
      });
      const e1 = new Error("future first");
      const outer = gather(f!, p);
      f!.setException(e1);
      rejectP(new Error("promise second"));
      assert.equal(await caught(outer), e1);
    });
  });

  test("a refused later argument leaves no unhandled rejection of the promises before it", async () => {
    await runMain(async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on("unhandledRejection", onUnhandled);
      try {
        const rejected = Promise.reject(new Error("never observed"));
        assert.throws(
          () => (gather as (...a: unknown[]) => unknown)(rejected, 42),
          asyncio.ArgumentTypeError,
        );
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(unhandled, []);
      } finally {
        process.off("unhandledRejection", onUnhandled);
      }
    });
  });
});
