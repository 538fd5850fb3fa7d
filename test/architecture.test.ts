// Architecture guards (STYLE.md): runtime imports inside src/ form no cycle, layers import only
// downward (asyncio ← web / client; web and client never import each other; internal is private),
// and the public surface of each entry point is what we mean to publish.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as asyncio from "../src/index.js";
import * as testUtils from "../src/test-utils/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Runtime (value) imports of a module: `import type` and `import { type X }`-only lines are skipped. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  const re = /^import\s+(type\s+)?([^;]*?)\s+from\s+"(\.[^"]+)";/gms;
  for (const m of text.matchAll(re)) {
    if (m[1]) continue;
    const names = m[2]!;
    const braces = names.match(/^\{([^}]*)\}$/s);
    if (braces && braces[1]!.split(",").every((n) => n.trim() === "" || n.trim().startsWith("type ")))
      continue;
    out.push(resolve(dirname(file), m[3]!.replace(/\.js$/, ".ts")));
  }
  return out;
}

const files = walk(src);
const graph = new Map(files.map((f) => [f, runtimeImports(f)]));

test("src/ has no runtime import cycle", () => {
  const state = new Map<string, number>(); // 1 visiting, 2 done
  const stack: string[] = [];
  const visit = (f: string): void => {
    if (state.get(f) === 2) return;
    if (state.get(f) === 1) {
      const cycle = stack
        .slice(stack.indexOf(f))
        .concat(f)
        .map((p) => relative(src, p));
      assert.fail(`import cycle: ${cycle.join(" -> ")}`);
    }
    state.set(f, 1);
    stack.push(f);
    for (const dep of graph.get(f) ?? []) visit(dep);
    stack.pop();
    state.set(f, 2);
  };
  for (const f of files) visit(f);
});

test("layers import downward only: asyncio never imports http/web/client/test-utils; http imports neither web nor client; web and client never import each other (only test-utils may import both)", () => {
  const layer = (f: string): string => relative(src, f).split("/")[0]!;
  for (const [f, deps] of graph) {
    for (const d of deps) {
      const from = layer(f);
      const to = layer(d);
      if (from === "asyncio" || from === "internal")
        assert.ok(
          !["http", "web", "client", "test-utils"].includes(to),
          `${relative(src, f)} imports ${relative(src, d)}`,
        );
      if (from === "web") assert.notEqual(to, "client", `${relative(src, f)} imports ${relative(src, d)}`);
      if (from === "http")
        assert.ok(
          !["web", "client", "test-utils"].includes(to),
          `${relative(src, f)} imports ${relative(src, d)}`,
        );
      if (from === "client") assert.notEqual(to, "web", `${relative(src, f)} imports ${relative(src, d)}`);
    }
  }
});

test("the public surface of 'aiots' (snapshot: update it deliberately)", () => {
  assert.deepEqual(Object.keys(asyncio).sort(), [
    "ALL_COMPLETED",
    "ArgumentTypeError",
    "AsCompletedIterator",
    "Barrier",
    "BaseProtocol",
    "BaseTransport",
    "BoundedSemaphore",
    "BrokenBarrierError",
    "BrokenPipeError",
    "BrokenProcessPool",
    "COOP_BUDGET",
    "CancelledError",
    "Condition",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "Coroutine",
    "DEFAULT_LIMIT",
    "DEVNULL",
    "Event",
    "EventLoop",
    "ExceptionGroup",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "FileNotFoundError",
    "Future",
    "GaiError",
    "GatheringFuture",
    "Handle",
    "IncompleteReadError",
    "InvalidStateError",
    "KeyboardInterrupt",
    "LifoQueue",
    "LimitOverrunError",
    "Lock",
    "OSError",
    "PIPE",
    "PermissionError",
    "PriorityQueue",
    "Process",
    "ProcessLookupError",
    "ProcessPoolExecutor",
    "Protocol",
    "Queue",
    "QueueEmpty",
    "QueueFull",
    "QueueShutDown",
    "ReadTransport",
    "RuntimeError",
    "STDOUT",
    "Semaphore",
    "Server",
    "ServerSocket",
    "SocketTransport",
    "StreamReader",
    "StreamReaderProtocol",
    "StreamWriter",
    "Task",
    "TaskGroup",
    "ThreadPoolExecutor",
    "Timeout",
    "TimeoutError",
    "TimerHandle",
    "Transport",
    "ValueError",
    "VirtualTimeLoop",
    "WriteTransport",
    "allTasks",
    "asCompleted",
    "coroutine",
    "createSubprocessExec",
    "createSubprocessShell",
    "createTask",
    "currentTask",
    "ensureFuture",
    "gather",
    "getEventLoop",
    "getRunningLoop",
    "isCancelledError",
    "isFuture",
    "iscoroutine",
    "iscoroutinefunction",
    "logger",
    "newEventLoop",
    "openConnection",
    "openUnixConnection",
    "pythonCompare",
    "run",
    "setEventLoop",
    "shield",
    "sleep",
    "startServer",
    "startUnixServer",
    "taskGroup",
    "timeout",
    "timeoutAt",
    "toThread",
    "wait",
    "waitFor",
    "workerFunction",
  ]);
  assert.deepEqual(Object.keys(testUtils).sort(), [
    "TestClient",
    "TestServer",
    "VERSION",
    "VirtualTimeLoop",
    "makeMockedRequest",
  ]);
});

test("package.json exports resolve to built entry points for aiots, aiots/web, aiots/client, aiots/test", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports: Record<string, { types: string; default: string } | string>;
  };
  for (const entry of [".", "./web", "./client", "./test"]) {
    const e = pkg.exports[entry] as { types: string; default: string };
    assert.ok(e && Object.keys(e)[0] === "types", `${entry}: "types" must come first`);
    const source = e.default.replace("./dist/", "src/").replace(/\.js$/, ".ts");
    assert.ok(statSync(join(root, source)).isFile(), `${entry} → ${source} exists`);
  }
});

/** Every import (runtime or type) of a module, resolved to a path. */
function allImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+"(\.[^"]+)";/gms)].map((m) =>
    resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts")),
  );
}

/** The source lines that are code, not comments (good enough for our own formatting). */
function codeLines(file: string): string[] {
  return readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .map((l) => l.replace(/\/\/.*$/, ""));
}

const UPPER_LAYERS = ["http", "web", "client", "test-utils"];

test("the layers above the core use asyncio/ only through the kernel and the public index (issue 8 §5)", () => {
  const allowed = new Set([join(src, "asyncio", "kernel.ts"), join(src, "index.ts")]);
  for (const f of files) {
    const layer = relative(src, f).split("/")[0]!;
    if (!UPPER_LAYERS.includes(layer)) continue;
    for (const d of allImports(f)) {
      const to = relative(src, d).split("/")[0]!;
      if (to === "asyncio" || to === "internal")
        assert.ok(
          allowed.has(d) || (layer === "test-utils" && d === join(src, "asyncio", "virtual-time.ts")),
          `${relative(src, f)} imports ${relative(src, d)}: use asyncio/kernel.ts or the public API`,
        );
    }
    codeLines(f).forEach((line, i) => {
      assert.doesNotMatch(
        line,
        /\.\s*_[A-Za-z]/,
        `${relative(src, f)}:${i + 1} reads a core internal (._x): add what it needs to asyncio/kernel.ts`,
      );
    });
  }
});

test("internal/ holds plain data structures: it imports nothing from asyncio/", () => {
  for (const f of files) {
    if (relative(src, f).split("/")[0] !== "internal") continue;
    for (const d of allImports(f))
      assert.notEqual(
        relative(src, d).split("/")[0],
        "asyncio",
        `${relative(src, f)} imports ${relative(src, d)}`,
      );
  }
});

test("the published .d.ts: no internal member, and it type-checks on its own (stripInternal)", () => {
  const out = mkdtempSync(join(tmpdir(), "aiots-dts-"));
  try {
    const tsc = join(root, "node_modules", ".bin", "tsc");
    execFileSync(
      tsc,
      ["-p", join(root, "tsconfig.build.json"), "--outDir", join(out, "dist"), "--sourceMap", "false"],
      {
        cwd: root,
      },
    );
    const leaks: string[] = [];
    const walkDts = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walkDts(p);
        else if (name.endsWith(".d.ts"))
          readFileSync(p, "utf8")
            .split("\n")
            .forEach((line, i) => {
              // Queue's protected storage hooks (_put/_get/_size) are for subclasses, as in CPython.
              if (/^\s+(readonly |static |get |set )*_[A-Za-z]\w*[?(:<]/.test(line))
                leaks.push(`${relative(out, p)}:${i + 1}: ${line.trim()}`);
            });
      }
    };
    walkDts(join(out, "dist"));
    assert.deepEqual(leaks, [], "internal members in the published types (mark them @internal)");
    // A consumer under strict settings, checking the declarations themselves (no skipLibCheck).
    writeFileSync(
      join(out, "consumer.ts"),
      [
        'import * as asyncio from "./dist/index.js";',
        'import * as web from "./dist/web/index.js";',
        'import * as client from "./dist/client/index.js";',
        'import * as testUtils from "./dist/test-utils/index.js";',
        "const n: number = await asyncio.run(async () => {",
        "  const q = new asyncio.Queue<number>({ maxsize: 1 });",
        "  await q.put(1);",
        "  return await asyncio.waitFor(q.get(), 1);",
        "});",
        "export const used = [n, web.VERSION, client.VERSION, testUtils.VirtualTimeLoop];",
      ].join("\n"),
    );
    writeFileSync(
      join(out, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023", "ESNext.Disposable"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ["node"],
          typeRoots: [join(root, "node_modules", "@types")],
        },
        files: ["consumer.ts"],
      }),
    );
    writeFileSync(join(out, "package.json"), '{ "type": "module" }');
    try {
      execFileSync(tsc, ["-p", join(out, "tsconfig.json")], { cwd: out, encoding: "utf8" });
    } catch (e) {
      assert.fail(`the published types do not type-check:\n${(e as { stdout?: string }).stdout}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
