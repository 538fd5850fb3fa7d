/**
 * `Barrier` (CPython's `asyncio.Barrier`, which lives in `locks.py`): built on a {@link Condition}, in a
 * module of its own to keep locks.ts short.
 */
import { inspect } from "node:util";
import { ArgumentTypeError, BrokenBarrierError, ValueError } from "./exceptions.js";
import type { Awaitable } from "./futures.js";
import { refuseUsing } from "./held.js";
import { GenOp } from "./lazy-ops.js";
import { Condition } from "./locks.js";

type BarrierState = "filling" | "draining" | "resetting" | "broken";

/**
 * A barrier: `wait()` blocks until `parties` tasks are waiting, then releases them all; each gets
 * its arrival index (0 … parties-1).
 * @see https://docs.python.org/3/library/asyncio-sync.html#asyncio.Barrier
 */
export class Barrier {
  readonly #cond = new Condition();
  readonly #parties: number;
  #state: BarrierState = "filling";
  #count = 0;

  /** @throws {ValueError} when `parties < 1`. */
  constructor(parties: number) {
    if (typeof parties !== "number" || !Number.isInteger(parties))
      throw new ArgumentTypeError(`parties must be an integer, got ${inspect(parties)}`);
    if (parties < 1) throw new ValueError("parties must be >= 1");
    this.#parties = parties;
  }

  /**
   * Wait for the other parties; resolves to this task's arrival index.
   * @throws {BrokenBarrierError} when the barrier is broken (aborted) or reset while waiting.
   */
  wait(): Awaitable<number> {
    return new GenOp(() => this.#waitGen());
  }

  *#waitGen(): Generator<unknown, number, unknown> {
    yield* this.#cond.acquire();
    try {
      yield* this.#block();
      const index = this.#count;
      this.#count++;
      try {
        if (index + 1 === this.#parties) {
          this.#state = "draining";
          this.#cond.notifyAll();
        } else {
          yield* this.#cond.waitFor(() => this.#state !== "filling");
          if (this.#state === "broken" || this.#state === "resetting")
            throw new BrokenBarrierError("Abort or reset of barrier");
        }
        return index;
      } finally {
        this.#count--;
        this.#exit();
      }
    } finally {
      this.#cond.release();
    }
  }

  *#block(): Generator<unknown, void, unknown> {
    yield* this.#cond.waitFor(() => this.#state !== "draining" && this.#state !== "resetting");
    if (this.#state === "broken") throw new BrokenBarrierError("Barrier aborted");
  }

  #exit(): void {
    if (this.#count === 0) {
      if (this.#state === "resetting" || this.#state === "draining") this.#state = "filling";
      this.#cond.notifyAll();
    }
  }

  /** Return the barrier to its initial state; tasks waiting on it get BrokenBarrierError. */
  reset(): Awaitable<void> {
    return this.#changeState(() => (this.#count > 0 ? "resetting" : "filling"));
  }

  /** Break the barrier: current and future `wait()` calls throw BrokenBarrierError. */
  abort(): Awaitable<void> {
    return this.#changeState(() => "broken");
  }

  /** Under the condition's lock: set the state `next()` picks and wake every waiter. */
  #changeState(next: () => BarrierState): Awaitable<void> {
    const self = this;
    return new GenOp(function* () {
      yield* self.#cond.acquire();
      try {
        self.#state = next();
        self.#cond.notifyAll();
      } finally {
        self.#cond.release();
      }
    });
  }

  /** The number of tasks needed to pass the barrier. */
  get parties(): number {
    return this.#parties;
  }

  /** The number of tasks waiting while the barrier fills. */
  get nWaiting(): number {
    return this.#state === "filling" ? this.#count : 0;
  }

  /** True once the barrier is broken. */
  get broken(): boolean {
    return this.#state === "broken";
  }

  /** @internal */
  [inspect.custom](): string {
    const info: string[] = [this.#state];
    if (!this.broken) info.push(`waiters:${this.nWaiting}/${this.#parties}`);
    return `<Barrier [${info.join(", ")}]>`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}
refuseUsing(
  Barrier,
  (name) =>
    `${name} is not a context manager: write \`const index = await barrier.wait()\` ` +
    `(Python: \`async with barrier as index:\`); in a generator coroutine, \`const index = yield* barrier.wait()\``,
);
