// `Buffer` and `process` are accessor properties of Node's global object: a hot path that names the
// global calls a getter each time (V8's LoadGlobalIC, even from optimized code), where an import is a
// constant binding. Found with callgrind on the line-echo round trip (~500 instructions per round trip);
// every source file that uses one of them imports it. `performance` (an accessor too) stays the global on
// purpose: the loop's clock reads `performance.now()`, and fake-timer setups replace the global object.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const SRC = new URL("../../src/", import.meta.url).pathname;

const GLOBALS = [
  {
    name: "Buffer",
    use: /(?<![\w.$#])Buffer\s*[.(]|new\s+Buffer\b/,
    imported: /^import \{[^}]*\bBuffer\b[^}]*\} from "node:buffer";/m,
  },
  { name: "process", use: /(?<![\w.$#])process\./, imported: /^import process from "node:process";/m },
];

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

/** The code without comments and string contents (what a name in them says is not a use). */
function codeOf(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/[^\n]*/g, "")
    .replace(/`(?:\\.|[^`\\])*`/g, "``")
    .replace(/"(?:\\.|[^"\\])*"/g, '""');
}

test("every source file that uses Buffer or process imports it (no global accessor on hot paths)", () => {
  const missing: string[] = [];
  let checked = 0;
  for (const file of sources(SRC)) {
    const text = readFileSync(file, "utf8");
    const code = codeOf(text);
    for (const g of GLOBALS) {
      if (!g.use.test(code)) continue;
      checked++;
      if (!g.imported.test(text)) missing.push(`${file.slice(SRC.length)}: ${g.name}`);
    }
  }
  assert.ok(checked > 20, `the scan found the uses (${checked})`);
  assert.deepEqual(missing, []);
});
