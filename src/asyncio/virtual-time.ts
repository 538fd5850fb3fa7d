/**
 * `VirtualTimeLoop`: an event loop whose clock jumps straight to the next timer when nothing
 * else can happen, so a test of "retry 5 times with a 30 s back-off" takes milliseconds.
 *
 * The clock is real time plus the sum of the jumps. The loop jumps only when it is idle: no ready
 * callback after two Node loop turns (so microtasks and completed I/O have run), no foreign promise
 * awaited through aiots still pending, and no I/O request in flight in the process (file system,
 * DNS, connect, write, child process). While real I/O is pending, time passes at the real rate —
 * the loop never jumps over an I/O completion.
 */
import process from "node:process";
import { EventLoop } from "./base-events.js";
import { runInRoot } from "./loop-registry.js";

/** Node resource types that mean "an operation is in flight" rather than "a resource is open". */
const IN_FLIGHT =
  /Req|ConnectWrap|WriteWrap|ShutdownWrap|ProcessWrap|Zlib|Random|PBKDF2|Scrypt|Hash|Cipher|Sign|Verify/;

/**
 * An event loop with a virtual clock (see the module doc). Use it with `run(main, { virtualTime: true })`
 * or directly: `const loop = new VirtualTimeLoop(); await loop.runUntilComplete(main())`.
 */
export class VirtualTimeLoop extends EventLoop {
  #offset = 0;
  #checkScheduled = false;
  /** How many seconds the clock has jumped in total. */
  get skipped(): number {
    return this.#offset;
  }

  override time(): number {
    return performance.now() / 1000 + this.#offset;
  }

  /** @internal */
  override _afterBatch(): void {
    this.#scheduleIdleCheck();
  }

  /** @internal */
  override _armTimer(): void {
    super._armTimer();
    this.#scheduleIdleCheck();
  }

  #scheduleIdleCheck(): void {
    if (this.#checkScheduled || this._timers.length === 0 || this.isClosed()) return;
    this.#checkScheduled = true;
    // In the root async context: the jump runs callbacks, which must not run inside a task's context.
    runInRoot(setImmediate, this.#check1);
  }

  #check1 = (): void => {
    if (this._ready.length > 0 || this.isClosed()) {
      this.#checkScheduled = false;
      return;
    }
    // A second turn lets I/O that completed during this one deliver its callbacks first.
    runInRoot(setImmediate, this.#check2);
  };

  #check2 = (): void => {
    this.#checkScheduled = false;
    if (this._ready.length > 0 || this.isClosed()) return;
    if (this._foreignPending > 0 || ioInFlight()) {
      // Real work is under way: let time pass for real and look again shortly.
      this.#checkScheduled = true;
      runInRoot(setTimeout, this.#retry, 1).unref();
      return;
    }
    // The base loop drops cancelled timers off the top: it keeps their count exact.
    const top = this._peekLiveTimer();
    if (top === undefined) return;
    const gap = top.heapKey - this.time();
    if (gap > 0) this.#offset += gap;
    this._runOnce();
  };

  #retry = (): void => {
    this.#checkScheduled = false;
    this.#scheduleIdleCheck();
  };
}

function ioInFlight(): boolean {
  for (const r of process.getActiveResourcesInfo()) if (IN_FLIGHT.test(r)) return true;
  return false;
}
