import process from "node:process";

/** What a pool sends a worker: which export of which module to call, with which arguments. */
export interface WorkerJob {
  /** The module's URL (`file:` URL or path). */
  module: string;
  /** The export to call. */
  name: string;
  /** Structured-cloneable arguments. */
  args: unknown[];
}

let tsReady: Promise<void> | null = null;

/**
 * Node 20 does not carry loader hooks into worker threads: when running from TypeScript sources
 * (development, tests), register tsx in this worker before importing a `.ts` module.
 */
function ensureTs(module: string): Promise<void> {
  if (!module.endsWith(".ts") && !module.endsWith(".mts")) return Promise.resolve();
  tsReady ??= (async () => {
    try {
      const api = (await import("tsx/esm/api" as string)) as { register(): void };
      api.register();
    } catch {
      // No tsx: the import below reports the real problem.
    }
  })();
  return tsReady;
}

/**
 * The modules this worker has imported, by the URL a job gave. The runtime caches modules too, but
 * `import()` of a loaded one still goes through the loader's asynchronous resolution: that took
 * about half of a small job's time in a thread pool (bench `executor`).
 */
const modules = new Map<string, Record<string, unknown>>();

/** Run `job` in this worker: import the module (once) and call the export. */
export async function callJob(job: WorkerJob): Promise<unknown> {
  try {
    let mod = modules.get(job.module);
    if (mod === undefined) {
      if (!HOOKS_IN_EVERY_THREAD) await ensureTs(job.module);
      mod = (await import(job.module)) as Record<string, unknown>;
      modules.set(job.module, mod);
    }
    const fn = mod[job.name];
    if (typeof fn !== "function") throw new TypeError(`${job.module} has no exported function '${job.name}'`);
    return await fn(...job.args);
  } catch (e) {
    throw packError(e);
  }
}

/** Node ≥ 22 runs loader hooks registered with --import in every thread; Node 20 does not. */
const HOOKS_IN_EVERY_THREAD = Number(process.versions.node.split(".")[0]) >= 22;

/** Errors cross the boundary as plain data so the caller can rebuild the class name and properties. */
function packError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const props: Record<string, unknown> = {};
  for (const k of Object.keys(e)) {
    try {
      structuredClone((e as unknown as Record<string, unknown>)[k]);
      props[k] = (e as unknown as Record<string, unknown>)[k];
    } catch {
      // not cloneable: left out
    }
  }
  return { __aiotsError: true, name: e.name, message: e.message, stack: e.stack, props };
}
