// Port of CPython's Lib/test/test_asyncio/test_waitfor.py (wait_for as built on timeout() since 3.12),
// in both coroutine forms. Timers are compared to each other, never against the wall clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { blockLoop, bothForms, caught, caughtGen, isCancelled, isTimeout, runMain } from "../helpers.js";

/** A very small timeout: passes "timeout > 0" but expires at once (CPython's _EPSILON). */
const EPSILON = 0.0001;

class FooError extends Error {
  override name = "FooError";
}

/**
 * CPython's SlowTask: runs until a loop-time deadline, swallowing every cancellation on the way.
 * `run` is the async-function form, `runGen` the generator-coroutine form.
 */
class SlowTask {
  static readonly DURATION = 0.05;
  exited = false;
  cancelsIgnored = 0;

  // A coroutine(), not a bare async call: a started promise cannot be cancelled on its own.
  run = asyncio.coroutine(async (): Promise<string> => {
    const loop = asyncio.getRunningLoop();
    const exitAt = loop.time() + SlowTask.DURATION;
    for (;;) {
      const left = exitAt - loop.time();
      if (left <= 0) break;
      try {
        await asyncio.sleep(left);
      } catch (e) {
        if (!isCancelled(e)) throw e;
        this.cancelsIgnored++;
      }
    }
    this.exited = true;
    return "slow done";
  });

  runGen = asyncio.coroutine(
    function* (this: SlowTask): Generator<unknown, string, any> {
      const loop = asyncio.getRunningLoop();
      const exitAt = loop.time() + SlowTask.DURATION;
      for (;;) {
        const left = exitAt - loop.time();
        if (left <= 0) break;
        try {
          yield* asyncio.sleep(left);
        } catch (e) {
          if (!isCancelled(e)) throw e;
          this.cancelsIgnored++;
        }
      }
      this.exited = true;
      return "slow done";
    }.bind(this),
  );
}

describe("waitFor() results", () => {
  bothForms("test_wait_for_blocking: timeout null waits as long as needed (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const coro = asyncio.coroutine(async () => {
          await asyncio.sleep(0.01);
          return "done";
        });
        assert.equal(await asyncio.waitFor(coro(), null), "done");
      });
    },
    gen: async () => {
      await runMain(function* () {
        const coro = asyncio.coroutine(function* () {
          yield* asyncio.sleep(0.01);
          return "done";
        });
        assert.equal(yield* asyncio.waitFor(coro(), null), "done");
      });
    },
  });

  test("test_wait_for_race_condition: the result arrives before the timeout (test_waitfor.py)", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<string>();
      const pending = asyncio.waitFor(fut, 10);
      loop.callLater(0.01, () => fut.setResult("ok"));
      assert.equal(await pending, "ok");
      assert.equal(asyncio.currentTask()!.cancelling(), 0);
    });
  });

  // test_wait_for_race_condition (test_waitfor.py) taken to the end: the result and the expiry both come
  // due while the loop is blocked, so the loop runs them in one iteration, result first. As in CPython's
  // timeouts.py, the expiry's task.cancel() reaches the task after the future got its result but before
  // the task resumed: the task is woken with CancelledError, and the timeout turns it into TimeoutError.
  // The schedule is built from loop times, not from how fast the loop gets going (a 10-20 ms stall before
  // the blocking callback, common on a loaded machine, used to make the result timer due in the blocked
  // iteration itself and the expiry one iteration later, after the task had resumed with "ok"):
  // - the result timer is created inside the blocking callback, so it cannot be collected before the
  //   block (an iteration collects its due timers when it begins), at t0 + TIMEOUT / 10, before the
  //   expiry (which waitFor, entered after t0 and before the callback ran, sets at t0 + TIMEOUT or later);
  // - the loop stays blocked until the expiry (at most blockedAt + TIMEOUT) is overdue.
  // Only a stall of about TIMEOUT before the callback could defeat it, and the first assertions say so.
  test("test_wait_for_race_condition: result and expiry in the same iteration → TimeoutError (test_waitfor.py)", async () => {
    const TIMEOUT = 0.1;
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<string>();
      const t0 = loop.time(); // before waitFor schedules its expiry: the expiry is at t0 + TIMEOUT or later
      let blockedAt = Number.NaN;
      loop.callSoon(() => {
        blockedAt = loop.time();
        loop.callAt(t0 + TIMEOUT / 10, () => fut.setResult("ok")); // due next iteration, before the expiry
        const until = blockedAt + TIMEOUT + 0.02; // the expiry is at most blockedAt + TIMEOUT
        while (loop.time() < until) blockLoop(Math.ceil((until - loop.time()) * 1000));
      });
      const err = await caught(asyncio.waitFor(fut, TIMEOUT));
      assert.ok(blockedAt < t0 + TIMEOUT - 0.001, "set-up: the loop was blocked before the expiry was due");
      // The result came first (had the expiry run first, it would have cancelled fut) …
      assert.equal(fut.cancelled(), false, "the result came before the expiry");
      assert.equal(fut.result(), "ok");
      // … yet the expiry cancels the waiting task, which had not resumed yet.
      assert.ok(isTimeout(err), `expected TimeoutError, got ${String(err)}`);
      assert.equal(asyncio.currentTask()!.cancelling(), 0);
    });
  });

  test("test_wait_for_timeout_less_then_0_or_0_future_done (test_waitfor.py)", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      for (const t of [0, -1]) {
        const fut = loop.createFuture<string>();
        fut.setResult("done");
        assert.equal(await asyncio.waitFor(fut, t), "done");
        assert.equal(fut.done(), true);
      }
    });
  });

  bothForms(
    "the inner awaitable's exception passes through (test_wait_for_reraises_exception_during_cancellation, test_waitfor.py)",
    {
      async: async () => {
        await runMain(async () => {
          const boom = new FooError("inner failed");
          const coro = asyncio.coroutine(async () => {
            await asyncio.sleep(0);
            throw boom;
          });
          assert.equal(await caught(asyncio.waitFor(coro(), 10)), boom);
          assert.equal(await caught(asyncio.waitFor(coro(), null)), boom);
          const task = asyncio.createTask(coro());
          assert.equal(await caught(asyncio.waitFor(task, 10)), boom);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const boom = new FooError("inner failed");
          const coro = asyncio.coroutine(function* () {
            yield* asyncio.sleep(0);
            throw boom;
          });
          assert.equal(yield* caughtGen(asyncio.waitFor(coro(), 10)), boom);
          assert.equal(yield* caughtGen(asyncio.waitFor(coro(), null)), boom);
          const task = asyncio.createTask(coro());
          assert.equal(yield* caughtGen(asyncio.waitFor(task, 10)), boom);
        });
      },
    },
  );

  test("plain promises are awaited (test_wait_for_race_condition, test_waitfor.py)", async () => {
    await runMain(async () => {
      assert.equal(await asyncio.waitFor(Promise.resolve(5), 10), 5);
      assert.equal(await asyncio.waitFor(Promise.resolve(6), null), 6);
      const boom = new FooError("rejected");
      assert.equal(await caught(asyncio.waitFor(Promise.reject(boom), 10)), boom);
      const later = new Promise<string>((resolve) => setTimeout(() => resolve("late"), 10));
      assert.equal(await asyncio.waitFor(later, 10), "late");
    });
  });

  test("a promise that never settles times out (test_wait_for, test_waitfor.py)", async () => {
    await runMain(async () => {
      const never = new Promise<never>(() => {});
      assert.ok(isTimeout(await caught(asyncio.waitFor(never, 0.01))));
      assert.ok(isTimeout(await caught(asyncio.waitFor(never, 0))));
      assert.equal(asyncio.currentTask()!.cancelling(), 0);
    });
  });
});

describe("waitFor() expiry", () => {
  // The CancelledError the runtime delivers carries no frames outside debug mode (its stack could only
  // show the loop: the cancelled code is suspended); the TimeoutError made from it keeps the frames of
  // the code that timed out; a CancelledError user code makes keeps its stack, and the process-wide
  // Error.stackTraceLimit is left as it was.
  for (const debug of [false, true]) {
    test(`the delivered CancelledError's stack ${debug ? "has frames in debug mode" : "is its first line"}; the TimeoutError's has frames`, async () => {
      const limit = Error.stackTraceLimit;
      await runMain(async function timesOut() {
        const err = await caught(asyncio.waitFor(asyncio.sleep(10), 0.001));
        assert.ok(isTimeout(err));
        const cause = (err as Error).cause as Error;
        assert.ok(isCancelled(cause));
        if (debug) assert.match(cause.stack!, /\n\s+at /);
        else assert.equal(cause.stack, "CancelledError");
        assert.match((err as Error).stack!, /\n\s+at /);
        assert.equal(Error.stackTraceLimit, limit);
        assert.match(new asyncio.CancelledError("mine").stack!, /^CancelledError: mine\n\s+at /);
      }, debug);
    });
  }

  bothForms("test_wait_for: timeout cancels the inner task and its cleanup runs (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const log: string[] = [];
        const foo = async (): Promise<string> => {
          log.push("running");
          try {
            await asyncio.sleep(10);
          } finally {
            log.push("cleanup");
          }
          return "done";
        };
        const fut = asyncio.createTask(foo);
        const err = await caught(asyncio.waitFor(fut, 0.01));
        assert.ok(isTimeout(err), `expected TimeoutError, got ${String(err)}`);
        assert.ok(isCancelled((err as Error).cause));
        assert.equal(fut.done(), true);
        assert.equal(fut.cancelled(), true);
        assert.deepEqual(log, ["running", "cleanup"]);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const log: string[] = [];
        const foo = asyncio.coroutine(function* () {
          log.push("running");
          try {
            yield* asyncio.sleep(10);
          } finally {
            log.push("cleanup");
          }
          return "done";
        });
        const fut = asyncio.createTask(foo());
        const err = yield* caughtGen(asyncio.waitFor(fut, 0.01));
        assert.ok(isTimeout(err), `expected TimeoutError, got ${String(err)}`);
        assert.ok(isCancelled((err as Error).cause));
        assert.equal(fut.done(), true);
        assert.equal(fut.cancelled(), true);
        assert.deepEqual(log, ["running", "cleanup"]);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
  });

  bothForms("test_wait_for: a coroutine awaited directly is cancelled on timeout (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const log: string[] = [];
        const coro = asyncio.coroutine(async () => {
          try {
            await asyncio.sleep(10);
          } catch (e) {
            log.push((e as Error).name);
            throw e;
          } finally {
            log.push("cleanup");
          }
        });
        assert.ok(isTimeout(await caught(asyncio.waitFor(coro(), 0.01))));
        assert.deepEqual(log, ["CancelledError", "cleanup"]);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const log: string[] = [];
        const coro = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } catch (e) {
            log.push((e as Error).name);
            throw e;
          } finally {
            log.push("cleanup");
          }
        });
        assert.ok(isTimeout(yield* caughtGen(asyncio.waitFor(coro(), 0.01))));
        assert.deepEqual(log, ["CancelledError", "cleanup"]);
      });
    },
  });

  test("test_wait_for with a bare future: cancelled on timeout (test_waitfor.py)", async () => {
    await runMain(async () => {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      assert.ok(isTimeout(await caught(asyncio.waitFor(fut, 0.01))));
      assert.equal(fut.cancelled(), true);
    });
  });

  bothForms("test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        let started = false;
        const foo = asyncio.coroutine(async () => {
          started = true;
        });
        for (const t of [0, -1]) {
          const err = await caught(asyncio.waitFor(foo(), t));
          assert.ok(isTimeout(err), `timeout ${t}: expected TimeoutError, got ${String(err)}`);
        }
        assert.equal(started, false);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let started = false;
        // biome-ignore lint/correctness/useYield: a body that would finish at once if started
        const foo = asyncio.coroutine(function* () {
          started = true;
        });
        for (const t of [0, -1]) {
          const err = yield* caughtGen(asyncio.waitFor(foo(), t));
          assert.ok(isTimeout(err), `timeout ${t}: expected TimeoutError, got ${String(err)}`);
        }
        assert.equal(started, false);
      });
    },
  });

  bothForms("test_wait_for_timeout_less_then_0_or_0 (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = asyncio.getRunningLoop();
        for (const t of [0, -1]) {
          let running: boolean | null = null;
          const started = loop.createFuture<void>();
          const foo = async (): Promise<string> => {
            running = true;
            started.setResult();
            try {
              await asyncio.sleep(10);
            } finally {
              running = false;
            }
            return "done";
          };
          const fut = asyncio.createTask(foo);
          await started;
          const err = await caught(asyncio.waitFor(fut, t));
          assert.ok(isTimeout(err), `timeout ${t}: expected TimeoutError, got ${String(err)}`);
          assert.equal(fut.done(), true);
          assert.equal(fut.cancelled(), true);
          assert.equal(running, false);
        }
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = asyncio.getRunningLoop();
        for (const t of [0, -1]) {
          let running: boolean | null = null;
          const started = loop.createFuture<void>();
          const foo = asyncio.coroutine(function* () {
            running = true;
            started.setResult();
            try {
              yield* asyncio.sleep(10);
            } finally {
              running = false;
            }
            return "done";
          });
          const fut = asyncio.createTask(foo());
          yield* started;
          const err = yield* caughtGen(asyncio.waitFor(fut, t));
          assert.ok(isTimeout(err), `timeout ${t}: expected TimeoutError, got ${String(err)}`);
          assert.equal(fut.done(), true);
          assert.equal(fut.cancelled(), true);
          assert.equal(running, false);
        }
      });
    },
  });

  bothForms("test_asyncio_wait_for_timeout: waits for a task that ignores cancellation (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const t = new SlowTask();
        const r = await asyncio.waitFor(t.run(), SlowTask.DURATION / 5);
        assert.equal(t.exited, true, "waitFor returned only after the inner coroutine finished");
        assert.ok(t.cancelsIgnored >= 1);
        assert.equal(r, "slow done", "the inner swallowed the cancellation: its result is kept");
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const t = new SlowTask();
        const r = yield* asyncio.waitFor(t.runGen(), SlowTask.DURATION / 5);
        assert.equal(t.exited, true, "waitFor returned only after the inner coroutine finished");
        assert.ok(t.cancelsIgnored >= 1);
        assert.equal(r, "slow done", "the inner swallowed the cancellation: its result is kept");
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
  });

  bothForms("test_wait_for_waits_for_task_cancellation (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        let taskDone = false;
        const inner = async (): Promise<void> => {
          try {
            await asyncio.sleep(10);
          } catch (e) {
            await asyncio.sleep(EPSILON);
            throw e;
          } finally {
            taskDone = true;
          }
        };
        const innerTask = asyncio.createTask(inner);
        const err = await caught(asyncio.waitFor(innerTask, EPSILON));
        assert.ok(isTimeout(err), `expected TimeoutError, got ${String(err)}`);
        assert.equal(taskDone, true, "waitFor waited until the cancelled task finished");
        assert.ok(isCancelled((err as Error).cause));
      });
    },
    gen: async () => {
      await runMain(function* () {
        let taskDone = false;
        const inner = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } catch (e) {
            yield* asyncio.sleep(EPSILON);
            throw e;
          } finally {
            taskDone = true;
          }
        });
        const innerTask = asyncio.createTask(inner());
        const err = yield* caughtGen(asyncio.waitFor(innerTask, EPSILON));
        assert.ok(isTimeout(err), `expected TimeoutError, got ${String(err)}`);
        assert.equal(taskDone, true, "waitFor waited until the cancelled task finished");
        assert.ok(isCancelled((err as Error).cause));
      });
    },
  });

  bothForms("test_wait_for_waits_for_task_cancellation_w_timeout_0 (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        let taskDone = false;
        const inner = async (): Promise<void> => {
          try {
            await asyncio.sleep(10);
          } catch (e) {
            await asyncio.sleep(EPSILON);
            throw e;
          } finally {
            taskDone = true;
          }
        };
        const foo = async (): Promise<void> => {
          const innerTask = asyncio.createTask(inner);
          await asyncio.sleep(EPSILON);
          await asyncio.waitFor(innerTask, 0);
        };
        const err = await caught(foo());
        assert.ok(isTimeout(err), `expected TimeoutError, got ${String(err)}`);
        assert.equal(taskDone, true);
        assert.ok(isCancelled((err as Error).cause));
      });
    },
    gen: async () => {
      await runMain(function* () {
        let taskDone = false;
        const inner = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } catch (e) {
            yield* asyncio.sleep(EPSILON);
            throw e;
          } finally {
            taskDone = true;
          }
        });
        const foo = asyncio.coroutine(function* () {
          const innerTask = asyncio.createTask(inner());
          yield* asyncio.sleep(EPSILON);
          yield* asyncio.waitFor(innerTask, 0);
        });
        const err = yield* caughtGen(foo());
        assert.ok(isTimeout(err), `expected TimeoutError, got ${String(err)}`);
        assert.equal(taskDone, true);
        assert.ok(isCancelled((err as Error).cause));
      });
    },
  });

  bothForms("test_wait_for_reraises_exception_during_cancellation (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const inner = async (): Promise<void> => {
          try {
            await asyncio.sleep(0.2);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new FooError("cleanup");
          }
        };
        const innerTask = asyncio.createTask(inner);
        const err = await caught(asyncio.waitFor(innerTask, EPSILON));
        assert.ok(err instanceof FooError, `expected FooError, got ${String(err)}`);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const inner = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(0.2);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new FooError("cleanup");
          }
        });
        const innerTask = asyncio.createTask(inner());
        const err = yield* caughtGen(asyncio.waitFor(innerTask, EPSILON));
        assert.ok(err instanceof FooError, `expected FooError, got ${String(err)}`);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
  });

  bothForms("test_wait_for_cancellation_race_condition (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const inner = asyncio.coroutine(async () => {
          const err = await caught(asyncio.sleep(1));
          assert.ok(isCancelled(err));
          return 1;
        });
        assert.equal(await asyncio.waitFor(inner(), 0.01), 1);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const inner = asyncio.coroutine(function* () {
          const err = yield* caughtGen(asyncio.sleep(1));
          assert.ok(isCancelled(err));
          return 1;
        });
        assert.equal(yield* asyncio.waitFor(inner(), 0.01), 1);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
  });

  bothForms("test_wait_for_cancel_suppressed: the inner returns after being cancelled (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const return42 = asyncio.coroutine(async () => {
          try {
            await asyncio.sleep(10);
          } catch (e) {
            if (isCancelled(e)) return 42;
            throw e;
          }
          return 0;
        });
        assert.equal(await asyncio.waitFor(return42(), 0.01), 42);
        // The cancellation the timeout requested was withdrawn: the task goes on normally.
        await asyncio.sleep(0);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const return42 = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } catch (e) {
            if (isCancelled(e)) return 42;
            throw e;
          }
          return 0;
        });
        assert.equal(yield* asyncio.waitFor(return42(), 0.01), 42);
        yield* asyncio.sleep(0);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
  });

  bothForms("nested waitFor: the outer one expires first (test_nested_timeouts, test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const log: string[] = [];
        const work = asyncio.coroutine(async () => {
          try {
            await asyncio.sleep(10);
          } finally {
            log.push("work cleanup");
          }
        });
        const inner = asyncio.coroutine(async () => {
          try {
            await asyncio.waitFor(work(), 10);
          } catch (e) {
            log.push(`inner waitFor: ${(e as Error).name}`);
            throw e;
          }
        });
        const err = await caught(asyncio.waitFor(inner(), 0.01));
        assert.ok(isTimeout(err));
        assert.deepEqual(log, ["work cleanup", "inner waitFor: CancelledError"]);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const log: string[] = [];
        const work = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } finally {
            log.push("work cleanup");
          }
        });
        const inner = asyncio.coroutine(function* () {
          try {
            yield* asyncio.waitFor(work(), 10);
          } catch (e) {
            log.push(`inner waitFor: ${(e as Error).name}`);
            throw e;
          }
        });
        const err = yield* caughtGen(asyncio.waitFor(inner(), 0.01));
        assert.ok(isTimeout(err));
        assert.deepEqual(log, ["work cleanup", "inner waitFor: CancelledError"]);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
  });

  bothForms("nested waitFor: the inner one expires first (test_nested_timeouts, test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const fut = asyncio.getRunningLoop().createFuture<void>();
        const inner = asyncio.coroutine(async () => {
          const err = await caught(asyncio.waitFor(fut, 0.01));
          assert.ok(isTimeout(err), "the inner waitFor reports its own expiry");
          return "handled";
        });
        assert.equal(await asyncio.waitFor(inner(), 10), "handled");
        assert.equal(fut.cancelled(), true);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const fut = asyncio.getRunningLoop().createFuture<void>();
        const inner = asyncio.coroutine(function* () {
          const err = yield* caughtGen(asyncio.waitFor(fut, 0.01));
          assert.ok(isTimeout(err), "the inner waitFor reports its own expiry");
          return "handled";
        });
        assert.equal(yield* asyncio.waitFor(inner(), 10), "handled");
        assert.equal(fut.cancelled(), true);
        assert.equal(asyncio.currentTask()!.cancelling(), 0);
      });
    },
  });
});

describe("cancelling a waitFor()", () => {
  bothForms("test_asyncio_wait_for_cancelled (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const t = new SlowTask();
        const waitForTask = asyncio.createTask(() => asyncio.waitFor(t.run(), SlowTask.DURATION * 20));
        await asyncio.sleep(0);
        waitForTask.cancel();
        await asyncio.wait([waitForTask]);
        assert.equal(t.exited, true, "the waitFor task ended only after the inner coroutine");
        assert.ok(t.cancelsIgnored >= 1);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const t = new SlowTask();
        const body = asyncio.coroutine(function* () {
          return yield* asyncio.waitFor(t.runGen(), SlowTask.DURATION * 20);
        });
        const waitForTask = asyncio.createTask(body());
        yield* asyncio.sleep(0);
        waitForTask.cancel();
        yield* asyncio.wait([waitForTask]);
        assert.equal(t.exited, true, "the waitFor task ended only after the inner coroutine");
        assert.ok(t.cancelsIgnored >= 1);
      });
    },
  });

  for (const timeout of [null, 60]) {
    const name =
      timeout === null
        ? "test_cancel_blocking_wait_for (test_waitfor.py)"
        : "test_cancel_wait_for (test_waitfor.py)";
    bothForms(name, {
      async: async () => {
        await runMain(async () => {
          const loop = asyncio.getRunningLoop();
          const blocking = async (): Promise<void> => {
            await loop.createFuture<void>(); // never resolved
          };
          const task = asyncio.createTask(blocking);
          const wait = asyncio.createTask(() => asyncio.waitFor(task, timeout));
          loop.callSoon(() => wait.cancel());
          const err = await caught(wait);
          assert.ok(isCancelled(err), `expected CancelledError, got ${String(err)}`);
          assert.equal(wait.cancelled(), true);
          // Python issue #23219: cancelling the waitFor must also cancel the task it waits for.
          assert.equal(task.cancelled(), true);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const loop = asyncio.getRunningLoop();
          const blocking = asyncio.coroutine(function* () {
            yield* loop.createFuture<void>();
          });
          const task = asyncio.createTask(blocking());
          const body = asyncio.coroutine(function* () {
            yield* asyncio.waitFor(task, timeout);
          });
          const wait = asyncio.createTask(body());
          loop.callSoon(() => wait.cancel());
          const err = yield* caughtGen(wait);
          assert.ok(isCancelled(err), `expected CancelledError, got ${String(err)}`);
          assert.equal(wait.cancelled(), true);
          assert.equal(task.cancelled(), true);
        });
      },
    });
  }

  bothForms(
    "cancelling the caller cancels an inner coroutine and runs its cleanup (test_cancel_wait_for, test_waitfor.py)",
    {
      async: async () => {
        await runMain(async () => {
          const log: string[] = [];
          const inner = asyncio.coroutine(async () => {
            try {
              await asyncio.sleep(10);
            } finally {
              log.push("inner cleanup");
            }
          });
          const wait = asyncio.createTask(async () => {
            try {
              await asyncio.waitFor(inner(), 60);
            } catch (e) {
              log.push(`caller: ${(e as Error).name}`);
              throw e;
            }
          });
          await asyncio.sleep(0);
          wait.cancel("stop");
          const err = await caught(wait);
          assert.ok(
            isCancelled(err) && (err as Error).message === "stop",
            "the cancellation is not a TimeoutError",
          );
          assert.deepEqual(log, ["inner cleanup", "caller: CancelledError"]);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const log: string[] = [];
          const inner = asyncio.coroutine(function* () {
            try {
              yield* asyncio.sleep(10);
            } finally {
              log.push("inner cleanup");
            }
          });
          const body = asyncio.coroutine(function* () {
            try {
              yield* asyncio.waitFor(inner(), 60);
            } catch (e) {
              log.push(`caller: ${(e as Error).name}`);
              throw e;
            }
          });
          const wait = asyncio.createTask(body());
          yield* asyncio.sleep(0);
          wait.cancel("stop");
          const err = yield* caughtGen(wait);
          assert.ok(
            isCancelled(err) && (err as Error).message === "stop",
            "the cancellation is not a TimeoutError",
          );
          assert.deepEqual(log, ["inner cleanup", "caller: CancelledError"]);
        });
      },
    },
  );

  bothForms("test_wait_for_self_cancellation (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const inner = async (): Promise<number> => {
          try {
            await asyncio.sleep(0.03);
          } catch {
            try {
              await asyncio.sleep(0.03);
            } catch {
              await asyncio.sleep(0.03);
            }
          }
          return 42;
        };
        const innerTask = asyncio.createTask(inner);
        const task = asyncio.createTask(() => asyncio.waitFor(innerTask, 0.01));
        task.cancel();
        assert.ok(isCancelled(await caught(task)), "waitFor itself is cancellable");
        assert.equal(await innerTask, 42);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const inner = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(0.03);
          } catch {
            try {
              yield* asyncio.sleep(0.03);
            } catch {
              yield* asyncio.sleep(0.03);
            }
          }
          return 42;
        });
        const innerTask = asyncio.createTask(inner());
        const task = asyncio.createTask(asyncio.waitFor(innerTask, 0.01));
        task.cancel();
        assert.ok(isCancelled(yield* caughtGen(task)), "waitFor itself is cancellable");
        assert.equal(yield* innerTask, 42);
      });
    },
  });

  bothForms("test_wait_for_issue86296 (test_waitfor.py)", {
    async: async () => {
      await runMain(async () => {
        const inner = asyncio.coroutine(async () => {});
        let reachedEnd = false;
        const task = asyncio.createTask(async () => {
          await asyncio.waitFor(inner(), 100);
          await asyncio.sleep(1);
          reachedEnd = true;
        });
        await asyncio.sleep(0);
        assert.equal(task.done(), false);
        task.cancel();
        assert.ok(isCancelled(await caught(task)));
        assert.equal(reachedEnd, false);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const inner = asyncio.coroutine(function* () {});
        let reachedEnd = false;
        const body = asyncio.coroutine(function* () {
          yield* asyncio.waitFor(inner(), 100);
          yield* asyncio.sleep(1);
          reachedEnd = true;
        });
        const task = asyncio.createTask(body());
        yield* asyncio.sleep(0);
        assert.equal(task.done(), false);
        task.cancel();
        assert.ok(isCancelled(yield* caughtGen(task)));
        assert.equal(reachedEnd, false);
      });
    },
  });
});

describe("waitFor() arguments", () => {
  test("a non-number timeout is a TypeError (wait_for's timeout comparison, test_waitfor.py)", async () => {
    await runMain(async () => {
      const fut = asyncio.getRunningLoop().createFuture<void>();
      assert.throws(() => asyncio.waitFor(fut, "1" as unknown as number), TypeError);
      assert.throws(() => asyncio.waitFor(fut, {} as unknown as number), TypeError);
      assert.equal(fut.cancelled(), false, "a rejected call leaves the awaitable alone");
    });
  });

  test("a non-awaitable is a TypeError (await of a plain value, test_waitfor.py)", async () => {
    await runMain(async () => {
      for (const t of [10, null, 0]) {
        const err = await caught(asyncio.waitFor(42 as unknown as asyncio.AwaitableLike<number>, t));
        assert.ok(err instanceof TypeError, `timeout ${t}: expected TypeError, got ${String(err)}`);
      }
    });
  });
});
