/**
 * Example 03 — cooperative multitasking with plain generators: two generators that `yield`
 * after each print, driven round-robin by calling `next()` on each in turn. No event loop yet:
 * this is the idea asyncio's tasks are built on. (Seed tutorial, "generators" section.)
 *
 *   npm exec -- node --import tsx examples/03-generator-round-robin.ts
 */

function* a(): Generator<void, void, void> {
  for (const x of [0, 1, 2]) {
    console.log(`a.x ${x}`);
    yield;
  }
}

function* b(): Generator<void, void, void> {
  for (const x of ["a", "b", "c"]) {
    console.log(`b.x ${x}`);
    yield;
  }
}

/** Step every generator once per round until all are finished. */
function roundRobin(gens: Generator<void, void, void>[]): void {
  let live = gens;
  while (live.length > 0) live = live.filter((g) => !g.next().done);
}

roundRobin([a(), b()]);
