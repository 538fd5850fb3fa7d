/**
 * The program every process of a ProcessPoolExecutor runs: one job at a time over IPC
 * (advanced serialization, so errors keep their class name, message and stack).
 */
import process from "node:process";
import { callJob, type WorkerJob } from "./job.js";

process.on("message", (job: WorkerJob) => {
  callJob(job).then(
    (value) => process.send!({ ok: true, value }),
    (error) => process.send!({ ok: false, error }),
  );
});
process.send!({ ready: true });
