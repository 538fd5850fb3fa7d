// Executors on real worker threads and real worker processes: CPython's
// Lib/test/test_asyncio/test_threads.py (to_thread), test_events.py / test_base_events.py
// (run_in_executor, default executor) and Lib/test/test_concurrent_futures/ (pools, shutdown,
// BrokenProcessPool). Jobs coordinate with the test through a SharedArrayBuffer (threads) or files
// (processes); every assertion is about outcome or order, never about elapsed time.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as asyncio from "../../src/index.js";
import type * as Work from "../fixtures/work.js";
import { SLOT } from "../fixtures/work.js";
import { runMain, thrownBy } from "../helpers.js";

const WORK = new URL("../fixtures/work.ts", import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

type Fn<K extends keyof typeof Work> = (typeof Work)[K] extends (...a: infer A) => infer R
  ? asyncio.WorkerFunction<A, Awaited<R>>
  : never;
function ref<K extends keyof typeof Work>(name: K): Fn<K> {
  return asyncio.workerFunction(WORK, name) as unknown as Fn<K>;
}

const fib = ref("fib");
const fail = ref("fail");
const failType = ref("failType");
const whoami = ref("whoami");
const describeValue = ref("describeValue");
const asyncDouble = ref("asyncDouble");
const exitAbruptly = ref("exitAbruptly");
const blockThread = ref("blockThread");
const boundedThreadJob = ref("boundedThreadJob");
const writeMarker = ref("writeMarker");
const blockProcess = ref("blockProcess");
const boundedProcessJob = ref("boundedProcessJob");

const dir = mkdtempSync(join(tmpdir(), "aiots-executors-"));
let fileCounter = 0;
/** A fresh path in the test's temporary directory. */
const tmp = (name: string): string => join(dir, `${fileCounter++}-${name}`);

/** Every pool a test makes; shut down in `after` whatever a failing test left behind. */
const pools: asyncio.Executor[] = [];
function threads(maxWorkers: number): asyncio.ThreadPoolExecutor {
  const p = new asyncio.ThreadPoolExecutor({ maxWorkers });
  pools.push(p);
  return p;
}
function processes(maxWorkers: number): asyncio.ProcessPoolExecutor {
  const p = new asyncio.ProcessPoolExecutor({ maxWorkers });
  pools.push(p);
  return p;
}
/** Shared memory released in `after`, so no blocked thread outlives the file. */
const sabs: Int32Array[] = [];
function shared(): { sab: SharedArrayBuffer; a: Int32Array } {
  const sab = new SharedArrayBuffer(4 * 8);
  const a = new Int32Array(sab);
  sabs.push(a);
  return { sab, a };
}
function release(a: Int32Array): void {
  Atomics.store(a, SLOT.RELEASE, 1);
  Atomics.notify(a, SLOT.RELEASE);
}

/** Release files of process jobs, written in `after` so no blocked process outlives the file. */
const gos: string[] = [];
const goFile = (name: string): string => {
  const go = tmp(name);
  gos.push(go);
  return go;
};

after(async () => {
  // Safety net for a failed test: unblock every job, then stop every pool without waiting.
  for (const a of sabs) release(a);
  for (const go of gos) writeFileSync(go, "");
  await Promise.all(pools.map((p) => p.shutdown({ wait: false })));
});
// Removed last, once every blocked job has been released and has left.
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

/**
 * Poll (on the running loop) until `pred` holds; the cap is a safety net, not a timing assertion.
 * When `job` (the job being waited on) fails first, its error is thrown instead.
 */
async function until(pred: () => boolean, what: string, job?: PromiseLike<unknown>): Promise<void> {
  let failed: { error: unknown } | null = null;
  job?.then(
    () => {},
    (error) => {
      failed = { error };
    },
  );
  for (let i = 0; !pred(); i++) {
    if (failed !== null) throw (failed as { error: unknown }).error;
    if (i > 6000) throw new Error(`gave up waiting for ${what}`);
    await asyncio.sleep(0.005);
  }
}

/** Like {@link until} but with no event loop running (plain timers). */
async function untilOutsideLoop(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; !pred(); i++) {
    if (i > 6000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const lines = (path: string): string[] =>
  existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];

// ---- results, arguments, errors ------------------------------------------------------------

describe("results and arguments", () => {
  test("toThread runs the function on another thread and resolves with its result (test_threads.py test_to_thread)", async () => {
    const [r, where] = await runMain(async () => [
      await asyncio.toThread(fib, 20),
      await asyncio.toThread(whoami),
    ]);
    assert.equal(r, 6765);
    assert.equal(where.pid, process.pid);
    assert.notEqual(where.threadId, 0, "ran on a worker thread, not the main thread");
  });

  test("toThread awaits an async worker function (test_threads.py test_to_thread_args_kwargs)", async () => {
    assert.equal(await runMain(() => asyncio.toThread(asyncDouble, 21)), 42);
  });

  test("runInExecutor with a ThreadPoolExecutor (test_events.py test_run_in_executor)", async () => {
    const pool = threads(2);
    const r = await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const fut = loop.runInExecutor(pool, fib, 15);
      assert.ok(asyncio.isFuture(fut));
      return [await fut, await loop.runInExecutor(pool, whoami)] as const;
    });
    assert.equal(r[0], 610);
    assert.equal(r[1].pid, process.pid);
    assert.notEqual(r[1].threadId, 0);
    await pool.shutdown();
  });

  test("runInExecutor with a ProcessPoolExecutor runs in another process (test_events.py test_run_in_executor)", async () => {
    const pool = processes(2);
    const r = await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      return [await loop.runInExecutor(pool, fib, 15), await loop.runInExecutor(pool, whoami)] as const;
    });
    assert.equal(r[0], 610);
    assert.notEqual(r[1].pid, process.pid);
    await pool.shutdown();
    assert.equal(pool.processCount, 0);
  });

  for (const kind of ["threads", "processes"] as const) {
    test(`arguments and results are structured-cloned both ways [${kind}]`, async () => {
      const pool = kind === "threads" ? threads(1) : processes(1);
      const arg = {
        map: new Map<number, string>([[1, "one"]]),
        big: 5n,
        date: new Date(5),
        nothing: undefined,
        nil: null,
        list: [1, "two", { three: 3 }],
      };
      const out = await runMain(() => asyncio.getRunningLoop().runInExecutor(pool, describeValue, arg));
      assert.deepEqual(out.received, arg);
      assert.deepEqual(out.kinds, {
        map: "Map",
        big: "bigint",
        date: "Date",
        nothing: "undefined",
        nil: "null",
        list: "Array",
      });
      assert.deepEqual(out.made, {
        map: new Map([
          ["one", 1],
          ["two", 2],
        ]),
        set: new Set([1n, 2n]),
        date: new Date(0),
        bytes: Uint8Array.from([1, 2, 3]),
        nested: { deep: [1, { deeper: "yes" }], undef: undefined },
      });
      await pool.shutdown();
    });
  }

  for (const kind of ["threads", "processes"] as const) {
    test(`an error in the worker is re-thrown with its class name, message and the worker's stack [${kind}] (test_threads.py test_to_thread_exception; test_concurrent_futures test_traceback)`, async () => {
      const pool = kind === "threads" ? threads(1) : processes(1);
      const e = (await runMain(() =>
        thrownBy(asyncio.getRunningLoop().runInExecutor(pool, fail, "boom")),
      )) as Error;
      assert.ok(e instanceof Error);
      assert.equal(e.message, "boom");
      assert.match(e.stack ?? "", /fixtures[/\\]work\.ts/, "the worker's stack names the fixture");
      assert.match(e.stack ?? "", /failDeep/);
      assert.equal(e.name, "WorkError", "the worker's error class name survives the trip");
      await pool.shutdown();
    });
  }

  test("a built-in error type thrown in a worker stays that type [threads, processes]", async () => {
    const tp = threads(1);
    const pp = processes(1);
    const [te, pe] = await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      return [
        await thrownBy(loop.runInExecutor(tp, failType, "bad thread")),
        await thrownBy(loop.runInExecutor(pp, failType, "bad process")),
      ];
    });
    assert.ok(te instanceof TypeError);
    assert.equal(te.message, "bad thread");
    assert.ok(pe instanceof TypeError);
    assert.equal(pe.message, "bad process");
    await Promise.all([tp.shutdown(), pp.shutdown()]);
  });
});

// ---- bounded pools ---------------------------------------------------------------------------

describe("bounded pools", () => {
  test("ThreadPoolExecutor maxWorkers 2: 6 jobs all run, exactly 2 at once at most (test_concurrent_futures test_saturation)", async () => {
    const pool = threads(2);
    const { sab, a } = shared();
    const results = await runMain(() =>
      asyncio.gather(
        Array.from({ length: 6 }, (_, id) =>
          asyncio.getRunningLoop().runInExecutor(pool, boundedThreadJob, sab, id, 2),
        ),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.id),
      [0, 1, 2, 3, 4, 5],
    );
    assert.equal(Atomics.load(a, SLOT.FINISHED), 6);
    // The first two jobs wait for each other, so two ran at once; never more.
    assert.equal(Atomics.load(a, SLOT.PEAK), 2);
    assert.ok(new Set(results.map((r) => r.threadId)).size <= 2, "at most two threads served the six jobs");
    await pool.shutdown();
  });

  test("ProcessPoolExecutor maxWorkers 2: 6 jobs all run, exactly 2 at once at most, on 2 reused processes (test_process_pool.py test_saturation)", async () => {
    const pool = processes(2);
    const log = tmp("bounded.log");
    writeFileSync(log, "");
    const results = await runMain(() =>
      asyncio.gather(
        Array.from({ length: 6 }, (_, id) =>
          asyncio.getRunningLoop().runInExecutor(pool, boundedProcessJob, log, id, 2),
        ),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.id),
      [0, 1, 2, 3, 4, 5],
    );
    // Replay the log in order: concurrency never exceeds 2, and reaches it.
    let running = 0;
    let peak = 0;
    const pids = new Set<string>();
    for (const line of lines(log)) {
      const [what, , pid] = line.split(" ");
      pids.add(pid!);
      running += what === "start" ? 1 : -1;
      peak = Math.max(peak, running);
    }
    assert.equal(lines(log).length, 12);
    assert.equal(running, 0);
    assert.equal(peak, 2);
    assert.equal(pids.size, 2, "the two processes are reused for the six jobs");
    assert.ok(!pids.has(String(process.pid)));
    assert.ok(pool.processCount <= 2);
    await pool.shutdown();
  });
});

// ---- cancellation --------------------------------------------------------------------------

describe("cancellation", () => {
  test("cancelling a queued job removes it: it never runs [threads] (test_events.py test_run_in_executor_cancel)", async () => {
    const pool = threads(1);
    const { sab, a } = shared();
    const marker = tmp("queued-thread.marker");
    const later = tmp("after-thread.marker");
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const blocker = loop.runInExecutor(pool, blockThread, sab);
      await until(() => Atomics.load(a, SLOT.STARTED) === 1, "the blocking job to start", blocker);
      const queued = loop.runInExecutor(pool, writeMarker, marker);
      await asyncio.sleep(0);
      assert.equal(pool.queueSize, 1);
      assert.ok(queued.cancel());
      assert.ok((await thrownBy(queued)) instanceof asyncio.CancelledError);
      assert.equal(pool.queueSize, 0);
      release(a);
      assert.equal((await blocker).released, true);
      // A job submitted later runs; the cancelled one, queued before it, did not.
      assert.equal(await loop.runInExecutor(pool, writeMarker, later), "ran");
    });
    assert.ok(existsSync(later));
    assert.ok(!existsSync(marker), "the cancelled queued job never ran");
    await pool.shutdown();
    assert.ok(!existsSync(marker));
  });

  test("cancelling a queued job removes it: it never runs [processes] (test_events.py test_run_in_executor_cancel)", async () => {
    const pool = processes(1);
    const log = tmp("queued-process.log");
    const go = goFile("queued-process.go");
    const marker = tmp("queued-process.marker");
    const later = tmp("after-process.marker");
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const blocker = loop.runInExecutor(pool, blockProcess, log, go);
      await until(() => lines(log).length === 1, "the blocking job to start", blocker);
      const queued = loop.runInExecutor(pool, writeMarker, marker);
      assert.equal(pool.queueSize, 1);
      assert.ok(queued.cancel());
      assert.ok((await thrownBy(queued)) instanceof asyncio.CancelledError);
      assert.equal(pool.queueSize, 0);
      writeFileSync(go, "");
      assert.equal((await blocker).released, true);
      assert.equal(await loop.runInExecutor(pool, writeMarker, later), "ran");
    });
    assert.ok(existsSync(later));
    assert.ok(!existsSync(marker), "the cancelled queued job never ran");
    await pool.shutdown();
    assert.ok(!existsSync(marker));
  });

  test("cancelling the task awaiting a running thread job rejects it at once; the pool keeps working (test_threads.py cancellation)", async () => {
    const pool = threads(1);
    const { sab, a } = shared();
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const task = asyncio.createTask(async () => await loop.runInExecutor(pool, blockThread, sab));
      await until(() => Atomics.load(a, SLOT.STARTED) === 1, "the job to start", task);
      task.cancel();
      assert.ok((await thrownBy(task)) instanceof asyncio.CancelledError);
      assert.ok(task.cancelled());
      // The job was never released: the caller did not wait for it to finish.
      assert.equal(Atomics.load(a, SLOT.FINISHED), 0);
      assert.equal(await loop.runInExecutor(pool, fib, 10), 55);
    });
    release(a);
    await pool.shutdown();
  });

  test("cancelling the task awaiting a running process job rejects it at once and kills the process; the next job gets a fresh one", async () => {
    const pool = processes(1);
    const log = tmp("running.log");
    const go = goFile("running.go");
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const task = asyncio.createTask(async () => await loop.runInExecutor(pool, blockProcess, log, go));
      await until(() => lines(log).length === 1, "the job to start", task);
      const pid = Number(lines(log)[0]!.split(" ")[1]);
      assert.ok(alive(pid));
      task.cancel();
      assert.ok((await thrownBy(task)) instanceof asyncio.CancelledError);
      assert.deepEqual(lines(log), [`started ${pid}`], "the job had not finished");
      await until(() => !alive(pid), "the cancelled job's process to be gone");
      const next = await loop.runInExecutor(pool, whoami);
      assert.notEqual(next.pid, pid, "the next job runs on a fresh process");
      assert.ok(alive(next.pid));
      assert.equal(pool.processCount, 1);
    });
    writeFileSync(go, "");
    assert.deepEqual(lines(log).length, 1, "the killed job never wrote its finished line");
    await pool.shutdown();
  });

  test("waitFor around toThread → TimeoutError (test_waitfor.py: wait_for cancels the inner awaitable)", async () => {
    const { sab, a } = shared();
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const e = await thrownBy(asyncio.waitFor(asyncio.toThread(blockThread, sab), 0.05));
      assert.ok(e instanceof asyncio.TimeoutError);
      assert.equal(Atomics.load(a, SLOT.FINISHED), 0);
      release(a);
      // The default pool still works after the timed-out job.
      assert.equal(await asyncio.toThread(fib, 12), 144);
      await loop.shutdownDefaultExecutor();
    });
  });
});

// ---- broken pools, shutdown ------------------------------------------------------------------

describe("broken pools and shutdown", () => {
  test("a worker process that dies → BrokenProcessPool; the pool keeps working (test_process_pool.py test_killed_child)", async () => {
    const pool = processes(2);
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const e = await thrownBy(loop.runInExecutor(pool, exitAbruptly, 3));
      assert.ok(e instanceof asyncio.BrokenProcessPool);
      assert.ok(e instanceof asyncio.RuntimeError);
      assert.equal(e.name, "BrokenProcessPool");
      assert.match(e.message, /terminated abruptly.*exit code 3.*exitAbruptly/);
      assert.deepEqual(
        await asyncio.gather([loop.runInExecutor(pool, fib, 10), loop.runInExecutor(pool, fib, 11)]),
        [55, 89],
      );
      assert.notEqual((await loop.runInExecutor(pool, whoami)).pid, process.pid);
    });
    await pool.shutdown();
    assert.equal(pool.processCount, 0);
  });

  for (const kind of ["threads", "processes"] as const) {
    test(`shutdown({ wait: true }) waits for the running job [${kind}] (test_concurrent_futures test_shutdown.py)`, async () => {
      const order: string[] = [];
      if (kind === "threads") {
        const pool = threads(1);
        const { sab, a } = shared();
        const job = pool.submit(blockThread, [sab]).then((r) => order.push(`job released=${r.released}`));
        await runMain(() => until(() => Atomics.load(a, SLOT.STARTED) === 1, "the job to start", job));
        const done = pool.shutdown({ wait: true }).then(() => order.push("shutdown"));
        await runMain(() => asyncio.sleep(0.05));
        assert.deepEqual(order, [], "shutdown does not return while the job runs");
        release(a);
        await Promise.all([job, done]);
      } else {
        const pool = processes(1);
        const log = tmp("shutdown.log");
        const go = goFile("shutdown.go");
        const job = pool
          .submit(blockProcess, [log, go])
          .then((r) => order.push(`job released=${r.released}`));
        await runMain(() => until(() => lines(log).length === 1, "the job to start", job));
        const done = pool.shutdown({ wait: true }).then(() => order.push("shutdown"));
        await runMain(() => asyncio.sleep(0.05));
        assert.deepEqual(order, [], "shutdown does not return while the job runs");
        writeFileSync(go, "");
        await Promise.all([job, done]);
        assert.equal(pool.processCount, 0);
      }
      assert.deepEqual(order, ["job released=true", "shutdown"]);
    });
  }

  for (const kind of ["threads", "processes"] as const) {
    test(`shutdown({ cancelFutures: true }) cancels queued jobs, lets the running one finish [${kind}] (test_shutdown.py test_cancel_futures)`, async () => {
      const markers = [tmp("cf1.marker"), tmp("cf2.marker")];
      let running: Promise<{ released: boolean }>;
      let releaseIt: () => void;
      let pool: asyncio.ThreadPoolExecutor | asyncio.ProcessPoolExecutor;
      if (kind === "threads") {
        pool = threads(1);
        const { sab, a } = shared();
        running = pool.submit(blockThread, [sab]);
        await runMain(() => until(() => Atomics.load(a, SLOT.STARTED) === 1, "the job to start", running));
        releaseIt = () => release(a);
      } else {
        pool = processes(1);
        const log = tmp("cf.log");
        const go = goFile("cf.go");
        running = pool.submit(blockProcess, [log, go]);
        await runMain(() => until(() => lines(log).length === 1, "the job to start", running));
        releaseIt = () => writeFileSync(go, "");
      }
      const queued = Promise.allSettled(markers.map((m) => pool.submit(writeMarker, [m])));
      const runningOutcome = running.then(
        (r) => `finished released=${r.released}`,
        (e) => `rejected ${(e as Error).name}: ${(e as Error).message}`,
      );
      const done = pool.shutdown({ cancelFutures: true });
      const queuedOutcomes = (await queued).map((o) =>
        o.status === "fulfilled" ? `ran ${o.value}` : (o.reason as Error).name,
      );
      releaseIt();
      await done;
      assert.deepEqual(
        { queued: queuedOutcomes, running: await runningOutcome },
        { queued: ["CancelledError", "CancelledError"], running: "finished released=true" },
        "queued jobs are cancelled; the running one finishes",
      );
      for (const m of markers) assert.ok(!existsSync(m), "a cancelled queued job never ran");
    });
  }

  for (const kind of ["threads", "processes"] as const) {
    test(`submit / runInExecutor after shutdown → RuntimeError [${kind}] (test_shutdown.py test_run_after_shutdown)`, async () => {
      const pool = kind === "threads" ? threads(1) : processes(1);
      await pool.shutdown();
      const e = await thrownBy(pool.submit(fib, [3]));
      assert.ok(e instanceof asyncio.RuntimeError);
      assert.match((e as Error).message, /cannot schedule new futures after shutdown/);
      const e2 = await runMain(() => thrownBy(asyncio.getRunningLoop().runInExecutor(pool, fib, 3)));
      assert.ok(e2 instanceof asyncio.RuntimeError);
    });
  }

  for (const kind of ["threads", "processes"] as const) {
    test(`a job that finishes after its loop was closed is dropped quietly [${kind}] (futures.py _chain_future: destination loop closed)`, async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown): void => {
        unhandled.push(e);
      };
      process.on("unhandledRejection", onUnhandled);
      try {
        const loop = asyncio.newEventLoop();
        const called: string[] = [];
        let pool: asyncio.Executor;
        let releaseIt: () => void;
        if (kind === "threads") {
          pool = threads(1);
          const { sab, a } = shared();
          loop.runInExecutor(pool, blockThread, sab).addDoneCallback(() => called.push("done callback"));
          await untilOutsideLoop(() => Atomics.load(a, SLOT.STARTED) === 1, "the job to start");
          releaseIt = () => release(a);
        } else {
          pool = processes(1);
          const log = tmp("closed.log");
          const go = goFile("closed.go");
          loop.runInExecutor(pool, blockProcess, log, go).addDoneCallback(() => called.push("done callback"));
          await untilOutsideLoop(() => lines(log).length === 1, "the job to start");
          releaseIt = () => writeFileSync(go, "");
        }
        loop.close();
        releaseIt();
        await pool.shutdown({ wait: true }); // the running job has finished and reported back
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(unhandled, [], "no 'Event loop is closed' escapes as an unhandled rejection");
        assert.deepEqual(called, [], "a closed loop runs no callbacks");
      } finally {
        process.off("unhandledRejection", onUnhandled);
      }
    });
  }

  for (const kind of ["threads", "processes"] as const) {
    test(`shutdown({ wait: true }) also runs the jobs still queued [${kind}] (test_shutdown.py test_hang_issue12364)`, async () => {
      const pool = kind === "threads" ? threads(1) : processes(1);
      const jobs = Promise.allSettled([10, 11, 12, 13].map((n) => pool.submit(fib, [n])));
      await pool.shutdown({ wait: true });
      const outcomes = (await jobs).map((o) =>
        o.status === "fulfilled" ? o.value : `${(o.reason as Error).name}: ${(o.reason as Error).message}`,
      );
      assert.deepEqual(outcomes, [55, 89, 144, 233]);
    });
  }

  test("setDefaultExecutor: toThread uses it; shutdownDefaultExecutor shuts it down (test_base_events.py test_set_default_executor)", async () => {
    const pool = processes(1);
    const where = await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      loop.setDefaultExecutor(pool);
      const w = await asyncio.toThread(whoami);
      await loop.shutdownDefaultExecutor();
      return w;
    });
    assert.notEqual(where.pid, process.pid, "the default executor was the process pool");
    assert.ok((await thrownBy(pool.submit(fib, [3]))) instanceof asyncio.RuntimeError, "it was shut down");
    assert.throws(() => asyncio.newEventLoop().setDefaultExecutor({} as asyncio.Executor), TypeError);
  });

  /** Write a child program in the temporary directory; it imports the library and the fixture by URL. */
  const childScript = (body: string[]): string => {
    const script = tmp("child.mts");
    const index = pathToFileURL(join(root, "src", "index.ts")).href;
    writeFileSync(
      script,
      [
        `import * as asyncio from ${JSON.stringify(index)};`,
        `const fib = asyncio.workerFunction(${JSON.stringify(WORK.href)}, "fib");`,
        "const outcome = (p) => p.then(String, (e) => e.name);",
        ...body,
      ].join("\n"),
    );
    return script;
  };
  const runChild = (
    script: string,
  ): Promise<{ code: number | null; signal: string | null; stdout: string }> =>
    new Promise((resolve) => {
      // The timeout only turns a hang (a pool keeping the process alive) into a failure.
      execFile(
        process.execPath,
        ["--import", "tsx", script],
        { cwd: root, timeout: 30_000 },
        (err, stdout) => {
          const e = err as (Error & { code?: number; signal?: string }) | null;
          resolve({ code: e ? (e.code ?? null) : 0, signal: e?.signal ?? null, stdout });
        },
      );
    });

  test("loop.close() shuts down the implicit default thread pool: the program exits 0 (test_base_events.py test_close → default executor shutdown)", async () => {
    const r = await runChild(
      childScript([
        "const loop = asyncio.newEventLoop();",
        "console.log(await loop.runUntilComplete(loop.runInExecutor(null, fib, 20)));",
        "loop.close();",
        'console.log("closed");',
      ]),
    );
    assert.deepEqual(r, { code: 0, signal: null, stdout: "6765\nclosed\n" });
  });

  for (const pool of [
    "new asyncio.ThreadPoolExecutor({ maxWorkers: 1, idleTimeout: 3600 })",
    "new asyncio.ProcessPoolExecutor({ maxWorkers: 1 })",
  ]) {
    test(`loop.close() shuts down the executor set with setDefaultExecutor: ${pool} (test_base_events.py test_close → default executor shutdown)`, async () => {
      const r = await runChild(
        childScript([
          "const loop = asyncio.newEventLoop();",
          `const pool = ${pool};`,
          "loop.setDefaultExecutor(pool);",
          "console.log(await loop.runUntilComplete(loop.runInExecutor(null, fib, 20)));",
          "loop.close();",
          'console.log("closed");',
          "console.log('submit after close: ' + (await outcome(pool.submit(fib, [3]))));",
        ]),
      );
      assert.deepEqual(r, {
        code: 0,
        signal: null,
        stdout: "6765\nclosed\nsubmit after close: RuntimeError\n",
      });
    });
  }

  test("await ProcessPoolExecutor.shutdown() keeps the program alive until its processes have exited (test_shutdown.py test_processes_terminate)", async () => {
    const r = await runChild(
      childScript([
        "const pool = new asyncio.ProcessPoolExecutor({ maxWorkers: 2 });",
        "console.log(await asyncio.run(() => asyncio.getRunningLoop().runInExecutor(pool, fib, 20)));",
        "await pool.shutdown({ wait: true });",
        "console.log('shut down, processes: ' + pool.processCount);",
      ]),
    );
    assert.deepEqual(r, { code: 0, signal: null, stdout: "6765\nshut down, processes: 0\n" });
  });
});

// ---- argument validation -------------------------------------------------------------------

describe("argument validation", () => {
  test("a plain function → TypeError that says to use workerFunction (test_events.py test_run_in_executor: callable check)", async () => {
    const { fib: plainFib } = await import("../fixtures/work.js");
    const pool = threads(1);
    const hint = /a function cannot be sent to a worker.*workerFunction\(import\.meta\.url, "fib"\)/;
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      assert.throws(
        () => loop.runInExecutor(null, plainFib as any, 3),
        (e: unknown) => {
          assert.ok(e instanceof TypeError);
          assert.match((e as Error).message, hint);
          return true;
        },
      );
      assert.throws(() => loop.runInExecutor(pool, plainFib as any, 3), hint);
      assert.throws(() => asyncio.toThread(plainFib as any, 3), hint);
      assert.throws(() => pool.submit(plainFib as any, [3]), hint);
      assert.throws(() => loop.runInExecutor(pool, { nope: 1 } as any), /expected a workerFunction/);
      await loop.shutdownDefaultExecutor();
    });
    assert.throws(() => asyncio.workerFunction(WORK, ""), TypeError);
    assert.throws(() => asyncio.workerFunction(42 as any, "fib"), TypeError);
    await pool.shutdown();
  });

  test("a missing export → TypeError from the worker", async () => {
    const pool = threads(1);
    const e = await runMain(() =>
      thrownBy(asyncio.getRunningLoop().runInExecutor(pool, asyncio.workerFunction(WORK, "noSuchExport"))),
    );
    assert.ok(e instanceof TypeError);
    assert.match((e as Error).message, /no exported function 'noSuchExport'/);
    await pool.shutdown();
  });

  for (const [name, Pool] of [
    ["ThreadPoolExecutor", asyncio.ThreadPoolExecutor],
    ["ProcessPoolExecutor", asyncio.ProcessPoolExecutor],
  ] as const) {
    test(`${name} maxWorkers: 0 or negative → ValueError, non-integer → TypeError (test_concurrent_futures test_max_workers_negative)`, () => {
      for (const n of [0, -1])
        assert.throws(
          () => new Pool({ maxWorkers: n }),
          (e: unknown) => e instanceof asyncio.ValueError && /greater than 0/.test((e as Error).message),
        );
      for (const n of [1.5, "2", Number.NaN, Number.POSITIVE_INFINITY])
        assert.throws(() => new Pool({ maxWorkers: n as number }), TypeError);
      const ok = new Pool({ maxWorkers: 1 });
      assert.equal(ok.maxWorkers, 1);
      return ok.shutdown();
    });
  }
});
