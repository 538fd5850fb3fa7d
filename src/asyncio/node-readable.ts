/**
 * A {@link StreamReader} fed from a Node `Readable` (a request body, a response body), with real
 * back-pressure: the Node stream is paused while the reader holds more than twice its limit and
 * resumed below it, exactly as a socket transport is.
 * @internal Exposed to the layers above through the kernel.
 */
import type { Readable } from "node:stream";
import type { EventLoop } from "./base-events.js";
import { ConnectionResetError } from "./exceptions.js";
import { ioTurn } from "./loop-scheduler.js";
import { StreamReader } from "./stream-reader.js";
import type { Transport } from "./transports.js";

/** Options of {@link readerFromNode}. */
export interface NodeReaderOptions {
  /** The reader's buffer limit (bytes; pause above 2×, resume below 1×). */
  limit?: number;
  /** Loop the reader's waiters belong to. */
  loop: EventLoop;
  /**
   * Called with each chunk before it is fed: return an Error to fail the reader with it instead
   * (the Node stream is then paused and no more data is fed) — how a body-size limit is enforced
   * while reading.
   */
  check?: (chunk: Buffer) => Error | null;
  /** The error a premature end gives (default: ConnectionResetError). */
  abortedError?: () => Error;
}

/** Feed `readable` into a new StreamReader; reading starts now (the reader applies back-pressure). */
export function readerFromNode(readable: Readable, options: NodeReaderOptions): StreamReader {
  const { loop, check } = options;
  const reader = new StreamReader({ limit: options.limit, loop });
  let failed = false;
  const fail = (err: Error): void => {
    if (failed) return;
    failed = true;
    readable.pause();
    ioTurn(loop, failReader, reader, err);
  };
  // Only what StreamReader uses of a transport: pausing and resuming the source.
  const source = {
    pauseReading: (): void => {
      readable.pause();
    },
    resumeReading: (): void => {
      if (!failed) readable.resume();
    },
    isReading: (): boolean => !readable.isPaused(),
  };
  reader.setTransport(source as unknown as Transport);
  readable.on("data", (chunk: Buffer) => {
    if (failed) return;
    const err = check?.(chunk) ?? null;
    if (err !== null) {
      fail(err);
      return;
    }
    ioTurn(loop, feedReader, reader, chunk);
  });
  readable.on("end", () => {
    if (failed) return;
    ioTurn(loop, endReader, reader);
  });
  const onAbort = (): void => {
    fail(options.abortedError?.() ?? new ConnectionResetError("Connection lost while reading the body"));
  };
  readable.on("aborted", onAbort);
  readable.on("error", onAbort);
  readable.on("close", () => {
    if (!readable.readableEnded) onAbort();
  });
  return reader;
}

/** What {@link readerFromSource} pauses and resumes. */
export interface ReaderSource {
  pause(): void;
  resume(): void;
}

/**
 * A StreamReader that the caller feeds (`feedData`/`feedEof`/`setException`, inside an I/O turn)
 * from a source it pauses above twice `limit` and resumes below it — an undici response body.
 */
export function readerFromSource(
  source: ReaderSource,
  options: { loop: EventLoop; limit?: number },
): StreamReader {
  const reader = new StreamReader({ limit: options.limit, loop: options.loop });
  let reading = true;
  const transport = {
    pauseReading: (): void => {
      reading = false;
      source.pause();
    },
    resumeReading: (): void => {
      reading = true;
      source.resume();
    },
    isReading: (): boolean => reading,
  };
  reader.setTransport(transport as unknown as Transport);
  return reader;
}

/** `reader.feedData(chunk)`, as a function of both (for {@link ioTurn}, without a closure per chunk). */
export function feedReader(reader: StreamReader, chunk: Buffer): void {
  reader.feedData(chunk);
}

/** `reader.feedEof()`, as a function of the reader (for {@link ioTurn}). */
export function endReader(reader: StreamReader): void {
  reader.feedEof();
}

function failReader(reader: StreamReader, err: Error): void {
  reader.setException(err);
}
