// Port of the behaviour checked by aiohttp's tests/test_web_functional.py, through real sockets: each
// test names the aiohttp test it follows (or the server behaviour it pins down when aiohttp has no
// single test for it). Every server is started on 127.0.0.1:0 and closed by the test (`await using`);
// the clients are aiots' `TestClient` (plain requests, run in `asyncio.run` as aiohttp's are),
// Node's `fetch` and `node:http` (Expect, agents, streamed uploads) and raw `node:net` sockets
// (byte-exact and malformed requests). Tests assert order and outcome, never durations.
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { TestClient, TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { inLoop } from "../helpers.js";
import {
  captureWebLog,
  deferred,
  eventually,
  httpRequest,
  parseHead,
  rawExchange,
  statusLines,
  writeInChunks,
} from "./helpers.js";

/** A handler that must never run. */
const neverCalled = (): web.Response => {
  throw new Error("this handler must not be called");
};

/** A handler returning something that is not a response (what the server must refuse). */
function returning(value: unknown): web.Handler {
  return (async () => value) as unknown as web.Handler;
}

const INTERNAL_ERROR_TEXT = "500 Internal Server Error\n\nServer got itself in trouble";

describe("simple requests and bodies", () => {
  test(
    "test_simple_get: a GET is answered and its body reads as empty",
    inLoop(async () => {
      const seen: number[] = [];
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        seen.push((await request.read()).length);
        return new web.Response({ body: Buffer.from("OK") });
      });
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "OK");
      assert.deepEqual(seen, [0]);
    }),
  );

  test(
    "test_simple_get_with_text: text with an explicit content-type header",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet(
        "/",
        () => new web.Response({ text: "OK", headers: { "content-type": "text/plain" } }),
      );
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "OK");
      assert.match(r.headers.get("content-type")!, /^text\/plain/);
    }),
  );

  test(
    "test_post_form: an urlencoded body comes out of post()",
    inLoop(async () => {
      const seen: [string, web.FormValue][][] = [];
      const app = new web.Application();
      app.router.addPost("/", async (request) => {
        seen.push([...(await request.post())]);
        return new web.Response({ body: "OK" });
      });
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { data: new URLSearchParams({ a: "1", b: "2", c: "" }) });
      assert.equal(r.status, 200);
      assert.deepEqual(seen, [
        [
          ["a", "1"],
          ["b", "2"],
          ["c", ""],
        ],
      ]);
    }),
  );

  test(
    "test_post_form_with_duplicate_keys: every value of a repeated field is kept, in order",
    inLoop(async () => {
      const seen: [string, web.FormValue][][] = [];
      const app = new web.Application();
      app.router.addPost("/", async (request) => {
        const data = await request.post();
        seen.push([...data]);
        assert.deepEqual(data.getAll("a"), ["1", "2"]);
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      const body = new URLSearchParams([
        ["a", "1"],
        ["a", "2"],
      ]);
      assert.equal((await client.post("/", { data: body })).status, 200);
      assert.deepEqual(seen, [
        [
          ["a", "1"],
          ["a", "2"],
        ],
      ]);
    }),
  );

  test(
    "test_post_text: text() decodes UTF-8 and can be called twice",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addPost("/", async (request) => {
        const data = await request.text();
        assert.equal(await request.text(), data);
        return new web.Response({ text: data });
      });
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { data: "русский" });
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "русский");
    }),
  );

  test(
    "test_post_json: json() parses the body (twice, the second time with a custom loads)",
    inLoop(async () => {
      const dct = { key: "текст" };
      const app = new web.Application();
      app.router.addPost("/", async (request) => {
        const data = await request.json();
        const again = await request.json({ loads: (t) => JSON.parse(t) as unknown });
        assert.deepEqual(again, data);
        const resp = new web.Response();
        resp.contentType = "application/json";
        resp.body = Buffer.from(JSON.stringify(data), "utf8");
        return resp;
      });
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { json: dct });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "application/json");
      assert.deepEqual(await r.json(), dct);
    }),
  );

  test(
    "test_post_json (invalid body): a body that is not JSON is a 400, not a 500",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addPost("/", async (request) => web.jsonResponse(await request.json()));
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { data: "{nope" });
      assert.equal(r.status, 400);
      assert.match(await r.text(), /^400: Bad Request/);
    }),
  );

  test(
    "test_response_before_complete: answering without reading a 1 MiB body",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addPost("/", () => new web.Response({ body: "OK" }));
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { data: Buffer.alloc(1024 * 1024, 0x30) });
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "OK");
      // The connection is still usable.
      assert.equal(await (await client.post("/", { data: "x" })).text(), "OK");
    }),
  );

  test("test_response_before_complete (after a partial read): the rest is discarded, the connection goes on", async () => {
    const app = new web.Application({ clientMaxSize: 0 });
    app.router.addPost("/", async (request) => {
      const line = await request.content.readline();
      return new web.Response({ text: `first line ${line.length}` });
    });
    app.router.addGet("/", () => new web.Response({ text: "next" }));
    await using server = await new TestServer(app).start();
    const size = 4 * 1024 * 1024; // far beyond what the reader buffers before it pauses the request
    const { text, closedByServer } = await rawExchange(
      server.port,
      Buffer.concat([
        Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`),
        Buffer.alloc(size, 0x0a),
        Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      ]),
      { until: (t) => t.endsWith("next") },
    );
    assert.equal(closedByServer, false);
    assert.deepEqual(statusLines(text), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
    assert.match(text, /first line 1/);
  });

  for (const method of ["GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]) {
    test(
      `test_empty_content_for_query_without_body [${method}]: hasBody is false`,
      inLoop(async () => {
        const seen: boolean[] = [];
        const app = new web.Application();
        app.router.addRoute(method, "/", async (request) => {
          seen.push(request.hasBody, (await request.read()).length === 0);
          return new web.Response();
        });
        await using client = await new TestClient(app).start();
        assert.equal((await client.request(method, "/")).status, 200);
        assert.deepEqual(seen, [false, true]);
      }),
    );
  }

  test(
    "test_empty_content_for_query_with_body: hasBody is true and the body echoes back",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addPost("/", async (request) => {
        assert.ok(request.hasBody);
        return new web.Response({ body: await request.read() });
      });
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { data: "data" });
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "data");
    }),
  );

  test(
    "test_get_with_empty_arg: `?arg` gives the key with an empty value",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addGet("/", (request) => {
        seen.push(request.query.has("arg"), request.query.get("arg"));
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/?arg")).status, 200);
      assert.deepEqual(seen, [true, ""]);
    }),
  );

  test(
    "test_get_with_empty_arg_with_equal: `?arg=` gives the key with an empty value",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addGet("/", (request) => {
        seen.push(request.query.has("arg"), request.query.get("arg"));
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/?arg=")).status, 200);
      assert.deepEqual(seen, [true, ""]);
    }),
  );

  test(
    "test_custom_date_header: a Date set by the handler is sent as is",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ headers: { Date: "Sun, 30 Oct 2016 03:13:52 GMT" } }));
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("date"), "Sun, 30 Oct 2016 03:13:52 GMT");
    }),
  );

  test(
    "test_app_add_routes: routes made with web.get()",
    inLoop(async () => {
      const app = new web.Application();
      app.addRoutes([web.get("/get", () => new web.Response({ text: "got" }))]);
      await using client = await new TestClient(app).start();
      const r = await client.get("/get");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "got");
    }),
  );

  for (const status of [201, 204, 404]) {
    test(
      `test_default_content_type_no_body [${status}]: no body, no Content-Type`,
      inLoop(async () => {
        const app = new web.Application();
        app.router.addGet("/", () => new web.Response({ status }));
        await using client = await new TestClient(app).start();
        const r = await client.get("/");
        assert.equal(r.status, status);
        assert.equal(await r.text(), "");
        assert.equal(r.headers.has("content-type"), false);
      }),
    );
  }

  test("test_response_101_204_no_content_length_http11 [204]: neither Content-Length nor chunking", async () => {
    const app = new web.Application();
    app.router.addGet("/", () => new web.Response({ status: 204 }));
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"));
    assert.equal(r.status, 204);
    assert.equal(r.headers["content-length"], undefined);
    assert.equal(r.headers["transfer-encoding"], undefined);
  });

  test("test_stream_response_headers_204: a bare StreamResponse(204) has no Content-Type nor chunking", async () => {
    const app = new web.Application();
    app.router.addGet("/", () => new web.StreamResponse({ status: 204 }));
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"));
    assert.equal(r.status, 204);
    assert.equal(r.headers["content-type"], undefined);
    assert.equal(r.headers["transfer-encoding"], undefined);
  });

  for (const status of [204, 304]) {
    for (const version of ["1.0", "1.1"]) {
      test(`test_no_body_for_1xx_204_304_responses [${status}, HTTP/${version}]: the body never leaves`, async () => {
        const app = new web.Application();
        app.router.addGet("/", () => new web.Response({ status, body: "should not get to client" }));
        app.router.addGet("/next", () => new web.Response({ text: "next" }));
        await using server = await new TestServer(app).start();
        if (version === "1.0") {
          const { text, closedByServer } = await rawExchange(server.port, "GET / HTTP/1.0\r\n\r\n");
          assert.ok(closedByServer);
          const { status: got, headers, body } = parseHead(text);
          assert.equal(got, status);
          assert.equal(body, "");
          assert.equal(headers.has("transfer-encoding"), false);
        } else {
          // Pipelined: whatever follows the first head belongs to the second response.
          const { text } = await rawExchange(
            server.port,
            "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n",
            { until: (t) => t.endsWith("next") },
          );
          assert.deepEqual(
            statusLines(text).map((l) => l.split(" ")[1]),
            [String(status), "200"],
          );
          assert.doesNotMatch(text, /should not get/);
          const first = parseHead(text);
          assert.ok(first.body.startsWith("HTTP/1.1 200"));
          assert.equal(first.headers.has("transfer-encoding"), false);
        }
      });
    }
  }
});

describe("HEAD, 404, 405", () => {
  test(
    "test_head_returns_empty_body: HEAD route, no body, Content-Length of the GET body",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addHead("/", () => new web.Response({ body: "test" }));
      await using client = await new TestClient(app).start();
      const r = await client.head("/");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "");
      assert.equal(r.headers.get("content-length"), "4");
    }),
  );

  test("HEAD on a GET route: the GET's headers, no body, the connection stays usable", async () => {
    const methods: string[] = [];
    const app = new web.Application();
    app.router.addGet("/", (request) => {
      methods.push(request.method);
      return new web.Response({ text: "hello", headers: { "X-Custom": "1" } });
    });
    await using server = await new TestServer(app).start();
    const { text } = await rawExchange(
      server.port,
      "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      { until: (t) => t.endsWith("hello") },
    );
    assert.deepEqual(methods, ["HEAD", "GET"]);
    const second = text.indexOf("HTTP/1.1", 1);
    const head = parseHead(text.slice(0, second));
    const get = parseHead(text.slice(second));
    assert.equal(head.body, "");
    assert.equal(get.body, "hello");
    head.headers.delete("date");
    get.headers.delete("date");
    assert.deepEqual(head.headers, get.headers);
    assert.deepEqual(head.headers.get("content-length"), ["5"]);
  });

  test(
    "test_start_without_routes: an application without routes answers 404",
    inLoop(async () => {
      await using client = await new TestClient(new web.Application()).start();
      const r = await client.get("/");
      assert.equal(r.status, 404);
      assert.equal(await r.text(), "404: Not Found");
    }),
  );

  test(
    "unknown path → 404; known path with a wrong method → 405 with Allow",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/r", () => new web.Response());
      app.router.addPost("/r", () => new web.Response());
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/nope")).status, 404);
      const r = await client.put("/r");
      assert.equal(r.status, 405);
      assert.deepEqual(r.headers.get("allow")!.split(",").sort(), ["GET", "HEAD", "POST"]);
      assert.equal(await r.text(), "405: Method Not Allowed");
    }),
  );
});

describe("HTTP exceptions and errors", () => {
  test(
    "test_raise_http_exception: a thrown HTTPForbidden is a 403",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => {
        throw new web.HTTPForbidden();
      });
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(r.status, 403);
      assert.equal(await r.text(), "403: Forbidden");
    }),
  );

  test(
    "test_render_redirect: HTTPMovedPermanently has its Location and default text",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => {
        throw new web.HTTPMovedPermanently("/path");
      });
      await using client = await new TestClient(app).start();
      const r = await client.get("/", { allowRedirects: false });
      assert.equal(r.status, 301);
      assert.equal(await r.text(), "301: Moved Permanently");
      assert.equal(r.headers.get("location"), "/path");
    }),
  );

  test(
    "test_redirect_url: HTTPFound(URL) is followed by the client",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/redirector", () => {
        throw new web.HTTPFound("/redirected");
      });
      app.router.addGet("/redirected", () => new web.Response({ text: "here" }));
      await using client = await new TestClient(app).start();
      const r = await client.get("/redirector");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "here");
      assert.equal(r.url.pathname, "/redirected");
    }),
  );

  test(
    "HTTP exception with custom text and headers, thrown",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => {
        throw new web.HTTPBadRequest({ text: "missing field", headers: { "X-Reason": "because" } });
      });
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(r.status, 400);
      assert.equal(await r.text(), "missing field");
      assert.equal(r.headers.get("x-reason"), "because");
      assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
    }),
  );

  test(
    "HTTP exception returned instead of thrown is sent the same way",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet(
        "/teapot",
        returning(new web.HTTPConflict({ text: "busy", headers: { "Retry-After": "5" } })),
      );
      app.router.addGet("/see", returning(new web.HTTPSeeOther("/elsewhere")));
      await using client = await new TestClient(app).start();
      const r = await client.get("/teapot");
      assert.equal(r.status, 409);
      assert.equal(await r.text(), "busy");
      assert.equal(r.headers.get("retry-after"), "5");
      const s = await client.get("/see", { allowRedirects: false });
      assert.equal(s.status, 303);
      assert.equal(s.headers.get("location"), "/elsewhere");
    }),
  );

  test(
    "HTTPNoContent thrown: 204 with no body",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addDelete("/", () => {
        throw new web.HTTPNoContent();
      });
      await using client = await new TestClient(app).start();
      const r = await client.delete("/");
      assert.equal(r.status, 204);
      assert.equal(await r.text(), "");
    }),
  );

  test(
    "an unhandled error is a 500 without a stack; the stack is logged; the server goes on",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/boom", function explodingHandler() {
        throw new Error("secret detail");
      });
      app.router.addGet("/ok", () => new web.Response({ text: "still here" }));
      await using client = await new TestClient(app).start();
      const { logs } = await captureWebLog(async () => {
        const r = await client.get("/boom");
        assert.equal(r.status, 500);
        assert.equal(await r.text(), INTERNAL_ERROR_TEXT);
        assert.doesNotMatch(await r.text(), /secret detail|explodingHandler|\bat /);
        assert.equal(await (await client.get("/ok")).text(), "still here");
      });
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /^error: Error handling request GET \/boom/);
      assert.match(logs[0]!, /secret detail/);
      assert.match(logs[0]!, /explodingHandler/);
    }),
  );

  test(
    "an unhandled error in an async handler after an await: same 500",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", async () => {
        await asyncio.sleep(0);
        throw new TypeError("late failure");
      });
      await using client = await new TestClient(app).start();
      const { logs } = await captureWebLog(async () => {
        const r = await client.get("/");
        assert.equal(r.status, 500);
        assert.doesNotMatch(await r.text(), /late failure/);
      });
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /TypeError: late failure/);
    }),
  );

  test(
    "test_handler_returns_not_response: a string is a 500 and a clear log line",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", returning("abc"));
      await using client = await new TestClient(app).start();
      const { logs } = await captureWebLog(async () => {
        const r = await client.get("/");
        assert.equal(r.status, 500);
        assert.equal(await r.text(), INTERNAL_ERROR_TEXT);
      });
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /^error: Web-handler should return a response instance, got 'abc'/);
    }),
  );

  test(
    "test_handler_returns_none: undefined is a 500 and a clear log line",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", returning(undefined));
      await using client = await new TestClient(app).start();
      const { logs } = await captureWebLog(async () => {
        assert.equal((await client.get("/")).status, 500);
      });
      assert.equal(logs.length, 1);
      assert.match(logs[0]!, /should return a response instance, got undefined/);
    }),
  );
});

describe("Expect: 100-continue", () => {
  test("test_100_continue: the body is sent after 100 Continue and read by post()", async () => {
    const app = new web.Application();
    app.router.addPost("/", async (request) => {
      const data = await request.post();
      return new web.Response({ text: `name=${data.get("name")}` });
    });
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: {
        Expect: "100-continue",
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": "8",
      },
      body: "name=123",
    });
    assert.equal(r.status, 200);
    assert.ok(r.continued);
    assert.equal(r.body.toString(), "name=123");
  });

  test("100 Continue is sent only when the handler starts reading the body", async () => {
    const events: string[] = [];
    const app = new web.Application();
    app.router.addPost("/", async (request) => {
      events.push("handler started");
      await asyncio.sleep(0.02);
      events.push("handler reads");
      const text = await request.text();
      events.push(`handler got ${text}`);
      return new web.Response({ text });
    });
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: { Expect: "100-continue", "Content-Length": "3" },
      writeBody: async (req) => {
        events.push("client got 100");
        req.write("abc");
      },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), "abc");
    assert.deepEqual(events, ["handler started", "handler reads", "client got 100", "handler got abc"]);
  });

  test("test_handler_returns_not_response_after_100expect: a failing handler answers 500, no 100", async () => {
    const app = new web.Application();
    app.router.addPost("/", () => {
      throw new Error("foo");
    });
    await using server = await new TestServer(app).start();
    const { logs } = await captureWebLog(async () => {
      const r = await httpRequest(server.makeUrl("/"), {
        method: "POST",
        headers: { Expect: "100-continue", "Content-Length": "3" },
        body: "abc",
      });
      assert.equal(r.status, 500);
      assert.equal(r.continued, false);
    });
    assert.match(logs.join("\n"), /Error: foo/);
  });

  test("test_100_continue_for_not_found: 404 without 100 Continue", async () => {
    await using server = await new TestServer(new web.Application()).start();
    const r = await httpRequest(server.makeUrl("/not_found"), {
      method: "POST",
      headers: { Expect: "100-continue", "Content-Length": "4" },
      body: "data",
    });
    assert.equal(r.status, 404);
    assert.equal(r.continued, false);
  });

  test("test_100_continue_for_not_allowed: 405 without 100 Continue", async () => {
    const app = new web.Application();
    app.router.addPost("/", neverCalled);
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"), {
      method: "PUT",
      headers: { Expect: "100-continue", "Content-Length": "4" },
      body: "data",
    });
    assert.equal(r.status, 405);
    assert.equal(r.continued, false);
  });

  test("Expect: 100-continue with a Content-Length above clientMaxSize: 413 before the body", async () => {
    const app = new web.Application({ clientMaxSize: 10 });
    app.router.addPost("/", neverCalled);
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: { Expect: "100-continue", "Content-Length": "100" },
      body: "x".repeat(100),
    });
    assert.equal(r.status, 413);
    assert.equal(r.continued, false);
    assert.match(r.body.toString(), /Maximum request body size 10 exceeded, actual body size 100/);
  });

  test("test_expect_default_handler_unknown: another expectation is a 417", async () => {
    const app = new web.Application();
    app.router.addPost("/", neverCalled);
    await using server = await new TestServer(app).start();
    const { text, closedByServer } = await rawExchange(
      server.port,
      "POST / HTTP/1.1\r\nHost: x\r\nExpect: SPAM\r\nContent-Length: 0\r\n\r\n",
    );
    assert.equal(parseHead(text).status, 417);
    assert.ok(closedByServer);
  });
});

describe("clientMaxSize", () => {
  test("test_app_max_client_size: a body over 1 MiB is a 413 with aiohttp's message", async () => {
    const app = new web.Application();
    app.router.addPost("/", async (request) => {
      await request.post();
      return new web.Response({ text: "unreachable" });
    });
    await using server = await new TestServer(app).start();
    const body = new URLSearchParams({ long_string: `${"x".repeat(1024 ** 2)}xxx` }).toString();
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": body.length },
      body,
    });
    assert.equal(r.status, 413);
    assert.match(r.body.toString(), /Maximum request body size 1048576 exceeded/);
    assert.equal(r.headers.connection, "close");
  });

  test(
    "test_app_max_client_size_adjusted: a larger clientMaxSize accepts more, then refuses",
    inLoop(async () => {
      const app = new web.Application({ clientMaxSize: 2 * 1024 ** 2 });
      app.router.addPost("/", async (request) => {
        await request.post();
        return new web.Response({ body: "ok" });
      });
      await using client = await new TestClient(app).start();
      const ok = await client.post("/", { data: { long_string: `${"x".repeat(1024 ** 2)}xxx` } });
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), "ok");
      const body = `log_string=${"x".repeat(2 * 1024 ** 2)}xxx`;
      const r = await httpRequest(client.makeUrl("/"), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": body.length },
        body,
      });
      assert.equal(r.status, 413);
      assert.match(r.body.toString(), /Maximum request body size 2097152 exceeded/);
    }),
  );

  test(
    "test_app_max_client_size_none: clientMaxSize 0 means no limit",
    inLoop(async () => {
      const app = new web.Application({ clientMaxSize: 0 });
      app.router.addPost(
        "/",
        async (request) => new web.Response({ text: `${(await request.read()).length}` }),
      );
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { data: Buffer.alloc(2 * 1024 ** 2, 0x78) });
      assert.equal(r.status, 200);
      assert.equal(await r.text(), String(2 * 1024 ** 2));
    }),
  );

  test("test_post_max_client_size: clientMaxSize 10 refuses a 1 KiB form", async () => {
    const app = new web.Application({ clientMaxSize: 10 });
    app.router.addPost("/", async (request) => {
      await request.post();
      return new web.Response();
    });
    await using server = await new TestServer(app).start();
    const body = `long_string=${"x".repeat(1024)}`;
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": body.length },
      body,
    });
    assert.equal(r.status, 413);
    assert.match(r.body.toString(), /Maximum request body size 10 exceeded/);
  });

  test(
    "a chunked body over clientMaxSize is refused while reading; the server goes on serving",
    inLoop(async () => {
      const seen: string[] = [];
      const app = new web.Application({ clientMaxSize: 1000 });
      app.router.addPost("/", async (request) => {
        seen.push(`contentLength=${request.contentLength}`);
        try {
          await request.read();
        } catch (e) {
          seen.push((e as Error).constructor.name);
          throw e;
        }
        return new web.Response({ text: "unreachable" });
      });
      app.router.addGet("/", () => new web.Response({ text: "alive" }));
      await using client = await new TestClient(app).start();
      const r = await httpRequest(client.makeUrl("/"), {
        method: "POST",
        writeBody: (req) => writeInChunks(req, 256 * 1024, 4096),
      });
      assert.equal(r.status, 413);
      assert.match(r.body.toString(), /Maximum request body size 1000 exceeded/);
      assert.deepEqual(seen, ["contentLength=null", "HTTPRequestEntityTooLarge"]);
      // The rest of the body is never read, so the connection is not kept.
      assert.equal(r.headers.connection, "close");
      assert.equal(await (await client.get("/")).text(), "alive");
    }),
  );

  test("a chunked body over clientMaxSize read through request.content fails the same way", async () => {
    const app = new web.Application({ clientMaxSize: 100 });
    app.router.addPost("/", async (request) => {
      let total = 0;
      for (;;) {
        const chunk = await request.content.read(10);
        if (chunk.length === 0) break;
        total += chunk.length;
      }
      return new web.Response({ text: `unreachable ${total}` });
    });
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      writeBody: (req) => writeInChunks(req, 64 * 1024, 50),
    });
    assert.equal(r.status, 413);
  });
});

describe("request.content (StreamReader)", () => {
  test(
    "readline(), read(n) and readexactly() on the body",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addPost("/", async (request) => {
        const parts: string[] = [];
        parts.push((await request.content.readline()).toString());
        parts.push((await request.content.read(3)).toString());
        parts.push((await request.content.readexactly(2)).toString());
        parts.push((await request.content.read()).toString());
        parts.push(String(request.content.atEof()));
        return web.jsonResponse(parts);
      });
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { data: "first line\nabcdeREST\nof it" });
      assert.deepEqual(await r.json(), ["first line\n", "abc", "de", "REST\nof it", "true"]);
    }),
  );

  test(
    "test_iter_any: `for await` over request.content gives the lines of the body",
    inLoop(async () => {
      const lines = Array.from({ length: 1024 }, (_, i) => `line ${i} 0123456789\n`);
      const data = lines.join("");
      const app = new web.Application();
      app.router.addPost("/", async (request) => {
        const got: string[] = [];
        for await (const line of request.content) got.push(line.toString());
        return web.jsonResponse({ count: got.length, same: got.join("") === data, first: got[0] });
      });
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { data });
      assert.deepEqual(await r.json(), { count: 1024, same: true, first: "line 0 0123456789\n" });
    }),
  );

  test("a large body is read with back-pressure: the socket is paused while the handler does not read", async () => {
    const total = 8 * 1024 * 1024;
    const report: Record<string, unknown> = {};
    const app = new web.Application({ clientMaxSize: 0 });
    app.router.addPost("/", async (request) => {
      const content = request.content; // starts feeding the reader
      // Wait (by polling, bounded) until the reader has paused the Node request: back-pressure.
      for (let i = 0; i < 1000 && !request.raw.isPaused(); i++) await asyncio.sleep(0.005);
      report.paused = request.raw.isPaused();
      report.bufferedWhilePaused = content.buffered;
      let received = 0;
      for (;;) {
        const chunk = await content.read(64 * 1024);
        if (chunk.length === 0) break;
        received += chunk.length;
      }
      report.received = received;
      return new web.Response({ text: "done" });
    });
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Length": total },
      writeBody: (req) => writeInChunks(req, total),
    });
    assert.equal(r.status, 200);
    assert.equal(report.paused, true);
    // The reader holds at most about twice its 64 KiB limit plus one chunk, never the 8 MiB.
    assert.ok((report.bufferedWhilePaused as number) <= 4 * 64 * 1024, String(report.bufferedWhilePaused));
    assert.equal(report.received, total);
  });
});

describe("StreamResponse", () => {
  test("test_stream_response_multiple_chunks: three writes arrive chunked", async () => {
    const app = new web.Application();
    app.router.addGet("/", async (request) => {
      const resp = new web.StreamResponse();
      await resp.prepare(request);
      await resp.write(Buffer.from("x"));
      await resp.write(Buffer.from("y"));
      await resp.write(Buffer.from("z"));
      return resp;
    });
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"));
    assert.equal(r.status, 200);
    assert.equal(r.headers["transfer-encoding"], "chunked");
    assert.equal(r.body.toString(), "xyz");
  });

  test(
    "test_stream_response_empty_write_between_chunks: an empty write is harmless",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        const resp = new web.StreamResponse();
        await resp.prepare(request);
        await resp.write("hello");
        await resp.write("");
        await resp.write("world");
        return resp;
      });
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "helloworld");
    }),
  );

  test("test_await: StreamResponse with Content-Length, writes after sleeps, then writeEof", async () => {
    const app = new web.Application();
    app.router.addGet("/", async (request) => {
      const resp = new web.StreamResponse({ headers: { "content-length": "4" } });
      await resp.prepare(request);
      await asyncio.sleep(0.01);
      await resp.write(Buffer.from("test"));
      await asyncio.sleep(0.01);
      await resp.writeEof();
      return resp;
    });
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"));
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-length"], "4");
    assert.equal(r.body.toString(), "test");
  });

  test(
    "test_response_prepared_with_clone: a response prepared with a clone of the request",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        const resp = new web.StreamResponse();
        await resp.prepare(request.clone());
        await resp.write("from clone");
        return resp;
      });
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "from clone");
    }),
  );

  test(
    "write() waits while a slow client does not read (back-pressure), then everything arrives",
    inLoop(async () => {
      const CHUNK = 64 * 1024;
      const N = 512; // 32 MiB: far more than the kernel buffers of a loopback connection
      let written = 0;
      let finished = false;
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        const resp = new web.StreamResponse();
        resp.contentLength = CHUNK * N;
        await resp.prepare(request);
        const chunk = Buffer.alloc(CHUNK, 0x61);
        for (let i = 0; i < N; i++) {
          await resp.write(chunk);
          written++;
        }
        finished = true;
        return resp;
      });
      await using client = await new TestClient(app).start();
      const sock = net.connect(client.port, "127.0.0.1");
      try {
        await new Promise<void>((r) => sock.once("connect", () => r()));
        let received = 0;
        const done = deferred();
        sock.on("data", (d: Buffer) => {
          received += d.length;
          if (received >= CHUNK * N) done.resolve();
        });
        sock.pause();
        sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        // Wait until the handler stops making progress: its write() is waiting for the client.
        let last = -1;
        let stable = 0;
        await eventually(
          () => {
            if (written === last && written > 0) stable++;
            else [last, stable] = [written, 0];
            return stable >= 5 || finished;
          },
          1000,
          0.02,
        );
        assert.equal(finished, false, "the handler finished although the client read nothing");
        assert.ok(written < N);
        const stalledAt = written;
        sock.resume();
        await done.promise;
        assert.ok(await eventually(() => finished));
        assert.ok(written === N && stalledAt < N);
        assert.ok(received >= CHUNK * N);
      } finally {
        sock.destroy();
      }
    }),
  );
});

describe("keep-alive", () => {
  test("test_http11_keep_alive_default: two pipelined requests are answered on one connection", async () => {
    const keepAlive: boolean[] = [];
    const app = new web.Application();
    app.router.addGet("/{n}", (request) => {
      keepAlive.push(request.keepAlive);
      return new web.Response({ text: `r${request.matchInfo.get("n")};` });
    });
    await using server = await new TestServer(app).start();
    const { text, closedByServer } = await rawExchange(
      server.port,
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n",
      { until: (t) => t.endsWith("r2;") },
    );
    assert.equal(closedByServer, false);
    assert.deepEqual(statusLines(text), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
    assert.doesNotMatch(text, /Connection: close/i);
    assert.deepEqual(keepAlive, [true, true]);
  });

  test("test_requests_count: three requests reuse one keep-alive connection", async () => {
    const ports: number[] = [];
    const app = new web.Application();
    app.router.addGet("/", (request) => {
      ports.push(request.raw.socket.remotePort!);
      return new web.Response({ text: String(ports.length) });
    });
    await using server = await new TestServer(app).start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const expected of ["1", "2", "3"]) {
        const r = await httpRequest(server.makeUrl("/"), { agent });
        assert.equal(r.body.toString(), expected);
      }
    } finally {
      agent.destroy();
    }
    assert.equal(ports.length, 3);
    assert.equal(new Set(ports).size, 1);
  });

  test("test_http10_keep_alive_with_headers: HTTP/1.0 with Connection: keep-alive stays open", async () => {
    const app = new web.Application();
    app.router.addGet("/", async (request) => {
      await request.read();
      return new web.Response({ body: "OK" });
    });
    await using server = await new TestServer(app).start();
    const { text, closedByServer } = await rawExchange(
      server.port,
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      { until: (t) => t.endsWith("OK") },
    );
    assert.equal(closedByServer, false);
    const head = parseHead(text);
    assert.equal(head.status, 200);
    assert.deepEqual(head.headers.get("connection"), ["keep-alive"]);
  });

  test("test_http10_keep_alive_with_headers_close: HTTP/1.0 with Connection: close is closed after the answer", async () => {
    const app = new web.Application();
    app.router.addGet("/", () => new web.Response({ body: "OK" }));
    await using server = await new TestServer(app).start();
    const { text, closedByServer } = await rawExchange(
      server.port,
      "GET / HTTP/1.0\r\nConnection: close\r\n\r\n",
    );
    assert.ok(closedByServer);
    assert.equal(parseHead(text).body, "OK");
  });

  test("test_http10_keep_alive_default (differs: HTTP/1.0 without keep-alive is closed, as RFC 9112)", async () => {
    const app = new web.Application();
    app.router.addGet("/", () => new web.Response({ body: "OK" }));
    await using server = await new TestServer(app).start();
    const { text, closedByServer } = await rawExchange(server.port, "GET / HTTP/1.0\r\n\r\n");
    assert.ok(closedByServer);
    assert.equal(parseHead(text).status, 200);
  });
});

describe("client disconnects and handler cancellation", () => {
  test(
    "request.signal aborts when the client goes away; the handler is not cancelled by default",
    inLoop(async () => {
      const events: string[] = [];
      const started = deferred();
      const finished = deferred();
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        try {
          events.push("started");
          started.resolve();
          await new Promise<void>((resolve) => request.signal.addEventListener("abort", () => resolve()));
          events.push("aborted");
          await asyncio.sleep(0.01); // still runs: no cancellation by default
          events.push("completed");
          return new web.Response({ text: "nobody listens" });
        } catch (e) {
          events.push(`caught ${(e as Error).name}`);
          throw e;
        } finally {
          finished.resolve();
        }
      });
      app.router.addGet("/ok", () => new web.Response({ text: "alive" }));
      await using client = await new TestClient(app).start();
      const exchange = rawExchange(client.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", {
        onConnect: (sock) => {
          started.promise.then(() => sock.destroy());
        },
      });
      await exchange;
      await finished.promise;
      assert.deepEqual(events, ["started", "aborted", "completed"]);
      assert.equal(await (await client.get("/ok")).text(), "alive");
    }),
  );

  test(
    "handlerCancellation: true cancels the handler task at its await; finally blocks run",
    inLoop(async () => {
      const events: string[] = [];
      const started = deferred();
      const finished = deferred();
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        try {
          events.push("started");
          started.resolve();
          await asyncio.sleep(30);
          events.push("not reached");
          return new web.Response();
        } catch (e) {
          events.push(e instanceof asyncio.CancelledError ? "CancelledError" : `other ${e}`);
          events.push(`signal aborted: ${request.signal.aborted}`);
          throw e;
        } finally {
          events.push("finally");
          finished.resolve();
        }
      });
      app.router.addGet("/ok", () => new web.Response({ text: "alive" }));
      await using client = await new TestClient(new TestServer(app, { handlerCancellation: true })).start();
      await rawExchange(client.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", {
        onConnect: (sock) => {
          started.promise.then(() => sock.destroy());
        },
      });
      await finished.promise;
      assert.deepEqual(events, ["started", "CancelledError", "signal aborted: true", "finally"]);
      assert.equal(await (await client.get("/ok")).text(), "alive");
    }),
  );

  test(
    "handlerCancellation: true does not touch handlers whose client stays",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", async () => {
        await asyncio.sleep(0.01);
        return new web.Response({ text: "done" });
      });
      await using client = await new TestClient(new TestServer(app, { handlerCancellation: true })).start();
      for (let i = 0; i < 3; i++) assert.equal(await (await client.get("/")).text(), "done");
    }),
  );

  test("handlerCancellation off (default): a handler on asyncio.Event is not cancelled by a disconnect", async () => {
    const events: string[] = [];
    const started = deferred();
    const aborted = deferred();
    const finished = deferred();
    const go = new asyncio.Event();
    const app = new web.Application();
    app.router.addGet("/", async (request) => {
      try {
        request.signal.addEventListener("abort", () => aborted.resolve());
        started.resolve();
        await go.wait();
        events.push(`resumed, signal aborted: ${request.signal.aborted}`);
        return new web.Response();
      } catch (e) {
        events.push(`caught ${(e as Error).name}`);
        throw e;
      } finally {
        finished.resolve();
      }
    });
    await using server = await new TestServer(app).start();
    let sock!: net.Socket;
    const exchange = rawExchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", {
      onConnect: (s) => {
        sock = s;
      },
    });
    await started.promise;
    sock.destroy();
    await exchange;
    await aborted.promise; // the server saw the disconnect while the handler waits
    go.set();
    await finished.promise;
    assert.deepEqual(events, ["resumed, signal aborted: true"]);
  });
});

describe("handlers written with aiots' asyncio", () => {
  test(
    "a generator coroutine handler (asyncio.coroutine) with yield* asyncio.sleep()",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet(
        "/{name}",
        asyncio.coroutine(function* (request: web.Request<{ name: string }>) {
          yield* asyncio.sleep(0.001);
          const greeting = yield* asyncio.sleep(0, `hello ${request.matchInfo.get("name")}`);
          return new web.Response({ text: greeting });
        }),
      );
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/gen")).text(), "hello gen");
    }),
  );

  test(
    "a plain generator function handler, awaiting a promise with `yield`",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", function* (request) {
        yield* asyncio.sleep(0.001);
        const body = (yield request.read()) as Buffer;
        return new web.Response({ text: `plain generator ${body.length}` });
      });
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/")).text(), "plain generator 0");
    }),
  );

  test(
    "a generator handler that throws an HTTP exception after a yield",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", function* () {
        yield* asyncio.sleep(0);
        throw new web.HTTPUnauthorized({ text: "who are you" });
      });
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(r.status, 401);
      assert.equal(await r.text(), "who are you");
    }),
  );

  test(
    "asyncio.timeout in a handler: the slow part times out, the handler answers 504",
    inLoop(async () => {
      const events: string[] = [];
      const app = new web.Application();
      app.router.addGet("/", async () => {
        try {
          await asyncio.timeout(0.01, async () => {
            try {
              await asyncio.sleep(30);
            } finally {
              events.push("inner finally");
            }
          });
        } catch (e) {
          if (!(e instanceof asyncio.TimeoutError)) throw e;
          events.push("TimeoutError");
          throw new web.HTTPGatewayTimeout({ text: "too slow" });
        }
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(r.status, 504);
      assert.equal(await r.text(), "too slow");
      assert.deepEqual(events, ["inner finally", "TimeoutError"]);
    }),
  );

  test(
    "asyncio.taskGroup in a handler: children run concurrently and all finish before the answer",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", async () => {
        const order: string[] = [];
        await asyncio.taskGroup(async (tg) => {
          tg.createTask(async () => {
            await asyncio.sleep(0.02);
            order.push("slow");
          });
          tg.createTask(async () => {
            await asyncio.sleep(0.001);
            order.push("fast");
          });
        });
        return web.jsonResponse(order);
      });
      await using client = await new TestClient(app).start();
      assert.deepEqual(await (await client.get("/")).json(), ["fast", "slow"]);
    }),
  );

  test(
    "asyncio.taskGroup in a handler: a failing child is a 500 and cancels its sibling",
    inLoop(async () => {
      const events: string[] = [];
      const app = new web.Application();
      app.router.addGet("/", async () => {
        await asyncio.taskGroup(async (tg) => {
          tg.createTask(async () => {
            try {
              await asyncio.sleep(30);
            } catch (e) {
              if (e instanceof asyncio.CancelledError) events.push("sibling cancelled");
              throw e;
            }
          });
          tg.createTask(async () => {
            await asyncio.sleep(0);
            throw new Error("child failed");
          });
        });
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      const { logs } = await captureWebLog(async () => {
        assert.equal((await client.get("/")).status, 500);
      });
      assert.deepEqual(events, ["sibling cancelled"]);
      assert.match(logs.join("\n"), /child failed/);
    }),
  );

  test(
    "asyncio.Queue in a handler: a producer task feeds the handler, which streams what it gets",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        const queue = new asyncio.Queue<string | null>({ maxsize: 1 });
        const producer = asyncio.createTask(async () => {
          for (const word of ["one", "two", "three"]) await queue.put(word);
          await queue.put(null);
        });
        const resp = new web.StreamResponse({ contentType: "text/plain" });
        await resp.prepare(request);
        for (let item = await queue.get(); item !== null; item = await queue.get())
          await resp.write(`${item};`);
        await producer;
        return resp;
      });
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/")).text(), "one;two;three;");
    }),
  );
});

describe("middlewares", () => {
  test(
    "middlewares run outermost first and unwind in reverse",
    inLoop(async () => {
      const order: string[] = [];
      const mw =
        (name: string): web.Middleware =>
        async (request, handler) => {
          order.push(`${name} in`);
          const resp = await handler(request);
          order.push(`${name} out`);
          return resp;
        };
      const app = new web.Application({ middlewares: [mw("A"), mw("B")] });
      app.router.addGet("/", () => {
        order.push("handler");
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/")).status, 200);
      assert.deepEqual(order, ["A in", "B in", "handler", "B out", "A out"]);
    }),
  );

  test(
    "a middleware catching HTTPException (the router's 404 too) answers in its own way",
    inLoop(async () => {
      const errors: web.Middleware = async (request, handler) => {
        try {
          return await handler(request);
        } catch (e) {
          if (e instanceof web.HTTPNotFound)
            return new web.Response({ status: 404, text: `no ${request.path}` });
          if (e instanceof web.HTTPException) return new web.Response({ status: e.status, text: "handled" });
          throw e;
        }
      };
      const app = new web.Application({ middlewares: [errors] });
      app.router.addGet("/forbidden", () => {
        throw new web.HTTPForbidden();
      });
      await using client = await new TestClient(app).start();
      const nf = await client.get("/missing");
      assert.equal(nf.status, 404);
      assert.equal(await nf.text(), "no /missing");
      const fb = await client.get("/forbidden");
      assert.equal(fb.status, 403);
      assert.equal(await fb.text(), "handled");
    }),
  );

  test(
    "a middleware may change the response and answer without calling the handler",
    inLoop(async () => {
      const auth = web.middleware(async (request, handler) => {
        if (request.headers.get("Authorization") !== "Bearer ok") return new web.Response({ status: 401 });
        const resp = await handler(request);
        resp.headers.set("X-Checked", "yes");
        return resp;
      });
      const app = new web.Application({ middlewares: [auth] });
      app.router.addGet("/", () => new web.Response({ text: "secret" }));
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/")).status, 401);
      const ok = await client.get("/", { headers: { Authorization: "Bearer ok" } });
      assert.equal(await ok.text(), "secret");
      assert.equal(ok.headers.get("x-checked"), "yes");
    }),
  );

  test(
    "a generator coroutine middleware",
    inLoop(async () => {
      const timing: web.Middleware = function* (request, handler) {
        yield* asyncio.sleep(0);
        const resp = (yield handler(request)) as web.StreamResponse;
        resp.headers.set("X-Gen", "1");
        return resp;
      };
      const app = new web.Application({ middlewares: [timing] });
      app.router.addGet("/", () => new web.Response({ text: "ok" }));
      await using client = await new TestClient(app).start();
      const r = await client.get("/");
      assert.equal(await r.text(), "ok");
      assert.equal(r.headers.get("x-gen"), "1");
    }),
  );

  test(
    "an error thrown by a middleware is a 500 like a handler's",
    inLoop(async () => {
      const broken: web.Middleware = async () => {
        throw new Error("middleware broke");
      };
      const app = new web.Application({ middlewares: [broken] });
      app.router.addGet("/", neverCalled);
      await using client = await new TestClient(app).start();
      const { logs } = await captureWebLog(async () => {
        const r = await client.get("/");
        assert.equal(r.status, 500);
        assert.equal(await r.text(), INTERNAL_ERROR_TEXT);
      });
      assert.match(logs.join("\n"), /middleware broke/);
    }),
  );
});

describe("sub-applications", () => {
  test(
    "test_simple_subapp: a route of a sub-application under its prefix",
    inLoop(async () => {
      const app = new web.Application();
      const subapp = new web.Application();
      subapp.router.addGet("/to", () => new web.Response({ text: "OK" }));
      app.addSubapp("/path", subapp);
      await using client = await new TestClient(app).start();
      const r = await client.get("/path/to");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "OK");
    }),
  );

  test(
    "test_subapp_reverse_url: urlFor of a sub-application route includes the prefix",
    inLoop(async () => {
      const app = new web.Application();
      const subapp = new web.Application();
      subapp.router.addGet("/to", () => {
        throw new web.HTTPMovedPermanently(subapp.router.get("name")!.urlFor());
      });
      subapp.router.addGet("/final", () => new web.Response({ text: "OK" }), { name: "name" });
      app.addSubapp("/path", subapp);
      await using client = await new TestClient(app).start();
      const r = await client.get("/path/to");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "OK");
      assert.equal(r.url.pathname, "/path/final");
    }),
  );

  test(
    "test_subapp_reverse_variable_url: urlFor with a variable",
    inLoop(async () => {
      const app = new web.Application();
      const subapp = new web.Application();
      subapp.router.addGet("/to", () => {
        throw new web.HTTPMovedPermanently(subapp.router.get("name")!.urlFor({ part: "final" }));
      });
      subapp.router.addGet("/{part}", () => new web.Response({ text: "OK" }), { name: "name" });
      app.addSubapp("/path", subapp);
      await using client = await new TestClient(app).start();
      const r = await client.get("/path/to");
      assert.equal(await r.text(), "OK");
      assert.equal(r.url.pathname, "/path/final");
    }),
  );

  test(
    "test_subapp_app: request.app is the sub-application in its handlers",
    inLoop(async () => {
      const apps: web.Application[] = [];
      const app = new web.Application();
      const subapp = new web.Application();
      subapp.router.addGet("/to", (request) => {
        apps.push(request.app);
        return new web.Response({ text: "OK" });
      });
      app.router.addGet("/root", (request) => {
        apps.push(request.app);
        return new web.Response({ text: "OK" });
      });
      app.addSubapp("/path/", subapp);
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/path/to")).status, 200);
      assert.equal((await client.get("/root")).status, 200);
      assert.equal(apps.length, 2);
      assert.equal(apps[0], subapp);
      assert.equal(apps[1], app);
    }),
  );

  test(
    "test_subapp_not_found: an unknown path under the prefix is a 404",
    inLoop(async () => {
      const app = new web.Application();
      const subapp = new web.Application();
      subapp.router.addGet("/to", neverCalled);
      app.addSubapp("/path/", subapp);
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/path/other")).status, 404);
    }),
  );

  test(
    "test_subapp_not_found2: an unknown prefix is a 404",
    inLoop(async () => {
      const app = new web.Application();
      const subapp = new web.Application();
      subapp.router.addGet("/to", neverCalled);
      app.addSubapp("/path/", subapp);
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/invalid/other")).status, 404);
    }),
  );

  test(
    "test_subapp_not_allowed: a wrong method on a sub-application route is a 405 with Allow",
    inLoop(async () => {
      const app = new web.Application();
      const subapp = new web.Application();
      subapp.router.addGet("/to", neverCalled);
      app.addSubapp("/path/", subapp);
      await using client = await new TestClient(app).start();
      const r = await client.post("/path/to");
      assert.equal(r.status, 405);
      assert.equal(r.headers.get("allow"), "GET,HEAD");
    }),
  );

  test(
    "test_old_style_subapp_middlewares: nested sub-apps' middlewares, each seeing its own request.app",
    inLoop(async () => {
      const order: [number, string][] = [];
      const name = new web.AppKey<string>("app");
      const mw: web.Middleware = async (request, handler) => {
        order.push([1, request.app.get(name)]);
        const resp = await handler(request);
        assert.equal(resp.status, 200);
        order.push([2, request.app.get(name)]);
        return resp;
      };
      const app = new web.Application({ middlewares: [mw] });
      const subapp1 = new web.Application({ middlewares: [mw] });
      const subapp2 = new web.Application({ middlewares: [mw] });
      app.set(name, "app");
      subapp1.set(name, "subapp1");
      subapp2.set(name, "subapp2");
      subapp2.router.addGet("/to", () => new web.Response({ text: "OK" }));
      subapp1.addSubapp("/b/", subapp2);
      app.addSubapp("/a/", subapp1);
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/a/b/to")).status, 200);
      assert.deepEqual(order, [
        [1, "app"],
        [1, "subapp1"],
        [1, "subapp2"],
        [2, "subapp2"],
        [2, "subapp1"],
        [2, "app"],
      ]);
    }),
  );

  const contexts: [route: string, expected: string[], middlewares: string][] = [
    ["/sub/", ["A: root", "C: sub", "D: sub"], "AC"],
    ["/", ["A: root", "B: root"], "AC"],
    ["/sub/", ["A: root", "D: sub"], "A"],
    ["/", ["A: root", "B: root"], "A"],
    ["/sub/", ["C: sub", "D: sub"], "C"],
    ["/", ["B: root"], "C"],
    ["/sub/", ["D: sub"], ""],
    ["/", ["B: root"], ""],
  ];
  for (const [route, expected, middlewares] of contexts) {
    test(
      `test_subapp_middleware_context [${route} ${middlewares || "none"}]`,
      inLoop(async () => {
        const values: string[] = [];
        const myValue = new web.AppKey<string>("my_value");
        const showAppContext =
          (appname: string): web.Middleware =>
          async (request, handler) => {
            values.push(`${appname}: ${request.app.get(myValue)}`);
            return handler(request);
          };
        const makeHandler = (appname: string) => (request: web.Request) => {
          values.push(`${appname}: ${request.app.get(myValue)}`);
          return new web.Response({ text: "Ok" });
        };
        const app = new web.Application({
          middlewares: middlewares.includes("A") ? [showAppContext("A")] : [],
        });
        app.set(myValue, "root");
        app.router.addGet("/", makeHandler("B"));
        const subapp = new web.Application({
          middlewares: middlewares.includes("C") ? [showAppContext("C")] : [],
        });
        subapp.set(myValue, "sub");
        subapp.router.addGet("/", makeHandler("D"));
        app.addSubapp("/sub/", subapp);
        await using client = await new TestClient(app).start();
        const r = await client.get(route);
        assert.equal(r.status, 200);
        assert.equal(await r.text(), "Ok");
        assert.deepEqual(values, expected);
      }),
    );
  }

  for (const signal of ["onStartup", "onShutdown", "onCleanup"] as const) {
    test(`test_subapp_${signal.slice(2).toLowerCase()}: ${signal} runs for the app, then its sub-apps, in order`, async () => {
      const order: web.Application[] = [];
      const onSignal = (a: web.Application): void => {
        order.push(a);
      };
      const app = new web.Application();
      app[signal].append(onSignal);
      const subapp1 = new web.Application();
      subapp1[signal].append(onSignal);
      const subapp2 = new web.Application();
      subapp2[signal].append(onSignal);
      subapp1.addSubapp("/b/", subapp2);
      app.addSubapp("/a/", subapp1);
      const server = await new TestServer(app).start();
      try {
        if (signal === "onStartup") assert.deepEqual(order, [app, subapp1, subapp2]);
        else assert.deepEqual(order, []);
      } finally {
        await server.close();
      }
      assert.deepEqual(order, [app, subapp1, subapp2]);
    });
  }
});

describe("request properties over a real connection", () => {
  test(
    "test_request_path: path is decoded, rawPath and pathQs are not (rawPath has no query here)",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addGet("/path to", (request) => {
        seen.push(request.pathQs, request.path, request.rawPath, request.queryString);
        return new web.Response({ body: "OK" });
      });
      await using client = await new TestClient(app).start();
      const r = await client.get("/path%20to?a=1");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "OK");
      assert.deepEqual(seen, ["/path%20to?a=1", "/path to", "/path%20to", "a=1"]);
    }),
  );

  test(
    "test_request_clone: clone(method) changes the method and keeps matchInfo",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addGet("/", (request) => {
        const r2 = request.clone({ method: "POST" });
        seen.push(r2.method, r2.matchInfo === request.matchInfo, request.method);
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/")).status, 200);
      assert.deepEqual(seen, ["POST", true, "GET"]);
    }),
  );

  test(
    "test_request_headers_type: request.headers is a frozen case-insensitive multidict",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addGet("/get", (request) => {
        seen.push(request.headers instanceof web.Request ? "?" : request.headers.constructor.name);
        seen.push(request.headers.frozen, request.headers.get("X-TEST"), request.headers.get("x-test"));
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      assert.equal((await client.get("/get", { headers: { "X-Test": "v" } })).status, 200);
      assert.deepEqual(seen, ["CIMultiDict", true, "v", "v"]);
    }),
  );

  test(
    "url, host, scheme, remote, secure over TCP",
    inLoop(async () => {
      const seen: Record<string, unknown> = {};
      const app = new web.Application();
      app.router.addGet("/where", (request) => {
        Object.assign(seen, {
          url: request.url.href,
          host: request.host,
          scheme: request.scheme,
          secure: request.secure,
          remote: request.remote,
          version: request.version,
        });
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      await client.get("/where?x=1");
      assert.deepEqual(seen, {
        url: `http://127.0.0.1:${client.port}/where?x=1`,
        host: `127.0.0.1:${client.port}`,
        scheme: "http",
        secure: false,
        remote: "127.0.0.1",
        version: "1.1",
      });
    }),
  );

  test(
    "test_large_header_allowed: maxHeaderSize raises the limit",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addPost("/", () => new web.Response());
      await using client = await new TestClient(new TestServer(app, { maxHeaderSize: 81920 })).start();
      const r = await client.post("/", { headers: { "Long-Header": "ab".repeat(8129) } });
      assert.equal(r.status, 200);
    }),
  );
});

describe("malformed requests", () => {
  const bad: [name: string, request: string][] = [
    ["test_bad_method_for_c_http_parser_not_hangs (GET1)", "GET1 / HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["a request line that is not HTTP", "HELLO\r\n\r\n"],
    ["an unknown HTTP version", "GET / HTTP/7.3\r\nHost: x\r\n\r\n"],
    [
      "Content-Length with Transfer-Encoding (smuggling shape)",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    [
      "two different Content-Lengths",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    ],
    ["a non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"],
    [
      "a bad chunk size",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    ],
    ["an obs-folded header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n"],
    ["a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"],
  ];
  for (const [name, request] of bad) {
    test(
      `${name}: 400, the connection is closed, the server goes on`,
      inLoop(async () => {
        const app = new web.Application();
        app.router.addRoute("*", "/", () => new web.Response({ text: "ok" }));
        await using client = await new TestClient(app).start();
        const { text, closedByServer } = await rawExchange(client.port, request);
        assert.equal(parseHead(text).status, 400);
        assert.ok(closedByServer);
        assert.equal(await (await client.get("/")).text(), "ok");
      }),
    );
  }

  test(
    "test_large_header (differs: 431, as Node): oversize headers, the connection is closed",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ text: "ok" }));
      await using client = await new TestClient(app).start();
      const { text, closedByServer } = await rawExchange(
        client.port,
        `GET / HTTP/1.1\r\nHost: x\r\nLong-Header: ${"ab".repeat(9000)}\r\n\r\n`,
      );
      assert.equal(parseHead(text).status, 431);
      assert.ok(closedByServer);
      assert.equal(await (await client.get("/")).text(), "ok");
    }),
  );

  test(
    "slow headers: 408 after headersTimeout, the connection is closed, the server goes on",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ text: "ok" }));
      await using client = await new TestClient(new TestServer(app, { headersTimeout: 0.2 })).start();
      const { text, closedByServer } = await rawExchange(client.port, "GET / HTTP/1.1\r\nHost: x\r\n");
      assert.equal(parseHead(text).status, 408);
      assert.ok(closedByServer);
      assert.equal(await (await client.get("/")).text(), "ok");
    }),
  );
});
