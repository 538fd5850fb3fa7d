// Port of the behaviour checked by aiohttp's tests/test_web_request.py: each test names the aiohttp
// test it follows. Most use `makeMockedRequest` (no socket); the last group goes through a real
// server (`TestClient` on 127.0.0.1:0, in `asyncio.run`, closed by each test). Differences from aiohttp kept on purpose
// are said in the test title: `rawPath` has no query string (aiohttp's `raw_path` has), and a mocked
// request has no socket, so no remote address and `localhost` as its host fallback.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { ArgumentTypeError, ValueError } from "../../src/index.js";
import { makeMockedRequest, TestClient, TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { inLoop } from "../helpers.js";
import { rawExchange } from "./helpers.js";

const mocked = makeMockedRequest;

describe("construction and URL parts", () => {
  test("test_ctor: method, version, paths, query and headers of a mocked request", () => {
    const req = mocked("GET", "/path/to?a=1&b=2");
    assert.equal(req.method, "GET");
    assert.equal(req.version, "1.1");
    assert.equal(req.pathQs, "/path/to?a=1&b=2");
    assert.equal(req.path, "/path/to");
    assert.equal(req.rawPath, "/path/to");
    assert.equal(req.queryString, "a=1&b=2");
    assert.equal(req.headers.size, 0);
    assert.deepEqual(req.raw.rawHeaders, []);
    const query = req.query;
    assert.deepEqual(
      [...query],
      [
        ["a", "1"],
        ["b", "2"],
      ],
    );
    assert.equal(req.query, query, "the second access returns the same object");
    assert.equal(req.keepAlive, true);
  });

  test("test_ctor (with headers, app and payload): what the factory was given", async () => {
    const app = new web.Application();
    const req = mocked("GET", "/path/to?a=1&b=2", { headers: { FOO: "bar" }, app, payload: "body" });
    assert.equal(req.app, app);
    assert.equal(req.headers.get("foo"), "bar");
    assert.deepEqual(req.raw.rawHeaders.slice(0, 2), ["FOO", "bar"]);
    assert.equal(await req.text(), "body");
    assert.equal(req.task, null);
  });

  test("test_host_with_no_transport_sockname (differs: a mocked request falls back to `localhost`)", () => {
    const req = mocked("GET", "/");
    assert.equal(req.host, "localhost");
    assert.equal(req.url.href, "http://localhost/");
  });

  test("test_doubleslashes: `//` inside the path is kept", () => {
    assert.equal(mocked("GET", "/bar//foo/").path, "/bar//foo/");
  });

  test("test_urlencoded_querystring: percent-encoded UTF-8 in the query is decoded", () => {
    const req = mocked("GET", "/yandsearch?text=%D1%82%D0%B5%D0%BA%D1%81%D1%82");
    assert.equal(req.query.get("text"), "текст");
  });

  test("query: repeated keys keep every value in order; `+` is a space; the multi-map is frozen", () => {
    const req = mocked("GET", "/?a=1&b=x+y&a=2&c=%2B&a=3");
    assert.deepEqual(req.query.getAll("a"), ["1", "2", "3"]);
    assert.equal(req.query.get("a"), "1");
    assert.equal(req.query.get("b"), "x y");
    assert.equal(req.query.get("c"), "+");
    assert.equal(req.query.get("missing"), undefined);
    assert.equal(req.query.frozen, true);
    assert.throws(() => (req.query as web.Request["query"]).add("d", "4"));
  });

  test("test_non_ascii_path: a raw non-ASCII path", () => {
    assert.equal(mocked("GET", "/путь").path, "/путь");
  });

  test("test_non_ascii_raw_path: rawPath keeps it as received", () => {
    assert.equal(mocked("GET", "/путь").rawPath, "/путь");
  });

  test("path is percent-decoded, rawPath is not", () => {
    const req = mocked("GET", "/a%20b/%D0%BF?x=%20");
    assert.equal(req.path, "/a b/п");
    assert.equal(req.rawPath, "/a%20b/%D0%BF");
    assert.equal(req.pathQs, "/a%20b/%D0%BF?x=%20");
    assert.equal(req.query.get("x"), " ");
  });

  test("path with an invalid percent-escape is returned undecoded (no exception)", () => {
    assert.equal(mocked("GET", "/bad%zz").path, "/bad%zz");
  });

  test("test_absolute_url: an absolute-form target is routed by its path; url, path and query follow it", async () => {
    const seen: unknown[] = [];
    const app = new web.Application();
    app.router.addGet("/path/to", (request) => {
      seen.push(request.url.href, request.path, request.queryString, request.query.get("a"), request.pathQs);
      return new web.Response({ text: "ok" });
    });
    await using server = await new TestServer(app).start();
    const { text } = await rawExchange(
      server.port,
      "GET http://example.com/path/to?a=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    );
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.deepEqual(seen, [
      "http://example.com/path/to?a=1",
      "/path/to",
      "a=1",
      "1",
      "http://example.com/path/to?a=1",
    ]);
  });

  test("test_rel_url: relUrl is the path and the query", () => {
    const rel = mocked("GET", "/path?x=1").relUrl;
    assert.equal(rel.pathname, "/path");
    assert.equal(rel.search, "?x=1");
  });

  test("test_url_url: url from the Host header", () => {
    assert.equal(
      mocked("GET", "/path", { headers: { HOST: "example.com" } }).url.href,
      "http://example.com/path",
    );
  });

  test("test_url_non_default_port: the port of the Host header is kept", () => {
    const req = mocked("GET", "/path", { headers: { HOST: "example.com:8123" } });
    assert.equal(req.url.href, "http://example.com:8123/path");
  });

  test("test_url_ipv6: a bracketed IPv6 Host", () => {
    const req = mocked("GET", "/path", { headers: { HOST: "[::1]:8123" } });
    assert.equal(req.url.href, "http://[::1]:8123/path");
  });

  test("test_host_by_host_header: host is the Host header", () => {
    assert.equal(mocked("GET", "/", { headers: { Host: "example.com" } }).host, "example.com");
  });

  test("an invalid Host header makes request.url a 400, not a 500", () => {
    const req = mocked("GET", "/", { headers: { Host: "bad host" } });
    assert.throws(
      () => req.url,
      (e: unknown) => e instanceof web.HTTPBadRequest,
    );
  });

  test("test_http_scheme: plain HTTP", () => {
    const req = mocked("GET", "/", { headers: { Host: "example.com" } });
    assert.equal(req.scheme, "http");
    assert.equal(req.secure, false);
    assert.equal(req.tlsSocket, null);
  });

  test("test_https_scheme_by_ssl_transport: a request served over TLS", () => {
    const req = mocked("GET", "/", { headers: { Host: "example.com" }, scheme: "https" });
    assert.equal(req.scheme, "https");
    assert.equal(req.secure, true);
    assert.equal(req.url.href, "https://example.com/");
  });

  test("test_remote_peername_tcp (differs: a mocked request has no peer, remote is null)", () => {
    assert.equal(mocked("GET", "/").remote, null);
  });

  test("test___repr__: <Request GET /path/to >", () => {
    const req = mocked("GET", "/path/to");
    assert.equal(inspect(req), "<Request GET /path/to >");
    assert.equal(String(req), "<Request GET /path/to >");
  });

  test("test_eq: two requests are never equal, one is equal to itself", () => {
    const req1 = mocked("GET", "/path/to?a=1&b=2");
    const req2 = mocked("GET", "/path/to?a=1&b=2");
    assert.notEqual(req1, req2);
    assert.equal(req1, req1);
  });

  test("test_weakref_creation: a request can be weakly referenced", () => {
    const req = mocked("GET", "/");
    assert.equal(new WeakRef(req).deref(), req);
  });

  test("a mocked request's signal is never aborted and it has no handler task", () => {
    const req = mocked("GET", "/");
    assert.equal(req.signal.aborted, false);
    assert.equal(req.task, null);
  });
});

describe("headers, content type and length", () => {
  test("test_raw_headers: the headers as received", () => {
    const req = mocked("GET", "/", { headers: { "X-HEADER": "aaa" } });
    assert.deepEqual(req.raw.rawHeaders, ["X-HEADER", "aaa"]);
    assert.deepEqual([...req.headers], [["X-HEADER", "aaa"]]);
  });

  test("headers are case-insensitive, keep every value of a repeated header, and are read-only", () => {
    const req = mocked("GET", "/", {
      headers: [
        ["Accept", "text/html"],
        ["X-Multi", "1"],
        ["x-multi", "2"],
      ],
    });
    assert.equal(req.headers.get("ACCEPT"), "text/html");
    assert.equal(req.headers.get("accept"), "text/html");
    assert.deepEqual(req.headers.getAll("X-MULTI"), ["1", "2"]);
    assert.equal(req.headers.has("x-Multi"), true);
    assert.equal(req.headers.has("missing"), false);
    assert.equal(req.headers.frozen, true);
    assert.throws(() => req.headers.set("Accept", "*/*"));
  });

  test("test_content_type_not_specified: application/octet-stream", () => {
    const req = mocked("Get", "/");
    assert.equal(req.contentType, "application/octet-stream");
    assert.equal(req.charset, null);
  });

  test("test_content_type_from_spec: the media type of Content-Type", () => {
    assert.equal(
      mocked("Get", "/", { headers: { "CONTENT-TYPE": "application/json" } }).contentType,
      "application/json",
    );
  });

  test("test_content_type_from_spec_with_charset: media type and charset as sent", () => {
    const req = mocked("Get", "/", { headers: { "CONTENT-TYPE": "text/html; charset=UTF-8" } });
    assert.equal(req.contentType, "text/html");
    assert.equal(req.charset, "UTF-8");
  });

  test("test_calc_content_type_on_getting_charset: charset first, then the media type", () => {
    const req = mocked("Get", "/", { headers: { "CONTENT-TYPE": "text/html; charset=UTF-8" } });
    assert.equal(req.charset, "UTF-8");
    assert.equal(req.contentType, "text/html");
  });

  test("the media type is lower-cased and its parameters dropped; a quoted charset is unquoted", () => {
    const req = mocked("POST", "/", {
      headers: { "Content-Type": 'Application/JSON ; charset="utf-8"; x=y' },
    });
    assert.equal(req.contentType, "application/json");
    assert.equal(req.charset, "utf-8");
  });

  test("test_content_length: Content-Length as a number", () => {
    assert.equal(mocked("Get", "/", { headers: { "CONTENT-LENGTH": "123" } }).contentLength, 123);
  });

  test("contentLength is null when absent or not a number", () => {
    assert.equal(mocked("GET", "/").contentLength, null);
    assert.equal(mocked("GET", "/", { headers: { "Content-Length": "abc" } }).contentLength, null);
  });

  test("hasBody: false without a body, true with a payload", () => {
    assert.equal(mocked("POST", "/").hasBody, false);
    assert.equal(mocked("POST", "/", { payload: "x" }).hasBody, true);
    assert.equal(mocked("POST", "/", { headers: { "Transfer-Encoding": "chunked" } }).hasBody, true);
  });

  test("test_non_keepalive_on_http10: HTTP/1.0 is not kept alive", () => {
    assert.equal(mocked("GET", "/", { version: "1.0" }).keepAlive, false);
  });

  test("test_non_keepalive_on_closing: Connection: close is not kept alive", () => {
    assert.equal(mocked("GET", "/", { headers: { Connection: "close" } }).keepAlive, false);
    assert.equal(
      mocked("GET", "/", { version: "1.0", headers: { Connection: "keep-alive" } }).keepAlive,
      true,
    );
  });
});

describe("cookies", () => {
  const cookiesOf = (header: string): Record<string, string> =>
    Object.fromEntries(mocked("GET", "/", { headers: { COOKIE: header } }).cookies);

  test("test_no_request_cookies: none, and the same object twice", () => {
    const req = mocked("GET", "/");
    assert.equal(req.cookies.size, 0);
    assert.equal(req.cookies, req.cookies);
  });

  test("test_request_cookie: two cookies", () => {
    assert.deepEqual(cookiesOf("cookie1=value1; cookie2=value2"), { cookie1: "value1", cookie2: "value2" });
  });

  test("test_request_cookies_with_special_characters: {, }, / in names are accepted", () => {
    assert.deepEqual(cookiesOf("{test}=value1; normal=value2"), { "{test}": "value1", normal: "value2" });
    assert.deepEqual(cookiesOf("test/name=value1; valid=value2"), { "test/name": "value1", valid: "value2" });
    assert.deepEqual(cookiesOf("test{foo}bar=value1; test/path=value2; normal_cookie=value3"), {
      "test{foo}bar": "value1",
      "test/path": "value2",
      normal_cookie: "value3",
    });
  });

  test("test_request_cookies_real_world_examples", () => {
    assert.deepEqual(cookiesOf("ISAWPLB{DB45DF86-F806-407C-932C-D52A60E4019E}=val1; normal_cookie=val2"), {
      "ISAWPLB{DB45DF86-F806-407C-932C-D52A60E4019E}": "val1",
      normal_cookie: "val2",
    });
    assert.deepEqual(cookiesOf("{cookie1}=val1; cookie/2=val2; cookie[3]=val3; cookie(4)=val4"), {
      "{cookie1}": "val1",
      "cookie/2": "val2",
      "cookie[3]": "val3",
      "cookie(4)": "val4",
    });
  });

  test("test_request_cookies_edge_cases: empty and quoted values", () => {
    assert.deepEqual(cookiesOf("test=; normal=value"), { test: "", normal: "value" });
    assert.deepEqual(cookiesOf('test="quoted value"; normal=unquoted'), {
      test: "quoted value",
      normal: "unquoted",
    });
  });

  test("test_request_cookies_quoted_values: quotes removed; `;` and escaped quotes inside quotes", () => {
    assert.deepEqual(cookiesOf('sess="quoted_value"'), { sess: "quoted_value" });
    assert.deepEqual(cookiesOf('data="value;with;semicolons"'), { data: "value;with;semicolons" });
    assert.deepEqual(cookiesOf('quoted="value1"; unquoted=value2; also_quoted="value3"'), {
      quoted: "value1",
      unquoted: "value2",
      also_quoted: "value3",
    });
    assert.deepEqual(cookiesOf('escaped="value with \\" quote"'), { escaped: 'value with " quote' });
    assert.deepEqual(cookiesOf('empty=""'), { empty: "" });
  });

  test("test_request_cookies_with_attributes: attribute-like names are plain cookies", () => {
    assert.deepEqual(cookiesOf('sess="quoted_value"; Domain=.example.com'), {
      sess: "quoted_value",
      Domain: ".example.com",
    });
    assert.deepEqual(cookiesOf('token="abc123"; Path=/; Secure; HttpOnly'), {
      token: "abc123",
      Path: "/",
      Secure: "",
      HttpOnly: "",
    });
  });

  test("test_request_cookies_no_500_error: an odd name does not throw", () => {
    const req = mocked("GET", "/", {
      headers: { COOKIE: "ISAWPLB{DB45DF86-F806-407C-932C-D52A60E4019E}=test" },
    });
    assert.equal(req.cookies.get("ISAWPLB{DB45DF86-F806-407C-932C-D52A60E4019E}"), "test");
  });

  test("the first of two cookies with the same name wins (RFC 6265 order: most specific first)", () => {
    assert.deepEqual(cookiesOf("a=1; a=2; b=3"), { a: "1", b: "3" });
  });
});

describe("state, matchInfo and clone()", () => {
  test("test_match_info: the variables given to the factory", () => {
    const req = mocked("GET", "/users/42", { matchInfo: { id: "42" } });
    assert.equal(req.matchInfo.get("id"), "42");
    assert.equal(req.matchInfo.get("nope"), undefined);
    assert.deepEqual(req.matchInfo.params, { id: "42" });
  });

  test("test_request_is_mutable_mapping: per-request state with get/set", () => {
    const req = mocked("GET", "/");
    assert.equal(req.get("key"), undefined);
    req.set("key", "value");
    assert.equal(req.get<string>("key"), "value");
    req.set("key", 2);
    assert.equal(req.get<number>("key"), 2);
  });

  test("test_clone: a copy with the same method and URL", () => {
    const req = mocked("GET", "/path");
    const req2 = req.clone();
    assert.notEqual(req2, req);
    assert.equal(req2.method, "GET");
    assert.equal(req2.relUrl.pathname, "/path");
    assert.equal(req2.app, req.app);
    assert.equal(req2.matchInfo, req.matchInfo);
  });

  test("test_clone_client_max_size: the clone has the same clientMaxSize", () => {
    const req = mocked("GET", "/path", { app: new web.Application({ clientMaxSize: 1024 }) });
    assert.equal(req.clone().clientMaxSize, 1024);
  });

  test("test_clone_method: a new method, the same URL", () => {
    const req2 = mocked("GET", "/path").clone({ method: "post" });
    assert.equal(req2.method, "POST");
    assert.equal(req2.relUrl.pathname, "/path");
  });

  test("test_clone_rel_url_str: a new path", () => {
    const req = mocked("GET", "/path?a=1");
    const req2 = req.clone({ relUrl: "/path2?b=2" });
    assert.equal(req2.path, "/path2");
    assert.equal(req2.query.get("b"), "2");
    assert.equal(req.path, "/path");
    assert.equal(req.query.get("a"), "1");
  });

  test("test_clone_headers_dict: new headers replace the old ones", () => {
    const req = mocked("GET", "/path", { headers: { A: "B" } });
    const req2 = req.clone({ headers: { B: "C" } });
    assert.deepEqual([...req2.headers], [["B", "C"]]);
    assert.deepEqual(req2.raw.rawHeaders, ["B", "C"]);
    assert.equal(req.headers.get("a"), "B");
  });

  test("clone() refuses a relative relUrl and a non-string method", () => {
    const req = mocked("GET", "/");
    assert.throws(() => req.clone({ relUrl: "path" }), ValueError);
    assert.throws(() => req.clone({ method: 1 as unknown as string }), ArgumentTypeError);
  });

  test("test_save_state_on_clone: the clone starts with a copy of the state", () => {
    const req = mocked("GET", "/");
    req.set("key", "val");
    const req2 = req.clone();
    assert.equal(req2.get("key"), "val");
    req2.set("key", "val2");
    assert.equal(req.get("key"), "val");
    assert.equal(req2.get("key"), "val2");
  });

  test(
    "matchInfo is typed from the route's path literal",
    inLoop(async () => {
      const app = new web.Application();
      const route = app.router.addGet("/users/{id}/posts/{post:\\d+}", (request) => {
        const id: string = request.matchInfo.get("id");
        const post: string = request.matchInfo.get("post");
        return new web.Response({ text: `${id}/${post}` });
      });
      assert.ok(route);
      await using client = await new TestClient(app).start();
      const r = await client.get("/users/ann/posts/7");
      assert.equal(await r.text(), "ann/7");
      assert.equal((await client.get("/users/ann/posts/x")).status, 404);
    }),
  );
});

describe("bodies", () => {
  test("read() gives the payload; text() and json() decode it", async () => {
    const req = mocked("POST", "/", {
      payload: '{"a": [1, "é"]}',
      headers: { "Content-Type": "application/json" },
    });
    assert.deepEqual(await req.read(), Buffer.from('{"a": [1, "é"]}'));
    assert.equal(await req.text(), '{"a": [1, "é"]}');
    assert.deepEqual(await req.json(), { a: [1, "é"] });
    assert.deepEqual(await req.json({ loads: (t) => t.length }), 15);
  });

  test("json() of a body that is not JSON is an HTTPBadRequest", async () => {
    const req = mocked("POST", "/", { payload: "{nope" });
    await assert.rejects(req.json(), web.HTTPBadRequest);
  });

  test("text() decodes with the charset of Content-Type", async () => {
    const req = mocked("POST", "/", {
      payload: Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      headers: { "Content-Type": "text/plain; charset=latin1" },
    });
    assert.equal(await req.text(), "café");
  });

  test("request.content: readline(), read(n), then iteration over the remaining lines", async () => {
    const req = mocked("POST", "/", { payload: "one\ntwo\nthree\nfour\n" });
    assert.equal((await req.content.readline()).toString(), "one\n");
    assert.equal((await req.content.read(2)).toString(), "tw");
    const rest: string[] = [];
    for await (const line of req.content) rest.push(line.toString());
    assert.deepEqual(rest, ["o\n", "three\n", "four\n"]);
    assert.equal(req.content.atEof(), true);
  });

  test("test_call_POST_on_GET_request: post() of a GET is empty", async () => {
    assert.equal((await mocked("GET", "/").post()).size, 0);
  });

  test("test_call_POST_on_weird_content_type: post() of another media type is empty", async () => {
    const req = mocked("POST", "/", { headers: { "CONTENT-TYPE": "something/weird" }, payload: "a=1" });
    assert.equal((await req.post()).size, 0);
  });

  test("test_call_POST_twice: post() returns the same object each time", async () => {
    const req = mocked("POST", "/", {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      payload: "a=1&a=2&b=x+y",
    });
    const ret1 = await req.post();
    const ret2 = await req.post();
    assert.equal(ret1, ret2);
    assert.deepEqual(ret1.getAll("a"), ["1", "2"]);
    assert.equal(ret1.get("b"), "x y");
    const get = mocked("GET", "/");
    assert.equal(await get.post(), await get.post());
  });

  test("test_make_too_big_request: 1 MiB + 1 is an HTTPRequestEntityTooLarge (413)", async () => {
    const req = mocked("POST", "/", { payload: Buffer.alloc(1024 ** 2 + 1, 0x78) });
    await assert.rejects(req.read(), (e: unknown) => {
      assert.ok(e instanceof web.HTTPRequestEntityTooLarge);
      assert.equal(e.status, 413);
      assert.equal(e.text, "Maximum request body size 1048576 exceeded, actual body size 1048577");
      return true;
    });
  });

  test("test_make_too_big_request_same_size_to_max: exactly 1 MiB is read", async () => {
    const big = Buffer.alloc(1024 ** 2, 0x78);
    assert.deepEqual(await mocked("POST", "/", { payload: big }).read(), big);
  });

  test("test_make_too_big_request_adjust_limit: a larger clientMaxSize lets it through", async () => {
    const app = new web.Application({ clientMaxSize: 1024 ** 2 + 2 });
    const req = mocked("POST", "/", { payload: Buffer.alloc(1024 ** 2 + 1, 0x78), app });
    assert.equal((await req.read()).length, 1024 ** 2 + 1);
  });

  test("test_make_too_big_request_limit_None: clientMaxSize 0 is no limit", async () => {
    const app = new web.Application({ clientMaxSize: 0 });
    const req = mocked("POST", "/", { payload: Buffer.alloc(1024 ** 2 + 1, 0x78), app });
    assert.equal((await req.read()).length, 1024 ** 2 + 1);
  });

  test("test_request_with_wrong_content_type_encoding: an unknown charset is a 415", async () => {
    const req = mocked("POST", "/", {
      payload: "{}",
      headers: { "Content-Type": "text/html; charset=test" },
    });
    await assert.rejects(
      req.text(),
      (e: unknown) => e instanceof web.HTTPUnsupportedMediaType && e.status === 415,
    );
  });

  test("test_request_text_with_invalid_default_encoding: bytes that are not UTF-8 are a 415", async () => {
    const req = mocked("POST", "/", {
      payload: Buffer.from([0xff]),
      headers: { "Content-Type": "text/html" },
    });
    await assert.rejects(
      req.text(),
      (e: unknown) => e instanceof web.HTTPUnsupportedMediaType && e.status === 415,
    );
  });

  test("test_urlencoded_form_with_invalid_content_type_encoding: post() of bad UTF-8 is a 415", async () => {
    const req = mocked("POST", "/", {
      payload: Buffer.concat([Buffer.from("a=1&b="), Buffer.from([0xff])]),
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" },
    });
    await assert.rejects(
      req.post(),
      (e: unknown) => e instanceof web.HTTPUnsupportedMediaType && e.status === 415,
    );
  });
});

describe("over a real connection", () => {
  test(
    "test_json: text() then json() of a JSON body",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addPost("/", async (request) => {
        seen.push(await request.text(), request.headers.get("Content-Type"), await request.json());
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      const r = await client.post("/", { json: { some: "data" } });
      assert.equal(r.status, 200);
      assert.deepEqual(seen, ['{"some":"data"}', "application/json", { some: "data" }]);
    }),
  );

  test("query, cookies and repeated headers as sent by a client", async () => {
    const seen: Record<string, unknown> = {};
    const app = new web.Application();
    app.router.addGet("/q", (request) => {
      Object.assign(seen, {
        tags: request.query.getAll("tag"),
        q: request.query.get("q"),
        cookies: Object.fromEntries(request.cookies),
        multi: request.headers.getAll("x-multi"),
        upper: request.headers.get("X-MULTI"),
      });
      return new web.Response();
    });
    await using server = await new TestServer(app).start();
    const { text } = await rawExchange(
      server.port,
      "GET /q?tag=a&q=hello+world&tag=b HTTP/1.1\r\nHost: x\r\nX-Multi: 1\r\nx-multi: 2\r\n" +
        'Cookie: sid=abc; theme="dark"\r\nConnection: close\r\n\r\n',
    );
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.deepEqual(seen, {
      tags: ["a", "b"],
      q: "hello world",
      cookies: { sid: "abc", theme: "dark" },
      multi: ["1", "2"],
      upper: "1",
    });
  });

  test(
    "request.app is the application; state set by a middleware is read by the handler",
    inLoop(async () => {
      const user = new web.AppKey<string>("user");
      const app = new web.Application({
        middlewares: [
          async (request, handler) => {
            request.set("user", request.app.get(user));
            return handler(request);
          },
        ],
      });
      app.set(user, "ann");
      let sameApp = false;
      app.router.addGet("/", (request) => {
        sameApp = request.app === app;
        return new web.Response({ text: `hello ${request.get("user")}` });
      });
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/")).text(), "hello ann");
      assert.ok(sameApp);
    }),
  );

  test(
    "a request's state is its own: two requests do not share it",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/{n}", (request) => {
        const before = request.get("n");
        request.set("n", request.matchInfo.get("n"));
        return new web.Response({ text: `${before}->${request.get("n")}` });
      });
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/1")).text(), "undefined->1");
      assert.equal(await (await client.get("/2")).text(), "undefined->2");
    }),
  );

  test(
    "request.keepAlive, contentLength and hasBody of a real request",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addPost("/", async (request) => {
        seen.push(
          request.keepAlive,
          request.contentLength,
          request.hasBody,
          (await request.read()).toString(),
        );
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      assert.equal((await client.post("/", { data: "12345" })).status, 200);
      assert.deepEqual(seen, [true, 5, true, "12345"]);
    }),
  );

  test(
    "test_clone (over a connection): a clone with another relUrl, handled by the same handler code",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = new web.Application();
      app.router.addGet("/orig", (request) => {
        const c = request.clone({ relUrl: "/other?x=1", headers: { "X-New": "1" } });
        seen.push(c.path, c.query.get("x"), c.headers.get("x-new"), c.remote, request.path);
        return new web.Response();
      });
      await using client = await new TestClient(app).start();
      await (await client.get("/orig")).text();
      assert.deepEqual(seen, ["/other", "1", "1", "127.0.0.1", "/orig"]);
    }),
  );
});
