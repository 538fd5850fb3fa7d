/**
 * `Server`: what `loop.createServer` and `startServer` return (CPython's `base_events.Server`).
 *
 * It owns the listening Node servers and counts the connections they accepted. `close()` stops
 * listening (connections already accepted go on); `waitClosed()` settles once it is closed and every
 * connection has ended, as in CPython 3.12+; `closeClients()`/`abortClients()` end those connections.
 */
import { renameSync, statSync, unlinkSync } from "node:fs";
import type * as net from "node:net";
import { inspect } from "node:util";
import type { EventLoop } from "./base-events.js";
import { CancelledError, RuntimeError } from "./exceptions.js";
import { type Awaitable, Future } from "./futures.js";
import { GenOp } from "./lazy-ops.js";
import type { BaseProtocol } from "./protocols.js";
import { SocketTransport } from "./socket-transport.js";

/** A listening socket of a {@link Server}. */
export class ServerSocket {
  /** @internal */
  constructor(
    /** The Node server listening on it. */
    readonly server: net.Server,
  ) {}

  /** `[host, port]` for TCP (the port a `port: 0` server got), the path for a Unix socket. */
  getsockname(): [string, number] | string {
    const a = this.server.address();
    if (a === null) return "";
    if (typeof a === "string") return a;
    return [a.address, a.port];
  }

  /** `"IPv4"`, `"IPv6"` or `"unix"`. */
  get family(): string {
    const a = this.server.address();
    return a === null || typeof a === "string" ? "unix" : a.family;
  }
}

/** @internal How a server turns an accepted socket into a transport and protocol. */
export type AcceptHandler = (server: Server, sock: net.Socket) => void;

/**
 * A listening server. Use `await using server = await startServer(…)` (close and wait on exit),
 * or `server.close(); await server.waitClosed()`.
 */
export class Server implements AsyncDisposable {
  readonly #loop: EventLoop;
  #servers: net.Server[] | null;
  readonly #protocolFactory: () => BaseProtocol;
  readonly #unixPaths: string[];
  /** Inode of each Unix socket file once listening: close() removes only a file that is still ours. */
  readonly #unixInodes = new Map<string, number>();
  #serving = false;
  #activeCount = 0;
  readonly #transports = new Set<SocketTransport>();
  #waiters: Future<void>[] | null = [];
  #servingForever: Future<void> | null = null;
  #held: [net.Socket, Record<string, unknown> | undefined][] = [];

  /** @internal */
  constructor(
    loop: EventLoop,
    servers: net.Server[],
    protocolFactory: () => BaseProtocol,
    options: { unixPaths?: string[] } = {},
  ) {
    this.#loop = loop;
    this.#servers = servers;
    this.#protocolFactory = protocolFactory;
    this.#unixPaths = options.unixPaths ?? [];
  }

  /** @internal A listening Node server accepted a socket (`extra`: transport extra info). */
  _accept = (sock: net.Socket, extra?: Record<string, unknown>): void => {
    if (this.#servers === null) {
      sock.destroy();
      return;
    }
    if (!this.#serving) {
      // Not serving yet (startServing: false): hold it, as the kernel's backlog would.
      sock.pause();
      this.#held.push([sock, extra]);
      return;
    }
    let protocol: BaseProtocol;
    try {
      protocol = this.#protocolFactory();
    } catch (e) {
      sock.destroy();
      this.#loop.callExceptionHandler({ message: "protocol factory failed", exception: e, server: this });
      return;
    }
    new SocketTransport(this.#loop, sock, protocol, { server: this, extra });
  };

  /** @internal Listening: remember which socket files are ours (CPython 3.13's cleanup check). */
  _noteUnixPaths(): void {
    for (const p of this.#unixPaths) {
      try {
        this.#unixInodes.set(p, statSync(p).ino);
      } catch {
        // gone already: close() leaves the path alone
      }
    }
  }

  /** @internal */
  _attach(t: SocketTransport): void {
    this.#activeCount++;
    this.#transports.add(t);
  }

  /** @internal */
  _detach(t: SocketTransport): void {
    this.#activeCount--;
    this.#transports.delete(t);
    if (this.#activeCount === 0 && this.#servers === null) this.#wakeup();
  }

  #wakeup(): void {
    const waiters = this.#waiters;
    this.#waiters = null;
    if (waiters === null) return;
    for (const w of waiters) if (!w.done()) w.setResult();
  }

  /** The loop the server runs on. */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /** True while it listens and accepts connections. */
  isServing(): boolean {
    return this.#serving && this.#servers !== null;
  }

  /** The listening sockets (empty once closed). */
  get sockets(): readonly ServerSocket[] {
    return (this.#servers ?? []).map((s) => new ServerSocket(s));
  }

  /** Start accepting connections (a server made with `startServing: false`). */
  startServing(): Awaitable<void> {
    return new GenOp(() => this.#startServingGen());
  }

  // biome-ignore lint/correctness/useYield: a lazy operation that completes at once
  *#startServingGen(): Generator<unknown, void, unknown> {
    this.#startServingNow();
  }

  #startServingNow(): void {
    if (this.#serving || this.#servers === null) return;
    this.#serving = true;
    const held = this.#held;
    this.#held = [];
    for (const [sock, extra] of held) this._accept(sock, extra);
  }

  /**
   * Accept connections until cancelled; cancelling it closes the server and waits for it.
   * @throws {RuntimeError} when already awaited elsewhere, or when the server is closed.
   */
  serveForever(): Awaitable<void> {
    return new GenOp(() => this.#serveForeverGen());
  }

  *#serveForeverGen(): Generator<unknown, void, unknown> {
    if (this.#servingForever !== null) {
      throw new RuntimeError(`server ${this} is already being awaited on serveForever()`);
    }
    if (this.#servers === null) throw new RuntimeError(`server ${this} is closed`);
    this.#startServingNow();
    const fut = new Future<void>({ loop: this.#loop });
    this.#servingForever = fut;
    try {
      yield* fut;
    } catch (e) {
      if (e instanceof CancelledError) {
        try {
          this.close();
          yield* this.#waitClosedGen();
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: the cancellation goes on, as in CPython
          throw e;
        }
      }
      throw e;
    } finally {
      this.#servingForever = null;
    }
  }

  /**
   * Stop listening. Connections already accepted stay open (see `closeClients`); `waitClosed()` waits for them.
   */
  close(): void {
    const servers = this.#servers;
    if (servers === null) return;
    this.#servers = null;
    this.#serving = false;
    // libuv unlinks a Unix server's path as it closes it: move a file somebody else has put there
    // since out of the way meanwhile, so it survives (CPython leaves such a file alone).
    const moved: [string, string][] = [];
    for (const [p, ino] of this.#unixInodes) {
      try {
        if (statSync(p).ino !== ino) {
          renameSync(p, `${p}.${process.pid}.keep`);
          moved.push([p, `${p}.${process.pid}.keep`]);
        }
      } catch {
        // gone already
      }
    }
    for (const s of servers) s.close();
    for (const [p, tmp] of moved) {
      try {
        renameSync(tmp, p);
      } catch {
        // removed meanwhile
      }
    }
    for (const [sock] of this.#held) sock.destroy();
    this.#held = [];
    // Remove our socket files, but not one somebody else has put at the same path since.
    for (const [p, ino] of this.#unixInodes) unlinkIfSame(p, ino);
    this.#unixInodes.clear();
    if (this.#servingForever !== null && !this.#servingForever.done()) this.#servingForever.cancel();
    if (this.#activeCount === 0) this.#wakeup();
  }

  /** Close every accepted connection (their buffered data is flushed first). */
  closeClients(): void {
    for (const t of [...this.#transports]) t.close();
  }

  /** Abort every accepted connection at once. */
  abortClients(): void {
    for (const t of [...this.#transports]) t.abort();
  }

  /** Wait until the server is closed and all its connections have ended. */
  waitClosed(): Awaitable<void> {
    return new GenOp(() => this.#waitClosedGen());
  }

  *#waitClosedGen(): Generator<unknown, void, unknown> {
    if (this.#waiters === null) return;
    const w = new Future<void>({ loop: this.#loop });
    this.#waiters.push(w);
    yield* w;
  }

  /** `await using server = …`: close, then wait until closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  toString(): string {
    return `<Server sockets=${inspect(this.sockets.map((s) => s.getsockname()))}>`;
  }
}

function unlinkIfSame(path: string, ino: number): void {
  try {
    if (statSync(path).ino === ino) unlinkSync(path);
  } catch {
    // already gone
  }
}
