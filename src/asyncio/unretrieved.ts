/**
 * "Future exception was never retrieved" / "Task exception was never retrieved", reported
 * reliably (CPython's `Future.__del__`).
 *
 * CPython reports when the failed future is destroyed, which reference counting makes prompt. Here
 * a `FinalizationRegistry` reports when the collector finds the future, which may be never in a
 * short program — so whatever is still unreported when the loop closes (at the end of `run()`) is
 * reported then. Two details keep it cheap and leak-free:
 *
 * - Registration waits until the future's callbacks have had their loop iteration (an awaiting
 *   task retrieves the exception there): almost every failure is retrieved before, and costs one
 *   array slot.
 * - Before registering, the error's stack is formatted: until then V8 keeps the raw stack frames,
 *   whose receivers include the task that ran the code, and the registry holds the error strongly
 *   — so a failed task would keep itself alive and never be collected, nor reported.
 * @internal
 */
import type { EventLoop } from "./base-events.js";
import { Failure, type Future, sourceTracebackOf } from "./futures.js";
import type { Runnable } from "./handles.js";

interface Held {
  tracker: UnretrievedTracker;
  ref: WeakRef<Future<any>>;
  exception: unknown;
  kind: string;
  repr: string;
  sourceTraceback: string | undefined;
}

const registry = new FinalizationRegistry<Held>((held) => {
  held.tracker._collected(held);
});

/** @internal One per loop: the failed futures nobody has retrieved yet. */
export class UnretrievedTracker implements Runnable {
  readonly #loop: EventLoop;
  /** Failed since the tracker's last run: their callbacks have not had their iteration yet. */
  #fresh: Future<any>[] = [];
  /** Failed before the last run: their callbacks ran; what is still unretrieved gets tracked. */
  #aged: Future<any>[] = [];
  #scheduled = false;
  /** Registered with the finalization registry, weakly. */
  readonly #tracked = new Set<WeakRef<Future<any>>>();

  constructor(loop: EventLoop) {
    this.#loop = loop;
  }

  /** A future of this loop failed (`setException`). */
  noteFailed(fut: Future<any>): void {
    this.#fresh.push(fut);
    if (!this.#scheduled && !this.#loop.isClosed()) {
      this.#scheduled = true;
      this.#loop._schedule(this);
    }
  }

  /** The future's exception was retrieved (no report). */
  retrieved(fut: Future<any>): void {
    registry.unregister(fut);
  }

  /** Ready-queue entry: one iteration after `noteFailed`, and again while failures keep coming. */
  _runReady(): void {
    for (const f of this.#aged) if (f._logTraceback) this.#track(f);
    this.#aged = this.#fresh;
    this.#fresh = [];
    if (this.#aged.length > 0 && !this.#loop.isClosed()) this.#loop._schedule(this);
    else this.#scheduled = false;
  }

  #track(fut: Future<any>): void {
    const exception = fut._exception;
    if (exception instanceof Error) void exception.stack; // drop V8's raw frames (see module doc)
    const ref = new WeakRef(fut);
    this.#tracked.add(ref);
    registry.register(
      fut,
      {
        tracker: this,
        ref,
        exception,
        kind: fut._kind(),
        repr: String(fut),
        sourceTraceback: sourceTracebackOf(fut),
      },
      fut,
    );
  }

  /** @internal The registry found a tracked future collected unretrieved. */
  _collected(held: Held): void {
    this.#tracked.delete(held.ref);
    this.#report(held.kind, held.exception, held.repr, held.sourceTraceback);
  }

  /** The loop closes: report every failure still unretrieved, collected or not. */
  reportAll(): void {
    const pending: Future<any>[] = [];
    for (const ref of this.#tracked) {
      const f = ref.deref();
      if (f !== undefined) pending.push(f);
    }
    this.#tracked.clear();
    pending.push(...this.#aged, ...this.#fresh);
    this.#aged = [];
    this.#fresh = [];
    for (const f of pending) {
      if (!f._logTraceback) continue;
      f._failure = Failure.Retrieved; // reported now
      registry.unregister(f);
      this.#report(f._kind(), f._exception, String(f), sourceTracebackOf(f));
    }
  }

  #report(kind: string, exception: unknown, repr: string, sourceTraceback: string | undefined): void {
    this.#loop.callExceptionHandler({
      message: `${kind} exception was never retrieved`,
      exception,
      future: repr,
      sourceTraceback,
    });
  }
}
