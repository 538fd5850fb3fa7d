/**
 * The client's errors: aiohttp's `client_exceptions` tree.
 *
 * ```
 * ClientError
 * ├── ClientResponseError (status, requestInfo, history, headers)
 * │   ├── ContentTypeError, TooManyRedirects, WSServerHandshakeError, ClientHttpProxyError
 * ├── ClientConnectionError
 * │   ├── ClientOSError (also an aiots OSError)
 * │   │   └── ClientConnectorError (host, port) ── ClientConnectorDNSError, ClientConnectorSSLError,
 * │   │                                            ClientConnectorCertificateError, ClientProxyConnectionError
 * │   ├── ClientConnectionResetError (also a ConnectionResetError)
 * │   └── ServerConnectionError
 * │       ├── ServerDisconnectedError
 * │       └── ServerTimeoutError (also a TimeoutError) ── ConnectionTimeoutError, SocketTimeoutError
 * ├── ClientPayloadError
 * └── InvalidURL (also a ValueError) ── InvalidUrlClientError, NonHttpUrlClientError,
 *                                       RedirectClientError ── InvalidUrlRedirectClientError, NonHttpUrlRedirectClientError
 * ```
 * A second base (Python's multiple inheritance) is a brand: `e instanceof TimeoutError` and
 * `e instanceof ServerConnectionError` are both true of a {@link ServerTimeoutError}.
 */
import { addBrand, brand } from "../asyncio/kernel.js";
import type { CIMultiDictProxy } from "../http/index.js";
import { TimeoutError } from "../index.js";

/** What was asked: aiohttp's `RequestInfo`. `realUrl` keeps the fragment, `url` does not. */
export interface RequestInfo {
  readonly url: URL;
  readonly method: string;
  readonly headers: CIMultiDictProxy<string>;
  readonly realUrl: URL;
}

/** Base of every client error. */
export class ClientError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = new.target.name;
  }
}
brand(ClientError, "client.ClientError");

/** Options of {@link ClientResponseError}. */
export interface ClientResponseErrorOptions extends ErrorOptions {
  status?: number;
  message?: string;
  headers?: CIMultiDictProxy<string> | null;
  history?: readonly unknown[];
}

/** A response that is an error: a status ≥ 400 with `raiseForStatus`, a bad content type … */
export class ClientResponseError extends ClientError {
  /** The request that got this response, or `null`. */
  readonly requestInfo: RequestInfo | null;
  /** The responses of the redirects before it (`ClientResponse` objects). */
  readonly history: readonly unknown[];
  /** The HTTP status (0 when there was none). */
  readonly status: number;
  /**
   * The reason phrase or what went wrong — aiohttp's `message` attribute (`message` here is the
   * error's whole text, as every JS error's is).
   */
  readonly reason: string;
  /** The response's headers, or `null`. */
  readonly headers: CIMultiDictProxy<string> | null;

  constructor(requestInfo: RequestInfo | null, options: ClientResponseErrorOptions = {}) {
    const status = options.status ?? 0;
    const message = options.message ?? "";
    const url = requestInfo === null ? "" : `, url='${requestInfo.realUrl.href}'`;
    super(`${status}, message='${message}'${url}`, options);
    this.reason = message;
    this.requestInfo = requestInfo;
    this.history = options.history ?? [];
    this.status = status;
    this.headers = options.headers ?? null;
  }
}
brand(ClientResponseError, "client.ClientResponseError");

/** `json()` of a response whose Content-Type is not JSON. */
export class ContentTypeError extends ClientResponseError {}
brand(ContentTypeError, "client.ContentTypeError");

/** More redirects than `maxRedirects`. */
export class TooManyRedirects extends ClientResponseError {}
brand(TooManyRedirects, "client.TooManyRedirects");

/** The server refused the WebSocket handshake (not a 101, or bad handshake headers). */
export class WSServerHandshakeError extends ClientResponseError {}
brand(WSServerHandshakeError, "client.WSServerHandshakeError");

/** The proxy answered a `CONNECT` with an error status. */
export class ClientHttpProxyError extends ClientResponseError {}
brand(ClientHttpProxyError, "client.ClientHttpProxyError");

/** Base of the connection errors. */
export class ClientConnectionError extends ClientError {}
brand(ClientConnectionError, "client.ClientConnectionError");

/** Options of {@link ClientOSError}. */
export interface ClientOSErrorOptions extends ErrorOptions {
  errno?: string | null;
  syscall?: string | null;
}

/** A system call failed (also an aiots `OSError`, with its `errno` and `syscall`). */
export class ClientOSError extends ClientConnectionError {
  /** Node's error code (`"ECONNREFUSED"` …), or `null`. */
  readonly errno: string | null;
  /** The system call that failed, or `null`. */
  readonly syscall: string | null;
  constructor(message?: string, options: ClientOSErrorOptions = {}) {
    super(message, options);
    this.errno = options.errno ?? null;
    this.syscall = options.syscall ?? null;
  }
}
brand(ClientOSError, "client.ClientOSError");
addBrand(ClientOSError, "OSError");

/** Where a connection was attempted. */
export interface ConnectionKey {
  readonly host: string;
  readonly port: number;
  readonly ssl: boolean;
}

/** Connecting to the server failed (refused, unreachable, name not found, TLS …). */
export class ClientConnectorError extends ClientOSError {
  /** The host, port and scheme of the attempt. */
  readonly connectionKey: ConnectionKey;
  constructor(connectionKey: ConnectionKey, cause: unknown, options: ClientOSErrorOptions = {}) {
    const e = cause as NodeJS.ErrnoException | undefined;
    const what = e?.message ?? String(cause);
    super(
      `Cannot connect to host ${connectionKey.host}:${connectionKey.port} ssl:${connectionKey.ssl ? "default" : "false"} [${what}]`,
      {
        cause,
        errno: options.errno ?? (typeof e?.code === "string" ? e.code : null),
        syscall: options.syscall ?? e?.syscall ?? null,
      },
    );
    this.connectionKey = connectionKey;
  }
  /** The host connected to. */
  get host(): string {
    return this.connectionKey.host;
  }
  /** The port connected to. */
  get port(): number {
    return this.connectionKey.port;
  }
  /** Whether it was a TLS connection. */
  get ssl(): boolean {
    return this.connectionKey.ssl;
  }
}
brand(ClientConnectorError, "client.ClientConnectorError");

/** The host name could not be resolved. */
export class ClientConnectorDNSError extends ClientConnectorError {}
brand(ClientConnectorDNSError, "client.ClientConnectorDNSError");

/** The TLS handshake failed. */
export class ClientConnectorSSLError extends ClientConnectorError {}
brand(ClientConnectorSSLError, "client.ClientConnectorSSLError");

/** The server's certificate was refused. */
export class ClientConnectorCertificateError extends ClientConnectorSSLError {}
brand(ClientConnectorCertificateError, "client.ClientConnectorCertificateError");

/** Connecting to the proxy failed. */
export class ClientProxyConnectionError extends ClientConnectorError {}
brand(ClientProxyConnectionError, "client.ClientProxyConnectionError");

/** The connection was reset (also a `ConnectionResetError`). */
export class ClientConnectionResetError extends ClientConnectionError {}
brand(ClientConnectionResetError, "client.ClientConnectionResetError");
addBrand(ClientConnectionResetError, "ConnectionResetError");
addBrand(ClientConnectionResetError, "ConnectionError");
addBrand(ClientConnectionResetError, "OSError");

/** The server's side of the connection failed. */
export class ServerConnectionError extends ClientConnectionError {}
brand(ServerConnectionError, "client.ServerConnectionError");

/** The server closed the connection before the response was complete. */
export class ServerDisconnectedError extends ServerConnectionError {
  constructor(message = "Server disconnected", options?: ErrorOptions) {
    super(message, options);
  }
}
brand(ServerDisconnectedError, "client.ServerDisconnectedError");

/**
 * A client timeout expired (`ClientTimeout`): also an aiots `TimeoutError`, so `timeout()` blocks
 * and `except TimeoutError` ports catch it.
 */
export class ServerTimeoutError extends TimeoutError {
  override readonly code: string = "AIOTS_ERR_CLIENT_TIMEOUT";
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
brand(ServerTimeoutError, "client.ServerTimeoutError");
for (const base of ["ServerConnectionError", "ClientConnectionError", "ClientError"])
  addBrand(ServerTimeoutError, `client.${base}`);

/** `connect` or `sockConnect` expired while connecting. */
export class ConnectionTimeoutError extends ServerTimeoutError {}
brand(ConnectionTimeoutError, "client.ConnectionTimeoutError");

/** `sockRead` expired while waiting for data. */
export class SocketTimeoutError extends ServerTimeoutError {}
brand(SocketTimeoutError, "client.SocketTimeoutError");

/** The response body was malformed or cut short (truncated, wrong `Content-Length`, bad encoding). */
export class ClientPayloadError extends ClientError {}
brand(ClientPayloadError, "client.ClientPayloadError");

/** A URL that cannot be requested (also a `ValueError`). `url` is what was given. */
export class InvalidURL extends ClientError {
  /** The URL as given. */
  readonly url: string;
  /** Why, when known. */
  readonly description: string | null;
  constructor(url: unknown, description: string | null = null, options?: ErrorOptions) {
    super(description === null ? String(url) : `${String(url)} - ${description}`, options);
    this.url = String(url);
    this.description = description;
  }
}
brand(InvalidURL, "client.InvalidURL");
addBrand(InvalidURL, "ValueError");

/** The request's URL is invalid. */
export class InvalidUrlClientError extends InvalidURL {}
brand(InvalidUrlClientError, "client.InvalidUrlClientError");

/** The request's URL is not http(s) (or ws(s) for `wsConnect`). */
export class NonHttpUrlClientError extends InvalidURL {}
brand(NonHttpUrlClientError, "client.NonHttpUrlClientError");

/** A redirect's `Location` cannot be followed. */
export class RedirectClientError extends InvalidURL {}
brand(RedirectClientError, "client.RedirectClientError");

/** A redirect's `Location` is not a valid URL. */
export class InvalidUrlRedirectClientError extends RedirectClientError {}
brand(InvalidUrlRedirectClientError, "client.InvalidUrlRedirectClientError");

/** A redirect's `Location` is not http(s). */
export class NonHttpUrlRedirectClientError extends RedirectClientError {}
brand(NonHttpUrlRedirectClientError, "client.NonHttpUrlRedirectClientError");

/** Node's error codes of a name that did not resolve. */
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NONAME", "EAI_NODATA"]);

/**
 * @internal The DNS, certificate or TLS error class for a connection attempt that failed with
 * `base` (`code`: the error's own code, `sysCode`: its system cause's), else `null` — shared by HTTP
 * requests and WebSocket connects, so one failure has one class on both.
 */
export function dnsOrTlsConnectorError(
  key: ConnectionKey,
  base: Error,
  code: string,
  sysCode: string,
): ClientConnectorError | null {
  if (DNS_CODES.has(sysCode)) return new ClientConnectorDNSError(key, base, { errno: sysCode });
  if (code.startsWith("ERR_TLS_CERT") || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(sysCode))
    return new ClientConnectorCertificateError(key, base, { errno: sysCode });
  if (code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS") || sysCode.startsWith("ERR_SSL"))
    return new ClientConnectorSSLError(key, base, { errno: sysCode });
  return null;
}
