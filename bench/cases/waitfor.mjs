// waitFor timeouts: n concurrent tasks, each `waitFor(sleep(10), 0.05)` that times out; all gathered.
// Reports wall time (≥ 50 ms by construction), peak RSS and peak heap used.
// Usage: node --expose-gc cases/waitfor.mjs <node|aiots> [n=100000]
// Warm-up with n/10 in this process, then one measured run. Prints one JSON line.
import * as asyncio from "../../dist/index.js";
import { collect, MemorySampler, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(100_000, ["node", "aiots"]);

// Raw Node reference: race a 10 s timer against a 50 ms timer, clear both afterwards.
async function rawOne() {
  let sleepTimer;
  let timeoutTimer;
  const sleeping = new Promise((resolve) => {
    sleepTimer = setTimeout(resolve, 10_000);
  });
  const expiry = new Promise((_, reject) => {
    timeoutTimer = setTimeout(() => reject(new Error("timeout")), 50);
  });
  try {
    await Promise.race([sleeping, expiry]);
    return false;
  } catch {
    return true;
  } finally {
    clearTimeout(sleepTimer);
    clearTimeout(timeoutTimer);
  }
}

async function aiotsOne() {
  try {
    await asyncio.waitFor(asyncio.sleep(10), 0.05);
    return false;
  } catch (e) {
    if (e instanceof asyncio.TimeoutError) return true;
    throw e;
  }
}

const impls = {
  node: (count, mem) =>
    timed(async () => {
      const all = [];
      for (let i = 0; i < count; i++) all.push(rawOne());
      mem?.sample();
      return Promise.all(all);
    }),
  aiots: (count, mem) =>
    asyncio.run(async () =>
      timed(async () => {
        const tasks = [];
        for (let i = 0; i < count; i++) tasks.push(asyncio.createTask(aiotsOne));
        await asyncio.sleep(0); // let every task reach its waitFor
        mem?.sample();
        return asyncio.gather(tasks);
      }),
    ),
};

function check(results, count) {
  if (results.length !== count || !results.every((x) => x === true)) throw new Error("not all timed out");
}

const impl = impls[contender];
const warmN = Math.max(1, Math.floor(n / 10));
check((await impl(warmN)).value, warmN); // warm-up
collect();
const mem = new MemorySampler();
const { ms, value } = await impl(n, mem);
const m = mem.stop();
check(value, n);
report({ case: "waitfor", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000, ...m });
