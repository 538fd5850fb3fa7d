/**
 * The transport over a Node `net.Socket` (TCP, Unix socket, TLS socket or a child process pipe) —
 * CPython's `_SelectorSocketTransport`, with Node's socket doing the system calls.
 *
 * Writes are batched: `write()` appends to a list and one `socket.write` per Node tick sends it all
 * (a server answering 1 000 pipelined lines makes one system call, not 1 000). The write buffer
 * size is what is queued here plus what the socket still holds, so `pauseWriting()` reflects the
 * kernel's real back-pressure. Protocol callbacks run outside any task's async context.
 */
import { Buffer } from "node:buffer";
import type * as net from "node:net";
import process from "node:process";
import type { TLSSocket } from "node:tls";
import type { EventLoop } from "./base-events.js";
import { ArgumentTypeError, ConnectionResetError, OSError, RuntimeError, ValueError } from "./exceptions.js";
import type { Future } from "./futures.js";
import { logger } from "./log.js";
import type { BaseProtocol, Protocol } from "./protocols.js";
import { Transport } from "./transports.js";

/** Default write-buffer high-water mark (CPython's 64 KiB). */
const DEFAULT_HIGH = 64 * 1024;

/** Own property of a socket: the transport that owns it (its listeners are shared functions). */
const OWNER: unique symbol = Symbol("aiots.socketTransport");
type OwnedSocket = net.Socket & { [OWNER]: SocketTransport };
/** Writes after the connection was lost are dropped; warn once this many were. */
const LOG_THRESHOLD_FOR_CONNLOST_WRITES = 5;

/** @internal Who keeps the list of live transports (a `Server`). */
export interface TransportOwner {
  _attach(t: SocketTransport): void;
  _detach(t: SocketTransport): void;
}

/** @internal */
export interface SocketTransportOptions {
  /** The server that accepted the connection, if any. */
  server?: TransportOwner | null;
  /** Resolved after `connectionMade` ran (or rejected if it threw). */
  waiter?: Future<void> | null;
  /** False when taking over a connection whose protocol already had `connectionMade` (startTls). */
  callConnectionMade?: boolean;
  /** Extra info entries (`"pipe"`, `"subprocess"` …). */
  extra?: Record<string, unknown>;
  /** Receiving only (a child's stdout/stderr): EOF closes the transport. */
  readOnly?: boolean;
}

/**
 * A transport over a `net.Socket`. Created by `loop.createConnection`, `loop.createServer`,
 * `openConnection`, `startServer` and the subprocess functions; not usually constructed directly.
 */
export class SocketTransport extends Transport {
  readonly #loop: EventLoop;
  #sock: net.Socket;
  #protocol: Protocol;
  readonly #server: TransportOwner | null;
  readonly #extra: Record<string, unknown>;
  readonly #tls: boolean;
  readonly #readOnly: boolean;
  #closing = false;
  #eofWritten = false;
  #connLost = 0;
  #lostScheduled = false;
  #readingPaused = false;
  #protocolPaused = false;
  #high = DEFAULT_HIGH;
  #low = DEFAULT_HIGH / 4;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The last pending buffer, while later writes extend it in memory (see `write`). */
  #runBuf: Buffer | null = null;
  /** Where the run ending in `#runBuf` ends, as a byte offset into its ArrayBuffer. */
  #runEnd = 0;
  #flushScheduled = false;
  #error: Error | null = null;
  #attached = false;
  /** The peer's EOF arrived while reading was paused; delivered by resumeReading(). */
  #eofPending = false;

  /** @internal */
  constructor(
    loop: EventLoop,
    sock: net.Socket,
    protocol: BaseProtocol,
    options: SocketTransportOptions = {},
  ) {
    super();
    this.#loop = loop;
    this.#sock = sock;
    this.#protocol = protocol as Protocol;
    this.#server = options.server ?? null;
    this.#extra = { ...options.extra };
    this.#tls = (sock as TLSSocket).encrypted === true;
    this.#readOnly = options.readOnly ?? false;
    this.#server?._attach(this);
    this.#attached = true;
    (sock as OwnedSocket)[OWNER] = this;
    const on = SocketTransport.#listeners;
    sock.on("error", on.error);
    sock.on("close", on.close);
    sock.on("end", on.end);
    sock.on("drain", on.drain);
    // Listen now but paused: data waits in the socket until connectionMade ran. (A 'data' listener
    // also stops Node from discarding an exited child's unread pipe output.)
    sock.pause();
    sock.on("data", on.data);
    const waiter = options.waiter ?? null;
    if (options.callConnectionMade === false) {
      this.#startReading();
      if (waiter !== null) loop.callSoon(resolveWaiter, waiter);
      return;
    }
    loop.callSoon(SocketTransport.#later.connectionMade, this, waiter);
  }

  /**
   * The socket's listeners and the callbacks this class schedules: shared functions that find their
   * transport on the socket (`OWNER`) or in their argument, not closures made per connection (an
   * idle connection carried ten of them, ~700 bytes).
   */
  static readonly #listeners = {
    data(this: OwnedSocket, chunk: Buffer): void {
      this[OWNER].#onData(chunk);
    },
    end(this: OwnedSocket): void {
      this[OWNER].#onEnd();
    },
    error(this: OwnedSocket, err: Error): void {
      this[OWNER].#onError(err);
    },
    close(this: OwnedSocket): void {
      this[OWNER].#onClose();
    },
    drain(this: OwnedSocket): void {
      this[OWNER].#onDrain();
    },
  };

  static readonly #later = {
    connectionMade(t: SocketTransport, waiter: Future<void> | null): void {
      t.#connectionMade(waiter);
    },
    deliverPendingEof(t: SocketTransport): void {
      t.#deliverPendingEof();
    },
    callConnectionLost(t: SocketTransport, exc: Error | null): void {
      t.#callConnectionLost(exc);
    },
    flush(t: SocketTransport): void {
      t.#flush();
    },
  };

  /** The write callback, made only while the protocol is paused (see `#flush`). */
  #onWrittenCallback: ((err?: Error | null) => void) | null = null;

  #connectionMade(waiter: Future<void> | null): void {
    try {
      this.#protocol.connectionMade(this);
    } catch (e) {
      if (waiter !== null && !waiter.done()) waiter.setException(e);
      this.#fatalError(e, "Fatal error: protocol.connectionMade() call failed.");
      return;
    }
    // Data is delivered only from here on (CPython adds the reader after connection_made).
    this.#startReading();
    if (waiter !== null) this.#loop.callSoon(resolveWaiter, waiter);
  }

  #startReading(): void {
    if (this.#closing || !this.#sock.readable) return;
    if (this.#readingPaused) this.#sock.pause();
    else this.#sock.resume();
  }

  // ---- socket events -----------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#closing && this.#connLost > 0) return;
    this.#loop._beforeIO();
    try {
      this.#protocol.dataReceived(chunk);
    } catch (e) {
      this.#fatalError(e, "Fatal error: protocol.dataReceived() call failed.");
    } finally {
      this.#loop._afterIO();
    }
    // Replies written while handling this chunk (a protocol's dataReceived, a generator task resumed
    // by it) leave now rather than on the next tick: one write per chunk still, minus a tick of latency.
    if (this.#pending.length > 0) this.#flush();
  }

  #onEnd(): void {
    if (this.#closing && this.#connLost > 0) return;
    // Node emits 'end' for a paused socket whose buffer is empty; CPython does not read while paused,
    // so it sees EOF only after resume_reading(). Hold it until then.
    if (this.#readingPaused) {
      this.#eofPending = true;
      return;
    }
    let keepOpen: unknown;
    try {
      keepOpen = this.#protocol.eofReceived();
    } catch (e) {
      this.#fatalError(e, "Fatal error: protocol.eofReceived() call failed.");
      return;
    }
    if (this.#readOnly) {
      this.close();
      return;
    }
    if (keepOpen === true) {
      if (this.#tls) logger.warning("returning true from eofReceived() has no effect when using TLS");
      else return;
    }
    this.close();
  }

  #onError(err: Error): void {
    // 'close' follows and reports the error to connectionLost.
    this.#error ??= OSError.from(err);
    this.#flushScheduled = false;
    this.#clearPending();
  }

  #onClose(): void {
    this.#closing = true;
    this.#connLost++;
    this.#scheduleConnectionLost(this.#error);
  }

  #onDrain(): void {
    this.#maybeResumeProtocol();
  }

  #onWritten(err?: Error | null): void {
    if (err) return; // 'error' reports it
    this.#maybeResumeProtocol();
  }

  // ---- reading -----------------------------------------------------------------------------

  /** True while data is delivered to the protocol. */
  isReading(): boolean {
    return !this.#readingPaused && !this.#closing;
  }

  /** Stop delivering data until `resumeReading()`; the socket stops reading, so TCP slows the peer. */
  pauseReading(): void {
    if (this.#closing || this.#readingPaused) return;
    this.#readingPaused = true;
    this.#sock.pause();
  }

  /** Deliver data again. */
  resumeReading(): void {
    if (this.#closing || !this.#readingPaused) return;
    this.#readingPaused = false;
    this.#sock.resume();
    if (this.#eofPending) {
      this.#eofPending = false;
      this.#loop.callSoon(SocketTransport.#later.deliverPendingEof, this);
    }
  }

  #deliverPendingEof(): void {
    if (!this.#closing) this.#onEnd(); // paused again meanwhile: #onEnd holds it again
  }

  // ---- writing -----------------------------------------------------------------------------

  /**
   * Queue `data` (bytes, or a string sent as UTF-8) for sending. Writes made in the same tick go out
   * in one system call. Do not modify a buffer after writing it.
   * @throws {RuntimeError} after `writeEof()` or `close()` (CPython only logs a write after close).
   * Writes after the peer went away are dropped, as in CPython; `StreamWriter.drain()` reports it.
   */
  write(data: Uint8Array | string): void {
    let buf: Buffer;
    if (typeof data === "string") buf = Buffer.from(data, "utf8");
    else if (data instanceof Uint8Array) buf = toBuffer(data);
    else
      throw new ArgumentTypeError(
        `data argument must be a bytes-like object (Uint8Array) or a string, not ${describe(data)}`,
      );
    if (this.#eofWritten) throw new RuntimeError("Cannot call write() after write_eof()");
    if (buf.length === 0) return;
    if (this.#connLost > 0 || this.#error !== null) {
      if (this.#connLost >= LOG_THRESHOLD_FOR_CONNLOST_WRITES)
        logger.warning("socket.send() raised exception.");
      this.#connLost++;
      return;
    }
    if (this.#closing) throw new RuntimeError("Cannot call write() after close()");
    const run = this.#runBuf;
    if (run !== null && buf.buffer === run.buffer && buf.byteOffset === this.#runEnd) {
      // Contiguous with the previous write (lines read from one chunk and written back, a proxy
      // forwarding what it read): extend the run instead of copying it into the flush.
      this.#runEnd += buf.length;
    } else {
      if (run !== null) this.#sealRun(run);
      this.#pending.push(buf);
      this.#runBuf = buf;
      this.#runEnd = buf.byteOffset + buf.length;
    }
    this.#pendingBytes += buf.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(SocketTransport.#later.flush, this);
    }
    this.#maybePauseProtocol();
  }

  /**
   * @internal Writes are coalesced until the next tick (one system call per batch of replies). A
   * reader of this connection that is about to wait calls this: what was written leaves now, so a
   * reply does not wait for the rest of the tick (the reader setting up its next wait, other tasks).
   */
  override _flushWrites(): void {
    if (this.#pending.length > 0) this.#flush();
  }

  /** Write each chunk of `list` (one system call for all of them). */
  writelines(list: Iterable<Uint8Array | string>): void {
    if (list === null || typeof (list as any)?.[Symbol.iterator] !== "function")
      throw new ArgumentTypeError(`writelines() argument must be iterable, not ${describe(list)}`);
    for (const chunk of list) this.write(chunk);
  }

  /** Replace the last pending buffer by the whole run it started. */
  #sealRun(run: Buffer): void {
    if (this.#runEnd !== run.byteOffset + run.length) {
      this.#pending[this.#pending.length - 1] = Buffer.from(
        run.buffer,
        run.byteOffset,
        this.#runEnd - run.byteOffset,
      );
    }
    this.#runBuf = null;
  }

  #clearPending(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#runBuf = null;
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#runBuf !== null) this.#sealRun(this.#runBuf);
    const n = this.#pending.length;
    if (n === 0 || this.#error !== null || this.#sock.destroyed) return;
    const buf = n === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#clearPending();
    if (this.#protocolPaused)
      this.#sock.write(buf, (this.#onWrittenCallback ??= (err) => this.#onWritten(err)));
    else this.#sock.write(buf);
  }

  /** Bytes queued here plus those the socket has not handed to the kernel yet. */
  getWriteBufferSize(): number {
    return this.#pendingBytes + this.#sock.writableLength;
  }

  /** `[low, high]` water marks in bytes. */
  getWriteBufferLimits(): [number, number] {
    return [this.#low, this.#high];
  }

  /**
   * Set the high- and low-water marks (CPython's rules: `high` defaults to 64 KiB, or 4× `low`;
   * `low` to a quarter of `high`).
   * @throws {ValueError} unless `high >= low >= 0`.
   */
  setWriteBufferLimits(high?: number | null, low?: number | null): void {
    if (high != null && (typeof high !== "number" || Number.isNaN(high)))
      throw new ArgumentTypeError(`high must be a number, not ${describe(high)}`);
    if (low != null && (typeof low !== "number" || Number.isNaN(low)))
      throw new ArgumentTypeError(`low must be a number, not ${describe(low)}`);
    const h = high ?? (low == null ? DEFAULT_HIGH : 4 * low);
    const l = low ?? Math.floor(h / 4);
    if (!(h >= l && l >= 0)) throw new ValueError(`high (${h}) must be >= low (${l}) must be >= 0`);
    this.#high = h;
    this.#low = l;
    this.#maybePauseProtocol();
  }

  #maybePauseProtocol(): void {
    if (this.#protocolPaused || this.getWriteBufferSize() <= this.#high) return;
    this.#protocolPaused = true;
    this.#tellProtocol("pauseWriting");
  }

  #maybeResumeProtocol(): void {
    if (!this.#protocolPaused || this.getWriteBufferSize() > this.#low) return;
    this.#protocolPaused = false;
    this.#tellProtocol("resumeWriting");
  }

  /** Flow-control callbacks must not break the write path: their errors go to the exception handler. */
  #tellProtocol(method: "pauseWriting" | "resumeWriting"): void {
    try {
      this.#protocol[method]();
    } catch (e) {
      this.#loop.callExceptionHandler({
        message: `protocol.${method}() failed`,
        exception: e,
        transport: this,
        protocol: this.#protocol,
      });
    }
  }

  /** Flush, then half-close the connection (the peer reads EOF; this side can still read). */
  writeEof(): void {
    if (this.#closing || this.#eofWritten) return;
    if (!this.canWriteEof()) throw new RuntimeError("writeEof() is not supported on this transport");
    this.#eofWritten = true;
    this.#flush();
    this.#sock.end();
  }

  /** True for TCP and Unix sockets and pipes; false for TLS (as in CPython). */
  canWriteEof(): boolean {
    return !this.#tls;
  }

  // ---- closing -----------------------------------------------------------------------------

  /** True once `close()`/`abort()` was called or the connection was lost. */
  isClosing(): boolean {
    return this.#closing;
  }

  /** Stop reading, flush what is buffered, close; the protocol's `connectionLost(null)` follows. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#sock.removeListener("data", SocketTransport.#listeners.data);
    this.#sock.pause();
    this.#flush();
    const sock = this.#sock;
    if (sock.destroyed) return;
    // FIN after the buffered data, then release the socket (CPython closes it once flushed).
    if (!sock.writable) sock.destroy();
    else sock.end(() => sock.destroy());
  }

  /** Close at once, dropping buffered data. */
  abort(): void {
    this.#forceClose(null);
  }

  #forceClose(exc: Error | null): void {
    if (exc !== null) this.#error ??= exc;
    this.#clearPending();
    this.#closing = true;
    this.#sock.removeListener("data", SocketTransport.#listeners.data);
    if (!this.#sock.destroyed) this.#sock.destroy();
  }

  #fatalError(exc: unknown, message: string): void {
    const err = exc instanceof Error ? exc : new Error(String(exc));
    if (!(err instanceof OSError)) {
      this.#loop.callExceptionHandler({ message, exception: err, transport: this, protocol: this.#protocol });
    }
    this.#forceClose(err);
  }

  #scheduleConnectionLost(exc: Error | null): void {
    if (this.#lostScheduled) return;
    this.#lostScheduled = true;
    if (this.#loop.isClosed()) {
      this.#callConnectionLost(exc);
      return;
    }
    this.#loop.callSoon(SocketTransport.#later.callConnectionLost, this, exc);
  }

  #callConnectionLost(exc: Error | null): void {
    try {
      this.#protocol.connectionLost(exc);
    } finally {
      if (this.#attached) {
        this.#attached = false;
        this.#server?._detach(this);
      }
    }
  }

  // ---- info --------------------------------------------------------------------------------

  /** Python's extra-info names; see {@link BaseTransport.getExtraInfo}. */
  getExtraInfo(name: string, defaultValue: unknown = null): unknown {
    if (name in this.#extra) return this.#extra[name];
    const sock = this.#sock as TLSSocket;
    switch (name) {
      case "socket":
        return sock;
      // Unix sockets: the creator passes "peername"/"sockname" extras (the path on one side, "").
      case "peername":
        if (sock.remoteAddress !== undefined) return [sock.remoteAddress, sock.remotePort];
        return defaultValue;
      case "sockname": {
        if (sock.localAddress !== undefined) return [sock.localAddress, sock.localPort];
        return defaultValue;
      }
    }
    if (this.#tls) {
      switch (name) {
        case "peercert": {
          const cert = sock.getPeerCertificate();
          return cert && Object.keys(cert).length > 0 ? cert : defaultValue;
        }
        case "cipher":
          return sock.getCipher() ?? defaultValue;
        case "ssl_object":
        case "sslobject":
          return sock;
        case "compression":
          return null;
      }
    }
    return defaultValue;
  }

  /** Replace the protocol that receives the callbacks. */
  setProtocol(protocol: BaseProtocol): void {
    this.#protocol = protocol as Protocol;
  }

  /** The protocol receiving the callbacks. */
  getProtocol(): BaseProtocol {
    return this.#protocol;
  }

  /** @internal The socket, for startTls (which takes it over). */
  _detachSocket(): net.Socket {
    const sock = this.#sock;
    this.#flush();
    const on = SocketTransport.#listeners;
    sock.removeListener("data", on.data);
    sock.removeListener("error", on.error);
    sock.removeListener("close", on.close);
    sock.removeListener("end", on.end);
    sock.removeListener("drain", on.drain);
    delete (sock as Partial<OwnedSocket>)[OWNER]; // the socket lives on (under TLS): let this transport go
    this.#closing = true;
    this.#lostScheduled = true;
    if (this.#attached) {
      this.#attached = false;
      this.#server?._detach(this);
    }
    return sock;
  }

  /** @internal The server that accepted this connection. */
  get _server(): TransportOwner | null {
    return this.#server;
  }

  /** @internal Why the connection ended, if it failed. */
  get _error(): Error | null {
    return this.#error;
  }

  override toString(): string {
    const state = this.#closing ? "closing" : "open";
    const peer = this.getExtraInfo("peername");
    return `<SocketTransport ${state}${peer ? ` peer=${JSON.stringify(peer)}` : ""}${this.#tls ? " tls" : ""}>`;
  }
}

function resolveWaiter(waiter: Future<void>): void {
  if (!waiter.done()) waiter.setResult();
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

/** @internal Used when a read or drain must fail because the connection went away. */
export function connectionLostError(): ConnectionResetError {
  return new ConnectionResetError("Connection lost");
}
