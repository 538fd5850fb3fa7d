/**
 * `Handle` and `TimerHandle`: what `callSoon`, `callLater` and `callAt` return (CPython's
 * `events.Handle` / `events.TimerHandle`).
 */
import { inspect } from "node:util";
import type { EventLoop } from "./base-events.js";

/** @internal Anything the ready queue can run: a Handle, a Future firing its callbacks, a Task stepping. */
export interface Runnable {
  _runReady(): void;
}

/** A callback scheduled on the loop; `cancel()` stops it from running. */
export class Handle {
  /** @internal */ _callback: ((...args: any[]) => unknown) | null;
  /** @internal */ _args: unknown[] | null;
  /** @internal */ _cancelled = false;
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ _sourceTraceback: string | undefined;

  /** @internal */
  constructor(callback: (...args: any[]) => unknown, args: unknown[], loop: EventLoop) {
    this._callback = callback;
    this._args = args;
    this._loop = loop;
    if (loop._debug) this._sourceTraceback = new Error().stack?.split("\n").slice(3).join("\n");
  }

  /** Cancel the callback. Cancelling a callback that already ran or was cancelled does nothing. */
  cancel(): void {
    if (!this._cancelled) {
      this._cancelled = true;
      this._callback = null;
      this._args = null;
    }
  }

  /** True when the callback was cancelled. */
  cancelled(): boolean {
    return this._cancelled;
  }

  /** @internal */
  _runReady(): void {
    if (this._cancelled) return;
    const cb = this._callback!;
    const args = this._args!;
    try {
      if (args.length === 0) cb();
      else cb(...args);
    } catch (exception) {
      this._loop.callExceptionHandler({
        message: `Exception in callback ${callbackName(cb)}`,
        exception,
        handle: this,
        sourceTraceback: this._sourceTraceback,
      });
    }
  }

  /** @internal */
  _reprInfo(): string[] {
    const info: string[] = [];
    if (this._cancelled) info.push("cancelled");
    if (this._callback) info.push(callbackName(this._callback));
    return info;
  }

  /** @internal */
  [inspect.custom](): string {
    return `<${this.constructor.name} ${this._reprInfo().join(" ")}>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}

/** A callback scheduled for a point in loop time; `when()` tells it. */
export class TimerHandle extends Handle {
  /** @internal */ heapKey: number;
  /** @internal */ heapSeq: number;
  /** @internal */ _scheduled = true;

  /** @internal */
  constructor(
    when: number,
    seq: number,
    callback: (...args: any[]) => unknown,
    args: unknown[],
    loop: EventLoop,
  ) {
    super(callback, args, loop);
    this.heapKey = when;
    this.heapSeq = seq;
  }

  /** The absolute loop time (seconds, `loop.time()` clock) the callback is scheduled for. */
  when(): number {
    return this.heapKey;
  }

  override cancel(): void {
    if (!this._cancelled) {
      super.cancel();
      if (this._scheduled) this._loop._timerHandleCancelled(this);
    }
  }

  /** @internal */
  override _reprInfo(): string[] {
    const info = super._reprInfo();
    info.splice(this._cancelled ? 1 : 0, 0, `when=${this.heapKey}`);
    return info;
  }
}

/** A readable name for a callback in logs. */
export function callbackName(cb: unknown): string {
  if (typeof cb === "function") return `${cb.name || "<anonymous>"}()`;
  return String(cb);
}
