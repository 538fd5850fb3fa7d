// Lock: 10 tasks contending for one lock, n acquire/release pairs in total (n/10 each), every critical
// section awaiting once (`await null`). Reports acquire/release pairs per second.
// Usage: node --expose-gc cases/lock.mjs <async-mutex|aiots|aiots-hold> [n=100000]
//   aiots       await lock.acquire(); try { … } finally { lock.release() }
//   aiots-hold  await using _ = await lock.hold() (Python: async with lock:)
// One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(100_000, ["async-mutex", "aiots", "aiots-hold"]);
const TASKS = 10;
const perTask = Math.ceil(n / TASKS);

const impls = {
  "async-mutex": async () => {
    const { Mutex } = await import("async-mutex");
    return timed(() => {
      const mutex = new Mutex();
      let inside = 0;
      const worker = async () => {
        for (let i = 0; i < perTask; i++)
          await mutex.runExclusive(async () => {
            await null;
            inside++;
          });
      };
      return Promise.all(Array.from({ length: TASKS }, worker)).then(() => inside);
    });
  },
  aiots: () =>
    asyncio.run(async () =>
      timed(async () => {
        const lock = new asyncio.Lock();
        let inside = 0;
        const worker = async () => {
          for (let i = 0; i < perTask; i++) {
            await lock.acquire();
            try {
              await null;
              inside++;
            } finally {
              lock.release();
            }
          }
        };
        await asyncio.gather(Array.from({ length: TASKS }, () => asyncio.createTask(worker)));
        return inside;
      }),
    ),
  "aiots-hold": () =>
    asyncio.run(async () =>
      timed(async () => {
        const lock = new asyncio.Lock();
        let inside = 0;
        const worker = async () => {
          for (let i = 0; i < perTask; i++) {
            await using _ = await lock.hold();
            await null;
            inside++;
          }
        };
        await asyncio.gather(Array.from({ length: TASKS }, () => asyncio.createTask(worker)));
        return inside;
      }),
    ),
};

function check(inside) {
  if (inside !== TASKS * perTask) throw new Error(`wrong number of critical sections: ${inside}`);
}

const impl = impls[contender];
check((await impl()).value); // warm-up
collect();
const { ms, value } = await impl();
check(value);
const ops = TASKS * perTask;
report({ case: "lock", contender, n: ops, ops, ms, opsPerSec: (ops / ms) * 1000 });
