/**
 * Cookies (RFC 6265): parse a request's `Cookie` header tolerantly, and serialize a response's
 * `Set-Cookie` strictly.
 *
 * Parsing accepts what real browsers and proxies send — names with `{}`, `[]`, `()`, `/`, `:` or `@`,
 * values with spaces, quoted values holding `;` or `\"`, a quote that never closes — and skips only
 * what cannot be a cookie (an empty name, a name with whitespace or control characters). Serializing
 * refuses anything that could break the header: a name that is not an RFC 9110 token (or is an
 * attribute name such as `Path`), control characters or non-ASCII in the value, `;` in an attribute.
 * @module
 */
import { inspect } from "node:util";
import { ArgumentTypeError, ValueError } from "../index.js";

/** True for a name the parser skips: whitespace, controls, DEL, `=`, `;`, `,`, `"` or `\`. */
function badParsedName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x3d || c === 0x3b || c === 0x2c || c === 0x22 || c === 0x5c)
      return true;
  }
  return false;
}

/** Undo the backslash escapes inside quotes as Python's `_unquote` does (`\"`, `\\`, octal `\073`). */
function unescapeQuoted(inner: string): string {
  if (!inner.includes("\\")) return inner;
  return inner.replace(
    /\\(?:([0-3][0-7][0-7])|([^\n]))/g,
    (_m, oct: string | undefined, ch: string | undefined) =>
      oct !== undefined ? String.fromCharCode(Number.parseInt(oct, 8)) : ch!,
  );
}

/** Python's `http.cookies._unquote`: strip the quotes of `"…"` and undo `\"`, `\\` and `\073`. */
export function unquoteCookieValue(value: string): string {
  if (value.length < 2 || value[0] !== '"' || value[value.length - 1] !== '"') return value;
  return unescapeQuoted(value.slice(1, -1));
}

/**
 * Parse a `Cookie` request header into `[name, value]` pairs, in order (duplicates kept).
 *
 * Pairs are split on `;` except inside a properly quoted value (`"a;b"`, which is unquoted); a value
 * whose opening quote never closes is kept as it is, quote included, and does not swallow the
 * cookies after it. A name without `=` is a cookie with an empty value (RFC 6265 §5.4, as aiohttp);
 * legacy RFC 2965 `$Version`/`$Path` pairs are skipped; a name holding whitespace, a control
 * character, `,` or a quote is skipped (the other cookies are kept). Attribute-like names (`Path`,
 * `Domain`) are plain cookies: a `Cookie` header carries no attributes.
 */
export function parseCookieHeader(header: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (typeof header !== "string") return out;
  const n = header.length;
  let i = 0;
  while (i < n) {
    // Skip separators and whitespace before a pair.
    while (i < n && (header[i] === ";" || header[i] === " " || header[i] === "\t")) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && header[j] !== "=" && header[j] !== ";") j++;
    const name = header.slice(i, j).trim();
    let value = "";
    if (j < n && header[j] === "=") {
      let k = j + 1;
      while (k < n && (header[k] === " " || header[k] === "\t")) k++;
      let end = -1;
      if (header[k] === '"') {
        // A quoted value: up to the closing quote, which must be followed by `;` or the end.
        let q = k + 1;
        while (q < n && header[q] !== '"') q += header[q] === "\\" ? 2 : 1;
        if (q < n) {
          let after = q + 1;
          while (after < n && (header[after] === " " || header[after] === "\t")) after++;
          if (after >= n || header[after] === ";") {
            value = unescapeQuoted(header.slice(k + 1, q));
            end = after;
          }
        }
      }
      if (end === -1) {
        end = header.indexOf(";", k);
        if (end === -1) end = n;
        value = header.slice(k, end).trim();
      }
      i = end;
    } else i = j;
    if (name === "" || name.charCodeAt(0) === 36 /* $ */ || badParsedName(name)) continue;
    out.push([name, value]);
  }
  return out;
}

/**
 * The cookies of one or more `Cookie` headers by name; for a name sent twice the first wins (RFC
 * 6265 §5.4 sends the most specific path first).
 */
export function parseCookies(headers: string | Iterable<string>): Map<string, string> {
  const jar = new Map<string, string>();
  for (const header of typeof headers === "string" ? [headers] : headers)
    for (const [name, value] of parseCookieHeader(header)) if (!jar.has(name)) jar.set(name, value);
  return jar;
}

/** Attributes of a `Set-Cookie` (aiohttp's `set_cookie` keywords). */
export interface CookieOptions {
  /** `Expires`: a date (sent as an HTTP date) or the exact string to send. */
  expires?: Date | string | null;
  /** `Domain`. */
  domain?: string | null;
  /** `Max-Age` in seconds (an integer; `0` deletes the cookie). */
  maxAge?: number | string | null;
  /** `Path` (default `"/"`; `null` for none). */
  path?: string | null;
  /** `Secure`. */
  secure?: boolean | null;
  /** `HttpOnly`. */
  httpOnly?: boolean | null;
  /** `SameSite`: `"Strict"`, `"Lax"` or `"None"` (any case). */
  sameSite?: "Strict" | "Lax" | "None" | "strict" | "lax" | "none" | null;
  /** `Partitioned` (CHIPS). */
  partitioned?: boolean | null;
}

/** RFC 9110 token: what a cookie name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Python's `_LegalChars`: a value made only of these is sent as is (and a `Morsel` key must be). */
const LEGAL_CHARS = /^[A-Za-z0-9!#$%&'*+\-.^_`|~:]+$/;
/** What Python leaves unescaped inside quotes (`_UnescapedChars`), besides chars above U+00FF. */
const UNESCAPED = /[A-Za-z0-9!#$%&'*+\-.^_`|~: ()/<=>?@[\]{}]/;

/** True for a name made of Python's legal cookie characters (`_is_legal_key`). */
export function isLegalCookieKey(name: string): boolean {
  return LEGAL_CHARS.test(name);
}
/** What no value may hold: controls, DEL and anything past ASCII. */
const BAD_VALUE = /[^\x20-\x7e]/;
/** What no attribute value may hold: the same plus `;`. */
const BAD_ATTR = /[^\x20-\x3a\x3c-\x7e]/;
/** Attribute names, refused as cookie names (Python's `Morsel._reserved`). */
export const RESERVED_COOKIE_NAMES: ReadonlySet<string> = new Set([
  "expires",
  "path",
  "comment",
  "domain",
  "max-age",
  "secure",
  "httponly",
  "version",
  "samesite",
  "partitioned",
]);
const SAME_SITE: Record<string, string> = { strict: "Strict", lax: "Lax", none: "None" };

/**
 * Check a cookie name for a `Set-Cookie`: a non-empty token that is not an attribute name.
 * @throws {ArgumentTypeError} for a non-string. @throws {ValueError} otherwise.
 */
export function checkCookieName(name: string): string {
  if (typeof name !== "string")
    throw new ArgumentTypeError(`cookie name must be a string, got ${inspect(name)}`);
  if (!TOKEN.test(name))
    throw new ValueError(`Illegal cookie name ${inspect(name)}: it must be an HTTP token`);
  if (RESERVED_COOKIE_NAMES.has(name.toLowerCase()))
    throw new ValueError(`Illegal cookie name ${inspect(name)}: it is a cookie attribute name`);
  return name;
}

/**
 * Check a cookie value: printable ASCII only (encode anything else, e.g. with
 * `encodeURIComponent`). @throws {ArgumentTypeError} for a non-string. @throws {ValueError} otherwise.
 */
export function checkCookieValue(value: string): string {
  if (typeof value !== "string")
    throw new ArgumentTypeError(`cookie value must be a string, got ${inspect(value)}`);
  const m = BAD_VALUE.exec(value);
  if (m !== null)
    throw new ValueError(
      `Illegal cookie value: ${inspect(m[0])} at index ${m.index} (only printable ASCII is allowed; encode the value)`,
    );
  return value;
}

/**
 * A value as a `Set-Cookie` sends it: plain when it can be, else quoted with `"` and `\\` escaped.
 * (Python's `SimpleCookie` also writes `,` and `;` as octal escapes — {@link encodeCookieValue}; the
 * server keeps them readable, and its request parser reads a quoted `;` back.)
 */
export function quoteCookieValue(value: string): string {
  if (LEGAL_CHARS.test(value)) return value;
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * A value as Python's `SimpleCookie.value_encode` writes it (what aiohttp's client jar sends):
 * unchanged when it is made of legal characters only, else in double quotes with `"` and `\\`
 * backslash-escaped and `,` `;`, controls and U+007F–U+00FF as octal escapes (`\054`).
 */
export function encodeCookieValue(value: string): string {
  if (LEGAL_CHARS.test(value)) return value;
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code > 0xff || UNESCAPED.test(ch)) out += ch;
    else out += `\\${code.toString(8).padStart(3, "0")}`;
  }
  return `${out}"`;
}

function checkAttr(what: string, value: string): string {
  if (typeof value !== "string")
    throw new ArgumentTypeError(`${what} must be a string, got ${inspect(value)}`);
  const m = BAD_ATTR.exec(value);
  if (m !== null) throw new ValueError(`Illegal cookie ${what}: ${inspect(m[0])} at index ${m.index}`);
  return value;
}

/**
 * The value of a `Set-Cookie` header: `name=value` then the attributes in Python's `Morsel` order
 * (`Domain`, `expires`, `HttpOnly`, `Max-Age`, `Partitioned`, `Path`, `SameSite`, `Secure`).
 * @throws {ValueError} for a bad name, value or attribute (nothing is half-built).
 */
export function serializeSetCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (options === null || typeof options !== "object")
    throw new ArgumentTypeError(`cookie options must be an object, got ${inspect(options)}`);
  checkCookieName(name);
  checkCookieValue(value);
  const parts = [`${name}=${value === "" ? '""' : quoteCookieValue(value)}`];
  const { expires, domain, maxAge, secure, httpOnly, sameSite, partitioned } = options;
  const path = options.path === undefined ? "/" : options.path;
  if (domain != null) parts.push(`Domain=${checkAttr("domain", domain)}`);
  if (expires != null) {
    if (expires instanceof Date) {
      if (Number.isNaN(expires.getTime())) throw new ValueError("Illegal cookie expires: an invalid Date");
      parts.push(`expires=${expires.toUTCString()}`);
    } else parts.push(`expires=${checkAttr("expires", expires)}`);
  }
  if (httpOnly) parts.push("HttpOnly");
  if (maxAge != null) {
    const s = typeof maxAge === "number" ? String(maxAge) : maxAge;
    if (typeof s !== "string" || !/^-?\d+$/.test(s))
      throw new ValueError(`Illegal cookie maxAge ${inspect(maxAge)}: it must be an integer`);
    parts.push(`Max-Age=${s}`);
  }
  if (partitioned) parts.push("Partitioned");
  if (path != null) parts.push(`Path=${checkAttr("path", path)}`);
  if (sameSite != null) {
    const canonical = typeof sameSite === "string" ? SAME_SITE[sameSite.toLowerCase()] : undefined;
    if (canonical === undefined)
      throw new ValueError(`Illegal cookie sameSite ${inspect(sameSite)}: use "Strict", "Lax" or "None"`);
    parts.push(`SameSite=${canonical}`);
  }
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** What `delCookie` sends: an empty value that expired in 1970 (`Max-Age=0`). */
export function serializeDeleteCookie(
  name: string,
  options: Pick<CookieOptions, "domain" | "path" | "secure" | "httpOnly" | "sameSite" | "partitioned"> = {},
): string {
  return serializeSetCookie(name, "", {
    ...options,
    expires: "Thu, 01 Jan 1970 00:00:00 GMT",
    maxAge: 0,
  });
}
