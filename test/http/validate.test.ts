// The checks that keep bad values off the wire. They follow aiohttp's http_writer `_safe_header`
// (tests/test_http_writer.py: "Newline or carriage return character detected … potential security
// issue"), made stricter where Node's writer would fail later (control characters, DEL, > U+00FF), and
// RFC 9110 §5.6.2 for header names (aiohttp relies on its writer; Node's `validateHeaderName` agrees).
// Also the reason phrases of status.ts (aiohttp's `REASON_PHRASES` lookup, `status_code_must_be_empty_body`).
import assert from "node:assert/strict";
import { STATUS_CODES, validateHeaderName, validateHeaderValue } from "node:http";
import { describe, test } from "node:test";
import {
  checkHeaderName,
  checkHeaderValue,
  checkReason,
  checkStatus,
  reasonFor,
  statusMustBeEmptyBody,
} from "../../src/http/index.js";
import { ArgumentTypeError, ValueError } from "../../src/index.js";

/** `fn` throws a ValueError whose message matches every pattern. */
function refuses(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ValueError, `expected a ValueError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

describe("checkHeaderName (RFC 9110 token)", () => {
  test("accepts every token character and returns the name", () => {
    for (const name of ["Content-Type", "x-request-id", "X_Y", "a", "!#$%&'*+-.^_`|~09AZaz"])
      assert.equal(checkHeaderName(name), name);
  });

  test("refuses an empty name", () => {
    refuses(() => checkHeaderName(""), /empty/);
  });

  test("refuses non-token names, naming the character and its index", () => {
    refuses(() => checkHeaderName("X Foo"), /"X Foo"/, /" " \(U\+0020\) at index 1/);
    refuses(() => checkHeaderName("X:Foo"), /":" \(U\+003A\) at index 1/);
    refuses(() => checkHeaderName("X-Foo\r\n"), /CR \(U\+000D\) at index 5/);
    refuses(() => checkHeaderName("X\nFoo"), /LF \(U\+000A\)/);
    refuses(() => checkHeaderName("X\0"), /NUL \(U\+0000\)/);
    for (const bad of ["(x)", "a/b", "a@b", "a=b", "a,b", 'a"b', "é", "a\tb", "{}", "[x]", "a;b", "a?b"])
      refuses(() => checkHeaderName(bad), /Invalid header name/);
  });

  test("agrees with Node's validateHeaderName on a sample of characters", () => {
    for (let c = 0; c < 0x100; c++) {
      const name = `X${String.fromCharCode(c)}`;
      let node = true;
      try {
        validateHeaderName(name);
      } catch {
        node = false;
      }
      let ours = true;
      try {
        checkHeaderName(name);
      } catch {
        ours = false;
      }
      assert.equal(ours, node, `U+${c.toString(16)}`);
    }
  });

  test("refuses a non-string with a TypeError", () => {
    assert.throws(() => checkHeaderName(42 as unknown as string), ArgumentTypeError);
  });
});

describe("checkHeaderValue (no CR, LF, NUL, control characters)", () => {
  test("accepts text, HTAB, empty values and Latin-1, returning the value", () => {
    for (const value of ["", "text/html; charset=utf-8", "a\tb", "café", " spaced ", "\xff"])
      assert.equal(checkHeaderValue(value, "X"), value);
  });

  test("refuses CR, LF, CRLF and NUL, naming the header, the character and its index", () => {
    refuses(
      () => checkHeaderValue("a\r\nSet-Cookie: x=1", "X-Test"),
      /"X-Test"/,
      /CR \(U\+000D\) at index 1/,
    );
    refuses(() => checkHeaderValue("a\nb", "X-Test"), /"X-Test"/, /LF \(U\+000A\) at index 1/);
    refuses(() => checkHeaderValue("ab\0", "X-Test"), /NUL \(U\+0000\) at index 2/);
  });

  test("refuses a bare CR in the middle (not only CRLF)", () => {
    refuses(() => checkHeaderValue("abc\rdef", "Location"), /"Location"/, /CR \(U\+000D\) at index 3/);
  });

  test("refuses other control characters and DEL", () => {
    for (const c of ["\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"])
      refuses(() => checkHeaderValue(`a${c}b`, "X"), /a control character/);
    refuses(() => checkHeaderValue("a\x7fb", "X"), /DEL \(U\+007F\)/);
  });

  test("refuses characters Node cannot send (past U+00FF), as Node's writeHead would", () => {
    refuses(() => checkHeaderValue("日本", "X-Name"), /"X-Name"/, /U\+65E5/);
    refuses(() => checkHeaderValue("😀", "X"), /U\+/);
    assert.throws(() => validateHeaderValue("X", "日本"));
  });

  test("agrees with Node's validateHeaderValue for every code unit up to U+0100", () => {
    for (let c = 0; c <= 0x100; c++) {
      const value = `a${String.fromCharCode(c)}b`;
      let node = true;
      try {
        validateHeaderValue("X", value);
      } catch {
        node = false;
      }
      let ours = true;
      try {
        checkHeaderValue(value, "X");
      } catch {
        ours = false;
      }
      assert.equal(ours, node, `U+${c.toString(16)}`);
    }
  });

  test("refuses a non-string with a TypeError naming the header", () => {
    assert.throws(
      () => checkHeaderValue(5 as unknown as string, "Content-Length"),
      (e: unknown) => e instanceof ArgumentTypeError && /"Content-Length"/.test(e.message),
    );
  });
});

describe("checkReason", () => {
  test("accepts a phrase, including the empty one (test_set_status_with_empty_reason)", () => {
    assert.equal(checkReason("Everything is fine!"), "Everything is fine!");
    assert.equal(checkReason(""), "");
  });

  test("refuses CR, LF, NUL (response splitting through the status line)", () => {
    refuses(() => checkReason("OK\r\nX-Injected: 1"), /Invalid reason phrase/, /CR/);
    refuses(() => checkReason("OK\n"), /LF/);
    refuses(() => checkReason("O\0K"), /NUL/);
  });

  test("refuses a non-string with a TypeError", () => {
    assert.throws(() => checkReason(200 as unknown as string), ArgumentTypeError);
  });
});

describe("checkStatus", () => {
  test("accepts integers 100–999", () => {
    for (const s of [100, 200, 404, 599, 999]) assert.equal(checkStatus(s), s);
  });

  test("refuses out-of-range and non-integer codes with a ValueError", () => {
    for (const s of [99, 1000, 0, -200, 200.5, Number.NaN, Number.POSITIVE_INFINITY])
      refuses(() => checkStatus(s), /Invalid status code/, /100 to 999/);
  });

  test("refuses a non-number with a TypeError", () => {
    assert.throws(() => checkStatus("200" as unknown as number), ArgumentTypeError);
  });
});

describe("status.ts", () => {
  test("reasonFor: Node's phrases; '' for an unknown code", () => {
    assert.equal(reasonFor(200), "OK");
    assert.equal(reasonFor(404), "Not Found");
    assert.equal(reasonFor(405), "Method Not Allowed");
    for (const [code, phrase] of Object.entries(STATUS_CODES)) assert.equal(reasonFor(Number(code)), phrase);
    assert.equal(reasonFor(599), "");
    assert.equal(reasonFor(-1), "");
  });

  test("statusMustBeEmptyBody: 1xx, 204 and 304 only", () => {
    for (const s of [100, 101, 103, 204, 304]) assert.equal(statusMustBeEmptyBody(s), true, String(s));
    for (const s of [200, 205, 301, 404, 500]) assert.equal(statusMustBeEmptyBody(s), false, String(s));
  });
});
