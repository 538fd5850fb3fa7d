/**
 * The module every thread of a ThreadPoolExecutor loads (through piscina): imports the requested
 * module and calls the requested export with the arguments.
 */
import type { WorkerJob } from "./job.js";
import { callJob } from "./job.js";

export default function run(job: WorkerJob): Promise<unknown> {
  return callJob(job);
}
