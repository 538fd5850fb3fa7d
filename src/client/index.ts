/**
 * aiots/client — aiohttp's client: `ClientSession` on undici, with cookies, redirects, timeouts,
 * tracing and WebSockets.
 *
 * ```ts
 * import * as asyncio from "aiots";
 * import { ClientSession } from "aiots/client";
 *
 * await asyncio.run(async () => {
 *   await using session = new ClientSession();
 *   await using res = await session.get("http://127.0.0.1:9999/555");
 *   console.log(res.status, await res.text());
 * });
 * ```
 * @packageDocumentation
 */

export {
  WebSocketError,
  WSCloseCode,
  type WSMessage,
  WSMessageTypeError,
  WSMsgType,
} from "../http/ws-message.js";
export { VERSION } from "../version.js";
export { TCPConnector, type TCPConnectorOptions } from "./connector.js";
export {
  type AbstractCookieJar,
  type ClearCookiePredicate,
  CookieJar,
  type CookieJarOptions,
  type CookiesInit,
  DummyCookieJar,
  type Morsel,
} from "./cookiejar.js";
export {
  ClientConnectionError,
  ClientConnectionResetError,
  ClientConnectorCertificateError,
  ClientConnectorDNSError,
  ClientConnectorError,
  ClientConnectorSSLError,
  ClientError,
  ClientHttpProxyError,
  ClientOSError,
  type ClientOSErrorOptions,
  ClientPayloadError,
  ClientProxyConnectionError,
  ClientResponseError,
  type ClientResponseErrorOptions,
  type ConnectionKey,
  ConnectionTimeoutError,
  ContentTypeError,
  InvalidURL,
  InvalidUrlClientError,
  InvalidUrlRedirectClientError,
  NonHttpUrlClientError,
  NonHttpUrlRedirectClientError,
  RedirectClientError,
  type RequestInfo,
  ServerConnectionError,
  ServerDisconnectedError,
  ServerTimeoutError,
  SocketTimeoutError,
  TooManyRedirects,
  WSServerHandshakeError,
} from "./errors.js";
export {
  type AddFieldOptions,
  BodyPart,
  contentDispositionHeader,
  type EncodedBody,
  FormData,
  type FormDataOptions,
  type FormFields,
  type FormValue,
  MultipartWriter,
} from "./formdata.js";
export type { PartHeaders, PartValue } from "./multipart-writer.js";
export { BasicAuth, type Params, type RequestData } from "./request.js";
export { ClientResponse, type FallbackCharsetResolver } from "./response.js";
export { ClientSession } from "./session.js";
export type { ClientSessionOptions, RaiseForStatus, RequestOptions } from "./session-options.js";
export { ClientTimeout, type ClientTimeoutOptions } from "./timeout.js";
export {
  type TraceCallback,
  type TraceChunkParams,
  TraceConfig,
  type TraceConnectionParams,
  type TraceRequestEndParams,
  type TraceRequestExceptionParams,
  type TraceRequestHeadersSentParams,
  type TraceRequestRedirectParams,
  type TraceRequestStartParams,
  TraceSignal,
} from "./tracing.js";
export { ClientWebSocketResponse, type WSConnectOptions } from "./ws.js";
