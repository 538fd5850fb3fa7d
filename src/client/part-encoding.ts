/**
 * Encodings of one part of a multipart body (aiohttp's `MultipartPayloadWriter`): the part's
 * `Content-Encoding` (`gzip`, `deflate` — raw deflate, as aiohttp sends it — or `identity`) is
 * applied first, then its `Content-Transfer-Encoding` (`base64`, `quoted-printable` or `binary`).
 * A part held in memory is encoded at once (its body keeps a known length); a streamed part is
 * encoded chunk by chunk as it is read.
 * @module
 */
import { Buffer } from "node:buffer";
import { pipeline, Readable } from "node:stream";
import zlib from "node:zlib";
import { RuntimeError } from "../index.js";

/** The encodings a part asks for (`null`: none). */
export interface PartCodings {
  readonly content: "gzip" | "deflate" | null;
  readonly transfer: "base64" | "quoted-printable" | null;
}

/** No encoding at all (the common case; shared). */
export const NO_CODINGS: PartCodings = { content: null, transfer: null };

/**
 * The encodings named by a part's headers (aiohttp's `append_payload` checks).
 * @throws {@link RuntimeError} for an encoding aiohttp does not know either.
 */
export function partCodings(
  contentEncoding: string | undefined,
  transferEncoding: string | undefined,
): PartCodings {
  const ce = (contentEncoding ?? "").trim().toLowerCase();
  if (ce !== "" && ce !== "identity" && ce !== "gzip" && ce !== "deflate")
    throw new RuntimeError(`unknown content encoding: ${ce}`);
  const te = (transferEncoding ?? "").trim().toLowerCase();
  if (te !== "" && te !== "binary" && te !== "base64" && te !== "quoted-printable")
    throw new RuntimeError(`unknown content transfer encoding: ${te}`);
  const content = ce === "gzip" || ce === "deflate" ? ce : null;
  const transfer = te === "base64" || te === "quoted-printable" ? te : null;
  return content === null && transfer === null ? NO_CODINGS : { content, transfer };
}

/** True when the part is sent as it is. */
export function isIdentity(c: PartCodings): boolean {
  return c.content === null && c.transfer === null;
}

/** Encode a part held in memory. */
export function encodeBytes(data: Buffer, c: PartCodings): Buffer {
  let out = data;
  if (c.content === "gzip") out = zlib.gzipSync(out);
  else if (c.content === "deflate") out = zlib.deflateRawSync(out);
  if (c.transfer === "base64") out = Buffer.from(out.toString("base64"), "ascii");
  else if (c.transfer === "quoted-printable") out = quotedPrintable(out);
  return out;
}

/** Encode a streamed part as its chunks arrive. */
export async function* encodeChunks(
  chunks: AsyncIterable<Buffer>,
  c: PartCodings,
): AsyncGenerator<Buffer, void, undefined> {
  const compressed = c.content === null ? chunks : compress(chunks, c.content);
  if (c.transfer === null) {
    yield* compressed;
    return;
  }
  if (c.transfer === "quoted-printable") {
    // Chunk by chunk, as aiohttp's writer does (a soft line break may fall at a chunk's end).
    for await (const chunk of compressed) if (chunk.length > 0) yield quotedPrintable(chunk);
    return;
  }
  // base64 in whole groups of three bytes; the rest waits for the next chunk or the end.
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of compressed) {
    const data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    const whole = data.length - (data.length % 3);
    rest = data.subarray(whole);
    if (whole > 0) yield Buffer.from(data.subarray(0, whole).toString("base64"), "ascii");
  }
  if (rest.length > 0) yield Buffer.from(rest.toString("base64"), "ascii");
}

/** `chunks` through a zlib stream; a failure of the source fails the iteration. */
async function* compress(
  chunks: AsyncIterable<Buffer>,
  encoding: "gzip" | "deflate",
): AsyncGenerator<Buffer> {
  const z = encoding === "gzip" ? zlib.createGzip() : zlib.createDeflateRaw();
  pipeline(Readable.from(chunks), z, () => {
    // An error destroys `z`, which ends the loop below with it.
  });
  for await (const out of z as AsyncIterable<Buffer>) yield out;
}

const MAX_LINE = 76;
const HEX = "0123456789ABCDEF";

/**
 * Quoted-printable encoding of text (RFC 2045 §6.7), with the rules of Python's
 * `binascii.b2a_qp(data)` that aiohttp uses: bytes above 126, `=` and control characters other than
 * tab, CR and LF become `=XX`; a space or tab is encoded at the end of a line and at the end of the
 * data, a lone `.` on a line too; line ends are kept (CRLF if the first line ends with one, else
 * LF); lines are broken with a soft `=` line break before they pass 76 characters.
 */
export function quotedPrintable(data: Uint8Array): Buffer {
  const n = data.length;
  const nl = data.indexOf(0x0a);
  const eol = nl > 0 && data[nl - 1] === 0x0d ? "\r\n" : "\n";
  let out = "";
  let lineLen = 0;
  for (let i = 0; i < n; ) {
    const b = data[i]!;
    const next = i + 1 < n ? data[i + 1]! : -1;
    if (b === 0x0a || (b === 0x0d && next === 0x0a)) {
      // A line end: whitespace just before it would be lost by mail software, so encode it.
      const last = out.charCodeAt(out.length - 1);
      if (out.length > 0 && (last === 0x20 || last === 0x09)) out = `${out.slice(0, -1)}=${hex(last)}`;
      out += eol;
      lineLen = 0;
      i += b === 0x0d ? 2 : 1;
      continue;
    }
    const encode =
      b > 126 ||
      b === 0x3d ||
      (b === 0x2e && lineLen === 0 && (next === -1 || next === 0x0a || next === 0x0d || next === 0)) ||
      ((b === 0x09 || b === 0x20) && next === -1) ||
      (b < 33 && b !== 0x0d && b !== 0x0a && b !== 0x09 && b !== 0x20);
    if (encode) {
      if (lineLen + 3 >= MAX_LINE) {
        out += `=${eol}`;
        lineLen = 0;
      }
      out += `=${hex(b)}`;
      lineLen += 3;
    } else {
      if (next !== -1 && next !== 0x0a && lineLen + 1 >= MAX_LINE) {
        out += `=${eol}`;
        lineLen = 0;
      }
      out += String.fromCharCode(b);
      lineLen++;
    }
    i++;
  }
  return Buffer.from(out, "latin1");
}

function hex(b: number): string {
  return HEX[b >> 4]! + HEX[b & 15]!;
}
