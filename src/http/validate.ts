/**
 * Checks for what goes on the wire: header names and values, reason phrases, status codes.
 *
 * They run where a value is set (a response header, an exception's `Location`, a reason), so a bad
 * value fails in the handler that produced it with a message naming the header — never later, half
 * way through writing a response, and never as a header injection (`"x\r\nSet-Cookie: …"`).
 *
 * Each check returns its argument, so it can wrap an assignment: `this.#reason = checkReason(r)`.
 * @module
 */
import { ArgumentTypeError, ValueError } from "../index.js";

/** RFC 9110 §5.6.2 `token`: the characters a header name may use (and at least one of them). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NOT_TOKEN = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * What a field value or reason phrase may not contain: control characters other than HTAB (CR, LF
 * and NUL among them), DEL, and anything past U+00FF, which Node's HTTP writer cannot send as a
 * byte (it would throw `ERR_INVALID_CHAR` at `writeHead`).
 */
const FORBIDDEN_IN_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

const CHAR_NAMES: Record<string, string> = { "\r": "CR", "\n": "LF", "\0": "NUL", "\x7f": "DEL" };

/** `CR (U+000D)`, `"é" (U+00E9)` … for error messages. */
function describeChar(ch: string): string {
  const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = CHAR_NAMES[ch];
  if (name !== undefined) return `${name} (${code})`;
  return ch.charCodeAt(0) < 0x20 ? `a control character (${code})` : `${JSON.stringify(ch)} (${code})`;
}

/**
 * Check a header (field) name: a non-empty RFC 9110 token.
 *
 * @returns `name`, unchanged.
 * @throws {@link ArgumentTypeError} when `name` is not a string.
 * @throws {@link ValueError} when it is empty or holds a character outside the token set
 *   (space, `:`, CR, LF, NUL, non-ASCII …); the message names the character and its index.
 * @example
 * ```ts
 * checkHeaderName("X-Request-Id"); // ok
 * checkHeaderName("X Request");    // ValueError: Invalid header name "X Request": " " (U+0020) at index 1 …
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.1
 */
export function checkHeaderName(name: string): string {
  if (typeof name !== "string")
    throw new ArgumentTypeError(`header name must be a string, got ${typeof name}`);
  if (TOKEN.test(name)) return name;
  if (name.length === 0) throw new ValueError("Invalid header name: it must not be empty");
  const at = name.search(NOT_TOKEN);
  throw new ValueError(
    `Invalid header name ${JSON.stringify(name)}: ${describeChar(name[at]!)} at index ${at} is not allowed ` +
      "(a header name is an RFC 9110 token)",
  );
}

/**
 * Check a header (field) value: no CR, LF, NUL or other control character except HTAB, no DEL, and
 * no character past U+00FF (encode those first, e.g. with `encodeURIComponent` or RFC 8187).
 *
 * @param name The header the value is for, named in the error message.
 * @returns `value`, unchanged.
 * @throws {@link ArgumentTypeError} when `value` is not a string.
 * @throws {@link ValueError} naming the header, the character and its index.
 * @example
 * ```ts
 * checkHeaderValue("/next\r\nSet-Cookie: a=b", "Location");
 * // ValueError: Invalid value for header "Location": CR (U+000D) at index 5 is not allowed …
 * ```
 */
export function checkHeaderValue(value: string, name = "?"): string {
  if (typeof value !== "string")
    throw new ArgumentTypeError(
      `value of header ${JSON.stringify(name)} must be a string, got ${typeof value}`,
    );
  const at = value.search(FORBIDDEN_IN_VALUE);
  if (at === -1) return value;
  throw new ValueError(
    `Invalid value for header ${JSON.stringify(name)}: ${describeChar(value[at]!)} at index ${at} is not allowed ` +
      "(no CR, LF, NUL or other control character, nothing past U+00FF)",
  );
}

/**
 * Check a reason phrase (the text after the status code): the same rule as a header value.
 *
 * @returns `reason`, unchanged.
 * @throws {@link ArgumentTypeError} when `reason` is not a string.
 * @throws {@link ValueError} when it holds CR, LF, NUL or another forbidden character.
 */
export function checkReason(reason: string): string {
  if (typeof reason !== "string")
    throw new ArgumentTypeError(`reason must be a string, got ${typeof reason}`);
  const at = reason.search(FORBIDDEN_IN_VALUE);
  if (at === -1) return reason;
  throw new ValueError(
    `Invalid reason phrase ${JSON.stringify(reason)}: ${describeChar(reason[at]!)} at index ${at} is not allowed`,
  );
}

/**
 * Check a status code: an integer from 100 to 999 (three digits on the status line).
 *
 * @returns `status`, unchanged.
 * @throws {@link ArgumentTypeError} when `status` is not a number.
 * @throws {@link ValueError} when it is not an integer in 100–999.
 */
export function checkStatus(status: number): number {
  if (typeof status !== "number")
    throw new ArgumentTypeError(`status must be a number, got ${typeof status}`);
  if (Number.isInteger(status) && status >= 100 && status <= 999) return status;
  throw new ValueError(`Invalid status code ${status}: it must be an integer from 100 to 999`);
}
