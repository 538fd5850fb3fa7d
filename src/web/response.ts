/**
 * Responses (aiohttp's `web_response`): `StreamResponse` (headers first, then the body in pieces,
 * with back-pressure), `Response` (a whole body at once) and `jsonResponse`.
 *
 * A finished `Response` leaves in one `writeHead(status, flatHeaders)` + `end(body)`; headers live
 * in a case-insensitive multi-map made only when someone touches `response.headers`. Values,
 * reasons and header names are validated where they are set (CR, LF and NUL are refused), never
 * at send time.
 */
import { Buffer } from "node:buffer";
import type { ServerResponse } from "node:http";
import { inspect } from "node:util";
import { runInRoot } from "../asyncio/kernel.js";
import {
  CIMultiDict,
  type CookieOptions,
  checkHeaderValue,
  checkReason,
  checkStatus,
  reasonFor,
  serializeDeleteCookie,
  serializeSetCookie,
  splitContentType,
  statusMustBeEmptyBody,
} from "../http/index.js";
import { ArgumentTypeError, ConnectionResetError, Future, RuntimeError, ValueError } from "../index.js";
import {
  BodyEncoder,
  COMPRESSION_MIN_SIZE,
  type ContentCoding,
  checkCoding,
  negotiateEncoding,
} from "./compression.js";
import type { Request } from "./request.js";

/** Options shared by the response constructors. */
export interface ResponseInit {
  /** Status code (default 200). */
  status?: number;
  /** Reason phrase (default: the standard one for the status). */
  reason?: string;
  /** Extra headers. */
  headers?: Iterable<readonly [string, string]> | Record<string, string> | CIMultiDict;
  /** Media type (`Content-Type` without parameters). */
  contentType?: string;
  /** Charset parameter of `Content-Type`. */
  charset?: string;
}

/**
 * A response whose body is written piece by piece after `prepare()`: `write()` waits while the
 * client is slow (the socket's buffer is above its high-water mark), `writeEof()` ends it. Without a
 * `Content-Length` the body is sent chunked.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#streamresponse
 */
export class StreamResponse {
  #status: number;
  #reason: string | null;
  #headers: CIMultiDict | null = null;
  #contentType: string | null;
  #charset: string | null;
  #contentLength: number | null = null;
  #keepAlive: boolean | null = null;
  /** @internal The Node response once prepared. */
  nodeResponse: ServerResponse | null = null;
  /** @internal Bytes of body written. */
  bodyBytes = 0;
  #eof = false;
  #request: Request<any> | null = null;
  #cookies: Map<string, string> | null = null;
  #compression: { force: ContentCoding | null; minSize: number } | null = null;
  #encoder: BodyEncoder | null = null;

  constructor(init: ResponseInit = {}) {
    if (init === null || typeof init !== "object")
      throw new ArgumentTypeError(`options must be an object, got ${inspect(init)}`);
    this.#status = checkStatus(init.status ?? 200);
    this.#reason = init.reason === undefined ? null : checkReason(init.reason);
    this.#contentType =
      init.contentType === undefined ? null : checkHeaderValue(init.contentType, "Content-Type");
    this.#charset = init.charset === undefined ? null : checkHeaderValue(init.charset, "Content-Type");
    if (init.headers !== undefined) this.#initHeaders(init.headers);
  }

  #initHeaders(headers: NonNullable<ResponseInit["headers"]>): void {
    const h = this.headers;
    const pairs: Iterable<readonly [string, string]> =
      headers instanceof CIMultiDict || Symbol.iterator in (headers as object)
        ? (headers as Iterable<readonly [string, string]>)
        : Object.entries(headers as Record<string, string>);
    for (const [k, v] of pairs) {
      const lower = k.toLowerCase();
      if (lower === "content-type") {
        if (this.#contentType !== null || this.#charset !== null)
          throw new ValueError("Passing both a Content-Type header and contentType or charset is forbidden");
        this.#setContentTypeHeader(v);
      } else if (lower === "content-length") this.contentLength = Number(v);
      else h.add(k, v);
    }
  }

  #setContentTypeHeader(v: string): void {
    const [type, charset] = splitContentType(checkHeaderValue(v, "Content-Type"));
    this.#contentType = type;
    if (charset !== null) this.#charset = charset;
  }

  /** The status code. */
  get status(): number {
    return this.#status;
  }

  /** The reason phrase. */
  get reason(): string {
    return this.#reason ?? reasonFor(this.#status);
  }

  /** Change the status (and reason) before `prepare()`. */
  setStatus(status: number, reason?: string): void {
    this.#checkNotPrepared("status");
    this.#status = checkStatus(status);
    this.#reason = reason === undefined ? null : checkReason(reason);
  }

  /**
   * The response headers (besides `Content-Type` and `Content-Length`, which have their own
   * properties): a case-insensitive multi-map whose setters refuse CR, LF and NUL.
   */
  get headers(): CIMultiDict {
    if (this.#headers === null) this.#headers = new CIMultiDict(undefined, { validate: true });
    return this.#headers;
  }

  /** The media type (`Content-Type` without parameters). */
  get contentType(): string {
    return this.#contentType ?? "application/octet-stream";
  }

  set contentType(value: string) {
    this.#checkNotPrepared("contentType");
    this.#contentType = checkHeaderValue(value, "Content-Type");
  }

  /** The `charset` parameter of `Content-Type`, or `null`. */
  get charset(): string | null {
    return this.#charset;
  }

  set charset(value: string | null) {
    this.#checkNotPrepared("charset");
    this.#charset = value === null ? null : checkHeaderValue(value, "Content-Type");
  }

  /** `Content-Length`, or `null` (then the body is sent chunked). */
  get contentLength(): number | null {
    return this.#contentLength;
  }

  set contentLength(value: number | null) {
    this.#checkNotPrepared("contentLength");
    if (value !== null && (!Number.isSafeInteger(value) || value < 0))
      throw new ValueError(`contentLength must be a non-negative integer or null, got ${inspect(value)}`);
    this.#contentLength = value;
  }

  /** False when the connection will be closed after this response. */
  get keepAlive(): boolean {
    return this.#keepAlive ?? this.#request?.keepAlive ?? true;
  }

  /** Close the connection after this response. */
  forceClose(): void {
    this.#keepAlive = false;
  }

  /** True once the headers were sent. */
  get prepared(): boolean {
    return this.nodeResponse !== null;
  }

  /** Bytes of body written so far. */
  get bodyLength(): number {
    return this.bodyBytes;
  }

  #checkNotPrepared(what: string): void {
    if (this.nodeResponse !== null)
      throw new RuntimeError(`Cannot change ${what} after the headers were sent`);
  }

  /**
   * The cookies this response sets, by name: each value is the whole `Set-Cookie` header value
   * (`"sid=abc; HttpOnly; Path=/"`).
   */
  get cookies(): ReadonlyMap<string, string> {
    return this.#cookies ?? EMPTY_COOKIES;
  }

  /**
   * Set a cookie (one `Set-Cookie` header per name; setting a name again replaces it). `path`
   * defaults to `"/"` (`null` for none), as aiohttp.
   * @throws {ValueError} for a name that is not a token (or is an attribute name), a value with
   * control or non-ASCII characters (encode it), or a bad attribute.
   */
  setCookie(name: string, value: string, options: CookieOptions = {}): void {
    this.#checkNotPrepared("cookies");
    const header = serializeSetCookie(name, value, options);
    (this.#cookies ??= new Map()).set(name, header);
  }

  /** Delete a cookie on the client: an empty value expired in 1970 with `Max-Age=0`. */
  delCookie(
    name: string,
    options: Pick<CookieOptions, "domain" | "path" | "secure" | "httpOnly" | "sameSite" | "partitioned"> = {},
  ): void {
    this.#checkNotPrepared("cookies");
    const header = serializeDeleteCookie(name, options);
    (this.#cookies ??= new Map()).set(name, header);
  }

  /**
   * Compress the body: with `br`, `gzip` or `deflate`, whichever the client's `Accept-Encoding`
   * rates best (adding `Vary: Accept-Encoding`), or with `force` whatever the client said. Bodies
   * under `minSize` bytes (default {@link COMPRESSION_MIN_SIZE}) are left alone unless forced; a
   * compressed body is sent chunked. A response that already has `Content-Encoding` is left alone.
   * @throws {ValueError} for an unknown coding.
   */
  enableCompression(force?: ContentCoding | null, options: { minSize?: number } = {}): void {
    this.#checkNotPrepared("compression");
    const minSize = options.minSize ?? COMPRESSION_MIN_SIZE;
    if (!Number.isSafeInteger(minSize) || minSize < 0)
      throw new ValueError(`minSize must be a non-negative integer, got ${inspect(minSize)}`);
    this.#compression = { force: force == null ? null : checkCoding(force), minSize };
  }

  /** True once `enableCompression()` was called. */
  get compression(): boolean {
    return this.#compression !== null;
  }

  /** Decide the coding and set up the encoder, just before the headers leave. */
  #startCompression(request: Request<any>, res: ServerResponse): void {
    const c = this.#compression;
    if (c === null || statusMustBeEmptyBody(this.#status)) return;
    const h = this.headers;
    if (h.has("Content-Encoding")) return; // encoded by the handler already
    let coding: ContentCoding;
    if (c.force !== null) coding = c.force;
    else {
      const vary = h.get("Vary") as string | undefined;
      if (vary === undefined) h.add("Vary", "Accept-Encoding");
      else if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary)) h.set("Vary", `${vary}, Accept-Encoding`);
      coding = negotiateEncoding(request.raw.headers["accept-encoding"]);
      const length = this.#contentLength;
      if (length !== null && length < c.minSize) return; // small: not worth it
    }
    if (coding === "identity") return;
    h.set("Content-Encoding", coding);
    h.delete("Content-Length");
    this.#contentLength = null;
    this.#encoder = new BodyEncoder(res, coding);
  }

  /** @internal True when a media type was given (a charset alone does not count). */
  get hasContentType(): boolean {
    return this.#contentType !== null;
  }

  /** @internal The `Content-Type` value to send, or null for none. */
  contentTypeValue(): string | null {
    if (this.#contentType === null && this.#charset === null) return null;
    const ct = this.contentType;
    return this.#charset === null ? ct : `${ct}; charset=${this.#charset}`;
  }

  /** @internal The flat header list for `writeHead`. */
  flatHeaders(): string[] {
    const flat: string[] = [];
    const h = this.#headers;
    // A Content-Type set through `headers` wins; the computed Content-Length wins over a header's.
    const ct = h !== null && h.has("Content-Type") ? null : this.contentTypeValue();
    if (ct !== null) flat.push("Content-Type", ct);
    const length = this.#contentLength;
    if (length !== null) flat.push("Content-Length", String(length));
    if (h !== null) {
      const dropLength = length !== null && h.has("Content-Length");
      for (const [k, v] of h) if (!dropLength || k.toLowerCase() !== "content-length") flat.push(k, v);
    }
    if (this.#cookies !== null) for (const v of this.#cookies.values()) flat.push("Set-Cookie", v);
    return flat;
  }

  /**
   * Send the status line and the headers. Idempotent.
   * @throws {RuntimeError} for a request that has no connection (a mocked one).
   */
  async prepare(request: Request<any>): Promise<void> {
    this.prepareNow(request);
  }

  /** @internal `prepare()` without a promise (the server's fast path). */
  prepareNow(request: Request<any>): void {
    if (this.nodeResponse !== null) return;
    const res = request.nodeResponse;
    if (res === null) throw new RuntimeError("Cannot prepare a response for a request without a connection");
    if (res.headersSent) throw new RuntimeError("Another response was already sent for this request");
    this.#request = request;
    this.nodeResponse = res;
    if (this.#keepAlive === false) res.shouldKeepAlive = false;
    if (statusMustBeEmptyBody(this.#status)) this.#contentLength = null;
    if (this.#compression !== null) this.#startCompression(request, res);
    res.writeHead(this.#status, this.reason, this.flatHeaders());
  }

  /**
   * Send a piece of the body; waits while the client's socket buffer is above its high-water mark.
   * @throws {RuntimeError} before `prepare()` or after `writeEof()`. @throws {ConnectionResetError}
   * when the client went away.
   */
  async write(data: Uint8Array | string): Promise<void> {
    const res = this.nodeResponse;
    if (res === null) throw new RuntimeError("Cannot call write() before prepare()");
    if (this.#eof) throw new RuntimeError("Cannot call write() after writeEof()");
    if (typeof data !== "string" && !(data instanceof Uint8Array))
      throw new ArgumentTypeError(`data must be bytes or a string, got ${inspect(data, { depth: 0 })}`);
    if (res.destroyed) throw new ConnectionResetError("Cannot write to closing transport");
    this.bodyBytes += typeof data === "string" ? Buffer.byteLength(data) : data.length;
    if (this.#encoder !== null) return this.#encoder.write(data);
    if (res.write(data)) return;
    await waitDrain(res);
  }

  /** End the body (optionally with a last piece). Idempotent. */
  async writeEof(data?: Uint8Array | string): Promise<void> {
    this.endNow(data);
  }

  /**
   * @internal `writeEof()` without a promise (the server's fast path). The data is handed to the
   * socket; like aiohttp's `write_eof` without a drain, it does not wait for the client to take it.
   */
  endNow(data?: Uint8Array | string): void {
    if (this.#eof) return;
    const res = this.nodeResponse;
    if (res === null) throw new RuntimeError("Cannot call writeEof() before prepare()");
    this.#eof = true;
    if (this.#encoder !== null) {
      if (data !== undefined)
        this.bodyBytes += typeof data === "string" ? Buffer.byteLength(data) : data.length;
      this.#encoder.end(data); // the response ends when the compressor has flushed
      return;
    }
    // Ended in the root async context: Node arms the connection's keep-alive timer when the
    // response finishes, and that timer would otherwise keep the handler's task context — the task,
    // its request and response — alive for as long as the connection idles.
    if (data === undefined || data.length === 0) {
      runInRoot(endEmpty, res);
      return;
    }
    this.bodyBytes += typeof data === "string" ? Buffer.byteLength(data) : data.length;
    runInRoot(endWith, res, data);
  }

  /** @internal True once `writeEof()` ran. */
  get eofSent(): boolean {
    return this.#eof;
  }

  toString(): string {
    return `<${this.constructor.name} ${this.status} ${this.reason}${this.prepared ? "" : " not prepared"}>`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

const EMPTY_COOKIES: ReadonlyMap<string, string> = new Map();

function endEmpty(res: ServerResponse): void {
  res.end();
}

function endWith(res: ServerResponse, data: Uint8Array | string): void {
  res.end(data);
}

/** Wait for `drain` (or fail when the connection closes first). */
function waitDrain(res: ServerResponse): Promise<void> {
  const fut = new Future<void>();
  const onDrain = (): void => {
    cleanup();
    if (!fut.done()) fut.setResult();
  };
  const onClose = (): void => {
    cleanup();
    if (!fut.done()) fut.setException(new ConnectionResetError("Connection lost while writing"));
  };
  const cleanup = (): void => {
    res.off("drain", onDrain);
    res.off("close", onClose);
  };
  res.on("drain", onDrain);
  res.on("close", onClose);
  return (async () => {
    try {
      await fut;
    } finally {
      cleanup();
    }
  })();
}

/** Options of {@link Response}. */
export interface ResponseOptions extends ResponseInit {
  /** Text body (sets `text/plain; charset=utf-8` unless a content type is given). */
  text?: string;
  /** Bytes (or a string, sent as UTF-8) body. */
  body?: Uint8Array | string;
}

/**
 * A response with its whole body: `new Response({ text: "hello" })`, `{ body: bytes }`,
 * `{ status: 201 }`.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#response
 */
export class Response extends StreamResponse {
  #body: Buffer | string | null = null;

  constructor(options: ResponseOptions = {}) {
    super(options);
    const { text, body } = options;
    if (text !== undefined && body !== undefined)
      throw new ValueError("body and text are not allowed together");
    if (text !== undefined) {
      if (typeof text !== "string")
        throw new ArgumentTypeError(`text argument must be a string, got ${inspect(text, { depth: 0 })}`);
      if (options.contentType?.toLowerCase().includes("charset"))
        throw new ValueError("charset must not be in the contentType argument");
      if (!this.hasContentType) this.contentType = "text/plain";
      if (this.charset === null) this.charset = "utf-8";
      this.#body = encodeText(text, this.charset!);
    } else if (body !== undefined) {
      if (typeof body !== "string" && !(body instanceof Uint8Array))
        throw new ArgumentTypeError(`body must be bytes or a string, got ${inspect(body, { depth: 0 })}`);
      this.#body = typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.length);
    }
  }

  /** The body (`null` when none). */
  get body(): Buffer | string | null {
    return this.#body;
  }

  set body(value: Uint8Array | string | null) {
    if (this.prepared) throw new RuntimeError("Cannot change the body after the headers were sent");
    if (value !== null && typeof value !== "string" && !(value instanceof Uint8Array))
      throw new ArgumentTypeError(
        `body must be bytes, a string or null, got ${inspect(value, { depth: 0 })}`,
      );
    this.#body =
      value === null || typeof value === "string"
        ? value
        : Buffer.from(value.buffer, value.byteOffset, value.length);
  }

  /** The body decoded as text (`null` when none). */
  get text(): string | null {
    const b = this.#body;
    if (b === null) return null;
    return typeof b === "string" ? b : new TextDecoder(this.charset ?? "utf-8").decode(b);
  }

  set text(value: string) {
    if (typeof value !== "string") throw new ArgumentTypeError("text must be a string");
    this.body = encodeText(value, this.charset ?? "utf-8");
    if (!this.hasContentType) this.contentType = "text/plain";
    if (this.charset === null) this.charset = "utf-8";
  }

  /** @internal Headers with the body's length: the whole response leaves in writeHead + end. */
  override prepareNow(request: Request<any>): void {
    if (this.prepared) return;
    const body = this.#body;
    if (!statusMustBeEmptyBody(this.status)) {
      this.contentLength =
        body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length;
    }
    super.prepareNow(request);
  }

  /** @internal The body goes with the end. */
  override endNow(): void {
    if (this.eofSent) return;
    const body = this.#body;
    if (body === null || statusMustBeEmptyBody(this.status)) super.endNow();
    else super.endNow(body);
  }
}

/** Node's encoders by charset label (UTF-8 text stays a string). */
const TEXT_ENCODINGS: Record<string, BufferEncoding> = {
  "utf-8": "utf8",
  utf8: "utf8",
  latin1: "latin1",
  "iso-8859-1": "latin1",
  ascii: "latin1",
  "us-ascii": "latin1",
  "utf-16le": "utf16le",
};

/** Text as its charset's bytes. @throws {ValueError} when Node has no encoder or a character does not fit. */
function encodeText(text: string, charset: string): Buffer | string {
  const cs = charset.toLowerCase();
  const enc = Object.hasOwn(TEXT_ENCODINGS, cs) ? TEXT_ENCODINGS[cs] : undefined;
  if (enc === "utf8") return text;
  if (enc === undefined)
    throw new ValueError(
      `Cannot encode text as ${charset} (Node has no encoder for it): pass the bytes as body`,
    );
  const max = enc === "utf16le" ? 0xffff : cs.endsWith("ascii") ? 0x7f : 0xff;
  for (let i = 0; i < text.length; i++)
    if (text.charCodeAt(i) > max)
      throw new ValueError(`Text cannot be encoded as ${charset} (at index ${i})`);
  return Buffer.from(text, enc);
}

/** Options of {@link jsonResponse}. */
export interface JsonResponseOptions extends Omit<ResponseInit, "charset"> {
  /** Serializer (default `JSON.stringify`). */
  dumps?: (data: unknown) => string;
}

/**
 * A JSON response: `jsonResponse({ ok: true })` (`application/json`, UTF-8).
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#json-response
 */
export function jsonResponse(data: unknown, options: JsonResponseOptions = {}): Response {
  const dumps = options.dumps ?? JSON.stringify;
  if (typeof dumps !== "function") throw new ArgumentTypeError("dumps must be a function");
  const text = dumps(data);
  if (typeof text !== "string")
    throw new ArgumentTypeError(`dumps() must return a string, got ${inspect(text, { depth: 0 })}`);
  return new Response({ ...options, text, contentType: options.contentType ?? "application/json" });
}
