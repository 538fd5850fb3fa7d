// Example 06 (TCP echo with startServer/openConnection) run as real child processes: the demo with
// 100 clients at once, and the server and client modes talking over a real socket, stopped by SIGINT.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const example = join("examples", "06-tcp-echo.ts");
const run = promisify(execFile);

async function runExample(...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", example, ...args], {
    cwd: root,
    timeout: 60_000,
  });
  return stdout.trimEnd().split("\n");
}

test("example 06 demo: 100 clients at once each get every line back unchanged", async () => {
  const lines = await runExample("demo", "--clients", "100", "--lines", "10");
  assert.match(lines[0]!, /^echo server on 127\.0\.0\.1:\d+$/);
  assert.equal(lines[1], "100 clients, 1000 lines: 100 clients got every line back unchanged");
});

test("example 06 server + client modes over a real socket; SIGINT closes the server cleanly", async () => {
  const server = spawn(process.execPath, ["--import", "tsx", example, "server", "--port", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const out = createInterface({ input: server.stdout! });
    const lines = out[Symbol.asyncIterator]();
    const first = (await lines.next()).value as string;
    const m = /^serving on 127\.0\.0\.1:(\d+) \(Ctrl\+C to stop\)$/.exec(first);
    assert.ok(m, first);
    const echoed = await runExample("client", "--port", m[1]!, "hello", "two words", "ünïcödé");
    assert.deepEqual(echoed, ["hello", "two words", "ünïcödé"]);
    server.kill("SIGINT");
    assert.equal((await lines.next()).value, "server closed");
    const [code] = await once(server, "exit");
    assert.equal(code, 0);
  } finally {
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  }
});

test("example 06 --help describes the modes", async () => {
  const lines = await runExample("--help");
  assert.match(lines[0]!, /^usage: 06-tcp-echo\.ts/);
  assert.ok(lines.some((l) => l.includes("--clients N")));
});
