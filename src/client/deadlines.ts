/**
 * Request deadlines for one duration (a session's `total` timeout), as Node keeps one list per
 * timer duration: requests started later expire later, so a FIFO with one loop timer for its head
 * replaces a timer per request (which, cancelled on every response, made the loop re-arm its Node
 * timer on every iteration).
 */
import type { EventLoop, TimerHandle } from "../index.js";

/** What a deadline list expires. */
export interface Expirable {
  /** Whether it is over (then it is skipped and forgotten). */
  readonly finished: boolean;
  /** Its time is up. */
  expire(): void;
}

/**
 * @internal What the list holds for one exchange: it lets the exchange (and the response body it
 * holds) go as soon as the exchange is over, though the entry waits in the list until its deadline.
 */
export class DeadlineEntry implements Expirable {
  constructor(public target: Expirable | null) {}
  get finished(): boolean {
    return this.target === null || this.target.finished;
  }
  expire(): void {
    this.target?.expire();
  }
}

/** @internal A FIFO of `[deadline, item]` for one duration, with one loop timer. */
export class DeadlineList {
  readonly #loop: EventLoop;
  readonly #seconds: number;
  #items: Expirable[] = [];
  #deadlines: number[] = [];
  #head = 0;
  #compactAt = 1024;
  #timer: TimerHandle | null = null;

  constructor(loop: EventLoop, seconds: number) {
    this.#loop = loop;
    this.#seconds = seconds;
  }

  /** The loop this list's timer runs on. */
  get loop(): EventLoop {
    return this.#loop;
  }

  /** Expire `item` `seconds` from now unless it is finished by then. */
  add(item: Expirable): void {
    const when = this.#loop.time() + this.#seconds;
    if (this.#items.length >= this.#compactAt) {
      // Finished items wait here until the timer reaches them: drop them now and then (amortized O(1)).
      this.#compact();
      this.#compactAt = Math.max(1024, 2 * this.#items.length);
    }
    this.#items.push(item);
    this.#deadlines.push(when);
    if (this.#timer === null) this.#timer = this.#loop.callAt(when, this.#fire);
  }

  readonly #fire = (): void => {
    this.#timer = null;
    const now = this.#loop.time();
    const items = this.#items;
    while (this.#head < items.length) {
      const item = items[this.#head]!;
      if (!item.finished) {
        const when = this.#deadlines[this.#head]!;
        if (when > now) {
          this.#timer = this.#loop.callAt(when, this.#fire);
          break;
        }
        item.expire();
      }
      (items as unknown[])[this.#head] = undefined; // forget it
      this.#head++;
    }
    if (this.#head === items.length) {
      this.#items = [];
      this.#deadlines = [];
      this.#head = 0;
    }
  };

  /** Drop the finished items (they would otherwise wait here until their deadline). */
  #compact(): void {
    const items: Expirable[] = [];
    const deadlines: number[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      if (!item.finished) {
        items.push(item);
        deadlines.push(this.#deadlines[i]!);
      }
    }
    this.#items = items;
    this.#deadlines = deadlines;
    this.#head = 0;
  }
}
