// sleep(0) ping-pong: 2 concurrent tasks, each yielding to the loop n times. Reports yields/s (2n yields).
// Usage: node --expose-gc cases/sleep0.mjs <setimmediate|aiots|aiots-gen> [n=250000]
// One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(250_000, ["setimmediate", "aiots", "aiots-gen"]);

async function rawLoop(count) {
  for (let i = 0; i < count; i++) await new Promise((r) => setImmediate(r));
}

async function aiotsLoop(count) {
  for (let i = 0; i < count; i++) await asyncio.sleep(0);
}

const aiotsGenLoop = asyncio.coroutine(function* (count) {
  for (let i = 0; i < count; i++) yield;
});

const impls = {
  setimmediate: (count) => timed(() => Promise.all([rawLoop(count), rawLoop(count)])),
  aiots: (count) =>
    asyncio.run(async () =>
      timed(() =>
        asyncio.gather([
          asyncio.createTask(() => aiotsLoop(count)),
          asyncio.createTask(() => aiotsLoop(count)),
        ]),
      ),
    ),
  "aiots-gen": (count) =>
    asyncio.run(async () =>
      timed(() =>
        asyncio.gather([asyncio.createTask(aiotsGenLoop(count)), asyncio.createTask(aiotsGenLoop(count))]),
      ),
    ),
};

const impl = impls[contender];
await impl(n); // warm-up
collect();
const { ms } = await impl(n);
report({ case: "sleep0", contender, n, ops: 2 * n, ms, opsPerSec: ((2 * n) / ms) * 1000 });
