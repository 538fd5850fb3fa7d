// Port of CPython's Lib/test/test_asyncio/test_taskgroups.py (3.13+ semantics: child errors win over
// an outside cancellation) plus TaskGroup.cancel() (gh-108951), in both coroutine forms.
// Ordering is driven by futures and loop iterations; the few timers are far apart (10 ms vs 10 s).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import {
  bothForms,
  cancelling,
  caught,
  caughtGen,
  isCancelled,
  runBriefly,
  runBrieflyGen,
  runMain,
} from "../helpers.js";

class ZeroDivisionError extends Error {
  override name = "ZeroDivisionError";
}
class MyExc extends Error {
  override name = "MyExc";
}
class CustomError extends Error {
  override name = "CustomError";
}

/** The ExceptionGroup `e`, checked; fails the test otherwise. */
function asGroup(e: unknown): asyncio.ExceptionGroup {
  assert.ok(e instanceof asyncio.ExceptionGroup, `expected an ExceptionGroup, got ${String(e)}`);
  assert.ok(e instanceof AggregateError);
  return e;
}

/** CPython's get_error_types: the set of error class names in a group. */
function errorTypes(e: unknown): Set<string> {
  return new Set(asGroup(e).exceptions.map((x) => (x as Error).name));
}

describe("TaskGroup: children succeed", () => {
  bothForms("test_taskgroup_01 (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        await asyncio.taskGroup(async (g) => {
          t1 = g.createTask(async () => {
            await asyncio.sleep(0.01);
            return 42;
          });
          t2 = g.createTask(async () => {
            await asyncio.sleep(0.02);
            return 11;
          });
        });
        assert.equal(t1.result(), 42);
        assert.equal(t2.result(), 11);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const foo = asyncio.coroutine(function* (d: number, r: number) {
          yield* asyncio.sleep(d);
          return r;
        });
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        // biome-ignore lint/correctness/useYield: the group does the waiting
        yield* asyncio.taskGroup(function* (g) {
          t1 = g.createTask(foo(0.01, 42));
          t2 = g.createTask(foo(0.02, 11));
        });
        assert.equal(t1.result(), 42);
        assert.equal(t2.result(), 11);
      });
    },
  });

  bothForms("test_taskgroup_02: tasks created after the body suspended (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        await asyncio.taskGroup(async (g) => {
          t1 = g.createTask(async () => {
            await asyncio.sleep(0);
            return 42;
          });
          await runBriefly(3);
          assert.equal(t1.done(), true);
          t2 = g.createTask(async () => {
            await asyncio.sleep(0.01);
            return 11;
          });
        });
        assert.equal(t1.result(), 42);
        assert.equal(t2.result(), 11);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const foo = asyncio.coroutine(function* (d: number, r: number) {
          yield* asyncio.sleep(d);
          return r;
        });
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        yield* asyncio.taskGroup(function* (g) {
          t1 = g.createTask(foo(0, 42));
          yield* runBrieflyGen(3);
          assert.equal(t1.done(), true);
          t2 = g.createTask(foo(0.01, 11));
        });
        assert.equal(t1.result(), 42);
        assert.equal(t2.result(), 11);
      });
    },
  });

  bothForms("the body's return value is returned (test_taskgroup_01, test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const r = await asyncio.taskGroup(async (g) => {
          g.createTask(() => asyncio.sleep(0));
          await asyncio.sleep(0);
          return "body value";
        });
        assert.equal(r, "body value");
        const r2 = await new asyncio.TaskGroup().run(async () => 5);
        assert.equal(r2, 5);
        const r3 = await asyncio.taskGroup(() => "sync body");
        assert.equal(r3, "sync body");
      });
    },
    gen: async () => {
      await runMain(function* () {
        const r = yield* asyncio.taskGroup(function* (g) {
          g.createTask(
            asyncio.coroutine(function* () {
              yield;
            })(),
          );
          yield;
          return "body value";
        });
        assert.equal(r, "body value");
        // biome-ignore lint/correctness/useYield: a body with nothing to wait for
        const r2 = yield* new asyncio.TaskGroup().run(function* () {
          return 5;
        });
        assert.equal(r2, 5);
      });
    },
  });

  bothForms("test_taskgroup_03: a child cancelled on its own does not stop the group (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        await asyncio.taskGroup(async (g) => {
          t1 = g.createTask(async () => {
            await asyncio.sleep(10);
            return 42;
          });
          await asyncio.sleep(0);
          t1.cancel();
          t2 = g.createTask(async () => {
            await asyncio.sleep(0.01);
            return 11;
          });
        });
        assert.equal(t1.cancelled(), true);
        assert.equal(t2.result(), 11);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const foo = asyncio.coroutine(function* (d: number, r: number) {
          yield* asyncio.sleep(d);
          return r;
        });
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        yield* asyncio.taskGroup(function* (g) {
          t1 = g.createTask(foo(10, 42));
          yield* asyncio.sleep(0);
          t1.cancel();
          t2 = g.createTask(foo(0.01, 11));
        });
        assert.equal(t1.cancelled(), true);
        assert.equal(t2.result(), 11);
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms("test_taskgroup_24: a child adds tasks to its own group (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const done: number[] = [];
        await asyncio.taskGroup(async (g) => {
          g.createTask(async () => {
            await asyncio.sleep(0);
            for (const i of [1, 2]) {
              g.createTask(async () => {
                await asyncio.sleep(0.001 * i);
                done.push(i);
              });
            }
          });
        });
        assert.deepEqual(done, [1, 2], "the group waited for tasks created by its children");
      });
    },
    gen: async () => {
      await runMain(function* () {
        const done: number[] = [];
        const leaf = asyncio.coroutine(function* (i: number) {
          yield* asyncio.sleep(0.001 * i);
          done.push(i);
        });
        // biome-ignore lint/correctness/useYield: the group does the waiting
        yield* asyncio.taskGroup(function* (g) {
          g.createTask(
            asyncio.coroutine(function* () {
              yield;
              for (const i of [1, 2]) g.createTask(leaf(i));
            })(),
          );
        });
        assert.deepEqual(done, [1, 2], "the group waited for tasks created by its children");
      });
    },
  });

  test("test_taskgroup_task_name / test_name (test_taskgroups.py)", async () => {
    await runMain(async () => {
      let seen: string | null = null;
      await asyncio.taskGroup(async (g) => {
        const t = g.createTask(
          async () => {
            seen = asyncio.currentTask()!.getName();
          },
          { name: "yolo" },
        );
        assert.equal(t.getName(), "yolo");
      });
      assert.equal(seen, "yolo");
    });
  });
});

describe("TaskGroup: failing children", () => {
  bothForms("test_taskgroup_04: one failure cancels the others (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let num = 0;
        let t2Cancel = false;
        let t2!: asyncio.Task<void>;
        const runner = async (): Promise<void> => {
          await asyncio.taskGroup(async (g) => {
            g.createTask(async () => {
              await asyncio.sleep(0.01);
              throw new ZeroDivisionError();
            });
            t2 = g.createTask(async () => {
              try {
                await asyncio.sleep(10);
              } catch (e) {
                t2Cancel = isCancelled(e);
                throw e;
              }
              num += 1;
            });
          });
          num += 10;
        };
        const err = await caught(asyncio.createTask(runner));
        const eg = asGroup(err);
        assert.deepEqual(errorTypes(eg), new Set(["ZeroDivisionError"]));
        assert.equal(eg.exceptions, eg.exceptions);
        assert.deepEqual([...eg.errors], [...eg.exceptions], "AggregateError.errors mirrors .exceptions");
        assert.match(eg.message, /unhandled errors in a TaskGroup/);
        assert.equal(num, 0);
        assert.equal(t2Cancel, true);
        assert.equal(t2.cancelled(), true);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let num = 0;
        let t2Cancel = false;
        let t2!: asyncio.Task<void>;
        const foo1 = asyncio.coroutine(function* () {
          yield* asyncio.sleep(0.01);
          throw new ZeroDivisionError();
        });
        const foo2 = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } catch (e) {
            t2Cancel = isCancelled(e);
            throw e;
          }
          num += 1;
        });
        const runner = asyncio.coroutine(function* () {
          // biome-ignore lint/correctness/useYield: the group does the waiting
          yield* asyncio.taskGroup(function* (g) {
            g.createTask(foo1());
            t2 = g.createTask(foo2());
          });
          num += 10;
        });
        const err = yield* caughtGen(asyncio.createTask(runner()));
        const eg = asGroup(err);
        assert.deepEqual(errorTypes(eg), new Set(["ZeroDivisionError"]));
        assert.deepEqual([...eg.errors], [...eg.exceptions], "AggregateError.errors mirrors .exceptions");
        assert.match(eg.message, /unhandled errors in a TaskGroup/);
        assert.equal(num, 0);
        assert.equal(t2Cancel, true);
        assert.equal(t2.cancelled(), true);
      });
    },
  });

  bothForms("test_cancel_children_on_child_error: the body is cancelled too (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let num = 0;
        let t2Cancel = false;
        let runnerCancel = false;
        const foo1 = async (): Promise<void> => {
          await asyncio.sleep(0.01);
          throw new ZeroDivisionError();
        };
        const runner = async (): Promise<void> => {
          await asyncio.taskGroup(async (g) => {
            g.createTask(foo1);
            g.createTask(foo1);
            g.createTask(foo1);
            g.createTask(async () => {
              try {
                await asyncio.sleep(5);
              } catch (e) {
                t2Cancel = isCancelled(e);
                throw e;
              }
              num += 1;
            });
            try {
              await asyncio.sleep(10);
            } catch (e) {
              runnerCancel = isCancelled(e);
              throw e;
            }
          });
          num += 10;
        };
        const err = await caught(asyncio.createTask(runner));
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.equal(num, 0);
        assert.equal(t2Cancel, true);
        assert.equal(runnerCancel, true);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let num = 0;
        let t2Cancel = false;
        let runnerCancel = false;
        const foo1 = asyncio.coroutine(function* () {
          yield* asyncio.sleep(0.01);
          throw new ZeroDivisionError();
        });
        const foo2 = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(5);
          } catch (e) {
            t2Cancel = isCancelled(e);
            throw e;
          }
          num += 1;
        });
        const runner = asyncio.coroutine(function* () {
          yield* asyncio.taskGroup(function* (g) {
            g.createTask(foo1());
            g.createTask(foo1());
            g.createTask(foo1());
            g.createTask(foo2());
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              runnerCancel = isCancelled(e);
              throw e;
            }
          });
          num += 10;
        });
        const err = yield* caughtGen(asyncio.createTask(runner()));
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.equal(num, 0);
        assert.equal(t2Cancel, true);
        assert.equal(runnerCancel, true);
      });
    },
  });

  bothForms(
    "several failures in one iteration are all collected (test_cancel_children_on_child_error, test_taskgroups.py)",
    {
      async: async () => {
        await runMain(async () => {
          const errors = [new ZeroDivisionError("a"), new MyExc("b"), new CustomError("c")];
          const err = await caught(
            asyncio.taskGroup(async (g) => {
              for (const e of errors) {
                g.createTask(async () => {
                  await asyncio.sleep(0);
                  throw e;
                });
              }
              await asyncio.sleep(10);
            }),
          );
          assert.deepEqual(asGroup(err).exceptions, errors, "every error, in the order the tasks failed");
          assert.equal(cancelling(), 0);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const errors = [new ZeroDivisionError("a"), new MyExc("b"), new CustomError("c")];
          const fail = asyncio.coroutine(function* (e: Error) {
            yield;
            throw e;
          });
          const err = yield* caughtGen(
            asyncio.taskGroup(function* (g) {
              for (const e of errors) g.createTask(fail(e));
              yield* asyncio.sleep(10);
            }),
          );
          assert.deepEqual(asGroup(err).exceptions, errors, "every error, in the order the tasks failed");
          assert.equal(cancelling(), 0);
        });
      },
    },
  );

  bothForms("test_taskgroup_25: hydra tasks are all cancelled when one child fails (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let nhydras = 0;
        let cancelledHydras = 0;
        const hydra = async (g: asyncio.TaskGroup): Promise<void> => {
          nhydras++;
          try {
            // Two iterations per hydra, as in the generator form, so some are mid-wait at the abort.
            await asyncio.sleep(0);
            await asyncio.sleep(0);
          } catch (e) {
            if (isCancelled(e)) cancelledHydras++;
            throw e;
          }
          g.createTask(() => hydra(g));
          g.createTask(() => hydra(g));
        };
        const err = await caught(
          asyncio.taskGroup(async (g) => {
            g.createTask(() => hydra(g));
            g.createTask(async () => {
              while (nhydras < 10) await asyncio.sleep(0);
              throw new ZeroDivisionError();
            });
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.ok(nhydras >= 10);
        assert.ok(cancelledHydras >= 1, "the hydras still running were cancelled");
      });
    },
    gen: async () => {
      await runMain(function* () {
        let nhydras = 0;
        let cancelledHydras = 0;
        const hydra = asyncio.coroutine(function* (g: asyncio.TaskGroup): Generator<unknown, void, any> {
          nhydras++;
          try {
            yield;
            yield* asyncio.sleep(0);
          } catch (e) {
            if (isCancelled(e)) cancelledHydras++;
            throw e;
          }
          g.createTask(hydra(g));
          g.createTask(hydra(g));
        });
        const hercules = asyncio.coroutine(function* () {
          while (nhydras < 10) yield;
          throw new ZeroDivisionError();
        });
        const err = yield* caughtGen(
          // biome-ignore lint/correctness/useYield: the group does the waiting
          asyncio.taskGroup(function* (g) {
            g.createTask(hydra(g));
            g.createTask(hercules());
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.ok(nhydras >= 10);
        assert.ok(cancelledHydras >= 1, "the hydras still running were cancelled");
      });
    },
  });

  bothForms("test_taskgroup_no_create_task_after_failure (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let refused = false;
        let orphanRan = false;
        const coro1 = async (): Promise<void> => {
          await asyncio.sleep(0.001);
          throw new ZeroDivisionError();
        };
        const err = await caught(
          asyncio.taskGroup(async (g) => {
            g.createTask(coro1);
            g.createTask(async () => {
              try {
                await asyncio.sleep(1);
              } catch (e) {
                assert.ok(isCancelled(e));
                assert.throws(
                  () =>
                    g.createTask(async () => {
                      orphanRan = true;
                    }),
                  asyncio.RuntimeError,
                );
                refused = true;
              }
            });
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.equal(refused, true);
        await runBriefly(2);
        assert.equal(orphanRan, false);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let refused = false;
        let orphanRan = false;
        const coro1 = asyncio.coroutine(function* () {
          yield* asyncio.sleep(0.001);
          throw new ZeroDivisionError();
        });
        // biome-ignore lint/correctness/useYield: must never run
        const orphan = asyncio.coroutine(function* () {
          orphanRan = true;
        });
        const coro2 = asyncio.coroutine(function* (g: asyncio.TaskGroup) {
          try {
            yield* asyncio.sleep(1);
          } catch (e) {
            assert.ok(isCancelled(e));
            assert.throws(() => g.createTask(orphan()), asyncio.RuntimeError);
            refused = true;
          }
        });
        const err = yield* caughtGen(
          // biome-ignore lint/correctness/useYield: the group does the waiting
          asyncio.taskGroup(function* (g) {
            g.createTask(coro1());
            g.createTask(coro2(g));
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.equal(refused, true);
        yield* runBrieflyGen(2);
        assert.equal(orphanRan, false);
      });
    },
  });

  bothForms(
    "children that swallow the cancellation keep their result (test_cancels_task_if_created_during_creation, test_taskgroups.py)",
    {
      async: async () => {
        await runMain(async () => {
          let stubborn!: asyncio.Task<string>;
          const err = await caught(
            asyncio.taskGroup(async (g) => {
              stubborn = g.createTask(async () => {
                try {
                  await asyncio.sleep(10);
                } catch (e) {
                  assert.ok(isCancelled(e));
                  await asyncio.sleep(0); // still allowed to wait during cleanup
                  return "swallowed";
                }
                return "not cancelled";
              });
              g.createTask(async () => {
                await asyncio.sleep(0);
                throw new MyExc("third task failed");
              });
            }),
          );
          assert.deepEqual(errorTypes(err), new Set(["MyExc"]), "only real errors are grouped");
          assert.equal(stubborn.cancelled(), false);
          assert.equal(stubborn.result(), "swallowed");
          assert.equal(cancelling(), 0);
        });
      },
      gen: async () => {
        await runMain(function* () {
          let stubborn!: asyncio.Task<string>;
          const swallow = asyncio.coroutine(function* () {
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              assert.ok(isCancelled(e));
              yield* asyncio.sleep(0);
              return "swallowed";
            }
            return "not cancelled";
          });
          const fail = asyncio.coroutine(function* () {
            yield;
            throw new MyExc("third task failed");
          });
          const err = yield* caughtGen(
            // biome-ignore lint/correctness/useYield: the group does the waiting
            asyncio.taskGroup(function* (g) {
              stubborn = g.createTask(swallow());
              g.createTask(fail());
            }),
          );
          assert.deepEqual(errorTypes(err), new Set(["MyExc"]), "only real errors are grouped");
          assert.equal(stubborn.cancelled(), false);
          assert.equal(stubborn.result(), "swallowed");
          assert.equal(cancelling(), 0);
        });
      },
    },
  );

  bothForms("test_cancels_task_if_created_during_creation (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let ran = false;
        const err = await caught(
          asyncio.taskGroup(async (tg) => {
            tg.createTask(async () => {
              tg.createTask(async () => {
                throw new MyExc("third task failed");
              });
              const e = await caught(
                (async () => {
                  await asyncio.sleep(0);
                  await asyncio.sleep(0);
                })(),
              );
              assert.ok(isCancelled(e), "the sibling is cancelled once the new task fails");
              ran = true;
            });
          }),
        );
        assert.equal(ran, true);
        assert.deepEqual(errorTypes(err), new Set(["MyExc"]));
      });
    },
    gen: async () => {
      await runMain(function* () {
        let ran = false;
        // biome-ignore lint/correctness/useYield: fails at once
        const third = asyncio.coroutine(function* () {
          throw new MyExc("third task failed");
        });
        const second = asyncio.coroutine(function* (tg: asyncio.TaskGroup) {
          tg.createTask(third());
          const e = yield* caughtGen(
            (function* () {
              yield* asyncio.sleep(0);
              yield* asyncio.sleep(0);
            })(),
          );
          assert.ok(isCancelled(e), "the sibling is cancelled once the new task fails");
          ran = true;
        });
        const err = yield* caughtGen(
          // biome-ignore lint/correctness/useYield: the group does the waiting
          asyncio.taskGroup(function* (tg) {
            tg.createTask(second(tg));
          }),
        );
        assert.equal(ran, true);
        assert.deepEqual(errorTypes(err), new Set(["MyExc"]));
      });
    },
  });
});

describe("TaskGroup: errors in the body", () => {
  bothForms("test_taskgroup_09: the body fails after suspending (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        const err = await caught(
          asyncio.taskGroup(async (g) => {
            t1 = g.createTask(async () => {
              await asyncio.sleep(1);
              return 42;
            });
            t2 = g.createTask(async () => {
              await asyncio.sleep(2);
              return 11;
            });
            await asyncio.sleep(0.01);
            throw new ZeroDivisionError();
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.equal(t1.cancelled(), true);
        assert.equal(t2.cancelled(), true);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const foo = asyncio.coroutine(function* (d: number, r: number) {
          yield* asyncio.sleep(d);
          return r;
        });
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        const err = yield* caughtGen(
          asyncio.taskGroup(function* (g) {
            t1 = g.createTask(foo(1, 42));
            t2 = g.createTask(foo(2, 11));
            yield* asyncio.sleep(0.01);
            throw new ZeroDivisionError();
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.equal(t1.cancelled(), true);
        assert.equal(t2.cancelled(), true);
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms("test_taskgroup_10: the body fails at once (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        const boom = new ZeroDivisionError();
        const err = await caught(
          asyncio.taskGroup(async (g) => {
            t1 = g.createTask(async () => {
              await asyncio.sleep(1);
              return 42;
            });
            t2 = g.createTask(async () => {
              await asyncio.sleep(2);
              return 11;
            });
            throw boom;
          }),
        );
        assert.deepEqual(asGroup(err).exceptions, [boom], "the body's own error, wrapped in the group");
        assert.equal(t1.cancelled(), true);
        assert.equal(t2.cancelled(), true);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const foo = asyncio.coroutine(function* (d: number, r: number) {
          yield* asyncio.sleep(d);
          return r;
        });
        let t1!: asyncio.Task<number>;
        let t2!: asyncio.Task<number>;
        const boom = new ZeroDivisionError();
        const err = yield* caughtGen(
          // biome-ignore lint/correctness/useYield: the body fails before suspending
          asyncio.taskGroup(function* (g) {
            t1 = g.createTask(foo(1, 42));
            t2 = g.createTask(foo(2, 11));
            throw boom;
          }),
        );
        assert.deepEqual(asGroup(err).exceptions, [boom], "the body's own error, wrapped in the group");
        assert.equal(t1.cancelled(), true);
        assert.equal(t2.cancelled(), true);
      });
    },
  });

  bothForms("test_taskgroup_19: errors of the body and of a child are grouped (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const nested = async (): Promise<void> => {
          try {
            await asyncio.sleep(10);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new MyExc();
          }
        };
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (g) => {
            g.createTask(async () => {
              await asyncio.sleep(0.01);
              throw new ZeroDivisionError();
            });
            await nested();
          }),
        );
        assert.deepEqual(errorTypes(await caught(r)), new Set(["MyExc", "ZeroDivisionError"]));
      });
    },
    gen: async () => {
      await runMain(function* () {
        const nested = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new MyExc();
          }
        });
        const crashSoon = asyncio.coroutine(function* () {
          yield* asyncio.sleep(0.01);
          throw new ZeroDivisionError();
        });
        const r = asyncio.createTask(
          asyncio.taskGroup(function* (g) {
            g.createTask(crashSoon());
            yield* nested();
          }),
        );
        assert.deepEqual(errorTypes(yield* caughtGen(r)), new Set(["MyExc", "ZeroDivisionError"]));
      });
    },
  });

  bothForms("test_taskgroup_context_manager_exit_raises (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const main = asyncio.createTask(async () => {
          const task = asyncio.currentTask()!;
          const err = await caught(
            asyncio.taskGroup(async (tg) => {
              try {
                tg.createTask(async () => {
                  throw new CustomError("child");
                });
                await asyncio.sleep(1);
              } finally {
                // biome-ignore lint/correctness/noUnsafeFinally: an exit hook that raises, as in the CPython test
                throw new CustomError("exit");
              }
            }),
          );
          assert.equal(task.cancelling(), 0);
          assert.equal(asGroup(err).exceptions.length, 2);
          assert.deepEqual(errorTypes(err), new Set(["CustomError"]));
        });
        await main;
      });
    },
    gen: async () => {
      await runMain(function* () {
        // biome-ignore lint/correctness/useYield: fails at once
        const raiseExc = asyncio.coroutine(function* () {
          throw new CustomError("child");
        });
        const body = asyncio.coroutine(function* () {
          const task = asyncio.currentTask()!;
          const err = yield* caughtGen(
            asyncio.taskGroup(function* (tg) {
              try {
                tg.createTask(raiseExc());
                yield* asyncio.sleep(1);
              } finally {
                // biome-ignore lint/correctness/noUnsafeFinally: an exit hook that raises, as in the CPython test
                throw new CustomError("exit");
              }
            }),
          );
          assert.equal(task.cancelling(), 0);
          assert.equal(asGroup(err).exceptions.length, 2);
          assert.deepEqual(errorTypes(err), new Set(["CustomError"]));
        });
        yield* asyncio.createTask(body());
      });
    },
  });
});

describe("TaskGroup: cancelled from outside", () => {
  bothForms("test_cancellation: children cancelled, CancelledError propagates (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let num = 0;
        const foo = async (): Promise<void> => {
          try {
            await asyncio.sleep(5);
          } catch (e) {
            if (isCancelled(e)) num += 1;
            throw e;
          }
        };
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (g) => {
            for (let i = 0; i < 5; i++) g.createTask(foo);
          }),
        );
        await runBriefly(3);
        assert.equal(r.done(), false);
        r.cancel("test");
        const err = await caught(r);
        assert.ok(isCancelled(err), `expected CancelledError, got ${String(err)}`);
        assert.equal((err as Error).message, "test");
        assert.equal(r.cancelled(), true);
        assert.equal(num, 5);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let num = 0;
        const foo = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(5);
          } catch (e) {
            if (isCancelled(e)) num += 1;
            throw e;
          }
        });
        const r = asyncio.createTask(
          // biome-ignore lint/correctness/useYield: the group does the waiting
          asyncio.taskGroup(function* (g) {
            for (let i = 0; i < 5; i++) g.createTask(foo());
          }),
        );
        yield* runBrieflyGen(3);
        assert.equal(r.done(), false);
        r.cancel("test");
        const err = yield* caughtGen(r);
        assert.ok(isCancelled(err), `expected CancelledError, got ${String(err)}`);
        assert.equal((err as Error).message, "test");
        assert.equal(r.cancelled(), true);
        assert.equal(num, 5);
      });
    },
  });

  bothForms("test_taskgroup_07: the body and the children all see the cancellation (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let num = 0;
        const foo = async (): Promise<void> => {
          try {
            await asyncio.sleep(5);
          } catch (e) {
            if (isCancelled(e)) num += 1;
            throw e;
          }
        };
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (g) => {
            for (let i = 0; i < 5; i++) g.createTask(foo);
            try {
              await asyncio.sleep(10);
            } catch (e) {
              if (isCancelled(e)) num += 10;
              throw e;
            }
          }),
        );
        await runBriefly(3);
        assert.equal(r.done(), false);
        r.cancel();
        assert.ok(isCancelled(await caught(r)));
        assert.equal(num, 15);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let num = 0;
        const foo = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(5);
          } catch (e) {
            if (isCancelled(e)) num += 1;
            throw e;
          }
        });
        const r = asyncio.createTask(
          asyncio.taskGroup(function* (g) {
            for (let i = 0; i < 5; i++) g.createTask(foo());
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              if (isCancelled(e)) num += 10;
              throw e;
            }
          }),
        );
        yield* runBrieflyGen(3);
        assert.equal(r.done(), false);
        r.cancel();
        assert.ok(isCancelled(yield* caughtGen(r)));
        assert.equal(num, 15);
      });
    },
  });

  bothForms("test_taskgroup_08: child errors during the cancellation win (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const foo = async (): Promise<void> => {
          try {
            await asyncio.sleep(10);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError();
          }
        };
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (g) => {
            for (let i = 0; i < 5; i++) g.createTask(foo);
            await asyncio.sleep(10);
          }),
        );
        await runBriefly(3);
        assert.equal(r.done(), false);
        r.cancel();
        const err = await caught(r);
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.equal(asGroup(err).exceptions.length, 5);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const foo = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError();
          }
        });
        const r = asyncio.createTask(
          asyncio.taskGroup(function* (g) {
            for (let i = 0; i < 5; i++) g.createTask(foo());
            yield* asyncio.sleep(10);
          }),
        );
        yield* runBrieflyGen(3);
        assert.equal(r.done(), false);
        r.cancel();
        const err = yield* caughtGen(r);
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]));
        assert.equal(asGroup(err).exceptions.length, 5);
      });
    },
  });

  bothForms("test_cancellation_in_body: outside cancel before the children fail (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (g) => {
            for (let i = 0; i < 5; i++) {
              g.createTask(async () => {
                await asyncio.sleep(10);
                throw new ZeroDivisionError();
              });
            }
            await asyncio.sleep(10);
          }),
        );
        await runBriefly(3);
        r.cancel("test");
        const err = await caught(r);
        assert.ok(isCancelled(err), `expected CancelledError, got ${String(err)}`);
        assert.equal((err as Error).message, "test");
      });
    },
    gen: async () => {
      await runMain(function* () {
        const foo = asyncio.coroutine(function* () {
          yield* asyncio.sleep(10);
          throw new ZeroDivisionError();
        });
        const r = asyncio.createTask(
          asyncio.taskGroup(function* (g) {
            for (let i = 0; i < 5; i++) g.createTask(foo());
            yield* asyncio.sleep(10);
          }),
        );
        yield* runBrieflyGen(3);
        r.cancel("test");
        const err = yield* caughtGen(r);
        assert.ok(isCancelled(err), `expected CancelledError, got ${String(err)}`);
        assert.equal((err as Error).message, "test");
      });
    },
  });

  bothForms("test_taskgroup_11: nested groups, children crash on cancel (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const foo = async (): Promise<void> => {
          try {
            await asyncio.sleep(10);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError();
          }
        };
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(() =>
            asyncio.taskGroup(async (g2) => {
              for (let i = 0; i < 5; i++) g2.createTask(foo);
              await asyncio.sleep(10);
            }),
          ),
        );
        await runBriefly(3);
        assert.equal(r.done(), false);
        r.cancel();
        const err = await caught(r);
        assert.deepEqual(errorTypes(err), new Set(["ExceptionGroup"]));
        assert.deepEqual(errorTypes(asGroup(err).exceptions[0]), new Set(["ZeroDivisionError"]));
      });
    },
    gen: async () => {
      await runMain(function* () {
        const foo = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError();
          }
        });
        const r = asyncio.createTask(
          asyncio.taskGroup(function* () {
            yield* asyncio.taskGroup(function* (g2) {
              for (let i = 0; i < 5; i++) g2.createTask(foo());
              yield* asyncio.sleep(10);
            });
          }),
        );
        yield* runBrieflyGen(3);
        assert.equal(r.done(), false);
        r.cancel();
        const err = yield* caughtGen(r);
        assert.deepEqual(errorTypes(err), new Set(["ExceptionGroup"]));
        assert.deepEqual(errorTypes(asGroup(err).exceptions[0]), new Set(["ZeroDivisionError"]));
      });
    },
  });

  bothForms("test_taskgroup_12: nested groups, the outer one has its own child (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const foo = async (): Promise<void> => {
          try {
            await asyncio.sleep(10);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError();
          }
        };
        let sleeper!: asyncio.Task<void>;
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (g1) => {
            sleeper = g1.createTask(() => asyncio.sleep(10));
            await asyncio.taskGroup(async (g2) => {
              for (let i = 0; i < 5; i++) g2.createTask(foo);
              await asyncio.sleep(10);
            });
          }),
        );
        await runBriefly(3);
        r.cancel();
        const err = await caught(r);
        assert.deepEqual(errorTypes(err), new Set(["ExceptionGroup"]));
        assert.deepEqual(errorTypes(asGroup(err).exceptions[0]), new Set(["ZeroDivisionError"]));
        assert.equal(sleeper.cancelled(), true);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const foo = asyncio.coroutine(function* () {
          try {
            yield* asyncio.sleep(10);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the crash-in-cleanup case under test
            throw new ZeroDivisionError();
          }
        });
        const sleep10 = asyncio.coroutine(function* () {
          yield* asyncio.sleep(10);
        });
        let sleeper!: asyncio.Task<void>;
        const r = asyncio.createTask(
          asyncio.taskGroup(function* (g1) {
            sleeper = g1.createTask(sleep10());
            yield* asyncio.taskGroup(function* (g2) {
              for (let i = 0; i < 5; i++) g2.createTask(foo());
              yield* asyncio.sleep(10);
            });
          }),
        );
        yield* runBrieflyGen(3);
        r.cancel();
        const err = yield* caughtGen(r);
        assert.deepEqual(errorTypes(err), new Set(["ExceptionGroup"]));
        assert.deepEqual(errorTypes(asGroup(err).exceptions[0]), new Set(["ZeroDivisionError"]));
        assert.equal(sleeper.cancelled(), true);
      });
    },
  });

  bothForms("test_taskgroup_15: a child fails while the body handles the cancellation (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const loop = asyncio.getRunningLoop();
        const gate = loop.createFuture<void>();
        const log: string[] = [];
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (g1) => {
            g1.createTask(async () => {
              await gate;
              throw new ZeroDivisionError();
            });
            try {
              await asyncio.sleep(10);
            } catch (e) {
              log.push("body cancelled");
              try {
                await asyncio.sleep(10); // slow cleanup, interrupted when the child fails
              } catch (e2) {
                log.push(`cleanup: ${(e2 as Error).name}`);
              }
              throw e;
            }
          }),
        );
        await runBriefly(3);
        r.cancel();
        await runBriefly(3);
        gate.setResult();
        const err = await caught(r);
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]), "the child error wins");
        assert.deepEqual(log, ["body cancelled", "cleanup: CancelledError"]);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const loop = asyncio.getRunningLoop();
        const gate = loop.createFuture<void>();
        const log: string[] = [];
        const crashSoon = asyncio.coroutine(function* () {
          yield* gate;
          throw new ZeroDivisionError();
        });
        const r = asyncio.createTask(
          asyncio.taskGroup(function* (g1) {
            g1.createTask(crashSoon());
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              log.push("body cancelled");
              try {
                yield* asyncio.sleep(10);
              } catch (e2) {
                log.push(`cleanup: ${(e2 as Error).name}`);
              }
              throw e;
            }
          }),
        );
        yield* runBrieflyGen(3);
        r.cancel();
        yield* runBrieflyGen(3);
        gate.setResult();
        const err = yield* caughtGen(r);
        assert.deepEqual(errorTypes(err), new Set(["ZeroDivisionError"]), "the child error wins");
        assert.deepEqual(log, ["body cancelled", "cleanup: CancelledError"]);
      });
    },
  });

  bothForms("test_taskgroup_16: same, with the group in a nested task (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const gate = asyncio.getRunningLoop().createFuture<void>();
        const nestedRunner = async (): Promise<void> => {
          await asyncio.taskGroup(async (g1) => {
            g1.createTask(async () => {
              await gate;
              throw new ZeroDivisionError();
            });
            try {
              await asyncio.sleep(10);
            } catch (e) {
              await caught(asyncio.sleep(10));
              throw e;
            }
          });
        };
        const r = asyncio.createTask(async () => {
          await asyncio.createTask(nestedRunner);
        });
        await runBriefly(3);
        r.cancel();
        await runBriefly(3);
        gate.setResult();
        assert.deepEqual(errorTypes(await caught(r)), new Set(["ZeroDivisionError"]));
      });
    },
    gen: async () => {
      await runMain(function* () {
        const gate = asyncio.getRunningLoop().createFuture<void>();
        const crashSoon = asyncio.coroutine(function* () {
          yield* gate;
          throw new ZeroDivisionError();
        });
        const nestedRunner = asyncio.coroutine(function* () {
          yield* asyncio.taskGroup(function* (g1) {
            g1.createTask(crashSoon());
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              yield* caughtGen(asyncio.sleep(10));
              throw e;
            }
          });
        });
        const runner = asyncio.coroutine(function* () {
          yield* asyncio.createTask(nestedRunner());
        });
        const r = asyncio.createTask(runner());
        yield* runBrieflyGen(3);
        r.cancel();
        yield* runBrieflyGen(3);
        gate.setResult();
        assert.deepEqual(errorTypes(yield* caughtGen(r)), new Set(["ZeroDivisionError"]));
      });
    },
  });

  bothForms("test_taskgroup_17: a group without children (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let num = 0;
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async () => {
            try {
              await asyncio.sleep(10);
            } catch (e) {
              if (isCancelled(e)) num += 10;
              throw e;
            }
          }),
        );
        await runBriefly(3);
        r.cancel();
        assert.ok(isCancelled(await caught(r)));
        assert.equal(num, 10);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let num = 0;
        const r = asyncio.createTask(
          asyncio.taskGroup(function* () {
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              if (isCancelled(e)) num += 10;
              throw e;
            }
          }),
        );
        yield* runBrieflyGen(3);
        r.cancel();
        assert.ok(isCancelled(yield* caughtGen(r)));
        assert.equal(num, 10);
      });
    },
  });

  bothForms("test_taskgroup_18: the body turns the cancellation into an error (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        let num = 0;
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async () => {
            try {
              await asyncio.sleep(10);
            } catch {
              num += 10;
              throw new MyExc();
            }
          }),
        );
        await runBriefly(3);
        r.cancel();
        assert.deepEqual(errorTypes(await caught(r)), new Set(["MyExc"]));
        assert.equal(num, 10);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let num = 0;
        const r = asyncio.createTask(
          asyncio.taskGroup(function* () {
            try {
              yield* asyncio.sleep(10);
            } catch {
              num += 10;
              throw new MyExc();
            }
          }),
        );
        yield* runBrieflyGen(3);
        r.cancel();
        assert.deepEqual(errorTypes(yield* caughtGen(r)), new Set(["MyExc"]));
        assert.equal(num, 10);
      });
    },
  });
});

describe("TaskGroup: nesting", () => {
  bothForms("test_taskgroup_13: the outer child fails while the inner group runs (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const crashAfter = (t: number) => async (): Promise<void> => {
          await asyncio.sleep(t);
          throw new RangeError(String(t));
        };
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (g1) => {
            g1.createTask(crashAfter(0.01));
            await asyncio.taskGroup(async (g2) => {
              g2.createTask(crashAfter(10));
            });
          }),
        );
        const err = await caught(r);
        assert.deepEqual(errorTypes(err), new Set(["RangeError"]), "the inner group was just cancelled");
      });
    },
    gen: async () => {
      await runMain(function* () {
        const crashAfter = asyncio.coroutine(function* (t: number) {
          yield* asyncio.sleep(t);
          throw new RangeError(String(t));
        });
        const r = asyncio.createTask(
          asyncio.taskGroup(function* (g1) {
            g1.createTask(crashAfter(0.01));
            // biome-ignore lint/correctness/useYield: the group does the waiting
            yield* asyncio.taskGroup(function* (g2) {
              g2.createTask(crashAfter(10));
            });
          }),
        );
        const err = yield* caughtGen(r);
        assert.deepEqual(errorTypes(err), new Set(["RangeError"]), "the inner group was just cancelled");
      });
    },
  });

  bothForms("test_taskgroup_14: the inner child fails: a group inside a group (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const crashAfter = (t: number) => async (): Promise<void> => {
          await asyncio.sleep(t);
          throw new RangeError(String(t));
        };
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (g1) => {
            g1.createTask(crashAfter(10));
            await asyncio.taskGroup(async (g2) => {
              g2.createTask(crashAfter(0.01));
            });
          }),
        );
        const err = await caught(r);
        assert.deepEqual(errorTypes(err), new Set(["ExceptionGroup"]));
        assert.deepEqual(errorTypes(asGroup(err).exceptions[0]), new Set(["RangeError"]));
      });
    },
    gen: async () => {
      await runMain(function* () {
        const crashAfter = asyncio.coroutine(function* (t: number) {
          yield* asyncio.sleep(t);
          throw new RangeError(String(t));
        });
        const r = asyncio.createTask(
          asyncio.taskGroup(function* (g1) {
            g1.createTask(crashAfter(10));
            // biome-ignore lint/correctness/useYield: the group does the waiting
            yield* asyncio.taskGroup(function* (g2) {
              g2.createTask(crashAfter(0.01));
            });
          }),
        );
        const err = yield* caughtGen(r);
        assert.deepEqual(errorTypes(err), new Set(["ExceptionGroup"]));
        assert.deepEqual(errorTypes(asGroup(err).exceptions[0]), new Set(["RangeError"]));
      });
    },
  });

  bothForms("test_nested_groups_both_cancelled (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const raiseAfter = (e: Error) => async (): Promise<void> => {
          await asyncio.sleep(0);
          throw e;
        };
        const levels: number[] = [];
        const err = await caught(
          asyncio.taskGroup(async (outerTg) => {
            const innerErr = await caught(
              asyncio.taskGroup(async (innerTg) => {
                innerTg.createTask(raiseAfter(new RangeError("inner")));
                outerTg.createTask(raiseAfter(new MyExc("outer")));
              }),
            );
            assert.deepEqual(errorTypes(innerErr), new Set(["RangeError"]));
            levels.push(cancelling());
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["MyExc"]));
        assert.deepEqual(levels, [1], "the outer group's cancel request is still pending inside it");
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const raiseAfter = asyncio.coroutine(function* (e: Error) {
          yield;
          throw e;
        });
        const levels: number[] = [];
        const err = yield* caughtGen(
          asyncio.taskGroup(function* (outerTg) {
            const innerErr = yield* caughtGen(
              // biome-ignore lint/correctness/useYield: the group does the waiting
              asyncio.taskGroup(function* (innerTg) {
                innerTg.createTask(raiseAfter(new RangeError("inner")));
                outerTg.createTask(raiseAfter(new MyExc("outer")));
              }),
            );
            assert.deepEqual(errorTypes(innerErr), new Set(["RangeError"]));
            levels.push(cancelling());
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["MyExc"]));
        assert.deepEqual(levels, [1], "the outer group's cancel request is still pending inside it");
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms(
    "a task group inside a timeout: the timeout wins (test_exception_refcycles_propagate_cancellation_error, test_taskgroups.py)",
    {
      async: async () => {
        await runMain(async () => {
          let child!: asyncio.Task<void>;
          const log: string[] = [];
          const err = await caught(
            asyncio.timeout(0.01, () =>
              asyncio.taskGroup(async (tg) => {
                child = tg.createTask(async () => {
                  try {
                    await asyncio.sleep(10);
                  } finally {
                    log.push("child cleanup");
                  }
                });
                await asyncio.sleep(10);
              }),
            ),
          );
          assert.ok(err instanceof asyncio.TimeoutError, `expected TimeoutError, got ${String(err)}`);
          assert.ok(isCancelled((err as Error).cause));
          assert.equal(child.cancelled(), true);
          assert.deepEqual(log, ["child cleanup"]);
          assert.equal(cancelling(), 0);
        });
      },
      gen: async () => {
        await runMain(function* () {
          let child!: asyncio.Task<void>;
          const log: string[] = [];
          const sleeper = asyncio.coroutine(function* () {
            try {
              yield* asyncio.sleep(10);
            } finally {
              log.push("child cleanup");
            }
          });
          const err = yield* caughtGen(
            asyncio.timeout(0.01, function* () {
              yield* asyncio.taskGroup(function* (tg) {
                child = tg.createTask(sleeper());
                yield* asyncio.sleep(10);
              });
            }),
          );
          assert.ok(err instanceof asyncio.TimeoutError, `expected TimeoutError, got ${String(err)}`);
          assert.ok(isCancelled((err as Error).cause));
          assert.equal(child.cancelled(), true);
          assert.deepEqual(log, ["child cleanup"]);
          assert.equal(cancelling(), 0);
        });
      },
    },
  );

  test("a task group inside timeout(-1) that never waits for children (test_exception_refcycles_propagate_cancellation_error, test_taskgroups.py)", async () => {
    await runMain(async () => {
      const err = await caught(
        asyncio.timeout(-1, () =>
          asyncio.taskGroup(async () => {
            await asyncio.sleep(0);
          }),
        ),
      );
      assert.ok(err instanceof asyncio.TimeoutError);
      assert.ok(isCancelled((err as Error).cause));
      assert.equal(cancelling(), 0);
    });
  });
});

describe("TaskGroup: cancellation bookkeeping", () => {
  bothForms("test_cancelling_level_preserved (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const err = await caught(
          asyncio.taskGroup(async (tg) => {
            tg.createTask(async () => {
              await asyncio.sleep(0);
              throw new RangeError();
            });
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["RangeError"]));
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const raiseAfter = asyncio.coroutine(function* () {
          yield;
          throw new RangeError();
        });
        const err = yield* caughtGen(
          // biome-ignore lint/correctness/useYield: the group does the waiting
          asyncio.taskGroup(function* (tg) {
            tg.createTask(raiseAfter());
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["RangeError"]));
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms("test_cancellation_does_not_leak_out_of_tg (test_taskgroups.py)", {
    async: async () => {
      await runMain(async () => {
        const err = await caught(
          asyncio.taskGroup(async (tg) => {
            tg.createTask(async () => {
              throw new MyExc();
            });
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["MyExc"]));
        // The group's own cancel request must not surface at the next await.
        await asyncio.sleep(0);
        await asyncio.sleep(0.001);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        // biome-ignore lint/correctness/useYield: fails at once
        const throwError = asyncio.coroutine(function* () {
          throw new MyExc();
        });
        const err = yield* caughtGen(
          // biome-ignore lint/correctness/useYield: the group does the waiting
          asyncio.taskGroup(function* (tg) {
            tg.createTask(throwError());
          }),
        );
        assert.deepEqual(errorTypes(err), new Set(["MyExc"]));
        yield* asyncio.sleep(0);
        yield* asyncio.sleep(0.001);
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms(
    "test_error_and_cancel: an outside cancel survives the group's ExceptionGroup (test_taskgroups.py)",
    {
      async: async () => {
        await runMain(async () => {
          const loop = asyncio.getRunningLoop();
          const event = loop.createFuture<void>();
          const log: string[] = [];
          const inner = async (): Promise<void> => {
            const err = await caught(
              asyncio.taskGroup(async (tg) => {
                tg.createTask(async () => {
                  event.setResult();
                  await asyncio.sleep(0);
                  throw new RangeError();
                });
                await asyncio.sleep(1);
                log.push("not reached: sleep in group");
              }),
            );
            assert.deepEqual(errorTypes(err), new Set(["RangeError"]));
            log.push(`after group: cancelling=${cancelling()}`);
            await asyncio.sleep(1);
            log.push("not reached: sleep after group");
          };
          const t = asyncio.createTask(inner);
          await event;
          assert.equal(t.cancelling(), 0);
          t.cancel();
          assert.equal(t.cancelling(), 1);
          assert.ok(isCancelled(await caught(t)));
          assert.equal(t.cancelled(), true);
          assert.deepEqual(log, ["after group: cancelling=1"]);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const loop = asyncio.getRunningLoop();
          const event = loop.createFuture<void>();
          const log: string[] = [];
          const raiseError = asyncio.coroutine(function* () {
            event.setResult();
            yield* asyncio.sleep(0);
            throw new RangeError();
          });
          const inner = asyncio.coroutine(function* () {
            const err = yield* caughtGen(
              asyncio.taskGroup(function* (tg) {
                tg.createTask(raiseError());
                yield* asyncio.sleep(1);
                log.push("not reached: sleep in group");
              }),
            );
            assert.deepEqual(errorTypes(err), new Set(["RangeError"]));
            log.push(`after group: cancelling=${cancelling()}`);
            yield* asyncio.sleep(1);
            log.push("not reached: sleep after group");
          });
          const t = asyncio.createTask(inner());
          yield* event;
          assert.equal(t.cancelling(), 0);
          t.cancel();
          assert.equal(t.cancelling(), 1);
          assert.ok(isCancelled(yield* caughtGen(t)));
          assert.equal(t.cancelled(), true);
          assert.deepEqual(log, ["after group: cancelling=1"]);
        });
      },
    },
  );
});

describe("TaskGroup.cancel() (gh-108951)", () => {
  bothForms(
    "tg.cancel() from the body stops everything without CancelledError (test_taskgroups.py, gh-108951)",
    {
      async: async () => {
        await runMain(async () => {
          const log: string[] = [];
          let child!: asyncio.Task<void>;
          const r = await asyncio.taskGroup(async (tg) => {
            child = tg.createTask(async () => {
              try {
                await asyncio.sleep(10);
              } catch (e) {
                log.push(`child: ${(e as Error).name}`);
                throw e;
              }
            });
            await asyncio.sleep(0);
            tg.cancel();
            try {
              await asyncio.sleep(10);
            } catch (e) {
              log.push(`body: ${(e as Error).name}`);
              throw e;
            }
            return "not reached";
          });
          assert.equal(r, undefined, "the group exits quietly");
          assert.equal(child.cancelled(), true);
          assert.deepEqual(log.sort(), ["body: CancelledError", "child: CancelledError"]);
          assert.equal(cancelling(), 0);
          await asyncio.sleep(0); // no cancellation left over
        });
      },
      gen: async () => {
        await runMain(function* () {
          const log: string[] = [];
          let child!: asyncio.Task<void>;
          const sleeper = asyncio.coroutine(function* () {
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              log.push(`child: ${(e as Error).name}`);
              throw e;
            }
          });
          const r = yield* asyncio.taskGroup(function* (tg) {
            child = tg.createTask(sleeper());
            yield* asyncio.sleep(0);
            tg.cancel();
            try {
              yield* asyncio.sleep(10);
            } catch (e) {
              log.push(`body: ${(e as Error).name}`);
              throw e;
            }
            return "not reached";
          });
          assert.equal(r, undefined, "the group exits quietly");
          assert.equal(child.cancelled(), true);
          assert.deepEqual(log.sort(), ["body: CancelledError", "child: CancelledError"]);
          assert.equal(cancelling(), 0);
          yield* asyncio.sleep(0);
        });
      },
    },
  );

  bothForms("tg.cancel() from a child (test_taskgroups.py, gh-108951)", {
    async: async () => {
      await runMain(async () => {
        let other!: asyncio.Task<void>;
        const r = await asyncio.taskGroup(async (tg) => {
          other = tg.createTask(() => asyncio.sleep(10));
          tg.createTask(async () => {
            await asyncio.sleep(0);
            tg.cancel();
          });
          await asyncio.sleep(10);
          return "not reached";
        });
        assert.equal(r, undefined);
        assert.equal(other.cancelled(), true);
        assert.equal(cancelling(), 0);
      });
    },
    gen: async () => {
      await runMain(function* () {
        let other!: asyncio.Task<void>;
        const sleep10 = asyncio.coroutine(function* () {
          yield* asyncio.sleep(10);
        });
        const canceller = asyncio.coroutine(function* (tg: asyncio.TaskGroup) {
          yield;
          tg.cancel();
        });
        const r = yield* asyncio.taskGroup(function* (tg) {
          other = tg.createTask(sleep10());
          tg.createTask(canceller(tg));
          yield* asyncio.sleep(10);
          return "not reached";
        });
        assert.equal(r, undefined);
        assert.equal(other.cancelled(), true);
        assert.equal(cancelling(), 0);
      });
    },
  });

  bothForms("tg.cancel() keeps an outside cancel a CancelledError (test_taskgroups.py, gh-108951)", {
    async: async () => {
      await runMain(async () => {
        const ready = asyncio.getRunningLoop().createFuture<asyncio.TaskGroup>();
        const r = asyncio.createTask(() =>
          asyncio.taskGroup(async (tg) => {
            tg.createTask(() => asyncio.sleep(10));
            ready.setResult(tg);
            await asyncio.sleep(10);
          }),
        );
        const tg = await ready;
        r.cancel();
        tg.cancel();
        assert.ok(isCancelled(await caught(r)), "the outside cancel is not swallowed by the group");
        assert.equal(r.cancelled(), true);
      });
    },
    gen: async () => {
      await runMain(function* () {
        const ready = asyncio.getRunningLoop().createFuture<asyncio.TaskGroup>();
        const sleep10 = asyncio.coroutine(function* () {
          yield* asyncio.sleep(10);
        });
        const r = asyncio.createTask(
          asyncio.taskGroup(function* (tg) {
            tg.createTask(sleep10());
            ready.setResult(tg);
            yield* asyncio.sleep(10);
          }),
        );
        const tg = yield* ready;
        r.cancel();
        tg.cancel();
        assert.ok(isCancelled(yield* caughtGen(r)), "the outside cancel is not swallowed by the group");
        assert.equal(r.cancelled(), true);
      });
    },
  });

  bothForms(
    "tg.cancel() then an error in the body: the error is still raised (test_taskgroups.py, gh-108951)",
    {
      async: async () => {
        await runMain(async () => {
          const err = await caught(
            asyncio.taskGroup(async (tg) => {
              tg.createTask(() => asyncio.sleep(0.1));
              tg.cancel();
              assert.equal(cancelling(), 1);
              throw new MyExc();
            }),
          );
          assert.deepEqual(errorTypes(err), new Set(["MyExc"]));
          assert.equal(cancelling(), 0);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const sleeper = asyncio.coroutine(function* () {
            yield* asyncio.sleep(0.1);
          });
          const err = yield* caughtGen(
            // biome-ignore lint/correctness/useYield: the body fails before suspending
            asyncio.taskGroup(function* (tg) {
              tg.createTask(sleeper());
              tg.cancel();
              assert.equal(cancelling(), 1);
              throw new MyExc();
            }),
          );
          assert.deepEqual(errorTypes(err), new Set(["MyExc"]));
          assert.equal(cancelling(), 0);
        });
      },
    },
  );

  test("tg.cancel() before entering, twice, and after exit (test_taskgroups.py, gh-108951)", async () => {
    await runMain(async () => {
      const tg = new asyncio.TaskGroup();
      tg.cancel(); // before the group is entered: it cancels on entry
      const log: string[] = [];
      const r = await tg.run(async (g) => {
        assert.throws(() => g.createTask(() => asyncio.sleep(0)), asyncio.RuntimeError);
        try {
          await asyncio.sleep(10);
        } catch (e) {
          log.push((e as Error).name);
          throw e;
        }
      });
      assert.equal(r, undefined);
      assert.deepEqual(log, ["CancelledError"]);
      tg.cancel(); // after exit: no effect
      tg.cancel();
      assert.equal(cancelling(), 0);
      await asyncio.sleep(0);

      const r2 = await asyncio.taskGroup(async (g) => {
        g.createTask(() => asyncio.sleep(10));
        g.cancel();
        g.cancel(); // idempotent
        assert.equal(cancelling(), 1, "only one cancel request for the body");
        await asyncio.sleep(10);
      });
      assert.equal(r2, undefined);
      assert.equal(cancelling(), 0);
    });
  });
});

describe("TaskGroup: misuse", () => {
  test("test_taskgroup_not_entered (test_taskgroups.py)", async () => {
    await runMain(async () => {
      const tg = new asyncio.TaskGroup();
      let ran = false;
      const coro = asyncio.coroutine(async () => {
        ran = true;
      })();
      assert.throws(
        () => tg.createTask(coro),
        (e: unknown) => e instanceof asyncio.RuntimeError && /has not been entered/.test(e.message),
      );
      await asyncio.sleep(0);
      assert.equal(ran, false);
    });
  });

  test("test_taskgroup_finished / test_coro_closed_when_tg_closed (test_taskgroups.py)", async () => {
    await runMain(async () => {
      const tg = new asyncio.TaskGroup();
      await tg.run(() => {});
      let ran = false;
      const coro = asyncio.coroutine(async () => {
        ran = true;
      })();
      assert.throws(
        () => tg.createTask(coro),
        (e: unknown) => e instanceof asyncio.RuntimeError && /is finished/.test(e.message),
      );
      // The refused coroutine was closed: it can never run.
      await assert.rejects(async () => await coro, asyncio.RuntimeError);
      assert.equal(ran, false);
    });
  });

  test("test_taskgroup_double_enter / test_taskgroup_already_entered (test_taskgroups.py)", async () => {
    await runMain(async () => {
      const tg = new asyncio.TaskGroup();
      await tg.run(async () => {
        const err = await caught(tg.run(() => {}));
        assert.ok(err instanceof asyncio.RuntimeError && /has already been entered/.test(err.message));
      });
      const err = await caught(tg.run(() => {}));
      assert.ok(err instanceof asyncio.RuntimeError && /has already been entered/.test(err.message));
    });
  });

  test("test_taskgroup_without_parent_task (test_taskgroups.py) — documented deviation: runs in a new task", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const outcome = loop.createFuture<unknown>();
      loop.callSoon(() => {
        assert.equal(asyncio.currentTask(), null);
        asyncio
          .taskGroup(async (tg) => {
            const parent = asyncio.currentTask();
            assert.notEqual(parent, null, "the group got a task of its own");
            const child = tg.createTask(async () => 3);
            return (await child) * 2;
          })
          .then(
            (v) => outcome.setResult(v),
            (e: unknown) => outcome.setResult(e),
          );
      });
      assert.equal(await outcome, 6);
    });
  });

  test("a body that is not a function is a TypeError (TaskGroup argument handling)", async () => {
    await runMain(async () => {
      assert.throws(() => asyncio.taskGroup(42 as unknown as () => void), TypeError);
      assert.throws(() => new asyncio.TaskGroup().run(null as unknown as () => void), TypeError);
    });
  });

  const TASKGROUP_HINT =
    "TaskGroup is not a context manager: write `await taskGroup(async (tg) => { tg.createTask(…) })` " +
    "(Python: `async with asyncio.TaskGroup() as tg:`); `await using` cannot see the body's error, " +
    "so the group could not cancel the sibling tasks when the body fails";

  /** The refusal: a TypeError with the hint, the block did not run, the group was never entered. */
  function assertRefused(err: unknown, ran: boolean, tg: asyncio.TaskGroup): void {
    assert.ok(err instanceof TypeError, String(err));
    assert.ok(err instanceof asyncio.ArgumentTypeError);
    assert.equal(err.message, TASKGROUP_HINT);
    assert.equal(ran, false, "the block must not run");
    assert.throws(() => tg.createTask(async () => {}), /has not been entered/);
  }

  // No CPython counterpart: there `async with asyncio.TaskGroup() as tg:` is the spelling. Here
  // `await using` would be a group that cannot cancel its children when the body fails, so it is
  // refused at the declaration, before the body runs, and the type checker rejects it too.
  bothForms(
    "`await using tg = new TaskGroup()` throws a TypeError saying what to write, before the body runs",
    {
      async: async () => {
        await runMain(async () => {
          const tg = new asyncio.TaskGroup();
          let ran = false;
          const err = await caught(
            (async () => {
              // @ts-expect-error a TaskGroup is not disposable: `await taskGroup(async (tg) => …)`
              await using g = tg;
              ran = true;
              g.createTask(async () => {});
            })(),
          );
          assertRefused(err, ran, tg);
        });
      },
      gen: async () => {
        await runMain(function* () {
          const tg = new asyncio.TaskGroup();
          let ran = false;
          const err = yield* caughtGen(
            asyncio.coroutine(function* () {
              // @ts-expect-error a TaskGroup is not disposable: `yield* taskGroup(function* (tg) { … })`
              using g = tg;
              ran = true;
              g.createTask(async () => {});
              yield* runBrieflyGen();
            })(),
          );
          assertRefused(err, ran, tg);
        });
      },
    },
  );

  test("the refusing getters leave TaskGroup's inspect, instanceof and run() alone", async () => {
    await runMain(async () => {
      const tg = new asyncio.TaskGroup();
      for (const sym of [Symbol.asyncDispose, Symbol.dispose])
        assert.throws(() => (tg as any)[sym], { name: "TypeError", message: TASKGROUP_HINT });
      assert.equal(Object.getOwnPropertySymbols(tg).length, 0);
      assert.ok(tg instanceof asyncio.TaskGroup);
      assert.equal(String(tg), "<TaskGroup>");
      assert.equal(await tg.run(async (g) => await g.createTask(async () => 7)), 7);
    });
  });
});
