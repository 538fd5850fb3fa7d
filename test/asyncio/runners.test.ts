// asyncio.run() and Ctrl+C, ported from CPython's Lib/test/test_asyncio/test_runners.py
// (RunnerTests.test_signal_install_not_supported_ok is moot; test_interrupt_* cases below), run as
// real child processes receiving a real SIGINT.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixture = join("test", "fixtures", "sigint.ts");

/** Start the fixture, wait for "ready", send `signals` SIGINTs (each after the line it waits for). */
async function interrupt(
  mode: string,
  waitFor: string[],
): Promise<{ lines: string[]; code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, mode], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const lines: string[] = [];
  const it = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  try {
    for (const want of waitFor) {
      for (;;) {
        const r = await it.next();
        if (r.done) throw new Error(`child ended before ${want}: ${lines.join("|")} ${stderr}`);
        lines.push(r.value);
        if (r.value === want) break;
      }
      child.kill("SIGINT");
    }
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      lines.push(r.value);
    }
    const [code, signal] = (
      child.exitCode !== null || child.signalCode !== null
        ? [child.exitCode, child.signalCode]
        : await once(child, "exit")
    ) as [number | null, string | null];
    return { lines, code, signal, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

// test_runners.py: RunnerTests.test_interrupt_call_soon / test_signal_handler — the first SIGINT
// cancels the main task, its finally runs, run() ends with KeyboardInterrupt (uncaught: exit status 1).
test("Ctrl+C cancels the main task; run() rejects with KeyboardInterrupt", async () => {
  const r = await interrupt("plain", ["ready"]);
  assert.deepEqual(r.lines, ["ready", "cancelled", "finally", "run threw KeyboardInterrupt"]);
  assert.match(r.stderr, /KeyboardInterrupt/);
  assert.equal(r.code, 1);
});

// test_runners.py: RunnerTests.test_interrupt_cancelled_task — a main task that swallows the
// cancellation and returns normally makes run() return normally.
test("a main task that handles the cancellation ends run() normally", async () => {
  const r = await interrupt("swallow", ["ready"]);
  assert.deepEqual(r.lines, ["ready", "cancelled", "finally", "result swallowed"]);
  assert.equal(r.code, 0);
});

// test_runners.py: RunnerTests.test_interrupt_wait — a second SIGINT while cleanup hangs ends the
// process as an unhandled SIGINT would.
test("a second Ctrl+C ends the process even if cleanup never finishes", async () => {
  const r = await interrupt("stubborn", ["ready", "stubborn"]);
  assert.deepEqual(r.lines, ["ready", "cancelled", "stubborn"]);
  assert.equal(r.signal, "SIGINT");
});

test("run() leaves SIGINT alone when the program has its own listener, and removes its own", async () => {
  const { run, sleep } = await import("../../src/index.js");
  const before = process.listenerCount("SIGINT");
  let during = -1;
  await run(async () => {
    await sleep(0);
    during = process.listenerCount("SIGINT");
  });
  assert.equal(process.listenerCount("SIGINT"), before);
  assert.equal(during, before === 0 ? 1 : before);
  const mine = (): void => {};
  process.on("SIGINT", mine);
  try {
    await run(async () => {
      during = process.listenerCount("SIGINT");
    });
    assert.equal(during, before + 1);
  } finally {
    process.removeListener("SIGINT", mine);
  }
  await run(
    async () => {
      during = process.listenerCount("SIGINT");
    },
    { handleSigint: false },
  );
  assert.equal(during, before);
});
