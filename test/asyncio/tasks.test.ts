// Port of CPython's Lib/test/test_asyncio/test_tasks.py: Task basics and cancellation.
// Every cancellation case runs twice: with async functions and with generator coroutines.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import * as asyncio from "../../src/index.js";
import { bothForms, cancelledWith, isCancelled, loopNow, outcome, runBriefly, runMain } from "../helpers.js";

const { RuntimeError, coroutine, createTask, currentTask, sleep } = asyncio;
const execFileP = promisify(execFile);

describe("Task basics", () => {
  test("test_task_class (test_tasks.py)", async () => {
    await runMain(async () => {
      const notmuch = coroutine(async () => "ok");
      const t = createTask(notmuch());
      assert.ok(t instanceof asyncio.Task);
      assert.ok(t instanceof asyncio.Future);
      assert.equal(await t, "ok");
      assert.ok(t.done());
      assert.equal(t.result(), "ok");
      assert.equal(t.getLoop(), loopNow());
    });
    // A task bound to an explicit loop.
    const loop = asyncio.newEventLoop();
    try {
      const t = loop.createTask(coroutine(async () => "ok")());
      assert.equal(t.getLoop(), loop);
      assert.equal(await loop.runUntilComplete(t), "ok");
      assert.equal(t.result(), "ok");
    } finally {
      loop.close();
    }
  });

  test("test_task_basics (test_tasks.py) — both coroutine forms", async () => {
    const inner1 = coroutine(async () => 42);
    const inner2 = coroutine(async () => 1000);
    const outer = coroutine(async () => {
      const a = await inner1();
      const b = await inner2();
      return a + b;
    });
    assert.equal(await runMain(() => outer()), 1042);

    // biome-ignore lint/correctness/useYield: a generator coroutine that finishes in its first step
    const gInner1 = coroutine(function* () {
      return 42;
    });
    const gInner2 = coroutine(function* () {
      yield;
      return 1000;
    });
    const gOuter = coroutine(function* () {
      const a = yield* gInner1();
      const b = yield* gInner2();
      return a + b;
    });
    assert.equal(await runMain(() => gOuter()), 1042);
  });

  test("test_create_task_with_async_function (test_tasks.py): every accepted body form", async () => {
    await runMain(async () => {
      // coroutine() object
      assert.equal(await createTask(coroutine(async (x: number) => x * 2)(21)), 42);
      // generator coroutine object
      const gen = coroutine(function* () {
        yield;
        return "gen";
      });
      assert.equal(await createTask(gen()), "gen");
      // plain generator object
      function* plain(): asyncio.CoroutineGenerator<string> {
        yield* sleep(0);
        return "plain";
      }
      assert.equal(await createTask(plain()), "plain");
      // zero-argument function (thunk), called inside the new task
      let inside: asyncio.Task<unknown> | null = null;
      const t = createTask(async () => {
        inside = currentTask();
        await sleep(0);
        return "thunk";
      });
      assert.equal(await t, "thunk");
      assert.equal(inside, t);
      // an already-started promise is refused, showing the fix (issue 8; DESIGN-NOTES §3)
      const started = (async () => {
        await sleep(0);
        return "promise";
      })();
      assert.throws(() => createTask(started as never), /already started.*createTask\(\(\) =>/s);
      assert.equal(await started, "promise");
    });
  });

  test("test_create_task_with_asynclike_function (test_tasks.py): a coroutine-like object", async () => {
    await runMain(async () => {
      // CPython's CoroLike implements the coroutine protocol (send/throw/close); ours, the
      // generator protocol that generator coroutines use.
      const coroLike = (): Generator<unknown, number, unknown> => {
        const it = {
          next: (): IteratorResult<unknown, number> => ({ done: true, value: 42 }),
          throw: (e: unknown): never => {
            throw e;
          },
          return: (v: number): IteratorResult<unknown, number> => ({ done: true, value: v }),
          [Symbol.iterator]: () => it,
        };
        return it as unknown as Generator<unknown, number, unknown>;
      };
      const t = createTask(coroLike());
      assert.ok(t instanceof asyncio.Task);
      assert.equal(await t, 42);
      // a second time (CPython checks that caching in iscoroutine() does not break things)
      assert.equal(await createTask(coroLike()), 42);
      // a plain thenable is no coroutine: it already started, so it is refused
      const thenable = { then: (onOk: (v: number) => void) => onOk(42) };
      assert.throws(() => createTask(thenable as never), /already started/);
    });
  });

  test("test_create_task_with_noncoroutine (test_tasks.py)", async () => {
    await runMain(async () => {
      for (let i = 0; i < 2; i++) {
        assert.throws(
          () => createTask(123 as any),
          (e: unknown) => {
            return e instanceof TypeError && /a coroutine was expected, got 123/.test(e.message);
          },
        );
      }
      assert.throws(() => createTask(null as any), TypeError);
      assert.throws(() => createTask(loopNow().createFuture() as any), TypeError);
      assert.equal(asyncio.allTasks().size, 1); // nothing was registered
    });
  });

  test("test_bare_create_named_task (test_tasks.py)", async () => {
    await runMain(async () => {
      const t = createTask(async () => {}, { name: "No-op" });
      assert.equal(t.getName(), "No-op");
      assert.match(String(t), /name='No-op'/);
      await t;
      const t2 = loopNow().createTask(async () => {}, { name: "via-loop" });
      assert.equal(t2.getName(), "via-loop");
      await t2;
    });
  });

  test("test_task_repr_autogenerated (test_tasks.py): default names Task-N, increasing", async () => {
    await runMain(async () => {
      const t1 = createTask(async () => 123);
      const t2 = createTask(async () => 123);
      const m1 = /^Task-(\d+)$/.exec(t1.getName());
      const m2 = /^Task-(\d+)$/.exec(t2.getName());
      assert.ok(m1 && m2, `${t1.getName()} / ${t2.getName()}`);
      assert.ok(Number(m1[1]) < Number(m2[1]));
      assert.match(String(t1), /^<Task pending name='Task-\d+'/);
      assert.notEqual(String(t1), String(t2));
      await t1;
      await t2;
    });
  });

  test("test_task_repr_name_not_str (test_tasks.py): setName stringifies", async () => {
    await runMain(async () => {
      const t = createTask(async () => 123);
      t.setName(6);
      assert.equal(t.getName(), "6");
      t.setName("renamed");
      assert.equal(t.getName(), "renamed");
      assert.match(String(t), /name='renamed'/);
      await t;
    });
  });

  test("test_get_coro (test_tasks.py)", async () => {
    await runMain(async () => {
      const coro = coroutine(async () => {})();
      const t = createTask(coro);
      await t;
      assert.equal(t.getCoro(), coro);
      const thunk = async () => 1;
      const t2 = createTask(thunk);
      await t2;
      assert.equal(t2.getCoro(), thunk);
    });
  });

  test("test_task_set_methods (test_tasks.py): setResult/setException throw RuntimeError", async () => {
    await runMain(async () => {
      const t = createTask(coroutine(async () => "ko")());
      assert.throws(
        () => t.setResult("ok"),
        (e: unknown) => {
          return e instanceof RuntimeError && /not support set_result/.test(e.message);
        },
      );
      assert.throws(
        () => t.setException(new Error("x")),
        (e: unknown) => {
          return e instanceof RuntimeError && /not support set_exception/.test(e.message);
        },
      );
      assert.equal(await t, "ko");
    });
  });

  test("test_step_result_future (test_tasks.py): the task resumes with the future's result", async () => {
    await runMain(async () => {
      const fut = loopNow().createFuture<object>();
      let result: object | null = null;
      const t = createTask(async () => {
        result = await fut;
      });
      await runBriefly();
      const res = {};
      fut.setResult(res);
      await runBriefly();
      assert.equal(result, res);
      assert.ok(t.done());
      assert.equal(t.result(), undefined);
    });
  });

  test("test_coroutine_non_gen_function (test_tasks.py)", async () => {
    const func = async () => "test";
    assert.ok(asyncio.iscoroutinefunction(func));
    const coro = coroutine(func)();
    assert.ok(asyncio.iscoroutine(coro));
    const loop = asyncio.newEventLoop();
    try {
      assert.equal(await loop.runUntilComplete(coro), "test");
    } finally {
      loop.close();
    }
  });

  test("test_exception_traceback (test_tasks.py): a failed task keeps its error", async () => {
    await runMain(async () => {
      const err = new RangeError("1 / 0");
      const t = createTask(async () => {
        throw err;
      });
      await runBriefly(2);
      assert.ok(t.done());
      assert.ok(!t.cancelled());
      assert.equal(t.exception(), err);
      assert.throws(
        () => t.result(),
        (e: unknown) => e === err,
      );
      assert.ok(typeof (t.exception() as Error).stack === "string");
    });
  });
});

describe("currentTask / allTasks", () => {
  test("test_current_task (test_tasks.py): null outside, the task inside — both forms", async () => {
    assert.equal(currentTask(), null);
    await runMain(async () => {
      let seen: unknown;
      const t: asyncio.Task<void> = createTask(async () => {
        seen = currentTask();
        await sleep(0);
        assert.equal(currentTask(), t);
      });
      await t;
      assert.equal(seen, t);
      let gseen: unknown;
      const g: asyncio.Task<void> = createTask(
        coroutine(function* () {
          gseen = currentTask();
          yield* sleep(0);
          assert.equal(currentTask(), g);
        })(),
      );
      await g;
      assert.equal(gseen, g);
    });
    assert.equal(currentTask(), null);
  });

  test("test_current_task_with_interleaving_tasks (test_tasks.py) — both forms", async () => {
    await runMain(async () => {
      const loop = loopNow();
      const fut1 = loop.createFuture<boolean>();
      const fut2 = loop.createFuture<boolean>();
      const task1: asyncio.Task<void> = createTask(async () => {
        assert.equal(currentTask(), task1);
        await fut1;
        assert.equal(currentTask(), task1);
        fut2.setResult(true);
      });
      const task2: asyncio.Task<void> = createTask(
        coroutine(function* () {
          assert.equal(currentTask(), task2);
          fut1.setResult(true);
          yield* fut2;
          assert.equal(currentTask(), task2);
        })(),
      );
      await asyncio.wait([task1, task2]);
      task1.result();
      task2.result();
    });
    assert.equal(currentTask(), null);
  });

  test("test_log_destroyed_pending_task (test_tasks.py, all_tasks part): allTasks holds pending tasks only", async () => {
    await runMain(async () => {
      const main = currentTask()!;
      const fut = loopNow().createFuture<void>();
      const t = createTask(async () => {
        await fut;
      });
      const all = asyncio.allTasks();
      assert.equal(all.size, 2);
      assert.ok(all.has(main));
      assert.ok(all.has(t));
      assert.ok(asyncio.allTasks(loopNow()).has(t));
      fut.setResult();
      await t;
      assert.ok(!asyncio.allTasks().has(t));
      assert.equal(asyncio.allTasks().size, 1);
    });
  });
});

// Where allTasks() finds a pending task at each point of its life (see task-registry.ts): unstarted
// (the ready queue), in its first step or with its async body still running (in flight), suspended
// after that (the list); gone once done.
describe("allTasks across a task's life", () => {
  test("unstarted, in its first step, awaiting a foreign promise, suspended on an aiots future, done", async () => {
    await runMain(async () => {
      const main = currentTask()!;
      const fut = loopNow().createFuture<void>();
      const seenInFirstStep: boolean[] = [];
      let release!: () => void;
      const foreign = new Promise<void>((r) => {
        release = r;
      });
      const a = createTask(async () => {
        seenInFirstStep.push(asyncio.allTasks().has(a));
        await foreign; // never tells aiots it suspended
        await fut;
      });
      const b = createTask(async () => {
        await fut;
      });
      const g = createTask(function* (): Generator<unknown, void, unknown> {
        yield* fut;
      });
      assert.deepEqual([...asyncio.allTasks()].sort(byName), [main, a, b, g].sort(byName)); // unstarted
      await sleep(0);
      await sleep(0);
      assert.deepEqual(seenInFirstStep, [true]);
      assert.deepEqual([...asyncio.allTasks()].sort(byName), [main, a, b, g].sort(byName)); // started
      release();
      await sleep(0);
      assert.equal(asyncio.allTasks().size, 4); // a now waits on fut
      fut.setResult();
      await asyncio.gather(a, b, g);
      assert.deepEqual([...asyncio.allTasks()], [main]);
    });
  });

  test("a closed loop still lists the tasks that never started (test_tasks.py all_tasks)", () => {
    const loop = asyncio.newEventLoop();
    const t = loop.createTask(async () => {});
    assert.ok(asyncio.allTasks(loop).has(t));
    loop.close();
    assert.ok(asyncio.allTasks(loop).has(t));
    assert.equal(t.done(), false);
  });

  test("a task refused by a closed loop is not listed, in debug mode either (CPython checks before it makes one)", () => {
    for (const debug of [false, true]) {
      const loop = asyncio.newEventLoop();
      loop.setDebug(debug);
      loop.close();
      assert.throws(() => createTask(async () => {}, { loop }), RuntimeError);
      assert.throws(() => asyncio.ensureFuture((function* () {})(), { loop }), RuntimeError);
      assert.equal(asyncio.allTasks(loop).size, 0, `debug=${debug}`);
    }
  });

  test("a task on a foreign promise is found, and cancelled, by run() at its end", async () => {
    const log: string[] = [];
    await runMain(async () => {
      createTask(async () => {
        await new Promise((r) => setTimeout(r, 5)); // never tells aiots it suspended
        log.push("foreign promise settled");
        try {
          await sleep(0);
        } catch (e) {
          log.push(isCancelled(e) ? "cancelled at its next aiots await" : "other");
          throw e;
        }
      });
      createTask(async () => {
        try {
          await Promise.resolve();
          await sleep(3600);
        } catch (e) {
          log.push(isCancelled(e) ? "cancelled" : "other");
          throw e;
        }
      });
      await sleep(0);
      await sleep(0);
      assert.equal(asyncio.allTasks().size, 3);
    });
    assert.deepEqual(log, ["cancelled", "foreign promise settled", "cancelled at its next aiots await"]);
  });
});

function byName(x: asyncio.Task<unknown>, y: asyncio.Task<unknown>): number {
  return x.getName() < y.getName() ? -1 : x.getName() > y.getName() ? 1 : 0;
}

describe("ensureFuture", () => {
  test("test_ensure_future_coroutine (test_tasks.py)", async () => {
    await runMain(async () => {
      const notmuch = coroutine(async () => "ok");
      const t = asyncio.ensureFuture(notmuch());
      assert.ok(t instanceof asyncio.Task);
      assert.equal(t.getLoop(), loopNow());
      assert.equal(await t, "ok");
      const g = asyncio.ensureFuture(
        // biome-ignore lint/correctness/useYield: a generator coroutine that finishes in its first step
        coroutine(function* () {
          return "gen";
        })(),
      );
      assert.ok(g instanceof asyncio.Task);
      assert.equal(await g, "gen");
    });
  });

  test("test_ensure_future_future / test_ensure_future_task (test_tasks.py): returned as is", async () => {
    await runMain(async () => {
      const f = loopNow().createFuture<string>();
      f.setResult("ko");
      assert.equal(asyncio.ensureFuture(f), f);
      assert.equal(asyncio.ensureFuture(f, { loop: loopNow() }), f);
      assert.equal(await asyncio.ensureFuture(f), "ko");
      const t = createTask(async () => "ok");
      assert.equal(asyncio.ensureFuture(t), t);
      assert.equal(await t, "ok");
    });
  });

  test("test_ensure_future_awaitable (test_tasks.py): a promise is wrapped in a Future", async () => {
    await runMain(async () => {
      const f = asyncio.ensureFuture(Promise.resolve("ok"));
      assert.ok(f instanceof asyncio.Future);
      assert.ok(!(f instanceof asyncio.Task));
      assert.equal(await f, "ok");
      const bad = asyncio.ensureFuture(Promise.reject(new Error("boom")));
      await assert.rejects(bad, /boom/);
    });
  });

  test("test_ensure_future_neither (test_tasks.py): TypeError for junk", async () => {
    await runMain(async () => {
      for (const junk of ["ok", 123, null, undefined, {}, [1]]) {
        assert.throws(() => asyncio.ensureFuture(junk as any), TypeError, `for ${String(junk)}`);
      }
    });
  });

  test("test_ensure_future_error_msg (test_tasks.py): a future of another loop → ValueError", async () => {
    await runMain(async () => {
      const other = asyncio.newEventLoop();
      try {
        const f = loopNow().createFuture();
        assert.throws(
          () => asyncio.ensureFuture(f, { loop: other }),
          (e: unknown) =>
            e instanceof asyncio.ValueError &&
            /The future belongs to a different loop than the one specified as the loop argument/.test(
              e.message,
            ),
        );
      } finally {
        other.close();
      }
    });
  });
});

describe("awaiting oddities", () => {
  bothForms("test_task_awaits_on_itself (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const task: asyncio.Task<void> = createTask(async () => {
          await task;
        });
        await runBriefly(3);
        assert.ok(task.done(), `still pending: ${task}`);
        await assert.rejects(task, (e: unknown) => {
          return e instanceof RuntimeError && /Task cannot await on itself/.test(e.message);
        });
      });
    },
    gen: async () => {
      await runMain(async () => {
        const task: asyncio.Task<void> = createTask(
          coroutine(function* () {
            yield* task;
          })(),
        );
        await runBriefly(3);
        assert.ok(task.done());
        await assert.rejects(task, (e: unknown) => {
          return e instanceof RuntimeError && /Task cannot await on itself/.test(e.message);
        });
      });
    },
  });

  bothForms("test_other_loop_future (test_tasks.py)", {
    async: async () => {
      const other = asyncio.newEventLoop();
      try {
        await runMain(async () => {
          const fut = other.createFuture<void>();
          const t = createTask(async () => {
            await fut;
          });
          await runBriefly(3);
          if (!t.done()) {
            fut.setResult(); // let a task that missed the loop check finish, so the test fails instead of hanging
            await runBriefly(3);
          }
          await assert.rejects(t, (e: unknown) => {
            return (
              e instanceof RuntimeError &&
              /Task .* got Future .* attached to a different loop/.test(e.message)
            );
          });
        });
      } finally {
        other.close();
      }
    },
    gen: async () => {
      const other = asyncio.newEventLoop();
      try {
        await runMain(async () => {
          const fut = other.createFuture<void>();
          const t = createTask(
            coroutine(function* () {
              yield* fut;
            })(),
          );
          await assert.rejects(t, (e: unknown) => {
            return (
              e instanceof RuntimeError &&
              /Task .* got Future .* attached to a different loop/.test(e.message)
            );
          });
        });
      } finally {
        other.close();
      }
    },
  });

  bothForms("test_task_repr_wait_for (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const fut = loopNow().createFuture<void>();
        const task = createTask(async () => {
          await fut;
        });
        await runBriefly();
        assert.ok(String(task).includes(`wait_for=${String(fut)}`), String(task));
        fut.setResult();
        await task;
      });
    },
    gen: async () => {
      await runMain(async () => {
        const fut = loopNow().createFuture<void>();
        const task = createTask(
          coroutine(function* () {
            yield* fut;
          })(),
        );
        await runBriefly();
        assert.ok(String(task).includes(`wait_for=${String(fut)}`), String(task));
        fut.setResult();
        await task;
      });
    },
  });
});

describe("cancellation", () => {
  bothForms("test_cancel (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const t = createTask(async () => {
          await sleep(10);
          return 12;
        });
        loopNow().callSoon(() => t.cancel());
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(t.cancelled());
        assert.equal(t.cancel(), false);
      });
    },
    gen: async () => {
      await runMain(async () => {
        const t = createTask(
          coroutine(function* () {
            yield* sleep(10);
            return 12;
          })(),
        );
        loopNow().callSoon(() => t.cancel());
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(t.cancelled());
        assert.equal(t.cancel(), false);
      });
    },
  });

  bothForms("test_cancel_yield (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        let reached = false;
        const t = createTask(async () => {
          await sleep(0);
          await sleep(0);
          reached = true;
          return 12;
        });
        await runBriefly(); // start the coroutine
        t.cancel();
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(t.cancelled());
        assert.equal(t.cancel(), false);
        assert.equal(reached, false);
      });
    },
    gen: async () => {
      await runMain(async () => {
        let reached = false;
        const t = createTask(
          coroutine(function* () {
            yield;
            yield;
            reached = true;
            return 12;
          })(),
        );
        await runBriefly();
        t.cancel();
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(t.cancelled());
        assert.equal(t.cancel(), false);
        assert.equal(reached, false);
      });
    },
  });

  bothForms("test_cancel_inner_future (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const f = loopNow().createFuture<void>();
        const t = createTask(async () => {
          await f;
          return 12;
        });
        await runBriefly();
        f.cancel();
        await assert.rejects(t, cancelledWith());
        assert.ok(f.cancelled());
        assert.ok(t.cancelled());
      });
    },
    gen: async () => {
      await runMain(async () => {
        const f = loopNow().createFuture<void>();
        const t = createTask(
          coroutine(function* () {
            yield* f;
            return 12;
          })(),
        );
        await runBriefly();
        f.cancel();
        await assert.rejects(t, cancelledWith());
        assert.ok(f.cancelled());
        assert.ok(t.cancelled());
      });
    },
  });

  bothForms("test_cancel_both_task_and_inner_future (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const f = loopNow().createFuture<void>();
        const t = createTask(async () => {
          await f;
          return 12;
        });
        await runBriefly();
        f.cancel();
        t.cancel();
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(f.cancelled());
        assert.ok(t.cancelled());
      });
    },
    gen: async () => {
      await runMain(async () => {
        const f = loopNow().createFuture<void>();
        const t = createTask(
          coroutine(function* () {
            yield* f;
            return 12;
          })(),
        );
        await runBriefly();
        f.cancel();
        t.cancel();
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(f.cancelled());
        assert.ok(t.cancelled());
      });
    },
  });

  bothForms("test_cancel_task_catching (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const fut1 = loopNow().createFuture<void>();
        const fut2 = loopNow().createFuture<void>();
        const t = createTask(async () => {
          await fut1;
          try {
            await fut2;
          } catch (e) {
            if (isCancelled(e)) return 42;
            throw e;
          }
          return 0;
        });
        await runBriefly();
        fut1.setResult();
        await runBriefly();
        t.cancel();
        assert.ok(fut2.cancelled());
        assert.equal(await t, 42);
        assert.ok(!t.cancelled());
      });
    },
    gen: async () => {
      await runMain(async () => {
        const fut1 = loopNow().createFuture<void>();
        const fut2 = loopNow().createFuture<void>();
        const t = createTask(
          coroutine(function* () {
            yield* fut1;
            try {
              yield* fut2;
            } catch (e) {
              if (isCancelled(e)) return 42;
              throw e;
            }
            return 0;
          })(),
        );
        await runBriefly();
        fut1.setResult();
        await runBriefly();
        t.cancel();
        assert.ok(fut2.cancelled());
        assert.equal(await t, 42);
        assert.ok(!t.cancelled());
      });
    },
  });

  bothForms("test_cancel_task_ignoring (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = loopNow();
        const [fut1, fut2, fut3] = [
          loop.createFuture<void>(),
          loop.createFuture<void>(),
          loop.createFuture<number>(),
        ];
        const t = createTask(async () => {
          await fut1;
          try {
            await fut2;
          } catch (e) {
            if (!isCancelled(e)) throw e;
          }
          return await fut3;
        });
        await runBriefly();
        fut1.setResult();
        await runBriefly();
        t.cancel();
        assert.ok(fut2.cancelled());
        await runBriefly();
        assert.ok(!t.done());
        fut3.setResult(42);
        assert.equal(await t, 42);
        assert.ok(!fut3.cancelled());
        assert.ok(!t.cancelled());
      });
    },
    gen: async () => {
      await runMain(async () => {
        const loop = loopNow();
        const [fut1, fut2, fut3] = [
          loop.createFuture<void>(),
          loop.createFuture<void>(),
          loop.createFuture<number>(),
        ];
        const t = createTask(
          coroutine(function* () {
            yield* fut1;
            try {
              yield* fut2;
            } catch (e) {
              if (!isCancelled(e)) throw e;
            }
            return yield* fut3;
          })(),
        );
        await runBriefly();
        fut1.setResult();
        await runBriefly();
        t.cancel();
        assert.ok(fut2.cancelled());
        await runBriefly();
        assert.ok(!t.done());
        fut3.setResult(42);
        assert.equal(await t, 42);
        assert.ok(!fut3.cancelled());
        assert.ok(!t.cancelled());
      });
    },
  });

  bothForms("test_cancel_current_task (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        let afterSleep = false;
        const t: asyncio.Task<number> = createTask(async () => {
          t.cancel();
          assert.equal(t.cancelling(), 1);
          await sleep(100); // cancelled at once
          afterSleep = true;
          return 12;
        });
        assert.ok(!t.cancelled());
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(t.cancelled());
        assert.equal(afterSleep, false);
        assert.equal(t.cancel(), false);
      });
    },
    gen: async () => {
      await runMain(async () => {
        let afterSleep = false;
        const t: asyncio.Task<number> = createTask(
          coroutine(function* () {
            t.cancel();
            assert.equal(t.cancelling(), 1);
            yield* sleep(100);
            afterSleep = true;
            return 12;
          })(),
        );
        assert.ok(!t.cancelled());
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(t.cancelled());
        assert.equal(afterSleep, false);
        assert.equal(t.cancel(), false);
      });
    },
  });

  bothForms("test_cancel_at_end (test_tasks.py): a body returning right after cancel() ends cancelled", {
    async: async () => {
      await runMain(async () => {
        const t: asyncio.Task<number> = createTask(async () => {
          t.cancel();
          return 12;
        });
        assert.ok(!t.cancelled());
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(t.cancelled());
        assert.equal(t.cancel(), false);
      });
    },
    gen: async () => {
      await runMain(async () => {
        const t: asyncio.Task<number> = createTask(
          // biome-ignore lint/correctness/useYield: a generator coroutine that finishes in its first step
          coroutine(function* () {
            t.cancel();
            return 12;
          })(),
        );
        assert.ok(!t.cancelled());
        await assert.rejects(t, cancelledWith());
        assert.ok(t.done());
        assert.ok(t.cancelled());
        assert.equal(t.cancel(), false);
      });
    },
  });

  bothForms("test_cancel_awaited_task (test_tasks.py): a self-cancel reaches the next awaited task", {
    async: async () => {
      await runMain(async () => {
        const fut = loopNow().createFuture<void>();
        let nested: asyncio.Task<void> | undefined;
        const task: asyncio.Task<void> = createTask(async () => {
          nested = createTask(async () => {
            await fut;
          });
          await sleep(0);
          task.cancel();
          await nested;
        });
        await assert.rejects(task, cancelledWith());
        assert.ok(task.cancelled());
        assert.ok(nested!.cancelled());
        assert.ok(fut.cancelled());
      });
    },
    gen: async () => {
      await runMain(async () => {
        const fut = loopNow().createFuture<void>();
        let nested: asyncio.Task<void> | undefined;
        const task: asyncio.Task<void> = createTask(
          coroutine(function* () {
            nested = createTask(
              coroutine(function* () {
                yield* fut;
              })(),
            );
            yield* sleep(0);
            task.cancel();
            yield* nested;
          })(),
        );
        await assert.rejects(task, cancelledWith());
        assert.ok(task.cancelled());
        assert.ok(nested!.cancelled());
        assert.ok(fut.cancelled());
      });
    },
  });

  bothForms("cancelling a task that awaits another task cancels that one too (test_cancel_awaited_task)", {
    async: async () => {
      await runMain(async () => {
        const log: string[] = [];
        const inner = createTask(async () => {
          try {
            await sleep(10);
          } finally {
            log.push("inner finally");
          }
        });
        const outer = createTask(async () => {
          try {
            await inner;
          } finally {
            log.push("outer finally");
          }
        });
        await runBriefly();
        assert.ok(outer.cancel("stop"));
        await assert.rejects(outer, cancelledWith("stop"));
        assert.ok(inner.cancelled());
        assert.ok(outer.cancelled());
        assert.deepEqual(log, ["inner finally", "outer finally"]);
      });
    },
    gen: async () => {
      await runMain(async () => {
        const log: string[] = [];
        const inner = createTask(
          coroutine(function* () {
            try {
              yield* sleep(10);
            } finally {
              log.push("inner finally");
            }
          })(),
        );
        const outer = createTask(
          coroutine(function* () {
            try {
              yield* inner;
            } finally {
              log.push("outer finally");
            }
          })(),
        );
        await runBriefly();
        assert.ok(outer.cancel("stop"));
        await assert.rejects(outer, cancelledWith("stop"));
        assert.ok(inner.cancelled());
        assert.ok(outer.cancelled());
        assert.deepEqual(log, ["inner finally", "outer finally"]);
      });
    },
  });

  for (const msg of [undefined, "my message"]) {
    bothForms(`test_cancel_with_message_then_future_result (test_tasks.py) msg=${String(msg)}`, {
      async: async () => {
        await assert.rejects(
          runMain(async () => {
            const task = createTask(async () => {
              await sleep(10);
            });
            await sleep(0);
            task.cancel(msg);
            await asyncio.wait([task]);
            task.result();
          }),
          (e: unknown) => cancelledWith(msg ?? "")(e) && (e as Error).cause === undefined,
        );
      },
      gen: async () => {
        await assert.rejects(
          runMain(function* () {
            const task = createTask(
              coroutine(function* () {
                yield* sleep(10);
              })(),
            );
            yield* sleep(0);
            task.cancel(msg);
            yield* asyncio.wait([task]);
            task.result();
          }),
          (e: unknown) => cancelledWith(msg ?? "")(e) && (e as Error).cause === undefined,
        );
      },
    });

    bothForms(`test_cancel_with_message_then_future_exception (test_tasks.py) msg=${String(msg)}`, {
      async: async () => {
        await assert.rejects(
          runMain(async () => {
            const task = createTask(async () => {
              await sleep(10);
            });
            await sleep(0);
            task.cancel(msg);
            await asyncio.wait([task]);
            task.exception();
          }),
          cancelledWith(msg ?? ""),
        );
      },
      gen: async () => {
        await assert.rejects(
          runMain(function* () {
            const task = createTask(
              coroutine(function* () {
                yield* sleep(10);
              })(),
            );
            yield* sleep(0);
            task.cancel(msg);
            yield* asyncio.wait([task]);
            task.exception();
          }),
          cancelledWith(msg ?? ""),
        );
      },
    });
  }

  bothForms("test_cancellation_exception_context (test_tasks.py): the awaiting task sees the message", {
    async: async () => {
      await runMain(async () => {
        const fut = loopNow().createFuture<void>();
        const innerTask = createTask(async () => {
          fut.setResult();
          await sleep(10);
        });
        const outer = createTask(async () => {
          await fut;
          loopNow().callSoon(() => innerTask.cancel("msg"));
          try {
            await innerTask;
          } catch (ex) {
            if (isCancelled(ex)) throw new asyncio.ValueError("cancelled", { cause: ex });
            throw ex;
          }
        });
        const { ok, value } = await outcome(outer);
        assert.ok(!ok);
        assert.ok(value instanceof asyncio.ValueError);
        assert.equal(value.message, "cancelled");
        assert.ok(cancelledWith("msg")(value.cause));
        assert.ok(!outer.cancelled());
      });
    },
    gen: async () => {
      await runMain(async () => {
        const fut = loopNow().createFuture<void>();
        const innerTask = createTask(
          coroutine(function* () {
            fut.setResult();
            yield* sleep(10);
          })(),
        );
        const outer = createTask(
          coroutine(function* () {
            yield* fut;
            loopNow().callSoon(() => innerTask.cancel("msg"));
            try {
              yield* innerTask;
            } catch (ex) {
              if (isCancelled(ex)) throw new asyncio.ValueError("cancelled", { cause: ex });
              throw ex;
            }
          })(),
        );
        const { ok, value } = await outcome(outer);
        assert.ok(!ok);
        assert.ok(value instanceof asyncio.ValueError);
        assert.ok(cancelledWith("msg")(value.cause));
        assert.ok(!outer.cancelled());
      });
    },
  });

  bothForms("test_cancel_with_message_before_starting_task (test_tasks.py)", {
    async: async () => {
      let started = false;
      await assert.rejects(
        runMain(async () => {
          const task = createTask(async () => {
            started = true;
            await sleep(10);
          });
          task.cancel("my message"); // before it ever ran
          await asyncio.wait([task]);
          task.exception();
        }),
        cancelledWith("my message"),
      );
      assert.equal(started, false);
    },
    gen: async () => {
      let started = false;
      await assert.rejects(
        runMain(function* () {
          const task = createTask(
            coroutine(function* () {
              started = true;
              yield* sleep(10);
            })(),
          );
          task.cancel("my message");
          yield* asyncio.wait([task]);
          task.exception();
        }),
        cancelledWith("my message"),
      );
      assert.equal(started, false);
    },
  });

  bothForms(
    "a task cancelled before it starts never runs its body (test_cancel_with_message_before_starting_task)",
    {
      async: async () => {
        await runMain(async () => {
          let ran = false;
          const coro = coroutine(async () => {
            ran = true;
          })();
          const t = createTask(coro);
          assert.ok(t.cancel());
          await assert.rejects(t, cancelledWith());
          assert.equal(ran, false);
          // the coroutine was closed without running: it cannot be awaited any more
          await assert.rejects(async () => await coro, RuntimeError);
          assert.equal(ran, false);
        });
      },
      gen: async () => {
        await runMain(async () => {
          let ran = false;
          const coro = coroutine(function* () {
            ran = true;
            yield;
          })();
          const t = createTask(coro);
          assert.ok(t.cancel());
          await assert.rejects(t, cancelledWith());
          assert.equal(ran, false);
          await assert.rejects(async () => await coro, RuntimeError);
          assert.equal(ran, false);
        });
      },
    },
  );

  bothForms(
    "test_cancel_traceback_for_future_result (test_tasks.py): awaiting a cancelled task throws CancelledError",
    {
      async: async () => {
        await runMain(async () => {
          const outer = createTask(async () => {
            const task = createTask(async () => {
              await sleep(10);
            });
            await sleep(0);
            task.cancel();
            await task; // throws here
          });
          const { ok, value } = await outcome(outer);
          assert.ok(!ok);
          assert.ok(cancelledWith()(value));
          assert.equal(typeof (value as Error).stack, "string");
          assert.ok(outer.cancelled());
        });
      },
      gen: async () => {
        await runMain(async () => {
          const outer = createTask(
            coroutine(function* () {
              const task = createTask(
                coroutine(function* () {
                  yield* sleep(10);
                })(),
              );
              yield* sleep(0);
              task.cancel();
              yield* task;
            })(),
          );
          const { ok, value } = await outcome(outer);
          assert.ok(!ok);
          assert.ok(cancelledWith()(value));
          assert.ok(outer.cancelled());
        });
      },
    },
  );

  bothForms("test_cancelling (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const t = createTask(async () => {
          await sleep(10);
        });
        assert.equal(t.cancelling(), 0);
        assert.ok(!String(t).includes(" cancelling "));
        assert.ok(t.cancel());
        assert.equal(t.cancelling(), 1);
        assert.ok(String(t).includes("<Task cancelling "), String(t));
        assert.ok(t.cancel()); // a second request is accepted too
        assert.equal(t.cancelling(), 2);
        await assert.rejects(t, cancelledWith());
      });
    },
    gen: async () => {
      await runMain(async () => {
        const t = createTask(
          coroutine(function* () {
            yield* sleep(10);
          })(),
        );
        assert.equal(t.cancelling(), 0);
        assert.ok(t.cancel());
        assert.equal(t.cancelling(), 1);
        assert.ok(String(t).includes("<Task cancelling "), String(t));
        assert.ok(t.cancel());
        assert.equal(t.cancelling(), 2);
        await assert.rejects(t, cancelledWith());
      });
    },
  });

  bothForms("test_uncancel_basic (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const t = createTask(async () => {
          try {
            await sleep(10);
          } catch (e) {
            if (!isCancelled(e)) throw e;
            currentTask()!.uncancel();
            await sleep(10);
          }
        });
        await runBriefly();
        assert.ok(t.cancel()); // cancel the first sleep
        assert.equal(t.cancelling(), 1);
        assert.ok(!t.cancelled());
        await runBriefly(2);
        assert.equal(t.cancelling(), 0); // after uncancel()
        assert.ok(!t.done());
        assert.ok(t.cancel()); // cancel the second sleep
        assert.equal(t.cancelling(), 1);
        await assert.rejects(t, cancelledWith());
        assert.ok(t.cancelled());
        t.uncancel(); // no effect once done
        assert.ok(t.cancelled());
        assert.ok(t.done());
      });
    },
    gen: async () => {
      await runMain(async () => {
        const t = createTask(
          coroutine(function* () {
            try {
              yield* sleep(10);
            } catch (e) {
              if (!isCancelled(e)) throw e;
              currentTask()!.uncancel();
              yield* sleep(10);
            }
          })(),
        );
        await runBriefly();
        assert.ok(t.cancel());
        assert.equal(t.cancelling(), 1);
        assert.ok(!t.cancelled());
        await runBriefly(2);
        assert.equal(t.cancelling(), 0);
        assert.ok(!t.done());
        assert.ok(t.cancel());
        assert.equal(t.cancelling(), 1);
        await assert.rejects(t, cancelledWith());
        assert.ok(t.cancelled());
        t.uncancel();
        assert.ok(t.cancelled());
      });
    },
  });

  bothForms("test_uncancel_basic (test_tasks.py): repr says 'cancelling' while a request is pending", {
    async: async () => {
      await runMain(async () => {
        const t = createTask(async () => {
          try {
            await sleep(10);
          } catch (e) {
            if (!isCancelled(e)) throw e;
            currentTask()!.uncancel();
            await sleep(10);
          }
        });
        await runBriefly();
        t.cancel(); // delivered to the sleep the task is suspended on
        assert.ok(String(t).startsWith("<Task cancelling "), String(t));
        await runBriefly(2);
        assert.ok(String(t).startsWith("<Task pending "), String(t)); // after uncancel()
        t.cancel();
        await assert.rejects(t, cancelledWith());
        assert.ok(String(t).startsWith("<Task cancelled "), String(t));
      });
    },
    gen: async () => {
      await runMain(async () => {
        const t = createTask(
          coroutine(function* () {
            try {
              yield* sleep(10);
            } catch (e) {
              if (!isCancelled(e)) throw e;
              currentTask()!.uncancel();
              yield* sleep(10);
            }
          })(),
        );
        await runBriefly();
        t.cancel();
        assert.ok(String(t).startsWith("<Task cancelling "), String(t));
        await runBriefly(2);
        assert.ok(String(t).startsWith("<Task pending "), String(t));
        t.cancel();
        await assert.rejects(t, cancelledWith());
        assert.ok(String(t).startsWith("<Task cancelled "), String(t));
      });
    },
  });

  {
    // test_uncancel_structured_blocks: a hand-made timeout built on cancel()/uncancel().
    type Outcome = [timedOut: boolean, blockFinished: boolean, outerReached: boolean];

    const makeRequestAsync = async (sleepFor: number, timeoutAfter: number): Promise<Outcome> => {
      const task = currentTask()!;
      let timedOut = false;
      let blockFinished = false;
      const handle = task.getLoop().callLater(timeoutAfter, () => {
        timedOut = true;
        task.cancel();
      });
      try {
        try {
          await sleep(sleepFor);
          blockFinished = true;
        } catch (e) {
          if (timedOut && task.uncancel() === 0 && isCancelled(e)) throw new asyncio.TimeoutError();
          throw e;
        } finally {
          handle.cancel();
        }
      } catch (e) {
        if (!(e instanceof asyncio.TimeoutError)) throw e;
        assert.ok(timedOut);
      }
      await sleep(0); // outer code, not affected by the timeout
      return [timedOut, blockFinished, true];
    };

    const makeRequestGen = coroutine(function* (sleepFor: number, timeoutAfter: number) {
      const task = currentTask()!;
      let timedOut = false;
      let blockFinished = false;
      const handle = task.getLoop().callLater(timeoutAfter, () => {
        timedOut = true;
        task.cancel();
      });
      try {
        try {
          yield* sleep(sleepFor);
          blockFinished = true;
        } catch (e) {
          if (timedOut && task.uncancel() === 0 && isCancelled(e)) throw new asyncio.TimeoutError();
          throw e;
        } finally {
          handle.cancel();
        }
      } catch (e) {
        if (!(e instanceof asyncio.TimeoutError)) throw e;
        assert.ok(timedOut);
      }
      yield* sleep(0);
      return [timedOut, blockFinished, true] as Outcome;
    });

    bothForms("test_uncancel_structured_blocks (test_tasks.py)", {
      async: async () => {
        await runMain(async () => {
          const t1 = createTask(() => makeRequestAsync(10, 0.01));
          assert.deepEqual(await t1, [true, false, true]);
          assert.equal(t1.cancelling(), 0);
          const t2 = createTask(() => makeRequestAsync(0, 10));
          assert.deepEqual(await t2, [false, true, true]);
          assert.equal(t2.cancelling(), 0);
        });
      },
      gen: async () => {
        await runMain(async () => {
          const t1 = createTask(makeRequestGen(10, 0.01));
          assert.deepEqual(await t1, [true, false, true]);
          assert.equal(t1.cancelling(), 0);
          const t2 = createTask(makeRequestGen(0, 10));
          assert.deepEqual(await t2, [false, true, true]);
          assert.equal(t2.cancelling(), 0);
        });
      },
    });
  }

  bothForms("test_yield_future_passes_cancel (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        let proof = 0;
        const waiter = loopNow().createFuture<void>();
        const inner = async () => {
          try {
            await waiter;
          } catch (e) {
            if (isCancelled(e)) proof += 1;
            throw e;
          }
          assert.fail("got past the waiter in inner()");
        };
        const outer = coroutine(async () => {
          try {
            await inner();
          } catch (e) {
            if (!isCancelled(e)) throw e;
            proof += 100; // expected path
            return;
          }
          proof += 10;
        });
        const f = asyncio.ensureFuture(outer());
        await runBriefly();
        f.cancel();
        await f;
        assert.equal(proof, 101);
        assert.ok(waiter.cancelled());
        assert.ok(!f.cancelled());
      });
    },
    gen: async () => {
      await runMain(async () => {
        let proof = 0;
        const waiter = loopNow().createFuture<void>();
        const inner = coroutine(function* () {
          try {
            yield* waiter;
          } catch (e) {
            if (isCancelled(e)) proof += 1;
            throw e;
          }
          assert.fail("got past the waiter in inner()");
        });
        const outer = coroutine(function* () {
          try {
            yield* inner();
          } catch (e) {
            if (!isCancelled(e)) throw e;
            proof += 100;
            return;
          }
          proof += 10;
        });
        const f = asyncio.ensureFuture(outer());
        await runBriefly();
        f.cancel();
        await f;
        assert.equal(proof, 101);
        assert.ok(waiter.cancelled());
        assert.ok(!f.cancelled());
      });
    },
  });

  bothForms("test_task_cancel_sleeping_task (test_tasks.py)", {
    async: async () => {
      const result = await runMain(async () => {
        const sleeper = createTask(async () => {
          await sleep(5000);
        });
        loopNow().callLater(0.01, () => sleeper.cancel());
        try {
          await sleeper;
        } catch (e) {
          if (isCancelled(e)) return "cancelled";
          throw e;
        }
        return "slept in";
      });
      assert.equal(result, "cancelled");
    },
    gen: async () => {
      const result = await runMain(function* () {
        const sleeper = createTask(
          coroutine(function* () {
            yield* sleep(5000);
          })(),
        );
        loopNow().callLater(0.01, () => sleeper.cancel());
        try {
          yield* sleeper;
        } catch (e) {
          if (isCancelled(e)) return "cancelled";
          throw e;
        }
        return "slept in";
      });
      assert.equal(result, "cancelled");
    },
  });

  bothForms("test_task_cancel_waiter_future (test_tasks.py)", {
    async: async () => {
      await runMain(async () => {
        const fut = loopNow().createFuture<void>();
        const task = createTask(async () => {
          await fut;
        });
        await runBriefly();
        task.cancel();
        await runBriefly();
        await assert.rejects(task, cancelledWith());
        assert.ok(fut.cancelled());
        assert.ok(!String(task).includes("wait_for="));
      });
    },
    gen: async () => {
      await runMain(async () => {
        const fut = loopNow().createFuture<void>();
        const task = createTask(
          coroutine(function* () {
            yield* fut;
          })(),
        );
        await runBriefly();
        task.cancel();
        await runBriefly();
        await assert.rejects(task, cancelledWith());
        assert.ok(fut.cancelled());
        assert.ok(!String(task).includes("wait_for="));
      });
    },
  });

  bothForms("test_baseexception_during_cancel (test_tasks.py): another error raised on cancel wins", {
    async: async () => {
      await runMain(async () => {
        const baseExc = new Error("SystemExit");
        const sleeper = async () => {
          await sleep(10);
        };
        const t = createTask(async () => {
          try {
            await sleeper();
          } catch (e) {
            if (isCancelled(e)) throw baseExc;
            throw e;
          }
        });
        await runBriefly();
        t.cancel();
        assert.ok(!t.done());
        await runBriefly(2);
        assert.ok(t.done());
        assert.ok(!t.cancelled());
        assert.equal(t.exception(), baseExc);
      });
    },
    gen: async () => {
      await runMain(async () => {
        const baseExc = new Error("SystemExit");
        const sleeper = coroutine(function* () {
          yield* sleep(10);
        });
        const t = createTask(
          coroutine(function* () {
            try {
              yield* sleeper();
            } catch (e) {
              if (isCancelled(e)) throw baseExc;
              throw e;
            }
          })(),
        );
        await runBriefly();
        t.cancel();
        assert.ok(!t.done());
        await runBriefly(2);
        assert.ok(t.done());
        assert.ok(!t.cancelled());
        assert.equal(t.exception(), baseExc);
      });
    },
  });

  bothForms("cancel() on a done task returns false and changes nothing (test_cancel)", {
    async: async () => {
      await runMain(async () => {
        const t = createTask(async () => 5);
        assert.equal(await t, 5);
        assert.equal(t.cancel(), false);
        assert.equal(t.cancel("late"), false);
        assert.ok(!t.cancelled());
        assert.equal(t.result(), 5);
        assert.equal(t.cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(async () => {
        const t = createTask(
          coroutine(function* () {
            yield;
            return 5;
          })(),
        );
        assert.equal(await t, 5);
        assert.equal(t.cancel(), false);
        assert.ok(!t.cancelled());
        assert.equal(t.result(), 5);
      });
    },
  });

  bothForms("task.signal is aborted on cancel (test_cancel)", {
    async: async () => {
      await runMain(async () => {
        const t = createTask(async () => {
          await sleep(10);
        });
        const signal = t.signal;
        assert.ok(!signal.aborted);
        let reason: unknown;
        signal.addEventListener("abort", () => {
          reason = signal.reason;
        });
        await runBriefly();
        t.cancel("stop");
        assert.ok(signal.aborted);
        assert.ok(cancelledWith("stop")(reason));
        await assert.rejects(t, cancelledWith("stop"));
        // read only after the cancel: already aborted
        const t2 = createTask(async () => {});
        t2.cancel();
        assert.ok(t2.signal.aborted);
        await assert.rejects(t2, cancelledWith());
        // a task that finished normally: never aborted
        const t3 = createTask(async () => {});
        await t3;
        assert.ok(!t3.signal.aborted);
      });
    },
    gen: async () => {
      await runMain(async () => {
        const t = createTask(
          coroutine(function* () {
            yield* sleep(10);
          })(),
        );
        const signal = t.signal;
        await runBriefly();
        assert.ok(!signal.aborted);
        t.cancel("stop");
        assert.ok(signal.aborted);
        assert.ok(cancelledWith("stop")(signal.reason));
        await assert.rejects(t, cancelledWith("stop"));
      });
    },
  });

  bothForms("inside the task, currentTask().signal is the task's signal (test_current_task)", {
    async: async () => {
      await runMain(async () => {
        let seen: AbortSignal | undefined;
        const t = createTask(async () => {
          seen = currentTask()!.signal;
          await sleep(10);
        });
        await runBriefly();
        assert.equal(seen, t.signal);
        t.cancel();
        assert.ok(seen!.aborted);
        await assert.rejects(t, cancelledWith());
      });
    },
    gen: async () => {
      await runMain(async () => {
        let seen: AbortSignal | undefined;
        const t = createTask(
          coroutine(function* () {
            seen = currentTask()!.signal;
            yield* sleep(10);
          })(),
        );
        await runBriefly();
        assert.equal(seen, t.signal);
        t.cancel();
        assert.ok(seen!.aborted);
        await assert.rejects(t, cancelledWith());
      });
    },
  });

  bothForms("cancel while awaiting several awaitables at once (test_cancel_inner_future)", {
    async: async () => {
      await runMain(async () => {
        const loop = loopNow();
        const a = loop.createFuture<number>();
        const b = loop.createFuture<number>();
        const t = createTask(async () => {
          await Promise.all([a, b]);
        });
        await runBriefly();
        t.cancel();
        assert.ok(a.cancelled());
        assert.ok(b.cancelled());
        await assert.rejects(t, cancelledWith());
        assert.ok(t.cancelled());
      });
    },
    gen: async () => {
      await runMain(async () => {
        const loop = loopNow();
        const a = loop.createFuture<number>();
        const b = loop.createFuture<number>();
        const t = createTask(
          coroutine(function* () {
            yield* asyncio.gather(a, b);
          })(),
        );
        await runBriefly();
        t.cancel();
        await runBriefly();
        assert.ok(a.cancelled());
        assert.ok(b.cancelled());
        await assert.rejects(t, cancelledWith());
        assert.ok(t.cancelled());
      });
    },
  });

  bothForms(
    "cancel while suspended on a plain Promise is delivered at the next await (test_cancel_current_task)",
    {
      async: async () => {
        await runMain(async () => {
          const log: string[] = [];
          let resolve!: () => void;
          const p = new Promise<void>((r) => (resolve = r));
          const t = createTask(async () => {
            await p; // not an aiots awaitable: the cancel waits for the next one
            log.push("after promise");
            await sleep(0);
            log.push("after sleep");
          });
          await runBriefly();
          t.cancel();
          resolve();
          await assert.rejects(t, cancelledWith());
          assert.deepEqual(log, ["after promise"]);
          assert.ok(t.cancelled());
        });
      },
      gen: async () => {
        await runMain(async () => {
          const log: string[] = [];
          const p = new Promise<void>(() => {}); // never settles
          const t = createTask(
            coroutine(function* () {
              try {
                yield p; // wrapped in a Future: cancellable at once
                log.push("after promise");
              } finally {
                log.push("finally");
              }
            })(),
          );
          await runBriefly();
          t.cancel();
          await assert.rejects(t, cancelledWith());
          assert.deepEqual(log, ["finally"]);
          assert.ok(t.cancelled());
        });
      },
    },
  );

  test("an already-started promise is refused by createTask before anything is scheduled (issue 8)", async () => {
    await runMain(async () => {
      const log: string[] = [];
      const started = (async () => {
        await sleep(0);
        log.push("body done");
        return 1;
      })();
      const before = asyncio.allTasks().size;
      assert.throws(() => createTask(started as never), TypeError);
      assert.equal(asyncio.allTasks().size, before);
      assert.equal(await started, 1);
      assert.deepEqual(log, ["body done"]);
    });
  });

  test("yield* of an async coroutine: cancel reaches the async body (test_yield_future_passes_cancel)", async () => {
    await runMain(async () => {
      const log: string[] = [];
      const inner = coroutine(async () => {
        try {
          await sleep(10);
        } finally {
          log.push("inner finally");
        }
        return 1;
      });
      const t = createTask(
        coroutine(function* () {
          try {
            return yield* inner();
          } catch (e) {
            log.push(`outer caught ${(e as Error).name}`);
            throw e;
          }
        })(),
      );
      await runBriefly();
      t.cancel("x");
      await assert.rejects(t, cancelledWith("x"));
      await runBriefly(2);
      assert.ok(t.cancelled());
      assert.ok(log.includes("inner finally"), log.join());
      assert.ok(log.includes("outer caught CancelledError"), log.join());
    });
  });
});

describe("generator coroutines", () => {
  test("generator steps run back to back: the batch pauses for microtasks only after a step that started async code", async () => {
    await runMain(async () => {
      const log: string[] = [];
      const gen = (name: string) =>
        function* (): Generator<unknown, void, unknown> {
          log.push(name);
          Promise.resolve().then(() => log.push(`${name}: microtask`));
        };
      const asyncBody = async () => {
        log.push("async");
        Promise.resolve().then(() => log.push("async: microtask"));
      };
      const tasks = [createTask(gen("a")), createTask(gen("b")), createTask(asyncBody), createTask(gen("c"))];
      await asyncio.gather(tasks);
      // A synchronous step leaves nothing the loop waits for; an async body's start is followed by
      // its microtasks before the next step (as CPython runs a coroutine to its first suspension).
      assert.deepEqual(log, [
        "a",
        "b",
        "async",
        "a: microtask",
        "b: microtask",
        "async: microtask",
        "c",
        "c: microtask",
      ]);
    });
  });

  test("bad yield in a generator task throws RuntimeError into it (test_tasks.py test_step_result / bad yield)", async () => {
    await runMain(async () => {
      const t = createTask(
        coroutine(function* () {
          try {
            yield 42;
          } catch (e) {
            assert.ok(e instanceof RuntimeError);
            assert.match(e.message, /bad yield/);
            return "caught";
          }
          return "not caught";
        })(),
      );
      assert.equal(await t, "caught");
      // uncaught: the task fails with it
      const t2 = createTask(
        coroutine(function* () {
          yield "junk";
        })(),
      );
      await assert.rejects(t2, RuntimeError);
      // yield (no star) of a generator
      function* sub(): Generator<unknown, number> {
        yield;
        return 1;
      }
      const t3 = createTask(
        coroutine(function* () {
          yield sub();
        })(),
      );
      await assert.rejects(t3, (e: unknown) => e instanceof RuntimeError && /yield\*/.test(e.message));
    });
  });

  test("a bare `yield` gives up control for one loop iteration (test_sleep_zero)", async () => {
    await runMain(async () => {
      const loop = loopNow();
      let result = 0;
      const t = createTask(
        coroutine(function* () {
          loop.callSoon(() => {
            result += 1;
          });
          assert.equal(result, 0);
          yield;
          assert.equal(result, 1); // the callSoon callback ran during that iteration
          return result;
        })(),
      );
      assert.equal(await t, 1);

      // ping-pong with an async task doing sleep(0)
      const log: string[] = [];
      const a = createTask(
        coroutine(function* () {
          log.push("a1");
          yield;
          log.push("a2");
          yield;
          log.push("a3");
        })(),
      );
      const b = createTask(async () => {
        log.push("b1");
        await sleep(0);
        log.push("b2");
        await sleep(0);
        log.push("b3");
      });
      await asyncio.gather(a, b);
      assert.deepEqual(log, ["a1", "b1", "a2", "b2", "a3", "b3"]);
    });
  });

  test("`yield p` awaits a plain Promise or thenable (test_ensure_future_awaitable)", async () => {
    await runMain(async () => {
      const t = createTask(
        coroutine(function* (): asyncio.CoroutineGenerator<string> {
          const v = (yield Promise.resolve(20)) as number;
          const thenable = {
            then(ok: (x: number) => void) {
              setImmediate(() => ok(22));
            },
          };
          const w = (yield thenable) as number;
          let caught = "";
          try {
            yield Promise.reject(new Error("nope"));
          } catch (e) {
            caught = (e as Error).message;
          }
          const typed = yield* asyncio.ensureFuture(Promise.resolve("typed"));
          return `${v + w} ${caught} ${typed}`;
        })(),
      );
      assert.equal(await t, "42 nope typed");
    });
  });

  test("`yield*` delegates to async and generator coroutines, futures and tasks (test_task_basics)", async () => {
    await runMain(async () => {
      const asyncCoro = coroutine(async (x: number) => {
        await sleep(0);
        return x + 1;
      });
      const genCoro = coroutine(function* (x: number) {
        yield* sleep(0);
        return x * 2;
      });
      function* plainGen(): asyncio.CoroutineGenerator<string> {
        yield;
        return "plain";
      }
      const fut = loopNow().createFuture<string>();
      loopNow().callSoon(() => fut.setResult("fut"));
      const other = createTask(async () => "task");
      const t = createTask(
        coroutine(function* () {
          const a: number = yield* asyncCoro(1);
          const b: number = yield* genCoro(a);
          const c: string = yield* plainGen();
          const d: string = yield* fut;
          const e: string = yield* other;
          const f: string = yield* sleep(0.001, "slept");
          return [a, b, c, d, e, f];
        })(),
      );
      assert.deepEqual(await t, [2, 4, "plain", "fut", "task", "slept"]);
    });
  });

  test("awaiting a generator coroutine from an async task runs it in that task (test_task_basics)", async () => {
    await runMain(async () => {
      const outerTask = currentTask();
      let inside: unknown;
      const genCoro = coroutine(function* () {
        inside = currentTask();
        yield* sleep(0);
        return 7;
      });
      assert.equal(await genCoro(), 7);
      assert.equal(inside, outerTask);
    });
  });
});

describe("coroutines", () => {
  test("test_iscoroutinefunction (test_tasks.py): truth table", () => {
    function fn() {}
    function* genFn() {
      yield;
    }
    async function asyncFn() {}
    const arrow = () => 1;
    const asyncArrow = async () => 1;
    class K {}
    assert.equal(asyncio.iscoroutinefunction(fn), false);
    assert.equal(asyncio.iscoroutinefunction(arrow), false);
    assert.equal(asyncio.iscoroutinefunction(K), false);
    assert.equal(asyncio.iscoroutinefunction(asyncFn), true);
    assert.equal(asyncio.iscoroutinefunction(asyncArrow), true);
    assert.equal(asyncio.iscoroutinefunction(genFn), true); // contract §1: generator functions count
    assert.equal(asyncio.iscoroutinefunction(coroutine(genFn)), true);
    assert.equal(asyncio.iscoroutinefunction(coroutine(asyncFn)), true);
    for (const x of [null, undefined, 1, "s", {}, Promise.resolve()]) {
      assert.equal(asyncio.iscoroutinefunction(x), false);
    }
  });

  test("test_coroutine_non_gen_function (test_tasks.py): iscoroutine truth table", () => {
    const c = coroutine(async () => 1)();
    const g = coroutine(function* () {
      yield;
    })();
    function* genFn() {
      yield;
    }
    const p = (async () => 1)();
    assert.equal(asyncio.iscoroutine(c), true);
    assert.equal(asyncio.iscoroutine(g), true);
    assert.equal(asyncio.iscoroutine(genFn()), true);
    assert.equal(asyncio.iscoroutine(p), false);
    assert.equal(asyncio.iscoroutine(Promise.resolve()), false);
    assert.equal(asyncio.iscoroutine(genFn), false);
    assert.equal(
      asyncio.iscoroutine(async () => {}),
      false,
    );
    for (const x of [null, undefined, 0, "coro", {}, []]) {
      assert.equal(asyncio.iscoroutine(x), false);
    }
    c.close();
    g.close();
  });

  test("a Coroutine awaited twice → RuntimeError (test_tasks.py, reuse of a coroutine)", async () => {
    await runMain(async () => {
      const c = coroutine(async () => 1)();
      assert.equal(await c, 1);
      await assert.rejects(
        async () => await c,
        (e: unknown) => {
          return e instanceof RuntimeError && e.message === "cannot reuse already awaited coroutine";
        },
      );
      const g = coroutine(function* () {
        yield;
        return 2;
      })();
      const t = createTask(
        coroutine(function* () {
          const first = yield* g;
          try {
            yield* g;
          } catch (e) {
            assert.ok(e instanceof RuntimeError);
            assert.equal(e.message, "cannot reuse already awaited coroutine");
            return first;
          }
          return -1;
        })(),
      );
      assert.equal(await t, 2);
      // a coroutine handed to a task cannot be awaited again either
      const c2 = coroutine(async () => 3)();
      assert.equal(await createTask(c2), 3);
      await assert.rejects(async () => await c2, RuntimeError);
    });
  });

  test("a coroutine is lazy: nothing runs until awaited (test_tasks.py test_task_basics)", async () => {
    await runMain(async () => {
      let ranAsync = false;
      let ranGen = false;
      const a = coroutine(async () => {
        ranAsync = true;
        return "a";
      })();
      // biome-ignore lint/correctness/useYield: a generator coroutine that finishes in its first step
      const g = coroutine(function* () {
        ranGen = true;
        return "g";
      })();
      await runBriefly(3);
      assert.equal(ranAsync, false);
      assert.equal(ranGen, false);
      assert.equal(await a, "a");
      assert.equal(ranAsync, true);
      assert.equal(ranGen, false);
      assert.equal(await createTask(g), "g");
      assert.equal(ranGen, true);
    });
  });
});

// Each step builds the task's async context afresh on the root frame (taskStepScope): every step, and
// the async code a step starts, must see the same task, however many steps it takes.
describe("a task's async context across many steps", () => {
  test("a generator task is currentTask() on each of 30 steps, and so is async code it starts", async () => {
    await runMain(async () => {
      const seen: boolean[] = [];
      const later: Promise<boolean>[] = [];
      const t = createTask(function* (): Generator<unknown, void, unknown> {
        for (let i = 0; i < 30; i++) {
          const self = currentTask();
          seen.push(self === t);
          later.push(Promise.resolve().then(() => currentTask() === self));
          yield* sleep(0);
        }
      });
      await t;
      assert.deepEqual(seen, Array(30).fill(true));
      assert.deepEqual(await Promise.all(later), Array(30).fill(true));
    });
  });

  test("a coroutine awaited inline starts in its owner's frame: what the owner's async code set is visible to its first step", async () => {
    const { AsyncLocalStorage } = await import("node:async_hooks");
    const user = new AsyncLocalStorage<string>();
    await runMain(async () => {
      const seen: (string | undefined)[] = [];
      const sub = asyncio.coroutine(function* (): Generator<unknown, void, unknown> {
        seen.push(user.getStore());
        yield* sleep(0);
      });
      const t = createTask(async () => {
        await user.run("request-7", async () => {
          await sub();
        });
      });
      await t;
      assert.deepEqual(seen, ["request-7"]);
    });
  });

  // Both ways a step enters its context (root scope + enterWith with AsyncContextFrame, Node 24;
  // taskStorage.run without it, Node 22) must restore the caller's context: CI runs these on both.
  test("a step that starts another task's first step keeps its own context, and so does async code it starts after", async () => {
    const { startTask } = await import("../../src/asyncio/kernel.js");
    await runMain(async () => {
      const loop = loopNow();
      const seen: string[] = [];
      const outer = createTask(function* (): Generator<unknown, void, unknown> {
        startTask(
          loop,
          async () => {
            seen.push(`inner body: ${currentTask()?.getName()}`);
          },
          "inner",
        );
        seen.push(`outer after startTask: ${currentTask() === outer ? "outer" : "other"}`);
        Promise.resolve().then(() =>
          seen.push(`outer's promise: ${currentTask() === outer ? "outer" : "other"}`),
        );
        yield* sleep(0);
      });
      await outer;
      assert.deepEqual(seen.sort(), [
        "inner body: inner",
        "outer after startTask: outer",
        "outer's promise: outer",
      ]);
    });
  });

  test("a task started eagerly on another loop, from this loop's callback, finds its own loop as the running one", async () => {
    // _getRunningLoop asks the draining loop first: startTask must make its loop the draining one.
    const { startTask } = await import("../../src/asyncio/kernel.js");
    const other = asyncio.newEventLoop();
    try {
      const seen: string[] = [];
      await runMain(async () => {
        const here = loopNow();
        const done = here.createFuture<void>();
        here.callSoon(() => {
          startTask(other, async () => {
            seen.push(asyncio.getRunningLoop() === other ? "running: other" : "running: caller's");
            const child = createTask(async () => 1);
            seen.push(child.getLoop() === other ? "child on other" : "child on caller's");
            child.cancel();
          });
          seen.push(asyncio.getRunningLoop() === here ? "after: caller's" : "after: other");
          done.setResult();
        });
        await done;
      });
      assert.deepEqual(seen, ["running: other", "child on other", "after: caller's"]);
    } finally {
      other.close();
    }
  });

  test("an eagerly started task runs to its first suspension before the callbacks already ready (CPython's eager start)", async () => {
    const { startTask } = await import("../../src/asyncio/kernel.js");
    const log: string[] = [];
    await runMain(async () => {
      const loop = loopNow();
      const done = loop.createFuture<number>();
      done.setResult(1);
      const pending = loop.createFuture<void>();
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          loop.callSoon(() => log.push("cb1"));
          loop.callSoon(() => log.push("cb2"));
          startTask(loop, async () => {
            log.push("body start");
            await done; // no suspension in CPython; one microtask here
            log.push("body after await of a done future");
            await pending;
            log.push("body resumed");
          });
          loop.callSoon(() => pending.setResult());
          resolve();
        }, 1),
      );
      await sleep(0.01);
    });
    assert.deepEqual(log, ["body start", "body after await of a done future", "cb1", "cb2", "body resumed"]);
  });

  // Inside an I/O turn the loop asks for no iteration of its own (the turn's end runs what became
  // ready), so its count of open turns must come back to zero however a turn ends, or the loop would
  // stop scheduling. A bare loop (no run()): a stuck one fails the assertions instead of hanging.
  test("the loop schedules on after I/O turns that throw, nest, or end unmatched", async () => {
    const { ioTurn } = await import("../../src/asyncio/kernel.js");
    const loop = asyncio.newEventLoop();
    const log: string[] = [];
    const errors: unknown[] = [];
    const inNodeCallback = (fn: () => void): Promise<void> =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          fn();
          setImmediate(() => setImmediate(resolve)); // after the loop's own turn, if it asked for one
        }),
      );
    const scheduleFromNode = (what: string): Promise<void> =>
      inNodeCallback(() => loop.callSoon(() => log.push(what)));
    try {
      await inNodeCallback(() => {
        try {
          ioTurn(loop, () => {
            loop.callSoon(() => log.push("made ready in a turn that throws"));
            throw new Error("boom");
          });
        } catch (e) {
          errors.push(e);
        }
      });
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]), /boom/);
      await scheduleFromNode("after a turn that threw");
      assert.deepEqual(log.splice(0), ["made ready in a turn that throws", "after a turn that threw"]);
      await inNodeCallback(() =>
        ioTurn(loop, () => ioTurn(loop, () => loop.callSoon(() => log.push("made ready in a nested turn")))),
      );
      await scheduleFromNode("after nested turns");
      assert.deepEqual(log.splice(0), ["made ready in a nested turn", "after nested turns"]);
      await inNodeCallback(() => loop._afterIO()); // no turn is open
      await scheduleFromNode("after an unmatched end of turn");
      assert.deepEqual(log.splice(0), ["after an unmatched end of turn"]);
    } finally {
      loop.close();
    }
  });

  test("what a step sets on another AsyncLocalStorage with enterWith stays in that task", async () => {
    const { AsyncLocalStorage } = await import("node:async_hooks");
    const user = new AsyncLocalStorage<string>();
    await runMain(async () => {
      const seen: (string | undefined)[] = [];
      const a = createTask(function* (): Generator<unknown, void, unknown> {
        user.enterWith("set by a");
        seen.push(user.getStore());
        yield* sleep(0);
      });
      await a;
      const b = createTask(function* (): Generator<unknown, void, unknown> {
        seen.push(user.getStore());
        yield* sleep(0);
        seen.push(user.getStore());
      });
      await b;
      seen.push(user.getStore());
      assert.deepEqual(seen, ["set by a", undefined, undefined, undefined]);
    });
  });

  test("two generator tasks stepping in turns each see themselves on every step", async () => {
    await runMain(async () => {
      const log: string[] = [];
      const body = (name: string) =>
        function* (): Generator<unknown, void, unknown> {
          for (let i = 0; i < 12; i++) {
            log.push(`${name}:${currentTask()?.getName()}`);
            yield;
          }
        };
      const a = createTask(body("a"), { name: "a" });
      const b = createTask(body("b"), { name: "b" });
      await asyncio.gather(a, b);
      assert.equal(log.length, 24);
      for (const entry of log) {
        const [who, task] = entry.split(":");
        assert.equal(who, task);
      }
    });
  });
});

describe("hidden-class anchors (class-anchors.ts)", () => {
  /** Run `lines` as an ES module in a fresh process (the anchors are made by its first loop). */
  async function runFresh(lines: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
    const { stdout } = await execFileP(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", lines.join("\n")],
      { cwd: new URL("../..", import.meta.url), timeout: 30_000, env },
    );
    return stdout;
  }

  test("in debug mode too the anchors leave no trace: the first loop logs nothing", async () => {
    const stdout = await runFresh(
      [
        'import * as asyncio from "./src/index.ts";',
        "const logs = [];",
        "asyncio.logger.handler = (level, message) => logs.push(level + ': ' + message);",
        "const loop = asyncio.newEventLoop();",
        "console.log(JSON.stringify({ debug: loop.getDebug(), logs, tasks: asyncio.allTasks(loop).size }));",
        "loop.close();",
      ],
      { ...process.env, AIOTS_DEBUG: "1" },
    );
    assert.deepEqual(JSON.parse(stdout), { debug: true, logs: [], tasks: 0 });
  });

  // The first loop of a process keeps a Task, Futures, a Queue and its operations alive, on a loop of
  // their own, stopped and closed, so that V8 keeps their hidden classes. None of it may show: no loop
  // lists the anchor task, the default names still start at Task-1, and nothing keeps the process alive.
  test("a fresh process: Task-1 is the first task, no loop lists another, and the process exits", async () => {
    const stdout = await runFresh([
      'import * as asyncio from "./src/index.ts";',
      "const loop = asyncio.newEventLoop();",
      "const before = asyncio.allTasks(loop).size;",
      "const name = await asyncio.run(async () => {",
      "  const others = [...asyncio.allTasks()].filter((t) => t !== asyncio.currentTask()).length;",
      '  return asyncio.currentTask().getName() + " others=" + others;',
      "});",
      "loop.close();",
      'console.log(name + " before=" + before);',
    ]);
    assert.equal(stdout.trim(), "Task-1 others=0 before=0");
  });
});
