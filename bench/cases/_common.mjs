// Shared helpers for the Node case scripts: argument parsing, memory sampling, the JSON result line.
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** `node cases/x.mjs <contender> [n]` → { contender, n }. */
export function parseArgs(defaultN, contenders) {
  const [contender, nArg] = process.argv.slice(2);
  if (!contenders.includes(contender)) {
    process.stderr.write(`usage: node ${process.argv[1]} <${contenders.join("|")}> [n]\n`);
    process.exit(2);
  }
  const n = nArg === undefined ? defaultN : Number(nArg);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`bad n: ${nArg}\n`);
    process.exit(2);
  }
  return { contender, n };
}

/** Collect garbage between warm-up and measurement when started with --expose-gc. */
export function collect() {
  if (typeof globalThis.gc === "function") globalThis.gc();
}

/**
 * Peak heap-used / RSS sampler. A 5 ms interval plus explicit `sample()` calls at the points where the
 * workload is largest (all tasks created); cheap enough not to disturb the timings.
 */
export class MemorySampler {
  constructor(intervalMs = 5) {
    const m = process.memoryUsage();
    this.startRss = m.rss;
    this.startHeapUsed = m.heapUsed;
    this.peakRss = m.rss;
    this.peakHeapUsed = m.heapUsed;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample() {
    const m = process.memoryUsage();
    if (m.rss > this.peakRss) this.peakRss = m.rss;
    if (m.heapUsed > this.peakHeapUsed) this.peakHeapUsed = m.heapUsed;
  }

  stop() {
    clearInterval(this.timer);
    this.sample();
    return {
      startRss: this.startRss,
      peakRss: Math.max(this.peakRss, process.resourceUsage().maxRSS * 1024),
      startHeapUsed: this.startHeapUsed,
      peakHeapUsed: this.peakHeapUsed,
    };
  }
}

/** Time `fn` (async) in milliseconds. */
export async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Print the one JSON result line the runner reads. */
export function report(fields) {
  const out = {
    ...fields,
    runtime: `node ${process.version}`,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/**
 * Stop a server child started by a driver (`{ child, exited }`, `exited` its exit promise): SIGTERM,
 * then SIGKILL after 5 s; resolves once it exited.
 */
export async function stopServer({ child, exited }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * CPU time so far of process `pid` (default: this one), in ns: its main thread's and all its other
 * threads' (V8's compiler and GC helpers, libuv's pool), from Linux's /proc/<pid>/task/<tid>/schedstat;
 * `null` elsewhere. The bench pins a contender to one core, so the other threads' time is taken from
 * the main thread's: it is how a run that compiles a lot of code while it is measured shows
 * (bench/README.md).
 */
export function threadCpu(pid = process.pid) {
  try {
    let main = 0;
    let other = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      if (tid === String(pid)) main += ns;
      else other += ns;
    }
    return { main, other };
  } catch {
    return null;
  }
}

/** The CPU times (ms) of the main thread and of the other threads since `t0 = threadCpu()`. */
export function threadCpuSince(t0) {
  const t1 = threadCpu();
  if (t0 === null || t1 === null) return {};
  return { mainCpuMs: (t1.main - t0.main) / 1e6, otherCpuMs: (t1.other - t0.other) / 1e6 };
}
