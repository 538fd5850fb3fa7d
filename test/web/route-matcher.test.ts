// RouteMatcher ← aiohttp's tests/test_urldispatch.py and the routing parts of
// tests/test_web_urldispatcher.py (each title names the aiohttp test it follows; "aiots:" titles
// are our own), path codec and normalisation helpers, and a differential check against a direct
// model of aiohttp's `UrlDispatcher.resolve` (linear scan of the resource index).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ArgumentTypeError, RuntimeError, ValueError } from "../../src/index.js";
import {
  appendSlash,
  mergeSlashes,
  normalizePathCandidates,
  pathSafe,
  quotePath,
  removeSlash,
  requotePath,
  unquotePathSafe,
} from "../../src/web/path-params.js";
import { type MatchResult, RouteMatcher } from "../../src/web/route-matcher.js";

function found<R>(r: MatchResult<R>): { payload: R; params: Record<string, string>; method: string } {
  assert.equal(r.kind, "found", `expected a match, got ${JSON.stringify(r)}`);
  if (r.kind !== "found") throw new Error("unreachable");
  return { payload: r.payload, params: { ...r.params }, method: r.route.method };
}

const allowedOf = (r: MatchResult<unknown>): string[] | null =>
  r.kind === "method-not-allowed" ? r.allowed : null;

describe("RouteMatcher: adding and matching (test_urldispatch.py)", () => {
  test("test_register_uncommon_http_methods", () => {
    const m = new RouteMatcher<string>();
    for (const meth of ["PROPFIND", "PROPPATCH", "COPY", "LOCK", "UNLOCK", "MOVE", "SUBSCRIBE", "NOTIFY"])
      m.add(meth, "/handler/to/path", meth);
    assert.equal(found(m.match("PROPFIND", "/handler/to/path")).payload, "PROPFIND");
  });

  test("test_add_route_root", () => {
    const m = new RouteMatcher<string>();
    const route = m.add("GET", "/", "h");
    const r = m.match("GET", "/");
    assert.deepEqual(found(r).params, {});
    assert.equal(r.kind === "found" && r.route, route);
    assert.equal(route.name, undefined);
  });

  test("test_add_route_simple", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/handler/to/path", "h");
    assert.deepEqual(found(m.match("GET", "/handler/to/path")), { payload: "h", params: {}, method: "GET" });
  });

  test("test_add_with_matchdict", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/handler/{to}", "h");
    assert.deepEqual(found(m.match("GET", "/handler/tail")).params, { to: "tail" });
  });

  test("test_add_with_matchdict_with_colon", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/handler/{to}", "h");
    assert.deepEqual(found(m.match("GET", "/handler/1:2:3")).params, { to: "1:2:3" });
  });

  test("test_add_route_with_add_{post,put,patch,delete,head}_shortcut", () => {
    for (const meth of ["POST", "PUT", "PATCH", "DELETE", "HEAD"]) {
      const m = new RouteMatcher<string>();
      m.add(meth, "/handler/to/path", meth);
      assert.deepEqual(found(m.match(meth, "/handler/to/path")), { payload: meth, params: {}, method: meth });
    }
  });

  test("test_dispatch_lowercase_method", () => {
    const m = new RouteMatcher<string>();
    m.add("get", "/", "h");
    assert.equal(found(m.match("get", "/")).method, "GET");
  });

  test("test_add_with_name", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/handler/to/path", "h", { name: "name" });
    const r = m.match("GET", "/handler/to/path");
    assert.equal(r.kind === "found" && r.route.name, "name");
  });

  test("test_add_with_tailing_slash", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/handler/to/path/", "h");
    assert.equal(found(m.match("GET", "/handler/to/path/")).payload, "h");
    assert.equal(m.match("GET", "/handler/to/path").kind, "not-found");
  });

  test("test_add_invalid_path, test_add_url_invalid1-4: unbalanced braces, names not identifiers", () => {
    const m = new RouteMatcher<string>();
    for (const bad of [
      "/{/",
      "/post/{id",
      "/post/{id{}}",
      "/post/{id{}",
      '/post/{id"}',
      "/{1a}",
      "/{a-b}",
      "/x}",
      "/{__proto__}",
    ])
      assert.throws(() => m.add("POST", bad, "h"), ValueError, bad);
    assert.equal(m.resources().length, 0);
  });

  test("test_add_url_escaping", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/+$", "h");
    assert.equal(found(m.match("GET", "/+$")).payload, "h");
  });

  test("test_any_method", () => {
    const m = new RouteMatcher<string>();
    const route = m.add("*", "/", "any");
    for (const meth of ["GET", "POST", "BREW"]) {
      const r = m.match(meth, "/");
      assert.equal(r.kind === "found" && r.route, route);
    }
  });

  test("test_match_second_result_in_table", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/h1", "h1");
    m.add("POST", "/h2", "h2");
    assert.equal(found(m.match("POST", "/h2")).payload, "h2");
  });

  test("test_raise_method_not_allowed: Allow is sorted; add('GET') also allows HEAD", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/", "h1", { allowHead: false }); // add_route("GET", …) adds no HEAD
    m.add("POST", "/", "h2");
    assert.deepEqual(allowedOf(m.match("PUT", "/")), ["GET", "POST"]);
    const n = new RouteMatcher<string>();
    n.add("POST", "/", "h2");
    n.add("GET", "/", "h1");
    assert.deepEqual(allowedOf(n.match("PUT", "/")), ["GET", "HEAD", "POST"]);
  });

  test("test_raise_method_not_found", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/a", "h");
    assert.deepEqual(m.match("GET", "/b"), { kind: "not-found" });
  });

  test("test_double_add_url_with_the_same_name", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/get", "h1", { name: "name" });
    assert.throws(
      () => m.add("GET", "/get_other", "h2", { name: "name" }),
      /^ValueError: Duplicate 'name', already handled by/,
    );
  });

  test("test_route_plain, test_route_unknown_route_name", () => {
    const m = new RouteMatcher<string>();
    const route = m.add("GET", "/get", "h", { name: "name" });
    assert.equal(m.resource("name"), route.resource);
    assert.equal(m.urlFor("name"), "/get");
    assert.equal(m.resource("unknown"), undefined);
    assert.throws(() => m.urlFor("unknown"), ValueError);
  });

  test("test_route_dynamic, test_url_for_in_resource_route", () => {
    const m = new RouteMatcher<string>();
    const route = m.add("GET", "/get/{name}", "h", { name: "name" });
    assert.equal(m.urlFor("name", { name: "John" }), "/get/John");
    assert.equal(route.urlFor({ name: "John" }), "/get/John");
  });

  test("test_plain_not_match, test_dynamic_not_match", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/get/path", "plain");
    m.add("GET", "/get/{name}", "dyn");
    assert.equal(m.match("GET", "/another/path").kind, "not-found");
  });

  test("test_dynamic_with_trailing_slash", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/get/{name}/", "h");
    assert.deepEqual(found(m.match("GET", "/get/John/")).params, { name: "John" });
    assert.equal(m.match("GET", "/get/John").kind, "not-found");
  });

  test("test_add_route_with_re (4 cases)", () => {
    const cases: [string, string, Record<string, string>][] = [
      ["{to:\\d+}", "1234", { to: "1234" }],
      ["{name}.html", "test.html", { name: "test" }],
      ["{fn:\\w+ \\d+}", "abc 123", { fn: "abc 123" }],
      ["{fn:\\w+\\s\\d+}", "abc 123", { fn: "abc 123" }],
    ];
    for (const [pattern, url, expected] of cases) {
      const m = new RouteMatcher<string>();
      m.add("GET", `/handler/${pattern}`, "h");
      assert.deepEqual(found(m.match("GET", `/handler/${url}`)).params, expected, pattern);
    }
  });

  test("test_add_route_with_re_and_slashes", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/handler/{to:[^/]+/?}", "h1");
    assert.deepEqual(found(m.match("GET", "/handler/1234/")).params, { to: "1234/" });
    m.add("GET", "/handler/{to:.+}", "h2");
    assert.deepEqual(found(m.match("GET", "/handler/1234/5/6/7")), {
      payload: "h2",
      params: { to: "1234/5/6/7" },
      method: "GET",
    });
  });

  test("test_add_route_with_re_not_match", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/handler/{to:\\d+}", "h");
    assert.equal(m.match("GET", "/handler/tail").kind, "not-found");
  });

  test("test_add_route_with_re_including_slashes", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/handler/{to:.+}/tail", "h");
    assert.deepEqual(found(m.match("GET", "/handler/re/with/slashes/tail")).params, {
      to: "re/with/slashes",
    });
  });

  test("test_add_route_with_invalid_re: bad regex, duplicate names → ValueError", () => {
    const m = new RouteMatcher<string>();
    assert.throws(
      () => m.add("GET", "/handler/{to:+++}", "h"),
      /^ValueError: Bad pattern '\/handler\/\{to:\+\+\+\}'/,
    );
    assert.throws(() => m.add("GET", "/{a:(x}", "h"), ValueError);
    assert.throws(() => m.add("GET", "/{a:x)|(y}", "h"), ValueError); // balanced only once wrapped
    assert.throws(() => m.add("GET", "/{a}/{a}", "h"), /redefinition of group name 'a'/);
    assert.throws(() => m.add("GET", "/{a}.{a:\\d+}", "h"), ValueError);
  });

  test("test_route_dynamic_with_regex_spec (+ _and_trailing_slash)", () => {
    const m = new RouteMatcher<string>();
    assert.equal(m.add("GET", "/get/{num:^\\d+}", "h", { name: "a" }).urlFor({ num: "123" }), "/get/123");
    assert.equal(m.add("GET", "/get/{num:^\\d+}/", "h", { name: "b" }).urlFor({ num: "123" }), "/get/123/");
  });

  test("test_route_dynamic_with_regex", () => {
    const m = new RouteMatcher<string>();
    assert.equal(m.add("GET", "/{one}/{two:.+}", "h").urlFor({ one: "1", two: "2" }), "/1/2");
  });

  test("test_route_dynamic_quoting (difference: a `/` in a {name} value is sent as %2F)", () => {
    const m = new RouteMatcher<string>();
    const route = m.add("GET", "/пре %2Fфикс/{arg}", "h");
    // aiohttp keeps the "/" ("…/1%202/%D1%82…"), a URL its own router cannot route back.
    const url = route.urlFor({ arg: "1 2/текст%2F" });
    assert.equal(
      url,
      "/%D0%BF%D1%80%D0%B5%20%2F%D1%84%D0%B8%D0%BA%D1%81/1%202%2F%D1%82%D0%B5%D0%BA%D1%81%D1%82%252F",
    );
    assert.deepEqual(found(m.match("GET", url)).params, { arg: "1 2/текст%2F" });
  });

  test("test_regular_match_info, test_match_info_with_plus", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/get/{name}", "h");
    assert.deepEqual(found(m.match("GET", "/get/john")).params, { name: "john" });
    assert.deepEqual(found(m.match("GET", "/get/1.0+test")).params, { name: "1.0+test" });
    assert.deepEqual(found(m.match("GET", "/get/1.0%2Btest")).params, { name: "1.0+test" });
  });

  test("test_dynamic_match_non_ascii", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/{var}", "h");
    const r = m.match("GET", "/%D1%80%D1%83%D1%81%20%D1%82%D0%B5%D0%BA%D1%81%D1%82");
    assert.deepEqual(found(r).params, { var: "рус текст" });
  });

  test("test_dynamic_match_with_static_part, test_dynamic_match_two_part2", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/{name}.html", "html");
    m.add("GET", "/{name}.{ext}", "any");
    assert.deepEqual(found(m.match("GET", "/file.html")), {
      payload: "html",
      params: { name: "file" },
      method: "GET",
    });
    assert.deepEqual(found(m.match("GET", "/file.tar.gz")).params, { name: "file.tar", ext: "gz" });
  });

  test("test_dynamic_match_unquoted_path: %2F and %25 in a {name} value", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/{path}/{subpath}", "h");
    const id = "my%2Fpath%7Cwith%21some%25strange%24characters";
    assert.deepEqual(found(m.match("GET", `/path/${id}`)).params, {
      path: "path",
      subpath: "my/path|with!some%strange$characters",
    });
  });

  test("test_dynamic_match_double_quoted_path: decoded once", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/{path}/{subpath}", "h");
    const once = encodeURIComponent("my/path|with!some%strange$characters");
    const r = m.match("GET", `/path/${encodeURIComponent(once)}`);
    assert.deepEqual(found(r).params, { path: "path", subpath: once });
  });

  test("test_add_route_not_started_with_slash, test_add_route_invalid_method", () => {
    const m = new RouteMatcher<string>();
    assert.throws(() => m.add("GET", "invalid_path", "h"), ValueError);
    for (const bad of [
      "BAD METHOD",
      "B@D_METHOD",
      "[BAD_METHOD]",
      "{BAD_METHOD}",
      "(BAD_METHOD)",
      "B?D_METHOD",
    ])
      assert.throws(() => m.add(bad, "/path", "h"), /is not allowed HTTP method/);
  });

  test("test_error_on_double_route_adding, test_error_on_adding_route_after_wildcard", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/path", "h");
    assert.throws(() => m.add("GET", "/path", "h"), RuntimeError);
    const n = new RouteMatcher<string>();
    n.add("*", "/path", "any");
    assert.throws(() => n.add("GET", "/path", "h"), /Added route will never be executed, method \* is/);
  });

  test("test_invalid_route_name (difference: Python keywords such as 'class' are accepted)", () => {
    const m = new RouteMatcher<string>();
    assert.throws(() => m.add("GET", "/", "h", { name: "invalid name" }), /Incorrect route name/);
    assert.throws(() => m.add("GET", "/", "h", { name: "a..b" }), ValueError);
    m.add("GET", "/", "h", { name: "class" });
    m.add("GET", "/x", "h", { name: "api.v1:users-list" });
    assert.equal(m.urlFor("api.v1:users-list"), "/x");
  });

  test("test_dynamic_url_with_name_started_from_underscore", () => {
    const m = new RouteMatcher<string>();
    assert.equal(m.add("GET", "/get/{_name}", "h").urlFor({ _name: "John" }), "/get/John");
  });

  test("test_convert_empty_path_to_slash_on_freezing", () => {
    const m = new RouteMatcher<string>();
    const route = m.add("GET", "", "h");
    assert.equal(route.resource.canonical, "/");
    assert.equal(found(m.match("GET", "/")).payload, "h");
  });

  test("test_plain_resource_canonical, test_dynamic_resource_canonical", () => {
    const m = new RouteMatcher<string>();
    assert.equal(m.add("GET", "/plain/path", "h").resource.canonical, "/plain/path");
    const canon = [
      ["/get/{name}", "/get/{name}"],
      ["/get/{num:^\\d+}", "/get/{num}"],
      ["/handler/{to:\\d+}", "/handler/{to}"],
      ["/{one}/{two:.+}", "/{one}/{two}"],
    ];
    for (const [pattern, canonical] of canon)
      assert.equal(m.add("GET", pattern!, "h").resource.canonical, canonical);
  });

  test("test_check_allowed_method_for_found_resource, test_resource_iter", () => {
    const m = new RouteMatcher<string>();
    const route = m.add("GET", "/", "h", { allowHead: false });
    m.add("POST", "/", "p");
    assert.deepEqual(route.resource.allowedMethods, ["GET", "POST"]);
    assert.deepEqual(
      m.routes().map((r) => r.method),
      ["GET", "POST"],
    );
  });
});

describe("RouteMatcher: routing (test_web_urldispatcher.py)", () => {
  test("test_allow_head", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/a", "a", { name: "a" });
    m.add("GET", "/b", "b", { name: "b", allowHead: false });
    assert.deepEqual(found(m.match("HEAD", "/a")), { payload: "a", params: {}, method: "HEAD" });
    assert.equal(found(m.match("GET", "/b")).payload, "b");
    assert.deepEqual(allowedOf(m.match("HEAD", "/b")), ["GET"]);
  });

  test("test_reuse_last_added_resource", () => {
    for (const path of ["/a", "/{a}", "/{a:.*}"]) {
      const m = new RouteMatcher<string>();
      const get = m.add("GET", path, "g", { name: "a" });
      const post = m.add("POST", path, "p", { name: "a" });
      assert.equal(get.resource, post.resource);
      assert.equal(m.resources().length, 1);
    }
  });

  test("test_url_escaping", () => {
    for (const [registered, requested] of [
      ["/a:b", "/a:b"],
      ["/a@b", "/a@b"],
      ["/a:b", "/a%3Ab"],
    ]) {
      const m = new RouteMatcher<string>();
      m.add("GET", registered!, "h");
      assert.equal(m.match("GET", requested!).kind, "found", requested);
    }
  });

  test("test_decoded_url_match (5 cases)", () => {
    const cases: [string, string, boolean][] = [
      ["/467,802,24834/hello", "/467%2C802%2C24834/hello", true],
      ["/{user_ids:([0-9]+)(,([0-9]+))*}/hello", "/467%2C802%2C24834/hello", true],
      ["/467,802,24834/hello", "/467,802,24834/hello", true],
      ["/{user_ids:([0-9]+)(,([0-9]+))*}/hello", "/467,802,24834/hello", true],
      ["/1%2C3/hello", "/1%2C3/hello", false],
    ];
    for (const [route, path, ok] of cases) {
      const m = new RouteMatcher<string>();
      m.add("GET", route, "h");
      assert.equal(m.match("GET", path).kind, ok ? "found" : "not-found", `${route} ${path}`);
    }
  });

  test("test_decoded_raw_match_regex: a plain path matches the decoded URL only", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/467%2C802%2C24834%2C24952%2C25362%2C40574/hello", "h");
    assert.equal(m.match("GET", "/467%2C802%2C24834%2C24952%2C25362%2C40574/hello").kind, "not-found");
  });

  test("test_order_is_preserved: fixed paths beat variables at the same key whatever the order", () => {
    const m = new RouteMatcher<string>();
    for (const p of [
      "/first/x/{b}/",
      "/first/{x:.*/b}",
      "/second/{user}/info",
      "/second/bob/info",
      "/third/bob/info",
      "/third/{user}/info",
      "/forth/{name:\\d+}",
      "/forth/42",
      "/fifth/42",
      "/fifth/{name:\\d+}",
    ])
      m.add("GET", p, p);
    const expect = {
      "/first/x/b/": "/first/x/{b}/",
      "/second/frank/info": "/second/{user}/info",
      "/second/bob/info": "/second/bob/info",
      "/third/bob/info": "/third/bob/info",
      "/third/frank/info": "/third/{user}/info",
      "/forth/21": "/forth/{name:\\d+}",
      "/forth/42": "/forth/42",
      "/fifth/21": "/fifth/{name:\\d+}",
      "/fifth/42": "/fifth/42",
    };
    for (const [path, pattern] of Object.entries(expect))
      assert.equal(found(m.match("GET", path)).payload, pattern, path);
  });

  test("test_route_with_regex: /core/locations{tail:.*}", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/core/locations{tail:.*}", "h");
    for (const [path, tail] of [
      ["/core/locations/tail/here", "/tail/here"],
      ["/core/locations_tail_here", "_tail_here"],
      ["/core/locations_tail;id=abcdef", "_tail;id=abcdef"],
      ["/core/locations", ""],
    ])
      assert.deepEqual(found(m.match("GET", path!)).params, { tail }, path);
  });
});

describe("RouteMatcher: precedence, 405 and methods (aiots)", () => {
  test("aiots: same key → first registered wins, in either order (aiohttp resolve)", () => {
    const a = new RouteMatcher<string>();
    a.add("GET", "/{a}/x", "param");
    a.add("GET", "/{b:\\d+}/x", "regex");
    assert.deepEqual(found(a.match("GET", "/1/x")), { payload: "param", params: { a: "1" }, method: "GET" });
    const b = new RouteMatcher<string>();
    b.add("GET", "/{b:\\d+}/x", "regex");
    b.add("GET", "/{a}/x", "param");
    assert.deepEqual(found(b.match("GET", "/1/x")), { payload: "regex", params: { b: "1" }, method: "GET" });
    assert.equal(found(b.match("GET", "/z/x")).payload, "param");
  });

  test("aiots: a longer fixed prefix wins over registration order", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/{any:.*}", "catch-all");
    m.add("GET", "/api/{x}", "api");
    m.add("GET", "/api/v1/{x}", "v1");
    assert.equal(found(m.match("GET", "/api/v1/a")).payload, "v1");
    assert.equal(found(m.match("GET", "/api/a")).payload, "api");
    assert.equal(found(m.match("GET", "/apix/a")).payload, "catch-all");
  });

  test("aiots: a plain path ending in / shares its key with dynamic routes (registration order)", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/a/{rest:.*}", "tail");
    m.add("GET", "/a/", "plain");
    assert.deepEqual(found(m.match("GET", "/a/")).params, { rest: "" });
    const n = new RouteMatcher<string>();
    n.add("GET", "/{any:.*}", "tail");
    n.add("GET", "/", "root");
    assert.equal(found(n.match("GET", "/")).payload, "tail");
    n.add("GET", "/x", "x");
    assert.equal(found(n.match("GET", "/x")).payload, "x"); // no trailing slash: its own key
  });

  test("aiots: path matched with the wrong method → search goes on; Allow unions all resources", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/a", "get-a");
    m.add("POST", "/{x}", "post-x");
    m.add("PUT", "/{y:a}", "put-a");
    assert.deepEqual(found(m.match("POST", "/a")).params, { x: "a" });
    assert.deepEqual(allowedOf(m.match("DELETE", "/a")), ["GET", "HEAD", "POST", "PUT"]);
    assert.deepEqual(allowedOf(m.match("DELETE", "/b")), ["POST"]);
  });

  test("aiots: a specific method beats the resource's * route; * answers the rest", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/v", "get");
    m.add("*", "/v", "any");
    assert.equal(found(m.match("GET", "/v")).payload, "get");
    assert.equal(found(m.match("PATCH", "/v")).payload, "any");
  });

  test("aiots: an explicit HEAD replaces GET's implicit one (difference: aiohttp raises)", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/r", "get");
    m.add("HEAD", "/r", "head");
    assert.equal(found(m.match("HEAD", "/r")).payload, "head");
    assert.throws(() => m.add("HEAD", "/r", "again"), RuntimeError);
    const n = new RouteMatcher<string>();
    n.add("HEAD", "/r", "head");
    n.add("GET", "/r", "get");
    assert.equal(found(n.match("HEAD", "/r")).payload, "head");
  });

  test("aiots: tail regexes, empty segments, braces and paths without a leading slash", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/static/{file:.+}", "static");
    m.add("GET", "/o/{x:\\d*}/end", "opt");
    m.add("GET", "/p/{name}", "param");
    assert.deepEqual(found(m.match("GET", "/static/css/a.css")).params, { file: "css/a.css" });
    assert.equal(m.match("GET", "/static/").kind, "not-found");
    assert.deepEqual(found(m.match("GET", "/o//end")).params, { x: "" });
    assert.equal(m.match("GET", "/p/").kind, "not-found");
    assert.equal(m.match("GET", "/p/a%7Bb").kind, "not-found"); // {name} excludes braces
    assert.equal(m.match("GET", "*").kind, "not-found");
  });

  test("aiots: unicode paths — fixed parts match as written (difference: aiohttp #13433)", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/café/{item}", "cafe", { name: "cafe" });
    m.add("GET", "/hello world/{name}", "hello");
    m.add("GET", "/日本", "plain");
    const url = m.urlFor("cafe", { item: "crème brûlée" });
    assert.equal(url, "/caf%C3%A9/cr%C3%A8me%20br%C3%BBl%C3%A9e");
    assert.deepEqual(found(m.match("GET", url)).params, { item: "crème brûlée" });
    assert.deepEqual(found(m.match("GET", "/hello%20world/j")).params, { name: "j" });
    assert.equal(found(m.match("GET", "/%E6%97%A5%E6%9C%AC")).payload, "plain");
    assert.deepEqual(found(m.match("GET", "/caf%C3%A9/%F0%9F%98%80")).params, { item: "😀" });
  });

  test("aiots: 1 000 dynamic routes under one key still resolve to the right one", () => {
    const m = new RouteMatcher<number>();
    for (let i = 0; i < 1000; i++) {
      m.add("GET", `/users/{id}/k${i}`, i);
      m.add("GET", `/r${i}/{id:\\d+}`, 1000 + i);
    }
    for (const i of [0, 1, 499, 999]) {
      assert.deepEqual(found(m.match("GET", `/users/u${i}/k${i}`)), {
        payload: i,
        params: { id: `u${i}` },
        method: "GET",
      });
      assert.equal(found(m.match("GET", `/r${i}/${i}`)).payload, 1000 + i);
    }
    assert.equal(m.match("GET", "/r5/x").kind, "not-found");
  });
});

describe("RouteMatcher.urlFor (aiots)", () => {
  test("aiots: percent-encodes like yarl's path quoting and appends the query", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/u/{id}", "h", { name: "u" });
    assert.equal(m.urlFor("u", { id: "a b?#%" }), "/u/a%20b%3F%23%25");
    assert.equal(m.urlFor("u", { id: "@:+$,;=&!'()*~" }), "/u/@:+$,;=&!'()*~");
    assert.equal(m.urlFor("u", { id: "x" }, { q: "a b", n: [1, 2], f: true }), "/u/x?q=a+b&n=1&n=2&f=true");
    assert.equal(m.urlFor("u", { id: "x" }, new URLSearchParams("a=1")), "/u/x?a=1");
    assert.equal(m.urlFor("u", { id: "x" }, {}), "/u/x");
  });

  test("aiots: a spanning variable keeps its slashes; a one-segment one gets %2F", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/s/{path:.*}", "h", { name: "s" });
    m.add("GET", "/one/{name}", "h", { name: "one" });
    assert.equal(m.urlFor("s", { path: "a/b c" }), "/s/a/b%20c");
    assert.equal(m.urlFor("one", { name: "a/b" }), "/one/a%2Fb");
    assert.deepEqual(found(m.match("GET", "/one/a%2Fb")).params, { name: "a/b" });
  });

  test("aiots: values must match their variable's regex (ValueError)", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/n/{id:\\d+}", "h", { name: "n" });
    m.add("GET", "/p/{name}", "h", { name: "p" });
    assert.equal(m.urlFor("n", { id: "12" }), "/n/12");
    assert.throws(
      () => m.urlFor("n", { id: "12a" }),
      /ValueError: urlFor\(\) value "12a" of 'id' does not match/,
    );
    assert.throws(() => m.urlFor("p", { name: "" }), ValueError);
    assert.throws(() => m.urlFor("p", { name: "a{b" }), ValueError);
  });

  test("aiots: missing → ValueError; extra or non-string → ArgumentTypeError", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/a/{x}/{y}", "h", { name: "a" });
    m.add("GET", "/plain", "h", { name: "plain" });
    assert.throws(() => m.urlFor("a", { x: "1" }), /ValueError: urlFor\(\) is missing parameter 'y'/);
    assert.throws(() => m.urlFor("a", { x: "1", y: "2", z: "3" }), ArgumentTypeError);
    assert.throws(() => m.urlFor("a", { x: "1", y: 2 as unknown as string }), ArgumentTypeError);
    assert.throws(() => m.urlFor("plain", { x: "1" }), ArgumentTypeError);
    assert.throws(() => m.urlFor("a", { x: "\ud800", y: "1" }), ValueError);
  });
});

describe("path codec and normalisation helpers (aiots)", () => {
  test("aiots: pathSafe decodes all but %2F and %25 (yarl's URL.path_safe)", () => {
    assert.equal(pathSafe("/plain"), "/plain");
    assert.equal(pathSafe("/caf%C3%A9/a%2Fb%20c"), "/café/a%2Fb c");
    assert.equal(pathSafe("/a%2fb%25c%2B"), "/a%2Fb%25c+");
    assert.equal(pathSafe("/%F0%9F%98%80"), "/😀");
    assert.equal(pathSafe("/%C3%28"), "/%C3(", "invalid continuation byte stays encoded");
    assert.equal(pathSafe("/%E2%82x%ff%ED%A0%80"), "/%E2%82x%ff%ED%A0%80", "incomplete, invalid, surrogate");
    assert.equal(pathSafe("/100%/%zz/%4"), "/100%/%zz/%4");
  });

  test("aiots: unquotePathSafe, quotePath, requotePath", () => {
    assert.equal(unquotePathSafe("a%2Fb%25c%252F"), "a/b%c%2F");
    assert.equal(quotePath("a/b c"), "a/b%20c");
    assert.equal(quotePath("a/b c", false), "a%2Fb%20c");
    assert.equal(requotePath("/пре %2Fфикс/"), "/%D0%BF%D1%80%D0%B5%20%2F%D1%84%D0%B8%D0%BA%D1%81/");
  });

  test("aiots: mergeSlashes, appendSlash, removeSlash", () => {
    assert.equal(mergeSlashes("//a///b//"), "/a/b/");
    assert.equal(appendSlash("/a"), "/a/");
    assert.equal(appendSlash("/a/"), "/a/");
    assert.equal(removeSlash("/a/"), "/a");
    assert.equal(removeSlash("/"), "/");
  });

  test("aiots: normalizePathCandidates follows normalize_path_middleware's order", () => {
    assert.deepEqual(normalizePathCandidates("/a//b"), ["/a/b", "/a//b/", "/a/b/"]);
    assert.deepEqual(normalizePathCandidates("/a/", { appendSlash: false, removeSlash: true }), [
      "/a/",
      "/a",
      "/a",
    ]);
    assert.deepEqual(normalizePathCandidates("/a", { mergeSlashes: false }), ["/a/"]);
    assert.deepEqual(normalizePathCandidates("//evil.com"), ["/evil.com", "/evil.com/", "/evil.com/"]);
    assert.throws(() => normalizePathCandidates("/a", { removeSlash: true }), ValueError);
  });

  test("aiots: the candidates resolve through the matcher as the middleware would", () => {
    const m = new RouteMatcher<string>();
    m.add("GET", "/users/{id}/", "h");
    const path = "//users//7";
    assert.equal(m.match("GET", path).kind, "not-found");
    const hit = normalizePathCandidates(path).find((p) => m.match("GET", p).kind === "found");
    assert.equal(hit, "/users/7/");
  });
});

// ------------------------------------------------------------------ differential check against aiohttp

/** aiohttp's `UrlDispatcher.resolve`, written out directly: a linear walk of the resource index. */
function aiohttpModel(defs: { pattern: string; method: string }[], method: string, raw: string) {
  const resources: { key: string; re: RegExp; plain: string | null; methods: Map<string, number> }[] = [];
  defs.forEach(({ pattern, method: meth }, i) => {
    const last = resources.at(-1);
    const same = last !== undefined && defs[i - 1]!.pattern === pattern;
    const r = same
      ? last
      : (() => {
          const canonical = pattern.replace(
            /\{([_a-zA-Z][_a-zA-Z0-9]*)(:[^{}]*(\{[^{}]*\}[^{}]*)*)?\}/g,
            "{$1}",
          );
          const src = pattern.replace(
            /\{([_a-zA-Z][_a-zA-Z0-9]*)(?::((?:[^{}]|\{[^{}]*\})*))?\}|[^{}]+/g,
            (m, n, re) =>
              n === undefined ? m.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&") : `(?<${n}>${re ?? "[^{}/]+"})`,
          );
          const plain = pattern.includes("{") ? null : pattern;
          const k = plain ?? canonical.slice(0, canonical.indexOf("{")).replace(/\/[^/]*$/, "");
          const res = {
            key: k.replace(/\/+$/, "") || "/",
            re: new RegExp(`^${src}$`, "u"),
            plain,
            methods: new Map<string, number>(),
          };
          resources.push(res);
          return res;
        })();
    r.methods.set(meth, i);
    if (meth === "GET" && !r.methods.has("HEAD")) r.methods.set("HEAD", i);
  });
  const path = pathSafe(raw);
  const allowed = new Set<string>();
  for (let part = path; part; ) {
    for (const r of resources.filter((x) => x.key === part)) {
      const m: { groups?: Record<string, string> } | null =
        r.plain !== null ? (r.plain === path ? { groups: {} } : null) : r.re.exec(path);
      if (m === null) continue;
      const hit = r.methods.get(method) ?? r.methods.get("*");
      if (hit !== undefined) {
        const params = Object.fromEntries(
          Object.entries(m.groups ?? {}).map(([k, v]) => [k, unquotePathSafe(v)]),
        );
        return { kind: "found", payload: hit, params };
      }
      for (const k of r.methods.keys()) allowed.add(k);
    }
    if (part === "/") break;
    part = part.slice(0, part.lastIndexOf("/")) || "/";
  }
  return allowed.size > 0
    ? { kind: "method-not-allowed", allowed: [...allowed].sort() }
    : { kind: "not-found" };
}

test("aiots: random routes and paths resolve exactly as the aiohttp model", () => {
  let s = 0x9e3779b9;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const segTokens = [
    "a",
    "b",
    "",
    "{v}",
    "{v:\\d+}",
    "{v:[ab]+}",
    "{v}.x",
    "x{v}",
    "{v:.*}",
    "{v:.+}",
    "{v:[^/]+/?}",
  ];
  const pathSegs = ["a", "b", "", "1", "12", "ab", "a.x", "xa", "x1", "%2F", "a%2Fb", "%61", "c"];
  for (let trial = 0; trial < 300; trial++) {
    const defs: { pattern: string; method: string }[] = [];
    const m = new RouteMatcher<number>();
    for (let i = 0, n = 1 + rnd(8); i < n; i++) {
      let v = 0;
      const segs = Array.from({ length: 1 + rnd(3) }, () => pick(segTokens).replace("{v", () => `{v${v++}`));
      const pattern = `/${segs.join("/")}`;
      const method = pick(["GET", "POST", "*"]);
      try {
        m.add(method, pattern, defs.length);
      } catch {
        continue; // same method twice on one resource: aiohttp refuses it too
      }
      defs.push({ pattern, method });
    }
    for (let q = 0; q < 20; q++) {
      const path = `/${Array.from({ length: 1 + rnd(4) }, () => pick(pathSegs)).join("/")}`;
      const method = pick(["GET", "HEAD", "POST", "PUT"]);
      const got = m.match(method, path);
      const want = aiohttpModel(defs, method, path);
      const norm =
        got.kind === "found"
          ? { kind: "found", payload: got.payload, params: { ...got.params } }
          : got.kind === "method-not-allowed"
            ? { kind: got.kind, allowed: got.allowed }
            : { kind: got.kind };
      assert.deepEqual(norm, want, `${method} ${path} with ${JSON.stringify(defs)}`);
    }
  }
});
