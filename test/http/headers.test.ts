// Port of the behaviour checked by multidict's tests/test_multidict.py (TestCIMultiDict, run for
// CIMultiDict and CIMultiDictProxy), tests/test_istr.py (names keep their case, compare without it)
// and tests/test_mutable_multidict.py (TestCIMutableMultiDict); each test names what it follows. Then
// what the server needs: lazy `rawHeaders`, the flat array for `writeHead`, frozen views, validation.
import assert from "node:assert/strict";
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { CIMultiDict, CIMultiDictProxy, KeyError, MultiDict } from "../../src/http/index.js";
import { ArgumentTypeError, ValueError } from "../../src/index.js";

const FORMS = {
  CIMultiDict: (init?: [string, string][] | Record<string, string>) => new CIMultiDict(init),
  CIMultiDictProxy: (init?: [string, string][] | Record<string, string>) =>
    new CIMultiDictProxy(new CIMultiDict(init)),
};

for (const [form, make] of Object.entries(FORMS)) {
  describe(`${form} (TestCIMultiDict)`, () => {
    test("test_basics: lookups ignore case; KeyError names the key", () => {
      const d = make([
        ["KEY", "value1"],
        ["KEY", "value2"],
      ]);
      assert.equal(d.getOne("key"), "value1");
      assert.equal(d.get("key"), "value1");
      assert.equal(d.get("key2", "val"), "val");
      assert.ok(d.has("key") && d.has("Key") && d.has("KEY"));
      assert.throws(
        () => d.getOne("key2"),
        (e: unknown) => e instanceof KeyError && /key2/.test(e.message),
      );
    });

    test("test_getall: every value whatever the case it was added with", () => {
      const d = make([
        ["KEY", "value1"],
        ["key", "value2"],
      ]);
      assert.ok(!d.equals({ KEY: "value1" }));
      assert.equal(d.size, 2);
      assert.deepEqual(d.getAll("Key"), ["value1", "value2"]);
      assert.deepEqual(d.getAll("some_key"), []);
    });

    test("test_get: the first value of the name, across cases", () => {
      const d = make([
        ["A", "1"],
        ["a", "2"],
      ]);
      assert.equal(d.getOne("a"), "1");
    });

    test("test__repr__, test_keys__repr__: names keep their original case (test_istr test_str)", () => {
      const d = make([
        ["KEY", "value1"],
        ["key", "value2"],
      ]);
      assert.equal(inspect(d), `<${form}('KEY': 'value1', 'key': 'value2')>`);
      assert.deepEqual([...d.keys()], ["KEY", "key"]);
      assert.deepEqual([...d.values()], ["value1", "value2"]);
    });

    test("test_eq (test_istr test_eq): equality ignores the case of names, not of values", () => {
      const d = make([["Content-Type", "text/plain"]]);
      assert.ok(d.equals({ "content-type": "text/plain" }));
      assert.ok(d.equals(new CIMultiDict([["CONTENT-TYPE", "text/plain"]])));
      assert.ok(!d.equals({ "content-type": "TEXT/PLAIN" }));
    });

    test("insertion order across names and cases", () => {
      const d = make([
        ["B", "1"],
        ["a", "2"],
        ["b", "3"],
        ["C", "4"],
      ]);
      assert.deepEqual(
        [...d],
        [
          ["B", "1"],
          ["a", "2"],
          ["b", "3"],
          ["C", "4"],
        ],
      );
    });

    test("copy() gives a mutable CIMultiDict (test_proxy_copy)", () => {
      const c = make({ Key: "v" }).copy();
      assert.ok(c instanceof CIMultiDict);
      c.add("key", "w");
      assert.deepEqual(c.getAll("KEY"), ["v", "w"]);
    });

    test("reads like WHATWG Headers: new Headers(d), get, has, forEach, getSetCookie", () => {
      const d = make([
        ["Set-Cookie", "a=1"],
        ["Content-Type", "text/html"],
        ["set-cookie", "b=2"],
      ]);
      const h = new Headers(d as unknown as HeadersInit); // any iterable of pairs at run time; typed as arrays
      assert.equal(h.get("content-type"), "text/html");
      assert.deepEqual(h.getSetCookie(), ["a=1", "b=2"]);
      assert.deepEqual(d.getSetCookie(), ["a=1", "b=2"]);
      // Code written against the read side of Headers works unchanged.
      const readHeaders = (x: {
        get(name: string): string | null | undefined;
        has(name: string): boolean;
        forEach(callback: (value: string, name: string) => void): void;
        [Symbol.iterator](): Iterator<[string, string]>;
      }) => {
        const names: string[] = [];
        x.forEach((_v, k) => {
          names.push(k);
        });
        return [x.get("CONTENT-TYPE"), x.has("set-cookie"), names.length] as const;
      };
      assert.deepEqual(readHeaders(d), ["text/html", true, 3]);
    });
  });
}

describe("CIMultiDict (TestCIMutableMultiDict)", () => {
  test("test_from_md_and_kwds: built from another dict plus more pairs", () => {
    const d = new CIMultiDict([["KEY", "value1"]]);
    const d2 = new CIMultiDict(d);
    d2.extend({ KEY: "value2" });
    assert.deepEqual(
      [...d2],
      [
        ["KEY", "value1"],
        ["KEY", "value2"],
      ],
    );
  });

  test("set replaces every value of the name, whatever its case, keeping the first position", () => {
    const d = new CIMultiDict([
      ["Accept", "a"],
      ["X", "1"],
      ["ACCEPT", "b"],
    ]);
    d.set("accept", "c");
    assert.deepEqual(
      [...d],
      [
        ["accept", "c"],
        ["X", "1"],
      ],
    );
  });

  test("delete, popAll, popOne, setDefault ignore case", () => {
    const d = new CIMultiDict([
      ["A", "1"],
      ["a", "2"],
      ["B", "3"],
      ["b", "4"],
      ["C", "5"],
    ]);
    assert.equal(d.delete("c"), true);
    assert.deepEqual(d.popAll("a"), ["1", "2"]);
    assert.equal(d.popOne("b"), "3");
    assert.equal(d.setDefault("B", "x"), "4");
    assert.deepEqual([...d], [["b", "4"]]);
  });

  test("update replaces across cases (test_update)", () => {
    const d = new CIMultiDict([
      ["Content-Type", "a"],
      ["X", "1"],
    ]);
    d.update({ "content-type": "b" });
    assert.deepEqual(
      [...d],
      [
        ["content-type", "b"],
        ["X", "1"],
      ],
    );
  });

  test("a CIMultiDict is a MultiDict, as in Python; a MultiDict is not a CIMultiDict", () => {
    assert.ok(new CIMultiDict() instanceof MultiDict);
    assert.ok(!(new MultiDict() instanceof CIMultiDict));
    assert.equal(CIMultiDict.caseInsensitive, true);
    assert.equal(MultiDict.caseInsensitive, false);
  });

  test("non-ASCII names fold too (test_ucs2_ucs4_comparison)", () => {
    const d = new CIMultiDict([["Ärger", "1"]]);
    assert.equal(d.get("äRGER"), "1");
  });
});

describe("CIMultiDict.fromRawHeaders (request headers)", () => {
  /** A rawHeaders array that counts every element read from it. */
  function counted(raw: string[]): { raw: string[]; reads: () => number } {
    let n = 0;
    const p = new Proxy(raw, {
      get(target, key, receiver) {
        if (typeof key === "string" && /^\d+$/.test(key)) n++;
        return Reflect.get(target, key, receiver);
      },
    });
    return { raw: p, reads: () => n };
  }

  test("is lazy: nothing of the array is read until the first lookup", () => {
    const { raw, reads } = counted(["Host", "example.com", "Accept", "*/*"]);
    const d = CIMultiDict.fromRawHeaders(raw);
    const proxy = new CIMultiDictProxy(d);
    assert.equal(reads(), 0, "construction read nothing");
    assert.equal(proxy.get("host"), "example.com");
    assert.ok(reads() > 0);
  });

  test("does not copy: an unread array is used as is; the first write copies it (copy-on-write)", () => {
    const raw = ["Host", "example.com"];
    const d = CIMultiDict.fromRawHeaders(raw);
    raw.push("X-Late", "1"); // still the dict's array
    assert.equal(d.get("x-late"), "1");
    d.set("host", "other");
    d.add("X-New", "2");
    assert.deepEqual(raw, ["Host", "example.com", "X-Late", "1"], "the caller's array is never written");
    assert.deepEqual(
      [...d],
      [
        ["host", "other"],
        ["X-Late", "1"],
        ["X-New", "2"],
      ],
    );
  });

  test("keeps repeated headers and their original case", () => {
    const d = CIMultiDict.fromRawHeaders(["Cookie", "a=1", "cookie", "b=2", "X-Forwarded-For", "1.2.3.4"]);
    assert.deepEqual(d.getAll("COOKIE"), ["a=1", "b=2"]);
    assert.deepEqual([...d.keys()], ["Cookie", "cookie", "X-Forwarded-For"]);
    assert.equal(d.size, 3);
  });
});

describe("toRawHeaders (the flat array for res.writeHead)", () => {
  test("round trip: rawHeaders in, the same flat array out (a new array)", () => {
    const raw = ["Host", "h", "Set-Cookie", "a=1", "set-cookie", "b=2"];
    const flat = CIMultiDict.fromRawHeaders(raw).toRawHeaders();
    assert.deepEqual(flat, raw);
    assert.notEqual(flat, raw);
    assert.deepEqual(new CIMultiDictProxy(CIMultiDict.fromRawHeaders(raw)).toRawHeaders(), raw);
  });

  test("built from pairs: names in their case, in order, repeated names kept", () => {
    const d = new CIMultiDict({ "Content-Type": "text/plain" });
    d.add("Set-Cookie", "a=1");
    d.add("Set-Cookie", "b=2");
    assert.deepEqual(d.toRawHeaders(), [
      "Content-Type",
      "text/plain",
      "Set-Cookie",
      "a=1",
      "Set-Cookie",
      "b=2",
    ]);
  });

  test("Node's writeHead takes it and writes every pair", () => {
    const req = new IncomingMessage(new Socket());
    req.method = "GET";
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const res = new ServerResponse(req);
    const d = new CIMultiDict([
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
      ["X-Id", "7"],
    ]);
    res.writeHead(200, d.toRawHeaders());
    const head = (res as unknown as { _header: string })._header;
    assert.match(head, /\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Id: 7\r\n/);
  });
});

describe("frozen dicts and read-only views (CIMultiDictProxy)", () => {
  test("freeze(): every write throws a TypeError naming the class and the operation; reads work", () => {
    const d = new CIMultiDict({ A: "1" }).freeze();
    assert.equal(d.frozen, true);
    const writes: [string, () => unknown][] = [
      ["add", () => d.add("B", "2")],
      ["set", () => d.set("A", "2")],
      ["setDefault", () => d.setDefault("A", "2")],
      ["delete", () => d.delete("A")],
      ["popOne", () => d.popOne("A")],
      ["popAll", () => d.popAll("A")],
      ["popItem", () => d.popItem()],
      ["extend", () => d.extend({ B: "2" })],
      ["update", () => d.update({ B: "2" })],
      ["clear", () => d.clear()],
    ];
    for (const [op, write] of writes)
      assert.throws(write, (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, new RegExp(`^CIMultiDict is frozen \\(read-only\\): cannot ${op}`));
        return true;
      });
    assert.equal(d.get("a"), "1");
    assert.equal(d.copy().frozen, false, "a copy is writable");
  });

  test("CIMultiDictProxy is live and has no writers; it requires a case-insensitive dict", () => {
    const d = new CIMultiDict({ A: "1" });
    const p = new CIMultiDictProxy(d);
    d.add("a", "2");
    assert.deepEqual(p.getAll("A"), ["1", "2"]);
    assert.equal((p as unknown as { set?: unknown }).set, undefined);
    assert.equal(p.frozen, false);
    d.freeze();
    assert.equal(p.frozen, true);
    assert.throws(() => new CIMultiDictProxy(new MultiDict() as unknown as CIMultiDict), ArgumentTypeError);
  });
});

describe("CIMultiDict({ validate: true }) (response headers)", () => {
  test("refuses CR, LF and NUL in values where they are set, naming the header", () => {
    const d = new CIMultiDict<string>(null, { validate: true });
    for (const bad of ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\0b"]) {
      assert.throws(
        () => d.set("X-Test", bad),
        (e: unknown) => e instanceof ValueError && /"X-Test"/.test(e.message),
      );
      assert.throws(() => d.add("X-Test", bad), ValueError);
    }
    assert.equal(d.size, 0, "nothing was written");
  });

  test("refuses bad names, bad initial content and bad extend/update/setDefault input", () => {
    assert.throws(() => new CIMultiDict({ "Bad Name": "x" }, { validate: true }), ValueError);
    assert.throws(() => new CIMultiDict({ Ok: "a\r\n" }, { validate: true }), ValueError);
    const d = new CIMultiDict<string>(null, { validate: true });
    assert.throws(() => d.set("", "x"), ValueError);
    assert.throws(
      () =>
        d.extend([
          ["X", "ok"],
          ["Y", "\n"],
        ]),
      ValueError,
    );
    assert.equal(d.size, 0, "extend checks everything before writing anything");
    assert.throws(() => d.update({ "X:Y": "1" }), ValueError);
    assert.throws(() => d.setDefault("X", "\0"), ValueError);
    assert.throws(() => d.set("X", 5 as unknown as string), ArgumentTypeError);
  });

  test("accepts HTAB and Latin-1 text; keeps validating in copies; off by default", () => {
    const d = new CIMultiDict<string>(null, { validate: true });
    d.set("X-A", "a\tb café");
    assert.equal(d.copy().validating, true);
    assert.throws(() => d.copy().set("X", "\r"), ValueError);
    const loose = new CIMultiDict<string>();
    loose.set("X", "a\r\nb");
    assert.equal(loose.get("x"), "a\r\nb");
  });
});
