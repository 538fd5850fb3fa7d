/**
 * A response body on its way from undici to the user.
 *
 * It starts in *buffer* mode: chunks are kept as they arrive (a small body is usually complete by
 * the time the response's headers are handed over, and `read()` then takes it without waiting).
 * Above {@link BUFFER_HIGH} bytes with nobody reading, undici is paused. `content` switches it to
 * *reader* mode: an aiots `StreamReader` with the usual back-pressure (paused above twice its limit).
 */
import { Buffer } from "node:buffer";
import { endReader, feedReader, ioTurn, readerFromSource } from "../asyncio/kernel.js";
import { type EventLoop, Future, RuntimeError, type StreamReader } from "../index.js";

/** Bytes kept in buffer mode before undici is paused while nobody reads. */
const BUFFER_HIGH = 128 * 1024;
/** The limit of the `content` reader (aiohttp's `read_bufsize`: 64 KiB). */
const READ_BUFSIZE = 64 * 1024;

enum State {
  Reading,
  Done,
  Failed,
}

/** The network side (undici's handler, paused by its `onData` returning false): resumed, told when the body is over. */
export interface BodySource {
  resume(): void;
  /** Called once when the body is done, failed or dropped (frees the connection slot). */
  bodyFinished(): void;
}

/** @internal See the module comment. */
export class ResponseBody {
  readonly #loop: EventLoop;
  readonly #source: BodySource;
  #chunks: Buffer[] = [];
  #size = 0;
  #state = State.Reading;
  #error: Error | null = null;
  #reader: StreamReader | null = null;
  /** `read()` waiting for the end. */
  #waiter: Future<void> | null = null;
  #paused = false;

  constructor(loop: EventLoop, source: BodySource) {
    this.#loop = loop;
    this.#source = source;
  }

  /** Whether the whole body arrived. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Whether the body is complete or failed (nothing more will arrive). */
  get finished(): boolean {
    return this.#state !== State.Reading;
  }

  /** The error the body failed with, or null. */
  get error(): Error | null {
    return this.#error;
  }

  // ---- network side ----

  /** A chunk arrived: false asks undici to pause until {@link BodySource.resume}. */
  push(chunk: Buffer): boolean {
    if (this.#state !== State.Reading) return false;
    const reader = this.#reader;
    if (reader !== null) {
      ioTurn(this.#loop, feedReader, reader, chunk);
      return !this.#paused;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#waiter === null && this.#size > BUFFER_HIGH) {
      this.#paused = true;
      return false;
    }
    return true;
  }

  /** The body is complete. */
  end(): void {
    if (this.#state !== State.Reading) return;
    this.#state = State.Done;
    this.#finish();
    if (this.#reader !== null) ioTurn(this.#loop, endReader, this.#reader);
    else if (this.#waiter !== null) ioTurn(this.#loop, wake, this.#waiter);
  }

  /** The body failed (connection lost, timeout, abort …). */
  fail(err: Error): void {
    if (this.#state !== State.Reading) return;
    this.#state = State.Failed;
    this.#error = err;
    this.#finish();
    if (this.#reader !== null) ioTurn(this.#loop, failReader, this.#reader, err);
    else if (this.#waiter !== null) ioTurn(this.#loop, wake, this.#waiter);
  }

  #finish(): void {
    this.#source.bodyFinished();
  }

  // ---- user side ----

  /** The body as a StreamReader (from now on; what was buffered is fed first). */
  get reader(): StreamReader {
    if (this.#reader !== null) return this.#reader;
    if (this.#waiter !== null) throw new RuntimeError("Cannot read the content while read() runs");
    const reader = readerFromSource(
      {
        pause: () => {
          this.#paused = true;
        },
        resume: () => this.#resume(),
      },
      { loop: this.#loop, limit: READ_BUFSIZE },
    );
    this.#reader = reader;
    for (const c of this.#chunks) reader.feedData(c);
    this.#chunks = [];
    this.#size = 0;
    if (this.#state === State.Done) reader.feedEof();
    else if (this.#state === State.Failed) reader.setException(this.#error!);
    else if (this.#paused && reader.buffered <= READ_BUFSIZE) this.#resume();
    return reader;
  }

  /** Whether the body is read through {@link reader}. */
  get streaming(): boolean {
    return this.#reader !== null;
  }

  /** Everything buffered so far, taken (buffer mode). */
  take(): Buffer {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#size = 0;
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  /** Wait (buffer mode) until the body is finished; undici runs unpaused meanwhile. */
  async waitFinished(): Promise<void> {
    while (this.#state === State.Reading) {
      const w = new Future<void>({ loop: this.#loop });
      this.#waiter = w;
      if (this.#paused) this.#resume();
      try {
        await w;
      } finally {
        this.#waiter = null;
      }
    }
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#source.resume();
  }

  /** Stop wanting the body: nothing more is kept. */
  drop(): void {
    this.#chunks = [];
    this.#size = 0;
  }
}

function failReader(reader: StreamReader, err: Error): void {
  // An error already there (the user's `content.setException`) is kept, as aiohttp does.
  if (reader.exception() === null) reader.setException(err);
}

function wake(w: Future<void>): void {
  if (!w.done()) w.setResult();
}
