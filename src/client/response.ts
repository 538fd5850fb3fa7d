/**
 * `ClientResponse` (aiohttp's `ClientResponse`): status, headers, and the body read whole
 * (`read`/`text`/`json`) or as a stream (`content`).
 */
import { inspect } from "node:util";
import { CIMultiDict, CIMultiDictProxy, parseContentType } from "../http/index.js";
import { reasonFor } from "../http/status.js";
import { type StreamReader, ValueError } from "../index.js";
import type { ResponseBody } from "./body.js";
import { ClientConnectionError, ClientResponseError, ContentTypeError, type RequestInfo } from "./errors.js";
import type { Exchange, ResponseHead } from "./exchange.js";
import { parseSetCookieHeaders } from "./set-cookie.js";

/** Picks a charset for `text()` when the response names none (aiohttp's `fallback_charset_resolver`). */
export type FallbackCharsetResolver = (response: ClientResponse, body: Buffer) => string;

/** @internal What the session hands a new response. */
export interface ResponseInit {
  readonly method: string;
  readonly url: URL;
  readonly requestInfo: RequestInfo;
  readonly head: ResponseHead;
  readonly exchange: Exchange;
  readonly history: readonly ClientResponse[];
  readonly fallbackCharset: FallbackCharsetResolver | null;
}

/** Leaks guard: a response collected with its body still arriving gives its connection back. */
const unreleased = new FinalizationRegistry<Exchange>((exchange) => {
  if (!exchange.finished) exchange.abort(new ClientConnectionError("Connection closed"));
});

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/**
 * A response to a {@link ClientSession} request. Its body arrives in the background; read it with
 * `read()`, `text()`, `json()` or through `content`, then let the response go (or `release()` it,
 * or declare it with `await using`): a body left unread does not hold the connection forever.
 * @see https://docs.aiohttp.org/en/stable/client_reference.html#response-object
 */
export class ClientResponse {
  /** The request method. */
  readonly method: string;
  /** The URL of this response (after redirects; no fragment). */
  readonly url: URL;
  /** The URL as requested, fragment included. */
  readonly realUrl: URL;
  /** The HTTP status code. */
  readonly status: number;
  /** The reason phrase. */
  readonly reason: string;
  /** The responses of the redirects that led here, oldest first. */
  readonly history: readonly ClientResponse[];
  /** The request that got this response. */
  readonly requestInfo: RequestInfo;
  readonly #rawHeaders: string[];
  readonly #exchange: Exchange;
  readonly #fallbackCharset: FallbackCharsetResolver | null;
  #headers: CIMultiDictProxy | null = null;
  #body: Buffer | null = null;
  #released = false;

  /** @internal Responses are made by `ClientSession`. */
  constructor(init: ResponseInit) {
    this.method = init.method;
    this.url = init.url;
    this.realUrl = init.requestInfo.realUrl;
    this.status = init.head.status;
    this.reason = init.head.statusText || reasonFor(init.head.status);
    this.history = init.history;
    this.requestInfo = init.requestInfo;
    this.#rawHeaders = init.head.rawHeaders;
    this.#exchange = init.exchange;
    this.#fallbackCharset = init.fallbackCharset;
    if (!init.exchange.finished) unreleased.register(this, init.exchange, this);
  }

  /** `status < 400`. */
  get ok(): boolean {
    return this.status < 400;
  }

  /** The response headers (case-insensitive, multi-valued, read-only). */
  get headers(): CIMultiDictProxy {
    this.#headers ??= new CIMultiDictProxy(CIMultiDict.fromRawHeaders(this.#rawHeaders));
    return this.#headers;
  }

  /** The headers as received: `[name, value, …]`. */
  get rawHeaders(): readonly string[] {
    return this.#rawHeaders;
  }

  /** The cookies this response sets (name → value, from its `Set-Cookie` headers). */
  get cookies(): Map<string, string> {
    // Read as the jar reads them (aiohttp's SimpleCookie): a quoted value may hold `;`.
    const out = new Map<string, string>();
    for (const c of parseSetCookieHeaders(this.headers.getAll("set-cookie"))) out.set(c.name, c.value);
    return out;
  }

  /** The media type of `Content-Type` (`application/octet-stream` when absent, as aiohttp). */
  get contentType(): string {
    return this.#ctype()[0];
  }

  /** The `charset` of `Content-Type`, or null. */
  get charset(): string | null {
    return this.#ctype()[1];
  }

  /** `Content-Type` parsed once (the headers do not change). */
  #contentTypeParsed: [string, string | null] | null = null;
  #ctype(): [string, string | null] {
    this.#contentTypeParsed ??= parseContentType(this.headers.get("content-type"));
    return this.#contentTypeParsed;
  }

  /** `Content-Length` as a number, or null. */
  get contentLength(): number | null {
    const v = this.headers.get("content-length");
    if (v === undefined || !/^\d+$/.test(v.trim())) return null;
    return Number(v);
  }

  /** Whether the connection is released (body read or dropped). */
  get closed(): boolean {
    return this.#released || this.#exchange.finished;
  }

  /**
   * The body as a stream (aiohttp's `content`): `readline()`, `read(n)`, `readexactly(n)`,
   * `iterChunked(n)`, `iterAny()`, `for await (const line of content)`.
   */
  get content(): StreamReader {
    const reader = this.#bodyOf().reader;
    if (this.#released) closeContent(reader);
    return reader;
  }

  #bodyOf(): ResponseBody {
    return this.#exchange.body!;
  }

  /**
   * The whole body (kept: later calls return the same bytes).
   * @throws {ClientPayloadError} when it is cut short or malformed; `ClientConnectionError` when released.
   */
  async read(): Promise<Buffer> {
    // aiohttp: a released response's body is gone, even one read before (read it before releasing).
    if (this.#released) throw new ClientConnectionError("Connection closed");
    if (this.#body !== null) return this.#body;
    const body = this.#bodyOf();
    if (body.streaming) {
      this.#body = await body.reader.read();
      return this.#body;
    }
    if (!body.finished) await body.waitFinished();
    if (body.error !== null) throw body.error;
    this.#body = body.take();
    unreleased.unregister(this);
    return this.#body;
  }

  /**
   * The body decoded as text: with `encoding` if given, else the `Content-Type` charset, else
   * UTF-8 for JSON types, else the session's `fallbackCharsetResolver` (default UTF-8).
   * Strict by default, as Python's `bytes.decode`: `errors: "replace"` puts U+FFFD for what does not decode.
   * @throws {ValueError} for an unknown encoding or (strict) bytes that do not decode.
   */
  async text(encoding?: string, options: { errors?: "strict" | "replace" } = {}): Promise<string> {
    const body = await this.read();
    const charset = encoding ?? this.getEncoding(body);
    // As Python's bytes.decode: strict unless `errors: "replace"` (U+FFFD for what does not decode).
    const fatal = options.errors !== "replace";
    try {
      return new TextDecoder(charset, { fatal }).decode(body);
    } catch (e) {
      if (e instanceof RangeError) throw new ValueError(`Unknown encoding: ${charset}`, { cause: e });
      throw new ValueError(`'${charset}' codec can't decode the response body`, { cause: e });
    }
  }

  /** The charset `text()` uses (aiohttp's `get_encoding()`). */
  getEncoding(body: Buffer | null = this.#body): string {
    const cs = this.charset;
    if (cs !== null && isKnownEncoding(cs)) return cs;
    const mt = this.contentType;
    if (JSON_TYPE.test(mt)) return "utf-8";
    if (this.#fallbackCharset !== null && body !== null) return this.#fallbackCharset(this, body);
    return "utf-8";
  }

  /**
   * The body parsed as JSON (`null` for an empty body, as aiohttp's `None`).
   * @param options.contentType the media type required (default `application/json`, or any
   *   `+json`); `null` skips the check.
   * @throws {ContentTypeError} when the response's type is not the expected one.
   */
  async json(
    options: { loads?: (text: string) => unknown; contentType?: string | null; encoding?: string } = {},
  ): Promise<any> {
    const expected = options.contentType === undefined ? "application/json" : options.contentType;
    if (expected !== null) {
      const mt = this.contentType;
      const ok = expected === "application/json" ? JSON_TYPE.test(mt) : mt === expected.toLowerCase();
      if (!ok) {
        // aiohttp releases the connection before raising.
        this.release();
        throw new ContentTypeError(this.requestInfo, {
          status: this.status,
          message: `Attempt to decode JSON with unexpected mimetype: ${mt}`,
          headers: this.headers,
          history: this.history,
        });
      }
    }
    const text = (await this.text(options.encoding)).trim();
    if (text.length === 0) return null;
    return (options.loads ?? JSON.parse)(text);
  }

  /** Throw a {@link ClientResponseError} when `status ≥ 400` (and release the connection). */
  raiseForStatus(): void {
    if (this.status < 400) return;
    this.release();
    throw new ClientResponseError(this.requestInfo, {
      status: this.status,
      message: this.reason,
      headers: this.headers,
      history: this.history,
    });
  }

  /**
   * Give the connection back: a body still arriving is abandoned (that connection is closed, as
   * aiohttp closes one whose payload was not read to the end).
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    unreleased.unregister(this);
    const ex = this.#exchange;
    if (!ex.finished) ex.abort(new ClientConnectionError("Connection closed"));
    ex.body?.drop();
    // aiohttp: reading `content` after release fails, whatever was buffered.
    if (ex.body?.streaming === true) closeContent(ex.body.reader);
  }

  /** Same as {@link release} (aiohttp's `close()`). */
  close(): void {
    this.release();
  }

  /** `await using response = await session.get(url)`: released at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }

  [inspect.custom](): string {
    return `<ClientResponse(${this.url.href}) [${this.status} ${this.reason}]>`;
  }
}

function closeContent(reader: StreamReader): void {
  if (reader.exception() === null) reader.setException(new ClientConnectionError("Connection closed"));
}

function isKnownEncoding(name: string): boolean {
  try {
    new TextDecoder(name);
    return true;
  } catch {
    return false;
  }
}
