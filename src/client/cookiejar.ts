/**
 * The client's cookie storage (aiohttp's `aiohttp/cookiejar.py`): {@link CookieJar} keeps what
 * responses set and hands each request the cookies RFC 6265 lets it carry; {@link DummyCookieJar}
 * keeps nothing.
 *
 * ```ts
 * const jar = new CookieJar();
 * jar.updateCookiesFromHeaders(["sid=abc; Path=/; HttpOnly"], "https://example.com/login");
 * jar.filterCookies("https://example.com/account"); // Map { "sid" => "abc" }
 * ```
 * @see https://docs.aiohttp.org/en/stable/client_advanced.html#cookie-jar
 * @module
 */
import { readFile, writeFile } from "node:fs/promises";
import { inspect } from "node:util";
import { encodeCookieValue } from "../http/cookies.js";
import { ArgumentTypeError, OSError, ValueError } from "../index.js";
import {
  checkPath,
  defaultPath,
  fromPair,
  hostOf,
  isDomainMatch,
  isIpAddress,
  isIterable,
  loadJobs,
  MAX_EXPIRY_MS,
  normalizeDomain,
  type ParsedSetCookie,
  pairsOf,
  parseCookieDate,
  parseMaxAge,
  parseSetCookieHeaders,
  secureOrigins,
  toUrl,
} from "./set-cookie.js";

/** One stored cookie, as iterating a jar yields it (Python's `Morsel` plus the jar's flags). */
export interface Morsel {
  /** The cookie name. */
  readonly key: string;
  /** The value, unquoted. */
  readonly value: string;
  /** The domain it is sent to (without a leading dot); `""` for a shared cookie. */
  readonly domain: string;
  /** The path it is sent under, as set (`"/"` by default for a shared cookie). */
  readonly path: string;
  /** When it expires, in ms since the epoch (from `Max-Age` or `Expires`); `null` for a session cookie. */
  readonly expires: number | null;
  /** `Secure`: only sent over https/wss (or to a `treatAsSecureOrigin`). */
  readonly secure: boolean;
  /** `HttpOnly`. */
  readonly httpOnly: boolean;
  /** Sent to `domain` only, not to its subdomains (the response set no `Domain`). */
  readonly hostOnly: boolean;
  /** `SameSite` as received, or `null`. */
  readonly sameSite: string | null;
  /** `Partitioned` (CHIPS). */
  readonly partitioned: boolean;
}

/** Cookies given by name: `[name, value]` pairs (a `Map` works) or a plain object. */
export type CookiesInit = Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

/** A predicate for {@link AbstractCookieJar.clear}: `true` removes the cookie. */
export type ClearCookiePredicate = (morsel: Morsel) => boolean;

/**
 * What a `ClientSession` needs from a cookie jar (aiohttp's `AbstractCookieJar`); iterating yields the
 * stored cookies.
 */
export interface AbstractCookieJar extends Iterable<Morsel> {
  /** The number of stored cookies (expired ones not yet purged included, as aiohttp's `len()`). */
  readonly size: number;
  /** Whether cookies may be set by and sent to IP-address hosts. */
  readonly unsafe: boolean;
  /** Whether values are quoted (Python's `SimpleCookie` style) when sent. */
  readonly quoteCookie: boolean;
  /** Store `name → value` pairs for the response URL's host, or shared with every host when no URL. */
  updateCookies(cookies: CookiesInit, responseUrl?: URL | string): void;
  /** Store the cookies of raw `Set-Cookie` header values received from `responseUrl`. */
  updateCookiesFromHeaders(setCookieHeaders: Iterable<string>, responseUrl: URL | string): void;
  /** The cookies to send to `requestUrl`: name → value as sent, sorted by name (as aiohttp sends them). */
  filterCookies(requestUrl: URL | string): Map<string, string>;
  /** Remove every cookie, or those `predicate` picks (expired ones go too). */
  clear(predicate?: ClearCookiePredicate): void;
  /** Remove the cookies of `domain` and of its subdomains. */
  clearDomain(domain: string): void;
}

/** Options of {@link CookieJar}. */
export interface CookieJarOptions {
  /** Accept cookies from, and send them to, hosts given as IP addresses (default `false`). */
  unsafe?: boolean;
  /** Send values Python-quoted (`"a/b"`, octal escapes) when they need it (default `true`). */
  quoteCookie?: boolean;
  /** Origins whose plain-http requests still get `Secure` cookies (e.g. `"http://127.0.0.1:8080"`). */
  treatAsSecureOrigin?: string | URL | Iterable<string | URL>;
  /** The clock, in ms since the epoch (default `Date.now`); expiry is checked against it. */
  now?: () => number;
}

/** A stored cookie: the morsel, the value as received, and the value as sent (fixed when stored). */
interface Entry {
  readonly morsel: Morsel;
  readonly coded: string;
  readonly wire: string;
}

/**
 * Cookie storage following RFC 6265, as aiohttp's `CookieJar`.
 *
 * A cookie set by a response is kept under its domain, path and name, so cookies of one name from
 * different domains or paths coexist. Without `Domain` it is host-only (sent to that host alone);
 * with one (a leading dot is dropped, a trailing dot makes it host-only) it is sent to the domain and
 * its subdomains, and refused unless the response host domain-matches it. Hosts that are IP addresses
 * neither set nor get cookies unless `unsafe` (and then only their own). Without `Path` the path is
 * the response path's directory. `Max-Age` wins over `Expires`; a cookie whose time has come is
 * dropped (checked with `now()` when the jar is filtered, iterated or updated). Cookies stored
 * without a response URL are shared: sent to every host.
 *
 * Differences from Python: `filterCookies` returns a `Map` of name → value as sent (aiohttp returns
 * a `BaseCookie` of morsels, sorted when it is output); `save`/`load` are async and use aiohttp's
 * JSON format; the clock is the `now` option; host-only flag and expiry belong to each cookie (aiohttp
 * keys them by domain and name, so a replaced cookie could inherit its predecessor's); `Domain` is
 * compared case-insensitively; an invalid `Max-Age` lets `Expires` apply (RFC 6265 §5.2.2); shared
 * cookies with a `Path` or `Secure` obey them; a value with a control character is refused.
 * @example
 * ```ts
 * const jar = new CookieJar({ treatAsSecureOrigin: ["http://127.0.0.1:8080"], unsafe: true });
 * ```
 * @see https://docs.aiohttp.org/en/stable/client_reference.html#aiohttp.CookieJar
 */
export class CookieJar implements AbstractCookieJar {
  /** domain → path (without trailing `/`) → name → cookie. */
  readonly #cookies = new Map<string, Map<string, Map<string, Entry>>>();
  readonly #unsafe: boolean;
  readonly #quoteCookie: boolean;
  readonly #secureOrigins: ReadonlySet<string>;
  readonly #now: () => number;
  /** No stored cookie expires before this instant (a lower bound: purging re-computes it). */
  #nextExpiry = Number.POSITIVE_INFINITY;

  /**
   * @throws {ArgumentTypeError} for an option of the wrong type.
   * @throws {ValueError} for a `treatAsSecureOrigin` that has no origin.
   */
  constructor(options: CookieJarOptions = {}) {
    if (options === null || typeof options !== "object")
      throw new ArgumentTypeError(`CookieJar options must be an object, got ${inspect(options)}`);
    const { unsafe = false, quoteCookie = true, treatAsSecureOrigin, now = Date.now } = options;
    if (typeof unsafe !== "boolean")
      throw new ArgumentTypeError(`unsafe must be a boolean, got ${inspect(unsafe)}`);
    if (typeof quoteCookie !== "boolean")
      throw new ArgumentTypeError(`quoteCookie must be a boolean, got ${inspect(quoteCookie)}`);
    if (typeof now !== "function") throw new ArgumentTypeError(`now must be a function, got ${inspect(now)}`);
    this.#unsafe = unsafe;
    this.#quoteCookie = quoteCookie;
    this.#now = now;
    this.#secureOrigins = secureOrigins(treatAsSecureOrigin);
  }

  /** Whether IP-address hosts may set and get cookies. */
  get unsafe(): boolean {
    return this.#unsafe;
  }

  /** Whether values are sent Python-quoted when they need it. */
  get quoteCookie(): boolean {
    return this.#quoteCookie;
  }

  /** The number of stored cookies; like aiohttp's `len()`, it does not purge expired ones first. */
  get size(): number {
    return this.#count; // read on every request: kept, not counted
  }

  /** The number of entries in `#cookies`. */
  #count = 0;

  /** The stored cookies (expired ones purged first), in storage order. */
  *[Symbol.iterator](): Iterator<Morsel> {
    this.#purge(this.#now());
    const all: Morsel[] = [];
    for (const paths of this.#cookies.values())
      for (const names of paths.values()) for (const e of names.values()) all.push(e.morsel);
    yield* all;
  }

  /**
   * Store cookies given by name, as aiohttp's `update_cookies(dict, response_url)`: for the host of
   * `responseUrl` (host-only, under its path's directory), or shared with every host when it is
   * omitted. A value in double quotes is stored unquoted and sent as given.
   * @throws {ArgumentTypeError} for a name or value that is not a string, or a bad `cookies`/URL.
   * @throws {ValueError} for an illegal name (not Python's legal characters, or an attribute name),
   *   a value with a control character, or a URL that does not parse. Nothing is stored then.
   */
  updateCookies(cookies: CookiesInit, responseUrl?: URL | string): void {
    const url = responseUrl === undefined ? null : toUrl(responseUrl, "responseUrl");
    this.#update(
      pairsOf(cookies).map(([n, v]) => fromPair(n, v)),
      url,
    );
  }

  /**
   * Store the cookies of `Set-Cookie` header values received from `responseUrl` (aiohttp's
   * `update_cookies_from_headers`), parsed tolerantly: a malformed cookie is skipped, never thrown.
   * Omitting `responseUrl` stores them as a response-less update would (shared unless they name a
   * `Domain`).
   * @throws {ArgumentTypeError} when `setCookieHeaders` is not an iterable of strings (a lone string
   *   is refused) or the URL is neither a `URL` nor a string. @throws {ValueError} for a URL that does
   *   not parse.
   */
  updateCookiesFromHeaders(setCookieHeaders: Iterable<string>, responseUrl?: URL | string): void {
    const url = responseUrl === undefined ? null : toUrl(responseUrl, "responseUrl");
    if (typeof setCookieHeaders === "string" || !isIterable(setCookieHeaders))
      throw new ArgumentTypeError(
        `setCookieHeaders must be an iterable of strings, got ${inspect(setCookieHeaders)}`,
      );
    const headers = [...setCookieHeaders];
    for (const h of headers)
      if (typeof h !== "string")
        throw new ArgumentTypeError(`a Set-Cookie header must be a string, got ${inspect(h)}`);
    const parsed = parseSetCookieHeaders(headers);
    if (parsed.length > 0) this.#update(parsed, url);
  }

  /**
   * The cookies to send to `requestUrl`, name → value as it goes on the wire (join them as
   * `name=value` with `"; "`): shared cookies, then those whose domain and path match, `Secure` ones
   * only over https/wss or to a `treatAsSecureOrigin`, none but shared ones to an IP host unless
   * `unsafe`. For a name held under several domains or paths, the most specific domain wins, then the
   * longest path. The result is sorted by name, as aiohttp's `Cookie` header is.
   * @throws {ArgumentTypeError} / {ValueError} for a bad URL.
   */
  filterCookies(requestUrl: URL | string): Map<string, string> {
    const url = toUrl(requestUrl, "requestUrl");
    if (this.#cookies.size === 0) return new Map();
    const picked = new Map<string, Entry>();
    this.#purge(this.#now());
    const hostname = hostOf(url) ?? "";
    const secure =
      url.protocol === "https:" ||
      url.protocol === "wss:" ||
      (this.#secureOrigins.size > 0 && this.#secureOrigins.has(url.origin));
    const reqPath = url.pathname.startsWith("/") ? url.pathname : "/";
    // Every path a matching cookie can be stored under: "", "/a", "/a/b" for "/a/b".
    const prefixes = [""];
    for (let j = reqPath.indexOf("/", 1); j !== -1; j = reqPath.indexOf("/", j + 1))
      prefixes.push(reqPath.slice(0, j));
    if (reqPath.length > 1) prefixes.push(reqPath);
    const take = (domain: string, shared: boolean): void => {
      const paths = this.#cookies.get(domain);
      if (paths === undefined) return;
      for (const prefix of prefixes) {
        const names = paths.get(prefix);
        if (names === undefined) continue;
        for (const [name, e] of names) {
          const m = e.morsel;
          if (!shared && m.hostOnly && m.domain !== hostname) continue;
          if (m.path.length > reqPath.length) continue; // `/a/` is no match for `/a`
          if (m.secure && !secure) continue;
          picked.set(name, e);
        }
      }
    };
    take("", true);
    if (isIpAddress(hostname)) {
      if (this.#unsafe) take(hostname, false);
    } else if (hostname !== "") {
      // Least specific first, so that the most specific domain's cookie wins.
      const labels = hostname.split(".");
      for (let i = labels.length - 1; i >= 0; i--) {
        const domain = labels.slice(i).join(".");
        if (domain !== "") take(domain, false); // "" is the shared cookies', taken above
      }
    }
    const out = new Map<string, string>();
    for (const name of [...picked.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
      out.set(name, picked.get(name)!.wire);
    return out;
  }

  /**
   * Remove every cookie, or those `predicate` returns `true` for (and, as aiohttp, those expired).
   * @throws {ArgumentTypeError} when `predicate` is not a function.
   */
  clear(predicate?: ClearCookiePredicate): void {
    if (predicate === undefined) {
      this.#cookies.clear();
      this.#count = 0;
      this.#nextExpiry = Number.POSITIVE_INFINITY;
      return;
    }
    if (typeof predicate !== "function")
      throw new ArgumentTypeError(`predicate must be a function, got ${inspect(predicate)}`);
    const now = this.#now();
    const doomed: Morsel[] = [];
    for (const m of this.#all()) if ((m.expires !== null && m.expires <= now) || predicate(m)) doomed.push(m);
    for (const m of doomed) this.#delete(m);
  }

  /**
   * Remove the cookies of `domain` and its subdomains (`clearDomain("example.com")` also removes
   * `sub.example.com`'s). @throws {ArgumentTypeError} when `domain` is not a string.
   */
  clearDomain(domain: string): void {
    if (typeof domain !== "string")
      throw new ArgumentTypeError(`domain must be a string, got ${inspect(domain)}`);
    const d = domain.toLowerCase();
    this.clear((m) => isDomainMatch(d, m.domain));
  }

  /**
   * Write the cookies to `filePath` as JSON, in aiohttp's format (`{"domain|path": {name: {...}}}`,
   * absolute expiry as `expires_timestamp` in seconds). A new file is created readable by its owner
   * only (0600), as it may hold session tokens; an existing file keeps its permissions.
   * @throws {OSError} (e.g. {@link FileNotFoundError}) when the file cannot be written.
   */
  async save(filePath: string | URL): Promise<void> {
    checkPath(filePath);
    const data: Record<string, Record<string, Record<string, string | number | boolean>>> = {};
    for (const [domain, paths] of this.#cookies)
      for (const [path, names] of paths) {
        if (names.size === 0) continue;
        const bucket: Record<string, Record<string, string | number | boolean>> = {};
        for (const [name, e] of names) {
          const m = e.morsel;
          const rec: Record<string, string | number | boolean> = {
            key: m.key,
            value: m.value,
            coded_value: e.coded,
          };
          if (m.domain) rec.domain = m.domain;
          if (m.httpOnly) rec.httponly = true;
          if (m.partitioned) rec.partitioned = true;
          if (m.path) rec.path = m.path;
          if (m.sameSite) rec.samesite = m.sameSite;
          if (m.secure) rec.secure = true;
          if (m.hostOnly) rec.host_only = true;
          if (m.expires !== null) rec.expires_timestamp = m.expires / 1000;
          bucket[name] = rec;
        }
        data[`${domain}|${path}`] = bucket;
      }
    try {
      await writeFile(filePath, JSON.stringify(data, null, 2), { encoding: "utf8", mode: 0o600 });
    } catch (err) {
      throw OSError.from(err);
    }
  }

  /**
   * Replace the jar's cookies with those saved in `filePath` (aiohttp's JSON format, older files
   * without `host_only`/`expires_timestamp` included). Loaded cookies pass the same checks as new
   * ones; those whose time has passed are dropped.
   * @throws {OSError} (e.g. {@link FileNotFoundError}) when the file cannot be read.
   * @throws {ValueError} when it is not JSON of that shape (the jar is left unchanged).
   */
  async load(filePath: string | URL): Promise<void> {
    checkPath(filePath);
    let text: string;
    try {
      text = await readFile(filePath, "utf8");
    } catch (err) {
      throw OSError.from(err);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new ValueError(`cookie file ${inspect(String(filePath))} is not JSON: ${(err as Error).message}`);
    }
    const jobs = loadJobs(data, String(filePath));
    this.clear();
    const now = this.#now();
    for (const { host, cookie, expiresAt } of jobs) this.#update([cookie], null, host, now, expiresAt);
    this.#purge(now);
  }

  /** `<CookieJar cookies=2 unsafe=false>`. */
  [inspect.custom](): string {
    return `<${this.constructor.name} cookies=${this.size} unsafe=${this.#unsafe}>`;
  }

  *#all(): Generator<Morsel> {
    for (const paths of this.#cookies.values())
      for (const names of paths.values()) for (const e of names.values()) yield e.morsel;
  }

  #delete(m: Morsel): void {
    const paths = this.#cookies.get(m.domain);
    const pathKey = m.path.replace(/\/+$/, "");
    const names = paths?.get(pathKey);
    if (names === undefined) return;
    if (names.delete(m.key)) this.#count--;
    if (names.size === 0) paths!.delete(pathKey);
    if (paths!.size === 0) this.#cookies.delete(m.domain);
  }

  /** Drop the cookies whose time has come (aiohttp's `_do_expiration`). */
  #purge(now: number): void {
    if (this.#nextExpiry > now) return;
    let next = Number.POSITIVE_INFINITY;
    const doomed: Morsel[] = [];
    for (const m of this.#all()) {
      if (m.expires === null) continue;
      if (m.expires <= now) doomed.push(m);
      else if (m.expires < next) next = m.expires;
    }
    for (const m of doomed) this.#delete(m);
    this.#nextExpiry = next;
  }

  /**
   * Store cookies received from `url` (or from `host` when loading a file; neither: shared),
   * following aiohttp's `update_cookies`.
   */
  #update(
    cookies: readonly ParsedSetCookie[],
    url: URL | null,
    host: string | null = url === null ? null : hostOf(url),
    now = this.#now(),
    expiresAt?: number | null,
  ): void {
    if (!this.#unsafe && host !== null && isIpAddress(host)) return; // no cookies from IPs
    const responsePath = url === null ? "" : url.pathname;
    for (const c of cookies) {
      let domain: string | null = c.domain ?? "";
      let hostOnly = false;
      if (domain.endsWith(".")) domain = ""; // a trailing dot: the Domain attribute is ignored
      if (domain === "" && host !== null) {
        domain = host;
        hostOnly = true;
      } else {
        if (domain.startsWith(".")) domain = domain.slice(1);
        domain = normalizeDomain(domain);
        if (domain === null) continue;
      }
      if (host !== null && !isDomainMatch(domain, host)) continue; // a cookie for another domain
      const path = c.path !== null && c.path.startsWith("/") ? c.path : defaultPath(responsePath);
      let expires: number | null = null;
      const maxAge = parseMaxAge(c.maxAge);
      if (maxAge !== null) expires = Math.min(now + maxAge * 1000, MAX_EXPIRY_MS);
      else if (c.expires) expires = parseCookieDate(c.expires);
      if (expiresAt !== undefined) expires = expiresAt;
      const morsel: Morsel = Object.freeze({
        key: c.name,
        value: c.value,
        domain,
        path,
        expires,
        secure: c.secure,
        httpOnly: c.httpOnly,
        hostOnly,
        sameSite: c.sameSite,
        partitioned: c.partitioned,
      });
      let paths = this.#cookies.get(domain);
      if (paths === undefined) this.#cookies.set(domain, (paths = new Map()));
      const pathKey = path.replace(/\/+$/, "");
      let names = paths.get(pathKey);
      if (names === undefined) paths.set(pathKey, (names = new Map()));
      if (!names.has(c.name)) this.#count++;
      // As sent: quoted as received, else encoded as Python's SimpleCookie does (or raw, quoteCookie off).
      const wire = !this.#quoteCookie
        ? c.value
        : c.codedValue[0] === '"'
          ? c.codedValue
          : encodeCookieValue(c.value);
      names.set(c.name, { morsel, coded: c.codedValue, wire });
      if (expires !== null && expires < this.#nextExpiry) this.#nextExpiry = expires;
    }
    this.#purge(now);
  }
}

/**
 * A cookie jar that keeps nothing (aiohttp's `DummyCookieJar`): give it to a `ClientSession` that
 * must neither store nor send cookies.
 */
export class DummyCookieJar implements AbstractCookieJar {
  /** Always `0`. */
  get size(): number {
    return 0;
  }

  /** Always `false`. */
  get unsafe(): boolean {
    return false;
  }

  /** Always `true`. */
  get quoteCookie(): boolean {
    return true;
  }

  /** Yields nothing. */
  *[Symbol.iterator](): Iterator<Morsel> {}

  /** Does nothing. */
  updateCookies(_cookies: CookiesInit, _responseUrl?: URL | string): void {}

  /** Does nothing. */
  updateCookiesFromHeaders(_setCookieHeaders: Iterable<string>, _responseUrl?: URL | string): void {}

  /** An empty map. */
  filterCookies(_requestUrl: URL | string): Map<string, string> {
    return new Map();
  }

  /** Does nothing. */
  clear(_predicate?: ClearCookiePredicate): void {}

  /** Does nothing. */
  clearDomain(_domain: string): void {}

  /** `<DummyCookieJar>`. */
  [inspect.custom](): string {
    return `<${this.constructor.name}>`;
  }
}
