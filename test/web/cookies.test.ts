// Port of the cookie behaviour checked by aiohttp's tests/test_web_response.py (test_response_cookies,
// test_response_cookie_path, test_response_cookie__issue_del_cookie, test_cookie_set_after_prepare,
// test_set_cookie_*) and tests/test_web_request.py's request.cookies tests, through real sockets
// (`TestClient`, in `asyncio.run`) where the wire matters. Each title names the aiohttp test it follows; "aiots:" titles are our own.
//
// Differences kept on purpose: `response.cookies` is a read-only map of name → the whole Set-Cookie
// value (aiohttp: a SimpleCookie of Morsels, editable in place); changing cookies after prepare() is
// a RuntimeError (aiohttp: RuntimeError too, for set_cookie; its del_cookie is silently late).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RuntimeError, ValueError } from "../../src/index.js";
import { makeMockedRequest, TestClient } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { inLoop } from "../helpers.js";

describe("response cookies", () => {
  test("test_response_cookies: set, replace, delete, domain", () => {
    const resp = new web.StreamResponse();
    assert.equal(resp.cookies.size, 0);
    resp.setCookie("name", "value");
    assert.equal(resp.cookies.get("name"), "name=value; Path=/");
    resp.setCookie("name", "other_value");
    assert.deepEqual([...resp.cookies.values()], ["name=other_value; Path=/"]);
    resp.delCookie("name");
    assert.equal(
      resp.cookies.get("name"),
      'name=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/',
    );
    resp.setCookie("name", "value", { domain: "local.host" });
    assert.equal(resp.cookies.get("name"), "name=value; Domain=local.host; Path=/");
  });

  test("test_response_cookie_path: path, expires, and all the attributes", () => {
    const resp = new web.Response();
    resp.setCookie("name", "value", { path: "/some/path" });
    assert.equal(resp.cookies.get("name"), "name=value; Path=/some/path");
    resp.setCookie("name", "value", {
      domain: "example.com",
      path: "/home",
      expires: "123",
      maxAge: 10,
      secure: true,
      httpOnly: true,
      sameSite: "Strict",
    });
    assert.equal(
      resp.cookies.get("name"),
      "name=value; Domain=example.com; expires=123; HttpOnly; Max-Age=10; Path=/home; SameSite=Strict; Secure",
    );
  });

  test(
    "test_cookie_set_after_prepare: cookies are fixed once the headers left",
    inLoop(async () => {
      const app = new web.Application();
      let errors: unknown[] = [];
      app.router.addGet("/", async (request) => {
        const resp = new web.StreamResponse();
        resp.setCookie("before", "1");
        await resp.prepare(request);
        errors = [
          (() => {
            try {
              resp.setCookie("after", "2");
            } catch (e) {
              return e;
            }
          })(),
          (() => {
            try {
              resp.delCookie("before");
            } catch (e) {
              return e;
            }
          })(),
        ];
        await resp.writeEof("ok");
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.deepEqual(res.headers.getAll("set-cookie"), ["before=1; Path=/"]);
      assert.ok(errors[0] instanceof RuntimeError);
      assert.ok(errors[1] instanceof RuntimeError);
    }),
  );

  test(
    "aiots: several cookies leave as separate Set-Cookie lines, next to other headers",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => {
        const resp = new web.Response({ text: "hi", headers: { "X-Other": "1" } });
        resp.setCookie("sid", "abc", { httpOnly: true, secure: true, sameSite: "Lax" });
        resp.setCookie("theme", "dark mode", { maxAge: 3600, path: null });
        resp.delCookie("old");
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(await res.text(), "hi");
      assert.deepEqual(res.headers.getAll("set-cookie"), [
        "sid=abc; HttpOnly; Path=/; SameSite=Lax; Secure",
        'theme="dark mode"; Max-Age=3600',
        'old=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/',
      ]);
    }),
  );

  test(
    "aiots: a Set-Cookie added through headers is kept beside setCookie's",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => {
        const resp = new web.Response({ text: "x" });
        resp.headers.add("Set-Cookie", "raw=1");
        resp.setCookie("made", "2");
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.deepEqual(res.headers.getAll("set-cookie"), ["raw=1", "made=2; Path=/"]);
    }),
  );

  test("aiots: header injection through a name, value or attribute is refused in the handler", () => {
    const resp = new web.Response();
    assert.throws(() => resp.setCookie("a", "b\r\nX-Evil: 1"), ValueError);
    assert.throws(() => resp.setCookie("a\r\nX-Evil", "b"), ValueError);
    assert.throws(() => resp.setCookie("a", "b", { path: "/\r\nX-Evil: 1" }), ValueError);
    assert.throws(() => resp.delCookie("a", { domain: "x;y" }), ValueError);
    assert.equal(resp.cookies.size, 0, "nothing half-set");
  });

  test(
    "aiots: cookies ride on a returned 302 redirect",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/login", () => {
        const resp = new web.Response({ status: 302, headers: { Location: "/home" } });
        resp.setCookie("sid", "s1", { httpOnly: true });
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/login", { allowRedirects: false });
      assert.equal(res.status, 302);
      assert.deepEqual(res.headers.getAll("set-cookie"), ["sid=s1; HttpOnly; Path=/"]);
    }),
  );
});

describe("request cookies", () => {
  test(
    "test_request_cookie: parsed from the Cookie header on a real request",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", (request) => web.jsonResponse(Object.fromEntries(request.cookies)));
      await using client = await new TestClient(app).start();
      const res = await client.get("/", {
        headers: {
          Cookie: 'sid=abc; ISAWPLB{DB45DF86-F806-407C-932C-D52A60E4019E}=x; q="a;b"; broken="open; after=1',
        },
      });
      assert.deepEqual(await res.json(), {
        sid: "abc",
        "ISAWPLB{DB45DF86-F806-407C-932C-D52A60E4019E}": "x",
        q: "a;b",
        broken: '"open',
        after: "1",
      });
    }),
  );

  test(
    "aiots: a cookie set by the server comes back through the client's cookie jar",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/set", () => {
        const resp = new web.Response({ text: "set" });
        resp.setCookie("greeting", "hello, world");
        return resp;
      });
      app.router.addGet(
        "/read",
        (request) => new web.Response({ text: request.cookies.get("greeting") ?? "none" }),
      );
      await using client = await new TestClient(app).start();
      const first = await client.get("/set");
      assert.deepEqual(first.headers.getAll("set-cookie"), ['greeting="hello, world"; Path=/']);
      assert.equal(await (await client.get("/read")).text(), "hello, world");
    }),
  );

  test("test_request_cookies_edge_cases: repeated and malformed pairs on a mocked request", () => {
    const req = makeMockedRequest("GET", "/", {
      headers: { Cookie: "a=1; bad name=2; a=3; =4; $Version=1; b" },
    });
    assert.deepEqual(Object.fromEntries(req.cookies), { a: "1", b: "" });
  });
});
