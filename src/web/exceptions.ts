/**
 * aiohttp's `web_exceptions`: one class per HTTP status, thrown (or returned) from a handler to
 * answer with that status.
 *
 * ```
 * HTTPException
 * ├── HTTPSuccessful   HTTPOk, HTTPCreated, … HTTPNoContent (no body) …
 * ├── HTTPRedirection  HTTPMove(location) → HTTPFound, HTTPSeeOther …; HTTPNotModified (no body)
 * └── HTTPError
 *     ├── HTTPClientError  HTTPBadRequest, HTTPNotFound, HTTPMethodNotAllowed(method, allowed) …
 *     └── HTTPServerError  HTTPInternalServerError, HTTPBadGateway …
 * ```
 *
 * What a server sends for one: `status`, `reason`, `headers` (validated: a name or value with CR, LF or
 * NUL is refused when set) and `body` (bytes, or `null` for none). Without `text` or `body`, the text
 * is `"404: Not Found"` — except for the `emptyBody` statuses (204, 205, 304), which have none.
 *
 * Differences from aiohttp: the default `Content-Type` is `text/plain; charset=utf-8` (the text is sent
 * as UTF-8); `location` and `link` are strings; a `Location` or `Link` holding CR, LF or NUL throws
 * `ValueError` (aiohttp percent-encodes it); `text` for an empty-body status is kept without a warning.
 * @see https://docs.aiohttp.org/en/stable/web_exceptions.html
 * @module
 */
import { Buffer } from "node:buffer";
import { brand } from "../asyncio/kernel.js";
import { CIMultiDict, checkHeaderValue, checkReason, type LooseHeaders, reasonFor } from "../http/index.js";
import { ArgumentTypeError, ValueError } from "../index.js";

/** Options of every HTTP exception constructor (aiohttp's keyword arguments). */
export interface HTTPExceptionOptions {
  /** Extra headers (pairs, a plain object, `Headers` or a multidict), copied and validated. */
  headers?: LooseHeaders | null;
  /** The reason phrase; default the status's standard one (`"Not Found"`). CR, LF, NUL → `ValueError`. */
  reason?: string | null;
  /** The body as text (sent as UTF-8); default `"<status>: <reason>"` unless `body` is given or the status has no body. */
  text?: string | null;
  /** The body as bytes, instead of `text` (giving both → `ValueError`). */
  body?: Uint8Array | null;
  /** The `Content-Type` header, verbatim; default `text/plain; charset=utf-8` for text, `application/octet-stream` for bytes. */
  contentType?: string | null;
  /** The error that led to this one (`raise HTTPBadRequest() from e`). */
  cause?: unknown;
}

/**
 * Base of every HTTP exception (aiohttp's `HTTPException`). Constructible itself (status `-1`), but
 * throw a concrete subclass. `message` is the reason, as Python's `str(exc)`.
 * @throws {@link ValueError} when the reason or a header is invalid, or both `text` and `body` are given.
 * @example
 * ```ts
 * app.router.addGet("/item/{id}", async (req) => {
 *   const item = await db.find(req.matchInfo.get("id"));
 *   if (item === undefined) throw new web.HTTPNotFound({ text: "no such item" });
 *   if (item.moved) throw new web.HTTPFound(`/item/${item.newId}`);
 *   return web.jsonResponse(item);
 * });
 * ```
 * @see https://docs.aiohttp.org/en/stable/web_exceptions.html
 */
export class HTTPException extends Error {
  /** The status of the class (aiohttp's `status_code`); `-1` for the abstract bases. */
  static readonly statusCode: number = -1;
  /** Whether the status never has a body (204, 205, 304): then there is no default text. */
  static readonly emptyBody: boolean = false;

  /** The standard reason phrase of {@link HTTPException.statusCode} (aiohttp's `default_reason`). */
  static get defaultReason(): string {
    return reasonFor(this.statusCode);
  }

  /** Stable machine-readable code. */
  readonly code: string = "AIOTS_ERR_HTTP";
  /** The reason phrase sent on the status line. */
  readonly reason: string;
  /** The headers to send (validated on every write): `Content-Type`, `Location`, `Allow` … */
  readonly headers: CIMultiDict;
  /** The body as text, or `null` (bytes given, or an empty-body status). */
  readonly text: string | null;
  #body: Uint8Array | null;

  constructor(options: HTTPExceptionOptions = {}) {
    const cls = new.target as typeof HTTPException;
    const reason = options.reason == null ? reasonFor(cls.statusCode) : checkReason(options.reason);
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = cls.name;
    this.reason = reason;
    const body = options.body ?? null;
    let text = options.text ?? null;
    if (text !== null && body !== null) throw new ValueError("only one of text or body can be given");
    if (body !== null && !(body instanceof Uint8Array))
      throw new ArgumentTypeError(`body must be a Uint8Array, got ${typeof body}`);
    if (text === null && body === null && !cls.emptyBody) text = `${cls.statusCode}: ${reason}`;
    this.text = text;
    this.#body = body;
    const headers = new CIMultiDict<string>(options.headers ?? null, { validate: true });
    if (options.contentType != null) headers.set("Content-Type", options.contentType);
    else if (!headers.has("Content-Type") && (text !== null || body !== null))
      headers.set("Content-Type", text !== null ? "text/plain; charset=utf-8" : "application/octet-stream");
    this.headers = headers;
  }

  /** The status code (aiohttp's `status`). */
  get status(): number {
    return (this.constructor as typeof HTTPException).statusCode;
  }

  /** Whether the status never has a body (the class's {@link HTTPException.emptyBody}). */
  get emptyBody(): boolean {
    return (this.constructor as typeof HTTPException).emptyBody;
  }

  /** The bytes to send: `body`, or `text` encoded as UTF-8, or `null` for no body. */
  get body(): Uint8Array | null {
    if (this.#body === null && this.text !== null) this.#body = Buffer.from(this.text, "utf8");
    return this.#body;
  }

  /** The media type of the `Content-Type` header, lowercased and without parameters (`"text/plain"`), or `null`. */
  get contentType(): string | null {
    const value = this.headers.get("Content-Type");
    return value === undefined ? null : value.split(";", 1)[0]!.trim().toLowerCase();
  }
}

/** Base of the 4xx and 5xx exceptions. */
export class HTTPError extends HTTPException {}
/** Base of the 3xx exceptions. */
export class HTTPRedirection extends HTTPException {}
/** Base of the 2xx exceptions. */
export class HTTPSuccessful extends HTTPException {}

/** 200 OK. */
export class HTTPOk extends HTTPSuccessful {
  static override readonly statusCode: number = 200;
}
/** 201 Created. */
export class HTTPCreated extends HTTPSuccessful {
  static override readonly statusCode: number = 201;
}
/** 202 Accepted. */
export class HTTPAccepted extends HTTPSuccessful {
  static override readonly statusCode: number = 202;
}
/** 203 Non-Authoritative Information. */
export class HTTPNonAuthoritativeInformation extends HTTPSuccessful {
  static override readonly statusCode: number = 203;
}
/** 204 No Content (no body). */
export class HTTPNoContent extends HTTPSuccessful {
  static override readonly statusCode: number = 204;
  static override readonly emptyBody: boolean = true;
}
/** 205 Reset Content (no body). */
export class HTTPResetContent extends HTTPSuccessful {
  static override readonly statusCode: number = 205;
  static override readonly emptyBody: boolean = true;
}
/** 206 Partial Content. */
export class HTTPPartialContent extends HTTPSuccessful {
  static override readonly statusCode: number = 206;
}

/**
 * Base of the redirections that need a target: sets the `Location` header.
 * @throws {@link ValueError} when `location` is empty or holds CR, LF, NUL or another forbidden character.
 * @throws {@link ArgumentTypeError} when it is neither a string nor a `URL`.
 */
export class HTTPMove extends HTTPRedirection {
  /** Where to go, as given (a relative reference such as `/login` is fine). */
  readonly location: string;
  constructor(location: string | URL, options?: HTTPExceptionOptions) {
    if (location === undefined || location === null || location === "")
      throw new ValueError("HTTP redirects need a location to redirect to.");
    if (typeof location !== "string" && !(location instanceof URL))
      throw new ArgumentTypeError(`location must be a string or a URL, got ${typeof location}`);
    const target = checkHeaderValue(String(location), "Location");
    super(options);
    this.location = target;
    this.headers.set("Location", target);
  }
}
/** 300 Multiple Choices. */
export class HTTPMultipleChoices extends HTTPMove {
  static override readonly statusCode: number = 300;
}
/** 301 Moved Permanently. */
export class HTTPMovedPermanently extends HTTPMove {
  static override readonly statusCode: number = 301;
}
/** 302 Found: `throw new HTTPFound("/login")`. */
export class HTTPFound extends HTTPMove {
  static override readonly statusCode: number = 302;
}
/** 303 See Other: the redirect to use after a POST (the target is fetched with GET). */
export class HTTPSeeOther extends HTTPMove {
  static override readonly statusCode: number = 303;
}
/** 304 Not Modified (no body, no location). */
export class HTTPNotModified extends HTTPRedirection {
  static override readonly statusCode: number = 304;
  static override readonly emptyBody: boolean = true;
}
/** 305 Use Proxy. */
export class HTTPUseProxy extends HTTPMove {
  static override readonly statusCode: number = 305;
}
/** 307 Temporary Redirect (method and body kept). */
export class HTTPTemporaryRedirect extends HTTPMove {
  static override readonly statusCode: number = 307;
}
/** 308 Permanent Redirect (method and body kept). */
export class HTTPPermanentRedirect extends HTTPMove {
  static override readonly statusCode: number = 308;
}

/** Base of the 4xx exceptions. */
export class HTTPClientError extends HTTPError {}
/** 400 Bad Request. */
export class HTTPBadRequest extends HTTPClientError {
  static override readonly statusCode: number = 400;
}
/** 401 Unauthorized. */
export class HTTPUnauthorized extends HTTPClientError {
  static override readonly statusCode: number = 401;
}
/** 402 Payment Required. */
export class HTTPPaymentRequired extends HTTPClientError {
  static override readonly statusCode: number = 402;
}
/** 403 Forbidden. */
export class HTTPForbidden extends HTTPClientError {
  static override readonly statusCode: number = 403;
}
/** 404 Not Found. */
export class HTTPNotFound extends HTTPClientError {
  static override readonly statusCode: number = 404;
}
/** 405 Method Not Allowed, with the `Allow` header listing `allowedMethods` (sorted, comma-separated). */
export class HTTPMethodNotAllowed extends HTTPClientError {
  static override readonly statusCode: number = 405;
  /** The method that was refused. */
  readonly method: string;
  /** The methods the resource accepts. */
  readonly allowedMethods: Set<string>;
  constructor(method: string, allowedMethods: Iterable<string>, options?: HTTPExceptionOptions) {
    const allowed = [...allowedMethods];
    super(options);
    this.headers.set("Allow", [...allowed].sort().join(","));
    this.method = method;
    this.allowedMethods = new Set(allowed);
  }
}
/** 406 Not Acceptable. */
export class HTTPNotAcceptable extends HTTPClientError {
  static override readonly statusCode: number = 406;
}
/** 407 Proxy Authentication Required. */
export class HTTPProxyAuthenticationRequired extends HTTPClientError {
  static override readonly statusCode: number = 407;
}
/** 408 Request Timeout. */
export class HTTPRequestTimeout extends HTTPClientError {
  static override readonly statusCode: number = 408;
}
/** 409 Conflict. */
export class HTTPConflict extends HTTPClientError {
  static override readonly statusCode: number = 409;
}
/** 410 Gone. */
export class HTTPGone extends HTTPClientError {
  static override readonly statusCode: number = 410;
}
/** 411 Length Required. */
export class HTTPLengthRequired extends HTTPClientError {
  static override readonly statusCode: number = 411;
}
/** 412 Precondition Failed. */
export class HTTPPreconditionFailed extends HTTPClientError {
  static override readonly statusCode: number = 412;
}
/**
 * 413, the request body is larger than the server accepts; default text
 * `"Maximum request body size <maxSize> exceeded, actual body size <actualSize>"`.
 */
export class HTTPRequestEntityTooLarge extends HTTPClientError {
  static override readonly statusCode: number = 413;
  /** The limit, in bytes. */
  readonly maxSize: number;
  /** The size received (so far), in bytes. */
  readonly actualSize: number;
  constructor(maxSize: number, actualSize: number, options: HTTPExceptionOptions = {}) {
    const text =
      options.text === undefined && options.body == null
        ? `Maximum request body size ${maxSize} exceeded, actual body size ${actualSize}`
        : options.text;
    super({ ...options, text });
    this.maxSize = maxSize;
    this.actualSize = actualSize;
  }
}
/** 414 URI Too Long. */
export class HTTPRequestURITooLong extends HTTPClientError {
  static override readonly statusCode: number = 414;
}
/** 415 Unsupported Media Type. */
export class HTTPUnsupportedMediaType extends HTTPClientError {
  static override readonly statusCode: number = 415;
}
/** 416 Range Not Satisfiable. */
export class HTTPRequestRangeNotSatisfiable extends HTTPClientError {
  static override readonly statusCode: number = 416;
}
/** 417 Expectation Failed. */
export class HTTPExpectationFailed extends HTTPClientError {
  static override readonly statusCode: number = 417;
}
/** 421 Misdirected Request. */
export class HTTPMisdirectedRequest extends HTTPClientError {
  static override readonly statusCode: number = 421;
}
/** 422 Unprocessable Entity. */
export class HTTPUnprocessableEntity extends HTTPClientError {
  static override readonly statusCode: number = 422;
}
/** 424 Failed Dependency. */
export class HTTPFailedDependency extends HTTPClientError {
  static override readonly statusCode: number = 424;
}
/** 426 Upgrade Required. */
export class HTTPUpgradeRequired extends HTTPClientError {
  static override readonly statusCode: number = 426;
}
/** 428 Precondition Required. */
export class HTTPPreconditionRequired extends HTTPClientError {
  static override readonly statusCode: number = 428;
}
/** 429 Too Many Requests. */
export class HTTPTooManyRequests extends HTTPClientError {
  static override readonly statusCode: number = 429;
}
/** 431 Request Header Fields Too Large. */
export class HTTPRequestHeaderFieldsTooLarge extends HTTPClientError {
  static override readonly statusCode: number = 431;
}
/**
 * 451 Unavailable For Legal Reasons; `link` (the blocking authority) goes into
 * `Link: <link>; rel="blocked-by"` unless it is `null` or `""`.
 * @throws {@link ArgumentTypeError} when `link` is missing; {@link ValueError} when it holds CR, LF or NUL.
 */
export class HTTPUnavailableForLegalReasons extends HTTPClientError {
  static override readonly statusCode: number = 451;
  /** The blocking authority, or `null`. */
  readonly link: string | null;
  constructor(link: string | URL | null, options?: HTTPExceptionOptions) {
    if (link === undefined)
      throw new ArgumentTypeError("HTTPUnavailableForLegalReasons() missing required argument: 'link'");
    super(options);
    this.link = link === null || link === "" ? null : String(link);
    if (this.link !== null) this.headers.set("Link", `<${this.link}>; rel="blocked-by"`);
  }
}

/** Base of the 5xx exceptions. */
export class HTTPServerError extends HTTPError {}
/** 500 Internal Server Error. */
export class HTTPInternalServerError extends HTTPServerError {
  static override readonly statusCode: number = 500;
}
/** 501 Not Implemented. */
export class HTTPNotImplemented extends HTTPServerError {
  static override readonly statusCode: number = 501;
}
/** 502 Bad Gateway. */
export class HTTPBadGateway extends HTTPServerError {
  static override readonly statusCode: number = 502;
}
/** 503 Service Unavailable. */
export class HTTPServiceUnavailable extends HTTPServerError {
  static override readonly statusCode: number = 503;
}
/** 504 Gateway Timeout. */
export class HTTPGatewayTimeout extends HTTPServerError {
  static override readonly statusCode: number = 504;
}
/** 505 HTTP Version Not Supported. */
export class HTTPVersionNotSupported extends HTTPServerError {
  static override readonly statusCode: number = 505;
}
/** 506 Variant Also Negotiates. */
export class HTTPVariantAlsoNegotiates extends HTTPServerError {
  static override readonly statusCode: number = 506;
}
/** 507 Insufficient Storage. */
export class HTTPInsufficientStorage extends HTTPServerError {
  static override readonly statusCode: number = 507;
}
/** 510 Not Extended. */
export class HTTPNotExtended extends HTTPServerError {
  static override readonly statusCode: number = 510;
}
/** 511 Network Authentication Required. */
export class HTTPNetworkAuthenticationRequired extends HTTPServerError {
  static override readonly statusCode: number = 511;
}

// Cross-realm instanceof (the core's `brand`): another copy of aiots in the process matches too; a
// user's own subclass keeps ordinary instanceof.
for (const [key, cls] of Object.entries({
  HTTPException,
  HTTPError,
  HTTPRedirection,
  HTTPSuccessful,
  HTTPOk,
  HTTPCreated,
  HTTPAccepted,
  HTTPNonAuthoritativeInformation,
  HTTPNoContent,
  HTTPResetContent,
  HTTPPartialContent,
  HTTPMove,
  HTTPMultipleChoices,
  HTTPMovedPermanently,
  HTTPFound,
  HTTPSeeOther,
  HTTPNotModified,
  HTTPUseProxy,
  HTTPTemporaryRedirect,
  HTTPPermanentRedirect,
  HTTPClientError,
  HTTPBadRequest,
  HTTPUnauthorized,
  HTTPPaymentRequired,
  HTTPForbidden,
  HTTPNotFound,
  HTTPMethodNotAllowed,
  HTTPNotAcceptable,
  HTTPProxyAuthenticationRequired,
  HTTPRequestTimeout,
  HTTPConflict,
  HTTPGone,
  HTTPLengthRequired,
  HTTPPreconditionFailed,
  HTTPRequestEntityTooLarge,
  HTTPRequestURITooLong,
  HTTPUnsupportedMediaType,
  HTTPRequestRangeNotSatisfiable,
  HTTPExpectationFailed,
  HTTPMisdirectedRequest,
  HTTPUnprocessableEntity,
  HTTPFailedDependency,
  HTTPUpgradeRequired,
  HTTPPreconditionRequired,
  HTTPTooManyRequests,
  HTTPRequestHeaderFieldsTooLarge,
  HTTPUnavailableForLegalReasons,
  HTTPServerError,
  HTTPInternalServerError,
  HTTPNotImplemented,
  HTTPBadGateway,
  HTTPServiceUnavailable,
  HTTPGatewayTimeout,
  HTTPVersionNotSupported,
  HTTPVariantAlsoNegotiates,
  HTTPInsufficientStorage,
  HTTPNotExtended,
  HTTPNetworkAuthenticationRequired,
}))
  brand(cls, `web.${key}`);
