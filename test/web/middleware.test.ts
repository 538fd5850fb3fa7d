// Port of the behaviour checked by aiohttp's tests/test_web_middleware.py (each title names the aiohttp
// test it follows; "aiots:" titles are our own): middleware order, middlewares that change the response
// or handle errors, sub-application middlewares, and normalizePathMiddleware (appendSlash, removeSlash,
// mergeSlashes, their combinations, the query kept, the redirect class, only for a 404/405). All
// functional: real sockets, aiots' `TestClient` (in `asyncio.run`), `fetch` for request targets a
// URL would normalise (`//a`), or a raw socket for a request-target fetch cannot send.
//
// Differences from aiohttp kept on purpose (see src/web/middlewares.ts): every middleware is "new
// style" (`web.middleware` is an identity kept for ported code, without a deprecation warning);
// middlewares are given to the Application constructor; a wrong normalizePathMiddleware configuration
// is a TypeError (aiohttp: AssertionError).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { TestClient, TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { inLoop } from "../helpers.js";
import { rawExchange } from "./helpers.js";

/** The absolute URL of a raw request target (kept as is: `//a` is a path, not a host). */
const urlOf = (server: TestServer, target: string): string => server.baseUrl + target;

/** A middleware that appends `[tag]` to the text of the response below it. */
function appending(tag: string, seen?: string[]): web.Middleware {
  return async (request, handler) => {
    seen?.push(`enter ${tag}`);
    const resp = (await handler(request)) as web.Response;
    seen?.push(`leave ${tag}`);
    resp.text = `${resp.text}[${tag}]`;
    return resp;
  };
}

const ok = (): web.Response => new web.Response({ text: "OK" });

describe("middlewares (test_web_middleware.py)", () => {
  test(
    "test_middleware_modifies_response (twice: the compiled chain is reused)",
    inLoop(async () => {
      const app = new web.Application({
        middlewares: [
          async (request, handler) => {
            const resp = (await handler(request)) as web.Response;
            assert.equal(resp.status, 200);
            resp.setStatus(201);
            resp.text = `${resp.text}[MIDDLEWARE]`;
            return resp;
          },
        ],
      });
      app.router.addRoute("GET", "/", () => new web.Response({ body: Buffer.from("OK") }));
      await using client = await new TestClient(app).start();
      for (let i = 0; i < 2; i++) {
        const res = await client.get("/");
        assert.equal(res.status, 201);
        assert.equal(await res.text(), "OK[MIDDLEWARE]");
      }
    }),
  );

  test(
    "test_middleware_handles_exception",
    inLoop(async () => {
      const app = new web.Application({
        middlewares: [
          async (request, handler) => {
            try {
              await handler(request);
            } catch (e) {
              return new web.Response({ status: 501, text: `${(e as Error).message}[MIDDLEWARE]` });
            }
            throw new Error("the handler should have failed");
          },
        ],
      });
      app.router.addRoute("GET", "/", () => {
        throw new RangeError("Error text");
      });
      await using client = await new TestClient(app).start();
      for (let i = 0; i < 2; i++) {
        const res = await client.get("/");
        assert.equal(res.status, 501);
        assert.equal(await res.text(), "Error text[MIDDLEWARE]");
      }
    }),
  );

  test(
    "test_middleware_chain: outermost first in, last out",
    inLoop(async () => {
      const seen: string[] = [];
      const app = new web.Application({ middlewares: [appending("1", seen), appending("2", seen)] });
      app.router.addRoute("GET", "/", () => {
        seen.push("handler");
        return ok();
      });
      app.router.addRoute("GET", "/r2", ok);
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "OK[2][1]");
      assert.deepEqual(seen, ["enter 1", "enter 2", "handler", "leave 2", "leave 1"]);
      assert.equal(await (await client.get("/r2")).text(), "OK[2][1]");
    }),
  );

  test(
    "test_middleware_subapp: the parent's run first, the sub-app's only for its routes",
    inLoop(async () => {
      const seen: string[] = [];
      const tagging =
        (tag: string): web.Middleware =>
        async (request, handler) => {
          seen.push(`${tag} ${request.path}`);
          return await handler(request);
        };
      const app = new web.Application({ middlewares: [tagging("root")] });
      app.router.addRoute("GET", "/r2", ok);
      const sub = new web.Application({ middlewares: [tagging("sub")] });
      sub.router.addRoute("GET", "/", ok);
      app.addSubapp("/sub", sub);
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/sub/")).status, 200);
      assert.deepEqual(seen, ["root /sub/", "sub /sub/"]);
      seen.length = 0;
      assert.equal((await client.get("/r2")).status, 200);
      assert.deepEqual(seen, ["root /r2"]);
    }),
  );

  test(
    "aiots: a sub-app's middleware wraps its own routes only, inside the parent's",
    inLoop(async () => {
      const app = new web.Application({ middlewares: [appending("root")] });
      const sub = new web.Application({ middlewares: [appending("sub")] });
      const subsub = new web.Application({ middlewares: [appending("subsub")] });
      app.router.addGet("/a", ok);
      sub.router.addGet("/b", ok);
      subsub.router.addGet("/c", ok);
      sub.addSubapp("/ss", subsub);
      app.addSubapp("/s", sub);
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/a")).text(), "OK[root]");
      assert.equal(await (await client.get("/s/b")).text(), "OK[sub][root]");
      assert.equal(await (await client.get("/s/ss/c")).text(), "OK[subsub][sub][root]");
    }),
  );

  test(
    "test_old_style_middleware: web.middleware is an identity that checks its argument",
    inLoop(async () => {
      const mw = web.middleware(async (request, handler) => {
        const resp = (await handler(request)) as web.Response;
        resp.setStatus(201);
        resp.text = `${resp.text}[old style middleware]`;
        return resp;
      });
      assert.throws(() => web.middleware(42 as unknown as web.Middleware), TypeError);
      const app = new web.Application({ middlewares: [mw] });
      app.router.addRoute("GET", "/", () => new web.Response({ body: Buffer.from("OK") }));
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.status, 201);
      assert.equal(await res.text(), "OK[old style middleware]");
    }),
  );

  test(
    "test_new_style_middleware_class / test_new_style_middleware_method",
    inLoop(async () => {
      class Middleware {
        constructor(readonly tag: string) {}
        call = async (request: web.Request, handler: web.NextHandler): Promise<web.StreamResponse> => {
          const resp = (await handler(request)) as web.Response;
          resp.setStatus(201);
          resp.text = `${resp.text}[${this.tag}]`;
          return resp;
        };
        async method(request: web.Request, handler: web.NextHandler): Promise<web.StreamResponse> {
          return this.call(request, handler);
        }
      }
      const m = new Middleware("new style middleware");
      const app = new web.Application({ middlewares: [m.call, m.method.bind(m)] });
      app.router.addRoute("GET", "/", () => new web.Response({ body: Buffer.from("OK") }));
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.status, 201);
      assert.equal(await res.text(), "OK[new style middleware][new style middleware]");
    }),
  );

  test(
    "aiots: a generator-coroutine middleware",
    inLoop(async () => {
      const app = new web.Application({
        middlewares: [
          asyncio.coroutine(function* (request: web.Request, handler: web.NextHandler) {
            yield* asyncio.sleep(0);
            const resp = (yield handler(request)) as web.Response;
            resp.text = `${resp.text}[gen]`;
            return resp;
          }),
        ],
      });
      app.router.addGet("/", ok);
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/")).text(), "OK[gen]");
    }),
  );

  test(
    "aiots: a middleware may answer without calling the handler",
    inLoop(async () => {
      const calls: string[] = [];
      const app = new web.Application({
        middlewares: [
          async (request, handler) =>
            request.headers.get("x-token") === "secret"
              ? await handler(request)
              : new web.Response({ status: 401, text: "no" }),
        ],
      });
      app.router.addGet("/", () => {
        calls.push("handler");
        return ok();
      });
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/")).status, 401);
      assert.deepEqual(calls, []);
      assert.equal((await client.get("/", { headers: { "X-Token": "secret" } })).status, 200);
      assert.deepEqual(calls, ["handler"]);
    }),
  );

  test(
    "aiots: middlewares see 404 and 405 as HTTP exceptions thrown by the handler",
    inLoop(async () => {
      const seen: string[] = [];
      const app = new web.Application({
        middlewares: [
          async (request, handler) => {
            try {
              return await handler(request);
            } catch (e) {
              if (!(e instanceof web.HTTPException)) throw e;
              seen.push(`${e.status} ${request.matchInfo.route === null}`);
              if (e instanceof web.HTTPNotFound) return new web.Response({ status: 404, text: "custom 404" });
              throw e;
            }
          },
        ],
      });
      app.router.addGet("/", ok);
      await using client = await new TestClient(app).start();
      const missing = await client.get("/missing");
      assert.equal(missing.status, 404);
      assert.equal(await missing.text(), "custom 404");
      const wrong = await client.delete("/");
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get("allow"), "GET,HEAD");
      assert.deepEqual(seen, ["404 true", "405 true"]);
    }),
  );

  test(
    "aiots: an HTTP exception a handler returns reaches the middlewares as a thrown one",
    inLoop(async () => {
      const seen: string[] = [];
      const app = new web.Application({
        middlewares: [
          async (request, handler) => {
            try {
              const resp = await handler(request);
              seen.push(`response ${resp.status}`);
              return resp;
            } catch (e) {
              seen.push(`thrown ${(e as web.HTTPException).status}`);
              throw e;
            }
          },
        ],
      });
      app.router.addGet("/", () => new web.HTTPFound("/elsewhere"));
      await using client = await new TestClient(app).start();
      const res = await client.get("/", { allowRedirects: false });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), "/elsewhere");
      assert.deepEqual(seen, ["thrown 302"]);
    }),
  );

  test(
    "aiots: an HTTP exception thrown by a middleware is the response",
    inLoop(async () => {
      const app = new web.Application({
        middlewares: [
          async () => {
            throw new web.HTTPForbidden({ text: "go away" });
          },
        ],
      });
      app.router.addGet("/", ok);
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.status, 403);
      assert.equal(await res.text(), "go away");
    }),
  );

  test(
    "aiots: the middleware sees the matched route and its parameters before the handler runs",
    inLoop(async () => {
      const seen: string[] = [];
      const app = new web.Application({
        middlewares: [
          async (request, handler) => {
            seen.push(`${request.matchInfo.route?.method} ${request.matchInfo.get("id")}`);
            return await handler(request);
          },
        ],
      });
      app.router.addGet("/users/{id}", (req) => new web.Response({ text: req.matchInfo.get("id") }));
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/users/7")).text(), "7");
      assert.deepEqual(seen, ["GET 7"]);
    }),
  );

  test(
    "test_middleware_does_not_leak: every 405 goes through the same chain",
    inLoop(async () => {
      let calls = 0;
      const app = new web.Application({
        middlewares: [
          async (request, handler) => {
            calls++;
            return await handler(request);
          },
        ],
      });
      app.router.addRoute("POST", "/any", () => {
        throw new Error("not reached");
      });
      await using client = await new TestClient(app).start();
      for (let i = 0; i < 10; i++) {
        const res = await client.get("/any");
        assert.equal(res.status, 405);
        await res.read();
      }
      assert.equal(calls, 10);
    }),
  );
});

/** aiohttp's `cli` fixture: five routes, the given middlewares. */
function normalizeApp(middlewares: web.Middleware[]): web.Application {
  const app = new web.Application({ middlewares });
  app.router.addRoute("GET", "/resource1", ok);
  app.router.addRoute("GET", "/resource2/", ok);
  app.router.addRoute("GET", "/resource1/a/b", ok);
  app.router.addRoute("GET", "/resource2/a/b/", ok);
  app.router.addRoute("GET", "/resource2/a/b%2Fc/", ok);
  return app;
}

/** Request every path (redirects followed) and check the final status and that the query survived. */
async function checkTable(options: web.NormalizePathOptions, table: [string, number][]): Promise<void> {
  await using server = await new TestServer(normalizeApp([web.normalizePathMiddleware(options)])).start();
  const failures: string[] = [];
  for (const [path, status] of table) {
    const res = await fetch(urlOf(server, path));
    await res.arrayBuffer();
    const wantQuery = new URL(urlOf(server, path)).search;
    if (res.status !== status || new URL(res.url).search !== wantQuery)
      failures.push(`${path}: got ${res.status} at ${new URL(res.url).pathname}${new URL(res.url).search}`);
  }
  assert.deepEqual(failures, []);
}

describe("normalizePathMiddleware (test_web_middleware.py TestNormalizePathMiddleware)", () => {
  test("test_add_trailing_when_necessary", async () => {
    await checkTable({ mergeSlashes: false }, [
      ["/resource1", 200],
      ["/resource1/", 404],
      ["/resource2", 200],
      ["/resource2/", 200],
      ["/resource1?p1=1&p2=2", 200],
      ["/resource1/?p1=1&p2=2", 404],
      ["/resource2?p1=1&p2=2", 200],
      ["/resource2/?p1=1&p2=2", 200],
      ["/resource2/a/b%2Fc", 200],
      ["/resource2/a/b%2Fc/", 200],
    ]);
  });

  test("test_remove_trailing_when_necessary", async () => {
    await checkTable({ appendSlash: false, removeSlash: true, mergeSlashes: false }, [
      ["/resource1", 200],
      ["/resource1/", 200],
      ["/resource2", 404],
      ["/resource2/", 200],
      ["/resource1?p1=1&p2=2", 200],
      ["/resource1/?p1=1&p2=2", 200],
      ["/resource2?p1=1&p2=2", 404],
      ["/resource2/?p1=1&p2=2", 200],
      ["/resource2/a/b%2Fc", 404],
      ["/resource2/a/b%2Fc/", 200],
      ["/resource12", 404],
      ["/resource12345", 404],
    ]);
  });

  test("test_no_trailing_slash_when_disabled", async () => {
    await checkTable({ appendSlash: false, mergeSlashes: false }, [
      ["/resource1", 200],
      ["/resource1/", 404],
      ["/resource2", 404],
      ["/resource2/", 200],
      ["/resource1?p1=1&p2=2", 200],
      ["/resource1/?p1=1&p2=2", 404],
      ["/resource2?p1=1&p2=2", 404],
      ["/resource2/?p1=1&p2=2", 200],
      ["/resource2/a/b%2Fc", 404],
      ["/resource2/a/b%2Fc/", 200],
    ]);
  });

  test("test_merge_slash", async () => {
    await checkTable({ appendSlash: false }, [
      ["/resource1/a/b", 200],
      ["//resource1//a//b", 200],
      ["//resource1//a//b/", 404],
      ["///resource1//a//b", 200],
      ["/////resource1/a///b", 200],
      ["/////resource1/a//b/", 404],
      ["/resource1/a/b?p=1", 200],
      ["//resource1//a//b?p=1", 200],
      ["//resource1//a//b/?p=1", 404],
      ["///resource1//a//b?p=1", 200],
      ["/////resource1/a///b?p=1", 200],
      ["/////resource1/a//b/?p=1", 404],
    ]);
  });

  test("test_append_and_merge_slash", async () => {
    const table: [string, number][] = [];
    for (const q of ["", "?p=1"]) {
      table.push(
        [`/resource1/a/b${q}`, 200],
        [`/resource1/a/b/${q}`, 404],
        [`//resource2//a//b${q}`, 200],
        [`//resource2//a//b/${q}`, 200],
        [`///resource1//a//b${q}`, 200],
        [`///resource1//a//b/${q}`, 404],
        [`/////resource1/a///b${q}`, 200],
        [`/////resource1/a///b/${q}`, 404],
        [`/resource2/a/b${q}`, 200],
        [`///resource2//a//b${q}`, 200],
        [`///resource2//a//b/${q}`, 200],
        [`/////resource2/a///b${q}`, 200],
        [`/////resource2/a///b/${q}`, 200],
      );
    }
    await checkTable({}, table);
  });

  test("test_remove_and_merge_slash", async () => {
    const table: [string, number][] = [];
    for (const q of ["", "?p=1"]) {
      table.push(
        [`/resource1/a/b${q}`, 200],
        [`/resource1/a/b/${q}`, 200],
        [`//resource2//a//b${q}`, 404],
        [`//resource2//a//b/${q}`, 200],
        [`///resource1//a//b${q}`, 200],
        [`///resource1//a//b/${q}`, 200],
        [`/////resource1/a///b${q}`, 200],
        [`/////resource1/a///b/${q}`, 200],
        [`/resource2/a/b${q}`, 404],
        [`///resource2//a//b${q}`, 404],
        [`///resource2//a//b/${q}`, 200],
        [`/////resource2/a///b${q}`, 404],
        [`/////resource2/a///b/${q}`, 200],
      );
    }
    table.push(["/////resource1/a///b///", 200]);
    await checkTable({ appendSlash: false, removeSlash: true }, table);
  });

  test("test_cannot_remove_and_add_slash", () => {
    assert.throws(() => web.normalizePathMiddleware({ appendSlash: true, removeSlash: true }), TypeError);
  });

  for (const [appendSlash, removeSlash] of [
    [true, false],
    [false, true],
    [false, false],
  ] as const) {
    test(`test_open_redirects (appendSlash=${appendSlash}, removeSlash=${removeSlash})`, async () => {
      const handled: string[] = [];
      const app = new web.Application({
        middlewares: [web.normalizePathMiddleware({ appendSlash, removeSlash })],
      });
      const handle = (req: web.Request): web.Response => {
        handled.push(req.path);
        return ok();
      };
      app.addRoutes([web.get("/", handle), web.get("/google.com", handle)]);
      await using server = await new TestServer(app).start();
      const res = await fetch(urlOf(server, "//google.com"), { redirect: "manual" });
      assert.equal(res.status, 308);
      assert.equal(res.headers.get("location"), "/google.com");
      assert.deepEqual(handled, []);
    });
  }

  test("aiots: without mergeSlashes, a candidate starting with // is never a Location (GHSA-v6wp-4m6f-gcjg)", async () => {
    const app = new web.Application({ middlewares: [web.normalizePathMiddleware({ mergeSlashes: false })] });
    app.router.addGet("/{tail:.*}/", ok);
    await using server = await new TestServer(app).start();
    const res = await fetch(urlOf(server, "//evil.example"), { redirect: "manual" });
    assert.equal(res.status, 308);
    assert.equal(res.headers.get("location"), "/evil.example/");
  });

  test("test_open_redirect_absolute_form_target", async () => {
    const app = new web.Application({ middlewares: [web.normalizePathMiddleware()] });
    app.addRoutes([
      web.get("/google.com/", () => {
        throw new Error("not reached");
      }),
    ]);
    await using server = await new TestServer(app).start();
    const { text: raw } = await rawExchange(
      server.port,
      "GET http://google.com/google.com HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.match(raw, /^HTTP\/1\.1 308 /);
    assert.match(raw, /\r\nLocation: \/google\.com\/\r\n/i);
  });

  test(
    "test_normalize_path_redirects_method_not_allowed",
    inLoop(async () => {
      const app = new web.Application({ middlewares: [web.normalizePathMiddleware()] });
      app.router.addGet("/foo", ok);
      app.router.addPost("/foo/", ok);
      await using client = await new TestClient(app).start();
      const res = await client.post("/foo", { allowRedirects: false });
      assert.equal(res.status, 308);
      assert.equal(res.headers.get("location"), "/foo/");
    }),
  );

  test(
    "test_bug_3669",
    inLoop(async () => {
      const app = new web.Application({
        middlewares: [web.normalizePathMiddleware({ appendSlash: false, removeSlash: true })],
      });
      app.router.addRoute("GET", "/paymethod", ok);
      await using client = await new TestClient(app).start();
      const res = await client.get("/paymethods");
      assert.equal(res.status, 404);
      assert.notEqual(res.url.pathname, "/paymethod");
    }),
  );

  test(
    "aiots: redirectClass picks the redirect (301), the query string is kept",
    inLoop(async () => {
      const app = new web.Application({
        middlewares: [web.normalizePathMiddleware({ redirectClass: web.HTTPMovedPermanently })],
      });
      app.router.addGet("/dir/", ok);
      await using client = await new TestClient(app).start();
      const res = await client.get("/dir?a=1&b=%20x", { allowRedirects: false });
      assert.equal(res.status, 301);
      assert.equal(res.headers.get("location"), "/dir/?a=1&b=%20x");
    }),
  );

  test(
    "aiots: only a request that does not resolve is redirected (a handler's own 404 is not)",
    inLoop(async () => {
      const app = new web.Application({ middlewares: [web.normalizePathMiddleware()] });
      app.router.addGet("/item", () => {
        throw new web.HTTPNotFound({ text: "no such item" });
      });
      app.router.addGet("/item/", ok);
      app.router.addGet("/page", () => new web.Response({ text: "page" }));
      app.router.addGet("/page/", ok);
      await using client = await new TestClient(app).start();
      const item = await client.get("/item", { allowRedirects: false });
      assert.equal(item.status, 404);
      assert.equal(await item.text(), "no such item");
      const page = await client.get("/page", { allowRedirects: false });
      assert.equal(page.status, 200);
      assert.equal(await page.text(), "page");
    }),
  );

  test(
    "aiots: a path nothing normalises to stays a 404 through the rest of the chain",
    inLoop(async () => {
      const seen: string[] = [];
      const app = new web.Application({
        middlewares: [
          web.normalizePathMiddleware(),
          async (request, handler) => {
            seen.push(request.path);
            return await handler(request);
          },
        ],
      });
      app.router.addGet("/a/", ok);
      await using client = await new TestClient(app).start();
      const res = await client.get("/b", { allowRedirects: false });
      assert.equal(res.status, 404);
      assert.deepEqual(seen, ["/b"]);
    }),
  );
});

describe("errors under a sub-application's prefix", () => {
  test(
    "a 404 under /sub runs the sub-app's middlewares after the root's (aiohttp resolves in the sub-app; test_subapp_middlewares' 404 part)",
    inLoop(async () => {
      const log: string[] = [];
      const tag =
        (name: string): web.Middleware =>
        async (request, handler) => {
          log.push(`${name} ${request.path}`);
          return await handler(request);
        };
      const sub = new web.Application({ middlewares: [tag("sub")] });
      sub.router.addGet("/x", () => new web.Response({ text: "x" }));
      const app = new web.Application({ middlewares: [tag("root")] });
      app.addSubapp("/sub", sub);
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/sub/missing")).status, 404);
      assert.equal((await client.get("/missing")).status, 404);
      assert.equal((await client.get("/subway")).status, 404, "a prefix only matches whole segments");
      assert.deepEqual(log, ["root /sub/missing", "sub /sub/missing", "root /missing", "root /subway"]);
    }),
  );

  test(
    "routes added to a mounted sub-app before start are resolved even after an earlier resolve",
    inLoop(async () => {
      const sub = new web.Application();
      const app = new web.Application();
      app.addSubapp("/sub", sub);
      assert.equal(app.router.resolves("GET", "/sub/late"), false);
      sub.router.addGet("/late", () => new web.Response({ text: "late" }));
      assert.equal(app.router.resolves("GET", "/sub/late"), true);
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/sub/late")).text(), "late");
    }),
  );
});
