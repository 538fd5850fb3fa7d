// The virtual-time loop (aiots/test): the clock jumps to the next timer when every task waits on
// time only, and never while real I/O is pending. Assertions are on order and on the loop's
// virtual clock, never on wall-clock durations.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import * as asyncio from "../../src/index.js";
import { VirtualTimeLoop } from "../../src/test-utils/index.js";

function vrun<T>(main: () => Promise<T>): Promise<T> {
  return asyncio.run(main, { virtualTime: true });
}

test("retry 5 times with a 30 s back-off runs at once on virtual time", async () => {
  const attempts: number[] = [];
  const elapsed = await vrun(async () => {
    const loop = asyncio.getRunningLoop();
    assert.ok(loop instanceof VirtualTimeLoop);
    const t0 = loop.time();
    for (let i = 0; i < 5; i++) {
      attempts.push(Math.round(loop.time() - t0));
      await asyncio.sleep(30);
    }
    return loop.time() - t0;
  });
  assert.deepEqual(attempts, [0, 30, 60, 90, 120]);
  assert.ok(elapsed >= 150 && elapsed < 151, `virtual elapsed ${elapsed}`);
});

test("timers fire in order of their deadlines, across tasks (generator and async forms)", async () => {
  const log: string[] = [];
  await vrun(async () => {
    const gen = asyncio.coroutine(function* (name: string, d: number) {
      yield* asyncio.sleep(d);
      log.push(name);
    });
    await asyncio.gather(
      gen("g300", 300),
      asyncio.createTask(async () => {
        await asyncio.sleep(100);
        log.push("a100");
      }),
      gen("g200", 200),
    );
  });
  assert.deepEqual(log, ["a100", "g200", "g300"]);
});

test("waitFor expires on virtual time (test_waitfor.py test_wait_for_timeout_less_then_0_or_0 analogue)", async () => {
  const [err, elapsed] = await vrun(async () => {
    const loop = asyncio.getRunningLoop();
    const t0 = loop.time();
    try {
      await asyncio.waitFor(asyncio.sleep(3600), 60);
      return [null, 0] as const;
    } catch (e) {
      return [e, loop.time() - t0] as const;
    }
  });
  assert.ok(err instanceof asyncio.TimeoutError);
  assert.ok(elapsed >= 60 && elapsed < 61, `virtual elapsed ${elapsed}`);
});

test("timeout() and reschedule() on virtual time", async () => {
  const log = await vrun(async () => {
    const out: string[] = [];
    const loop = asyncio.getRunningLoop();
    await asyncio.timeout(10, async (cm) => {
      cm.reschedule(loop.time() + 1000);
      await asyncio.sleep(500);
      out.push(`survived, expired=${cm.expired()}`);
    });
    try {
      await asyncio.timeout(10, async () => {
        await asyncio.sleep(500);
      });
    } catch (e) {
      out.push((e as Error).name);
    }
    return out;
  });
  assert.deepEqual(log, ["survived, expired=false", "TimeoutError"]);
});

test("a queue consumer waits for a producer that sleeps on virtual time", async () => {
  const got = await vrun(async () => {
    const q = new asyncio.Queue<number>({ maxsize: 1 });
    const items: [number, number][] = [];
    const loop = asyncio.getRunningLoop();
    const t0 = loop.time();
    const consumer = asyncio.createTask(async () => {
      for (let i = 0; i < 3; i++) items.push([await q.get(), Math.round(loop.time() - t0)]);
    });
    for (let i = 0; i < 3; i++) {
      await asyncio.sleep(60);
      await q.put(i);
    }
    await consumer;
    return items;
  });
  assert.deepEqual(got, [
    [0, 60],
    [1, 120],
    [2, 180],
  ]);
});

test("the clock does not jump while a child process (real I/O) is running", async () => {
  const order: string[] = [];
  await vrun(async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 200)"], { stdio: "ignore" });
    const exited = asyncio.ensureFuture(new Promise<void>((resolve) => child.on("exit", () => resolve())));
    const sleeper = asyncio.createTask(async () => {
      await asyncio.sleep(0.05); // due long before the child exits in real time
      order.push("virtual 0.05 s");
      await asyncio.sleep(1000);
      order.push("virtual 1000 s");
    });
    await exited;
    order.push("child exited");
    await sleeper;
  });
  // 0.05 s may pass in real time while the child runs; 1000 s may only be skipped after it exited.
  assert.deepEqual(order, ["virtual 0.05 s", "child exited", "virtual 1000 s"]);
});

test("real file I/O awaited in a task completes before a long virtual timer", async () => {
  const order: string[] = [];
  await vrun(async () => {
    const reader = asyncio.createTask(async () => {
      const text = await asyncio.ensureFuture(
        readFile(new URL("../../package.json", import.meta.url), "utf8"),
      );
      order.push(`read ${text.includes('"name": "aiots"')}`);
    });
    const sleeper = asyncio.createTask(async () => {
      await asyncio.sleep(100);
      order.push("slept 100 s");
    });
    await asyncio.gather(reader, sleeper);
  });
  assert.deepEqual(order, ["read true", "slept 100 s"]);
});

test("VirtualTimeLoop can be driven directly with runUntilComplete", async () => {
  const loop = new VirtualTimeLoop();
  try {
    const r = await loop.runUntilComplete(async () => {
      await asyncio.sleep(86_400, "a day later");
      return asyncio.sleep(1, "and a second");
    });
    assert.equal(r, "and a second");
    assert.ok(loop.skipped >= 86_400);
  } finally {
    loop.close();
  }
});

test("callbacks run by a virtual-time jump do not run inside the task that scheduled them", async () => {
  const seen = await vrun(async () => {
    const loop = asyncio.getRunningLoop();
    let current: unknown = "unset";
    loop.callLater(100, () => {
      current = asyncio.currentTask();
    });
    await asyncio.sleep(200);
    return current;
  });
  assert.equal(seen, null);
});

test("on a real loop, callSoon/callLater callbacks scheduled from a task see no current task", async () => {
  const seen = await asyncio.run(async () => {
    const loop = asyncio.getRunningLoop();
    const out: unknown[] = [];
    loop.callSoon(() => out.push(asyncio.currentTask()));
    loop.callLater(0.001, () => out.push(asyncio.currentTask()));
    await asyncio.sleep(0.01);
    return out;
  });
  assert.deepEqual(seen, [null, null]);
});

// Issue 8 §4: the virtual-time jump must drop cancelled timers through the base loop, which keeps
// its cancelled-timer count exact (CPython's `_timer_cancelled_count`). A stale count made a later
// cancel() believe every timer was cancelled and clear the heap, live timers included.

/** The base loop's cancelled-timer count equals the cancelled handles still in its heap. */
function assertCancelledCountExact(loop: asyncio.EventLoop): void {
  const inHeap = loop._timers.items.filter((t) => t.cancelled()).length;
  assert.equal(loop._timerCancelledCount, inHeap, "cancelled-timer count matches the heap");
}

test("a cancelled timer skipped by a jump does not make a later cancel() drop live timers (issue 8 §4 repro)", async () => {
  const got = await vrun(async () => {
    const loop = asyncio.getRunningLoop();
    const log: string[] = [];
    const t5 = loop.callLater(5, () => log.push("t5"));
    const f2 = loop.createFuture<null>();
    loop.callLater(10, () => f2.setResult(null));
    t5.cancel();
    await f2; // the jump to 10 s drops the cancelled 5 s timer off the heap top
    assertCancelledCountExact(loop);
    const f3 = loop.createFuture<string>();
    loop.callLater(20, () => f3.setResult("f3"));
    loop.callLater(30, () => log.push("t30")).cancel();
    assertCancelledCountExact(loop);
    log.push(await asyncio.waitFor(f3, 100));
    return log;
  });
  assert.deepEqual(got, ["f3"]);
});

test("many cancelled timers at the heap top, then live ones (test_base_events.py test__run_once_cancelled_event_cleanup analogue)", async () => {
  const got = await vrun(async () => {
    const loop = asyncio.getRunningLoop();
    const log: string[] = [];
    const top = Array.from({ length: 10 }, (_, i) => loop.callLater(1 + i, () => log.push(`c${i}`)));
    const f = loop.createFuture<null>();
    loop.callLater(50, () => f.setResult(null));
    for (const h of top) h.cancel();
    assert.equal(loop._timerCancelledCount, 10);
    await f; // the jump drops all ten cancelled timers
    assertCancelledCountExact(loop);
    assert.equal(loop._timers.length, 0);
    // Ten live timers and one cancelled one: with a stale count of 10, this cancel() emptied the heap.
    const done = loop.createFuture<null>();
    for (let i = 0; i < 10; i++) loop.callLater(1 + i, () => log.push(`live${i}`));
    loop.callLater(11, () => done.setResult(null));
    loop.callLater(0.5, () => log.push("cancelled")).cancel();
    assertCancelledCountExact(loop);
    await asyncio.waitFor(done, 100);
    assertCancelledCountExact(loop);
    return log;
  });
  assert.deepEqual(
    got,
    Array.from({ length: 10 }, (_, i) => `live${i}`),
  );
});

test("cancelling the last live timer empties the heap on virtual time (test_events.py TimerTests.test_timer analogue)", async () => {
  const got = await vrun(async () => {
    const loop = asyncio.getRunningLoop();
    const log: string[] = [];
    const early = loop.callLater(5, () => log.push("early"));
    const f = loop.createFuture<null>();
    loop.callLater(10, () => f.setResult(null));
    early.cancel();
    await f;
    const last = loop.callLater(20, () => log.push("last"));
    last.cancel();
    // Every timer is cancelled: the base loop drops them all at once (and releases its Node timer).
    assert.equal(loop._timers.length, 0);
    assertCancelledCountExact(loop);
    await asyncio.sleep(60);
    log.push("slept");
    return log;
  });
  assert.deepEqual(got, ["slept"]);
});

test("a timer cancelled from inside another timer's callback never runs, and the count stays exact", async () => {
  const got = await vrun(async () => {
    const loop = asyncio.getRunningLoop();
    const log: string[] = [];
    const f = loop.createFuture<null>();
    // `sameTime` is due with the canceller, so it is already in the ready queue when cancelled;
    // `later` is still in the heap (counted as cancelled there, then dropped by the jump).
    let sameTime: asyncio.TimerHandle | null = null;
    let later: asyncio.TimerHandle | null = null;
    loop.callLater(10, () => {
      log.push("canceller");
      sameTime!.cancel();
      later!.cancel();
    });
    sameTime = loop.callLater(10, () => log.push("sameTime"));
    later = loop.callLater(15, () => log.push("later"));
    loop.callLater(20, () => f.setResult(null));
    await f;
    assertCancelledCountExact(loop);
    const g = loop.createFuture<null>();
    loop.callLater(5, () => g.setResult(null));
    loop.callLater(6, () => log.push("cancelled")).cancel();
    assertCancelledCountExact(loop);
    await asyncio.waitFor(g, 100);
    log.push("g");
    return log;
  });
  assert.deepEqual(got, ["canceller", "g"]);
});
