/**
 * Multipart bodies (aiohttp's `multipart.MultipartReader` / `BodyPartReader`, server side): the
 * streaming reader behind `request.multipart()` and the `multipart/form-data` branch of
 * `request.post()`.
 *
 * The bytes are split by `@fastify/busboy`'s multipart parser (its `Dicer`); nothing here parses
 * multipart by hand. The request is fed to the parser with back-pressure: a part that is not read
 * stops the parser, which stops reading the socket, so a 1 GB upload read chunk by chunk stays in
 * constant memory.
 *
 * Limits (every one ends in an HTTP exception, never a hang):
 * - `maxSize`: the whole body, in bytes (0: no limit) → 413, and the connection is closed because
 *   the rest of the body is not read. `post()` uses the application's `clientMaxSize`;
 *   `multipart()` has no size limit by default (as aiohttp: it is the way to take big uploads).
 * - `maxParts` (default {@link DEFAULT_MAX_PARTS}) → 413.
 * - `maxPartHeaderSize` (default {@link DEFAULT_MAX_PART_HEADER_SIZE}, the header block of one
 *   part) → 413.
 * - no `boundary`, a truncated body, part headers that never end, a part cut short → 400.
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import { Dicer } from "@fastify/busboy";
import { CIMultiDict, MultiDict } from "../http/index.js";
import { decodedBody } from "./compression.js";
import { HTTPBadRequest, HTTPRequestEntityTooLarge, HTTPUnsupportedMediaType } from "./exceptions.js";
import type { Request } from "./request.js";

const require = createRequire(import.meta.url);
/** busboy's header-parameter splitter: `[value, [name, value], …]` (RFC 2231/5987 decoded). */
const parseParams = require("@fastify/busboy/lib/utils/parseParams.js") as (
  header: string,
) => Array<string | [string, string]>;

/** Default cap on the number of parts of one body. */
export const DEFAULT_MAX_PARTS = 1000;
/** Default cap on the header block of one part (bytes). */
export const DEFAULT_MAX_PART_HEADER_SIZE = 16 * 1024;
/** Default size of {@link BodyPartReader.readChunk} (aiohttp's `chunk_size`). */
export const DEFAULT_CHUNK_SIZE = 8192;

const EMPTY = Buffer.alloc(0);
const PART_HWM = 64 * 1024;

/** Options of `request.multipart()`. */
export interface MultipartOptions {
  /** The largest body, in bytes (0, the default: no limit). Past it: 413. */
  maxSize?: number;
  /** The most parts a body may have (default {@link DEFAULT_MAX_PARTS}). Past it: 413. */
  maxParts?: number;
  /** The largest header block of one part (default {@link DEFAULT_MAX_PART_HEADER_SIZE}). Past it: 413. */
  maxPartHeaderSize?: number;
}

/**
 * A file of a `multipart/form-data` body, as `request.post()` returns it (aiohttp's `FileField`).
 *
 * The data is held in memory: `post()` reads at most `clientMaxSize` bytes (1 MiB by default), so
 * a file field is never bigger than that. For big uploads, use `request.multipart()` and write each
 * part where it belongs (a file, a socket) chunk by chunk.
 */
export class FileField {
  /** The form field name. */
  readonly name: string;
  /** The file name the client sent (its base name, without a directory). */
  readonly filename: string;
  /** The part's media type (`application/octet-stream` when absent). */
  readonly contentType: string;
  /** The part's headers. */
  readonly headers: CIMultiDict;
  /** The file's bytes. */
  readonly data: Buffer;

  /** @internal */
  constructor(name: string, filename: string, contentType: string, headers: CIMultiDict, data: Buffer) {
    this.name = name;
    this.filename = filename;
    this.contentType = contentType;
    this.headers = headers;
    this.data = data;
  }

  /** The size in bytes. */
  get size(): number {
    return this.data.length;
  }

  /** The data decoded as UTF-8 (or `encoding`). */
  text(encoding: BufferEncoding = "utf8"): string {
    return this.data.toString(encoding);
  }

  toString(): string {
    return `<FileField ${this.name} ${JSON.stringify(this.filename)} ${this.contentType} ${this.size} bytes>`;
  }
}

/** A value of `request.post()`: text fields are strings, files are {@link FileField}s, other parts bytes. */
export type FormValue = string | FileField | Buffer;

/** `[type, params]` of a header value such as `Content-Disposition` or `Content-Type`. */
function splitHeader(value: string | null): [string, Map<string, string>] {
  const params = new Map<string, string>();
  if (value === null || value === "") return ["", params];
  const parsed = parseParams(value);
  const type = typeof parsed[0] === "string" ? parsed[0].toLowerCase() : "";
  for (let i = 1; i < parsed.length; i++) {
    const p = parsed[i];
    if (Array.isArray(p)) {
      const key = p[0].toLowerCase();
      if (!params.has(key)) params.set(key, p[1]);
    }
  }
  return [type, params];
}

/** The header parser inside Dicer (an internal of busboy, used only to bound header blocks). */
interface HeaderParserInternals {
  maxed: boolean;
  push(data: Buffer): number | undefined;
}

/**
 * One part of a multipart body (aiohttp's `BodyPartReader`). Read it with `readChunk()` (a chunk
 * at a time), `read()` (all of it), `text()`, `json()` or `form()`, or `for await` over its chunks.
 * Every read is a promise: await it from a handler (the handler's task can be cancelled meanwhile).
 */
export class BodyPartReader {
  /** The part's headers (case-insensitive). */
  readonly headers: CIMultiDict;
  readonly #reader: MultipartReader;
  readonly #stream: Dicer.PartStream;
  #error: Error | null = null;
  #ended = false;
  #disposition: [string, Map<string, string>] | null = null;
  #contentType: [string, Map<string, string>] | null = null;

  /** @internal */
  constructor(reader: MultipartReader, stream: Dicer.PartStream, headers: CIMultiDict) {
    this.#reader = reader;
    this.#stream = stream;
    this.headers = headers;
    stream.on("readable", reader.wake);
    stream.on("end", () => {
      this.#ended = true;
      reader.wake();
    });
    stream.on("error", (e: Error) => {
      this.#error = new HTTPBadRequest({ text: `400: Bad Request (malformed multipart body: ${e.message})` });
      reader.wake();
    });
  }

  #cd(): Map<string, string> {
    this.#disposition ??= splitHeader(this.headers.get("content-disposition") ?? null);
    return this.#disposition[1];
  }

  #ct(): [string, Map<string, string>] {
    this.#contentType ??= splitHeader(this.headers.get("content-type") ?? null);
    return this.#contentType;
  }

  /** The `name` parameter of `Content-Disposition`, or `null`. */
  get name(): string | null {
    return this.#cd().get("name") ?? null;
  }

  /** The `filename` parameter of `Content-Disposition` (its base name), or `null`. */
  get filename(): string | null {
    const f = this.#cd().get("filename");
    if (f === undefined) return null;
    const slash = Math.max(f.lastIndexOf("/"), f.lastIndexOf("\\"));
    return slash === -1 ? f : f.slice(slash + 1);
  }

  /** The part's media type (lower case); `null` when the part has no `Content-Type`. */
  get contentType(): string | null {
    const t = this.#ct()[0];
    return t === "" ? null : t;
  }

  /** The `charset` parameter of the part's `Content-Type`, or `null`. */
  get charset(): string | null {
    return this.#ct()[1].get("charset") ?? null;
  }

  /** True once the part has been read to its end. */
  atEof(): boolean {
    return this.#ended || (this.#stream.readableEnded && this.#stream.readableLength === 0);
  }

  /**
   * The next chunk of at most `size` bytes; an empty buffer at the end of the part.
   * @throws {HTTPBadRequest} for a part cut short; the reader's error (413, 400) once it failed.
   */
  async readChunk(size: number = DEFAULT_CHUNK_SIZE): Promise<Buffer> {
    return this.#next(size);
  }

  /**
   * The next buffered bytes: at most `size`, or (`Infinity`) everything buffered — which, read as it
   * arrives, is the parser's own chunk, handed over without a copy (a sized read joins and slices).
   */
  async #next(size: number): Promise<Buffer> {
    const s = this.#stream;
    for (;;) {
      if (this.#error !== null) throw this.#error;
      if (s.readableLength > 0) {
        const chunk = (
          size === Number.POSITIVE_INFINITY ? s.read() : s.read(Math.min(size, s.readableLength))
        ) as Buffer | null;
        if (chunk !== null) return chunk;
      }
      if (this.#ended) return EMPTY;
      this.#reader.throwIfFailed();
      s.read(0); // ask for more: un-pauses the parser (and, through it, the socket)
      if (this.#ended || s.readableLength > 0 || this.#error !== null) continue;
      await this.#reader.waitForEvent();
    }
  }

  /** The whole part (bounded by `maxSize` bytes when given: past it, 413). */
  async read(options: { maxSize?: number } = {}): Promise<Buffer> {
    const max = options.maxSize ?? 0;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = await this.#next(Number.POSITIVE_INFINITY);
      if (chunk.length === 0) break;
      total += chunk.length;
      if (max > 0 && total > max) {
        this.#reader.noKeepAlive();
        throw new HTTPRequestEntityTooLarge(max, total);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  /** The part decoded with its charset (`encoding`, or UTF-8 by default); an unknown charset is a 415. */
  async text(options: { encoding?: string; maxSize?: number } = {}): Promise<string> {
    const data = await this.read(options);
    const charset = options.encoding ?? this.charset ?? "utf-8";
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(charset);
    } catch {
      throw new HTTPUnsupportedMediaType({
        text: `415: Unsupported Media Type (unknown charset ${charset})`,
      });
    }
    return decoder.decode(data);
  }

  /** The part parsed as JSON (`null` for an empty part, as aiohttp); invalid JSON is a 400. */
  async json<T = unknown>(options: { maxSize?: number } = {}): Promise<T | null> {
    const text = await this.text(options);
    if (text === "") return null;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new HTTPBadRequest({ text: `400: Bad Request (invalid JSON in part: ${(e as Error).message})` });
    }
  }

  /** The part parsed as an `application/x-www-form-urlencoded` form. */
  async form(options: { maxSize?: number } = {}): Promise<MultiDict> {
    return MultiDict.fromQuery(await this.text(options)).freeze();
  }

  /** Read the rest of the part and throw it away (aiohttp's `release()`). */
  async release(): Promise<void> {
    while ((await this.#next(Number.POSITIVE_INFINITY)).length > 0) {}
  }

  /** The part's chunks, as they arrive. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = await this.#next(Number.POSITIVE_INFINITY);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  /** @internal Discard what is left without waiting (the next part is wanted). */
  discard(): void {
    if (this.#ended) return;
    this.#stream.removeAllListeners("readable");
    this.#stream.resume();
  }

  toString(): string {
    return `<BodyPartReader ${this.name ?? ""}>`;
  }
}

/**
 * The parts of a multipart body, one after the other (aiohttp's `MultipartReader`):
 *
 * ```ts
 * const reader = await request.multipart();
 * for await (const part of reader) {
 *   if (part.filename !== null) for await (const chunk of part) await write(chunk);
 *   else fields.set(part.name, await part.text());
 * }
 * ```
 * Asking for the next part discards what is left of the current one.
 */
export class MultipartReader {
  readonly #raw: IncomingMessage;
  /** What is fed to the parser: the request, or its decompressor with a `Content-Encoding`. */
  #source: Readable;
  #stopSource: () => void = () => {};
  readonly #request: Request<Record<string, string>>;
  readonly #dicer: Dicer;
  readonly #queue: BodyPartReader[] = [];
  readonly #maxSize: number;
  readonly #maxParts: number;
  #waiters: Array<() => void> = [];
  #current: BodyPartReader | null = null;
  #parts = 0;
  #seen = 0;
  #finished = false;
  #error: Error | null = null;
  #started = false;

  /** @internal Use `request.multipart()`. */
  constructor(request: Request<Record<string, string>>, boundary: string, options: MultipartOptions = {}) {
    this.#request = request;
    this.#raw = request.raw;
    this.#source = request.raw;
    this.#maxSize = options.maxSize ?? 0;
    this.#maxParts = options.maxParts ?? DEFAULT_MAX_PARTS;
    const maxHeader = options.maxPartHeaderSize ?? DEFAULT_MAX_PART_HEADER_SIZE;
    const cfg = {
      boundary,
      maxHeaderSize: maxHeader + 1,
      maxHeaderPairs: 2000,
      partHwm: PART_HWM,
      highWaterMark: PART_HWM,
    } as Dicer.Config;
    const dicer = new Dicer(cfg);
    this.#dicer = dicer;
    this.#boundHeaders(dicer, maxHeader);
    dicer.on("part", (stream: Dicer.PartStream) => {
      if (this.#error !== null) {
        stream.on("error", () => {});
        stream.resume();
        return;
      }
      if (++this.#parts > this.#maxParts) {
        stream.on("error", () => {});
        stream.resume();
        this.fail(
          new HTTPRequestEntityTooLarge(this.#maxParts, this.#parts, {
            text: `413: Request Entity Too Large (more than ${this.#maxParts} parts in the multipart body)`,
          }),
        );
        return;
      }
      stream.on("error", () => {}); // a part cut short before its headers: reported by the parser
      stream.once("header", (header: object) => {
        const pairs: [string, string][] = [];
        for (const [k, vs] of Object.entries(header as Record<string, string[]>))
          for (const v of vs) pairs.push([k, v]);
        this.#queue.push(new BodyPartReader(this, stream, new CIMultiDict(pairs).freeze()));
        this.wake();
      });
    });
    dicer.on("finish", () => {
      this.#finished = true;
      this.wake();
    });
    dicer.on("error", (e: Error) => {
      this.fail(new HTTPBadRequest({ text: `400: Bad Request (malformed multipart body: ${e.message})` }));
    });
  }

  /**
   * Make part header blocks bigger than `max` a 413: busboy alone truncates them silently (bounded
   * memory, but it reads on). This hooks busboy's own header parser (`Dicer#_hparser`, its `push`
   * and `_finish`, whose `maxed` flag says a block reached `maxHeaderSize`); these are busboy's
   * internals, not aiots core ones, so they are reached with `Reflect`. If a busboy version lacks
   * them, the hook is skipped: header blocks are then only truncated.
   */
  #boundHeaders(dicer: Dicer, max: number): void {
    const hp = Reflect.get(dicer, "_hparser") as HeaderParserInternals | undefined;
    const finish = hp === undefined ? undefined : (Reflect.get(hp, "_finish") as unknown);
    if (hp === undefined || typeof hp.push !== "function" || typeof finish !== "function") return;
    const tooLarge = (): void =>
      this.fail(
        new HTTPRequestEntityTooLarge(max, max + 1, {
          text: `413: Request Entity Too Large (a part's headers are larger than ${max} bytes)`,
        }),
      );
    const push = hp.push;
    hp.push = function (this: HeaderParserInternals, data: Buffer) {
      const r = push.call(this, data);
      if (this.maxed) tooLarge();
      return r;
    };
    Reflect.set(hp, "_finish", function (this: HeaderParserInternals) {
      if (this.maxed) tooLarge();
      finish.call(this);
    });
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    const raw = this.#raw;
    const declared = this.#request.contentLength;
    if (this.#maxSize > 0 && declared !== null && declared > this.#maxSize) {
      this.fail(new HTTPRequestEntityTooLarge(this.#maxSize, declared));
      return;
    }
    this.#request.onFirstRead?.();
    // With a Content-Encoding the parser gets the decompressed bytes (and maxSize counts them).
    const body = decodedBody(raw);
    const source = body.source;
    this.#source = source;
    this.#stopSource = body.stop;
    source.on("data", this.#onData);
    source.on("end", this.#onEnd);
    source.on("error", () => {
      if (body.corrupt())
        this.fail(
          new HTTPBadRequest({ text: `400: Bad Request (the ${body.coding} body could not be decoded)` }),
        );
      else this.#onAbort();
    });
    if (source !== raw) raw.on("error", this.#onAbort);
    raw.on("close", this.#onClose);
    this.#dicer.on("drain", this.#onDrain);
    if (source.readableEnded) this.#onEnd();
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#error !== null) return;
    this.#seen += chunk.length;
    if (this.#maxSize > 0 && this.#seen > this.#maxSize) {
      this.fail(new HTTPRequestEntityTooLarge(this.#maxSize, this.#seen));
      return;
    }
    if (!this.#dicer.write(chunk)) this.#source.pause();
  };

  readonly #onDrain = (): void => {
    if (this.#error === null) this.#source.resume();
  };

  readonly #onEnd = (): void => {
    if (this.#error === null) this.#dicer.end();
  };

  readonly #onAbort = (): void => {
    this.fail(new HTTPBadRequest({ text: "400: Bad Request (the request body was cut short)" }));
  };

  readonly #onClose = (): void => {
    if (!this.#raw.complete) this.#onAbort();
  };

  /** @internal Wake every pending read. */
  readonly wake = (): void => {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  };

  /** @internal */
  waitForEvent(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** @internal */
  throwIfFailed(): void {
    if (this.#error !== null) throw this.#error;
  }

  /** @internal The connection is closed after the response (the body is not read to its end). */
  noKeepAlive(): void {
    const res = this.#request.nodeResponse;
    if (res !== null && !res.headersSent) res.shouldKeepAlive = false;
  }

  /** @internal Stop reading: every pending and later read throws `error`. */
  fail(error: Error): void {
    if (this.#error !== null) return;
    this.#error = error;
    this.noKeepAlive();
    const raw = this.#raw;
    this.#source.off("data", this.#onData);
    if (this.#source !== raw) this.#stopSource();
    const res = this.#request.nodeResponse;
    // Headers already sent (a StreamResponse): the connection stays open, so discard the rest of
    // the body as Node does for a body never read; otherwise it is closed after the response.
    if (res !== null && res.headersSent) raw.resume();
    else raw.pause();
    this.wake();
  }

  /**
   * The next part, or `null` after the last one. What is left of the previous part is discarded.
   * @throws {HTTPBadRequest} for a malformed body; {@link HTTPRequestEntityTooLarge} past a limit.
   */
  async next(): Promise<BodyPartReader | null> {
    this.#start();
    this.#current?.discard();
    this.#current = null;
    for (;;) {
      this.throwIfFailed();
      const part = this.#queue.shift();
      if (part !== undefined) {
        this.#current = part;
        return part;
      }
      if (this.#finished) return null;
      await this.waitForEvent();
    }
  }

  /** Read every part to its end and discard it. */
  async release(): Promise<void> {
    for (let part = await this.next(); part !== null; part = await this.next()) await part.release();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BodyPartReader, void, undefined> {
    for (;;) {
      const part = await this.next();
      if (part === null) return;
      yield part;
    }
  }

  toString(): string {
    return "<MultipartReader>";
  }
}

/** @internal The `boundary` of a `multipart/*` request, or a 400. */
export function multipartBoundary(contentType: string | undefined): string {
  const [type, params] = splitHeader(contentType ?? null);
  if (!type.startsWith("multipart/"))
    throw new HTTPBadRequest({ text: `400: Bad Request (expected a multipart body, got ${type || "none"})` });
  const boundary = params.get("boundary");
  if (boundary === undefined || boundary === "" || boundary.length > 70)
    throw new HTTPBadRequest({ text: "400: Bad Request (the multipart body has no valid boundary)" });
  return boundary;
}

/** @internal `request.post()` for `multipart/form-data`: every part read, bounded by `maxSize`. */
export async function readMultipartForm(
  request: Request<Record<string, string>>,
  maxSize: number,
): Promise<MultiDict<FormValue>> {
  const reader = new MultipartReader(request, multipartBoundary(request.raw.headers["content-type"]), {
    maxSize,
  });
  const form = new MultiDict<FormValue>();
  for await (const part of reader) {
    const name = part.name;
    if (name === null) {
      await part.release();
      continue;
    }
    const filename = part.filename;
    const ctype = part.contentType;
    if (filename !== null && filename !== "") {
      // (an empty file name, a file input left empty, is not a file: as aiohttp)
      const data = await part.read();
      form.add(name, new FileField(name, filename, ctype ?? "application/octet-stream", part.headers, data));
    } else if (ctype === null || ctype.startsWith("text/")) {
      form.add(name, await part.text());
    } else {
      form.add(name, await part.read());
    }
  }
  return form.freeze();
}
