// Port of the behaviour checked by multidict's tests/test_multidict.py (BaseMultiDictTest, TestMultiDict)
// and tests/test_mutable_multidict.py (TestMutableMultiDict) for the case-sensitive MultiDict and
// MultiDictProxy; each test names the Python test it follows. Python's `d[k]`, `k in d`, `len(d)`,
// `del d[k]`, `d == x`, `items()` are `getOne`, `has`, `size`, `delete`, `equals`, `entries()` here.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { KeyError, MultiDict, MultiDictProxy } from "../../src/http/index.js";
import { ArgumentTypeError, RuntimeError, ValueError } from "../../src/index.js";

/** Both forms the Python suite runs every base test with: the dict itself and a proxy over it. */
const FORMS = {
  MultiDict: <V>(init?: ConstructorParameters<typeof MultiDict<V>>[0]) => new MultiDict<V>(init),
  MultiDictProxy: <V>(init?: ConstructorParameters<typeof MultiDict<V>>[0]) =>
    new MultiDictProxy<V>(new MultiDict<V>(init)),
};

for (const [form, make] of Object.entries(FORMS)) {
  describe(`${form} (BaseMultiDictTest)`, () => {
    test("test_instantiate__empty", () => {
      const d = make();
      assert.equal(d.size, 0);
      assert.ok(d.equals({}));
      assert.deepEqual([...d.keys()], []);
      assert.deepEqual([...d.values()], []);
      assert.deepEqual([...d.entries()], []);
    });

    test("test_instantiate__from_arg0 (pairs and plain object)", () => {
      for (const arg of [[["key", "value1"]] as [string, string][], { key: "value1" }]) {
        const d = make(arg);
        assert.ok(d.equals({ key: "value1" }));
        assert.equal(d.size, 1);
        assert.deepEqual([...d.keys()], ["key"]);
        assert.deepEqual([...d.values()], ["value1"]);
        assert.deepEqual([...d], [["key", "value1"]]);
      }
    });

    test("test_instantiate__from_generator, Map and URLSearchParams", () => {
      const d = make(
        (function* () {
          for (let i = 0; i < 2; i++) yield [String(i), i] as const;
        })(),
      );
      assert.deepEqual(
        [...d],
        [
          ["0", 0],
          ["1", 1],
        ],
      );
      assert.deepEqual([...make(new Map([["a", "b"]]))], [["a", "b"]]);
      assert.deepEqual(
        [...make(new URLSearchParams("x=1&x=2"))],
        [
          ["x", "1"],
          ["x", "2"],
        ],
      );
    });

    test("test_cannot_create_from_unaccepted: a triple is refused with Python's message", () => {
      assert.throws(
        () => make([["1", 2, 3]] as unknown as [string, number][]),
        (e: unknown) =>
          e instanceof ValueError &&
          e.message === "multidict update sequence element #0 has length 3; 2 is required",
      );
    });

    test("test_nonstr_key: a non-string key is a TypeError", () => {
      assert.throws(() => make([[1, "v"]] as unknown as [string, string][]), ArgumentTypeError);
    });

    test("test_getone: first value, KeyError naming the key, default", () => {
      const d = make([
        ["key", "value1"],
        ["key", "value2"],
      ]);
      assert.equal(d.getOne("key"), "value1");
      assert.equal(d.get("key"), "value1");
      assert.throws(
        () => d.getOne("key2"),
        (e: unknown) => e instanceof KeyError && /key2/.test(e.message),
      );
      assert.equal(d.getOne("key2", "default"), "default");
      assert.equal(d.get("key2"), undefined);
      assert.equal(d.get("key2", "default"), "default");
    });

    test("test__iter__ and test_preserve_stable_ordering", () => {
      const d = make<string | number>([
        ["a", 1],
        ["b", "2"],
        ["a", 3],
      ]);
      assert.deepEqual([...d.keys()], ["a", "b", "a"]);
      assert.equal([...d].map(([k, v]) => `${k}=${v}`).join("&"), "a=1&b=2&a=3");
    });

    test("test__contains", () => {
      const d = make<string | number>([
        ["key", "one"],
        ["key2", "two"],
        ["key", 3],
      ]);
      assert.ok(d.has("key"));
      assert.ok(d.has("key2"));
      assert.ok(!d.has("foo"));
      assert.ok(!d.has("KEY"), "case-sensitive");
    });

    test("test_getall: every value in order; [] or the default when missing", () => {
      const d = make([
        ["key", "value1"],
        ["key", "value2"],
      ]);
      assert.ok(!d.equals({ key: "value1" }));
      assert.equal(d.size, 2);
      assert.deepEqual(d.getAll("key"), ["value1", "value2"]);
      assert.deepEqual(d.getAll("some_key"), []);
      const def = {};
      assert.equal(d.getAll("some_key", def), def);
    });

    test("test_eq, test_eq2, test_eq3, test_ne, test_eq_other_mapping_contains_more_keys", () => {
      const d = make([["key", "value1"]]);
      assert.ok(d.equals({ key: "value1" }));
      assert.ok(!d.equals(make([["key2", "value1"]])));
      assert.ok(!d.equals(make()));
      assert.ok(!d.equals({ key: "another_value" }));
      assert.ok(!make({ foo: "bar" }).equals({ foo: "bar", bar: "baz" }));
      assert.ok(d.equals(new MultiDict([["key", "value1"]])));
    });

    test("test__repr__ (inspect and toString)", () => {
      const d = make([
        ["key", "one"],
        ["key", "two"],
      ]);
      const name = form;
      assert.equal(inspect(make()), `<${name}()>`);
      assert.equal(inspect(d), `<${name}('key': 'one', 'key': 'two')>`);
      assert.equal(String(d), `<${name}('key': 'one', 'key': 'two')>`);
    });

    test("test_ucs2_ucs4_comparison", () => {
      const expected: [string, string][] = [
        ["k\u00e9y", "1"],
        ["k\u4f60y", "2"],
        ["k\u{1f600}y", "3"],
      ];
      const d = make(expected);
      for (const [k, v] of expected) assert.equal(d.getOne(k), v);
    });

    test("test_proxy_copy / test_copy: copy() is an equal, distinct, mutable MultiDict", () => {
      const d = make({ key: "value", a: "b" });
      const c = d.copy();
      assert.ok(c instanceof MultiDict);
      assert.notEqual(c, d);
      assert.ok(c.equals(d));
      c.add("x", "y");
      assert.ok(!d.has("x"));
    });

    test("forEach follows the Map/Headers signature (value, name, parent)", () => {
      const d = make([
        ["a", "1"],
        ["b", "2"],
      ]);
      const seen: string[] = [];
      d.forEach((value, name, parent) => {
        assert.equal(parent, d);
        seen.push(`${name}:${value}`);
      });
      assert.deepEqual(seen, ["a:1", "b:2"]);
    });
  });
}

describe("MultiDict (TestMutableMultiDict)", () => {
  test("test_add: set replaces, add appends", () => {
    const d = new MultiDict<string>();
    d.set("key", "one");
    assert.deepEqual(d.getAll("key"), ["one"]);
    d.set("key", "two");
    assert.deepEqual(d.getAll("key"), ["two"]);
    d.add("key", "one");
    assert.equal(d.size, 2);
    assert.deepEqual(d.getAll("key"), ["two", "one"]);
    d.add("foo", "bar");
    assert.equal(d.size, 3);
  });

  test("test_replacement_order: set keeps the first position and drops the others", () => {
    const d = new MultiDict<string>();
    d.add("key1", "val1");
    d.add("key2", "val2");
    d.add("key1", "val3");
    d.add("key2", "val4");
    d.set("key1", "val");
    assert.deepEqual(
      [...d],
      [
        ["key1", "val"],
        ["key2", "val2"],
        ["key2", "val4"],
      ],
    );
  });

  test("test_extend (pairs, object, another dict, a proxy)", () => {
    const d = new MultiDict<string | number>();
    d.extend([
      ["key", "one"],
      ["key", "two"],
    ]);
    d.extend({ key: 3, foo: "bar" });
    assert.equal(d.size, 4);
    d.extend(new MultiDict({ bar: "baz" }));
    d.extend(new MultiDictProxy(new MultiDict({ foo: "moo" })));
    assert.deepEqual(d.getAll("foo"), ["bar", "moo"]);
    assert.equal(d.size, 6);
    d.extend(d);
    assert.equal(d.size, 12, "extending with itself doubles it");
  });

  test("test_clear and test_del", () => {
    const d = new MultiDict([
      ["key", "one"],
      ["key", "two"],
      ["foo", "bar"],
    ]);
    assert.equal(d.delete("key"), true);
    assert.deepEqual([...d], [["foo", "bar"]]);
    assert.equal(d.delete("key"), false, "no KeyError: delete reports it");
    d.clear();
    assert.equal(d.size, 0);
  });

  test("test_set_default", () => {
    const d = new MultiDict([
      ["key", "one"],
      ["key", "two"],
      ["foo", "bar"],
    ]);
    assert.equal(d.setDefault("key", "three"), "one");
    assert.equal(d.setDefault("otherkey", "three"), "three");
    assert.equal(d.getOne("otherkey"), "three");
  });

  test("test_popitem, test_popitem2, test_popitem_empty_multidict", () => {
    const d = new MultiDict<string>();
    d.add("key", "val1");
    d.add("key", "val2");
    d.add("key2", "val3");
    d.delete("key2");
    assert.deepEqual(d.popItem(), ["key", "val2"]);
    assert.deepEqual([...d], [["key", "val1"]]);
    d.popItem();
    assert.throws(() => d.popItem(), KeyError);
  });

  test("test_pop, test_pop2, test_pop_default, test_pop_raises (popOne)", () => {
    const d = new MultiDict([
      ["key", "val1"],
      ["key2", "val2"],
      ["key", "val3"],
    ]);
    assert.equal(d.popOne("key"), "val1");
    assert.deepEqual(
      [...d],
      [
        ["key2", "val2"],
        ["key", "val3"],
      ],
    );
    assert.equal(d.popOne("nope", "default"), "default");
    assert.throws(
      () => d.popOne("nope"),
      (e: unknown) => e instanceof KeyError && e.key === "nope",
    );
    assert.equal(d.size, 2);
  });

  test("test_popall, test_popall_default, test_popall_key_error", () => {
    const d = new MultiDict([
      ["key1", "val1"],
      ["key2", "val2"],
      ["key1", "val3"],
    ]);
    assert.deepEqual(d.popAll("key1"), ["val1", "val3"]);
    assert.ok(d.equals({ key2: "val2" }));
    assert.equal(d.popAll("key", "val"), "val");
    assert.throws(() => d.popAll("key"), /'key'/);
  });

  test("test_update: names get exactly the new values, replaced in place", () => {
    const d = new MultiDict([
      ["a", "1"],
      ["b", "2"],
      ["a", "3"],
      ["a", "4"],
      ["c", "5"],
    ]);
    d.update([
      ["a", "x"],
      ["c", "y"],
      ["c", "z"],
      ["d", "w"],
    ]);
    assert.deepEqual(
      [...d],
      [
        ["a", "x"],
        ["b", "2"],
        ["c", "y"],
        ["c", "z"],
        ["d", "w"],
      ],
    );
  });

  test("test_large_multidict_resizing", () => {
    const d = new MultiDict<number>();
    for (let i = 0; i < 1024; i++) d.set(`key${i}`, i);
    for (let i = 0; i < 1023; i++) d.delete(`key${i}`);
    assert.ok(d.equals({ key1023: 1023 }));
  });

  test("test_reversed_raises_on_mutation: changing the dict while iterating is a RuntimeError", () => {
    const d = new MultiDict({ a: "1", b: "2" });
    const it = d.entries();
    it.next();
    d.set("c", "3");
    assert.throws(() => it.next(), RuntimeError);
    const keys = d.keys();
    keys.next();
    d.delete("a");
    assert.throws(() => keys.next(), /changed during iteration/);
  });
});

describe("MultiDictProxy", () => {
  test("a live, read-only view (test_proxy_copy, CIMultiDictProxy-like)", () => {
    const d = new MultiDict({ a: "1" });
    const p = new MultiDictProxy(d);
    d.add("a", "2");
    assert.deepEqual(p.getAll("a"), ["1", "2"], "the proxy sees later changes");
    assert.equal((p as unknown as { add?: unknown }).add, undefined, "no mutating method");
    assert.deepEqual(
      [...new MultiDictProxy(p)],
      [
        ["a", "1"],
        ["a", "2"],
      ],
      "a proxy of a proxy",
    );
  });

  test("the constructor requires a MultiDict or MultiDictProxy (test_multidict_proxy ctor)", () => {
    assert.throws(() => new MultiDictProxy({ a: "1" } as unknown as MultiDict), ArgumentTypeError);
  });
});

describe("MultiDict.fromQuery (aiohttp's request.query)", () => {
  test("parses like parse_qsl(keep_blank_values=True): repeated names, '+', percent-escapes, blanks", () => {
    const q = MultiDict.fromQuery("?tag=a&tag=b+c&x=%2F&empty=&flag");
    assert.deepEqual(q.getAll("tag"), ["a", "b c"]);
    assert.equal(q.get("x"), "/");
    assert.equal(q.get("empty"), "");
    assert.equal(q.get("flag"), "");
    assert.equal(q.size, 5);
  });

  test("is lazy: URLSearchParams are read on first use, not at construction", () => {
    const params = new URLSearchParams("a=1");
    const q = MultiDict.fromQuery(params);
    params.append("b", "2"); // still unread: the dict will see it
    assert.deepEqual(
      [...q],
      [
        ["a", "1"],
        ["b", "2"],
      ],
    );
    params.append("c", "3"); // read once: now a snapshot
    assert.equal(q.has("c"), false);
  });

  test("a parsed query is an ordinary mutable MultiDict", () => {
    const q = MultiDict.fromQuery("page=2");
    q.set("page", "3");
    assert.equal(new URLSearchParams([...q]).toString(), "page=3");
  });
});
