// The seed examples (../shared/SEED-EXAMPLES.md) run as real child processes; their output is checked.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);

async function runExample(name: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", join("examples", name), ...args], {
    cwd: root,
    timeout: 60_000,
  });
  return stdout.trimEnd().split("\n");
}

test("example 02: isRunning() inside and after, runForever + stop(), RuntimeError after close()", async () => {
  assert.deepEqual(await runExample("02-event-loop.ts"), [
    "inside runUntilComplete: isRunning() = true",
    "hello done",
    "after runUntilComplete: isRunning() = false",
    "inside runForever: isRunning() = true",
    "stop() from a callback",
    "after runForever: isRunning() = false",
    "isClosed() = true",
    "runUntilComplete after close(): RuntimeError: Event loop is closed",
  ]);
});

test("example 03: generators driven round-robin interleave", async () => {
  assert.deepEqual(await runExample("03-generator-round-robin.ts"), [
    "a.x 0",
    "b.x a",
    "a.x 1",
    "b.x b",
    "a.x 2",
    "b.x c",
  ]);
});

test("example 04: generator coroutine with yield* asyncio.sleep (shortened delay)", async () => {
  assert.deepEqual(await runExample("04-generator-coroutine.ts", "0.01"), ["sleep 0", "sleep 1", "sleep 2"]);
});

test("example 05: two async functions alternate on one thread; iscoroutinefunction / iscoroutine", async () => {
  const lines = await runExample("05-async-await.ts", "0.01");
  assert.deepEqual(lines, [
    "sleep 0",
    "showthread 0: threads [main (threadId 0)]",
    "sleep 1",
    "showthread 1: threads [main (threadId 0)]",
    "sleep 2",
    "showthread 2: threads [main (threadId 0)]",
    "true",
    "false",
  ]);
});

test("subprocess example: stdin/stdout pipes, communicate with stderr merged, a timeout and terminate", async () => {
  assert.deepEqual(await runExample("subprocess-pipeline.ts"), [
    "sorted: apple",
    "sorted: fig",
    "sorted: pear",
    "sort exited with 0",
    'shell said "out\\nerr\\n", returncode 3',
    "timed out; terminated, returncode -15",
  ]);
});

test("TLS example: a verified TLS echo, then STARTTLS on a plain connection", async () => {
  assert.deepEqual(await runExample("tls-echo.ts"), [
    "echo: over TLS",
    "protocol: TLS",
    "server: OK",
    "echo after STARTTLS: upgraded",
  ]);
});
