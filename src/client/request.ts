/**
 * What a request is made of before it is sent (aiohttp's `ClientRequest`): its URL (base URL,
 * query parameters), its headers, its body (`json`, or `data` in any supported shape), its
 * credentials (`BasicAuth`), and the `RequestInfo` its response and errors carry.
 */
import { Buffer } from "node:buffer";
import { pipeline, Readable } from "node:stream";
import { inspect, promisify } from "node:util";
import { createDeflate, createGzip, deflate, gzip } from "node:zlib";
import { CIMultiDict, CIMultiDictProxy, type LooseHeaders } from "../http/index.js";
import { ArgumentTypeError, ValueError } from "../index.js";
import { VERSION } from "../version.js";
import { InvalidUrlClientError, NonHttpUrlClientError, type RequestInfo } from "./errors.js";
import { encodeWebFormData, FormData, MultipartWriter } from "./formdata.js";

/** Query parameters: `URLSearchParams`, a record (arrays repeat a key), or pairs. */
export type Params =
  | URLSearchParams
  | string
  | Readonly<Record<string, string | number | boolean | readonly (string | number | boolean)[]>>
  | Iterable<readonly [string, string | number | boolean]>;

/** A request body (`data`): text, bytes, a form, a multipart body, a Blob, or a stream read once. */
export type RequestData =
  | string
  | Uint8Array
  | ArrayBuffer
  | URLSearchParams
  | FormData
  | globalThis.FormData
  | MultipartWriter
  | Blob
  | Readable
  | AsyncIterable<Uint8Array>
  | Readonly<Record<string, string | number>>;

const deflateAsync = promisify(deflate);
const gzipAsync = promisify(gzip);

/** HTTP Basic credentials (aiohttp's `BasicAuth`). */
export class BasicAuth {
  readonly login: string;
  readonly password: string;
  readonly encoding: BufferEncoding;
  constructor(login: string, password = "", encoding: BufferEncoding = "latin1") {
    if (typeof login !== "string")
      throw new ArgumentTypeError(`login must be a string, got ${inspect(login)}`);
    if (typeof password !== "string")
      throw new ArgumentTypeError(`password must be a string, got ${inspect(password)}`);
    if (login.includes(":")) throw new ValueError('A ":" is not allowed in login (RFC 1945#section-11.1)');
    this.login = login;
    this.password = password;
    this.encoding = encoding;
  }

  /** From an `Authorization: Basic …` header value. @throws {ValueError} if it is not one. */
  static decode(header: string, encoding: BufferEncoding = "latin1"): BasicAuth {
    const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (m === null) throw new ValueError("Could not parse authorization header.");
    // Strict base64, as Python's b64decode(validate=True): padded, '=' only at the end.
    if (m[1]!.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(m[1]!))
      throw new ValueError("Invalid base64 encoding.");
    const text = Buffer.from(m[1]!, "base64").toString(encoding);
    const i = text.indexOf(":");
    if (i < 0) throw new ValueError("Invalid credentials.");
    return new BasicAuth(text.slice(0, i), text.slice(i + 1), encoding);
  }

  /** From a URL's user info, or null when it has none. */
  static fromUrl(url: URL): BasicAuth | null {
    if (url.username === "" && url.password === "") return null;
    return new BasicAuth(decodeURIComponent(url.username), decodeURIComponent(url.password));
  }

  /** The `Authorization` header value. */
  encode(): string {
    return `Basic ${Buffer.from(`${this.login}:${this.password}`, this.encoding).toString("base64")}`;
  }
}

/** The URL to request: `url` resolved against `base`, with `params` appended; no fragment sent. */
export function buildUrl(url: string | URL, base: URL | null, params: Params | undefined): URL {
  let u: URL;
  if (url instanceof URL) u = base === null ? new URL(url.href) : new URL(url.href, base);
  else if (typeof url === "string") {
    try {
      u = base === null ? new URL(url) : new URL(url, base);
    } catch (e) {
      throw new InvalidUrlClientError(url, null, { cause: e });
    }
  } else throw new InvalidUrlClientError(url, "the URL must be a string or a URL");
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new NonHttpUrlClientError(u.href);
  if (u.hostname === "") throw new InvalidUrlClientError(u.href, "no host");
  if (params !== undefined) appendParams(u, params);
  return u;
}

function appendParams(u: URL, params: Params): void {
  if (typeof params === "string") {
    if (params !== "") u.search = u.search === "" ? params : `${u.search}&${params}`;
    return;
  }
  const sp = u.searchParams;
  const add = (k: unknown, v: unknown): void => {
    if (typeof k !== "string") throw new ArgumentTypeError(`A query key must be a string, got ${inspect(k)}`);
    if (typeof v === "boolean")
      throw new ArgumentTypeError(
        `Invalid variable type: value should be str, int or float, got ${v} of type boolean`,
      );
    if (typeof v !== "string" && typeof v !== "number")
      throw new ArgumentTypeError(`A query value must be a string or a number, got ${inspect(v)}`);
    sp.append(k, String(v));
  };
  if (params instanceof URLSearchParams) for (const [k, v] of params) sp.append(k, v);
  else if (Symbol.iterator in Object(params))
    for (const pair of params as Iterable<readonly [string, unknown]>) add(pair[0], pair[1]);
  else if (typeof params === "object" && params !== null)
    for (const [k, v] of Object.entries(params)) {
      if (Array.isArray(v)) for (const x of v) add(k, x);
      else add(k, v);
    }
  else
    throw new ArgumentTypeError(`params must be URLSearchParams, a record or pairs, got ${inspect(params)}`);
}

/** The headers every request gets unless skipped (aiohttp's defaults, with our User-Agent). */
export const AUTO_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ["Accept", "*/*"],
  ["Accept-Encoding", "gzip, deflate, br"],
  ["User-Agent", `aiots/${VERSION}`],
];

/** Merge `base` (the session's) and `extra` (the request's): `extra`'s names replace `base`'s. */
export function mergeHeaders(base: CIMultiDict, extra: LooseHeaders | undefined): CIMultiDict {
  const out = base.copy();
  if (extra === undefined || extra === null) return out;
  const add = new CIMultiDict<string>(extra as never, { validate: true });
  for (const name of new Set(add.keys())) out.delete(name);
  for (const [k, v] of add) out.add(k, v);
  return out;
}

/** An encoded body, ready for undici. */
export interface PreparedBody {
  /** What undici sends (null: no body). */
  readonly body: string | Buffer | AsyncIterable<Uint8Array> | Readable | null;
  /** Content-Type to set unless the request has one, or null. */
  readonly contentType: string | null;
  /** Whether it can be sent again (a redirect keeping the body). */
  readonly replayable: boolean;
  /** `Content-Encoding` to set (the `compress` option), or absent. */
  readonly contentEncoding?: string;
}

/**
 * The body compressed with `deflate` or `gzip` (the `compress` option): in memory for text and
 * bytes, as a stream for streams.
 * @throws {ValueError} for another encoding.
 */
export async function compressBody(body: PreparedBody, compress: true | string): Promise<PreparedBody> {
  const encoding = compress === true ? "deflate" : compress.toLowerCase();
  if (encoding !== "deflate" && encoding !== "gzip")
    throw new ValueError(`compress must be true, "deflate" or "gzip", got ${inspect(compress)}`);
  const b = body.body;
  if (b === null) return body;
  if (typeof b === "string" || Buffer.isBuffer(b)) {
    const data = await (encoding === "gzip" ? gzipAsync(b) : deflateAsync(b));
    return { body: data, contentType: body.contentType, replayable: true, contentEncoding: encoding };
  }
  const z = encoding === "gzip" ? createGzip() : createDeflate();
  // pipeline, not pipe: a failing source fails `z` (and so the request) instead of throwing an
  // unhandled 'error', and `z` destroyed by an abort destroys the source.
  pipeline(Readable.from(b as AsyncIterable<Uint8Array>), z, () => {});
  return {
    body: z,
    contentType: body.contentType,
    replayable: false,
    contentEncoding: encoding,
  };
}

const NO_BODY: PreparedBody = { body: null, contentType: null, replayable: true };

/** Encode `json` or `data` (only one of them). */
export function prepareBody(
  data: RequestData | undefined | null,
  json: unknown,
  jsonSerialize: (v: unknown) => string,
): PreparedBody {
  if (json !== undefined) {
    if (data !== undefined && data !== null)
      throw new ValueError("data and json parameters can not be used at the same time");
    const text = jsonSerialize(json);
    if (typeof text !== "string")
      throw new ArgumentTypeError(`jsonSerialize must return a string, got ${inspect(text, { depth: 0 })}`);
    return { body: text, contentType: "application/json", replayable: true };
  }
  if (data === undefined || data === null) return NO_BODY;
  if (typeof data === "string")
    return { body: data, contentType: "text/plain; charset=utf-8", replayable: true };
  if (data instanceof Uint8Array)
    return {
      body: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      contentType: "application/octet-stream",
      replayable: true,
    };
  if (data instanceof ArrayBuffer)
    return { body: Buffer.from(data), contentType: "application/octet-stream", replayable: true };
  if (data instanceof URLSearchParams)
    return { body: data.toString(), contentType: "application/x-www-form-urlencoded", replayable: true };
  if (data instanceof FormData) return fromEncoded(data.encode());
  if (data instanceof MultipartWriter) return fromEncoded(data.encode());
  if (data instanceof globalThis.FormData) return fromEncoded(encodeWebFormData(data));
  if (data instanceof Blob)
    return {
      body: blobChunks(data),
      contentType: data.type === "" ? "application/octet-stream" : data.type,
      replayable: false,
    };
  if (typeof (data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function")
    return {
      body: data as AsyncIterable<Uint8Array>,
      contentType: "application/octet-stream",
      replayable: false,
    };
  if (typeof data === "object") {
    // A plain record: a urlencoded form, as aiohttp encodes a dict (numbers as their text).
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) fields[k] = typeof v === "number" ? String(v) : v;
    return fromEncoded(new FormData(fields as Record<string, string>).encode());
  }
  throw new ArgumentTypeError(`Unsupported data type: ${inspect(data, { depth: 0 })}`);
}

function fromEncoded(e: { contentType: string; body: Buffer | AsyncIterable<Uint8Array> }): PreparedBody {
  return { body: e.body, contentType: e.contentType, replayable: Buffer.isBuffer(e.body) };
}

async function* blobChunks(blob: Blob): AsyncGenerator<Uint8Array> {
  yield* blob.stream() as unknown as AsyncIterable<Uint8Array>;
}

/** @internal The {@link RequestInfo} of a request; its headers are built when first read. */
export class RequestInfoImpl implements RequestInfo {
  readonly url: URL;
  readonly method: string;
  readonly realUrl: URL;
  readonly #flat: readonly string[];
  #headers: CIMultiDictProxy | null = null;
  constructor(url: URL, method: string, realUrl: URL, flatHeaders: readonly string[]) {
    this.url = url;
    this.method = method;
    this.realUrl = realUrl;
    this.#flat = flatHeaders;
  }
  get headers(): CIMultiDictProxy {
    this.#headers ??= new CIMultiDictProxy(CIMultiDict.fromRawHeaders(this.#flat));
    return this.#headers;
  }
  [inspect.custom](): string {
    return `RequestInfo(url=${this.url.href}, method=${this.method})`;
  }
}
