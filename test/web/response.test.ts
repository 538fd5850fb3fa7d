// Port of the behaviour checked by aiohttp's tests/test_web_response.py (each title names the aiohttp
// test it follows; "aiots:" titles are our own). Property checks are unit tests; everything that needs
// prepare()/write() goes through a real socket (`TestClient` in `asyncio.run`, or a raw socket where
// the framing matters). Cookies and compression are not in scope here.
//
// Differences from aiohttp kept on purpose (see src/web/response.ts): `Content-Type` and
// `Content-Length` live in their own properties rather than in `headers`; a wrong type is a TypeError
// (aiohttp: AssertionError/ValueError); a call out of order (write before prepare …) is a RuntimeError;
// a Response's `contentLength` is fixed when it is prepared; text is encoded with its charset only for
// the encodings Node has (UTF-8, Latin-1, ASCII, UTF-16LE) — any other is refused with a ValueError.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CIMultiDict, CIMultiDictProxy } from "../../src/http/index.js";
import { RuntimeError, ValueError } from "../../src/index.js";
import { makeMockedRequest, TestClient, TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { inLoop } from "../helpers.js";
import { captureWebLog, rawExchange } from "./helpers.js";

type H = (request: web.Request) => web.HandlerResult;

/** An app answering GET `path` with `handler`. */
function appWith(handler: H, path = "/"): web.Application {
  const app = new web.Application();
  app.router.addGet(path, handler);
  return app;
}

/** A raw GET of `/` asking the server to close the connection after its answer. */
const GET_CLOSE = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/** What a synchronous call threw (or undefined). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("StreamResponse: properties (test_web_response.py)", () => {
  test("test_stream_response_ctor", () => {
    const resp = new web.StreamResponse();
    assert.equal(resp.status, 200);
    assert.equal(resp.reason, "OK");
    assert.equal(resp.prepared, false);
    assert.equal(resp.contentLength, null);
    assert.equal(resp.charset, null);
    assert.equal(resp.bodyLength, 0);
  });

  test("test_stream_response_ctor: status, reason and headers from the options", () => {
    const resp = new web.StreamResponse({ status: 418, reason: "Teapot", headers: { "X-A": "1" } });
    assert.equal(resp.status, 418);
    assert.equal(resp.reason, "Teapot");
    assert.equal(resp.headers.get("x-a"), "1");
  });

  test("test_content_length and test_content_length_setter", () => {
    const resp = new web.StreamResponse();
    assert.equal(resp.contentLength, null);
    resp.contentLength = 234;
    assert.equal(resp.contentLength, 234);
  });

  test("test_drop_content_length_header_on_setting_len_to_None / test_set_content_length_to_None_on_non_set", () => {
    const resp = new web.StreamResponse();
    resp.contentLength = null;
    assert.equal(resp.contentLength, null);
    resp.contentLength = 1;
    resp.contentLength = null;
    assert.equal(resp.contentLength, null);
    assert.equal(resp.headers.has("Content-Length"), false);
  });

  test("aiots: contentLength refuses a negative or fractional length", () => {
    const resp = new web.StreamResponse();
    assert.throws(() => {
      resp.contentLength = -1;
    }, ValueError);
    assert.throws(() => {
      resp.contentLength = 1.5;
    }, ValueError);
    assert.equal(resp.contentLength, null);
  });

  test("test_setting_content_type / test_default_content_type_in_stream_response", () => {
    const resp = new web.StreamResponse();
    assert.equal(resp.contentType, "application/octet-stream");
    resp.contentType = "text/html";
    assert.equal(resp.contentType, "text/html");
  });

  test("test_default_charset / test_reset_charset / test_reset_charset_after_setting", () => {
    const resp = new web.StreamResponse();
    assert.equal(resp.charset, null);
    resp.contentType = "text/html";
    resp.charset = "koi8-r";
    assert.equal(resp.charset, "koi8-r");
    resp.charset = null;
    assert.equal(resp.charset, null);
  });

  test("test_set_status_with_reason", () => {
    const resp = new web.StreamResponse();
    resp.setStatus(200, "Everything is fine!");
    assert.equal(resp.status, 200);
    assert.equal(resp.reason, "Everything is fine!");
  });

  test("test_set_status_with_empty_reason", () => {
    const resp = new web.StreamResponse();
    resp.setStatus(200, "");
    assert.equal(resp.status, 200);
    assert.equal(resp.reason, "");
  });

  test("aiots: setStatus without a reason takes the status's standard one", () => {
    const resp = new web.StreamResponse({ reason: "Custom" });
    resp.setStatus(404);
    assert.equal(resp.reason, "Not Found");
  });

  test("aiots: an invalid status is refused (ctor and setStatus)", () => {
    assert.throws(() => new web.StreamResponse({ status: 42 }), ValueError);
    const resp = new web.StreamResponse();
    assert.throws(() => resp.setStatus(1000), ValueError);
    assert.throws(() => resp.setStatus("200" as unknown as number), TypeError);
    assert.equal(resp.status, 200);
  });

  for (const [name, reason] of [
    ["test_set_status_reason_with_cr", "OK\rSet-Cookie: evil=1"],
    ["test_set_status_reason_with_lf", "OK\nSet-Cookie: evil=1"],
    ["test_set_status_reason_with_crlf", "OK\r\nSet-Cookie: evil=1"],
    ["aiots: a reason with NUL is refused", "OK\0"],
  ] as const) {
    test(name, () => {
      const resp = new web.StreamResponse();
      assert.throws(() => resp.setStatus(200, reason), ValueError);
      assert.throws(() => new web.StreamResponse({ reason }), ValueError);
      assert.equal(resp.reason, "OK");
    });
  }

  test("aiots: header names and values with CR, LF or NUL are refused where they are set", () => {
    const resp = new web.StreamResponse();
    for (const bad of ["a\rb", "a\nb", "a\r\nSet-Cookie: x=1", "a\0b"]) {
      assert.throws(() => resp.headers.set("X-Test", bad), ValueError, JSON.stringify(bad));
      assert.throws(() => resp.headers.add("X-Test", bad), ValueError, JSON.stringify(bad));
      assert.throws(() => new web.Response({ headers: { "X-Test": bad } }), ValueError, JSON.stringify(bad));
    }
    assert.throws(() => resp.headers.set("X Test", "v"), ValueError);
    assert.throws(() => resp.headers.set("X-Test\r\n", "v"), ValueError);
    assert.equal(resp.headers.has("X-Test"), false);
  });

  test("aiots: contentType and charset with CR, LF or NUL are refused", () => {
    const resp = new web.StreamResponse();
    assert.throws(() => {
      resp.contentType = "text/html\r\nX-Evil: 1";
    }, ValueError);
    assert.throws(() => {
      resp.charset = "utf-8\n";
    }, ValueError);
    assert.throws(() => new web.Response({ contentType: "text/plain\0" }), ValueError);
    assert.equal(resp.contentType, "application/octet-stream");
    assert.equal(resp.charset, null);
  });

  test("test_force_close", () => {
    const resp = new web.StreamResponse();
    assert.equal(resp.keepAlive, true);
    resp.forceClose();
    assert.equal(resp.keepAlive, false);
  });

  test("test_prepared_when_not_started", () => {
    assert.equal(new web.StreamResponse().prepared, false);
  });

  test("test___repr___not_prepared", () => {
    assert.equal(String(new web.StreamResponse({ reason: "foo" })), "<StreamResponse 200 foo not prepared>");
  });

  test("test_write_before_start", async () => {
    const resp = new web.StreamResponse();
    await assert.rejects(resp.write(Buffer.from("data")), RuntimeError);
  });

  test("test_cannot_write_eof_before_headers", async () => {
    const resp = new web.StreamResponse();
    await assert.rejects(resp.writeEof(), RuntimeError);
  });

  test("aiots: a response cannot be prepared for a mocked request (no connection)", async () => {
    const resp = new web.StreamResponse();
    await assert.rejects(resp.prepare(makeMockedRequest("GET", "/")), RuntimeError);
    assert.equal(resp.prepared, false);
  });
});

describe("Response: body, text, content type (test_web_response.py)", () => {
  test("test_response_ctor", () => {
    const resp = new web.Response();
    assert.equal(resp.status, 200);
    assert.equal(resp.reason, "OK");
    assert.equal(resp.body, null);
    assert.equal(resp.text, null);
    assert.equal(resp.headers.has("Content-Length"), false);
  });

  test("test_ctor_with_headers_and_status", () => {
    const resp = new web.Response({
      body: Buffer.from("body"),
      status: 201,
      headers: { Age: "12", DATE: "date" },
    });
    assert.equal(resp.status, 201);
    assert.deepEqual(resp.body, Buffer.from("body"));
    assert.equal(resp.headers.get("AGE"), "12");
    assert.equal(resp.headers.get("date"), "date");
  });

  test("test_ctor_content_type", () => {
    const resp = new web.Response({ contentType: "application/json" });
    assert.equal(resp.status, 200);
    assert.equal(resp.contentType, "application/json");
    assert.equal(resp.charset, null);
  });

  test("test_ctor_text_body_combined", () => {
    assert.throws(() => new web.Response({ body: Buffer.from("123"), text: "test text" }), ValueError);
  });

  test("test_ctor_text", () => {
    const resp = new web.Response({ text: "test text" });
    assert.equal(resp.status, 200);
    assert.equal(resp.text, "test text");
    assert.equal(resp.contentType, "text/plain");
    assert.equal(resp.charset, "utf-8");
  });

  test("test_ctor_charset_default_utf8", () => {
    assert.equal(new web.Response({ text: "test test" }).charset, "utf-8");
  });

  test("test_ctor_charset_in_content_type", () => {
    assert.throws(
      () => new web.Response({ text: "test test", contentType: "text/plain; charset=utf-8" }),
      ValueError,
    );
  });

  test("test_ctor_charset_without_text", () => {
    const resp = new web.Response({ contentType: "text/plain", charset: "koi8-r" });
    assert.equal(resp.charset, "koi8-r");
  });

  test("test_ctor_charset (Latin-1: Node has no koi8-r encoder)", () => {
    const resp = new web.Response({ text: "café", charset: "latin1" });
    assert.deepEqual(Buffer.from(resp.body as Uint8Array), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    assert.equal(resp.text, "café");
    assert.equal(resp.charset, "latin1");
  });

  test("aiots: text whose charset Node cannot encode is refused, never sent as UTF-8", () => {
    assert.throws(() => new web.Response({ text: "текст", charset: "koi8-r" }), ValueError);
    assert.throws(() => new web.Response({ text: "текст", charset: "latin1" }), ValueError);
    const resp = new web.Response({ contentType: "text/plain", charset: "koi8-r" });
    assert.throws(() => {
      resp.text = "текст";
    }, ValueError);
    assert.equal(resp.body, null);
  });

  test("test_ctor_both_content_type_param_and_header_with_text", () => {
    assert.throws(
      () =>
        new web.Response({
          headers: { "Content-Type": "application/json" },
          contentType: "text/html",
          text: "text",
        }),
      ValueError,
    );
  });

  test("test_ctor_both_charset_param_and_header_with_text", () => {
    assert.throws(
      () =>
        new web.Response({
          headers: { "Content-Type": "application/json" },
          charset: "koi8-r",
          text: "text",
        }),
      ValueError,
    );
  });

  test("test_ctor_both_content_type_param_and_header", () => {
    assert.throws(
      () => new web.Response({ headers: { "Content-Type": "application/json" }, contentType: "text/html" }),
      ValueError,
    );
  });

  test("test_ctor_both_charset_param_and_header", () => {
    assert.throws(
      () => new web.Response({ headers: { "Content-Type": "application/json" }, charset: "koi8-r" }),
      ValueError,
    );
  });

  test("test_text_in_ctor_with_content_type", () => {
    const resp = new web.Response({ text: "data", contentType: "text/html" });
    assert.equal(resp.text, "data");
    assert.equal(resp.contentType, "text/html");
    assert.equal(resp.charset, "utf-8");
  });

  test("test_text_in_ctor_with_content_type_header (and its multidict form)", () => {
    for (const headers of [
      { "Content-Type": "text/html; charset=latin1" },
      new CIMultiDict({ "Content-Type": "text/html; charset=latin1" }),
    ]) {
      const resp = new web.Response({ text: "é", headers });
      assert.deepEqual(Buffer.from(resp.body as Uint8Array), Buffer.from([0xe9]));
      assert.equal(resp.contentType, "text/html");
      assert.equal(resp.charset, "latin1");
    }
  });

  test("test_body_in_ctor_with_content_type_header_multidict", () => {
    const headers = new CIMultiDict({ "Content-Type": "text/html; charset=koi8-r" });
    const bytes = Buffer.from([0xd4, 0xc5, 0xcb, 0xd3, 0xd4]); // "текст" in KOI8-R
    const resp = new web.Response({ body: bytes, headers });
    assert.deepEqual(resp.body, bytes);
    assert.equal(resp.contentType, "text/html");
    assert.equal(resp.charset, "koi8-r");
    assert.equal(resp.text, "текст");
  });

  test("test_response_with_immutable_headers", () => {
    const resp = new web.Response({
      text: "text",
      headers: new CIMultiDictProxy(new CIMultiDict({ Header: "Value" })),
    });
    assert.deepEqual([...resp.headers], [["Header", "Value"]]);
    assert.equal(resp.contentType, "text/plain");
  });

  test("test_assign_nonbyteish_body", () => {
    const resp = new web.Response({ body: Buffer.from("data") });
    assert.throws(() => {
      resp.body = 123 as unknown as Uint8Array;
    }, TypeError);
    assert.deepEqual(resp.body, Buffer.from("data"));
  });

  test("test_assign_nonstr_text", () => {
    const resp = new web.Response({ text: "test" });
    assert.throws(() => {
      resp.text = Buffer.from("123") as unknown as string;
    }, TypeError);
    assert.equal(resp.text, "test");
  });

  test("test_nonstr_text_in_ctor", () => {
    assert.throws(() => new web.Response({ text: Buffer.from("data") as unknown as string }), TypeError);
  });

  test("test_set_text_with_content_type", () => {
    const resp = new web.Response();
    resp.contentType = "text/html";
    resp.text = "text";
    assert.equal(resp.text, "text");
    assert.equal(resp.contentType, "text/html");
    assert.equal(resp.charset, "utf-8");
  });

  test("test_set_text_with_charset", () => {
    const resp = new web.Response();
    resp.contentType = "text/plain";
    resp.charset = "latin1";
    resp.text = "déjà";
    assert.equal(resp.text, "déjà");
    assert.deepEqual(Buffer.from(resp.body as Uint8Array), Buffer.from("déjà", "latin1"));
    assert.equal(resp.charset, "latin1");
  });

  test("test_default_content_type_in_response / test_content_type_with_set_text / test_content_type_with_set_body", () => {
    assert.equal(new web.Response().contentType, "application/octet-stream");
    assert.equal(new web.Response({ text: "text" }).contentType, "text/plain");
    assert.equal(new web.Response({ body: Buffer.from("body") }).contentType, "application/octet-stream");
  });

  test("test_text_with_empty_payload", () => {
    const resp = new web.Response({ status: 200 });
    assert.equal(resp.body, null);
    assert.equal(resp.text, null);
  });
});

describe("jsonResponse (test_web_response.py TestJSONResponse)", () => {
  test("test_content_type_is_application_json_by_default", () => {
    const resp = web.jsonResponse("");
    assert.equal(resp.contentType, "application/json");
    assert.equal(resp.charset, "utf-8");
  });

  test("test_text_is_json_encoded", () => {
    assert.equal(web.jsonResponse({ foo: 42 }).text, JSON.stringify({ foo: 42 }));
  });

  test("test_content_type_is_overrideable", () => {
    assert.equal(
      web.jsonResponse({ foo: 42 }, { contentType: "application/vnd.json+api" }).contentType,
      "application/vnd.json+api",
    );
  });

  test("aiots: a custom dumps is used, status and headers are kept", () => {
    const seen: unknown[] = [];
    const resp = web.jsonResponse(
      { a: 1 },
      {
        status: 201,
        headers: { "X-Json": "yes" },
        dumps: (d) => {
          seen.push(d);
          return "<custom>";
        },
      },
    );
    assert.deepEqual(seen, [{ a: 1 }]);
    assert.equal(resp.text, "<custom>");
    assert.equal(resp.status, 201);
    assert.equal(resp.headers.get("x-json"), "yes");
  });

  test("aiots: a dumps that does not return a string is a TypeError", () => {
    assert.throws(
      () => web.jsonResponse({}, { dumps: () => Buffer.from("{}") as unknown as string }),
      TypeError,
    );
    assert.throws(() => web.jsonResponse(undefined), TypeError);
  });
});

describe("StreamResponse and Response on the wire (test_web_response.py, functional)", () => {
  test("test_chunked_encoding: no length → chunked", async () => {
    const app = appWith(async (req) => {
      const resp = new web.StreamResponse();
      await resp.prepare(req);
      await resp.write(Buffer.from("ab"));
      await resp.write("cd");
      await resp.writeEof();
      return resp;
    });
    await using server = await new TestServer(app).start();
    const { text: raw } = await rawExchange(server.port, GET_CLOSE);
    const [head, body] = raw.split("\r\n\r\n", 2) as [string, string];
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nTransfer-Encoding: chunked(\r\n|$)/i);
    assert.doesNotMatch(head, /Content-Length/i);
    assert.equal(raw.slice(head.length + 4), "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n");
    assert.ok(body.startsWith("2\r\nab"));
  });

  test(
    "test_content_length_setter: a length set before prepare is sent, not chunked",
    inLoop(async () => {
      const app = appWith(async (req) => {
        const resp = new web.StreamResponse();
        resp.contentLength = 4;
        await resp.prepare(req);
        await resp.write("da");
        await resp.writeEof("ta");
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.headers.get("content-length"), "4");
      assert.equal(res.headers.has("transfer-encoding"), false);
      assert.equal(await res.text(), "data");
    }),
  );

  test(
    "test_setting_charset: the Content-Type header carries the charset",
    inLoop(async () => {
      const app = appWith(async (req) => {
        const resp = new web.StreamResponse();
        resp.contentType = "text/html";
        resp.charset = "koi8-r";
        await resp.prepare(req);
        await resp.writeEof(Buffer.from([0xd4, 0xc5, 0xcb, 0xd3, 0xd4]));
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.headers.get("content-type"), "text/html; charset=koi8-r");
      const bytes = await res.read();
      assert.equal(new TextDecoder("koi8-r").decode(bytes), "текст");
    }),
  );

  test(
    "test_start / test_prepare_twice / test_prepared_when_started / test_prepared_after_eof",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = appWith(async (req) => {
        const resp = new web.StreamResponse();
        seen.push(resp.prepared);
        await resp.prepare(req);
        seen.push(resp.prepared);
        await resp.prepare(req); // idempotent: nothing is sent twice
        await resp.write("data");
        await resp.writeEof();
        seen.push(resp.prepared, resp.bodyLength);
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "data");
      assert.deepEqual(seen, [false, true, true, 4]);
    }),
  );

  test(
    "test_cannot_write_after_eof / test_cannot_write_eof_twice",
    inLoop(async () => {
      const seen: string[] = [];
      const app = appWith(async (req) => {
        const resp = new web.StreamResponse();
        await resp.prepare(req);
        await resp.write("data");
        await resp.writeEof();
        try {
          await resp.write("next data");
          seen.push("written");
        } catch (e) {
          seen.push(e instanceof RuntimeError ? "RuntimeError" : String(e));
        }
        await resp.writeEof(); // a second writeEof does nothing
        seen.push(`eof twice ok, body ${resp.bodyLength}`);
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(await res.text(), "data");
      assert.deepEqual(seen, ["RuntimeError", "eof twice ok, body 4"]);
    }),
  );

  test(
    "test_write_non_byteish",
    inLoop(async () => {
      const seen: unknown[] = [];
      const app = appWith(async (req) => {
        const resp = new web.StreamResponse();
        await resp.prepare(req);
        seen.push(await resp.write(123 as unknown as string).catch((e: unknown) => e));
        await resp.writeEof();
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(await res.text(), "");
      assert.equal(seen.length, 1);
      assert.ok(seen[0] instanceof TypeError);
    }),
  );

  test(
    "test_changing_status_after_prepare_raises (and every other header-bound property)",
    inLoop(async () => {
      const seen: string[] = [];
      const app = appWith(async (req) => {
        const resp = new web.StreamResponse();
        await resp.prepare(req);
        const attempts: [string, () => void][] = [
          ["setStatus", () => resp.setStatus(400)],
          ["contentType", () => (resp.contentType = "text/html")],
          ["charset", () => (resp.charset = "utf-8")],
          ["contentLength", () => (resp.contentLength = 3)],
        ];
        for (const [what, fn] of attempts) {
          const e = thrownBy(fn);
          seen.push(`${what}: ${e instanceof RuntimeError ? "RuntimeError" : String(e)}`);
        }
        await resp.writeEof("ok");
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "ok");
      assert.deepEqual(seen, [
        "setStatus: RuntimeError",
        "contentType: RuntimeError",
        "charset: RuntimeError",
        "contentLength: RuntimeError",
      ]);
    }),
  );

  test(
    "aiots: a Response's body cannot change after prepare",
    inLoop(async () => {
      const seen: string[] = [];
      const app = appWith(async (req) => {
        const resp = new web.Response({ text: "first" });
        await resp.prepare(req);
        const e = thrownBy(() => (resp.body = "second"));
        seen.push(e instanceof RuntimeError ? "RuntimeError" : String(e));
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(await res.text(), "first");
      assert.deepEqual(seen, ["RuntimeError"]);
    }),
  );

  test(
    "test___repr__ after prepare",
    inLoop(async () => {
      const seen: string[] = [];
      const app = appWith(async (req) => {
        const resp = new web.StreamResponse({ reason: "foo" });
        await resp.prepare(req);
        seen.push(String(resp));
        await resp.writeEof();
        return resp;
      });
      await using client = await new TestClient(app).start();
      await (await client.get("/")).text();
      assert.deepEqual(seen, ["<StreamResponse 200 foo>"]);
    }),
  );

  test(
    "test_ctor_text: status, Content-Type and Content-Length on the wire",
    inLoop(async () => {
      await using client = await new TestClient(
        appWith(() => new web.Response({ text: "test text" })),
      ).start();
      const res = await client.get("/");
      assert.equal(res.status, 200);
      assert.equal(res.reason, "OK");
      assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(res.headers.get("content-length"), "9");
      assert.equal(await res.text(), "test text");
    }),
  );

  test(
    "aiots: Content-Length counts bytes, not characters",
    inLoop(async () => {
      await using client = await new TestClient(appWith(() => new web.Response({ text: "привет" }))).start();
      const res = await client.get("/");
      assert.equal(res.headers.get("content-length"), String(Buffer.byteLength("привет")));
      assert.equal(await res.text(), "привет");
    }),
  );

  test(
    "test_ctor_charset on the wire: Latin-1 text is sent as Latin-1 bytes",
    inLoop(async () => {
      await using client = await new TestClient(
        new TestServer(appWith(() => new web.Response({ text: "café", charset: "latin1" }))),
      ).start();
      const res = await client.get("/");
      assert.equal(res.headers.get("content-type"), "text/plain; charset=latin1");
      assert.equal(res.headers.get("content-length"), "4");
      assert.deepEqual(await res.read(), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    }),
  );

  test(
    "test_ctor_content_type_with_extra: parameters are kept, charset appended",
    inLoop(async () => {
      const app = appWith(() => new web.Response({ text: "x", contentType: "text/plain; version=0.0.4" }));
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    }),
  );

  test("test_send_headers_for_empty_body: Content-Length: 0", async () => {
    await using server = await new TestServer(appWith(() => new web.Response())).start();
    const { text: raw } = await rawExchange(server.port, GET_CLOSE);
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw, /\r\nContent-Length: 0\r\n/i);
    assert.doesNotMatch(raw, /Content-Type/i);
    assert.ok(raw.endsWith("\r\n\r\n"));
  });

  test(
    "test_ctor_with_headers_and_status on the wire (custom reason too)",
    inLoop(async () => {
      const app = appWith(
        () =>
          new web.Response({
            body: Buffer.from("body"),
            status: 201,
            reason: "Made It",
            headers: { Age: "12" },
          }),
      );
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.status, 201);
      assert.equal(res.reason, "Made It");
      assert.equal(res.headers.get("age"), "12");
      assert.equal(res.headers.get("content-length"), "4");
      assert.equal(res.headers.has("content-type"), false);
      assert.equal(await res.text(), "body");
    }),
  );

  test(
    "test_response_with_content_length_header_without_body: the real length is sent",
    inLoop(async () => {
      const app = appWith(() => new web.Response({ body: "abc", headers: { "Content-Length": "100" } }));
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.headers.get("content-length"), "3");
      assert.equal(await res.text(), "abc");
    }),
  );

  test("aiots: one Content-Type on the wire when a handler sets it through headers", async () => {
    const app = appWith(() => {
      const resp = new web.Response({ text: "<b>x</b>" });
      resp.headers.set("Content-Type", "text/html; charset=utf-8");
      return resp;
    });
    await using server = await new TestServer(app).start();
    const { text: raw } = await rawExchange(server.port, GET_CLOSE);
    assert.deepEqual(raw.match(/^Content-Type: .*$/gim), ["Content-Type: text/html; charset=utf-8"]);
    assert.deepEqual(raw.match(/^Content-Length: .*$/gim), ["Content-Length: 8"]);
  });

  test("aiots: a header added twice is sent twice", async () => {
    const app = appWith(() => {
      const resp = new web.Response({ text: "x" });
      resp.headers.add("X-Multi", "1");
      resp.headers.add("x-multi", "2");
      return resp;
    });
    await using server = await new TestServer(app).start();
    const { text: raw } = await rawExchange(server.port, GET_CLOSE);
    assert.deepEqual(raw.match(/^X-Multi: .*$/gim), ["X-Multi: 1", "x-multi: 2"]);
  });

  for (const status of [204, 304]) {
    test(`test_rm_content_length_1xx_204_304_responses (${status})`, async () => {
      const app = appWith(() => new web.Response({ status, body: "answer" }));
      await using server = await new TestServer(app).start();
      const { text: raw } = await rawExchange(server.port, GET_CLOSE);
      assert.match(raw, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.doesNotMatch(raw, /Content-Length/i);
      assert.doesNotMatch(raw, /Transfer-Encoding/i);
      assert.ok(raw.endsWith("\r\n\r\n"), "no body");
    });
  }

  test("test_head_response_keeps_content_length_of_original_body", async () => {
    await using server = await new TestServer(
      appWith(() => new web.Response({ body: Buffer.from("answer") })),
    ).start();
    const { text: raw } = await rawExchange(
      server.port,
      "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw, /\r\nContent-Length: 6\r\n/i);
    assert.ok(raw.endsWith("\r\n\r\n"), "HEAD has no body");
  });

  test("test_start_force_close: Connection: close is sent", async () => {
    const app = appWith(() => {
      const resp = new web.Response({ text: "bye" });
      resp.forceClose();
      return resp;
    });
    await using server = await new TestServer(app).start();
    const { text: raw } = await rawExchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match(raw, /\r\nConnection: close\r\n/i);
    assert.ok(raw.endsWith("bye"));
  });

  test(
    "aiots: write() waits for a slow client and every byte arrives, in order",
    inLoop(async () => {
      const chunk = Buffer.alloc(256 * 1024);
      const app = appWith(async (req) => {
        const resp = new web.StreamResponse();
        resp.contentLength = chunk.length * 16;
        await resp.prepare(req);
        for (let i = 0; i < 16; i++) await resp.write(chunk.fill(i));
        await resp.writeEof();
        return resp;
      });
      await using client = await new TestClient(app).start();
      const body = await (await client.get("/")).read();
      assert.equal(body.length, chunk.length * 16);
      for (let i = 0; i < 16; i++) assert.equal(body[i * chunk.length], i);
    }),
  );

  test(
    "aiots: a handler returning a StreamResponse it never prepared gets it prepared and ended",
    inLoop(async () => {
      const app = appWith(() => {
        const resp = new web.StreamResponse({ status: 202 });
        resp.headers.set("X-Lazy", "1");
        return resp;
      });
      await using client = await new TestClient(app).start();
      const res = await client.get("/");
      assert.equal(res.status, 202);
      assert.equal(res.headers.get("x-lazy"), "1");
      assert.equal(await res.text(), "");
    }),
  );

  test("aiots: a header value with CR/LF set in a handler is never sent (500, logged)", async () => {
    const app = appWith(() => {
      const resp = new web.Response({ text: "x" });
      resp.headers.set("X-Evil", "a\r\nSet-Cookie: pwned=1");
      return resp;
    });
    const { result: raw, logs: records } = await captureWebLog(async () => {
      await using server = await new TestServer(app).start();
      return (await rawExchange(server.port, GET_CLOSE)).text;
    });
    assert.match(raw, /^HTTP\/1\.1 500 /);
    assert.doesNotMatch(raw, /pwned/);
    assert.equal(records.length, 1);
    assert.match(records[0]!, /^error: Error handling request GET \//);
  });
});
