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

/** Run `job` in this worker: import the module (cached by the runtime) and call the export. */
export async function callJob(job: WorkerJob): Promise<unknown> {
  try {
    if (!isMainThreadWithHooks()) await ensureTs(job.module);
    const mod = (await import(job.module)) as Record<string, unknown>;
    const fn = mod[job.name];
    if (typeof fn !== "function") throw new TypeError(`${job.module} has no exported function '${job.name}'`);
    return await fn(...job.args);
  } catch (e) {
    throw packError(e);
  }
}

function isMainThreadWithHooks(): boolean {
  // Node ≥ 22 runs loader hooks registered with --import in every thread; Node 20 does not.
  return Number(process.versions.node.split(".")[0]) >= 22;
}

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
