/**
 * Text to bytes for request bodies: a charset Python would accept (as far as Node can write it) and
 * Python's `urlencode` for form bodies. Used by the multipart writer and `FormData`.
 * @module
 */
import { Buffer } from "node:buffer";
import { ValueError } from "../index.js";

/**
 * Encode text in a charset Node can write: UTF-8, Latin-1 (`latin-1`, `iso-8859-1`), ASCII and
 * UTF-16LE. A character the charset cannot hold is an error, as in Python.
 * @throws {@link ValueError} for another charset or an unencodable character.
 */
export function encodeText(text: string, charset: string): Buffer {
  const enc = nodeEncoding(charset);
  const max = enc === "latin1" ? 0xff : enc === "ascii" ? 0x7f : -1;
  if (max !== -1)
    for (let i = 0; i < text.length; i++)
      if (text.charCodeAt(i) > max)
        throw new ValueError(`'${charset}' codec can't encode character at position ${i}`);
  return Buffer.from(text, enc);
}

/** The Node encoding of a charset name (see {@link encodeText}). */
export function nodeEncoding(charset: string): BufferEncoding {
  const c = charset.trim().toLowerCase().replace(/_/g, "-");
  if (c === "utf-8" || c === "utf8") return "utf8";
  if (["latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1", "8859"].includes(c)) return "latin1";
  if (c === "ascii" || c === "us-ascii") return "ascii";
  if (c === "utf-16le" || c === "utf-16-le") return "utf16le";
  throw new ValueError(`unsupported charset: ${JSON.stringify(charset)}`);
}

/**
 * `application/x-www-form-urlencoded` serialization as Python's `urlencode` does it: bytes in
 * `charset`, `A–Z a–z 0–9 _ . - ~` kept, space → `+`, everything else `%XX`.
 */
export function urlencode(pairs: Iterable<readonly [string, string]>, charset: string): string {
  const out: string[] = [];
  for (const [k, v] of pairs) out.push(`${quotePlus(k, charset)}=${quotePlus(v, charset)}`);
  return out.join("&");
}

function quotePlus(text: string, charset: string): string {
  let s = "";
  for (const b of encodeText(text, charset)) {
    if (
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x5f ||
      b === 0x2e ||
      b === 0x2d ||
      b === 0x7e
    )
      s += String.fromCharCode(b);
    else if (b === 0x20) s += "+";
    else s += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return s;
}
