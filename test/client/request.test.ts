// What a request is made of: the behaviour checked by aiohttp's tests/test_client_request.py (URL,
// query parameters, headers, body and its Content-Type, credentials) and, for BasicAuth, by
// tests/test_helpers.py. Requests go to a node:http server that echoes what it received.
// Each test names the aiohttp test it follows; "aiots:" titles are our own.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { inspect } from "node:util";
import { BasicAuth, ClientSession, type RequestOptions } from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import { thrownBy } from "../helpers.js";
import { type Echoed, echoServer, httpServer, type ServerStats } from "./helpers.js";

// ---- local helpers ----

/** Send one request with `options` to the echo server and return what it received. */
async function sent(
  srv: ServerStats,
  options: RequestOptions = {},
  { method = "GET", path = "/" }: { method?: string; path?: string } = {},
): Promise<Echoed> {
  return asyncio.run(async () => {
    await using session = new ClientSession();
    await using resp = await session.request(
      method,
      path.startsWith("http") ? path : `${srv.url}${path}`,
      options,
    );
    return (await resp.json()) as Echoed;
  });
}

// ---- URL and query ----

test("test_params_update_path_and_url / test_query_multivalued_param: pairs repeat a key", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, {
    params: [
      ["test", "foo"],
      ["test", "baz"],
    ],
  });
  assert.equal(got.path, "/?test=foo&test=baz");
});

test("test_params_and_query_string: params are merged into the URL's existing query", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, { params: { q: "test", n: 2, arr: ["x", "y"] } }, { path: "/search?a=b" });
  assert.equal(got.path, "/search?a=b&q=test&n=2&arr=x&arr=y");
});

test("test_query_str_param / test_query_str_param_is_not_encoded: a string is appended as is", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, { params: "test=f+oo&x=%2F" }, { path: "/p?a=1" });
  assert.equal(got.path, "/p?a=1&test=f+oo&x=%2F");
});

test("test_params_empty_path_and_url: empty params add nothing", async () => {
  await using srv = await echoServer();
  assert.equal((await sent(srv, { params: {} })).path, "/");
  assert.equal((await sent(srv, { params: new URLSearchParams() }, { path: "/x?k=v" })).path, "/x?k=v");
});

test("test_query_bytes_param_raises: params of the wrong type are a TypeError", () =>
  asyncio.run(async () => {
    await using session = new ClientSession();
    for (const params of [{ flag: true }, { obj: {} }, 42] as never[]) {
      const e = await thrownBy(session.get("http://127.0.0.1:1/", { params }));
      assert.ok(e instanceof TypeError, `${inspect(params)}: ${String(e)}`);
    }
  }));

test("test_params_are_added_before_fragment1 / test_path_not_contain_fragment1", async () => {
  await using srv = await echoServer();
  await asyncio.run(async () => {
    await using session = new ClientSession();
    await using resp = await session.get(`${srv.url}/path#fragment`, { params: { a: "b" } });
    assert.equal(((await resp.json()) as Echoed).path, "/path?a=b");
    assert.equal(resp.url.href, `${srv.url}/path?a=b`);
    assert.equal(resp.requestInfo.realUrl.href, `${srv.url}/path?a=b#fragment`);
  });
});

test("test_path_is_not_double_encoded1/2: a path is percent-encoded once", async () => {
  await using srv = await echoServer();
  assert.equal((await sent(srv, {}, { path: "/get/test case" })).path, "/get/test%20case");
  assert.equal((await sent(srv, {}, { path: "/get/test%2Fcase" })).path, "/get/test%2Fcase");
});

test("test_request_info / test_request_info_with_fragment: url, method, headers, realUrl", async () => {
  await using srv = await echoServer();
  await asyncio.run(async () => {
    await using session = new ClientSession();
    await using resp = await session.post(`${srv.url}/ri#frag`, { headers: { "X-A": "1" } });
    const info = resp.requestInfo;
    assert.equal(info.method, "POST");
    assert.equal(info.url.href, `${srv.url}/ri`);
    assert.equal(info.realUrl.href, `${srv.url}/ri#frag`);
    assert.equal(info.headers.get("x-a"), "1");
    assert.equal(inspect(info), `RequestInfo(url=${srv.url}/ri, method=POST)`);
  });
});

test("test_host_header_host_with_nondefault_port: Host carries the port", async () => {
  await using srv = await echoServer();
  const got = await sent(srv);
  assert.equal(got.headers.host, `127.0.0.1:${srv.port}`);
});

// ---- headers ----

test("test_default_headers_useragent / test_headers: automatic and custom headers", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, { headers: { "Content-Type": "text/plain", "X-Custom": "v" } });
  assert.match(got.headers["user-agent"]!, /^aiots\//);
  assert.equal(got.headers["content-type"], "text/plain");
  assert.equal(got.headers["x-custom"], "v");
});

test("test_headers_list: headers as a list of pairs", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, {
    headers: [
      ["Content-Type", "text/plain"],
      ["X-Two", "2"],
    ],
  });
  assert.equal(got.headers["content-type"], "text/plain");
  assert.equal(got.headers["x-two"], "2");
});

test("test_default_headers_useragent_custom / test_skip_default_useragent_header", async () => {
  await using srv = await echoServer();
  assert.equal(
    (await sent(srv, { headers: { "User-Agent": "my agent" } })).headers["user-agent"],
    "my agent",
  );
  assert.equal((await sent(srv, { skipAutoHeaders: ["user-agent"] })).headers["user-agent"], undefined);
});

test("test_cookies / test_cookies_merge_with_headers: request cookies join a Cookie header", async () => {
  await using srv = await echoServer();
  assert.equal((await sent(srv, { cookies: { cookie1: "val1" } })).headers.cookie, "cookie1=val1");
  const got = await sent(srv, { headers: { cookie: "cookie1=val1" }, cookies: { cookie2: "val2" } });
  assert.equal(got.headers.cookie, "cookie1=val1; cookie2=val2");
});

test("aiots: header names and values are validated (CR/LF injection)", () =>
  asyncio.run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.get("http://127.0.0.1:1/", { headers: { "X-A": "a\r\nX-B: b" } }));
    assert.ok(e instanceof Error && !(e instanceof assert.AssertionError), String(e));
  }));

// ---- credentials ----

test("test_basic_auth_from_url: URL credentials become Authorization and leave the URL", async () => {
  await using srv = await echoServer();
  await asyncio.run(async () => {
    await using session = new ClientSession();
    await using resp = await session.get(`http://nkim:1234@127.0.0.1:${srv.port}/`);
    const got = (await resp.json()) as Echoed;
    assert.equal(got.headers.authorization, "Basic bmtpbToxMjM0");
    assert.equal(got.headers.host, `127.0.0.1:${srv.port}`);
    assert.equal(resp.url.username, "");
    assert.equal(resp.url.password, "");
  });
});

test("test_basic_auth_no_user_from_url: a password alone gives an empty login", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, {}, { path: `http://:1234@127.0.0.1:${srv.port}/` });
  assert.equal(got.headers.authorization, "Basic OjEyMzQ=");
});

test("aiots: the auth option sends Basic credentials; request auth replaces the session's", async () => {
  await using srv = await echoServer();
  assert.equal(
    (await sent(srv, { auth: new BasicAuth("nkim", "pwd") })).headers.authorization,
    "Basic bmtpbTpwd2Q=",
  );
  await asyncio.run(async () => {
    await using session = new ClientSession({ auth: new BasicAuth("session", "x") });
    await using resp = await session.get(`${srv.url}/`, { auth: new BasicAuth("nkim", "pwd") });
    assert.equal(((await resp.json()) as Echoed).headers.authorization, "Basic bmtpbTpwd2Q=");
  });
});

test("test_session_auth_header_conflict (aiohttp 3.x): auth with an explicit Authorization header is a ValueError", () =>
  asyncio.run(async () => {
    await using session = new ClientSession({ auth: new BasicAuth("session", "x") });
    const e = await thrownBy(session.get("http://127.0.0.1:1/", { headers: { Authorization: "Bearer t" } }));
    assert.ok(e instanceof asyncio.ValueError, String(e));
    await using plain = new ClientSession();
    const e2 = await thrownBy(
      plain.get("http://127.0.0.1:1/", { auth: new BasicAuth("a"), headers: { authorization: "Bearer t" } }),
    );
    assert.ok(e2 instanceof asyncio.ValueError, String(e2));
  }));

test("test_creds_in_auth_and_url (aiohttp 3.x): the auth option with credentials in the URL is a ValueError", () =>
  asyncio.run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.get("http://u:p@127.0.0.1:1/", { auth: new BasicAuth("a", "b") }));
    assert.ok(e instanceof asyncio.ValueError, String(e));
  }));

test("test_basic_auth3 / test_basic_auth4: login, password and encode()", () => {
  const a = new BasicAuth("nkim");
  assert.equal(a.login, "nkim");
  assert.equal(a.password, "");
  const b = new BasicAuth("nkim", "pwd");
  assert.equal(b.encode(), "Basic bmtpbTpwd2Q=");
  assert.equal(new BasicAuth("ü", "é", "utf8").encode(), `Basic ${Buffer.from("ü:é").toString("base64")}`);
  assert.equal(new BasicAuth("ü", "é").encode(), `Basic ${Buffer.from("ü:é", "latin1").toString("base64")}`);
});

test("test_basic_auth1 / test_basic_auth2 / test_basic_with_auth_colon_in_login: constructor validation", () => {
  assert.throws(() => new BasicAuth(null as never), asyncio.ArgumentTypeError);
  assert.throws(() => new BasicAuth("nkim", null as never), asyncio.ArgumentTypeError);
  assert.throws(() => new BasicAuth("nkim:1", "pwd"), asyncio.ValueError);
});

test("test_basic_auth_decode: Basic (any case) header values decode", () => {
  for (const h of ["Basic bmtpbTpwd2Q=", "basic bmtpbTpwd2Q="]) {
    const a = BasicAuth.decode(h);
    assert.equal(a.login, "nkim");
    assert.equal(a.password, "pwd");
  }
  const round = BasicAuth.decode(new BasicAuth("user", "p:a:ss").encode());
  assert.equal(round.login, "user");
  assert.equal(round.password, "p:a:ss");
});

test("test_basic_auth_decode_blank_username: empty login and/or password", () => {
  const cases: [string, string, string][] = [
    [":", "", ""],
    ["username:", "username", ""],
    [":password", "", "password"],
  ];
  for (const [creds, login, password] of cases) {
    const a = BasicAuth.decode(`Basic ${Buffer.from(creds).toString("base64")}`);
    assert.deepEqual([a.login, a.password], [login, password]);
  }
});

test("test_basic_auth_invalid / _not_basic / _bad_base64 / _illegal_chars_base64 / _invalid_credentials", () => {
  for (const h of [
    "bmtpbTpwd2Q=",
    "Complex bmtpbTpwd2Q=",
    "Basic bmtpbTpwd2Q",
    "Basic ???",
    "Basic   ",
    `Basic ${Buffer.from("username").toString("base64")}`,
  ])
    assert.throws(() => BasicAuth.decode(h), asyncio.ValueError, h);
});

test("test_basic_auth_from_url / test_basic_auth_no_auth_from_url (test_helpers.py)", () => {
  const a = BasicAuth.fromUrl(new URL("http://user:pass@example.com"))!;
  assert.deepEqual([a.login, a.password], ["user", "pass"]);
  const b = BasicAuth.fromUrl(new URL("http://:pass@example.com"))!;
  assert.deepEqual([b.login, b.password], ["", "pass"]);
  assert.equal(BasicAuth.fromUrl(new URL("http://example.com")), null);
  const c = BasicAuth.fromUrl(new URL("http://us%20er:p%40ss@example.com"))!;
  assert.deepEqual([c.login, c.password], ["us er", "p@ss"]);
});

// ---- bodies ----

test("test_content_type_auto_header_get / test_no_content_length: no body, no Content-Type or Content-Length", async () => {
  await using srv = await echoServer();
  const got = await sent(srv);
  assert.equal(got.headers["content-type"], undefined);
  assert.equal(got.headers["content-length"], undefined);
  assert.equal(got.body, "");
});

test("test_content_type_auto_header_form: a record is a urlencoded form", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, { data: { hey: "you", n: 1 } }, { method: "POST" });
  assert.equal(got.headers["content-type"], "application/x-www-form-urlencoded");
  assert.equal(got.body, "hey=you&n=1");
  const sp = await sent(srv, { data: new URLSearchParams([["a", "1 2"]]) }, { method: "POST" });
  assert.equal(sp.headers["content-type"], "application/x-www-form-urlencoded");
  assert.equal(sp.body, "a=1+2");
});

test("test_content_type_auto_header_bytes / test_bytes_data: bytes are application/octet-stream", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, { data: Buffer.from([0x00, 0x01, 0xff]) }, { method: "POST" });
  assert.equal(got.headers["content-type"], "application/octet-stream");
  assert.equal(got.headers["content-length"], "3");
  assert.deepEqual(Buffer.from(got.body, "latin1"), Buffer.from([0x00, 0x01, 0xff]));
});

test("test_content_type_skip_auto_header_bytes: skipAutoHeaders Content-Type sends none", async () => {
  await using srv = await echoServer();
  const got = await sent(
    srv,
    { data: Buffer.from("x"), skipAutoHeaders: ["Content-Type"] },
    { method: "POST" },
  );
  assert.equal(got.headers["content-type"], undefined);
  assert.equal(got.body, "x");
});

test("test_content_length_with_string_data / test_post_data: text is text/plain; charset=utf-8", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, { data: "héllo" }, { method: "POST" });
  assert.equal(got.headers["content-type"], "text/plain; charset=utf-8");
  assert.equal(got.headers["content-length"], String(Buffer.byteLength("héllo")));
  assert.equal(Buffer.from(got.body, "latin1").toString("utf8"), "héllo");
});

test("test_json: json is serialized as application/json; jsonSerialize replaces JSON.stringify", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, { json: { a: [1, "b"] } }, { method: "POST" });
  assert.equal(got.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(got.body), { a: [1, "b"] });
  const custom = await asyncio.run(async () => {
    await using session = new ClientSession({ jsonSerialize: () => '"custom"' });
    await using r = await session.post(`${srv.url}/`, { json: { ignored: true } });
    return ((await r.json()) as Echoed).body;
  });
  assert.equal(custom, '"custom"');
});

test("test_json_custom / explicit Content-Type wins over the automatic one", async () => {
  await using srv = await echoServer();
  const got = await sent(
    srv,
    { json: [1], headers: { "Content-Type": "application/vnd.api+json" } },
    { method: "POST" },
  );
  assert.equal(got.headers["content-type"], "application/vnd.api+json");
});

test("aiots: data and json together are a ValueError", () =>
  asyncio.run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.post("http://127.0.0.1:1/", { data: "x", json: { a: 1 } }));
    assert.ok(e instanceof asyncio.ValueError, String(e));
    assert.match((e as Error).message, /data and json/);
  }));

test("test_pass_falsy_data: an empty string body is sent with Content-Length 0", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, { data: "" }, { method: "POST" });
  assert.equal(got.headers["content-length"], "0");
  assert.equal(got.body, "");
});

test("test_data_stream / test_chunked: an async iterable is sent chunked", async () => {
  await using srv = await echoServer();
  async function* gen(): AsyncGenerator<Uint8Array> {
    yield Buffer.from("chunk1,");
    await asyncio.sleep(0);
    yield Buffer.from("chunk2");
  }
  const got = await sent(srv, { data: gen() }, { method: "POST" });
  assert.equal(got.headers["transfer-encoding"], "chunked");
  assert.equal(got.headers["content-type"], "application/octet-stream");
  assert.equal(got.body, "chunk1,chunk2");
  const fromReadable = await sent(
    srv,
    { data: Readable.from([Buffer.from("r1"), Buffer.from("r2")]) },
    {
      method: "POST",
    },
  );
  assert.equal(fromReadable.body, "r1r2");
});

test("aiots: a Blob body takes its type as Content-Type", async () => {
  await using srv = await echoServer();
  const got = await sent(srv, { data: new Blob(["<b/>"], { type: "text/xml" }) }, { method: "POST" });
  assert.equal(got.headers["content-type"], "text/xml");
  assert.equal(got.body, "<b/>");
});

test("test_POST_DATA_with_explicit_formdata: the global FormData is sent as multipart", async () => {
  await using srv = await echoServer();
  const fd = new globalThis.FormData();
  fd.append("name", "value");
  const got = await sent(srv, { data: fd }, { method: "POST" });
  assert.match(got.headers["content-type"]!, /^multipart\/form-data; boundary=/);
  assert.match(got.body, /name="name"\r\n\r\nvalue\r\n/);
});

test("test_HTTP_302_REDIRECT_POST: a POST redirected by 302 becomes a body-less GET", async () => {
  const seen: string[] = [];
  await using srv = await httpServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push(`${req.method} ${req.url} ${req.headers["content-type"] ?? "-"} ${body || "-"}`);
      if (req.url === "/redirect") {
        res.writeHead(302, { Location: "/target" });
        res.end();
      } else res.end("done");
    });
  });
  await asyncio.run(async () => {
    await using session = new ClientSession();
    await using resp = await session.post(`${srv.url}/redirect`, { data: { some: "data" } });
    assert.equal(await resp.text(), "done");
    assert.equal(resp.method, "GET");
  });
  assert.deepEqual(seen, ["POST /redirect application/x-www-form-urlencoded some=data", "GET /target - -"]);
});

test("test_HTTP_307_REDIRECT_POST: a 307 keeps the method and the body", async () => {
  const seen: string[] = [];
  await using srv = await httpServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      if (req.url === "/redirect") {
        res.writeHead(307, { Location: "/target" });
        res.end();
      } else res.end("done");
    });
  });
  await asyncio.run(async () => {
    await using session = new ClientSession();
    await using resp = await session.post(`${srv.url}/redirect`, { data: "payload" });
    assert.equal(resp.status, 200);
    assert.equal(resp.history.length, 1);
  });
  assert.deepEqual(seen, ["POST /redirect payload", "POST /target payload"]);
});
