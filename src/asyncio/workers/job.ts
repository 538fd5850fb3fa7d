/** What a pool sends a worker: which export of which module to call, with which arguments. */
export interface WorkerJob {
  /** The module's URL (`file:` URL or path). */
  module: string;
  /** The export to call. */
  name: string;
  /** Structured-cloneable arguments. */
  args: unknown[];
}

/** Run `job` in this worker: import the module (cached by the runtime) and call the export. */
export async function callJob(job: WorkerJob): Promise<unknown> {
  const mod = (await import(job.module)) as Record<string, unknown>;
  const fn = mod[job.name];
  if (typeof fn !== "function") throw new TypeError(`${job.module} has no exported function '${job.name}'`);
  return await fn(...job.args);
}
