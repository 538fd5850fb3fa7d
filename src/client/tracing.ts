/**
 * Client tracing (aiohttp's `TraceConfig`): callbacks a session calls at each step of a request.
 *
 * ```ts
 * const trace = new TraceConfig();
 * trace.onRequestStart.push(async (session, ctx, params) => { ctx.start = asyncio.getRunningLoop().time(); });
 * trace.onRequestEnd.push(async (session, ctx, params) => { console.log(params.url.href, loop.time() - ctx.start); });
 * new ClientSession({ traceConfigs: [trace] });
 * ```
 * Each request gets a fresh context object per config (`traceConfigCtx({ traceRequestCtx })`), the
 * same one for all of that request's callbacks. Callbacks run in order and are awaited; an error in
 * one fails the request.
 * @see https://docs.aiohttp.org/en/stable/tracing_reference.html
 */
import { inspect } from "node:util";
import type { CIMultiDict } from "../http/index.js";
import { ArgumentTypeError, RuntimeError } from "../index.js";

/** `onRequestStart`: before anything is sent. */
export interface TraceRequestStartParams {
  readonly method: string;
  readonly url: URL;
  readonly headers: CIMultiDict;
}
/** `onRequestEnd`: the response's headers arrived (its body may still be read). */
export interface TraceRequestEndParams extends TraceRequestStartParams {
  readonly response: unknown;
}
/** `onRequestRedirect`: a redirect response is being followed. */
export interface TraceRequestRedirectParams extends TraceRequestStartParams {
  readonly response: unknown;
}
/** `onRequestException`: the request failed. */
export interface TraceRequestExceptionParams extends TraceRequestStartParams {
  readonly exception: unknown;
}
/** `onRequestHeadersSent`: the request's headers were handed to the connection. */
export type TraceRequestHeadersSentParams = TraceRequestStartParams;
/** `onRequestChunkSent` / `onResponseChunkReceived`: a chunk of a body. */
export interface TraceChunkParams {
  readonly method: string;
  readonly url: URL;
  readonly chunk: Uint8Array;
}
/** The connection signals carry nothing (aiohttp's are empty too). */
export type TraceConnectionParams = Record<string, never>;

/** A trace callback: `(session, traceConfigCtx, params)`, awaited. */
export type TraceCallback<P> = (session: unknown, ctx: Record<string, any>, params: P) => unknown;

/**
 * A signal: a list of callbacks, frozen (no more `push`) once a session uses the config (aiohttp's
 * `Signal`, frozen by `TraceConfig.freeze()`).
 */
export class TraceSignal<P> extends Array<TraceCallback<P>> {
  #frozen = false;
  /** Whether callbacks can no longer be added. */
  get frozen(): boolean {
    return this.#frozen;
  }
  /** @internal */
  freeze(): void {
    this.#frozen = true;
    Object.freeze(this);
  }
  override push(...items: TraceCallback<P>[]): number {
    if (this.#frozen) throw new RuntimeError("Cannot modify frozen signal");
    for (const f of items)
      if (typeof f !== "function")
        throw new ArgumentTypeError(`A trace callback must be a function, got ${inspect(f, { depth: 0 })}`);
    return super.push(...items);
  }
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
}

/** Callbacks for the steps of every request of the sessions that use this config. */
export class TraceConfig {
  readonly onRequestStart = new TraceSignal<TraceRequestStartParams>();
  readonly onRequestEnd = new TraceSignal<TraceRequestEndParams>();
  readonly onRequestException = new TraceSignal<TraceRequestExceptionParams>();
  readonly onRequestRedirect = new TraceSignal<TraceRequestRedirectParams>();
  readonly onRequestHeadersSent = new TraceSignal<TraceRequestHeadersSentParams>();
  readonly onRequestChunkSent = new TraceSignal<TraceChunkParams>();
  readonly onResponseChunkReceived = new TraceSignal<TraceChunkParams>();
  readonly onConnectionQueuedStart = new TraceSignal<TraceConnectionParams>();
  readonly onConnectionQueuedEnd = new TraceSignal<TraceConnectionParams>();
  readonly onConnectionCreateStart = new TraceSignal<TraceConnectionParams>();
  readonly onConnectionCreateEnd = new TraceSignal<TraceConnectionParams>();
  readonly onConnectionReuseconn = new TraceSignal<TraceConnectionParams>();
  readonly #factory: (options: { traceRequestCtx: unknown }) => Record<string, any>;

  /**
   * @param options.traceConfigCtxFactory makes each request's context object (default: a plain
   *   object with `traceRequestCtx`, what the request's `traceRequestCtx` option gave).
   */
  constructor(
    options: { traceConfigCtxFactory?: (options: { traceRequestCtx: unknown }) => Record<string, any> } = {},
  ) {
    const f = options.traceConfigCtxFactory ?? ((o) => ({ traceRequestCtx: o.traceRequestCtx }));
    if (typeof f !== "function")
      throw new ArgumentTypeError(
        `traceConfigCtxFactory must be a function, got ${inspect(f, { depth: 0 })}`,
      );
    this.#factory = f;
  }

  /** A new context object for one request. */
  traceConfigCtx(options: { traceRequestCtx?: unknown } = {}): Record<string, any> {
    return this.#factory({ traceRequestCtx: options.traceRequestCtx ?? null });
  }

  /** Freeze every signal (a session does it when it starts using the config). */
  freeze(): void {
    for (const s of this.#signals()) s.freeze();
  }

  /** Whether {@link freeze} ran. */
  get frozen(): boolean {
    return this.onRequestStart.frozen;
  }

  #signals(): TraceSignal<any>[] {
    return [
      this.onRequestStart,
      this.onRequestEnd,
      this.onRequestException,
      this.onRequestRedirect,
      this.onRequestHeadersSent,
      this.onRequestChunkSent,
      this.onResponseChunkReceived,
      this.onConnectionQueuedStart,
      this.onConnectionQueuedEnd,
      this.onConnectionCreateStart,
      this.onConnectionCreateEnd,
      this.onConnectionReuseconn,
    ];
  }
}

/** Names of the signals, for {@link Trace.send}. */
export type TraceSignalName = {
  [K in keyof TraceConfig]: TraceConfig[K] extends TraceSignal<any> ? K : never;
}[keyof TraceConfig];

type ParamsOf<K extends TraceSignalName> = TraceConfig[K] extends TraceSignal<infer P> ? P : never;

/** @internal One request's view of the session's trace configs (each with its own context). */
export class Trace {
  readonly #session: unknown;
  readonly #configs: readonly TraceConfig[];
  readonly #contexts: Record<string, any>[];

  constructor(session: unknown, configs: readonly TraceConfig[], traceRequestCtx: unknown) {
    this.#session = session;
    this.#configs = configs;
    this.#contexts = configs.map((c) => c.traceConfigCtx({ traceRequestCtx }));
  }

  /** Whether any config has a callback for `name` (so params need not be built otherwise). */
  wants(name: TraceSignalName): boolean {
    for (const c of this.#configs) if (c[name].length > 0) return true;
    return false;
  }

  /** Call every config's callbacks for `name`, in order, awaiting each. */
  async send<K extends TraceSignalName>(name: K, params: ParamsOf<K>): Promise<void> {
    for (let i = 0; i < this.#configs.length; i++) {
      const signal = this.#configs[i]![name] as unknown as TraceSignal<ParamsOf<K>>;
      for (const cb of signal) await cb(this.#session, this.#contexts[i]!, params);
    }
  }
}
