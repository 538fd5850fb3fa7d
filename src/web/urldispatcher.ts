/**
 * The router (aiohttp's `web_urldispatcher.UrlDispatcher`): `addGet`/`addPost`/…/`addRoute`/
 * `addView`, named routes and `urlFor`, sub-application prefixes, class-based views, and the
 * `web.get(path, h)`-style route definitions for `app.addRoutes`.
 *
 * Matching itself is `RouteMatcher` (a Map for plain paths, a segment trie for the rest). At the
 * first resolution after the application froze, the root router flattens its own routes and those
 * of every mounted sub-application into one matcher and compiles each route's middleware chain
 * once, so a request costs one lookup and no per-request closure building.
 */
import { inspect } from "node:util";
import { asAwaitable } from "../asyncio/kernel.js";
import { ArgumentTypeError, RuntimeError } from "../index.js";
import type { Application } from "./app.js";
import { HTTPException, HTTPMethodNotAllowed, HTTPNotFound } from "./exceptions.js";
import type { Handler, HandlerResult, NextHandler } from "./middlewares.js";
import type { MatchInfo as MatchInfoBase, PathParams, QueryParams } from "./path-params.js";
import type { Request } from "./request.js";
import type { StreamResponse } from "./response.js";
import { type Resource, type Route, RouteMatcher } from "./route-matcher.js";
import { type StaticOptions, StaticResource } from "./static.js";

/** What the router stores per route: the handler and the application that registered it. */
export interface RouteEntry {
  readonly handler: (request: Request<any>) => HandlerResult;
  readonly app: Application;
  /** The handler wrapped in the middlewares of its application chain (set when compiled). */
  compiled: ((request: Request<any>) => HandlerResult) | null;
}

/** The route a request matched. */
export type ResourceRoute = Route<RouteEntry>;

/**
 * A route's match (aiohttp's `UrlMappingMatchInfo`): the variables, typed by the path literal,
 * the route, and for a request that matched nothing the HTTP error it will get.
 */
export class UrlMappingMatchInfo<P extends Record<string, string> = Record<string, string>>
  implements MatchInfoBase<P, ResourceRoute | null>
{
  readonly #params: Record<string, string>;
  /** The route that matched, or `null` (404/405). */
  readonly route: ResourceRoute | null;
  /** The 404/405 this request will get when nothing matched, else `null`. */
  readonly httpException: HTTPException | null;
  /** The application whose route matched (or the root app). */
  readonly currentApp: Application;

  /** @internal */
  constructor(
    params: Record<string, string>,
    route: ResourceRoute | null,
    app: Application,
    httpException: HTTPException | null = null,
  ) {
    this.#params = params;
    this.route = route;
    this.currentApp = app;
    this.httpException = httpException;
  }

  get<K extends string extends keyof P ? never : keyof P & string>(key: K): string;
  get(key: string): string | undefined;
  get(key: string): string | undefined {
    return Object.hasOwn(this.#params, key) ? this.#params[key] : undefined;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#params, key);
  }

  /** The variables as a plain object (a copy). */
  get params(): Readonly<P> {
    return { ...this.#params } as P;
  }

  /** True when nothing matched (404) or the method is not allowed (405). */
  get isNotFound(): boolean {
    return this.httpException !== null;
  }

  /** The applications from the root to the one whose route matched. */
  get apps(): Application[] {
    const out: Application[] = [];
    for (let a: Application | null = this.currentApp; a !== null; a = a.parent) out.unshift(a);
    return out;
  }

  toString(): string {
    const route = this.route === null ? "<SystemRoute>" : inspect(this.route);
    return `<MatchInfo ${inspect(this.#params, { breakLength: Number.POSITIVE_INFINITY })}: ${route}>`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** A matched route and everything the server needs to run it. @internal */
export interface Resolution {
  app: Application;
  matchInfo: UrlMappingMatchInfo<any>;
  handler: (request: Request<any>) => HandlerResult;
}

const VIEW_METHODS = ["get", "post", "put", "patch", "delete", "head", "options"] as const;

/**
 * A class-based view (aiohttp's `web.View`): one method per HTTP method.
 *
 * ```ts
 * class Users extends web.View {
 *   async get() { return web.jsonResponse(await list()); }
 *   async post() { … }
 * }
 * app.router.addView("/users", Users);
 * ```
 * A method the class does not define is a 405 listing the ones it does.
 */
export class View {
  constructor(readonly request: Request<any>) {}

  /** @internal Run the method named after the request's method. */
  dispatch(): HandlerResult {
    const name = this.request.method.toLowerCase();
    const fn = (VIEW_METHODS as readonly string[]).includes(name) ? (this as any)[name] : undefined;
    if (typeof fn !== "function") {
      const allowed = VIEW_METHODS.filter((m) => typeof (this as any)[m] === "function").map((m) =>
        m.toUpperCase(),
      );
      throw new HTTPMethodNotAllowed(this.request.method, allowed);
    }
    return fn.call(this);
  }
}

/** A `View` subclass. */
export type ViewClass = new (request: Request<any>) => View;

function isViewClass(x: unknown): x is ViewClass {
  return typeof x === "function" && (x === View || x.prototype instanceof View);
}

/** Options of the `add*` methods. */
export interface RouteOptions {
  /** A name for `urlFor` (`router.get(name)`). */
  name?: string;
  /** For GET routes: also answer HEAD (default true). */
  allowHead?: boolean;
}

/** A typed handler for a path literal. */
type TypedHandler<P extends string> = (request: Request<PathParams<P>>) => HandlerResult;

/**
 * The router of an application (`app.router`).
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#router
 */
export class UrlDispatcher {
  readonly #app: Application;
  readonly #matcher = new RouteMatcher<RouteEntry>();
  #frozen = false;
  #mounts: [string, Application][] = [];
  #flat: RouteMatcher<RouteEntry> | null = null;
  readonly #notFound = new Map<Application, (request: Request<any>) => HandlerResult>();

  /** @internal Made by `Application`. */
  constructor(app: Application) {
    this.#app = app;
  }

  /** Register `handler` for `method` on `path` (`*` for any method). A `View` class is accepted. */
  addRoute<P extends string>(
    method: string,
    path: P,
    handler: TypedHandler<P> | ViewClass,
    options: RouteOptions = {},
  ): ResourceRoute {
    if (this.#frozen) throw new RuntimeError("Cannot register a resource into frozen router.");
    if (typeof method !== "string")
      throw new ArgumentTypeError(`method must be a string, got ${inspect(method)}`);
    if (typeof path !== "string") throw new ArgumentTypeError(`path must be a string, got ${inspect(path)}`);
    let fn: (request: Request<any>) => HandlerResult;
    if (isViewClass(handler)) fn = (request) => new handler(request).dispatch();
    else if (typeof handler === "function") fn = handler as (request: Request<any>) => HandlerResult;
    else
      throw new ArgumentTypeError(
        `handler must be a function or a View class, got ${inspect(handler, { depth: 0 })}`,
      );
    if (path !== "" && !path.startsWith("/"))
      throw new ArgumentTypeError(`path should start with /, got ${inspect(path)}`);
    const entry: RouteEntry = { handler: fn, app: this.#app, compiled: null };
    this.#flat = null;
    return this.#matcher.add(method, path, entry, options) as unknown as ResourceRoute;
  }

  /** `GET` (and `HEAD`, unless `allowHead: false`). */
  addGet<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): ResourceRoute {
    return this.addRoute("GET", path, handler, options);
  }
  addPost<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): ResourceRoute {
    return this.addRoute("POST", path, handler, options);
  }
  addPut<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): ResourceRoute {
    return this.addRoute("PUT", path, handler, options);
  }
  addPatch<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): ResourceRoute {
    return this.addRoute("PATCH", path, handler, options);
  }
  addDelete<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): ResourceRoute {
    return this.addRoute("DELETE", path, handler, options);
  }
  addHead<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): ResourceRoute {
    return this.addRoute("HEAD", path, handler, options);
  }
  addOptions<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): ResourceRoute {
    return this.addRoute("OPTIONS", path, handler, options);
  }
  /**
   * Serve the files under `dir` at `prefix` (aiohttp's `add_static`): `GET`/`HEAD prefix/{filename:.*}`,
   * never outside `dir` (see `static.ts`).
   */
  addStatic(prefix: string, dir: string, options?: StaticOptions): StaticResource {
    return new StaticResource(this, prefix, dir, options);
  }
  /** A class-based view: every method, dispatched by the class. */
  addView(path: string, view: ViewClass, options?: RouteOptions): ResourceRoute {
    if (!isViewClass(view))
      throw new ArgumentTypeError(`addView() needs a View subclass, got ${inspect(view, { depth: 0 })}`);
    return this.addRoute("*", path, view, options);
  }

  /** The resource named `name` (aiohttp's `router[name]`): `router.get("user")!.urlFor({ id: "1" })`. */
  get(name: string): NamedResource | undefined {
    const r = this.#matcher.resource(name);
    return r === undefined ? undefined : new NamedResource(r, this.#app);
  }

  /** The URL of the route named `name`, with this application's prefix. */
  urlFor(name: string, params?: Record<string, string>, query?: QueryParams): string {
    return fullPrefix(this.#app) + this.#matcher.urlFor(name, params, query);
  }

  /** Every resource, in registration order. */
  resources(): Resource<RouteEntry>[] {
    return this.#matcher.resources();
  }

  /** Every route (implicit HEADs included). */
  routes(): ResourceRoute[] {
    return this.#matcher.routes();
  }

  /** @internal `addSubapp` mounts here. */
  mount(prefix: string, app: Application): void {
    if (this.#frozen) throw new RuntimeError("Cannot register a resource into frozen router.");
    this.#mounts.push([prefix, app]);
    this.#flat = null;
  }

  /** @internal */
  freeze(): void {
    this.#frozen = true;
  }

  /**
   * @internal Resolve a request: its application, match info, and the compiled handler (404 and
   * 405 too are handlers, so the middlewares see them, as in aiohttp).
   */
  resolve(method: string, rawPath: string): Resolution {
    // Cached once frozen (routes can no longer change); rebuilt while the app is still being built.
    const flat = this.#frozen ? (this.#flat ??= this.#flatten()) : this.#flatten();
    const m = flat.match(method, rawPath);
    if (m.kind === "found") {
      const entry = m.payload;
      const handler = (entry.compiled ??= compile(entry.handler, entry.app));
      return {
        app: entry.app,
        matchInfo: new UrlMappingMatchInfo(m.params, m.route as ResourceRoute, entry.app),
        handler,
      };
    }
    const exc = m.kind === "not-found" ? new HTTPNotFound() : new HTTPMethodNotAllowed(method, m.allowed);
    // Under a sub-application's prefix, its middlewares see the error too (aiohttp resolves there).
    const app = this.#mounts.length === 0 ? this.#app : appForPath(this.#app, rawPath);
    let handler = this.#notFound.get(app);
    if (handler === undefined) this.#notFound.set(app, (handler = compile(raiseMatchError, app)));
    return { app, matchInfo: new UrlMappingMatchInfo({}, null, app, exc), handler };
  }

  /** True when `method path` matches a route (what `normalizePathMiddleware` tries). */
  resolves(method: string, rawPath: string): boolean {
    return this.resolve(method, rawPath).matchInfo.httpException === null;
  }

  #flatten(): RouteMatcher<RouteEntry> {
    if (this.#mounts.length === 0) return this.#matcher;
    const flat = new RouteMatcher<RouteEntry>();
    addAll(flat, "", this.#app);
    return flat;
  }

  toString(): string {
    return `<UrlDispatcher ${this.#matcher.resources().length} resources>`;
  }

  /** @internal For flattening. */
  get matcher(): RouteMatcher<RouteEntry> {
    return this.#matcher;
  }

  /** @internal */
  get mounts(): readonly [string, Application][] {
    return this.#mounts;
  }
}

/** Copy `app`'s routes (and its sub-apps', recursively) into `flat` under `prefix`. */
function addAll(flat: RouteMatcher<RouteEntry>, prefix: string, app: Application): void {
  const router = app.router;
  for (const route of router.matcher.routes()) {
    if (route.implicit) continue;
    const pattern = prefix + (route.resource.pattern === "" ? "" : route.resource.pattern);
    const full = pattern === "" ? "/" : pattern;
    // Keep the route's name (matchInfo.route.name); names are per application, so on a clash
    // between applications the first keeps it.
    const name = route.resource.name;
    const owner = name === undefined ? undefined : flat.resource(name);
    flat.add(route.method, full, route.payload, {
      allowHead: route.resource.routeFor("HEAD")?.implicit === true,
      name: owner === undefined || owner.pattern === full ? name : undefined,
    });
  }
  for (const [p, sub] of router.mounts) addAll(flat, prefix + p, sub);
}

/** The innermost application whose mount prefix `rawPath` is under (the root when none). */
function appForPath(root: Application, rawPath: string): Application {
  let app = root;
  let path = rawPath;
  for (;;) {
    let next: [string, Application] | undefined;
    for (const m of app.router.mounts) {
      if (path === m[0] || path.startsWith(`${m[0]}/`)) {
        next = m;
        break;
      }
    }
    if (next === undefined) return app;
    path = path.slice(next[0].length);
    app = next[1];
  }
}

function fullPrefix(app: Application): string {
  let p = "";
  for (let a: Application | null = app; a !== null; a = a.parent) p = a.prefix + p;
  return p;
}

function raiseMatchError(request: Request<any>): never {
  throw (request.matchInfo as UrlMappingMatchInfo).httpException!;
}

/**
 * The handler wrapped in the middlewares of `app` and of its parents (root first, outermost
 * first). Without middlewares, the handler itself.
 */
function compile(
  handler: (request: Request<any>) => HandlerResult,
  app: Application,
): (request: Request<any>) => HandlerResult {
  const chain: Application[] = [];
  for (let a: Application | null = app; a !== null; a = a.parent) chain.unshift(a);
  const middlewares = chain.flatMap((a) => a.middlewares.map((mw) => [a, mw] as const));
  if (middlewares.length === 0) return handler;
  // As aiohttp, `request.app` is the middleware's own application while it runs (restored when the
  // inner chain returns), and the route's application in the handler.
  let next: NextHandler = async (request) => {
    const prev = request.app;
    request.app = app;
    try {
      const out = await asAwaitable(handler(request));
      // A returned HTTP exception reaches the middlewares as a thrown one.
      if (out instanceof HTTPException) throw out;
      return out as StreamResponse;
    } finally {
      request.app = prev;
    }
  };
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const [owner, mw] = middlewares[i]!;
    const inner = next;
    next = async (request) => {
      const prev = request.app;
      request.app = owner;
      try {
        return (await asAwaitable(mw(request, inner))) as StreamResponse;
      } finally {
        request.app = prev;
      }
    };
  }
  return next;
}

/** A named resource, as `router.get(name)` returns it. */
export class NamedResource {
  readonly #resource: Resource<RouteEntry>;
  readonly #app: Application;

  /** @internal */
  constructor(resource: Resource<RouteEntry>, app: Application) {
    this.#resource = resource;
    this.#app = app;
  }

  /** The name. */
  get name(): string | undefined {
    return this.#resource.name;
  }

  /** The pattern with each variable as `{name}`. */
  get canonical(): string {
    return this.#resource.canonical;
  }

  /** The URL path with `params` substituted (percent-encoded) and `query` appended. */
  urlFor(params?: Record<string, string>, query?: QueryParams): string {
    return (
      fullPrefix(this.#app) +
      (this.#resource.urlFor as (p?: Record<string, string>, q?: QueryParams) => string)(params, query)
    );
  }
}

/** A route definition for `app.addRoutes([...])` (aiohttp's `RouteDef`). */
export class RouteDef {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly handler: Handler<any> | ViewClass,
    readonly options: RouteOptions = {},
  ) {}

  /** @internal */
  register(router: UrlDispatcher): void {
    router.addRoute(this.method, this.path, this.handler as TypedHandler<string>, this.options);
  }
}

/** `web.route(method, path, handler)`. */
export function route<P extends string>(
  method: string,
  path: P,
  handler: TypedHandler<P> | ViewClass,
  options?: RouteOptions,
): RouteDef {
  return new RouteDef(method, path, handler as Handler<any>, options);
}
/** `web.get(path, handler)` (also answers HEAD). */
export function get<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): RouteDef {
  return new RouteDef("GET", path, handler as Handler<any>, options);
}
/** `web.post(path, handler)`. */
export function post<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): RouteDef {
  return new RouteDef("POST", path, handler as Handler<any>, options);
}
/** `web.put(path, handler)`. */
export function put<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): RouteDef {
  return new RouteDef("PUT", path, handler as Handler<any>, options);
}
/** `web.patch(path, handler)`. */
export function patch<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): RouteDef {
  return new RouteDef("PATCH", path, handler as Handler<any>, options);
}
/** `web.delete(path, handler)` (exported as `delete`; `del` inside modules, where `delete` is a keyword). */
export function del<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): RouteDef {
  return new RouteDef("DELETE", path, handler as Handler<any>, options);
}
/** `web.head(path, handler)`. */
export function head<P extends string>(path: P, handler: TypedHandler<P>, options?: RouteOptions): RouteDef {
  return new RouteDef("HEAD", path, handler as Handler<any>, options);
}
/** `web.view(path, ViewClass)`. */
export function view(path: string, cls: ViewClass, options?: RouteOptions): RouteDef {
  return new RouteDef("*", path, cls, options);
}
