// Type tests of the fan-out helpers' signatures (issue 8 §4), checked by `npm run typecheck`
// (tsconfig.json includes test/) and run by the test runner, which asserts the values computed.
//
// `expectType<Equal<typeof x, T>>(true)` compiles only when `x` is exactly `T`: `T | undefined`
// fails. Each `@ts-expect-error` marks a call that must not compile; tsc reports the directive
// itself as unused if the call ever does.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as asyncio from "../../src/index.js";

const {
  ArgumentTypeError,
  Queue,
  ValueError,
  coroutine,
  createTask,
  ensureFuture,
  gather,
  run,
  shield,
  sleep,
  taskGroup,
  timeout,
  waitFor,
} = asyncio;

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

/** Compiles only for `expectType<true>(true)`, i.e. when the `Equal<…>` check holds. */
function expectType<T>(_value: T): void {}

async function job(): Promise<number> {
  return 1;
}

/**
 * An awaitable whose type is none of `AwaitableLike`'s members (an `Awaitable<T>` with an optional
 * member), so `T` is inferred structurally. With a `Future<T>` member in `AwaitableLike<T>`, that
 * inference made `T | undefined` under a contextual type.
 */
function labelled<T>(result: T): asyncio.Awaitable<T> & { readonly label?: string } {
  return Object.assign(sleep(0.5, result), { label: "labelled" });
}

/** A contextual return type takes part in inference: it must not bring `undefined` in either. */
async function shieldedString(): Promise<string> {
  return await shield(sleep(0, "x"));
}

async function waitedItem(q: asyncio.Queue<number>): Promise<number> {
  return await waitFor(q.get(), 1);
}

test("await forms are typed exactly (no `| undefined`) and give these values", async () => {
  const out = await run(
    async () => {
      const q = new Queue<number>();
      await q.put(1);
      const a = await waitFor(q.get(), 1);
      expectType<Equal<typeof a, number>>(true);
      assert.equal(a, 1);

      const b = await shield(sleep(0, "x"));
      expectType<Equal<typeof b, string>>(true);
      assert.equal(b, "x");

      const c = await gather(sleep(0, "x"));
      expectType<Equal<typeof c, [string]>>(true);
      assert.deepEqual(c, ["x"]);

      await q.put(2);
      const d = await gather(sleep(0, "x"), q.get());
      expectType<Equal<typeof d, [string, number]>>(true);
      assert.deepEqual(d, ["x", 2]);

      const list = [sleep(0, "a"), sleep(1, "b")];
      const e = await gather(list);
      expectType<Equal<typeof e, string[]>>(true);
      assert.deepEqual(e, ["a", "b"]);

      const mixed = await gather([coroutine(job)(), sleep(0, "x")]);
      expectType<Equal<typeof mixed, (number | string)[]>>(true);
      assert.deepEqual(mixed, [1, "x"]);

      const f = await gather(() => job(), coroutine(job)());
      expectType<Equal<typeof f, [number, number]>>(true);
      assert.deepEqual(f, [1, 1]);

      const g = await ensureFuture(Promise.resolve(7));
      expectType<Equal<typeof g, number>>(true);
      assert.equal(g, 7);

      const h = await createTask(() => job());
      expectType<Equal<typeof h, number>>(true);
      assert.equal(h, 1);

      const i = await waitFor(() => job(), 1);
      expectType<Equal<typeof i, number>>(true);
      assert.equal(i, 1);

      const j = await timeout(1, async () => 5);
      expectType<Equal<typeof j, number>>(true);
      assert.equal(j, 5);

      // `undefined` only when tg.cancel() stopped the body (see taskGroup's TSDoc).
      const k = await taskGroup(async (_tg) => 5);
      expectType<Equal<typeof k, number | undefined>>(true);
      assert.equal(k, 5);
      const stopped = await taskGroup(async (tg) => {
        tg.createTask(() => sleep(10));
        tg.cancel();
        await sleep(1);
        return 5;
      });
      expectType<Equal<typeof stopped, number | undefined>>(true);
      assert.equal(stopped, undefined);

      const task = createTask(sleep(1, "t"));
      const l = await shield(task);
      expectType<Equal<typeof l, string>>(true);
      assert.equal(l, "t");

      const m = await waitFor(labelled("d"), 1);
      const n = await shield(labelled("d"));
      const o = await ensureFuture(labelled(3));
      const p = await gather(labelled("d"), labelled(3));
      expectType<Equal<typeof m, string>>(true);
      expectType<Equal<typeof n, string>>(true);
      expectType<Equal<typeof o, number>>(true);
      expectType<Equal<typeof p, [string, number]>>(true);
      assert.deepEqual([m, n, o, p], ["d", "d", 3, ["d", 3]]);

      // Contextually typed: the annotation takes part in inference (TS2322 when `undefined` leaked).
      const typed: string = await shield(sleep(0, "x"));
      const [dStr, dNum] = [labelled("d"), labelled(3)];
      const typedM: string = await waitFor(dStr, 1);
      const typedN: string = await shield(dStr);
      const typedO: number = await ensureFuture(dNum);
      const typedP: [string, number] = await gather(dStr, dNum);
      await q.put(3);
      assert.deepEqual(
        [typed, typedM, typedN, typedO, typedP, await shieldedString(), await waitedItem(q)],
        ["x", "d", "d", 3, ["d", 3], "x", 3],
      );
      return "done";
    },
    { virtualTime: true },
  );
  expectType<Equal<typeof out, string>>(true);
  assert.equal(out, "done");
});

test("yield* forms in generator coroutines are typed the same", async () => {
  const body = coroutine(function* (q: asyncio.Queue<number>) {
    yield* q.put(1);
    const a = yield* waitFor(q.get(), 1);
    const b = yield* shield(sleep(0, "x"));
    const c = yield* gather(sleep(0, "x"));
    yield* q.put(2);
    const d = yield* gather(sleep(0, "x"), q.get());
    const e = yield* gather([sleep(0, "a"), sleep(0, "b")]);
    const f = yield* gather(() => job(), coroutine(job)());
    const g = yield* ensureFuture(Promise.resolve(7));
    const h = yield* createTask(() => job());
    const i = yield* waitFor(() => job(), 1);
    const j = yield* timeout(1, async () => 5);
    const k = yield* taskGroup(async (_tg) => 5);
    expectType<Equal<typeof a, number>>(true);
    expectType<Equal<typeof b, string>>(true);
    expectType<Equal<typeof c, [string]>>(true);
    expectType<Equal<typeof d, [string, number]>>(true);
    expectType<Equal<typeof e, string[]>>(true);
    expectType<Equal<typeof f, [number, number]>>(true);
    expectType<Equal<typeof g, number>>(true);
    expectType<Equal<typeof h, number>>(true);
    expectType<Equal<typeof i, number>>(true);
    expectType<Equal<typeof j, number>>(true);
    expectType<Equal<typeof k, number | undefined>>(true);
    return [a, b, c, d, e, f, g, h, i, j, k] as const;
  });
  const out = await run(() => body(new Queue<number>()), { virtualTime: true });
  assert.deepEqual(out, [1, "x", ["x"], ["x", 2], ["a", "b"], [1, 1], 7, 1, 1, 5, 5]);
});

test("what the runtime refuses does not compile either", async () => {
  // @ts-expect-error asyncio.run(main()): a started Promise; pass main itself.
  await assert.rejects(run(job()), ValueError);
  await run(
    async () => {
      // @ts-expect-error a started Promise: its first part already ran in the caller's task.
      assert.throws(() => createTask(job()), ArgumentTypeError);
      const fut = createTask(sleep(1, 1));
      // @ts-expect-error a Future or Task is already scheduled: it cannot be a task's body.
      assert.throws(() => createTask(fut), ArgumentTypeError);
      // @ts-expect-error not awaitable.
      assert.throws(() => createTask(42), ArgumentTypeError);
      // @ts-expect-error not awaitable.
      assert.throws(() => gather(42), ArgumentTypeError);
      // @ts-expect-error not awaitable.
      await assert.rejects(async () => await waitFor(42, 1), ArgumentTypeError);
      // @ts-expect-error the delay is a number of seconds.
      assert.throws(() => sleep("1"), ArgumentTypeError);
      await taskGroup(async (tg) => {
        // @ts-expect-error a started Promise, as for createTask().
        assert.throws(() => tg.createTask(job()), ArgumentTypeError);
      });
      const q = new Queue<number>();
      // @ts-expect-error a Queue<number> takes numbers (only the type system checks this one).
      await q.put("x");
      assert.equal(q.getNowait(), "x");
      await fut;
    },
    { virtualTime: true },
  );
});
