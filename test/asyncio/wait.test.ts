// Port of the wait / as_completed / shield / sleep tests of CPython's
// Lib/test/test_asyncio/test_tasks.py (BaseTaskTests and SleepTests).
// CPython drives time with a virtual-clock test loop; here ordering comes from sleep(0) steps and
// futures resolved by hand, and real timers (≤ 50 ms) appear only where a timer is the point.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { bothForms, cancelledWith, loopNow, runBriefly, runMain } from "../helpers.js";

const { CancelledError, coroutine, createTask, sleep, wait } = asyncio;

/** Same members, by identity. */
function assertSameSet(actual: Set<unknown>, expected: unknown[]): void {
  assert.equal(actual.size, expected.length, `size ${actual.size} ≠ ${expected.length}`);
  for (const x of expected) assert.ok(actual.has(x), `missing ${String(x)}`);
}

/** A task that finishes after `steps` loop iterations with `value`. */
function stepper<T>(steps: number, value: T): asyncio.Task<T> {
  return createTask(async () => {
    for (let i = 0; i < steps; i++) await sleep(0);
    return value;
  });
}

/** A coroutine (not yet a task) that finishes after `steps` iterations with `value`. */
const stepsCoro = coroutine(async <T>(steps: number, value: T): Promise<T> => {
  for (let i = 0; i < steps; i++) await sleep(0);
  return value;
});

describe("wait()", () => {
  test("test_wait (test_tasks.py)", async () => {
    await runMain(async () => {
      const a = stepper(1, undefined);
      const b = stepper(3, undefined);
      const foo = async () => {
        const [done, pending] = await wait([b, a]);
        assertSameSet(done, [a, b]);
        assert.equal(pending.size, 0);
        return 42;
      };
      assert.equal(await createTask(foo), 42);
      // Doing it again exercises the already-done path.
      assert.equal(await createTask(foo), 42);
    });
  });

  test("test_wait_duplicate_coroutines (test_tasks.py)", async () => {
    await runMain(async () => {
      const coro = coroutine(async (s: string) => s);
      const c = createTask(coro("test"));
      const [done, pending] = await wait([c, c, createTask(coro("spam"))]);
      assert.equal(pending.size, 0);
      assert.equal(done.size, 2);
      assert.deepEqual(new Set([...done].map((f) => f.result())), new Set(["test", "spam"]));
    });
  });

  test("test_wait_errors (test_tasks.py): empty set or bad returnWhen → ValueError", async () => {
    await runMain(async () => {
      await assert.rejects(async () => await wait(new Set<asyncio.Future>()), asyncio.ValueError);
      const f = loopNow().createFuture();
      await assert.rejects(async () => await wait([f], { returnWhen: -1 as any }), asyncio.ValueError);
      await assert.rejects(
        async () => await wait([f], { returnWhen: "SOMETIMES" as any }),
        asyncio.ValueError,
      );
      assert.ok(!f.done());
    });
  });

  test("test_wait_invalid_args (test_tasks.py): a future or a coroutine instead of a list → TypeError", async () => {
    await runMain(async () => {
      const fut = loopNow().createFuture();
      await assert.rejects(async () => await wait(fut as any), TypeError);
      const coro = coroutine(async () => {})();
      await assert.rejects(async () => await wait(coro as any), TypeError);
      coro.close();
      await assert.rejects(async () => await wait([]), asyncio.ValueError);
      assert.throws(() => wait([fut], { timeout: "1" as any }), TypeError);
    });
  });

  test("test_wait_first_completed (test_tasks.py): returns early and never cancels", async () => {
    await runMain(async () => {
      const a = createTask(async () => {
        await sleep(10);
      });
      const b = stepper(2, undefined);
      const [done, pending] = await wait([b, a], { returnWhen: asyncio.FIRST_COMPLETED });
      assertSameSet(done, [b]);
      assertSameSet(pending, [a]);
      assert.ok(!a.done());
      assert.ok(b.done());
      assert.equal(b.result(), undefined);
      await runBriefly(2);
      assert.ok(!a.done()); // wait() did not cancel it
      a.cancel();
    });
  });

  test("test_wait_really_done (test_tasks.py)", async () => {
    await runMain(async () => {
      const a = stepper(1, undefined);
      const b = stepper(2, undefined);
      const [done, pending] = await wait([b, a], { returnWhen: asyncio.FIRST_COMPLETED });
      assertSameSet(done, [a, b]);
      assert.equal(pending.size, 0);
      assert.equal(a.result(), undefined);
      assert.equal(b.result(), undefined);
    });
  });

  test("test_wait_first_exception (test_tasks.py): a task that already failed", async () => {
    await runMain(async () => {
      const a = createTask(async () => {
        await sleep(10);
      });
      const b = createTask(async () => {
        throw new RangeError("err");
      });
      const [done, pending] = await wait([b, a], { returnWhen: asyncio.FIRST_EXCEPTION });
      assertSameSet(done, [b]);
      assertSameSet(pending, [a]);
      assert.ok(b.exception() instanceof RangeError);
      assert.ok(!a.done());
      a.cancel();
    });
  });

  test("test_wait_first_exception_in_wait (test_tasks.py): a failure while waiting", async () => {
    await runMain(async () => {
      const a = createTask(async () => {
        await sleep(10);
      });
      const b = createTask(async () => {
        await sleep(0);
        await sleep(0);
        throw new RangeError("err");
      });
      const [done, pending] = await wait([b, a], { returnWhen: asyncio.FIRST_EXCEPTION });
      assertSameSet(done, [b]);
      assertSameSet(pending, [a]);
      a.cancel();
    });
  });

  test("FIRST_EXCEPTION without failures (or with only cancellations) waits for all (test_wait_first_exception)", async () => {
    await runMain(async () => {
      const a = stepper(1, "a");
      const b = stepper(3, "b");
      const c = createTask(async () => {
        await sleep(10);
      });
      await runBriefly();
      c.cancel();
      const [done, pending] = await wait<unknown>([a, b, c], { returnWhen: asyncio.FIRST_EXCEPTION });
      assertSameSet(done, [a, b, c]);
      assert.equal(pending.size, 0);
      assert.ok(c.cancelled());
    });
  });

  test("test_wait_with_exception (test_tasks.py): ALL_COMPLETED collects failures without raising", async () => {
    await runMain(async () => {
      const a = stepper(1, undefined);
      const b = createTask(async () => {
        await sleep(0);
        await sleep(0);
        throw new RangeError("really");
      });
      const foo = async () => {
        const [done, pending] = await wait([b, a]);
        assert.equal(done.size, 2);
        assert.equal(pending.size, 0);
        const errors = [...done].filter((f) => f.exception() !== null);
        assert.deepEqual(errors, [b]);
      };
      await createTask(foo);
      await createTask(foo);
    });
  });

  test("test_wait_with_timeout / test_wait_concurrent_complete (test_tasks.py): no TimeoutError, no cancel", async () => {
    await runMain(async () => {
      const a = stepper(1, "a");
      const b = loopNow().createFuture<string>(); // never completes in time
      const [done, pending] = await wait([b, a], { timeout: 0.01 });
      assertSameSet(done, [a]);
      assertSameSet(pending, [b]);
      assert.ok(!b.done());
      assert.ok(!b.cancelled());
      b.setResult("late"); // still usable
      assert.equal(await b, "late");
    });
  });

  test("test_wait_with_iterator_of_tasks (test_tasks.py): any iterable of futures", async () => {
    await runMain(async () => {
      const a = stepper(1, 1);
      const b = stepper(2, 2);
      const [done, pending] = await wait([b, a][Symbol.iterator]());
      assertSameSet(done, [a, b]);
      assert.equal(pending.size, 0);
      const [done2] = await wait(new Set([a, b]));
      assertSameSet(done2, [a, b]);
    });
  });

  test("wait() accepts coroutines and promises, wrapping them (documented deviation from Python ≥ 3.11)", async () => {
    await runMain(async () => {
      const coro = coroutine(async () => "coro")();
      const gen = coroutine(function* () {
        yield;
        return "gen";
      })();
      const p = Promise.resolve("promise");
      const [done, pending] = await wait<string>([coro, gen, p]);
      assert.equal(pending.size, 0);
      assert.equal(done.size, 3);
      for (const f of done) assert.ok(f instanceof asyncio.Future);
      assert.deepEqual(new Set([...done].map((f) => f.result())), new Set(["coro", "gen", "promise"]));
      assert.equal([...done].filter((f) => f instanceof asyncio.Task).length, 2);
    });
  });

  bothForms("test_yield_wait_does_not_shield_cancel (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        let proof = 0;
        const waiter = loopNow().createFuture<void>();
        const inner = async () => {
          await waiter;
          proof += 1;
        };
        const outer = coroutine(async () => {
          await wait([createTask(inner)]);
          proof += 100;
        });
        const f = asyncio.ensureFuture(outer());
        await runBriefly();
        f.cancel();
        await assert.rejects(f, cancelledWith());
        assert.ok(f.cancelled());
        assert.ok(!waiter.done());
        waiter.setResult();
        await runBriefly(2);
        assert.equal(proof, 1);
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
        const outer = coroutine(function* () {
          yield* wait([createTask(inner())]);
          proof += 100;
        });
        const f = asyncio.ensureFuture(outer());
        await runBriefly();
        f.cancel();
        await assert.rejects(f, cancelledWith());
        assert.ok(f.cancelled());
        waiter.setResult();
        await runBriefly(2);
        assert.equal(proof, 1);
      });
    },
  });
});

describe("asCompleted()", () => {
  test("test_as_completed (test_tasks.py): sync iteration yields awaitables in completion order", async () => {
    await runMain(async () => {
      const a = stepsCoro(1, "a");
      const b = stepsCoro(2, "b");
      const c = stepsCoro(4, "c");
      const values: string[] = [];
      for (const f of asyncio.asCompleted([b, c, a])) values.push(await f);
      assert.deepEqual(values, ["a", "b", "c"]);
    });
  });

  test("test_as_completed_with_timeout (test_tasks.py): the remaining awaits throw TimeoutError", async () => {
    await runMain(async () => {
      const a = createTask(() => sleep(0.001, "a"));
      const b = loopNow().createFuture<string>(); // never completes
      const values: [number, unknown][] = [];
      for (const f of asyncio.asCompleted([a, b], { timeout: 0.02 })) {
        try {
          values.push([1, await f]);
        } catch (e) {
          values.push([2, e]);
        }
      }
      assert.equal(values.length, 2);
      assert.deepEqual(values[0], [1, "a"]);
      assert.equal(values[1]![0], 2);
      assert.ok(values[1]![1] instanceof asyncio.TimeoutError);
      assert.ok(!b.cancelled()); // asCompleted does not cancel either
    });
  });

  test("test_as_completed_with_unused_timeout (test_tasks.py)", async () => {
    await runMain(async () => {
      const a = sleep(0.001, "a");
      for (const f of asyncio.asCompleted([a], { timeout: 1 })) {
        assert.equal(await f, "a");
      }
    });
  });

  test("test_as_completed_reverse_wait (test_tasks.py): the first awaited gets the first finished", async () => {
    await runMain(async () => {
      const a = stepsCoro(1, "a");
      const b = stepsCoro(3, "b");
      const futs = [...asyncio.asCompleted(new Set([a, b]))];
      assert.equal(futs.length, 2);
      assert.equal(await futs[1]!, "a");
      assert.equal(await futs[0]!, "b");
    });
  });

  test("test_as_completed_concurrent (test_tasks.py)", async () => {
    await runMain(async () => {
      const a = stepsCoro(2, "a");
      const b = stepsCoro(2, "b");
      const futs = [...asyncio.asCompleted(new Set([a, b]))];
      assert.equal(futs.length, 2);
      const [done, pending] = await wait(futs.map((f) => asyncio.ensureFuture(f)));
      assert.equal(pending.size, 0);
      assert.deepEqual(new Set([...done].map((f) => f.result())), new Set(["a", "b"]));
    });
  });

  test("test_as_completed_duplicate_coroutines (test_tasks.py)", async () => {
    await runMain(async () => {
      const coro = coroutine(async (s: string) => s);
      const c = coro("ham");
      const result: string[] = [];
      for (const f of asyncio.asCompleted([c, c, coro("spam")])) result.push(await f);
      assert.equal(result.length, 2);
      assert.deepEqual(new Set(result), new Set(["ham", "spam"]));
    });
  });

  test("test_as_completed_invalid_args (test_tasks.py): a future or a coroutine → TypeError", async () => {
    await runMain(async () => {
      const fut = loopNow().createFuture();
      assert.throws(() => asyncio.asCompleted(fut as any), TypeError);
      const coro = coroutine(async () => {})();
      assert.throws(() => asyncio.asCompleted(coro as any), TypeError);
      coro.close();
      assert.throws(() => asyncio.asCompleted([fut], { timeout: "soon" as any }), TypeError);
    });
  });

  test("test_as_completed_coroutine_use_running_loop (test_tasks.py)", async () => {
    await runMain(async () => {
      const futs = [...asyncio.asCompleted([coroutine(async () => 42)()])];
      assert.equal(futs.length, 1);
      assert.equal(await futs[0]!, 42);
    });
  });

  test("asCompleted with `for await` yields the finished futures themselves (test_as_completed, 3.13 form)", async () => {
    await runMain(async () => {
      const a = stepper(3, "a");
      const b = stepper(1, "b");
      const c = createTask(async () => {
        await sleep(0);
        await sleep(0);
        throw new Error("c failed");
      });
      const seen: unknown[] = [];
      // Typed as T by TypeScript (Future is thenable, and `for await` types its elements as Awaited<…>),
      // but the runtime values are the futures.
      for await (const x of asyncio.asCompleted([a, b, c])) {
        const f = x as unknown as asyncio.Future<string>;
        assert.ok(f.done());
        seen.push(f);
      }
      assert.deepEqual(seen, [b, c, a]);
      assert.equal(seen[0], b); // the original task, not a wrapper
      // coroutines come back as the tasks that ran them
      const results: string[] = [];
      for await (const x of asyncio.asCompleted([stepsCoro(2, "x"), stepsCoro(1, "y")])) {
        const f = x as unknown as asyncio.Future<string>;
        assert.ok(f instanceof asyncio.Task);
        results.push(f.result());
      }
      assert.deepEqual(results, ["y", "x"]);
    });
  });

  test("asCompleted `for await` with a timeout throws TimeoutError (test_as_completed_with_timeout)", async () => {
    await runMain(async () => {
      const a = stepper(1, "a");
      const never = loopNow().createFuture<string>();
      const seen: unknown[] = [];
      await assert.rejects(async () => {
        for await (const f of asyncio.asCompleted([a, never], { timeout: 0.01 })) seen.push(f);
      }, asyncio.TimeoutError);
      assert.deepEqual(seen, [a]);
      assert.ok(!never.cancelled());
    });
  });

  test("asCompleted of an empty list yields nothing (test_as_completed)", async () => {
    await runMain(async () => {
      assert.equal([...asyncio.asCompleted([])].length, 0);
      let n = 0;
      for await (const _ of asyncio.asCompleted([])) n++;
      assert.equal(n, 0);
    });
  });
});

describe("shield()", () => {
  test("test_shield_result (test_tasks.py)", async () => {
    await runMain(async () => {
      const inner = loopNow().createFuture<number>();
      const outer = asyncio.shield(inner);
      inner.setResult(42);
      assert.equal(await outer, 42);
    });
  });

  test("test_shield_exception (test_tasks.py)", async () => {
    await runMain(async () => {
      const inner = loopNow().createFuture<number>();
      const outer = asyncio.shield(inner);
      await runBriefly();
      const exc = new asyncio.RuntimeError("expected");
      inner.setException(exc);
      await runBriefly(2);
      assert.equal(outer.exception(), exc);
      // from a coroutine
      await assert.rejects(
        asyncio.shield(
          coroutine(async () => {
            throw exc;
          })(),
        ),
        (e: unknown) => e === exc,
      );
    });
  });

  test("test_shield_cancel_inner (test_tasks.py): cancelling the inner cancels the outer", async () => {
    await runMain(async () => {
      const inner = loopNow().createFuture<number>();
      const outer = asyncio.shield(inner);
      await runBriefly();
      inner.cancel();
      await runBriefly(2);
      assert.ok(outer.cancelled());
    });
  });

  test("test_shield_cancel_outer (test_tasks.py): cancelling the outer leaves the inner alone", async () => {
    await runMain(async () => {
      const reported: unknown[] = [];
      loopNow().setExceptionHandler((_l, ctx) => {
        reported.push(ctx);
      });
      const inner = loopNow().createFuture<number>();
      const outer = asyncio.shield(inner);
      await runBriefly();
      assert.ok(outer.cancel());
      await runBriefly(2);
      assert.ok(outer.cancelled());
      assert.ok(!inner.cancelled());
      inner.setResult(1); // nobody listens any more; nothing breaks
      await runBriefly(2);
      assert.equal(inner.result(), 1);
      assert.deepEqual(reported, []);
    });
  });

  test("test_shield_shortcut (test_tasks.py): shield of a done future", async () => {
    await runMain(async () => {
      const fut = loopNow().createFuture<number>();
      fut.setResult(42);
      assert.equal(await asyncio.shield(fut), 42);
    });
  });

  bothForms("test_shield_effect (test_tasks.py): cancelling the awaiting task does not cancel the inner", {
    async: async () => {
      await runMain(async () => {
        let proof = 0;
        const waiter = loopNow().createFuture<void>();
        const inner = coroutine(async () => {
          await waiter;
          proof += 1;
        });
        const outer = coroutine(async () => {
          await asyncio.shield(inner());
          proof += 100;
        });
        const f = asyncio.ensureFuture(outer());
        await runBriefly();
        f.cancel();
        await assert.rejects(f, cancelledWith());
        assert.ok(!waiter.cancelled());
        waiter.setResult();
        await runBriefly(2);
        assert.equal(proof, 1);
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
        const outer = coroutine(function* () {
          yield* asyncio.shield(inner());
          proof += 100;
        });
        const f = asyncio.ensureFuture(outer());
        await runBriefly();
        f.cancel();
        await assert.rejects(f, cancelledWith());
        assert.ok(!waiter.cancelled());
        waiter.setResult();
        await runBriefly(2);
        assert.equal(proof, 1);
      });
    },
  });

  bothForms(
    "shield: the awaiting task can catch the cancel and still collect the inner result (test_shield_effect)",
    {
      async: async () => {
        await runMain(async () => {
          const inner = createTask(async () => {
            await sleep(0);
            await sleep(0);
            return "inner";
          });
          const t = createTask(async () => {
            try {
              return await asyncio.shield(inner);
            } catch (e) {
              if (!(e instanceof CancelledError)) throw e;
              asyncio.currentTask()!.uncancel();
              return `after cancel: ${await inner}`;
            }
          });
          await runBriefly();
          t.cancel();
          assert.equal(await t, "after cancel: inner");
          assert.ok(!inner.cancelled());
        });
      },
      gen: async () => {
        await runMain(async () => {
          const inner = createTask(
            coroutine(function* () {
              yield;
              yield;
              return "inner";
            })(),
          );
          const t = createTask(
            coroutine(function* () {
              try {
                return yield* asyncio.shield(inner);
              } catch (e) {
                if (!(e instanceof CancelledError)) throw e;
                asyncio.currentTask()!.uncancel();
                return `after cancel: ${yield* inner}`;
              }
            })(),
          );
          await runBriefly();
          t.cancel();
          assert.equal(await t, "after cancel: inner");
          assert.ok(!inner.cancelled());
        });
      },
    },
  );

  test("test_shield_gather (test_tasks.py)", async () => {
    await runMain(async () => {
      const loop = loopNow();
      const child1 = loop.createFuture<number>();
      const child2 = loop.createFuture<number>();
      const parent = asyncio.gather(child1, child2);
      const outer = asyncio.shield(parent);
      await runBriefly();
      outer.cancel();
      await runBriefly();
      assert.ok(outer.cancelled());
      child1.setResult(1);
      child2.setResult(2);
      await runBriefly(2);
      assert.deepEqual(parent.result(), [1, 2]);
    });
  });

  test("test_shield_coroutine_use_running_loop (test_tasks.py)", async () => {
    await runMain(async () => {
      const outer = asyncio.shield(coroutine(async () => 42)());
      assert.equal(outer.getLoop(), loopNow());
      assert.equal(await outer, 42);
    });
  });
});

describe("sleep()", () => {
  test("test_sleep (test_tasks.py): sleep(delay, result)", async () => {
    await runMain(async () => {
      const sleeper = async (dt: number, arg: string) => {
        await sleep(dt / 2);
        const res: string = await sleep(dt / 2, arg);
        return res;
      };
      const t = createTask(() => sleeper(0.004, "yeah"));
      assert.equal(await t, "yeah");
      assert.ok(t.done());
      const g = createTask(
        coroutine(function* () {
          yield* sleep(0.001);
          return yield* sleep(0.001, "gen");
        })(),
      );
      assert.equal(await g, "gen");
    });
  });

  bothForms("test_sleep_zero (test_tasks.py): sleep(0) is exactly one loop iteration", {
    async: async () => {
      await runMain(async () => {
        const loop = loopNow();
        const state = { result: 0 };
        loop.callSoon(() => {
          state.result += 1;
        });
        assert.equal(state.result as number, 0);
        const num = await sleep(0, 10);
        assert.equal(state.result as number, 1); // the callSoon callback ran
        state.result += num;
        assert.equal(state.result as number, 11);
        // A callback scheduled during that iteration runs after the task resumed.
        const log: string[] = [];
        loop.callSoon(() => {
          log.push("A");
          loop.callSoon(() => log.push("B"));
        });
        await sleep(0);
        log.push("task");
        await runBriefly();
        assert.deepEqual(log, ["A", "task", "B"]);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = loopNow();
        const state = { result: 0 };
        loop.callSoon(() => {
          state.result += 1;
        });
        assert.equal(state.result as number, 0);
        const num: number = yield* sleep(0, 10);
        assert.equal(state.result as number, 1);
        state.result += num;
        assert.equal(state.result as number, 11);
        const log: string[] = [];
        loop.callSoon(() => {
          log.push("A");
          loop.callSoon(() => log.push("B"));
        });
        yield* sleep(0);
        log.push("task");
        yield* sleep(0);
        assert.deepEqual(log, ["A", "task", "B"]);
      });
    },
  });

  test("sleep with a negative delay behaves like sleep(0) (test_sleep_zero)", async () => {
    await runMain(async () => {
      let ran = false;
      loopNow().callSoon(() => {
        ran = true;
      });
      assert.equal(await sleep(-5, "neg"), "neg");
      assert.ok(ran);
    });
  });

  test("sleep argument validation: TypeError for a string, ValueError for NaN (test_tasks.py test_sleep)", async () => {
    await runMain(async () => {
      assert.throws(() => sleep("1" as any), TypeError);
      assert.throws(() => sleep(undefined as any), TypeError);
      assert.throws(() => sleep(Number.NaN), asyncio.ValueError);
      assert.equal(await sleep(0.001, "still fine"), "still fine");
    });
  });

  bothForms("test_sleep_cancel (test_tasks.py): cancelling a sleeping task cancels its timer", {
    async: async () => {
      await runMain(async () => {
        const loop = loopNow();
        let handle: asyncio.TimerHandle | undefined;
        const orig = loop.callLater;
        (loop as any).callLater = (delay: number, cb: (...a: unknown[]) => unknown, ...args: unknown[]) => {
          handle = orig.call(loop, delay, cb, ...args);
          return handle;
        };
        try {
          const t = createTask(() => sleep(10, "yeah"));
          await runBriefly();
          assert.ok(handle !== undefined);
          assert.ok(!handle.cancelled());
          t.cancel();
          await runBriefly();
          assert.ok(handle.cancelled());
          await assert.rejects(t, cancelledWith());
        } finally {
          delete (loop as any).callLater;
        }
      });
    },
    gen: async () => {
      await runMain(async () => {
        const loop = loopNow();
        let handle: asyncio.TimerHandle | undefined;
        const orig = loop.callLater;
        (loop as any).callLater = (delay: number, cb: (...a: unknown[]) => unknown, ...args: unknown[]) => {
          handle = orig.call(loop, delay, cb, ...args);
          return handle;
        };
        try {
          const t = createTask(
            coroutine(function* () {
              return yield* sleep(10, "yeah");
            })(),
          );
          await runBriefly();
          assert.ok(handle !== undefined);
          assert.ok(!handle.cancelled());
          t.cancel();
          await runBriefly();
          assert.ok(handle.cancelled());
          await assert.rejects(t, cancelledWith());
        } finally {
          delete (loop as any).callLater;
        }
      });
    },
  });

  bothForms(
    "a cancelled sleep throws CancelledError at the await, finally runs (test_task_cancel_sleeping_task)",
    {
      async: async () => {
        await runMain(async () => {
          const log: string[] = [];
          const t = createTask(async () => {
            try {
              await sleep(10);
              log.push("woke");
            } finally {
              log.push("finally");
            }
          });
          await runBriefly();
          t.cancel("wake up");
          await assert.rejects(t, cancelledWith("wake up"));
          assert.deepEqual(log, ["finally"]);
        });
      },
      gen: async () => {
        await runMain(async () => {
          const log: string[] = [];
          const t = createTask(
            coroutine(function* () {
              try {
                yield* sleep(10);
                log.push("woke");
              } finally {
                log.push("finally");
              }
            })(),
          );
          await runBriefly();
          t.cancel("wake up");
          await assert.rejects(t, cancelledWith("wake up"));
          assert.deepEqual(log, ["finally"]);
        });
      },
    },
  );
});
