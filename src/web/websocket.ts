/**
 * Server-side WebSockets (aiohttp's `web_ws.WebSocketResponse`), on the `ws` package in `noServer`
 * mode.
 *
 * The HTTP upgrade arrives on the Node server's `upgrade` event; the server routes it like any
 * request, with a detached `ServerResponse` bound to the socket (so that a handler that is not a
 * WebSocket one answers with a plain HTTP response). `await ws.prepare(request)` performs the
 * handshake on that socket. Received messages wait in a bounded buffer (the socket is paused while
 * the handler does not keep up); `send*()` waits while the peer is slow. The socket is closed when
 * the handler ends: 1000 when it returns, 1011 when it fails, 1001 when it is cancelled or the
 * server shuts down.
 */
import { type IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { inspect } from "node:util";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { ioTurn, LazyOp, NOT_READY } from "../asyncio/kernel.js";
import {
  ArgumentTypeError,
  type Awaitable,
  ConnectionResetError,
  currentTask,
  type EventLoop,
  Future,
  RuntimeError,
  type Task,
  TimeoutError,
  ValueError,
} from "../index.js";
import { HTTPBadRequest, HTTPMethodNotAllowed } from "./exceptions.js";
import type { Request } from "./request.js";
import { StreamResponse } from "./response.js";
import {
  CLOSED_MESSAGE,
  CLOSING_MESSAGE,
  closeCodeOf,
  isValidCloseCode,
  message,
  WebSocketError,
  WSCloseCode,
  type WSMessage,
  WSMessageTypeError,
  WSMsgType,
} from "./ws-message.js";

export { WebSocketError, WSCloseCode, type WSMessage, WSMessageTypeError, WSMsgType } from "./ws-message.js";

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

/** Bytes queued for the peer above which `send*()` waits for them to be written. */
const SEND_HIGH_WATER = 64 * 1024;
/** Received messages / bytes waiting for the handler above which the socket is paused. */
const RECEIVE_HIGH_MESSAGES = 64;
const RECEIVE_HIGH_BYTES = 1024 * 1024;
/** `receive()` calls after the close before it throws (aiohttp's THRESHOLD_CONNLOST_ACCESS). */
const CLOSED_READS_LIMIT = 5;
/** What a send that need not wait returns: one resolved promise, shared. */
const SENT: Promise<void> = Promise.resolve();

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

function checkSeconds(name: string, v: number | null | undefined): void {
  if (v === null || v === undefined) return;
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v))
    throw new ValueError(`${name} must be a positive number of seconds, got ${inspect(v)}`);
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
  readonly #protocols: string[];
  readonly #heartbeat: number | null;
  readonly #autoPing: boolean;
  readonly #receiveTimeout: number | null;
  readonly #maxMsgSize: number;
  readonly #compress: boolean;
  readonly #closeTimeout: number;
  #ws: WebSocket | null = null;
  #loop: EventLoop | null = null;
  #protocol: string | null = null;
  #buffer: WSMessage[] = [];
  #bufferedBytes = 0;
  #paused = false;
  #waiter: Future<void> | null = null;
  /** Close sent or received (aiohttp's `closed`). */
  #closed = false;
  /** The transport is gone. */
  #finished = false;
  #finishedFut: Future<void> | null = null;
  #closeCode: number | null = null;
  #exception: Error | null = null;
  #closedReads = 0;
  #pendingSends = new Set<Future<void>>();
  #heartbeatTimer: { cancel(): void } | null = null;
  #pongTimer: { cancel(): void } | null = null;

  constructor(options: WebSocketResponseOptions = {}) {
    if (options === null || typeof options !== "object")
      throw new ArgumentTypeError(`options must be an object, got ${inspect(options, { depth: 0 })}`);
    super({ status: 101 });
    const protocols = options.protocols === undefined ? [] : [...options.protocols];
    for (const p of protocols)
      if (typeof p !== "string" || p === "") throw new ValueError(`Invalid protocol ${inspect(p)}`);
    this.#protocols = protocols;
    checkSeconds("heartbeat", options.heartbeat);
    checkSeconds("receiveTimeout", options.receiveTimeout);
    checkSeconds("timeout", options.timeout);
    this.#heartbeat = options.heartbeat ?? null;
    this.#receiveTimeout = options.receiveTimeout ?? null;
    this.#closeTimeout = options.timeout ?? 10;
    this.#autoPing = options.autoPing ?? true;
    this.#compress = options.compress ?? true;
    const max = options.maxMsgSize ?? 4 * 1024 * 1024;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 0)
      throw new ValueError(`maxMsgSize must be an integer ≥ 0, got ${inspect(max)}`);
    this.#maxMsgSize = max;
  }

  /** The negotiated sub-protocol (`null`: none). */
  get wsProtocol(): string | null {
    return this.#protocol;
  }

  /** True once a close frame was sent or received. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The close code, once closed (`null` before). */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  /** The error that closed the connection (an oversize message, a missed pong …), or `null`. */
  exception(): Error | null {
    return this.#exception;
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
    return this.#protocols.find((p) => offered.includes(p)) ?? null;
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
    if (this.#ws !== null) return;
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
      maxPayload: this.#maxMsgSize === 0 ? 2 ** 53 - 1 : this.#maxMsgSize,
      perMessageDeflate: this.#compress,
      autoPong: this.#autoPing,
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
    this.#ws = ws;
    this.#protocol = protocol;
    this.#loop = request.context.loop;
    this.#finishedFut = new Future<void>({ loop: this.#loop });
    this.#listen(ws, res);
    openSockets.set(request, this);
    const task = currentTask() ?? request.handlerTask;
    if (task !== null) task.addDoneCallback((t) => this.#handlerDone(t));
    this.#resetHeartbeat();
  }

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    if (this.#closed) return; // after our close frame: dropped, as aiohttp's close() does
    this.#resetHeartbeat(); // the peer is alive: the next ping waits
    const buf = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data as ArrayBuffer);
    this.#push(
      isBinary ? message(WSMsgType.BINARY, buf) : message(WSMsgType.TEXT, buf.toString("utf8")),
      buf.length,
    );
  };

  #listen(ws: WebSocket, res: ServerResponse): void {
    // As an I/O turn of the loop: the handler waiting in receive() runs before this callback returns.
    ws.on("message", (data: RawData, isBinary: boolean) =>
      ioTurn(this.#loop!, this.#onMessage, data, isBinary),
    );
    ws.on("ping", (data: Buffer) => {
      if (this.#closed) return;
      this.#resetHeartbeat();
      if (!this.#autoPing) this.#push(message(WSMsgType.PING, data), data.length);
    });
    ws.on("pong", (data: Buffer) => {
      this.#pongTimer?.cancel();
      this.#pongTimer = null;
      this.#resetHeartbeat();
      if (!this.#autoPing) this.#push(message(WSMsgType.PONG, data), data.length);
    });
    ws.on("error", (err: Error) => {
      // A protocol error: `ws` closes with the matching code.
      if (this.#closed) return;
      const code = closeCodeOf(err);
      const e = new WebSocketError(code, err.message, { cause: err });
      this.#exception = e;
      this.#closeCode = code;
      this.#closed = true;
      this.#push(message(WSMsgType.ERROR, e), 0);
    });
    ws.on("close", (code: number, reason: Buffer) => {
      this.#finished = true;
      this.#stopTimers();
      // The server sees a connection that is gone (a ConnectionResetError is then no error of its).
      res.destroy();
      if (!this.#closed) {
        this.#closed = true;
        this.#closeCode = code;
        if (code === WSCloseCode.ABNORMAL_CLOSURE) this.#push(CLOSED_MESSAGE, 0);
        else this.#push(message(WSMsgType.CLOSE, code, reason.toString("utf8")), 0);
      } else if (this.#closeCode === null) this.#closeCode = code;
      for (const f of this.#pendingSends)
        if (!f.done()) f.setException(new ConnectionResetError("Connection lost while sending"));
      this.#pendingSends.clear();
      this.#wake();
      if (this.#paused) ws.resume();
      if (!this.#finishedFut!.done()) this.#finishedFut!.setResult();
    });
  }

  #push(msg: WSMessage, size: number): void {
    this.#buffer.push(msg);
    this.#bufferedBytes += size;
    if (
      !this.#paused &&
      !this.#finished &&
      (this.#buffer.length >= RECEIVE_HIGH_MESSAGES || this.#bufferedBytes >= RECEIVE_HIGH_BYTES)
    ) {
      this.#paused = true;
      this.#ws!.pause();
    }
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    if (w !== null && !w.done()) w.setResult();
  }

  #shift(): WSMessage {
    const msg = this.#buffer.shift()!;
    if (msg.type === WSMsgType.TEXT) this.#bufferedBytes -= Buffer.byteLength(msg.data);
    else if (Buffer.isBuffer(msg.data)) this.#bufferedBytes -= msg.data.length;
    if (
      this.#paused &&
      this.#buffer.length <= RECEIVE_HIGH_MESSAGES / 2 &&
      this.#bufferedBytes <= RECEIVE_HIGH_BYTES / 2
    ) {
      this.#paused = false;
      this.#ws!.resume();
    }
    return msg;
  }

  #resetHeartbeat(): void {
    const hb = this.#heartbeat;
    if (hb === null || this.#closed || this.#ws === null) return;
    this.#heartbeatTimer?.cancel();
    this.#heartbeatTimer = this.#loop!.callLater(hb, () => this.#sendHeartbeat());
  }

  #sendHeartbeat(): void {
    this.#heartbeatTimer = null;
    if (this.#closed || this.#ws === null) return;
    try {
      this.#ws.ping();
    } catch {
      return;
    }
    if (this.#pongTimer === null)
      this.#pongTimer = this.#loop!.callLater(this.#heartbeat! / 2, () => this.#pongNotReceived());
    this.#resetHeartbeat();
  }

  #pongNotReceived(): void {
    this.#pongTimer = null;
    if (this.#closed) return;
    const e = new TimeoutError(`No PONG received after ${this.#heartbeat! / 2} seconds`);
    this.#exception = e;
    this.#closed = true;
    this.#closeCode = WSCloseCode.ABNORMAL_CLOSURE;
    this.#buffer = [];
    this.#bufferedBytes = 0;
    this.#push(message(WSMsgType.ERROR, e), 0);
    this.#ws!.terminate();
  }

  #stopTimers(): void {
    this.#heartbeatTimer?.cancel();
    this.#heartbeatTimer = null;
    this.#pongTimer?.cancel();
    this.#pongTimer = null;
  }

  #handlerDone(task: Task<unknown>): void {
    if (this.#closed) return;
    if (task.cancelled()) this.closeNow(WSCloseCode.GOING_AWAY, "handler cancelled");
    else if (task.exception() !== null && task.exception() !== undefined)
      this.closeNow(WSCloseCode.INTERNAL_ERROR, "internal error");
    else this.closeNow(WSCloseCode.OK, "");
  }

  /** @internal Start the close (no waiting): the peer gets `timeout` seconds to answer. */
  closeNow(code: number, reason: string | Uint8Array): void {
    const ws = this.#ws;
    if (ws === null || this.#closed) return;
    this.#closed = true;
    this.#closeCode = code;
    this.#stopTimers();
    this.#buffer = [];
    this.#bufferedBytes = 0;
    if (this.#paused) {
      this.#paused = false;
      ws.resume();
    }
    this.#wake();
    ws.close(code, Buffer.from(reason as Uint8Array | string));
    const timer = setTimeout(() => {
      // No close frame from the peer in time (aiohttp: 1006 and a TimeoutError).
      this.#closeCode = WSCloseCode.ABNORMAL_CLOSURE;
      this.#exception ??= new TimeoutError(
        `No close frame from the peer within ${this.#closeTimeout} seconds`,
      );
      ws.terminate();
    }, this.#closeTimeout * 1000);
    timer.unref();
    ws.once("close", () => clearTimeout(timer));
  }

  /**
   * Close: send a close frame and wait (up to `timeout` seconds) for the peer's. Returns false when
   * the connection was already closed.
   */
  async close(options: { code?: number; message?: string | Uint8Array } = {}): Promise<boolean> {
    if (this.#ws === null) throw new RuntimeError("Call .prepare() first");
    const code = options.code ?? WSCloseCode.OK;
    const msg = options.message ?? "";
    if (!isValidCloseCode(code)) throw new ValueError(`Invalid close code ${inspect(code)}`);
    if (typeof msg !== "string" && !(msg instanceof Uint8Array))
      throw new ArgumentTypeError(`message must be a string or bytes, got ${inspect(msg, { depth: 0 })}`);
    if ((typeof msg === "string" ? Buffer.byteLength(msg) : msg.length) > 123)
      throw new ValueError("The close message must be 123 bytes or less");
    if (this.#closed) {
      if (!this.#finished) await this.#finishedFut!;
      return false;
    }
    this.closeNow(code, msg);
    if (!this.#finished) await this.#finishedFut!;
    return true;
  }

  /**
   * The next message. Returns a `CLOSE` message when the peer closes, `CLOSING` when `close()` runs
   * meanwhile, `CLOSED` afterwards, `ERROR` for a protocol error (then closed). Like a coroutine, it
   * runs when awaited; a message already buffered is taken without allocating a Future.
   * @throws {TimeoutError} after `timeout` seconds (default the `receiveTimeout` option).
   */
  receive(timeout?: number | null): Awaitable<WSMessage> {
    checkSeconds("timeout", timeout);
    const t = timeout === undefined ? this.#receiveTimeout : timeout;
    return new LazyOp(
      WebSocketResponse.#receiveFast,
      WebSocketResponse.#receiveSlow,
      t === null ? this : { ws: this, timeout: t },
    );
  }

  static readonly #receiveFast = (arg: ReceiveArg): WSMessage | typeof NOT_READY =>
    (arg instanceof WebSocketResponse ? arg : arg.ws).#receiveNow();

  static readonly #receiveSlow = (arg: ReceiveArg): Generator<unknown, WSMessage, unknown> =>
    arg instanceof WebSocketResponse ? arg.#receiveWait(null) : arg.ws.#receiveWait(arg.timeout);

  static readonly #iterateFast = (ws: WebSocketResponse): IteratorResult<WSMessage> | typeof NOT_READY => {
    const now = ws.#receiveNow();
    return now === NOT_READY ? NOT_READY : iterationStep(now);
  };

  static readonly #iterateSlow = function* (
    ws: WebSocketResponse,
  ): Generator<unknown, IteratorResult<WSMessage>, unknown> {
    return iterationStep(yield* ws.#receiveWait(ws.#receiveTimeout));
  };

  /** {@link receive} without waiting: a buffered message, or the closed state. */
  #receiveNow(): WSMessage | typeof NOT_READY {
    if (this.#ws === null) throw new RuntimeError("Call .prepare() first");
    if (this.#waiter !== null) throw new RuntimeError("Concurrent call to receive() is not allowed");
    if (this.#buffer.length > 0) return this.#shift();
    if (this.#closed) {
      if (++this.#closedReads >= CLOSED_READS_LIMIT)
        throw new RuntimeError("WebSocket connection is closed.");
      return CLOSED_MESSAGE;
    }
    return NOT_READY;
  }

  /** {@link receive}'s waiting path: yields a waiter until a message arrives. */
  *#receiveWait(timeout: number | null): Generator<unknown, WSMessage, unknown> {
    for (;;) {
      const now = this.#receiveNow();
      if (now !== NOT_READY) return now;
      const fut = new Future<void>({ loop: this.#loop! });
      this.#waiter = fut;
      const timer =
        timeout === null
          ? null
          : this.#loop!.callLater(timeout, () => {
              if (!fut.done()) fut.setException(new TimeoutError());
            });
      try {
        yield fut;
      } finally {
        timer?.cancel();
        this.#waiter = null;
      }
      if (this.#closed && this.#buffer.length === 0 && !this.#finished) return CLOSING_MESSAGE;
    }
  }

  /** The next message, which must be text. @throws {WSMessageTypeError} otherwise. */
  async receiveStr(timeout?: number | null): Promise<string> {
    const msg = await this.receive(timeout);
    if (msg.type !== WSMsgType.TEXT)
      throw new WSMessageTypeError(
        `Received message ${msg.type}:${inspect(msg.data, { depth: 0 })} is not TEXT`,
      );
    return msg.data;
  }

  /** The next message, which must be binary. @throws {WSMessageTypeError} otherwise. */
  async receiveBytes(timeout?: number | null): Promise<Buffer> {
    const msg = await this.receive(timeout);
    if (msg.type !== WSMsgType.BINARY)
      throw new WSMessageTypeError(
        `Received message ${msg.type}:${inspect(msg.data, { depth: 0 })} is not BINARY`,
      );
    return msg.data;
  }

  /** The next message, a text one, parsed as JSON (with `loads`). */
  async receiveJson(
    options: { loads?: (text: string) => unknown; timeout?: number | null } = {},
  ): Promise<unknown> {
    const text = await this.receiveStr(options.timeout);
    return (options.loads ?? JSON.parse)(text);
  }

  /**
   * Send one message. While the peer keeps up (what is queued for it, this message included, stays
   * under {@link SEND_HIGH_WATER}) it is handed to `ws` without a write callback and nothing waits: a
   * write error then closes the connection, which the next send or receive reports. Otherwise the
   * send waits for this message to be written.
   */
  #send(data: string | Buffer, binary: boolean, compress: boolean | undefined): Promise<void> {
    const ws = this.#ws;
    if (ws === null) return Promise.reject(new RuntimeError("Call .prepare() first"));
    if (this.#closed || ws.readyState !== ws.OPEN)
      return Promise.reject(new ConnectionResetError("Cannot write to closing transport"));
    const size = typeof data === "string" ? data.length * 3 : data.length; // bytes, at most
    const options = { binary, compress: compress ?? this.#compress };
    if (ws.bufferedAmount + size <= SEND_HIGH_WATER) {
      ws.send(data, options);
      return SENT;
    }
    // The peer is slow: wait for this message to be written.
    const fut = new Future<void>({ loop: this.#loop! });
    ws.send(data, options, (err) => {
      if (fut.done()) return;
      if (err) fut.setException(new ConnectionResetError(`Connection lost while sending: ${err.message}`));
      else fut.setResult();
    });
    return this.#waitSent(fut);
  }

  async #waitSent(fut: Future<void>): Promise<void> {
    this.#pendingSends.add(fut);
    try {
      await fut;
    } finally {
      this.#pendingSends.delete(fut);
    }
  }

  /** Send a text message; waits while the peer is slow. @throws {ConnectionResetError} once closed. */
  sendStr(data: string, options: { compress?: boolean } = {}): Promise<void> {
    if (typeof data !== "string")
      return Promise.reject(
        new ArgumentTypeError(`data argument must be a string, got ${inspect(data, { depth: 0 })}`),
      );
    return this.#send(data, false, options.compress);
  }

  /** Send a binary message; waits while the peer is slow. @throws {ConnectionResetError} once closed. */
  sendBytes(data: Uint8Array, options: { compress?: boolean } = {}): Promise<void> {
    if (!(data instanceof Uint8Array))
      return Promise.reject(
        new ArgumentTypeError(`data argument must be bytes, got ${inspect(data, { depth: 0 })}`),
      );
    return this.#send(Buffer.from(data.buffer, data.byteOffset, data.length), true, options.compress);
  }

  /** Send `data` as JSON text (with `dumps`, default `JSON.stringify`). */
  async sendJson(
    data: unknown,
    options: { compress?: boolean; dumps?: (data: unknown) => string } = {},
  ): Promise<void> {
    const text = (options.dumps ?? JSON.stringify)(data);
    if (typeof text !== "string")
      throw new ArgumentTypeError(`dumps() must return a string, got ${inspect(text, { depth: 0 })}`);
    await this.sendStr(text, { compress: options.compress });
  }

  /** Send a ping (with an optional payload of at most 125 bytes). */
  async ping(data: Uint8Array | string = ""): Promise<void> {
    const ws = this.#ws;
    if (ws === null) throw new RuntimeError("Call .prepare() first");
    if (this.#closed) throw new ConnectionResetError("Cannot write to closing transport");
    ws.ping(data);
  }

  /** Send a pong (with an optional payload of at most 125 bytes). */
  async pong(data: Uint8Array | string = ""): Promise<void> {
    const ws = this.#ws;
    if (ws === null) throw new RuntimeError("Call .prepare() first");
    if (this.#closed) throw new ConnectionResetError("Cannot write to closing transport");
    ws.pong(data);
  }

  /** Not for WebSockets: use `sendStr()` / `sendBytes()`. */
  override async write(_data: Uint8Array | string): Promise<void> {
    throw new RuntimeError("Cannot call write() on a WebSocketResponse: use sendStr() or sendBytes()");
  }

  /** Close the connection (code 1000). */
  override async writeEof(): Promise<void> {
    if (this.#ws !== null) await this.close();
  }

  /** @internal The server's end of the response: start the close (code 1000). */
  override endNow(): void {
    this.closeNow(WSCloseCode.OK, "");
  }

  /** Iterate over the messages until the connection closes (CLOSE, CLOSING or CLOSED ends it). */
  [Symbol.asyncIterator](): AsyncIterator<WSMessage> {
    const next = new LazyOp(
      WebSocketResponse.#iterateFast,
      WebSocketResponse.#iterateSlow,
      this,
    ) as unknown as Promise<IteratorResult<WSMessage>>;
    // `for await` awaits what next() returns: the same lazy operation serves every step.
    return { next: () => next };
  }
}

type ReceiveArg = WebSocketResponse | { ws: WebSocketResponse; timeout: number };

const ITERATION_DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

function iterationStep(msg: WSMessage): IteratorResult<WSMessage> {
  return msg.type === WSMsgType.CLOSE || msg.type === WSMsgType.CLOSING || msg.type === WSMsgType.CLOSED
    ? ITERATION_DONE
    : { done: false, value: msg };
}
