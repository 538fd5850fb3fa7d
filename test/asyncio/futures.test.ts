// Port of CPython's Lib/test/test_asyncio/test_futures.py (and test_futures2.py): Future states,
// done callbacks, awaiting and `yield*`, repr, ensureFuture/isFuture, Promise interop, and the
// "exception was never retrieved" report (checked in a child process that can force GC).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { inspect, promisify } from "node:util";
import * as asyncio from "../../src/index.js";
import { bothForms, cancelledWith, runMain } from "../helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const execFileP = promisify(execFile);

/** One turn of Node's loop: a loop whose iteration was already requested has run it by then. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Run `fn` with a fresh loop that is closed afterwards. */
async function withLoop(fn: (loop: asyncio.EventLoop) => Promise<void> | void): Promise<void> {
  const loop = asyncio.newEventLoop();
  try {
    await fn(loop);
  } finally {
    loop.close();
  }
}

/** Callback that appends `thing` to `bag` (CPython's `_make_callback`). */
function appender(bag: unknown[], thing: unknown): (f: asyncio.Future<unknown>) => void {
  return () => {
    bag.push(thing);
  };
}

let gcReport: Promise<Record<string, string[]>> | undefined;
/** What the GC fixture reported for its "futures" scenarios (one child process, run once). */
function futuresGcReport(): Promise<Record<string, string[]>> {
  gcReport ??= (async () => {
    const env = { ...process.env };
    delete env.AIOTS_DEBUG;
    const { stdout } = await execFileP(
      process.execPath,
      ["--expose-gc", "--import", "tsx", join("test", "fixtures", "gc-report.ts"), "futures"],
      { cwd: root, env, timeout: 60_000 },
    );
    return JSON.parse(stdout) as Record<string, string[]>;
  })();
  return gcReport;
}

describe("Future states (BaseFutureTests)", () => {
  test("test_initial_state (test_futures.py)", async () => {
    await withLoop((loop) => {
      const f = loop.createFuture();
      assert.equal(f.cancelled(), false);
      assert.equal(f.done(), false);
      f.cancel();
      assert.equal(f.cancelled(), true);
    });
  });

  test("test_constructor_use_running_loop (test_futures.py)", async () => {
    const [f, loop] = await runMain(async () => [new asyncio.Future(), asyncio.getRunningLoop()] as const);
    assert.equal(f.getLoop(), loop);
  });

  test("test_constructor_use_global_loop (test_futures.py)", async () => {
    const loop = asyncio.newEventLoop();
    asyncio.setEventLoop(loop);
    try {
      const f = new asyncio.Future();
      assert.equal(f.getLoop(), loop);
      const g = new asyncio.Future({ loop: asyncio.newEventLoop() });
      assert.notEqual(g.getLoop(), loop);
      g.getLoop().close();
    } finally {
      asyncio.setEventLoop(null);
      loop.close();
    }
  });

  test("test_future_cancel_message_getter (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const f = loop.createFuture();
      f.cancel("my message");
      await assert.rejects(loop.runUntilComplete(f), cancelledWith("my message"));
      assert.throws(() => f.result(), cancelledWith("my message"));
      assert.throws(() => f.exception(), cancelledWith("my message"));
    });
  });

  test("test_cancel (test_futures.py)", async () => {
    await withLoop((loop) => {
      const f = loop.createFuture();
      assert.equal(f.cancel(), true);
      assert.equal(f.cancelled(), true);
      assert.equal(f.done(), true);
      assert.throws(() => f.result(), asyncio.CancelledError);
      assert.throws(() => f.exception(), asyncio.CancelledError);
      assert.throws(() => f.setResult(null), asyncio.InvalidStateError);
      assert.throws(() => f.setException(null), asyncio.InvalidStateError);
      assert.equal(f.cancel(), false);
    });
  });

  test("test_result (test_futures.py)", async () => {
    await withLoop((loop) => {
      const f = loop.createFuture<number>();
      assert.throws(() => f.result(), { name: "InvalidStateError", message: "Result is not ready." });
      f.setResult(42);
      assert.equal(f.cancelled(), false);
      assert.equal(f.done(), true);
      assert.equal(f.result(), 42);
      assert.equal(f.exception(), null);
      assert.throws(() => f.setResult(0), asyncio.InvalidStateError);
      assert.throws(() => f.setException(null), asyncio.InvalidStateError);
      assert.equal(f.cancel(), false);
      assert.equal(f.result(), 42);
    });
  });

  test("test_exception (test_futures.py)", async () => {
    await withLoop((loop) => {
      const exc = new asyncio.RuntimeError();
      const f = loop.createFuture();
      assert.throws(() => f.exception(), { name: "InvalidStateError", message: "Exception is not set." });
      f.setException(exc);
      assert.equal(f.cancelled(), false);
      assert.equal(f.done(), true);
      assert.throws(
        () => f.result(),
        (e: unknown) => e === exc,
      );
      assert.equal(f.exception(), exc);
      assert.throws(() => f.setResult(null), asyncio.InvalidStateError);
      assert.throws(() => f.setException(null), asyncio.InvalidStateError);
      assert.equal(f.cancel(), false);
    });
  });

  test("test_exception_class (test_futures.py)", async () => {
    await withLoop((loop) => {
      const f = loop.createFuture();
      f.setException(asyncio.RuntimeError);
      assert.ok(f.exception() instanceof asyncio.RuntimeError);
    });
  });

  test("setResult twice: InvalidStateError names the state (test_futures.py test_result)", async () => {
    await withLoop((loop) => {
      const f = loop.createFuture<number>();
      f.setResult(1);
      assert.throws(() => f.setResult(2), /^InvalidStateError: FINISHED: <Future finished result=1>$/);
      const g = loop.createFuture();
      g.cancel();
      assert.throws(() => g.setResult(2), /^InvalidStateError: CANCELLED: <Future cancelled/);
      assert.equal(f.result(), 1);
    });
  });

  test("test_yield_from_twice (test_futures.py)", async () => {
    await withLoop((loop) => {
      const f = loop.createFuture<number>();
      function* fixture(): Generator<unknown, void, unknown> {
        yield "A";
        const x = yield* f;
        yield ["B", x];
        const y = yield* f;
        yield ["C", y];
      }
      const g = fixture();
      assert.equal(g.next().value, "A");
      assert.equal(g.next().value, f); // the first yield* suspends on the future itself
      f.setResult(42);
      assert.deepEqual(g.next().value, ["B", 42]);
      // The second yield* does not yield: the future is done.
      assert.deepEqual(g.next().value, ["C", 42]);
    });
  });

  test("test_iter (test_futures.py): resuming a pending future's iterator", async () => {
    await withLoop((loop) => {
      const fut = loop.createFuture();
      const it = fut[Symbol.iterator]();
      assert.deepEqual(it.next(), { value: fut, done: false });
      assert.throws(() => it.next(), { name: "RuntimeError", message: /await wasn't used with future/ });
      fut.cancel();
    });
  });

  test("test_future_stop_iteration_args (test_futures.py)", async () => {
    await withLoop((loop) => {
      const fut = loop.createFuture<[number, number]>();
      fut.setResult([1, 2]);
      const it = fut[Symbol.iterator]();
      assert.deepEqual(it.next(), { value: [1, 2], done: true });
    });
  });

  test("getLoop() (test_futures.py test_constructor_use_running_loop)", async () => {
    await withLoop((loop) => {
      assert.equal(loop.createFuture().getLoop(), loop);
      assert.equal(new asyncio.Future({ loop }).getLoop(), loop);
    });
  });
});

describe("Future repr via util.inspect (test_future_repr)", () => {
  test("test_future_repr: pending, cancelled, finished, callbacks (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const pending = loop.createFuture();
      assert.equal(inspect(pending), "<Future pending>");
      assert.equal(String(pending), "<Future pending>");
      pending.cancel();

      const cancelled = loop.createFuture();
      cancelled.cancel();
      assert.equal(inspect(cancelled), "<Future cancelled>");

      const result = loop.createFuture<number>();
      result.setResult(4);
      assert.equal(inspect(result), "<Future finished result=4>");
      assert.equal(result.result(), 4);

      const withCallbacks = loop.createFuture();
      withCallbacks.addDoneCallback(function firstCb() {});
      assert.match(inspect(withCallbacks), /^<Future pending cb=\[.+\]>$/);
      withCallbacks.cancel();
      await nextTurn(); // the callbacks have run: nothing is left to show
      assert.equal(inspect(withCallbacks), "<Future cancelled>");
    });
  });

  test("test_future_repr: a finished-with-exception repr is one line (test_futures.py)", async () => {
    await withLoop((loop) => {
      const exc = new asyncio.RuntimeError("boom");
      const f = loop.createFuture();
      f.setException(exc);
      const repr = inspect(f);
      assert.match(repr, /^<Future finished exception=.*RuntimeError.*boom.*>$/);
      assert.ok(!repr.includes("\n"), `repr spans several lines: ${JSON.stringify(repr)}`);
      assert.equal(f.exception(), exc);
    });
  });
});

describe("Done callbacks (BaseFutureDoneCallbackTests)", () => {
  function threeCallbacks(loop: asyncio.EventLoop) {
    const bag: unknown[] = [];
    const f = loop.createFuture<string>();
    const cb1 = appender(bag, 42);
    const cb2 = appender(bag, 17);
    const cb3 = appender(bag, 100);
    f.addDoneCallback(cb1);
    f.addDoneCallback(cb2);
    f.addDoneCallback(cb3);
    return { bag, f, cb1, cb2, cb3 };
  }

  test("test_callbacks_remove_first_callback (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const { bag, f, cb1 } = threeCallbacks(loop);
      f.removeDoneCallback(cb1);
      f.removeDoneCallback(cb1);
      assert.deepEqual(bag, []);
      f.setResult("foo");
      await nextTurn();
      assert.deepEqual(bag, [17, 100]);
      assert.equal(f.result(), "foo");
    });
  });

  test("test_callbacks_remove_first_and_second_callback (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const { bag, f, cb1, cb2 } = threeCallbacks(loop);
      f.removeDoneCallback(cb1);
      f.removeDoneCallback(cb2);
      f.removeDoneCallback(cb1);
      assert.deepEqual(bag, []);
      f.setResult("foo");
      await nextTurn();
      assert.deepEqual(bag, [100]);
      assert.equal(f.result(), "foo");
    });
  });

  test("test_callbacks_remove_third_callback (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const { bag, f, cb3 } = threeCallbacks(loop);
      f.removeDoneCallback(cb3);
      f.removeDoneCallback(cb3);
      assert.deepEqual(bag, []);
      f.setResult("foo");
      await nextTurn();
      assert.deepEqual(bag, [42, 17]);
      assert.equal(f.result(), "foo");
    });
  });

  test("test_callbacks_invoked_on_set_result (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const bag: unknown[] = [];
      const f = loop.createFuture<string>();
      f.addDoneCallback(appender(bag, 42));
      f.addDoneCallback(appender(bag, 17));
      assert.deepEqual(bag, []);
      f.setResult("foo");
      await nextTurn();
      assert.deepEqual(bag, [42, 17]);
      assert.equal(f.result(), "foo");
    });
  });

  test("test_callbacks_invoked_on_set_exception (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const bag: unknown[] = [];
      const f = loop.createFuture();
      f.addDoneCallback(appender(bag, 100));
      assert.deepEqual(bag, []);
      const exc = new asyncio.RuntimeError();
      f.setException(exc);
      await nextTurn();
      assert.deepEqual(bag, [100]);
      assert.equal(f.exception(), exc);
    });
  });

  test("callbacks invoked on cancel, receiving the future (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const seen: unknown[] = [];
      const f = loop.createFuture();
      f.addDoneCallback((fut) => seen.push(fut, fut.cancelled()));
      f.cancel();
      await nextTurn();
      assert.deepEqual(seen, [f, true]);
    });
  });

  test("removeDoneCallback once the future is done removes nothing: its callbacks were scheduled (test_futures.py test_remove_done_callback)", async () => {
    await withLoop(async (loop) => {
      const bag: unknown[] = [];
      const f = loop.createFuture<string>();
      const cb1 = appender(bag, 1);
      f.addDoneCallback(cb1);
      f.addDoneCallback(appender(bag, 2));
      f.setResult("foo");
      assert.equal(f.removeDoneCallback(cb1), 0);
      await nextTurn();
      assert.deepEqual(bag, [1, 2]);
    });
  });

  test("test_remove_done_callback: counts removals (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const bag: unknown[] = [];
      const f = loop.createFuture<string>();
      const cb1 = appender(bag, 1);
      const cb2 = appender(bag, 2);
      const cb3 = appender(bag, 3);
      f.addDoneCallback(cb1);
      f.addDoneCallback(cb2);
      assert.equal(f.removeDoneCallback(cb2), 1);
      assert.equal(f.removeDoneCallback(cb3), 0);
      f.addDoneCallback(cb2);
      for (let i = 0; i < 5; i++) f.addDoneCallback(cb1);
      assert.equal(f.removeDoneCallback(cb1), 6);
      assert.deepEqual(bag, []);
      f.setResult("foo");
      await nextTurn();
      assert.deepEqual(bag, [2]);
      assert.equal(f.result(), "foo");
    });
  });

  test("test_schedule_callbacks_list_mutation_1 (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const calls: string[] = [];
      const other = (): void => {
        calls.push("other");
      };
      const f = loop.createFuture<number>();
      f.addDoneCallback((fut) => {
        calls.push("mut");
        // The callbacks were taken when the future completed: removing one now changes nothing.
        assert.equal(fut.removeDoneCallback(other), 0);
      });
      f.addDoneCallback(other);
      f.addDoneCallback(other);
      f.setResult(1);
      await nextTurn();
      assert.deepEqual(calls, ["mut", "other", "other"]);
    });
  });

  test("callbacks run one loop iteration later, never synchronously (test_futures.py test_callbacks_invoked_on_set_result)", async () => {
    await withLoop(async (loop) => {
      const order: string[] = [];
      const f = loop.createFuture<number>();
      f.addDoneCallback(() => order.push("cb1"));
      f.addDoneCallback(() => order.push("cb2"));
      loop.callSoon(() => order.push("soon-before"));
      f.setResult(1);
      loop.callSoon(() => order.push("soon-after"));
      assert.deepEqual(order, []);
      await Promise.resolve(); // not on the microtask queue either: they wait for the loop
      assert.deepEqual(order, []);
      await nextTurn();
      // CPython call_soon()s the callbacks when the future completes: they keep their place in the ready queue.
      assert.deepEqual(order, ["soon-before", "cb1", "cb2", "soon-after"]);
    });
  });

  test("a callback added to a done future is scheduled, not called (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const bag: unknown[] = [];
      const f = loop.createFuture<string>();
      f.setResult("x");
      f.addDoneCallback(appender(bag, "late"));
      assert.deepEqual(bag, []);
      await nextTurn();
      assert.deepEqual(bag, ["late"]);
    });
  });

  test("a callback added from a callback runs on the next iteration (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const order: string[] = [];
      const f = loop.createFuture<number>();
      f.addDoneCallback((fut) => {
        order.push("first");
        fut.addDoneCallback(() => order.push("added-later"));
      });
      f.addDoneCallback(() => order.push("second"));
      f.setResult(1);
      // A probe queued now runs in the same iteration as the two callbacks: "added-later" is not there yet.
      let sameIteration: string[] = [];
      loop.callSoon(() => {
        sameIteration = [...order];
      });
      await nextTurn();
      await nextTurn();
      assert.deepEqual(sameIteration, ["first", "second"]);
      assert.deepEqual(order, ["first", "second", "added-later"]);
    });
  });

  test("a failing callback goes to the exception handler; the others still run (test_base_events.py test_default_exc_handler_callback)", async () => {
    await withLoop(async (loop) => {
      const contexts: asyncio.ExceptionContext[] = [];
      loop.setExceptionHandler((_l, ctx) => {
        contexts.push(ctx);
      });
      const boom = new asyncio.ValueError("zero");
      const order: string[] = [];
      const f = loop.createFuture<number>();
      f.addDoneCallback(function zeroError() {
        order.push("zeroError");
        throw boom;
      });
      f.addDoneCallback(() => order.push("next"));
      f.setResult(1);
      await nextTurn();
      assert.deepEqual(order, ["zeroError", "next"]);
      assert.equal(contexts.length, 1);
      assert.match(contexts[0]!.message, /^Exception in callback .*zeroError/);
      assert.equal(contexts[0]!.exception, boom);
    });
  });

  test("addDoneCallback with a non-function throws TypeError (test_futures.py test_uninitialized)", async () => {
    await withLoop((loop) => {
      const f = loop.createFuture();
      assert.throws(() => f.addDoneCallback(42 as never), TypeError);
      assert.equal(f.removeDoneCallback((() => {}) as never), 0);
    });
  });
});

describe("Awaiting futures", () => {
  test("await of a done future gives its result (test_futures2.py)", async () => {
    const v = await runMain(async () => {
      const f = asyncio.getRunningLoop().createFuture<string>();
      f.setResult("done");
      return await f;
    });
    assert.equal(v, "done");
  });

  test("await of a pending future resumes when it is resolved (test_futures2.py)", async () => {
    const v = await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const f = loop.createFuture<number>();
      loop.callLater(0.005, () => f.setResult(7));
      return await f;
    });
    assert.equal(v, 7);
  });

  test("test_future_traceback: awaiting a failed future throws the same error every time (test_futures2.py)", async () => {
    await runMain(async () => {
      const f = asyncio.getRunningLoop().createFuture();
      const exc = new TypeError("42");
      f.setException(exc);
      for (let i = 0; i < 5; i++) {
        await assert.rejects(
          async () => await f,
          (e: unknown) => e === exc,
        );
      }
    });
  });

  bothForms("await of a cancelled future throws CancelledError with its message (test_futures.py)", {
    async: async () => {
      const got = await runMain(async () => {
        const f = asyncio.getRunningLoop().createFuture();
        f.cancel("my message");
        try {
          await f;
          return "no error";
        } catch (e) {
          return e;
        }
      });
      assert.ok(cancelledWith("my message")(got));
    },
    gen: async () => {
      const body = asyncio.coroutine(function* () {
        const f = asyncio.getRunningLoop().createFuture();
        f.cancel("my message");
        try {
          yield* f;
          return "no error";
        } catch (e) {
          return e;
        }
      });
      const got = await runMain(() => body());
      assert.ok(cancelledWith("my message")(got));
    },
  });

  bothForms(
    "cancelling the task awaiting a future cancels the future (test_tasks.py test_cancel_inner_future)",
    {
      async: async () => {
        await runMain(async () => {
          const f = asyncio.getRunningLoop().createFuture();
          const t = asyncio.createTask(async () => {
            await f;
          });
          await asyncio.sleep(0);
          assert.equal(t.cancel("stop"), true);
          await assert.rejects(t, cancelledWith("stop"));
          assert.equal(f.cancelled(), true);
          assert.equal(t.cancelled(), true);
        });
      },
      gen: async () => {
        await runMain(async () => {
          const f = asyncio.getRunningLoop().createFuture();
          const waiter = asyncio.coroutine(function* () {
            yield* f;
          });
          const t = asyncio.createTask(waiter());
          await asyncio.sleep(0);
          assert.equal(t.cancel("stop"), true);
          await assert.rejects(t, cancelledWith("stop"));
          assert.equal(f.cancelled(), true);
          assert.equal(t.cancelled(), true);
        });
      },
    },
  );

  bothForms(
    "a future cancelled under a waiting task throws at its await; the task may go on (test_tasks.py)",
    {
      async: async () => {
        const result = await runMain(async () => {
          const f = asyncio.getRunningLoop().createFuture();
          const t = asyncio.createTask(async () => {
            try {
              await f;
            } catch (e) {
              if (!(e instanceof asyncio.CancelledError)) throw e;
              return "caught";
            }
            return "not reached";
          });
          await asyncio.sleep(0);
          f.cancel();
          return await t;
        });
        assert.equal(result, "caught");
      },
      gen: async () => {
        const result = await runMain(async () => {
          const f = asyncio.getRunningLoop().createFuture();
          const body = asyncio.coroutine(function* () {
            try {
              yield* f;
            } catch (e) {
              if (!(e instanceof asyncio.CancelledError)) throw e;
              return "caught";
            }
            return "not reached";
          });
          const t = asyncio.createTask(body());
          await asyncio.sleep(0);
          f.cancel();
          return await t;
        });
        assert.equal(result, "caught");
      },
    },
  );

  test("yield* of a future inside a generator coroutine (test_futures.py test_yield_from_twice)", async () => {
    const out = await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<number>();
      const failing = loop.createFuture<number>();
      const body = asyncio.coroutine(function* () {
        const v: number = yield* fut;
        let err: unknown;
        try {
          yield* failing;
        } catch (e) {
          err = e;
        }
        const again: number = yield* fut; // done now: no suspension
        return [v, again, err];
      });
      loop.callSoon(() => fut.setResult(5));
      loop.callLater(0.002, () => failing.setException(new asyncio.ValueError("bad")));
      return await asyncio.createTask(body());
    });
    assert.equal(out[0], 5);
    assert.equal(out[1], 5);
    assert.ok(out[2] instanceof asyncio.ValueError);
  });

  test("runUntilComplete(future) resolves with its result (test_futures.py test_constructor_use_running_loop)", async () => {
    await withLoop(async (loop) => {
      const f = loop.createFuture<string>();
      loop.callSoon(() => f.setResult("ok"));
      assert.equal(await loop.runUntilComplete(f), "ok");
      const g = loop.createFuture();
      loop.callSoon(() => g.setException(new asyncio.ValueError("no")));
      await assert.rejects(loop.runUntilComplete(g), asyncio.ValueError);
    });
  });
});

describe("ensureFuture and isFuture", () => {
  test("test_isfuture (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const f = loop.createFuture();
      assert.equal(asyncio.isFuture(f), true);
      assert.equal(asyncio.isFuture(asyncio.Future), false);
      assert.equal(asyncio.isFuture(1), false);
      assert.equal(asyncio.isFuture(null), false);
      assert.equal(asyncio.isFuture(Promise.resolve(1)), false);
      assert.equal(asyncio.isFuture({ then() {} }), false);
      const t = loop.createTask(async () => 1);
      assert.equal(asyncio.isFuture(t), true);
      assert.equal(await loop.runUntilComplete(t), 1);
      f.cancel();
    });
  });

  test("test_wrap_future_future: ensureFuture returns a future as is (test_futures.py)", async () => {
    await withLoop((loop) => {
      const f = loop.createFuture();
      assert.equal(asyncio.ensureFuture(f), f);
      assert.equal(asyncio.ensureFuture(f, { loop }), f);
    });
  });

  test("test_ensure_future_future: a future of another loop is refused (test_tasks.py)", async () => {
    await withLoop(async (loop) => {
      const other = asyncio.newEventLoop();
      try {
        const f = loop.createFuture();
        assert.throws(() => asyncio.ensureFuture(f, { loop: other }), /different loop/);
      } finally {
        other.close();
      }
    });
  });

  test("test_ensure_future_awaitable: a promise is wrapped in a Future (test_tasks.py)", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const f = asyncio.ensureFuture(Promise.resolve("ok"));
      assert.ok(asyncio.isFuture(f));
      assert.equal(f.getLoop(), loop);
      assert.equal(await f, "ok");
      assert.equal(f.result(), "ok");

      const g = asyncio.ensureFuture(Promise.reject(new asyncio.ValueError("no")));
      await assert.rejects(async () => await g, asyncio.ValueError);
      assert.ok(g.exception() instanceof asyncio.ValueError);

      const h = asyncio.ensureFuture(Promise.reject(new asyncio.CancelledError("gone")));
      await assert.rejects(async () => await h, cancelledWith("gone"));
      assert.equal(h.cancelled(), true);
    });
  });

  test("test_ensure_future_coroutine: a coroutine becomes a Task (test_tasks.py)", async () => {
    await runMain(async () => {
      const c = asyncio.coroutine(async (x: number) => x * 2);
      const t = asyncio.ensureFuture(c(21));
      assert.ok(t instanceof asyncio.Task);
      assert.equal(await t, 42);
    });
  });

  test("test_ensure_future_neither: anything else is a TypeError (test_tasks.py)", () => {
    assert.throws(() => asyncio.ensureFuture("ok" as never), TypeError);
    assert.throws(
      () => asyncio.ensureFuture(42 as never),
      /An asyncio.Future, a coroutine or an awaitable is required/,
    );
  });
});

describe("Promise interoperability", () => {
  test("then/catch/finally on a future (test_futures.py test_result/test_exception)", async () => {
    await withLoop(async (loop) => {
      const ok = loop.createFuture<number>();
      const bad = loop.createFuture<number>();
      const log: string[] = [];
      const p1 = ok.then((v) => v + 1).finally(() => log.push("finally-ok"));
      const p2 = bad.catch((e: Error) => `caught ${e.message}`);
      const p3 = bad.finally(() => log.push("finally-bad"));
      ok.setResult(1);
      bad.setException(new asyncio.ValueError("bad"));
      assert.equal(await p1, 2);
      assert.equal(await p2, "caught bad");
      await assert.rejects(p3, asyncio.ValueError);
      assert.deepEqual(log.sort(), ["finally-bad", "finally-ok"]);
    });
  });

  test("Promise.all and Promise.resolve accept futures (test_futures.py)", async () => {
    await withLoop(async (loop) => {
      const a = loop.createFuture<number>();
      const b = loop.createFuture<string>();
      const all = Promise.all([a, b]);
      loop.callSoon(() => b.setResult("b"));
      loop.callSoon(() => a.setResult(1));
      assert.deepEqual(await all, [1, "b"]);
      assert.equal(await Promise.resolve(a), 1);
    });
  });

  test("a cancelled future rejects its promise side with CancelledError (test_futures.py test_cancel)", async () => {
    await withLoop(async (loop) => {
      const f = loop.createFuture();
      const p = f.then(() => "fulfilled");
      f.cancel("why");
      await assert.rejects(p, cancelledWith("why"));
    });
  });
});

describe("Exception never retrieved (child process with --expose-gc)", () => {
  test("test_tb_logger_abandoned (test_futures.py)", async () => {
    assert.deepEqual((await futuresGcReport()).abandoned, []);
  });

  test("test_tb_logger_not_called_after_cancel (test_futures.py)", async () => {
    assert.deepEqual((await futuresGcReport()).cancelAfterException, []);
  });

  test("test_tb_logger_result_unretrieved (test_futures.py)", async () => {
    assert.deepEqual((await futuresGcReport()).resultUnretrieved, []);
  });

  test("test_tb_logger_result_retrieved (test_futures.py)", async () => {
    assert.deepEqual((await futuresGcReport()).resultRetrieved, []);
  });

  test("test_tb_logger_exception_unretrieved / test_future_exception_never_retrieved (test_futures.py)", async () => {
    const logs = (await futuresGcReport()).exceptionUnretrieved!;
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /^error: Future exception was never retrieved\n/);
    assert.match(logs[0]!, /RuntimeError: boom/);
    assert.doesNotMatch(logs[0]!, /Object created at/); // no creation stack outside debug mode
  });

  test("test_future_exception_never_retrieved_debug (test_futures.py)", async () => {
    const logs = (await futuresGcReport()).exceptionUnretrievedDebug!;
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /^error: Future exception was never retrieved\n/);
    assert.match(logs[0]!, /RuntimeError: boom debug/);
    assert.match(logs[0]!, /Object created at[^\n]*\n(.*\n)*.*gc-report\.ts/);
  });

  test("test_tb_logger_exception_retrieved (test_futures.py)", async () => {
    const report = await futuresGcReport();
    assert.deepEqual(report.exceptionRetrieved, []);
    assert.deepEqual(report.exceptionAwaited, []);
  });

  test("test_tb_logger_exception_result_retrieved (test_futures.py)", async () => {
    assert.deepEqual((await futuresGcReport()).exceptionResultRetrieved, []);
  });
});
