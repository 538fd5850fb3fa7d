// Port of CPython's Lib/test/test_asyncio/test_timeouts.py: the behaviour of timeout() / timeoutAt()
// and the Timeout context manager, in both coroutine forms. Timers are compared to each other
// (10 ms against 10 s), never against the wall clock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import * as asyncio from "../../src/index.js";
import {
  blockLoop,
  bothForms,
  cancelling,
  caught,
  caughtGen,
  isCancelled,
  isTimeout,
  NO_ERROR,
  runMain,
} from "../helpers.js";

/** What an awaited block threw, or NO_ERROR. */

class ZeroDivisionError extends Error {
  override name = "ZeroDivisionError";
}
class KeyError extends Error {
  override name = "KeyError";
}

describe("timeout() expiry", () => {
  bothForms("test_timeout_basic (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        let cm!: asyncio.Timeout;
        const err = await caught(
          asyncio.timeout(0.01, async (c) => {
            cm = c;
            await asyncio.sleep(10);
          }),
        );
        assert.ok(isTimeout(err), `expected TimeoutError, got ${err as string}`);
        assert.equal(cm.expired(), true);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let cm!: asyncio.Timeout;
        const err = yield* caughtGen(
          asyncio.timeout(0.01, function* (c) {
            cm = c;
            yield* asyncio.sleep(10);
          }),
        );
        assert.ok(isTimeout(err), `expected TimeoutError, got ${err as string}`);
        assert.equal(cm.expired(), true);
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms("test_timeout_at_basic (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = asyncio.getRunningLoop();
        const deadline = loop.time() + 0.01;
        let cm!: asyncio.Timeout;
        const err = await caught(
          asyncio.timeoutAt(deadline, async (c) => {
            cm = c;
            await asyncio.sleep(10);
          }),
        );
        assert.ok(isTimeout(err));
        assert.equal(cm.expired(), true);
        assert.equal(cm.when(), deadline);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = asyncio.getRunningLoop();
        const deadline = loop.time() + 0.01;
        let cm!: asyncio.Timeout;
        const err = yield* caughtGen(
          asyncio.timeoutAt(deadline, function* (c) {
            cm = c;
            yield* asyncio.sleep(10);
          }),
        );
        assert.ok(isTimeout(err));
        assert.equal(cm.expired(), true);
        assert.equal(cm.when(), deadline);
      });
    },
  });

  bothForms("test_waiter_cancelled (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        let seen = false;
        const err = await caught(
          asyncio.timeout(0.01, async () => {
            try {
              await asyncio.sleep(10);
            } catch (e) {
              seen = isCancelled(e);
              throw e;
            }
          }),
        );
        assert.ok(isTimeout(err));
        assert.equal(seen, true, "the body sees a CancelledError, not a TimeoutError");
      });
    },
    gen: async () => {
      await runMain(function* () {
        let seen = false;
        const err = yield* caughtGen(
          asyncio.timeout(0.01, function* () {
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              seen = isCancelled(e);
              throw e;
            }
          }),
        );
        assert.ok(isTimeout(err));
        assert.equal(seen, true, "the body sees a CancelledError, not a TimeoutError");
      });
    },
  });

  test("test_timeout_exception_cause (test_timeouts.py)", async () => {
    await runMain(async () => {
      const err = await caught(asyncio.timeout(0, () => asyncio.sleep(1)));
      assert.ok(isTimeout(err));
      assert.ok(isCancelled((err as Error).cause), "the TimeoutError is caused by the CancelledError");
    });
  });

  bothForms("test_outer_task_is_not_cancelled (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const task = asyncio.createTask(async () => {
          const err = await caught(asyncio.timeout(0.001, () => asyncio.sleep(10)));
          assert.ok(isTimeout(err));
          return "finished";
        });
        assert.equal(await task, "finished");
        assert.equal(task.done(), true);
        assert.equal(task.cancelled(), false);
        assert.equal(task.cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const outer = asyncio.coroutine(function* () {
          const err = yield* caughtGen(
            asyncio.timeout(0.001, function* () {
              yield* asyncio.sleep(10);
            }),
          );
          assert.ok(isTimeout(err));
          return "finished";
        });
        const task = asyncio.createTask(outer());
        assert.equal(yield* task, "finished");
        assert.equal(task.done(), true);
        assert.equal(task.cancelled(), false);
        assert.equal(task.cancelling(), 0);
      });
    },
  });
});

describe("timeout() that does not expire", () => {
  bothForms("test_timeout_not_called (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = asyncio.getRunningLoop();
        let cm!: asyncio.Timeout;
        const r = await asyncio.timeout(10, async (c) => {
          cm = c;
          await asyncio.sleep(0.01);
          return "body result";
        });
        const t1 = loop.time();
        assert.equal(r, "body result");
        assert.equal(cm.expired(), false);
        assert.ok(cm.when()! > t1);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = asyncio.getRunningLoop();
        let cm!: asyncio.Timeout;
        const r = yield* asyncio.timeout(10, function* (c) {
          cm = c;
          yield* asyncio.sleep(0.01);
          return "body result";
        });
        const t1 = loop.time();
        assert.equal(r, "body result");
        assert.equal(cm.expired(), false);
        assert.ok(cm.when()! > t1);
      });
    },
  });

  bothForms("test_timeout_disabled (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        let cm!: asyncio.Timeout;
        const r = await asyncio.timeout(null, async (c) => {
          cm = c;
          await asyncio.sleep(0.01);
          return 7;
        });
        assert.equal(r, 7);
        assert.equal(cm.expired(), false);
        assert.equal(cm.when(), null);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let cm!: asyncio.Timeout;
        const r = yield* asyncio.timeout(null, function* (c) {
          cm = c;
          yield* asyncio.sleep(0.01);
          return 7;
        });
        assert.equal(r, 7);
        assert.equal(cm.expired(), false);
        assert.equal(cm.when(), null);
      });
    },
  });

  test("test_timeout_at_disabled (test_timeouts.py)", async () => {
    await runMain(async () => {
      let cm!: asyncio.Timeout;
      await asyncio.timeoutAt(null, async (c) => {
        cm = c;
        await asyncio.sleep(0.01);
      });
      assert.equal(cm.expired(), false);
      assert.equal(cm.when(), null);
    });
  });

  bothForms("test_foreign_exception_passed (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const boom = new KeyError("k");
        let cm!: asyncio.Timeout;
        const err = await caught(
          asyncio.timeout(0.01, async (c) => {
            cm = c;
            throw boom;
          }),
        );
        assert.equal(err, boom, "the body's own error passes through unchanged");
        assert.equal(cm.expired(), false);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const boom = new KeyError("k");
        let cm!: asyncio.Timeout;
        const err = yield* caughtGen(
          // biome-ignore lint/correctness/useYield: the body fails before its first suspension
          asyncio.timeout(0.01, function* (c) {
            cm = c;
            throw boom;
          }),
        );
        assert.equal(err, boom, "the body's own error passes through unchanged");
        assert.equal(cm.expired(), false);
      });
    },
  });
});

describe("timeout() with zero or negative delay", () => {
  bothForms("test_timeout_zero (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = asyncio.getRunningLoop();
        const t0 = loop.time();
        let cm!: asyncio.Timeout;
        const err = await caught(
          asyncio.timeout(0, async (c) => {
            cm = c;
            await asyncio.sleep(10);
          }),
        );
        const t1 = loop.time();
        assert.ok(isTimeout(err));
        assert.equal(cm.expired(), true);
        assert.ok(t0 <= cm.when()! && cm.when()! <= t1);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = asyncio.getRunningLoop();
        const t0 = loop.time();
        let cm!: asyncio.Timeout;
        const err = yield* caughtGen(
          asyncio.timeout(0, function* (c) {
            cm = c;
            yield* asyncio.sleep(10);
          }),
        );
        const t1 = loop.time();
        assert.ok(isTimeout(err));
        assert.equal(cm.expired(), true);
        assert.ok(t0 <= cm.when()! && cm.when()! <= t1);
      });
    },
  });

  bothForms("test_timeout_zero_sleep_zero (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        let cm!: asyncio.Timeout;
        const err = await caught(
          asyncio.timeout(0, async (c) => {
            cm = c;
            await asyncio.sleep(0);
          }),
        );
        assert.ok(isTimeout(err), "a deadline already reached fires at the first suspension");
        assert.equal(cm.expired(), true);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let cm!: asyncio.Timeout;
        const err = yield* caughtGen(
          asyncio.timeout(0, function* (c) {
            cm = c;
            yield* asyncio.sleep(0);
          }),
        );
        assert.ok(isTimeout(err), "a deadline already reached fires at the first suspension");
        assert.equal(cm.expired(), true);
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms("test_timeout_in_the_past_sleep_zero (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const t0 = asyncio.getRunningLoop().time();
        let cm!: asyncio.Timeout;
        const err = await caught(
          asyncio.timeout(-11, async (c) => {
            cm = c;
            await asyncio.sleep(0);
          }),
        );
        assert.ok(isTimeout(err));
        assert.equal(cm.expired(), true);
        assert.ok(cm.when()! < t0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const t0 = asyncio.getRunningLoop().time();
        let cm!: asyncio.Timeout;
        const err = yield* caughtGen(
          asyncio.timeout(-11, function* (c) {
            cm = c;
            yield;
          }),
        );
        assert.ok(isTimeout(err));
        assert.equal(cm.expired(), true);
        assert.ok(cm.when()! < t0);
      });
    },
  });

  test("test_timeout_at_basic with a deadline in the past (test_timeouts.py)", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const err = await caught(asyncio.timeoutAt(loop.time() - 1, () => asyncio.sleep(10)));
      assert.ok(isTimeout(err));
      assert.equal(cancelling(), 0);
    });
  });
});

describe("timeout() and foreign errors / cancellations", () => {
  bothForms("test_foreign_exception_on_timeout (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        let cm!: asyncio.Timeout;
        const crash = async (): Promise<void> => {
          try {
            await asyncio.sleep(1);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError("cleanup failed");
          }
        };
        const err = await caught(
          asyncio.timeout(0.01, async (c) => {
            cm = c;
            await crash();
          }),
        );
        assert.ok(err instanceof ZeroDivisionError, "the cleanup error wins over TimeoutError");
        assert.equal(cm.expired(), true);
        assert.equal(cancelling(), 0, "the timeout's cancel request was withdrawn");
      });
    },
    gen: async () => {
      await runMain(function* () {
        let cm!: asyncio.Timeout;
        const crash = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(1);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError("cleanup failed");
          }
        });
        const err = yield* caughtGen(
          asyncio.timeout(0.01, function* (c) {
            cm = c;
            yield* crash();
          }),
        );
        assert.ok(err instanceof ZeroDivisionError, "the cleanup error wins over TimeoutError");
        assert.equal(cm.expired(), true);
        assert.equal(cancelling(), 0, "the timeout's cancel request was withdrawn");
      });
    },
  });

  bothForms("test_foreign_cancel_doesnt_timeout_if_not_expired (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        let cm!: asyncio.Timeout;
        const task = asyncio.createTask(async () => {
          await asyncio.timeout(10, async (c) => {
            cm = c;
            asyncio.currentTask()!.cancel();
            await asyncio.sleep(10);
          });
        });
        const err = await caught(task);
        assert.ok(isCancelled(err), `expected CancelledError, got ${err as string}`);
        assert.equal(task.cancelled(), true);
        assert.equal(cm.expired(), false);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let cm!: asyncio.Timeout;
        const body = asyncio.coroutine(function* () {
          yield* asyncio.timeout(10, function* (c) {
            cm = c;
            asyncio.currentTask()!.cancel();
            yield* asyncio.sleep(10);
          });
        });
        const task = asyncio.createTask(body());
        const err = yield* caughtGen(task);
        assert.ok(isCancelled(err), `expected CancelledError, got ${err as string}`);
        assert.equal(task.cancelled(), true);
        assert.equal(cm.expired(), false);
      });
    },
  });

  bothForms(
    "outer task.cancel() at the very deadline stays a CancelledError (test_foreign_cancel_doesnt_timeout_if_not_expired, test_timeouts.py)",
    {
      async: async () => {
        await runMain(async () => {
          const loop = asyncio.getRunningLoop();
          const ready = loop.createFuture<[asyncio.Timeout, number]>();
          const log: string[] = [];
          const task = asyncio.createTask(async () => {
            const deadline = loop.time() + 0.01;
            try {
              await asyncio.timeoutAt(deadline, async (cm) => {
                ready.setResult([cm, deadline]);
                await asyncio.sleep(10);
              });
            } catch (e) {
              log.push((e as Error).name);
              throw e;
            }
          });
          const [cm, deadline] = await ready;
          // The outside cancel and the timeout fire in the same loop iteration.
          loop.callAt(deadline, () => task.cancel());
          const err = await caught(task);
          assert.ok(isCancelled(err), `expected CancelledError, got ${err as string}`);
          assert.deepEqual(log, ["CancelledError"]);
          assert.equal(cm.expired(), true);
          assert.equal(task.cancelled(), true);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const loop = asyncio.getRunningLoop();
          const ready = loop.createFuture<[asyncio.Timeout, number]>();
          const log: string[] = [];
          const body = asyncio.coroutine(function* () {
            const deadline = loop.time() + 0.01;
            try {
              yield* asyncio.timeoutAt(deadline, function* (cm) {
                ready.setResult([cm, deadline]);
                yield* asyncio.sleep(10);
              });
            } catch (e) {
              log.push((e as Error).name);
              throw e;
            }
          });
          const task = asyncio.createTask(body());
          const [cm, deadline] = yield* ready;
          loop.callAt(deadline, () => task.cancel());
          const err = yield* caughtGen(task);
          assert.ok(isCancelled(err), `expected CancelledError, got ${err as string}`);
          assert.deepEqual(log, ["CancelledError"]);
          assert.equal(cm.expired(), true);
          assert.equal(task.cancelled(), true);
        });
      },
    },
  );

  bothForms("test_timeout_expiring: a body that swallows the cancellation (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        let cm!: asyncio.Timeout;
        const r = await asyncio.timeout(0.01, async (c) => {
          cm = c;
          const err = await caught(asyncio.sleep(1));
          assert.ok(isCancelled(err));
          assert.throws(
            () => c.reschedule(c.when()! + 1),
            (e: unknown) => {
              return e instanceof asyncio.RuntimeError && /expiring/.test(e.message);
            },
          );
          return "swallowed";
        });
        assert.equal(r, "swallowed", "no TimeoutError when the body does not end with the cancellation");
        assert.equal(cm.expired(), true);
        assert.equal(cancelling(), 0);
        await asyncio.sleep(0); // no stray cancellation left behind
      });
    },
    gen: async () => {
      await runMain(function* () {
        let cm!: asyncio.Timeout;
        const r = yield* asyncio.timeout(0.01, function* (c) {
          cm = c;
          const err = yield* caughtGen(asyncio.sleep(1));
          assert.ok(isCancelled(err));
          assert.throws(
            () => c.reschedule(c.when()! + 1),
            (e: unknown) => {
              return e instanceof asyncio.RuntimeError && /expiring/.test(e.message);
            },
          );
          return "swallowed";
        });
        assert.equal(r, "swallowed", "no TimeoutError when the body does not end with the cancellation");
        assert.equal(cm.expired(), true);
        assert.equal(cancelling(), 0);
        yield* asyncio.sleep(0);
      });
    },
  });

  bothForms("test_timeout_after_cancellation (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const task = asyncio.currentTask()!;
        let err: unknown = NO_ERROR;
        try {
          task.cancel();
          await asyncio.sleep(1);
        } catch (e) {
          assert.ok(isCancelled(e));
        } finally {
          err = await caught(asyncio.timeout(0, () => asyncio.sleep(1)));
        }
        assert.ok(isTimeout(err), "a timeout inside cleanup still reports TimeoutError");
        assert.equal(task.cancelling(), 1, "only the timeout's own cancel request was withdrawn");
        task.uncancel();
      });
    },
    gen: async () => {
      await runMain(function* () {
        const task = asyncio.currentTask()!;
        let err: unknown = NO_ERROR;
        try {
          task.cancel();
          yield* asyncio.sleep(1);
        } catch (e) {
          assert.ok(isCancelled(e));
        } finally {
          err = yield* caughtGen(
            asyncio.timeout(0, function* () {
              yield* asyncio.sleep(1);
            }),
          );
        }
        assert.ok(isTimeout(err), "a timeout inside cleanup still reports TimeoutError");
        assert.equal(task.cancelling(), 1, "only the timeout's own cancel request was withdrawn");
        task.uncancel();
      });
    },
  });

  bothForms("test_cancel_in_timeout_after_cancellation (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const task = asyncio.currentTask()!;
        let err: unknown = NO_ERROR;
        try {
          task.cancel();
          await asyncio.sleep(1);
        } catch (e) {
          assert.ok(isCancelled(e));
        } finally {
          err = await caught(
            asyncio.timeout(1, async () => {
              task.cancel();
              await asyncio.sleep(2);
            }),
          );
        }
        assert.ok(isCancelled(err), `expected CancelledError, got ${err as string}`);
        assert.equal(task.cancelling(), 2);
        task.uncancel();
        task.uncancel();
      });
    },
    gen: async () => {
      await runMain(function* () {
        const task = asyncio.currentTask()!;
        let err: unknown = NO_ERROR;
        try {
          task.cancel();
          yield* asyncio.sleep(1);
        } catch (e) {
          assert.ok(isCancelled(e));
        } finally {
          err = yield* caughtGen(
            asyncio.timeout(1, function* () {
              task.cancel();
              yield* asyncio.sleep(2);
            }),
          );
        }
        assert.ok(isCancelled(err), `expected CancelledError, got ${err as string}`);
        assert.equal(task.cancelling(), 2);
        task.uncancel();
        task.uncancel();
      });
    },
  });
});

describe("nested timeouts", () => {
  bothForms("test_nested_timeouts (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = asyncio.getRunningLoop();
        const deadline = loop.time() + 0.01;
        let cm1!: asyncio.Timeout;
        let cm2!: asyncio.Timeout;
        let innerErr: unknown = NO_ERROR;
        const err = await caught(
          asyncio.timeoutAt(deadline, async (c1) => {
            cm1 = c1;
            try {
              await asyncio.timeoutAt(deadline, async (c2) => {
                cm2 = c2;
                await asyncio.sleep(10);
              });
            } catch (e) {
              innerErr = e;
              throw e;
            }
          }),
        );
        assert.ok(isCancelled(innerErr), "only the outermost expired timeout raises TimeoutError");
        assert.ok(isTimeout(err));
        assert.equal(cm1.expired(), true);
        assert.equal(cm2.expired(), true);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = asyncio.getRunningLoop();
        const deadline = loop.time() + 0.01;
        let cm1!: asyncio.Timeout;
        let cm2!: asyncio.Timeout;
        let innerErr: unknown = NO_ERROR;
        const err = yield* caughtGen(
          asyncio.timeoutAt(deadline, function* (c1) {
            cm1 = c1;
            try {
              yield* asyncio.timeoutAt(deadline, function* (c2) {
                cm2 = c2;
                yield* asyncio.sleep(10);
              });
            } catch (e) {
              innerErr = e;
              throw e;
            }
          }),
        );
        assert.ok(isCancelled(innerErr), "only the outermost expired timeout raises TimeoutError");
        assert.ok(isTimeout(err));
        assert.equal(cm1.expired(), true);
        assert.equal(cm2.expired(), true);
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms(
    "inner timeout expires: only the inner block fails (test_nested_timeouts_loop_busy, test_timeouts.py)",
    {
      async: async () => {
        await runMain(async () => {
          let outer!: asyncio.Timeout;
          let inner!: asyncio.Timeout;
          const r = await asyncio.timeout(10, async (c1) => {
            outer = c1;
            const err = await caught(
              asyncio.timeout(0.01, async (c2) => {
                inner = c2;
                await asyncio.sleep(10);
              }),
            );
            assert.ok(isTimeout(err));
            await asyncio.sleep(0); // the outer block goes on undisturbed
            return "outer done";
          });
          assert.equal(r, "outer done");
          assert.equal(inner.expired(), true);
          assert.equal(outer.expired(), false);
          assert.equal(cancelling(), 0);
        });
      },
      gen: async () => {
        await runMain(function* () {
          let outer!: asyncio.Timeout;
          let inner!: asyncio.Timeout;
          const r = yield* asyncio.timeout(10, function* (c1) {
            outer = c1;
            const err = yield* caughtGen(
              asyncio.timeout(0.01, function* (c2) {
                inner = c2;
                yield* asyncio.sleep(10);
              }),
            );
            assert.ok(isTimeout(err));
            yield* asyncio.sleep(0);
            return "outer done";
          });
          assert.equal(r, "outer done");
          assert.equal(inner.expired(), true);
          assert.equal(outer.expired(), false);
          assert.equal(cancelling(), 0);
        });
      },
    },
  );

  bothForms("test_nested_timeouts_concurrent: outer expires while the inner is active (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        let outer!: asyncio.Timeout;
        let inner!: asyncio.Timeout;
        let innerErr: unknown = NO_ERROR;
        const err = await caught(
          asyncio.timeout(0.01, async (c1) => {
            outer = c1;
            innerErr = await caught(
              asyncio.timeout(10, async (c2) => {
                inner = c2;
                await asyncio.sleep(10);
              }),
            );
            throw innerErr;
          }),
        );
        assert.ok(isCancelled(innerErr), "the inner block sees the outer's cancellation, not a TimeoutError");
        assert.ok(isTimeout(err));
        assert.equal(outer.expired(), true);
        assert.equal(inner.expired(), false);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let outer!: asyncio.Timeout;
        let inner!: asyncio.Timeout;
        let innerErr: unknown = NO_ERROR;
        const err = yield* caughtGen(
          asyncio.timeout(0.01, function* (c1) {
            outer = c1;
            innerErr = yield* caughtGen(
              asyncio.timeout(10, function* (c2) {
                inner = c2;
                yield* asyncio.sleep(10);
              }),
            );
            throw innerErr;
          }),
        );
        assert.ok(isCancelled(innerErr), "the inner block sees the outer's cancellation, not a TimeoutError");
        assert.ok(isTimeout(err));
        assert.equal(outer.expired(), true);
        assert.equal(inner.expired(), false);
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms("test_nested_timeouts_loop_busy: both deadlines pass at once (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const log: string[] = [];
        let outer!: asyncio.Timeout;
        let inner!: asyncio.Timeout;
        const err = await caught(
          asyncio.timeout(0.02, async (c1) => {
            outer = c1;
            try {
              await asyncio.timeout(0.01, async (c2) => {
                inner = c2;
                blockLoop(60); // both deadlines pass while the loop is busy
                await asyncio.sleep(1);
              });
            } catch (e) {
              log.push(`inner block: ${(e as Error).name}`);
              throw e;
            }
          }),
        );
        // Two cancel requests are pending when the inner block exits: it is not the one handling
        // the last of them, so it lets the CancelledError through and the outer reports the timeout.
        assert.deepEqual(log, ["inner block: CancelledError"]);
        assert.ok(isTimeout(err));
        assert.equal(inner.expired(), true);
        assert.equal(outer.expired(), true);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const log: string[] = [];
        let outer!: asyncio.Timeout;
        let inner!: asyncio.Timeout;
        const err = yield* caughtGen(
          asyncio.timeout(0.02, function* (c1) {
            outer = c1;
            try {
              yield* asyncio.timeout(0.01, function* (c2) {
                inner = c2;
                blockLoop(60);
                yield* asyncio.sleep(1);
              });
            } catch (e) {
              log.push(`inner block: ${(e as Error).name}`);
              throw e;
            }
          }),
        );
        assert.deepEqual(log, ["inner block: CancelledError"]);
        assert.ok(isTimeout(err));
        assert.equal(inner.expired(), true);
        assert.equal(outer.expired(), true);
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms("test_nested_timeout_in_finally (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        let innerErr: unknown = NO_ERROR;
        const err = await caught(
          asyncio.timeout(0.01, async () => {
            try {
              await asyncio.sleep(1);
            } finally {
              innerErr = await caught(asyncio.timeout(0.01, () => asyncio.sleep(10)));
            }
          }),
        );
        assert.ok(isTimeout(innerErr), "the timeout inside the cleanup reports its own expiry");
        assert.ok(isCancelled((innerErr as Error).cause));
        assert.ok(isTimeout(err));
        assert.ok(isCancelled((err as Error).cause));
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let innerErr: unknown = NO_ERROR;
        const err = yield* caughtGen(
          asyncio.timeout(0.01, function* () {
            try {
              yield* asyncio.sleep(1);
            } finally {
              innerErr = yield* caughtGen(
                asyncio.timeout(0.01, function* () {
                  yield* asyncio.sleep(10);
                }),
              );
            }
          }),
        );
        assert.ok(isTimeout(innerErr), "the timeout inside the cleanup reports its own expiry");
        assert.ok(isCancelled((innerErr as Error).cause));
        assert.ok(isTimeout(err));
        assert.ok(isCancelled((err as Error).cause));
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms("test_timeout_taskgroup (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const child = async (): Promise<void> => {
          try {
            await asyncio.sleep(2);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError("child cleanup");
          }
        };
        const err = await caught(
          asyncio.timeout(0.01, () =>
            asyncio.taskGroup(async (tg) => {
              tg.createTask(child);
              try {
                throw new RangeError("body");
              } finally {
                await asyncio.sleep(1);
              }
            }),
          ),
        );
        assert.ok(err instanceof asyncio.ExceptionGroup, `expected ExceptionGroup, got ${err as string}`);
        assert.equal(err.exceptions.length, 1);
        assert.ok(err.exceptions[0] instanceof ZeroDivisionError);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const child = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(2);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError("child cleanup");
          }
        });
        const err = yield* caughtGen(
          asyncio.timeout(0.01, function* () {
            yield* asyncio.taskGroup(function* (tg) {
              tg.createTask(child());
              try {
                throw new RangeError("body");
              } finally {
                yield* asyncio.sleep(1);
              }
            });
          }),
        );
        assert.ok(err instanceof asyncio.ExceptionGroup, `expected ExceptionGroup, got ${err as string}`);
        assert.equal(err.exceptions.length, 1);
        assert.ok(err.exceptions[0] instanceof ZeroDivisionError);
        assert.equal(cancelling(), 0);
      });
    },
  });
});

describe("Timeout.reschedule() and when()", () => {
  bothForms("test_reschedule (test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = asyncio.getRunningLoop();
        const fut = loop.createFuture<asyncio.Timeout>();
        const deadline1 = loop.time() + 10;
        const deadline2 = deadline1 + 20;
        const task = asyncio.createTask(() =>
          asyncio.timeoutAt(deadline1, async (cm) => {
            fut.setResult(cm);
            await asyncio.sleep(50);
          }),
        );
        const cm = await fut;
        assert.equal(cm.when(), deadline1);
        cm.reschedule(deadline2);
        assert.equal(cm.when(), deadline2);
        cm.reschedule(null);
        assert.equal(cm.when(), null);
        task.cancel();
        assert.ok(isCancelled(await caught(task)));
        assert.equal(cm.expired(), false);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = asyncio.getRunningLoop();
        const fut = loop.createFuture<asyncio.Timeout>();
        const deadline1 = loop.time() + 10;
        const deadline2 = deadline1 + 20;
        const body = asyncio.coroutine(function* () {
          yield* asyncio.timeoutAt(deadline1, function* (cm) {
            fut.setResult(cm);
            yield* asyncio.sleep(50);
          });
        });
        const task = asyncio.createTask(body());
        const cm = yield* fut;
        assert.equal(cm.when(), deadline1);
        cm.reschedule(deadline2);
        assert.equal(cm.when(), deadline2);
        cm.reschedule(null);
        assert.equal(cm.when(), null);
        task.cancel();
        assert.ok(isCancelled(yield* caughtGen(task)));
        assert.equal(cm.expired(), false);
      });
    },
  });

  bothForms("reschedule to an earlier deadline expires sooner (test_reschedule, test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = asyncio.getRunningLoop();
        let cm!: asyncio.Timeout;
        const err = await caught(
          asyncio.timeout(10, async (c) => {
            cm = c;
            c.reschedule(loop.time() + 0.01);
            await asyncio.sleep(10);
          }),
        );
        assert.ok(isTimeout(err));
        assert.equal(cm.expired(), true);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = asyncio.getRunningLoop();
        let cm!: asyncio.Timeout;
        const err = yield* caughtGen(
          asyncio.timeout(10, function* (c) {
            cm = c;
            c.reschedule(loop.time() + 0.01);
            yield* asyncio.sleep(10);
          }),
        );
        assert.ok(isTimeout(err));
        assert.equal(cm.expired(), true);
      });
    },
  });

  bothForms("reschedule into the past expires at the next suspension (test_reschedule, test_timeouts.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = asyncio.getRunningLoop();
        const log: string[] = [];
        const err = await caught(
          asyncio.timeout(null, async (c) => {
            c.reschedule(loop.time() - 1);
            log.push("rescheduled");
            await asyncio.sleep(10);
            log.push("not reached");
          }),
        );
        assert.ok(isTimeout(err));
        assert.deepEqual(log, ["rescheduled"]);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = asyncio.getRunningLoop();
        const log: string[] = [];
        const err = yield* caughtGen(
          asyncio.timeout(null, function* (c) {
            c.reschedule(loop.time() - 1);
            log.push("rescheduled");
            yield* asyncio.sleep(10);
            log.push("not reached");
          }),
        );
        assert.ok(isTimeout(err));
        assert.deepEqual(log, ["rescheduled"]);
      });
    },
  });

  test("reschedule to a later deadline lets the body finish (test_reschedule, test_timeouts.py)", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      let cm!: asyncio.Timeout;
      const r = await asyncio.timeout(0.01, async (c) => {
        cm = c;
        const later = loop.time() + 10;
        c.reschedule(later);
        assert.equal(c.when(), later);
        await asyncio.sleep(0.05);
        return "finished";
      });
      assert.equal(r, "finished");
      assert.equal(cm.expired(), false);
    });
  });

  test("reschedule(null) disables the deadline (test_reschedule, test_timeouts.py)", async () => {
    await runMain(async () => {
      let cm!: asyncio.Timeout;
      const r = await asyncio.timeout(0.01, async (c) => {
        cm = c;
        c.reschedule(null);
        await asyncio.sleep(0.05);
        return "finished";
      });
      assert.equal(r, "finished");
      assert.equal(cm.when(), null);
      assert.equal(cm.expired(), false);
    });
  });

  test("test_timeout_finished (test_timeouts.py)", async () => {
    await runMain(async () => {
      let cm!: asyncio.Timeout;
      await asyncio.timeout(0.01, (c) => {
        cm = c;
      });
      assert.throws(
        () => cm.reschedule(0.02),
        (e: unknown) => e instanceof asyncio.RuntimeError && /finished/.test(e.message),
      );
    });
  });

  test("test_timeout_expired (test_timeouts.py)", async () => {
    await runMain(async () => {
      let cm!: asyncio.Timeout;
      const err = await caught(
        asyncio.timeout(0.01, async (c) => {
          cm = c;
          await asyncio.sleep(1);
        }),
      );
      assert.ok(isTimeout(err));
      assert.throws(
        () => cm.reschedule(0.02),
        (e: unknown) => e instanceof asyncio.RuntimeError && /expired/.test(e.message),
      );
    });
  });

  test("test_timeout_not_entered (test_timeouts.py)", () => {
    const cm = new asyncio.Timeout(null);
    assert.throws(
      () => cm.reschedule(0.02),
      (e: unknown) => e instanceof asyncio.RuntimeError && /has not been entered/.test(e.message),
    );
    assert.equal(cm.expired(), false);
  });
});

describe("Timeout repr", () => {
  test("test_repr_active (test_timeouts.py)", async () => {
    await runMain(async () => {
      await asyncio.timeout(10, (cm) => {
        assert.match(inspect(cm), /^<Timeout \[active\] when=\d+(\.\d*)?>$/);
      });
    });
  });

  test("test_repr_expired (test_timeouts.py)", async () => {
    await runMain(async () => {
      let cm!: asyncio.Timeout;
      const err = await caught(
        asyncio.timeout(0.01, async (c) => {
          cm = c;
          await asyncio.sleep(10);
        }),
      );
      assert.ok(isTimeout(err));
      assert.equal(inspect(cm), "<Timeout [expired]>");
    });
  });

  test("test_repr_finished (test_timeouts.py)", async () => {
    await runMain(async () => {
      let cm!: asyncio.Timeout;
      await asyncio.timeout(10, async (c) => {
        cm = c;
        await asyncio.sleep(0);
      });
      assert.equal(inspect(cm), "<Timeout [finished]>");
    });
  });

  test("test_repr_disabled (test_timeouts.py)", async () => {
    await runMain(async () => {
      await asyncio.timeout(null, (cm) => {
        assert.equal(inspect(cm), "<Timeout [active] when=null>");
      });
    });
  });
});

describe("timeout() arguments and context", () => {
  test("test_timeout_without_task (test_timeouts.py) — documented deviation: runs in a new task", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const outcome = loop.createFuture<unknown>();
      loop.callSoon(() => {
        // A loop callback runs outside any task.
        assert.equal(asyncio.currentTask(), null);
        asyncio
          .timeout(0.01, async () => {
            assert.notEqual(asyncio.currentTask(), null, "the block got a task of its own");
            await asyncio.sleep(10);
          })
          .then(
            () => outcome.setResult(NO_ERROR),
            (e: unknown) => outcome.setResult(e),
          );
      });
      assert.ok(isTimeout(await outcome));
    });
  });

  test("invalid delay, deadline or body is a TypeError (test_timeouts.py argument handling)", async () => {
    await runMain(async () => {
      assert.throws(() => asyncio.timeout("1" as unknown as number, () => {}), TypeError);
      assert.throws(() => asyncio.timeoutAt({} as unknown as number, () => {}), TypeError);
      assert.throws(() => asyncio.timeout(1, 42 as unknown as () => void), TypeError);
      await asyncio.timeout(10, (cm) => {
        assert.throws(() => cm.reschedule("soon" as unknown as number), TypeError);
        assert.notEqual(cm.when(), null, "a rejected reschedule leaves the deadline alone");
      });
    });
  });

  test("the Timeout handed to the body is the same object throughout (test_timeout_basic, test_timeouts.py)", async () => {
    await runMain(async () => {
      const seen: asyncio.Timeout[] = [];
      await asyncio.timeout(10, async (cm) => {
        seen.push(cm);
        await asyncio.sleep(0);
        seen.push(cm);
      });
      assert.equal(seen.length, 2);
      assert.equal(seen[0], seen[1]);
      assert.ok(seen[0] instanceof asyncio.Timeout);
    });
  });
});
