// ClientSession: the behaviour checked by aiohttp's tests/test_client_session.py (and the session
// parts of tests/test_client_functional.py), against a node:http server started by each test.
// Each test names the aiohttp test it follows; "aiots:" titles are our own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import {
  BasicAuth,
  ClientResponseError,
  ClientSession,
  ClientTimeout,
  CookieJar,
  InvalidURL,
  InvalidUrlClientError,
  NonHttpUrlClientError,
  TCPConnector,
  TooManyRedirects,
} from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import { thrownBy } from "../helpers.js";
import { type Echoed, echoServer, httpServer } from "./helpers.js";

// ---- local helpers ----

const run = <T>(main: () => Promise<T>): Promise<T> => asyncio.run(main);

// ---- lifecycle ----

test("test_closed: closed is false, then true after close()", () =>
  run(async () => {
    const session = new ClientSession();
    assert.equal(session.closed, false);
    await session.close();
    assert.equal(session.closed, true);
  }));

test("test_double_close: a second close() is a no-op and the owned connector stays closed", () =>
  run(async () => {
    const connector = new TCPConnector();
    const session = new ClientSession({ connector });
    await session.close();
    await session.close();
    assert.equal(session.closed, true);
    assert.equal(connector.closed, true);
  }));

test("test_close: closing the session closes the connector it owns", () =>
  run(async () => {
    const connector = new TCPConnector();
    const session = new ClientSession({ connector });
    assert.equal(session.connector, connector);
    await session.close();
    assert.equal(connector.closed, true);
  }));

test("test_close_flag_for_closed_connector: a session whose connector was closed is closed", () =>
  run(async () => {
    const session = new ClientSession();
    assert.equal(session.closed, false);
    await session.connector.close();
    assert.equal(session.closed, true);
    await session.close();
  }));

test("test_request_closed_session: a request on a closed session raises RuntimeError", async () => {
  await using srv = await echoServer();
  await run(async () => {
    const session = new ClientSession();
    await session.close();
    const e = await thrownBy(session.request("get", `${srv.url}/`));
    assert.ok(e instanceof asyncio.RuntimeError, String(e));
    assert.match((e as Error).message, /closed/);
  });
});

test("test_async_with_session: `await using` closes the session at the end of the block", async () => {
  await using srv = await echoServer();
  await run(async () => {
    let kept: ClientSession;
    {
      await using session = new ClientSession();
      kept = session;
      await using resp = await session.get(`${srv.url}/`);
      assert.equal(resp.status, 200);
    }
    assert.equal(kept.closed, true);
    assert.equal(kept.connector.closed, true);
  });
});

test("test_dont_close_explicit_connector: connectorOwner false leaves the connector open and usable", async () => {
  await using srv = await echoServer();
  await run(async () => {
    const connector = new TCPConnector();
    const s1 = new ClientSession({ connector, connectorOwner: false });
    {
      await using r = await s1.get(`${srv.url}/a`);
      await r.read();
    }
    await s1.close();
    assert.equal(s1.closed, true);
    assert.equal(connector.closed, false);
    await using s2 = new ClientSession({ connector });
    await using r2 = await s2.get(`${srv.url}/b`);
    assert.equal(((await r2.json()) as Echoed).path, "/b");
  });
});

test("test_properties: headers (a copy), timeout and connector getters", () =>
  run(async () => {
    const timeout = new ClientTimeout({ total: 5 });
    await using session = new ClientSession({ headers: { "X-A": "1" }, timeout });
    assert.equal(session.timeout, timeout);
    const h = session.headers;
    assert.equal(h.get("x-a"), "1");
    h.set("X-A", "2");
    assert.equal(session.headers.get("X-A"), "1", "the getter returns a copy");
    assert.ok(session.connector instanceof TCPConnector);
    assert.equal(inspect(session), "<ClientSession>");
  }));

// ---- URLs ----

test("test_build_url_returns_expected_url: baseUrl joins relative URLs, absolute ones win", async () => {
  await using srv = await echoServer();
  await run(async () => {
    await using session = new ClientSession({ baseUrl: `${srv.url}/test1/` });
    const cases: [string, string][] = [
      ["test2", "/test1/test2"],
      ["/test2", "/test2"],
      ["test2?q=foo#bar", "/test1/test2?q=foo"],
      [`${srv.url}/other`, "/other"],
    ];
    for (const [given, path] of cases) {
      await using r = await session.get(given);
      assert.equal(((await r.json()) as Echoed).path, path, given);
    }
    await using r = await session.get("test2?q=foo#bar");
    assert.equal(r.url.href, `${srv.url}/test1/test2?q=foo`);
    assert.equal(r.realUrl.href, `${srv.url}/test1/test2?q=foo#bar`);
  });
});

test("test_base_url_without_trailing_slash: a base URL whose path lacks a trailing '/' is a ValueError", () =>
  run(async () => {
    const e = await thrownBy(() => new ClientSession({ baseUrl: "http://example.com/test" }));
    assert.ok(e instanceof asyncio.ValueError, String(e));
    // A bare origin has the path "/" and is fine.
    await new ClientSession({ baseUrl: "http://example.com" }).close();
  }));

test("test_invalid_and_non_http_url: InvalidUrlClientError and NonHttpUrlClientError", () =>
  run(async () => {
    await using session = new ClientSession();
    const bad = await thrownBy(session.get("http:/"));
    assert.ok(bad instanceof InvalidUrlClientError, String(bad));
    assert.ok(bad instanceof InvalidURL && bad instanceof asyncio.ValueError);
    const rel = await thrownBy(session.get("/relative/without/base"));
    assert.ok(rel instanceof InvalidUrlClientError, String(rel));
    assert.equal((rel as InvalidUrlClientError).url, "/relative/without/base");
    const ftp = await thrownBy(session.get("ftp://example.com/x"));
    assert.ok(ftp instanceof NonHttpUrlClientError, String(ftp));
    assert.ok(!(ftp instanceof InvalidUrlClientError));
    assert.equal((ftp as NonHttpUrlClientError).url, "ftp://example.com/x");
  }));

test("test_method_invalid: a method with non-token characters is a ValueError", () =>
  run(async () => {
    await using session = new ClientSession();
    for (const m of ["GET ", "G\tET", "GE(T", ""]) {
      const e = await thrownBy(session.request(m, "http://127.0.0.1:1/"));
      assert.ok(e instanceof asyncio.ValueError, `${JSON.stringify(m)}: ${String(e)}`);
    }
  }));

test("test_shortcuts / test_http_GET…DELETE: each helper sends its method; lower case is upper-cased", async () => {
  await using srv = await echoServer();
  await run(async () => {
    await using session = new ClientSession({ baseUrl: `${srv.url}/` });
    const calls: [string, () => ReturnType<ClientSession["get"]>][] = [
      ["GET", () => session.get("x")],
      ["POST", () => session.post("x")],
      ["PUT", () => session.put("x")],
      ["PATCH", () => session.patch("x")],
      ["DELETE", () => session.delete("x")],
      ["OPTIONS", () => session.options("x")],
      ["PROPFIND", () => session.request("propfind", "x")],
    ];
    for (const [method, call] of calls) {
      await using r = await call();
      assert.equal(r.method, method);
      assert.equal(((await r.json()) as Echoed).method, method);
    }
    await using h = await session.head("x");
    assert.equal(h.status, 200);
    assert.equal(h.method, "HEAD");
  });
});

test("test_http_HEAD: head() does not follow redirects unless asked", async () => {
  await using srv = await httpServer((req, res) => {
    if (req.url === "/from") {
      res.writeHead(302, { location: "/to" });
      res.end();
    } else res.end("ok");
  });
  await run(async () => {
    await using session = new ClientSession({ baseUrl: `${srv.url}/` });
    await using r1 = await session.head("/from");
    assert.equal(r1.status, 302);
    await using r2 = await session.head("/from", { allowRedirects: true });
    assert.equal(r2.status, 200);
    assert.equal(r2.url.pathname, "/to");
    assert.equal(r2.history.length, 1);
  });
});

// ---- headers ----

test("test_session_headers / test_merge_headers: default headers are sent, a request's replace them by name", async () => {
  await using srv = await echoServer();
  await run(async () => {
    await using session = new ClientSession({
      baseUrl: `${srv.url}/`,
      headers: [
        ["X-Real-IP", "192.168.0.1"],
        ["X-Sent-By", "session"],
      ],
    });
    await using r1 = await session.get("/");
    const h1 = ((await r1.json()) as Echoed).headers;
    assert.equal(h1["x-real-ip"], "192.168.0.1");
    assert.equal(h1["x-sent-by"], "session");
    await using r2 = await session.get("/", { headers: { "x-sent-by": "request", "X-Extra": "e" } });
    const h2 = ((await r2.json()) as Echoed).headers;
    assert.equal(h2["x-real-ip"], "192.168.0.1");
    assert.equal(h2["x-sent-by"], "request");
    assert.equal(h2["x-extra"], "e");
    assert.deepEqual(r2.requestInfo.headers.getAll("X-Sent-By"), ["request"]);
  });
});

test("test_merge_headers_with_list_of_tuples_duplicated_names: a request's repeated header replaces the session's", async () => {
  await using srv = await httpServer((req, res) => {
    res.end(JSON.stringify(req.headersDistinct["x-dup"]));
  });
  await run(async () => {
    await using session = new ClientSession({ headers: { "X-Dup": "s" } });
    await using r = await session.get(`${srv.url}/`, {
      headers: [
        ["X-Dup", "a"],
        ["x-dup", "b"],
      ],
    });
    assert.deepEqual(JSON.parse(await r.text()), ["a", "b"]);
  });
});

test("test_auto_header_user_agent: Accept, Accept-Encoding and User-Agent are sent by default", async () => {
  await using srv = await echoServer();
  await run(async () => {
    await using session = new ClientSession();
    await using r = await session.get(`${srv.url}/`);
    const h = ((await r.json()) as Echoed).headers;
    assert.equal(h.accept, "*/*");
    assert.match(h["accept-encoding"]!, /gzip/);
    assert.match(h["user-agent"]!, /^aiots\//);
  });
});

test("test_skip_default_auto_headers_user_agent: skipAutoHeaders on the session drops User-Agent", async () => {
  await using srv = await echoServer();
  await run(async () => {
    await using session = new ClientSession({ skipAutoHeaders: ["user-agent"] });
    await using r = await session.get(`${srv.url}/`);
    const h = ((await r.json()) as Echoed).headers;
    assert.equal(h["user-agent"], undefined);
    assert.equal(h.accept, "*/*");
  });
});

test("test_skip_auto_headers_user_agent: skipAutoHeaders on one request adds to the session's", async () => {
  await using srv = await echoServer();
  await run(async () => {
    await using session = new ClientSession({ skipAutoHeaders: ["Accept"] });
    await using r = await session.get(`${srv.url}/`, { skipAutoHeaders: ["User-Agent"] });
    const h = ((await r.json()) as Echoed).headers;
    assert.equal(h["user-agent"], undefined);
    assert.equal(h.accept, undefined);
    assert.ok(h["accept-encoding"] !== undefined);
    // A header given explicitly is sent even when its automatic value is skipped.
    await using r2 = await session.get(`${srv.url}/`, {
      skipAutoHeaders: ["User-Agent"],
      headers: { "User-Agent": "mine" },
    });
    assert.equal(((await r2.json()) as Echoed).headers["user-agent"], "mine");
  });
});

test("test_session_authorization_header(_override): a session Authorization header, replaced per request", async () => {
  await using srv = await echoServer();
  await run(async () => {
    const login = new BasicAuth("login", "pass").encode();
    const other = new BasicAuth("other_login", "pass").encode();
    await using session = new ClientSession({ headers: { Authorization: login } });
    await using r1 = await session.get(`${srv.url}/`);
    assert.equal(((await r1.json()) as Echoed).headers.authorization, "Basic bG9naW46cGFzcw==");
    await using r2 = await session.get(`${srv.url}/`, { headers: { Authorization: other } });
    assert.equal(((await r2.json()) as Echoed).headers.authorization, "Basic b3RoZXJfbG9naW46cGFzcw==");
  });
});

test("aiots: session auth option sends Basic credentials with every request", async () => {
  await using srv = await echoServer();
  await run(async () => {
    await using session = new ClientSession({ auth: new BasicAuth("u", "p") });
    await using r = await session.get(`${srv.url}/`);
    assert.equal(((await r.json()) as Echoed).headers.authorization, new BasicAuth("u", "p").encode());
  });
});

// ---- cookies ----

test("test_init_cookies_with_simple_dict / test_cookies_per_request: session and request cookies are sent", async () => {
  await using srv = await echoServer();
  await run(async () => {
    await using session = new ClientSession({ cookies: { c1: "cookie1", c2: "cookie2" } });
    await using r1 = await session.get(`${srv.url}/`);
    assert.equal(((await r1.json()) as Echoed).headers.cookie, "c1=cookie1; c2=cookie2");
    await using r2 = await session.get(`${srv.url}/`, { cookies: { c3: "cookie3" } });
    assert.equal(((await r2.json()) as Echoed).headers.cookie, "c1=cookie1; c2=cookie2; c3=cookie3");
    // Per-request cookies are not stored.
    assert.equal(session.cookieJar.size, 2);
  });
});

test("test_cookies_with_unsafe_cookie_jar: Set-Cookie of an IP host is kept by an unsafe jar only", async () => {
  await using srv = await httpServer((req, res) => {
    if (req.url === "/set") res.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/"]);
    res.end(req.headers.cookie ?? "");
  });
  await run(async () => {
    {
      // The default jar refuses cookies of an IP address (aiohttp's unsafe=False).
      await using session = new ClientSession();
      await using r1 = await session.get(`${srv.url}/set`);
      assert.equal(r1.cookies.size, 2);
      await using r2 = await session.get(`${srv.url}/get`);
      assert.equal(await r2.text(), "");
    }
    await using session = new ClientSession({ cookieJar: new CookieJar({ unsafe: true }) });
    await using r1 = await session.get(`${srv.url}/set`);
    assert.deepEqual(
      [...r1.cookies],
      [
        ["a", "1"],
        ["b", "2"],
      ],
    );
    await using r2 = await session.get(`${srv.url}/get`);
    assert.equal(await r2.text(), "a=1; b=2");
  });
});

// ---- raise_for_status, redirects ----

test("test_raise_for_status / test_raise_for_status_per_request / test_raise_for_status_disable_per_request", async () => {
  await using srv = await httpServer((_req, res) => {
    res.writeHead(404, "Nope");
    res.end("missing");
  });
  await run(async () => {
    {
      await using session = new ClientSession({ raiseForStatus: true });
      const e = await thrownBy(session.get(`${srv.url}/x`));
      assert.ok(e instanceof ClientResponseError, String(e));
      assert.equal((e as ClientResponseError).status, 404);
      assert.equal((e as ClientResponseError).reason, "Nope");
      await using r = await session.get(`${srv.url}/x`, { raiseForStatus: false });
      assert.equal(r.status, 404);
    }
    {
      await using session = new ClientSession();
      await using r = await session.get(`${srv.url}/x`);
      assert.equal(r.ok, false);
      const e = await thrownBy(session.get(`${srv.url}/x`, { raiseForStatus: true }));
      assert.ok(e instanceof ClientResponseError, String(e));
    }
  });
});

test("test_session_raise_for_status_coro: a check function is awaited with each final response", async () => {
  await using srv = await httpServer((_req, res) => res.end("x"));
  await run(async () => {
    const seen: number[] = [];
    await using session = new ClientSession({
      raiseForStatus: async (resp) => {
        seen.push(resp.status);
        await asyncio.sleep(0);
        throw new asyncio.RuntimeError("checked");
      },
    });
    const e = await thrownBy(session.get(`${srv.url}/`));
    assert.ok(e instanceof asyncio.RuntimeError);
    assert.equal((e as Error).message, "checked");
    assert.deepEqual(seen, [200]);
  });
});

test("test_HTTP_302_max_redirects: TooManyRedirects carries the history", async () => {
  await using srv = await httpServer((req, res) => {
    const n = Number(req.url!.slice(1));
    res.writeHead(302, { location: `/${n + 1}` });
    res.end();
  });
  await run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.get(`${srv.url}/0`, { maxRedirects: 2 }));
    assert.ok(e instanceof TooManyRedirects, String(e));
    const history = (e as TooManyRedirects).history as { url: URL }[];
    assert.deepEqual(
      history.map((r) => r.url.pathname),
      ["/0", "/1", "/2"],
    );
    assert.equal((e as TooManyRedirects).status, 302);
  });
});

// ---- argument validation ----

test("test_instantiation_with_invalid_timeout_value / test_client_session_timeout_bad_argument", () =>
  run(async () => {
    for (const bad of [1, "1", {}]) {
      const e = await thrownBy(() => new ClientSession({ timeout: bad as never }));
      assert.ok(e instanceof asyncio.ArgumentTypeError, String(e));
    }
    await using session = new ClientSession();
    const e = await thrownBy(session.get("http://127.0.0.1:1/", { timeout: 3 as never }));
    assert.ok(e instanceof asyncio.ArgumentTypeError, String(e));
  }));

test("aiots: argument validation of ClientSession and its requests", () =>
  run(async () => {
    const e1 = await thrownBy(() => new ClientSession(42 as never));
    assert.ok(e1 instanceof asyncio.ArgumentTypeError, String(e1));
    const e2 = await thrownBy(() => new ClientSession({ connector: {} as never }));
    assert.ok(e2 instanceof asyncio.ArgumentTypeError, String(e2));
    await using session = new ClientSession();
    const e3 = await thrownBy(session.get("http://127.0.0.1:1/", null as never));
    assert.ok(e3 instanceof asyncio.ArgumentTypeError, String(e3));
    const e4 = await thrownBy(session.get("http://127.0.0.1:1/", { maxRedirects: -1 }));
    assert.ok(e4 instanceof asyncio.ValueError, String(e4));
    const e5 = await thrownBy(session.get(42 as never));
    assert.ok(e5 instanceof InvalidUrlClientError, String(e5));
  }));

test("test_invalid_data: a form field of an unsupported type is a TypeError", () =>
  run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.post("http://127.0.0.1:1/", { data: { some: {} as never } }));
    assert.ok(e instanceof TypeError, String(e));
  }));

test("test_creds_in_header_and_url: an Authorization header with credentials in the URL is a ValueError", () =>
  run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(
      session.get("http://user:pass@127.0.0.1:1/", {
        headers: { Authorization: new BasicAuth("user2", "pass2").encode() },
      }),
    );
    assert.ok(e instanceof asyncio.ValueError, String(e));
  }));

test("aiots: a request is a coroutine: nothing is sent until it is awaited", async () => {
  let hits = 0;
  await using srv = await httpServer((_req, res) => {
    hits++;
    res.end();
  });
  await run(async () => {
    await using session = new ClientSession();
    const pending = session.get(`${srv.url}/`);
    await asyncio.sleep(0.01);
    assert.equal(hits, 0);
    await using r = await pending;
    assert.equal(r.status, 200);
    assert.equal(hits, 1);
  });
});

test("aiots: cancelling the awaiting task aborts the request; the session stays usable", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const entered: string[] = [];
  await using srv = await httpServer((req, res) => {
    entered.push(req.url!);
    if (req.url === "/slow") void gate.then(() => res.end("late"));
    else res.end("fast");
  });
  await run(async () => {
    await using session = new ClientSession();
    const task = asyncio.createTask(session.get(`${srv.url}/slow`));
    while (entered.length === 0) await asyncio.sleep(0.005);
    task.cancel();
    const e = await thrownBy(task);
    assert.ok(e instanceof asyncio.CancelledError, String(e));
    await using r = await session.get(`${srv.url}/fast`);
    assert.equal(await r.text(), "fast");
  });
  release();
});
