// No lost errors, no opaque cancellations (issue 8 §3). CPython reports a failed future or task
// nobody retrieved when it is destroyed (Lib/test/test_asyncio/test_futures.py
// `test_tb_logger_exception_unretrieved`, test_tasks.py `test_exception_traceback`-style checks,
// test_base_events.py `test_default_exc_handler_coro`); reference counting makes that prompt. Here it
// happens when the collector finds it, and at the latest when the loop closes (end of `run()`).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as asyncio from "../../src/index.js";
import { caught } from "../helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Run `main` with `asyncio.run`, collecting every exception-handler context of its loop. */
async function runCollecting<T>(
  main: () => Promise<T>,
  options?: asyncio.RunOptions,
): Promise<{ result: T; contexts: asyncio.ExceptionContext[] }> {
  const contexts: asyncio.ExceptionContext[] = [];
  const result = await asyncio.run(async () => {
    asyncio.getRunningLoop().setExceptionHandler((_loop, ctx) => {
      contexts.push(ctx);
    });
    return await main();
  }, options);
  return { result, contexts };
}

async function failSoon(msg: string): Promise<never> {
  await asyncio.sleep(0);
  throw new asyncio.ValueError(msg);
}

describe("unretrieved exceptions are reported, deterministically", () => {
  test("a failed task nobody awaited is reported by the time run() returns", async () => {
    const { contexts } = await runCollecting(async () => {
      asyncio.createTask(() => failSoon("lost"), { name: "loser" });
      for (let i = 0; i < 3; i++) await asyncio.sleep(0); // it has failed; main ends
    });
    assert.equal(contexts.length, 1);
    assert.equal(contexts[0]!.message, "Task exception was never retrieved");
    assert.match(String(contexts[0]!.future), /name='loser'/);
    assert.ok(contexts[0]!.exception instanceof asyncio.ValueError);
    assert.equal((contexts[0]!.exception as Error).message, "lost");
  });

  test("a plain Future failed and never retrieved is reported as a Future", async () => {
    const { contexts } = await runCollecting(async () => {
      asyncio.getRunningLoop().createFuture().setException(new asyncio.RuntimeError("f"));
    });
    assert.deepEqual(
      contexts.map((c) => c.message),
      ["Future exception was never retrieved"],
    );
  });

  test("retrieved late (several iterations after failing): no report", async () => {
    const { contexts } = await runCollecting(async () => {
      const t = asyncio.createTask(() => failSoon("late"));
      for (let i = 0; i < 10; i++) await asyncio.sleep(0);
      assert.ok(t.exception() instanceof asyncio.ValueError);
    });
    assert.deepEqual(contexts, []);
  });

  test("awaited, gathered, or with returnExceptions: no report", async () => {
    const { contexts } = await runCollecting(async () => {
      await caught(asyncio.createTask(() => failSoon("awaited")));
      await caught(
        asyncio.gather(
          () => failSoon("gathered"),
          () => failSoon("gathered too"),
        ),
      );
      await asyncio.gather([() => failSoon("as result")], { returnExceptions: true });
      for (let i = 0; i < 5; i++) await asyncio.sleep(0);
    });
    assert.deepEqual(contexts, []);
  });

  test("a task failing while run() cancels the rest is reported once, as a shutdown error", async () => {
    const { contexts } = await runCollecting(async () => {
      asyncio.createTask(async () => {
        try {
          await asyncio.sleep(3600);
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: the point of the test
          throw new asyncio.ValueError("in finally");
        }
      });
      await asyncio.sleep(0);
    });
    assert.deepEqual(
      contexts.map((c) => c.message),
      ["unhandled exception during asyncio.run() shutdown"],
    );
  });

  test("loop.close() reports what a manually driven loop left unretrieved", async () => {
    const loop = asyncio.newEventLoop();
    const seen: string[] = [];
    loop.setExceptionHandler((_l, ctx) => {
      seen.push(`${ctx.message}: ${(ctx.exception as Error).message}`);
    });
    await loop.runUntilComplete(async () => {
      asyncio.createTask(() => failSoon("manual"));
      for (let i = 0; i < 3; i++) await asyncio.sleep(0);
    });
    assert.deepEqual(seen, []); // still referenced nowhere, but not collected yet
    loop.close();
    assert.deepEqual(seen, ["Task exception was never retrieved: manual"]);
  });

  test("2 000 failed, never awaited tasks are collected and reported, like 2 000 successful ones", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--expose-gc", "--import", "tsx", join("test", "fixtures", "gc-report.ts"), "lost"],
      { cwd: root, timeout: 60_000 },
    );
    const report = JSON.parse(stdout) as { lost: string[]; lostCounts: number[] };
    const [failedCollected, succeededCollected, reportedBeforeClose, reportedInAll] = report.lostCounts;
    assert.ok(failedCollected! >= 1900, `failed tasks collected: ${failedCollected}`);
    assert.ok(succeededCollected! >= 1900, `successful tasks collected: ${succeededCollected}`);
    assert.ok(reportedBeforeClose! >= failedCollected!, "every collected failure was reported");
    assert.equal(reportedInAll, 2000, "close() reported the rest: every failure exactly once");
    assert.match(report.lost[0]!, /Task exception was never retrieved[\s\S]*ValueError: lost/);
  });
});

describe("a cancellation escaping run() says which task and why", () => {
  test("the error names the main task and the cancel message", async () => {
    const err = await caught(
      asyncio.run(async () => {
        asyncio.currentTask()!.setName("main-task");
        const me = asyncio.currentTask()!;
        asyncio.getRunningLoop().callSoon(() => me.cancel("shutting down"));
        await asyncio.sleep(3600);
      }),
    );
    assert.ok(err instanceof asyncio.CancelledError);
    assert.equal(err.message, "shutting down"); // still Python's str(CancelledError)
    assert.match(
      err.stack!,
      /the main task 'main-task' of run\(\) was cancelled \(cancel message "shutting down"\)/,
    );
    assert.match(err.stack!, /run in debug mode to see where cancel\(\) was called/);
    assert.match(err.stack!, /unretrieved\.test\.ts/, "the stack shows who called run()");
    assert.equal((err as Error).cause, undefined); // no chain, as CPython's (test_cancel_gather_2)
  });

  test("in debug mode it shows where cancel() was called", async () => {
    const err = await caught(
      asyncio.run(
        async () => {
          const me = asyncio.currentTask()!;
          asyncio.getRunningLoop().callSoon(function theCanceller() {
            me.cancel();
          });
          await asyncio.sleep(3600);
        },
        { debug: true },
      ),
    );
    assert.ok(err instanceof asyncio.CancelledError);
    assert.match(err.stack!, /\(no cancel message\)/);
    assert.match(err.stack!, /cancel\(\) was called at:\n\s+at theCanceller/);
  });
});
