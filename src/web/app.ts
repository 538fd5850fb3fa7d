/**
 * `Application` (aiohttp's `web_app`): the router, the middlewares, typed state, sub-applications
 * and the lifecycle signals (`onStartup`, `onShutdown`, `onCleanup`, `cleanupCtx`).
 *
 * An application is frozen when it starts serving: routes, middlewares, signals and sub-apps can no
 * longer change (a `RuntimeError` says so), which lets the server compile each route's middleware
 * chain once.
 */
import { inspect } from "node:util";
import { asAwaitable } from "../asyncio/kernel.js";
import { ArgumentTypeError, Coroutine, ExceptionGroup, RuntimeError, ValueError } from "../index.js";
import type { Middleware } from "./middlewares.js";
import type { RouteDef } from "./urldispatcher.js";
import { UrlDispatcher } from "./urldispatcher.js";

/** Type-only key of {@link AppKey}'s phantom member. */
declare const appKeyType: unique symbol;

/** Default `clientMaxSize`: 1 MiB, as aiohttp. */
export const DEFAULT_CLIENT_MAX_SIZE = 1024 ** 2;

/**
 * A typed key for application state (aiohttp's `web.AppKey`): `app.set(key, v)` and `app.get(key)`
 * are typed by `T`.
 *
 * ```ts
 * const db = new web.AppKey<Db>("db");
 * app.set(db, await connect());
 * const conn: Db = request.app.get(db);
 * ```
 */
export class AppKey<T> {
  /** Phantom member carrying `T` (never set at run time). */
  declare readonly [appKeyType]?: T;
  constructor(readonly name: string) {
    if (typeof name !== "string")
      throw new ArgumentTypeError(`AppKey name must be a string, got ${typeof name}`);
  }
  toString(): string {
    return `<AppKey(${this.name})>`;
  }
}

/** A lifecycle callback: `async (app) => { … }` (or a generator coroutine function). */
export type AppSignalHandler = (app: Application) => unknown;

/**
 * An ordered list of lifecycle callbacks, frozen with the application (aiohttp's `Signal`).
 */
export class AppSignal {
  readonly #handlers: AppSignalHandler[] = [];
  #frozen = false;
  readonly #name: string;

  /** @internal */
  constructor(name: string) {
    this.#name = name;
  }

  /** Add a callback. @throws {RuntimeError} once the application is frozen. */
  append(handler: AppSignalHandler): void {
    if (this.#frozen) throw new RuntimeError(`Cannot modify frozen signal ${this.#name}`);
    if (typeof handler !== "function")
      throw new ArgumentTypeError(`${this.#name} handlers must be functions, got ${inspect(handler)}`);
    this.#handlers.push(handler);
  }

  /** Alias of {@link append}, as Python's `list.append` is the spelling aiohttp documents. */
  push(handler: AppSignalHandler): void {
    this.append(handler);
  }

  /** How many callbacks. */
  get length(): number {
    return this.#handlers.length;
  }

  [Symbol.iterator](): Iterator<AppSignalHandler> {
    return this.#handlers[Symbol.iterator]();
  }

  /** @internal */
  freeze(): void {
    this.#frozen = true;
  }

  /** Run the callbacks in order (each awaited before the next). */
  async send(app: Application): Promise<void> {
    for (const h of this.#handlers) await asAwaitable(h(app));
  }
}

/** A `cleanupCtx` entry: an async generator (or generator coroutine) function of the app. */
export type CleanupContext = (
  app: Application,
) => AsyncGenerator<unknown, unknown, unknown> | Generator<unknown, unknown, unknown> | Coroutine<unknown>;

/** Options of {@link Application}. */
export interface ApplicationOptions {
  /** Middlewares, outermost first. */
  middlewares?: Iterable<Middleware>;
  /** The largest request body (bytes) `read()`/`text()`/`json()`/`post()` accept; 1 MiB by default. */
  clientMaxSize?: number;
  /** Debug mode: error pages show the stack. */
  debug?: boolean;
}

type StateKey = AppKey<any> | string;

/**
 * A web application.
 *
 * ```ts
 * const app = new web.Application();
 * app.router.addGet("/", (request) => new web.Response({ text: "hello" }));
 * await web.runApp(app, { port: 8080 });
 * ```
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#application
 */
export class Application {
  /** The URL dispatcher. */
  readonly router: UrlDispatcher;
  /** Run when the server starts, in order. */
  readonly onStartup = new AppSignal("onStartup");
  /** Run when the server stops accepting, before `onCleanup`. */
  readonly onShutdown = new AppSignal("onShutdown");
  /** Run last when the server stops. */
  readonly onCleanup = new AppSignal("onCleanup");
  /** Async generators: code before the `yield` runs at startup, after it at cleanup (reverse order). */
  readonly cleanupCtx: CleanupContext[] & { append(ctx: CleanupContext): void };
  /** Debug mode (error pages with stacks). */
  readonly debug: boolean;
  readonly #middlewares: Middleware[];
  readonly #clientMaxSize: number;
  readonly #state = new Map<StateKey, unknown>();
  readonly #subapps: Application[] = [];
  #frozen = false;
  #running: (AsyncGenerator<unknown, unknown, unknown> | Generator<unknown, unknown, unknown>)[] = [];
  /** @internal The prefix this app is mounted at, when it is a sub-application. */
  prefix = "";
  /** @internal The parent application, when this one is mounted. */
  parent: Application | null = null;

  constructor(options: ApplicationOptions = {}) {
    const maxSize = options.clientMaxSize ?? DEFAULT_CLIENT_MAX_SIZE;
    if (typeof maxSize !== "number" || !Number.isInteger(maxSize) || maxSize < 0)
      throw new ValueError(`clientMaxSize must be a non-negative integer, got ${inspect(maxSize)}`);
    this.#clientMaxSize = maxSize;
    this.#middlewares = [];
    for (const mw of options.middlewares ?? []) {
      if (typeof mw !== "function")
        throw new ArgumentTypeError(`middleware must be a function, got ${inspect(mw)}`);
      this.#middlewares.push(mw);
    }
    this.debug = options.debug ?? false;
    this.router = new UrlDispatcher(this);
    const ctx: CleanupContext[] = [];
    this.cleanupCtx = Object.assign(ctx, {
      append: (c: CleanupContext): void => {
        this.#checkFrozen("cleanupCtx");
        if (typeof c !== "function")
          throw new ArgumentTypeError(`cleanupCtx entries must be functions, got ${inspect(c)}`);
        ctx.push(c);
      },
    });
  }

  /** The middlewares, outermost first (read-only). */
  get middlewares(): readonly Middleware[] {
    return this.#middlewares;
  }

  /** The largest request body accepted, in bytes. */
  get clientMaxSize(): number {
    return this.#clientMaxSize;
  }

  /** True once the application started (no more routes, middlewares, signals or sub-apps). */
  get frozen(): boolean {
    return this.#frozen;
  }

  /** Store state (it stays writable while the app runs, as aiohttp 3 allows). */
  set<T>(key: AppKey<T>, value: T): void;
  set(key: string, value: unknown): void;
  set(key: StateKey, value: unknown): void {
    if (!(key instanceof AppKey) && typeof key !== "string")
      throw new ArgumentTypeError(`state keys are AppKey objects or strings, got ${inspect(key)}`);
    this.#state.set(key, value);
  }

  /** Read state; a missing key gives `defaultValue` (or throws `ValueError` when none is given). */
  get<T>(key: AppKey<T>): T;
  get<T, D>(key: AppKey<T>, defaultValue: D): T | D;
  get(key: string, defaultValue?: unknown): unknown;
  get(key: StateKey, ...rest: unknown[]): unknown {
    if (this.#state.has(key)) return this.#state.get(key);
    if (rest.length > 0) return rest[0];
    throw new ValueError(`no state for key ${String(key)}`);
  }

  /** True when `key` has a value. */
  has(key: StateKey): boolean {
    return this.#state.has(key);
  }

  /** Remove a key. */
  delete(key: StateKey): boolean {
    return this.#state.delete(key);
  }

  /** Add routes made with `web.get(path, h)`, `web.post(…)`, `web.route(…)`, `web.view(…)`. */
  addRoutes(routes: Iterable<RouteDef>): void {
    for (const r of routes) r.register(this.router);
  }

  /**
   * Mount `subapp` under `prefix` (`"/admin"`): its routes, middlewares (applied after this app's)
   * and signals (run by this app's) go with it.
   * @throws {RuntimeError} when either app is frozen or `subapp` is already mounted.
   */
  addSubapp(prefix: string, subapp: Application): Application {
    this.#checkFrozen("addSubapp");
    if (!(subapp instanceof Application))
      throw new ArgumentTypeError(`subapp must be an Application, got ${inspect(subapp)}`);
    if (subapp === this) throw new RuntimeError("Cannot add an application as its own sub-application");
    if (subapp.parent !== null || subapp.#frozen) throw new RuntimeError("Cannot add frozen application");
    if (typeof prefix !== "string")
      throw new ArgumentTypeError(`prefix must be a string, got ${inspect(prefix)}`);
    let p = prefix.replace(/\/+$/, "");
    if (p === "") throw new ValueError("Prefix cannot be empty");
    if (!p.startsWith("/")) p = `/${p}`;
    subapp.prefix = p;
    subapp.parent = this;
    this.#subapps.push(subapp);
    this.router.mount(p, subapp);
    this.onStartup.append(() => subapp.startup());
    this.onShutdown.append(() => subapp.shutdown());
    this.onCleanup.append(() => subapp.cleanup());
    return subapp;
  }

  /** The mounted sub-applications. */
  get subapps(): readonly Application[] {
    return this.#subapps;
  }

  /** Freeze the application and its sub-applications (the server does it when it starts). */
  freeze(): void {
    if (this.#frozen) return;
    this.#frozen = true;
    this.onStartup.freeze();
    this.onShutdown.freeze();
    this.onCleanup.freeze();
    Object.freeze(this.#middlewares);
    Object.freeze(this.cleanupCtx);
    this.router.freeze();
    for (const s of this.#subapps) s.freeze();
  }

  /** Run the startup half of each `cleanupCtx` generator, then `onStartup` (aiohttp's order). */
  async startup(): Promise<void> {
    this.freeze();
    const running: (AsyncGenerator<unknown, unknown, unknown> | Generator<unknown, unknown, unknown>)[] = [];
    this.#running = running;
    for (const ctx of this.cleanupCtx) {
      const made = ctx(this);
      // A generator coroutine (`coroutine(function* …)`) is driven through its generator.
      const gen = made instanceof Coroutine ? (made[Symbol.iterator]() as Generator<unknown, unknown>) : made;
      const first = await stepContext(gen);
      if (first.done) throw new RuntimeError(`cleanupCtx ${ctx.name || "<anonymous>"} did not yield`);
      running.push(gen);
    }
    await this.onStartup.send(this);
  }

  /** Run `onShutdown`. */
  async shutdown(): Promise<void> {
    await this.onShutdown.send(this);
  }

  /**
   * Run the cleanup half of each started `cleanupCtx` generator in reverse order, then `onCleanup`
   * (aiohttp's order). Every one runs even if another fails; failures are thrown together as an
   * ExceptionGroup.
   */
  async cleanup(): Promise<void> {
    const errors: unknown[] = [];
    const running = this.#running;
    this.#running = [];
    for (let i = running.length - 1; i >= 0; i--) {
      try {
        const r = await stepContext(running[i]!);
        if (!r.done) errors.push(new RuntimeError("cleanupCtx generator has more than one yield"));
      } catch (e) {
        errors.push(e);
      }
    }
    try {
      await this.onCleanup.send(this);
    } catch (e) {
      errors.push(e);
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new ExceptionGroup("Multiple errors on cleanup stage", errors as Error[]);
  }

  #checkFrozen(what: string): void {
    if (this.#frozen) throw new RuntimeError(`Cannot change ${what} of a frozen application`);
  }

  toString(): string {
    return `<Application ${this.prefix === "" ? "root" : this.prefix}>`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Resume a cleanup-context generator (async generator, or a generator coroutine run inline). */
async function stepContext(
  gen: AsyncGenerator<unknown, unknown, unknown> | Generator<unknown, unknown, unknown>,
): Promise<IteratorResult<unknown, unknown>> {
  if (typeof (gen as AsyncGenerator)[Symbol.asyncIterator] === "function")
    return await (gen as AsyncGenerator).next();
  // A generator coroutine: run it up to its next bare `yield` (the context's yield point) inline.
  return await runGenUntilBareYield(gen as Generator<unknown, unknown, unknown>);
}

/**
 * Drive a generator coroutine until it yields `undefined` (the context's yield) or returns. Values
 * it yields that are awaitables are awaited, as a task would.
 */
async function runGenUntilBareYield(
  gen: Generator<unknown, unknown, unknown>,
): Promise<IteratorResult<unknown, unknown>> {
  let r = gen.next();
  for (;;) {
    if (r.done || r.value === undefined) return r;
    try {
      r = gen.next(await (r.value as PromiseLike<unknown>));
    } catch (e) {
      r = gen.throw(e);
    }
  }
}
