// Type tests of route parameters typed from the path literal (issue 9), checked by
// `npm run typecheck` (tsconfig.json includes test/) and run by the test runner, which checks the
// runtime values the typed calls produce.
//
// `expectType<Equal<A, B>>(true)` compiles only when A is exactly B. Each `@ts-expect-error`
// marks a line that must not compile; tsc reports the directive as unused if it ever does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMatchInfo, type MatchInfo, type PathParams } from "../../src/web/path-params.js";
import { type Route, RouteMatcher } from "../../src/web/route-matcher.js";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

/** Compiles only for `expectType<true>(true)`, i.e. when the `Equal<…>` check holds. */
function expectType<T>(_value: T): void {}

test("PathParams reads {name}, {name:regex} and {tail:.*} from the literal", () => {
  expectType<Equal<PathParams<"/users/{id}/posts/{post:\\d+}">, { id: string; post: string }>>(true);
  expectType<Equal<PathParams<"/static/{tail:.*}">, { tail: string }>>(true);
  expectType<Equal<PathParams<"/core/locations{tail:.*}">, { tail: string }>>(true);
  expectType<Equal<PathParams<"/{name}.{ext}">, { name: string; ext: string }>>(true);
  expectType<Equal<PathParams<"/{name}.html">, { name: string }>>(true);
  expectType<Equal<PathParams<"/handler/{to:.+}/tail">, { to: string }>>(true);
  expectType<Equal<PathParams<"/a/{x:[^/]+/?}">, { x: string }>>(true);
  expectType<Equal<PathParams<"/{user_ids:([0-9]+)(,([0-9]+))*}/hello">, { user_ids: string }>>(true);
});

test("PathParams skips the {m,n} braces nested in a regex", () => {
  expectType<Equal<PathParams<"/{year:\\d{4}}/{slug}">, { year: string; slug: string }>>(true);
  expectType<Equal<PathParams<"/{a:x{2}y{3,}}/{b}">, { a: string; b: string }>>(true);
  expectType<Equal<PathParams<"/{hex:[0-9a-f]{8}}">, { hex: string }>>(true);
});

test("no variables give {}; a non-literal string gives Record<string, string>; unions distribute", () => {
  expectType<Equal<PathParams<"/">, {}>>(true);
  expectType<Equal<PathParams<"/plain/path">, Record<never, string>>>(true);
  expectType<Equal<PathParams<string>, Record<string, string>>>(true);
  expectType<Equal<PathParams<"/a/{x}" | "/b/{y}">, { x: string } | { y: string }>>(true);
});

test("MatchInfo.get is string for known keys, string | undefined for others", () => {
  type P = PathParams<"/users/{id}/posts/{post:\\d+}">;
  const info: MatchInfo<P, string> = createMatchInfo<P, string>({ id: "7", post: "42" }, "route");
  const id = info.get("id");
  expectType<Equal<typeof id, string>>(true);
  const other = info.get("nope");
  expectType<Equal<typeof other, string | undefined>>(true);
  // @ts-expect-error an unknown key may be undefined
  const bad: string = info.get("nope");
  const params = info.params;
  // @ts-expect-error the params object has no such key
  void params.nope;
  expectType<Equal<typeof info.route, string>>(true);
  assert.equal(id, "7");
  assert.equal(other, undefined);
  assert.equal(bad, undefined);
  assert.deepEqual(params, { id: "7", post: "42" });
  assert.equal(info.has("post"), true);
  assert.equal(info.has("toString"), false);
  assert.equal(info.get("toString"), undefined);
});

test("MatchInfo over Record<string, string> knows no key", () => {
  const info: MatchInfo = createMatchInfo({ a: "1" }, null);
  const a = info.get("a");
  expectType<Equal<typeof a, string | undefined>>(true);
  assert.equal(a, "1");
});

test("a route's urlFor takes exactly its pattern's parameters", () => {
  const m = new RouteMatcher<number>();
  const user = m.add("GET", "/users/{id}/posts/{post:\\d+}", 1, { name: "post" });
  expectType<Equal<typeof user, Route<number, "/users/{id}/posts/{post:\\d+}">>>(true);
  assert.equal(user.urlFor({ id: "ann", post: "3" }), "/users/ann/posts/3");
  // @ts-expect-error `post` is missing
  assert.throws(() => user.urlFor({ id: "ann" }));
  // @ts-expect-error `nope` is not a parameter
  assert.throws(() => user.urlFor({ id: "ann", post: "3", nope: "x" }));
  const plain = m.add("GET", "/about", 2);
  assert.equal(plain.urlFor(), "/about");
  assert.equal(plain.urlFor({}, { lang: "en" }), "/about?lang=en");
  // @ts-expect-error a plain path takes no parameter
  assert.throws(() => plain.urlFor({ id: "1" }));
});
