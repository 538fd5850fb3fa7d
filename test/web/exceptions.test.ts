// Port of the behaviour checked by aiohttp's tests/test_web_exceptions.py; each test names the Python
// test it follows. Differences kept on purpose (see src/web/exceptions.ts): the default Content-Type is
// `text/plain; charset=utf-8`, and a Location/Link with CR, LF or NUL is a ValueError (aiohttp escapes it).
import assert from "node:assert/strict";
import { STATUS_CODES } from "node:http";
import { describe, test } from "node:test";
import { CIMultiDict } from "../../src/http/index.js";
import { ArgumentTypeError, ValueError } from "../../src/index.js";
import * as web from "../../src/web/exceptions.js";

const {
  HTTPException,
  HTTPError,
  HTTPSuccessful,
  HTTPRedirection,
  HTTPClientError,
  HTTPServerError,
  HTTPMove,
} = web;
type Cls = typeof web.HTTPException;
type AnyCls = abstract new (...args: never[]) => web.HTTPException;

/** Every concrete class aiohttp has: name, status, category, and how to build one. */
const ALL: [name: keyof typeof web, status: number, base: AnyCls, make?: () => web.HTTPException][] = [
  ["HTTPOk", 200, HTTPSuccessful],
  ["HTTPCreated", 201, HTTPSuccessful],
  ["HTTPAccepted", 202, HTTPSuccessful],
  ["HTTPNonAuthoritativeInformation", 203, HTTPSuccessful],
  ["HTTPNoContent", 204, HTTPSuccessful],
  ["HTTPResetContent", 205, HTTPSuccessful],
  ["HTTPPartialContent", 206, HTTPSuccessful],
  ["HTTPMultipleChoices", 300, HTTPMove, () => new web.HTTPMultipleChoices("/x")],
  ["HTTPMovedPermanently", 301, HTTPMove, () => new web.HTTPMovedPermanently("/x")],
  ["HTTPFound", 302, HTTPMove, () => new web.HTTPFound("/x")],
  ["HTTPSeeOther", 303, HTTPMove, () => new web.HTTPSeeOther("/x")],
  ["HTTPNotModified", 304, HTTPRedirection],
  ["HTTPUseProxy", 305, HTTPMove, () => new web.HTTPUseProxy("/x")],
  ["HTTPTemporaryRedirect", 307, HTTPMove, () => new web.HTTPTemporaryRedirect("/x")],
  ["HTTPPermanentRedirect", 308, HTTPMove, () => new web.HTTPPermanentRedirect("/x")],
  ["HTTPBadRequest", 400, HTTPClientError],
  ["HTTPUnauthorized", 401, HTTPClientError],
  ["HTTPPaymentRequired", 402, HTTPClientError],
  ["HTTPForbidden", 403, HTTPClientError],
  ["HTTPNotFound", 404, HTTPClientError],
  ["HTTPMethodNotAllowed", 405, HTTPClientError, () => new web.HTTPMethodNotAllowed("GET", ["POST"])],
  ["HTTPNotAcceptable", 406, HTTPClientError],
  ["HTTPProxyAuthenticationRequired", 407, HTTPClientError],
  ["HTTPRequestTimeout", 408, HTTPClientError],
  ["HTTPConflict", 409, HTTPClientError],
  ["HTTPGone", 410, HTTPClientError],
  ["HTTPLengthRequired", 411, HTTPClientError],
  ["HTTPPreconditionFailed", 412, HTTPClientError],
  ["HTTPRequestEntityTooLarge", 413, HTTPClientError, () => new web.HTTPRequestEntityTooLarge(1, 2)],
  ["HTTPRequestURITooLong", 414, HTTPClientError],
  ["HTTPUnsupportedMediaType", 415, HTTPClientError],
  ["HTTPRequestRangeNotSatisfiable", 416, HTTPClientError],
  ["HTTPExpectationFailed", 417, HTTPClientError],
  ["HTTPMisdirectedRequest", 421, HTTPClientError],
  ["HTTPUnprocessableEntity", 422, HTTPClientError],
  ["HTTPFailedDependency", 424, HTTPClientError],
  ["HTTPUpgradeRequired", 426, HTTPClientError],
  ["HTTPPreconditionRequired", 428, HTTPClientError],
  ["HTTPTooManyRequests", 429, HTTPClientError],
  ["HTTPRequestHeaderFieldsTooLarge", 431, HTTPClientError],
  [
    "HTTPUnavailableForLegalReasons",
    451,
    HTTPClientError,
    () => new web.HTTPUnavailableForLegalReasons(null),
  ],
  ["HTTPInternalServerError", 500, HTTPServerError],
  ["HTTPNotImplemented", 501, HTTPServerError],
  ["HTTPBadGateway", 502, HTTPServerError],
  ["HTTPServiceUnavailable", 503, HTTPServerError],
  ["HTTPGatewayTimeout", 504, HTTPServerError],
  ["HTTPVersionNotSupported", 505, HTTPServerError],
  ["HTTPVariantAlsoNegotiates", 506, HTTPServerError],
  ["HTTPInsufficientStorage", 507, HTTPServerError],
  ["HTTPNotExtended", 510, HTTPServerError],
  ["HTTPNetworkAuthenticationRequired", 511, HTTPServerError],
];
const EMPTY_BODY = new Set([204, 205, 304]);
const EXPORTS: Record<string, unknown> = { ...web };

describe("every class (table-driven)", () => {
  for (const [name, status, base, make] of ALL) {
    test(`${name}: status ${status}, reason, text, category`, () => {
      const cls = EXPORTS[name] as unknown as new () => web.HTTPException;
      const e = make ? make() : new cls();
      assert.equal(e.constructor, cls);
      assert.equal(e.status, status);
      assert.equal((cls as unknown as Cls).statusCode, status);
      assert.equal(e.reason, STATUS_CODES[status]);
      assert.equal((cls as unknown as Cls).defaultReason, STATUS_CODES[status]);
      assert.equal(e.message, e.reason, "str(exc) is the reason");
      assert.equal(e.name, name);
      assert.ok(e instanceof base && e instanceof HTTPException && e instanceof Error);
      assert.equal(e instanceof HTTPError, status >= 400);
      assert.equal(e.emptyBody, EMPTY_BODY.has(status));
      if (EMPTY_BODY.has(status)) {
        assert.equal(e.text, null, "test_empty_text_204/205/304");
        assert.equal(e.body, null);
        assert.equal(e.headers.has("Content-Type"), false);
      } else if (name !== "HTTPRequestEntityTooLarge") {
        assert.equal(e.text, `${status}: ${STATUS_CODES[status]}`);
        assert.deepEqual(e.body, Buffer.from(e.text!));
      }
    });
  }

  test("test_all_http_exceptions_exported, test_terminal_classes_has_status_code: the table is complete, codes unique", () => {
    const bases = new Set<unknown>([HTTPException, HTTPError, HTTPSuccessful, HTTPRedirection, HTTPMove]);
    bases.add(HTTPClientError).add(HTTPServerError);
    const exported = Object.entries(web)
      .filter(([, v]) => typeof v === "function" && v.prototype instanceof HTTPException && !bases.has(v))
      .map(([k]) => k)
      .sort();
    assert.deepEqual(exported, ALL.map(([n]) => n).sort());
    assert.equal(new Set(ALL.map(([, s]) => s)).size, ALL.length);
  });
});

describe("HTTPException (test_ctor*, test_with_text, test_default_text)", () => {
  test("test_ctor: default text, Content-Type, reason, status", () => {
    const resp = new web.HTTPOk();
    assert.equal(resp.text, "200: OK");
    assert.ok(resp.headers.equals({ "Content-Type": "text/plain; charset=utf-8" }));
    assert.equal(resp.contentType, "text/plain");
    assert.equal(resp.reason, "OK");
    assert.equal(resp.status, 200);
  });

  test("test_ctor_with_headers (plain object, pairs, Headers, CIMultiDict)", () => {
    for (const headers of [
      { "X-Custom": "value" },
      [["X-Custom", "value"]] as [string, string][],
      new Headers({ "X-Custom": "value" }),
      new CIMultiDict({ "X-Custom": "value" }),
    ]) {
      const resp = new web.HTTPOk({ headers });
      assert.equal(resp.text, "200: OK");
      assert.ok(resp.headers.equals({ "Content-Type": "text/plain; charset=utf-8", "x-custom": "value" }));
    }
  });

  test("test_ctor_content_type and TestHTTPOk.test_ctor_all", () => {
    const resp = new web.HTTPOk({
      headers: { "X-Custom": "value" },
      reason: "Done",
      text: "text",
      contentType: "custom",
    });
    assert.equal(resp.text, "text");
    assert.ok(resp.headers.equals({ "X-Custom": "value", "Content-Type": "custom" }));
    assert.equal(resp.reason, "Done");
    assert.equal(resp.message, "Done");
    assert.equal(resp.status, 200);
  });

  test("test_ctor_content_type_without_text and test_ctor_text_for_empty_body", () => {
    const a = new web.HTTPResetContent({ contentType: "custom" });
    assert.equal(a.text, null);
    assert.ok(a.headers.equals({ "Content-Type": "custom" }));
    const b = new web.HTTPResetContent({ text: "text" });
    assert.equal(b.text, "text");
    assert.ok(b.headers.equals({ "Content-Type": "text/plain; charset=utf-8" }));
  });

  test("test_with_text; a header given by the caller wins over the default Content-Type", () => {
    const resp = new web.HTTPNotFound({ text: "Page not found" });
    assert.equal(resp.status, 404);
    assert.equal(resp.text, "Page not found");
    assert.equal(resp.headers.get("content-type"), "text/plain; charset=utf-8");
    const html = new web.HTTPNotFound({ text: "<p>no</p>", headers: { "content-type": "text/html" } });
    assert.deepEqual(html.headers.getAll("Content-Type"), ["text/html"]);
  });

  test("body: bytes instead of text; both is a ValueError", () => {
    const e = new web.HTTPBadRequest({ body: new Uint8Array([1, 2]) });
    assert.equal(e.text, null);
    assert.deepEqual(e.body, new Uint8Array([1, 2]));
    assert.equal(e.contentType, "application/octet-stream");
    assert.throws(() => new web.HTTPBadRequest({ text: "a", body: new Uint8Array() }), ValueError);
    assert.throws(() => new web.HTTPBadRequest({ body: "x" as unknown as Uint8Array }), ArgumentTypeError);
    assert.deepEqual(new web.HTTPBadRequest({ text: "é" }).body, Buffer.from("é", "utf8"));
  });

  test("a reason or header with CR, LF or NUL is refused where it is set (API §2)", () => {
    assert.throws(() => new web.HTTPNotFound({ reason: "Not\r\nX-Evil: 1" }), ValueError);
    assert.throws(() => new web.HTTPNotFound({ reason: "a\0" }), ValueError);
    assert.throws(() => new web.HTTPNotFound({ headers: { "X-A": "a\nb" } }), /"X-A"/);
    assert.throws(() => new web.HTTPNotFound({ headers: { "Bad Name": "v" } }), ValueError);
    assert.throws(
      () => new web.HTTPNotFound().headers.set("X", "a\rb"),
      ValueError,
      "headers stay validated",
    );
  });

  test("test_HTTPException_retains_cause; the base is constructible; throw/catch by category", () => {
    const cause = new Error("CustomException");
    const e = new web.HTTPBadRequest({ cause });
    assert.equal(e.cause, cause);
    const base = new HTTPException();
    assert.equal(base.status, -1);
    assert.equal(base.reason, "");
    try {
      throw new web.HTTPForbidden();
    } catch (err) {
      assert.ok(err instanceof HTTPClientError && !(err instanceof HTTPServerError));
    }
  });
});

describe("TestHTTPFound (HTTPMove)", () => {
  test("test_location_str and test_location_url", () => {
    const exc = new web.HTTPFound("/redirect");
    assert.equal(exc.location, "/redirect");
    assert.equal(exc.headers.get("Location"), "/redirect");
    const abs = new web.HTTPFound(new URL("https://example.com/a?b=1"));
    assert.equal(abs.location, "https://example.com/a?b=1");
    assert.equal(abs.headers.get("location"), "https://example.com/a?b=1");
  });

  test("TestHTTPFound.test_app text: '302: Found'; options pass through", () => {
    const exc = new web.HTTPFound("http://example.com", {
      headers: { "X-Custom": "value" },
      reason: "Wow",
      text: "text",
    });
    assert.equal(exc.reason, "Wow");
    assert.equal(exc.text, "text");
    assert.equal(exc.headers.get("x-custom"), "value");
    assert.equal(new web.HTTPFound("/r").text, "302: Found");
  });

  test("test_empty_location: without a location it is a ValueError", () => {
    assert.throws(() => new web.HTTPFound(""), /HTTP redirects need a location to redirect to\./);
    assert.throws(() => new web.HTTPFound(null as unknown as string), ValueError);
    assert.throws(() => new (web.HTTPFound as unknown as new () => unknown)(), ValueError);
    assert.throws(() => new web.HTTPFound(42 as unknown as string), ArgumentTypeError);
  });

  test("test_location_CRLF: CR, LF, NUL or a bare CR in the location is a ValueError naming Location", () => {
    for (const bad of ["/redirect\r\n", "/a\nb", "/a\rb", "/a\0"])
      assert.throws(
        () => new web.HTTPSeeOther(bad),
        (e: unknown) => e instanceof ValueError && /"Location"/.test(e.message),
      );
  });
});

describe("TestHTTPMethodNotAllowed", () => {
  test("test_ctor: Allow lists the methods sorted; method and allowedMethods kept", () => {
    const resp = new web.HTTPMethodNotAllowed("GET", ["PUT", "POST"], {
      headers: { "X-Custom": "value" },
      reason: "Unsupported",
      text: "text",
      contentType: "custom",
    });
    assert.equal(resp.method, "GET");
    assert.deepEqual(resp.allowedMethods, new Set(["POST", "PUT"]));
    assert.equal(resp.text, "text");
    assert.ok(resp.headers.equals({ "X-Custom": "value", "Content-Type": "custom", Allow: "POST,PUT" }));
    assert.equal(resp.reason, "Unsupported");
    assert.equal(resp.status, 405);
  });

  test("Allow from any iterable (a Set), and an empty one", () => {
    assert.equal(
      new web.HTTPMethodNotAllowed("DELETE", new Set(["POST", "GET", "HEAD"])).headers.get("Allow"),
      "GET,HEAD,POST",
    );
    assert.equal(new web.HTTPMethodNotAllowed("DELETE", []).headers.get("Allow"), "");
  });
});

describe("TestHTTPRequestEntityTooLarge", () => {
  test("test_ctor: aiohttp's text with both sizes", () => {
    const resp = new web.HTTPRequestEntityTooLarge(100, 123, {
      headers: { "X-Custom": "value" },
      reason: "Too large",
    });
    assert.equal(resp.text, "Maximum request body size 100 exceeded, actual body size 123");
    assert.ok(resp.headers.equals({ "X-Custom": "value", "Content-Type": "text/plain; charset=utf-8" }));
    assert.equal(resp.reason, "Too large");
    assert.equal(resp.status, 413);
    assert.equal(resp.maxSize, 100);
    assert.equal(resp.actualSize, 123);
  });

  test("an explicit text wins (kwargs.setdefault)", () => {
    assert.equal(new web.HTTPRequestEntityTooLarge(1, 2, { text: "too big" }).text, "too big");
  });
});

describe("TestHTTPUnavailableForLegalReasons", () => {
  test("test_ctor and test_link_str / test_link_url", () => {
    const exc = new web.HTTPUnavailableForLegalReasons("http://warning.or.kr/", {
      headers: { "X-Custom": "value" },
      reason: "Zaprescheno",
      text: "text",
      contentType: "custom",
    });
    assert.equal(exc.link, "http://warning.or.kr/");
    assert.ok(
      exc.headers.equals({
        "X-Custom": "value",
        "Content-Type": "custom",
        Link: '<http://warning.or.kr/>; rel="blocked-by"',
      }),
    );
    assert.equal(exc.status, 451);
    const url = new web.HTTPUnavailableForLegalReasons(new URL("http://warning.or.kr/"));
    assert.equal(url.headers.get("Link"), '<http://warning.or.kr/>; rel="blocked-by"');
  });

  test("test_no_link, test_none_link, test_empty_link", () => {
    assert.throws(
      () => new (web.HTTPUnavailableForLegalReasons as unknown as new () => unknown)(),
      ArgumentTypeError,
    );
    for (const link of [null, ""]) {
      const exc = new web.HTTPUnavailableForLegalReasons(link);
      assert.equal(exc.link, null);
      assert.equal(exc.headers.has("Link"), false);
    }
  });

  test("test_link_CRLF: refused with a ValueError", () => {
    assert.throws(() => new web.HTTPUnavailableForLegalReasons("http://warning.or.kr/\r\n"), ValueError);
  });
});

describe("instanceof (branded classes)", () => {
  test("a second copy of the module (another aiots in the process) agrees on instanceof", async () => {
    const other = (await import(`../../src/web/exceptions.ts?copy=${Date.now()}`)) as typeof web;
    assert.notEqual(other.HTTPNotFound, web.HTTPNotFound);
    const e = new other.HTTPNotFound();
    assert.ok(
      e instanceof web.HTTPNotFound && e instanceof web.HTTPClientError && e instanceof web.HTTPException,
    );
    assert.ok(!(e instanceof web.HTTPForbidden) && !(e instanceof web.HTTPServerError));
    assert.ok(new web.HTTPFound("/") instanceof other.HTTPMove);
  });

  test("a user's subclass keeps ordinary instanceof", () => {
    class NotFoundHere extends web.HTTPNotFound {}
    assert.ok(new NotFoundHere() instanceof web.HTTPNotFound);
    assert.ok(new NotFoundHere() instanceof NotFoundHere);
    assert.ok(!(new web.HTTPNotFound() instanceof NotFoundHere));
    assert.equal(new NotFoundHere().name, "NotFoundHere");
  });
});
