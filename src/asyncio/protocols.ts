/**
 * Protocols: the callback side of a connection (CPython's `asyncio/protocols.py`).
 *
 * A transport calls its protocol: `connectionMade(transport)` once, then `dataReceived(data)` for
 * each chunk, `eofReceived()` when the peer half-closes, and `connectionLost(exc)` once at the end
 * (`null` for a clean close). `pauseWriting()`/`resumeWriting()` tell the protocol that the
 * transport's write buffer went above its high-water mark and back below its low-water mark.
 * Every method has a do-nothing default: subclass and override what you need.
 */
import type { BaseTransport, Transport } from "./transports.js";

/** The callbacks every protocol has (CPython's `BaseProtocol`). */
export class BaseProtocol {
  /** The connection is up; `transport` is how to write to it and close it. */
  connectionMade(_transport: BaseTransport): void {}
  /** The connection is gone: `exc` is the error that ended it, or `null` for a clean close or EOF. */
  connectionLost(_exc: Error | null): void {}
  /** The transport's write buffer went above its high-water mark: stop writing until `resumeWriting`. */
  pauseWriting(): void {}
  /** The transport's write buffer drained below its low-water mark. */
  resumeWriting(): void {}
}

/** A stream protocol (CPython's `Protocol`): data arrives as `Uint8Array` chunks. */
export class Protocol extends BaseProtocol {
  override connectionMade(_transport: Transport): void {}
  /** A chunk of bytes arrived. The chunk is yours; it is never reused by the transport. */
  dataReceived(_data: Buffer): void {}
  /**
   * The peer sent EOF (half-close). Return `true` to keep the connection open for writing; anything
   * else closes the transport, as in CPython.
   */
  eofReceived(): boolean | undefined | void {
    return undefined;
  }
}
