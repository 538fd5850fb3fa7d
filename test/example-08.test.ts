// Example 08 (the web client of the seed tutorial) run as a real child process against example 07
// (the web server) run as another, on a free port: its output must be exactly `200` then `555`.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "./helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const example = join("examples", "08-web-client.ts");
const run = promisify(execFile);

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** Example 07 in a child on 127.0.0.1:`port`, resolved once it prints its banner. */
function startServer(port: number): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", join("examples", "07-web-server.ts"), "--host", "127.0.0.1", "--port", String(port)],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(proc);
  proc.once("close", () => children.delete(proc));
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    proc.stdout!.setEncoding("utf8");
    proc.stdout!.on("data", (c: string) => {
      out += c;
      if (out.includes("(Press CTRL+C to quit)\n")) resolve(proc);
    });
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (c: string) => {
      err += c;
    });
    proc.once("close", (code) => reject(new Error(`example 07 exited (${code}): ${out}${err}`)));
  });
}

async function stop(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  const closed = new Promise<number | null>((resolve) => proc.once("close", resolve));
  proc.kill("SIGINT");
  return closed;
}

test("example 08: GET /555 on example 07 prints 200 then 555", { timeout: 60_000 }, async () => {
  const port = await freePort();
  const server = await startServer(port);
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", example, "--url", `http://127.0.0.1:${port}/555`],
      { cwd: root, timeout: 60_000 },
    );
    assert.deepEqual(stdout.split("\n"), ["200", "555", ""]);
    assert.equal(stderr, "");
  } finally {
    assert.equal(await stop(server), 0);
  }
});

test("example 08 asks http://127.0.0.1:9999/555 by default, with `await using` for the session and the response", () => {
  const src = readFileSync(join(root, example), "utf8");
  assert.match(src, /url: \{ type: "string", default: "http:\/\/127\.0\.0\.1:9999\/555" \}/);
  assert.match(src, /import \{ ClientSession \} from "aiots\/client";/);
  assert.match(src, /await using session = new ClientSession\(\);/);
  assert.match(src, /await using res = await session\.get\(values\.url\);/);
  assert.match(src, /console\.log\(res\.status\);\s+console\.log\(await res\.text\(\)\);/);
});

test("example 08 with no server to talk to fails with a connection error", { timeout: 60_000 }, async () => {
  const port = await freePort();
  const err = await run(
    process.execPath,
    ["--import", "tsx", example, "--url", `http://127.0.0.1:${port}/555`],
    {
      cwd: root,
      timeout: 60_000,
    },
  ).then(
    () => null,
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  assert.ok(err !== null, "the example must fail");
  assert.notEqual(err.code, 0);
  assert.equal(err.stdout, "");
  assert.match(err.stderr, /ClientConnectorError|Cannot connect/);
});
