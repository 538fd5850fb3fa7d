/**
 * Example 04 — a generator coroutine: the `@asyncio.coroutine` + `yield from` style, written as
 * `coroutine(function* () { … yield* asyncio.sleep(x) … })`. (Seed tutorial, "yield from" section.)
 *
 *   npm exec -- node --import tsx examples/04-generator-coroutine.ts [seconds]
 */
import * as asyncio from "aiots";

const sleep = asyncio.coroutine(function* sleep(x: number) {
  for (let i = 0; i < 3; i++) {
    console.log(`sleep ${i}`);
    yield* asyncio.sleep(x);
  }
});

const seconds = Number(process.argv[2] ?? 10);
const loop = asyncio.getEventLoop();
await loop.runUntilComplete(sleep(seconds));
loop.close();
