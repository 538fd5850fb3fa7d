/**
 * Server-side WebSockets (aiohttp's `web_ws.WebSocketResponse`), on the `ws` package in `noServer`
 * mode.
 *
 * The HTTP upgrade arrives on the Node server's `upgrade` event; the server routes it like any
 * request, with a detached `ServerResponse` bound to the socket (so that a handler that is not a
 * WebSocket one answers with a plain HTTP response). `await ws.prepare(request)` performs the
 * handshake on that socket; the message API (`receive()`, `send*()`, `close()` …) is the
 * `WebSocketChannel`'s of `http/ws-channel.ts`, shared with the client. The socket is closed when the
 * handler ends: 1000 when it returns, 1011 when it fails, 1001 when it is cancelled or the server
 * shuts down.
 */
import { type IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { LazyOp } from "../asyncio/kernel.js";
import {
  type ChannelSettings,
  channelSettings,
  checkSeconds,
  maxPayloadOf,
  WebSocketChannel,
} from "../http/ws-channel.js";
import { WSCloseCode, type WSMessage } from "../http/ws-message.js";
import { type Awaitable, ConnectionResetError, currentTask, RuntimeError, type Task } from "../index.js";
import { HTTPBadRequest, HTTPMethodNotAllowed } from "./exceptions.js";
import type { Request } from "./request.js";
import { StreamResponse } from "./response.js";

export {
  WebSocketError,
  WSCloseCode,
  type WSMessage,
  WSMessageTypeError,
  WSMsgType,
} from "../http/ws-message.js";

/** Options of {@link WebSocketResponse}. */
export interface WebSocketResponseOptions {
  /** Sub-protocols the server speaks, preferred first; the first one the client offers is chosen. */
  protocols?: Iterable<string>;
  /** Seconds between pings; no pong within half of it closes the connection (1006). Default none. */
  heartbeat?: number | null;
  /** Answer pings and drop pongs automatically (default true); false hands them to `receive()`. */
  autoPing?: boolean;
  /** Default timeout of `receive()` in seconds (default none). */
  receiveTimeout?: number | null;
  /** Largest message in bytes (default 4 MiB; 0: no limit); a larger one closes with 1009. */
  maxMsgSize?: number;
  /** Negotiate permessage-deflate (default true). */
  compress?: boolean;
  /** Seconds `close()` waits for the peer's close frame before dropping the connection (default 10). */
  timeout?: number;
}

/** `receive()` calls after the close before it throws (aiohttp's THRESHOLD_CONNLOST_ACCESS). */
const CLOSED_READS_LIMIT = 5;

/** The socket and head kept from the `upgrade` event, by Node request. */
const upgrades = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer; res: ServerResponse }>();
/** Open WebSockets by request (for the server's shutdown). */
const openSockets = new WeakMap<Request<any>, WebSocketResponse>();

/**
 * @internal The server's `upgrade` listener: a `ServerResponse` writing on the upgraded socket
 * (closed once a plain HTTP answer is written), and the socket kept for `prepare()`.
 */
export function upgradeResponse(req: IncomingMessage, socket: Duplex, head: Buffer): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  // Node removed its own listeners from an upgraded socket: an error (a reset) must not go unhandled.
  socket.on("error", ignore);
  res.once("finish", () => (socket as Socket).destroySoon());
  upgrades.set(req, { socket, head, res });
  return res;
}

function ignore(): void {}

/** @internal Called by the server's shutdown: close the request's WebSocket with 1001. */
export function closeForShutdown(request: Request<any>): void {
  openSockets.get(request)?.closeNow(WSCloseCode.GOING_AWAY, "server shutdown");
}

/**
 * A WebSocket connection on the server side: create it in a handler, `await ws.prepare(request)`,
 * exchange messages, return it.
 *
 * ```ts
 * app.router.addGet("/ws", async (request) => {
 *   const ws = new web.WebSocketResponse();
 *   await ws.prepare(request);
 *   for await (const msg of ws) if (msg.type === web.WSMsgType.TEXT) await ws.sendStr(msg.data);
 *   return ws;
 * });
 * ```
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#websocketresponse
 */
export class WebSocketResponse extends StreamResponse {
  readonly #settings: ChannelSettings;
  #channel: WebSocketChannel | null = null;
  #protocol: string | null = null;

  constructor(options: WebSocketResponseOptions = {}) {
    const settings = channelSettings(options);
    super({ status: 101 });
    this.#settings = settings;
  }

  /** The negotiated sub-protocol (`null`: none). */
  get wsProtocol(): string | null {
    return this.#protocol;
  }

  /** True once a close frame was sent or received. */
  get closed(): boolean {
    return this.#channel?.closed ?? false;
  }

  /** The close code, once closed (`null` before). */
  get closeCode(): number | null {
    return this.#channel?.closeCode ?? null;
  }

  /** The error that closed the connection (an oversize message, a missed pong …), or `null`. */
  exception(): Error | null {
    return this.#channel?.exception() ?? null;
  }

  /**
   * Whether `request` can be upgraded: `{ ok, protocol }` (aiohttp's `can_prepare`), without
   * performing the handshake.
   */
  canPrepare(request: Request<any>): { ok: boolean; protocol: string | null } {
    try {
      return { ok: true, protocol: this.#check(request) };
    } catch {
      return { ok: false, protocol: null };
    }
  }

  /** The handshake checks (aiohttp's `_handshake`); returns the protocol to choose. */
  #check(request: Request<any>): string | null {
    if (request.method !== "GET") throw new HTTPMethodNotAllowed(request.method, ["GET"]);
    const h = request.raw.headers;
    const upgrade = h.upgrade ?? "";
    if (
      !upgrade
        .toLowerCase()
        .split(/\s*,\s*/)
        .includes("websocket")
    )
      throw new HTTPBadRequest({
        text: `No WebSocket UPGRADE hdr: ${upgrade}\n Can "Upgrade" only to "WebSocket".`,
      });
    const connection = h.connection ?? "";
    if (
      !connection
        .toLowerCase()
        .split(/\s*,\s*/)
        .includes("upgrade")
    )
      throw new HTTPBadRequest({ text: `No CONNECTION upgrade hdr: ${connection}` });
    const version = h["sec-websocket-version"];
    if (version !== "13" && version !== "8")
      throw new HTTPBadRequest({ text: `Unsupported version: ${version ?? ""}` });
    const key = h["sec-websocket-key"];
    if (key === undefined || !/^[+/0-9A-Za-z]{22}==$/.test(key))
      throw new HTTPBadRequest({ text: `Handshake error: ${key ?? ""}` });
    const offered = (h["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    return this.#settings.protocols.find((p) => offered.includes(p)) ?? null;
  }

  /**
   * Perform the handshake (status 101) on the request's upgraded connection. Idempotent.
   * @throws {HTTPBadRequest} when the request is not a valid WebSocket upgrade,
   * {@link HTTPMethodNotAllowed} for a method other than GET.
   */
  override async prepare(request: Request<any>): Promise<void> {
    this.prepareNow(request);
  }

  /** @internal The handshake (synchronous: `ws` completes it in the call). */
  override prepareNow(request: Request<any>): void {
    if (this.#channel !== null) return;
    if (this.prepared) throw new RuntimeError("The WebSocket response was already prepared");
    const protocol = this.#check(request);
    const up = upgrades.get(request.raw);
    if (up === undefined)
      throw new RuntimeError("Cannot prepare a WebSocket for a request without a connection");
    const { socket, head, res } = up;
    if (res.headersSent) throw new RuntimeError("Another response was already sent for this request");
    if (socket.destroyed || !socket.readable || !socket.writable)
      throw new ConnectionResetError("The client went away before the WebSocket handshake");
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: maxPayloadOf(this.#settings.maxMsgSize),
      perMessageDeflate: this.#settings.compress,
      autoPong: this.#settings.autoPing,
      handleProtocols: () => protocol ?? false,
    });
    const extra = this.flatHeaders();
    wss.on("headers", (headers: string[]) => {
      for (let i = 0; i < extra.length; i += 2) headers.push(`${extra[i]}: ${extra[i + 1]}`);
    });
    let clientError: Error | null = null;
    wss.on("wsClientError", (e: Error) => {
      clientError = e;
    });
    let ws: WebSocket | null = null;
    wss.handleUpgrade(request.raw, socket, head, (w) => {
      ws = w;
    });
    if (ws === null)
      throw new HTTPBadRequest({ text: `Handshake error: ${(clientError as Error | null)?.message}` });
    // The socket is the WebSocket's now: the request's ServerResponse must never write on it. What
    // the server still sends through it ends the WebSocket: its own end (1000), or the error
    // response of a failed handler (1011).
    res.detachSocket(socket as Socket);
    let status = 200;
    const fake = res as unknown as { writeHead(s: number): unknown; end(): unknown };
    fake.writeHead = (s: number) => {
      status = s;
      return res;
    };
    fake.end = () => {
      if (status >= 500) this.closeNow(WSCloseCode.INTERNAL_ERROR, "internal error");
      else this.closeNow(WSCloseCode.OK, "");
      return res;
    };
    upgrades.delete(request.raw);
    this.nodeResponse = res;
    this.#protocol = protocol;
    // The server sees a connection that is gone once the transport is (a ConnectionResetError is
    // then no error of its).
    this.#channel = new WebSocketChannel(ws, request.context.loop, this.#settings, {
      closedReadsLimit: CLOSED_READS_LIMIT,
      onTransportClose: () => res.destroy(),
    });
    openSockets.set(request, this);
    const task = currentTask() ?? request.handlerTask;
    if (task !== null) task.addDoneCallback((t) => this.#handlerDone(t));
  }

  #handlerDone(task: Task<unknown>): void {
    if (this.closed) return;
    if (task.cancelled()) this.closeNow(WSCloseCode.GOING_AWAY, "handler cancelled");
    else if (task.exception() !== null && task.exception() !== undefined)
      this.closeNow(WSCloseCode.INTERNAL_ERROR, "internal error");
    else this.closeNow(WSCloseCode.OK, "");
  }

  /** The channel, once prepared. @throws {RuntimeError} before. */
  #open(): WebSocketChannel {
    const ch = this.#channel;
    if (ch === null) throw new RuntimeError("Call .prepare() first");
    return ch;
  }

  /** @internal Start the close (no waiting): the peer gets `timeout` seconds to answer. */
  closeNow(code: number, reason: string | Uint8Array): void {
    this.#channel?.closeNow(code, reason);
  }

  /**
   * Close: send a close frame and wait (up to `timeout` seconds) for the peer's. Returns false when
   * the connection was already closed.
   */
  async close(options: { code?: number; message?: string | Uint8Array } = {}): Promise<boolean> {
    return this.#open().close(options);
  }

  /**
   * The next message. Returns a `CLOSE` message when the peer closes, `CLOSING` when `close()` runs
   * meanwhile, `CLOSED` afterwards, `ERROR` for a protocol error (then closed). Like a coroutine, it
   * runs when awaited; a message already buffered is taken without allocating a Future.
   * @throws {TimeoutError} after `timeout` seconds (default the `receiveTimeout` option).
   */
  receive(timeout?: number | null): Awaitable<WSMessage> {
    const ch = this.#channel;
    if (ch !== null) return ch.receive(timeout);
    checkSeconds("timeout", timeout);
    return new LazyOp(notPrepared, notPrepared, null); // throws when awaited, as before
  }

  /** The next message, which must be text. @throws {WSMessageTypeError} otherwise. */
  async receiveStr(timeout?: number | null): Promise<string> {
    return this.#open().receiveStr(timeout);
  }

  /** The next message, which must be binary. @throws {WSMessageTypeError} otherwise. */
  async receiveBytes(timeout?: number | null): Promise<Buffer> {
    return this.#open().receiveBytes(timeout);
  }

  /** The next message, a text one, parsed as JSON (with `loads`). */
  async receiveJson(
    options: { loads?: (text: string) => unknown; timeout?: number | null } = {},
  ): Promise<unknown> {
    return this.#open().receiveJson(options);
  }

  /**
   * Send a text message. While the peer keeps up nothing waits; otherwise the send waits for the
   * message to be written. @throws {ConnectionResetError} once closed.
   */
  sendStr(data: string, options: { compress?: boolean } = {}): Promise<void> {
    const ch = this.#channel;
    return ch === null
      ? Promise.reject(new RuntimeError("Call .prepare() first"))
      : ch.sendStr(data, options);
  }

  /** Send a binary message; waits while the peer is slow. @throws {ConnectionResetError} once closed. */
  sendBytes(data: Uint8Array, options: { compress?: boolean } = {}): Promise<void> {
    const ch = this.#channel;
    return ch === null
      ? Promise.reject(new RuntimeError("Call .prepare() first"))
      : ch.sendBytes(data, options);
  }

  /** Send `data` as JSON text (with `dumps`, default `JSON.stringify`). */
  async sendJson(
    data: unknown,
    options: { compress?: boolean; dumps?: (data: unknown) => string } = {},
  ): Promise<void> {
    return this.#open().sendJson(data, options);
  }

  /** Send a ping (with an optional payload of at most 125 bytes). */
  async ping(data: Uint8Array | string = ""): Promise<void> {
    return this.#open().ping(data);
  }

  /** Send a pong (with an optional payload of at most 125 bytes). */
  async pong(data: Uint8Array | string = ""): Promise<void> {
    return this.#open().pong(data);
  }

  /** Not for WebSockets: use `sendStr()` / `sendBytes()`. */
  override async write(_data: Uint8Array | string): Promise<void> {
    throw new RuntimeError("Cannot call write() on a WebSocketResponse: use sendStr() or sendBytes()");
  }

  /** Close the connection (code 1000). */
  override async writeEof(): Promise<void> {
    if (this.#channel !== null) await this.close();
  }

  /** @internal The server's end of the response: start the close (code 1000). */
  override endNow(): void {
    this.closeNow(WSCloseCode.OK, "");
  }

  /** Iterate over the messages until the connection closes (CLOSE, CLOSING or CLOSED ends it). */
  [Symbol.asyncIterator](): AsyncIterator<WSMessage> {
    const ch = this.#channel;
    if (ch !== null) return ch[Symbol.asyncIterator]();
    return { next: () => Promise.reject(new RuntimeError("Call .prepare() first")) };
  }
}

function notPrepared(): never {
  throw new RuntimeError("Call .prepare() first");
}
