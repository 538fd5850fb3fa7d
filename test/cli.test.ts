// The `aiots` CLI (issue 9): `aiots web MODULE:FACTORY`, like `python -m aiohttp.web`
// (aiohttp's tests/test_web_cli.py: arguments, errors, what the factory receives).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import { freePort } from "./helpers.js";

const CLI = ["--import", "tsx", "src/cli.ts"];

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, [...CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

async function finished(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const [code] = await once(child, "exit");
  return { code: code as number | null, out, err };
}

describe("aiots CLI", () => {
  test("--help prints the usage and exits 0 (test_entry_func_call --help)", async () => {
    for (const args of [["--help"], ["web", "--help"]]) {
      const r = await finished(run(args));
      assert.equal(r.code, 0);
      assert.match(r.out, /usage: aiots web \[-H HOST\] \[-P PORT\]/);
    }
  });

  test("no command, an unknown command, a missing or malformed MODULE:FACTORY exit 2 with a message (test_entry_func_empty / _only_module / _only_separator)", async () => {
    const cases: [string[], RegExp][] = [
      [[], /usage: aiots web/],
      [["serve"], /unknown command "serve"/],
      [["web"], /expected exactly one MODULE:FACTORY/],
      [["web", "test/fixtures/cli/app.ts"], /expected MODULE:FACTORY/],
      [["web", ":makeApp"], /expected MODULE:FACTORY/],
      [["web", "./nope.ts:makeApp"], /unable to import \.\/nope\.ts/],
      [["web", "./test/fixtures/cli/app.ts:missing"], /has no export named missing/],
      [["web", "./test/fixtures/cli/app.ts:notAnApp"], /did not give an aiots\/web Application/],
      [["web", "-P", "nope", "./test/fixtures/cli/app.ts:makeApp"], /invalid port nope/],
      [["web", "--bogus", "./test/fixtures/cli/app.ts:makeApp"], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await finished(run(args));
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.code === 2 && r.out !== "" ? r.out : r.err, message, args.join(" "));
    }
  });

  test("serves the factory's app on -H/-P, passes the arguments after --, stops on SIGINT with 0 (test_running_application)", async () => {
    const port = await freePort();
    const child = run([
      "web",
      "-H",
      "127.0.0.1",
      "-P",
      String(port),
      "./test/fixtures/cli/app.ts:makeApp",
      "--",
      "a",
      "b",
    ]);
    const done = finished(child);
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    while (!out.includes("(Press CTRL+C to quit)")) await once(child.stdout!, "data");
    assert.ok(
      out.startsWith(`======== Running on http://127.0.0.1:${port} ========\n(Press CTRL+C to quit)`),
      out,
    );
    const body = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { argv: string[] };
    assert.deepEqual(body.argv, ["a", "b"]);
    child.kill("SIGINT");
    assert.equal((await done).code, 0);
  });
});
