// Port of the behaviour checked by aiohttp's tests/test_run_app.py that applies to aiots: runApp runs
// in a real child process (test/fixtures/web/serve.ts) and gets real signals; AppRunner and the sites
// are also used in-process. aiohttp mocks `loop.create_server` to check where run_app binds; here the
// child really binds and the test connects. Tests assert order and outcome, never durations.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as asyncio from "../../src/index.js";
import * as web from "../../src/web/index.js";
import { caught, freePort, runMain } from "../helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIXTURE = join("test", "fixtures", "web", "serve.ts");
const BANNER_END = "(Press CTRL+C to quit)";
const [NODE_MAJOR, NODE_MINOR] = process.versions.node.split(".").map(Number) as [number, number];
const REUSE_PORT_OK =
  NODE_MAJOR > 23 || (NODE_MAJOR === 23 && NODE_MINOR >= 1) || (NODE_MAJOR === 22 && NODE_MINOR >= 12);

// ---- child processes ---------------------------------------------------------------------------

interface Config {
  host?: string | string[];
  port?: number;
  path?: string;
  shutdownTimeout?: number;
  accessLog?: "info" | "null";
  accessLogFormat?: string;
  printFn?: "custom" | "null";
  workers?: number;
  reusePort?: boolean;
  factory?: boolean;
  bgTask?: boolean;
  stdin?: boolean;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** The fixture app in a child process; collects its stdout lines and lets the test wait for one. */
class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<Exit>;
  #waiters: { match: (l: string) => boolean; resolve: (l: string) => void; reject: (e: Error) => void }[] =
    [];
  #exit: Exit | null = null;
  #partial = "";

  constructor(config: Config) {
    this.proc = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
      cwd: root,
      env: { ...process.env, AIOTS_RUNAPP: JSON.stringify(config) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.add(this.proc);
    this.proc.stdout!.setEncoding("utf8");
    this.proc.stdout!.on("data", (chunk: string) => {
      const parts = (this.#partial + chunk).split("\n");
      this.#partial = parts.pop()!;
      for (const line of parts) this.#line(line);
    });
    this.proc.stderr!.setEncoding("utf8");
    this.proc.stderr!.on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.proc.stdin!.on("error", () => {}); // EPIPE once the child is gone
    this.exited = new Promise<Exit>((resolve) => {
      this.proc.once("close", (code, signal) => {
        if (this.#partial !== "") this.#line(this.#partial);
        this.#exit = { code, signal };
        children.delete(this.proc);
        for (const w of this.#waiters.splice(0))
          w.reject(new Error(`child exited (${code ?? signal}) before the line; ${this.describe()}`));
        resolve(this.#exit);
      });
    });
  }

  #line(line: string): void {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  describe(): string {
    return `stdout: ${JSON.stringify(this.lines)} stderr: ${JSON.stringify(this.stderr)}`;
  }

  /** The first line (already printed or to come) that equals `m` or matches it. */
  waitFor(m: string | RegExp): Promise<string> {
    const match = (l: string): boolean => (typeof m === "string" ? l === m : m.test(l));
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.#exit !== null)
      return Promise.reject(new Error(`child already exited before ${m}; ${this.describe()}`));
    return new Promise((resolve, reject) => this.#waiters.push({ match, resolve, reject }));
  }

  /** Wait for the banner; return its first line. */
  async banner(): Promise<string> {
    await this.waitFor(BANNER_END);
    const i = this.lines.indexOf(BANNER_END);
    assert.ok(i >= 1, this.describe());
    return this.lines[i - 1]!;
  }

  /** The port of the banner's only `http://host:port`. */
  async port(): Promise<number> {
    const m = /^======== Running on http:\/\/[^ ]+:(\d+) ========$/.exec(await this.banner());
    assert.ok(m, this.describe());
    return Number(m[1]);
  }

  index(line: string): number {
    const i = this.lines.indexOf(line);
    assert.notEqual(i, -1, `no line ${JSON.stringify(line)}; ${this.describe()}`);
    return i;
  }

  /** Assert these lines were printed in this order (others may come between). */
  inOrder(...wanted: string[]): void {
    const at = wanted.map((l) => this.index(l));
    for (let i = 1; i < at.length; i++)
      assert.ok(at[i - 1]! < at[i]!, `${wanted[i - 1]} before ${wanted[i]}; ${this.describe()}`);
  }

  write(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  kill(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }

  /** End the child however it is (used in `finally`). */
  async stop(): Promise<void> {
    if (this.#exit !== null) return;
    this.proc.kill("SIGKILL");
    await this.exited;
  }
}

/** Run `body` with a child running the fixture; the child is killed if still running afterwards. */
async function withChild(config: Config, body: (c: Child) => Promise<void>): Promise<void> {
  const c = new Child(config);
  try {
    await body(c);
  } finally {
    await c.stop();
  }
}

// ---- HTTP from the test side ------------------------------------------------------------------

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (`agent: false`). */
function request(
  target: { port: number; host?: string } | { socketPath: string },
  path = "/",
  options: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...("socketPath" in target
          ? { socketPath: target.socketPath }
          : { host: target.host ?? "127.0.0.1" }),
        ...("port" in target ? { port: target.port } : {}),
        path,
        method: options.method ?? "GET",
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** "connected" or the connect error's code. */
function tryConnect(port: number, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until connecting is refused (the server stopped listening). Bounded by the test's timeout. */
async function untilRefused(port: number, host = "127.0.0.1"): Promise<void> {
  for (;;) {
    const r = await tryConnect(port, host);
    if (r === "ECONNREFUSED") return;
    await pause(20);
  }
}

/** Poll until a GET answers (for a child that prints no banner). */
async function untilServing(port: number): Promise<Reply> {
  for (;;) {
    try {
      return await request({ port }, "/");
    } catch {
      await pause(50);
    }
  }
}

function tempSocketPath(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "aiots-run-app-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "app.sock");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const T = { timeout: 60_000 };

// ---- runApp in a child process ----------------------------------------------------------------

describe("runApp: banner and bindings (test_run_app_http, _nondefault_host_port, _mixed_bindings)", () => {
  test("prints exactly the two banner lines after startup; port 0 shows the real port", T, async () => {
    await withChild({ host: "127.0.0.1", port: 0 }, async (c) => {
      const port = await c.port();
      assert.ok(port > 0);
      const i = c.index(BANNER_END);
      assert.equal(c.lines[i - 1], `======== Running on http://127.0.0.1:${port} ========`);
      assert.equal(c.lines.filter((l) => l.startsWith("======== Running on")).length, 1);
      c.inOrder(`startup ${c.proc.pid}`, `======== Running on http://127.0.0.1:${port} ========`, BANNER_END);
      const r = await request({ port }, "/");
      assert.equal(r.status, 200);
      assert.equal(r.body, "ok");
      c.kill("SIGINT");
      assert.deepEqual(await c.exited, { code: 0, signal: null });
    });
  });

  test("without host it listens on 0.0.0.0 (reachable on the loopback)", T, async () => {
    await withChild({ port: 0 }, async (c) => {
      const banner = await c.banner();
      const m = /^======== Running on http:\/\/0\.0\.0\.0:(\d+) ========$/.exec(banner);
      assert.ok(m, banner);
      assert.equal((await request({ port: Number(m[1]) }, "/")).body, "ok");
      c.kill("SIGINT");
      assert.equal((await c.exited).code, 0);
    });
  });

  test("a non-default host and port are used as given", T, async () => {
    const port = await freePort();
    await withChild({ host: "127.0.0.1", port }, async (c) => {
      assert.equal(await c.banner(), `======== Running on http://127.0.0.1:${port} ========`);
      assert.equal((await request({ port }, "/")).body, "ok");
      c.kill("SIGTERM");
      assert.equal((await c.exited).code, 0);
    });
  });

  test("a list of hosts: one site per host, named in the banner sorted and comma-separated", T, async () => {
    await withChild({ host: ["127.0.0.2", "127.0.0.1"], port: 0 }, async (c) => {
      const banner = await c.banner();
      const m =
        /^======== Running on http:\/\/127\.0\.0\.1:(\d+), http:\/\/127\.0\.0\.2:(\d+) ========$/.exec(
          banner,
        );
      assert.ok(m, banner);
      assert.equal((await request({ port: Number(m[1]), host: "127.0.0.1" }, "/")).body, "ok");
      assert.equal((await request({ port: Number(m[2]), host: "127.0.0.2" }, "/")).body, "ok");
      c.kill("SIGINT");
      assert.equal((await c.exited).code, 0);
    });
  });

  test("path: a Unix socket site named http://unix:PATH: (test_run_app_http_unix_socket)", T, async (t) => {
    const path = tempSocketPath(t);
    await withChild({ path }, async (c) => {
      assert.equal(await c.banner(), `======== Running on http://unix:${path}: ========`);
      const r = await request({ socketPath: path }, "/json");
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { pid: c.proc.pid, ok: true });
      c.kill("SIGINT");
      assert.equal((await c.exited).code, 0);
    });
  });

  test("path and host together: both sites, both in the banner (Single Path, Single Host)", T, async (t) => {
    const path = tempSocketPath(t);
    await withChild({ path, host: "127.0.0.1", port: 0 }, async (c) => {
      const banner = await c.banner();
      const m = /^======== Running on http:\/\/127\.0\.0\.1:(\d+), http:\/\/unix:(.+): ========$/.exec(
        banner,
      );
      assert.ok(m, banner);
      assert.equal(m[2], path);
      assert.equal((await request({ port: Number(m[1]) }, "/")).body, "ok");
      assert.equal((await request({ socketPath: path }, "/")).body, "ok");
      c.kill("SIGTERM");
      assert.equal((await c.exited).code, 0);
    });
  });

  test("an application promise (test_run_app_coro): awaited before startup", T, async () => {
    await withChild({ host: "127.0.0.1", port: 0, factory: true }, async (c) => {
      const port = await c.port();
      c.inOrder("factory", `startup ${c.proc.pid}`, BANNER_END);
      assert.equal((await request({ port }, "/")).body, "ok");
      c.kill("SIGINT");
      assert.equal((await c.exited).code, 0);
    });
  });
});

describe("runApp: printFn", () => {
  test("a custom printFn receives the banner once, as one two-line text", T, async () => {
    await withChild({ host: "127.0.0.1", port: 0, printFn: "custom" }, async (c) => {
      const line = await c.waitFor(/^custom printFn: /);
      const text = JSON.parse(line.slice("custom printFn: ".length)) as string;
      const m = /^======== Running on http:\/\/127\.0\.0\.1:(\d+) ========\n\(Press CTRL\+C to quit\)$/.exec(
        text,
      );
      assert.ok(m, text);
      assert.equal(c.lines.filter((l) => l.startsWith("custom printFn: ")).length, 1);
      assert.ok(!c.lines.some((l) => l.startsWith("======== Running on")), c.describe());
      assert.equal((await request({ port: Number(m[1]) }, "/")).body, "ok");
      c.kill("SIGINT");
      assert.equal((await c.exited).code, 0);
    });
  });

  test("printFn null prints no banner, and the server still serves", T, async () => {
    const port = await freePort();
    await withChild({ host: "127.0.0.1", port, printFn: "null" }, async (c) => {
      assert.equal((await untilServing(port)).body, "ok");
      c.kill("SIGINT");
      assert.equal((await c.exited).code, 0);
      assert.ok(!c.lines.some((l) => l.includes("Running on") || l === BANNER_END), c.describe());
      c.inOrder(`startup ${c.proc.pid}`, `shutdown ${c.proc.pid}`, `cleanup ${c.proc.pid}`);
    });
  });
});

describe("runApp: signals and graceful shutdown (test_sigint, test_sigterm, TestShutdown)", () => {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    test(`${sig}: onShutdown then onCleanup, runApp returns, exit status 0`, T, async () => {
      await withChild({ host: "127.0.0.1", port: 0 }, async (c) => {
        const port = await c.port();
        c.kill(sig);
        assert.deepEqual(await c.exited, { code: 0, signal: null });
        const pid = c.proc.pid;
        c.inOrder(
          `startup ${pid}`,
          BANNER_END,
          `shutdown ${pid}`,
          `cleanup ${pid}`,
          `runApp returned ${pid}`,
        );
        assert.equal(await tryConnect(port), "ECONNREFUSED");
      });
    });

    test(`${sig} mid-request: the request in flight completes, new connections are refused`, T, async () => {
      await withChild({ host: "127.0.0.1", port: 0, stdin: true, shutdownTimeout: 60 }, async (c) => {
        const port = await c.port();
        const inFlight = request({ port }, "/hold");
        await c.waitFor("hold:start");
        c.kill(sig);
        await untilRefused(port); // stopped listening while the handler still waits
        assert.ok(!c.lines.includes("hold:end"), c.describe());
        assert.ok(!c.lines.includes(`cleanup ${c.proc.pid}`), c.describe());
        c.write("release");
        const r = await inFlight;
        assert.equal(r.status, 200);
        assert.equal(r.body, "held");
        assert.deepEqual(await c.exited, { code: 0, signal: null });
        const pid = c.proc.pid;
        c.inOrder("hold:start", "hold:end", "hold:finally", `cleanup ${pid}`, `runApp returned ${pid}`);
        c.inOrder(`shutdown ${pid}`, `cleanup ${pid}`);
        assert.ok(!c.lines.includes("hold:cancelled"), c.describe());
      });
    });
  }

  test(
    "a handler still running after shutdownTimeout is cancelled, its finally runs, exit 0 (test_shutdown_timeout_handler)",
    T,
    async () => {
      await withChild({ host: "127.0.0.1", port: 0, stdin: true, shutdownTimeout: 0.2 }, async (c) => {
        const port = await c.port();
        const inFlight = caught(request({ port }, "/hold"));
        await c.waitFor("hold:start");
        c.kill("SIGTERM");
        const err = await inFlight;
        assert.ok(err instanceof Error, `the client saw the connection close, got ${String(err)}`);
        assert.match((err as NodeJS.ErrnoException).code ?? err.message, /ECONNRESET|socket hang up/);
        assert.deepEqual(await c.exited, { code: 0, signal: null });
        const pid = c.proc.pid;
        c.inOrder("hold:start", "hold:cancelled", "hold:finally", `shutdown ${pid}`, `cleanup ${pid}`);
        assert.ok(!c.lines.includes("hold:end"), c.describe());
      });
    },
  );

  test(
    "an idle keep-alive connection does not hold the shutdown: the server closes it (test_shutdown_close_idle_keepalive)",
    T,
    async () => {
      await withChild({ host: "127.0.0.1", port: 0, shutdownTimeout: 60 }, async (c) => {
        const port = await c.port();
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const r = await request({ port }, "/", { agent });
          assert.equal(r.body, "ok");
          assert.equal(r.headers.connection, "keep-alive");
          const [sock] = Object.values(agent.freeSockets).flat();
          assert.ok(sock, "the agent keeps the idle connection");
          const closed = new Promise<void>((resolve) => sock.once("close", () => resolve()));
          c.kill("SIGINT");
          await closed;
          assert.deepEqual(await c.exited, { code: 0, signal: null });
        } finally {
          agent.destroy();
        }
      });
    },
  );

  test(
    "tasks still pending when runApp ends are cancelled (test_run_app_cancels_all_pending_tasks)",
    T,
    async () => {
      await withChild({ host: "127.0.0.1", port: 0, bgTask: true }, async (c) => {
        await c.banner();
        c.kill("SIGINT");
        assert.deepEqual(await c.exited, { code: 0, signal: null });
        const pid = c.proc.pid;
        c.inOrder("bg:start", `cleanup ${pid}`, "bg:cancelled", `runApp returned ${pid}`);
        assert.ok(!c.lines.includes("bg:end"), c.describe());
      });
    },
  );

  test(
    "a site that cannot bind: runApp fails, onStartup and onCleanup still ran (test_startup_cleanup_signals_even_on_failure)",
    T,
    async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
      try {
        const { port } = blocker.address() as net.AddressInfo;
        await withChild({ host: "127.0.0.1", port }, async (c) => {
          const exit = await c.exited;
          assert.notEqual(exit.code, 0);
          assert.match(c.stderr, /EADDRINUSE/);
          const pid = c.proc.pid;
          c.inOrder(`startup ${pid}`, `cleanup ${pid}`);
          assert.ok(!c.lines.some((l) => l.startsWith("======== Running on")), c.describe());
          assert.ok(!c.lines.includes(`runApp returned ${pid}`), c.describe());
        });
      } finally {
        blocker.close();
      }
    },
  );
});

describe("runApp: access log", () => {
  test("web.accessLogger at info: one line per request in aiohttp's default format", T, async () => {
    await withChild({ host: "127.0.0.1", port: 0, accessLog: "info" }, async (c) => {
      const port = await c.port();
      await request({ port }, "/?q=1", {
        headers: { Referer: "http://ref.example/", "User-Agent": "peer/1.0" },
      });
      await request({ port }, "/nope");
      const first = await c.waitFor(/"GET \/\?q=1 HTTP\/1\.1"/);
      assert.match(
        first,
        /^127\.0\.0\.1 \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET \/\?q=1 HTTP\/1\.1" 200 2 "http:\/\/ref\.example\/" "peer\/1\.0"$/,
      );
      const second = await c.waitFor(/"GET \/nope HTTP\/1\.1"/);
      assert.match(second, /^127\.0\.0\.1 \[[^\]]+\] "GET \/nope HTTP\/1\.1" 404 \d+ "-" "-"$/);
      c.kill("SIGINT");
      assert.equal((await c.exited).code, 0);
    });
  });

  test("a custom accessLogFormat: %a %P %r %s %b %{Name}i %{Name}o %%", T, async () => {
    const format = '%a pid=%P "%r" %s %b in=%{X-Trace}i out=%{Content-Type}o 100%%';
    await withChild({ host: "127.0.0.1", port: 0, accessLog: "info", accessLogFormat: format }, async (c) => {
      const port = await c.port();
      await request({ port }, "/pid", { headers: { "X-Trace": "abc" } });
      const line = await c.waitFor(/"GET \/pid HTTP\/1\.1"/);
      const body = String(c.proc.pid);
      assert.equal(
        line,
        `127.0.0.1 pid=${c.proc.pid} "GET /pid HTTP/1.1" 200 ${body.length} in=abc out=text/plain; charset=utf-8 100%`,
      );
      c.kill("SIGINT");
      assert.equal((await c.exited).code, 0);
    });
  });

  test(
    "the access log is silent by default (level warning), as aiohttp.access without logging config",
    T,
    async () => {
      await withChild({ host: "127.0.0.1", port: 0 }, async (c) => {
        const port = await c.port();
        await request({ port }, "/?silent=1");
        c.kill("SIGINT");
        assert.equal((await c.exited).code, 0);
        assert.ok(!c.lines.some((l) => l.includes("silent=1")), c.describe());
      });
    },
  );

  test("accessLog: null logs nothing even with the access logger at info", T, async () => {
    await withChild({ host: "127.0.0.1", port: 0, accessLog: "null" }, async (c) => {
      const port = await c.port();
      await request({ port }, "/?nolog=1");
      c.kill("SIGINT");
      assert.equal((await c.exited).code, 0);
      assert.ok(!c.lines.some((l) => l.includes("nolog=1")), c.describe());
    });
  });
});

describe("runApp: workers and reusePort", () => {
  test(
    "workers: 2 serve one port from 2 processes; SIGTERM to the primary stops all, exit 0",
    T,
    async () => {
      const port = await freePort();
      await withChild({ host: "127.0.0.1", port, workers: 2 }, async (c) => {
        assert.equal(await c.banner(), `======== Running on http://127.0.0.1:${port} ========`);
        const started = c.lines.filter((l) => l.startsWith("startup ")).map((l) => Number(l.split(" ")[1]));
        assert.equal(started.length, 2, c.describe());
        assert.equal(new Set(started).size, 2);
        assert.ok(!started.includes(c.proc.pid!), "the primary serves nothing itself");
        const seen = new Set<number>();
        for (let i = 0; i < 60 && seen.size < 2; i++)
          seen.add(Number((await request({ port }, "/pid")).body));
        assert.deepEqual([...seen].sort(), [...started].sort());
        c.kill("SIGTERM");
        assert.deepEqual(await c.exited, { code: 0, signal: null });
        assert.equal(c.lines.filter((l) => l.startsWith("======== Running on")).length, 1);
        for (const pid of started) {
          c.inOrder(`startup ${pid}`, `shutdown ${pid}`, `cleanup ${pid}`);
          assert.equal(alive(pid), false, `worker ${pid} is gone`);
        }
        assert.equal(await tryConnect(port), "ECONNREFUSED");
      });
    },
  );

  test("workers: 2 stop on SIGINT too", T, async () => {
    const port = await freePort();
    await withChild({ host: "127.0.0.1", port, workers: 2 }, async (c) => {
      await c.banner();
      assert.equal((await request({ port }, "/")).body, "ok");
      c.kill("SIGINT");
      assert.deepEqual(await c.exited, { code: 0, signal: null });
      assert.equal(c.lines.filter((l) => l.startsWith("cleanup ")).length, 2, c.describe());
    });
  });

  test("without reusePort a second server on the same port fails with EADDRINUSE", T, async () => {
    await withChild({ host: "127.0.0.1", port: 0 }, async (first) => {
      const port = await first.port();
      await withChild({ host: "127.0.0.1", port }, async (second) => {
        assert.notEqual((await second.exited).code, 0);
        assert.match(second.stderr, /EADDRINUSE/);
      });
      first.kill("SIGINT");
      assert.equal((await first.exited).code, 0);
    });
  });

  test("reusePort: two processes listen on the same port and both serve", T, async (t) => {
    if (!REUSE_PORT_OK) {
      t.skip(`reusePort needs Node ≥ 22.12 (this is ${process.versions.node})`);
      return;
    }
    await withChild({ host: "127.0.0.1", port: 0, reusePort: true }, async (a) => {
      const port = await a.port();
      await withChild({ host: "127.0.0.1", port, reusePort: true }, async (b) => {
        assert.equal(await b.banner(), `======== Running on http://127.0.0.1:${port} ========`);
        const seen = new Set<number>();
        for (let i = 0; i < 100 && seen.size < 2; i++)
          seen.add(Number((await request({ port }, "/pid")).body));
        assert.deepEqual([...seen].sort(), [a.proc.pid, b.proc.pid].sort());
        b.kill("SIGTERM");
        assert.equal((await b.exited).code, 0);
        assert.equal(
          Number((await request({ port }, "/pid")).body),
          a.proc.pid,
          "the other one still serves",
        );
      });
      a.kill("SIGTERM");
      assert.equal((await a.exited).code, 0);
    });
  });
});

describe("runApp: argument checks (in-process)", () => {
  test("workers must be an integer ≥ 1; printFn a function or null", async () => {
    const app = new web.Application();
    assert.ok((await caught(web.runApp(app, { workers: 0 }))) instanceof asyncio.ValueError);
    assert.ok((await caught(web.runApp(app, { workers: 1.5 }))) instanceof asyncio.ValueError);
    const bad = { printFn: "print" as unknown as (t: string) => void };
    assert.ok((await caught(web.runApp(app, bad))) instanceof asyncio.ArgumentTypeError);
  });
});

// ---- AppRunner and sites, in-process -----------------------------------------------------------

/** `[host, port]` of the runner's only TCP address. */
function tcpAddress(runner: web.AppRunner): readonly [string, number] {
  const tcp = runner.addresses.filter((a) => typeof a !== "string");
  assert.equal(tcp.length, 1, `addresses: ${JSON.stringify(runner.addresses)}`);
  return tcp[0] as readonly [string, number];
}

describe("AppRunner, TCPSite, UnixSite, SockSite (programmatic runApp)", () => {
  const hello = (): web.Application => {
    const app = new web.Application();
    app.router.addGet("/", () => new web.Response({ text: "hello" }));
    return app;
  };

  test("TCPSite on port 0: runner.addresses has the real port, site.name matches, it serves", async () => {
    await runMain(async () => {
      const runner = new web.AppRunner(hello());
      await runner.setup();
      try {
        assert.deepEqual(runner.addresses, []);
        const site = new web.TCPSite(runner, "127.0.0.1", 0);
        await site.start();
        const [host, port] = tcpAddress(runner);
        assert.equal(host, "127.0.0.1");
        assert.ok(port > 0);
        assert.equal(site.name, `http://127.0.0.1:${port}`);
        assert.deepEqual([...runner.sites], [site]);
        const r = await request({ port }, "/");
        assert.equal(r.status, 200);
        assert.equal(r.body, "hello");
      } finally {
        await runner.cleanup();
      }
      assert.deepEqual(runner.addresses, []);
      assert.equal(runner.sites.size, 0);
    });
  });

  test("TCPSite defaults: host 0.0.0.0, port 8080 (8443 with ssl), named before it starts", async () => {
    await runMain(async () => {
      const runner = new web.AppRunner(hello());
      await runner.setup();
      try {
        assert.equal(new web.TCPSite(runner).name, "http://0.0.0.0:8080");
        assert.equal(new web.TCPSite(runner, null, null, { ssl: {} }).name, "https://0.0.0.0:8443");
        assert.equal(new web.TCPSite(runner, "127.0.0.1", 9999).name, "http://127.0.0.1:9999");
      } finally {
        await runner.cleanup();
      }
    });
  });

  test("an IPv6 host is bracketed in the site name (test_run_app_preexisting_inet6_socket)", async (t) => {
    const v6 = await freePort("::1").catch(() => null);
    if (v6 === null) {
      t.skip("IPv6 loopback is not available");
      return;
    }
    await runMain(async () => {
      const runner = new web.AppRunner(hello());
      await runner.setup();
      try {
        const site = new web.TCPSite(runner, "::1", 0);
        await site.start();
        const [host, port] = tcpAddress(runner);
        assert.equal(host, "::1");
        assert.equal(site.name, `http://[::1]:${port}`);
        assert.equal((await request({ host: "::1", port }, "/")).body, "hello");
      } finally {
        await runner.cleanup();
      }
    });
  });

  test("UnixSite and TCPSite on one runner: addresses lists a path and a [host, port]", async (t) => {
    const path = tempSocketPath(t);
    await runMain(async () => {
      const runner = new web.AppRunner(hello());
      await runner.setup();
      try {
        const unix = new web.UnixSite(runner, path);
        const tcp = new web.TCPSite(runner, "127.0.0.1", 0);
        await unix.start();
        await tcp.start();
        assert.equal(unix.name, `http://unix:${path}:`);
        const [, port] = tcpAddress(runner);
        assert.deepEqual(runner.addresses, [path, ["127.0.0.1", port]]);
        assert.equal((await request({ socketPath: path }, "/")).body, "hello");
        assert.equal((await request({ port }, "/")).body, "hello");
      } finally {
        await runner.cleanup();
      }
    });
  });

  test("SockSite serves on a server that already listens (test_run_app_preexisting_inet_socket)", async () => {
    const sock = net.createServer();
    await new Promise<void>((r) => sock.listen(0, "127.0.0.1", r));
    const { port } = sock.address() as net.AddressInfo;
    try {
      await runMain(async () => {
        const runner = new web.AppRunner(hello());
        await runner.setup();
        try {
          const site = new web.SockSite(runner, sock);
          await site.start();
          assert.equal(site.name, `http://127.0.0.1:${port}`);
          assert.deepEqual(runner.addresses, [["127.0.0.1", port]]);
          assert.equal((await request({ port }, "/")).body, "hello");
        } finally {
          await runner.cleanup();
        }
      });
    } finally {
      sock.close();
    }
  });

  test("runner.cleanup(): stops listening, then onShutdown, then onCleanup; a second cleanup is a no-op", async () => {
    const log: string[] = [];
    const app = hello();
    app.onStartup.append(() => {
      log.push("startup");
    });
    app.onShutdown.append(() => {
      log.push("shutdown");
    });
    app.onCleanup.append(() => {
      log.push("cleanup");
    });
    app.cleanupCtx.append(async function* ctx() {
      log.push("ctx:enter");
      yield;
      log.push("ctx:exit");
    });
    await runMain(async () => {
      const runner = new web.AppRunner(app);
      await runner.setup();
      assert.deepEqual(
        log.filter((l) => l !== "ctx:enter"),
        ["startup"],
      );
      assert.ok(log.includes("ctx:enter"));
      const site = new web.TCPSite(runner, "127.0.0.1", 0);
      await site.start();
      const [, port] = tcpAddress(runner);
      await runner.cleanup();
      assert.equal(await tryConnect(port), "ECONNREFUSED");
      const tail = log.slice(log.indexOf("shutdown"));
      assert.deepEqual(
        tail.filter((l) => l !== "ctx:exit"),
        ["shutdown", "cleanup"],
      );
      assert.ok(tail.includes("ctx:exit"), "the cleanup context exits after onShutdown");
      const before = log.length;
      await runner.cleanup();
      assert.equal(log.length, before);
    });
  });

  test("runner.cleanup() with a request in flight: listening stops at once, the response still completes", async () => {
    const log: string[] = [];
    const gate = new asyncio.Event();
    const started = new asyncio.Event();
    const app = new web.Application();
    app.router.addGet("/hold", async () => {
      log.push("hold:start");
      started.set();
      await gate.wait();
      log.push("hold:end");
      return new web.Response({ text: "held" });
    });
    app.onShutdown.append(() => {
      log.push("shutdown");
    });
    app.onCleanup.append(() => {
      log.push("cleanup");
    });
    await runMain(async () => {
      const runner = new web.AppRunner(app, { shutdownTimeout: 60 });
      await runner.setup();
      await new web.TCPSite(runner, "127.0.0.1", 0).start();
      const [, port] = tcpAddress(runner);
      const inFlight = request({ port }, "/hold");
      await started.wait();
      const cleaning = asyncio.createTask(() => runner.cleanup());
      await untilRefused(port);
      assert.ok(!log.includes("hold:end"));
      assert.ok(!log.includes("cleanup"));
      gate.set();
      const r = await inFlight;
      assert.equal(r.status, 200);
      assert.equal(r.body, "held");
      await cleaning;
      assert.equal(log[0], "hold:start");
      assert.ok(log.indexOf("hold:end") < log.indexOf("cleanup"));
      assert.ok(log.indexOf("shutdown") < log.indexOf("cleanup"));
    });
  });

  test("runner.cleanup() cancels a handler still running after shutdownTimeout; its finally runs", async () => {
    const log: string[] = [];
    const started = new asyncio.Event();
    const app = new web.Application();
    app.router.addGet("/hold", async () => {
      started.set();
      try {
        await asyncio.sleep(3600);
        log.push("hold:end");
        return new web.Response({ text: "late" });
      } catch (e) {
        if (e instanceof asyncio.CancelledError) log.push("hold:cancelled");
        throw e;
      } finally {
        log.push("hold:finally");
      }
    });
    app.onShutdown.append(() => {
      log.push("shutdown");
    });
    app.onCleanup.append(() => {
      log.push("cleanup");
    });
    await runMain(async () => {
      const runner = new web.AppRunner(app, { shutdownTimeout: 0.05 });
      await runner.setup();
      await new web.TCPSite(runner, "127.0.0.1", 0).start();
      const [, port] = tcpAddress(runner);
      const inFlight = caught(request({ port }, "/hold"));
      await started.wait();
      await runner.cleanup();
      assert.ok((await inFlight) instanceof Error, "the client sees the connection closed");
      assert.deepEqual(log, ["hold:cancelled", "hold:finally", "shutdown", "cleanup"]);
    });
  });

  test("setup() twice → RuntimeError (the application starts once)", async () => {
    let startups = 0;
    const app = hello();
    app.onStartup.append(() => {
      startups++;
    });
    await runMain(async () => {
      const runner = new web.AppRunner(app);
      await runner.setup();
      try {
        const e = await caught(runner.setup());
        assert.ok(e instanceof asyncio.RuntimeError, String(e));
        assert.equal(startups, 1);
      } finally {
        await runner.cleanup();
      }
    });
  });

  test("a site started before setup() or twice → RuntimeError", async () => {
    await runMain(async () => {
      const runner = new web.AppRunner(hello());
      const early = new web.TCPSite(runner, "127.0.0.1", 0);
      assert.ok((await caught(early.start())) instanceof asyncio.RuntimeError);
      await runner.setup();
      try {
        const site = new web.TCPSite(runner, "127.0.0.1", 0);
        await site.start();
        assert.ok((await caught(site.start())) instanceof asyncio.RuntimeError);
        assert.equal(runner.addresses.length, 1);
      } finally {
        await runner.cleanup();
      }
    });
  });

  test("argument checks: AppRunner needs an Application, shutdownTimeout ≥ 0, ports 0–65535, sites need a runner", () => {
    assert.throws(() => new web.AppRunner({} as web.Application), asyncio.ArgumentTypeError);
    assert.throws(() => new web.AppRunner(hello(), { shutdownTimeout: -1 }), asyncio.ValueError);
    const runner = new web.AppRunner(hello());
    assert.throws(() => new web.TCPSite(runner, "127.0.0.1", 65536), asyncio.ValueError);
    assert.throws(() => new web.TCPSite(runner, "127.0.0.1", -1), asyncio.ValueError);
    assert.throws(() => new web.TCPSite({} as web.AppRunner), asyncio.ArgumentTypeError);
    assert.throws(() => new web.UnixSite(runner, ""), asyncio.ArgumentTypeError);
  });

  test("reusePort: two TCPSites share one port (Node ≥ 22.12), refused with ValueError before", async (t) => {
    if (!REUSE_PORT_OK) {
      const runner = new web.AppRunner(hello());
      assert.throws(() => new web.TCPSite(runner, "127.0.0.1", 0, { reusePort: true }), asyncio.ValueError);
      t.skip(`reusePort needs Node ≥ 22.12 (this is ${process.versions.node}); checked it is refused`);
      return;
    }
    await runMain(async () => {
      const a = new web.AppRunner(hello());
      const b = new web.AppRunner(hello());
      await a.setup();
      await b.setup();
      try {
        await new web.TCPSite(a, "127.0.0.1", 0, { reusePort: true }).start();
        const [, port] = tcpAddress(a);
        await new web.TCPSite(b, "127.0.0.1", port, { reusePort: true }).start();
        assert.deepEqual(b.addresses, [["127.0.0.1", port]]);
        assert.equal((await request({ port }, "/")).body, "hello");
      } finally {
        await a.cleanup();
        await b.cleanup();
      }
    });
  });
});
