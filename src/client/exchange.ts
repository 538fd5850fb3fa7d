/**
 * One request/response exchange on undici: the dispatch handler (undici's callback interface), the
 * Future the requesting task awaits for the response's head, the body's way to the user, the
 * timeouts, and the translation of undici's errors into aiohttp's.
 *
 * The requesting task awaits {@link Exchange.response}; cancelling it (or a timeout, or the user's
 * `signal`) aborts the exchange: undici destroys that one connection and the pool stays usable.
 */
import type { Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { Dispatcher } from "undici";
import { ioTurn } from "../asyncio/kernel.js";
import { CancelledError, type EventLoop, Future, TimeoutError, type TimerHandle } from "../index.js";
import { type BodySource, ResponseBody } from "./body.js";
import type { ConnectionSlots } from "./connector.js";
import { DeadlineEntry } from "./deadlines.js";
import {
  ClientConnectionResetError,
  ClientConnectorError,
  ClientError,
  ClientHttpProxyError,
  ClientOSError,
  ClientPayloadError,
  ClientProxyConnectionError,
  ClientResponseError,
  type ConnectionKey,
  ConnectionTimeoutError,
  dnsOrTlsConnectorError,
  type RequestInfo,
  ServerDisconnectedError,
  ServerTimeoutError,
  SocketTimeoutError,
} from "./errors.js";
import { ClientResponse, type FallbackCharsetResolver } from "./response.js";

/** The response head, as undici gave it. */
export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  /** `[name, value, …]` as received. */
  readonly rawHeaders: string[];
}

const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "EADDRINUSE",
  "ETIMEDOUT",
  "EACCES",
  "EPERM",
]);

/** Options of an {@link Exchange}. */
export interface ExchangeOptions {
  readonly loop: EventLoop;
  readonly requestInfo: RequestInfo;
  readonly connectionKey: ConnectionKey;
  /** Through a proxy (connection errors are then the proxy's). */
  readonly viaProxy: boolean;
  /** Decompress gzip/deflate/br bodies. */
  readonly autoDecompress: boolean;
  /** The redirects before this exchange (the response's `history`). */
  readonly history: readonly ClientResponse[];
  /** The session's `fallbackCharsetResolver`, or null. */
  readonly fallbackCharset: FallbackCharsetResolver | null;
  /** The connector's `limit` slots (the exchange gives its slot back when it is over), or null. */
  readonly slots: ConnectionSlots | null;
  /** A chunk of the response body (trace `onResponseChunkReceived`), or null. */
  readonly onChunk: ((chunk: Buffer) => void) | null;
  /** A chunk of the request body was sent (trace `onRequestChunkSent`), or null. */
  readonly onChunkSent: ((chunk: Uint8Array) => void) | null;
}

/** @internal See the module comment. */
export class Exchange implements Dispatcher.DispatchHandler, BodySource {
  readonly #o: ExchangeOptions;
  /**
   * The response, made as its head arrives: what the requesting task awaits, then lets go of with
   * {@link responseTaken} (undici holds the exchange until the body ends: through this Future it
   * would hold the response too, and an unread response could never be collected).
   */
  get response(): Future<ClientResponse> {
    return this.#response!;
  }
  #response: Future<ClientResponse> | null;
  /** The head arrived or the exchange failed before it. */
  #headSettled = false;

  /** The requesting task has the response (or its error): forget the Future. */
  responseTaken(): void {
    this.#headSettled = true;
    this.#response = null;
  }
  /** The body, once the head arrived. */
  body: ResponseBody | null = null;
  #abort: ((err?: Error) => void) | null = null;
  #abortReason: Error | null = null;
  #resume: (() => void) | null = null;
  /** The connection was handed the request (undici's onConnect): the connect phase is over. */
  connected = false;
  #connectTimer: TimerHandle | null = null;
  #totalTimer: TimerHandle | null = null;
  /** The body's `Content-Encoding` when it is one we decode; its decoder is made with the first byte
   * (an empty body — a 204, a HEAD — has nothing to decode). */
  #encoding: "gzip" | "deflate" | "br" | null = null;
  #decoder: Transform | null = null;
  /** undici delivered the whole body; only its end is still to be signalled (nothing to abort). */
  #bodyComplete = false;
  #finished = false;
  #holdsSlot = false;

  constructor(options: ExchangeOptions) {
    this.#o = options;
    this.#response = new Future<ClientResponse>({ loop: options.loop });
  }

  /** Limit the connect phase (getting a connection) to `seconds`. */
  startConnectTimer(seconds: number | null): void {
    if (seconds === null || this.connected) return;
    this.#connectTimer = this.#o.loop.callLater(seconds, () => {
      this.#connectTimer = null;
      this.abort(new ConnectionTimeoutError(`Connection timeout to host ${this.#o.requestInfo.url.href}`));
    });
  }

  /** The total timeout expired (from a {@link DeadlineList}). */
  expire(): void {
    this.abort(new ServerTimeoutError(`Timeout on reading data from ${this.#o.requestInfo.url.href}`));
  }

  /** Limit the whole exchange (head and body) to `seconds` (the first exchange of a request uses a DeadlineList). */
  startTotalTimer(seconds: number | null): void {
    if (seconds === null) return;
    this.#totalTimer = this.#o.loop.callLater(seconds, () => {
      this.#totalTimer = null;
      this.expire();
    });
  }

  /** End the exchange with `err` (the requesting task's error too, if it still waits for the head). */
  abort(err: Error): void {
    // A body complete on the wire keeps its connection (a response released before its deferred
    // end, e.g. a redirect's empty body, must not close a reusable connection).
    if (this.#finished || this.#bodyComplete) return;
    // Fail first: undici's abort calls onError at once, and its translated error must not replace
    // `err` (a signal's reason is what the request throws).
    const abort = this.#abort;
    if (abort === null) this.#abortReason = err;
    this.#fail(err);
    if (abort !== null) abort(err);
  }

  /** Call `cb` (once) if the exchange fails before it has its head (a wait for a slot ends then). */
  onAbort(cb: () => void): void {
    this.#onAbort = cb;
  }
  #onAbort: (() => void) | null = null;

  /** The exchange owns a slot of the connector's `limit` now: given back when it is over. */
  holdSlot(): void {
    if (this.#finished) this.#o.slots!.give();
    else this.#holdsSlot = true;
  }

  /** Whether the exchange is over. */
  get finished(): boolean {
    return this.#finished;
  }

  // ---- undici's handler interface ----

  /**
   * Settled when undici hands the request to a connection (its head is written next) or the
   * exchange fails first: the moment of the trace `onRequestHeadersSent`.
   */
  whenConnected(): Future<void> {
    if (this.#connectedWaiter === null) {
      this.#connectedWaiter = new Future<void>({ loop: this.#o.loop });
      if (this.connected || this.#finished) this.#connectedWaiter.setResult();
    }
    return this.#connectedWaiter;
  }
  #connectedWaiter: Future<void> | null = null;

  #wakeConnected(): void {
    const w = this.#connectedWaiter;
    if (w !== null && !w.done()) ioTurn(this.#o.loop, settle, w);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.connected = true;
    this.#wakeConnected();
    this.#clearConnectTimer();
    if (this.#abortReason !== null) abort(this.#abortReason);
    else this.#abort = abort;
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200) return true; // 1xx: informational, the real response follows
    this.#resume = resume;
    const raw = new Array<string>(rawHeaders.length);
    let encoding: string | null = null;
    for (let i = 0; i < rawHeaders.length; i++) {
      const s = rawHeaders[i]!.toString("latin1");
      raw[i] = s;
      if ((i & 1) === 1 && this.#o.autoDecompress && raw[i - 1]!.length === 16) {
        const name = raw[i - 1]!.toLowerCase();
        if (name === "content-encoding") encoding = s.trim().toLowerCase();
      }
    }
    const body = new ResponseBody(this.#o.loop, this);
    this.body = body;
    // identity or unknown: handed over as is (aiohttp does the same)
    if (encoding === "gzip" || encoding === "x-gzip") this.#encoding = "gzip";
    else if (encoding === "deflate" || encoding === "br") this.#encoding = encoding;
    if (!this.#headSettled) {
      this.#headSettled = true;
      const o = this.#o;
      const info = o.requestInfo;
      const response = new ClientResponse({
        method: info.method,
        url: info.url,
        requestInfo: info,
        head: { status, statusText, rawHeaders: raw },
        exchange: this,
        history: o.history,
        fallbackCharset: o.fallbackCharset,
      });
      ioTurn(o.loop, resolveResponse, this.#response!, response);
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#o.onChunk?.(chunk);
    if (this.#encoding !== null) {
      this.#decoder ??= this.#makeDecoder(this.#encoding, this.body!);
      return this.#decoder.write(chunk);
    }
    return this.body!.push(chunk);
  }

  onComplete(_trailers: string[] | null): void {
    this.#clearTimers();
    const decoder = this.#decoder;
    if (decoder !== null) decoder.end();
    // After undici's own bookkeeping: a task woken by the end and making its next request at once
    // then finds this connection free again. With pipelining 1, undici frees the connection in a
    // `setImmediate` queued right after this call returns: ours, queued from a microtask, runs after it.
    else if (this.body !== null) {
      this.#bodyComplete = true;
      queueMicrotask(this.#endBodySoon);
    }
  }

  readonly #endBodySoon = (): void => {
    setImmediate(this.#endBody);
  };

  readonly #endBody = (): void => {
    this.body!.end();
  };

  onError(err: Error): void {
    let e = translate(err, this.connected || this.body !== null, this.#o);
    if (
      this.body !== null &&
      (e instanceof ServerDisconnectedError || e instanceof ClientConnectionResetError)
    )
      e = new ClientPayloadError(`Response payload is not completed: ${e.message}`, { cause: e });
    // A malformed body (bad chunk framing …) is the payload's error, as aiohttp's TransferEncodingError.
    else if (this.body !== null && e instanceof ClientResponseError && e.cause === err)
      e = new ClientPayloadError(`Response payload is not completed: ${err.message}`, { cause: err });
    this.#fail(e);
  }

  // undici 7 passes the chunk (its types say a size).
  onBodySent(chunk: unknown): void {
    if (this.#o.onChunkSent !== null && chunk instanceof Uint8Array) this.#o.onChunkSent(chunk);
  }

  // ---- internals ----

  /** @internal (BodySource) The body is over. */
  bodyFinished(): void {
    this.#finish();
  }

  /** @internal (BodySource) The body wants data again: the decoder's output flows again, and undici's input with it. */
  resume(): void {
    const d = this.#decoder;
    if (d !== null && d.isPaused()) d.resume();
    const r = this.#resume;
    if (r !== null) r();
  }

  #makeDecoder(encoding: "gzip" | "deflate" | "br", body: ResponseBody): Transform {
    const d: Transform =
      encoding === "gzip"
        ? createGunzip()
        : encoding === "deflate"
          ? createInflate()
          : createBrotliDecompress();
    d.on("data", (out: Buffer) => {
      if (!body.push(out)) d.pause();
    });
    d.on("drain", () => this.resume());
    d.on("end", () => body.end());
    d.on("error", (e: Error) => {
      const err = new ClientPayloadError(`Can not decode content-encoding: ${encoding}`, { cause: e });
      this.abort(err);
    });
    return d;
  }

  #fail(err: Error): void {
    this.#clearTimers();
    const cb = this.#onAbort;
    this.#onAbort = null;
    cb?.();
    this.#wakeConnected();
    if (!this.#headSettled) {
      this.#headSettled = true;
      ioTurn(this.#o.loop, rejectResponse, this.#response!, err);
      this.#finish();
    } else if (this.body !== null) this.body.fail(err);
    // The head's Future was cancelled (its task was) before any body: the slot is free again.
    else this.#finish();
    this.#decoder?.destroy();
  }

  /** The entry of this exchange in its session's deadline list, if it has one. */
  #deadline: DeadlineEntry | null = null;

  /** The entry to put in a deadline list: it forgets this exchange once the exchange is over. */
  deadlineEntry(): DeadlineEntry {
    this.#deadline ??= new DeadlineEntry(this);
    return this.#deadline;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#deadline !== null) this.#deadline.target = null;
    this.#clearTimers();
    if (this.#holdsSlot) {
      this.#holdsSlot = false;
      this.#o.slots!.give();
    }
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== null) {
      this.#connectTimer.cancel();
      this.#connectTimer = null;
    }
  }

  #clearTimers(): void {
    this.#clearConnectTimer();
    if (this.#totalTimer !== null && (this.body === null || this.body.finished || this.#finished)) {
      this.#totalTimer.cancel();
      this.#totalTimer = null;
    }
  }
}

function settle(f: Future<void>): void {
  if (!f.done()) f.setResult();
}

function resolveResponse(f: Future<ClientResponse>, response: ClientResponse): void {
  if (!f.done()) f.setResult(response);
}

function rejectResponse(f: Future<ClientResponse>, err: Error): void {
  if (!f.done()) {
    f.setException(err);
    // The requesting task may have gone (cancelled): the error is then nobody's to retrieve.
    f.exception();
  }
}

/**
 * aiohttp's error for an undici (or Node) error. `started`: the request reached a connection (so a
 * reset is the server's disconnect, not a failed connect).
 */
export function translate(err: Error, started: boolean, o: ExchangeOptions): Error {
  if (err instanceof ClientError || err instanceof TimeoutError || err instanceof CancelledError) return err;
  const e = err as NodeJS.ErrnoException & { code?: string; cause?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  const key = o.connectionKey;
  const base = (e.cause as NodeJS.ErrnoException | undefined) ?? e;
  const sysCode = typeof base?.code === "string" ? base.code : code;
  // undici's http (non-tunnel) proxy turns a 407 into this error instead of a response.
  if (o.viaProxy && e.message === "Proxy Authentication Required (407)")
    return new ClientHttpProxyError(o.requestInfo, { status: 407, message: e.message, cause: err });
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return new ConnectionTimeoutError(`Connection timeout to host ${o.requestInfo.url.href}`, {
        cause: err,
      });
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return new SocketTimeoutError(`Timeout on reading data from socket`, { cause: err });
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
      return new ClientPayloadError("Response payload is not completed: Content-Length mismatch", {
        cause: err,
      });
    case "UND_ERR_RES_EXCEEDED_MAX_SIZE":
      return new ClientPayloadError("Response payload exceeded the maximum size", { cause: err });
    case "UND_ERR_HEADERS_OVERFLOW":
      return new ClientResponseError(o.requestInfo, {
        status: 400,
        message: "Got more than the maximum header size",
        cause: err,
      });
    case "UND_ERR_ABORTED": {
      const m = /Proxy response \((\d+)\)/.exec(e.message);
      if (m !== null)
        return new ClientHttpProxyError(o.requestInfo, {
          status: Number(m[1]),
          message: e.message,
          cause: err,
        });
      return new ClientConnectionResetError(e.message, { cause: err });
    }
    case "HPE_INVALID_CONSTANT":
    case "HPE_INVALID_VERSION":
    case "HPE_INVALID_STATUS":
    case "HPE_INVALID_HEADER_TOKEN":
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
    case "HPE_INVALID_CHUNK_SIZE":
    case "HPE_INVALID_TRANSFER_ENCODING":
    case "HPE_LF_EXPECTED":
    case "HPE_CR_EXPECTED":
    case "HPE_INVALID_EOF_STATE":
      return new ClientResponseError(o.requestInfo, { status: 400, message: e.message, cause: err });
  }
  // undici's HTTPParserError often has no code (its llhttp error table is not indexed by number).
  if (code.startsWith("HPE_") || e.name === "HTTPParserError")
    return new ClientResponseError(o.requestInfo, { status: 400, message: e.message, cause: err });
  const named = dnsOrTlsConnectorError(key, base, code, sysCode);
  if (named !== null) return named;
  if (!started && CONNECT_CODES.has(sysCode))
    return o.viaProxy
      ? new ClientProxyConnectionError(key, base, { errno: sysCode })
      : new ClientConnectorError(key, base, { errno: sysCode });
  if (code === "UND_ERR_SOCKET" || sysCode === "ECONNRESET" || sysCode === "EPIPE") {
    return started
      ? new ServerDisconnectedError(`Server disconnected: ${e.message}`, { cause: err })
      : new ClientConnectorError(key, base, { errno: sysCode });
  }
  if (code === "UND_ERR_CLOSED" || code === "UND_ERR_DESTROYED")
    return new ClientConnectionResetError(`Connector is closed: ${e.message}`, { cause: err });
  if (sysCode !== "")
    return new ClientOSError(e.message, { cause: err, errno: sysCode, syscall: base.syscall ?? null });
  return new ClientError(e.message, { cause: err });
}
