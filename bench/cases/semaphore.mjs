// Semaphore: n trivial async jobs, at most 10 running at once. Reports jobs/s.
// Usage: node --expose-gc cases/semaphore.mjs <plimit|aiots|aiots-hold|aiots-coro> [n=100000]
// aiots / aiots-hold run each job as its own task (CPython's gather of coroutines does); aiots-coro is
// the literal Python port `gather(*(limited(sem, j) for j in jobs))`, spelled as the README says since
// issue 8: `limited` made lazy with `coroutine()`, so gather runs each call as a task, as CPython does
// (gathering the promises of an ordinary async function that uses the semaphore is refused: the
// started-promise rule).
// One warm-up run of the same size in this process, then one measured run. Prints one JSON line.
import * as asyncio from "../../dist/index.js";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const { contender, n } = parseArgs(100_000, ["plimit", "aiots", "aiots-hold", "aiots-coro"]);
const LIMIT = 10;

// The trivial job, the same for every contender: an async function that awaits once.
const job = async () => {
  await null;
  return 1;
};
const jobs = Array.from({ length: n }, () => job);

async function limited(sem, j) {
  await sem.acquire();
  try {
    return await j();
  } finally {
    sem.release();
  }
}

async function held(sem, j) {
  await using _ = await sem.hold();
  return await j();
}

const aiotsWith = (wrap) => () =>
  asyncio.run(async () =>
    timed(() => {
      const sem = new asyncio.Semaphore(LIMIT);
      return asyncio.gather(jobs.map((j) => asyncio.createTask(() => wrap(sem, j))));
    }),
  );

const impls = {
  plimit: async () => {
    const { default: pLimit } = await import("p-limit");
    return timed(() => {
      const limit = pLimit(LIMIT);
      return Promise.all(jobs.map((j) => limit(j)));
    });
  },
  aiots: aiotsWith(limited),
  "aiots-coro": () => {
    const lazyLimited = asyncio.coroutine(limited);
    return asyncio.run(async () =>
      timed(() => {
        const sem = new asyncio.Semaphore(LIMIT);
        return asyncio.gather(jobs.map((j) => lazyLimited(sem, j)));
      }),
    );
  },
  "aiots-hold": aiotsWith(held),
};

function check(results) {
  if (results.length !== n || results.some((x) => x !== 1)) throw new Error("wrong job results");
}

const impl = impls[contender];
check((await impl()).value); // warm-up
collect();
const { ms, value } = await impl();
check(value);
report({ case: "semaphore", contender, n, ops: n, ms, opsPerSec: (n / ms) * 1000 });
