// ClientResponse: the behaviour checked by aiohttp's tests/test_client_response.py, on real
// responses of a node:http server started by each test. Each test names the aiohttp test it
// follows; "aiots:" titles are our own.
import assert from "node:assert/strict";
import type http from "node:http";
import { test } from "node:test";
import { inspect } from "node:util";
import {
  type ClientResponse,
  ClientResponseError,
  ClientSession,
  type ClientSessionOptions,
  ContentTypeError,
} from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import { thrownBy } from "../helpers.js";
import { httpServer, type ServerStats } from "./helpers.js";

// ---- local helpers ----

/** A server answering every request with `status`, `headers` and `body`. */
function fixed(body: string | Buffer, headers: http.OutgoingHttpHeaders = {}, status = 200, reason?: string) {
  return httpServer((_req, res) => {
    if (reason === undefined) res.writeHead(status, headers);
    else res.writeHead(status, reason, headers);
    res.end(body);
  });
}

/** Run `fn` with the response to a GET of `srv`'s `path`. */
function withResponse(
  srv: ServerStats,
  fn: (resp: ClientResponse) => Promise<void>,
  options: ClientSessionOptions = {},
  path = "/",
): Promise<void> {
  return asyncio.run(async () => {
    await using session = new ClientSession(options);
    await using resp = await session.get(`${srv.url}${path}`);
    await fn(resp);
  });
}

// ---- status, headers ----

test("test_ok_from_status / test_resp_host: status, reason, ok, url", async () => {
  await using srv = await fixed("x", {}, 201, "Made");
  await withResponse(srv, async (resp) => {
    assert.equal(resp.status, 201);
    assert.equal(resp.reason, "Made");
    assert.equal(resp.ok, true);
    assert.equal(resp.url.host, `127.0.0.1:${srv.port}`);
    assert.equal(resp.method, "GET");
  });
  await using srv2 = await fixed("x", {}, 418);
  await withResponse(srv2, async (resp) => {
    assert.equal(resp.ok, false);
    assert.equal(resp.reason, "I'm a Teapot");
  });
});

test("test_repr: inspect() shows the URL, status and reason", async () => {
  await using srv = await fixed("x", {}, 200, "OK");
  await withResponse(
    srv,
    async (resp) => {
      assert.equal(inspect(resp), `<ClientResponse(${srv.url}/path?q=1) [200 OK]>`);
    },
    {},
    "/path?q=1",
  );
});

test("test_content_type / test_charset: media type and charset of Content-Type", async () => {
  await using srv = await fixed("x", { "Content-Type": "Application/JSON; charset=UTF-8" });
  await withResponse(srv, async (resp) => {
    assert.equal(resp.contentType, "application/json");
    assert.equal(resp.charset?.toLowerCase(), "utf-8");
  });
});

test("test_content_type_no_header / test_charset_no_header: octet-stream and null", async () => {
  await using srv = await httpServer((_req, res) => {
    res.removeHeader("content-type");
    res.end();
  });
  await withResponse(srv, async (resp) => {
    assert.equal(resp.headers.get("content-type"), undefined);
    assert.equal(resp.contentType, "application/octet-stream");
    assert.equal(resp.charset, null);
  });
});

test("test_charset_no_charset: a Content-Type without charset gives null", async () => {
  await using srv = await fixed("x", { "Content-Type": "application/json" });
  await withResponse(srv, async (resp) => {
    assert.equal(resp.charset, null);
  });
});

test("aiots: contentLength, headers (case-insensitive, multi-valued, read-only) and rawHeaders", async () => {
  await using srv = await httpServer((_req, res) => {
    res.setHeader("X-Multi", ["a", "b"]);
    res.setHeader("Content-Length", "5");
    res.end("hello");
  });
  await withResponse(srv, async (resp) => {
    assert.equal(resp.contentLength, 5);
    assert.deepEqual(resp.headers.getAll("x-multi"), ["a", "b"]);
    assert.equal(resp.headers.get("X-MULTI"), "a");
    assert.ok(resp.rawHeaders.includes("X-Multi"));
    assert.throws(() => (resp.headers as unknown as { set: (k: string, v: string) => void }).set("a", "b"));
  });
  await using chunked = await httpServer((_req, res) => {
    res.write("a");
    res.end("b");
  });
  await withResponse(chunked, async (resp) => {
    assert.equal(resp.contentLength, null);
    assert.equal(await resp.text(), "ab");
  });
});

// ---- text ----

test("test_text: the charset of Content-Type decodes the body (windows-1251)", async () => {
  const body = Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]); // "Привет" in windows-1251
  await using srv = await fixed(body, { "Content-Type": "text/plain; charset=windows-1251" });
  await withResponse(srv, async (resp) => {
    assert.equal(resp.getEncoding(), "windows-1251");
    assert.equal(await resp.text(), "Привет");
  });
});

test("test_text_custom_encoding: the encoding argument beats the header (latin-1)", async () => {
  const body = Buffer.from("café", "latin1");
  await using srv = await fixed(body, { "Content-Type": "text/plain; charset=utf-8" });
  await withResponse(srv, async (resp) => {
    assert.equal(await resp.text("latin1"), "café");
  });
});

test("test_default_encoding_is_utf8: no charset and no resolver decodes UTF-8", async () => {
  await using srv = await fixed(Buffer.from("Привет", "utf8"), { "Content-Type": "text/plain" });
  await withResponse(srv, async (resp) => {
    assert.equal(resp.getEncoding(), "utf-8");
    assert.equal(await resp.text(), "Привет");
  });
});

test("test_text_charset_resolver: fallbackCharsetResolver picks the charset when none is given", async () => {
  await using srv = await fixed(Buffer.from("ñ", "latin1"), { "Content-Type": "text/plain" });
  const calls: number[] = [];
  await withResponse(
    srv,
    async (resp) => {
      assert.equal(await resp.text(), "ñ");
    },
    {
      fallbackCharsetResolver: (resp, body) => {
        calls.push(body.length);
        assert.equal(resp.status, 200);
        return "latin1";
      },
    },
  );
  assert.deepEqual(calls, [1]);
});

test("test_get_encoding_unknown / test_text_badly_encoded_encoding_header: unknown charset falls back", async () => {
  await using srv = await fixed("ok", { "Content-Type": "text/plain; charset=no-such-charset" });
  await withResponse(srv, async (resp) => {
    assert.equal(resp.charset, "no-such-charset");
    assert.equal(resp.getEncoding(), "utf-8");
    assert.equal(await resp.text(), "ok");
  });
});

test("test_text_bad_encoding: invalid bytes are an error by default (as Python's strict decode), replaced with errors: 'replace'", async () => {
  await using srv = await fixed(Buffer.from([0x61, 0xff, 0x62]), {
    "Content-Type": "text/plain; charset=utf-8",
  });
  await withResponse(srv, async (resp) => {
    assert.equal(await resp.text(undefined, { errors: "replace" }), "a\ufffdb");
    const e = await thrownBy(resp.text(undefined, { errors: "strict" }));
    assert.ok(e instanceof asyncio.ValueError, String(e));
    const d = await thrownBy(resp.text());
    assert.ok(d instanceof asyncio.ValueError, String(d));
  });
});

test("test_text_after_read: text() after read() decodes the kept body", async () => {
  await using srv = await fixed("body", { "Content-Type": "text/plain" });
  await withResponse(srv, async (resp) => {
    assert.equal((await resp.read()).toString(), "body");
    assert.equal(await resp.text(), "body");
  });
});

// ---- json ----

test("test_json: the body parsed as JSON", async () => {
  await using srv = await fixed('{"a": [1, 2]}', { "Content-Type": "application/json;charset=cp1251" });
  await withResponse(srv, async (resp) => {
    assert.deepEqual(await resp.json(), { a: [1, 2] });
  });
});

test("test_json_extended_content_type: a +json media type is accepted", async () => {
  await using srv = await fixed('{"x": 1}', {
    "Content-Type": "application/this.is-1_content+subtype+json;charset=cp1251",
  });
  await withResponse(srv, async (resp) => {
    assert.deepEqual(await resp.json(), { x: 1 });
  });
});

test("test_json_custom_content_type: contentType names the media type required", async () => {
  await using srv = await fixed('{"x": 2}', { "Content-Type": "custom/type;charset=cp1251" });
  await withResponse(srv, async (resp) => {
    assert.deepEqual(await resp.json({ contentType: "custom/type" }), { x: 2 });
  });
});

test("test_json_custom_loader: loads replaces JSON.parse", async () => {
  await using srv = await fixed("data", { "Content-Type": "application/json;charset=cp1251" });
  await withResponse(srv, async (resp) => {
    assert.equal(await resp.json({ loads: (t) => `${t}-custom` }), "data-custom");
  });
});

test("test_json_invalid_content_type: ContentTypeError with status and request info", async () => {
  await using srv = await fixed("{}", { "Content-Type": "data/octet-stream" }, 500);
  await withResponse(srv, async (resp) => {
    const e = await thrownBy(resp.json());
    assert.ok(e instanceof ContentTypeError, String(e));
    assert.ok(e instanceof ClientResponseError);
    assert.equal((e as ContentTypeError).status, 500);
    assert.equal((e as ContentTypeError).requestInfo, resp.requestInfo);
    assert.match((e as Error).message, /unexpected mimetype: data\/octet-stream/);
  });
});

test("test_json: contentType null skips the check", async () => {
  await using srv = await fixed('{"ok": true}', { "Content-Type": "text/plain" });
  await withResponse(srv, async (resp) => {
    assert.deepEqual(await resp.json({ contentType: null }), { ok: true });
  });
});

test("test_json_no_content: an empty body gives null (no content type check needed)", async () => {
  await using srv = await fixed("", { "Content-Type": "application/json" });
  await withResponse(srv, async (resp) => {
    assert.equal(await resp.json(), null);
  });
});

test("test_json_override_encoding: the encoding option decodes the body", async () => {
  const body = Buffer.from('{"s": "é"}', "latin1");
  await using srv = await fixed(body, { "Content-Type": "application/json;charset=utf-8" });
  await withResponse(srv, async (resp) => {
    assert.deepEqual(await resp.json({ encoding: "latin1" }), { s: "é" });
  });
});

// ---- read, release ----

test("test_read_and_release_connection: read() twice returns the same bytes", async () => {
  await using srv = await fixed("payload");
  await withResponse(srv, async (resp) => {
    const a = await resp.read();
    const b = await resp.read();
    assert.equal(a.toString(), "payload");
    assert.equal(a, b);
    assert.equal(resp.closed, true);
  });
});

test("test_release / test_read_from_closed_response2: after release() even a body read before is gone", async () => {
  const { ClientConnectionError } = await import("../../src/client/index.js");
  await using srv = await fixed("payload");
  await withResponse(srv, async (resp) => {
    assert.equal((await resp.read()).toString(), "payload");
    resp.release();
    resp.release();
    assert.equal(resp.closed, true);
    const e = await thrownBy(resp.read());
    assert.ok(e instanceof ClientConnectionError, String(e));
    assert.equal((e as Error).message, "Connection closed");
  });
});

test("test_read_from_closed_response: read() after release() without reading raises ClientConnectionError", async () => {
  const { ClientConnectionError } = await import("../../src/client/index.js");
  await using srv = await fixed("data");
  await withResponse(srv, async (resp) => {
    assert.equal(resp.status, 200);
    resp.release();
    const e = await thrownBy(resp.read());
    assert.ok(e instanceof ClientConnectionError, String(e));
  });
});

test("test_release: releasing a response whose body is still arriving frees the connection", async () => {
  let cut!: () => void;
  const hold = new Promise<void>((r) => (cut = r));
  await using srv = await httpServer((req, res) => {
    if (req.url === "/stream") {
      res.write("first");
      void hold.then(() => res.end("last"));
    } else res.end("next");
  });
  await asyncio.run(async () => {
    const { TCPConnector } = await import("../../src/client/index.js");
    await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
    const resp = await session.get(`${srv.url}/stream`);
    assert.equal(resp.closed, false);
    resp.release();
    assert.equal(resp.closed, true);
    // With limit 1, the next request only runs if the slot was given back.
    await using r2 = await session.get(`${srv.url}/other`);
    assert.equal(await r2.text(), "next");
  });
  cut();
});

// ---- raise_for_status ----

test("test_raise_for_status_2xx: no error below 400", async () => {
  await using srv = await fixed("ok", {}, 204);
  await withResponse(srv, async (resp) => {
    resp.raiseForStatus();
    assert.equal(resp.status, 204);
  });
});

test("test_raise_for_status_4xx: ClientResponseError with status, reason, headers and request info", async () => {
  await using srv = await fixed("no", { "X-Why": "because" }, 409, "CONFLICT");
  await withResponse(srv, async (resp) => {
    const e = await thrownBy(() => resp.raiseForStatus());
    assert.ok(e instanceof ClientResponseError, String(e));
    const err = e as ClientResponseError;
    assert.equal(err.status, 409);
    assert.equal(err.reason, "CONFLICT");
    assert.equal(err.message, `409, message='CONFLICT', url='${srv.url}/'`);
    assert.equal(err.headers?.get("x-why"), "because");
    assert.equal(err.requestInfo, resp.requestInfo);
    assert.equal(resp.closed, true);
  });
});

test("test_raise_for_status_4xx_without_reason: an empty reason phrase gets the standard one", async () => {
  await using srv = await fixed("no", {}, 404, "");
  await withResponse(srv, async (resp) => {
    const e = (await thrownBy(() => resp.raiseForStatus())) as ClientResponseError;
    assert.equal(e.status, 404);
    assert.equal(e.reason, resp.reason);
  });
});

// ---- request info, history, cookies ----

test("test_response_request_info / test_response_real_url: requestInfo and realUrl keep the fragment", async () => {
  await using srv = await fixed("x");
  await withResponse(
    srv,
    async (resp) => {
      assert.equal(resp.url.href, `${srv.url}/p?a=1`);
      assert.equal(resp.realUrl.href, `${srv.url}/p?a=1#frag`);
      assert.equal(resp.requestInfo.url.href, `${srv.url}/p?a=1`);
      assert.equal(resp.requestInfo.realUrl.href, `${srv.url}/p?a=1#frag`);
      assert.equal(resp.requestInfo.method, "GET");
      assert.equal(resp.requestInfo.headers.get("accept"), "*/*");
    },
    {},
    "/p?a=1#frag",
  );
});

test("test_redirect_history_in_exception / test_no_redirect_history_in_exception", async () => {
  await using srv = await httpServer((req, res) => {
    if (req.url === "/r") {
      res.writeHead(301, { Location: "/end" });
      res.end();
    } else {
      res.writeHead(409, "CONFLICT");
      res.end();
    }
  });
  await asyncio.run(async () => {
    await using session = new ClientSession({ raiseForStatus: true });
    const e1 = (await thrownBy(session.get(`${srv.url}/r`))) as ClientResponseError;
    assert.equal(e1.status, 409);
    assert.equal(e1.history.length, 1);
    assert.equal((e1.history[0] as ClientResponse).status, 301);
    const e2 = (await thrownBy(session.get(`${srv.url}/end`))) as ClientResponseError;
    assert.deepEqual(e2.history, []);
  });
});

test("test_response_cookies: the cookies a response sets (name → value)", async () => {
  await using srv = await httpServer((_req, res) => {
    res.setHeader("Set-Cookie", ["cookie1=val1; Path=/; HttpOnly", "cookie2=val2; Max-Age=10"]);
    res.end();
  });
  await withResponse(srv, async (resp) => {
    assert.deepEqual(
      [...resp.cookies],
      [
        ["cookie1", "val1"],
        ["cookie2", "val2"],
      ],
    );
  });
  await using none = await fixed("x");
  await withResponse(none, async (resp) => {
    assert.equal(resp.cookies.size, 0);
  });
});

test("aiots: response.cookies reads a quoted value holding ';' whole (as aiohttp's SimpleCookie), not up to the ';'", async () => {
  await using srv = await httpServer((_req, res) => {
    res.setHeader("Set-Cookie", ['a="x;y"; Path=/', 'b="q\\073r"']);
    res.end();
  });
  await withResponse(srv, async (resp) => {
    assert.deepEqual(Object.fromEntries(resp.cookies), { a: "x;y", b: "q;r" });
  });
});

test("aiots: content streams the body (readline / iterChunked)", async () => {
  await using srv = await httpServer((_req, res) => {
    res.write("line1\n");
    res.end("line2\nrest");
  });
  await withResponse(srv, async (resp) => {
    assert.equal((await resp.content.readline()).toString(), "line1\n");
    assert.equal((await resp.content.readline()).toString(), "line2\n");
    assert.equal((await resp.content.read()).toString(), "rest");
    assert.equal((await resp.read()).toString(), "");
  });
});

test("aiots: gzip bodies are decompressed unless autoDecompress is false", async () => {
  const { gzipSync } = await import("node:zlib");
  const zipped = gzipSync(Buffer.from("squeezed"));
  await using srv = await fixed(zipped, { "Content-Encoding": "gzip" });
  await withResponse(srv, async (resp) => {
    assert.equal(await resp.text(), "squeezed");
  });
  await withResponse(
    srv,
    async (resp) => {
      assert.deepEqual(await resp.read(), zipped);
    },
    { autoDecompress: false },
  );
});
