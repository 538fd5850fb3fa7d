/**
 * Form bodies for the client (aiohttp's `aiohttp.FormData`): `application/x-www-form-urlencoded`
 * when every field is plain text, `multipart/form-data` as soon as one needs it (a file name, a
 * content type, bytes, a Blob, a stream) or when asked with `defaultToMultipart`.
 *
 * Differences from aiohttp, and why:
 * - `Content-Disposition` values are escaped as browsers do (HTML standard: `"` → `%22`, CR → `%0D`,
 *   LF → `%0A`, the rest as UTF-8), not percent-encoded as a whole (aiohttp's `filename="my%20file"`
 *   reaches busboy, multer, Django… as the literal `my%20file`: aiohttp issues #3910, #4075, #6826)
 *   and non-ASCII names are sent as UTF-8 (as browsers do), not as RFC 2231 `name*=` (RFC 7578
 *   §4.2 rules out the RFC 5987 `*=` form for file names; form parsers read `name=`).
 *   `quoteFields: false` keeps aiohttp's other mode: `\` and `"` backslash-escaped.
 * - A value of an unsupported type is refused by `addField` (aiohttp fails later, when encoding).
 * - No MIME type is guessed from a stream's file extension (no mimetypes database): streams are
 *   `application/octet-stream` unless `contentType` is given; a Blob/File uses its own `type`.
 * - Charsets are those Node can encode: UTF-8, Latin-1, ASCII, UTF-16LE.
 * - Streamed fields are read once: encoding such a form a second time is a `RuntimeError`
 *   (aiohttp 3.12+ hands back the same writer, whose file payloads it can rewind).
 * @module
 */
import { Buffer } from "node:buffer";
import { basename } from "node:path";
import { ArgumentTypeError, RuntimeError } from "../index.js";
import {
  BodyPart,
  checkHeaderText,
  closeStream,
  describe,
  type EncodedBody,
  MultipartWriter,
  valueKind,
} from "./multipart-writer.js";
import { encodeText, nodeEncoding, urlencode } from "./text-encoding.js";

export type { EncodedBody } from "./multipart-writer.js";
export { BodyPart, contentDispositionHeader, MultipartWriter } from "./multipart-writer.js";

/** A form field's value: text, bytes, a Blob/File, or a stream of bytes (read once). */
export type FormValue = string | Uint8Array | Blob | AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

/** Options of {@link FormData}. */
export interface FormDataOptions {
  /** Escape `Content-Disposition` values as the HTML standard does (default `true`); `false`: backslash-escape `\` and `"`. */
  quoteFields?: boolean;
  /** Charset of text fields (default UTF-8); named in the urlencoded Content-Type when not UTF-8. */
  charset?: string;
  /** Encode as multipart even when every field is plain text (default `false`). */
  defaultToMultipart?: boolean;
  /** The multipart boundary (default: 32 random hex digits). */
  boundary?: string;
}

/** Options of {@link FormData.addField}. */
export interface AddFieldOptions {
  /** The part's Content-Type (makes the form multipart). */
  contentType?: string;
  /** The part's file name (makes the form multipart). */
  filename?: string;
  /** Not supported (deprecated in aiohttp 3, removed in aiohttp 4). */
  contentTransferEncoding?: never;
}

/** What {@link FormData.addFields} takes. */
export type FormFields =
  | readonly [string, FormValue]
  | Iterable<readonly [string, FormValue]>
  | Readonly<Record<string, FormValue>>
  | globalThis.FormData
  | URLSearchParams
  | FormData
  | Blob
  | NodeJS.ReadableStream;

interface Field {
  readonly name: string;
  readonly value: FormValue;
  readonly filename: string | null;
  readonly contentType: string | null;
}

/**
 * A form body to send (aiohttp's `FormData`).
 * @example
 * ```ts
 * const form = new FormData({ user: "ann" });
 * form.addField("avatar", await openAsBlob("a.png"), { filename: "a.png", contentType: "image/png" });
 * const { contentType, body, length } = form.encode(); // multipart/form-data; boundary=…
 * ```
 */
export class FormData {
  readonly #fields: Field[] = [];
  readonly #quoteFields: boolean;
  readonly #charset: string | null;
  readonly #boundary: string;
  #isMultipart: boolean;
  #streamsHandedOut = false;

  /**
   * @param fields pairs, a record, a platform `FormData`, `URLSearchParams`, or anything
   *   {@link FormData.addFields} takes (an array is a list of such records).
   * @throws {@link ArgumentTypeError} for fields of another kind.
   * @throws {@link ValueError} for an unsupported charset or a bad boundary.
   */
  constructor(
    fields?:
      | Iterable<readonly [string, FormValue]>
      | Record<string, FormValue>
      | globalThis.FormData
      | URLSearchParams,
    options: FormDataOptions = {},
  ) {
    this.#quoteFields = options.quoteFields ?? true;
    this.#charset = options.charset ?? null;
    if (this.#charset !== null) nodeEncoding(this.#charset);
    this.#isMultipart = options.defaultToMultipart ?? false;
    this.#boundary = new MultipartWriter("form-data", options.boundary).boundary;
    if (fields === undefined || fields === null) return;
    if (Array.isArray(fields)) this.addFields(...(fields as FormFields[]));
    else this.addFields(fields as FormFields);
  }

  /** Whether {@link FormData.encode} makes `multipart/form-data`. */
  get isMultipart(): boolean {
    return this.#isMultipart;
  }

  /**
   * Add one field. Bytes without `filename` are sent as a file named after the field (aiohttp 3);
   * a File keeps its name and type; a stream is named after its path (`fs.ReadStream`) or the field.
   * @throws {@link ArgumentTypeError} when `name`, `filename` or `contentType` is not a string, or
   *   `value` is of an unsupported type.
   * @throws {@link ValueError} when `name`, `filename` or `contentType` holds CR, LF or another
   *   control character (header injection).
   */
  addField(name: string, value: FormValue, options: AddFieldOptions = {}): void {
    if (typeof name !== "string")
      throw new ArgumentTypeError(`field name must be a string, got ${describe(name)}`);
    checkHeaderText(name, "field name");
    const kind = valueKind(value);
    if (kind === null || kind === "multipart")
      throw new ArgumentTypeError(`Can not serialize value of type ${describe(value)} (field ${name})`);
    const { contentType, filename: given } = options;
    if ((options as { contentTransferEncoding?: unknown }).contentTransferEncoding !== undefined)
      throw new ArgumentTypeError("contentTransferEncoding is not supported (removed in aiohttp 4)");
    let filename: string | null = null;
    if (given !== undefined && given !== null) {
      if (typeof given !== "string")
        throw new ArgumentTypeError(`filename must be a string, got ${describe(given)}`);
      filename = checkHeaderText(given, "filename");
    } else if (kind === "bytes") filename = name;
    else if (kind === "blob") filename = fileName(value) ?? name;
    else if (kind === "stream") filename = streamPath(value) ?? name;
    if (contentType !== undefined && contentType !== null) {
      if (typeof contentType !== "string")
        throw new ArgumentTypeError(`contentType must be a string, got ${describe(contentType)}`);
      checkHeaderText(contentType, "content type");
    }
    if (filename !== null || contentType != null || kind !== "text") this.#isMultipart = true;
    this.#fields.push({ name, value, filename, contentType: contentType ?? null });
  }

  /**
   * Add fields (aiohttp's `add_fields`): `[name, value]` pairs, records, iterables of pairs (a
   * `Map`, a `MultiDict`, `URLSearchParams`), a platform `FormData` (its Files become file parts),
   * another aiots `FormData` (its fields with their options), or a File / `fs.ReadStream` (named
   * after its file, else `unknown`).
   * @throws {@link ArgumentTypeError} for anything else.
   */
  addFields(...fields: FormFields[]): void {
    for (const rec of fields) {
      if (rec instanceof FormData) {
        for (const f of [...rec.#fields])
          this.addField(f.name, f.value, {
            ...(f.filename === null ? {} : { filename: f.filename }),
            ...(f.contentType === null ? {} : { contentType: f.contentType }),
          });
      } else if (isWebFormData(rec)) {
        for (const [k, v] of rec as unknown as Iterable<[string, string | File]>)
          this.addField(k, v, typeof v === "string" ? {} : { filename: v.name });
      } else if (rec instanceof Blob) {
        this.addField(fileName(rec) ?? "unknown", rec);
      } else if (valueKind(rec) === "stream") {
        this.addField(streamPath(rec) ?? "unknown", rec as NodeJS.ReadableStream);
      } else if (Array.isArray(rec) && rec.length === 2) {
        this.addField(rec[0] as string, rec[1] as FormValue);
      } else if (isIterableObject(rec)) {
        for (const pair of rec as Iterable<unknown>) {
          if (!Array.isArray(pair) || pair.length !== 2) throw badRecord(pair);
          this.addField(pair[0] as string, pair[1] as FormValue);
        }
      } else if (isPlainObject(rec)) {
        for (const [k, v] of Object.entries(rec)) this.addField(k, v as FormValue);
      } else throw badRecord(rec);
    }
  }

  /**
   * Encode the form: urlencoded ({@link EncodedBody.body} a `Buffer`) or multipart (see
   * {@link MultipartWriter.encode}). The same form encodes to the same bytes each time (the
   * boundary is chosen once), except that streamed fields can be sent once only.
   * @throws {@link RuntimeError} "Form data has been processed already" when the form has streamed
   *   fields and was encoded before.
   * @throws {@link ValueError} when a text cannot be encoded in the charset.
   */
  encode(): EncodedBody {
    if (!this.#isMultipart) return this.#urlencoded();
    const hasStreams = this.#fields.some((f) => valueKind(f.value) === "stream");
    if (hasStreams && this.#streamsHandedOut) throw new RuntimeError("Form data has been processed already");
    const writer = new MultipartWriter("form-data", this.#boundary);
    for (const f of this.#fields) {
      const headers: [string, string][] = f.contentType === null ? [] : [["Content-Type", f.contentType]];
      const part = BodyPart.from(f.value, headers, this.#charset === null ? {} : { encoding: this.#charset });
      const params: [string, string][] = [["name", f.name]];
      if (f.filename !== null) params.push(["filename", f.filename]);
      part.setContentDisposition("form-data", params, { quoteFields: this.#quoteFields });
      writer.appendPart(part);
    }
    const out = writer.encode();
    if (hasStreams) this.#streamsHandedOut = true;
    return out;
  }

  /**
   * Release the streamed fields without reading them (Node streams destroyed, web streams
   * cancelled, async generators returned), e.g. when the request fails before the body is sent.
   */
  close(): void {
    for (const f of this.#fields) if (valueKind(f.value) === "stream") closeStream(f.value);
  }

  #urlencoded(): EncodedBody {
    const charset = this.#charset ?? "utf-8";
    const pairs = this.#fields.map((f) => [f.name, f.value as string] as const);
    const body = Buffer.from(urlencode(pairs, charset), "ascii");
    const utf8 = nodeEncoding(charset) === "utf8";
    const contentType = utf8
      ? "application/x-www-form-urlencoded"
      : `application/x-www-form-urlencoded; charset=${charset}`;
    return { contentType, body, length: body.length };
  }
}

function fileName(value: unknown): string | null {
  const n = (value as { name?: unknown }).name;
  return typeof n === "string" && n !== "" ? n : null;
}

/** aiohttp's `guess_filename`: the base name of a stream's file path. */
function streamPath(value: unknown): string | null {
  const p = (value as { path?: unknown }).path;
  if (typeof p === "string" && p !== "" && !(p.startsWith("<") && p.endsWith(">"))) return basename(p);
  if (p instanceof Uint8Array) return basename(Buffer.from(p).toString("utf8"));
  return null;
}

/** A WHATWG `FormData`: the global one, or another copy of undici's (the npm package's). */
function isWebFormData(v: unknown): v is globalThis.FormData {
  return (
    v instanceof globalThis.FormData ||
    (typeof v === "object" &&
      v !== null &&
      Object.prototype.toString.call(v) === "[object FormData]" &&
      typeof (v as { entries?: unknown }).entries === "function")
  );
}

function isIterableObject(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    !ArrayBuffer.isView(v) &&
    typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function"
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function badRecord(rec: unknown): ArgumentTypeError {
  return new ArgumentTypeError(
    "Only files, multidicts, records and [name, value] pairs are allowed; use addField() for " +
      `passing more complex parameters, got ${describe(rec)}`,
  );
}

/**
 * Encode the platform's `FormData` (`new FormData()` in Node: undici's) as `fetch` would send it
 * (the HTML standard's multipart/form-data encoding): always multipart; line breaks in names and
 * text values normalized to CRLF; `"`, CR, LF in names and file names escaped as `%22`, `%0D`,
 * `%0A`; text parts without Content-Type; Files as file parts with their name and type
 * (`application/octet-stream` when empty). The length is known (Files are sized) and the body can
 * be read more than once.
 * @throws {@link ArgumentTypeError} when `form` is not a platform `FormData`.
 * @throws {@link ValueError} when a name holds a control character other than CR, LF and TAB.
 */
export function encodeWebFormData(form: globalThis.FormData): EncodedBody {
  if (!isWebFormData(form)) throw new ArgumentTypeError(`expected a FormData, got ${describe(form)}`);
  const writer = new MultipartWriter("form-data");
  const crlf = (s: string): string => s.replace(/\r\n|\r|\n/g, "\r\n");
  for (const [name, value] of form as unknown as Iterable<[string, string | File]>) {
    let part: BodyPart;
    const params: [string, string][] = [["name", crlf(name)]];
    if (typeof value === "string") {
      part = BodyPart.from(encodeText(crlf(value), "utf-8"));
      part.headers.delete("Content-Type");
    } else {
      part = BodyPart.from(value);
      if (value.name) params.push(["filename", value.name]);
    }
    const type = part.headers.get("Content-Type");
    part.headers.delete("Content-Type");
    part.setContentDisposition("form-data", params, { quoteFields: true });
    if (type !== undefined) part.headers.set("Content-Type", type);
    writer.appendPart(part);
  }
  return writer.encode();
}
