/**
 * The options of a `ClientSession` and of its requests (aiohttp's `ClientSession(...)` and
 * `session.request(...)` keyword arguments).
 */
import type { LooseHeaders } from "../http/index.js";
import type { TCPConnector } from "./connector.js";
import type { AbstractCookieJar, CookiesInit } from "./cookiejar.js";
import type { BasicAuth, Params, RequestData } from "./request.js";
import type { ClientResponse, FallbackCharsetResolver } from "./response.js";
import type { ClientSession } from "./session.js";
import type { ClientTimeout } from "./timeout.js";
import type { TraceConfig } from "./tracing.js";

/** `raiseForStatus`: true, false, or an async check called with each final response. */
export type RaiseForStatus = boolean | ((response: ClientResponse) => unknown);

/** Options of {@link ClientSession}. */
export interface ClientSessionOptions {
  /** Base of relative request URLs (`new URL(url, baseUrl)`). */
  baseUrl?: string | URL | null;
  /** Headers of every request (a request's own headers replace these by name). */
  headers?: LooseHeaders;
  /** Automatic headers not to send (`Accept`, `Accept-Encoding`, `User-Agent`). */
  skipAutoHeaders?: Iterable<string>;
  /** Default timeouts (default `{ total: 300, sockConnect: 30 }`). */
  timeout?: ClientTimeout;
  /** The connection pool (default a new `TCPConnector()`, closed with the session). */
  connector?: TCPConnector;
  /** Whether closing the session closes the connector (default true). */
  connectorOwner?: boolean;
  /** Cookie storage (default a new `CookieJar()`; `DummyCookieJar` keeps none). */
  cookieJar?: AbstractCookieJar;
  /** Cookies to send with every request (stored in the jar, shared). */
  cookies?: CookiesInit;
  /** HTTP Basic credentials for every request. */
  auth?: BasicAuth | null;
  /** Throw `ClientResponseError` for statuses ≥ 400 (or call this check). Default false. */
  raiseForStatus?: RaiseForStatus;
  /** Tracing callbacks. */
  traceConfigs?: Iterable<TraceConfig>;
  /** Decompress gzip/deflate/br response bodies (default true). */
  autoDecompress?: boolean;
  /** How `json` bodies are serialized (default `JSON.stringify`). */
  jsonSerialize?: (value: unknown) => string;
  /** The charset of `text()` when the response gives none. */
  fallbackCharsetResolver?: FallbackCharsetResolver;
  /** A proxy for every request (`http://host:port`). */
  proxy?: string | URL | null;
  /** Credentials for the proxy. */
  proxyAuth?: BasicAuth | null;
  /** Redirects followed by default (10). */
  maxRedirects?: number;
}

/** Options of one request. */
export interface RequestOptions {
  /** Query parameters appended to the URL. */
  params?: Params;
  /** Headers (replace the session's by name). */
  headers?: LooseHeaders;
  /** Automatic headers not to send. */
  skipAutoHeaders?: Iterable<string>;
  /** The body: text, bytes, `URLSearchParams`, `FormData` (aiots' or the global one), a record (a form), a Blob, a stream. */
  data?: RequestData | null;
  /** A body serialized as JSON (not with `data`). */
  json?: unknown;
  /** Cookies for this request only. */
  cookies?: CookiesInit;
  /** HTTP Basic credentials. */
  auth?: BasicAuth | null;
  /** Follow redirects (default true). */
  allowRedirects?: boolean;
  /** Redirects followed before `TooManyRedirects` (default the session's, 10). */
  maxRedirects?: number;
  /** Overrides the session's `raiseForStatus`. */
  raiseForStatus?: RaiseForStatus;
  /** Overrides the session's timeouts. */
  timeout?: ClientTimeout;
  /** Aborts the request (its reason is thrown). */
  signal?: AbortSignal;
  /** A proxy for this request. */
  proxy?: string | URL | null;
  /** Credentials for the proxy. */
  proxyAuth?: BasicAuth | null;
  /** Headers for the proxy. */
  proxyHeaders?: Record<string, string>;
  /** Handed to each trace config's context factory. */
  traceRequestCtx?: unknown;
  /** Overrides the session's `autoDecompress`. */
  autoDecompress?: boolean;
  /** Compress the body: `true` or `"deflate"`, or `"gzip"`, with `Content-Encoding` set. */
  compress?: boolean | "deflate" | "gzip";
  /**
   * Send `Expect: 100-continue` and the body only after the server's `100 Continue` (a final answer
   * instead ends the request without it). Such requests go over `node:http` (undici refuses the
   * header), on connections of their own; not through a proxy.
   */
  expect100?: boolean;
}
