/**
 * Signal handlers of a loop (CPython's `add_signal_handler` in `unix_events.py`): the callback
 * runs as a loop callback (via `callSoon`) when the process receives the signal.
 */
import { constants } from "node:os";
import process from "node:process";
import type { EventLoop } from "./base-events.js";
import { iscoroutine, iscoroutinefunction } from "./coroutines.js";
import { ArgumentTypeError, RuntimeError, ValueError } from "./exceptions.js";

const SIGNALS = constants.signals as Record<string, number>;
const NAMES = new Map<number, string>(Object.entries(SIGNALS).map(([k, v]) => [v, k]));
/** Signals a process cannot catch. */
const UNCATCHABLE = new Set(["SIGKILL", "SIGSTOP"]);

/** A signal by name (`"SIGINT"`) or number (`2`, `os.constants.signals.SIGINT`). */
export type SignalLike = NodeJS.Signals | number;

/** @internal Resolve and validate a signal (CPython's `_check_signal`). */
export function signalName(sig: unknown): NodeJS.Signals {
  if (typeof sig === "string") {
    if (!(sig in SIGNALS)) throw new ValueError(`invalid signal name ${JSON.stringify(sig)}`);
    return sig as NodeJS.Signals;
  }
  if (typeof sig !== "number" || !Number.isInteger(sig)) {
    throw new ArgumentTypeError(`sig must be a signal name or number, not ${typeof sig}`);
  }
  const name = NAMES.get(sig);
  if (name === undefined) throw new ValueError(`invalid signal number ${sig}`);
  return name as NodeJS.Signals;
}

/** @internal The signal handlers of one loop. */
export class SignalHandlers {
  readonly #loop: EventLoop;
  readonly #listeners = new Map<NodeJS.Signals, () => void>();

  constructor(loop: EventLoop) {
    this.#loop = loop;
  }

  add(sig: SignalLike, callback: (...args: any[]) => unknown, args: unknown[]): void {
    if (iscoroutine(callback) || iscoroutinefunction(callback)) {
      throw new ArgumentTypeError("coroutines cannot be used with addSignalHandler()");
    }
    if (typeof callback !== "function") throw new ArgumentTypeError("callback must be a function");
    const name = signalName(sig);
    this.#loop._checkClosed();
    if (UNCATCHABLE.has(name)) throw new RuntimeError(`sig ${SIGNALS[name]} cannot be caught`);
    this.remove(name);
    const listener = (): void => {
      if (this.#loop.isClosed()) return;
      this.#loop.callSoon(callback, ...args);
    };
    process.on(name, listener);
    this.#listeners.set(name, listener);
  }

  remove(sig: SignalLike): boolean {
    const name = signalName(sig);
    const listener = this.#listeners.get(name);
    if (listener === undefined) return false;
    this.#listeners.delete(name);
    process.removeListener(name, listener);
    return true;
  }

  /** Remove them all (the loop is closing). */
  clear(): void {
    for (const name of [...this.#listeners.keys()]) this.remove(name);
  }
}
