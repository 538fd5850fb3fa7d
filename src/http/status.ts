/**
 * Status codes: their reason phrases and which of them never carry a body.
 * @module
 */
import { STATUS_CODES } from "node:http";

/**
 * The standard reason phrase of `status` (`404` → `"Not Found"`), from Node's `http.STATUS_CODES`;
 * `""` for a code it does not know, as aiohttp does.
 *
 * Differences from Python: phrases are Node's, which differ from `http.HTTPStatus` for a few codes
 * (413 `"Payload Too Large"`, 422 `"Unprocessable Entity"` …).
 * @example
 * ```ts
 * reasonFor(200); // "OK"
 * reasonFor(599); // ""
 * ```
 */
export function reasonFor(status: number): string {
  return STATUS_CODES[status] ?? "";
}

/**
 * True for the statuses whose response never has a body (RFC 9110 §6.4.1): 1xx, 204 and 304 —
 * aiohttp's `status_code_must_be_empty_body`. A server sends no body and no `Content-Length` for them.
 */
export function statusMustBeEmptyBody(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}
