// Port of the loop-scheduling parts of CPython's Lib/test/test_asyncio/test_events.py and
// test_base_events.py: callSoon/callLater/callAt, handles, one batch per iteration, running,
// stopping and closing, the loop registry, argument checks, the exception-handler API and debug
// mode (slow callbacks; never-awaited coroutines and destroyed pending tasks in a GC child process).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { inspect, promisify } from "node:util";
import * as asyncio from "../../src/index.js";
import { captureLogs, runMain } from "../helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const execFileP = promisify(execFile);

/** Run `fn` with a fresh loop that is closed afterwards. */
async function withLoop(fn: (loop: asyncio.EventLoop) => Promise<void> | void): Promise<void> {
  const loop = asyncio.newEventLoop();
  try {
    await fn(loop);
  } finally {
    if (!loop.isRunning()) loop.close();
  }
}

/** Block the thread for `ms` milliseconds (a slow callback). */
function busy(ms: number): void {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    // spin
  }
}

function noop(..._args: unknown[]): void {}

const envDebugOn = ((v) => v !== undefined && v !== "" && v !== "0")(process.env.AIOTS_DEBUG);

type Report = Record<string, string[]>;
const reports = new Map<string, Promise<Report>>();
/** The GC fixture's "events" (or "timers") scenarios in a child process, with or without AIOTS_DEBUG=1. */
function childReport(group: "events" | "timers", debug: boolean): Promise<Report> {
  const key = `${group}:${debug}`;
  let p = reports.get(key);
  if (p === undefined) {
    const env = { ...process.env };
    if (debug) env.AIOTS_DEBUG = "1";
    else delete env.AIOTS_DEBUG;
    p = execFileP(
      process.execPath,
      ["--expose-gc", "--import", "tsx", join("test", "fixtures", "gc-report.ts"), group],
      // The timeout only guards against a child that never exits (a failure in itself).
      { cwd: root, env, timeout: 60_000 },
    ).then(({ stdout }) => JSON.parse(stdout) as Report);
    reports.set(key, p);
  }
  return p;
}

describe("callSoon and loop iterations", () => {
  test("test_call_soon (test_events.py)", async () => {
    await withLoop(async (loop) => {
      const results: unknown[] = [];
      const h = loop.callSoon(
        (a: string, b: string) => {
          results.push([a, b]);
          loop.stop();
        },
        "hello",
        "world",
      );
      assert.ok(h instanceof asyncio.Handle);
      await loop.runForever();
      assert.deepEqual(results, [["hello", "world"]]);
    });
  });

  test("callSoon callbacks run FIFO (test_base_events.py test_call_soon)", async () => {
    await withLoop(async (loop) => {
      const order: number[] = [];
      for (let i = 0; i < 100; i++) loop.callSoon((n: number) => order.push(n), i);
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      assert.deepEqual(
        order,
        Array.from({ length: 100 }, (_, i) => i),
      );
    });
  });

  test("test_run_once: callSoon(cb); callSoon(stop); runForever() (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      let count = 0;
      loop.callSoon(() => count++);
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      assert.equal(count, 1);
      assert.equal(loop.isRunning(), false);
    });
  });

  test("test__run_once_schedule_handle: a callback scheduled by a callback waits for the next iteration (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      const log: string[] = [];
      loop.callSoon(() => {
        log.push("a");
        loop.callSoon(() => log.push("c"));
        loop.stop();
      });
      loop.callSoon(() => log.push("b"));
      await loop.runForever();
      // stop() lets the current batch finish; "c" was not in it.
      assert.deepEqual(log, ["a", "b"]);
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      assert.deepEqual(log, ["a", "b", "c"]);
    });
  });

  test("one batch per iteration: timers and I/O get a turn between batches (test_base_events.py test__run_once)", async () => {
    await withLoop(async (loop) => {
      let timerFired = false;
      let ioDone = false;
      const timer = setTimeout(() => {
        timerFired = true;
      }, 1);
      const io = readFile(fileURLToPath(import.meta.url)).then(() => {
        ioDone = true;
      });
      const cap = 1_000_000;
      const done = loop.createFuture<number>();
      let spins = 0;
      // A callback that keeps rescheduling itself: if a drain ran what it scheduled, Node would never get back.
      const spin = (): void => {
        spins++;
        if ((timerFired && ioDone) || spins >= cap) done.setResult(spins);
        else loop.callSoon(spin);
      };
      loop.callSoon(spin);
      const n = await loop.runUntilComplete(done);
      clearTimeout(timer);
      await io;
      assert.ok(timerFired && ioDone, "Node's timers and I/O ran while the loop was busy");
      assert.ok(n < cap, `the loop starved Node for ${n} iterations`);
    });
  });

  // Not in CPython (its iterations are separated by a select()): aiots chains iterations inside one Node
  // turn, and must still let every microtask settle between two of them, as a Node turn would.
  test("between two loop iterations every pending microtask settles (iterations chained in one Node turn)", async () => {
    await withLoop(async (loop) => {
      const log: string[] = [];
      loop.callSoon(() => {
        // A chain of 20 native promise hops started by a callback of iteration 1 …
        let p: Promise<void> = Promise.resolve();
        for (let i = 0; i < 20; i++) p = p.then(() => undefined);
        void p.then(() => log.push("microtask chain done"));
        loop.callSoon(() => log.push("iteration 2"));
      });
      const done = loop.createFuture<void>();
      loop.callSoon(() => loop.callSoon(() => loop.callSoon(() => done.setResult())));
      await loop.runUntilComplete(done);
      // … has finished before any callback of iteration 2 runs.
      assert.deepEqual(log, ["microtask chain done", "iteration 2"]);
    });
  });

  test("many iterations run back to back, yet a Node immediate queued meanwhile still gets its turn", async () => {
    await withLoop(async (loop) => {
      let immediateRan = false;
      let iterationsBeforeImmediate = -1;
      let n = 0;
      const done = loop.createFuture<number>();
      const spin = (): void => {
        n++;
        if (immediateRan) done.setResult(n);
        else loop.callSoon(spin);
      };
      loop.callSoon(() => {
        setImmediate(() => {
          immediateRan = true;
          iterationsBeforeImmediate = n;
        });
        spin();
      });
      await loop.runUntilComplete(done);
      assert.ok(immediateRan);
      // Chained: more than one iteration per Node turn; bounded: the immediate was not starved.
      assert.ok(iterationsBeforeImmediate > 1, `only ${iterationsBeforeImmediate} iteration(s) per turn`);
    });
  });

  test("stop() from a callback runs the rest of the current batch, then stops (test_base_events.py test_run_once)", async () => {
    await withLoop(async (loop) => {
      const log: string[] = [];
      loop.callSoon(() => log.push("a"));
      loop.callSoon(() => loop.stop());
      loop.callSoon(() => log.push("b"));
      await loop.runForever();
      assert.deepEqual(log, ["a", "b"]);
      assert.equal(loop.isRunning(), false);
    });
  });

  test("test_run_forever_pre_stopped: stop() before runForever() runs one iteration (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      const log: string[] = [];
      loop.stop();
      loop.callSoon(() => {
        log.push("first");
        loop.callSoon(() => log.push("second"));
      });
      await loop.runForever();
      assert.deepEqual(log, ["first"]);
      assert.equal(loop.isRunning(), false);
    });
  });

  test("test_run_until_complete_baseexception: the loop is reusable after a failed runUntilComplete (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      await assert.rejects(
        loop.runUntilComplete(async () => {
          throw new asyncio.ValueError("interrupt");
        }),
        asyncio.ValueError,
      );
      let called = false;
      const func = (): void => {
        loop.stop();
        called = true;
      };
      loop.callSoon(() => loop.callSoon(func));
      await loop.runForever();
      assert.equal(called, true);
      // No stale done-callback of the first future stops the next run early.
      assert.equal(await loop.runUntilComplete(() => asyncio.sleep(0.005, "second")), "second");
    });
  });
});

describe("Timers", () => {
  test("test_call_later (test_events.py)", async () => {
    await withLoop(async (loop) => {
      const results: string[] = [];
      const h = loop.callLater(
        0.01,
        (arg: string) => {
          results.push(arg);
          loop.stop();
        },
        "hello world",
      );
      assert.ok(h instanceof asyncio.TimerHandle);
      await loop.runForever();
      assert.deepEqual(results, ["hello world"]);
    });
  });

  test("test_call_later_negative_delays (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      const calls: string[] = [];
      loop.callLater(-1, (x: string) => calls.push(x), "a");
      loop.callLater(-2, (x: string) => calls.push(x), "b");
      loop.callLater(0.002, () => loop.stop());
      await loop.runForever();
      assert.deepEqual(calls, ["b", "a"]);
    });
  });

  test("callLater fires in time order, whatever the scheduling order (test_events.py test_call_later)", async () => {
    await withLoop(async (loop) => {
      const order: number[] = [];
      for (const d of [0.03, 0.01, 0.02, 0, 0.005]) loop.callLater(d, () => order.push(d));
      loop.callLater(0.04, () => loop.stop());
      await loop.runForever();
      assert.deepEqual(order, [0, 0.005, 0.01, 0.02, 0.03]);
    });
  });

  test("callAt with equal times runs FIFO (test_events.py TimerTests.test_timer_comparison)", async () => {
    await withLoop(async (loop) => {
      const order: string[] = [];
      const when = loop.time() + 0.005;
      for (let i = 0; i < 20; i++) loop.callAt(when, () => order.push(`same${i}`));
      loop.callAt(when - 0.001, () => order.push("earlier"));
      loop.callAt(when + 0.001, () => order.push("later"));
      loop.callAt(when + 0.002, () => loop.stop());
      await loop.runForever();
      assert.deepEqual(order, ["earlier", ...Array.from({ length: 20 }, (_, i) => `same${i}`), "later"]);
    });
  });

  test("test_time_and_call_at (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      const when = loop.time() + 0.02;
      let firedAt = Number.NaN;
      loop.callAt(when, () => {
        firedAt = loop.time();
        loop.stop();
      });
      await loop.runForever();
      // Never early (within the loop's 1 ms clock resolution).
      assert.ok(firedAt >= when - 0.001, `fired at ${firedAt}, scheduled for ${when}`);
    });
  });

  test("test_when: TimerHandle.when() (test_events.py TimerTests)", async () => {
    await withLoop((loop) => {
      const when = loop.time() + 5;
      const h = loop.callAt(when, noop);
      assert.equal(h.when(), when);
      const t0 = loop.time();
      const h2 = loop.callLater(10, noop);
      const t1 = loop.time();
      assert.ok(h2.when() >= t0 + 10 && h2.when() <= t1 + 10);
      h.cancel();
      h2.cancel();
    });
  });

  test("loop.time() is monotonic and counts seconds (test_base_events.py test_time_and_call_at)", async () => {
    await withLoop(async (loop) => {
      let prev = loop.time();
      for (let i = 0; i < 1000; i++) {
        const t = loop.time();
        assert.ok(t >= prev);
        prev = t;
      }
      const t0 = loop.time();
      await loop.runUntilComplete(() => asyncio.sleep(0.02));
      const dt = loop.time() - t0;
      // Seconds, not milliseconds: a 20 ms sleep is about 0.02.
      assert.ok(dt >= 0.015 && dt < 10, `slept ${dt}`);
    });
  });

  test("test_timer: a cancelled TimerHandle never runs (test_events.py TimerTests)", async () => {
    await withLoop(async (loop) => {
      const calls: string[] = [];
      const h = loop.callLater(0.001, () => calls.push("cancelled one"));
      loop.callLater(0.002, () => calls.push("kept"));
      assert.equal(h.cancelled(), false);
      h.cancel();
      assert.equal(h.cancelled(), true);
      h.cancel(); // idempotent
      loop.callLater(0.01, () => loop.stop());
      await loop.runForever();
      assert.deepEqual(calls, ["kept"]);
    });
  });

  test("100 000 pending timers all fire, in time order (test_base_events.py test__run_once)", async () => {
    await withLoop(async (loop) => {
      const fired: number[] = [];
      const n = 100_000;
      const base = loop.time();
      for (let i = 0; i < n; i++) {
        const slot = (i * 7919) % 40; // interleave the slots
        loop.callAt(base + slot * 0.0005, (s: number, idx: number) => fired.push(s * n + idx), slot, i);
      }
      const done = loop.createFuture();
      loop.callAt(base + 0.03, () => done.setResult(null));
      await loop.runUntilComplete(done);
      assert.equal(fired.length, n);
      for (let i = 1; i < n; i++) {
        // ordered by slot (time), then by scheduling order within a slot
        if (fired[i]! < fired[i - 1]!) assert.fail(`timer ${i} ran out of order`);
      }
    });
  });

  test("test__run_once_cancelled_event_cleanup: mass-cancelled timers never run, the rest still do (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      const ran: number[] = [];
      const handles: asyncio.TimerHandle[] = [];
      for (let i = 0; i < 10_000; i++)
        handles.push(loop.callLater(0.001 + (i % 10) * 0.001, () => ran.push(i)));
      for (let i = 0; i < handles.length; i++) if (i % 100 !== 0) handles[i]!.cancel();
      const done = loop.createFuture();
      loop.callLater(0.03, () => done.setResult(null));
      await loop.runUntilComplete(done);
      const expected = Array.from({ length: 100 }, (_, k) => k * 100).sort(
        (a, b) => (a % 10) - (b % 10) || a - b,
      );
      assert.deepEqual(ran, expected);
    });
  });

  test("test__run_once_cancelled_event_cleanup: the cancelled-timer count stays exact through pops and the rebuild (test_base_events.py)", async () => {
    await withLoop((loop) => {
      const cb = (): void => {};
      const exact = (): void => {
        const inHeap = loop._timers.items.filter((t) => t.cancelled()).length;
        assert.equal(loop._timerCancelledCount, inHeap);
      };
      loop.callLater(3000, cb); // live: keeps the later cancelled timers off the heap top
      for (let i = 0; i < 2; i++) loop.callLater(3600, cb).cancel();
      for (let i = 0; i < 2; i++) loop.callLater(100, cb).cancel(); // these two are at the top
      assert.equal(loop._timerCancelledCount, 4);
      assert.equal(loop._peekLiveTimer()?.when(), loop._timers.peek()?.when());
      assert.equal(loop._timerCancelledCount, 2);
      assert.equal(loop._timers.length, 3);
      exact();
      // Past 100 timers with over half cancelled, the heap is rebuilt without the cancelled ones.
      for (let i = 0; i < 49; i++) loop.callLater(3600, cb);
      let rebuilt = false;
      for (let i = 0; i < 51; i++) {
        const before = loop._timers.length;
        loop.callLater(3600, cb).cancel();
        if (loop._timers.length <= before) rebuilt = true;
        exact();
      }
      assert.ok(rebuilt, "the heap was rebuilt");
      assert.equal(loop._timers.items.filter((t) => !t.cancelled()).length, 50);
    });
  });

  test("100 000 cancelled timers release the process (test_base_events.py test__run_once_cancelled_event_cleanup)", async () => {
    // The child schedules 100 000 one-hour timers on the default loop and cancels them all; it must then
    // exit by itself (a leftover Node timer would keep it alive for an hour and trip the guard timeout).
    const report = await childReport("timers", false);
    assert.deepEqual(report.timers, [100_000, true, true]);
  });
});

describe("Handles", () => {
  test("test_handle: cancel() and cancelled() (test_events.py HandleTests)", async () => {
    await withLoop(async (loop) => {
      const calls: string[] = [];
      const h = loop.callSoon(() => calls.push("cancelled one"));
      loop.callSoon(() => calls.push("kept"));
      assert.equal(h.cancelled(), false);
      h.cancel();
      assert.equal(h.cancelled(), true);
      h.cancel();
      assert.equal(h.cancelled(), true);
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      assert.deepEqual(calls, ["kept"]);
    });
  });

  test("test_handle_repr and test_timer_repr (test_events.py)", async () => {
    await withLoop((loop) => {
      const h = loop.callSoon(noop, 1, 2);
      assert.match(inspect(h), /^<Handle noop\(.*\)>$/);
      h.cancel();
      assert.equal(inspect(h), "<Handle cancelled>");
      const t = loop.callAt(123, noop);
      assert.match(inspect(t), /^<TimerHandle when=123 noop\(.*\)>$/);
      t.cancel();
      assert.equal(inspect(t), "<TimerHandle cancelled when=123>");
    });
  });
});

describe("Running, stopping and closing", () => {
  test("test_run_until_complete: result of a coroutine, a function, a promise (test_events.py)", async () => {
    await withLoop(async (loop) => {
      const double = asyncio.coroutine(async (x: number) => {
        await asyncio.sleep(0);
        return x * 2;
      });
      assert.equal(await loop.runUntilComplete(double(21)), 42);
      const gen = asyncio.coroutine(function* () {
        yield* asyncio.sleep(0.001);
        return "gen";
      });
      assert.equal(await loop.runUntilComplete(gen()), "gen");
      assert.equal(await loop.runUntilComplete(() => asyncio.sleep(0.005, "slept")), "slept");
      assert.equal(await loop.runUntilComplete(Promise.resolve("promise")), "promise");
    });
  });

  test("test_run_until_complete: loop.runUntilComplete(asyncio.sleep(0.01)) on a loop that is not the current one (test_events.py)", async () => {
    await withLoop(async (loop) => {
      assert.notEqual(asyncio.getEventLoop(), loop);
      // In CPython asyncio.sleep() makes a coroutine that runs on whichever loop runs it.
      assert.equal(await loop.runUntilComplete(asyncio.sleep(0.01, "slept")), "slept");
    });
  });

  test("runUntilComplete rejects with the coroutine's exception (test_events.py test_run_until_complete)", async () => {
    await withLoop(async (loop) => {
      const exc = new asyncio.ValueError("bad");
      await assert.rejects(
        loop.runUntilComplete(async () => {
          await asyncio.sleep(0);
          throw exc;
        }),
        (e: unknown) => e === exc,
      );
      assert.equal(loop.isRunning(), false);
    });
  });

  test("test_run_until_complete_type_error (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      await assert.rejects(loop.runUntilComplete("blah" as never), TypeError);
      assert.equal(loop.isRunning(), false);
    });
  });

  test("test_run_until_complete_loop: a future of another loop is refused (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      const other = asyncio.newEventLoop();
      try {
        const f = loop.createFuture();
        await assert.rejects(other.runUntilComplete(f), /different loop/);
        assert.equal(other.isRunning(), false);
      } finally {
        other.close();
      }
    });
  });

  test("test_run_until_complete_stopped (test_events.py)", async () => {
    await withLoop(async (loop) => {
      await assert.rejects(
        loop.runUntilComplete(async () => {
          loop.stop();
          await asyncio.sleep(0.05);
        }),
        { name: "RuntimeError", message: "Event loop stopped before Future completed." },
      );
    });
  });

  test("test_run_until_complete_nesting: running a running loop (test_events.py)", async () => {
    await withLoop(async (loop) => {
      await loop.runUntilComplete(async () => {
        assert.equal(loop.isRunning(), true);
        await assert.rejects(loop.runUntilComplete(Promise.resolve(1)), {
          name: "RuntimeError",
          message: "This event loop is already running",
        });
        await assert.rejects(loop.runForever(), {
          name: "RuntimeError",
          message: "This event loop is already running",
        });
        assert.equal(loop.isRunning(), true);
      });
    });
  });

  test("test_running_loop_within_a_loop (test_base_events.py RunningLoopTests)", async () => {
    const loop = asyncio.newEventLoop();
    const outer = asyncio.newEventLoop();
    try {
      await assert.rejects(
        outer.runUntilComplete(() => loop.runForever()),
        (e: unknown) => e instanceof asyncio.RuntimeError && /while another loop is running/.test(e.message),
      );
      assert.equal(loop.isRunning(), false);
    } finally {
      loop.close();
      outer.close();
    }
  });

  test("test_custom_run_forever_integration: isRunning() and getRunningLoop() inside and after (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      const seen: unknown[] = [];
      loop.callSoon(() => {
        seen.push(loop.isRunning(), asyncio.getRunningLoop() === loop);
        loop.stop();
      });
      assert.equal(loop.isRunning(), false);
      const p = loop.runForever();
      assert.equal(loop.isRunning(), true);
      await p;
      assert.deepEqual(seen, [true, true]);
      assert.equal(loop.isRunning(), false);
      const inTask = await loop.runUntilComplete(async () => [loop.isRunning(), asyncio.getRunningLoop()]);
      assert.deepEqual(inTask, [true, loop]);
      assert.equal(loop.isRunning(), false);
      assert.throws(() => asyncio.getRunningLoop(), {
        name: "RuntimeError",
        message: "no running event loop",
      });
    });
  });

  test("test_get_event_loop_returns_running_loop: getRunningLoop() outside a loop throws (test_events.py)", () => {
    assert.throws(
      () => asyncio.getRunningLoop(),
      (e: unknown) => e instanceof asyncio.RuntimeError && e.message === "no running event loop",
    );
  });

  test("test_close (test_base_events.py / test_events.py)", async () => {
    const loop = asyncio.newEventLoop();
    assert.equal(loop.isClosed(), false);
    loop.close();
    assert.equal(loop.isClosed(), true);
    loop.close(); // more than once is fine
    loop.close();
    const closed = { name: "RuntimeError", message: "Event loop is closed" };
    assert.throws(() => loop.callSoon(noop), closed);
    assert.throws(() => loop.callLater(1, noop), closed);
    assert.throws(() => loop.callAt(loop.time() + 1, noop), closed);
    assert.throws(() => loop.createTask(async () => {}), closed);
    await assert.rejects(loop.runForever(), closed);
    await assert.rejects(loop.runUntilComplete(loop.createFuture()), closed);
    assert.equal(loop.isRunning(), false);
  });

  test("close() drops pending callbacks and timers (test_base_events.py test_close)", async () => {
    const loop = asyncio.newEventLoop();
    const calls: string[] = [];
    loop.callSoon(() => calls.push("soon"));
    loop.callLater(0.001, () => calls.push("later"));
    loop.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(calls, []);
  });

  test("test_close_running_event_loop (test_events.py)", async () => {
    await withLoop(async (loop) => {
      const result = await loop.runUntilComplete(async () => {
        assert.throws(() => loop.close(), {
          name: "RuntimeError",
          message: "Cannot close a running event loop",
        });
        await asyncio.sleep(0);
        return "still running";
      });
      assert.equal(result, "still running");
      assert.equal(loop.isClosed(), false);
    });
  });
});

describe("Loop registry", () => {
  test("test_new_event_loop / test_set_event_loop (test_events.py PolicyTests)", () => {
    const a = asyncio.newEventLoop();
    const b = asyncio.newEventLoop();
    try {
      assert.ok(a instanceof asyncio.EventLoop);
      assert.notEqual(a, b);
      asyncio.setEventLoop(a);
      assert.equal(asyncio.getEventLoop(), a);
      assert.equal(asyncio.getEventLoop(), a);
      asyncio.setEventLoop(b);
      assert.equal(asyncio.getEventLoop(), b);
    } finally {
      asyncio.setEventLoop(null);
      a.close();
      b.close();
    }
  });

  test("test_get_event_loop_returns_running_loop (test_events.py)", async () => {
    const current = asyncio.newEventLoop();
    const running = asyncio.newEventLoop();
    asyncio.setEventLoop(current);
    try {
      const seen = await running.runUntilComplete(async () => [
        asyncio.getEventLoop(),
        asyncio.getRunningLoop(),
      ]);
      assert.deepEqual(seen, [running, running]);
      assert.equal(asyncio.getEventLoop(), current);
    } finally {
      asyncio.setEventLoop(null);
      current.close();
      running.close();
    }
  });

  test("run() runs main on a new loop and closes it (test_events.py test_get_event_loop_returns_running_loop)", async () => {
    let inner: asyncio.EventLoop | undefined;
    const v = await runMain(async () => {
      inner = asyncio.getRunningLoop();
      assert.equal(asyncio.getEventLoop(), inner);
      assert.equal(inner.isRunning(), true);
      return "main";
    });
    assert.equal(v, "main");
    assert.equal(inner!.isClosed(), true);
  });
});

describe("Argument validation", () => {
  test("test_call_soon_non_callable (test_base_events.py)", async () => {
    await withLoop((loop) => {
      loop.setDebug(true);
      assert.throws(
        () => loop.callSoon(1 as never),
        (e: unknown) => e instanceof TypeError && /a callable object/.test(e.message),
      );
      assert.throws(() => loop.callLater(1, "cb" as never), TypeError);
      assert.throws(() => loop.callAt(loop.time(), null as never), TypeError);
    });
  });

  test("test_call_later / test_time_and_call_at: invalid delays and times (test_base_events.py)", async () => {
    await withLoop((loop) => {
      assert.throws(() => loop.callLater(null as never, noop), TypeError);
      assert.throws(() => loop.callLater("1" as never, noop), TypeError);
      assert.throws(() => loop.callLater(Number.NaN, noop), asyncio.ValueError);
      assert.throws(() => loop.callAt(null as never, noop), TypeError);
      assert.throws(() => loop.callAt(Number.NaN, noop), asyncio.ValueError);
    });
  });

  test("test_call_coroutine: a coroutine object is not a callback (test_base_events.py)", async () => {
    await withLoop((loop) => {
      loop.setDebug(true);
      const simple = asyncio.coroutine(async function simpleCoroutine() {});
      const coro = simple();
      assert.throws(() => loop.callSoon(coro as never), TypeError);
      assert.throws(() => loop.callLater(60, coro as never), TypeError);
      assert.throws(() => loop.callAt(loop.time() + 60, coro as never), TypeError);
      coro.close();
    });
  });
});

describe("Exception handler API", () => {
  test("test_set_exc_handler_invalid (test_base_events.py)", async () => {
    await withLoop((loop) => {
      assert.throws(
        () => loop.setExceptionHandler("spam" as never),
        (e: unknown) => {
          return e instanceof TypeError && /A callable object or None/.test(e.message);
        },
      );
      assert.equal(loop.getExceptionHandler(), null);
    });
  });

  test("test_set_exc_handler_custom (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      loop.setDebug(true);
      const zero = new asyncio.ValueError("division by zero");
      function zeroError(): void {
        throw zero;
      }
      const calls: [asyncio.EventLoop, asyncio.ExceptionContext][] = [];
      const handler: asyncio.ExceptionHandler = (l, ctx) => {
        calls.push([l, ctx]);
      };
      assert.equal(loop.getExceptionHandler(), null);
      loop.setExceptionHandler(handler);
      assert.equal(loop.getExceptionHandler(), handler);

      const handle = loop.callSoon(zeroError);
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      assert.equal(calls.length, 1);
      const [l, ctx] = calls[0]!;
      assert.equal(l, loop);
      assert.match(ctx.message, /^Exception in callback .*zeroError/);
      assert.equal(ctx.exception, zero);
      assert.equal(ctx.handle, handle);
      // Debug mode: where the callback was scheduled.
      assert.match(String(ctx.sourceTraceback), /events\.test\.ts/);

      loop.setExceptionHandler(null);
      assert.equal(loop.getExceptionHandler(), null);
      const { logs } = await captureLogs(async () => {
        loop.callSoon(zeroError);
        loop.callSoon(() => loop.stop());
        await loop.runForever();
      });
      const errors = logs.filter((line) => line.startsWith("error: "));
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /^error: Exception in callback .*zeroError/);
      assert.match(errors[0]!, /division by zero/);
      assert.equal(calls.length, 1);
    });
  });

  test("test_default_exc_handler_callback: call_later variant (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      const messages: string[] = [];
      loop.setExceptionHandler((_l, ctx) => {
        messages.push(ctx.message);
      });
      const fut = loop.createFuture<boolean>();
      loop.callLater(0.002, function zeroError() {
        fut.setResult(true);
        throw new asyncio.ValueError("zero");
      });
      await loop.runUntilComplete(fut);
      await loop.runUntilComplete(() => asyncio.sleep(0));
      assert.equal(messages.length, 1);
      assert.match(messages[0]!, /^Exception in callback .*zeroError/);
    });
  });

  test("test_set_exc_handler_broken (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      loop.setExceptionHandler(() => {
        throw new asyncio.RuntimeError("spam");
      });
      const { logs } = await captureLogs(async () => {
        loop.callSoon(() => {
          throw new asyncio.ValueError("zero");
        });
        loop.callSoon(() => loop.stop());
        await loop.runForever();
      });
      const errors = logs.filter((line) => line.startsWith("error: "));
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /^error: Unhandled error in exception handler/);
      assert.match(errors[0]!, /RuntimeError: spam/);
    });
  });

  test("test_default_exc_handler_broken (test_base_events.py)", async () => {
    const seen: { context?: asyncio.ExceptionContext } = {};
    class Loop extends asyncio.EventLoop {
      override defaultExceptionHandler(context: asyncio.ExceptionContext): void {
        seen.context = context;
        throw new asyncio.ValueError("spam");
      }
    }
    const loop = new Loop();
    try {
      const zero = new asyncio.ValueError("zero");
      const runLoop = async (): Promise<void> => {
        loop.callSoon(() => {
          throw zero;
        });
        loop.callSoon(() => loop.stop());
        await loop.runForever();
      };

      let { logs } = await captureLogs(runLoop);
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /^error: Exception in default exception handler/);

      loop.setExceptionHandler(() => {
        throw new asyncio.ValueError("ham");
      });
      seen.context = undefined;
      ({ logs } = await captureLogs(runLoop));
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /^error: Exception in default exception handler.*while handling/);
      // The default handler was given the original context.
      const passed = seen.context as asyncio.ExceptionContext | undefined;
      assert.ok(passed !== undefined && "context" in passed);
      assert.equal((passed.context as asyncio.ExceptionContext).exception, zero);
    } finally {
      loop.close();
    }
  });

  test("callExceptionHandler / defaultExceptionHandler (test_base_events.py test_set_exc_handler_custom)", async () => {
    await withLoop(async (loop) => {
      const got: asyncio.ExceptionContext[] = [];
      loop.setExceptionHandler((_l, ctx) => {
        got.push(ctx);
      });
      const ctx: asyncio.ExceptionContext = { message: "custom", extra: 1 };
      loop.callExceptionHandler(ctx);
      assert.equal(got.length, 1);
      assert.equal(got[0], ctx);

      const exc = new asyncio.ValueError("the error");
      const { logs } = await captureLogs(async () => {
        loop.defaultExceptionHandler({ message: "Something broke", exception: exc, detail: "42" });
      });
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /^error: Something broke\n/);
      assert.match(logs[0]!, /detail: 42/);
      assert.match(logs[0]!, /ValueError: the error/);
      assert.equal(got.length, 1); // the default handler does not call the custom one
    });
  });

  test("test_default_exc_handler_coro: an unretrieved task exception is reported on GC (test_base_events.py)", async () => {
    const report = await childReport("events", false);
    const logs = report.taskExceptionUnretrieved!;
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /^error: Task exception was never retrieved\n/);
    assert.match(logs[0]!, /zeroErrorCoro/);
    assert.match(logs[0]!, /ValueError: zero/);
  });
});

describe("Debug mode", () => {
  test("test_set_debug (test_base_events.py)", async () => {
    await withLoop((loop) => {
      loop.setDebug(true);
      assert.equal(loop.getDebug(), true);
      loop.setDebug(false);
      assert.equal(loop.getDebug(), false);
    });
  });

  test("test_log_slow_callbacks: a slow callback (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      loop.setDebug(true);
      loop.slowCallbackDuration = 0.005;
      const { logs } = await captureLogs(async () => {
        loop.callSoon(function stopLoopCb() {
          busy(20);
          loop.stop();
        });
        await loop.runForever();
      });
      const warnings = logs.filter((line) => line.startsWith("warning: "));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /^warning: Executing <Handle .*stopLoopCb.*> took \d+(\.\d+)? seconds$/);
    });
  });

  test("test_log_slow_callbacks: a slow task step (test_base_events.py)", async () => {
    await withLoop(async (loop) => {
      loop.setDebug(true);
      loop.slowCallbackDuration = 0.005;
      const { logs } = await captureLogs(async () => {
        await loop.runUntilComplete(async function stopLoopCoro() {
          busy(20);
        });
      });
      const warnings = logs.filter((line) => line.startsWith("warning: "));
      assert.ok(warnings.length >= 1);
      assert.match(warnings[0]!, /^warning: Executing <Task .*stopLoopCoro.*> took \d+(\.\d+)? seconds$/);
    });
  });

  test("no slow-callback warning outside debug mode (test_base_events.py test_log_slow_callbacks)", async () => {
    await withLoop(async (loop) => {
      loop.setDebug(false);
      loop.slowCallbackDuration = 0.005;
      const { logs } = await captureLogs(async () => {
        loop.callSoon(() => {
          busy(20);
          loop.stop();
        });
        await loop.runForever();
      });
      assert.deepEqual(logs, []);
    });
  });

  test("run({ debug: true }) turns debug mode on for its loop (test_base_events.py test_env_var_debug)", async () => {
    const { result, logs } = await captureLogs(() =>
      runMain(async () => {
        const loop = asyncio.getRunningLoop();
        loop.slowCallbackDuration = 0.005;
        loop.callSoon(function slowOne() {
          busy(20);
        });
        await asyncio.sleep(0);
        await asyncio.sleep(0);
        return loop.getDebug();
      }, true),
    );
    assert.equal(result, true);
    assert.ok(logs.some((line) => /^warning: Executing <Handle .*slowOne.*> took/.test(line)));
    assert.equal(await runMain(async () => asyncio.getRunningLoop().getDebug()), false);
    const plain = asyncio.newEventLoop();
    assert.equal(plain.getDebug(), envDebugOn); // AIOTS_DEBUG decides for a loop made without options
    plain.close();
  });

  test("test_env_var_debug: AIOTS_DEBUG=1 vs unset, run({ debug: false }) wins (test_base_events.py)", async () => {
    const [on, off] = await Promise.all([childReport("events", true), childReport("events", false)]);
    assert.deepEqual(on.flags, [
      "newEventLoop.getDebug=true",
      "run.getDebug=true",
      "run.debugFalse.getDebug=false",
    ]);
    assert.deepEqual(off.flags, [
      "newEventLoop.getDebug=false",
      "run.getDebug=false",
      "run.debugFalse.getDebug=false",
    ]);
  });

  test("test_run_until_complete_nesting: the coroutine never awaited is reported in debug mode (test_events.py)", async () => {
    const report = await childReport("events", true);
    assert.deepEqual(report.nesting, ["RuntimeError: This event loop is already running"]);
    const warnings = report.logged!.filter((line) => line.includes("was never awaited"));
    assert.ok(warnings.some((line) => /^warning: coroutine 'coro1' was never awaited/.test(line)));
  });

  test("never-awaited coroutine warning with its creation stack, only in debug mode (test_coroutines.py)", async () => {
    const [on, off] = await Promise.all([childReport("events", true), childReport("events", false)]);
    const warning = on.logged!.find((line) => line.includes("'neverAwaitedFoo' was never awaited"));
    assert.ok(warning !== undefined, "AIOTS_DEBUG=1 reports the coroutine");
    assert.match(warning, /^warning: coroutine 'neverAwaitedFoo' was never awaited\nCoroutine created at/);
    assert.match(warning, /gc-report\.ts/);
    assert.deepEqual(
      off.logged!.filter((line) => line.includes("never awaited")),
      [],
    );
  });

  test("test_log_destroyed_pending_task: a task collected while pending, in debug mode (test_tasks.py)", async () => {
    const [on, off] = await Promise.all([childReport("events", true), childReport("events", false)]);
    const logs = on.taskDestroyedPending!;
    assert.equal(logs.length, 2);
    for (const line of logs) {
      assert.match(line, /^error: Task was destroyed but it is pending!\n/);
      assert.match(line, /gc-report\.ts/); // where it was created
    }
    assert.ok(logs.some((line) => /task: <Task pending name='doomedAsync'/.test(line)));
    assert.ok(logs.some((line) => /task: <Task pending name='doomedGen'/.test(line)));
    assert.deepEqual(off.taskDestroyedPending, []);
  });
});

describe("callbacks that are coroutine functions (test_base_events.py test_call_soon_coroutine_function analogue)", () => {
  test("callSoon/callLater/callAt refuse lazy coroutine functions and generator functions", () => {
    const loop = asyncio.newEventLoop();
    try {
      const lazy = asyncio.coroutine(async () => 1);
      function* gen(): Generator<unknown, void, unknown> {}
      for (const cb of [lazy, gen] as ((...a: unknown[]) => unknown)[]) {
        assert.throws(() => loop.callSoon(cb), /coroutines cannot be used with callSoon\(\)/);
        assert.throws(() => loop.callLater(1, cb), /coroutines cannot be used with callLater\(\)/);
        assert.throws(() => loop.callAt(1, cb), /coroutines cannot be used with callAt\(\)/);
      }
    } finally {
      loop.close();
    }
  });

  test("a plain async function is accepted (it runs when called)", async () => {
    const ran = await asyncio.run(async () => {
      const loop = asyncio.getRunningLoop();
      let hit = false;
      loop.callSoon(async () => {
        hit = true;
      });
      await asyncio.sleep(0);
      await asyncio.sleep(0);
      return hit;
    });
    assert.equal(ran, true);
  });
});

test("run() shuts the default executor down before closing the loop (test_runners.py test_asyncio_run_closes_gens_after_hanging_tasks_errors analogue: shutdown_default_executor)", async () => {
  const calls: string[] = [];
  const executor: asyncio.Executor = {
    submit: () => Promise.reject(new Error("unused")),
    shutdown: async (options) => {
      calls.push(`shutdown wait=${options?.wait ?? true}`);
    },
  };
  await asyncio.run(async () => {
    asyncio.getRunningLoop().setDefaultExecutor(executor);
  });
  assert.deepEqual(calls, ["shutdown wait=true"]);
});
