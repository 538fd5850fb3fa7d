// Executor: n small jobs (the sum of a 100-element array) on a pool of 2 worker threads, all submitted at
// once. Reports jobs/s; the runner adds aiots' overhead per job over piscina (1/aiots − 1/piscina, in µs).
// Usage: node --expose-gc cases/executor.mjs <piscina|aiots> [n=10000]
// Each process makes one pool (threads start during the warm-up, not timed), does one warm-up run of the
// same size, then one measured run, then closes the pool. Prints one JSON line.
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(10_000, ["piscina", "aiots"]);
const WORKERS = 2;
const WORKER_MODULE = new URL("./_executor_worker.mjs", import.meta.url).href;
const arr = Array.from({ length: 100 }, (_, i) => i);
const EXPECTED = 4950;

async function setup() {
  if (contender === "piscina") {
    const { Piscina } = await import("piscina");
    const pool = new Piscina({ filename: WORKER_MODULE, minThreads: WORKERS, maxThreads: WORKERS });
    const run = (count) => {
      const jobs = [];
      for (let i = 0; i < count; i++) jobs.push(pool.run(arr));
      return Promise.all(jobs);
    };
    return { run: (count) => timed(() => run(count)), close: () => pool.close() };
  }
  const executor = new asyncio.ThreadPoolExecutor({ maxWorkers: WORKERS });
  const sum = asyncio.workerFunction(WORKER_MODULE, "sum");
  const run = (count) =>
    asyncio.run(async () =>
      timed(() => {
        const loop = asyncio.getRunningLoop();
        const jobs = [];
        for (let i = 0; i < count; i++) jobs.push(loop.runInExecutor(executor, sum, arr));
        return asyncio.gather(jobs);
      }),
    );
  return { run, close: () => executor.shutdown() };
}

function check(results) {
  if (results.length !== n || results.some((x) => x !== EXPECTED)) throw new Error("wrong job results");
}

const { run, close } = await setup();
check((await run(n)).value); // warm-up (starts the threads)
collect();
const { ms, value } = await run(n);
check(value);
await close();
report({ case: "executor", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000 });
