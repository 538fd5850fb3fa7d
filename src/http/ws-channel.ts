/**
 * The message side of a WebSocket, shared by the server's `WebSocketResponse` (`aiots/web`) and the
 * client's `ClientWebSocketResponse` (`aiots/client`): a {@link WebSocketChannel} wraps an open `ws`
 * `WebSocket` and gives it aiohttp's message API.
 *
 * Received messages wait in a bounded buffer (the socket is paused while the reader does not keep
 * up); `receive()` is a lazy operation that takes a buffered message without allocating a Future;
 * `send*()` hands a message to `ws` without waiting while the peer keeps up, and waits for it to be
 * written otherwise. Heartbeat (ping, and a close when no pong comes back), the message size limit
 * (1009), and the close handshake with its timeout are here too. Message events are delivered as
 * I/O turns of the loop (`ioTurn`): a task waiting in `receive()` runs before the event returns.
 */
import { Buffer } from "node:buffer";
import { inspect } from "node:util";
import type { RawData, WebSocket } from "ws";
import { ioTurn, LazyOp, NOT_READY } from "../asyncio/kernel.js";
import {
  ArgumentTypeError,
  type Awaitable,
  ConnectionResetError,
  type EventLoop,
  Future,
  RuntimeError,
  TimeoutError,
  ValueError,
} from "../index.js";
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

/** Bytes queued for the peer above which `send*()` waits for them to be written. */
const SEND_HIGH_WATER = 64 * 1024;
/** Received messages / bytes waiting for the reader above which the socket is paused. */
const RECEIVE_HIGH_MESSAGES = 64;
const RECEIVE_HIGH_BYTES = 1024 * 1024;
/** What a send that need not wait returns: one resolved promise, shared. */
const SENT: Promise<void> = Promise.resolve();

/** @internal Throw a `ValueError` unless `v` is a positive number of seconds (or null/undefined). */
export function checkSeconds(name: string, v: number | null | undefined): void {
  if (v === null || v === undefined) return;
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v))
    throw new ValueError(`${name} must be a positive number of seconds, got ${inspect(v)}`);
}

/** @internal The options both ends share, as given by the user. */
export interface ChannelOptions {
  protocols?: Iterable<string>;
  heartbeat?: number | null;
  autoPing?: boolean;
  receiveTimeout?: number | null;
  maxMsgSize?: number;
  compress?: boolean;
  timeout?: number;
}

/** @internal {@link ChannelOptions}, checked, with their defaults. */
export interface ChannelSettings {
  readonly protocols: string[];
  readonly heartbeat: number | null;
  readonly autoPing: boolean;
  readonly receiveTimeout: number | null;
  /** 0: no limit. */
  readonly maxMsgSize: number;
  readonly compress: boolean;
  readonly closeTimeout: number;
}

/**
 * @internal Check the shared options.
 * @throws {ArgumentTypeError} when `options` is not an object or `autoPing` / `compress` is not a
 * boolean, {@link ValueError} for a bad value.
 */
export function channelSettings(options: ChannelOptions): ChannelSettings {
  if (options === null || typeof options !== "object")
    throw new ArgumentTypeError(`options must be an object, got ${inspect(options, { depth: 0 })}`);
  const protocols = options.protocols === undefined ? [] : [...options.protocols];
  for (const p of protocols)
    if (typeof p !== "string" || p === "") throw new ValueError(`Invalid protocol ${inspect(p)}`);
  checkSeconds("heartbeat", options.heartbeat);
  checkSeconds("receiveTimeout", options.receiveTimeout);
  checkSeconds("timeout", options.timeout);
  const autoPing = options.autoPing ?? true;
  const compress = options.compress ?? true;
  for (const [name, v] of [
    ["autoPing", autoPing],
    ["compress", compress],
  ] as const)
    if (typeof v !== "boolean") throw new ArgumentTypeError(`${name} must be a boolean, got ${inspect(v)}`);
  const max = options.maxMsgSize ?? 4 * 1024 * 1024;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 0)
    throw new ValueError(`maxMsgSize must be an integer ≥ 0, got ${inspect(max)}`);
  return {
    protocols,
    heartbeat: options.heartbeat ?? null,
    autoPing,
    receiveTimeout: options.receiveTimeout ?? null,
    maxMsgSize: max,
    compress,
    closeTimeout: options.timeout ?? 10,
  };
}

/** @internal `ws`'s `maxPayload` for a `maxMsgSize` (0: none). */
export function maxPayloadOf(maxMsgSize: number): number {
  return maxMsgSize === 0 ? 2 ** 53 - 1 : maxMsgSize;
}

/** @internal What differs between the server's and the client's end. */
export interface ChannelHooks {
  /**
   * Answer the peer's close at once (default true). False (the client's `autoclose: false`): the
   * CLOSE message leaves `closed` false until `close()` or the next `receive()`.
   */
  autoclose?: boolean;
  /** `receive()` calls after the close before it throws (default: never throws). */
  closedReadsLimit?: number;
  /** The error of a missing pong (default `TimeoutError`). */
  pongTimeoutError?: (message: string) => Error;
  /** Called once the transport is gone. */
  onTransportClose?: () => void;
}

/**
 * The message API of an open WebSocket: `receive()`, `send*()`, `ping()`, `close()`, `for await`.
 * The server's `WebSocketResponse` delegates to one; the client's `ClientWebSocketResponse` is one.
 */
export class WebSocketChannel {
  readonly #ws: WebSocket;
  readonly #loop: EventLoop;
  readonly #heartbeat: number | null;
  readonly #autoPing: boolean;
  readonly #autoclose: boolean;
  readonly #receiveTimeout: number | null;
  readonly #compress: boolean;
  readonly #closeTimeout: number;
  readonly #closedReadsLimit: number;
  readonly #pongTimeoutError: (message: string) => Error;
  readonly #onTransportClose: (() => void) | undefined;
  #buffer: WSMessage[] = [];
  /** The payload size of each buffered message (counted once, when it arrived). */
  #sizes: number[] = [];
  #bufferedBytes = 0;
  #paused = false;
  #waiter: Future<void> | null = null;
  /** Close sent or received (aiohttp's `closed`). */
  #closed = false;
  /** The peer's close arrived and, without autoclose, was not acknowledged yet (aiohttp's `_closing`). */
  #closing = false;
  /** The transport is gone. */
  #finished = false;
  readonly #finishedFut: Future<void>;
  #closeCode: number | null = null;
  #exception: Error | null = null;
  #closedReads = 0;
  #pendingSends = new Set<Future<void>>();
  #heartbeatTimer: { cancel(): void } | null = null;
  #pongTimer: { cancel(): void } | null = null;

  /** @internal Take over `ws` (open), on `loop`. */
  constructor(ws: WebSocket, loop: EventLoop, settings: ChannelSettings, hooks: ChannelHooks = {}) {
    this.#ws = ws;
    this.#loop = loop;
    this.#heartbeat = settings.heartbeat;
    this.#autoPing = settings.autoPing;
    this.#receiveTimeout = settings.receiveTimeout;
    this.#compress = settings.compress;
    this.#closeTimeout = settings.closeTimeout;
    this.#autoclose = hooks.autoclose ?? true;
    this.#closedReadsLimit = hooks.closedReadsLimit ?? Number.POSITIVE_INFINITY;
    this.#pongTimeoutError = hooks.pongTimeoutError ?? ((m) => new TimeoutError(m));
    this.#onTransportClose = hooks.onTransportClose;
    this.#finishedFut = new Future<void>({ loop });
    this.#listen(ws);
    this.#resetHeartbeat();
  }

  /** True once a close frame was sent or received (and, without autoclose, acknowledged). */
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

  #listen(ws: WebSocket): void {
    // As an I/O turn of the loop: the task waiting in receive() runs before this callback returns.
    ws.on("message", (data: RawData, isBinary: boolean) =>
      ioTurn(this.#loop, this.#onMessage, data, isBinary),
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
      this.#onTransportClose?.();
      if (!this.#closed && !this.#closing) {
        if (this.#autoclose || code === WSCloseCode.ABNORMAL_CLOSURE) this.#closed = true;
        else this.#closing = true;
        this.#closeCode = code;
        if (code === WSCloseCode.ABNORMAL_CLOSURE) this.#push(CLOSED_MESSAGE, 0);
        else this.#push(message(WSMsgType.CLOSE, code, reason.toString("utf8")), 0);
      } else if (this.#closeCode === null) this.#closeCode = code;
      for (const f of this.#pendingSends)
        if (!f.done()) f.setException(new ConnectionResetError("Connection lost while sending"));
      this.#pendingSends.clear();
      this.#wake();
      if (this.#paused) ws.resume();
      if (!this.#finishedFut.done()) this.#finishedFut.setResult();
    });
  }

  #push(msg: WSMessage, size: number): void {
    this.#buffer.push(msg);
    this.#sizes.push(size);
    this.#bufferedBytes += size;
    if (
      !this.#paused &&
      !this.#finished &&
      (this.#buffer.length >= RECEIVE_HIGH_MESSAGES || this.#bufferedBytes >= RECEIVE_HIGH_BYTES)
    ) {
      this.#paused = true;
      this.#ws.pause();
    }
    this.#wake();
  }

  /** Forget the messages not received yet. */
  #dropBuffered(): void {
    this.#buffer = [];
    this.#sizes = [];
    this.#bufferedBytes = 0;
  }

  #wake(): void {
    const w = this.#waiter;
    if (w !== null && !w.done()) w.setResult();
  }

  #shift(): WSMessage {
    const msg = this.#buffer.shift()!;
    this.#bufferedBytes -= this.#sizes.shift()!;
    if (
      this.#paused &&
      this.#buffer.length <= RECEIVE_HIGH_MESSAGES / 2 &&
      this.#bufferedBytes <= RECEIVE_HIGH_BYTES / 2
    ) {
      this.#paused = false;
      this.#ws.resume();
    }
    return msg;
  }

  /**
   * Every message, ping and pong received moves the next ping back: only the time is recorded, and
   * the one timer, when it fires early, re-arms for it (aiohttp's `_reset_heartbeat`) — not a
   * cancelled timer and a new one per message.
   */
  #resetHeartbeat(): void {
    const hb = this.#heartbeat;
    if (hb === null || this.#closed || this.#closing) return;
    this.#heartbeatWhen = this.#loop.time() + hb;
    this.#heartbeatTimer ??= this.#loop.callAt(this.#heartbeatWhen, this.#onHeartbeatTimer);
  }

  /** When the next ping is due (loop time). */
  #heartbeatWhen = 0;

  readonly #onHeartbeatTimer = (): void => {
    this.#heartbeatTimer = null;
    if (this.#closed || this.#closing) return;
    if (this.#loop.time() < this.#heartbeatWhen) {
      this.#heartbeatTimer = this.#loop.callAt(this.#heartbeatWhen, this.#onHeartbeatTimer);
      return;
    }
    this.#sendHeartbeat();
  };

  #sendHeartbeat(): void {
    try {
      this.#ws.ping();
    } catch {
      return;
    }
    if (this.#pongTimer === null)
      this.#pongTimer = this.#loop.callLater(this.#heartbeat! / 2, () => this.#pongNotReceived());
    this.#resetHeartbeat();
  }

  #pongNotReceived(): void {
    this.#pongTimer = null;
    if (this.#closed) return;
    const e = this.#pongTimeoutError(`No PONG received after ${this.#heartbeat! / 2} seconds`);
    this.#exception = e;
    this.#closed = true;
    this.#closeCode = WSCloseCode.ABNORMAL_CLOSURE;
    this.#dropBuffered();
    this.#push(message(WSMsgType.ERROR, e), 0);
    this.#ws.terminate();
  }

  #stopTimers(): void {
    this.#heartbeatTimer?.cancel();
    this.#heartbeatTimer = null;
    this.#pongTimer?.cancel();
    this.#pongTimer = null;
  }

  /** @internal Start the close (no waiting): the peer gets `timeout` seconds to answer. */
  closeNow(code: number, reason: string | Uint8Array): void {
    const ws = this.#ws;
    if (this.#closed) return;
    this.#closed = true;
    if (this.#closing) return; // the peer's close was answered already (by `ws`)
    this.#closeCode = code;
    this.#stopTimers();
    this.#dropBuffered();
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

  /** @internal Drop the connection at once (no close handshake): code 1006. */
  abort(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#closeCode = WSCloseCode.ABNORMAL_CLOSURE;
      this.#stopTimers();
      this.#dropBuffered();
      this.#wake();
    }
    this.#ws.terminate();
  }

  /**
   * Close: send a close frame and wait (up to `timeout` seconds) for the peer's. Returns false when
   * the connection was already closed.
   */
  async close(options: { code?: number; message?: string | Uint8Array } = {}): Promise<boolean> {
    const code = options.code ?? WSCloseCode.OK;
    const msg = options.message ?? "";
    if (!isValidCloseCode(code)) throw new ValueError(`Invalid close code ${inspect(code)}`);
    if (typeof msg !== "string" && !(msg instanceof Uint8Array))
      throw new ArgumentTypeError(`message must be a string or bytes, got ${inspect(msg, { depth: 0 })}`);
    if ((typeof msg === "string" ? Buffer.byteLength(msg) : msg.length) > 123)
      throw new ValueError("The close message must be 123 bytes or less");
    if (this.#closed) {
      if (!this.#finished) await this.#finishedFut;
      return false;
    }
    this.closeNow(code, msg);
    if (!this.#finished) await this.#finishedFut;
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
    return new LazyOp(this.#receiveFast, this.#receiveGen, t, this);
  }

  #receiveFast(_timeout: number | null): WSMessage | typeof NOT_READY {
    return this.#receiveNow();
  }

  #iterateFast(): IteratorResult<WSMessage> | typeof NOT_READY {
    const now = this.#receiveNow();
    return now === NOT_READY ? NOT_READY : iterationStep(now);
  }

  *#iterateGen(): Generator<unknown, IteratorResult<WSMessage>, unknown> {
    return iterationStep(yield* this.#receiveGen(this.#receiveTimeout));
  }

  /** {@link receive} without waiting: a buffered message, or the closed state. */
  #receiveNow(): WSMessage | typeof NOT_READY {
    if (this.#waiter !== null) throw new RuntimeError("Concurrent call to receive() is not allowed");
    if (this.#buffer.length > 0) return this.#shift();
    if (this.#closed || this.#closing) {
      this.#closed = true; // without autoclose: reading past the CLOSE acknowledges it
      if (++this.#closedReads >= this.#closedReadsLimit)
        throw new RuntimeError("WebSocket connection is closed.");
      return CLOSED_MESSAGE;
    }
    return NOT_READY;
  }

  /** {@link receive}'s waiting path: yields a waiter until a message arrives. */
  *#receiveGen(timeout: number | null): Generator<unknown, WSMessage, unknown> {
    for (;;) {
      const now = this.#receiveNow();
      if (now !== NOT_READY) return now;
      const fut = new Future<void>({ loop: this.#loop });
      this.#waiter = fut;
      const timer =
        timeout === null
          ? null
          : this.#loop.callLater(timeout, () => {
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
    if (this.#closed || this.#closing || ws.readyState !== ws.OPEN)
      return Promise.reject(new ConnectionResetError("Cannot write to closing transport"));
    const size = typeof data === "string" ? data.length * 3 : data.length; // bytes, at most
    const options = { binary, compress: compress ?? this.#compress };
    if (ws.bufferedAmount + size <= SEND_HIGH_WATER) {
      ws.send(data, options);
      return SENT;
    }
    // The peer is slow: wait for this message to be written.
    const fut = new Future<void>({ loop: this.#loop });
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
    if (this.#closed || this.#closing) throw new ConnectionResetError("Cannot write to closing transport");
    this.#ws.ping(data);
  }

  /** Send a pong (with an optional payload of at most 125 bytes). */
  async pong(data: Uint8Array | string = ""): Promise<void> {
    if (this.#closed || this.#closing) throw new ConnectionResetError("Cannot write to closing transport");
    this.#ws.pong(data);
  }

  /** Iterate over the messages until the connection closes (CLOSE, CLOSING or CLOSED ends it). */
  [Symbol.asyncIterator](): AsyncIterator<WSMessage> {
    const next = new LazyOp(this.#iterateFast, this.#iterateGen, undefined, this) as unknown as Promise<
      IteratorResult<WSMessage>
    >;
    // `for await` awaits what next() returns: the same lazy operation serves every step.
    return { next: () => next };
  }
}

const ITERATION_DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

function iterationStep(msg: WSMessage): IteratorResult<WSMessage> {
  return msg.type === WSMsgType.CLOSE || msg.type === WSMsgType.CLOSING || msg.type === WSMsgType.CLOSED
    ? ITERATION_DONE
    : { done: false, value: msg };
}
