// Port of the router behaviour of aiohttp's tests/test_web_urldispatcher.py, tests/test_urldispatch.py,
// tests/test_route_def.py and tests/test_classbasedview.py that goes through the web layer (each title
// names the aiohttp test it follows; "aiots:" titles are our own): the add* methods, web.get/post/…/
// route/view with app.addRoutes, class-based views, named routes and urlFor (sub-app prefixes too),
// GET answering HEAD, 404, 405 with Allow, `*`, sub-app prefix routing and matchInfo. Pure matching
// (precedence, regexes, the path codec) is covered by route-matcher.test.ts.
//
// Differences from aiohttp kept on purpose (see src/web/urldispatcher.ts): `router.get(name)` is
// aiohttp's `router[name]` (undefined for an unknown name); every `GET` route (addRoute too) answers
// HEAD unless `allowHead: false`; plain (non-async) handlers are accepted; a path not starting with `/`
// is a TypeError.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { RuntimeError, ValueError } from "../../src/index.js";
import { makeMockedRequest, TestClient, TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { inLoop } from "../helpers.js";

/** A handler answering its route's canonical pattern (aiohttp's test_order_is_preserved handler). */
const canonical = (req: web.Request): web.Response =>
  new web.Response({ text: req.matchInfo.route?.resource.canonical ?? "<none>" });

const ok = (): web.Response => new web.Response({ text: "OK" });

/** Status and text of a request to a raw target (`//a` stays a path). */
async function call(server: TestServer, target: string, init?: RequestInit): Promise<[number, string]> {
  const res = await fetch(server.baseUrl + target, { redirect: "manual", ...init });
  return [res.status, await res.text()];
}

describe("UrlDispatcher: adding routes (test_urldispatch.py, test_route_def.py)", () => {
  test("test_add_route_with_add_get/post/put/patch/delete/head_shortcut (and addOptions)", async () => {
    const app = new web.Application();
    const r = app.router;
    const answer = (tag: string) => (req: web.Request) => new web.Response({ text: `${tag} ${req.method}` });
    const routes = [
      r.addGet("/handler/to/path", answer("get")),
      r.addPost("/handler/to/path", answer("post")),
      r.addPut("/handler/to/path", answer("put")),
      r.addPatch("/handler/to/path", answer("patch")),
      r.addDelete("/handler/to/path", answer("delete")),
      r.addOptions("/handler/to/path", answer("options")),
      r.addHead("/head/only", () => new web.Response({ headers: { "X-Head": "1" } })),
    ];
    assert.deepEqual(
      routes.map((route) => route.method),
      ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"],
    );
    await using server = await new TestServer(app).start();
    for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
      assert.deepEqual(await call(server, "/handler/to/path", { method: m }), [
        200,
        `${m.toLowerCase()} ${m}`,
      ]);
    const head = await fetch(server.makeUrl("/head/only"), { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("x-head"), "1");
    assert.equal((await fetch(server.makeUrl("/head/only"))).status, 405);
  });

  test("test_register_uncommon_http_methods", async () => {
    const app = new web.Application();
    for (const m of ["PROPFIND", "PROPPATCH", "COPY", "LOCK", "UNLOCK", "MOVE", "SUBSCRIBE", "NOTIFY"])
      app.router.addRoute(m, "/handler/to/path", (req) => new web.Response({ text: req.method }));
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/handler/to/path", { method: "PROPFIND" }), [200, "PROPFIND"]);
    assert.deepEqual(await call(server, "/handler/to/path", { method: "NOTIFY" }), [200, "NOTIFY"]);
  });

  test("test_dispatch_lowercase_method", async () => {
    const app = new web.Application();
    const route = app.router.addRoute("post", "/handler/to/path", ok);
    assert.equal(route.method, "POST");
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/handler/to/path", { method: "POST" }), [200, "OK"]);
  });

  test("test_add_route_root / test_add_route_simple: no name, no variables", () => {
    const app = new web.Application();
    const root = app.router.addRoute("GET", "/", ok);
    app.router.addRoute("GET", "/handler/to/path", ok);
    assert.equal(root.name, undefined);
    const r = app.router.resolve("GET", "/handler/to/path");
    assert.equal(r.matchInfo.httpException, null);
    assert.deepEqual(r.matchInfo.params, {});
    assert.equal(r.matchInfo.route?.name, undefined);
    assert.equal(app.router.resolve("GET", "/").matchInfo.route, root);
  });

  test("test_add_with_matchdict / test_add_with_matchdict_with_colon", async () => {
    const app = new web.Application();
    app.router.addGet("/handler/{to}", (req) => web.jsonResponse(req.matchInfo.params));
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/handler/tail"), [200, '{"to":"tail"}']);
    assert.deepEqual(await call(server, "/handler/1:2:3"), [200, '{"to":"1:2:3"}']);
  });

  test("test_add_route_not_started_with_slash / test_add_invalid_path", () => {
    const router = new web.Application().router;
    assert.throws(() => router.addGet("invalid_path", ok), TypeError);
    assert.throws(() => router.addGet("/{/", ok), ValueError);
  });

  test("test_add_route_invalid_method", () => {
    const router = new web.Application().router;
    for (const m of [
      "BAD METHOD",
      "B@D_METHOD",
      "[BAD_METHOD]",
      "{BAD_METHOD}",
      "(BAD_METHOD)",
      "B?D_METHOD",
    ])
      assert.throws(() => router.addRoute(m, "/path", ok), ValueError, m);
  });

  test("test_add_sync_handler (aiots: plain functions and generator coroutines are handlers too)", async () => {
    const app = new web.Application();
    app.router.addGet("/sync", () => new web.Response({ text: "sync" }));
    app.router.addGet("/gen", function* () {
      yield* asyncio.sleep(0);
      return new web.Response({ text: "gen" });
    });
    app.router.addGet(
      "/coro",
      asyncio.coroutine(function* () {
        yield* asyncio.sleep(0);
        return new web.Response({ text: "coro" });
      }),
    );
    assert.throws(() => app.router.addGet("/bad", 42 as unknown as () => web.Response), TypeError);
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/sync"), [200, "sync"]);
    assert.deepEqual(await call(server, "/gen"), [200, "gen"]);
    assert.deepEqual(await call(server, "/coro"), [200, "coro"]);
  });

  test("test_error_on_double_route_adding / test_error_on_adding_route_after_wildcard", () => {
    const router = new web.Application().router;
    router.addPost("/path", ok);
    assert.throws(() => router.addPost("/path", ok), RuntimeError);
    router.addRoute("*", "/any", ok);
    assert.throws(() => router.addGet("/any", ok), RuntimeError);
  });

  test("test_reuse_last_added_resource", () => {
    for (const path of ["/a", "/{a}", "/{a:.*}"]) {
      const app = new web.Application();
      app.router.addGet(path, ok, { name: "a" });
      app.router.addPost(path, ok, { name: "a" });
      assert.equal(app.router.resources().length, 1, path);
    }
  });

  test("test_get (route_def): web.get adds GET and HEAD", () => {
    const app = new web.Application();
    const handler = (): web.Response => ok();
    const def = web.get("/", handler);
    assert.equal(def.method, "GET");
    assert.equal(def.path, "/");
    assert.equal(def.handler, handler);
    app.addRoutes([def]);
    assert.deepEqual(
      app.router.routes().map((r) => r.method),
      ["GET", "HEAD"],
    );
    assert.equal(app.router.routes()[0]!.urlFor(), "/");
  });

  test("test_head / test_options / test_post / test_put / test_patch / test_delete / test_route (route_def)", async () => {
    const app = new web.Application();
    const echo = (req: web.Request): web.Response => new web.Response({ text: req.method });
    const defs = [
      web.head("/h", echo),
      web.post("/p", echo),
      web.put("/p", echo),
      web.patch("/p", echo),
      web.delete("/p", echo),
      web.route("OPTIONS", "/p", echo),
      web.route("REPORT", "/p", echo),
    ];
    assert.deepEqual(
      defs.map((d) => d.method),
      ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "REPORT"],
    );
    app.addRoutes(defs);
    assert.equal(app.router.routes().length, 7);
    await using server = await new TestServer(app).start();
    for (const m of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "REPORT"])
      assert.deepEqual(await call(server, "/p", { method: m }), [200, m]);
    assert.equal((await fetch(server.makeUrl("/h"), { method: "HEAD" })).status, 200);
  });

  test("aiots: web.get with a name, from an iterable of definitions", () => {
    const app = new web.Application();
    function* defs(): Iterable<web.RouteDef> {
      yield web.get("/users/{id}", ok, { name: "user" });
      yield web.post("/users", ok, { name: "users" });
    }
    app.addRoutes(defs());
    assert.equal(app.router.get("user")!.urlFor({ id: "7" }), "/users/7");
    assert.equal(app.router.get("users")!.urlFor(), "/users");
  });
});

describe("UrlDispatcher: named routes and urlFor (test_urldispatch.py)", () => {
  test("test_add_with_name", () => {
    const router = new web.Application().router;
    router.addGet("/handler/to/path", ok, { name: "name" });
    const resource = router.get("name")!;
    assert.equal(resource.name, "name");
    assert.equal(resource.urlFor(), "/handler/to/path");
  });

  test("test_double_add_url_with_the_same_name", () => {
    const router = new web.Application().router;
    router.addGet("/get", ok, { name: "name" });
    assert.throws(
      () => router.addGet("/get_other", ok, { name: "name" }),
      /^ValueError: Duplicate 'name', already handled by/,
    );
  });

  test("test_route_plain / test_route_unknown_route_name", () => {
    const router = new web.Application().router;
    const route = router.addGet("/get", ok, { name: "name" });
    assert.equal(router.get("name")!.urlFor(), "/get");
    assert.equal(route.urlFor(), "/get");
    assert.equal(router.get("unknown"), undefined);
    assert.throws(() => router.urlFor("unknown"), ValueError);
  });

  test("test_route_dynamic / test_url_for_in_resource_route", () => {
    const router = new web.Application().router;
    const route = router.addGet("/get/{name}", ok, { name: "name" });
    assert.equal(router.get("name")!.urlFor({ name: "John" }), "/get/John");
    assert.equal(route.urlFor({ name: "John" }), "/get/John");
    assert.equal(router.urlFor("name", { name: "John" }), "/get/John");
    assert.equal(router.get("name")!.canonical, "/get/{name}");
  });

  test("test_dynamic_url_with_name_started_from_underscore", () => {
    const router = new web.Application().router;
    const route = router.addGet("/get/{_name}", ok);
    assert.equal(route.urlFor({ _name: "John" }), "/get/John");
  });

  test("test_route_dynamic_quoting: values are percent-encoded, a query is appended", () => {
    const router = new web.Application().router;
    router.addGet("/{arg}", ok, { name: "name" });
    assert.equal(router.get("name")!.urlFor({ arg: "1 2/текст" }), "/1%202%2F%D1%82%D0%B5%D0%BA%D1%81%D1%82");
    assert.equal(router.get("name")!.urlFor({ arg: "x" }, { a: "1", b: "c d" }), "/x?a=1&b=c+d");
  });

  test("aiots: urlFor refuses a missing or an unknown parameter", () => {
    const router = new web.Application().router;
    router.addGet("/get/{name}", ok, { name: "name" });
    assert.throws(() => router.get("name")!.urlFor({}), ValueError);
    assert.throws(() => router.get("name")!.urlFor({ name: "a", other: "b" }), TypeError);
  });

  test("test_invalid_route_name", () => {
    const router = new web.Application().router;
    assert.throws(() => router.addGet("/", ok, { name: "invalid name" }), ValueError);
    router.addGet("/ok", ok, { name: "api.v1:users-list" });
  });

  test("test_subapp_url_for: a sub-app's named routes carry its prefix (nested too)", () => {
    const app = new web.Application();
    const sub = new web.Application();
    const subsub = new web.Application();
    sub.router.addGet("/users/{id}", ok, { name: "user" });
    subsub.router.addGet("/", ok, { name: "index" });
    sub.addSubapp("/v1", subsub);
    app.addSubapp("/api", sub);
    assert.equal(sub.router.get("user")!.urlFor({ id: "1" }), "/api/users/1");
    assert.equal(sub.router.urlFor("user", { id: "2" }), "/api/users/2");
    assert.equal(subsub.router.get("index")!.urlFor(), "/api/v1/");
    assert.equal(app.router.get("user"), undefined);
  });

  test("aiots: urlFor from inside a handler points back at the route", async () => {
    const app = new web.Application();
    const sub = new web.Application();
    sub.router.addGet(
      "/items/{id}",
      (req) => new web.Response({ text: req.app.router.get("item")!.urlFor({ id: "9" }) }),
      {
        name: "item",
      },
    );
    app.addSubapp("/shop", sub);
    await using server = await new TestServer(app).start();
    const [status, text] = await call(server, "/shop/items/1");
    assert.equal(status, 200);
    assert.equal(text, "/shop/items/9");
    assert.deepEqual(await call(server, text), [200, "/shop/items/9"]);
  });
});

describe("UrlDispatcher: resolving through the server (test_web_urldispatcher.py)", () => {
  test(
    "test_allow_head",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/a", () => new web.Response({ text: "body" }), { name: "a" });
      app.router.addGet("/b", ok, { allowHead: false, name: "b" });
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/a")).status, 200);
      const head = await client.head("/a");
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), "4");
      assert.equal(await head.text(), "");
      assert.equal((await client.get("/b")).status, 200);
      const headB = await client.head("/b");
      assert.equal(headB.status, 405);
      assert.equal(headB.headers.get("allow"), "GET");
    }),
  );

  test(
    "aiots: the HEAD answer of a GET route runs the GET handler with method HEAD",
    inLoop(async () => {
      const seen: string[] = [];
      const app = new web.Application();
      app.router.addGet("/", (req) => {
        seen.push(`${req.method} ${req.matchInfo.route?.method}`);
        return new web.Response({ text: "hello" });
      });
      await using client = await new TestClient(app).start();
      await (await client.head("/")).read();
      assert.deepEqual(seen, ["HEAD HEAD"]);
    }),
  );

  test(
    "test_raise_method_not_found: 404 with aiohttp's body",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/a", ok);
      await using client = await new TestClient(app).start();
      const res = await client.get("/b");
      assert.equal(res.status, 404);
      assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(await res.text(), "404: Not Found");
    }),
  );

  test(
    "test_raise_method_not_allowed: 405 with a sorted Allow",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addRoute("POST", "/", ok);
      app.router.addRoute("GET", "/", ok, { allowHead: false });
      await using client = await new TestClient(app).start();
      const res = await client.put("/");
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("allow"), "GET,POST");
      assert.equal(await res.text(), "405: Method Not Allowed");
      const r = app.router.resolve("PUT", "/");
      const exc = r.matchInfo.httpException;
      assert.ok(exc instanceof web.HTTPMethodNotAllowed);
      assert.equal(exc.method, "PUT");
      assert.deepEqual(exc.allowedMethods, new Set(["GET", "POST"]));
    }),
  );

  test("test_http_exception_is_none_when_resolved / test_http_exception_is_not_none_when_not_resolved", () => {
    const app = new web.Application();
    app.router.addGet("/", ok);
    assert.equal(app.router.resolve("GET", "/").matchInfo.httpException, null);
    const missing = app.router.resolve("GET", "/abc").matchInfo;
    assert.ok(missing.httpException instanceof web.HTTPNotFound);
    assert.equal(missing.httpException.status, 404);
    assert.equal(missing.route, null);
    assert.equal(app.router.resolves("GET", "/"), true);
    assert.equal(app.router.resolves("GET", "/abc"), false);
  });

  test("test_any_method / test_any_method_appears_in_routes", async () => {
    const app = new web.Application();
    const route = app.router.addRoute("*", "/", (req) => new web.Response({ text: req.method }));
    assert.ok(app.router.routes().includes(route));
    assert.equal(app.router.resolve("GET", "/").matchInfo.route, route);
    assert.equal(app.router.resolve("POST", "/").matchInfo.route, route);
    await using server = await new TestServer(app).start();
    for (const m of ["GET", "POST", "PUT", "DELETE", "PATCH"])
      assert.deepEqual(await call(server, "/", { method: m }), [200, m]);
  });

  test("test_match_second_result_in_table", async () => {
    const app = new web.Application();
    app.router.addRoute("GET", "/h1", () => new web.Response({ text: "h1" }));
    app.router.addRoute("POST", "/h2", () => new web.Response({ text: "h2" }));
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/h2", { method: "POST" }), [200, "h2"]);
  });

  test("test_convert_empty_path_to_slash_on_freezing", async () => {
    const app = new web.Application();
    app.router.addGet("", () => new web.Response({ text: "root" }));
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/"), [200, "root"]);
  });

  test("test_dynamic_match_non_ascii / test_dynamic_match_unquoted_path: values are decoded once", async () => {
    const app = new web.Application();
    app.router.addGet("/{var}", (req) => web.jsonResponse(req.matchInfo.params));
    app.router.addGet("/path/{subpath}", (req) => web.jsonResponse(req.matchInfo.params));
    await using server = await new TestServer(app).start();
    assert.deepEqual(
      JSON.parse((await call(server, "/%D1%80%D1%83%D1%81%20%D1%82%D0%B5%D0%BA%D1%81%D1%82"))[1]),
      {
        var: "рус текст",
      },
    );
    const id = "my%2Fpath%7Cwith%21some%25strange%24characters";
    assert.deepEqual(JSON.parse((await call(server, `/path/${id}`))[1]), { subpath: decodeURIComponent(id) });
    const twice = encodeURIComponent(encodeURIComponent("a/b"));
    assert.deepEqual(JSON.parse((await call(server, `/path/${twice}`))[1]), {
      subpath: encodeURIComponent("a/b"),
    });
  });

  test("test_dynamic_match_with_static_part / test_dynamic_match_two_part2", async () => {
    const app = new web.Application();
    app.router.addGet("/{name}.html", (req) => web.jsonResponse(req.matchInfo.params));
    app.router.addGet("/two/{name}.{ext}", (req) => web.jsonResponse(req.matchInfo.params));
    await using server = await new TestServer(app).start();
    assert.deepEqual(JSON.parse((await call(server, "/file.html"))[1]), { name: "file" });
    assert.deepEqual(JSON.parse((await call(server, "/two/file.html"))[1]), { name: "file", ext: "html" });
  });

  test("test_add_route_with_re / test_add_route_with_re_not_match / test_add_route_with_re_including_slashes", async () => {
    const app = new web.Application();
    app.router.addGet("/handler/{to:\\d+}", (req) => new web.Response({ text: req.matchInfo.get("to") }));
    app.router.addGet("/files/{tail:.*}", (req) => new web.Response({ text: req.matchInfo.get("tail") }));
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/handler/1234"), [200, "1234"]);
    assert.equal((await call(server, "/handler/tail"))[0], 404);
    assert.deepEqual(await call(server, "/files/a/b/c.txt"), [200, "a/b/c.txt"]);
  });

  test("test_order_is_preserved", async () => {
    const app = new web.Application();
    app.router.addGet("/first/x/{b}/", canonical);
    app.router.addGet("/first/{x:.*/b}", canonical);
    app.router.addGet("/second/{user}/info", canonical);
    app.router.addGet("/second/bob/info", canonical);
    app.router.addGet("/third/bob/info", canonical);
    app.router.addGet("/third/{user}/info", canonical);
    app.router.addGet("/forth/{name:\\d+}", canonical);
    app.router.addGet("/forth/42", canonical);
    app.router.addGet("/fifth/42", canonical);
    app.router.addGet("/fifth/{name:\\d+}", canonical);
    await using server = await new TestServer(app).start();
    const expected: [string, string][] = [
      ["/first/x/b/", "/first/x/{b}/"],
      ["/second/frank/info", "/second/{user}/info"],
      ["/second/bob/info", "/second/bob/info"],
      ["/third/bob/info", "/third/bob/info"],
      ["/third/frank/info", "/third/{user}/info"],
      ["/forth/21", "/forth/{name}"],
      ["/forth/42", "/forth/42"],
      ["/fifth/21", "/fifth/{name}"],
      ["/fifth/42", "/fifth/42"],
    ];
    for (const [path, want] of expected) assert.deepEqual(await call(server, path), [200, want], path);
  });

  test("test_route_with_regex", async () => {
    const app = new web.Application();
    app.router.addGet("/core/locations{tail:.*}", canonical);
    await using server = await new TestServer(app).start();
    for (const path of [
      "/core/locations/tail/here",
      "/core/locations_tail_here",
      "/core/locations_tail;id=abcdef",
    ])
      assert.deepEqual(await call(server, path), [200, "/core/locations{tail}"], path);
  });

  test("test_decoded_url_match", async () => {
    const cases: [string, string, number][] = [
      ["/467,802,24834/hello", "/467%2C802%2C24834/hello", 200],
      ["/{user_ids:([0-9]+)(,([0-9]+))*}/hello", "/467%2C802%2C24834/hello", 200],
      ["/467,802,24834/hello", "/467,802,24834/hello", 200],
      ["/{user_ids:([0-9]+)(,([0-9]+))*}/hello", "/467,802,24834/hello", 200],
      ["/1%2C3/hello", "/1%2C3/hello", 404],
    ];
    for (const [route, path, status] of cases) {
      const app = new web.Application();
      app.router.addGet(route, ok);
      await using server = await new TestServer(app).start();
      assert.equal((await call(server, path))[0], status, `${route} ← ${path}`);
    }
  });

  test("test_decoded_raw_match_regex", async () => {
    const app = new web.Application();
    app.router.addGet("/467%2C802%2C24834%2C24952%2C25362%2C40574/hello", ok);
    await using server = await new TestServer(app).start();
    assert.equal((await call(server, "/467%2C802%2C24834%2C24952%2C25362%2C40574/hello"))[0], 404);
  });

  test("aiots: a handler's HTTP exception is the response (redirect with Location)", async () => {
    const app = new web.Application();
    app.router.addGet("/old", () => {
      throw new web.HTTPFound("/new");
    });
    app.router.addGet("/gone", () => new web.HTTPGone());
    await using server = await new TestServer(app).start();
    const res = await fetch(server.makeUrl("/old"), { redirect: "manual" });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "/new");
    assert.deepEqual(await call(server, "/gone"), [410, "410: Gone"]);
  });

  test("aiots: a handler that returns something else than a response is a 500 (logged, no details sent)", async () => {
    const app = new web.Application();
    app.router.addGet("/", () => "not a response" as unknown as web.Response);
    const logs: string[] = [];
    const prev = web.webLogger.handler;
    web.webLogger.handler = (level, message) => {
      logs.push(`${level}: ${message}`);
    };
    try {
      await using server = await new TestServer(app).start();
      const [status, text] = await call(server, "/");
      assert.equal(status, 500);
      assert.doesNotMatch(text, /not a response/);
    } finally {
      web.webLogger.handler = prev;
    }
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /^error: Web-handler should return a response instance/);
  });
});

describe("UrlDispatcher: class-based views (test_web_urldispatcher.py, test_classbasedview.py)", () => {
  class MyView extends web.View {
    async get(): Promise<web.Response> {
      return new web.Response({ text: `get ${this.request.matchInfo.get("id") ?? "-"}` });
    }
    async post(): Promise<web.Response> {
      return new web.Response({ text: "post" });
    }
  }

  test("test_ctor", () => {
    const request = makeMockedRequest("GET", "/");
    assert.equal(new web.View(request).request, request);
  });

  test("test_add_view", async () => {
    const app = new web.Application();
    app.router.addView("/a", MyView);
    assert.throws(() => app.router.addView("/b", ok as unknown as web.ViewClass), TypeError);
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/a"), [200, "get -"]);
    assert.deepEqual(await call(server, "/a", { method: "POST" }), [200, "post"]);
    const put = await fetch(server.makeUrl("/a"), { method: "PUT" });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get("allow"), "GET,POST");
  });

  test("test_web_view: web.view in app.addRoutes, with path variables", async () => {
    const app = new web.Application();
    app.addRoutes([web.view("/a/{id}", MyView, { name: "view" })]);
    assert.equal(app.router.get("view")!.urlFor({ id: "3" }), "/a/3");
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/a/3"), [200, "get 3"]);
    assert.deepEqual(await call(server, "/a/3", { method: "POST" }), [200, "post"]);
    assert.equal((await call(server, "/a/3", { method: "PUT" }))[0], 405);
  });

  test("test_render_unknown_method / test_render_unsupported_method", async () => {
    class Partial extends web.View {
      get(): web.Response {
        return ok();
      }
      options(): web.Response {
        return ok();
      }
      delete(): web.Response {
        return ok();
      }
    }
    const app = new web.Application();
    app.router.addView("/v", Partial);
    await using server = await new TestServer(app).start();
    // (a method llhttp does not know is a 400 from Node before any routing)
    for (const m of ["POST", "PATCH"]) {
      const res = await fetch(server.makeUrl("/v"), { method: m });
      assert.equal(res.status, 405, m);
      assert.equal(res.headers.get("allow"), "DELETE,GET,OPTIONS", m);
    }
  });

  test("test_view_route: a View class passed to addRoute('*') dispatches too", async () => {
    const app = new web.Application();
    app.router.addRoute("*", "/path", MyView);
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/path", { method: "POST" }), [200, "post"]);
  });
});

describe("UrlDispatcher: sub-applications and matchInfo (test_urldispatch.py, test_web_urldispatcher.py)", () => {
  test("test_prefixed_subapp_overlap", async () => {
    const app = new web.Application();
    const s1 = new web.Application();
    s1.router.addGet("/a", () => new web.Response({ text: "handler1" }));
    app.addSubapp("/s", s1);
    const s2 = new web.Application();
    s2.router.addGet("/b", () => new web.Response({ text: "handler2" }));
    app.addSubapp("/ss", s2);
    const s3 = new web.Application();
    s3.router.addGet("/c", () => new web.Response({ text: "handler3" }));
    app.addSubapp("/s/s", s3);
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/s/a"), [200, "handler1"]);
    assert.deepEqual(await call(server, "/ss/b"), [200, "handler2"]);
    assert.deepEqual(await call(server, "/s/s/c"), [200, "handler3"]);
  });

  test("test_prefixed_subapp_empty_route", async () => {
    const app = new web.Application();
    const sub = new web.Application();
    sub.router.addGet("", () => new web.Response({ text: "sub root" }));
    app.addSubapp("/s", sub);
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/s"), [200, "sub root"]);
    assert.equal((await call(server, "/s/"))[0], 404);
  });

  test("test_prefixed_subapp_root_route", async () => {
    const app = new web.Application();
    const sub = new web.Application();
    sub.router.addGet("/", () => new web.Response({ text: "sub slash" }));
    app.addSubapp("/s", sub);
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/s/"), [200, "sub slash"]);
    assert.equal((await call(server, "/s"))[0], 404);
  });

  test("aiots: matchInfo.route, params and apps for a root route and a sub-app route", async () => {
    const seen: unknown[] = [];
    const app = new web.Application();
    const sub = new web.Application();
    const handler = (req: web.Request): web.Response => {
      const mi = req.matchInfo;
      seen.push({
        name: mi.route?.name,
        method: mi.route?.method,
        canonical: mi.route?.resource.canonical,
        params: mi.params,
        apps: mi.apps.map(String),
        current: req.app === mi.currentApp,
      });
      return ok();
    };
    app.router.addGet("/users/{id}", handler, { name: "user" });
    sub.router.addPost("/items/{kind}/{id:\\d+}", handler, { name: "item" });
    sub.router.addGet("/other", handler, { name: "user" }); // names are per application
    app.addSubapp("/shop", sub);
    await using server = await new TestServer(app).start();
    await call(server, "/users/42");
    await call(server, "/shop/items/book/7", { method: "POST" });
    assert.deepEqual(seen, [
      {
        name: "user",
        method: "GET",
        canonical: "/users/{id}",
        params: { id: "42" },
        apps: ["<Application root>"],
        current: true,
      },
      {
        name: "item",
        method: "POST",
        canonical: "/shop/items/{kind}/{id}",
        params: { kind: "book", id: "7" },
        apps: ["<Application root>", "<Application /shop>"],
        current: true,
      },
    ]);
  });

  test("aiots: under a sub-app prefix, an unknown path is 404 and a wrong method 405 with Allow", async () => {
    const app = new web.Application();
    const sub = new web.Application();
    sub.router.addGet("/a", ok);
    sub.router.addPut("/a", ok);
    app.addSubapp("/sub", sub);
    await using server = await new TestServer(app).start();
    assert.equal((await call(server, "/sub/b"))[0], 404);
    const res = await fetch(server.makeUrl("/sub/a"), { method: "POST" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET,HEAD,PUT");
  });

  test("aiots: a route added to a mounted sub-app before start is served; a GET there answers HEAD", async () => {
    const app = new web.Application();
    const sub = new web.Application();
    app.addSubapp("/sub", sub);
    sub.router.addGet("/late", () => new web.Response({ text: "late" }));
    await using server = await new TestServer(app).start();
    assert.deepEqual(await call(server, "/sub/late"), [200, "late"]);
    assert.equal((await fetch(server.makeUrl("/sub/late"), { method: "HEAD" })).status, 200);
    assert.throws(() => sub.router.addGet("/later", ok), RuntimeError);
  });

  test("test_frozen_router", () => {
    const router = new web.Application().router;
    router.freeze();
    assert.throws(() => router.addGet("/", ok), RuntimeError);
  });

  test("aiots: a mocked request carries the match info it is given", () => {
    const req = makeMockedRequest("GET", "/users/5?x=1", { matchInfo: { id: "5" } });
    assert.equal(req.matchInfo.get("id"), "5");
    assert.equal(req.matchInfo.route, null);
    assert.equal(req.path, "/users/5");
    assert.equal(req.query.get("x"), "1");
  });
});
