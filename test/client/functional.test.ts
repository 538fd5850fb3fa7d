// Port of the behaviour checked by aiohttp's tests/test_client_functional.py: a ClientSession against
// our own web server (TestServer + Application) and, where the peer must be controlled byte for byte
// or must count its connections, plain node:http servers. Each test names the aiohttp test it
// follows; "aiots:" titles pin down our own documented behaviour where aiohttp has no single test.
// Every server is closed by the test that starts it (`await using`); tests assert order and outcome,
// never durations (timeouts are checked by the error class only).
import assert from "node:assert/strict";
import type * as http from "node:http";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import * as zlib from "node:zlib";
import {
  BasicAuth,
  ClientConnectionError,
  ClientPayloadError,
  type ClientResponse,
  ClientResponseError,
  ClientSession,
  ClientTimeout,
  ContentTypeError,
  CookieJar,
  FormData,
  InvalidURL,
  InvalidUrlRedirectClientError,
  NonHttpUrlRedirectClientError,
  RedirectClientError,
  ServerTimeoutError,
  SocketTimeoutError,
  TCPConnector,
  TooManyRedirects,
} from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import * as web from "../../src/web/index.js";
import { deferred, errorOf, eventually, httpServer, serve } from "./helpers.js";

const run = <T>(fn: () => Promise<T>): Promise<T> => asyncio.run(fn);

/** What the echo handler saw. */
interface Echo {
  method: string;
  path: string;
  qs: string;
  query: [string, string][];
  headers: Record<string, string>;
  rawHeaderNames: string[];
  body: string;
}

/** Answers with what it received (method, path, query, headers, body as latin1). */
async function echo(request: web.Request): Promise<web.Response> {
  const body = await request.read();
  const headers: Record<string, string> = {};
  const raw = request.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
  const query: [string, string][] = [...new URLSearchParams(request.queryString)];
  const out: Echo = {
    method: request.method,
    path: request.path,
    qs: request.queryString,
    query,
    headers,
    rawHeaderNames: raw.filter((_, i) => i % 2 === 0),
    body: body.toString("latin1"),
  };
  return web.jsonResponse(out);
}

function echoApp(): web.Application {
  const app = new web.Application();
  app.router.addRoute("*", "/{tail:.*}", echo);
  return app;
}

/** Our web server running the echo app, and a session on it. */
async function echoSession(options: ConstructorParameters<typeof ClientSession>[0] = {}) {
  const server = await serve(echoApp());
  const session = new ClientSession({ baseUrl: server.baseUrl, ...options });
  return {
    server,
    session,
    async [Symbol.asyncDispose]() {
      await session.close();
      await server.close();
    },
  };
}

async function echoed(resp: ClientResponse): Promise<Echo> {
  assert.equal(resp.status, 200);
  return (await resp.json()) as Echo;
}

describe("methods, URLs and the response head", () => {
  test("test_HTTP_200_OK_METHOD: every method through request(), body read twice, HEAD empty", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addRoute("*", "/", (r) => new web.Response({ text: r.method }));
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      for (const meth of ["get", "post", "put", "delete", "head", "patch", "options"]) {
        await using resp = await session.request(meth, "/");
        assert.equal(resp.status, 200);
        assert.equal(resp.history.length, 0);
        assert.equal(resp.method, meth.toUpperCase());
        const c1 = await resp.read();
        const c2 = await resp.read();
        assert.deepEqual(c1, c2);
        if (meth === "head") assert.equal(c1.length, 0);
        else assert.equal(await resp.text(), meth.toUpperCase());
      }
    }));

  test("test_shortcuts: get/post/put/patch/delete/head/options each send their method", () =>
    run(async () => {
      await using s = await echoSession();
      const { session } = s;
      const calls: [string, (u: string) => asyncio.Coroutine<ClientResponse>][] = [
        ["GET", (u) => session.get(u)],
        ["POST", (u) => session.post(u)],
        ["PUT", (u) => session.put(u)],
        ["PATCH", (u) => session.patch(u)],
        ["DELETE", (u) => session.delete(u)],
        ["OPTIONS", (u) => session.options(u)],
      ];
      for (const [method, call] of calls) {
        await using resp = await call("/m");
        assert.equal((await echoed(resp)).method, method);
      }
      await using head = await session.head("/m");
      assert.equal(head.status, 200);
      assert.equal((await head.read()).length, 0);
    }));

  test("test_HTTP_200_GET_WITH_PARAMS: a params record is appended as the query", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.get("/", { params: { q: "test", n: 1 } });
      assert.deepEqual((await echoed(resp)).query, [
        ["q", "test"],
        ["n", "1"],
      ]);
    }));

  test("test_HTTP_200_GET_WITH_MultiDict_PARAMS: repeated keys (pairs, arrays, URLSearchParams) keep their order", () =>
    run(async () => {
      await using s = await echoSession();
      const want = [
        ["q", "test"],
        ["q", "test2"],
      ];
      const forms = [
        [
          ["q", "test"],
          ["q", "test2"],
        ] as [string, string][],
        { q: ["test", "test2"] },
        new URLSearchParams([
          ["q", "test"],
          ["q", "test2"],
        ]),
      ];
      for (const params of forms) {
        await using resp = await s.session.get("/", { params });
        assert.deepEqual((await echoed(resp)).query, want);
      }
    }));

  test("test_HTTP_200_GET_WITH_MIXED_PARAMS: params come after the URL's own query", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.get("/?test=true", { params: { q: "test" } });
      assert.equal((await echoed(resp)).qs, "test=true&q=test");
    }));

  test("test_str_params: a string of params is sent as written", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.get("/", { params: "q=t+est" });
      const e = await echoed(resp);
      assert.equal(e.qs, "q=t+est");
      assert.deepEqual(e.query, [["q", "t est"]]);
    }));

  test("test_drop_fragment: the fragment is not sent; url drops it, realUrl keeps it", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.get("/ok#fragment");
      assert.equal((await echoed(resp)).path, "/ok");
      assert.equal(resp.url.pathname, "/ok");
      assert.equal(resp.url.hash, "");
      assert.equal(resp.realUrl.hash, "#fragment");
    }));

  test("test_HTTP_304: a 304 has an empty body", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ status: 304 }));
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"));
      assert.equal(resp.status, 304);
      assert.equal((await resp.read()).length, 0);
    }));

  test("test_204_with_gzipped_content_encoding: an empty 204 claiming gzip reads as empty and is closed", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addDelete(
        "/",
        () =>
          new web.Response({
            status: 204,
            headers: { "Content-Encoding": "gzip", "Content-Type": "application/json" },
          }),
      );
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.delete(server.makeUrl("/"));
      assert.equal(resp.status, 204);
      assert.equal((await resp.read()).length, 0);
      assert.equal(resp.closed, true);
    }));

  test("test_wait_for: a request inside waitFor", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ body: "OK" }));
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await asyncio.waitFor(session.get(server.makeUrl("/")), 10);
      assert.equal(resp.status, 200);
      assert.equal(await resp.text(), "OK");
    }));

  test("test_raw_headers / test_empty_header_values: rawHeaders as sent, an empty value kept", () =>
    run(async () => {
      await using server = await httpServer((_req, res) => {
        res.writeHead(200, [
          ["X-Empty", ""],
          ["Content-Length", "0"],
          ["Content-Type", "application/octet-stream"],
        ]);
        res.end();
      });
      await using session = new ClientSession();
      await using resp = await session.get(server.url);
      const raw = resp.rawHeaders;
      assert.deepEqual(raw.slice(0, 6), [
        "X-Empty",
        "",
        "Content-Length",
        "0",
        "Content-Type",
        "application/octet-stream",
      ]);
      assert.equal(resp.headers.get("x-empty"), "");
      assert.equal(resp.contentLength, 0);
      assert.equal(resp.contentType, "application/octet-stream");
    }));

  test("test_host_header_first: Host is the first request header", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.get("/");
      const e = await echoed(resp);
      assert.equal(e.rawHeaderNames[0]!.toLowerCase(), "host");
      assert.equal(e.headers.host, `127.0.0.1:${s.server.port}`);
    }));

  test("test_invalid_idna: a URL whose host cannot be parsed is an InvalidURL (a ValueError); so is a non-http URL", () =>
    run(async () => {
      await using session = new ClientSession();
      // WHATWG URL parsing drops U+2061 (aiohttp's test host) instead of refusing it: a host with a space is refused.
      const e = await errorOf(() => session.get("http://exa mple.com/"));
      assert.ok(e instanceof InvalidURL, String(e));
      assert.ok(e instanceof asyncio.ValueError);
      const e2 = await errorOf(() => session.get("ftp://127.0.0.1/"));
      assert.ok(e2 instanceof InvalidURL);
    }));

  test("aiots: ok, reason, contentType, charset and the response's inspect", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ status: 404, text: "nope" }));
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"));
      assert.equal(resp.ok, false);
      assert.equal(resp.reason, "Not Found");
      assert.equal(resp.contentType, "text/plain");
      assert.equal(resp.charset, "utf-8");
      assert.equal(await resp.text(), "nope");
    }));
});

describe("request headers", () => {
  test("test_auto_header_user_agent: the automatic User-Agent, Accept and Accept-Encoding", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.get("/");
      const h = (await echoed(resp)).headers;
      assert.match(h["user-agent"]!, /^aiots\//);
      assert.equal(h.accept, "*/*");
      assert.equal(h["accept-encoding"], "gzip, deflate, br");
    }));

  test("test_skip_auto_headers_user_agent: skipAutoHeaders of one request", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.get("/", { skipAutoHeaders: ["user-agent"] });
      const h = (await echoed(resp)).headers;
      assert.equal(h["user-agent"], undefined);
      assert.equal(h.accept, "*/*");
    }));

  test("test_skip_default_auto_headers_user_agent: skipAutoHeaders of the session", () =>
    run(async () => {
      await using s = await echoSession({ skipAutoHeaders: ["User-Agent"] });
      await using resp = await s.session.get("/");
      assert.equal((await echoed(resp)).headers["user-agent"], undefined);
    }));

  test("test_skip_auto_headers_content_type: no Content-Type for a body when skipped", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.post("/", { data: "x", skipAutoHeaders: ["content-type"] });
      const e = await echoed(resp);
      assert.equal(e.headers["content-type"], undefined);
      assert.equal(e.body, "x");
    }));

  test("test_custom_headers: a request's own headers are sent", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.post("/", {
        headers: { "Content-Type": "application/json", "x-api-key": "foo" },
      });
      const h = (await echoed(resp)).headers;
      assert.equal(h["x-api-key"], "foo");
      assert.equal(h["content-type"], "application/json");
    }));

  test("test_session_headers: the session's headers go with every request", () =>
    run(async () => {
      await using s = await echoSession({ headers: { "X-Real-IP": "192.168.0.1" } });
      for (let i = 0; i < 2; i++) {
        await using resp = await s.session.get("/");
        assert.equal((await echoed(resp)).headers["x-real-ip"], "192.168.0.1");
      }
    }));

  test("test_session_headers_merge: a request header replaces the session's of the same name", () =>
    run(async () => {
      await using s = await echoSession({
        headers: [
          ["X-Real-IP", "192.168.0.1"],
          ["X-Sent-By", "requests"],
        ],
      });
      await using resp = await s.session.get("/", { headers: { "x-sent-by": "aiots" } });
      const h = (await echoed(resp)).headers;
      assert.equal(h["x-real-ip"], "192.168.0.1");
      assert.equal(h["x-sent-by"], "aiots");
    }));

  test("test_session_auth: the session's BasicAuth", () =>
    run(async () => {
      await using s = await echoSession({ auth: new BasicAuth("login", "pass") });
      await using resp = await s.session.get("/");
      assert.equal((await echoed(resp)).headers.authorization, "Basic bG9naW46cGFzcw==");
    }));

  test("test_session_auth_override: a request's auth replaces the session's", () =>
    run(async () => {
      await using s = await echoSession({ auth: new BasicAuth("login", "pass") });
      await using resp = await s.session.get("/", { auth: new BasicAuth("other_login", "pass") });
      assert.equal((await echoed(resp)).headers.authorization, "Basic b3RoZXJfbG9naW46cGFzcw==");
    }));

  test("aiots: credentials in the URL become Authorization and are not sent in the URL", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.get(`http://user:pass@127.0.0.1:${s.server.port}/x`);
      const e = await echoed(resp);
      assert.equal(e.headers.authorization, `Basic ${Buffer.from("user:pass").toString("base64")}`);
      assert.equal(resp.url.username, "");
    }));

  test("test_session_auth_header_conflict: an Authorization header with session auth is refused", () =>
    run(async () => {
      await using s = await echoSession({ auth: new BasicAuth("login", "pass") });
      const e = await errorOf(() =>
        s.session.get("/", { headers: { Authorization: "Basic b3RoZXJfbG9naW46cGFzcw==" } }),
      );
      assert.ok(e instanceof asyncio.ValueError);
    }));

  test("test_creds_in_auth_and_url: auth together with credentials in the URL is refused", () =>
    run(async () => {
      await using s = await echoSession();
      const e = await errorOf(() =>
        s.session.get(`http://user:pass@127.0.0.1:${s.server.port}/`, {
          auth: new BasicAuth("user2", "pass2"),
        }),
      );
      assert.ok(e instanceof asyncio.ValueError);
    }));
});

describe("request bodies", () => {
  test("test_POST_DATA: a record is sent as an urlencoded form", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addPost("/", async (r) => web.jsonResponse(Object.fromEntries(await r.post())));
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      await using resp = await session.post("/", { data: { some: "data", n: 1 } });
      assert.deepEqual(await resp.json(), { some: "data", n: "1" });
    }));

  test("test_POST_DATA_with_explicit_formdata: aiots' FormData with a text field", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addPost("/", async (r) => web.jsonResponse(Object.fromEntries(await r.post())));
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      const form = new FormData();
      form.addField("name", "text");
      await using resp = await session.post("/", { data: form });
      assert.deepEqual(await resp.json(), { name: "text" });
    }));

  test("test_POST_MultiDict: URLSearchParams with a repeated key", () =>
    run(async () => {
      await using s = await echoSession();
      const data = new URLSearchParams([
        ["q", "test1"],
        ["q", "test2"],
      ]);
      await using resp = await s.session.post("/", { data });
      const e = await echoed(resp);
      assert.equal(e.body, "q=test1&q=test2");
      assert.equal(e.headers["content-type"], "application/x-www-form-urlencoded");
    }));

  test("test_POST_bytes: bytes are sent as is, with their length", () =>
    run(async () => {
      await using s = await echoSession();
      const body = Buffer.alloc(12345, "0");
      await using resp = await s.session.post("/", { data: new Uint8Array(body) });
      const e = await echoed(resp);
      assert.equal(e.body, body.toString("latin1"));
      assert.equal(e.headers["content-length"], "12345");
      assert.equal(e.headers["content-type"], "application/octet-stream");
    }));

  test("aiots: an ArrayBuffer body", () =>
    run(async () => {
      await using s = await echoSession();
      const ab = new TextEncoder().encode("abc").buffer as ArrayBuffer;
      await using resp = await s.session.put("/", { data: ab });
      assert.equal((await echoed(resp)).body, "abc");
    }));

  test("test_post_data_stringio: text is sent as UTF-8 text/plain with its length", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.post("/", { data: "текст" });
      const e = await echoed(resp);
      assert.equal(Buffer.from(e.body, "latin1").toString("utf8"), "текст");
      assert.equal(e.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(e.headers["content-length"], String(Buffer.byteLength("текст")));
    }));

  test("test_POST_FILES / test_POST_FILES_CT: FormData with a file and a text field, multipart", () =>
    run(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addPost("/", async (r) => {
        const data = await r.post();
        const f = data.get("some") as web.FileField;
        seen.push([f.filename, f.contentType, f.data.toString(), data.get("test")]);
        return new web.Response();
      });
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      const form = new FormData();
      form.addField("some", new TextEncoder().encode("file body"), {
        filename: "conftest.py",
        contentType: "text/plain",
      });
      form.addField("test", "data");
      await using resp = await session.post("/", { data: form });
      assert.equal(resp.status, 200);
      assert.deepEqual(seen, [["conftest.py", "text/plain", "file body", "data"]]);
    }));

  test("test_POST_FILES_IO_WITH_PARAMS: the global FormData with a File and text fields", () =>
    run(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addPost("/", async (r) => {
        const data = await r.post();
        const f = data.get("unknown") as web.FileField;
        seen.push(data.get("test"), data.getAll("q"), f.filename, f.contentType, f.data.toString());
        return new web.Response();
      });
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      const form = new globalThis.FormData();
      form.append("test", "true");
      form.append("q", "t1");
      form.append("q", "t2");
      form.append("unknown", new Blob(["data"], { type: "application/octet-stream" }), "unknown");
      await using resp = await session.post("/", { data: form });
      assert.equal(resp.status, 200);
      assert.deepEqual(seen, ["true", ["t1", "t2"], "unknown", "application/octet-stream", "data"]);
    }));

  test("test_POST_FILES_SINGLE_BINARY: a Blob body with its type as Content-Type", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.post("/", {
        data: new Blob(["blob ", "body"], { type: "text/x-python" }),
      });
      const e = await echoed(resp);
      assert.equal(e.body, "blob body");
      assert.equal(e.headers["content-type"], "text/x-python");
    }));

  test("test_POST_STREAM_DATA: an async generator with an explicit Content-Length", () =>
    run(async () => {
      await using s = await echoSession();
      const chunk = Buffer.alloc(100, "x");
      async function* gen(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 5; i++) yield chunk;
      }
      await using resp = await s.session.post("/", { data: gen(), headers: { "Content-Length": "500" } });
      const e = await echoed(resp);
      assert.equal(e.body.length, 500);
      assert.equal(e.headers["content-length"], "500");
      assert.equal(e.headers["transfer-encoding"], undefined);
      assert.equal(e.headers["content-type"], "application/octet-stream");
    }));

  test("test_async_payload_generator: an async generator without a length is sent chunked", () =>
    run(async () => {
      await using s = await echoSession();
      async function* gen(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 100; i++) yield Buffer.from("1234567890");
      }
      await using resp = await s.session.post("/", { data: gen() });
      const e = await echoed(resp);
      assert.equal(e.body, "1234567890".repeat(100));
      assert.equal(e.headers["transfer-encoding"], "chunked");
    }));

  test("test_multidict_headers: headers given as pairs, with an explicit Content-Length", () =>
    run(async () => {
      await using s = await echoSession();
      const data = Buffer.from("sample data");
      await using resp = await s.session.post("/", {
        data,
        headers: [
          ["Content-Length", String(data.length)],
          ["X-Multi", "a"],
          ["X-Multi", "b"],
        ],
      });
      const e = await echoed(resp);
      assert.equal(e.body, "sample data");
      assert.equal(e.headers["content-length"], String(data.length));
      assert.equal(e.rawHeaderNames.filter((n) => n.toLowerCase() === "x-multi").length, 2);
    }));

  test("test_POST_FILES_STR: a record with a long text value is one urlencoded field", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addPost("/", async (r) => new web.Response({ text: String((await r.post()).get("some")) }));
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      const text = "line & = ?\n".repeat(2000);
      await using resp = await session.post("/", { data: { some: text } });
      assert.equal(await resp.text(), text);
    }));

  test("aiots: a node:stream Readable body is streamed", () =>
    run(async () => {
      await using s = await echoSession();
      const body = Readable.from([Buffer.from("read"), Buffer.from("able")]);
      await using resp = await s.session.post("/", { data: body });
      assert.equal((await echoed(resp)).body, "readable");
    }));

  test("test_json: a json body with its Content-Type; json with data is a ValueError", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addPost("/", async (r) => {
        assert.equal(r.contentType, "application/json");
        return web.jsonResponse(await r.json());
      });
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      await using resp = await session.post("/", { json: { some: "data" } });
      assert.deepEqual(await resp.json(), { some: "data" });
      const e = await errorOf(() => session.post("/", { data: "some data", json: { some: "data" } }));
      assert.ok(e instanceof asyncio.ValueError);
    }));

  test("test_expect_continue: expect100 sends Expect: 100-continue and the body after the interim answer", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.post("/", { data: "x", expect100: true });
      const e = await echoed(resp);
      assert.equal(e.headers.expect, "100-continue");
      assert.equal(e.body, "x");
      // The next request (and another expect100 one) on the same session still works.
      await using again = await s.session.post("/", { data: "y".repeat(100_000), expect100: true });
      assert.equal((await echoed(again)).body.length, 100_000);
      await using plain = await s.session.post("/", { data: "z" });
      assert.equal((await echoed(plain)).body, "z");
    }));

  test("aiots: expect100 answered with a final status: the body is never sent, the response is that answer", () =>
    run(async () => {
      let bodyBytes = 0;
      let requests = 0;
      await using srv = await httpServer((req, res) => {
        requests++;
        req.on("data", (c: Buffer) => {
          bodyBytes += c.length;
        });
        res.end("ok");
      });
      srv.server.on("checkContinue", (req, res) => {
        requests++;
        req.on("data", (c: Buffer) => {
          bodyBytes += c.length;
        });
        res.writeHead(417, { "Content-Type": "text/plain" });
        res.end("no thanks");
      });
      await using session = new ClientSession();
      await using resp = await session.post(srv.url, { data: "a body the server refused", expect100: true });
      assert.equal(resp.status, 417);
      assert.equal(await resp.text(), "no thanks");
      assert.equal(requests, 1);
      assert.equal(bodyBytes, 0);
      const e = await errorOf(() =>
        session.post(srv.url, { data: "x", expect100: true, proxy: "http://127.0.0.1:9/" }),
      );
      assert.ok(e instanceof asyncio.ValueError, String(e));
    }));

  test("aiots: expect100 with no answer: sockRead ends it (SocketTimeoutError); a cancelled task drops it", () =>
    run(async () => {
      await using srv = await httpServer((_req, res) => res.end("never here"));
      srv.server.on("checkContinue", () => {}); // reads the head, never answers
      await using session = new ClientSession();
      const slow = await errorOf(() =>
        session.post(srv.url, { data: "x", expect100: true, timeout: new ClientTimeout({ sockRead: 0.2 }) }),
      );
      assert.ok(slow instanceof SocketTimeoutError, String(slow));
      const task = asyncio.createTask(() => session.post(srv.url, { data: "x", expect100: true }));
      await asyncio.sleep(0.05);
      task.cancel();
      assert.ok((await errorOf(() => task)) instanceof asyncio.CancelledError);
      assert.ok(await eventually(() => srv.openConnections === 0), "the connections were closed");
    }));

  test("test_POST_DATA_DEFLATE: compress sends the body deflated with Content-Encoding", () =>
    run(async () => {
      await using s = await echoSession();
      await using resp = await s.session.post("/", {
        data: { some: "data" },
        compress: "deflate",
      });
      assert.equal((await echoed(resp)).headers["content-encoding"], "deflate");
    }));

  test("aiots: a streamed body that fails while compressed fails the request (no unhandled 'error')", () =>
    run(async () => {
      await using s = await echoSession();
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.from("first part");
        throw new Error("the source broke");
      }
      const e = await errorOf(() => s.session.post("/", { data: failing(), compress: "gzip" }));
      assert.ok(e instanceof Error, String(e));
      // The request fails; the process is still here (an unhandled 'error' would have ended the test run).
      await using ok = await s.session.post("/", { data: "x", compress: "gzip" });
      assert.equal((await echoed(ok)).headers["content-encoding"], "gzip");
    }));

  test("test_json_custom: the session's jsonSerialize is used", () =>
    run(async () => {
      let used = 0;
      await using s = await echoSession({
        jsonSerialize: (v) => {
          used++;
          return JSON.stringify(v, null, 1);
        },
      });
      await using resp = await s.session.post("/", { json: { some: "data" } });
      const e = await echoed(resp);
      assert.equal(used, 1);
      assert.equal(e.body, '{\n "some": "data"\n}');
    }));
});

describe("response bodies", () => {
  for (const coding of ["gzip", "deflate", "br"] as const)
    test(`test_encoding_${coding}: a ${coding} body is decompressed`, () =>
      run(async () => {
        const app = new web.Application();
        app.router.addGet("/", () => {
          const r = new web.Response({ text: "text ".repeat(2000) });
          r.enableCompression(coding);
          return r;
        });
        await using server = await serve(app);
        await using session = new ClientSession();
        await using resp = await session.get(server.makeUrl("/"));
        assert.equal(resp.headers.get("content-encoding"), coding);
        assert.equal(await resp.text(), "text ".repeat(2000));
      }));

  test("test_encoding_gzip_write_by_chunks: a gzip stream written in pieces", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        const resp = new web.StreamResponse();
        resp.enableCompression("gzip");
        await resp.prepare(request);
        await resp.write("0");
        await resp.write("0");
        return resp;
      });
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"));
      assert.equal(await resp.text(), "00");
    }));

  test("aiots: autoDecompress false (session or request) hands over the compressed bytes", () =>
    run(async () => {
      const text = "compress me ".repeat(500);
      await using server = await httpServer((_req, res) => {
        const gz = zlib.gzipSync(text);
        res.writeHead(200, { "Content-Encoding": "gzip", "Content-Length": gz.length });
        res.end(gz);
      });
      {
        await using session = new ClientSession({ autoDecompress: false });
        await using resp = await session.get(server.url);
        assert.equal(zlib.gunzipSync(await resp.read()).toString(), text);
      }
      await using session = new ClientSession();
      await using raw = await session.get(server.url, { autoDecompress: false });
      assert.equal(zlib.gunzipSync(await raw.read()).toString(), text);
      await using decoded = await session.get(server.url);
      assert.equal(await decoded.text(), text);
    }));

  test("test_bad_payload_compression: a body that is not the gzip it claims is a ClientPayloadError", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet(
        "/",
        () => new web.Response({ text: "text", headers: { "Content-Encoding": "gzip" } }),
      );
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"));
      assert.equal(resp.status, 200);
      await assert.rejects(resp.read(), ClientPayloadError);
    }));

  test("test_chunked: a chunked body", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        const resp = new web.StreamResponse();
        await resp.prepare(request);
        await resp.write("te");
        await resp.write("xt");
        return resp;
      });
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"));
      assert.equal(resp.headers.get("transfer-encoding"), "chunked");
      assert.equal(await resp.text(), "text");
    }));

  test("aiots: content.iterChunked(n) yields chunks of at most n bytes, the whole body in order", () =>
    run(async () => {
      const body = Buffer.alloc(200_000);
      for (let i = 0; i < body.length; i++) body[i] = i % 251;
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ body }));
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"));
      const parts: Buffer[] = [];
      for await (const chunk of resp.content.iterChunked(1024)) {
        assert.ok(chunk.length <= 1024 && chunk.length > 0);
        parts.push(chunk);
      }
      assert.deepEqual(Buffer.concat(parts), body);
    }));

  test("test_no_error_on_conn_close_if_eof: readline() line by line to the end, no exception left", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", async (request) => {
        const resp = new web.StreamResponse();
        await resp.prepare(request);
        for (let i = 0; i < 3; i++) await resp.write(`data${i}\n`);
        return resp;
      });
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"), { headers: { Connection: "keep-alive" } });
      const lines: string[] = [];
      for (;;) {
        const line = await resp.content.readline();
        if (line.length === 0) break;
        lines.push(line.toString());
      }
      assert.deepEqual(lines, ["data0\n", "data1\n", "data2\n"]);
      assert.equal(resp.content.exception(), null);
    }));

  test("aiots: content.read(n) returns at most n bytes; read() after takes the rest", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ body: "0123456789" }));
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"));
      const first = await resp.content.readexactly(4);
      assert.equal(first.toString(), "0123");
      const some = await resp.content.read(3);
      assert.ok(some.length >= 1 && some.length <= 3);
      const rest = await resp.content.read();
      assert.equal(Buffer.concat([first, some, rest]).toString(), "0123456789");
      assert.equal((await resp.content.read(5)).length, 0);
    }));

  test("aiots: for await over content yields lines", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ text: "a\nbb\nccc" }));
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"));
      const lines: string[] = [];
      for await (const line of resp.content) lines.push(line.toString());
      assert.deepEqual(lines, ["a\n", "bb\n", "ccc"]);
    }));

  test("aiots: text() honours the charset; json() accepts +json; json() of an empty body is null", () =>
    run(async () => {
      await using server = await httpServer((req, res) => {
        if (req.url === "/latin1") {
          res.writeHead(200, { "Content-Type": "text/plain; charset=latin1" });
          res.end(Buffer.from("café", "latin1"));
        } else if (req.url === "/problem") {
          res.writeHead(200, { "Content-Type": "application/problem+json" });
          res.end('{"a": 1}');
        } else {
          res.writeHead(200, { "Content-Type": "application/json" });
          res.end("");
        }
      });
      await using session = new ClientSession({ baseUrl: server.url });
      await using r1 = await session.get("/latin1");
      assert.equal(await r1.text(), "café");
      await using r2 = await session.get("/problem");
      assert.deepEqual(await r2.json(), { a: 1 });
      await using r3 = await session.get("/empty");
      assert.equal(await r3.json(), null);
    }));

  test("aiots: json() of a non-JSON type is a ContentTypeError (a ClientResponseError); contentType null skips the check", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ text: '{"a": 1}' }));
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"));
      const e = await errorOf(() => resp.json());
      assert.ok(e instanceof ContentTypeError);
      assert.ok(e instanceof ClientResponseError);
      assert.equal(e.status, 200);
      assert.match(e.reason, /text\/plain/);
      await using again = await session.get(server.makeUrl("/"));
      assert.deepEqual(await again.json({ contentType: null }), { a: 1 });
    }));

  test("test_read_from_closed_response: read() after release without reading is a ClientConnectionError", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ body: "data" }));
      await using server = await serve(app);
      await using session = new ClientSession();
      let resp: ClientResponse;
      {
        await using r = await session.get(server.makeUrl("/"));
        resp = r;
        assert.equal(r.status, 200);
      }
      assert.equal(resp.closed, true);
      await assert.rejects(resp.read(), ClientConnectionError);
    }));

  test("test_read_from_closed_response2: read() again after the block that read it is a ClientConnectionError", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ body: "data" }));
      await using server = await serve(app);
      await using session = new ClientSession();
      let resp: ClientResponse;
      {
        await using r = await session.get(server.makeUrl("/"));
        resp = r;
        assert.equal((await r.read()).toString(), "data");
      }
      await assert.rejects(resp.read(), ClientConnectionError);
    }));

  test("test_read_from_closed_content: content.readline() after release is a ClientConnectionError", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ body: "data" }));
      await using server = await serve(app);
      await using session = new ClientSession();
      let resp: ClientResponse;
      {
        await using r = await session.get(server.makeUrl("/"));
        resp = r;
      }
      assert.ok((await errorOf(() => resp.content.readline())) instanceof ClientConnectionError);
    }));
});

describe("content and release", () => {
  /** Writes `data\n` lines until the client goes away (the test's release ends it). */
  function linesApp(): web.Application {
    const app = new web.Application();
    app.router.addGet("/", async (request) => {
      const resp = new web.StreamResponse();
      await resp.prepare(request);
      try {
        for (let i = 0; i < 50 && !request.signal.aborted; i++) {
          await resp.write("data\n");
          await asyncio.sleep(0.01);
        }
      } catch {
        // the client released the response: the write fails, which is the point
      }
      return resp;
    });
    return app;
  }

  test("test_readline_error_on_conn_close: readline() after a release mid-stream is a ClientConnectionError", () =>
    run(async () => {
      await using server = await serve(linesApp());
      await using session = new ClientSession();
      const resp = await session.get(server.makeUrl("/"), { headers: { Connection: "keep-alive" } });
      assert.equal((await resp.content.readline()).toString(), "data\n");
      resp.release();
      const e = await errorOf(async () => {
        for (;;) if ((await resp.content.readline()).length === 0) break;
      });
      assert.ok(e instanceof ClientConnectionError, String(e));
    }));

  test("test_close_resp_on_error_async_with_session: an error set on content is what read() throws; the block releases", () =>
    run(async () => {
      await using server = await httpServer((_req, res) => {
        res.writeHead(200, { "Content-Length": "100" });
        res.write("part");
      });
      await using session = new ClientSession();
      class Boom extends Error {}
      const e = await errorOf(async () => {
        await using resp = await session.get(server.url);
        resp.content.setException(new Boom());
        await resp.read();
      });
      assert.ok(e instanceof Boom);
      await server.waitClosed(1);
    }));

  test("test_error_not_overwrote_on_conn_close: an error set on content survives the session's close", () =>
    run(async () => {
      await using server = await httpServer((_req, res) => {
        res.writeHead(200, { "Content-Length": "100" });
        res.write("part");
      });
      const session = new ClientSession();
      const resp = await session.get(server.url);
      const mine = new asyncio.ValueError("mine");
      resp.content.setException(mine);
      await session.close();
      assert.equal(resp.content.exception(), mine);
      await server.waitClosed(1);
    }));
});

describe("keep-alive and connections", () => {
  /** A node:http server answering "OK" (optionally closing each connection). */
  function okServer(close = false) {
    return httpServer((_req, res) => {
      const headers: http.OutgoingHttpHeaders = { "Content-Length": "2" };
      if (close) headers.Connection = "close";
      res.writeHead(200, headers);
      res.end("OK");
    });
  }

  test("test_keepalive_two_requests_success: two requests read to the end share one connection", () =>
    run(async () => {
      await using server = await okServer();
      await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
      for (let i = 0; i < 2; i++) {
        await using resp = await session.get(server.url);
        assert.equal(await resp.text(), "OK");
      }
      assert.equal(server.connections, 1);
      assert.equal(server.openConnections, 1);
    }));

  test("test_keepalive_response_released: a response released after its body arrived keeps the connection", () =>
    run(async () => {
      await using server = await okServer();
      await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
      for (let i = 0; i < 2; i++) {
        const resp = await session.get(server.url);
        assert.ok(await eventually(() => resp.closed));
        resp.release();
      }
      assert.equal(server.connections, 1);
    }));

  test("test_keepalive_server_force_close_connection / test_keepalive_closed_by_server: Connection: close means a new connection each time", () =>
    run(async () => {
      await using server = await okServer(true);
      await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
      for (let i = 0; i < 2; i++) {
        await using resp = await session.get(server.url);
        assert.equal(await resp.text(), "OK");
      }
      assert.equal(server.connections, 2);
      await server.waitClosed(2);
    }));

  test("aiots: an unread body still arriving is abandoned on release: that connection closes, the next request opens another", () =>
    run(async () => {
      const started = deferred();
      await using server = await httpServer((req, res) => {
        if (req.url === "/slow") {
          res.writeHead(200, { "Content-Length": "100" });
          res.write("partial");
          started.resolve();
        } else {
          res.writeHead(200, { "Content-Length": "2" });
          res.end("OK");
        }
      });
      await using session = new ClientSession({ baseUrl: server.url });
      {
        await using resp = await session.get("/slow");
        await started.promise;
        assert.equal(resp.closed, false);
      }
      await server.waitClosed(1);
      await using ok = await session.get("/ok");
      assert.equal(await ok.text(), "OK");
      assert.notEqual(server.sockets.at(-1), server.sockets[0]);
    }));

  test("test_keepalive_after_head_requests_success: HEAD answers (a length, no body) keep the connection", () =>
    run(async () => {
      await using server = await httpServer((_req, res) => {
        res.writeHead(200, { "Content-Length": "2" });
        res.end("OK");
      });
      await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
      for (let i = 0; i < 3; i++) {
        await using resp = await session.head(server.url);
        assert.equal(resp.status, 200);
        assert.equal(resp.contentLength, 2);
        assert.equal((await resp.read()).length, 0);
      }
      assert.equal(server.connections, 1);
    }));

  test("test_keepalive_after_empty_body_status: 204 and 304 answers keep the connection", () =>
    run(async () => {
      let n = 0;
      await using server = await httpServer((_req, res) => {
        res.writeHead(n++ % 2 === 0 ? 204 : 304);
        res.end();
      });
      await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        await using resp = await session.get(server.url);
        statuses.push(resp.status);
        assert.equal((await resp.read()).length, 0);
      }
      assert.deepEqual(statuses, [204, 304, 204, 304]);
      assert.equal(server.connections, 1);
    }));

  test("test_dont_close_explicit_connector: connectorOwner false leaves the connector open", () =>
    run(async () => {
      await using server = await okServer();
      const connector = new TCPConnector();
      {
        await using session = new ClientSession({ connector, connectorOwner: false });
        await using resp = await session.get(server.url);
        await resp.read();
      }
      assert.equal(connector.closed, false);
      {
        await using session2 = new ClientSession({ connector, connectorOwner: false });
        await using resp = await session2.get(server.url);
        assert.equal(await resp.text(), "OK");
      }
      assert.equal(server.connections, 1);
      await connector.close();
      await server.waitClosed(1);
    }));

  test("test_await_after_cancelling: cancelling one task does not disturb another request", () =>
    run(async () => {
      await using server = await okServer();
      await using session = new ClientSession();
      const loop = asyncio.getRunningLoop();
      const fut1 = loop.createFuture<void>();
      const fut2 = loop.createFuture<void>();
      const order: string[] = [];
      const fetch1 = async () => {
        const resp = await session.get(server.url);
        assert.equal(resp.status, 200);
        fut1.setResult();
        await assert.rejects(fut2, asyncio.CancelledError);
        order.push("fetch1 cancelled");
        resp.release();
      };
      const fetch2 = async () => {
        await fut1;
        await using resp = await session.get(server.url);
        assert.equal(resp.status, 200);
        order.push("fetch2");
      };
      const canceller = async () => {
        await fut1;
        fut2.cancel();
      };
      await asyncio.gather(fetch1, fetch2, canceller);
      assert.deepEqual([...order].sort(), ["fetch1 cancelled", "fetch2"]);
    }));

  test("aiots: limit bounds the requests in flight; a queued request goes once a body is read", () =>
    run(async () => {
      await using server = await okServer();
      await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
      const results = await asyncio.gather(
        ...[0, 1, 2].map(() => async () => {
          await using resp = await session.get(server.url);
          return await resp.text();
        }),
      );
      assert.deepEqual(results, ["OK", "OK", "OK"]);
      assert.equal(server.connections, 1);
    }));
});

describe("redirects", () => {
  function redirectApp(): web.Application {
    const app = new web.Application();
    app.router.addRoute("*", "/", async (r) => new web.Response({ text: `${r.method} ${await r.text()}` }));
    app.router.addRoute("*", "/ok", async (r) => web.jsonResponse({ method: r.method, qs: r.queryString }));
    for (const status of [301, 302, 303, 307, 308])
      app.router.addRoute("*", `/r${status}`, async (r) => {
        await r.read();
        return new web.Response({ status, headers: { Location: "/" } });
      });
    app.router.addGet("/redirect/{count}", (r) => {
      const n = Number(r.matchInfo.get("count"));
      throw new web.HTTPFound(n > 0 ? `/redirect/${n - 1}` : "/");
    });
    return app;
  }

  async function redirectSession() {
    const server = await serve(redirectApp());
    const session = new ClientSession({ baseUrl: server.baseUrl });
    return {
      server,
      session,
      async [Symbol.asyncDispose]() {
        await session.close();
        await server.close();
      },
    };
  }

  test("test_HTTP_302_REDIRECT_GET / test_history: a followed redirect is in history", () =>
    run(async () => {
      await using s = await redirectSession();
      await using plain = await s.session.get("/ok");
      assert.equal(plain.history.length, 0);
      await using resp = await s.session.get("/r302");
      assert.equal(resp.status, 200);
      assert.equal(resp.history.length, 1);
      assert.equal(resp.history[0]!.status, 302);
      assert.equal(resp.history[0]!.url.pathname, "/r302");
      assert.equal(resp.url.pathname, "/");
      assert.equal(await resp.text(), "GET ");
    }));

  test("test_HTTP_302_REDIRECT_HEAD: request('HEAD') follows and stays HEAD; head() does not follow by default", () =>
    run(async () => {
      await using s = await redirectSession();
      await using resp = await s.session.request("HEAD", "/r302");
      assert.equal(resp.status, 200);
      assert.equal(resp.history.length, 1);
      assert.equal(resp.method, "HEAD");
      await using notFollowed = await s.session.head("/r302");
      assert.equal(notFollowed.status, 302);
      await using followed = await s.session.head("/r302", { allowRedirects: true });
      assert.equal(followed.status, 200);
    }));

  test("test_HTTP_302_REDIRECT_POST: 301 and 302 turn a POST into a GET without its body", () =>
    run(async () => {
      await using s = await redirectSession();
      for (const path of ["/r301", "/r302"]) {
        await using resp = await s.session.post(path, { data: { some: "data" } });
        assert.equal(resp.history.length, 1);
        assert.equal(await resp.text(), "GET ");
      }
    }));

  test("test_HTTP_302_REDIRECT_POST_with_content_length_hdr: an explicit Content-Length is dropped with the body", () =>
    run(async () => {
      await using s = await redirectSession();
      const data = JSON.stringify({ some: "data" });
      await using resp = await s.session.post("/r302", {
        data,
        headers: { "Content-Length": String(data.length) },
      });
      assert.equal(resp.status, 200);
      assert.equal(await resp.text(), "GET ");
    }));

  test("aiots: 303 turns any method but HEAD into a GET", () =>
    run(async () => {
      await using s = await redirectSession();
      await using resp = await s.session.put("/r303", { data: "x" });
      assert.equal(await resp.text(), "GET ");
      await using head = await s.session.request("HEAD", "/r303");
      assert.equal(head.method, "HEAD");
      assert.equal(head.status, 200);
    }));

  test("test_HTTP_307_REDIRECT_POST / test_HTTP_308_PERMANENT_REDIRECT_POST: the method and body are kept", () =>
    run(async () => {
      await using s = await redirectSession();
      await using r307 = await s.session.post("/r307", { data: { some: "data" } });
      assert.equal(r307.history.length, 1);
      assert.equal(await r307.text(), "POST some=data");
      await using r308 = await s.session.put("/r308", { json: { a: 1 } });
      assert.equal(await r308.text(), 'PUT {"a":1}');
    }));

  test("aiots: a 307 with a streamed body that cannot be sent again is a RedirectClientError", () =>
    run(async () => {
      await using s = await redirectSession();
      async function* gen(): AsyncGenerator<Uint8Array> {
        yield Buffer.from("once");
      }
      const e = await errorOf(() => s.session.post("/r307", { data: gen() }));
      assert.ok(e instanceof RedirectClientError);
    }));

  test("test_HTTP_302_max_redirects: more than maxRedirects is TooManyRedirects, with the history", () =>
    run(async () => {
      await using s = await redirectSession();
      const e = await errorOf(() => s.session.get("/redirect/5", { maxRedirects: 2 }));
      assert.ok(e instanceof TooManyRedirects);
      assert.ok(e instanceof ClientResponseError);
      // ClientSession follows maxRedirects redirects; the next one is the error (its history holds all three).
      assert.deepEqual(
        e.history.map((r) => (r as ClientResponse).url.pathname),
        ["/redirect/5", "/redirect/4", "/redirect/3"],
      );
      assert.equal(e.requestInfo!.url.pathname, "/redirect/5");
      assert.equal(e.requestInfo!.method, "GET");
      await using ok = await s.session.get("/redirect/2", { maxRedirects: 3 });
      assert.equal(ok.status, 200);
      assert.equal(ok.history.length, 3);
    }));

  test("aiots: maxRedirects 0 makes the first redirect an error; the session's maxRedirects is the default", () =>
    run(async () => {
      await using server = await serve(redirectApp());
      await using session = new ClientSession({ baseUrl: server.baseUrl, maxRedirects: 1 });
      await assert.rejects(session.get("/r302", { maxRedirects: 0 }), TooManyRedirects);
      await using one = await session.get("/redirect/0");
      assert.equal(one.status, 200);
      await assert.rejects(session.get("/redirect/1"), TooManyRedirects);
    }));

  test("test_drop_params_on_redirect: the original params are not carried to the Location", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet(
        "/redirect",
        () => new web.Response({ status: 301, headers: { Location: "/ok?a=redirect" } }),
      );
      app.router.addGet("/ok", (r) => new web.Response({ text: r.queryString }));
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      await using resp = await session.get("/redirect", { params: { a: "initial" } });
      assert.equal(await resp.text(), "a=redirect");
    }));

  test("test_drop_fragment_on_redirect: the Location's fragment is dropped", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet(
        "/redirect",
        () => new web.Response({ status: 301, headers: { Location: "/ok#fragment" } }),
      );
      app.router.addGet("/ok", () => new web.Response({ text: "ok" }));
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      await using resp = await session.get("/redirect");
      assert.equal(resp.status, 200);
      assert.equal(resp.url.pathname, "/ok");
      assert.equal(resp.url.hash, "");
    }));

  test("aiots: a relative Location resolves against the redirecting URL", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet(
        "/a/b/redirect",
        () => new web.Response({ status: 302, headers: { Location: "../c" } }),
      );
      app.router.addGet("/a/c", () => new web.Response({ text: "c" }));
      await using server = await serve(app);
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      await using resp = await session.get("/a/b/redirect");
      assert.equal(resp.url.pathname, "/a/c");
      assert.equal(await resp.text(), "c");
    }));

  test("test_redirect_to_absolute_url: an absolute Location", () =>
    run(async () => {
      const app = new web.Application();
      let target = "";
      app.router.addGet("/", (r) => new web.Response({ text: r.method }));
      app.router.addGet("/redirect", () => {
        throw new web.HTTPFound(target);
      });
      await using server = await serve(app);
      target = server.makeUrl("/").href;
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/redirect"));
      assert.equal(resp.status, 200);
      assert.equal(await resp.text(), "GET");
    }));

  test("test_redirect_without_location_header: a redirect status without Location is the response", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/redirect", () => new web.Response({ status: 301, body: "redirect" }));
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/redirect"));
      assert.equal(resp.status, 301);
      assert.equal(await resp.text(), "redirect");
    }));

  test("aiots: allowRedirects false returns the redirect itself", () =>
    run(async () => {
      await using s = await redirectSession();
      await using resp = await s.session.get("/r302", { allowRedirects: false });
      assert.equal(resp.status, 302);
      assert.equal(resp.headers.get("location"), "/");
      assert.equal(resp.history.length, 0);
    }));

  test("test_HTTP_302_REDIRECT_NON_HTTP: a non-http Location is a NonHttpUrlRedirectClientError (a ValueError)", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/redirect", () => {
        throw new web.HTTPFound("ftp://127.0.0.1/test/");
      });
      await using server = await serve(app);
      await using session = new ClientSession();
      const e = await errorOf(() => session.get(server.makeUrl("/redirect")));
      assert.ok(e instanceof NonHttpUrlRedirectClientError);
      assert.ok(e instanceof asyncio.ValueError);
    }));

  test("test_invalid_redirect_url: a Location that is not a URL is an InvalidUrlRedirectClientError", () =>
    run(async () => {
      await using server = await httpServer((_req, res) => {
        res.writeHead(302, { Location: "http://:/bad" });
        res.end();
      });
      await using session = new ClientSession();
      await assert.rejects(session.get(server.url), InvalidUrlRedirectClientError);
    }));

  test("aiots: the session's auth is not sent to another origin after a redirect", () =>
    run(async () => {
      const seen: (string | null)[] = [];
      const app2 = new web.Application();
      app2.router.addGet("/", (r) => {
        seen.push(r.headers.get("authorization") ?? null);
        return new web.Response();
      });
      await using server2 = await serve(app2);
      const app1 = new web.Application();
      app1.router.addGet("/", (r) => {
        seen.push(r.headers.get("authorization") ?? null);
        throw new web.HTTPFound(server2.makeUrl("/"));
      });
      await using server1 = await serve(app1);
      await using session = new ClientSession({ auth: new BasicAuth("user", "pass") });
      await using resp = await session.get(server1.makeUrl("/"));
      assert.equal(resp.status, 200);
      assert.deepEqual(seen, [new BasicAuth("user", "pass").encode(), null]);
    }));

  test("test_drop_auth_on_redirect_to_other_host: Authorization is dropped when the origin changes, kept otherwise", () =>
    run(async () => {
      const seen: [string, string | null][] = [];
      const app2 = new web.Application();
      app2.router.addGet("/path2", (r) => {
        seen.push(["srv2", r.headers.get("authorization") ?? null]);
        return new web.Response();
      });
      await using server2 = await serve(app2);
      const app1 = new web.Application();
      app1.router.addGet("/path1", (r) => {
        seen.push(["srv1", r.headers.get("authorization") ?? null]);
        throw new web.HTTPFound(server2.makeUrl("/path2"));
      });
      app1.router.addGet("/same", (r) => {
        seen.push(["same", r.headers.get("authorization") ?? null]);
        throw new web.HTTPFound("/end");
      });
      app1.router.addGet("/end", (r) => {
        seen.push(["end", r.headers.get("authorization") ?? null]);
        return new web.Response();
      });
      await using server1 = await serve(app1);
      await using session = new ClientSession({ baseUrl: server1.baseUrl });
      const auth = "Basic dXNlcjpwYXNz";
      await using r1 = await session.get("/path1", { auth: new BasicAuth("user", "pass") });
      assert.equal(r1.status, 200);
      await using r2 = await session.get("/path1", { headers: { Authorization: auth } });
      assert.equal(r2.status, 200);
      await using r3 = await session.get("/same", { auth: new BasicAuth("user", "pass") });
      assert.equal(r3.status, 200);
      assert.deepEqual(seen, [
        ["srv1", auth],
        ["srv2", null],
        ["srv1", auth],
        ["srv2", null],
        ["same", auth],
        ["end", auth],
      ]);
    }));
});

describe("cookies", () => {
  function cookieApp(seen: Record<string, string>[]): web.Application {
    const app = new web.Application();
    app.router.addGet("/", (r) => {
      seen.push(Object.fromEntries(r.cookies));
      return new web.Response();
    });
    return app;
  }

  test("test_cookies: the session's cookies are sent", () =>
    run(async () => {
      const seen: Record<string, string>[] = [];
      await using server = await serve(cookieApp(seen));
      await using session = new ClientSession({
        cookieJar: new CookieJar({ unsafe: true }),
        cookies: { test1: "123", test3: "456" },
      });
      await using resp = await session.get(server.makeUrl("/"));
      assert.equal(resp.status, 200);
      assert.deepEqual(seen, [{ test1: "123", test3: "456" }]);
    }));

  test("test_cookies_per_request: a request's cookies join the session's", () =>
    run(async () => {
      const seen: Record<string, string>[] = [];
      await using server = await serve(cookieApp(seen));
      await using session = new ClientSession({
        cookieJar: new CookieJar({ unsafe: true }),
        cookies: { test1: "123" },
      });
      await using resp = await session.get(server.makeUrl("/"), { cookies: { test4: "789", test6: "abc" } });
      assert.equal(resp.status, 200);
      await using _again = await session.get(server.makeUrl("/"));
      assert.deepEqual(seen, [{ test1: "123", test4: "789", test6: "abc" }, { test1: "123" }]);
    }));

  test("test_cookies_on_empty_session_jar: request cookies with an empty jar", () =>
    run(async () => {
      const seen: Record<string, string>[] = [];
      await using server = await serve(cookieApp(seen));
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"), { cookies: { "custom-cookie": "abc" } });
      assert.equal(resp.status, 200);
      assert.deepEqual(seen, [{ "custom-cookie": "abc" }]);
    }));

  test("test_set_cookies: cookies a server sets are stored and sent back on later requests", () =>
    run(async () => {
      const seen: Record<string, string>[] = [];
      const app = cookieApp(seen);
      app.router.addGet("/set", () => {
        const r = new web.Response();
        r.setCookie("c1", "cookie1");
        r.setCookie("c2", "cookie2");
        return r;
      });
      await using server = await serve(app);
      await using session = new ClientSession({ cookieJar: new CookieJar({ unsafe: true }) });
      await using resp = await session.get(server.makeUrl("/set"));
      assert.deepEqual(Object.fromEntries(resp.cookies), { c1: "cookie1", c2: "cookie2" });
      assert.deepEqual([...session.cookieJar].map((m) => m.key).sort(), ["c1", "c2"]);
      await using _later = await session.get(server.makeUrl("/"));
      assert.deepEqual(seen, [{ c1: "cookie1", c2: "cookie2" }]);
    }));

  test("aiots: the default jar keeps no cookies of an IP host", () =>
    run(async () => {
      const seen: Record<string, string>[] = [];
      const app = cookieApp(seen);
      app.router.addGet("/set", () => {
        const r = new web.Response();
        r.setCookie("c1", "cookie1");
        return r;
      });
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/set"));
      assert.equal(resp.cookies.get("c1"), "cookie1");
      await using _later = await session.get(server.makeUrl("/"));
      assert.deepEqual(seen, [{}]);
    }));

  test("test_set_cookies_expired: an expired cookie is not kept", () =>
    run(async () => {
      await using server = await httpServer((_req, res) => {
        res.setHeader("Set-Cookie", [
          "c1=cookie1; Path=/",
          "c2=cookie2; Path=/",
          "c3=cookie3; HttpOnly; Path=/; Expires=Tue, 1 Jan 1980 12:00:00 GMT",
        ]);
        res.end();
      });
      await using session = new ClientSession({ cookieJar: new CookieJar({ unsafe: true }) });
      await using resp = await session.get(server.url);
      assert.equal(resp.status, 200);
      assert.deepEqual([...session.cookieJar].map((m) => m.key).sort(), ["c1", "c2"]);
    }));

  test("test_set_cookies: a name with special characters is kept too (aiohttp's relaxed parsing, #2683)", () =>
    run(async () => {
      await using server = await httpServer((_req, res) => {
        res.setHeader("Set-Cookie", [
          "c1=cookie1; Path=/",
          "c2=cookie2; Path=/",
          "ISAWPLB{A7F52349-3531-4DA9-8776-F74BC6F4F1BB}={925EC0B8-CB17-4BEB-8A35-1033813B0523}; HttpOnly; Path=/",
        ]);
        res.end();
      });
      await using session = new ClientSession({ cookieJar: new CookieJar({ unsafe: true }) });
      await using resp = await session.get(server.url);
      assert.equal(resp.status, 200);
      assert.deepEqual([...session.cookieJar].map((m) => m.key).sort(), [
        "ISAWPLB{A7F52349-3531-4DA9-8776-F74BC6F4F1BB}",
        "c1",
        "c2",
      ]);
    }));

  test("test_set_cookies_max_age: a Max-Age cookie is gone once its time passed (the jar's clock)", () =>
    run(async () => {
      let now = Date.UTC(2030, 0, 1);
      await using server = await httpServer((_req, res) => {
        res.setHeader("Set-Cookie", ["c1=cookie1; Path=/", "c3=cookie3; HttpOnly; Path=/; Max-Age=1"]);
        res.end();
      });
      await using session = new ClientSession({ cookieJar: new CookieJar({ unsafe: true, now: () => now }) });
      await using _resp = await session.get(server.url);
      assert.deepEqual([...session.cookieJar].map((m) => m.key).sort(), ["c1", "c3"]);
      now += 2000;
      assert.deepEqual([...session.cookieJar].map((m) => m.key).sort(), ["c1"]);
    }));

  test("test_cookies_redirect: cookies set along a redirect chain are sent on the next hops", () =>
    run(async () => {
      const seen: Record<string, string>[] = [];
      const app = cookieApp(seen);
      app.router.addGet("/redirect1", () => {
        const r = new web.Response({ status: 301, headers: { Location: "/redirect2" } });
        r.setCookie("c", "1");
        return r;
      });
      app.router.addGet("/redirect2", (req) => {
        seen.push(Object.fromEntries(req.cookies));
        const r = new web.Response({ status: 301, headers: { Location: "/" } });
        r.setCookie("c", "2");
        return r;
      });
      await using server = await serve(app);
      await using session = new ClientSession({ cookieJar: new CookieJar({ unsafe: true }) });
      await using resp = await session.get(server.makeUrl("/redirect1"));
      assert.equal(resp.status, 200);
      assert.deepEqual(seen, [{ c: "1" }, { c: "2" }]);
    }));
});

describe("raiseForStatus", () => {
  function badApp(): web.Application {
    const app = new web.Application();
    app.router.addGet("/", () => {
      throw new web.HTTPBadRequest();
    });
    app.router.addGet("/ok", () => new web.Response({ text: "ok" }));
    return app;
  }

  test("test_raise_for_status: the session's raiseForStatus throws ClientResponseError", () =>
    run(async () => {
      await using server = await serve(badApp());
      await using session = new ClientSession({ baseUrl: server.baseUrl, raiseForStatus: true });
      const e = await errorOf(() => session.get("/"));
      assert.ok(e instanceof ClientResponseError);
      assert.equal(e.status, 400);
      assert.equal(e.reason, "Bad Request");
      assert.equal(e.requestInfo!.method, "GET");
      assert.equal(e.headers!.get("content-type"), "text/plain; charset=utf-8");
      await using ok = await session.get("/ok");
      assert.equal(await ok.text(), "ok");
    }));

  test("test_raise_for_status_per_request: raiseForStatus on one request", () =>
    run(async () => {
      await using server = await serve(badApp());
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      await assert.rejects(session.get("/", { raiseForStatus: true }), ClientResponseError);
      await using plain = await session.get("/");
      assert.equal(plain.status, 400);
    }));

  test("test_raise_for_status_disable_per_request: false on a request overrides the session's true", () =>
    run(async () => {
      await using server = await serve(badApp());
      await using session = new ClientSession({ baseUrl: server.baseUrl, raiseForStatus: true });
      await using resp = await session.get("/", { raiseForStatus: false });
      assert.equal(resp.status, 400);
    }));

  test("test_session_raise_for_status_coro: the session's function is called, unless the request overrides it", () =>
    run(async () => {
      await using server = await serve(badApp());
      let called = 0;
      await using session = new ClientSession({
        baseUrl: server.baseUrl,
        raiseForStatus: async (resp) => {
          called++;
          assert.equal(resp.status, 200);
          assert.equal(resp.requestInfo.method, "GET");
        },
      });
      await using _a = await session.get("/ok");
      assert.equal(called, 1);
      await using _b = await session.get("/ok", { raiseForStatus: true });
      await using _c = await session.get("/ok", { raiseForStatus: false });
      assert.equal(called, 1);
    }));

  test("test_request_raise_for_status_coro: a request's function; what it throws is the request's error", () =>
    run(async () => {
      await using server = await serve(badApp());
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      let called = 0;
      await using _a = await session.get("/ok", {
        raiseForStatus: async (resp) => {
          called++;
          assert.equal(resp.status, 200);
        },
      });
      assert.equal(called, 1);
      class Mine extends Error {}
      await assert.rejects(
        session.get("/", {
          raiseForStatus: (resp) => {
            if (resp.status >= 400) throw new Mine(String(resp.status));
          },
        }),
        Mine,
      );
    }));

  test("aiots: response.raiseForStatus() throws for ≥ 400 and releases the response", () =>
    run(async () => {
      await using server = await serve(badApp());
      await using session = new ClientSession({ baseUrl: server.baseUrl });
      await using ok = await session.get("/ok");
      ok.raiseForStatus();
      const bad = await session.get("/");
      assert.throws(() => bad.raiseForStatus(), ClientResponseError);
      assert.equal(bad.closed, true);
    }));
});

describe("timeouts", () => {
  /** A server that answers the head of `/head` and then stalls, and stalls on anything else. */
  async function stallingServer() {
    const gotRequest = deferred();
    const server = await httpServer((req, res) => {
      gotRequest.resolve();
      if (req.url === "/head") {
        res.writeHead(200, { "Content-Length": "100" });
        res.write("part");
      }
      // never ends: the test closes the server
    });
    return Object.assign(server, { gotRequest: gotRequest.promise });
  }

  test("test_timeout_on_reading_headers: total expires while waiting for the head: ServerTimeoutError, a TimeoutError", () =>
    run(async () => {
      await using server = await stallingServer();
      await using session = new ClientSession();
      const e = await errorOf(() => session.get(server.url, { timeout: new ClientTimeout({ total: 0.05 }) }));
      assert.ok(e instanceof ServerTimeoutError);
      assert.ok(e instanceof asyncio.TimeoutError);
      await server.waitClosed(1);
    }));

  test("test_timeout_on_session_read_timeout: the session's sockRead expires before the head: SocketTimeoutError", () =>
    run(async () => {
      await using server = await stallingServer();
      await using session = new ClientSession({ timeout: new ClientTimeout({ sockRead: 0.05 }) });
      const e = await errorOf(() => session.get(server.url));
      assert.ok(e instanceof SocketTimeoutError);
      assert.ok(e instanceof ServerTimeoutError);
      await server.waitClosed(1);
    }));

  test("test_timeout_on_reading_data: total expires while the body is read", () =>
    run(async () => {
      await using server = await stallingServer();
      await using session = new ClientSession();
      await using resp = await session.get(`${server.url}/head`, {
        timeout: new ClientTimeout({ total: 0.1 }),
      });
      assert.equal(resp.status, 200);
      await assert.rejects(resp.read(), ServerTimeoutError);
      await server.waitClosed(1);
    }));

  test("test_read_timeout_on_prepared_response: sockRead expires between body chunks", () =>
    run(async () => {
      await using server = await stallingServer();
      await using session = new ClientSession({ timeout: new ClientTimeout({ sockRead: 0.05 }) });
      await using resp = await session.get(`${server.url}/head`);
      const e = await errorOf(() => resp.read());
      assert.ok(e instanceof SocketTimeoutError, String(e));
      await server.waitClosed(1);
    }));

  test("test_timeout_none: ClientTimeout() with no limits", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ text: "ok" }));
      await using server = await serve(app);
      await using session = new ClientSession();
      await using resp = await session.get(server.makeUrl("/"), { timeout: new ClientTimeout() });
      assert.equal(resp.status, 200);
    }));

  test("aiots: asyncio.timeout() around a request cancels it and raises TimeoutError; the session stays usable", () =>
    run(async () => {
      await using server = await stallingServer();
      await using session = new ClientSession();
      const e = await errorOf(() =>
        asyncio.timeout(0.05, async () => {
          await session.get(server.url);
        }),
      );
      assert.ok(e instanceof asyncio.TimeoutError);
      await server.waitClosed(1);
      const app = new web.Application();
      app.router.addGet("/", () => new web.Response({ text: "ok" }));
      await using ok = await serve(app);
      await using resp = await session.get(ok.makeUrl("/"));
      assert.equal(await resp.text(), "ok");
    }));
});

describe("cancellation, signals and closing", () => {
  async function stallOrOk() {
    const gotSlow = deferred();
    const server = await httpServer((req, res) => {
      if (req.url === "/stall") gotSlow.resolve();
      else if (req.url === "/body") {
        res.writeHead(200, { "Content-Length": "100" });
        res.write("part");
        gotSlow.resolve();
      } else {
        res.writeHead(200, { "Content-Length": "2" });
        res.end("OK");
      }
    });
    return Object.assign(server, { gotSlow: gotSlow.promise });
  }

  test("aiots: a task cancelled while waiting for the head gets CancelledError; its connection closes; the next request works", () =>
    run(async () => {
      await using server = await stallOrOk();
      await using session = new ClientSession({
        baseUrl: server.url,
        connector: new TCPConnector({ limit: 1 }),
      });
      const task = asyncio.createTask(session.get("/stall"));
      await server.gotSlow;
      task.cancel();
      assert.ok((await errorOf(() => task)) instanceof asyncio.CancelledError);
      assert.ok(task.cancelled());
      await server.waitClosed(1);
      await using resp = await session.get("/ok");
      assert.equal(await resp.text(), "OK");
    }));

  test("aiots: a task cancelled while reading the body gets CancelledError; its connection closes; the next request works", () =>
    run(async () => {
      await using server = await stallOrOk();
      await using session = new ClientSession({
        baseUrl: server.url,
        connector: new TCPConnector({ limit: 1 }),
      });
      const reading = deferred();
      const task = asyncio.createTask(async () => {
        await using resp = await session.get("/body");
        reading.resolve();
        return await resp.read();
      });
      await server.gotSlow;
      await reading.promise;
      task.cancel();
      assert.ok((await errorOf(() => task)) instanceof asyncio.CancelledError);
      await server.waitClosed(1);
      await using resp = await session.get("/ok");
      assert.equal(await resp.text(), "OK");
    }));

  test("aiots: signal aborted while waiting for the head throws its reason", () =>
    run(async () => {
      await using server = await stallOrOk();
      await using session = new ClientSession({ baseUrl: server.url });
      const ac = new AbortController();
      class Stop extends Error {}
      const pending = errorOf(() => session.get("/stall", { signal: ac.signal }));
      await server.gotSlow;
      ac.abort(new Stop("stop"));
      assert.ok((await pending) instanceof Stop);
      await server.waitClosed(1);
      await using resp = await session.get("/ok");
      assert.equal(await resp.text(), "OK");
    }));

  test("aiots: an already aborted signal fails before anything is sent; a non-Error reason is a CancelledError", () =>
    run(async () => {
      await using server = await stallOrOk();
      await using session = new ClientSession({ baseUrl: server.url });
      const e = await errorOf(() => session.get("/ok", { signal: AbortSignal.abort() }));
      assert.equal((e as Error).name, "AbortError");
      assert.equal(server.connections, 0);
      const ac = new AbortController();
      const pending = errorOf(() => session.get("/stall", { signal: ac.signal }));
      await server.gotSlow;
      ac.abort("why");
      assert.ok((await pending) instanceof asyncio.CancelledError);
    }));

  test("aiots: a request on a closed session is a RuntimeError", () =>
    run(async () => {
      const session = new ClientSession();
      assert.equal(session.closed, false);
      await session.close();
      assert.equal(session.closed, true);
      await session.close();
      const e = await errorOf(() => session.get("http://127.0.0.1:1/"));
      assert.ok(e instanceof asyncio.RuntimeError);
    }));

  test("test_async_with_session: await using closes the session and its connector", () =>
    run(async () => {
      let kept: ClientSession;
      {
        await using session = new ClientSession();
        kept = session;
        assert.equal(session.closed, false);
      }
      assert.equal(kept.closed, true);
      assert.equal(kept.connector.closed, true);
    }));

  test("aiots: closing the session fails a body still arriving with ClientPayloadError", () =>
    run(async () => {
      await using server = await stallOrOk();
      const session = new ClientSession({ baseUrl: server.url });
      const resp = await session.get("/body");
      await session.close();
      // As aiohttp: the connection lost mid-body makes the payload incomplete.
      await assert.rejects(resp.read(), ClientPayloadError);
      await server.waitClosed(1);
    }));
});
