// Lazy bodies are branded (issue 12): `createTask` / `ensureFuture` / `gather` start an object with
// `_start()` only when its class is one of aiots' lazy awaitables (Coroutine, GenOp, LazyOp, the
// sleeps). A look-alike with a `_start()` method of its own is not awaitable: the documented error.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GenOp, LazyOp, NOT_READY } from "../../src/asyncio/kernel.js";
import * as asyncio from "../../src/index.js";
import { runMain } from "../helpers.js";

const { ArgumentTypeError, coroutine, createTask, ensureFuture, gather } = asyncio;

/** An object that looks like a lazy body: `_start()` returns a generator that would run. */
function lookAlike(): { started: number; _start(): Generator<unknown, string, unknown> } {
  const o = {
    started: 0,
    _start() {
      o.started++;
      // biome-ignore lint/correctness/useYield: a body that returns at once
      return (function* () {
        return "ran";
      })();
    },
  };
  return o;
}

describe("lazy bodies are branded", () => {
  test("createTask refuses a plain object with a _start() method, without starting it", async () => {
    await runMain(async () => {
      const o = lookAlike();
      assert.throws(
        () => createTask(o as never),
        (e: unknown) =>
          e instanceof ArgumentTypeError && /createTask\(\): a coroutine was expected, got/.test(e.message),
      );
      assert.equal(o.started, 0);
    });
  });

  test("ensureFuture and gather refuse it too (not awaitable)", async () => {
    await runMain(async () => {
      const o = lookAlike();
      assert.throws(
        () => ensureFuture(o as never),
        (e: unknown) =>
          e instanceof ArgumentTypeError &&
          e.message === "An asyncio.Future, a coroutine or an awaitable is required",
      );
      assert.throws(() => gather([o as never]), ArgumentTypeError);
      assert.equal(o.started, 0);
    });
  });

  test("gather takes a trailing look-alike for its options, not for an awaitable", async () => {
    await runMain(async () => {
      const o = lookAlike();
      // A plain, non-awaitable object in last position is the options object (as any other would be).
      const g = gather(asyncio.sleep(0, 1), o as never);
      assert.deepEqual(await g, [1]);
      assert.equal(o.started, 0);
    });
  });

  test("Coroutine, GenOp, LazyOp and the sleeps still run as tasks", async () => {
    await runMain(async () => {
      const coro = coroutine(async (x: number) => x + 1);
      const genCoro = coroutine(function* (x: number) {
        yield* asyncio.sleep(0);
        return x * 2;
      });
      const op = new GenOp(function* () {
        yield* asyncio.sleep(0);
        return "genop";
      });
      let ready = false;
      const lazy = new LazyOp(
        () => (ready ? "fast" : NOT_READY),
        function* () {
          yield* asyncio.sleep(0);
          return "slow";
        },
        undefined,
      );
      assert.equal(await createTask(coro(1)), 2);
      assert.equal(await createTask(genCoro(2)), 4);
      assert.equal(await createTask(op), "genop");
      assert.equal(await createTask(lazy), "slow");
      ready = true;
      assert.equal(await ensureFuture(lazy), "fast");
      assert.equal(await ensureFuture(coro(5)), 6);
      assert.equal(await ensureFuture(asyncio.sleep(0, "s0")), "s0");
      assert.equal(await ensureFuture(asyncio.sleep(0.001, "s1")), "s1");
      assert.deepEqual(await gather(coro(1), genCoro(1), op, asyncio.sleep(0, "z")), [2, 2, "genop", "z"]);
    });
  });

  test("a function returning a look-alike fails the task with the documented error", async () => {
    await runMain(async () => {
      const o = lookAlike();
      const t = createTask(() => o as never);
      await assert.rejects(
        t,
        (e: unknown) =>
          e instanceof ArgumentTypeError &&
          /a coroutine, generator or awaitable was expected, got/.test(e.message),
      );
      assert.equal(o.started, 0);
    });
  });
});

// A stream read that finds its data buffered completes when called (`eager`): what it returns must
// still be accepted where a coroutine is, as `asyncio.create_task(reader.readline())` is in Python.
describe("operations that complete when called are still coroutines to createTask", () => {
  function buffered(text: string): asyncio.StreamReader {
    const r = new asyncio.StreamReader();
    r.feedData(Buffer.from(text));
    return r;
  }

  test("createTask / ensureFuture / gather of reader.readline() with the line buffered (async code)", async () => {
    await runMain(async () => {
      const r = buffered("a\nb\nc\nd\n");
      const t = createTask(r.readline());
      assert.ok(t instanceof asyncio.Task);
      assert.equal(String(await t), "a\n");
      assert.equal(String(await ensureFuture(r.readline())), "b\n");
      const [c, d] = await gather(r.readline(), r.readline());
      assert.deepEqual([String(c), String(d)], ["c\n", "d\n"]);
    });
  });

  test("the same inside a generator coroutine (where the completed read is yield*-able)", async () => {
    const main = coroutine(function* () {
      const r = buffered("a\nb\n");
      const t = createTask(r.readline());
      const first = yield* t;
      const second = yield* r.readline();
      return [String(first), String(second)];
    });
    assert.deepEqual(await asyncio.run(main()), ["a\n", "b\n"]);
  });

  test("readexactly(0) resolves to an empty buffer and is a task body too", async () => {
    await runMain(async () => {
      const r = buffered("xy");
      assert.equal((await createTask(r.readexactly(2))).toString(), "xy");
      assert.equal((await createTask(r.read(0))).length, 0);
    });
  });

  test("the task of a completed read is done at once: cancelling it cannot drop the line", async () => {
    await runMain(async () => {
      const r = buffered("a\nb\n");
      const t = createTask(r.readline());
      assert.equal(t.done(), true);
      assert.equal(t.cancel(), false);
      assert.equal(String(t.result()), "a\n");
      // A TaskGroup aborted before its tasks ran, or waitFor(…, 0): the line is still delivered.
      assert.equal(String(await asyncio.waitFor(r.readline(), 0)), "b\n");
    });
  });

  test("waitFor of a completed read returns it without a task (as CPython awaits the coroutine in place)", async () => {
    await runMain(async () => {
      const r = buffered("x\n");
      const before = asyncio.allTasks().size;
      const p = asyncio.waitFor(r.readline(), 5);
      assert.equal(asyncio.allTasks().size, before);
      assert.equal(String(await p), "x\n");
    });
  });

  test("a started promise of an async function is still refused", async () => {
    await runMain(async () => {
      const started = (async () => 1)();
      assert.throws(() => createTask(started as never), ArgumentTypeError);
      await started;
    });
  });
});
