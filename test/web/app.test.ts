// Port of the behaviour checked by aiohttp's tests/test_web_app.py (each title names the aiohttp test it
// follows; "aiots:" titles are our own): typed state with AppKey, the lifecycle signals and their order,
// cleanupCtx (async generators and generator coroutines), freezing, and sub-applications, whose signals
// the parent runs. Lifecycle tests drive startup()/shutdown()/cleanup() directly or through a real
// server (`TestClient`, in `asyncio.run`).
//
// Differences from aiohttp kept on purpose (see src/web/app.ts): state is `app.set(key, v)` /
// `app.get(key)` (a missing key without a default is a ValueError), and stays writable while the app
// runs; several cleanup errors come as an ExceptionGroup (aiohttp: CleanupError); middlewares are given
// to the constructor (there is no `app.middlewares.append`), and the list is frozen with the app.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { ArgumentTypeError, ExceptionGroup, RuntimeError, ValueError } from "../../src/index.js";
import { TestClient } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { inLoop } from "../helpers.js";

/** What a call threw (or undefined). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** An async-generator cleanup context that logs `pre_<n>` / `post_<n>` and may fail on either side. */
function ctxGen(out: string[], n: number, fail?: { pre?: unknown; post?: unknown }): web.CleanupContext {
  return async function* (_app: web.Application) {
    out.push(`pre_${n}`);
    if (fail?.pre !== undefined) throw fail.pre;
    yield;
    out.push(`post_${n}`);
    if (fail?.post !== undefined) throw fail.post;
  };
}

/** The same context as a generator coroutine (`asyncio.coroutine(function* …)`); a bare `yield` splits it. */
function ctxCoro(out: string[], n: number, fail?: { pre?: unknown; post?: unknown }): web.CleanupContext {
  return asyncio.coroutine(function* (_app: web.Application) {
    yield* asyncio.sleep(0.001);
    out.push(`pre_${n}`);
    if (fail?.pre !== undefined) throw fail.pre;
    yield;
    yield* asyncio.sleep(0.001);
    out.push(`post_${n}`);
    if (fail?.post !== undefined) throw fail.post;
  });
}

describe("Application: state (test_web_app.py)", () => {
  test("test_appkey", () => {
    const key = new web.AppKey<string>("key");
    const app = new web.Application();
    app.set(key, "value");
    const v: string = app.get(key);
    assert.equal(v, "value");
    assert.equal(app.has(key), true);
    assert.equal(app.delete(key), true);
    assert.equal(app.has(key), false);
  });

  test("test_app_get", () => {
    const key = new web.AppKey<number>("key");
    const app = new web.Application();
    assert.equal(app.get(key, "foo"), "foo");
    app.set(key, 5);
    assert.equal(app.get(key, "foo"), 5);
  });

  test("aiots: a missing key without a default is a ValueError", () => {
    const app = new web.Application();
    assert.throws(() => app.get(new web.AppKey<number>("missing")), ValueError);
  });

  test("aiots: two AppKeys with the same name are different keys", () => {
    const a = new web.AppKey<string>("same");
    const b = new web.AppKey<string>("same");
    const app = new web.Application();
    app.set(a, "a");
    app.set(b, "b");
    assert.equal(app.get(a), "a");
    assert.equal(app.get(b), "b");
  });

  test("test_appkey_repr_concrete (aiots form)", () => {
    assert.equal(String(new web.AppKey<number>("key")), "<AppKey(key)>");
    assert.throws(() => new web.AppKey<number>(1 as unknown as string), TypeError);
  });

  test("test_app_str_keys: string keys work too", () => {
    const app = new web.Application();
    app.set("key", "value");
    assert.equal(app.get("key"), "value");
  });

  test(
    "aiots: state stays writable while the app runs (aiohttp 3 allows it)",
    inLoop(async () => {
      const key = new web.AppKey<number>("hits");
      const app = new web.Application();
      app.set(key, 0);
      app.router.addGet("/", (req) => {
        req.app.set(key, req.app.get(key) + 1);
        return new web.Response({ text: String(req.app.get(key)) });
      });
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/")).text(), "1");
      assert.equal(await (await client.get("/")).text(), "2");
      assert.equal(app.get(key), 2);
    }),
  );

  test("aiots: constructor options are checked", () => {
    assert.throws(() => new web.Application({ clientMaxSize: -1 }), ValueError);
    assert.throws(
      () => new web.Application({ middlewares: [42 as unknown as web.Middleware] }),
      ArgumentTypeError,
    );
    assert.equal(new web.Application().clientMaxSize, web.DEFAULT_CLIENT_MAX_SIZE);
    assert.equal(String(new web.Application()), "<Application root>");
  });
});

describe("Application: signals (test_web_app.py)", () => {
  test("test_app_register_on_finish", async () => {
    const app = new web.Application();
    const calls: [string, web.Application][] = [];
    app.onCleanup.append(async (a) => {
      calls.push(["cb1", a]);
    });
    app.onCleanup.append(async (a) => {
      calls.push(["cb2", a]);
    });
    app.freeze();
    await app.cleanup();
    assert.deepEqual(calls, [
      ["cb1", app],
      ["cb2", app],
    ]);
  });

  test("test_app_register_coro", async () => {
    const app = new web.Application();
    const fut = new asyncio.Future<number>();
    app.onCleanup.append(async () => {
      await asyncio.sleep(0.001);
      fut.setResult(123);
    });
    app.freeze();
    await app.cleanup();
    assert.equal(fut.done(), true);
    assert.equal(fut.result(), 123);
  });

  test("test_on_shutdown", async () => {
    const app = new web.Application();
    let called: web.Application | null = null;
    app.onShutdown.append(async (a) => {
      called = a;
    });
    app.freeze();
    await app.shutdown();
    assert.equal(called, app);
  });

  test("test_on_startup (a handler that gathers two more)", async () => {
    const app = new web.Application();
    const out: string[] = [];
    const longRunning = async (name: string, a: web.Application): Promise<void> => {
      assert.equal(a, app);
      await asyncio.sleep(0);
      out.push(name);
    };
    app.onStartup.append(async (a) => {
      out.push("all");
      await asyncio.gather(
        () => longRunning("1", a),
        () => longRunning("2", a),
      );
    });
    await app.startup();
    assert.deepEqual(out, ["all", "1", "2"]);
  });

  test("aiots: signal handlers run one after the other, in registration order (generator coroutines too)", async () => {
    const app = new web.Application();
    const out: string[] = [];
    app.onStartup.append(async () => {
      await asyncio.sleep(0.002);
      out.push("a");
    });
    app.onStartup.append(
      asyncio.coroutine(function* () {
        yield* asyncio.sleep(0.001);
        out.push("b");
      }),
    );
    app.onStartup.push(() => {
      out.push("c");
    });
    assert.equal(app.onStartup.length, 3);
    await app.startup();
    assert.deepEqual(out, ["a", "b", "c"]);
  });

  test("aiots: a startup handler's error stops startup and is thrown as is", async () => {
    const app = new web.Application();
    const boom = new Error("boom");
    const out: string[] = [];
    app.onStartup.append(() => {
      throw boom;
    });
    app.onStartup.append(() => {
      out.push("never");
    });
    await assert.rejects(app.startup(), (e) => e === boom);
    assert.deepEqual(out, []);
  });

  test("aiots: a signal refuses a non-function", () => {
    const app = new web.Application();
    assert.throws(() => app.onStartup.append(42 as unknown as web.AppSignalHandler), TypeError);
    assert.throws(() => app.cleanupCtx.append({} as unknown as web.CleanupContext), TypeError);
  });

  test(
    "aiots: the whole lifecycle order around a served request (ctx before onStartup, ctx exit before onCleanup)",
    inLoop(async () => {
      const out: string[] = [];
      const app = new web.Application();
      app.onStartup.append(() => {
        out.push("on_startup");
      });
      app.cleanupCtx.append(async function* () {
        out.push("ctx_pre");
        yield;
        out.push("ctx_post");
      });
      app.onShutdown.append(() => {
        out.push("on_shutdown");
      });
      app.onCleanup.append(() => {
        out.push("on_cleanup");
      });
      app.router.addGet("/", () => {
        out.push("request");
        return new web.Response({ text: "ok" });
      });
      {
        await using client = await new TestClient(app).start();
        out.push("started");
        assert.equal(await (await client.get("/")).text(), "ok");
      }
      assert.deepEqual(out, [
        "ctx_pre",
        "on_startup",
        "started",
        "request",
        "on_shutdown",
        "ctx_post",
        "on_cleanup",
      ]);
    }),
  );
});

describe("Application: cleanupCtx (test_web_app.py)", () => {
  test("test_cleanup_ctx", async () => {
    const app = new web.Application();
    const out: string[] = [];
    app.cleanupCtx.append(ctxGen(out, 1));
    app.cleanupCtx.append(ctxGen(out, 2));
    app.freeze();
    await app.startup();
    assert.deepEqual(out, ["pre_1", "pre_2"]);
    await app.cleanup();
    assert.deepEqual(out, ["pre_1", "pre_2", "post_2", "post_1"]);
  });

  test("test_cleanup_ctx_exception_on_startup", async () => {
    const app = new web.Application();
    const out: string[] = [];
    const exc = new Error("fail");
    app.cleanupCtx.append(ctxGen(out, 1));
    app.cleanupCtx.append(ctxGen(out, 2, { pre: exc }));
    app.cleanupCtx.append(ctxGen(out, 3));
    app.freeze();
    await assert.rejects(app.startup(), (e) => e === exc);
    assert.deepEqual(out, ["pre_1", "pre_2"]);
    await app.cleanup();
    assert.deepEqual(out, ["pre_1", "pre_2", "post_1"]);
  });

  test("test_cleanup_ctx_exception_on_cleanup", async () => {
    const app = new web.Application();
    const out: string[] = [];
    const exc = new Error("fail");
    app.cleanupCtx.append(ctxGen(out, 1));
    app.cleanupCtx.append(ctxGen(out, 2, { post: exc }));
    app.cleanupCtx.append(ctxGen(out, 3));
    app.freeze();
    await app.startup();
    assert.deepEqual(out, ["pre_1", "pre_2", "pre_3"]);
    await assert.rejects(app.cleanup(), (e) => e === exc);
    assert.deepEqual(out, ["pre_1", "pre_2", "pre_3", "post_3", "post_2", "post_1"]);
  });

  test("test_cleanup_ctx_cleanup_after_exception (through AppRunner)", async () => {
    const app = new web.Application();
    let state = "";
    app.cleanupCtx.append(async function* () {
      state = "START";
      yield;
      state = "CLEAN";
    });
    app.cleanupCtx.append(ctxGen([], 2, { pre: new Error("fail_ctx") }));
    const runner = new web.AppRunner(app, { accessLog: null });
    try {
      await assert.rejects(runner.setup(), /fail_ctx/);
    } finally {
      await runner.cleanup();
    }
    assert.equal(state, "CLEAN");
  });

  for (const [label, make] of [
    ["Exception", (msg: string) => new Error(msg)],
    ["CancelledError", (msg: string) => new asyncio.CancelledError(msg)],
  ] as const) {
    test(`test_cleanup_ctx_exception_on_cleanup_multiple (${label})`, async () => {
      const app = new web.Application();
      const out: string[] = [];
      app.cleanupCtx.append(ctxGen(out, 1));
      app.cleanupCtx.append(ctxGen(out, 2, { post: make("fail_2") }));
      app.cleanupCtx.append(ctxGen(out, 3, { post: make("fail_3") }));
      app.freeze();
      await app.startup();
      assert.deepEqual(out, ["pre_1", "pre_2", "pre_3"]);
      const err = await app.cleanup().then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ExceptionGroup, String(err));
      assert.deepEqual(
        err.errors.map((e: Error) => e.message),
        ["fail_3", "fail_2"],
      );
      assert.deepEqual(out, ["pre_1", "pre_2", "pre_3", "post_3", "post_2", "post_1"]);
    });
  }

  test("test_cleanup_ctx_multiple_yields", async () => {
    const app = new web.Application();
    const out: string[] = [];
    app.cleanupCtx.append(async function* () {
      out.push("pre_1");
      yield;
      out.push("post_1");
      yield;
    });
    app.freeze();
    await app.startup();
    assert.deepEqual(out, ["pre_1"]);
    await assert.rejects(app.cleanup(), RuntimeError);
    assert.deepEqual(out, ["pre_1", "post_1"]);
  });

  test("aiots: a context that never yields fails startup with a RuntimeError", async () => {
    const app = new web.Application();
    app.cleanupCtx.append(async function* noYield() {});
    await assert.rejects(app.startup(), (e) => e instanceof RuntimeError && /noYield/.test(e.message));
  });

  test("test_cleanup_ctx with asyncio.coroutine(function* …): same order as async generators", async () => {
    const app = new web.Application();
    const out: string[] = [];
    app.cleanupCtx.append(ctxCoro(out, 1));
    app.cleanupCtx.append(ctxGen(out, 2));
    app.cleanupCtx.append(ctxCoro(out, 3));
    app.freeze();
    await app.startup();
    assert.deepEqual(out, ["pre_1", "pre_2", "pre_3"]);
    await app.cleanup();
    assert.deepEqual(out, ["pre_1", "pre_2", "pre_3", "post_3", "post_2", "post_1"]);
  });

  test("test_cleanup_ctx_exception_on_startup with generator coroutines", async () => {
    const app = new web.Application();
    const out: string[] = [];
    const exc = new Error("fail");
    app.cleanupCtx.append(ctxCoro(out, 1));
    app.cleanupCtx.append(ctxCoro(out, 2, { pre: exc }));
    app.cleanupCtx.append(ctxCoro(out, 3));
    await assert.rejects(app.startup(), (e) => e === exc);
    await app.cleanup();
    assert.deepEqual(out, ["pre_1", "pre_2", "post_1"]);
  });

  test("test_cleanup_ctx_exception_on_cleanup_multiple with generator coroutines: errors gathered", async () => {
    const app = new web.Application();
    const out: string[] = [];
    app.cleanupCtx.append(ctxCoro(out, 1, { post: new Error("fail_1") }));
    app.cleanupCtx.append(ctxGen(out, 2));
    app.cleanupCtx.append(ctxCoro(out, 3, { post: new Error("fail_3") }));
    await app.startup();
    const err = await app.cleanup().then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ExceptionGroup, String(err));
    assert.deepEqual(
      err.errors.map((e: Error) => e.message),
      ["fail_3", "fail_1"],
    );
    assert.deepEqual(out, ["pre_1", "pre_2", "pre_3", "post_3", "post_2", "post_1"]);
  });

  test("aiots: a plain generator function works as a context, and its setup can await futures", async () => {
    const app = new web.Application();
    const out: string[] = [];
    const ready = new asyncio.Future<string>();
    asyncio.getEventLoop().callLater(0.001, () => ready.setResult("db"));
    app.cleanupCtx.append(function* (a) {
      const conn: string = yield* ready;
      a.set("conn", conn);
      out.push(`open ${conn}`);
      yield;
      out.push("close");
    });
    await app.startup();
    assert.equal(app.get("conn"), "db");
    await app.cleanup();
    assert.deepEqual(out, ["open db", "close"]);
  });

  test("aiots: cleanup errors of onCleanup and of the contexts are gathered together", async () => {
    const app = new web.Application();
    const out: string[] = [];
    app.cleanupCtx.append(ctxGen(out, 1, { post: new Error("ctx") }));
    app.onCleanup.append(() => {
      throw new Error("signal");
    });
    app.onCleanup.append(() => {
      out.push("after the failing handler"); // a signal stops at its first error
    });
    await app.startup();
    const err = await app.cleanup().then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ExceptionGroup, String(err));
    assert.deepEqual(
      err.errors.map((e: Error) => e.message),
      ["ctx", "signal"],
    );
    assert.deepEqual(out, ["pre_1", "post_1"]);
  });
});

describe("Application: freezing (test_web_app.py, test_urldispatch.py)", () => {
  test("test_app_freeze: idempotent, and sub-applications freeze with their parent", () => {
    const app = new web.Application();
    const sub = new web.Application();
    app.addSubapp("/sub", sub);
    assert.equal(sub.frozen, false);
    app.freeze();
    app.freeze();
    assert.equal(app.frozen, true);
    assert.equal(sub.frozen, true);
  });

  test(
    "aiots: after start, adding a route, a sub-app, a signal handler or a context is a RuntimeError",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ text: "ok" }));
      await using client = await new TestClient(app).start();
      const h = () => new web.Response();
      const attempts: [string, () => unknown][] = [
        ["addGet", () => app.router.addGet("/late", h)],
        ["addRoute", () => app.router.addRoute("POST", "/late", h)],
        ["addRoutes", () => app.addRoutes([web.get("/late", h)])],
        ["addSubapp", () => app.addSubapp("/late", new web.Application())],
        ["onStartup", () => app.onStartup.append(() => {})],
        ["onShutdown", () => app.onShutdown.append(() => {})],
        ["onCleanup", () => app.onCleanup.append(() => {})],
        ["cleanupCtx", () => app.cleanupCtx.append(async function* () {})],
      ];
      for (const [what, fn] of attempts) assert.ok(thrownBy(fn) instanceof RuntimeError, what);
      assert.equal((await client.get("/late")).status, 404);
    }),
  );

  test(
    "aiots: after start, the middleware list cannot change",
    inLoop(async () => {
      const app = new web.Application({ middlewares: [async (req, handler) => await handler(req)] });
      app.router.addGet("/", () => new web.Response({ text: "ok" }));
      await using client = await new TestClient(app).start();
      const extra: web.Middleware = async () => new web.Response({ text: "late middleware" });
      assert.throws(() => (app.middlewares as web.Middleware[]).push(extra), TypeError);
      assert.equal(app.middlewares.length, 1);
      assert.equal(await (await client.get("/")).text(), "ok");
    }),
  );

  test("test_frozen_router_subapp: a frozen app cannot be mounted", () => {
    const app = new web.Application();
    const sub = new web.Application();
    sub.freeze();
    assert.throws(() => app.addSubapp("/pre", sub), RuntimeError);
  });

  test("test_frozen_app_on_subapp: nothing can be mounted on a frozen app", () => {
    const app = new web.Application();
    app.freeze();
    assert.throws(() => app.addSubapp("/pre", new web.Application()), RuntimeError);
  });
});

describe("Application: sub-applications (test_web_app.py, test_urldispatch.py)", () => {
  test("test_add_subapp_errors: a prefix that is not a string is a TypeError", () => {
    const app = new web.Application();
    assert.throws(() => app.addSubapp(1 as unknown as string, new web.Application()), TypeError);
    assert.throws(() => app.addSubapp("/x", {} as web.Application), TypeError);
  });

  test("test_cannot_add_subapp_with_empty_prefix / test_cannot_add_subapp_with_slash_prefix", () => {
    const app = new web.Application();
    assert.throws(() => app.addSubapp("", new web.Application()), ValueError);
    assert.throws(() => app.addSubapp("/", new web.Application()), ValueError);
    assert.throws(() => app.addSubapp("///", new web.Application()), ValueError);
  });

  test("aiots: an app cannot be mounted on itself, nor twice", () => {
    const app = new web.Application();
    const sub = new web.Application();
    assert.throws(() => app.addSubapp("/self", app), RuntimeError);
    assert.equal(app.addSubapp("/a", sub), sub);
    assert.throws(() => app.addSubapp("/b", sub), RuntimeError);
    assert.throws(() => new web.Application().addSubapp("/c", sub), RuntimeError);
    assert.deepEqual(app.subapps, [sub]);
  });

  test(
    "aiots: a trailing slash of the prefix is dropped, a missing leading one added",
    inLoop(async () => {
      const app = new web.Application();
      const a = new web.Application();
      a.router.addGet("/x", () => new web.Response({ text: "a" }));
      const b = new web.Application();
      b.router.addGet("/x", () => new web.Response({ text: "b" }));
      app.addSubapp("/a/", a);
      app.addSubapp("b", b);
      assert.equal(String(a), "<Application /a>");
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/a/x")).text(), "a");
      assert.equal(await (await client.get("/b/x")).text(), "b");
    }),
  );

  test(
    "test_subapp_on_startup: the parent runs the sub-app's signals and contexts",
    inLoop(async () => {
      const sub = new web.Application();
      const started = new web.AppKey<boolean>("startup");
      const out: string[] = [];
      sub.onStartup.append((a) => {
        out.push(`startup ${a === sub}`);
        a.set(started, true);
      });
      sub.cleanupCtx.append(async function* (a) {
        out.push(`ctx_pre ${a === sub}`);
        yield;
        out.push("ctx_post");
      });
      sub.onShutdown.append((a) => {
        out.push(`shutdown ${a === sub}`);
      });
      sub.onCleanup.append((a) => {
        out.push(`cleanup ${a === sub}`);
      });
      sub.router.addGet("/", (req) => new web.Response({ text: String(req.app.get(started)) }));
      const app = new web.Application();
      app.addSubapp("/subapp", sub);
      assert.deepEqual(out, []);
      {
        await using client = await new TestClient(app).start();
        assert.deepEqual(out, ["ctx_pre true", "startup true"]);
        assert.equal(await (await client.get("/subapp/")).text(), "true");
      }
      assert.deepEqual(out, ["ctx_pre true", "startup true", "shutdown true", "ctx_post", "cleanup true"]);
    }),
  );

  test("aiots: parent and sub-app signals interleave in mounting order", async () => {
    const out: string[] = [];
    const app = new web.Application();
    const sub = new web.Application();
    app.onStartup.append(() => {
      out.push("root 1");
    });
    sub.onStartup.append(() => {
      out.push("sub");
    });
    app.addSubapp("/s", sub);
    app.onStartup.append(() => {
      out.push("root 2");
    });
    await app.startup();
    assert.deepEqual(out, ["root 1", "sub", "root 2"]);
  });

  test(
    "test_subapp_chained_config_dict_visibility (aiots: request.app and matchInfo.apps)",
    inLoop(async () => {
      const key1 = new web.AppKey<string>("key1");
      const key2 = new web.AppKey<string>("key2");
      const root = new web.Application();
      root.set(key1, "val1");
      const sub = new web.Application();
      sub.set(key2, "val2");
      const seen: string[] = [];
      root.addRoutes([
        web.get("/", (req) => {
          seen.push(`root: ${req.app === root} ${req.app.get(key1)} ${req.app.has(key2)}`);
          return new web.Response({ status: 200 });
        }),
      ]);
      sub.addRoutes([
        web.get("/", (req) => {
          const [outer, inner] = req.matchInfo.apps;
          seen.push(`sub: ${req.app === sub} ${outer!.get(key1)} ${inner!.get(key2)}`);
          return new web.Response({ status: 201 });
        }),
      ]);
      root.addSubapp("/sub", sub);
      await using client = await new TestClient(root).start();
      assert.equal((await client.get("/")).status, 200);
      assert.equal((await client.get("/sub/")).status, 201);
      assert.deepEqual(seen, ["root: true val1 false", "sub: true val1 val2"]);
    }),
  );

  test(
    "aiots: nested sub-applications start depth first and stop in the same order",
    inLoop(async () => {
      const out: string[] = [];
      const root = new web.Application();
      const mid = new web.Application();
      const leaf = new web.Application();
      for (const [name, a] of [
        ["root", root],
        ["mid", mid],
        ["leaf", leaf],
      ] as const) {
        a.onStartup.append(() => {
          out.push(`start ${name}`);
        });
        a.onCleanup.append(() => {
          out.push(`cleanup ${name}`);
        });
      }
      leaf.router.addGet("/x", () => new web.Response({ text: "leaf" }));
      mid.addSubapp("/leaf", leaf);
      root.addSubapp("/mid", mid);
      {
        await using client = await new TestClient(root).start();
        assert.equal(await (await client.get("/mid/leaf/x")).text(), "leaf");
      }
      assert.deepEqual(out, [
        "start root",
        "start mid",
        "start leaf",
        "cleanup root",
        "cleanup mid",
        "cleanup leaf",
      ]);
    }),
  );
});
