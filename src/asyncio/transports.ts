/**
 * Transports: the I/O side of a connection (CPython's `asyncio/transports.py`).
 *
 * A transport owns a socket or pipe, buffers writes and calls its protocol. These abstract classes
 * fix the interface; {@link SocketTransport} (TCP, Unix sockets, TLS, subprocess pipes) implements it.
 */
import type { BaseProtocol } from "./protocols.js";

/** What every transport can do (CPython's `BaseTransport`). */
export abstract class BaseTransport {
  /**
   * Optional information about the transport, by Python's names: `"peername"` and `"sockname"`
   * (`[host, port]` for TCP, a path for Unix sockets), `"socket"` (the `net.Socket`), and for TLS
   * `"peercert"`, `"cipher"`, `"ssl_object"` (the `tls.TLSSocket`). Unknown names give `defaultValue`.
   */
  abstract getExtraInfo(name: string, defaultValue?: unknown): unknown;
  /** True once the transport is closing or closed. */
  abstract isClosing(): boolean;
  /** Close: buffered data is flushed, then `connectionLost(null)` is called on the protocol. */
  abstract close(): void;
  /** Switch to another protocol. */
  abstract setProtocol(protocol: BaseProtocol): void;
  /** The current protocol. */
  abstract getProtocol(): BaseProtocol;
}

/** The reading half (CPython's `ReadTransport`). */
export abstract class ReadTransport extends BaseTransport {
  /** True while data is delivered to the protocol (not paused, not closing). */
  abstract isReading(): boolean;
  /** Stop delivering data until `resumeReading()`; the peer is slowed down by TCP back-pressure. */
  abstract pauseReading(): void;
  /** Deliver data again after `pauseReading()`. */
  abstract resumeReading(): void;
}

/** The writing half (CPython's `WriteTransport`). */
export abstract class WriteTransport extends BaseTransport {
  /**
   * Set the write buffer's high- and low-water marks in bytes (defaults: 64 KiB and a quarter of it).
   * @throws {ValueError} unless `high >= low >= 0`.
   */
  abstract setWriteBufferLimits(high?: number | null, low?: number | null): void;
  /** Bytes written but not yet handed to the kernel. */
  abstract getWriteBufferSize(): number;
  /** `[low, high]`, as in CPython. */
  abstract getWriteBufferLimits(): [number, number];
  /** Queue bytes for sending (never blocks; use the protocol's pause/resume or `StreamWriter.drain`). */
  abstract write(data: Uint8Array | string): void;
  /** Write each chunk of `list`. */
  abstract writelines(list: Iterable<Uint8Array | string>): void;
  /** Flush buffered data, then close the writing side (a TCP half-close). */
  abstract writeEof(): void;
  /** True when `writeEof()` is supported (false for TLS). */
  abstract canWriteEof(): boolean;
  /** Close at once, dropping buffered data; `connectionLost(null)` follows. */
  abstract abort(): void;

  /**
   * @internal Hand what `write()` queued to the OS now rather than when the transport would (a
   * reader of this connection is about to wait for input). The default does nothing.
   */
  _flushWrites(): void {}
}

/** A bidirectional stream transport (CPython's `Transport`). */
export abstract class Transport extends WriteTransport {
  /** True while data is delivered to the protocol (not paused, not closing). */
  abstract isReading(): boolean;
  /** Stop delivering data until `resumeReading()`; the peer is slowed down by TCP back-pressure. */
  abstract pauseReading(): void;
  /** Deliver data again after `pauseReading()`. */
  abstract resumeReading(): void;
}
