// A first end-to-end pass over the core; the detailed ports live in the per-module files.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as asyncio from "../../src/index.js";
import { bothForms, runMain } from "../helpers.js";

test("run() returns the main coroutine's result", async () => {
  assert.equal(await runMain(async () => 42), 42);
});

bothForms("cancel delivered at the await point (test_tasks.test_cancel_inner_future)", {
  async: async () => {
    const log: string[] = [];
    await runMain(async () => {
      const t = asyncio.createTask(async () => {
        try {
          await asyncio.sleep(10);
        } finally {
          log.push("finally");
        }
      });
      await asyncio.sleep(0);
      t.cancel("bye");
      await assert.rejects(t, (e: unknown) => e instanceof asyncio.CancelledError && e.message === "bye");
      assert.ok(t.cancelled());
    });
    assert.deepEqual(log, ["finally"]);
  },
  gen: async () => {
    const log: string[] = [];
    await runMain(async () => {
      const body = asyncio.coroutine(function* () {
        try {
          yield* asyncio.sleep(10);
        } finally {
          log.push("finally");
        }
      });
      const t = asyncio.createTask(body());
      await asyncio.sleep(0);
      t.cancel("bye");
      await assert.rejects(t, (e: unknown) => e instanceof asyncio.CancelledError && e.message === "bye");
      assert.ok(t.cancelled());
    });
    assert.deepEqual(log, ["finally"]);
  },
});
