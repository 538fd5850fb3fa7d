/**
 * `Request` (aiohttp's `web_request.Request`): what a handler receives.
 *
 * Built lazily: the constructor stores the Node request and nothing else; the URL, the query, the
 * headers, the cookies and the body are parsed on first use, so a handler pays only for what it
 * reads. The body is read with back-pressure and counted against the application's `clientMaxSize`
 * as it arrives (413 before reading at all when `Content-Length` already says too much).
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { inspect } from "node:util";
import { readerFromNode } from "../asyncio/kernel.js";
import { CIMultiDict, MultiDict, parseContentType, parseCookies } from "../http/index.js";
import type { EventLoop, StreamReader, Task } from "../index.js";
import { ArgumentTypeError, ConnectionResetError, ValueError } from "../index.js";
import type { Application } from "./app.js";
import { decodedBody } from "./compression.js";
import { HTTPBadRequest, HTTPRequestEntityTooLarge, HTTPUnsupportedMediaType } from "./exceptions.js";
import {
  type FormValue,
  type MultipartOptions,
  MultipartReader,
  multipartBoundary,
  readMultipartForm,
} from "./multipart.js";
import type { UrlMappingMatchInfo } from "./urldispatcher.js";

/** What the server hands a request besides the Node objects. @internal */
export interface RequestContext {
  loop: EventLoop;
  /** `"http"` or `"https"`. */
  scheme: string;
}

const EMPTY = Buffer.alloc(0);

/**
 * @internal The raw path and the query string (without `?`) of a request target; an absolute-form
 * target (`GET http://host/path?q`) gives its path and query. What the router resolves with.
 */
export function splitTarget(url: string | undefined): readonly [path: string, query: string] {
  let target = url === undefined || url === "" ? "/" : url;
  if (target.charCodeAt(0) !== 47 && target !== "*") {
    try {
      const u = new URL(target);
      target = u.pathname + u.search;
    } catch {
      // not a URL: kept as is
    }
  }
  const q = target.indexOf("?");
  return q === -1 ? [target, ""] : [target.slice(0, q), target.slice(q + 1)];
}

/**
 * An HTTP request, as a handler sees it.
 *
 * `P` is the route's parameter map, typed from the path literal: for `addGet("/users/{id}", h)`,
 * `request.matchInfo.get("id")` is a `string`.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#request-and-base-request
 */
export class Request<P extends Record<string, string> = Record<string, string>> {
  /** The Node request (headers already parsed by llhttp). */
  readonly raw: IncomingMessage;
  /** @internal The Node response (null for a mocked request). */
  readonly nodeResponse: ServerResponse | null;
  /** @internal */
  readonly context: RequestContext;
  /** The application whose route matched (a sub-application for its routes). */
  app: Application;
  /** The route's match: `matchInfo.get("id")`, `matchInfo.route`. */
  matchInfo: UrlMappingMatchInfo<P>;
  /** @internal Set by the server: the task running the handler. */
  handlerTask: Task<unknown> | null = null;
  /** @internal */
  abortController: AbortController | null = null;
  #url: URL | null = null;
  /** The request target split by {@link splitTarget} (the server passes what it routed with). */
  #pathAndQuery: readonly [string, string] | null;
  #headers: CIMultiDict | null = null;
  #query: MultiDict | null = null;
  #cookies: Map<string, string> | null = null;
  #contentType: [string, string | null] | null = null;
  #content: StreamReader | null = null;
  #body: Promise<Buffer> | null = null;
  #post: Promise<MultiDict<FormValue>> | null = null;
  #state: Map<string, unknown> | null = null;
  /** @internal Set when the handler started reading the body (Expect: 100-continue). */
  onFirstRead: (() => void) | null = null;

  /** @internal Built by the server (or `makeMockedRequest`). */
  constructor(
    raw: IncomingMessage,
    res: ServerResponse | null,
    app: Application,
    ctx: RequestContext,
    matchInfo: UrlMappingMatchInfo<P>,
    target: readonly [path: string, query: string] | null = null,
  ) {
    this.raw = raw;
    this.nodeResponse = res;
    this.app = app;
    this.context = ctx;
    this.matchInfo = matchInfo;
    this.#pathAndQuery = target;
  }

  /** `"GET"`, `"POST"` … (upper case). */
  get method(): string {
    return this.raw.method ?? "GET";
  }

  /** `"1.1"` (or `"1.0"`). */
  get version(): string {
    return this.raw.httpVersion;
  }

  /** The raw request target: path and query, undecoded (`/a%20b?x=1`). */
  get pathQs(): string {
    return this.raw.url ?? "/";
  }

  #split(): readonly [string, string] {
    if (this.#pathAndQuery === null) this.#pathAndQuery = splitTarget(this.raw.url);
    return this.#pathAndQuery;
  }

  /** The path, undecoded (`/a%20b`). */
  get rawPath(): string {
    return this.#split()[0];
  }

  /** The path, percent-decoded (`/a b`), as aiohttp's `request.path`. */
  get path(): string {
    const raw = this.#split()[0];
    if (!raw.includes("%")) return raw;
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }

  /** The query string without `?` (`a=1&b=2`). */
  get queryString(): string {
    return this.#split()[1];
  }

  /** The query as a read-only multi-map (`query.get("a")`, `query.getAll("a")`). */
  get query(): MultiDict {
    if (this.#query === null) this.#query = MultiDict.fromQuery(this.queryString).freeze();
    return this.#query;
  }

  /** The request headers, case-insensitive and multi-valued (read-only). */
  get headers(): CIMultiDict {
    if (this.#headers === null) this.#headers = CIMultiDict.fromRawHeaders(this.raw.rawHeaders).freeze();
    return this.#headers;
  }

  /** `"http"` or `"https"`. */
  get scheme(): string {
    return this.context.scheme;
  }

  /** True for HTTPS. */
  get secure(): boolean {
    return this.context.scheme === "https";
  }

  /** The `Host` header (or the local address when absent). */
  get host(): string {
    const h = this.raw.headers.host;
    if (h !== undefined && h !== "") return h;
    const s = this.raw.socket;
    return s?.localAddress !== undefined ? `${s.localAddress}:${s.localPort}` : "localhost";
  }

  /** The client's address (`"127.0.0.1"`), or `null` when unknown. */
  get remote(): string | null {
    return this.raw.socket?.remoteAddress ?? null;
  }

  /** The absolute URL (`http://host/path?query`). */
  get url(): URL {
    if (this.#url === null) {
      try {
        this.#url = new URL(this.pathQs, `${this.scheme}://${this.host}`);
      } catch {
        throw new HTTPBadRequest({ text: "400: Bad Request (invalid URL)" });
      }
    }
    return this.#url;
  }

  /** The URL relative to the host (path and query), as a `URL` on a dummy origin. */
  get relUrl(): URL {
    return new URL(this.pathQs, "http://localhost");
  }

  /** The peer certificate and other TLS details, when served over HTTPS. */
  get tlsSocket(): TLSSocket | null {
    return this.secure ? (this.raw.socket as TLSSocket) : null;
  }

  /** True when the connection may be kept open after this request. */
  get keepAlive(): boolean {
    const res = this.nodeResponse;
    if (res !== null) return res.shouldKeepAlive;
    // No connection (a mocked request): what the request asks for.
    const connection = this.raw.headers.connection?.toLowerCase();
    return this.version === "1.0" ? connection === "keep-alive" : connection !== "close";
  }

  /** The cookies the client sent (`Cookie` header), by name. */
  get cookies(): ReadonlyMap<string, string> {
    // RFC 6265 §5.4, tolerant of real-world headers (see `parseCookieHeader` in aiots/http).
    if (this.#cookies === null) this.#cookies = parseCookies(this.headers.getAll("cookie"));
    return this.#cookies;
  }

  #ctype(): [string, string | null] {
    if (this.#contentType === null) this.#contentType = parseContentType(this.raw.headers["content-type"]);
    return this.#contentType;
  }

  /** The media type of the body (`"application/json"`); `application/octet-stream` when absent. */
  get contentType(): string {
    return this.#ctype()[0];
  }

  /** The `charset` parameter of `Content-Type`, or `null`. */
  get charset(): string | null {
    return this.#ctype()[1];
  }

  /** `Content-Length` as a number, or `null` when absent (a chunked body). */
  get contentLength(): number | null {
    const v = this.raw.headers["content-length"];
    if (v === undefined) return null;
    const n = Number(v);
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
  }

  /** True when the request has a body (a length above zero, or chunked). */
  get hasBody(): boolean {
    const len = this.contentLength;
    if (len !== null) return len > 0;
    return this.raw.headers["transfer-encoding"] !== undefined;
  }

  /** Aborted when the client goes away before the response is complete. */
  get signal(): AbortSignal {
    if (this.abortController === null) {
      this.abortController = new AbortController();
      const res = this.nodeResponse;
      if (res !== null) {
        if (res.destroyed && !res.writableFinished) this.abortController.abort();
        else res.once("close", this.#onClose);
      }
    }
    return this.abortController.signal;
  }

  readonly #onClose = (): void => {
    if (!this.nodeResponse!.writableFinished) this.abortController?.abort(new Error("client disconnected"));
  };

  /** The task running the handler (cancel it to stop the handler). */
  get task(): Task<unknown> | null {
    return this.handlerTask;
  }

  /** Per-request state (Python: `request["key"]`). */
  get<T = unknown>(key: string): T | undefined {
    return this.#state?.get(key) as T | undefined;
  }

  /** Set per-request state (Python: `request["key"] = value`). */
  set(key: string, value: unknown): void {
    (this.#state ??= new Map()).set(key, value);
  }

  /** The largest body this request may have (the application's `clientMaxSize`). */
  get clientMaxSize(): number {
    return this.app.clientMaxSize;
  }

  /**
   * The body as an aiots {@link StreamReader}, fed with back-pressure and counted against
   * `clientMaxSize` (reads fail with HTTPRequestEntityTooLarge past it).
   */
  get content(): StreamReader {
    if (this.#content === null) {
      const max = this.clientMaxSize;
      const declared = this.contentLength;
      this.onFirstRead?.();
      let seen = 0;
      // With a Content-Encoding, the limit counts the decompressed bytes (a zip bomb stops there).
      const body = decodedBody(this.raw);
      const reader = readerFromNode(body.source, {
        loop: this.context.loop,
        limit: 64 * 1024,
        check: (chunk: Buffer) => {
          seen += chunk.length;
          if (max === 0 || seen <= max) return null;
          this.#noKeepAlive(); // the rest of the body is never read
          body.stop();
          return new HTTPRequestEntityTooLarge(max, seen);
        },
        abortedError: () => {
          if (!body.corrupt()) return new ConnectionResetError("Connection lost while reading the body");
          this.#noKeepAlive();
          return new HTTPBadRequest({ text: `400: Bad Request (cannot decode the ${body.coding} body)` });
        },
      });
      if (max > 0 && declared !== null && declared > max) {
        this.#noKeepAlive();
        reader.setException(new HTTPRequestEntityTooLarge(max, declared));
      }
      this.#content = reader;
    }
    return this.#content;
  }

  /** Close the connection after the response: the body will not be read to its end. */
  #noKeepAlive(): void {
    const res = this.nodeResponse;
    if (res !== null && !res.headersSent) res.shouldKeepAlive = false;
  }

  /**
   * The whole body. @throws {HTTPRequestEntityTooLarge} past `clientMaxSize` (before reading when
   * `Content-Length` already says so).
   */
  read(): Promise<Buffer> {
    if (this.#body === null) {
      if (!this.hasBody && this.#content === null) this.#body = Promise.resolve(EMPTY);
      else {
        const max = this.clientMaxSize;
        const declared = this.contentLength;
        if (max > 0 && declared !== null && declared > max) {
          this.nodeResponse?.setHeader("Connection", "close");
          this.#body = Promise.reject(new HTTPRequestEntityTooLarge(max, declared));
        } else {
          const reader = this.content;
          // read(-1) hands over a view of what was received: no copy (the reader never writes there again).
          this.#body = (async () => await reader.read(-1))();
        }
      }
      this.#body.catch(() => {}); // rejections are delivered to whoever awaits read()
    }
    return this.#body;
  }

  /** The body decoded with its charset (UTF-8 by default). */
  async text(): Promise<string> {
    const body = await this.read();
    const charset = this.charset ?? "utf-8";
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(charset, { fatal: true });
    } catch {
      throw new HTTPUnsupportedMediaType({
        text: `415: Unsupported Media Type (unknown charset ${charset})`,
      });
    }
    try {
      return decoder.decode(body);
    } catch {
      throw new HTTPUnsupportedMediaType({
        text: `415: Unsupported Media Type (the body is not ${charset})`,
      });
    }
  }

  /**
   * The body parsed as JSON (`loads` replaces `JSON.parse`). A body that is not JSON is a 400.
   */
  async json<T = unknown>(options?: { loads?: (text: string) => T }): Promise<T> {
    const text = await this.text();
    const loads = options?.loads ?? (JSON.parse as (t: string) => T);
    try {
      return loads(text);
    } catch (e) {
      throw new HTTPBadRequest({ text: `400: Bad Request (invalid JSON: ${(e as Error).message})` });
    }
  }

  /**
   * The form fields of an `application/x-www-form-urlencoded` or `multipart/form-data` body (an
   * empty multi-map for other content types, as aiohttp). Text fields are strings, files are
   * `FileField`s (held in memory), other parts without a file name are `Buffer`s. The whole body is
   * bounded by `clientMaxSize` (413); a malformed multipart body is a 400.
   */
  post(): Promise<MultiDict<FormValue>> {
    return (this.#post ??= this.#readPost()); // the same object on every call, as aiohttp
  }

  async #readPost(): Promise<MultiDict<FormValue>> {
    if (this.method === "GET" || this.method === "HEAD") return new MultiDict<FormValue>().freeze();
    if (this.contentType === "multipart/form-data") return readMultipartForm(this, this.clientMaxSize);
    if (this.contentType !== "application/x-www-form-urlencoded") return new MultiDict().freeze();
    return MultiDict.fromQuery(await this.text()).freeze();
  }

  /**
   * A streaming reader of a `multipart/*` body (aiohttp's `await request.multipart()`):
   * `for await (const part of reader)`, then `part.readChunk()`, `read()`, `text()`, `json()`,
   * `form()`. Not bounded by `clientMaxSize` unless `maxSize` says so (it is the way to take big
   * uploads); parts and part headers are capped (413). @throws {HTTPBadRequest} without a boundary.
   */
  async multipart(options: MultipartOptions = {}): Promise<MultipartReader> {
    const boundary = multipartBoundary(this.raw.headers["content-type"]);
    return new MultipartReader(this as unknown as Request, boundary, options);
  }

  /**
   * A copy with some parts replaced (aiohttp's `request.clone()`); the body is shared.
   * @throws {ArgumentTypeError} for a bad option.
   */
  clone(options: { method?: string; relUrl?: string; headers?: Record<string, string> } = {}): Request<P> {
    const raw = Object.create(this.raw) as IncomingMessage;
    if (options.method !== undefined) {
      if (typeof options.method !== "string") throw new ArgumentTypeError("method must be a string");
      Object.defineProperty(raw, "method", { value: options.method.toUpperCase() });
    }
    if (options.relUrl !== undefined) {
      if (typeof options.relUrl !== "string" || !options.relUrl.startsWith("/"))
        throw new ValueError(`relUrl must be a path starting with "/", got ${inspect(options.relUrl)}`);
      Object.defineProperty(raw, "url", { value: options.relUrl });
    }
    if (options.headers !== undefined) {
      const flat: string[] = [];
      const lower: Record<string, string> = {};
      for (const [k, v] of Object.entries(options.headers)) {
        flat.push(k, v);
        lower[k.toLowerCase()] = v;
      }
      Object.defineProperty(raw, "rawHeaders", { value: flat });
      Object.defineProperty(raw, "headers", { value: lower });
    }
    const copy = new Request<P>(raw, this.nodeResponse, this.app, this.context, this.matchInfo);
    copy.handlerTask = this.handlerTask;
    if (this.#state !== null) copy.#state = new Map(this.#state); // a copy, as aiohttp
    return copy;
  }

  toString(): string {
    return `<Request ${this.method} ${this.path} >`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
