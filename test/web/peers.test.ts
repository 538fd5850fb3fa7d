// Clients nobody here wrote, against an aiots server: curl (keep-alive reuse, chunked upload, HEAD,
// Expect: 100-continue) and Python's aiohttp client under Debian's /usr/bin/python3 (GET, JSON
// POST, a streamed upload, one pooled connection). Each tool is skipped, visibly, only when absent
// (.ci/run installs both). The server runs in this process (AppRunner + TCPSite on port 0).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as web from "../../src/web/index.js";
import { runMain } from "../helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PY_CLIENT = join(root, "test", "fixtures", "web", "aiohttp-client.py");
const PYTHON = "/usr/bin/python3";

const HAVE_CURL = spawnSync("curl", ["--version"]).status === 0;
const HAVE_AIOHTTP = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import aiohttp"]).status === 0;

// A 1000-byte file served by router.addStatic("/static", STATIC_DIR): byte i is (i * 7) % 251.
const STATIC_DIR = mkdtempSync(join(tmpdir(), "aiots-peers-"));
const STATIC_DATA = Buffer.alloc(1000);
for (let i = 0; i < STATIC_DATA.length; i++) STATIC_DATA[i] = (i * 7) % 251;
writeFileSync(join(STATIC_DIR, "data.bin"), STATIC_DATA);
after(() => rmSync(STATIC_DIR, { recursive: true, force: true }));

/** Compressible text (9 KB) for the compressed route. */
const BIG_TEXT = "The quick brown fox jumps over the lazy dog. ".repeat(200);

// ---- the server --------------------------------------------------------------------------------

/** Small app the peers talk to; bodies name the connection they came on (`conn=N`). */
function makeApp(): web.Application {
  const conns = new WeakMap<Socket, number>();
  let nextConn = 1;
  const connOf = (request: web.Request<any>): number => {
    const s = request.raw.socket;
    let id = conns.get(s);
    if (id === undefined) conns.set(s, (id = nextConn++));
    return id;
  };
  const app = new web.Application({ clientMaxSize: 1024 * 1024 });
  app.router.addGet("/a", (r) => new web.Response({ text: `A conn=${connOf(r)}` }));
  app.router.addGet("/b", (r) => new web.Response({ text: `B conn=${connOf(r)}` }));
  app.router.addGet("/text", () => new web.Response({ text: "hello peers" }));
  app.router.addPost("/upload", async (request) => {
    const body = await request.read();
    return web.jsonResponse({
      transferEncoding: request.headers.get("Transfer-Encoding") ?? null,
      contentLength: request.contentLength,
      expect: request.headers.get("Expect") ?? null,
      length: body.length,
      sha256: createHash("sha256").update(body).digest("hex"),
    });
  });
  // Refuses without reading the body: with Expect: 100-continue the client never sends it.
  app.router.addPost("/guarded", () => {
    throw new web.HTTPUnauthorized({ text: "no body wanted" });
  });
  app.router.addPost("/json", async (request) => {
    const got = await request.json();
    return web.jsonResponse({ got, contentType: request.contentType, method: request.method });
  });
  // What the handler saw of a multipart/form-data body, through request.post().
  app.router.addPost("/form", async (request) => {
    const form = await request.post();
    const parts = [...form.entries()].map(([name, value]) =>
      value instanceof web.FileField
        ? {
            name,
            filename: value.filename,
            contentType: value.contentType,
            length: value.size,
            sha256: createHash("sha256").update(value.data).digest("hex"),
          }
        : { name, value: typeof value === "string" ? value : `<${value.length} bytes>` },
    );
    return web.jsonResponse({ contentType: request.contentType, parts });
  });
  app.router.addStatic("/static", STATIC_DIR);
  app.router.addGet("/compressed", () => {
    const resp = new web.Response({ text: BIG_TEXT });
    resp.enableCompression();
    return resp;
  });
  return app;
}

/** Serve {@link makeApp} on 127.0.0.1:0 while `body` runs; always cleaned up. */
async function withServer(body: (base: string) => Promise<void>): Promise<void> {
  await runMain(async () => {
    const runner = new web.AppRunner(makeApp(), { accessLog: null });
    await runner.setup();
    try {
      await new web.TCPSite(runner, "127.0.0.1", 0).start();
      const [, port] = runner.addresses[0] as readonly [string, number];
      await body(`http://127.0.0.1:${port}`);
    } finally {
      await runner.cleanup();
    }
  });
}

// ---- running the peers -------------------------------------------------------------------------

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a tool to completion (killed if the test ends first), optionally feeding its stdin. */
function runTool(cmd: string, args: string[], input?: Buffer): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], timeout: 30_000 });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8");
    p.stderr.setEncoding("utf8");
    p.stdout.on("data", (c: string) => {
      stdout += c;
    });
    p.stderr.on("data", (c: string) => {
      stderr += c;
    });
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
    p.stdin.on("error", () => {});
    p.stdin.end(input);
  });
}

const curl = (args: string[], input?: Buffer): Promise<Ran> => runTool("curl", ["-sS", ...args], input);

async function python(mode: string, base: string): Promise<any> {
  const r = await runTool(PYTHON, [PY_CLIENT, mode, base]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** curl's body as bytes (stdout as a Buffer, not text). */
function curlBytes(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn("curl", ["-sS", ...args], { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    const chunks: Buffer[] = [];
    let stderr = "";
    p.stdout.on("data", (c: Buffer) => chunks.push(c));
    p.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`curl exited ${code}: ${stderr}`)),
    );
  });
}

function needCurl(t: TestContext): boolean {
  if (HAVE_CURL) return true;
  t.skip("curl is not installed (.ci/run installs it)");
  return false;
}

function needAiohttp(t: TestContext): boolean {
  if (HAVE_AIOHTTP) return true;
  t.skip(`${PYTHON} with aiohttp is not available (.ci/run installs python3-aiohttp)`);
  return false;
}

/** `curl -v` request/response header lines (`> …` sent, `< …` received). */
const sent = (verbose: string): string[] =>
  verbose
    .split(/\r?\n/)
    .filter((l) => l.startsWith("> "))
    .map((l) => l.slice(2));
const received = (verbose: string): string[] =>
  verbose
    .split(/\r?\n/)
    .filter((l) => l.startsWith("< "))
    .map((l) => l.slice(2));

const T = { timeout: 60_000 };

// ---- curl --------------------------------------------------------------------------------------

describe("curl", () => {
  test("two URLs in one invocation reuse one keep-alive connection", T, async (t) => {
    if (!needCurl(t)) return;
    await withServer(async (base) => {
      const r = await curl(["-v", "-w", " %{http_code} %{num_connects}\\n", `${base}/a`, `${base}/b`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "A conn=1 200 1\nB conn=1 200 0\n");
      assert.match(r.stderr, /Re-?using existing connection/i);
    });
  });

  test("a chunked upload from stdin (-H 'Transfer-Encoding: chunked' --data-binary @-)", T, async (t) => {
    if (!needCurl(t)) return;
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
    await withServer(async (base) => {
      const r = await curl(
        ["-v", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", `${base}/upload`],
        data,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.ok(sent(r.stderr).includes("Transfer-Encoding: chunked"), r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), {
        transferEncoding: "chunked",
        contentLength: null,
        expect: null,
        length: data.length,
        sha256: createHash("sha256").update(data).digest("hex"),
      });
    });
  });

  test("HEAD (-I) on a GET route: the GET's headers, no body", T, async (t) => {
    if (!needCurl(t)) return;
    await withServer(async (base) => {
      const head = await curl(["-I", `${base}/text`]);
      assert.equal(head.code, 0, head.stderr);
      const lines = head.stdout.split("\r\n");
      assert.equal(lines[0], "HTTP/1.1 200 OK");
      assert.ok(lines.includes("Content-Length: 11"), head.stdout);
      assert.ok(lines.includes("Content-Type: text/plain; charset=utf-8"), head.stdout);
      assert.ok(head.stdout.endsWith("\r\n\r\n"), "nothing after the headers");
      const get = await curl(["-i", `${base}/text`]);
      assert.ok(get.stdout.endsWith("\r\n\r\nhello peers"), get.stdout);
    });
  });

  test(
    "Expect: 100-continue: the server answers 100 when the handler reads, then the body is echoed",
    T,
    async (t) => {
      if (!needCurl(t)) return;
      const data = Buffer.from("x".repeat(5000));
      await withServer(async (base) => {
        const r = await curl(
          ["-v", "-H", "Expect: 100-continue", "--data-binary", "@-", `${base}/upload`],
          data,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.ok(sent(r.stderr).includes("Expect: 100-continue"), r.stderr);
        const statuses = received(r.stderr).filter((l) => l.startsWith("HTTP/"));
        assert.deepEqual(statuses, ["HTTP/1.1 100 Continue", "HTTP/1.1 200 OK"]);
        const json = JSON.parse(r.stdout);
        assert.equal(json.length, 5000);
        assert.equal(json.expect, "100-continue");
        assert.equal(json.contentLength, 5000);
      });
    },
  );

  test(
    "Expect: 100-continue to a handler that refuses without reading: the final status, no 100",
    T,
    async (t) => {
      if (!needCurl(t)) return;
      await withServer(async (base) => {
        const r = await curl(
          ["-v", "-H", "Expect: 100-continue", "--data-binary", "@-", `${base}/guarded`],
          Buffer.from("y".repeat(5000)),
        );
        assert.equal(r.code, 0, r.stderr);
        const statuses = received(r.stderr).filter((l) => l.startsWith("HTTP/"));
        assert.deepEqual(statuses, ["HTTP/1.1 401 Unauthorized"]);
        assert.equal(r.stdout, "no body wanted");
      });
    },
  );

  test("Expect: 100-continue with a Content-Length over clientMaxSize: 413 before the body", T, async (t) => {
    if (!needCurl(t)) return;
    await withServer(async (base) => {
      const big = Buffer.alloc(1024 * 1024 + 1, 0x61);
      const r = await curl(
        ["-v", "-H", "Expect: 100-continue", "--data-binary", "@-", `${base}/upload`],
        big,
      );
      assert.equal(r.code, 0, r.stderr);
      const statuses = received(r.stderr).filter((l) => l.startsWith("HTTP/"));
      assert.equal(statuses.length, 1, r.stderr);
      assert.match(statuses[0]!, /^HTTP\/1\.1 413 /);
      assert.ok(
        !received(r.stderr).includes("HTTP/1.1 100 Continue"),
        "no 100 Continue: the body is not wanted",
      );
      assert.equal(r.stdout, "Maximum request body size 1048576 exceeded, actual body size 1048577");
    });
  });

  test("a range (-r 0-99) of a router.addStatic file: 206, Content-Range, the exact bytes", T, async (t) => {
    if (!needCurl(t)) return;
    await withServer(async (base) => {
      const r = await runTool("curl", ["-sS", "-v", "-r", "0-99", `${base}/static/data.bin`]);
      assert.equal(r.code, 0, r.stderr);
      const got = received(r.stderr);
      assert.equal(got[0], "HTTP/1.1 206 Partial Content", r.stderr);
      assert.ok(got.includes("Content-Range: bytes 0-99/1000"), r.stderr);
      assert.ok(got.includes("Content-Length: 100"), r.stderr);
      assert.ok(sent(r.stderr).includes("Range: bytes=0-99"), r.stderr);
      const body = await curlBytes(["-r", "0-99", `${base}/static/data.bin`]);
      assert.deepEqual(body, STATIC_DATA.subarray(0, 100));
    });
  });

  test("a suffix range (-r -50) of a router.addStatic file: the last 50 bytes", T, async (t) => {
    if (!needCurl(t)) return;
    await withServer(async (base) => {
      const r = await curl(["-v", "-o", "/dev/null", "-r", "-50", `${base}/static/data.bin`]);
      assert.equal(r.code, 0, r.stderr);
      const got = received(r.stderr);
      assert.equal(got[0], "HTTP/1.1 206 Partial Content", r.stderr);
      assert.ok(got.includes("Content-Range: bytes 950-999/1000"), r.stderr);
      assert.ok(got.includes("Content-Length: 50"), r.stderr);
      const body = await curlBytes(["-r", "-50", `${base}/static/data.bin`]);
      assert.deepEqual(body, STATIC_DATA.subarray(950));
    });
  });

  test(
    "an unsatisfiable range (-r 2000-2999) of a 1000-byte file: 416, Content-Range: bytes */1000",
    T,
    async (t) => {
      if (!needCurl(t)) return;
      await withServer(async (base) => {
        const r = await curl(["-v", "-o", "/dev/null", "-r", "2000-2999", `${base}/static/data.bin`]);
        assert.equal(r.code, 0, r.stderr);
        const got = received(r.stderr);
        assert.equal(got[0], "HTTP/1.1 416 Range Not Satisfiable", r.stderr);
        assert.ok(got.includes("Content-Range: bytes */1000"), r.stderr);
      });
    },
  );

  test(
    "--compressed against enableCompression(): a coding curl asked for, decoded to the text",
    T,
    async (t) => {
      if (!needCurl(t)) return;
      await withServer(async (base) => {
        const r = await curl(["-v", "--compressed", `${base}/compressed`]);
        assert.equal(r.code, 0, r.stderr);
        const asked = sent(r.stderr).find((l) => /^Accept-Encoding:/i.test(l));
        assert.ok(asked, r.stderr);
        const coding = received(r.stderr)
          .find((l) => /^Content-Encoding:/i.test(l))
          ?.replace(/^Content-Encoding:\s*/i, "");
        assert.ok(coding && ["br", "gzip", "deflate"].includes(coding), r.stderr);
        assert.ok(asked.toLowerCase().includes(coding), `${coding} not in ${asked}`);
        assert.ok(received(r.stderr).includes("Vary: Accept-Encoding"), r.stderr);
        assert.equal(r.stdout, BIG_TEXT);
      });
    },
  );
});

// ---- Python's aiohttp client -------------------------------------------------------------------

describe(`Python aiohttp client (${PYTHON})`, () => {
  test("GET: status, text and headers", T, async (t) => {
    if (!needAiohttp(t)) return;
    await withServer(async (base) => {
      assert.deepEqual(await python("get", base), {
        status: 200,
        text: "hello peers",
        contentType: "text/plain; charset=utf-8",
        contentLength: "11",
      });
    });
  });

  test("POST json=…: the server parses it and answers JSON", T, async (t) => {
    if (!needAiohttp(t)) return;
    await withServer(async (base) => {
      const r = await python("json", base);
      assert.equal(r.status, 200);
      assert.equal(r.contentType, "application/json; charset=utf-8");
      assert.deepEqual(r.json, {
        got: { name: "aiots", n: [1, 2, 3], nested: { ok: true }, unicode: "héllo ✓" },
        contentType: "application/json",
        method: "POST",
      });
    });
  });

  test("a streamed upload (async generator → chunked) arrives whole", T, async (t) => {
    if (!needAiohttp(t)) return;
    await withServer(async (base) => {
      const r = await python("stream", base);
      assert.equal(r.status, 200);
      assert.equal(r.json.transferEncoding, "chunked");
      assert.equal(r.json.length, r.length);
      assert.equal(r.json.sha256, r.sha256);
    });
  });

  test("one pooled keep-alive connection serves several requests; HEAD has no body", T, async (t) => {
    if (!needAiohttp(t)) return;
    await withServer(async (base) => {
      const r = await python("keepalive", base);
      assert.deepEqual(r.seen, ["A conn=1", "B conn=1", "A conn=1"]);
      assert.deepEqual(r.head, { status: 200, contentLength: "11", body: "" });
    });
  });

  test("a multipart form (FormData: a text field + a file): what request.post() saw", T, async (t) => {
    if (!needAiohttp(t)) return;
    await withServer(async (base) => {
      const r = await python("form", base);
      assert.equal(r.status, 200);
      assert.equal(r.json.contentType, "multipart/form-data");
      assert.deepEqual(r.json.parts, [
        { name: "title", value: "héllo peers" },
        {
          name: "upload",
          filename: "blob.bin",
          contentType: "application/x-aiots-test",
          length: r.length,
          sha256: r.sha256,
        },
      ]);
    });
  });
});
