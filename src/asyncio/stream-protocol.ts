/**
 * `StreamReaderProtocol`: the protocol between a transport and a `StreamReader`/`StreamWriter` pair
 * (CPython's `StreamReaderProtocol` with `FlowControlMixin`). It feeds received bytes and EOF to the
 * reader, runs a server's client-connected callback as a task, and keeps the write flow control:
 * the transport's pause/resume-writing, which `StreamWriter.drain()` waits on.
 */

import type { EventLoop } from "./base-events.js";
import { Future, isThenable } from "./futures.js";
import { getEventLoop } from "./loop-registry.js";
import { Protocol } from "./protocols.js";
import { connectionLostError } from "./socket-transport.js";
import type { StreamReader } from "./stream-reader.js";
import { StreamWriter } from "./stream-writer.js";
import { createTask, type Task } from "./tasks.js";
import type { Transport } from "./transports.js";

/** A client-connected callback of `startServer`: plain, async, or a generator coroutine function. */
export type ClientConnectedCallback = (reader: StreamReader, writer: StreamWriter) => unknown;

/**
 * The protocol between a transport and a StreamReader/StreamWriter pair (CPython's
 * `StreamReaderProtocol`, with `FlowControlMixin`'s drain logic).
 */
export class StreamReaderProtocol extends Protocol {
  readonly #reader: StreamReader;
  readonly #cb: ClientConnectedCallback | null;
  readonly #loop: EventLoop;
  #overSsl = false;
  #paused = false;
  #connectionLost = false;
  readonly #drainWaiters: Future<void>[] = [];
  readonly #closed: Future<void>;
  #task: Task<unknown> | null = null;

  constructor(
    reader: StreamReader,
    clientConnectedCb: ClientConnectedCallback | null = null,
    loop?: EventLoop,
  ) {
    super();
    this.#reader = reader;
    this.#cb = clientConnectedCb;
    this.#loop = loop ?? getEventLoop(); // the running loop, else the current one
    this.#closed = new Future<void>({ loop: this.#loop });
  }

  override connectionMade(transport: Transport): void {
    this.#reader.setTransport(transport);
    this.#overSsl = !transport.canWriteEof() && transport.getExtraInfo("ssl_object") !== null;
    const cb = this.#cb;
    if (cb === null) return;
    const writer = new StreamWriter(transport, this, this.#reader, this.#loop);
    // The callback runs inside its task whatever its kind, so everything it awaits belongs to that
    // task (a plain function returning a promise too); a synchronous result ends the task at once.
    const reader = this.#reader;
    const task: Task<unknown> = createTask(
      () => {
        const res = cb(reader, writer);
        return (isThenable(res) || isGeneratorLike(res) ? res : Promise.resolve(res)) as PromiseLike<unknown>;
      },
      { loop: this.#loop },
    );
    this.#task = task;
    task.addDoneCallback((t) => {
      if (t.cancelled()) {
        transport.close();
        return;
      }
      const exc = t.exception();
      if (exc != null) {
        this.#loop.callExceptionHandler({
          message: "Unhandled exception in client_connected_cb",
          exception: exc,
          transport,
        });
        transport.close();
      }
    });
  }

  override connectionLost(exc: Error | null): void {
    if (exc === null) this.#reader.feedEof();
    else this.#reader.setException(exc);
    if (!this.#closed.done()) {
      if (exc === null) this.#closed.setResult();
      else {
        this.#closed.setException(exc);
        // Nobody may wait for the close: its error must not be reported as never retrieved.
        this.#closed._retrieved();
      }
    }
    this.#connectionLost = true;
    const waiters = this.#drainWaiters.splice(0);
    for (const w of waiters) {
      if (w.done()) continue;
      if (exc === null) w.setResult();
      else w.setException(exc);
    }
    this.#task = null;
  }

  override dataReceived(data: Buffer): void {
    this.#reader.feedData(data);
  }

  override eofReceived(): boolean {
    this.#reader.feedEof();
    // Over TLS the transport cannot stay half-open (CPython returns False there too).
    return !this.#overSsl;
  }

  override pauseWriting(): void {
    this.#paused = true;
  }

  override resumeWriting(): void {
    this.#paused = false;
    const waiters = this.#drainWaiters.splice(0);
    for (const w of waiters) if (!w.done()) w.setResult();
  }

  /** @internal */
  get _paused(): boolean {
    return this.#paused;
  }

  /** @internal */
  get _connectionLost(): boolean {
    return this.#connectionLost;
  }

  /** @internal */
  get _isServerSide(): boolean {
    return this.#cb !== null;
  }

  /** @internal The task running the client-connected callback. */
  get _task(): Task<unknown> | null {
    return this.#task;
  }

  /** @internal */
  *_drainHelper(): Generator<unknown, void, unknown> {
    if (this.#connectionLost) throw connectionLostError();
    if (!this.#paused) return;
    const w = new Future<void>({ loop: this.#loop });
    this.#drainWaiters.push(w);
    try {
      yield* w;
    } finally {
      const i = this.#drainWaiters.indexOf(w);
      if (i !== -1) this.#drainWaiters.splice(i, 1);
    }
  }

  /** @internal Settles when the connection is lost. */
  get _closed(): Future<void> {
    return this.#closed;
  }

  /** @internal */
  _replaceTransport(transport: Transport): void {
    this.#reader._replaceTransport(transport);
    this.#overSsl = !transport.canWriteEof();
  }
}

function isGeneratorLike(x: unknown): boolean {
  return (
    x !== null &&
    typeof x === "object" &&
    typeof (x as any).next === "function" &&
    typeof (x as any).throw === "function"
  );
}
