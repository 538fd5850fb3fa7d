/**
 * The router's core (aiohttp's `UrlDispatcher.resolve` without requests): path patterns as
 * `add_route` accepts them, aiohttp's precedence and 405/`Allow` rules, and named URLs, with a
 * lookup whose cost does not grow with the number of routes. Generic over the route payload `R`
 * (the web layer stores handlers there).
 *
 * Lookup: a path without variables is a `Map` hit; dynamic patterns hang in a trie keyed like
 * aiohttp's resource index (the fixed segments before the first variable), and below each key in
 * a segment trie (fixed segments, `{name}`, segment regexes, then regexes spanning the rest).
 * Differences from aiohttp: see `RouteMatcher`.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#router
 */
import { inspect } from "node:util";
import { ArgumentTypeError, RuntimeError, ValueError } from "../index.js";
import {
  compilePattern,
  encodeQuery,
  encodeVariable,
  type PathParams,
  pathSafe,
  type QueryParams,
  type Segment,
  unquotePathSafe,
  type Variable,
} from "./path-params.js";

/** The method of a route that answers every method (aiohttp's `hdrs.METH_ANY`). */
export const METH_ANY = "*";

const HTTP_METHOD_RE = /^[0-9A-Za-z!#$%&'*+\-.^_`|~]+$/;
const NAME_PART = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;

/** Options of `RouteMatcher.add`. */
export interface AddRouteOptions {
  /** Route name for `urlFor` (parts separated by `.`, `:` or `-` must be identifiers). */
  name?: string;
  /** For `GET`: also answer `HEAD` (default `true`, as aiohttp's `allow_head`). */
  allowHead?: boolean;
}

/** What `RouteMatcher.match` found. `allowed` is sorted, as aiohttp's `Allow` header. */
export type MatchResult<R> =
  | {
      readonly kind: "found";
      readonly payload: R;
      readonly params: Record<string, string>;
      readonly route: Route<R>;
    }
  | { readonly kind: "method-not-allowed"; readonly allowed: string[] }
  | { readonly kind: "not-found" };

/** `urlFor`'s arguments: the params are optional when there are none (then none are accepted). */
type UrlForArgs<P extends string> = [keyof PathParams<P>] extends [never]
  ? [params?: Record<string, never>, query?: QueryParams]
  : {} extends PathParams<P>
    ? [params?: PathParams<P>, query?: QueryParams]
    : [params: PathParams<P>, query?: QueryParams];

/**
 * One method of a resource (aiohttp's `ResourceRoute`), carrying its payload. A `GET` route's
 * implicit `HEAD` twin is a `Route` too, with the same payload.
 */
export class Route<R, P extends string = string> {
  /** @internal */
  constructor(
    /** Upper-case method, or `*`. */
    readonly method: string,
    /** What `add` was given (the handler, for the web layer). */
    readonly payload: R,
    /** The path the route belongs to. */
    readonly resource: Resource<R, P>,
    /** Whether `GET` added this `HEAD` route on its own. */
    readonly implicit = false,
  ) {}

  /** The resource's name. */
  get name(): string | undefined {
    return this.resource.name;
  }

  /** `resource.urlFor(params, query)`. */
  urlFor(...args: UrlForArgs<P>): string {
    return this.resource.urlFor(...args);
  }

  /** @internal */
  [inspect.custom](): string {
    return `<ResourceRoute [${this.method}] ${this.resource.canonical}>`;
  }
}

/**
 * A path pattern and its routes by method (aiohttp's `PlainResource` / `DynamicResource`).
 * Consecutive `add` calls with the same pattern and name share one resource, as in aiohttp.
 */
export class Resource<R, P extends string = string> {
  readonly #routes = new Map<string, Route<R, P>>();
  #any: Route<R, P> | undefined;
  #allowed: string[] | null = null;
  /** @internal */
  readonly varNames: readonly string[];

  /** @internal */
  constructor(
    /** The pattern as given to `add` (`""` is `/`). */
    readonly pattern: P,
    /** `name` of `add`. */
    readonly name: string | undefined,
    /** @internal registration order: aiohttp's tie-break between resources at the same key. */
    readonly seq: number,
    /** The pattern with each variable as `{name}` (aiohttp's `canonical`). */
    readonly canonical: string,
    /** @internal fixed text (already percent-encoded) and variables, for `urlFor`. */
    readonly formatter: ReadonlyArray<string | Variable>,
  ) {
    this.varNames = formatter.filter((p): p is Variable => typeof p !== "string").map((v) => v.name);
  }

  /** Whether the pattern has variables. */
  get dynamic(): boolean {
    return this.varNames.length > 0;
  }

  /** The routes, in registration order. */
  routes(): Route<R, P>[] {
    return [...this.#routes.values()];
  }

  /** The methods this resource answers, sorted (what a 405's `Allow` lists). */
  get allowedMethods(): readonly string[] {
    return (this.#allowed ??= [...this.#routes.keys()].sort());
  }

  /** @internal the route for `method` (upper-case), falling back to a `*` route. */
  routeFor(method: string): Route<R, P> | undefined {
    return this.#routes.get(method) ?? this.#any;
  }

  /** @internal */
  addRoute(method: string, payload: R, allowHead: boolean): Route<R, P> {
    const existing = this.#routes.get(method) ?? this.#any;
    if (existing !== undefined && !(existing.implicit && method === "HEAD"))
      throw new RuntimeError(
        `Added route will never be executed, method ${existing.method} is already registered`,
      );
    const route = new Route(method, payload, this);
    this.#routes.set(method, route);
    if (method === METH_ANY) this.#any = route;
    if (method === "GET" && allowHead && !this.#routes.has("HEAD"))
      this.#routes.set("HEAD", new Route("HEAD", payload, this, true));
    this.#allowed = null;
    return route;
  }

  /**
   * The URL path of this resource with `params` substituted, percent-encoded as aiohttp does
   * (UTF-8; `/` kept when the variable's regex accepts it, else `%2F`), and `query` appended.
   *
   * @throws ValueError when a variable is missing or its value does not match the variable's regex.
   * @throws ArgumentTypeError for a parameter the pattern does not have, or a value not a string.
   * @example
   * ```ts
   * matcher.add("GET", "/users/{id}", h, { name: "user" }).urlFor({ id: "a b" }, { page: 2 });
   * // "/users/a%20b?page=2"
   * ```
   */
  urlFor(...args: UrlForArgs<P>): string {
    const [params = {}, query] = args as [Record<string, unknown>?, QueryParams?];
    if (typeof params !== "object" || params === null)
      throw new ArgumentTypeError(`urlFor() params must be an object, got ${typeof params}`);
    for (const key of Object.keys(params))
      if (!this.varNames.includes(key))
        throw new ArgumentTypeError(`urlFor() got an unexpected parameter '${key}' for '${this.canonical}'`);
    let url = "";
    for (const part of this.formatter) {
      if (typeof part === "string") {
        url += part;
        continue;
      }
      const value = Object.hasOwn(params, part.name) ? params[part.name] : undefined;
      if (value === undefined)
        throw new ValueError(`urlFor() is missing parameter '${part.name}' for '${this.canonical}'`);
      if (typeof value !== "string")
        throw new ArgumentTypeError(
          `urlFor() parameter '${part.name}' must be a string, got ${typeof value}`,
        );
      url += encodeVariable(part, value);
    }
    return query === undefined ? url : url + encodeQuery(query);
  }

  /** @internal */
  [inspect.custom](): string {
    const name = this.name === undefined ? "" : `'${this.name}' `;
    return `<${this.dynamic ? "Dynamic" : "Plain"}Resource ${name}${this.canonical}>`;
  }
}

// --------------------------------------------------------------------------------------------- tries

/**
 * Children by fixed segment: a few are compared in place (`startsWith` at the segment's offset:
 * no substring, no hashing), more go through a `Map`.
 */
class Children<N> {
  readonly keys: string[] = [];
  readonly nodes: N[] = [];
  map: Map<string, N> | null = null;

  get(key: string): N | undefined {
    return this.map !== null ? this.map.get(key) : this.nodes[this.keys.indexOf(key)];
  }

  set(key: string, node: N): void {
    this.keys.push(key);
    this.nodes.push(node);
    if (this.map !== null) this.map.set(key, node);
    else if (this.keys.length > 8) this.map = new Map(this.keys.map((k, i) => [k, this.nodes[i]!]));
  }

  /** The child for `path.slice(pos, end)`. */
  at(path: string, pos: number, end: number): N | undefined {
    if (this.map !== null) return this.map.get(path.slice(pos, end));
    const keys = this.keys;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (key.length === end - pos && path.startsWith(key, pos)) return this.nodes[k];
    }
    return undefined;
  }
}

/** Below a key: what the remaining segments may be. `minSeq` is the oldest resource under it. */
interface SubNode<R> {
  readonly minSeq: number;
  statics: Children<SubNode<R>> | null;
  param: SubNode<R> | null;
  readonly regexes: { re: RegExp; names: readonly string[]; whole: boolean; child: SubNode<R> }[];
  readonly tails: { re: RegExp; names: readonly string[]; resource: Resource<R, any> }[];
  readonly terminals: Resource<R, any>[];
}

/** aiohttp's resource index as a trie of fixed segments; `sub` holds the resources keyed here. */
interface KeyNode<R> {
  readonly children: Children<KeyNode<R>>;
  sub: SubNode<R> | null;
}

const subNode = <R>(minSeq: number): SubNode<R> => ({
  minSeq,
  statics: null,
  param: null,
  regexes: [],
  tails: [],
  terminals: [],
});

/** Plain resources of one path: key depth (trailing slashes dropped), and whether it has none. */
interface PlainEntry<R> {
  readonly depth: number;
  readonly exclusive: boolean; // no trailing slash: no dynamic resource shares its key, it wins outright
  readonly resources: Resource<R, any>[];
}

/**
 * aiohttp's URL dispatcher semantics, request-free: `add(method, pattern, payload)` and
 * `match(method, rawPath)`.
 *
 * Precedence is aiohttp's: the resource whose fixed leading segments (its index key) are longest
 * wins, and among resources with the same key the first registered wins; a resource that matches
 * the path but not the method adds its methods to `Allow` and the search goes on. So `/users/me`
 * beats `/users/{id}` in either order, while `/{a}/x` and `/{b:\d+}/x` go by registration order.
 * `GET` routes answer `HEAD`; a `*` route answers any method not registered on its own.
 *
 * Differences from aiohttp: variable regexes are JavaScript regexes (`u` flag; `\d` is ASCII
 * only), matched within their segment, or against the rest of the path from their segment when
 * they can match `/` (anchors and look-arounds see only that text); fixed parts are matched as
 * written, so `/hello world/{x}` works (aiohttp #13433); adding `HEAD` where `GET` added one
 * replaces it instead of raising; route names need not avoid Python keywords; unknown names in
 * `urlFor` raise `ValueError` (aiohttp: `KeyError`); `urlFor` validates values (aiohttp does not)
 * and sends a `/` in a one-segment value as `%2F` (aiohttp keeps it, and the URL 404s). `add("GET")`
 * is aiohttp's `add_get`: pass `allowHead: false` for `add_route("GET", …)`.
 *
 * @example
 * ```ts
 * const m = new RouteMatcher<string>();
 * m.add("GET", "/users/{id:\\d+}", "user", { name: "user" });
 * m.match("GET", "/users/42"); // { kind: "found", payload: "user", params: { id: "42" }, … }
 * m.match("POST", "/users/42"); // { kind: "method-not-allowed", allowed: ["GET", "HEAD"] }
 * m.urlFor("user", { id: "7" }); // "/users/7"
 * ```
 * @see https://docs.aiohttp.org/en/stable/web_quickstart.html#variable-resources
 */
export class RouteMatcher<R> {
  readonly #resources: Resource<R, any>[] = [];
  readonly #named = new Map<string, Resource<R, any>>();
  readonly #plain = new Map<string, PlainEntry<R>>();
  readonly #root: KeyNode<R> = { children: new Children(), sub: null };
  #dynamic = 0;
  // Scratch state of the current match (match is synchronous and never re-entered).
  #path = "";
  #method = "";
  #plainDepth = -1;
  #plainResources: Resource<R, any>[] | null = null;
  readonly #caps: string[] = [];
  #bestSeq = Infinity;
  #best: Route<R> | null = null;
  #bestCaps: string[] = [];
  #allowed: Set<string> | null = null;

  /**
   * Registers `payload` for `method` on `pattern` (aiohttp's `add_route`; `add("GET", …)` is
   * `add_get`). Returns the route; `route.resource` is shared with the previous call when that
   * one had the same pattern and name.
   *
   * @throws ValueError for an invalid method, pattern (see `compilePattern`) or name, or a name
   * already used.
   * @throws RuntimeError when the resource already answers `method` (or has a `*` route).
   */
  add<P extends string>(method: string, pattern: P, payload: R, options: AddRouteOptions = {}): Route<R, P> {
    const { name, allowHead = true } = options;
    const upper = method.toUpperCase();
    if (!HTTP_METHOD_RE.test(upper)) throw new ValueError(`${method} is not allowed HTTP method`);
    let resource = this.#resources.at(-1) as Resource<R, P> | undefined;
    if (resource === undefined || resource.name !== name || resource.pattern !== pattern)
      resource = this.#addResource(pattern, name);
    return resource.addRoute(upper, payload, allowHead);
  }

  #addResource<P extends string>(pattern: P, name: string | undefined): Resource<R, P> {
    if (name !== undefined) {
      if (!name.split(/[.:-]/).every((part) => NAME_PART.test(part)))
        throw new ValueError(
          `Incorrect route name '${name}': identifiers separated by '.', ':' or '-' expected`,
        );
      const other = this.#named.get(name);
      if (other !== undefined)
        throw new ValueError(`Duplicate '${name}', already handled by ${inspect(other)}`);
    }
    const compiled = compilePattern(pattern);
    const seq = this.#resources.length;
    const resource = new Resource<R, P>(pattern, name, seq, compiled.canonical, compiled.formatter);
    const { canonical: path, key } = compiled;
    if (compiled.plain) {
      const entry = this.#plain.get(path);
      if (entry !== undefined) entry.resources.push(resource);
      else
        this.#plain.set(path, { depth: key.length, exclusive: !path.endsWith("/"), resources: [resource] });
    } else {
      this.#insert(resource, compiled.key, compiled.rest);
      this.#dynamic++;
    }
    this.#resources.push(resource);
    if (name !== undefined) this.#named.set(name, resource);
    return resource;
  }

  #insert(resource: Resource<R, any>, key: readonly string[], rest: readonly Segment[]): void {
    let node = this.#root;
    for (const seg of key) {
      let child = node.children.get(seg);
      if (child === undefined) node.children.set(seg, (child = { children: new Children(), sub: null }));
      node = child;
    }
    const seq = resource.seq;
    let sub = (node.sub ??= subNode(seq));
    for (let j = 0; j < rest.length; j++) {
      const seg = rest[j]!;
      if (seg.kind === "static") {
        sub.statics ??= new Children();
        let child = sub.statics.get(seg.text);
        if (child === undefined) sub.statics.set(seg.text, (child = subNode(seq)));
        sub = child;
      } else if (seg.kind === "param") {
        sub = sub.param ??= subNode(seq);
      } else if (seg.kind === "regex") {
        const re = seg.re!;
        let rx = sub.regexes.find((r) => r.re.source === re.source);
        if (rx === undefined)
          sub.regexes.push((rx = { re, names: seg.names, whole: seg.whole === true, child: subNode(seq) }));
        sub = rx.child;
      } else {
        sub.tails.push({ re: seg.re!, names: seg.names, resource });
        return;
      }
    }
    sub.terminals.push(resource);
  }

  /**
   * Resolves a request: `path` is the raw (percent-encoded) path without its query; it is matched
   * in its `pathSafe` form and matched values are decoded (`%2F` in a `{name}` value gives `/`).
   * `method` is compared upper-cased. A `found` result carries fresh `params`.
   */
  match(method: string, path: string): MatchResult<R> {
    const m = method.toUpperCase();
    const p = pathSafe(path);
    this.#allowed = null;
    const plain = this.#plain.get(p);
    let plainDepth = -1;
    if (plain !== undefined) {
      if (plain.exclusive) {
        for (const res of plain.resources) {
          const route = res.routeFor(m);
          if (route !== undefined) return { kind: "found", payload: route.payload, params: {}, route };
          this.#allow(res);
        }
      } else plainDepth = plain.depth;
    }
    if ((this.#dynamic === 0 && plainDepth < 0) || p.charCodeAt(0) !== 47) return this.#miss();
    this.#path = p;
    this.#method = m;
    this.#plainDepth = plainDepth;
    this.#plainResources = plainDepth < 0 ? null : plain!.resources;
    this.#bestSeq = Infinity;
    if (this.#caps.length > 0) this.#caps.length = 0; // only after a throw (stack overflow) mid-search
    const best = this.#level(this.#root, 1, 0);
    if (best === null) return this.#miss();
    this.#best = null;
    const params: Record<string, string> = {};
    const names = best.resource.varNames;
    for (let k = 0; k < names.length; k++) params[names[k]!] = unquotePathSafe(this.#bestCaps[k]!);
    return { kind: "found", payload: best.payload, params, route: best };
  }

  /**
   * aiohttp's walk of the resource index, deepest key first: descends along the fixed segments
   * from `node` (key depth `depth`, its segment starting at `pos`), then tries this key's
   * resources (and the plain ones sharing it). A resource keyed at depth d needs a segment after
   * its key, so the descent stops before the last segment.
   */
  #level(node: KeyNode<R>, pos: number, depth: number): Route<R> | null {
    const path = this.#path;
    const e = path.indexOf("/", pos);
    const deeper = e !== -1 && node.children.keys.length > 0 ? node.children.at(path, pos, e) : undefined;
    if (deeper !== undefined) {
      const found = this.#level(deeper, e + 1, depth + 1);
      if (found !== null) return found;
    } else if (this.#plainDepth > depth) {
      for (const res of this.#plainResources!) this.#consider(res, null, null); // deeper than any key here
      if (this.#best !== null) return this.#best;
    }
    if (depth === this.#plainDepth) for (const res of this.#plainResources!) this.#consider(res, null, null);
    if (node.sub !== null) this.#search(node.sub, pos);
    return this.#best;
  }

  /**
   * Finds the oldest resource under `node` matching the path from `pos` (-1: the path ended),
   * skipping subtrees whose oldest resource is newer than the best found (`minSeq`).
   */
  #search(node: SubNode<R>, pos: number): void {
    if (node.minSeq >= this.#bestSeq) return;
    if (pos < 0) {
      for (const res of node.terminals) this.#consider(res, null, null);
      return;
    }
    const path = this.#path;
    const e = path.indexOf("/", pos);
    const end = e === -1 ? path.length : e;
    const next = e === -1 ? -1 : e + 1;
    if (node.statics !== null) {
      const child = node.statics.at(path, pos, end);
      if (child !== undefined) this.#search(child, next);
    }
    if (node.param === null && node.regexes.length === 0) {
      if (node.tails.length > 0) this.#tails(node, pos);
      return;
    }
    const seg = path.slice(pos, end);
    const caps = this.#caps;
    if (node.param !== null && seg !== "" && !seg.includes("{") && !seg.includes("}")) {
      caps.push(seg);
      this.#search(node.param, next);
      caps.pop();
    }
    for (const rx of node.regexes) {
      if (rx.child.minSeq >= this.#bestSeq) continue;
      if (rx.whole) {
        if (!rx.re.test(seg)) continue; // cheaper than exec: the value is the segment
        caps.push(seg);
        this.#search(rx.child, next);
        caps.pop();
        continue;
      }
      const m = rx.re.exec(seg);
      if (m === null) continue;
      for (const name of rx.names) caps.push(m.groups![name]!);
      this.#search(rx.child, next);
      for (let k = rx.names.length; k > 0; k--) caps.pop();
    }
    if (node.tails.length > 0) this.#tails(node, pos);
  }

  #tails(node: SubNode<R>, pos: number): void {
    const rest = this.#path.slice(pos);
    for (const t of node.tails) {
      if (t.resource.seq >= this.#bestSeq) continue;
      const m = t.re.exec(rest);
      if (m !== null) this.#consider(t.resource, m, t.names);
    }
  }

  #consider(res: Resource<R, any>, m: RegExpExecArray | null, names: readonly string[] | null): void {
    if (res.seq >= this.#bestSeq) return;
    const route = res.routeFor(this.#method);
    if (route === undefined) {
      this.#allow(res);
      return;
    }
    this.#bestSeq = res.seq;
    this.#best = route;
    this.#bestCaps = this.#caps.slice();
    if (m !== null) for (const name of names!) this.#bestCaps.push(m.groups![name]!);
  }

  #allow(res: Resource<R, any>): void {
    this.#allowed ??= new Set();
    for (const method of res.allowedMethods) this.#allowed.add(method);
  }

  #miss(): MatchResult<R> {
    const allowed = this.#allowed;
    this.#allowed = null;
    return allowed === null
      ? { kind: "not-found" }
      : { kind: "method-not-allowed", allowed: [...allowed].sort() };
  }

  /**
   * The URL of the resource named `name` (see `Resource.urlFor`).
   * @throws ValueError when no resource has that name, or as `Resource.urlFor`.
   */
  urlFor(name: string, params?: Readonly<Record<string, string>>, query?: QueryParams): string {
    const resource = this.#named.get(name);
    if (resource === undefined) throw new ValueError(`no route named '${name}'`);
    return resource.urlFor(params, query);
  }

  /** The resource named `name` (aiohttp's `router[name]`), `undefined` if none. */
  resource(name: string): Resource<R> | undefined {
    return this.#named.get(name);
  }

  /** All resources in registration order (aiohttp's `router.resources()`). */
  resources(): Resource<R>[] {
    return [...this.#resources];
  }

  /** All routes, resource by resource (aiohttp's `router.routes()`), implicit `HEAD`s included. */
  routes(): Route<R>[] {
    return this.#resources.flatMap((r) => r.routes());
  }

  /** @internal */
  [inspect.custom](): string {
    return `<RouteMatcher [resources:${this.#resources.length}, named:${this.#named.size}]>`;
  }
}
