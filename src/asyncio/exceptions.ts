/**
 * The exceptions of the core, mirroring CPython's `asyncio/exceptions.py`.
 *
 * Every class carries a stable `code` and survives a second copy of aiots in the process
 * (see {@link brand}). {@link CancelledError} deliberately shares no base class with the others
 * beyond `Error`, so code that handles "ordinary" aiots errors never swallows a cancellation.
 */
import { brand } from "../internal/brand.js";

/**
 * The operation was cancelled. Thrown at the await point of a cancelled task.
 *
 * Code that catches it must re-throw it (or call `task.uncancel()` deliberately):
 * ```ts
 * try { await work(); } catch (e) { if (isCancelledError(e)) throw e; log(e); }
 * ```
 * @see https://docs.python.org/3/library/asyncio-exceptions.html#asyncio.CancelledError
 */
export class CancelledError extends Error {
  /** Stable machine-readable code. */
  readonly code: string = "AIOTS_ERR_CANCELLED";
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "CancelledError";
  }
}
brand(CancelledError, "CancelledError");

/**
 * Ctrl+C (SIGINT) interrupted `run()`: its main task was cancelled by the signal and ended cancelled.
 * Like Python's `KeyboardInterrupt` it is not an "ordinary" error (no common base with the others).
 * @see https://docs.python.org/3/library/asyncio-runner.html#handling-keyboard-interruption
 */
export class KeyboardInterrupt extends Error {
  /** Stable machine-readable code. */
  readonly code: string = "AIOTS_ERR_KEYBOARD_INTERRUPT";
  constructor(message?: string) {
    super(message ?? "");
    this.name = "KeyboardInterrupt";
  }
}
brand(KeyboardInterrupt, "KeyboardInterrupt");

/**
 * @internal A CancelledError the runtime makes to deliver a cancellation (a cancelled future's, a
 * task's pending cancel request). Its stack could only show the loop delivering it — the cancelled
 * code is suspended, none of its frames is on the stack — and capturing it (with the objects its
 * frames keep alive) cost as much as the rest of a `waitFor` that times out. So it has none (its
 * `stack` is its first line) unless `withStack`: a loop in debug mode, where the extra capture is
 * for whoever reads the debug logs. Who cancelled is in `task.cancel`'s debug record, not here.
 */
export function deliveredCancelledError(message: string | undefined, withStack: boolean): CancelledError {
  if (withStack) return new CancelledError(message);
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CancelledError(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** True when `e` is a {@link CancelledError} (from any copy of aiots). */
export function isCancelledError(e: unknown): e is CancelledError {
  return e instanceof CancelledError;
}

/**
 * Base of the Python-named errors below: a plain `Error` with a stable `code`, whose message
 * defaults to `""`. Each subclass names itself with a `name` field next to its `code`.
 */
abstract class AiotsError extends Error {
  abstract readonly code: string;
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
  }
}

/** Python's `RuntimeError`: the operation is not valid in the current state (loop closed, running …). */
export class RuntimeError extends AiotsError {
  readonly code: string = "AIOTS_ERR_RUNTIME";
  override name = "RuntimeError";
}
brand(RuntimeError, "RuntimeError");

/** Python's `ValueError`: an argument has the right type but an invalid value. */
export class ValueError extends AiotsError {
  readonly code: string = "AIOTS_ERR_VALUE";
  override name = "ValueError";
}
brand(ValueError, "ValueError");

/** Python's `TypeError` for arguments of the wrong kind; extends the built-in `TypeError`. */
export class ArgumentTypeError extends TypeError {
  readonly code: string = "AIOTS_ERR_ARG_TYPE";
  constructor(message: string) {
    super(message);
    this.name = "TypeError";
  }
}
brand(ArgumentTypeError, "ArgumentTypeError");

/**
 * The operation exceeded its deadline (`waitFor`, `timeout`, `asCompleted`).
 * @see https://docs.python.org/3/library/asyncio-exceptions.html#asyncio.TimeoutError
 */
export class TimeoutError extends AiotsError {
  readonly code: string = "AIOTS_ERR_TIMEOUT";
  override name = "TimeoutError";
}
brand(TimeoutError, "TimeoutError");

/** A Future or Task was used in a state that does not allow it (result of a pending future, set twice). */
export class InvalidStateError extends AiotsError {
  readonly code: string = "AIOTS_ERR_INVALID_STATE";
  override name = "InvalidStateError";
}
brand(InvalidStateError, "InvalidStateError");

/** `readexactly()` met end of stream first; `partial` holds what was read. */
export class IncompleteReadError extends AiotsError {
  readonly code: string = "AIOTS_ERR_INCOMPLETE_READ";
  constructor(
    readonly partial: Uint8Array,
    readonly expected: number | null,
  ) {
    super(
      `${partial.length} bytes read on a total of ${expected === null ? "undefined" : expected} expected bytes`,
    );
    this.name = "IncompleteReadError";
  }
}
brand(IncompleteReadError, "IncompleteReadError");

/** The stream buffer limit was reached while looking for a separator; `consumed` bytes are to be consumed. */
export class LimitOverrunError extends AiotsError {
  readonly code: string = "AIOTS_ERR_LIMIT_OVERRUN";
  constructor(
    message: string,
    readonly consumed: number,
  ) {
    super(message);
    this.name = "LimitOverrunError";
  }
}
brand(LimitOverrunError, "LimitOverrunError");

/** `getNowait()` on an empty queue. */
export class QueueEmpty extends AiotsError {
  readonly code: string = "AIOTS_ERR_QUEUE_EMPTY";
  override name = "QueueEmpty";
}
brand(QueueEmpty, "QueueEmpty");

/** `putNowait()` on a full queue. */
export class QueueFull extends AiotsError {
  readonly code: string = "AIOTS_ERR_QUEUE_FULL";
  override name = "QueueFull";
}
brand(QueueFull, "QueueFull");

/** `put()`/`get()` on a queue that was shut down. */
export class QueueShutDown extends AiotsError {
  readonly code: string = "AIOTS_ERR_QUEUE_SHUTDOWN";
  override name = "QueueShutDown";
}
brand(QueueShutDown, "QueueShutDown");

/** A `Barrier` was reset or aborted while tasks waited on it. */
export class BrokenBarrierError extends RuntimeError {
  override readonly code: string = "AIOTS_ERR_BROKEN_BARRIER";
  override name = "BrokenBarrierError";
}
brand(BrokenBarrierError, "BrokenBarrierError");

/**
 * Several unrelated errors raised together, as by a `TaskGroup`. Python's `ExceptionGroup`:
 * `exceptions` holds them (also available as `errors`, from `AggregateError`).
 */
export class ExceptionGroup extends AggregateError {
  readonly code: string = "AIOTS_ERR_EXCEPTION_GROUP";
  /** The grouped errors, in the order they happened. */
  readonly exceptions: readonly unknown[];
  constructor(message: string, exceptions: Iterable<unknown>) {
    const list = [...exceptions];
    if (list.length === 0) throw new ValueError("second argument (exceptions) must be a non-empty sequence");
    super(list, `${message} (${list.length} sub-exception${list.length === 1 ? "" : "s"})`);
    this.name = "ExceptionGroup";
    this.exceptions = list;
  }
}
brand(ExceptionGroup, "ExceptionGroup");

/** Node's error codes mapped to the Python `OSError` subclass a Python user would catch. */
const OS_ERROR_CLASSES: Record<string, () => typeof OSError> = {
  ECONNRESET: () => ConnectionResetError,
  ECONNREFUSED: () => ConnectionRefusedError,
  ECONNABORTED: () => ConnectionAbortedError,
  EPIPE: () => BrokenPipeError,
  ERR_STREAM_DESTROYED: () => BrokenPipeError,
  ERR_STREAM_WRITE_AFTER_END: () => BrokenPipeError,
  ENOTFOUND: () => GaiError,
  EAI_AGAIN: () => GaiError,
  EAI_FAIL: () => GaiError,
  EAI_NONAME: () => GaiError,
  ESRCH: () => ProcessLookupError,
  ENOENT: () => FileNotFoundError,
  EACCES: () => PermissionError,
  EPERM: () => PermissionError,
};

/**
 * Python's `OSError`: a system call failed. `errno` is Node's error code string (`"ECONNRESET"`),
 * `syscall` the call that failed, and `cause` the original Node error when there was one.
 * Subclasses follow Python's tree: {@link ConnectionError} (reset, refused, aborted, broken pipe),
 * {@link GaiError} (`socket.gaierror`: host name not found), {@link ProcessLookupError},
 * {@link FileNotFoundError}, {@link PermissionError}.
 */
export class OSError extends AiotsError {
  readonly code: string = "AIOTS_ERR_OS";
  /** Node's error code (`"ECONNREFUSED"` …), or `null`. */
  readonly errno: string | null;
  /** The system call that failed (`"connect"` …), or `null`. */
  readonly syscall: string | null;
  constructor(message?: string, options?: ErrorOptions & { errno?: string | null; syscall?: string | null }) {
    super(message, options);
    this.name = new.target.name; // "ConnectionResetError" … for the subclasses below
    this.errno = options?.errno ?? null;
    this.syscall = options?.syscall ?? null;
  }

  /**
   * The aiots error for a Node system error: `ECONNREFUSED` → {@link ConnectionRefusedError}, and so on.
   * Errors that already are aiots errors (or cancellations) are returned unchanged.
   */
  static from(err: unknown): Error {
    if (err instanceof OSError || err instanceof CancelledError) return err;
    const e = err as NodeJS.ErrnoException;
    const errno = typeof e?.code === "string" ? e.code : null;
    const cls = (errno !== null ? OS_ERROR_CLASSES[errno]?.() : undefined) ?? OSError;
    return new cls(e?.message ?? String(err), { cause: err, errno, syscall: e?.syscall ?? null });
  }
}
brand(OSError, "OSError");

/** Python's `ConnectionError`: base of the connection failures. */
export class ConnectionError extends OSError {
  override readonly code: string = "AIOTS_ERR_CONNECTION";
}
brand(ConnectionError, "ConnectionError");

/** The peer reset the connection, or it was lost while an operation waited on it. */
export class ConnectionResetError extends ConnectionError {
  override readonly code: string = "AIOTS_ERR_CONNECTION_RESET";
}
brand(ConnectionResetError, "ConnectionResetError");

/** Nothing listens on the address connected to. */
export class ConnectionRefusedError extends ConnectionError {
  override readonly code: string = "AIOTS_ERR_CONNECTION_REFUSED";
}
brand(ConnectionRefusedError, "ConnectionRefusedError");

/** The connection was aborted locally. */
export class ConnectionAbortedError extends ConnectionError {
  override readonly code: string = "AIOTS_ERR_CONNECTION_ABORTED";
}
brand(ConnectionAbortedError, "ConnectionAbortedError");

/** Writing to a pipe or socket whose other end is closed. */
export class BrokenPipeError extends ConnectionError {
  override readonly code: string = "AIOTS_ERR_BROKEN_PIPE";
}
brand(BrokenPipeError, "BrokenPipeError");

/** Python's `socket.gaierror`: the host name could not be resolved. */
export class GaiError extends OSError {
  override readonly code: string = "AIOTS_ERR_GAI";
}
brand(GaiError, "GaiError");

/** The process does not exist (any more): signalling a process that has exited. */
export class ProcessLookupError extends OSError {
  override readonly code: string = "AIOTS_ERR_PROCESS_LOOKUP";
}
brand(ProcessLookupError, "ProcessLookupError");

/** A file or program was not found (spawning a missing program, a missing Unix socket path). */
export class FileNotFoundError extends OSError {
  override readonly code: string = "AIOTS_ERR_FILE_NOT_FOUND";
}
brand(FileNotFoundError, "FileNotFoundError");

/** Not allowed (EACCES, EPERM). */
export class PermissionError extends OSError {
  override readonly code: string = "AIOTS_ERR_PERMISSION";
}
brand(PermissionError, "PermissionError");
