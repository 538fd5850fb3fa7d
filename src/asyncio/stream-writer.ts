/**
 * `StreamWriter`: writing to a transport (CPython's `StreamWriter`). `write()` never blocks;
 * `drain()` is the back-pressure (it waits while the transport's buffer is above its high-water
 * mark); `close()`/`waitClosed()` end the connection and `startTls()` upgrades it.
 */

import type { EventLoop } from "./base-events.js";
import type { SSLOption } from "./connections.js";
import { type Awaitable, Future } from "./futures.js";
import { GenOp, LazyOp, NOT_READY, READY_VOID } from "./lazy-ops.js";
import { connectionLostError } from "./socket-transport.js";
import type { StreamReaderProtocol } from "./stream-protocol.js";
import type { StreamReader } from "./stream-reader.js";
import type { Transport } from "./transports.js";

/**
 * Writes to a transport (CPython's `StreamWriter`). `write()` never blocks; `await writer.drain()`
 * after writing waits while the buffer is above its high-water mark — real back-pressure.
 */
export class StreamWriter implements AsyncDisposable {
  #transport: Transport;
  readonly #protocol: StreamReaderProtocol;
  readonly #reader: StreamReader | null;
  readonly #loop: EventLoop;

  /** @internal Use `openConnection` / `startServer`. */
  constructor(
    transport: Transport,
    protocol: StreamReaderProtocol,
    reader: StreamReader | null,
    loop: EventLoop,
  ) {
    this.#transport = transport;
    this.#protocol = protocol;
    this.#reader = reader;
    this.#loop = loop;
  }

  /** The underlying transport. */
  get transport(): Transport {
    return this.#transport;
  }

  /**
   * Queue bytes (or a UTF-8 string) for sending. Writes of one tick leave in one system call, at the
   * end of the tick or, sooner, when a read on this connection must wait for the peer.
   * @throws {RuntimeError} after `close()` or `writeEof()`.
   */
  write(data: Uint8Array | string): void {
    this.#transport.write(data);
  }

  /** Write each chunk of `list`. */
  writelines(list: Iterable<Uint8Array | string>): void {
    this.#transport.writelines(list);
  }

  /** True when `writeEof()` is supported (not over TLS). */
  canWriteEof(): boolean {
    return this.#transport.canWriteEof();
  }

  /** Flush, then half-close: the peer reads EOF, this side can still read. */
  writeEof(): void {
    this.#transport.writeEof();
  }

  /** Flush and close the connection; `waitClosed()` waits for it. */
  close(): void {
    this.#transport.close();
  }

  /** True once closing or closed. */
  isClosing(): boolean {
    return this.#transport.isClosing();
  }

  /** Wait until the connection is closed (throws the error that ended it, if any). */
  waitClosed(): Awaitable<void> {
    return new GenOp(() => this.#waitClosedGen());
  }

  *#waitClosedGen(): Generator<unknown, void, unknown> {
    const closed = this.#protocol._closed;
    if (closed.done()) return closed.result();
    yield* this.#waitConnectionLost(true);
  }

  /**
   * Wait until the connection is lost, on a waiter of our own: cancelling the caller must not cancel
   * the protocol's close future (CPython awaits that shared future, so one cancelled wait_closed()
   * makes every later one throw CancelledError in tasks nobody cancelled).
   */
  *#waitConnectionLost(withError: boolean): Generator<unknown, void, unknown> {
    const closed = this.#protocol._closed;
    const f = new Future<void>({ loop: this.#loop });
    const onClosed = (): void => {
      if (f.done()) return;
      const exc = withError && !closed.cancelled() ? closed.exception() : null;
      if (exc != null) f.setException(exc);
      else f.setResult();
    };
    closed.addDoneCallback(onClosed);
    try {
      yield* f;
    } finally {
      closed.removeDoneCallback(onClosed);
    }
  }

  /** `"peername"`, `"sockname"`, `"socket"`, TLS details …; see `Transport.getExtraInfo`. */
  getExtraInfo(name: string, defaultValue: unknown = null): unknown {
    return this.#transport.getExtraInfo(name, defaultValue);
  }

  /**
   * Wait until the write buffer is below its low-water mark (at once when it is not above the high one).
   * @throws {ConnectionResetError} when the connection was lost; the reader's error if it failed.
   */
  drain(): Awaitable<void> {
    // Nothing to wait for (the common case): a shared resolved promise, no allocation. A failure is
    // thrown where the result is awaited, like a coroutine's.
    let ready: undefined | typeof NOT_READY = NOT_READY;
    try {
      ready = this.#drainFast();
    } catch {}
    if (ready === undefined) return READY_VOID;
    return new LazyOp(this.#drainFast, this.#drainGen, undefined, this);
  }

  #drainFast(): undefined | typeof NOT_READY {
    const exc = this.#reader?.exception() ?? null;
    if (exc !== null) throw exc;
    if (this.#transport.isClosing()) return NOT_READY;
    if (this.#protocol._connectionLost) throw connectionLostError();
    if (this.#protocol._paused) return NOT_READY;
    return undefined;
  }

  *#drainGen(): Generator<unknown, void, unknown> {
    if (this.#transport.isClosing()) {
      if (this.#transport.getWriteBufferSize() === 0 && !this.#protocol._connectionLost) {
        // Nothing left to flush: CPython's transport has connection_lost already scheduled here, so
        // its drain() (after a sleep(0)) reports the lost connection. Node closes the socket a few
        // I/O events later, so one iteration is not enough: wait for connectionLost itself.
        yield* this.#waitConnectionLost(false);
      } else {
        // Let connectionLost run first, so drain() reports the lost connection (CPython's sleep(0)).
        const f = new Future<void>({ loop: this.#loop });
        this.#loop.callSoon(settle, f);
        yield* f;
      }
    }
    yield* this.#protocol._drainHelper();
  }

  /**
   * Upgrade the connection to TLS (STARTTLS). The client side checks the server's certificate against
   * `serverHostname`.
   */
  startTls(
    ssl: SSLOption,
    options: { serverHostname?: string | null; sslHandshakeTimeout?: number | null } = {},
  ): Awaitable<void> {
    return new GenOp(() => this.#startTlsGen(ssl, options));
  }

  *#startTlsGen(
    ssl: SSLOption,
    options: { serverHostname?: string | null; sslHandshakeTimeout?: number | null },
  ): Generator<unknown, void, unknown> {
    yield* this.drain();
    const transport = yield* this.#loop.startTls(this.#transport, this.#protocol, ssl, {
      serverSide: this.#protocol._isServerSide,
      serverHostname: options.serverHostname ?? null,
      sslHandshakeTimeout: options.sslHandshakeTimeout ?? null,
    });
    this.#transport = transport;
    this.#protocol._replaceTransport(transport);
  }

  /** `await using writer`: close and wait until closed (errors of the close are ignored). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    try {
      await this.waitClosed();
    } catch {
      // the connection failed; it is closed all the same
    }
  }

  toString(): string {
    return `<StreamWriter transport=${this.#transport}${this.#reader ? ` reader=${this.#reader}` : ""}>`;
  }
}

function settle(f: Future<void>): void {
  if (!f.done()) f.setResult();
}
