// The ring-buffer deque behind the ready queue and the waiter lists: checked against a plain array
// model under random operations (seeded, so a failure reproduces).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Deque } from "../../src/internal/deque.js";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test("Deque matches an array model under random push/unshift/shift/pop/remove", () => {
  const random = rng(12345);
  for (let trial = 0; trial < 1000; trial++) {
    const d = new Deque<number>(4);
    const model: number[] = [];
    for (let op = 0; op < 60; op++) {
      const r = random();
      const v = Math.floor(random() * 20);
      if (r < 0.35) {
        d.push(v);
        model.push(v);
      } else if (r < 0.5) {
        d.unshift(v);
        model.unshift(v);
      } else if (r < 0.65) {
        assert.equal(d.shift(), model.shift());
      } else if (r < 0.75) {
        assert.equal(d.pop(), model.pop());
      } else {
        const i = model.indexOf(v);
        assert.equal(d.remove(v), i >= 0);
        if (i >= 0) model.splice(i, 1);
      }
      assert.deepEqual([...d], model);
      assert.equal(d.length, model.length);
      assert.equal(d.peekFront(), model[0]);
      assert.equal(d.peekBack(), model[model.length - 1]);
    }
  }
});

test("Deque.remove at the front of a long FIFO is O(1) (100 000 removals finish)", () => {
  const d = new Deque<number>();
  for (let i = 0; i < 100_000; i++) d.push(i);
  for (let i = 0; i < 100_000; i++) assert.equal(d.remove(i), true);
  assert.equal(d.length, 0);
});

// A full ring doubles by copying: the items in order from any head position, then empty slots. Grown
// from 16 slots to 2^20 with the head moved before each doubling (unshift), and against a model.
test("Deque grows from any head position and keeps the order (16 → 2^20 slots)", () => {
  const d = new Deque<number>(16);
  const model: number[] = [];
  let next = 0;
  while (model.length < 2 ** 20) {
    // Move the head: shift a few from the front and push them back, then one unshift.
    for (let k = 0; k < 3 && model.length > 0; k++) {
      const v = d.shift();
      assert.equal(v, model.shift());
      d.push(v!);
      model.push(v!);
    }
    d.unshift(next);
    model.unshift(next++);
    const batch = model.length; // doubles the size: one grow per round at most
    for (let k = 0; k < batch; k++) {
      d.push(next);
      model.push(next++);
    }
  }
  assert.equal(d.length, model.length);
  for (let k = 0; k < model.length; k += 4099) assert.equal(d.at(k), model[k]);
  assert.equal(d.peekFront(), model[0]);
  assert.equal(d.peekBack(), model[model.length - 1]);
  assert.deepEqual([...d].slice(0, 64), model.slice(0, 64));
});
