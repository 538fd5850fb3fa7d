/**
 * The client's side of cookies: parse the `Set-Cookie` headers of a response tolerantly (aiohttp's
 * `parse_set_cookie_headers`), read their `Expires` dates (RFC 6265 §5.1.1), and encode a value for
 * the `Cookie` header the way Python's `SimpleCookie` does. Internal to `aiots/client`.
 * @module
 */
import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { inspect } from "node:util";
import { isLegalCookieKey, RESERVED_COOKIE_NAMES, unquoteCookieValue } from "../http/cookies.js";
import { ArgumentTypeError, logger, ValueError } from "../index.js";

/** One cookie read from a `Set-Cookie` header, its attributes as received (`null` when absent). */
export interface ParsedSetCookie {
  /** The cookie name. */
  readonly name: string;
  /** The value, unquoted (`"a\"b"` → `a"b`). */
  readonly value: string;
  /** The value exactly as received, quotes included. */
  readonly codedValue: string;
  /** `Domain`, unquoted. */
  readonly domain: string | null;
  /** `Path`, unquoted. */
  readonly path: string | null;
  /** `Max-Age` as received. */
  readonly maxAge: string | null;
  /** `Expires` as received. */
  readonly expires: string | null;
  /** `SameSite` as received. */
  readonly sameSite: string | null;
  /** `Secure`. */
  readonly secure: boolean;
  /** `HttpOnly`. */
  readonly httpOnly: boolean;
  /** `Partitioned` (CHIPS). */
  readonly partitioned: boolean;
}

// Python's `\s` and `\w` under re.ASCII, spelled out so JS's Unicode `\s` does not widen them.
const S = "[ \\t\\n\\r\\f\\v]";
const W = "[A-Za-z0-9_]";
/** aiohttp's `_COOKIE_PATTERN`: a name, then optionally `=` and a value, then a separator. */
const COOKIE_PATTERN = new RegExp(
  `${S}*` +
    `([A-Za-z0-9_!#%&'~\`><@,:/$*+\\-.^|)(?}{\\[\\]]+)` + // 1: the name (or attribute name)
    `(${S}*=${S}*(` + // 3: the value
    `"(?:[^\\\\"]|\\\\[^\\n])*"` + // a properly closed quoted string
    `|"[^";]*` + // a quote that never closes (aiohttp #7993)
    `|(?:${W}{3,6}day|${W}{3}),${S}[A-Za-z0-9_ \\t\\n\\r\\f\\v-]{9,11}${S}[0-9:]{8}${S}(?:GMT|[+-][0-9]{4})` + // a date
    `|${W}{3}${S}+${W}{3}${S}+[ \\t\\n\\r\\f\\v0-9][0-9]${S}+[0-9]{2}:[0-9]{2}:[0-9]{2}${S}+[0-9]{4}` + // asctime
    `|[A-Za-z0-9_!#%&'~\`><@,:/$*+\\-.^|)(?}{=\\[\\]]*` + // a plain word, or nothing
    `))?${S}*(?:${S}+|;|$)`,
  "y",
);
/** aiohttp's `_COOKIE_NAME_RE`: the names accepted (wider than an RFC token, as real servers send). */
const COOKIE_NAME = /^[!#$%&'()*+\-./0-9:<=>?@A-Z[\]^_`a-z{|}~]+$/;
const BOOL_ATTRS = new Set(["secure", "httponly", "partitioned"]);
/** Control characters, which no cookie may hold (CPython's fix for CVE-2026-3644). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\x00-\x1f\x7f]/;

/** True when `s` holds a control character (`\x00`–`\x1f`, DEL). */
export function hasControlCharacter(s: string): boolean {
  return CONTROL.test(s);
}

/** True for a name {@link parseSetCookieHeaders} keeps: aiohttp's relaxed set, not an attribute name. */
export function isAcceptedCookieName(name: string): boolean {
  return COOKIE_NAME.test(name) && !RESERVED_COOKIE_NAMES.has(name);
}

interface MutableCookie {
  name: string;
  value: string;
  codedValue: string;
  domain: string | null;
  path: string | null;
  maxAge: string | null;
  expires: string | null;
  sameSite: string | null;
  secure: boolean;
  httpOnly: boolean;
  partitioned: boolean;
}

function setAttr(c: MutableCookie, attr: string, value: string): void {
  if (attr === "domain") c.domain = value;
  else if (attr === "path") c.path = value;
  else if (attr === "max-age") c.maxAge = value;
  else if (attr === "expires") c.expires = value;
  else if (attr === "samesite") c.sameSite = value;
  else if (attr === "secure") c.secure = value !== "";
  else if (attr === "httponly") c.httpOnly = value !== "";
  else if (attr === "partitioned") c.partitioned = value !== "";
  // `comment` and `version` are read and dropped: no client uses them.
}

/**
 * Parse `Set-Cookie` header values into cookies, in order, the way aiohttp does: each header is read
 * like Python's `SimpleCookie` (so one header may carry several `name=value` pairs, each followed by
 * its attributes), with aiohttp's relaxations — names may hold `{}`, `[]`, `()`, `@`, `:`; a value
 * whose opening quote never closes is kept as is; `Expires` dates with a comma, an RFC 2822 offset or
 * in asctime format are read whole. Nothing throws: a cookie with an illegal name is skipped (with a
 * warning on the `aiots` logger) along with its attributes; a value holding a control character
 * (literally or as an octal escape) is skipped; an attribute before any cookie, a non-flag attribute
 * without a value, a bare word, or text the pattern cannot read ends that header.
 */
export function parseSetCookieHeaders(headers: Iterable<string>): ParsedSetCookie[] {
  const out: ParsedSetCookie[] = [];
  for (const header of headers) {
    if (typeof header !== "string" || header === "") continue;
    let current: MutableCookie | null = null;
    let seen = false;
    let i = 0;
    while (i < header.length) {
      COOKIE_PATTERN.lastIndex = i;
      const m = COOKIE_PATTERN.exec(header);
      if (m === null) break;
      const key = m[1]!;
      const value = m[2] === undefined ? null : m[3]!;
      i = COOKIE_PATTERN.lastIndex; // past a non-empty name, so the loop advances
      const lower = key.toLowerCase();
      if (key[0] === "$") {
        // `$Version` before any cookie concerns the whole header: ignored. After one: an attribute.
        if (seen && current !== null && RESERVED_COOKIE_NAMES.has(lower.slice(1)))
          setAttr(current, lower.slice(1), value ?? "");
      } else if (RESERVED_COOKIE_NAMES.has(lower)) {
        if (!seen) break; // an attribute before any cookie: not a Set-Cookie
        if (BOOL_ATTRS.has(lower)) {
          if (current !== null) setAttr(current, lower, "1");
        } else if (value === null) break;
        else if (current !== null) setAttr(current, lower, unquoteCookieValue(value));
      } else if (value !== null) {
        if (!isAcceptedCookieName(key)) {
          logger.warning(`Can not load cookies: Illegal cookie name ${inspect(key)}`);
          current = null;
          continue;
        }
        const decoded = unquoteCookieValue(value);
        if (hasControlCharacter(decoded) || hasControlCharacter(value)) {
          current = null;
          continue;
        }
        current = bareCookie(key, value, decoded);
        out.push(current);
        seen = true;
      } else break; // a bare word that is no attribute
    }
  }
  return out;
}

// RFC 6265 §5.1.1, as aiohttp's `CookieJar._parse_date` reads it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: RFC 6265's delimiter and token sets
const DATE_TOKENS = /[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]*([\x00-\x08\x0a-\x1f0-9:a-zA-Z\x7f-\xff]+)/g;
const DATE_HMS = /^(\d{1,2}):(\d{1,2}):(\d{1,2})/;
const DATE_DAY = /^\d{1,2}/;
const DATE_MONTH = /^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)/i;
const DATE_YEAR = /^\d{2,4}/;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
/** The latest instant a cookie may expire at: 9999-12-31T23:59:58Z (aiohttp's `MAX_TIME`). */
export const MAX_EXPIRY_MS = 253402300798000;

/**
 * The instant (ms since the epoch, UTC) a cookie date names, or `null` when it names none: tokens are
 * read in any order — the first `h:m:s`, day of month, month name and 2-to-4-digit year win; a
 * two-digit year means 1970–2069; a date missing any part, before 1601 or with an impossible time is
 * refused. Only ASCII digits count.
 */
export function parseCookieDate(date: string): number | null {
  if (!date) return null;
  let time: number[] | null = null;
  let day: number | null = null;
  let month: number | null = null;
  let year: number | null = null;
  for (const m of date.matchAll(DATE_TOKENS)) {
    const token = m[1]!;
    if (time === null) {
      const t = DATE_HMS.exec(token);
      if (t !== null) {
        time = [Number(t[1]), Number(t[2]), Number(t[3])];
        continue;
      }
    }
    if (day === null) {
      const d = DATE_DAY.exec(token);
      if (d !== null) {
        day = Number(d[0]);
        continue;
      }
    }
    if (month === null) {
      const mo = DATE_MONTH.exec(token);
      if (mo !== null) {
        month = MONTHS.indexOf(mo[0].toLowerCase());
        continue;
      }
    }
    if (year === null) {
      const y = DATE_YEAR.exec(token);
      if (y !== null) year = Number(y[0]);
    }
  }
  if (time === null || day === null || month === null || year === null) return null;
  if (year >= 70 && year <= 99) year += 1900;
  else if (year >= 0 && year <= 69) year += 2000;
  const [hour, minute, second] = time as [number, number, number];
  if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) return null;
  const d = new Date(0);
  d.setUTCFullYear(year, month, day); // Date.UTC would read years below 100 as 19xx
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

// The jar's rules (RFC 6265 §5.1.3–5.1.4, aiohttp's `update_cookies`) and argument checks.

/** `url` as a `URL`. @throws {ArgumentTypeError} for neither a URL nor a string. @throws {ValueError} for a string that is no absolute URL. */
export function toUrl(url: unknown, what: string): URL {
  if (url instanceof URL) return url;
  if (typeof url !== "string")
    throw new ArgumentTypeError(`${what} must be a URL or a string, got ${inspect(url)}`);
  try {
    return new URL(url);
  } catch {
    throw new ValueError(`${what} is not an absolute URL: ${inspect(url)}`);
  }
}

/** The host as aiohttp's `raw_host` has it: lower-case, IDNA-encoded, IPv6 without brackets. */
export function hostOf(url: URL): string | null {
  const h = url.hostname;
  if (h === "") return null;
  return h[0] === "[" && h[h.length - 1] === "]" ? h.slice(1, -1) : h;
}

export const isIpAddress = (host: string): boolean => isIP(host) !== 0;

/** RFC 6265 §5.1.3 domain-match of `hostname` against a cookie's `domain`. */
export function isDomainMatch(domain: string, hostname: string): boolean {
  if (hostname === domain) return true;
  if (!hostname.endsWith(domain)) return false;
  const rest = hostname.slice(0, hostname.length - domain.length);
  return rest.endsWith(".") && !isIpAddress(hostname);
}

/** RFC 6265 §5.1.4 default-path: the response path up to, not including, its last `/`. */
export function defaultPath(path: string): string {
  return path.startsWith("/") ? `/${path.slice(1, path.lastIndexOf("/"))}` : "/";
}

/** A `Domain` attribute as stored: lower-case and IDNA-encoded; `null` when it cannot be a host. */
export function normalizeDomain(domain: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII test
  if (/^[\x00-\x7f]*$/.test(domain)) return domain.toLowerCase();
  const ascii = domainToASCII(domain);
  return ascii === "" ? null : ascii;
}

/** `Max-Age` as Python's `int()` reads it, or `null`. */
export function parseMaxAge(maxAge: string | null): number | null {
  if (maxAge === null || !/^\s*[+-]?\d+\s*$/.test(maxAge)) return null;
  return Number(maxAge.trim());
}

/**
 * A cookie given by name and value (aiohttp's `update_cookies` with a plain value): a quoted value is
 * stored unquoted, and sent as given. @throws {ArgumentTypeError} for a non-string name or value.
 * @throws {ValueError} for a name outside Python's legal characters or an attribute name, or a value
 * holding a control character.
 */
export function fromPair(name: unknown, value: unknown): ParsedSetCookie {
  if (typeof name !== "string")
    throw new ArgumentTypeError(`cookie name must be a string, got ${inspect(name)}`);
  if (typeof value !== "string")
    throw new ArgumentTypeError(`value of cookie ${inspect(name)} must be a string, got ${inspect(value)}`);
  if (!isLegalCookieKey(name))
    throw new ValueError(`Illegal cookie name ${inspect(name)}: use letters, digits and !#$%&'*+-.^_\`|~:`);
  if (RESERVED_COOKIE_NAMES.has(name.toLowerCase()))
    throw new ValueError(`Illegal cookie name ${inspect(name)}: it is a cookie attribute name`);
  if (hasControlCharacter(value))
    throw new ValueError(`Illegal value of cookie ${inspect(name)}: it holds a control character`);
  return bareCookie(name, value);
}

/** A cookie without attributes: `value` is `codedValue` unquoted unless given. */
function bareCookie(name: string, codedValue: string, value = unquoteCookieValue(codedValue)): MutableCookie {
  return {
    name,
    value,
    codedValue,
    domain: null,
    path: null,
    maxAge: null,
    expires: null,
    sameSite: null,
    secure: false,
    httpOnly: false,
    partitioned: false,
  };
}

/** True for a value with a `[Symbol.iterator]` method. */
export function isIterable(x: unknown): x is Iterable<unknown> {
  return x != null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";
}

/** The `[name, value]` pairs of a `CookiesInit`. @throws {ArgumentTypeError} for anything else. */
export function pairsOf(cookies: unknown): Array<readonly [unknown, unknown]> {
  if (typeof cookies === "string" || cookies === null || typeof cookies !== "object")
    throw new ArgumentTypeError(`cookies must be [name, value] pairs or an object, got ${inspect(cookies)}`);
  if (!isIterable(cookies)) return Object.entries(cookies);
  const out: Array<readonly [unknown, unknown]> = [];
  for (const pair of cookies) {
    if (!Array.isArray(pair) || pair.length !== 2)
      throw new ArgumentTypeError(`each cookie must be a [name, value] pair, got ${inspect(pair)}`);
    out.push([pair[0], pair[1]]);
  }
  return out;
}

/**
 * The origins of the `treatAsSecureOrigin` option (one URL or string, or an iterable of them).
 * @throws {ArgumentTypeError} for a wrong type. @throws {ValueError} for a URL without an origin.
 */
export function secureOrigins(option: unknown): ReadonlySet<string> {
  if (option === undefined || option === null) return new Set();
  const list = typeof option === "string" || option instanceof URL ? [option] : option;
  if (!isIterable(list))
    throw new ArgumentTypeError(
      `treatAsSecureOrigin must be a URL, a string or an iterable of them, got ${inspect(option)}`,
    );
  const out = new Set<string>();
  for (const item of list) {
    const origin = toUrl(item, "treatAsSecureOrigin").origin;
    if (origin === "null") throw new ValueError(`treatAsSecureOrigin ${inspect(String(item))} has no origin`);
    out.add(origin);
  }
  return out;
}

/** @throws {ArgumentTypeError} unless `filePath` is a string or a URL. */
export function checkPath(filePath: unknown): void {
  if (typeof filePath !== "string" && !(filePath instanceof URL))
    throw new ArgumentTypeError(`filePath must be a string or a file: URL, got ${inspect(filePath)}`);
}

/** A cookie read from a saved file: the host it came from, and its absolute expiry in ms when saved. */
export interface LoadJob {
  /** The host it was set by (`null`: shared). */
  readonly host: string | null;
  /** The cookie. */
  readonly cookie: ParsedSetCookie;
  /** Its absolute expiry in ms, when the file has one. */
  readonly expiresAt: number | undefined;
}

/** Read aiohttp's JSON cookie file into updates, checking its shape first. */
export function loadJobs(data: unknown, file: string): LoadJob[] {
  const bad = (why: string): ValueError =>
    new ValueError(`cookie file ${inspect(file)} is malformed: ${why}`);
  const isObj = (x: unknown): x is Record<string, unknown> =>
    x !== null && typeof x === "object" && !Array.isArray(x);
  const str = (x: unknown): string | null => (typeof x === "string" ? x : null);
  if (!isObj(data)) throw bad("not an object");
  const jobs: LoadJob[] = [];
  for (const [compound, bucket] of Object.entries(data)) {
    const bar = compound.indexOf("|");
    if (bar === -1 || !isObj(bucket)) throw bad(`entry ${inspect(compound)}`);
    const domain = compound.slice(0, bar);
    for (const [name, rec] of Object.entries(bucket)) {
      if (!isObj(rec) || typeof rec.value !== "string") throw bad(`cookie ${inspect(name)}`);
      const exp = rec.expires_timestamp;
      if (exp !== undefined && (typeof exp !== "number" || !Number.isFinite(exp)))
        throw bad(`expires_timestamp of ${inspect(name)}`);
      const coded = str(rec.coded_value) ?? rec.value;
      if (hasControlCharacter(rec.value) || hasControlCharacter(coded)) continue;
      jobs.push({
        host: domain === "" ? null : domain,
        expiresAt: exp === undefined ? undefined : (exp as number) * 1000,
        cookie: {
          name,
          value: rec.value,
          codedValue: coded,
          domain: rec.host_only === true ? "" : str(rec.domain),
          path: str(rec.path),
          maxAge: rec["max-age"] === undefined ? null : String(rec["max-age"]),
          expires: str(rec.expires),
          secure: rec.secure === true,
          httpOnly: rec.httponly === true,
          sameSite: str(rec.samesite),
          partitioned: rec.partitioned === true,
        },
      });
    }
  }
  return jobs;
}
