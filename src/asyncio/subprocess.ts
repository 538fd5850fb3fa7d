/**
 * Subprocesses with stream pipes (CPython's `asyncio/subprocess.py`): `createSubprocessExec`,
 * `createSubprocessShell` and `Process`.
 *
 * Node's `child_process.spawn` starts the child and reaps it (no zombies); each pipe becomes a
 * {@link StreamReader} or {@link StreamWriter} over a {@link SocketTransport}, so reading is paused
 * above the reader's limit (the child blocks on a full pipe rather than the parent buffering without
 * bound) and `communicate()` reads stdout and stderr while it writes stdin (no deadlock).
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import type * as net from "node:net";
import { constants } from "node:os";
import type { EventLoop } from "./base-events.js";
import {
  ArgumentTypeError,
  BrokenPipeError,
  ConnectionResetError,
  OSError,
  ProcessLookupError,
  ValueError,
} from "./exceptions.js";
import { type Awaitable, Future, PENDING } from "./futures.js";
import { gather } from "./gather.js";
import { GenOp, LazyOp, NOT_READY } from "./lazy-ops.js";
import { getRunningLoop } from "./loop-registry.js";
import { type SignalLike, signalName } from "./signals.js";
import { SocketTransport } from "./socket-transport.js";
import { StreamReaderProtocol } from "./stream-protocol.js";
import { DEFAULT_LIMIT, StreamReader } from "./stream-reader.js";
import { StreamWriter } from "./stream-writer.js";

/** Connect the stream to a new pipe (a StreamReader/StreamWriter on the Process). */
export const PIPE = -1;
/** `stderr: STDOUT` sends the child's stderr into its stdout pipe (`2>&1`). */
export const STDOUT = -2;
/** Connect the stream to `/dev/null`. */
export const DEVNULL = -3;

/**
 * What a child's stdin/stdout/stderr is connected to: {@link PIPE}, {@link DEVNULL}, {@link STDOUT}
 * (stderr only), a file descriptor number, or `null`/`undefined` to inherit the parent's.
 */
export type StdioOption = typeof PIPE | typeof STDOUT | typeof DEVNULL | number | null | undefined;

/** Options of {@link createSubprocessExec} and {@link createSubprocessShell}. */
export interface SubprocessOptions {
  stdin?: StdioOption;
  stdout?: StdioOption;
  stderr?: StdioOption;
  /** Buffer limit of the stdout/stderr readers (default 64 KiB). */
  limit?: number;
  /** Working directory of the child. */
  cwd?: string | URL;
  /** Environment of the child (default: the parent's). */
  env?: NodeJS.ProcessEnv;
  /** Start the child in a new session (`setsid`), like Python's `start_new_session`. */
  startNewSession?: boolean;
  /** User id to run as. */
  uid?: number;
  /** Group id to run as. */
  gid?: number;
}

/**
 * A running child process (CPython's `asyncio.subprocess.Process`).
 */
export class Process {
  readonly #child: ChildProcess;
  readonly #loop: EventLoop;
  /** The child's stdin, when created with `stdin: PIPE`. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout, when created with `stdout: PIPE`. */
  readonly stdout: StreamReader | null;
  /** The child's stderr, when created with `stderr: PIPE`. */
  readonly stderr: StreamReader | null;
  #returncode: number | null = null;
  /** The child exited and its stdin pipe (if any) is closed: wait() returns. */
  #finished = false;
  readonly #stdinClosed: Future<void> | null;
  #exitWaiters: Future<number>[] = [];

  /** @internal */
  constructor(
    loop: EventLoop,
    child: ChildProcess,
    pipes: { stdin: StreamWriter | null; stdout: StreamReader | null; stderr: StreamReader | null },
    stdinClosed: Future<void> | null = null,
  ) {
    this.#loop = loop;
    this.#child = child;
    this.stdin = pipes.stdin;
    this.stdout = pipes.stdout;
    this.stderr = pipes.stderr;
    this.#stdinClosed = stdinClosed;
    if (child.exitCode !== null || child.signalCode !== null) this.#exited(child.exitCode, child.signalCode);
    else child.once("exit", (code, sig) => this.#exited(code, sig));
  }

  #exited(code: number | null, sig: NodeJS.Signals | null): void {
    this.#returncode = code ?? -((constants.signals as Record<string, number>)[sig ?? ""] ?? 0);
    // wait() returns once the stdin pipe's transport knows it is closed (Node closes it right after
    // the exit), so that a write after `await proc.wait()` is reported by drain() as a lost
    // connection instead of racing the close (CPython 3.12 also wakes wait() only after the pipes'
    // connection_lost). Only stdin: a grandchild may keep stdout/stderr open for long.
    const closed = this.#stdinClosed;
    if (closed !== null && !closed.done()) closed.addDoneCallback(() => this.#finish());
    else this.#finish();
  }

  #finish(): void {
    this.#finished = true;
    const waiters = this.#exitWaiters;
    this.#exitWaiters = [];
    for (const w of waiters) if (w._state === PENDING) w.setResult(this.#returncode!);
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid!;
  }

  /**
   * The exit status once the child has exited: its exit code, or `-N` when signal N killed it
   * (as in Python); `null` while it runs.
   */
  get returncode(): number | null {
    return this.#returncode;
  }

  /**
   * Wait for the child to exit; returns {@link returncode}. With `stdout: PIPE` read the output
   * too (or use `communicate()`): a child blocked on a full pipe never exits.
   */
  wait(): Awaitable<number> {
    return new LazyOp(this.#waitFast, this.#waitGen, undefined, this);
  }

  #waitFast(): number | typeof NOT_READY {
    return this.#finished ? this.#returncode! : NOT_READY;
  }

  *#waitGen(): Generator<unknown, number, unknown> {
    if (this.#finished) return this.#returncode!;
    const w = new Future<number>({ loop: this.#loop });
    this.#exitWaiters.push(w);
    try {
      return yield* w;
    } finally {
      const i = this.#exitWaiters.indexOf(w);
      if (i !== -1) this.#exitWaiters.splice(i, 1);
    }
  }

  /**
   * Send `input` to stdin (then close it), read stdout and stderr to EOF, wait for the exit.
   * Returns `[stdout, stderr]` — `null` for a stream that is not a pipe. Cancelling it leaves the
   * child running (kill it if you no longer want it).
   * @throws {ValueError} `input` given but stdin is not a pipe.
   */
  communicate(input?: Uint8Array | string | null): Awaitable<[Buffer | null, Buffer | null]> {
    if (input != null && this.stdin === null) throw new ValueError("communicate() input needs stdin: PIPE");
    if (input != null && typeof input !== "string" && !(input instanceof Uint8Array)) {
      throw new ArgumentTypeError("input must be bytes (Uint8Array) or a string");
    }
    return new GenOp(() => this.#communicateGen(input ?? null));
  }

  *#communicateGen(
    input: Uint8Array | string | null,
  ): Generator<unknown, [Buffer | null, Buffer | null], unknown> {
    const [, out, err] = (yield* gather([
      this.stdin !== null ? feedStdin(this.stdin, input) : noop(),
      this.stdout !== null ? readStream(this.stdout) : noop(),
      this.stderr !== null ? readStream(this.stderr) : noop(),
    ])) as [null, Buffer | null, Buffer | null];
    yield* this.wait();
    return [out, err];
  }

  /**
   * Send `sig` (`"SIGTERM"`, `"SIGHUP"`, a number …) to the child.
   * @throws {ProcessLookupError} the child has already exited.
   */
  sendSignal(sig: SignalLike): void {
    const name = signalName(sig);
    if (this.#returncode !== null || this.#child.exitCode !== null || this.#child.signalCode !== null) {
      throw new ProcessLookupError("the process has already exited", { errno: "ESRCH" });
    }
    let ok: boolean;
    try {
      ok = this.#child.kill(name);
    } catch (e) {
      throw OSError.from(e);
    }
    if (!ok) throw new ProcessLookupError("the process has already exited", { errno: "ESRCH" });
  }

  /** Send SIGTERM. @throws {ProcessLookupError} the child has already exited. */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /** Send SIGKILL. @throws {ProcessLookupError} the child has already exited. */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  toString(): string {
    return `<Process ${this.#child.pid}${this.#returncode === null ? "" : ` returncode=${this.#returncode}`}>`;
  }
}

// biome-ignore lint/correctness/useYield: completes at once
function* noop(): Generator<unknown, null, unknown> {
  return null;
}

function* feedStdin(
  stdin: StreamWriter,
  input: Uint8Array | string | null,
): Generator<unknown, null, unknown> {
  try {
    if (input !== null && input.length > 0) {
      stdin.write(input);
      yield* stdin.drain();
    }
  } catch (e) {
    // The child exited without reading it all, as in CPython: not an error of communicate().
    if (!(e instanceof BrokenPipeError || e instanceof ConnectionResetError)) throw e;
  }
  stdin.close();
  return null;
}

function* readStream(reader: StreamReader): Generator<unknown, Buffer, unknown> {
  return yield* reader.read();
}

/**
 * Run `program` with `args` (no shell). The last argument may be the options object.
 * @throws {FileNotFoundError} no such program. @throws {PermissionError} not executable.
 * @see https://docs.python.org/3/library/asyncio-subprocess.html#asyncio.create_subprocess_exec
 */
export function createSubprocessExec(
  program: string,
  ...rest: (string | SubprocessOptions)[]
): Awaitable<Process> {
  if (typeof program !== "string" || program === "")
    throw new ArgumentTypeError("program must be a non-empty string");
  let options: SubprocessOptions = {};
  const last = rest[rest.length - 1];
  if (last !== undefined && typeof last === "object" && last !== null) {
    options = last;
    rest = rest.slice(0, -1);
  }
  for (const a of rest) {
    if (typeof a !== "string")
      throw new ArgumentTypeError(`args must be strings, not ${a === null ? "null" : typeof a}`);
  }
  const args = rest as string[];
  checkOptions(options);
  if (options.stderr === STDOUT) {
    // Node has no 2>&1: a shell that execs the program with the redirection (the pid is the program's).
    return new GenOp(() => spawnGen("/bin/sh", ["-c", 'exec "$0" "$@" 2>&1', program, ...args], options));
  }
  return new GenOp(() => spawnGen(program, args, options));
}

/**
 * Run `cmd` with `/bin/sh -c`.
 * @see https://docs.python.org/3/library/asyncio-subprocess.html#asyncio.create_subprocess_shell
 */
export function createSubprocessShell(cmd: string, options: SubprocessOptions = {}): Awaitable<Process> {
  if (typeof cmd !== "string") throw new ArgumentTypeError("cmd must be a string");
  checkOptions(options);
  const script = options.stderr === STDOUT ? `exec 2>&1\n${cmd}` : cmd;
  return new GenOp(() => spawnGen("/bin/sh", ["-c", script], options));
}

function checkOptions(options: SubprocessOptions): void {
  if (options === null || typeof options !== "object")
    throw new ArgumentTypeError("options must be an object");
  for (const k of ["stdin", "stdout", "stderr"] as const) {
    const v = options[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw new ArgumentTypeError(`${k} must be PIPE, DEVNULL, STDOUT, a file descriptor or null`);
    }
    if (v === STDOUT && k !== "stderr") throw new ValueError(`STDOUT can only be used for stderr`);
    if (v < DEVNULL) throw new ValueError(`invalid ${k} value ${v}`);
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new ValueError(`limit must be a positive integer, got ${options.limit}`);
  }
}

function stdio(v: StdioOption): "pipe" | "ignore" | "inherit" | number {
  if (v === PIPE) return "pipe";
  if (v === DEVNULL) return "ignore";
  if (v === null || v === undefined) return "inherit";
  if (v === STDOUT) return "pipe";
  return v;
}

function* spawnGen(
  file: string,
  args: string[],
  options: SubprocessOptions,
): Generator<unknown, Process, unknown> {
  const loop = getRunningLoop();
  loop._checkClosed();
  const spawnOptions: SpawnOptions = {
    stdio: [
      stdio(options.stdin),
      stdio(options.stdout),
      options.stderr === STDOUT ? "ignore" : stdio(options.stderr),
    ],
    cwd: options.cwd,
    env: options.env,
    detached: options.startNewSession ?? false,
    uid: options.uid,
    gid: options.gid,
  };
  let child: ChildProcess;
  try {
    child = spawn(file, args, spawnOptions);
  } catch (e) {
    throw OSError.from(e);
  }
  // The pipes get their transports now: Node discards the output of a child that exits before
  // anyone listens to its pipes.
  const limit = options.limit ?? DEFAULT_LIMIT;
  const pipes = {
    stdin: child.stdin ? writerFor(loop, child.stdin as net.Socket) : null,
    stdout: child.stdout ? readerFor(loop, child.stdout as net.Socket, limit) : null,
    stderr: child.stderr ? readerFor(loop, child.stderr as net.Socket, limit) : null,
  };
  const stdinClosed = pipes.stdin !== null ? takeStdin(loop, child, pipes.stdin) : null;
  const started = new Future<void>({ loop });
  const onError = (err: Error): void => {
    if (!started.done()) started.setException(OSError.from(err));
  };
  child.once("error", onError);
  // Later errors (a failed kill) are reported where they happen; keep Node from throwing them.
  child.on("error", ignore);
  child.once("spawn", () => started.done() || started.setResult());
  try {
    yield* started;
    const made = new Future<void>({ loop });
    loop.callSoon(() => made.done() || made.setResult());
    yield* made; // the pipes' connectionMade callbacks have run
  } catch (e) {
    pipes.stdin?.transport.abort();
    for (const r of [pipes.stdout, pipes.stderr]) r?._transport?.abort();
    // Creation failed or was cancelled after the child started: kill it and wait for it, as
    // CPython does (transport.close() + _wait()); it used to be left running, unreachable.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Future<void>({ loop });
      child.once("exit", () => exited.done() || exited.setResult());
      try {
        child.kill("SIGKILL");
        yield* exited;
      } catch {
        // a second cancel while waiting: give up waiting (the kill was sent), report the first
      }
    }
    throw e;
  } finally {
    child.removeListener("error", onError);
  }
  return new Process(loop, child, pipes, stdinClosed);
}

function ignore(): void {}

/**
 * Take the stdin socket out of Node's hands. Node destroys `child.stdin` without an error when the
 * child exits: data still queued would vanish and a waiting drain() would succeed. Here, at the
 * exit, a pipe with data still queued is closed as a broken pipe (CPython's write pipe transport
 * closes with BrokenPipeError when the reader goes away while it buffers data), an idle one plainly.
 * Returns a Future done once the transport's connectionLost has run.
 */
function takeStdin(loop: EventLoop, child: ChildProcess, writer: StreamWriter): Future<void> {
  const sock = child.stdin as net.Socket;
  child.stdin = null;
  const closed = new Future<void>({ loop });
  // Registered after the transport's own 'close' listener: its connectionLost is scheduled first.
  sock.once("close", () => {
    if (!closed.done() && !loop.isClosed()) loop.callSoon(() => closed.done() || closed.setResult());
  });
  child.once("exit", () => {
    if (sock.destroyed) return;
    if (writer.transport.getWriteBufferSize() > 0) {
      const err: NodeJS.ErrnoException = new Error("write EPIPE: the child exited without reading");
      err.code = "EPIPE";
      err.syscall = "write";
      sock.destroy(err);
    } else sock.destroy();
  });
  return closed;
}

function readerFor(loop: EventLoop, sock: net.Socket, limit: number): StreamReader {
  const reader = new StreamReader({ limit, loop });
  const protocol = new StreamReaderProtocol(reader, null, loop);
  new SocketTransport(loop, sock, protocol, { readOnly: true, extra: { pipe: sock } });
  return reader;
}

function writerFor(loop: EventLoop, sock: net.Socket): StreamWriter {
  const protocol = new StreamReaderProtocol(new StreamReader({ loop }), null, loop);
  const transport = new SocketTransport(loop, sock, protocol, { extra: { pipe: sock } });
  return new StreamWriter(transport, protocol, null, loop);
}
