/**
 * Client WebSockets (aiohttp's `client_ws.ClientWebSocketResponse` and `ClientSession.ws_connect`),
 * on the `ws` package's client.
 *
 * `connectWebSocket` (behind `session.wsConnect`) performs the handshake in the calling task
 * (cancelling the task, or a `timeout()` block around it, drops the connection) and returns a
 * {@link ClientWebSocketResponse}: the same message API as the server's `WebSocketResponse`
 * (`http/ws-channel.ts`), plus `autoclose`.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { ConnectionOptions } from "node:tls";
import { inspect } from "node:util";
import WebSocket from "ws";
import { runInRoot, trackForeign } from "../asyncio/kernel.js";
import { CIMultiDict, CIMultiDictProxy } from "../http/index.js";
import {
  type ChannelSettings,
  channelSettings,
  checkSeconds,
  maxPayloadOf,
  WebSocketChannel,
} from "../http/ws-channel.js";
import { ArgumentTypeError, type EventLoop, Future, getRunningLoop } from "../index.js";
import {
  ClientConnectorError,
  type ConnectionKey,
  dnsOrTlsConnectorError,
  NonHttpUrlClientError,
  type RequestInfo,
  ServerTimeoutError,
  WSServerHandshakeError,
} from "./errors.js";

/** Options of `session.wsConnect(url, options)`. */
export interface WSConnectOptions {
  /** Sub-protocols to offer, preferred first; `protocol` is the one the server chose. */
  protocols?: Iterable<string>;
  /** Seconds between pings; no pong within half of it closes the connection (1006). Default none. */
  heartbeat?: number | null;
  /** Answer pings and drop pongs automatically (default true); false hands them to `receive()`. */
  autoPing?: boolean;
  /**
   * Answer the server's close at once (default true): `receive()` gives CLOSE, then CLOSED. False:
   * `closed` stays false after the CLOSE until `close()` (or the next `receive()`).
   */
  autoclose?: boolean;
  /** Default timeout of `receive()` in seconds (default none). */
  receiveTimeout?: number | null;
  /** Largest message in bytes (default 4 MiB; 0: no limit); a larger one closes with 1009. */
  maxMsgSize?: number;
  /** Offer permessage-deflate (default true). */
  compress?: boolean;
  /** Seconds `close()` waits for the server's close frame before dropping the connection (default 10). */
  timeout?: number;
  /** The `Origin` header. */
  origin?: string;
}

/** @internal Filled by `ClientSession.wsConnect`. */
export interface WSConnectContext {
  /** Request headers (the session's defaults, cookies, the call's own). */
  headers: Record<string, string>;
  /** Seconds the handshake may take (`null`: no limit). */
  handshakeTimeout: number | null;
  /** TLS options of a `wss:` connection. */
  tls?: ConnectionOptions;
  /** Sees the response headers (a refused handshake's too): `Set-Cookie` into the session's jar. */
  onResponseHeaders?: (headers: IncomingHttpHeaders) => void;
}

/** aiohttp's words for what `ws` refuses in a 101 answer. */
const HANDSHAKE_MESSAGES: Record<string, string> = {
  "Invalid Upgrade header": "Invalid upgrade header",
  "Invalid Sec-WebSocket-Accept header": "Invalid challenge response",
};

/** The error of a connection attempt that failed before any HTTP answer. */
function connectorError(key: ConnectionKey, err: Error): Error {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  return (
    dnsOrTlsConnectorError(key, err, code, code) ??
    new ClientConnectorError(key, err, { errno: code || null })
  );
}

/** A fixed `CIMultiDictProxy` of the request's headers. */
function headersProxy(headers: Record<string, string>): CIMultiDictProxy<string> {
  return new CIMultiDictProxy(new CIMultiDict<string>(headers));
}

/**
 * @internal `ClientSession.wsConnect`'s work: open a WebSocket to `url` (`ws:`, `wss:`, or
 * `http:` / `https:` for them); the handshake runs in the calling task.
 * @throws {NonHttpUrlClientError} for another scheme, {@link ValueError} / {@link ArgumentTypeError}
 * for a bad option, {@link WSServerHandshakeError} when the server refuses the upgrade (a status
 * other than 101, bad handshake headers), {@link ClientConnectorError} when the connection fails,
 * {@link ServerTimeoutError} after `context.handshakeTimeout` seconds; a cancellation of the task
 * drops the connection.
 */
export async function connectWebSocket(
  url: URL,
  options: WSConnectOptions,
  context: WSConnectContext,
): Promise<ClientWebSocketResponse> {
  if (!(url instanceof URL))
    throw new ArgumentTypeError(`url must be a URL, got ${inspect(url, { depth: 0 })}`);
  const settings = channelSettings(options);
  const autoclose = options.autoclose ?? true;
  if (typeof autoclose !== "boolean")
    throw new ArgumentTypeError(`autoclose must be a boolean, got ${inspect(autoclose)}`);
  if (options.origin !== undefined && typeof options.origin !== "string")
    throw new ArgumentTypeError(`origin must be a string, got ${inspect(options.origin)}`);
  checkSeconds("handshakeTimeout", context.handshakeTimeout);

  const scheme = url.protocol;
  if (scheme !== "ws:" && scheme !== "wss:" && scheme !== "http:" && scheme !== "https:")
    throw new NonHttpUrlClientError(url.href);
  const secure = scheme === "wss:" || scheme === "https:";
  const target = new URL(url.href);
  target.protocol = secure ? "wss:" : "ws:";
  target.hash = "";
  const key: ConnectionKey = {
    host: target.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(target.port || (secure ? 443 : 80)),
    ssl: secure,
  };
  const requestHeaders: Record<string, string> = { ...context.headers };
  // The sub-protocols are negotiated here, as aiohttp does (a server choosing one that was not
  // offered gives protocol null, not an error), so they are not given to `ws`.
  if (settings.protocols.length > 0) requestHeaders["Sec-WebSocket-Protocol"] = settings.protocols.join(",");
  const requestInfo: RequestInfo = {
    url: target,
    method: "GET",
    headers: headersProxy(requestHeaders),
    realUrl: url,
  };

  const loop = getRunningLoop();
  const fut = new Future<ClientWebSocketResponse>({ loop });
  let response: IncomingMessage | null = null;
  let ws: WebSocket | null = null;
  let protocol: string | null = null;
  const release = trackForeign(loop);
  const fail = (e: Error): void => {
    release();
    if (!fut.done()) fut.setException(e);
  };
  const handshakeError = (message: string, res: IncomingMessage, cause?: unknown): Error =>
    new WSServerHandshakeError(requestInfo, {
      status: res.statusCode ?? 0,
      message,
      headers: new CIMultiDictProxy(CIMultiDict.fromRawHeaders(res.rawHeaders)), // as sent: case and repeats kept
      cause,
    });
  const onError = (err: Error): void => {
    // Before the upgrade: the connection failed. After it: `ws` refused the handshake's headers.
    fail(
      response === null
        ? connectorError(key, err)
        : handshakeError(HANDSHAKE_MESSAGES[err.message] ?? err.message, response, err),
    );
  };
  /** Hand the response headers to the session; what its callback throws fails the handshake. */
  const seeHeaders = (res: IncomingMessage): boolean => {
    response = res;
    try {
      context.onResponseHeaders?.(res.headers);
      return true;
    } catch (e) {
      fail(e as Error);
      ws?.terminate();
      return false;
    }
  };
  const onUpgrade = (res: IncomingMessage): void => {
    if (!seeHeaders(res)) return;
    const chosen = res.headers["sec-websocket-protocol"];
    // Kept from `ws`, which would refuse a protocol it was not told about (see above).
    delete res.headers["sec-websocket-protocol"];
    protocol =
      chosen === undefined
        ? null
        : (chosen
            .split(",")
            .map((p) => p.trim())
            .find((p) => settings.protocols.includes(p)) ?? null);
  };
  const onUnexpected = (_req: unknown, res: IncomingMessage): void => {
    seeHeaders(res);
    const status = res.statusCode ?? 0;
    fail(handshakeError(status === 101 ? "Invalid connection header" : "Invalid response status", res));
    res.resume();
    ws?.terminate();
  };
  const onOpen = (): void => {
    release();
    const w = ws!;
    w.off("error", onError);
    w.off("upgrade", onUpgrade);
    w.off("unexpected-response", onUnexpected);
    // Made here, in the `open` event, so that no message can arrive before it listens.
    const resp = new ClientWebSocketResponse(w, loop, settings, protocol, autoclose);
    if (fut.done())
      resp.abort(); // cancelled meanwhile
    else fut.setResult(resp);
  };
  try {
    ws = runInRoot(
      () =>
        new WebSocket(target, [], {
          ...context.tls,
          headers: requestHeaders,
          perMessageDeflate: settings.compress,
          maxPayload: maxPayloadOf(settings.maxMsgSize),
          autoPong: settings.autoPing,
          followRedirects: false,
          ...(options.origin === undefined ? {} : { origin: options.origin }),
        }),
    );
  } catch (e) {
    release();
    throw e;
  }
  ws.on("error", onError);
  ws.on("upgrade", onUpgrade);
  ws.on("unexpected-response", onUnexpected);
  ws.once("open", onOpen);
  ws.once("close", () => {
    // (`ws` reports every failure with an `error` first: this only makes sure the handshake ends.)
    if (!fut.done()) fail(new ClientConnectorError(key, new Error("Connection closed during handshake")));
  });
  const timer =
    context.handshakeTimeout === null
      ? null
      : loop.callLater(context.handshakeTimeout, () => {
          fail(new ServerTimeoutError(`WebSocket handshake timed out after ${context.handshakeTimeout} s`));
          ws?.terminate();
        });
  try {
    return await fut;
  } catch (e) {
    release();
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    if (fut.done() && !fut.cancelled() && fut.exception() === null) fut.result().abort();
    throw e;
  } finally {
    timer?.cancel();
  }
}

/**
 * A WebSocket connection on the client side (aiohttp's `ClientWebSocketResponse`), from
 * `session.wsConnect(url)`: `receive()` / `for await`, `sendStr()` / `sendBytes()` / `sendJson()`,
 * `ping()`, `close()`; `await using ws = …` closes it.
 *
 * ```ts
 * await using ws = await session.wsConnect("ws://example.com/ws");
 * await ws.sendStr("hello");
 * for await (const msg of ws) if (msg.type === WSMsgType.TEXT) console.log(msg.data);
 * ```
 * @see https://docs.aiohttp.org/en/stable/client_reference.html#clientwebsocketresponse
 */
export class ClientWebSocketResponse extends WebSocketChannel {
  readonly #protocol: string | null;
  readonly #ws: WebSocket;

  /** @internal Made by {@link connectWebSocket} on the handshake's success. */
  constructor(
    ws: WebSocket,
    loop: EventLoop,
    settings: ChannelSettings,
    protocol: string | null,
    autoclose: boolean,
  ) {
    super(ws, loop, settings, {
      autoclose,
      pongTimeoutError: (m) => new ServerTimeoutError(m),
    });
    this.#ws = ws;
    this.#protocol = protocol;
  }

  /** The sub-protocol the server chose among those offered (`null`: none). */
  get protocol(): string | null {
    return this.#protocol;
  }

  /** Whether permessage-deflate was negotiated. */
  get compress(): boolean {
    return this.#ws.extensions.includes("permessage-deflate");
  }

  /** Close (code 1000), as `await using` does. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
