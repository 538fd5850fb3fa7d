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
  /** Made on the first wait: most connections never wait for a drain. */
  #drainWaiters: Future<void>[] | null = null;
  /** Made when someone asks (`waitClosed()`), or settled at once if the connection is lost first. */
  #closed: Future<void> | null = null;
  /** The connection was lost with this error (`null`: closed cleanly); `undefined` while open. */
  #lostWith: Error | null | undefined = undefined;
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
    this.#transport = transport;
    task._addListener(this); // _onFutureDone below: no closure per connection
  }

  #transport: Transport | null = null;

  /** @internal The client-connected task is done: close the transport if it failed or was cancelled. */
  _onFutureDone(t: Future<unknown>): void {
    const transport = this.#transport!;
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
  }

  override connectionLost(exc: Error | null): void {
    if (exc === null) this.#reader.feedEof();
    else this.#reader.setException(exc);
    this.#lostWith = exc;
    if (this.#closed !== null) settleClosed(this.#closed, exc);
    this.#connectionLost = true;
    const waiters = this.#drainWaiters?.splice(0) ?? [];
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
    const waiters = this.#drainWaiters?.splice(0);
    if (waiters !== undefined) for (const w of waiters) if (!w.done()) w.setResult();
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
    const waiters = (this.#drainWaiters ??= []);
    waiters.push(w);
    try {
      yield* w;
    } finally {
      const i = waiters.indexOf(w);
      if (i !== -1) waiters.splice(i, 1);
    }
  }

  /** @internal Settles when the connection is lost. */
  get _closed(): Future<void> {
    if (this.#closed === null) {
      this.#closed = new Future<void>({ loop: this.#loop });
      if (this.#lostWith !== undefined) settleClosed(this.#closed, this.#lostWith);
    }
    return this.#closed;
  }

  /** @internal */
  _replaceTransport(transport: Transport): void {
    this.#reader._replaceTransport(transport);
    if (this.#transport !== null) this.#transport = transport; // the task's failure closes this one
    this.#overSsl = !transport.canWriteEof();
  }
}

/** Complete a connection's close future: its result, or the error that ended the connection. */
function settleClosed(closed: Future<void>, exc: Error | null): void {
  if (closed.done()) return;
  if (exc === null) closed.setResult();
  else {
    closed.setException(exc);
    // Nobody may wait for the close: its error must not be reported as never retrieved.
    closed._retrieved();
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
