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
