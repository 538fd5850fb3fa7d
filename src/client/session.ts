/**
 * `ClientSession` (aiohttp's `ClientSession`): requests on a pool of connections, with default
 * headers, a cookie jar, timeouts, redirects and tracing.
 *
 * A request is a coroutine: `session.get(url)` runs when awaited (or given to `createTask`/`gather`),
 * in the awaiting task; cancelling that task aborts the request and frees its connection.
 */

import { inspect } from "node:util";
import { CIMultiDict, type LooseHeaders } from "../http/index.js";
import { WSCloseCode } from "../http/ws-message.js";
import {
  ArgumentTypeError,
  type Coroutine,
  coroutine,
  type EventLoop,
  getRunningLoop,
  logger,
  RuntimeError,
  ValueError,
} from "../index.js";
import { TCPConnector as Connector, type TCPConnector } from "./connector.js";
import { type AbstractCookieJar, CookieJar, type CookiesInit } from "./cookiejar.js";
import {
  InvalidURL,
  InvalidUrlRedirectClientError,
  NonHttpUrlRedirectClientError,
  RedirectClientError,
  TooManyRedirects,
} from "./errors.js";
import { Exchange } from "./exchange.js";
import {
  AUTO_HEADERS,
  BasicAuth,
  buildUrl,
  compressBody,
  mergeHeaders,
  type Params,
  type PreparedBody,
  prepareBody,
  RequestInfoImpl,
} from "./request.js";
import { RequestSender } from "./request-sender.js";
import type { ClientResponse } from "./response.js";
import type { ClientSessionOptions, RaiseForStatus, RequestOptions } from "./session-options.js";
import { ClientTimeout, DEFAULT_TIMEOUT } from "./timeout.js";
import { Trace, type TraceConfig } from "./tracing.js";
import { type ClientWebSocketResponse, connectWebSocket, type WSConnectOptions } from "./ws.js";

const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const EMPTY_HISTORY: readonly ClientResponse[] = Object.freeze([]);

/** Sessions not closed before they were collected (reported in debug mode, as aiohttp does). */
const unclosed = new FinalizationRegistry<string>((where) => {
  logger.error(`Unclosed client session${where}`);
});

/**
 * True when the call's own headers hold `name`: parsed only for the two checks that need it (compress
 * with Content-Encoding, auth with Authorization); every request's headers are merged once later.
 */
function givenHas(options: RequestOptions, name: string): boolean {
  return options.headers !== undefined && new CIMultiDict<string>(options.headers as never).has(name);
}

/**
 * A client session: make requests with `get`/`post`/… (or `request`), open WebSockets with
 * `wsConnect`, and close it when done (`await using session = new ClientSession()`).
 * @see https://docs.aiohttp.org/en/stable/client_reference.html#client-session
 */
export class ClientSession {
  readonly #baseUrl: URL | null;
  readonly #headers: CIMultiDict;
  /** The session's headers with the automatic ones, as undici takes them (the common case). */
  readonly #flatDefaults: string[];
  readonly #skipAuto: ReadonlySet<string>;
  readonly #timeout: ClientTimeout;
  readonly #connector: TCPConnector;
  readonly #connectorOwner: boolean;
  readonly #jar: AbstractCookieJar;
  readonly #auth: BasicAuth | null;
  readonly #raiseForStatus: RaiseForStatus;
  readonly #traceConfigs: readonly TraceConfig[];
  readonly #autoDecompress: boolean;
  readonly #jsonSerialize: (value: unknown) => string;
  /** Sends each exchange (a connection slot, the dispatch, the response; request-sender.ts). */
  readonly #sender: RequestSender;
  readonly #proxy: URL | null;
  readonly #proxyAuth: BasicAuth | null;
  readonly #maxRedirects: number;
  readonly #requestOp: (
    method: string,
    url: string | URL,
    options: RequestOptions,
  ) => Coroutine<ClientResponse>;
  #closed = false;
  /** WebSockets opened with wsConnect (closed with the session, as aiohttp's connector closes them). */
  readonly #webSockets = new Set<ClientWebSocketResponse>();

  constructor(options: ClientSessionOptions = {}) {
    if (options === null || typeof options !== "object")
      throw new ArgumentTypeError(`ClientSession takes an options object, got ${inspect(options)}`);
    const base = options.baseUrl ?? null;
    this.#baseUrl = base === null ? null : new URL(String(base));
    if (this.#baseUrl !== null && !this.#baseUrl.pathname.endsWith("/"))
      throw new ValueError("baseUrl must have a trailing '/'");
    this.#headers = new CIMultiDict<string>((options.headers ?? null) as never, { validate: true });
    this.#skipAuto = new Set([...(options.skipAutoHeaders ?? [])].map((h) => h.toLowerCase()));
    this.#defaults = this.#defaultHeaders(this.#skipAuto);
    this.#flatDefaults = this.#defaults.toRawHeaders() as string[];
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    if (!(timeout instanceof ClientTimeout))
      throw new ArgumentTypeError(`timeout must be a ClientTimeout, got ${inspect(timeout, { depth: 0 })}`);
    this.#timeout = timeout;
    if (options.connector !== undefined && !(options.connector instanceof Connector))
      throw new ArgumentTypeError(
        `connector must be a TCPConnector, got ${inspect(options.connector, { depth: 0 })}`,
      );
    this.#connector = options.connector ?? new Connector();
    this.#connectorOwner = options.connectorOwner ?? true;
    this.#jar = options.cookieJar ?? new CookieJar();
    if (options.cookies !== undefined) this.#jar.updateCookies(options.cookies);
    this.#auth = options.auth ?? null;
    this.#raiseForStatus = options.raiseForStatus ?? false;
    this.#traceConfigs = [...(options.traceConfigs ?? [])];
    for (const t of this.#traceConfigs) t.freeze();
    this.#autoDecompress = options.autoDecompress ?? true;
    this.#jsonSerialize = options.jsonSerialize ?? JSON.stringify;
    this.#sender = new RequestSender(this.#connector, options.fallbackCharsetResolver ?? null);
    this.#proxy = options.proxy == null ? null : parseProxy(options.proxy);
    this.#proxyAuth = options.proxyAuth ?? null;
    this.#maxRedirects = options.maxRedirects ?? 10;
    this.#requestOp = coroutine((method: string, url: string | URL, opts: RequestOptions) =>
      this.#request(method, url, opts),
    );
    // aiohttp reports an unclosed session in debug mode: where it was made, when the loop runs in debug.
    const loop = currentLoop();
    if (loop?.getDebug() === true) {
      const where = `\nsource_traceback: ${new Error().stack?.split("\n").slice(2).join("\n")}`;
      unclosed.register(this, where, this);
    }
  }

  /** Whether the session is closed. */
  get closed(): boolean {
    return this.#closed || this.#connector.closed;
  }

  /** The session's connector. */
  get connector(): TCPConnector {
    return this.#connector;
  }

  /** The session's cookie jar. */
  get cookieJar(): AbstractCookieJar {
    return this.#jar;
  }

  /** The session's default headers (a copy). */
  get headers(): CIMultiDict {
    return this.#headers.copy();
  }

  /** The session's default timeouts. */
  get timeout(): ClientTimeout {
    return this.#timeout;
  }

  /** Close the session (and its connector when it owns it): requests in flight fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    unclosed.unregister(this);
    const sockets = [...this.#webSockets].filter((w) => !w.closed);
    this.#webSockets.clear();
    await Promise.all(
      sockets.map((w) => w.close({ code: WSCloseCode.GOING_AWAY, message: "session closed" })),
    );
    if (this.#connectorOwner) await this.#connector.close();
  }

  /** `await using session = new ClientSession()`: closed at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A request with any method. */
  request(method: string, url: string | URL, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp(method, url, options);
  }
  /** A GET request. */
  get(url: string | URL, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("GET", url, options);
  }
  /** A POST request. */
  post(url: string | URL, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("POST", url, options);
  }
  /** A PUT request. */
  put(url: string | URL, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("PUT", url, options);
  }
  /** A PATCH request. */
  patch(url: string | URL, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("PATCH", url, options);
  }
  /** A DELETE request. */
  delete(url: string | URL, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("DELETE", url, options);
  }
  /** A HEAD request (redirects are not followed unless `allowRedirects: true`). */
  head(url: string | URL, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("HEAD", url, { allowRedirects: false, ...options });
  }
  /** An OPTIONS request. */
  options(url: string | URL, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("OPTIONS", url, options);
  }

  /**
   * Open a WebSocket (`ws://`, `wss://`, or `http(s)://`), with the session's headers, cookies and
   * timeouts. The result has the server side's message API.
   */
  wsConnect(
    url: string | URL,
    options: WSConnectOptions & { headers?: LooseHeaders; params?: Params; auth?: BasicAuth | null } = {},
  ): Coroutine<ClientWebSocketResponse> {
    return coroutine(async () => {
      this.#checkOpen();
      const raw = typeof url === "string" ? url : url.href;
      const asHttp = raw.replace(/^ws(s?):/i, "http$1:");
      const u = buildUrl(asHttp, this.#baseUrl, options.params);
      const headers = mergeHeaders(this.#headers, options.headers);
      for (const name of ["accept", "accept-encoding"]) headers.delete(name);
      if (!headers.has("user-agent") && !this.#skipAuto.has("user-agent"))
        headers.set("User-Agent", AUTO_HEADERS[2]![1]);
      this.#addCookies(headers, u, undefined);
      const auth = options.auth ?? this.#auth ?? BasicAuth.fromUrl(u);
      if (auth !== null && !headers.has("authorization")) headers.set("Authorization", auth.encode());
      const flat: Record<string, string> = {};
      for (const [k, v] of headers) flat[k] = k in flat ? `${flat[k]}, ${v}` : v;
      const t = this.#timeout;
      const wsUrl = new URL(u.href.replace(/^http/, "ws"));
      const ws = await connectWebSocket(wsUrl, options, {
        headers: flat,
        handshakeTimeout: t.total ?? t.sockConnect ?? null,
        onResponseHeaders: (h) => {
          const sc = h["set-cookie"];
          if (sc !== undefined) this.#jar.updateCookiesFromHeaders(sc, u);
        },
      });
      for (const w of this.#webSockets) if (w.closed) this.#webSockets.delete(w);
      this.#webSockets.add(ws);
      return ws;
    })();
  }

  #checkOpen(): void {
    if (this.#closed) throw new RuntimeError("Session is closed");
  }

  #defaultHeaders(skip: ReadonlySet<string>): CIMultiDict {
    const h = this.#headers.copy();
    for (const [k, v] of AUTO_HEADERS) if (!skip.has(k.toLowerCase()) && !h.has(k)) h.add(k, v);
    return h;
  }

  #addCookies(headers: CIMultiDict, url: URL, extra: CookiesInit | undefined): void {
    if (this.#jar.size === 0 && extra === undefined) return;
    const cookies = this.#jar.filterCookies(url);
    if (extra !== undefined) {
      const entries =
        Symbol.iterator in Object(extra)
          ? [...(extra as Iterable<readonly [string, string]>)]
          : Object.entries(extra);
      for (const [k, v] of entries) cookies.set(k, v);
    }
    if (cookies.size === 0) return;
    const own = headers.getAll("cookie");
    headers.delete("cookie");
    const parts = [...own];
    for (const [k, v] of cookies) parts.push(`${k}=${v}`);
    headers.set("Cookie", parts.join("; "));
  }

  async #request(method: string, strOrUrl: string | URL, options: RequestOptions): Promise<ClientResponse> {
    this.#checkOpen();
    if (typeof method !== "string" || !METHOD_TOKEN.test(method))
      throw new ValueError(`Method cannot contain non-token characters ${inspect(method)}`);
    if (options === null || typeof options !== "object")
      throw new ArgumentTypeError(`request options must be an object, got ${inspect(options)}`);
    method = method.toUpperCase();
    const loop = getRunningLoop();
    const realUrl = buildUrl(strOrUrl, this.#baseUrl, options.params);
    let url = realUrl;
    if (url.hash !== "") {
      url = new URL(url.href);
      url.hash = "";
    }
    const timeout = options.timeout ?? this.#timeout;
    if (!(timeout instanceof ClientTimeout))
      throw new ArgumentTypeError(`timeout must be a ClientTimeout, got ${inspect(timeout, { depth: 0 })}`);
    const maxRedirects = options.maxRedirects ?? this.#maxRedirects;
    if (!Number.isInteger(maxRedirects) || maxRedirects < 0)
      throw new ValueError(`maxRedirects must be an integer ≥ 0, got ${inspect(maxRedirects)}`);
    let body = prepareBody(options.data, options.json, this.#jsonSerialize);
    if (options.compress !== undefined && options.compress !== false) {
      if (givenHas(options, "content-encoding"))
        throw new ValueError("compress can not be set if Content-Encoding header is set");
      body = await compressBody(body, options.compress);
    }
    const simple =
      options.headers === undefined &&
      options.skipAutoHeaders === undefined &&
      options.cookies === undefined &&
      options.auth == null &&
      options.expect100 !== true &&
      this.#auth === null &&
      url.username === "" &&
      url.password === "" &&
      body.contentType === null;
    const deadline = timeout.total === null ? null : loop.time() + timeout.total;
    const trace =
      this.#traceConfigs.length === 0 ? null : new Trace(this, this.#traceConfigs, options.traceRequestCtx);
    const signal = options.signal;
    signal?.throwIfAborted();
    let history: ClientResponse[] | null = null;
    const urlAuth = BasicAuth.fromUrl(url);
    if (urlAuth !== null && options.auth != null)
      throw new ValueError("Cannot combine AUTH argument with credentials encoded in URL");
    let auth = options.auth ?? urlAuth ?? this.#auth;
    if (auth !== null && (this.#headers.has("authorization") || givenHas(options, "authorization")))
      throw new ValueError(
        "Cannot combine AUTHORIZATION header with AUTH argument or credentials encoded in URL",
      );
    if (url.username !== "" || url.password !== "") {
      url = new URL(url.href);
      url.username = "";
      url.password = "";
    }
    const proxy =
      options.proxy === undefined ? this.#proxy : options.proxy === null ? null : parseProxy(options.proxy);
    if (proxy !== null && options.expect100 === true)
      throw new ValueError("expect100 is not supported through a proxy");
    const proxyAuth = options.proxyAuth ?? this.#proxyAuth;
    let proxyHeaders: Record<string, string> | null = options.proxyHeaders ?? null;
    if (proxy !== null && proxyAuth !== null)
      proxyHeaders = { ...(proxyHeaders ?? {}), "proxy-authorization": proxyAuth.encode() };
    let headers: CIMultiDict | null = null;
    if (trace !== null) {
      headers = this.#requestHeaders(options, body, auth);
      await trace.send("onRequestStart", { method, url, headers });
    }

    for (;;) {
      let flat: string[];
      if (simple && this.#jar.size === 0 && headers === null) flat = this.#flatDefaults;
      else {
        headers ??= this.#requestHeaders(options, body, auth); // kept: a redirect edits them
        this.#addCookies(headers, url, options.cookies);
        flat = headers.toRawHeaders() as string[];
      }
      const requestInfo = new RequestInfoImpl(url, method, realUrl, flat);
      const started = this.#sender.start(loop, method, url, requestInfo, flat, body, {
        timeout,
        deadline,
        trace,
        signal,
        proxy,
        proxyHeaders,
        history: history ?? EMPTY_HISTORY,
        autoDecompress: options.autoDecompress ?? this.#autoDecompress,
        expect100: options.expect100 === true,
      });
      let resp: ClientResponse;
      if (started instanceof Exchange) {
        try {
          resp = await started.response;
        } catch (e) {
          started.abort(e as Error);
          throw e;
        } finally {
          started.responseTaken();
        }
      } else resp = await started;
      const setCookie = resp.rawHeaders.length > 0 ? this.#setCookies(resp) : null;
      if (setCookie !== null) this.#jar.updateCookiesFromHeaders(setCookie, url);

      if (REDIRECTS.has(resp.status) && options.allowRedirects !== false) {
        const location = resp.headers.get("location") ?? resp.headers.get("uri");
        if (location !== undefined) {
          if (trace !== null)
            await trace.send("onRequestRedirect", {
              method,
              url,
              headers: requestInfo.headers.copy(),
              response: resp,
            });
          history ??= [];
          history.push(resp);
          if (history.length > maxRedirects) {
            resp.release();
            throw new TooManyRedirects(history[0]!.requestInfo, {
              status: resp.status,
              message: resp.reason,
              headers: resp.headers,
              history: [...history],
            });
          }
          // The next hop's headers are edited below (body headers, Authorization, Cookie): build
          // them now, or the request's own would come back unedited.
          headers ??= this.#requestHeaders(options, body, auth);
          if (
            (resp.status === 303 && method !== "HEAD") ||
            ((resp.status === 301 || resp.status === 302) && method === "POST")
          ) {
            method = "GET";
            body = prepareBody(undefined, undefined, this.#jsonSerialize);
            if (headers !== null) {
              headers.delete("content-length");
              headers.delete("content-type");
            }
          } else if (body.body !== null && !body.replayable) {
            resp.release();
            throw new RedirectClientError(location, "a streamed request body cannot be sent again");
          }
          let next: URL;
          try {
            next = new URL(location, url);
          } catch (e) {
            resp.release();
            throw new InvalidUrlRedirectClientError(
              location,
              "Server attempted redirecting to a location that does not look like a URL",
              { cause: e },
            );
          }
          if (next.protocol !== "http:" && next.protocol !== "https:") {
            resp.release();
            throw new NonHttpUrlRedirectClientError(
              location,
              "Server attempted redirecting to a location that is not http(s)",
            );
          }
          resp.release();
          next.hash = "";
          if (next.origin !== url.origin) {
            auth = null;
            headers?.delete("authorization");
          }
          url = next;
          if (headers !== null) headers.delete("cookie");
          continue;
        }
      }

      if (trace !== null)
        await trace.send("onRequestEnd", {
          method,
          url,
          headers: requestInfo.headers.copy(),
          response: resp,
        });
      const rfs = options.raiseForStatus ?? this.#raiseForStatus;
      if (rfs === true) resp.raiseForStatus();
      else if (typeof rfs === "function") await rfs(resp);
      return resp;
    }
  }

  #requestHeaders(options: RequestOptions, body: PreparedBody, auth: BasicAuth | null): CIMultiDict {
    const skip =
      options.skipAutoHeaders === undefined
        ? this.#skipAuto
        : new Set([...this.#skipAuto, ...[...options.skipAutoHeaders].map((h) => h.toLowerCase())]);
    const h = mergeHeaders(
      skip === this.#skipAuto ? this.#defaults : this.#defaultHeaders(skip),
      options.headers,
    );
    if (body.contentType !== null && !h.has("content-type") && !skip.has("content-type"))
      h.set("Content-Type", body.contentType);
    if (body.contentEncoding !== undefined) h.set("Content-Encoding", body.contentEncoding);
    if (auth !== null && !h.has("authorization")) h.set("Authorization", auth.encode());
    if (options.expect100 === true) h.set("Expect", "100-continue");
    return h;
  }

  /** The session's default headers (its own and the automatic ones), the base of every request's. */
  readonly #defaults: CIMultiDict;

  #setCookies(resp: ClientResponse): string[] | null {
    const raw = resp.rawHeaders;
    let out: string[] | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i]!;
      if (n.length === 10 && n.toLowerCase() === "set-cookie") (out ??= []).push(raw[i + 1]!);
    }
    return out;
  }

  [inspect.custom](): string {
    return `<ClientSession${this.#closed ? " closed" : ""}>`;
  }
}

/** A proxy option as a URL (aiohttp: `InvalidURL` for text that is no URL, `TypeError` for other types). */
function parseProxy(proxy: string | URL): URL {
  if (proxy instanceof URL) return proxy;
  if (typeof proxy !== "string")
    throw new ArgumentTypeError(`proxy must be a string or a URL, got ${inspect(proxy, { depth: 0 })}`);
  try {
    return new URL(proxy);
  } catch (e) {
    throw new InvalidURL(proxy, "not a valid proxy URL", { cause: e });
  }
}

function currentLoop(): EventLoop | null {
  try {
    return getRunningLoop();
  } catch {
    return null;
  }
}
