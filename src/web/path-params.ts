/**
 * Path patterns and their parameters: the parameter types read from the path literal
 * (`PathParams<"/users/{id}">`), the `MatchInfo` a handler reads them from, the percent-encoding
 * rules aiohttp applies to paths and values (`pathSafe`, `unquotePathSafe`, `quotePath`), the pure
 * path-normalisation helpers behind `normalizePathMiddleware`, and (internal) the parser of
 * `add_route` patterns.
 *
 * Nothing here knows about requests or responses; `route-matcher.ts` builds on it.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#aiohttp.web.UrlMappingMatchInfo
 */
import { ValueError } from "../index.js";

// ------------------------------------------------------------------------------------------- types

/** The variable name of a `{…}` body: `id` for `id`, `post` for `post:\d+`. */
type VarName<Body extends string> = Body extends `${infer Name}:${string}` ? Name : Body;

/**
 * Drops the rest of a variable whose regex holds `{m,n}` groups (aiohttp allows one level of nested
 * braces): each chunk up to a `}` that still opens a `{` closes an inner group; the first that does
 * not closes the variable.
 */
type SkipNested<S extends string> = S extends `${infer Chunk}}${infer After}`
  ? Chunk extends `${string}{${string}`
    ? SkipNested<After>
    : After
  : "";

/** The union of the variable names of path pattern `S`. */
type VarNames<S extends string, Acc extends string = never> = S extends `${string}{${infer Rest}`
  ? Rest extends `${infer Body}}${infer After}`
    ? Body extends `${string}:${infer Re}`
      ? Re extends `${string}{${string}`
        ? VarNames<SkipNested<After>, Acc | VarName<Body>>
        : VarNames<After, Acc | VarName<Body>>
      : VarNames<After, Acc | Body>
    : Acc
  : Acc;

/**
 * The parameters of path pattern `P`, one `string` per `{name}`, `{name:regex}` or `{tail:.*}`:
 * `PathParams<"/users/{id}/posts/{post:\\d+}">` is `{ id: string; post: string }`, a path without
 * variables gives `{}`, and a `P` that is only known as `string` gives `Record<string, string>`.
 * A union of literals gives the union of their parameter objects.
 *
 * @example
 * ```ts
 * type P = PathParams<"/files/{name}.{ext}">; // { name: string; ext: string }
 * ```
 */
export type PathParams<P extends string> = string extends P
  ? Record<string, string>
  : P extends string
    ? { [K in VarNames<P>]: string }
    : never;

/** The keys of `P` known at compile time (none for `Record<string, string>`). */
export type KnownKeys<P> = string extends keyof P ? never : keyof P & string;

/**
 * The variables a route matched (aiohttp's `request.match_info`), typed by the route's path:
 * `get("id")` is a `string` when the pattern has `{id}`, `string | undefined` for any other name.
 *
 * @example
 * ```ts
 * router.addGet("/users/{id}", (req) => new Response({ text: req.matchInfo.get("id") }));
 * ```
 */
export interface MatchInfo<P extends object = Record<string, string>, Route = unknown> {
  /** The value of variable `key` (percent-decoded as aiohttp does). */
  get<K extends KnownKeys<P>>(key: K): string;
  /** The value of variable `key`, `undefined` when the route has no such variable. */
  get(key: string): string | undefined;
  /** Whether the route has variable `key`. */
  has(key: string): boolean;
  /** The matched variables as a plain object (a copy). */
  readonly params: Readonly<P>;
  /** The route that matched. */
  readonly route: Route;
}

/**
 * A `MatchInfo` over `params` (which it copies) for `route`.
 * @example
 * ```ts
 * const info = createMatchInfo<PathParams<"/u/{id}">, string>({ id: "7" }, "user");
 * info.get("id"); // "7"
 * ```
 */
export function createMatchInfo<P extends object = Record<string, string>, Route = unknown>(
  params: Readonly<Record<string, string>>,
  route: Route,
): MatchInfo<P, Route> {
  const own: Record<string, string> = { ...params };
  return {
    get: (key: string): any => (Object.hasOwn(own, key) ? own[key] : undefined),
    has: (key: string): boolean => Object.hasOwn(own, key),
    get params(): Readonly<P> {
      return { ...own } as unknown as P;
    },
    route,
  };
}

// ---------------------------------------------------------------------------------- percent-coding

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** The byte `%XX` at `s[i]` encodes, or -1 when `s[i]` does not start a valid `%XX`. */
function hexByte(s: string, i: number): number {
  if (s.charCodeAt(i) !== 37 || i + 2 >= s.length) return -1;
  const hi = hexDigit(s.charCodeAt(i + 1));
  const lo = hexDigit(s.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/**
 * The form of a raw (percent-encoded) request path that routes match against: yarl's
 * `URL.path_safe`. Every `%XX` sequence is decoded (UTF-8; an invalid or incomplete sequence is
 * left as written) except an encoded `/` and `%`, which stay `%2F` and `%25`, so `/a%2Fb` is one
 * segment and `{name}` matches it. `unquotePathSafe` then decodes a matched value.
 *
 * @example
 * ```ts
 * pathSafe("/caf%C3%A9/a%2Fb%20c"); // "/café/a%2Fb c"
 * ```
 * @see https://yarl.aio-libs.org/en/latest/api/#yarl.URL.path_safe
 */
export function pathSafe(raw: string): string {
  const first = raw.indexOf("%");
  if (first === -1) return raw;
  let out = raw.slice(0, first);
  let i = first;
  while (i < raw.length) {
    const b0 = hexByte(raw, i);
    if (b0 < 0) {
      out += raw[i];
      i++;
      continue;
    }
    if (b0 < 0x80) {
      out += b0 === 0x2f ? "%2F" : b0 === 0x25 ? "%25" : String.fromCharCode(b0);
      i += 3;
      continue;
    }
    const need =
      b0 >= 0xc2 && b0 <= 0xdf ? 1 : b0 >= 0xe0 && b0 <= 0xef ? 2 : b0 >= 0xf0 && b0 <= 0xf4 ? 3 : 0;
    let cp = b0 & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    let j = i + 3;
    let k = 0;
    for (; k < need; k++) {
      const b = hexByte(raw, j);
      // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
      const lo = k > 0 ? 0x80 : b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80;
      const hi = k > 0 ? 0xbf : b0 === 0xed ? 0x9f : b0 === 0xf4 ? 0x8f : 0xbf;
      if (b < lo || b > hi) break;
      cp = (cp << 6) | (b & 0x3f);
      j += 3;
    }
    if (need === 0 || k < need) {
      out += raw.slice(i, j); // what decoded so far stays as written; retry from the offending byte
      i = j;
      continue;
    }
    out += String.fromCodePoint(cp);
    i = j;
  }
  return out;
}

/**
 * Decodes a value matched in a `pathSafe` path: `%2F` → `/`, then `%25` → `%` (aiohttp's
 * `_unquote_path_safe`). Everything else was decoded by `pathSafe` already.
 */
export function unquotePathSafe(value: string): string {
  if (value.indexOf("%") === -1) return value;
  return value.replaceAll("%2F", "/").replaceAll("%25", "%");
}

const RESTORE = /%(?:24|26|2B|2C|3A|3B|3D|40)/g;
const RESTORE_WITH_SLASH = /%(?:24|26|2B|2C|2F|3A|3B|3D|40)/g;

/**
 * Percent-encodes `value` for a URL path as yarl does for `URL.build(path=…)`: UTF-8, with
 * `A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @` left as they are, and `/` too unless `keepSlash`
 * is false (then `%2F`, which routes still match as one segment). `%` becomes `%25`.
 *
 * @throws ValueError when `value` holds a lone surrogate (it has no UTF-8 form).
 * @example
 * ```ts
 * quotePath("1 2/текст%2F"); // "1%202/%D1%82%D0%B5%D0%BA%D1%81%D1%82%252F"
 * ```
 */
export function quotePath(value: string, keepSlash = true): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    throw new ValueError(`cannot percent-encode ${JSON.stringify(value)}: it holds a lone surrogate`);
  }
  return encoded.replace(keepSlash ? RESTORE_WITH_SLASH : RESTORE, decodeURIComponent);
}

/**
 * `quotePath`, keeping the `%XX` sequences already in `text` (aiohttp's `_requote_path`, used for
 * the fixed parts of a pattern when building URLs).
 */
export function requotePath(text: string): string {
  return quotePath(text).replaceAll("%25", "%");
}

/** Query for `urlFor`: encoded with `URLSearchParams` (space → `+`), arrays repeat the key. */
export type QueryParams =
  | string
  | URLSearchParams
  | ReadonlyArray<readonly [string, string]>
  | Readonly<Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>>;

/**
 * @internal `value` encoded for variable `v` (aiohttp's `_quote_path`), checked against its
 * regex: with `/` as it is when the regex accepts that, else with `/` as `%2F` (which
 * `unquotePathSafe` turns back into `/`). The regex sees `%` as `%25`, as in a `pathSafe` path.
 * @throws ValueError when neither form matches.
 */
export function encodeVariable(v: Variable, value: string): string {
  const safe = value.replaceAll("%", "%25");
  if (v.check.test(safe)) return quotePath(value, true);
  if (v.check.test(safe.replaceAll("/", "%2F"))) return quotePath(value, false);
  throw new ValueError(
    `urlFor() value ${JSON.stringify(value)} of '${v.name}' does not match ${v.check.source}`,
  );
}

/** @internal `?query` (empty for an empty query). */
export function encodeQuery(query: QueryParams): string {
  let search: URLSearchParams;
  if (typeof query === "string" || query instanceof URLSearchParams || Array.isArray(query))
    search = new URLSearchParams(query as string);
  else {
    search = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      for (const item of Array.isArray(v) ? v : [v]) search.append(k, String(item));
  }
  const s = search.toString();
  return s === "" ? "" : `?${s}`;
}

// ----------------------------------------------------------------------------------- normalisation

/**
 * Replaces each run of slashes by one: `//a///b` → `/a/b`.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#aiohttp.web.normalize_path_middleware
 */
export function mergeSlashes(path: string): string {
  return path.replace(/\/{2,}/g, "/");
}

/** `path` with a trailing slash (unchanged when it has one). */
export function appendSlash(path: string): string {
  return path.endsWith("/") ? path : `${path}/`;
}

/** `path` without its trailing slash (unchanged when it has none; `/` stays `/`). */
export function removeSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** Options of `normalizePathCandidates`, as `normalize_path_middleware`'s keyword arguments. */
export interface NormalizePathOptions {
  /** Try the path with a slash appended (default `true`). */
  appendSlash?: boolean;
  /** Try the path with its trailing slash removed (default `false`; excludes `appendSlash`). */
  removeSlash?: boolean;
  /** Try the path with runs of slashes merged (default `true`). */
  mergeSlashes?: boolean;
}

/**
 * The paths `normalizePathMiddleware` tries, in aiohttp's order, for a raw request path (without
 * its query) that did not resolve: merged slashes, then the slash appended or removed, then both.
 * A leading run of slashes always becomes one (so a candidate is never a protocol-relative URL).
 * The middleware redirects to the first candidate that resolves, adding the query back.
 *
 * @throws ValueError when both `appendSlash` and `removeSlash` are true.
 * @example
 * ```ts
 * normalizePathCandidates("//a//b"); // ["/a/b", "/a//b/", "/a/b/"]
 * ```
 */
export function normalizePathCandidates(path: string, options: NormalizePathOptions = {}): string[] {
  const { appendSlash: append = true, removeSlash: remove = false, mergeSlashes: merge = true } = options;
  if (append && remove) throw new ValueError("Cannot both remove and append slash");
  const out: string[] = [];
  if (merge) out.push(mergeSlashes(path));
  if (append && !path.endsWith("/")) {
    out.push(`${path}/`);
    if (merge) out.push(mergeSlashes(`${path}/`));
  }
  if (remove && path.endsWith("/") && path !== "/") {
    out.push(path.slice(0, -1));
    if (merge) out.push(mergeSlashes(path).slice(0, -1));
  }
  return out.map((p) => p.replace(/^\/\/+/, "/"));
}

// ----------------------------------------------------------------------------------------- patterns

const ROUTE_RE = /(\{[_a-zA-Z][^{}]*(?:\{[^{}]*\}[^{}]*)*\})/;
const DYN = /^\{([_a-zA-Z][_a-zA-Z0-9]*)\}$/;
const DYN_WITH_RE = /^\{([_a-zA-Z][_a-zA-Z0-9]*):(.+)\}$/;
/** The regex of `{name}`: one segment, no braces (aiohttp's `DynamicResource.GOOD`). */
const GOOD = "[^{}/]+";

/** @internal A pattern variable: `re` is its regex source, `check` it anchored (for `urlFor`). */
export interface Variable {
  readonly name: string;
  readonly re: string;
  readonly check: RegExp;
}

/** @internal Fixed text or a variable. */
export type Piece = string | Variable;

/**
 * @internal One `/`-separated segment of a pattern: all fixed (`text`), one `{name}` (`param`),
 * fixed text and variables none of which can match `/` (`regex`), or the first segment with a
 * variable that may match `/`: it and the segments after it are matched as one regex (`tail`).
 * `re` (anchored, `u` flag) captures `names`, in order; `whole` when a `regex` segment is one
 * variable and nothing else (its value is then the segment: no capture needed).
 */
export interface Segment {
  readonly kind: "static" | "param" | "regex" | "tail";
  readonly text: string;
  readonly re: RegExp | null;
  readonly names: readonly string[];
  readonly whole?: boolean;
}

/** @internal What `RouteMatcher` indexes. */
export interface CompiledPattern {
  readonly plain: boolean;
  /** The path with variables as `{name}` (aiohttp's `canonical`); a plain path itself. */
  readonly canonical: string;
  /** Fixed parts percent-encoded for URLs, and the variables. */
  readonly formatter: readonly Piece[];
  /** aiohttp's index key as segments: the leading fixed segments, trailing empty ones dropped. */
  readonly key: readonly string[];
  /** The segments after the key (dynamic patterns only). */
  readonly rest: readonly Segment[];
}

/**
 * @internal Parses a path as aiohttp's `add_resource` does: no braces → a plain path; else
 * `{name}`, `{name:regex}` (one level of nested `{m,n}` braces allowed in the regex), fixed text.
 *
 * @throws ValueError when the path neither is empty nor starts with `/`, has a brace outside a
 * variable or a variable name that is no identifier (`{1a}`, `{a-b}`) or is `__proto__`, repeats
 * a name, or has a regex JavaScript refuses (compiled with the `u` flag).
 */
export function compilePattern(path: string): CompiledPattern {
  if (path !== "" && !path.startsWith("/")) throw new ValueError("path should be started with / or be empty");
  if (path === "") path = "/";
  if (!path.includes("{") && !path.includes("}")) {
    const key = path.slice(1).split("/");
    while (key.length > 0 && key.at(-1) === "") key.pop();
    return { plain: true, canonical: path, formatter: [requotePath(path)], key, rest: [] };
  }
  const pieces: Piece[] = [];
  const seen = new Set<string>();
  const parts = path.split(ROUTE_RE);
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    const m = k % 2 === 1 ? (DYN.exec(part) ?? DYN_WITH_RE.exec(part)) : null;
    if (m !== null) {
      const name = m[1]!;
      const re = m[2] ?? GOOD;
      if (seen.has(name)) throw new ValueError(`Bad pattern '${path}': redefinition of group name '${name}'`);
      if (name === "__proto__")
        throw new ValueError(`Bad pattern '${path}': '__proto__' cannot be a variable`);
      seen.add(name);
      compile(re, path); // on its own: `(?:a)|(b)` would hide the unbalanced `a)|(b`
      pieces.push({ name, re, check: compile(`^(?:${re})$`, path) });
    } else if (part.includes("{") || part.includes("}"))
      throw new ValueError(`Invalid path '${path}'['${part}']`);
    else if (part !== "") pieces.push(part);
  }
  const segments: Piece[][] = [[]];
  for (const piece of pieces) {
    if (typeof piece !== "string") segments.at(-1)!.push(piece);
    else
      piece.split("/").forEach((bit, j) => {
        if (j > 0) segments.push([]);
        if (bit !== "") segments.at(-1)!.push(bit);
      });
  }
  segments.shift(); // what precedes the leading "/"
  const sources = segments.map((seg) =>
    seg
      .map((p) =>
        typeof p === "string" ? p.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&") : `(?<${p.name}>${p.re})`,
      )
      .join(""),
  );
  const names = (segs: Piece[][]): string[] =>
    segs.flatMap((seg) => seg.flatMap((p) => (typeof p === "string" ? [] : [p.name])));
  const rest: Segment[] = [];
  for (let j = 0; j < segments.length; j++) {
    const seg = segments[j]!;
    const vars = seg.filter((p): p is Variable => typeof p !== "string");
    if (vars.length === 0) rest.push({ kind: "static", text: seg.join(""), re: null, names: [] });
    else if (vars.some((v) => mayMatchSlash(v.re))) {
      const re = compile(`^${sources.slice(j).join("/")}$`, path);
      rest.push({ kind: "tail", text: "", re, names: names(segments.slice(j)) });
      break; // the tail's regex covers the segments after it
    } else if (seg.length === 1 && vars[0]!.re === GOOD)
      rest.push({ kind: "param", text: "", re: null, names: [vars[0]!.name] });
    else {
      const re = compile(`^${sources[j]}$`, path);
      rest.push({ kind: "regex", text: "", re, names: names([seg]), whole: seg.length === 1 });
    }
  }
  let fixed = rest.findIndex((s) => s.kind !== "static");
  while (fixed > 0 && rest[fixed - 1]!.text === "") fixed--;
  return {
    plain: false,
    canonical: pieces.map((p) => (typeof p === "string" ? p : `{${p.name}}`)).join(""),
    formatter: pieces.map((p) => (typeof p === "string" ? requotePath(p) : p)),
    key: rest.slice(0, fixed).map((s) => s.text),
    rest: rest.slice(fixed),
  };
}

function compile(source: string, path: string): RegExp {
  try {
    return new RegExp(source, "u");
  } catch (e) {
    throw new ValueError(`Bad pattern '${path}': ${(e as Error).message}`);
  }
}

/**
 * The code point an escape at `s[i]` (a backslash) stands for: -1 for `\D \W \S \p \P` (classes
 * that contain `/`), -2 for other class escapes, else the escaped code point.
 */
function escapeCode(s: string, i: number): number {
  const e = s[i + 1] ?? "";
  if ("DWSpP".includes(e)) return -1;
  if ("dswbB".includes(e)) return -2;
  if (e === "x") return Number.parseInt(s.slice(i + 2, i + 4), 16);
  if (e === "u") {
    const m = /^(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{4}))/.exec(s.slice(i + 2));
    return m === null ? 0x75 : Number.parseInt(m[1] ?? m[2]!, 16);
  }
  return e.codePointAt(0) ?? -2;
}

/**
 * Whether regex source `re` might match a `/` (then the variable spans segments). Conservative:
 * `.`, `/`, `\D`, `\W`, `\S`, `\p{…}`, a negated class without `/`, or a class holding `/` (as a
 * character or in a range) count as matching it. Group names and `{m,n}` hold no `/` or `.`.
 */
function mayMatchSlash(re: string): boolean {
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === "." || c === "/") return true;
    if (c === "\\") {
      const code = escapeCode(re, i);
      if (code === -1 || code === 0x2f) return true;
      i++;
    } else if (c === "[") {
      let j = i + 1;
      const negated = re[j] === "^";
      if (negated) j++;
      const codes: number[] = []; // code points; -1 may be `/`; -3 an unescaped `-`
      for (; j < re.length && re[j] !== "]"; j++) {
        if (re[j] === "\\") {
          codes.push(escapeCode(re, j));
          j++;
        } else codes.push(re[j] === "-" ? -3 : re.codePointAt(j)!);
      }
      i = j;
      if (negated) {
        if (!codes.includes(0x2f)) return true;
        continue;
      }
      for (let k = 0; k < codes.length; k++) {
        const lo = codes[k]!;
        if (lo === -1 || lo === 0x2f) return true;
        if (codes[k + 1] === -3 && k + 2 < codes.length) {
          const hi = codes[k + 2]!;
          if (hi === -1 || (lo <= 0x2f && 0x2f <= hi)) return true;
          k += 2;
        }
      }
    }
  }
  return false;
}
