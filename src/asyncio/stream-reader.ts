/**
 * `StreamReader`: the bytes arriving from a transport, buffered and read with `read`, `readline`,
 * `readexactly`, `readuntil`, `iterChunked`, `iterAny` or `for await` (CPython's `StreamReader` in
 * `asyncio/streams.py`). Reading pauses the transport above twice the buffer limit.
 *
 * Every read is a lazy operation usable with `await` and `yield*`: when the data is already
 * buffered it completes without a Future (a line of a pipelined stream costs one buffer search and a
 * view, no copy); otherwise it waits on one waiter Future, which `task.cancel()` cancels. A cancelled
 * read leaves the buffered data where it was: the stream stays usable.
 *
 * Lines and chunks returned are `Buffer` views of the received data: do not write into them.
 */

import { Buffer } from "node:buffer";
import type { EventLoop } from "./base-events.js";
import {
  ArgumentTypeError,
  IncompleteReadError,
  LimitOverrunError,
  RuntimeError,
  ValueError,
} from "./exceptions.js";
import { type Awaitable, Future, PENDING } from "./futures.js";
import { eager, GenOp, ITERATION_DONE, NOT_READY, type OpIterator, opIterator } from "./lazy-ops.js";
import { getEventLoop } from "./loop-registry.js";
import { type Transport, WriteTransport } from "./transports.js";

/** The default buffer limit of a StreamReader: 64 KiB, as in CPython. */
export const DEFAULT_LIMIT = 64 * 1024;

const EMPTY = Buffer.alloc(0);
const NL = 10;

/** Options of {@link StreamReader}. */
export interface StreamReaderOptions {
  /** Longest line or separator search, in bytes (default 64 KiB); reading pauses above twice this. */
  limit?: number;
  /** The loop (default: the running loop, else the current one). */
  loop?: EventLoop;
}

/**
 * Bytes arriving from a transport, read with `read`, `readline`, `readexactly`, `readuntil`, or
 * `for await (const line of reader)`.
 */
export class StreamReader implements AsyncIterable<Buffer> {
  readonly #limit: number;
  readonly #loop: EventLoop;
  #buf: Buffer = EMPTY;
  #start = 0;
  #end = 0;
  /** True when `#buf` was allocated here, so bytes after `#end` may be written. */
  #owned = false;
  #eof = false;
  #waiter: Future<void> | null = null;
  #exception: Error | null = null;
  #transport: Transport | null = null;
  #paused = false;
  /** Bytes taken so far (lets a waiting readline tell how much another read took meanwhile). */
  #consumed = 0;

  constructor(options: StreamReaderOptions = {}) {
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit <= 0) {
      throw new ValueError(`Limit cannot be <= 0 (got ${limit})`);
    }
    this.#limit = limit;
    this.#loop = options.loop ?? safeRunningLoop();
  }

  /** The buffer limit in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** Bytes buffered and not yet read. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** The error the stream failed with, or `null`. */
  exception(): Error | null {
    return this.#exception;
  }

  /** Fail the stream: pending and later reads throw `exc`. */
  setException(exc: Error): void {
    this.#exception = exc;
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      if (w._state === PENDING) w.setException(exc);
    }
  }

  /** @internal Attach the transport to pause and resume. */
  setTransport(transport: Transport): void {
    if (this.#transport !== null && this.#transport !== transport) {
      throw new RuntimeError("Transport already set");
    }
    this.#transport = transport;
  }

  /** @internal */
  get _transport(): Transport | null {
    return this.#transport;
  }

  /** @internal startTls swapped the transport. */
  _replaceTransport(transport: Transport): void {
    this.#transport = transport;
  }

  #wakeup(): void {
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      if (w._state === PENDING) w.setResult();
    }
  }

  /** The end of the stream was reached (no more data will be fed). */
  feedEof(): void {
    this.#eof = true;
    this.#wakeup();
  }

  /** True when EOF was fed and every byte was read. */
  atEof(): boolean {
    return this.#eof && this.#start === this.#end;
  }

  /**
   * Append received bytes (what a protocol's `dataReceived` does). Differences from Python: the
   * reader may keep `data` itself instead of a copy, so do not modify it after feeding it.
   * @throws {RuntimeError} after `feedEof()`.
   */
  feedData(data: Uint8Array): void {
    if (this.#eof) throw new RuntimeError("feedData after feedEof");
    const n = data.length;
    if (n === 0) return;
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, n);
    const have = this.#end - this.#start;
    if (have === 0) {
      // Adopt the chunk: the common case (whole lines per chunk) copies nothing.
      this.#buf = chunk;
      this.#start = 0;
      this.#end = n;
      this.#owned = false;
    } else if (this.#owned && this.#buf.length - this.#end >= n) {
      chunk.copy(this.#buf, this.#end);
      this.#end += n;
    } else {
      // Views already handed out keep the old buffer; the rest moves to a new one, twice as large
      // as needed so that a stream accumulating many chunks copies each byte O(1) times.
      const next = Buffer.allocUnsafe(Math.max(2 * (have + n), 1024));
      this.#buf.copy(next, 0, this.#start, this.#end);
      chunk.copy(next, have);
      this.#buf = next;
      this.#start = 0;
      this.#end = have + n;
      this.#owned = true;
    }
    this.#wakeup();
    const t = this.#transport;
    if (t !== null && !this.#paused && this.#end - this.#start > 2 * this.#limit) {
      this.#paused = true;
      t.pauseReading();
    }
  }

  #maybeResumeTransport(): void {
    if (this.#paused && this.#end - this.#start <= this.#limit) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
  }

  /** Take `n` buffered bytes (n ≤ buffered) as a view. */
  #take(n: number): Buffer {
    const s = this.#start;
    this.#start = s + n;
    this.#consumed += n;
    const out = this.#buf.subarray(s, s + n);
    if (this.#start === this.#end) {
      this.#buf = EMPTY;
      this.#start = this.#end = 0;
      this.#owned = false;
    }
    if (this.#paused) this.#maybeResumeTransport();
    return out;
  }

  #takeAll(): Buffer {
    return this.#take(this.#end - this.#start);
  }

  /**
   * Arm the one waiter Future that the next feed, EOF or error completes (the first half of
   * CPython's `_wait_for_data`); the caller yields to it and then calls `#disarm`.
   */
  #armWaiter(funcName: string): Future<void> {
    if (this.#waiter !== null) {
      throw new RuntimeError(
        `${funcName}() called while another coroutine is already waiting for incoming data`,
      );
    }
    if (this.#paused) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
    const w = new Future<void>({ loop: this.#loop });
    this.#waiter = w;
    this.#flushBeforeWait(); // with the waiter set: a reply that comes back at once completes it
    return w;
  }

  /**
   * Whoever reads is about to wait for the peer: what it wrote on this connection (a reply) leaves
   * now, as a blocking reader flushes its output first — not at the end of the tick, after the next
   * wait was set up (a request/response exchange's latency).
   */
  #flushBeforeWait(): void {
    const t = this.#transport;
    if (t instanceof WriteTransport) t._flushWrites();
  }

  #disarm(w: Future<void>): void {
    if (this.#waiter === w) this.#waiter = null;
  }

  /** Wait for the next feed, EOF or error (CPython's `_wait_for_data`). */
  *#waitForData(funcName: string): Generator<unknown, void, unknown> {
    const w = this.#armWaiter(funcName);
    try {
      yield* w;
    } finally {
      this.#disarm(w);
    }
  }

  // ---- readline ----------------------------------------------------------------------------

  /**
   * Read one line, up to and including `\n`. At EOF returns what is left (possibly an empty buffer,
   * which means the stream ended).
   * @throws {ValueError} when the line is longer than `limit` (the line is dropped, as in CPython).
   */
  readline(): Awaitable<Buffer> {
    return eager(this.#readlineFast, this.#readlineGen, undefined, this);
  }

  #readlineFast(): Buffer | typeof NOT_READY {
    if (this.#exception !== null) throw this.#exception;
    // Nothing buffered (a server waiting for the next request): no search. `indexOf` is a call into
    // C++, and a readline() that must wait ran this fast path twice (at the call, and when awaited).
    if (this.#start === this.#end) {
      this.#flushBeforeWait(); // the wait's own setup (an await of the lazy operation) comes later
      return NOT_READY;
    }
    const i = this.#buf.indexOf(NL, this.#start);
    if (i !== -1 && i < this.#end && i - this.#start <= this.#limit) return this.#take(i + 1 - this.#start);
    return NOT_READY;
  }

  /**
   * readline() that must wait: the common case (a line within the limit arrives) as a small
   * hand-written iterator with the wait inlined. A suspended generator keeps its whole register file
   * (224 bytes with the generator object); an idle connection's handler waits here.
   * Limit overruns go to the generic path, which reports them exactly as CPython does.
   */
  #readlineGen(): OpIterator<Buffer> {
    return new StreamReader.#ReadlineWait(this);
  }

  /** The state of {@link #readlineGen}: the generator it replaces, step by step. */
  static #ReadlineWait = class ReadlineWait implements OpIterator<Buffer> {
    /** Bytes after `#start` already searched for "\n" (CPython's offset). */
    #searched = 0;
    /** The reader's `#consumed` when the wait began: a read that did not wait may take bytes meanwhile. */
    #consumedAtWait = 0;
    #waiter: Future<void> | null = null;
    /** After a limit overrun: the generic path, delegated to. */
    #overrun: Generator<unknown, Buffer, unknown> | null = null;

    constructor(readonly reader: StreamReader) {}

    next(): IteratorResult<unknown, Buffer> {
      if (this.#overrun !== null) return this.#overrun.next();
      if (this.#endWait()) {
        const r = this.reader;
        this.#searched = Math.max(0, this.#searched - (r.#consumed - this.#consumedAtWait));
      }
      return this.#scan();
    }

    throw(e: unknown): IteratorResult<unknown, Buffer> {
      if (this.#overrun !== null) return this.#overrun.throw(e);
      this.#endWait();
      throw e;
    }

    return(value: Buffer): IteratorResult<unknown, Buffer> {
      if (this.#overrun !== null) return this.#overrun.return(value);
      this.#endWait();
      return { done: true, value };
    }

    [Symbol.iterator](): this {
      return this;
    }

    /** Disarm the waiter yielded last, if any; true when there was one. */
    #endWait(): boolean {
      const w = this.#waiter;
      if (w === null) return false;
      this.#waiter = null;
      this.reader.#disarm(w);
      return true;
    }

    /** One turn of the readline loop: the line, or the waiter to yield. */
    #scan(): IteratorResult<unknown, Buffer> {
      const r = this.reader;
      if (r.#exception !== null) throw r.#exception;
      const start = r.#start;
      const from = start + this.#searched;
      // No byte since the last search (a wait that begins on an empty buffer): no call into C++.
      const i = from < r.#end ? r.#buf.indexOf(NL, from) : -1;
      if (i !== -1 && i < r.#end) {
        if (i - start <= r.#limit) return { done: true, value: r.#take(i + 1 - start) };
      } else if (r.#end - start <= r.#limit) {
        if (r.#eof) return { done: true, value: Buffer.from(r.#takeAll()) };
        this.#searched = r.#end - start;
        this.#consumedAtWait = r.#consumed;
        this.#waiter = r.#armWaiter("readuntil");
        return { done: false, value: this.#waiter };
      }
      this.#overrun = r.#readlineOverrunGen();
      return this.#overrun.next();
    }
  };

  /** readline() past the limit: through readuntil, reporting the overrun exactly as CPython does. */
  *#readlineOverrunGen(): Generator<unknown, Buffer, unknown> {
    try {
      return yield* this.#readuntilGen([NL_SEP]);
    } catch (e) {
      if (e instanceof IncompleteReadError) return e.partial as Buffer;
      if (e instanceof LimitOverrunError) {
        const sepAt = this.#start + e.consumed;
        if (this.#end > sepAt && this.#buf[sepAt] === NL) this.#take(e.consumed + 1);
        else this.#takeAll();
        this.#maybeResumeTransport();
        throw new ValueError(e.message);
      }
      throw e;
    }
  }

  // ---- readuntil ---------------------------------------------------------------------------

  /**
   * Read up to and including `separator` (bytes or a string; or a list of them — the earliest
   * match wins). At EOF before a separator: {@link IncompleteReadError} with the rest as `partial`
   * (the buffer is emptied).
   * @throws {LimitOverrunError} when no separator is found within `limit` bytes (the data stays
   *   buffered; `consumed` says how much could be dropped).
   * @throws {ValueError} for an empty separator.
   */
  readuntil(separator: Uint8Array | string | readonly (Uint8Array | string)[] = "\n"): Awaitable<Buffer> {
    const seps = normaliseSeparators(separator);
    return eager(this.#readuntilFast, this.#readuntilGen, seps, this);
  }

  #readuntilFast(seps: Buffer[]): Buffer | typeof NOT_READY {
    if (this.#exception !== null) throw this.#exception;
    const end = this.#findSeparator(seps, 0);
    if (end === -1) return NOT_READY;
    return this.#checkedTake(seps, end);
  }

  /** End offset (relative to #start) of the earliest separator match at or after `offset`, or -1. */
  #findSeparator(seps: Buffer[], offset: number): number {
    const start = this.#start;
    const len = this.#end - start;
    let best = -1;
    for (const sep of seps) {
      if (len - offset < sep.length) continue;
      const at = this.#buf.indexOf(sep, start + offset);
      if (at === -1 || at + sep.length > this.#end) continue;
      const end = at - start + sep.length;
      if (best === -1 || end < best) best = end;
    }
    return best;
  }

  #checkedTake(seps: Buffer[], end: number): Buffer {
    // Where the match starts: the shortest separator ending at `end` that matches there.
    let matchStart = end;
    for (const sep of seps) {
      const s = end - sep.length;
      if (s >= 0 && this.#buf.subarray(this.#start + s, this.#start + end).equals(sep)) {
        matchStart = Math.min(matchStart, s);
      }
    }
    if (matchStart > this.#limit) {
      throw new LimitOverrunError("Separator is found, but chunk is longer than limit", matchStart);
    }
    return this.#take(end);
  }

  *#readuntilGen(seps: Buffer[]): Generator<unknown, Buffer, unknown> {
    if (this.#exception !== null) throw this.#exception;
    let minLen = Number.POSITIVE_INFINITY;
    let maxLen = 0;
    for (const s of seps) {
      minLen = Math.min(minLen, s.length);
      maxLen = Math.max(maxLen, s.length);
    }
    let offset = 0;
    for (;;) {
      const buflen = this.#end - this.#start;
      if (buflen - offset >= minLen) {
        const end = this.#findSeparator(seps, offset);
        if (end !== -1) return this.#checkedTake(seps, end);
        offset = Math.max(0, buflen + 1 - maxLen);
        if (offset > this.#limit) {
          throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
        }
      }
      if (this.#eof) {
        const rest = Buffer.from(this.#takeAll());
        throw new IncompleteReadError(rest, null);
      }
      yield* this.#waitForData("readuntil");
      if (this.#exception !== null) throw this.#exception;
    }
  }

  // ---- read / readexactly ------------------------------------------------------------------

  /**
   * Read up to `n` bytes (`n < 0`: everything until EOF). Returns an empty buffer at EOF.
   */
  read(n = -1): Awaitable<Buffer> {
    if (typeof n !== "number" || !Number.isInteger(n)) throw new ArgumentTypeError("n must be an integer");
    if (n < 0) return new GenOp(() => this.#readToEofGen());
    return eager(this.#readFast, this.#readGen, n, this);
  }

  #readFast(n: number): Buffer | typeof NOT_READY {
    if (this.#exception !== null) throw this.#exception;
    if (n === 0) return EMPTY;
    const have = this.#end - this.#start;
    if (have === 0) return this.#eof ? EMPTY : NOT_READY;
    return this.#take(Math.min(n, have));
  }

  *#readGen(n: number): Generator<unknown, Buffer, unknown> {
    if (this.#exception !== null) throw this.#exception;
    if (this.#end === this.#start && !this.#eof) yield* this.#waitForData("read");
    if (this.#exception !== null) throw this.#exception;
    return this.#take(Math.min(n, this.#end - this.#start));
  }

  /** read(-1): wait for EOF, then return every byte received until then. */
  *#readToEofGen(): Generator<unknown, Buffer, unknown> {
    if (this.#exception !== null) throw this.#exception;
    const blocks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const have = this.#end - this.#start;
      if (have > 0) {
        blocks.push(this.#takeAll());
        total += have;
        continue;
      }
      if (this.#eof) break;
      yield* this.#waitForData("read");
      if (this.#exception !== null) throw this.#exception;
    }
    return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, total);
  }

  /**
   * Read exactly `n` bytes.
   * @throws {IncompleteReadError} when EOF comes first (`partial` holds what there was).
   * @throws {ValueError} for `n < 0`.
   */
  readexactly(n: number): Awaitable<Buffer> {
    if (typeof n !== "number" || !Number.isInteger(n)) throw new ArgumentTypeError("n must be an integer");
    if (n < 0) throw new ValueError("readexactly size can not be less than zero");
    return eager(this.#readexactlyFast, this.#readexactlyGen, n, this);
  }

  #readexactlyFast(n: number): Buffer | typeof NOT_READY {
    if (this.#exception !== null) throw this.#exception;
    if (n === 0) return EMPTY;
    if (this.#end - this.#start >= n) return this.#take(n);
    return NOT_READY;
  }

  *#readexactlyGen(n: number): Generator<unknown, Buffer, unknown> {
    if (this.#exception !== null) throw this.#exception;
    if (n === 0) return EMPTY;
    while (this.#end - this.#start < n) {
      if (this.#eof) throw new IncompleteReadError(Buffer.from(this.#takeAll()), n);
      yield* this.#waitForData("readexactly");
      if (this.#exception !== null) throw this.#exception;
    }
    return this.#take(n);
  }

  /**
   * `for await (const line of reader)` (Python: `async for line in reader`): each line until EOF. Each
   * step is `await this.readline()` (see `opIterator`).
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return opIterator(() => this.readline(), lineStep);
  }

  /**
   * Chunks of at most `n` bytes until EOF (aiohttp's `StreamReader.iter_chunked`):
   * `for await (const chunk of response.content.iterChunked(65536))`.
   * @throws {ValueError} unless `n` is a positive integer.
   */
  async *iterChunked(n: number): AsyncGenerator<Buffer, void, undefined> {
    if (!Number.isInteger(n) || n <= 0) throw new ValueError(`n must be a positive integer, got ${n}`);
    for (;;) {
      const chunk = await this.read(n);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  /** Whatever is buffered each time data arrives, until EOF (aiohttp's `iter_any`). */
  async *iterAny(): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = await this.read(this.#limit > 0 ? Math.max(this.#limit, 65536) : 65536);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  toString(): string {
    // As CPython's repr: the byte count only when bytes are buffered ("<StreamReader>" when empty).
    const info: string[] = [];
    if (this.#end > this.#start) info.push(`${this.#end - this.#start} bytes`);
    if (this.#eof) info.push("eof");
    if (this.#limit !== DEFAULT_LIMIT) info.push(`limit=${this.#limit}`);
    if (this.#waiter) info.push("waiter");
    if (this.#exception) info.push(`exception=${this.#exception.name}`);
    if (this.#paused) info.push("paused");
    return info.length === 0 ? "<StreamReader>" : `<StreamReader ${info.join(" ")}>`;
  }
}

const NL_SEP = Buffer.from([NL]);

function normaliseSeparators(separator: unknown): Buffer[] {
  const list = Array.isArray(separator) ? separator : [separator];
  if (list.length === 0) throw new ValueError("Separator should contain at least one element");
  const seps = list.map((s) => {
    if (typeof s === "string") return Buffer.from(s, "utf8");
    if (s instanceof Uint8Array)
      return Buffer.isBuffer(s) ? s : Buffer.from(s.buffer, s.byteOffset, s.length);
    throw new ArgumentTypeError("separator must be bytes (Uint8Array) or a string, or a list of them");
  });
  for (const s of seps)
    if (s.length === 0) throw new ValueError("Separator should be at least one-byte string");
  return seps;
}

/**
 * The running loop, else the current one (as the options' doc says, and as CPython's
 * `events.get_event_loop()` does): a reader made outside a running loop belongs to the loop set with
 * `setEventLoop` (CPython's test_streamreader_constructor_use_global_loop).
 */
function safeRunningLoop(): EventLoop {
  return getEventLoop();
}

/** A `for await` step of a reader's lines: the line, or the end at EOF (an empty read). */
function lineStep(line: Buffer): IteratorResult<Buffer, undefined> {
  return line.length === 0 ? ITERATION_DONE : { done: false, value: line };
}
