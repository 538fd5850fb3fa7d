// Port of the behaviour checked by CPython's Lib/test/test_asyncio/test_locks.py (LockTests, EventTests,
// ConditionTests, SemaphoreTests, BarrierTests) and by the lock part of test_pep492.py, where Python's
// `async with x:` becomes `await using _ = await x.hold()` on every lock-like primitive (`using _ = yield* x.hold()`
// in a generator coroutine).
// Ordering is checked with sleep(0) steps (runBriefly), never with wall-clock durations.
// Every cancellation case runs twice: with async functions and with generator coroutines.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import * as asyncio from "../../src/index.js";
import { bothForms, type Form, isCancelled, loopNow, outcome, runBriefly, runMain } from "../helpers.js";

const {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  Condition,
  Event,
  Lock,
  RuntimeError,
  Semaphore,
  TimeoutError,
  ValueError,
  coroutine,
  createTask,
  gather,
  sleep,
} = asyncio;

type Task<T> = asyncio.Task<T>;

/** Shape of every repr (compare CPython's RGX_REPR, without the "object at 0x…" part). */
const RGX_REPR =
  /^<(Lock|Event|Condition|Semaphore|BoundedSemaphore|Barrier) \[(set|unset|locked|unlocked|filling|draining|resetting|broken)(, value:\d+)?(, waiters:\d+)?(, waiters:\d+\/\d+)?\]>$/;

/** A task running `a` (async form) or the generator coroutine `g` (generator form). */
function spawn<T>(form: Form, a: () => Promise<T>, g: () => Generator<unknown, T, any>): Task<T> {
  return form === "async" ? createTask(a) : createTask(coroutine(g)());
}

/**
 * A task that calls `op()` inside itself, waits for it (`await` or `yield*` per form), then
 * returns `after(result)` (or the result).
 */
function awaitIn<T, R = T>(form: Form, op: () => asyncio.Awaitable<T>, after?: (v: T) => R): Task<R> {
  return spawn<R>(
    form,
    async () => {
      const v = await op();
      return after ? after(v) : (v as unknown as R);
    },
    function* () {
      const v = yield* op();
      return after ? after(v) : (v as unknown as R);
    },
  );
}

/** Seconds after which runT gives up on a test that hangs. Never reached by a passing test. */
const HANG_GUARD = 10;

/** Primitives a failing test might leave held (see runT). */
const tracked = new Set<{ locked(): boolean; release(): void }>();

function track<T extends { locked(): boolean; release(): void }>(p: T): T {
  tracked.add(p);
  return p;
}

/**
 * runMain, made safe for failing assertions: a Condition waiter cancelled by run()'s clean-up must
 * re-acquire the lock first, so a test that fails while holding it would hang the whole file. On
 * failure (or a hang), keep releasing the tracked primitives until the loop is closed.
 */
async function runT(main: () => Promise<void>): Promise<void> {
  tracked.clear();
  await runMain(async () => {
    try {
      // A safety net only (lost wake-ups show up as hangs): fail instead of stalling the file.
      await asyncio.timeout(HANG_GUARD, main);
    } catch (e) {
      const loop = loopNow();
      const prims = [...tracked];
      let ticks = 0;
      const unjam = (): void => {
        for (const p of prims) if (p.locked()) p.release();
        if (++ticks < 10_000 && !loop.isClosed()) loop.callSoon(unjam);
      };
      loop.callSoon(unjam);
      throw e;
    }
  });
}

function waitersOf(x: unknown): number {
  const m = /waiters:(\d+)\]/.exec(inspect(x));
  return m === null ? 0 : Number(m[1]);
}

// ---------------------------------------------------------------------------------------------
describe("LockTests (test_locks.py)", () => {
  test("test_repr (test_locks.py LockTests)", async () => {
    await runT(async () => {
      const lock = new Lock();
      assert.ok(inspect(lock).endsWith("[unlocked]>"), inspect(lock));
      assert.match(inspect(lock), RGX_REPR);

      await lock.acquire();
      assert.ok(inspect(lock).endsWith("[locked]>"), inspect(lock));
      assert.match(inspect(lock), RGX_REPR);

      // A real waiter instead of CPython's mock appended to _waiters.
      const t = createTask(() => lock.acquire());
      await runBriefly();
      assert.equal(inspect(lock), "<Lock [locked, waiters:1]>");
      assert.match(inspect(lock), RGX_REPR);
      assert.equal(String(lock), inspect(lock));

      lock.release();
      assert.equal(await t, true);
      assert.equal(inspect(lock), "<Lock [locked]>");
      lock.release();
      assert.equal(inspect(lock), "<Lock [unlocked]>");
    });
  });

  test("test_lock (test_locks.py LockTests): a Lock itself is not awaitable", async () => {
    await runT(async () => {
      const lock = new Lock();
      assert.equal((lock as any).then, undefined);
      // Awaiting a non-thenable just hands the object back; it does not acquire.
      assert.equal(await (lock as unknown as PromiseLike<unknown>), lock);
      assert.equal(lock.locked(), false);
      // `yield* lock` in a generator coroutine is a TypeError (not iterable).
      const g = coroutine(function* () {
        yield* lock as any;
      });
      await assert.rejects(g(), TypeError);
      assert.equal(lock.locked(), false);
    });
  });

  test("test_lock_by_with_statement (test_locks.py LockTests): no primitive is awaitable itself", async () => {
    await runT(async () => {
      const primitives = [new Lock(), new Condition(), new Semaphore(), new BoundedSemaphore()];
      for (const p of primitives) {
        await sleep(0);
        assert.equal(p.locked(), false);
        assert.equal((p as any).then, undefined, inspect(p));
        assert.equal((p as any)[Symbol.iterator], undefined, inspect(p));
        assert.equal(await (p as unknown as PromiseLike<unknown>), p);
        assert.equal(p.locked(), false);
      }
      for (const p of [new Event(), new Barrier(2)]) {
        assert.equal((p as any).then, undefined, inspect(p));
        assert.equal((p as any)[Symbol.iterator], undefined, inspect(p));
      }
    });
  });

  test("test_lock_doesnt_accept_loop_parameter (test_locks.py LockTests): stray option objects are rejected", () => {
    const loop = asyncio.newEventLoop();
    try {
      assert.throws(() => new Condition({ loop } as any), TypeError);
      assert.throws(() => new Semaphore({ loop } as any), TypeError);
      assert.throws(() => new BoundedSemaphore({ loop } as any), TypeError);
      assert.throws(() => new Barrier({ loop } as any), TypeError);
    } finally {
      loop.close();
    }
  });

  bothForms("test_acquire (test_locks.py LockTests): waiters get the lock in FIFO order", async (form) => {
    await runT(async () => {
      const lock = new Lock();
      const result: number[] = [];
      assert.equal(await lock.acquire(), true);

      const c = (n: number): Task<boolean> =>
        awaitIn(
          form,
          () => lock.acquire(),
          (ok) => {
            if (ok) result.push(n);
            return true;
          },
        );

      const t1 = c(1);
      const t2 = c(2);
      await runBriefly();
      assert.deepEqual(result, []);

      lock.release();
      await runBriefly();
      assert.deepEqual(result, [1]);

      await runBriefly();
      assert.deepEqual(result, [1]);

      const t3 = c(3);

      lock.release();
      await runBriefly();
      assert.deepEqual(result, [1, 2]);

      lock.release();
      await runBriefly();
      assert.deepEqual(result, [1, 2, 3]);

      for (const t of [t1, t2, t3]) {
        assert.ok(t.done());
        assert.equal(t.result(), true);
      }
    });
  });

  bothForms(
    "test_fifo_order (Lock, cf. test_locks.py LockTests test_acquire): five waiters",
    async (form) => {
      await runT(async () => {
        const lock = new Lock();
        const order: number[] = [];
        await lock.acquire();
        const tasks = [0, 1, 2, 3, 4].map((i) =>
          spawn(
            form,
            async () => {
              await lock.acquire();
              try {
                order.push(i);
                await sleep(0);
              } finally {
                lock.release();
              }
            },
            function* () {
              yield* lock.acquire();
              try {
                order.push(i);
                yield* sleep(0);
              } finally {
                lock.release();
              }
            },
          ),
        );
        await runBriefly();
        assert.equal(lock._waiters!.length, 5);
        lock.release();
        await gather(tasks);
        assert.deepEqual(order, [0, 1, 2, 3, 4]);
        assert.equal(lock.locked(), false);
      });
    },
  );

  bothForms(
    "test_fifo_order (Lock, cf. test_locks.py LockTests test_acquire): a newcomer does not barge past a woken waiter",
    async (form) => {
      await runT(async () => {
        const lock = new Lock();
        const order: string[] = [];
        await lock.acquire();
        const waiter = awaitIn(
          form,
          () => lock.acquire(),
          () => {
            order.push("waiter");
            lock.release();
          },
        );
        await runBriefly();
        // A newcomer whose first step is already scheduled, so it runs before the woken waiter.
        const newcomer = awaitIn(
          form,
          () => lock.acquire(),
          () => {
            order.push("newcomer");
            lock.release();
          },
        );
        lock.release(); // wakes `waiter`, which has not run yet
        assert.equal(lock.locked(), false);
        // The releasing task itself wants the lock back at once: it queues too.
        await lock.acquire();
        order.push("releaser");
        lock.release();
        await gather(waiter, newcomer);
        // Queue order: the woken waiter, the releaser (queued when it asked), then the newcomer.
        assert.deepEqual(order, ["waiter", "releaser", "newcomer"]);
        assert.equal(lock.locked(), false);
      });
    },
  );

  bothForms("test_acquire_cancel (test_locks.py LockTests)", async (form) => {
    await runT(async () => {
      const lock = new Lock();
      assert.equal(await lock.acquire(), true);

      const task = awaitIn(form, () => lock.acquire());
      loopNow().callSoon(() => task.cancel());
      await assert.rejects(task, isCancelled);
      assert.ok(task.cancelled());
      assert.equal(lock._waiters?.length ?? 0, 0);
      assert.equal(lock.locked(), true);
    });
  });

  bothForms("test_cancel_race (test_locks.py LockTests)", async (form) => {
    await runT(async () => {
      // A holds the lock, B and C wait; B is cancelled just as A releases: C must get it.
      const lock = new Lock();
      const lockit = (blocker: asyncio.Future<void> | null): Task<void> =>
        spawn(
          form,
          async () => {
            await lock.acquire();
            try {
              if (blocker !== null) await blocker;
            } finally {
              lock.release();
            }
          },
          function* () {
            yield* lock.acquire();
            try {
              if (blocker !== null) yield* blocker;
            } finally {
              lock.release();
            }
          },
        );

      const fa = loopNow().createFuture<void>();
      const ta = lockit(fa);
      await runBriefly();
      assert.ok(lock.locked());
      const tb = lockit(null);
      await runBriefly();
      assert.equal(lock._waiters!.length, 1);
      const tc = lockit(null);
      await runBriefly();
      assert.equal(lock._waiters!.length, 2);

      fa.setResult();
      tb.cancel();
      assert.ok(lock._waiters!.peekFront()!.cancelled());
      await runBriefly();
      assert.equal(lock.locked(), false);
      assert.ok(ta.done());
      assert.ok(tb.cancelled());
      await tc;
      assert.equal(lock.locked(), false);
    });
  });

  bothForms("test_cancel_release_race (test_locks.py LockTests)", async (form) => {
    await runT(async () => {
      // bpo-32734: cancel the first waiter and release in the same callback: only one task may get the lock.
      const lock = new Lock();
      let lockCount = 0;
      let callCount = 0;
      const lockit = (): Task<void> =>
        spawn(
          form,
          async () => {
            callCount++;
            await lock.acquire();
            lockCount++;
          },
          function* () {
            callCount++;
            yield* lock.acquire();
            lockCount++;
          },
        );

      await lock.acquire();
      const t1 = lockit();
      const t2 = lockit();
      const t3 = lockit();
      await runBriefly();

      loopNow().callSoon(() => {
        t1.cancel();
        lock.release();
      });
      await assert.rejects(t1, isCancelled);

      assert.equal(lockCount, 1);
      assert.equal(callCount, 3);
      assert.ok(t1.cancelled() && t2.done());
      assert.equal(t3.done(), false);

      t3.cancel();
      await runBriefly();
      assert.ok(t3.cancelled());
      assert.equal(lock._waiters?.length ?? 0, 0);
    });
  });

  bothForms("test_finished_waiter_cancelled (test_locks.py LockTests)", async (form) => {
    await runT(async () => {
      const lock = new Lock();
      await lock.acquire();
      assert.ok(lock.locked());

      const tb = awaitIn(form, () => lock.acquire());
      await runBriefly();
      assert.equal(lock._waiters!.length, 1);

      // A second waiter arrives; the first is cancelled as the lock is released.
      const tc = awaitIn(form, () => lock.acquire());
      tb.cancel();
      lock.release();
      await runBriefly();

      assert.ok(lock.locked());
      assert.ok(tb.cancelled());
      assert.equal(await tc, true);
    });
  });

  bothForms(
    "test_acquire_cancel_after_release (cf. test_locks.py LockTests test_finished_waiter_cancelled): a woken waiter cancelled before it runs passes the lock on",
    async (form) => {
      await runT(async () => {
        const lock = new Lock();
        await lock.acquire();
        const tb = awaitIn(form, () => lock.acquire());
        const tc = awaitIn(form, () => lock.acquire());
        await runBriefly();
        assert.equal(lock._waiters!.length, 2);

        lock.release(); // tb's waiter is woken …
        tb.cancel(); // … but tb is cancelled before it runs
        assert.ok(isCancelled((await outcome(tb)).value));
        assert.ok(tb.cancelled());
        assert.equal(await tc, true);
        assert.ok(lock.locked(), "the wake-up must have gone to tc");
        lock.release();
        assert.equal(lock.locked(), false);
        assert.equal(lock._waiters?.length ?? 0, 0);
      });
    },
  );

  bothForms(
    "test_finished_waiter_cancelled (test_locks.py LockTests): only cancelled waiters queued → acquire takes the free lock at once",
    async (form) => {
      await runT(async () => {
        const lock = new Lock();
        await lock.acquire();
        const waiters = [awaitIn(form, () => lock.acquire()), awaitIn(form, () => lock.acquire())];
        await runBriefly();
        for (const w of waiters) w.cancel();
        lock.release();
        // Both queued waiters are cancelled: the lock is free for the caller right now.
        assert.equal(await lock.acquire(), true);
        assert.ok(lock.locked());
        for (const w of waiters) assert.ok(isCancelled((await outcome(w)).value));
        assert.ok(lock.locked());
        lock.release();
      });
    },
  );

  test("test_release_not_acquired (test_locks.py LockTests)", () => {
    const lock = new Lock();
    assert.throws(
      () => lock.release(),
      (e: unknown) => e instanceof RuntimeError && /not acquired/.test(e.message),
    );
  });

  test("test_release_no_waiters (test_locks.py LockTests)", async () => {
    await runT(async () => {
      const lock = new Lock();
      await lock.acquire();
      assert.ok(lock.locked());
      lock.release();
      assert.equal(lock.locked(), false);
      assert.throws(() => lock.release(), RuntimeError);
    });
  });

  bothForms(
    "test_context_manager (test_locks.py LockTests): `async with lock` → `await using`",
    async (form) => {
      await runT(async () => {
        const lock = new Lock();
        assert.equal(lock.locked(), false);
        const t = spawn(
          form,
          async () => {
            {
              await using _ = await lock.hold();
              assert.ok(lock.locked());
            }
            assert.equal(lock.locked(), false);
            // An error leaving the block still releases.
            try {
              await using _ = await lock.hold();
              throw new Error("boom");
            } catch (e) {
              assert.equal((e as Error).message, "boom");
            }
            return lock.locked();
          },
          function* () {
            {
              using _ = yield* lock.hold();
              assert.ok(lock.locked());
            }
            assert.equal(lock.locked(), false);
            try {
              using _ = yield* lock.hold();
              throw new Error("boom");
            } catch (e) {
              assert.equal((e as Error).message, "boom");
            }
            return lock.locked();
          },
        );
        assert.equal(await t, false);
      });
    },
  );

  test("test_context_manager_cant_reuse (test_locks.py LockTests): the handle releases once", async () => {
    await runT(async () => {
      const lock = new Lock();
      const held = await lock.hold();
      assert.ok(lock.locked());
      held.release();
      assert.equal(lock.locked(), false);
      await lock.acquire(); // someone else holds it now
      held.release(); // idempotent: must not release the other holder's lock
      await held[Symbol.asyncDispose]();
      assert.ok(lock.locked());
      lock.release();
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe("Fast paths: no suspension when nothing blocks", () => {
  bothForms(
    "test_wait (test_locks.py EventTests): an uncontended acquire()/wait() resumes before other ready tasks run",
    async (form) => {
      // CPython's `await lock.acquire()` on a free lock (or `await ev.wait()` on a set event) returns
      // without suspending: the task goes on in the same step. EventTests.test_wait's [3, 1, 2]
      // order depends on it.
      await runT(async () => {
        const ev = new Event();
        ev.set();
        const lock1 = new Lock();
        const lock2 = new Lock();
        const sem = new Semaphore(1);
        const bsem = new BoundedSemaphore(1);
        const cond1 = track(new Condition());
        const cond2 = track(new Condition());
        const barrier = new Barrier(1);
        const cases: [string, () => asyncio.Awaitable<unknown>][] = [
          ["Lock.acquire()", () => lock1.acquire()],
          ["Lock.hold()", () => lock2.hold()],
          ["Semaphore.acquire()", () => sem.acquire()],
          ["BoundedSemaphore.hold()", () => bsem.hold()],
          ["Event.wait() (set)", () => ev.wait()],
          ["Condition.acquire()", () => cond1.acquire()],
          ["Condition.waitFor(true)", () => cond2.waitFor(() => true)],
          ["Barrier(1).wait()", () => barrier.wait()],
        ];
        const late: string[] = [];
        for (const [name, op] of cases) {
          const log: string[] = [];
          const t = awaitIn(form, op, () => void log.push("resumed"));
          const u = createTask(async () => void log.push("other"));
          await gather(t, u);
          if (log[0] !== "resumed") late.push(name);
        }
        assert.deepEqual(late, [], `these let another task run first: ${late.join(", ")}`);
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------
describe("Lazy operations: create_task(lock.acquire()) as CPython spells it", () => {
  test("test_acquire_cancel (test_locks.py LockTests): lock.acquire() does nothing until it runs", async () => {
    await runT(async () => {
      const lock = new Lock();
      const op = lock.acquire();
      assert.equal(lock.locked(), false, "creating the operation runs nothing");
      const t = createTask(op);
      assert.equal(lock.locked(), false, "nor does scheduling it");
      assert.equal(await t, true);
      assert.ok(lock.locked());

      // create_task(lock.acquire()) cancelled while queued.
      const t2 = createTask(lock.acquire());
      loopNow().callSoon(() => t2.cancel());
      await assert.rejects(t2, isCancelled);
      assert.equal(lock._waiters?.length ?? 0, 0);

      // A task cancelled before it starts never takes the lock.
      lock.release();
      const t3 = createTask(lock.acquire());
      t3.cancel();
      await assert.rejects(t3, isCancelled);
      assert.equal(lock.locked(), false);

      // An operation that is never awaited changes nothing.
      void lock.acquire();
      assert.equal(lock.locked(), false);
    });
  });

  test("test_acquire_cancel (test_locks.py SemaphoreTests): sem.acquire() does nothing until it runs", async () => {
    await runT(async () => {
      const sem = new Semaphore(1);
      const op = sem.acquire();
      assert.equal(sem._value, 1);
      const t = createTask(sem.acquire());
      t.cancel(); // before it starts
      await assert.rejects(t, isCancelled);
      assert.equal(sem._value, 1);
      assert.equal(await op, true);
      assert.equal(sem._value, 0);
      const t2 = createTask(sem.acquire());
      loopNow().callSoon(() => t2.cancel());
      await assert.rejects(t2, isCancelled);
      assert.equal(waitersOf(sem), 0);
      sem.release();
      assert.equal(sem._value, 1);
    });
  });

  test("test_wait_cancel (test_locks.py EventTests / ConditionTests): create_task(ev.wait()), create_task(cond.wait())", async () => {
    await runT(async () => {
      const ev = new Event();
      const wait = createTask(ev.wait());
      loopNow().callSoon(() => wait.cancel());
      await assert.rejects(wait, isCancelled);
      assert.equal(waitersOf(ev), 0);

      const cond = track(new Condition());
      // Without the lock, wait() fails when it runs, not when it is created (like a coroutine).
      const early = cond.wait();
      await assert.rejects(createTask(early), RuntimeError);
      await cond.acquire();
      const cw = createTask(cond.wait());
      loopNow().callSoon(() => cw.cancel());
      await assert.rejects(cw, isCancelled);
      assert.equal(waitersOf(cond), 0);
      assert.ok(cond.locked());
      cond.release();
    });
  });

  test("test_filling_one_task_twice (test_locks.py BarrierTests): create_task(barrier.wait())", async () => {
    await runT(async () => {
      const barrier = new Barrier(2);
      const op = barrier.wait();
      assert.equal(barrier.nWaiting, 0, "creating wait() runs nothing");
      const t1 = createTask(op);
      const t2 = createTask(barrier.wait());
      const idx = await gather(t1, t2);
      assert.deepEqual(
        [...idx].sort((a, b) => a - b),
        [0, 1],
      );
    });
  });

  test("test_timeout_in_block (test_locks.py ConditionTests): wait_for(lock.acquire(), timeout) leaves no waiter behind", async () => {
    await runT(async () => {
      const lock = new Lock();
      await lock.acquire();
      await assert.rejects(asyncio.waitFor(lock.acquire(), 0.01), TimeoutError);
      assert.equal(lock._waiters?.length ?? 0, 0);
      assert.ok(lock.locked());
      lock.release();
      assert.equal(lock.locked(), false);
      // Uncontended, it completes within the timeout.
      assert.equal(await asyncio.waitFor(lock.acquire(), 1), true);
      assert.ok(lock.locked());
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe("test_pep492.py LockTests: `async with` on the primitives", () => {
  bothForms("test_context_manager_async_with (test_pep492.py LockTests)", async (form) => {
    await runT(async () => {
      const primitives: [string, { locked(): boolean }, () => asyncio.Awaitable<asyncio.Held>][] = [];
      const lock = new Lock();
      primitives.push(["Lock", lock, () => lock.hold()]);
      const cond = track(new Condition());
      primitives.push(["Condition", cond, () => cond.hold()]);
      const sem = new Semaphore();
      primitives.push(["Semaphore", sem, () => sem.hold()]);
      const bsem = new BoundedSemaphore();
      primitives.push(["BoundedSemaphore", bsem, () => bsem.hold()]);

      for (const [name, p, enter] of primitives) {
        const t = spawn(
          form,
          async () => {
            await sleep(0);
            assert.equal(p.locked(), false, name);
            {
              await using held = await enter();
              assert.equal(typeof held.release, "function");
              assert.ok(p.locked(), name);
              await sleep(0);
              assert.ok(p.locked(), name);
            }
            assert.equal(p.locked(), false, name);
          },
          function* () {
            yield* sleep(0);
            assert.equal(p.locked(), false, name);
            {
              using held = yield* enter();
              assert.equal(typeof held.release, "function");
              assert.ok(p.locked(), name);
              yield* sleep(0);
              assert.ok(p.locked(), name);
            }
            assert.equal(p.locked(), false, name);
          },
        );
        await t;
        assert.equal(p.locked(), false, name);
      }
    });
  });

  bothForms(
    "test_context_manager_async_with (test_pep492.py LockTests): a contended `await using` waits its turn",
    async (form) => {
      await runT(async () => {
        const sem = new BoundedSemaphore(2);
        let active = 0;
        let peak = 0;
        const worker = (): Task<void> =>
          spawn(
            form,
            async () => {
              await using _ = await sem.hold();
              active++;
              peak = Math.max(peak, active);
              await sleep(0);
              await sleep(0);
              active--;
            },
            function* () {
              using _ = yield* sem.hold();
              active++;
              peak = Math.max(peak, active);
              yield* sleep(0);
              yield* sleep(0);
              active--;
            },
          );
        await gather(Array.from({ length: 7 }, worker));
        assert.equal(peak, 2);
        assert.equal(active, 0);
        assert.equal(sem._value, 2);
        assert.equal(sem.locked(), false);
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------
describe("hold(): the one spelling of `async with` on every lock-like primitive", () => {
  /** The four lock-like primitives, fresh, each with the `hold()` under test. */
  function lockLike(): [string, { locked(): boolean }, () => asyncio.Awaitable<asyncio.Held>][] {
    const lock = new Lock();
    const cond = track(new Condition());
    const sem = new Semaphore();
    const bsem = new BoundedSemaphore();
    return [
      ["Lock", lock, () => lock.hold()],
      ["Condition", cond, () => cond.hold()],
      ["Semaphore", sem, () => sem.hold()],
      ["BoundedSemaphore", bsem, () => bsem.hold()],
    ];
  }

  bothForms(
    "test_context_manager (test_locks.py LockTests / ConditionTests / SemaphoreTests): released on normal exit and on an error",
    async (form) => {
      await runT(async () => {
        for (const [name, p, hold] of lockLike()) {
          const t = spawn(
            form,
            async () => {
              {
                await using _ = await hold();
                assert.ok(p.locked(), name);
              }
              assert.equal(p.locked(), false, name);
              try {
                await using _ = await hold();
                assert.ok(p.locked(), name);
                throw new Error("boom");
              } catch (e) {
                assert.equal((e as Error).message, "boom");
              }
              return p.locked();
            },
            function* () {
              {
                using _ = yield* hold();
                assert.ok(p.locked(), name);
              }
              assert.equal(p.locked(), false, name);
              try {
                using _ = yield* hold();
                assert.ok(p.locked(), name);
                throw new Error("boom");
              } catch (e) {
                assert.equal((e as Error).message, "boom");
              }
              return p.locked();
            },
          );
          assert.equal(await t, false, name);
        }
      });
    },
  );

  bothForms(
    "hold() is released when the task is cancelled inside the block (CPython: `async with` runs __aexit__ on CancelledError)",
    async (form) => {
      await runT(async () => {
        for (const [name, p, hold] of lockLike()) {
          const never = new Event();
          let inside = false;
          let after = false;
          const t = spawn(
            form,
            async () => {
              await using _ = await hold();
              inside = true;
              await never.wait();
              after = true;
            },
            function* () {
              using _ = yield* hold();
              inside = true;
              yield* never.wait();
              after = true;
            },
          );
          // Another task queued on the primitive gets it once the cancelled holder leaves.
          const next = awaitIn(form, hold, (held) => {
            const wasLocked = p.locked();
            held.release();
            return wasLocked;
          });
          await runBriefly(2);
          assert.ok(inside, name);
          assert.ok(p.locked(), name);
          t.cancel();
          await assert.rejects(t, isCancelled);
          assert.equal(after, false, name);
          assert.equal(await next, true, `${name}: the waiter got it after the cancelled holder`);
          assert.equal(p.locked(), false, name);
        }
      });
    },
  );

  bothForms(
    "test_context_manager (test_locks.py SemaphoreTests): nested hold() on Semaphore(2)",
    async (form) => {
      await runT(async () => {
        const sem = new Semaphore(2);
        const t = spawn(
          form,
          async () => {
            {
              await using _ = await sem.hold();
              assert.equal(sem.locked(), false);
              assert.equal(sem._value, 1);
              {
                await using _ = await sem.hold();
                assert.ok(sem.locked());
              }
            }
            return sem._value;
          },
          function* () {
            {
              using _ = yield* sem.hold();
              assert.equal(sem.locked(), false);
              assert.equal(sem._value, 1);
              {
                using _ = yield* sem.hold();
                assert.ok(sem.locked());
              }
            }
            return sem._value;
          },
        );
        assert.equal(await t, 2);
      });
    },
  );

  /** What `await using _ = x` / `using _ = x` must say for each primitive. */
  const HINT = {
    Lock: "Lock is not a context manager by itself: write `await using _ = await lock.hold()` (Python: `async with lock:`); in a generator coroutine, `using _ = yield* lock.hold()`",
    Condition:
      "Condition is not a context manager by itself: write `await using _ = await cond.hold()` (Python: `async with cond:`); in a generator coroutine, `using _ = yield* cond.hold()`",
    Semaphore:
      "Semaphore is not a context manager by itself: write `await using _ = await sem.hold()` (Python: `async with sem:`); in a generator coroutine, `using _ = yield* sem.hold()`",
    BoundedSemaphore:
      "BoundedSemaphore is not a context manager by itself: write `await using _ = await sem.hold()` (Python: `async with sem:`); in a generator coroutine, `using _ = yield* sem.hold()`",
    Barrier:
      "Barrier is not a context manager: write `const index = await barrier.wait()` (Python: `async with barrier as index:`); in a generator coroutine, `const index = yield* barrier.wait()`",
  };

  /**
   * One wrong spelling per primitive, each on its own line so the type checker must reject every
   * one (`@ts-expect-error`): `await using _ = x` in an async function, `using _ = x` in a generator.
   */
  function wrongSpellings(): {
    name: keyof typeof HINT;
    free: () => boolean;
    async: (ran: () => void) => Promise<void>;
    gen: (ran: () => void) => Generator<unknown, void, any>;
  }[] {
    const lock = new Lock();
    const cond = new Condition();
    const sem = new Semaphore();
    const bsem = new BoundedSemaphore();
    const barrier = new Barrier(1);
    return [
      {
        name: "Lock",
        free: () => !lock.locked(),
        async: async (ran) => {
          // @ts-expect-error a Lock is not disposable: `await using _ = await lock.hold()`
          await using _ = lock;
          ran();
        },
        *gen(ran) {
          // @ts-expect-error a Lock is not disposable: `using _ = yield* lock.hold()`
          using _ = lock;
          ran();
          yield* sleep(0);
        },
      },
      {
        name: "Condition",
        free: () => !cond.locked(),
        async: async (ran) => {
          // @ts-expect-error a Condition is not disposable
          await using _ = cond;
          ran();
        },
        *gen(ran) {
          // @ts-expect-error a Condition is not disposable
          using _ = cond;
          ran();
          yield* sleep(0);
        },
      },
      {
        name: "Semaphore",
        free: () => !sem.locked() && sem._value === 1,
        async: async (ran) => {
          // @ts-expect-error a Semaphore is not disposable
          await using _ = sem;
          ran();
        },
        *gen(ran) {
          // @ts-expect-error a Semaphore is not disposable
          using _ = sem;
          ran();
          yield* sleep(0);
        },
      },
      {
        name: "BoundedSemaphore",
        free: () => !bsem.locked() && bsem._value === 1,
        async: async (ran) => {
          // @ts-expect-error a BoundedSemaphore is not disposable
          await using _ = bsem;
          ran();
        },
        *gen(ran) {
          // @ts-expect-error a BoundedSemaphore is not disposable
          using _ = bsem;
          ran();
          yield* sleep(0);
        },
      },
      {
        name: "Barrier",
        free: () => barrier.nWaiting === 0 && !barrier.broken,
        async: async (ran) => {
          // @ts-expect-error a Barrier is not disposable: `await barrier.wait()`
          await using _ = barrier;
          ran();
        },
        *gen(ran) {
          // @ts-expect-error a Barrier is not disposable
          using _ = barrier;
          ran();
          yield* sleep(0);
        },
      },
    ];
  }

  bothForms(
    "test_lock_by_with_statement / test_context_manager_no_yield (test_locks.py LockTests): `await using _ = lock` throws a TypeError saying what to write, before the block runs",
    async (form) => {
      await runT(async () => {
        for (const c of wrongSpellings()) {
          let ran = false;
          const markRan = (): void => {
            ran = true;
          };
          const t =
            form === "async" ? createTask(() => c.async(markRan)) : createTask(coroutine(c.gen)(markRan));
          const r = await outcome(t);
          assert.equal(r.ok, false, c.name);
          assert.ok(r.value instanceof TypeError, `${c.name}: ${String(r.value)}`);
          assert.ok(r.value instanceof asyncio.ArgumentTypeError, c.name);
          assert.equal(r.value.message, HINT[c.name]);
          assert.equal(ran, false, `${c.name}: the block must not run`);
          assert.ok(c.free(), `${c.name}: nothing acquired`);
        }
      });
    },
  );

  test("the refusing getters: `using` in an async function, direct reads, and no effect on inspect / instanceof / copies", async () => {
    await runT(async () => {
      const lock = new Lock();
      let ran = false;
      const err = await (async () => {
        try {
          // @ts-expect-error `using` (not `await using`) reads Symbol.dispose: refused the same way
          using _ = lock;
          ran = true;
        } catch (e) {
          return e;
        }
        return null;
      })();
      assert.ok(err instanceof TypeError);
      assert.equal(err.message, HINT.Lock);
      assert.equal(ran, false);
      assert.equal(lock.locked(), false);

      const cases: [keyof typeof HINT, object][] = [
        ["Lock", lock],
        ["Condition", new Condition()],
        ["Semaphore", new Semaphore()],
        ["BoundedSemaphore", new BoundedSemaphore()],
        ["Barrier", new Barrier(2)],
      ];
      for (const [name, p] of cases) {
        for (const sym of [Symbol.asyncDispose, Symbol.dispose])
          assert.throws(() => (p as any)[sym], { name: "TypeError", message: HINT[name] });
        assert.match(inspect(p), RGX_REPR);
        assert.match(inspect(p, { showHidden: true }), RGX_REPR);
        assert.deepEqual(Object.keys(p).includes("Symbol(Symbol.asyncDispose)"), false);
        assert.equal(Object.getOwnPropertySymbols(p).length, 0, name);
        assert.ok(typeof structuredClone(p) === "object", name);
      }
      assert.ok(lock instanceof Lock);
      assert.ok(new BoundedSemaphore() instanceof Semaphore);
      assert.deepEqual(new Lock(), new Lock());
      // The handle hold() returns is disposable, of course.
      const held = await lock.hold();
      assert.equal(typeof held[Symbol.asyncDispose], "function");
      assert.equal(typeof held[Symbol.dispose], "function");
      held.release();
      assert.equal(lock.locked(), false);
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe("EventTests (test_locks.py)", () => {
  test("test_repr (test_locks.py EventTests)", async () => {
    await runT(async () => {
      const ev = new Event();
      assert.ok(inspect(ev).endsWith("[unset]>"), inspect(ev));
      const m = RGX_REPR.exec(inspect(ev));
      assert.ok(m !== null);
      assert.equal(m[2], "unset");

      ev.set();
      assert.ok(inspect(ev).endsWith("[set]>"), inspect(ev));
      assert.match(inspect(ev), RGX_REPR);

      ev.clear();
      const t = createTask(() => ev.wait());
      await runBriefly();
      assert.ok(inspect(ev).includes("waiters:1"), inspect(ev));
      assert.match(inspect(ev), RGX_REPR);
      assert.equal(String(ev), inspect(ev));
      ev.set();
      await t;
      assert.equal(inspect(ev), "<Event [set]>");
    });
  });

  bothForms("test_wait (test_locks.py EventTests)", async (form) => {
    await runT(async () => {
      const ev = new Event();
      assert.equal(ev.isSet(), false);
      const result: number[] = [];
      const c = (n: number): Task<void> =>
        awaitIn(
          form,
          () => ev.wait(),
          (ok) => {
            if (ok) result.push(n);
          },
        );

      const t1 = c(1);
      const t2 = c(2);
      await runBriefly();
      assert.deepEqual(result, []);

      const t3 = c(3);
      ev.set();
      await runBriefly();
      // t3's first step was scheduled before the wake-ups of t1 and t2.
      assert.deepEqual(result, [3, 1, 2]);

      for (const t of [t1, t2, t3]) {
        assert.ok(t.done());
        assert.equal(t.result(), undefined);
      }
    });
  });

  test("test_wait_on_set (test_locks.py EventTests)", async () => {
    await runT(async () => {
      const ev = new Event();
      ev.set();
      assert.equal(await ev.wait(), true);
      const g = coroutine(function* () {
        return yield* ev.wait();
      });
      assert.equal(await g(), true);
    });
  });

  bothForms("test_wait_cancel (test_locks.py EventTests)", async (form) => {
    await runT(async () => {
      const ev = new Event();
      const wait = awaitIn(form, () => ev.wait());
      loopNow().callSoon(() => wait.cancel());
      await assert.rejects(wait, isCancelled);
      assert.ok(wait.cancelled());
      assert.equal(waitersOf(ev), 0);
      assert.equal(inspect(ev), "<Event [unset]>");
    });
  });

  bothForms(
    "test_wait_cancel (test_locks.py EventTests): a cancelled waiter does not take the set() from the others",
    async (form) => {
      await runT(async () => {
        const ev = new Event();
        const woke: string[] = [];
        const w = (name: string): Task<void> =>
          awaitIn(
            form,
            () => ev.wait(),
            () => void woke.push(name),
          );
        const a = w("a");
        const b = w("b");
        const c = w("c");
        await runBriefly();
        assert.equal(waitersOf(ev), 3);
        b.cancel();
        ev.set();
        b.cancel(); // again, after set(): still only a cancellation
        await gather([a, b, c], { returnExceptions: true });
        assert.deepEqual(woke, ["a", "c"]);
        assert.ok(b.cancelled());
        assert.equal(waitersOf(ev), 0);
      });
    },
  );

  test("test_clear (test_locks.py EventTests)", () => {
    const ev = new Event();
    assert.equal(ev.isSet(), false);
    ev.set();
    assert.equal(ev.isSet(), true);
    ev.clear();
    assert.equal(ev.isSet(), false);
  });

  bothForms("test_clear_with_waiters (test_locks.py EventTests)", async (form) => {
    await runT(async () => {
      const ev = new Event();
      const result: number[] = [];
      const t = awaitIn(
        form,
        () => ev.wait(),
        (ok) => {
          if (ok) result.push(1);
          return true;
        },
      );
      await runBriefly();
      assert.deepEqual(result, []);

      ev.set();
      ev.clear();
      assert.equal(ev.isSet(), false);

      ev.set();
      ev.set();
      assert.equal(waitersOf(ev), 1);

      await runBriefly();
      assert.deepEqual(result, [1]);
      assert.equal(waitersOf(ev), 0);
      assert.ok(t.done());
      assert.equal(t.result(), true);
    });
  });

  bothForms(
    "test_clear_with_waiters (test_locks.py EventTests): set() then clear() still wakes the waiter",
    async (form) => {
      await runT(async () => {
        const ev = new Event();
        const t = awaitIn(form, () => ev.wait());
        await runBriefly();
        ev.set();
        ev.clear();
        assert.equal(await t, true);
        assert.equal(ev.isSet(), false);
        // A new wait() after clear() blocks again.
        const t2 = awaitIn(form, () => ev.wait());
        await runBriefly(3);
        assert.equal(t2.done(), false);
        ev.set();
        assert.equal(await t2, true);
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------
describe("ConditionTests (test_locks.py)", () => {
  bothForms("test_wait (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      const cond = track(new Condition());
      const result: number[] = [];
      const c = (n: number): Task<boolean> =>
        spawn(
          form,
          async () => {
            await cond.acquire();
            if (await cond.wait()) result.push(n);
            return true;
          },
          function* () {
            yield* cond.acquire();
            if (yield* cond.wait()) result.push(n);
            return true;
          },
        );
      const t1 = c(1);
      const t2 = c(2);
      const t3 = c(3);

      await runBriefly();
      assert.deepEqual(result, []);
      assert.equal(cond.locked(), false);

      assert.equal(await cond.acquire(), true);
      cond.notify();
      await runBriefly();
      assert.deepEqual(result, []);
      assert.ok(cond.locked());

      cond.release();
      await runBriefly();
      assert.deepEqual(result, [1]);
      assert.ok(cond.locked());

      cond.notify(2);
      await runBriefly();
      assert.deepEqual(result, [1]);
      assert.ok(cond.locked());

      cond.release();
      await runBriefly();
      assert.deepEqual(result, [1, 2]);
      assert.ok(cond.locked());

      cond.release();
      await runBriefly();
      assert.deepEqual(result, [1, 2, 3]);
      assert.ok(cond.locked());

      for (const t of [t1, t2, t3]) {
        assert.ok(t.done());
        assert.equal(t.result(), true);
      }
    });
  });

  bothForms("test_wait_cancel (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      const cond = track(new Condition());
      await cond.acquire();

      const wait = awaitIn(form, () => cond.wait());
      loopNow().callSoon(() => wait.cancel());
      await assert.rejects(wait, isCancelled);
      assert.ok(wait.cancelled());
      assert.equal(waitersOf(cond), 0);
      assert.ok(cond.locked(), "wait() re-acquires the lock even when cancelled");
    });
  });

  bothForms("test_wait_cancel_contested (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      const cond = track(new Condition());
      await cond.acquire();
      assert.ok(cond.locked());

      const waitTask = awaitIn(form, () => cond.wait());
      await runBriefly();
      assert.equal(cond.locked(), false);

      // Notify, but contest the lock before cancelling.
      await cond.acquire();
      assert.ok(cond.locked());
      cond.notify();
      loopNow().callSoon(() => waitTask.cancel());
      loopNow().callSoon(() => cond.release());

      const r = await outcome(waitTask);
      if (!r.ok) assert.ok(isCancelled(r.value), String(r.value));
      assert.ok(cond.locked(), "the waiter holds the lock again whatever the outcome");
    });
  });

  bothForms("test_wait_cancel_after_notify (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      // bpo-32841
      let waited = false;
      const cond = track(new Condition());
      const waiter = spawn(
        form,
        async () => {
          await using _ = await cond.hold();
          waited = true;
          await cond.wait();
        },
        function* () {
          using _ = yield* cond.hold();
          waited = true;
          yield* cond.wait();
        },
      );
      await runBriefly(); // start waiting

      await cond.acquire();
      cond.notify();
      await runBriefly(); // the waiter moves on to re-acquiring the lock
      waiter.cancel();
      await runBriefly(); // deliver the cancellation
      cond.release();
      // The waiter re-acquires, then leaves cancelled. (CPython checks this after one more loop
      // step; `await using` adds microtask hops to the exit, so wait for the outcome instead.)
      await assert.rejects(waiter, isCancelled);
      assert.ok(waiter.cancelled());
      assert.ok(waited);
      assert.equal(cond.locked(), false);
    });
  });

  bothForms("test_wait_unacquired (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      const cond = track(new Condition());
      const t = awaitIn(form, () => cond.wait());
      await assert.rejects(t, RuntimeError);
      assert.equal(cond.locked(), false);
      assert.equal(waitersOf(cond), 0);
    });
  });

  bothForms("test_wait_for (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      const cond = track(new Condition());
      let presult = false;
      const predicate = (): boolean => presult;
      const result: number[] = [];

      const t = spawn(
        form,
        async () => {
          await cond.acquire();
          if (await cond.waitFor(predicate)) {
            result.push(1);
            cond.release();
          }
          return true;
        },
        function* () {
          yield* cond.acquire();
          if (yield* cond.waitFor(predicate)) {
            result.push(1);
            cond.release();
          }
          return true;
        },
      );

      await runBriefly();
      assert.deepEqual(result, []);

      await cond.acquire();
      cond.notify();
      cond.release();
      await runBriefly();
      assert.deepEqual(result, []);

      presult = true;
      await cond.acquire();
      cond.notify();
      cond.release();
      await runBriefly();
      assert.deepEqual(result, [1]);

      assert.ok(t.done());
      assert.equal(t.result(), true);
    });
  });

  test("test_wait_for_unacquired (test_locks.py ConditionTests)", async () => {
    await runT(async () => {
      const cond = track(new Condition());
      // A predicate true at once needs no lock, and its value is returned.
      assert.deepEqual(await cond.waitFor(() => [1, 2, 3]), [1, 2, 3]);
      await assert.rejects(async () => {
        await cond.waitFor(() => false);
      }, RuntimeError);
      const g = coroutine(function* () {
        return yield* cond.waitFor(() => "yes");
      });
      assert.equal(await g(), "yes");
      assert.throws(() => cond.waitFor("nope" as any), TypeError);
    });
  });

  bothForms("test_notify (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      const cond = track(new Condition());
      const result: number[] = [];
      const c = (n: number): Task<boolean> =>
        spawn(
          form,
          async () => {
            await cond.acquire();
            if (await cond.wait()) {
              result.push(n);
              cond.release();
            }
            return true;
          },
          function* () {
            yield* cond.acquire();
            if (yield* cond.wait()) {
              result.push(n);
              cond.release();
            }
            return true;
          },
        );
      const tasks = [c(1), c(2), c(3)];
      await runBriefly();
      assert.deepEqual(result, []);

      await cond.acquire();
      cond.notify(1);
      cond.release();
      await runBriefly();
      assert.deepEqual(result, [1]);

      await cond.acquire();
      cond.notify(1);
      cond.notify(2048);
      cond.release();
      await runBriefly();
      assert.deepEqual(result, [1, 2, 3]);

      for (const t of tasks) {
        assert.ok(t.done());
        assert.equal(t.result(), true);
      }
    });
  });

  bothForms("test_notify_all (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      const cond = track(new Condition());
      const result: number[] = [];
      const c = (n: number): Task<boolean> =>
        spawn(
          form,
          async () => {
            await cond.acquire();
            if (await cond.wait()) {
              result.push(n);
              cond.release();
            }
            return true;
          },
          function* () {
            yield* cond.acquire();
            if (yield* cond.wait()) {
              result.push(n);
              cond.release();
            }
            return true;
          },
        );
      const t1 = c(1);
      const t2 = c(2);
      await runBriefly();
      assert.deepEqual(result, []);

      await cond.acquire();
      cond.notifyAll();
      cond.release();
      await runBriefly();
      assert.deepEqual(result, [1, 2]);
      assert.equal(t1.result(), true);
      assert.equal(t2.result(), true);
    });
  });

  test("test_notify_unacquired (test_locks.py ConditionTests)", () => {
    const cond = track(new Condition());
    assert.throws(() => cond.notify(), RuntimeError);
  });

  test("test_notify_all_unacquired (test_locks.py ConditionTests)", () => {
    const cond = track(new Condition());
    assert.throws(() => cond.notifyAll(), RuntimeError);
  });

  test("test_repr (test_locks.py ConditionTests)", async () => {
    await runT(async () => {
      const cond = track(new Condition());
      assert.ok(inspect(cond).includes("unlocked"), inspect(cond));
      assert.match(inspect(cond), RGX_REPR);

      await cond.acquire();
      assert.ok(inspect(cond).includes("[locked"), inspect(cond));
      cond.release();

      // Real waiters instead of CPython's mocks.
      const w = (): Task<void> =>
        createTask(
          coroutine(function* () {
            yield* cond.acquire();
            try {
              yield* cond.wait();
            } finally {
              cond.release();
            }
          })(),
        );
      const t1 = w();
      await runBriefly();
      assert.ok(inspect(cond).includes("waiters:1"), inspect(cond));
      assert.match(inspect(cond), RGX_REPR);
      const t2 = w();
      await runBriefly();
      assert.ok(inspect(cond).includes("waiters:2"), inspect(cond));
      assert.match(inspect(cond), RGX_REPR);
      assert.equal(String(cond), inspect(cond));

      await cond.acquire();
      assert.equal(inspect(cond), "<Condition [locked, waiters:2]>");
      cond.notifyAll();
      cond.release();
      await gather(t1, t2);
      assert.equal(inspect(cond), "<Condition [unlocked]>");
    });
  });

  bothForms("test_context_manager (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      const cond = track(new Condition());
      assert.equal(cond.locked(), false);
      const t = spawn(
        form,
        async () => {
          {
            await using _ = await cond.hold();
            assert.ok(cond.locked());
          }
          return cond.locked();
        },
        function* () {
          {
            using _ = yield* cond.hold();
            assert.ok(cond.locked());
          }
          return cond.locked();
        },
      );
      assert.equal(await t, false);
    });
  });

  test("test_explicit_lock (test_locks.py ConditionTests)", async () => {
    await runT(async () => {
      const f = async (lock?: asyncio.Lock, cond?: asyncio.Condition): Promise<void> => {
        lock ??= new Lock();
        cond ??= new Condition(lock);
        assert.equal(lock.locked(), false);
        assert.equal(cond.locked(), false);
        {
          await using _ = await cond.hold();
          assert.ok(lock.locked());
          assert.ok(cond.locked());
        }
        assert.equal(lock.locked(), false);
        assert.equal(cond.locked(), false);
        {
          await using _ = await lock.hold();
          assert.ok(lock.locked());
          assert.ok(cond.locked());
        }
        assert.equal(lock.locked(), false);
        assert.equal(cond.locked(), false);
      };
      await f();
      await f(new Lock());
      const lock = new Lock();
      await f(lock, new Condition(lock));
      assert.throws(() => new Condition("not a lock" as any), TypeError);
    });
  });

  bothForms("test_timeout_in_block (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      const cond = track(new Condition());
      const t = spawn(
        form,
        async () => {
          await using _ = await cond.hold();
          await assert.rejects(asyncio.waitFor(cond.wait(), 0.01), TimeoutError);
          // The timed-out wait() took the lock back before giving up.
          assert.ok(cond.locked());
          return waitersOf(cond);
        },
        function* () {
          using _ = yield* cond.hold();
          let caught: unknown = null;
          try {
            yield* asyncio.waitFor(cond.wait(), 0.01);
          } catch (e) {
            caught = e;
          }
          assert.ok(caught instanceof TimeoutError, String(caught));
          assert.ok(cond.locked());
          return waitersOf(cond);
        },
      );
      assert.equal(await t, 0);
      assert.equal(cond.locked(), false);
    });
  });

  bothForms("test_cancelled_error_wakeup (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      // A CancelledError received while waiting for the wake-up is re-raised unmodified.
      const wake = false;
      let raised: unknown = null;
      const cond = track(new Condition());
      const task = spawn(
        form,
        async () => {
          await using _ = await cond.hold();
          try {
            await cond.waitFor(() => wake);
          } catch (e) {
            assert.ok(isCancelled(e));
            raised = e;
          }
          throw raised;
        },
        function* () {
          using _ = yield* cond.hold();
          try {
            yield* cond.waitFor(() => wake);
          } catch (e) {
            assert.ok(isCancelled(e));
            raised = e;
          }
          throw raised;
        },
      );
      await runBriefly();
      task.cancel("foo");
      const r = await outcome(task);
      assert.equal(r.ok, false);
      assert.ok(isCancelled(r.value));
      assert.equal((r.value as Error).message, "foo");
      assert.equal(r.value, raised, "the same CancelledError instance");
      assert.equal(cond.locked(), false);
    });
  });

  bothForms("test_cancelled_error_re_aquire (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      // A CancelledError received while re-acquiring the lock is re-raised unmodified.
      let wake = false;
      let raised: unknown = null;
      const cond = track(new Condition());
      const task = spawn(
        form,
        async () => {
          await using _ = await cond.hold();
          try {
            await cond.waitFor(() => wake);
          } catch (e) {
            assert.ok(isCancelled(e));
            raised = e;
          }
          throw raised;
        },
        function* () {
          using _ = yield* cond.hold();
          try {
            yield* cond.waitFor(() => wake);
          } catch (e) {
            assert.ok(isCancelled(e));
            raised = e;
          }
          throw raised;
        },
      );
      await runBriefly();
      // The task waits on the condition.
      await cond.acquire();
      wake = true;
      cond.notify();
      await runBriefly();
      // It is now trying to re-acquire the lock: cancel it there.
      task.cancel("foo");
      cond.release();
      const r = await outcome(task);
      assert.equal(r.ok, false);
      assert.ok(isCancelled(r.value));
      assert.equal((r.value as Error).message, "foo");
      assert.equal(r.value, raised, "the same CancelledError instance");
      assert.equal(cond.locked(), false);
    });
  });

  function consumers(form: Form, cond: asyncio.Condition, state: { n: number }): Task<void>[] {
    const consumer = (): Task<void> =>
      spawn(
        form,
        async () => {
          await using _ = await cond.hold();
          for (;;) {
            await cond.waitFor(() => state.n !== 0);
            if (state.n < 0) return;
            state.n -= 1;
          }
        },
        function* () {
          using _ = yield* cond.hold();
          for (;;) {
            yield* cond.waitFor(() => state.n !== 0);
            if (state.n < 0) return;
            state.n -= 1;
          }
        },
      );
    return [consumer(), consumer()];
  }

  async function waitUntilConsumed(cond: asyncio.Condition, state: { n: number }): Promise<void> {
    // If the notify() got lost to the cancel, nobody consumes and this times out.
    try {
      await asyncio.timeout(0.05, async () => {
        await cond.waitFor(() => state.n === 0);
      });
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
    }
  }

  bothForms("test_cancelled_wakeup (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      // A task cancelled while its notify() wake-up is pending must not lose that wake-up.
      const cond = track(new Condition());
      const state = { n: 0 };
      const c = consumers(form, cond, state);
      await runBriefly();
      {
        await using _ = await cond.hold();
        state.n += 1;
        cond.notify(1);
        c[0]!.cancel(); // before it got to run
        await waitUntilConsumed(cond, state);
        assert.equal(state.n, 0);
        state.n = -1;
        cond.notifyAll();
      }
      await c[1];
      assert.ok(isCancelled((await outcome(c[0]!)).value));
      assert.equal(cond.locked(), false);
    });
  });

  bothForms("test_cancelled_wakeup_relock (test_locks.py ConditionTests)", async (form) => {
    await runT(async () => {
      // Same, but the woken task is cancelled while it re-acquires the lock.
      const cond = track(new Condition());
      const state = { n: 0 };
      const c = consumers(form, cond, state);
      await runBriefly();
      {
        await using _ = await cond.hold();
        state.n += 1;
        cond.notify(1);
        await runBriefly(); // the woken consumer now waits for the lock we hold
        c[0]!.cancel();
        await waitUntilConsumed(cond, state);
        assert.equal(state.n, 0);
        state.n = -1;
        cond.notifyAll();
      }
      await c[1];
      assert.ok(isCancelled((await outcome(c[0]!)).value));
      assert.equal(cond.locked(), false);
    });
  });

  bothForms(
    "test_notify (test_locks.py ConditionTests): a cancelled waiter leaves, passing a spurious wake-up to the next",
    async (form) => {
      await runT(async () => {
        const cond = track(new Condition());
        let tokens = 0;
        const woke: number[] = [];
        const c = (n: number): Task<void> =>
          spawn(
            form,
            async () => {
              await using _ = await cond.hold();
              await cond.waitFor(() => tokens > 0);
              tokens--;
              woke.push(n);
            },
            function* () {
              using _ = yield* cond.hold();
              yield* cond.waitFor(() => tokens > 0);
              tokens--;
              woke.push(n);
            },
          );
        const tasks = [c(1), c(2), c(3)];
        await runBriefly(3);
        assert.equal(waitersOf(cond), 3);
        // Cancelling a waiter passes a (spurious) wake-up on to the next one, as CPython does;
        // waitFor() absorbs it and that waiter queues again — now behind task 3.
        tasks[0]!.cancel();
        await runBriefly(3);
        assert.ok(tasks[0]!.cancelled());
        assert.equal(waitersOf(cond), 2);
        assert.deepEqual(woke, []);

        await cond.acquire();
        tokens++;
        cond.notify(1);
        cond.release();
        await runBriefly(3);
        assert.deepEqual(woke, [3]);

        await cond.acquire();
        tokens++;
        cond.notify(1);
        cond.release();
        await gather(tasks[1]!, tasks[2]!);
        assert.deepEqual(woke, [3, 2]);
        assert.equal(cond.locked(), false);
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------
describe("SemaphoreTests (test_locks.py)", () => {
  test("test_initial_value_zero (test_locks.py SemaphoreTests)", () => {
    const sem = new Semaphore(0);
    assert.ok(sem.locked());
  });

  test("test_repr (test_locks.py SemaphoreTests)", async () => {
    await runT(async () => {
      const sem = new Semaphore();
      assert.ok(inspect(sem).endsWith("[unlocked, value:1]>"), inspect(sem));
      assert.match(inspect(sem), RGX_REPR);

      await sem.acquire();
      assert.ok(inspect(sem).endsWith("[locked]>"), inspect(sem));
      assert.ok(!inspect(sem).includes("waiters"));
      assert.match(inspect(sem), RGX_REPR);

      const t1 = createTask(() => sem.acquire());
      await runBriefly();
      assert.ok(inspect(sem).includes("waiters:1"), inspect(sem));
      assert.match(inspect(sem), RGX_REPR);
      const t2 = createTask(() => sem.acquire());
      await runBriefly();
      assert.ok(inspect(sem).includes("waiters:2"), inspect(sem));
      assert.match(inspect(sem), RGX_REPR);
      assert.equal(String(sem), inspect(sem));

      sem.release();
      sem.release();
      await gather(t1, t2);
      sem.release();
      sem.release();
      assert.equal(inspect(sem), "<Semaphore [unlocked, value:2]>");
      const b = new BoundedSemaphore(3);
      assert.equal(inspect(b), "<BoundedSemaphore [unlocked, value:3]>");
      assert.match(inspect(b), RGX_REPR);
    });
  });

  test("test_semaphore (test_locks.py SemaphoreTests)", async () => {
    await runT(async () => {
      const sem = new Semaphore();
      assert.equal(sem._value, 1);
      assert.equal((sem as any).then, undefined);
      assert.equal(await (sem as unknown as PromiseLike<unknown>), sem);
      assert.equal(sem.locked(), false);
      assert.equal(sem._value, 1);
    });
  });

  test("test_semaphore_value (test_locks.py SemaphoreTests): argument validation", () => {
    assert.throws(() => new Semaphore(-1), ValueError);
    assert.throws(() => new BoundedSemaphore(-1), ValueError);
    assert.throws(() => new Semaphore("1" as any), TypeError);
    assert.throws(() => new Semaphore(1.5), TypeError);
    assert.throws(() => new Semaphore(Number.NaN), TypeError);
    assert.throws(() => new Semaphore(null as any), TypeError);
    assert.throws(() => new BoundedSemaphore("2" as any), TypeError);
    assert.equal(new Semaphore()._value, 1);
    assert.equal(new Semaphore(0)._value, 0);
    assert.equal(new BoundedSemaphore()._value, 1);
  });

  bothForms("test_acquire (test_locks.py SemaphoreTests)", async (form) => {
    await runT(async () => {
      const sem = new Semaphore(3);
      const result: number[] = [];
      assert.equal(await sem.acquire(), true);
      assert.equal(await sem.acquire(), true);
      assert.equal(sem.locked(), false);

      const c = (n: number): Task<boolean> =>
        awaitIn(
          form,
          () => sem.acquire(),
          () => {
            result.push(n);
            return true;
          },
        );
      const t1 = c(1);
      const t2 = c(2);
      const t3 = c(3);

      await runBriefly();
      assert.deepEqual(result, [1]);
      assert.ok(sem.locked());
      assert.equal(waitersOf(sem), 2);
      assert.equal(sem._value, 0);

      const t4 = c(4);
      sem.release();
      sem.release();
      assert.equal(sem._value, 0);

      await runBriefly();
      assert.equal(sem._value, 0);
      assert.equal(result.length, 3);
      assert.ok(sem.locked());
      assert.equal(waitersOf(sem), 1);
      assert.equal(sem._value, 0);

      assert.ok(t1.done());
      assert.equal(t1.result(), true);
      const race = [t2, t3, t4];
      assert.equal(race.filter((t) => t.done() && t.result()).length, 2);
      // FIFO: t2 and t3 queued before t4.
      assert.deepEqual(result, [1, 2, 3]);

      sem.release();
      await gather(race);
      assert.deepEqual(result, [1, 2, 3, 4]);
    });
  });

  bothForms("test_acquire_cancel (test_locks.py SemaphoreTests)", async (form) => {
    await runT(async () => {
      const sem = new Semaphore();
      await sem.acquire();
      const acquire = awaitIn(form, () => sem.acquire());
      loopNow().callSoon(() => acquire.cancel());
      await assert.rejects(acquire, isCancelled);
      assert.ok(acquire.cancelled());
      assert.equal(waitersOf(sem), 0);
      assert.equal(sem._value, 0);
      sem.release();
      assert.equal(sem._value, 1);
      assert.equal(sem.locked(), false);
    });
  });

  // A waiting acquire is a hand-written iterator (Semaphore's #AcquireWait), not a generator: closing
  // the generator coroutine that delegates to it runs what CPython's `finally` blocks run (the waiter
  // leaves the queue; waiters queued behind are woken while units are free), not the `except
  // CancelledError` part.
  test("a generator coroutine closed while its acquire waits leaves the queue; the next waiter is served", async () => {
    await runT(async () => {
      const sem = new Semaphore(0);
      const gen = (function* () {
        return yield* sem.acquire();
      })();
      const first = gen.next();
      assert.equal(first.done, false);
      assert.ok(first.value instanceof asyncio.Future);
      const second = createTask(async () => sem.acquire());
      await runBriefly();
      assert.equal(waitersOf(sem), 2);
      assert.deepEqual(gen.return(true), { done: true, value: true });
      assert.equal(waitersOf(sem), 1);
      sem.release();
      assert.equal(await second, true);
      assert.equal(sem._value, 0);
      assert.equal(waitersOf(sem), 0);
    });
  });

  // hold() is a lazy operation of its own whose wait is the acquire's (held.ts HoldWait): closing the
  // coroutine that waits in it is closing the acquire's wait, on Lock (a generator) as on Semaphore (a
  // hand-written iterator).
  for (const [name, make] of [
    ["Lock", () => new Lock()],
    ["Semaphore", () => new Semaphore(1)],
  ] as const) {
    test(`a generator coroutine closed while its ${name}.hold() waits leaves the queue; the next waiter is served`, async () => {
      await runT(async () => {
        const prim = make();
        await prim.acquire();
        const gen = (function* () {
          using _ = yield* prim.hold();
          assert.fail("the closed coroutine must not get the primitive");
        })();
        const first = gen.next();
        assert.equal(first.done, false);
        assert.ok(first.value instanceof asyncio.Future);
        const second = createTask(async () => {
          await using _ = await prim.hold();
          return prim.locked();
        });
        await runBriefly();
        assert.deepEqual(gen.return(undefined as never), { done: true, value: undefined });
        prim.release();
        assert.equal(await second, true); // held inside the block
        assert.equal(prim.locked(), false); // and released at its end
      });
    });
  }

  // CPython's `__aenter__` is `await self.acquire()`: a subclass's own acquire() is what hold() runs.
  test("hold() goes through a subclass's own acquire() (Lock, Semaphore, a Condition over a Lock subclass)", async () => {
    await runT(async () => {
      const log: string[] = [];
      class LoggedLock extends Lock {
        override acquire(): asyncio.Awaitable<true> {
          log.push("lock acquire");
          return super.acquire();
        }
        override release(): void {
          log.push("lock release");
          super.release();
        }
      }
      class LoggedSemaphore extends Semaphore {
        override acquire(): asyncio.Awaitable<true> {
          log.push("sem acquire");
          return super.acquire();
        }
      }
      const lock = new LoggedLock();
      {
        await using _ = await lock.hold();
        assert.ok(lock.locked());
      }
      const sem = new LoggedSemaphore(1);
      {
        await using _ = await sem.hold();
        assert.ok(sem.locked());
      }
      const cond = new asyncio.Condition(new LoggedLock());
      {
        await using _ = await cond.hold();
      }
      assert.deepEqual(log, ["lock acquire", "lock release", "sem acquire", "lock acquire", "lock release"]);
      assert.equal(lock.locked(), false);
      assert.equal(sem.locked(), false);
    });
  });

  test("the handle's release works detached, once; inspect shows what it holds", async () => {
    await runT(async () => {
      const sem = new BoundedSemaphore(2);
      const held = await sem.hold();
      assert.equal(inspect(held), "<Held <BoundedSemaphore [unlocked, value:1]>>");
      const { release } = held;
      release();
      release(); // idempotent: a BoundedSemaphore released twice would throw
      held[Symbol.dispose]();
      assert.equal(sem._value, 2);
      assert.equal(inspect(held), "<Held (released)>");
      // A release that throws rejects the async dispose (as an async function would).
      const lock = new Lock();
      const lheld = await lock.hold();
      lock.release(); // released behind the handle's back
      await assert.rejects(Promise.resolve(lheld[Symbol.asyncDispose]()), /Lock is not acquired/);
    });
  });

  bothForms("test_acquire_cancel_before_awoken (test_locks.py SemaphoreTests)", async (form) => {
    await runT(async () => {
      const sem = new Semaphore(0);
      const [t1, t2, t3, t4] = [0, 1, 2, 3].map(() => awaitIn(form, () => sem.acquire()));
      await runBriefly();

      t1!.cancel();
      t2!.cancel();
      sem.release();

      await runBriefly(2);
      assert.equal([t3!, t4!].filter((t) => t.done()).length, 1);
      assert.ok(t3!.done());
      assert.equal(t3!.result(), true);
      assert.equal(t4!.done(), false);
      assert.ok(t1!.cancelled() && t2!.cancelled());
      assert.equal(sem._value, 0);

      t3!.cancel();
      t4!.cancel();
      await runBriefly();
      assert.ok(t4!.cancelled());
      assert.equal(sem._value, 0);
    });
  });

  bothForms("test_acquire_hang (test_locks.py SemaphoreTests)", async (form) => {
    await runT(async () => {
      const sem = new Semaphore(0);
      const t1 = awaitIn(form, () => sem.acquire());
      const t2 = awaitIn(form, () => sem.acquire());
      await runBriefly();

      t1.cancel();
      sem.release();
      await runBriefly(2);
      assert.ok(sem.locked());
      assert.ok(t2.done());
      assert.equal(t2.result(), true);
      assert.ok(t1.cancelled());
      assert.equal(sem._value, 0);
    });
  });

  bothForms("test_acquire_no_hang (test_locks.py SemaphoreTests)", async (form) => {
    await runT(async () => {
      const sem = new Semaphore(1);
      let t2: Task<void> | null = null;
      const t1 = spawn(
        form,
        async () => {
          {
            await using _ = await sem.hold();
            await sleep(0);
          }
          t2!.cancel(); // t2 was woken by the release but has not run yet
        },
        function* () {
          {
            using _ = yield* sem.hold();
            yield* sleep(0);
          }
          t2!.cancel();
        },
      );
      t2 = spawn(
        form,
        async () => {
          await using _ = await sem.hold();
          assert.fail("t2 must not get the semaphore");
        },
        function* () {
          using _ = yield* sem.hold();
          assert.fail("t2 must not get the semaphore");
        },
      );
      const [r1, r2] = await gather(t1, t2, { returnExceptions: true });
      assert.equal(r1, undefined);
      assert.ok(isCancelled(r2), String(r2));
      // The unit handed to the cancelled t2 came back: this does not hang.
      assert.equal(sem._value, 1);
      assert.equal(await asyncio.waitFor(sem.acquire(), 1.0), true);
      assert.equal(sem._value, 0);
    });
  });

  test("test_release_not_acquired (test_locks.py SemaphoreTests): BoundedSemaphore over-release → ValueError", async () => {
    const sem = new BoundedSemaphore();
    assert.throws(
      () => sem.release(),
      (e: unknown) => e instanceof ValueError && /released too many times/.test(e.message),
    );
    await runT(async () => {
      const b = new BoundedSemaphore(2);
      await b.acquire();
      await b.acquire();
      b.release();
      b.release();
      assert.throws(() => b.release(), ValueError);
      assert.equal(b._value, 2);
      // A plain Semaphore may be released above its initial value.
      const s = new Semaphore(1);
      s.release();
      assert.equal(s._value, 2);
    });
  });

  bothForms(
    "test_release_not_acquired (test_locks.py SemaphoreTests): BoundedSemaphore hands units to waiters, then refuses extra releases",
    async (form) => {
      await runT(async () => {
        const b = new BoundedSemaphore(1);
        await b.acquire();
        const w = awaitIn(form, () => b.acquire());
        await runBriefly();
        b.release(); // goes to the waiter
        assert.equal(await w, true);
        assert.equal(b._value, 0);
        b.release();
        assert.equal(b._value, 1);
        assert.throws(() => b.release(), ValueError);
        assert.equal(b._value, 1);
      });
    },
  );

  test("test_release_no_waiters (test_locks.py SemaphoreTests)", async () => {
    await runT(async () => {
      const sem = new Semaphore();
      await sem.acquire();
      assert.ok(sem.locked());
      sem.release();
      assert.equal(sem.locked(), false);
    });
  });

  bothForms("test_acquire_fifo_order (test_locks.py SemaphoreTests)", async (form) => {
    await runT(async () => {
      const sem = new Semaphore(1);
      const result: string[] = [];
      const coro = (tag: string) =>
        form === "async"
          ? async () => {
              await sem.acquire();
              result.push(`${tag}_1`);
              await sleep(0);
              sem.release();
              await sem.acquire();
              result.push(`${tag}_2`);
              await sleep(0);
              sem.release();
            }
          : coroutine(function* () {
              yield* sem.acquire();
              result.push(`${tag}_1`);
              yield* sleep(0);
              sem.release();
              yield* sem.acquire();
              result.push(`${tag}_2`);
              yield* sleep(0);
              sem.release();
            })();
      await asyncio.taskGroup(async (tg) => {
        tg.createTask(coro("c1"));
        tg.createTask(coro("c2"));
        tg.createTask(coro("c3"));
      });
      assert.deepEqual(result, ["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"]);
    });
  });

  bothForms("test_acquire_fifo_order_2 (test_locks.py SemaphoreTests)", async (form) => {
    await runT(async () => {
      const sem = new Semaphore(1);
      const result: number[] = [];
      const t1 = awaitIn(
        form,
        () => sem.acquire(),
        () => {
          result.push(1);
          return true;
        },
      );
      const t2 = spawn(
        form,
        async () => {
          await sem.acquire();
          result.push(2);
          sem.release();
          await sem.acquire();
          result.push(4);
          return true;
        },
        function* () {
          yield* sem.acquire();
          result.push(2);
          sem.release();
          yield* sem.acquire();
          result.push(4);
          return true;
        },
      );
      const t3 = awaitIn(
        form,
        () => sem.acquire(),
        () => {
          result.push(3);
          return true;
        },
      );
      await runBriefly();
      sem.release();
      sem.release();
      await gather(t1, t2, t3);
      assert.deepEqual(result, [1, 2, 3, 4]);
    });
  });

  bothForms("test_acquire_fifo_order_3 (test_locks.py SemaphoreTests)", async (form) => {
    await runT(async () => {
      const sem = new Semaphore(0);
      const result: number[] = [];
      const c = (n: number): Task<boolean> =>
        awaitIn(
          form,
          () => sem.acquire(),
          () => {
            result.push(n);
            return true;
          },
        );
      const tasks = [c(1), c(2), c(3)];
      await runBriefly();
      tasks[0]!.cancel();
      await runBriefly();
      sem.release();
      sem.release();
      const rs = await gather(tasks, { returnExceptions: true });
      assert.deepEqual(result, [2, 3]);
      assert.ok(isCancelled(rs[0]));
      assert.equal(sem._value, 0);
    });
  });

  bothForms("test_acquire_fifo_order_4 (test_locks.py SemaphoreTests)", async (form) => {
    await runT(async () => {
      // One successful acquire() wakes every waiter the counter allows (FIFO kept them queued).
      const sem = new Semaphore(0);
      const result: number[] = [];
      let t4: Task<boolean> | null = null;
      const c4 = (): Task<boolean> =>
        spawn(
          form,
          async () => {
            result.push(4);
            return true;
          },
          // biome-ignore lint/correctness/useYield: a generator coroutine that finishes in its first step
          function* () {
            result.push(4);
            return true;
          },
        );
      const t1 = spawn(
        form,
        async () => {
          assert.equal(sem._value, 0);
          await sem.acquire();
          assert.equal(sem._value, 0, "all waiters the counter allows were woken");
          t4 = c4(); // runs after c3, not c2
          result.push(1);
          return true;
        },
        function* () {
          assert.equal(sem._value, 0);
          yield* sem.acquire();
          assert.equal(sem._value, 0, "all waiters the counter allows were woken");
          t4 = c4();
          result.push(1);
          return true;
        },
      );
      const t2 = spawn(
        form,
        async () => {
          sem.release();
          sem.release();
          sem.release();
          assert.equal(sem._value, 2);
          assert.ok(sem.locked(), "t1 has been woken but has not run yet");
          await sem.acquire();
          result.push(2);
          return true;
        },
        function* () {
          sem.release();
          sem.release();
          sem.release();
          assert.equal(sem._value, 2);
          assert.ok(sem.locked(), "t1 has been woken but has not run yet");
          yield* sem.acquire();
          result.push(2);
          return true;
        },
      );
      const t3 = spawn(
        form,
        async () => {
          await sem.acquire();
          assert.ok(sem.locked());
          result.push(3);
          return true;
        },
        function* () {
          yield* sem.acquire();
          assert.ok(sem.locked());
          result.push(3);
          return true;
        },
      );

      await runBriefly();
      assert.equal(sem._value, 2);
      assert.equal(waitersOf(sem), 3);
      await runBriefly();
      assert.ok(t4 !== null);
      await gather(t1, t2, t3, t4);
      assert.deepEqual(result, [1, 2, 3, 4]);
    });
  });

  bothForms(
    "test_acquire_cancel_before_awoken (test_locks.py SemaphoreTests): a woken waiter cancelled before it runs hands its unit on",
    async (form) => {
      await runT(async () => {
        const sem = new Semaphore(0);
        const order: string[] = [];
        const w = (name: string): Task<void> =>
          awaitIn(
            form,
            () => sem.acquire(),
            () => void order.push(name),
          );
        const a = w("a");
        const b = w("b");
        const c = w("c");
        await runBriefly();
        sem.release(); // wakes a
        a.cancel(); // a has not run: its unit must go to b
        await runBriefly(3);
        assert.ok(a.cancelled());
        assert.deepEqual(order, ["b"]);
        assert.equal(c.done(), false);
        assert.equal(sem._value, 0);
        sem.release();
        await c;
        assert.deepEqual(order, ["b", "c"]);
        assert.equal(sem._value, 0);
        assert.equal(waitersOf(sem), 0);
        assert.ok(b.done());
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------
describe("BarrierTests (test_locks.py)", () => {
  const N = 5;

  function makeTasks<T>(n: number, mk: () => Task<T>): Task<T>[] {
    return Array.from({ length: n }, mk);
  }

  test("test_barrier (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      assert.ok(inspect(barrier).includes("filling"));
      assert.equal((barrier as any).then, undefined);
      assert.equal(await (barrier as unknown as PromiseLike<unknown>), barrier);
      assert.ok(inspect(barrier).includes("filling"));
      assert.equal(barrier.parties, N);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    });
  });

  test("test_repr (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      assert.match(inspect(barrier), RGX_REPR);
      assert.ok(inspect(barrier).includes("filling"));
      assert.equal(String(barrier), inspect(barrier));

      const waiters: Task<number>[] = [];
      const wait = (): Task<number> => createTask(() => barrier.wait());
      const incr = 2;
      for (let i = 0; i < incr; i++) waiters.push(wait());
      await runBriefly();
      assert.match(inspect(barrier), RGX_REPR);
      assert.ok(inspect(barrier).includes(`waiters:${incr}/${N}`), inspect(barrier));
      assert.ok(inspect(barrier).includes("filling"));

      // The missing parties arrive.
      const missing = barrier.parties - barrier.nWaiting;
      for (let i = 0; i < missing; i++) waiters.push(wait());
      await runBriefly();
      assert.match(inspect(barrier), RGX_REPR);
      assert.ok(inspect(barrier).includes("draining"), inspect(barrier));

      // Some more arrive, then reset.
      for (let i = 0; i < incr; i++) waiters.push(wait());
      await runBriefly();
      await barrier.reset();
      assert.match(inspect(barrier), RGX_REPR);
      assert.ok(inspect(barrier).includes("resetting"), inspect(barrier));

      // Some more, then abort.
      for (let i = 0; i < incr; i++) waiters.push(wait());
      await runBriefly();
      await barrier.abort();
      assert.match(inspect(barrier), RGX_REPR);
      assert.ok(inspect(barrier).includes("broken"), inspect(barrier));
      assert.ok(barrier.broken);

      await gather(waiters, { returnExceptions: true });
    });
  });

  test("test_barrier_parties (test_locks.py BarrierTests): argument validation", () => {
    assert.throws(() => new Barrier(0), ValueError);
    assert.throws(() => new Barrier(-4), ValueError);
    assert.throws(() => new Barrier("3" as any), TypeError);
    assert.throws(() => new Barrier(2.5), TypeError);
    assert.throws(() => new Barrier(undefined as any), TypeError);
    assert.ok(new Barrier(N) instanceof Barrier);
    assert.equal(new Barrier(1).parties, 1);
  });

  bothForms(
    "test_context_manager (test_locks.py BarrierTests): wait() returns distinct indexes 0..n-1",
    async (form) => {
      await runT(async () => {
        const n = 3;
        const barrier = new Barrier(n);
        const results: number[] = [];
        const tasks = makeTasks(n, () =>
          awaitIn(
            form,
            () => barrier.wait(),
            (i) => void results.push(i),
          ),
        );
        await gather(tasks);
        assert.deepEqual(
          [...results].sort((a, b) => a - b),
          [0, 1, 2],
        );
        assert.equal(barrier.nWaiting, 0);
        assert.equal(barrier.broken, false);
      });
    },
  );

  test("test_filling_one_task (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(1);
      assert.equal(await barrier.wait(), 0);
      const g = coroutine(function* () {
        return yield* barrier.wait();
      });
      assert.equal(await g(), 0);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    });
  });

  test("test_filling_one_task_twice (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(1);
      const t1 = createTask(() => barrier.wait());
      await runBriefly();
      assert.equal(barrier.nWaiting, 0);
      const t2 = createTask(() => barrier.wait());
      await runBriefly();
      assert.equal(t1.result(), t2.result());
      assert.equal(t1.done(), t2.done());
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    });
  });

  test("test_filling_task_by_task (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(3);
      const t1 = createTask(() => barrier.wait());
      await runBriefly();
      assert.equal(barrier.nWaiting, 1);
      assert.ok(inspect(barrier).includes("filling"));

      const t2 = createTask(() => barrier.wait());
      await runBriefly();
      assert.equal(barrier.nWaiting, 2);
      assert.ok(inspect(barrier).includes("filling"));

      const t3 = createTask(() => barrier.wait());
      await runBriefly();
      await asyncio.wait([t1, t2, t3]);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
      assert.deepEqual([t1.result(), t2.result(), t3.result()], [0, 1, 2]);
    });
  });

  bothForms("test_filling_tasks_wait_twice (test_locks.py BarrierTests)", async (form) => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      const tasks = makeTasks(N, () =>
        spawn(
          form,
          async () => {
            await barrier.wait();
            results.push(true);
            await barrier.wait();
            results.push(false);
          },
          function* () {
            yield* barrier.wait();
            results.push(true);
            yield* barrier.wait();
            results.push(false);
          },
        ),
      );
      await gather(tasks);
      assert.equal(results.length, N * 2);
      assert.equal(results.filter((x) => x).length, N);
      assert.equal(results.filter((x) => !x).length, N);
      // Nobody passes the second round before everyone passed the first.
      assert.deepEqual(results.slice(0, N), Array(N).fill(true));
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    });
  });

  test("test_filling_tasks_check_return_value (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const tasks = makeTasks(N, () =>
        createTask(async () => {
          await barrier.wait();
          results1.push(true);
          const i = await barrier.wait();
          results2.push(true);
          return i;
        }),
      );
      const res = await gather(tasks);
      assert.equal(results1.length, N);
      assert.equal(results2.length, N);
      assert.deepEqual(
        [...res].sort((a, b) => a - b),
        [0, 1, 2, 3, 4],
      );
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    });
  });

  bothForms(
    "test_filling_tasks_check_return_value (test_locks.py BarrierTests): reuse over several rounds",
    async (form) => {
      await runT(async () => {
        const n = 4;
        const rounds = 4;
        const barrier = new Barrier(n);
        const seen: number[][] = Array.from({ length: rounds }, () => []);
        const tasks = makeTasks(n, () =>
          spawn(
            form,
            async () => {
              for (let r = 0; r < rounds; r++) seen[r]!.push(await barrier.wait());
            },
            function* () {
              for (let r = 0; r < rounds; r++) seen[r]!.push(yield* barrier.wait());
            },
          ),
        );
        await gather(tasks);
        for (const round of seen)
          assert.deepEqual(
            [...round].sort((a, b) => a - b),
            [0, 1, 2, 3],
          );
        assert.equal(barrier.nWaiting, 0);
        assert.equal(barrier.broken, false);
        assert.equal(inspect(barrier), `<Barrier [filling, waiters:0/${n}]>`);
      });
    },
  );

  test("test_draining_state (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      const tasks = makeTasks(N, () =>
        createTask(async () => {
          await barrier.wait();
          // The state goes back to filling when the last task leaves.
          results.push(inspect(barrier).includes("draining"));
        }),
      );
      await gather(tasks);
      assert.equal(results.length, N);
      assert.equal(results[N - 1], false);
      assert.ok(results.slice(0, N - 1).every((x) => x));
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    });
  });

  test("test_blocking_tasks_while_draining (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const rewait = 2;
      const barrier = new Barrier(N);
      const barrierNowaiting = new Barrier(N - rewait);
      let rewaitN = rewait;
      const tasks = makeTasks(N, () =>
        createTask(async () => {
          await barrier.wait();
          if (rewaitN > 0) {
            rewaitN--;
            await barrier.wait(); // waits only for the rewait tasks…
          } else {
            await barrierNowaiting.wait(); // …which block until draining ends
            await barrier.wait();
          }
        }),
      );
      // Success: barrierNowaiting was passed by exactly N - rewait tasks.
      await gather(tasks);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrierNowaiting.nWaiting, 0);
    });
  });

  bothForms("test_filling_tasks_cancel_one (test_locks.py BarrierTests)", async (form) => {
    await runT(async () => {
      const barrier = new Barrier(3);
      const results: boolean[] = [];
      const coro = (): Task<void> =>
        awaitIn(
          form,
          () => barrier.wait(),
          () => void results.push(true),
        );

      const t1 = coro();
      await runBriefly();
      assert.equal(barrier.nWaiting, 1);

      const t2 = coro();
      await runBriefly();
      assert.equal(barrier.nWaiting, 2);

      t1.cancel();
      await runBriefly();
      assert.equal(barrier.nWaiting, 1);
      await assert.rejects(t1, isCancelled);
      assert.ok(t1.cancelled());

      const t3 = coro();
      await runBriefly();
      assert.equal(barrier.nWaiting, 2);

      const t4 = coro();
      await gather(t2, t3, t4);
      assert.equal(results.length, 3);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    });
  });

  test("test_reset_barrier (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(1);
      createTask(() => barrier.reset());
      await runBriefly();
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    });
  });

  bothForms("test_reset_barrier_while_tasks_waiting (test_locks.py BarrierTests)", async (form) => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results: unknown[] = [];
      const coro = (): Task<void> =>
        spawn(
          form,
          async () => {
            try {
              await barrier.wait();
            } catch (e) {
              if (!(e instanceof BrokenBarrierError)) throw e;
              results.push(e);
            }
          },
          function* () {
            try {
              yield* barrier.wait();
            } catch (e) {
              if (!(e instanceof BrokenBarrierError)) throw e;
              results.push(e);
            }
          },
        );
      // N-1 tasks wait on a barrier of N parties.
      const tasks = makeTasks(N - 1, coro);
      await runBriefly();
      assert.equal(barrier.nWaiting, N - 1);

      createTask(() => barrier.reset());
      await gather(tasks);

      assert.equal(results.length, N - 1);
      assert.ok(results.every((e) => e instanceof BrokenBarrierError && e instanceof RuntimeError));
      assert.equal(barrier.nWaiting, 0);
      assert.ok(!inspect(barrier).includes("resetting"), inspect(barrier));
      assert.equal(barrier.broken, false);
    });
  });

  test("test_reset_barrier_when_tasks_half_draining (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const restOfTasks = Math.floor(N / 2);
      let passed = 0;
      const tasks = makeTasks(N, () =>
        createTask(async () => {
          try {
            await barrier.wait();
          } catch (e) {
            if (!(e instanceof BrokenBarrierError)) throw e;
            results1.push(true); // tasks still waiting
            return;
          }
          // Drained: once only restOfTasks remain inside the barrier, reset it under them.
          passed++;
          if (N - passed === restOfTasks) await barrier.reset();
        }),
      );
      await gather(tasks);
      assert.deepEqual(results1, Array(restOfTasks).fill(true));
      assert.equal(barrier.nWaiting, 0);
      assert.ok(!inspect(barrier).includes("resetting"), inspect(barrier));
      assert.equal(barrier.broken, false);
    });
  });

  test("test_reset_barrier_when_tasks_half_draining_half_blocking (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const blockingTasks = Math.floor(N / 2);
      let count = 0;
      const tasks = makeTasks(N, () =>
        createTask(async () => {
          try {
            await barrier.wait();
          } catch (e) {
            if (!(e instanceof BrokenBarrierError)) throw e;
            results1.push(true); // still waiting: broken by the reset…
            await barrier.wait(); // …so wait again to reach the parties
            return;
          }
          count++;
          if (count > blockingTasks) {
            await barrier.reset(); // BrokenBarrierError for the tasks waiting
            await barrier.wait();
          } else {
            try {
              await barrier.wait();
            } catch (e) {
              if (!(e instanceof BrokenBarrierError)) throw e;
              results2.push(true); // never: blocked tasks just wait
            }
          }
        }),
      );
      await gather(tasks);
      assert.deepEqual(results1, Array(blockingTasks).fill(true));
      assert.deepEqual(results2, []);
      assert.equal(barrier.nWaiting, 0);
      assert.ok(!inspect(barrier).includes("resetting"), inspect(barrier));
      assert.equal(barrier.broken, false);
    });
  });

  test("test_reset_barrier_while_tasks_waiting_and_waiting_again (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const tasks = makeTasks(N - 1, () =>
        createTask(async () => {
          try {
            await barrier.wait();
          } catch (e) {
            if (!(e instanceof BrokenBarrierError)) throw e;
            results1.push(true);
          } finally {
            await barrier.wait();
            results2.push(true);
          }
        }),
      );
      // Reset: the N-1 waiting tasks get BrokenBarrierError.
      createTask(() => barrier.reset());
      await runBriefly();
      // One more party completes the waits in the `finally`.
      createTask(async () => {
        await barrier.wait();
        results2.push(true);
      });
      await gather(tasks);
      await runBriefly(2);

      assert.equal(barrier.broken, false);
      assert.equal(results1.length, N - 1);
      assert.equal(results2.length, N);
      assert.equal(barrier.nWaiting, 0);
    });
  });

  test("test_reset_barrier_while_tasks_draining (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      let count = 0;
      const tasks = makeTasks(N, () =>
        createTask(async () => {
          await barrier.wait();
          count++;
          if (count === N) {
            // The last task out resets, then waits to reach the parties.
            await barrier.reset();
            await barrier.wait();
          } else {
            try {
              await barrier.wait(); // second wait: N-1 tasks here
              results1.push(true);
            } catch {
              results2.push(true); // never
            }
          }
          // Pass the barrier once more.
          await barrier.wait();
          results3.push(true);
        }),
      );
      await gather(tasks);
      assert.equal(barrier.broken, false);
      assert.equal(results1.length, N - 1);
      assert.equal(results2.length, 0);
      assert.equal(results3.length, N);
      assert.equal(barrier.nWaiting, 0);
    });
  });

  test("test_abort_barrier (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(1);
      createTask(() => barrier.abort());
      await runBriefly();
      assert.equal(barrier.nWaiting, 0);
      assert.ok(barrier.broken);
      assert.equal(inspect(barrier), "<Barrier [broken]>");
      // Later waits fail at once.
      await assert.rejects(async () => {
        await barrier.wait();
      }, BrokenBarrierError);
    });
  });

  bothForms(
    "test_abort_barrier (test_locks.py BarrierTests): abort() breaks the waiting tasks; reset() repairs",
    async (form) => {
      await runT(async () => {
        const barrier = new Barrier(3);
        const waiters = makeTasks(2, () => awaitIn(form, () => barrier.wait()));
        await runBriefly();
        assert.equal(barrier.nWaiting, 2);
        await barrier.abort();
        const rs = await gather(waiters, { returnExceptions: true });
        assert.ok((rs as unknown[]).every((e) => e instanceof BrokenBarrierError));
        assert.ok(barrier.broken);
        assert.equal(barrier.nWaiting, 0);
        await barrier.reset();
        assert.equal(barrier.broken, false);
        const again = makeTasks(3, () => awaitIn(form, () => barrier.wait()));
        const idx = await gather(again);
        assert.deepEqual(
          [...idx].sort((a, b) => a - b),
          [0, 1, 2],
        );
      });
    },
  );

  test("test_abort_barrier_when_tasks_half_draining_half_blocking (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const blockingTasks = Math.floor(N / 2);
      let count = 0;
      const tasks = makeTasks(N, () =>
        createTask(async () => {
          try {
            await barrier.wait();
          } catch (e) {
            if (!(e instanceof BrokenBarrierError)) throw e;
            results1.push(true); // tasks waiting to drain
            return;
          }
          count++;
          if (count > blockingTasks) {
            await barrier.abort(); // BrokenBarrierError for everyone
          } else {
            try {
              await barrier.wait();
            } catch (e) {
              if (!(e instanceof BrokenBarrierError)) throw e;
              results2.push(true); // blocked tasks, already drained
            }
          }
        }),
      );
      await gather(tasks);
      assert.ok(barrier.broken);
      assert.deepEqual(results1, Array(blockingTasks).fill(true));
      assert.deepEqual(results2, Array(N - blockingTasks - 1).fill(true));
      assert.equal(barrier.nWaiting, 0);
      assert.ok(!inspect(barrier).includes("resetting"), inspect(barrier));
    });
  });

  test("test_abort_barrier_when_exception (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      class Boom extends Error {}
      const tasks = makeTasks(N, () =>
        createTask(async () => {
          try {
            const i = await barrier.wait();
            if (i === Math.floor(N / 2)) throw new Boom();
            await barrier.wait();
            results1.push(true);
          } catch (e) {
            if (e instanceof BrokenBarrierError) results2.push(true);
            else if (e instanceof Boom) await barrier.abort();
            else throw e;
          }
        }),
      );
      await gather(tasks);
      assert.ok(barrier.broken);
      assert.equal(results1.length, 0);
      assert.equal(results2.length, N - 1);
      assert.equal(barrier.nWaiting, 0);
    });
  });

  test("test_abort_barrier_when_exception_then_resetting (test_locks.py BarrierTests)", async () => {
    await runT(async () => {
      const barrier1 = new Barrier(N);
      const barrier2 = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      class Boom extends Error {}
      const tasks = makeTasks(N, () =>
        createTask(async () => {
          try {
            const i = await barrier1.wait();
            if (i === Math.floor(N / 2)) throw new Boom();
            await barrier1.wait();
            results1.push(true);
          } catch (e) {
            if (e instanceof BrokenBarrierError) results2.push(true);
            else if (e instanceof Boom) await barrier1.abort();
            else throw e;
          }
          // Everyone leaves barrier1 before it is reset, and nobody re-enters before the reset.
          const i = await barrier2.wait();
          if (i === Math.floor(N / 2)) await barrier1.reset();
          await barrier2.wait();
          await barrier1.wait();
          results3.push(true);
        }),
      );
      await gather(tasks);
      assert.equal(barrier1.broken, false);
      assert.equal(results1.length, 0);
      assert.equal(results2.length, N - 1);
      assert.equal(results3.length, N);
      assert.equal(barrier1.nWaiting, 0);
    });
  });
});
