// Seed example 01 (../shared/SEED-EXAMPLES.md) run as a real child process: the same two plain
// functions serially (fixed order), then on two worker threads and in two worker processes
// (all six lines, any order).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);

const SIX = ["a.x 0", "a.x 1", "a.x 2", "b.x a", "b.x b", "b.x c"];

test("example 01: serial in order; threads and processes print all six lines, order free", async () => {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", join("examples", "01-threads-processes.ts")],
    { cwd: root, timeout: 60_000 },
  );
  const lines = stdout.trimEnd().split("\n");
  const serial = lines.indexOf("serial:");
  const threads = lines.indexOf("threads:");
  const processes = lines.indexOf("processes:");
  assert.deepEqual([serial, threads > serial, processes > threads], [0, true, true], stdout);
  assert.deepEqual(lines.slice(serial + 1, threads), SIX);
  assert.deepEqual(lines.slice(threads + 1, processes).sort(), SIX);
  assert.deepEqual(lines.slice(processes + 1).sort(), SIX);
});
