// Port of the behaviour checked by aiohttp's tests/test_cookiejar.py (and, for the Set-Cookie parser
// the jar uses, tests/test_cookie_helpers.py). Each test names the aiohttp test it follows; "aiots:"
// titles are our own. Time is the jar's `now` option, never the wall clock.
//
// Differences kept on purpose (see CookieJar's TSDoc): filterCookies returns name → wire value sorted
// by name (what aiohttp's `Cookie` header holds); relative request URLs are refused; save/load are
// async; per-cookie host-only flag and expiry.
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { inspect } from "node:util";
import { CookieJar, type CookieJarOptions, DummyCookieJar, type Morsel } from "../../src/client/cookiejar.js";
import { isDomainMatch, parseCookieDate, parseSetCookieHeaders } from "../../src/client/set-cookie.js";
import { ArgumentTypeError, FileNotFoundError, ValueError } from "../../src/index.js";
import { captureLogs } from "../helpers.js";

const NOW = Date.UTC(2020, 0, 1);
const SEC = 1000;

/** A clock tests move by hand. */
function clock(start = NOW): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => void (t = v) };
}

function jarOf(options: CookieJarOptions = {}): CookieJar {
  return new CookieJar({ now: () => NOW, ...options });
}

const keys = (m: Map<string, string>): string[] => [...m.keys()].sort();
const sorted = (xs: string[]): string[] => [...xs].sort();
const storedNames = (jar: Iterable<Morsel>): string[] => [...jar].map((m) => m.key);
const find = (jar: Iterable<Morsel>, name: string): Morsel => {
  const m = [...jar].find((c) => c.key === name);
  assert.ok(m, `no cookie ${name}`);
  return m;
};

/** aiohttp's `cookies_to_send` fixture (one SimpleCookie-style string), with the Expires year given. */
const cookiesToSend = (expiresYear: number): string =>
  "shared-cookie=first; " +
  "domain-cookie=second; Domain=example.com; " +
  "subdomain1-cookie=third; Domain=test1.example.com; " +
  "subdomain2-cookie=fourth; Domain=test2.example.com; " +
  "dotted-domain-cookie=fifth; Domain=.example.com; " +
  "different-domain-cookie=sixth; Domain=different.org; " +
  "secure-cookie=seventh; Domain=secure.com; Secure; " +
  "no-path-cookie=eighth; Domain=pathtest.com; " +
  "path1-cookie=ninth; Domain=pathtest.com; Path=/; " +
  "path2-cookie=tenth; Domain=pathtest.com; Path=/one; " +
  "path3-cookie=eleventh; Domain=pathtest.com; Path=/one/two; " +
  "path4-cookie=twelfth; Domain=pathtest.com; Path=/one/two/; " +
  `expires-cookie=thirteenth; Domain=expirestest.com; Path=/; Expires=Tue, 1 Jan ${expiresYear} 12:00:00 GMT; ` +
  "max-age-cookie=fourteenth; Domain=maxagetest.com; Path=/; Max-Age=60; " +
  "invalid-max-age-cookie=fifteenth; Domain=invalid-values.com;  Max-Age=string; " +
  "invalid-expires-cookie=sixteenth; Domain=invalid-values.com;  Expires=string;";
const COOKIES_TO_SEND = cookiesToSend(2999);
const COOKIES_TO_SEND_WITH_EXPIRED = cookiesToSend(1980);
const SEND_NAMES = [...COOKIES_TO_SEND.matchAll(/(?:^|; )([a-z0-9-]+-cookie)=/g)].map((m) => m[1]!);

/** aiohttp's `cookies_to_receive` fixture. */
const COOKIES_TO_RECEIVE =
  "unconstrained-cookie=first; Path=/; " +
  "domain-cookie=second; Domain=example.com; Path=/; " +
  "subdomain1-cookie=third; Domain=test1.example.com; Path=/; " +
  "subdomain2-cookie=fourth; Domain=test2.example.com; Path=/; " +
  "dotted-domain-cookie=fifth; Domain=.example.com; Path=/; " +
  "different-domain-cookie=sixth; Domain=different.org; Path=/; " +
  "no-path-cookie=seventh; Domain=pathtest.com; " +
  "path-cookie=eighth; Domain=pathtest.com; Path=/somepath; " +
  "wrong-path-cookie=ninth; Domain=pathtest.com; Path=somepath;";

describe("cookie helpers", () => {
  // test_cookiejar.py::test_date_parsing
  test("test_date_parsing: RFC 6265 dates, two-digit years, refusals", () => {
    assert.equal(parseCookieDate(""), null);
    assert.equal(parseCookieDate("Tue, 1 Jan 70 00:00:00 GMT"), Date.UTC(1970, 0, 1));
    assert.equal(parseCookieDate("Tue, 1 Jan 10 00:00:00 GMT"), Date.UTC(2010, 0, 1));
    assert.equal(parseCookieDate("1 Jan 1970 00:00:00 GMT"), Date.UTC(1970, 0, 1));
    assert.equal(parseCookieDate("Tue, 1 Jan 1970 00:00:00"), Date.UTC(1970, 0, 1));
    assert.equal(parseCookieDate("Wed Jun  9 10:18:14 2021"), Date.UTC(2021, 5, 9, 10, 18, 14));
    assert.equal(parseCookieDate("Wednesday, 09-Jun-21 10:18:14 GMT"), Date.UTC(2021, 5, 9, 10, 18, 14));
    assert.equal(parseCookieDate("Tue, 1 Jan 00:00:00 GMT"), null); // no year
    assert.equal(parseCookieDate("Tue, 1 1970 00:00:00 GMT"), null); // no month
    assert.equal(parseCookieDate("Tue, Jan 1970 00:00:00 GMT"), null); // no day
    assert.equal(parseCookieDate("Tue, 1 Jan 1970 GMT"), null); // no time
    assert.equal(parseCookieDate("Tue, 0 Jan 1970 00:00:00 GMT"), null);
    assert.equal(parseCookieDate("Tue, 1 Jan 1500 00:00:00 GMT"), null);
    assert.equal(parseCookieDate("Tue, 1 Jan 1970 77:88:99 GMT"), null);
    assert.equal(parseCookieDate("Tue, ١ Jan ١٩٧٠ ٠٠:٠٠:٠٠ GMT"), null);
    assert.equal(parseCookieDate("Tue, １ Jan １９７０ ００:００:００ GMT"), null);
    assert.equal(parseCookieDate("Tue, 1 Jan 1970 ٠٠:٠٠:٠٠ GMT"), null);
  });

  // test_cookiejar.py::test_domain_matching
  test("test_domain_matching", () => {
    assert.ok(isDomainMatch("test.com", "test.com"));
    assert.ok(isDomainMatch("test.com", "sub.test.com"));
    assert.ok(!isDomainMatch("test.com", ""));
    assert.ok(!isDomainMatch("test.com", "test.org"));
    assert.ok(!isDomainMatch("diff-test.com", "test.com"));
    assert.ok(!isDomainMatch("test.com", "diff-test.com"));
    assert.ok(!isDomainMatch("test.com", "127.0.0.1"));
  });

  // test_cookie_helpers.py::test_parse_set_cookie_headers_issue_7993_double_quotes
  test("test_parse_set_cookie_headers_issue_7993_double_quotes: an unclosed quote keeps what follows", () => {
    const r = parseSetCookieHeaders(['foo=bar; baz="qux; foo2=bar2']);
    assert.deepEqual(
      r.map((c) => [c.name, c.value]),
      [
        ["foo", "bar"],
        ["baz", '"qux'],
        ["foo2", "bar2"],
      ],
    );
  });

  // test_cookie_helpers.py::test_parse_set_cookie_headers_attributes_before_cookie and
  // ::test_parse_set_cookie_headers_attributes_without_values and ::test_parse_set_cookie_headers_empty_and_invalid
  test("test_parse_set_cookie_headers_attributes_before_cookie / _without_values / _empty_and_invalid", () => {
    assert.deepEqual(parseSetCookieHeaders(["Path=/; name=value"]), []);
    assert.deepEqual(parseSetCookieHeaders(["Path=/; Domain=.example.com; Secure; name=value"]), []);
    const [c] = parseSetCookieHeaders(["name=value; Path; Secure"]);
    assert.equal(c!.secure, false); // `Path` without a value ends the header
    assert.equal(parseSetCookieHeaders(["name=value; Secure"])[0]!.secure, true);
    const r = parseSetCookieHeaders(["", "   ", "=value", "name=", "justname", "path=/", "Domain=.com"]);
    assert.deepEqual(
      r.map((x) => [x.name, x.value]),
      [["name", ""]],
    );
  });

  // test_cookie_helpers.py::test_parse_set_cookie_headers_dollar_prefixed_names and ::_dollar_attributes
  test("test_parse_set_cookie_headers_dollar_prefixed_names / _dollar_attributes", () => {
    assert.deepEqual(
      parseSetCookieHeaders(["$Version=1; $Path=/; $Domain=.com; name=value"]).map((c) => c.name),
      ["name"],
    );
    const [c] = parseSetCookieHeaders(["name=value; $Path=/test; $Domain=.example.com"]);
    assert.equal(c!.path, "/test");
    assert.equal(c!.domain, ".example.com");
  });

  // test_cookie_helpers.py::test_parse_set_cookie_headers_multiple_cookies_same_header and
  // ::test_parse_set_cookie_headers_quoted_values and ::test_parse_set_cookie_headers_uses_unquote_with_octal
  test("test_parse_set_cookie_headers_multiple_cookies_same_header / _quoted_values / _uses_unquote_with_octal", () => {
    assert.deepEqual(
      parseSetCookieHeaders(["cookie1=value1, cookie2=value2"]).map((c) => [c.name, c.value]),
      [
        ["cookie1", "value1,"],
        ["cookie2", "value2"],
      ],
    );
    const q = parseSetCookieHeaders([
      'name="quoted value"',
      'session="with;semicolon"',
      'data="with\\"escaped\\""',
      'mixed="hello\\040world\\041"',
    ]);
    assert.deepEqual(
      q.map((c) => c.value),
      ["quoted value", "with;semicolon", 'with"escaped"', "hello world!"],
    );
    assert.equal(q[3]!.codedValue, '"hello\\040world\\041"');
  });

  // test_cookie_helpers.py::test_parse_set_cookie_headers_ctl_chars_from_octal and ::_literal_ctl_chars_preserves_others
  test("test_parse_set_cookie_headers_ctl_chars_from_octal / _literal_ctl_chars_preserves_others", () => {
    assert.deepEqual(parseSetCookieHeaders(['name="\\012newline\\012"']), []);
    const r = parseSetCookieHeaders(['bad="a\x07b"; good=value', "another=cookie"]);
    assert.ok(r.some((c) => c.name === "another"));
    assert.ok(!r.some((c) => c.name === "bad"));
  });

  // test_cookie_helpers.py::test_parse_set_cookie_headers_various_date_formats_issue_4327 and ::_rfc2822_timezone_issue_4493
  test("test_parse_set_cookie_headers_various_date_formats_issue_4327 / _rfc2822_timezone_issue_4493", () => {
    const r = parseSetCookieHeaders([
      "cookie1=value1; Expires=Wed, 09 Jun 2021 10:18:14 GMT",
      "cookie2=value2; Expires=Wednesday, 09-Jun-21 10:18:14 GMT",
      "cookie4=value4; Expires=Wed Jun  9 10:18:14 2021; Path=/x",
      "hello=world; expires=Wed, 15 Jan 2020 09:45:07 -0000; HttpOnly",
    ]);
    assert.deepEqual(
      r.map((c) => c.expires),
      [
        "Wed, 09 Jun 2021 10:18:14 GMT",
        "Wednesday, 09-Jun-21 10:18:14 GMT",
        "Wed Jun  9 10:18:14 2021",
        "Wed, 15 Jan 2020 09:45:07 -0000",
      ],
    );
    assert.equal(r[2]!.path, "/x");
    assert.equal(r[3]!.httpOnly, true);
  });
});

describe("CookieJar: storing", () => {
  // test_cookiejar.py::test_constructor
  test("test_constructor: a response-less update stores every cookie", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([COOKIES_TO_SEND]);
    assert.deepEqual(sorted(storedNames(jar)), sorted(SEND_NAMES));
    assert.equal(jar.size, 16);
    assert.equal(find(jar, "path4-cookie").path, "/one/two/");
    assert.equal(find(jar, "dotted-domain-cookie").domain, "example.com");
    assert.equal(find(jar, "shared-cookie").domain, "");
    assert.equal(find(jar, "max-age-cookie").expires, NOW + 60 * SEC);
  });

  // test_cookiejar.py::test_constructor_with_expired
  test("test_constructor_with_expired: a cookie that expired already is dropped", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([COOKIES_TO_SEND_WITH_EXPIRED]);
    assert.ok(!storedNames(jar).includes("expires-cookie"));
    assert.equal(jar.size, 15);
  });

  // test_cookiejar.py::test_update_cookie_with_unicode_domain
  test("test_update_cookie_with_unicode_domain: an IDN response host matches its punycode Domain", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders(["idna-domain-first=first; Domain=xn--9caa.com; Path=/;"], "http://éé.com/");
    jar.updateCookiesFromHeaders(
      ["idna-domain-second=second; Domain=xn--9caa.com; Path=/;"],
      "http://xn--9caa.com/",
    );
    assert.deepEqual(storedNames(jar), ["idna-domain-first", "idna-domain-second"]);
  });

  // test_cookiejar.py::test_domain_filter_ip_cookie_receive
  test("test_domain_filter_ip_cookie_receive: an IP host sets nothing unless unsafe", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([COOKIES_TO_RECEIVE], "http://1.2.3.4/");
    assert.equal(jar.size, 0);
    const unsafe = jarOf({ unsafe: true });
    unsafe.updateCookiesFromHeaders(["a=1", "b=2; Domain=1.2.3.4", "c=3; Domain=2.3.4"], "http://1.2.3.4/");
    assert.deepEqual(storedNames(unsafe), ["a", "b"]);
  });

  // test_cookiejar.py::test_ignore_domain_ending_with_dot
  test("test_ignore_domain_ending_with_dot: the cookie becomes host-only", () => {
    const jar = jarOf({ unsafe: true });
    jar.updateCookiesFromHeaders(["cookie=val; Domain=example.com.;"], "http://www.example.com");
    assert.deepEqual([...jar.filterCookies("http://www.example.com/")], [["cookie", "val"]]);
    assert.equal(jar.filterCookies("http://example.com/").size, 0);
    assert.equal(find(jar, "cookie").hostOnly, true);
  });

  // test_cookiejar.py::test_cookie_jar_host_only_cookies_property
  test("test_cookie_jar_host_only_cookies_property: no Domain means host-only", () => {
    const jar = jarOf();
    jar.updateCookies({ hostonly: "value" }, "http://example.com/");
    jar.updateCookiesFromHeaders(["dom=1; Domain=example.com"], "http://example.com/");
    assert.equal(find(jar, "hostonly").hostOnly, true);
    assert.equal(find(jar, "hostonly").domain, "example.com");
    assert.equal(find(jar, "dom").hostOnly, false);
  });

  // test_cookiejar.py::test_loose_cookies_types
  test("test_loose_cookies_types: pairs, a Map and a plain object", () => {
    const jar = jarOf();
    jar.updateCookies([["a", "1"]]);
    jar.updateCookies(new Map([["b", "2"]]));
    jar.updateCookies({ c: "3" });
    jar.updateCookies({});
    assert.deepEqual(storedNames(jar), ["a", "b", "c"]);
  });

  // test_cookiejar.py::TestCookieJarSafe::test_path_value
  test("TestCookieJarSafe::test_path_value: default path, and a Path not starting with / ignored", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([COOKIES_TO_RECEIVE], "http://pathtest.com/");
    assert.deepEqual(sorted(storedNames(jar)), [
      "no-path-cookie",
      "path-cookie",
      "unconstrained-cookie",
      "wrong-path-cookie",
    ]);
    assert.equal(find(jar, "no-path-cookie").path, "/");
    assert.equal(find(jar, "path-cookie").path, "/somepath");
    assert.equal(find(jar, "wrong-path-cookie").path, "/");
    const deep = jarOf();
    deep.updateCookiesFromHeaders(["a=1", "b=2; Path=rel"], "http://pathtest.com/one/two?q=1");
    assert.equal(find(deep, "a").path, "/one");
    assert.equal(find(deep, "b").path, "/one");
  });

  // test_cookiejar.py::TestCookieJarSafe::test_invalid_values
  test("TestCookieJarSafe::test_invalid_values: an invalid Max-Age or Expires makes a session cookie", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([COOKIES_TO_SEND_WITH_EXPIRED]);
    assert.deepEqual(keys(jar.filterCookies("http://invalid-values.com/")), [
      "invalid-expires-cookie",
      "invalid-max-age-cookie",
      "shared-cookie",
    ]);
    assert.equal(find(jar, "invalid-max-age-cookie").expires, null);
    assert.equal(find(jar, "invalid-expires-cookie").expires, null);
  });

  // test_cookiejar.py::TestCookieJarSafe::test_cookie_not_expired_when_added_after_removal
  test("TestCookieJarSafe::test_cookie_not_expired_when_added_after_removal", () => {
    const jar = jarOf({ unsafe: true });
    jar.updateCookiesFromHeaders(['foo=""; Max-Age=0']);
    assert.equal(jar.size, 0);
    jar.updateCookiesFromHeaders(['foo="bar"']);
    assert.equal(jar.size, 1);
  });

  // test_cookiejar.py::test_update_cookies_from_headers_duplicate_names
  test("test_update_cookies_from_headers_duplicate_names: one name under two domains coexists", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders(
      [
        "session-id=123456; Domain=.example.com; Path=/",
        "session-id=789012; Domain=.www.example.com; Path=/",
        "user-pref=light; Domain=.example.com",
        "user-pref=dark; Domain=sub.example.com",
      ],
      "http://www.example.com/",
    );
    assert.equal(jar.size, 3); // sub.example.com is not www.example.com's to set
    const sessions = [...jar].filter((m) => m.key === "session-id");
    assert.deepEqual(sorted(sessions.map((m) => m.domain)), ["example.com", "www.example.com"]);
    // The most specific domain wins when both match.
    assert.equal(jar.filterCookies("https://www.example.com/").get("session-id"), "789012");
    assert.equal(jar.filterCookies("https://example.com/").get("session-id"), "123456");
  });

  // test_cookiejar.py::test_update_cookies_from_headers_invalid_cookies
  test("test_update_cookies_from_headers_invalid_cookies: skipped with a warning, the rest kept", async () => {
    const jar = jarOf();
    const { logs: log } = await captureLogs(async () =>
      jar.updateCookiesFromHeaders(
        ["valid-cookie=value123", "invalid,cookie=value; HttpOnly; Path=/", "another-valid=value456"],
        "http://example.com/",
      ),
    );
    assert.ok(log.some((r) => r.startsWith("warning: Can not load cookies")));
    assert.deepEqual(keys(jar.filterCookies("http://example.com/")), ["another-valid", "valid-cookie"]);
  });

  // test_cookiejar.py::test_update_cookies_from_headers_with_curly_braces and ::_with_special_chars
  test("test_update_cookies_from_headers_with_curly_braces / _with_special_chars: relaxed names", () => {
    const jar = jarOf();
    const url = "http://example.com/";
    jar.updateCookiesFromHeaders(
      [
        "ISAWPLB{A7F52349-3531-4DA9-8776-F74BC6F4F1BB}={925EC0B8-CB17-4BEB-8A35-1033813B0523}; HttpOnly; Path=/",
        "cookie_with_parens=(value)=test123",
        "cookie-with-brackets[index]=value456",
        "cookie@with@at=value789",
        "cookie:with:colons=value000",
      ],
      url,
    );
    assert.equal(jar.size, 5);
    const sent = jar.filterCookies(url);
    assert.ok(sent.has("ISAWPLB{A7F52349-3531-4DA9-8776-F74BC6F4F1BB}"));
    assert.equal(find(jar, "cookie_with_parens").value, "(value)=test123");
    assert.ok(
      sent.has("cookie-with-brackets[index]") && sent.has("cookie@with@at") && sent.has("cookie:with:colons"),
    );
  });

  // test_cookiejar.py::test_update_cookies_from_headers_empty_list
  test("test_update_cookies_from_headers_empty_list", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([], "http://example.com/");
    assert.equal(jar.size, 0);
  });

  // test_cookiejar.py::test_update_cookies_from_headers_preserves_existing
  test("test_update_cookies_from_headers_preserves_existing", () => {
    const jar = jarOf();
    const url = "http://example.com/";
    jar.updateCookies({ existing1: "value1", existing2: "value2" }, url);
    jar.updateCookiesFromHeaders(["new-cookie1=value3", "new-cookie2=value4"], url);
    assert.deepEqual(keys(jar.filterCookies(url)), ["existing1", "existing2", "new-cookie1", "new-cookie2"]);
  });

  // test_cookiejar.py::test_update_cookies_from_headers_overwrites_same_cookie
  test("test_update_cookies_from_headers_overwrites_same_cookie", () => {
    const jar = jarOf();
    const url = "http://example.com/";
    jar.updateCookies({ session: "old-value" }, url);
    jar.updateCookiesFromHeaders(["session=new-value"], url);
    assert.equal(jar.size, 1);
    assert.equal(jar.filterCookies(url).get("session"), "new-value");
  });

  // test_cookiejar.py::test_shared_cookie_cache_clearing_on_update
  test("test_shared_cookie_cache_clearing_on_update: a shared cookie's new value is what is sent", () => {
    const jar = jarOf({ unsafe: true });
    jar.updateCookies({ shared: "value1" });
    assert.equal(jar.filterCookies("http://example.com/").get("shared"), "value1");
    jar.updateCookies({ shared: "value2" });
    assert.equal(jar.filterCookies("http://example.com/").get("shared"), "value2");
    assert.equal(jar.size, 1);
  });
});

describe("CookieJar: filtering", () => {
  // test_cookiejar.py::test_filter_cookie_with_unicode_domain
  test("test_filter_cookie_with_unicode_domain", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders(["idna-domain-first=first; Domain=xn--9caa.com; Path=/; "]);
    assert.equal(jar.filterCookies("http://éé.com").size, 1);
    assert.equal(jar.filterCookies(new URL("http://xn--9caa.com")).size, 1);
  });

  // test_cookiejar.py::test_filter_cookies_with_domain_path_lookup_multilevelpath
  const multilevel: Array<[string, string[]]> = [
    [
      "http://pathtest.com/one/two/",
      ["no-path-cookie", "path1-cookie", "path2-cookie", "shared-cookie", "path3-cookie", "path4-cookie"],
    ],
    [
      "http://pathtest.com/one/two",
      ["no-path-cookie", "path1-cookie", "path2-cookie", "shared-cookie", "path3-cookie"],
    ],
    [
      "http://pathtest.com/one/two/three/",
      ["no-path-cookie", "path1-cookie", "path2-cookie", "shared-cookie", "path3-cookie", "path4-cookie"],
    ],
    [
      "http://test1.example.com/",
      ["shared-cookie", "domain-cookie", "subdomain1-cookie", "dotted-domain-cookie"],
    ],
    ["http://pathtest.com/", ["shared-cookie", "no-path-cookie", "path1-cookie"]],
  ];
  for (const [url, expected] of multilevel)
    test(`test_filter_cookies_with_domain_path_lookup_multilevelpath[${url}]`, () => {
      const jar = jarOf();
      jar.updateCookiesFromHeaders([COOKIES_TO_SEND_WITH_EXPIRED]);
      assert.deepEqual(keys(jar.filterCookies(url)), sorted(expected));
    });

  // test_cookiejar.py::test_domain_filter_ip_cookie_send
  test("test_domain_filter_ip_cookie_send: an IP host gets the shared cookies only", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([COOKIES_TO_SEND_WITH_EXPIRED]);
    assert.deepEqual([...jar.filterCookies("http://1.2.3.4/")], [["shared-cookie", "first"]]);
  });

  // test_cookiejar.py::test_quotes_correctly_based_on_input
  const quoting: Array<[string, string, string[], boolean]> = [
    [
      "IP domain preserved",
      "shared-cookie=first; ip-cookie=second; Domain=127.0.0.1;",
      ["ip-cookie=second", "shared-cookie=first"],
      true,
    ],
    ["no shared cookie", 'ip-cookie="second"; Domain=127.0.0.1;', ['ip-cookie="second"'], true],
    ["quoted cookie with special char", "custom-cookie=value/one;", ['custom-cookie="value/one"'], true],
    ["quoted cookie w/o special char", "custom-cookie=value1;", ["custom-cookie=value1"], true],
    ["unquoted cookie with special char", "custom-cookie=value/one;", ["custom-cookie=value/one"], false],
    ["pre-quoted cookie", 'foo="quoted_value"', ['foo="quoted_value"'], true],
    ["pre-quoted cookie with domain", 'foo="quoted_value"; domain=127.0.0.1', ['foo="quoted_value"'], true],
  ];
  for (const [id, header, expected, quoteCookie] of quoting)
    test(`test_quotes_correctly_based_on_input[${id}]`, () => {
      const jar = jarOf({ unsafe: true, quoteCookie });
      jar.updateCookiesFromHeaders([header]);
      const sent = [...jar.filterCookies("http://127.0.0.1/")].map(([k, v]) => `${k}=${v}`);
      assert.deepEqual(sent, expected);
    });

  test('aiots: Python quoting of dict values (octal for , and ;, "" for empty), raw when quoteCookie is false', () => {
    const quoted = jarOf();
    quoted.updateCookies({ a: "x,y", b: "p;q", c: "", d: 'say "hi"', e: "é" });
    assert.deepEqual(Object.fromEntries(quoted.filterCookies("http://h.test/")), {
      a: '"x\\054y"',
      b: '"p\\073q"',
      c: '""',
      d: '"say \\"hi\\""',
      e: '"\\351"',
    });
    const raw = jarOf({ quoteCookie: false });
    raw.updateCookies({ a: "x,y", c: "" });
    assert.deepEqual(Object.fromEntries(raw.filterCookies("http://h.test/")), { a: "x,y", c: "" });
  });

  const sentFor = (url: string): Map<string, string> => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([COOKIES_TO_SEND_WITH_EXPIRED]);
    return jar.filterCookies(url);
  };
  const receivedFor = (url: string): string[] => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([COOKIES_TO_RECEIVE], url);
    return sorted(storedNames(jar));
  };

  // test_cookiejar.py::TestCookieJarSafe::test_domain_filter_same_host
  test("TestCookieJarSafe::test_domain_filter_same_host", () => {
    assert.deepEqual(keys(sentFor("http://example.com/")), [
      "domain-cookie",
      "dotted-domain-cookie",
      "shared-cookie",
    ]);
    assert.deepEqual(receivedFor("http://example.com/"), [
      "domain-cookie",
      "dotted-domain-cookie",
      "unconstrained-cookie",
    ]);
  });

  // test_cookiejar.py::TestCookieJarSafe::test_domain_filter_same_host_and_subdomain
  test("TestCookieJarSafe::test_domain_filter_same_host_and_subdomain", () => {
    const expected = sorted(["shared-cookie", "domain-cookie", "subdomain1-cookie", "dotted-domain-cookie"]);
    assert.deepEqual(keys(sentFor("http://test1.example.com/")), expected);
    assert.deepEqual(
      receivedFor("http://test1.example.com/"),
      sorted(["unconstrained-cookie", "domain-cookie", "subdomain1-cookie", "dotted-domain-cookie"]),
    );
  });

  // test_cookiejar.py::TestCookieJarSafe::test_domain_filter_same_host_diff_subdomain
  test("TestCookieJarSafe::test_domain_filter_same_host_diff_subdomain", () => {
    assert.deepEqual(keys(sentFor("http://different.example.com/")), [
      "domain-cookie",
      "dotted-domain-cookie",
      "shared-cookie",
    ]);
    assert.deepEqual(receivedFor("http://different.example.com/"), [
      "domain-cookie",
      "dotted-domain-cookie",
      "unconstrained-cookie",
    ]);
  });

  // test_cookiejar.py::TestCookieJarSafe::test_domain_filter_diff_host
  test("TestCookieJarSafe::test_domain_filter_diff_host", () => {
    assert.deepEqual(keys(sentFor("http://different.org/")), ["different-domain-cookie", "shared-cookie"]);
    assert.deepEqual(receivedFor("http://different.org/"), [
      "different-domain-cookie",
      "unconstrained-cookie",
    ]);
  });

  // test_cookiejar.py::TestCookieJarSafe::test_domain_filter_host_only
  test("TestCookieJarSafe::test_domain_filter_host_only: a host-only cookie skips subdomains", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([COOKIES_TO_RECEIVE], "http://example.com/");
    jar.updateCookiesFromHeaders(["subdomain=spam; Path=/;"], "http://foo.example.com/");
    const sent = jar.filterCookies("http://foo.example.com/");
    assert.ok(sent.has("subdomain"));
    assert.ok(!sent.has("unconstrained-cookie"));
  });

  // test_cookiejar.py::TestCookieJarSafe::test_secure_filter
  test("TestCookieJarSafe::test_secure_filter: Secure cookies over https (and wss) only", () => {
    assert.deepEqual(keys(sentFor("http://secure.com/")), ["shared-cookie"]);
    assert.deepEqual(keys(sentFor("https://secure.com/")), ["secure-cookie", "shared-cookie"]);
    assert.deepEqual(keys(sentFor("wss://secure.com/")), ["secure-cookie", "shared-cookie"]);
    assert.deepEqual(keys(sentFor("ws://secure.com/")), ["shared-cookie"]);
  });

  // test_cookiejar.py::TestCookieJarSafe::test_path_filter_root / _folder / _file / _subfolder / _subsubfolder / _different_folder
  const pathCases: Array<[string, string, string[]]> = [
    ["test_path_filter_root", "/", ["shared-cookie", "no-path-cookie", "path1-cookie"]],
    ["test_path_filter_folder", "/one/", ["shared-cookie", "no-path-cookie", "path1-cookie", "path2-cookie"]],
    [
      "test_path_filter_file",
      "/one/two",
      ["shared-cookie", "no-path-cookie", "path1-cookie", "path2-cookie", "path3-cookie"],
    ],
    [
      "test_path_filter_subfolder",
      "/one/two/",
      ["shared-cookie", "no-path-cookie", "path1-cookie", "path2-cookie", "path3-cookie", "path4-cookie"],
    ],
    [
      "test_path_filter_subsubfolder",
      "/one/two/three/",
      ["shared-cookie", "no-path-cookie", "path1-cookie", "path2-cookie", "path3-cookie", "path4-cookie"],
    ],
    ["test_path_filter_different_folder", "/hundred/", ["shared-cookie", "no-path-cookie", "path1-cookie"]],
  ];
  for (const [name, path, expected] of pathCases)
    test(`TestCookieJarSafe::${name}`, () => {
      assert.deepEqual(keys(sentFor(`http://pathtest.com${path}`)), sorted(expected));
    });

  test("aiots: path matching is on segment boundaries (/one does not match /onex)", () => {
    assert.deepEqual(keys(sentFor("http://pathtest.com/onex")), [
      "no-path-cookie",
      "path1-cookie",
      "shared-cookie",
    ]);
  });

  // test_cookiejar.py::TestCookieJarSafe::test_path_filter_diff_folder_same_name
  test("TestCookieJarSafe::test_path_filter_diff_folder_same_name", () => {
    const jar = jarOf({ unsafe: true });
    jar.updateCookiesFromHeaders(["path-cookie=zero; Domain=pathtest.com; Path=/; "]);
    jar.updateCookiesFromHeaders(["path-cookie=one; Domain=pathtest.com; Path=/one; "]);
    assert.equal(jar.size, 2);
    assert.deepEqual([...jar.filterCookies("http://pathtest.com/")], [["path-cookie", "zero"]]);
    assert.deepEqual([...jar.filterCookies("http://pathtest.com/one")], [["path-cookie", "one"]]);
  });

  // test_cookiejar.py::TestCookieJarSafe::test_path_filter_diff_folder_same_name_return_best_match_independent_from_put_order
  test("TestCookieJarSafe::test_path_filter_diff_folder_same_name_return_best_match_independent_from_put_order", () => {
    const jar = jarOf({ unsafe: true });
    jar.updateCookiesFromHeaders(["path-cookie=one; Domain=pathtest.com; Path=/one; "]);
    jar.updateCookiesFromHeaders(["path-cookie=zero; Domain=pathtest.com; Path=/; "]);
    jar.updateCookiesFromHeaders(["path-cookie=two; Domain=pathtest.com; Path=/second; "]);
    assert.equal(jar.size, 3);
    assert.equal(jar.filterCookies("http://pathtest.com/").get("path-cookie"), "zero");
    assert.equal(jar.filterCookies("http://pathtest.com/second").get("path-cookie"), "two");
    assert.equal(jar.filterCookies("http://pathtest.com/one").get("path-cookie"), "one");
  });

  // test_cookiejar.py::test_treat_as_secure_origin_init
  test("test_treat_as_secure_origin_init: a string, a URL, or an iterable of them", () => {
    for (const option of [
      "http://127.0.0.1/index.html",
      new URL("http://127.0.0.1/index.html"),
      ["http://127.0.0.1/index.html"],
      new Set([new URL("http://127.0.0.1:80/index.html")]),
    ]) {
      const jar = jarOf({ unsafe: true, treatAsSecureOrigin: option });
      jar.updateCookiesFromHeaders(["s=1; Secure"], "http://127.0.0.1/");
      assert.equal(jar.filterCookies("http://127.0.0.1/x").get("s"), "1", inspect(option));
      assert.equal(jar.filterCookies("http://127.0.0.1:8080/").size, 0, "another port is another origin");
    }
  });

  // test_cookiejar.py::test_treat_as_secure_origin
  test("test_treat_as_secure_origin: a Secure cookie goes to the listed plain-http origin", () => {
    const endpoint = new URL("http://127.0.0.1/");
    const jar = jarOf({ unsafe: true, treatAsSecureOrigin: [endpoint] });
    jar.updateCookiesFromHeaders(["cookie-key=cookie-value; HttpOnly; Path=/; Secure"], endpoint);
    assert.equal(jar.size, 1);
    assert.equal(jar.filterCookies(endpoint).size, 1);
  });

  test("aiots: localhost is not a secure origin (as aiohttp) unless listed", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders(["s=1; Secure"], "https://localhost/");
    assert.equal(jar.filterCookies("http://localhost/").size, 0);
    assert.equal(jar.filterCookies("https://localhost/").size, 1);
  });

  test("aiots: unsafe IPv6 hosts set and get their own cookies", () => {
    const jar = jarOf({ unsafe: true });
    jar.updateCookiesFromHeaders(["v6=1"], "http://[::1]:8080/");
    assert.equal(find(jar, "v6").domain, "::1");
    assert.equal(jar.filterCookies("http://[::1]/").get("v6"), "1");
    assert.equal(jar.filterCookies("http://127.0.0.1/").size, 0);
    const safe = jarOf();
    safe.updateCookiesFromHeaders(["v6=1"], "http://[::1]/");
    assert.equal(safe.size, 0);
  });

  // test_cookiejar.py::test_filter_cookies_does_not_leak_memory
  test("test_filter_cookies_does_not_leak_memory: filtering many paths stores nothing", () => {
    const jar = jarOf();
    jar.updateCookies({ test_cookie: "value; Path=/" }, "http://example.com/");
    for (const path of ["/", "/api", "/api/v1", "/api/v1/users/123", "/static/css/style.css"]) {
      const sent = jar.filterCookies(`http://example.com${path}`);
      assert.deepEqual(keys(sent), ["test_cookie"]);
    }
    assert.equal(jar.size, 1);
    assert.equal(find(jar, "test_cookie").value, "value; Path=/"); // a plain value, not attributes
  });

  // test_cookiejar.py::test_update_cookies_from_headers
  test("test_update_cookies_from_headers: Secure ones only over https", () => {
    const jar = jarOf();
    const url = "http://example.com/path";
    jar.updateCookiesFromHeaders(
      [
        "session-id=123456; Path=/",
        "user-pref=dark-mode; Domain=.example.com",
        "tracking=xyz789; Secure; HttpOnly",
      ],
      url,
    );
    assert.equal(jar.size, 3);
    assert.deepEqual(Object.fromEntries(jar.filterCookies(url)), {
      "session-id": "123456",
      "user-pref": "dark-mode",
    });
    assert.equal(jar.filterCookies("https://example.com/path").get("tracking"), "xyz789");
  });

  // test_cookiejar.py::test_update_cookies_from_headers_with_attributes
  test("test_update_cookies_from_headers_with_attributes", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders(
      [
        "secure-cookie=value1; Secure; HttpOnly; SameSite=Strict",
        "expiring-cookie=value2; Max-Age=3600; Path=/app",
        "domain-cookie=value3; Domain=.example.com; Path=/",
        "dated-cookie=value4; Expires=Wed, 09 Jun 3024 10:18:14 GMT",
      ],
      "https://secure.example.com/app/page",
    );
    assert.equal(jar.size, 4);
    assert.deepEqual(keys(jar.filterCookies("https://secure.example.com/")), ["domain-cookie"]);
    assert.equal(jar.filterCookies("https://secure.example.com/app/").size, 4);
    assert.deepEqual(keys(jar.filterCookies("http://secure.example.com/app/")), [
      "dated-cookie",
      "domain-cookie",
      "expiring-cookie",
    ]);
    assert.equal(find(jar, "secure-cookie").sameSite, "Strict");
    assert.equal(find(jar, "dated-cookie").expires, Date.UTC(3024, 5, 9, 10, 18, 14));
  });

  // test_cookiejar.py::test_shared_cookie_with_multiple_domains
  test("test_shared_cookie_with_multiple_domains: shared cookies go everywhere, IPs included", () => {
    const jar = jarOf({ unsafe: true });
    jar.updateCookies({ universal: "everywhere" });
    for (const url of [
      "http://example.com/",
      "http://test.org/deep/path",
      "http://localhost/",
      "http://192.168.1.1/",
    ])
      assert.equal(jar.filterCookies(url).get("universal"), "everywhere", url);
  });

  test("aiots: the result is sorted by name, as aiohttp's Cookie header is", () => {
    const jar = jarOf();
    jar.updateCookies([
      ["zeta", "1"],
      ["alpha", "2"],
      ["Mid", "3"],
    ]);
    assert.deepEqual([...jar.filterCookies("http://x.test/").keys()], ["Mid", "alpha", "zeta"]);
  });
});

describe("CookieJar: expiry", () => {
  // test_cookiejar.py::TestCookieJarSafe::test_expires
  test("TestCookieJarSafe::test_expires: checked against now() when filtering", () => {
    const c = clock(Date.UTC(1975, 0, 1));
    const jar = new CookieJar({ now: c.now });
    jar.updateCookiesFromHeaders([COOKIES_TO_SEND_WITH_EXPIRED]);
    assert.deepEqual(keys(jar.filterCookies("http://expirestest.com/")), ["expires-cookie", "shared-cookie"]);
    c.set(Date.UTC(2030, 0, 1));
    assert.deepEqual(keys(jar.filterCookies("http://expirestest.com/")), ["shared-cookie"]);
  });

  // test_cookiejar.py::TestCookieJarSafe::test_max_age
  test("TestCookieJarSafe::test_max_age", () => {
    const c = clock(1000 * SEC);
    const jar = new CookieJar({ now: c.now });
    jar.updateCookiesFromHeaders([COOKIES_TO_SEND_WITH_EXPIRED]);
    assert.deepEqual(keys(jar.filterCookies("http://maxagetest.com/")), ["max-age-cookie", "shared-cookie"]);
    c.set(1059 * SEC);
    assert.ok(jar.filterCookies("http://maxagetest.com/").has("max-age-cookie"));
    c.set(2000 * SEC);
    assert.deepEqual(keys(jar.filterCookies("http://maxagetest.com/")), ["shared-cookie"]);
  });

  test("aiots: Max-Age beats Expires; Max-Age<=0 or a past Expires deletes", () => {
    const jar = jarOf();
    const url = "http://example.com/";
    jar.updateCookiesFromHeaders(
      ["a=1; Expires=Tue, 1 Jan 1980 00:00:00 GMT; Max-Age=60", "b=1", "c=1"],
      url,
    );
    assert.equal(find(jar, "a").expires, NOW + 60 * SEC);
    jar.updateCookiesFromHeaders(["b=; Max-Age=-1", "c=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], url);
    assert.deepEqual(storedNames(jar), ["a"]);
    jar.updateCookiesFromHeaders(["far=1; Max-Age=99999999999999"], url);
    assert.equal(find(jar, "far").expires, 253402300798000); // clamped to aiohttp's MAX_TIME
  });

  test("aiots: a replacing cookie brings its own expiry (a session cookie stays)", () => {
    const c = clock();
    const jar = new CookieJar({ now: c.now });
    jar.updateCookiesFromHeaders(["s=1; Max-Age=10"], "http://example.com/");
    jar.updateCookiesFromHeaders(["s=2"], "http://example.com/");
    c.set(NOW + 3600 * SEC);
    assert.equal(jar.filterCookies("http://example.com/").get("s"), "2");
  });

  // test_cookiejar.py::test_cookie_jar_clear_expired
  test("test_cookie_jar_clear_expired: clear(predicate) also drops expired cookies", () => {
    const c = clock(Date.UTC(1980, 0, 1));
    const jar = new CookieJar({ now: c.now });
    jar.updateCookiesFromHeaders(["foo=bar; Expires=Tue, 1 Jan 1990 12:00:00 GMT"]);
    jar.updateCookiesFromHeaders(["keep=1"]);
    c.set(Date.UTC(1991, 0, 1));
    for (let i = 0; i < 2; i++) {
      jar.clear(() => false);
      assert.equal(jar.size, 1);
    }
    assert.deepEqual(storedNames(jar), ["keep"]);
  });

  // test_cookiejar.py::test_cookie_jar_expired_changes
  test("test_cookie_jar_expired_changes: the latest Expires counts", () => {
    const c = clock(Date.UTC(1990, 0, 1, 10));
    const jar = new CookieJar({ now: c.now });
    const url = "http://any.test/";
    for (const hour of [12, 11, 13, 14]) {
      jar.updateCookiesFromHeaders([`foo=bar; Expires=Tue, 1 Jan 1990 ${hour}:00:00 GMT`]);
      assert.deepEqual(keys(jar.filterCookies(url)), ["foo"]);
    }
    assert.equal(jar.size, 1);
    c.set(Date.UTC(1990, 0, 1, 13));
    assert.deepEqual(keys(jar.filterCookies(url)), ["foo"]);
    c.set(Date.UTC(1990, 0, 1, 14));
    assert.equal(jar.filterCookies(url).size, 0);
  });

  // test_cookiejar.py::test_cookie_jar_filter_cookies_expires
  test("test_cookie_jar_filter_cookies_expires: size counts until a filter purges", () => {
    const c = clock(Date.UTC(1980, 0, 1));
    const jar = new CookieJar({ now: c.now });
    jar.updateCookiesFromHeaders(["foo=bar; Expires=Tue, 1 Jan 1990 12:00:00 GMT"]);
    c.set(Date.UTC(2000, 0, 1));
    assert.equal(jar.size, 1);
    jar.filterCookies("http://any.com/");
    assert.equal(jar.size, 0);
  });
});

describe("CookieJar: clearing", () => {
  // test_cookiejar.py::test_cookie_jar_clear_all
  test("test_cookie_jar_clear_all", () => {
    const jar = jarOf();
    jar.updateCookies({ foo: "bar" });
    jar.clear();
    assert.equal(jar.size, 0);
    assert.deepEqual([...jar], []);
  });

  // test_cookiejar.py::test_cookie_jar_clear_domain
  test("test_cookie_jar_clear_domain: the domain and its subdomains go, shared cookies stay", () => {
    const jar = jarOf();
    jar.updateCookiesFromHeaders([
      "foo=bar",
      "domain_cookie=value; Domain=example.com",
      "subdomain_cookie=value; Domain=test.example.com",
      "other=value; Domain=notexample.com",
    ]);
    jar.clearDomain("EXAMPLE.com");
    assert.deepEqual(
      [...jar].map((m) => [m.key, m.value]),
      [
        ["foo", "bar"],
        ["other", "value"],
      ],
    );
  });
});

describe("CookieJar: save and load", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "aiots-cookiejar-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // test_cookiejar.py::test_save_load and ::test_save_load_json_roundtrip
  test("test_save_load / test_save_load_json_roundtrip", async () => {
    const file = join(dir, "roundtrip.json");
    const saved = jarOf();
    saved.updateCookiesFromHeaders([COOKIES_TO_RECEIVE]);
    await saved.save(file);
    const loaded = jarOf();
    loaded.updateCookies({ stale: "1" });
    await loaded.load(file);
    assert.deepEqual([...loaded], [...saved]);
  });

  // test_cookiejar.py::test_save_load_partitioned_cookies and ::test_save_load_json_partitioned_cookies
  test("test_save_load_partitioned_cookies", async () => {
    const file = join(dir, "partitioned.json");
    const saved = jarOf();
    saved.updateCookiesFromHeaders(["session=cookie; Partitioned"], "https://example.com/");
    await saved.save(file);
    const loaded = jarOf();
    await loaded.load(file);
    assert.deepEqual([...loaded], [...saved]);
    assert.equal(find(loaded, "session").partitioned, true);
  });

  // test_cookiejar.py::test_save_load_json_preserves_host_only_scope
  test("test_save_load_json_preserves_host_only_scope", async () => {
    const file = join(dir, "host_only.json");
    const issuer = "https://auth.example.com/login";
    const subdomain = "https://sub.auth.example.com/";
    const saved = jarOf();
    saved.updateCookies({ sid: "hostonly" }, issuer);
    assert.ok(!saved.filterCookies(subdomain).has("sid"));
    await saved.save(file);
    const loaded = jarOf();
    await loaded.load(file);
    assert.equal(find(loaded, "sid").hostOnly, true);
    assert.ok(!loaded.filterCookies(subdomain).has("sid"));
    assert.ok(loaded.filterCookies(issuer).has("sid"));
  });

  // test_cookiejar.py::test_save_load_json_domain_cookie_still_matches_subdomain
  test("test_save_load_json_domain_cookie_still_matches_subdomain", async () => {
    const file = join(dir, "domain.json");
    const saved = jarOf();
    saved.updateCookiesFromHeaders(["sid=domaincookie; Domain=example.com"], "https://example.com/");
    await saved.save(file);
    const loaded = jarOf();
    await loaded.load(file);
    assert.equal(find(loaded, "sid").hostOnly, false);
    assert.ok(loaded.filterCookies("https://sub.example.com/").has("sid"));
  });

  // test_cookiejar.py::test_save_load_json_preserves_max_age_deadline and ::_preserves_expires_deadline
  test("test_save_load_json_preserves_max_age_deadline / _preserves_expires_deadline", async () => {
    const file = join(dir, "max_age.json");
    const url = "https://example.com/";
    const saved = jarOf();
    saved.updateCookiesFromHeaders(
      [
        "sid=x; Max-Age=3600; Domain=example.com",
        "exp=y; Expires=Tue, 1 Jan 2999 12:00:00 GMT; Domain=example.com",
      ],
      url,
    );
    await saved.save(file);
    const later = new CookieJar({ now: () => NOW + 1800 * SEC });
    await later.load(file);
    assert.equal(find(later, "sid").expires, NOW + 3600 * SEC); // not reset to load time + Max-Age
    assert.equal(find(later, "exp").expires, Date.UTC(2999, 0, 1, 12));
    assert.ok(later.filterCookies(url).has("sid"));
    const json = JSON.parse(await readFile(file, "utf8"));
    assert.equal(json["example.com|"].sid.expires_timestamp, (NOW + 3600 * SEC) / 1000); // aiohttp's seconds
  });

  // test_cookiejar.py::test_save_load_json_drops_expired_cookie
  test("test_save_load_json_drops_expired_cookie", async () => {
    const file = join(dir, "expired.json");
    const saved = jarOf();
    saved.updateCookiesFromHeaders(
      ["sid=x; Expires=Tue, 1 Jan 2999 12:00:00 GMT; Domain=example.com"],
      "https://example.com/",
    );
    await saved.save(file);
    const data = JSON.parse(await readFile(file, "utf8"));
    data["example.com|"].sid.expires_timestamp = 0;
    await writeFile(file, JSON.stringify(data));
    const loaded = jarOf();
    await loaded.load(file);
    assert.equal(loaded.size, 0);
  });

  // test_cookiejar.py::test_load_json_old_format_without_new_keys
  test("test_load_json_old_format_without_new_keys: max-age is rescheduled from load time", async () => {
    const file = join(dir, "old.json");
    const old = {
      "example.com|/": {
        sid: { key: "sid", value: "x", coded_value: "x", domain: "example.com", "max-age": "3600" },
      },
    };
    await writeFile(file, JSON.stringify(old));
    const loaded = jarOf();
    await loaded.load(file);
    assert.ok(loaded.filterCookies("https://example.com/").has("sid"));
    assert.equal(find(loaded, "sid").expires, NOW + 3600 * SEC);
  });

  // test_cookiejar.py::test_json_format_is_safe
  test("test_json_format_is_safe: values are data", async () => {
    const file = join(dir, "safe.json");
    const value = "__import__('os').system('echo PWNED')";
    await writeFile(
      file,
      JSON.stringify({ "evil.com|/": { session: { key: "session", value, coded_value: value } } }),
    );
    const jar = jarOf();
    await jar.load(file);
    assert.deepEqual(
      [...jar].map((m) => m.value),
      [value],
    );
  });

  // test_cookiejar.py::test_save_load_json_secure_cookies
  test("test_save_load_json_secure_cookies", async () => {
    const file = join(dir, "secure.json");
    const saved = jarOf();
    saved.updateCookiesFromHeaders(
      ["token=abc123; Secure; HttpOnly; Path=/; Domain=example.com"],
      "https://example.com/",
    );
    await saved.save(file);
    const loaded = jarOf();
    await loaded.load(file);
    const m = find(loaded, "token");
    assert.deepEqual([m.value, m.secure, m.httpOnly, m.domain], ["abc123", true, true, "example.com"]);
  });

  // test_cookiejar.py::test_save_creates_private_cookie_file
  test("test_save_creates_private_cookie_file", { skip: process.platform === "win32" }, async () => {
    const file = join(dir, "private-cookies.json");
    const jar = jarOf();
    jar.updateCookiesFromHeaders(["token=abc123; Path=/"], "https://example.com/");
    await jar.save(file);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  // test_cookiejar.py::test_save_preserves_existing_cookie_file_permissions
  test("test_save_preserves_existing_cookie_file_permissions", {
    skip: process.platform === "win32",
  }, async () => {
    const file = join(dir, "existing-cookies.json");
    await writeFile(file, "{}");
    await chmod(file, 0o644);
    const jar = jarOf();
    jar.updateCookiesFromHeaders(["token=abc123; Path=/"], "https://example.com/");
    await jar.save(file);
    assert.equal((await stat(file)).mode & 0o777, 0o644);
  });

  test("aiots: load errors — a missing file is FileNotFoundError, bad JSON or shape a ValueError", async () => {
    const jar = jarOf();
    jar.updateCookies({ keep: "1" });
    await assert.rejects(jar.load(join(dir, "missing.json")), FileNotFoundError);
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{not json");
    await assert.rejects(jar.load(bad), ValueError);
    await writeFile(bad, JSON.stringify({ "no-bar": {} }));
    await assert.rejects(jar.load(bad), /malformed/);
    await writeFile(bad, JSON.stringify([]));
    await assert.rejects(jar.load(bad), ValueError);
    assert.deepEqual(storedNames(jar), ["keep"]); // untouched
    await assert.rejects(jar.save(42 as unknown as string), ArgumentTypeError);
  });
});

describe("CookieJar: arguments and properties", () => {
  // test_cookiejar.py::test_cookie_jar_unsafe_property
  test("test_cookie_jar_unsafe_property (and quoteCookie)", () => {
    assert.equal(new CookieJar().unsafe, false);
    assert.equal(new CookieJar({ unsafe: true }).unsafe, true);
    assert.equal(new CookieJar().quoteCookie, true);
    assert.equal(new CookieJar({ quoteCookie: false }).quoteCookie, false);
  });

  // test_cookiejar.py::test_filter_cookies_str_deprecated (we take strings without a warning)
  test("test_filter_cookies_str_deprecated: strings and URLs both accepted; a relative URL is refused", () => {
    const jar = jarOf();
    jar.updateCookies({ a: "1" });
    assert.equal(jar.filterCookies("http://éé.com").size, 1);
    assert.throws(() => jar.filterCookies("/relative"), ValueError);
    assert.throws(() => jar.filterCookies(42 as unknown as string), ArgumentTypeError);
  });

  test("aiots: invalid arguments throw precise errors and store nothing", () => {
    const jar = jarOf();
    assert.throws(() => jar.updateCookies({ "bad name": "x" }), /Illegal cookie name 'bad name'/);
    assert.throws(() => jar.updateCookies({ Path: "x" }), ValueError);
    assert.throws(() => jar.updateCookies({ ok: "1", a: "x\r\nSet-Cookie: evil=1" }), ValueError);
    assert.throws(() => jar.updateCookies({ a: 1 as unknown as string }), ArgumentTypeError);
    assert.throws(() => jar.updateCookies("a=1" as unknown as Record<string, string>), ArgumentTypeError);
    assert.throws(() => jar.updateCookies([["a"]] as unknown as Array<[string, string]>), ArgumentTypeError);
    assert.throws(() => jar.updateCookies({ a: "1" }, "not a url"), ValueError);
    assert.throws(
      () => jar.updateCookiesFromHeaders("a=1" as unknown as string[], "http://x.test/"),
      ArgumentTypeError,
    );
    assert.throws(
      () => jar.updateCookiesFromHeaders([1 as unknown as string], "http://x.test/"),
      ArgumentTypeError,
    );
    assert.throws(() => jar.clear("all" as unknown as () => boolean), ArgumentTypeError);
    assert.throws(() => jar.clearDomain(undefined as unknown as string), ArgumentTypeError);
    assert.equal(jar.size, 0);
    assert.throws(() => new CookieJar({ unsafe: "yes" as unknown as boolean }), ArgumentTypeError);
    assert.throws(() => new CookieJar({ now: 5 as unknown as () => number }), ArgumentTypeError);
    assert.throws(() => new CookieJar({ treatAsSecureOrigin: 5 as unknown as string }), ArgumentTypeError);
    assert.throws(() => new CookieJar({ treatAsSecureOrigin: "file:///tmp/x" }), /has no origin/);
  });

  test("aiots: inspect shows the count", () => {
    const jar = jarOf();
    jar.updateCookies({ a: "1", b: "2" });
    assert.equal(inspect(jar), "<CookieJar cookies=2 unsafe=false>");
    assert.equal(inspect(new DummyCookieJar()), "<DummyCookieJar>");
  });
});

describe("DummyCookieJar", () => {
  // test_cookiejar.py::test_dummy_cookie_jar and ::test_dummy_cookie_jar_update_cookies_from_headers
  test("test_dummy_cookie_jar / test_dummy_cookie_jar_update_cookies_from_headers: stores nothing", () => {
    const jar = new DummyCookieJar();
    assert.equal(jar.unsafe, false);
    assert.equal(jar.quoteCookie, true);
    assert.equal(jar.size, 0);
    jar.updateCookies({ foo: "bar" }, "http://example.com/");
    jar.updateCookiesFromHeaders(["cookie1=value1", "cookie2=value2"], "http://example.com/");
    assert.equal(jar.size, 0);
    assert.equal(jar[Symbol.iterator]().next().done, true);
    assert.equal(jar.filterCookies("http://example.com/").size, 0);
    jar.clear();
    jar.clearDomain("example.com");
  });
});
