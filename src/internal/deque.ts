/**
 * A growable ring buffer: O(1) push at the back and shift from the front without the
 * O(n) cost of `Array.prototype.shift` on large arrays. The loop's ready queue and the
 * waiter lists of the primitives live in these.
 */
export class Deque<T> {
  #buf: (T | undefined)[];
  #head = 0;
  #size = 0;
  #mask: number;

  constructor(capacityPow2 = 16) {
    this.#buf = emptyRing(capacityPow2);
    this.#mask = capacityPow2 - 1;
  }

  get length(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  unshift(item: T): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#buf[this.#head] = item;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return item;
  }

  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    const i = (this.#head + this.#size - 1) & this.#mask;
    const item = this.#buf[i];
    this.#buf[i] = undefined;
    this.#size--;
    return item;
  }

  peekFront(): T | undefined {
    return this.#size === 0 ? undefined : this.#buf[this.#head];
  }

  /** The item `k` places from the front (`0 ≤ k < length`), without an iterator object. */
  at(k: number): T | undefined {
    return k < 0 || k >= this.#size ? undefined : this.#buf[(this.#head + k) & this.#mask];
  }

  peekBack(): T | undefined {
    return this.#size === 0 ? undefined : this.#buf[(this.#head + this.#size - 1) & this.#mask];
  }

  /**
   * Remove the first item identical to `item`. O(1) at either end (the common case: a woken waiter
   * leaving the front of a FIFO), else O(n) moving the shorter side.
   */
  remove(item: T): boolean {
    const n = this.#size;
    if (n === 0) return false;
    if (this.#buf[this.#head] === item) {
      this.shift();
      return true;
    }
    for (let k = 1; k < n; k++) {
      const i = (this.#head + k) & this.#mask;
      if (this.#buf[i] !== item) continue;
      if (k < n - 1 - k) {
        // Shift the front part one step towards the back.
        for (let j = k; j > 0; j--)
          this.#buf[(this.#head + j) & this.#mask] = this.#buf[(this.#head + j - 1) & this.#mask];
        this.#buf[this.#head] = undefined;
        this.#head = (this.#head + 1) & this.#mask;
      } else {
        for (let j = k; j < n - 1; j++)
          this.#buf[(this.#head + j) & this.#mask] = this.#buf[(this.#head + j + 1) & this.#mask];
        this.#buf[(this.#head + n - 1) & this.#mask] = undefined;
      }
      this.#size--;
      return true;
    }
    return false;
  }

  clear(): void {
    this.#buf = emptyRing(16);
    this.#mask = 15;
    this.#head = 0;
    this.#size = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let k = 0; k < this.#size; k++) yield this.#buf[(this.#head + k) & this.#mask] as T;
  }

  #grow(): void {
    // Full (size === length): two copies of the ring side by side hold the items in order from the same
    // head under the doubled mask; the slots outside them are emptied. One copy by the array builtins,
    // a packed array of one kind at any size (see emptyRing).
    const old = this.#buf;
    const len = old.length;
    const buf = old.concat(old);
    buf.fill(undefined, 0, this.#head);
    buf.fill(undefined, this.#head + len);
    this.#buf = buf;
    this.#mask = 2 * len - 1;
  }
}

/**
 * A ring of `n` (a power of two) empty slots: an array of `undefined` doubled from one slot by `concat`,
 * not `new Array(n)`. `new Array(n)` starts as an array of small integers with holes and changes kind
 * at the first object stored, so code V8 optimized for the rings of earlier deques (a loop's ready
 * queue, a queue's waiters) met a new kind in every new loop's and queue's rings and was deoptimized
 * ("wrong map"); and from 2^26 slots it is a dictionary, which filling (or growing into) takes seconds. Doubled, every ring is a packed array of
 * one kind from birth, on Node 22 as on Node 24, as `#grow` keeps it. Doubling rather than pushing:
 * a loop of 1 024 pushes (every new event loop's ready queue) was compiled on the stack by V8 each time
 * (`--trace-opt`: Maglev then TurboFan on-stack replacement, in the bench's measured run of `gather`).
 */
function emptyRing<T>(n: number): (T | undefined)[] {
  let ring: (T | undefined)[] = [undefined];
  while (ring.length < n) ring = ring.concat(ring);
  return ring;
}
