// Port of the behaviour checked by aiohttp's tests/test_cookie_helpers.py (the parsing side, for a
// request's `Cookie` header) and of the serializing side of its `set_cookie`/`del_cookie` (Python's
// `Morsel.OutputString`, as tests/test_web_response.py sees it). Each title names the aiohttp test it
// follows; "aiots:" titles are our own.
//
// Differences kept on purpose: a `Cookie` header carries no attributes, so `Path=/` there is a cookie
// named `Path` (aiohttp's `parse_cookie_header` does the same; its `parse_cookie_headers` is for
// `Set-Cookie`, which the client side parses); a name without `=` is a cookie with an empty value;
// values are split on `;` only, so `a=1, b=2` is one cookie `a` with the value `1, b=2` (as browsers).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  checkCookieName,
  checkCookieValue,
  parseCookieHeader,
  parseCookies,
  quoteCookieValue,
  serializeDeleteCookie,
  serializeSetCookie,
} from "../../src/http/index.js";
import { ArgumentTypeError, ValueError } from "../../src/index.js";

const parsed = (header: string): Record<string, string> => Object.fromEntries(parseCookies(header));

describe("parseCookieHeader", () => {
  test("test_parse_cookie_headers_simple: pairs in order", () => {
    assert.deepEqual(parseCookieHeader("name=value; session=abc123"), [
      ["name", "value"],
      ["session", "abc123"],
    ]);
  });

  test("test_parse_cookie_headers_special_chars_in_names: {}, [], (), :, @ and / are accepted", () => {
    assert.deepEqual(
      parsed(
        "ISAWPLB{A7F52349-3531-4DA9-8776-F74BC6F4F1BB}=value1; cookie[index]=value2; cookie(param)=value3; cookie:name=value4; cookie@domain=value5; a/b=value6",
      ),
      {
        "ISAWPLB{A7F52349-3531-4DA9-8776-F74BC6F4F1BB}": "value1",
        "cookie[index]": "value2",
        "cookie(param)": "value3",
        "cookie:name": "value4",
        "cookie@domain": "value5",
        "a/b": "value6",
      },
    );
  });

  test("test_parse_cookie_headers_invalid_names: whitespace and control characters skip the pair only", () => {
    assert.deepEqual(parsed("invalid\tcookie=value; ok=1"), { ok: "1" });
    assert.deepEqual(parsed("\x00badname=value; ok=2"), { ok: "2" });
    assert.deepEqual(parsed("name with spaces=value; ok=3"), { ok: "3" });
    assert.deepEqual(parsed('bad"name=1; invalid,cookie=2; ok=4'), { ok: "4" });
  });

  test("test_parse_cookie_headers_empty_and_invalid: empty header, blank, no name", () => {
    assert.deepEqual(parseCookieHeader(""), []);
    assert.deepEqual(parseCookieHeader("   "), []);
    assert.deepEqual(parseCookieHeader(";;; ;"), []);
    assert.deepEqual(parseCookieHeader("=value"), []);
    assert.deepEqual(parsed("name="), { name: "" });
  });

  test('test_parse_cookie_headers_quoted_values: quotes removed, `;` and `\\"` inside', () => {
    assert.deepEqual(parsed('name="quoted value"; session="with;semicolon"; data="with\\"escaped\\""'), {
      name: "quoted value",
      session: "with;semicolon",
      data: 'with"escaped"',
    });
  });

  test("test_parse_cookie_headers_semicolon_in_quoted_values: the cookies after them are kept", () => {
    assert.deepEqual(parsed('session="abc;xyz"; token=123'), { session: "abc;xyz", token: "123" });
    assert.deepEqual(parsed('complex="a=b;c=d"; simple=value'), { complex: "a=b;c=d", simple: "value" });
  });

  test("test_parse_cookie_headers_issue_7993_double_quotes: an unmatched quote swallows nothing", () => {
    assert.deepEqual(parseCookieHeader('foo=bar; baz="qux; foo2=bar2'), [
      ["foo", "bar"],
      ["baz", '"qux'],
      ["foo2", "bar2"],
    ]);
  });

  test("test_parse_cookie_headers_encoded_values: percent-encoding is kept as is", () => {
    assert.deepEqual(parsed("encoded=hello%20world; url=https%3A%2F%2Fexample.com%2Fpath"), {
      encoded: "hello%20world",
      url: "https%3A%2F%2Fexample.com%2Fpath",
    });
  });

  test("test_parse_cookie_headers_dollar_prefixed_names: RFC 2965 $Version/$Path are skipped", () => {
    assert.deepEqual(parsed("$Version=1; name=value; $Path=/"), { name: "value" });
  });

  test("aiots: octal escapes of a quoted value (Python's _unquote) are decoded", () => {
    assert.deepEqual(parsed('a="x\\073y"; b="c\\\\d"'), { a: "x;y", b: "c\\d" });
  });

  test("aiots: values keep inner spaces and `=`; surrounding whitespace is trimmed", () => {
    assert.deepEqual(parsed("  a =  hello world  ;b=x=y=z;c"), { a: "hello world", b: "x=y=z", c: "" });
  });

  test("aiots: several headers; the first of a repeated name wins", () => {
    assert.deepEqual(Object.fromEntries(parseCookies(["a=1; b=2", "a=3; c=4"])), { a: "1", b: "2", c: "4" });
  });
});

describe("serializeSetCookie", () => {
  test("test_response_cookies: name=value with the default Path=/", () => {
    assert.equal(serializeSetCookie("name", "value"), "name=value; Path=/");
    assert.equal(
      serializeSetCookie("name", "value", { domain: "local.host", path: null }),
      "name=value; Domain=local.host",
    );
  });

  test("test_response_cookie_path: every attribute, in Morsel order", () => {
    assert.equal(serializeSetCookie("name", "value", { path: "/some/path" }), "name=value; Path=/some/path");
    assert.equal(serializeSetCookie("name", "value", { expires: "123" }), "name=value; expires=123; Path=/");
    assert.equal(
      serializeSetCookie("name", "value", {
        domain: "example.com",
        path: "/home",
        expires: "123",
        maxAge: "10",
        secure: true,
        httpOnly: true,
        sameSite: "lax",
        partitioned: true,
      }),
      "name=value; Domain=example.com; expires=123; HttpOnly; Max-Age=10; Partitioned; Path=/home; SameSite=Lax; Secure",
    );
  });

  test("test_response_cookie__issue_del_cookie: an empty quoted value expired in 1970", () => {
    assert.equal(
      serializeDeleteCookie("name"),
      'name=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/',
    );
    assert.equal(
      serializeDeleteCookie("name", { domain: "example.com", path: "/x" }),
      'name=""; Domain=example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/x',
    );
  });

  test("aiots: a Date expires is sent as an HTTP date; maxAge must be an integer", () => {
    assert.equal(
      serializeSetCookie("a", "b", { expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)), path: null }),
      "a=b; expires=Wed, 02 Jan 2030 03:04:05 GMT",
    );
    assert.equal(serializeSetCookie("a", "b", { maxAge: 3600, path: null }), "a=b; Max-Age=3600");
    assert.throws(() => serializeSetCookie("a", "b", { maxAge: 1.5 }), ValueError);
    assert.throws(() => serializeSetCookie("a", "b", { maxAge: "10; Secure" }), ValueError);
    assert.throws(() => serializeSetCookie("a", "b", { expires: new Date(Number.NaN) }), ValueError);
  });

  test("aiots: values outside Python's legal characters are quoted with \\ and \" escaped", () => {
    assert.equal(quoteCookieValue("abc:def"), "abc:def");
    assert.equal(quoteCookieValue("a b"), '"a b"');
    assert.equal(quoteCookieValue('x;y"z\\'), '"x;y\\"z\\\\"');
    assert.equal(serializeSetCookie("n", "a,b", { path: null }), 'n="a,b"');
    // …and a quoted value comes back unchanged through the request parser.
    const header = serializeSetCookie("n", 'x; "y" \\ z', { path: null });
    assert.equal(parseCookies(header).get("n"), 'x; "y" \\ z');
  });

  test("aiots: names must be tokens and not attribute names", () => {
    for (const bad of ["", "a b", "a;b", "a=b", "a\r\nb", "é", "{x}", "Path", "max-age", "SECURE"])
      assert.throws(() => checkCookieName(bad), ValueError, JSON.stringify(bad));
    assert.equal(checkCookieName("session_id-1.x"), "session_id-1.x");
    assert.throws(() => checkCookieName(1 as unknown as string), ArgumentTypeError);
  });

  test("aiots: values with CR, LF, NUL, other controls or non-ASCII are refused", () => {
    for (const bad of ["a\r\nSet-Cookie: x=y", "a\nb", "a\0b", "a\tb", "\x7f", "café", "✓"])
      assert.throws(() => checkCookieValue(bad), ValueError, JSON.stringify(bad));
    assert.throws(() => checkCookieValue(null as unknown as string), ArgumentTypeError);
    assert.equal(checkCookieValue(encodeURIComponent("café")), "caf%C3%A9");
  });

  test("aiots: attributes refuse `;` and controls; sameSite only Strict, Lax or None", () => {
    assert.throws(() => serializeSetCookie("a", "b", { path: "/x; Secure" }), ValueError);
    assert.throws(() => serializeSetCookie("a", "b", { domain: "e.com\r\nX: y" }), ValueError);
    assert.throws(() => serializeSetCookie("a", "b", { expires: "x;y" }), ValueError);
    assert.throws(
      () => serializeSetCookie("a", "b", { sameSite: "sometimes" as unknown as "Lax" }),
      ValueError,
    );
    assert.equal(
      serializeSetCookie("a", "b", { sameSite: "NONE" as "none", secure: true, path: null }),
      "a=b; SameSite=None; Secure",
    );
    assert.throws(() => serializeSetCookie("a", "b", null as unknown as object), ArgumentTypeError);
  });
});
