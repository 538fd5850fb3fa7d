/**
 * Multipart request bodies (aiohttp's `multipart.MultipartWriter` and the payloads it holds), the
 * encoder behind {@link FormData} and `encodeWebFormData` in `formdata.ts`.
 *
 * A writer collects {@link BodyPart}s (text, bytes, Blobs, async iterables / Node readables, nested
 * writers) and encodes them into an {@link EncodedBody}: one `Buffer` when everything is in memory,
 * a re-readable async iterable with a known length when some parts are Blobs, and a read-once async
 * iterable without a length (sent chunked) as soon as one part is a stream.
 *
 * A part's `Content-Encoding` (gzip, deflate) and `Content-Transfer-Encoding` (base64,
 * quoted-printable) are applied when the body is written (`part-encoding.ts`), as aiohttp does; an
 * unknown one is a `RuntimeError` when the part is appended.
 *
 * Difference from aiohttp: `Content-Disposition` parameters are quoted as the HTML standard says
 * (see {@link contentDispositionHeader}); a part held in memory is encoded when the body is, so the
 * body keeps a known length (aiohttp sends a body with an encoded part chunked).
 * @module
 */
import { randomBytes } from "node:crypto";
import { CIMultiDict, checkHeaderName, splitContentType } from "../http/index.js";
import { ArgumentTypeError, RuntimeError, ValueError } from "../index.js";
import {
  encodeBytes,
  encodeChunks,
  isIdentity,
  NO_CODINGS,
  type PartCodings,
  partCodings,
} from "./part-encoding.js";
import { encodeText, urlencode } from "./text-encoding.js";

/** A request body ready to send: what `FormData.encode()` and {@link MultipartWriter.encode} return. */
export interface EncodedBody {
  /** Content-Type header value (with boundary for multipart, `application/x-www-form-urlencoded` otherwise) */
  readonly contentType: string;
  /** the bytes: a Buffer when everything is in memory, otherwise an AsyncIterable<Uint8Array> producing them */
  readonly body: Buffer | AsyncIterable<Uint8Array>;
  /** total length when known (everything in memory or sized Blobs/Buffers), else null (then sent chunked) */
  readonly length: number | null;
}

/** What a {@link BodyPart} can be made of. */
export type PartValue =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | AsyncIterable<Uint8Array>
  | NodeJS.ReadableStream
  | MultipartWriter;

/** Header names and values given to {@link MultipartWriter.append}. */
export type PartHeaders = Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

// aiohttp's `_FORBIDDEN_HEADER_CHARS_RE`: every C0 control but HTAB, and DEL.
const FORBIDDEN = /[^\t\x20-\x7e\x80-\uffff]/;
const CONTROL_BUT_CRLF = /[^\t\r\n\x20-\x7e\x80-\uffff]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CRLF = Buffer.from("\r\n");
/** Bytes of a part compressed at once, on the loop, when the body is encoded (see `encodedBytes`). */
const SYNC_ENCODE_LIMIT = 64 * 1024;

/**
 * Refuse text that would end a header line early (aiohttp's `_safe_header`): CR, LF, NUL and every
 * other control character but HTAB.
 * @throws {@link ValueError} naming `what`.
 */
export function checkHeaderText(value: string, what: string): string {
  if (FORBIDDEN.test(value))
    throw new ValueError(
      `Forbidden control character in ${what} ${JSON.stringify(value)}: potential header injection`,
    );
  return value;
}

/**
 * A `Content-Disposition` value for a MIME part: `disptype; key="value"; …`.
 *
 * With `quoteFields` (the default) values are escaped as the HTML standard's multipart/form-data
 * encoding does (what browsers and undici send): `"` → `%22`, CR → `%0D`, LF → `%0A`, everything
 * else as is (UTF-8 on the wire). Without it, `\` and `"` are backslash-escaped (aiohttp's
 * `quote_fields=False`) and CR/LF are refused. Other control characters are always refused.
 * @throws {@link ValueError} for a disposition type or parameter name that is not a token, or a
 *   value with a forbidden character.
 * @see https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#multipart-form-data
 */
export function contentDispositionHeader(
  disptype: string,
  params: Iterable<readonly [string, string]> | Readonly<Record<string, string>> = [],
  options: { quoteFields?: boolean } = {},
): string {
  if (typeof disptype !== "string" || !TOKEN.test(disptype))
    throw new ValueError(`bad content disposition type ${JSON.stringify(disptype)}`);
  const quote = options.quoteFields ?? true;
  let out = disptype;
  for (const [key, value] of pairsOf(params)) {
    if (typeof key !== "string" || !TOKEN.test(key))
      throw new ValueError(`bad content disposition parameter ${JSON.stringify(key)}`);
    if (typeof value !== "string")
      throw new ArgumentTypeError(`content disposition parameter ${key} must be a string`);
    const bad = quote ? CONTROL_BUT_CRLF : FORBIDDEN;
    if (bad.test(value))
      throw new ValueError(`Forbidden control character in content disposition parameter ${key}`);
    const q = quote
      ? value.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A")
      : value.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
    out += `; ${key}="${q}"`;
  }
  return out;
}

function pairsOf<V>(init: Iterable<readonly [string, V]> | Readonly<Record<string, V>>): [string, V][] {
  if (Symbol.iterator in init) return Array.from(init as Iterable<readonly [string, V]>, ([k, v]) => [k, v]);
  return Object.entries(init);
}

/** The value is one this module can send as a part (and its kind). */
export function valueKind(value: unknown): "text" | "bytes" | "blob" | "stream" | "multipart" | null {
  if (typeof value === "string") return "text";
  if (value instanceof Uint8Array || value instanceof ArrayBuffer || ArrayBuffer.isView(value))
    return "bytes";
  if (value instanceof Blob) return "blob";
  if (value instanceof MultipartWriter) return "multipart";
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  )
    return "stream";
  return null;
}

function toBuffer(value: Uint8Array | ArrayBuffer | ArrayBufferView): Buffer {
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

type Source =
  | { kind: "bytes"; data: Buffer }
  | { kind: "blob"; blob: Blob }
  | { kind: "stream"; stream: AsyncIterable<unknown>; claimed: boolean }
  | { kind: "multipart"; writer: MultipartWriter };

/**
 * One part of a multipart body (aiohttp's `Payload`): its headers and where its bytes come from.
 * Made by {@link MultipartWriter.append} (or {@link BodyPart.from}); headers may be changed until
 * the writer is encoded.
 */
export class BodyPart {
  /** The part's headers, in the order they are written (case-insensitive names). */
  readonly headers: CIMultiDict<string> = new CIMultiDict();
  readonly #source: Source;
  /** The encodings fixed when the part was appended ({@link fixCodings}). */
  #codings: PartCodings = NO_CODINGS;
  /** The encoded content, made once (parts in memory with an encoding). */
  #encoded: Buffer | null = null;

  private constructor(source: Source) {
    this.#source = source;
  }

  /**
   * A part made of `value` (aiohttp's `get_payload`). Its default `Content-Type`: text →
   * `text/plain; charset=<encoding>`, bytes and streams → `application/octet-stream`, a Blob → its
   * `type` (or `application/octet-stream`), a nested writer → its multipart type. `headers` then
   * replace defaults of the same name. Text is encoded with `options.encoding`, else the charset of
   * the `Content-Type` header, else UTF-8.
   * @throws {@link ArgumentTypeError} for a value of another type.
   * @throws {@link ValueError} for a bad header or an unencodable text.
   */
  static from(value: PartValue, headers: PartHeaders = [], options: { encoding?: string } = {}): BodyPart {
    const kind = valueKind(value);
    const given = pairsOf(headers);
    for (const [k, v] of given) {
      checkHeaderName(k);
      if (typeof v !== "string") throw new ArgumentTypeError(`value of part header ${k} must be a string`);
      checkHeaderText(v, `part header ${k}`);
    }
    const explicitType = given.findLast(([k]) => k.toLowerCase() === "content-type")?.[1];
    let part: BodyPart;
    let defaultType: string;
    switch (kind) {
      case "text": {
        let encoding = options.encoding;
        if (encoding === undefined)
          encoding = explicitType ? (splitContentType(explicitType)[1] ?? "utf-8") : "utf-8";
        defaultType = `text/plain; charset=${encoding}`;
        part = new BodyPart({ kind: "bytes", data: encodeText(value as string, encoding) });
        break;
      }
      case "bytes":
        defaultType = "application/octet-stream";
        part = new BodyPart({ kind: "bytes", data: toBuffer(value as Uint8Array) });
        break;
      case "blob": {
        const t = (value as Blob).type;
        defaultType = t && !FORBIDDEN.test(t) ? t : "application/octet-stream";
        part = new BodyPart({ kind: "blob", blob: value as Blob });
        break;
      }
      case "stream":
        defaultType = "application/octet-stream";
        part = new BodyPart({ kind: "stream", stream: value as AsyncIterable<unknown>, claimed: false });
        break;
      case "multipart":
        defaultType = (value as MultipartWriter).contentType;
        part = new BodyPart({ kind: "multipart", writer: value as MultipartWriter });
        break;
      default:
        throw new ArgumentTypeError(`Cannot create a multipart payload from ${describe(value)}`);
    }
    part.headers.set("Content-Type", defaultType);
    for (const [k, v] of given) part.headers.set(k, v);
    return part;
  }

  /** Bytes of the content (without headers), or `null` for a stream (unknown until read). */
  get size(): number | null {
    const s = this.#source;
    if (s.kind === "bytes") return s.data.length;
    if (s.kind === "blob") return s.blob.size;
    if (s.kind === "multipart") return s.writer.size;
    return null;
  }

  /**
   * Set the `Content-Disposition` header (aiohttp's `set_content_disposition`); see
   * {@link contentDispositionHeader} for the quoting.
   */
  setContentDisposition(
    disptype: string,
    params: Iterable<readonly [string, string]> | Readonly<Record<string, string>> = [],
    options: { quoteFields?: boolean } = {},
  ): void {
    this.headers.set("Content-Disposition", contentDispositionHeader(disptype, params, options));
  }

  /** @internal The part contains a stream (read once). */
  get streaming(): boolean {
    const s = this.#source;
    return s.kind === "stream" || (s.kind === "multipart" && s.writer.streaming);
  }

  /** @internal Take the streams of this part for one encoding; a second claim is a RuntimeError. */
  claim(): void {
    const s = this.#source;
    if (s.kind === "multipart") s.writer.claim();
    if (s.kind !== "stream") return;
    if (s.claimed) throw new RuntimeError("Form data has been processed already");
    s.claimed = true;
  }

  /**
   * Release the part's stream without reading it (aiohttp's `Payload.close`): a Node stream is
   * destroyed, a web `ReadableStream` cancelled, an async generator returned. Other parts: nothing.
   */
  close(): void {
    const s = this.#source;
    if (s.kind === "multipart") s.writer.close();
    else if (s.kind === "stream") closeStream(s.stream);
  }

  /** @internal The header block, CRLF-terminated, UTF-8 encoded. */
  headerBytes(): Buffer {
    let text = "";
    for (const [k, v] of this.headers)
      text += `${checkHeaderName(k)}: ${checkHeaderText(v, `part header ${k}`)}\r\n`;
    return Buffer.from(`${text}\r\n`, "utf8");
  }

  /** @internal The content in memory, or `null` when it has to be read. */
  bytes(): Buffer | null {
    const s = this.#source;
    if (s.kind === "bytes") return s.data;
    if (s.kind === "multipart") return s.writer.bytes();
    return null;
  }

  /**
   * @internal Fix the encodings its headers name (the writer does it on append, as aiohttp's
   * `append_payload` does); true when there is none.
   * @throws {@link RuntimeError} for an unknown encoding.
   */
  fixCodings(): boolean {
    this.#codings = partCodings(
      this.headers.get("Content-Encoding"),
      this.headers.get("Content-Transfer-Encoding"),
    );
    return isIdentity(this.#codings);
  }

  /** @internal The content as written, in memory (encoded); `null` when it has to be read. */
  encodedBytes(): Buffer | null {
    if (isIdentity(this.#codings)) return this.bytes();
    if (this.#encoded === null) {
      const raw = this.bytes();
      // Larger parts are compressed as a stream, on zlib's threads, not on the loop (aiohttp hands
      // anything over 1 KiB to an executor); the body then goes chunked.
      if (raw === null || (this.#codings.content !== null && raw.length > SYNC_ENCODE_LIMIT)) return null;
      this.#encoded = encodeBytes(raw, this.#codings);
    }
    return this.#encoded;
  }

  /** @internal Bytes of the content as written, or `null` when unknown until read. */
  get encodedSize(): number | null {
    if (isIdentity(this.#codings)) return this.size;
    return this.encodedBytes()?.length ?? null;
  }

  /** @internal The content as written, chunk by chunk. */
  encodedChunks(): AsyncGenerator<Buffer, void, undefined> {
    if (isIdentity(this.#codings)) return this.chunks();
    const inMemory = this.encodedBytes();
    if (inMemory !== null) return single(inMemory);
    return encodeChunks(this.chunks(), this.#codings);
  }

  /** @internal The content, chunk by chunk. */
  async *chunks(): AsyncGenerator<Buffer, void, undefined> {
    const s = this.#source;
    if (s.kind === "bytes") yield s.data;
    else if (s.kind === "multipart") yield* s.writer.chunks();
    else if (s.kind === "blob") {
      for await (const chunk of s.blob.stream() as unknown as AsyncIterable<Uint8Array>)
        yield toBuffer(chunk);
    } else {
      for await (const chunk of s.stream) {
        if (typeof chunk === "string") yield Buffer.from(chunk, "utf8");
        else if (chunk instanceof Uint8Array) yield toBuffer(chunk);
        else throw new ArgumentTypeError(`a streamed part produced ${describe(chunk)}, not bytes`);
      }
    }
  }
}

async function* single(data: Buffer): AsyncGenerator<Buffer, void, undefined> {
  yield data;
}

/**
 * Release a stream that will not be read: `destroy()` a Node stream, `cancel()` an unlocked web
 * `ReadableStream`, `return()` an async generator. Errors are ignored (it may already be closed).
 */
export function closeStream(stream: unknown): void {
  const s = stream as {
    destroy?: () => void;
    cancel?: () => Promise<void>;
    locked?: boolean;
    return?: () => Promise<unknown>;
  };
  try {
    if (typeof s.destroy === "function") s.destroy();
    else if (typeof s.cancel === "function") {
      if (s.locked !== true) s.cancel().catch(() => undefined);
    } else if (typeof s.return === "function") Promise.resolve(s.return()).catch(() => undefined);
  } catch {
    // already closed, or not closable: nothing to release
  }
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object" && typeof value !== "function") return `${typeof value} ${String(value)}`;
  return (value as object).constructor?.name ?? "object";
}

/**
 * A multipart body (aiohttp's `MultipartWriter`): `multipart/<subtype>; boundary=…` made of parts.
 * For `form-data`, a part without `Content-Disposition` is named `section-<index>` and parts get no
 * `Content-Length` (RFC 7578); for other subtypes, parts of known size get one.
 * @example
 * ```ts
 * const w = new MultipartWriter("mixed");
 * w.append("hello");
 * w.appendJson({ a: 1 });
 * const { contentType, body, length } = w.encode();
 * ```
 */
export class MultipartWriter implements Iterable<BodyPart> {
  /** The boundary (random 32 hex digits unless given). */
  readonly boundary: string;
  /** The subtype: `mixed`, `form-data`, `related`… */
  readonly subtype: string;
  readonly #parts: BodyPart[] = [];
  readonly #boundaryBytes: Buffer;

  /**
   * @param boundary ASCII, at most 70 characters, no control character.
   * @throws {@link ValueError} for a bad boundary.
   */
  constructor(subtype = "mixed", boundary?: string) {
    boundary ??= randomBytes(16).toString("hex");
    if (typeof boundary !== "string") throw new ArgumentTypeError("boundary must be a string");
    if (/[\x80-\uffff]/.test(boundary)) throw new ValueError("boundary should contain ASCII only chars");
    if (boundary.length === 0 || boundary.length > 70)
      throw new ValueError("boundary must be 1 to 70 characters long");
    if (FORBIDDEN.test(boundary)) throw new ValueError("boundary value contains invalid characters");
    if (!TOKEN.test(subtype)) throw new ValueError(`bad multipart subtype ${JSON.stringify(subtype)}`);
    this.boundary = boundary;
    this.subtype = subtype;
    this.#boundaryBytes = Buffer.from(boundary, "ascii");
  }

  /** `multipart/<subtype>; boundary=<boundary>`, the boundary quoted when it is not a token. */
  get contentType(): string {
    const b = TOKEN.test(this.boundary)
      ? this.boundary
      : `"${this.boundary.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    return `multipart/${this.subtype}; boundary=${b}`;
  }

  /** The parts, in order. */
  get parts(): readonly BodyPart[] {
    return this.#parts;
  }

  /** The parts, in order (aiohttp's `iter(writer)`). */
  [Symbol.iterator](): Iterator<BodyPart> {
    return this.#parts[Symbol.iterator]();
  }

  /**
   * Append a part made of `value` ({@link BodyPart.from}); returns it, so its headers can be
   * changed (e.g. {@link BodyPart.setContentDisposition}).
   */
  append(value: PartValue | BodyPart, headers?: PartHeaders): BodyPart {
    if (value === this) throw new ValueError("a multipart writer cannot contain itself");
    if (value instanceof BodyPart) {
      for (const [k, v] of pairsOf(headers ?? []))
        value.headers.set(checkHeaderName(k), checkHeaderText(v, k));
      return this.appendPart(value);
    }
    return this.appendPart(BodyPart.from(value, headers));
  }

  /** Append a JSON part (`application/json`). */
  appendJson(value: unknown, headers?: PartHeaders): BodyPart {
    return this.appendPart(
      BodyPart.from(JSON.stringify(value), [["Content-Type", "application/json"], ...pairsOf(headers ?? [])]),
    );
  }

  /** Append an `application/x-www-form-urlencoded` part made of pairs or a record. */
  appendForm(
    fields: Iterable<readonly [string, string]> | Readonly<Record<string, string>>,
    headers?: PartHeaders,
  ): BodyPart {
    return this.appendPart(
      BodyPart.from(urlencode(pairsOf(fields), "utf-8"), [
        ["Content-Type", "application/x-www-form-urlencoded"],
        ...pairsOf(headers ?? []),
      ]),
    );
  }

  /** Append a ready part (aiohttp's `append_payload`). */
  appendPart(part: BodyPart): BodyPart {
    const h = part.headers;
    if (this.subtype === "form-data") {
      if (h.has("Content-Length") || h.has("Content-Encoding") || h.has("Content-Transfer-Encoding"))
        throw new ValueError(
          "form-data parts take no Content-Length, Content-Encoding or Content-Transfer-Encoding",
        );
      if (!h.has("Content-Disposition"))
        part.setContentDisposition("form-data", [["name", `section-${this.#parts.length}`]]);
    } else {
      // The length of the content as it is before encoding: only an unencoded part states it.
      const identity = part.fixCodings();
      const size = part.size;
      if (size !== null && identity) h.set("Content-Length", String(size));
    }
    this.#parts.push(part);
    return part;
  }

  /** Total bytes of the body, or `null` when a part is a stream. */
  get size(): number | null {
    let total = 0;
    for (const part of this.#parts) {
      const s = part.encodedSize;
      if (s === null) return null;
      total += 2 + this.#boundaryBytes.length + 2 + part.headerBytes().length + s + 2;
    }
    return total + 2 + this.#boundaryBytes.length + 4;
  }

  /**
   * Release the streams of every part without reading them (aiohttp's `MultipartWriter.close`),
   * e.g. when the request fails before its body is sent.
   */
  close(): void {
    for (const p of this.#parts) p.close();
  }

  /** @internal */
  get streaming(): boolean {
    return this.#parts.some((p) => p.streaming);
  }

  /** @internal */
  claim(): void {
    for (const p of this.#parts) p.claim();
  }

  /** @internal The whole body when every part is in memory, else `null`. */
  bytes(): Buffer | null {
    const out: Buffer[] = [];
    for (const part of this.#parts) {
      const data = part.encodedBytes();
      if (data === null) return null;
      out.push(this.#delimiter(), part.headerBytes(), data, CRLF);
    }
    out.push(this.#closing());
    return Buffer.concat(out);
  }

  /** @internal The body, chunk by chunk. */
  async *chunks(): AsyncGenerator<Buffer, void, undefined> {
    for (const part of this.#parts) {
      yield Buffer.concat([this.#delimiter(), part.headerBytes()]);
      yield* part.encodedChunks();
      yield CRLF;
    }
    yield this.#closing();
  }

  /** `--boundary\r\n`, made once. */
  #delimiterBytes: Buffer | null = null;
  #delimiter(): Buffer {
    this.#delimiterBytes ??= Buffer.from(`--${this.boundary}\r\n`, "ascii");
    return this.#delimiterBytes;
  }

  #closing(): Buffer {
    return Buffer.from(`--${this.boundary}--\r\n`, "ascii");
  }

  /**
   * Encode the body. In memory → one `Buffer`; with Blobs → an async iterable of known length that
   * can be read again; with a stream → an async iterable without length, read once.
   * @throws {@link RuntimeError} when a streamed part was already handed out by an earlier encode
   *   ("Form data has been processed already").
   * @throws {@link ValueError} when a part's header (changed after `append`) holds CR, LF or another
   *   control character.
   */
  encode(): EncodedBody {
    const contentType = this.contentType;
    const data = this.bytes(); // in memory: every header checked on the way
    if (data !== null) return { contentType, body: data, length: data.length };
    for (const part of this.#parts) part.headerBytes(); // refuse a bad header now, not mid-body
    if (!this.streaming)
      return { contentType, body: { [Symbol.asyncIterator]: () => this.chunks() }, length: this.size };
    this.claim();
    let used = false;
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        if (used)
          throw new RuntimeError("Form data has been processed already: a streamed body is read once");
        used = true;
        return this.chunks();
      },
    };
    return { contentType, body, length: null };
  }
}
