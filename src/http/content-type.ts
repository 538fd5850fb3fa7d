/**
 * The `Content-Type` header's two parts that server and client read: the media type and the
 * `charset` parameter.
 */

/**
 * Split a `Content-Type` value into its media type (trimmed, case kept) and its `charset` parameter
 * (unquoted, case kept, as aiohttp's `charset`), or `null` when there is none.
 */
export function splitContentType(value: string): [mediaType: string, charset: string | null] {
  const semi = value.indexOf(";");
  if (semi === -1) return [value.trim(), null];
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(value);
  return [value.slice(0, semi).trim(), m === null ? null : m[1]!];
}

/**
 * A `Content-Type` value as both sides read it: the media type in lower case
 * (`application/octet-stream` when the header is absent or empty, as aiohttp) and the `charset`.
 */
export function parseContentType(value: string | undefined): [mediaType: string, charset: string | null] {
  if (value === undefined || value === "") return ["application/octet-stream", null];
  const [type, charset] = splitContentType(value);
  return [type.toLowerCase(), charset];
}
