// Port of the behaviour checked by aiohttp's tests/test_web_sendfile_functional.py, through real
// sockets: each test names the aiohttp test it follows (or the behaviour it pins down). Files are
// made in a fresh temp dir per test and removed after; clients are `fetch` and raw `node:net`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ArgumentTypeError, ValueError } from "../../src/index.js";
import { TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { eventually, parseHead, rawExchange, statusLines } from "./helpers.js";

let tmp = "";
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aiots-fileresp-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

/** An app answering `GET /` with `new FileResponse(p, options)` (the server's synchronous path). */
function appFor(p: string, options?: web.FileResponseOptions): web.Application {
  const app = new web.Application();
  app.router.addGet("/", () => new web.FileResponse(p, options));
  return app;
}

async function get(app: web.Application, headers: Record<string, string> = {}, method = "GET") {
  await using server = await new TestServer(app).start();
  const r = await fetch(server.makeUrl("/"), { headers, method });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

/** A raw request (the bytes on the wire, HEAD included). */
async function raw(app: web.Application, method: string, headers: Record<string, string> = {}) {
  await using server = await new TestServer(app).start();
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  const r = await rawExchange(
    server.port,
    `${method} / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`,
  );
  return parseHead(r.text);
}

const TEXT = "Hello, static world!\n".repeat(10);

describe("FileResponse: plain sends", () => {
  test("test_static_file_ok: body, length, type, validators, Accept-Ranges", async () => {
    const r = await get(appFor(file("data.txt", TEXT)));
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), TEXT);
    assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(r.headers.get("content-length"), String(TEXT.length));
    assert.equal(r.headers.get("accept-ranges"), "bytes");
    assert.match(r.headers.get("etag")!, /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(!Number.isNaN(Date.parse(r.headers.get("last-modified")!)));
    assert.equal(r.headers.get("content-encoding"), null);
  });

  test("test_zero_bytes_file_ok: an empty file is a 200 with Content-Length 0", async () => {
    const r = await get(appFor(file("empty.bin", "")));
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers.get("content-length"), "0");
  });

  test("test_static_file_with_content_type: the type comes from the extension", async () => {
    const r = await get(appFor(file("pic.jpg", Buffer.from([0xff, 0xd8, 0xff]))));
    assert.equal(r.headers.get("content-type"), "image/jpeg");
    const r2 = await get(appFor(file("blob.unknownext", "x")));
    assert.equal(r2.headers.get("content-type"), "application/octet-stream");
    assert.equal(web.guessContentType("a/b/app.JS"), "text/javascript; charset=utf-8");
  });

  test("test_static_file_custom_content_type: a Content-Type header wins over the guess", async () => {
    const r = await get(appFor(file("doc.txt", "pdf?"), { headers: { "Content-Type": "application/pdf" } }));
    assert.equal(r.headers.get("content-type"), "application/pdf");
    const r2 = await get(appFor(file("doc2.txt", "x"), { contentType: "text/x-custom" }));
    assert.equal(r2.headers.get("content-type"), "text/x-custom");
  });

  test("test_static_file_not_exists: a missing file is a 404 with an empty body", async () => {
    const r = await get(appFor(path.join(tmp, "missing.txt")));
    assert.equal(r.status, 404);
    assert.equal(r.body.length, 0);
  });

  test("test_static_file_directory_traversal / not a regular file: a directory is a 403", async () => {
    fs.mkdirSync(path.join(tmp, "dir"));
    const r = await get(appFor(path.join(tmp, "dir")));
    assert.equal(r.status, 403);
  });

  test("special files are refused (403) and a FIFO never blocks the open", async (t) => {
    const fifo = path.join(tmp, "pipe");
    try {
      execFileSync("mkfifo", [fifo]);
    } catch {
      t.skip("mkfifo is not available");
      return;
    }
    const r = await get(appFor(fifo));
    assert.equal(r.status, 403);
  });

  test("test_static_file_huge: a file larger than chunkSize arrives whole and in order", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const r = await get(appFor(file("big.bin", big), { chunkSize: 64 * 1024 }));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-length"), String(big.length));
    assert.ok(r.body.equals(big));
  });

  test("a handler may await prepare() itself: the whole file is sent by then", async () => {
    const p = file("p.txt", TEXT);
    const app = new web.Application();
    let prepared = false;
    app.router.addGet("/", async (request) => {
      const resp = new web.FileResponse(p);
      await resp.prepare(request);
      prepared = resp.prepared && resp.bodyLength === TEXT.length;
      return resp;
    });
    const r = await get(app);
    assert.equal(r.body.toString(), TEXT);
    assert.ok(prepared);
  });

  test("keep-alive: a returned FileResponse ends its body, so the next request is answered", async () => {
    const p = file("k.txt", TEXT);
    await using server = await new TestServer(appFor(p, { chunkSize: 7 })).start();
    const r = await rawExchange(
      server.port,
      "GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n" +
        "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statusLines(r.text), [
      "HTTP/1.1 200 OK",
      "HTTP/1.1 200 OK",
      "HTTP/1.1 206 Partial Content",
    ]);
    assert.equal(r.text.split(TEXT).length, 2);
    assert.ok(r.text.endsWith("Hello"));
  });

  test("HEAD: the headers of the GET, Content-Length included, and no body", async () => {
    const p = file("h.txt", TEXT);
    const r = await raw(appFor(p), "HEAD");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-length")?.[0], String(TEXT.length));
    assert.equal(r.headers.get("accept-ranges")?.[0], "bytes");
    assert.equal(r.body, "");
  });

  test("constructor checks: path type, NUL and chunkSize", () => {
    assert.throws(() => new web.FileResponse(42 as unknown as string), ArgumentTypeError);
    assert.throws(() => new web.FileResponse("a\0b"), ValueError);
    assert.throws(() => new web.FileResponse("x", { chunkSize: 0 }), ValueError);
    assert.throws(() => new web.FileResponse("x", { chunkSize: 1.5 }), ValueError);
    assert.equal(new web.FileResponse("x").chunkSize, 256 * 1024);
  });
});

describe("FileResponse: pre-compressed siblings", () => {
  function siblings(): string {
    const p = file("app.js", "console.log('plain');");
    file("app.js.gz", "GZIP-BYTES");
    file("app.js.br", "BROTLI-BYTES");
    return p;
  }
  async function rawWith(p: string, accept?: string) {
    return raw(appFor(p), "GET", accept === undefined ? {} : { "Accept-Encoding": accept });
  }

  test("test_static_file_with_encoding_and_enable_compression (br): .br when the client accepts br", async () => {
    const r = await rawWith(siblings(), "gzip, br");
    assert.equal(r.body, "BROTLI-BYTES");
    assert.equal(r.headers.get("content-encoding")?.[0], "br");
    assert.equal(r.headers.get("vary")?.[0], "Accept-Encoding");
    assert.equal(r.headers.get("content-type")?.[0], "text/javascript; charset=utf-8");
  });

  test("test_static_file_gzip: .gz when only gzip is accepted", async () => {
    const r = await rawWith(siblings(), "GZIP");
    assert.equal(r.body, "GZIP-BYTES");
    assert.equal(r.headers.get("content-encoding")?.[0], "gzip");
  });

  test("no Accept-Encoding (or q=0): the plain file, without Content-Encoding", async () => {
    const p = siblings();
    const r = await rawWith(p);
    assert.equal(r.body, "console.log('plain');");
    assert.equal(r.headers.get("content-encoding"), undefined);
    const r2 = await rawWith(p, "br;q=0, gzip;q=0");
    assert.equal(r2.body, "console.log('plain');");
  });

  test("a missing sibling falls back to the next, then to the plain file", async () => {
    const p = file("only.css", "body{}");
    file("only.css.gz", "GZ");
    const r = await rawWith(p, "br, gzip");
    assert.equal(r.body, "GZ");
    assert.equal(r.headers.get("content-type")?.[0], "text/css; charset=utf-8");
  });

  test("a sibling that is a symlink or not a regular file is ignored", async () => {
    const p = file("lnk.js", "plain");
    const target = file("elsewhere.bin", "SECRET");
    fs.symlinkSync(target, `${p}.br`);
    fs.mkdirSync(`${p}.gz`);
    const r = await rawWith(p, "br, gzip");
    assert.equal(r.body, "plain");
  });
});

describe("FileResponse: conditional requests", () => {
  async function etagOf(p: string): Promise<string> {
    return (await get(appFor(p))).headers.get("etag")!;
  }

  test("test_static_file_if_none_match: a matching ETag is a 304 without a body, validators kept", async () => {
    const p = file("c.txt", TEXT);
    const etag = await etagOf(p);
    const r = await raw(appFor(p), "GET", { "If-None-Match": etag });
    assert.equal(r.status, 304);
    assert.equal(r.body, "");
    assert.equal(r.headers.get("etag")?.[0], etag);
    assert.ok(r.headers.has("last-modified"));
    assert.equal(r.headers.get("content-length"), undefined);
  });

  test("test_static_file_if_none_match_weak / star: weak comparison and * match", async () => {
    const p = file("c.txt", TEXT);
    const etag = await etagOf(p);
    assert.equal((await get(appFor(p), { "If-None-Match": `"zzz", W/${etag}` })).status, 304);
    assert.equal((await get(appFor(p), { "If-None-Match": "*" })).status, 304);
    assert.equal((await get(appFor(p), { "If-None-Match": '"other"' })).status, 200);
  });

  test("test_static_file_if_modified_since: a future date is a 304, a past one a 200", async () => {
    const p = file("m.txt", TEXT);
    const future = new Date(Date.now() + 3600_000).toUTCString();
    const past = new Date(Date.now() - 86400_000 * 30).toUTCString();
    assert.equal((await get(appFor(p), { "If-Modified-Since": future })).status, 304);
    assert.equal((await get(appFor(p), { "If-Modified-Since": past })).status, 200);
  });

  test("test_static_file_if_modified_since_invalid_date: an unparsable date is ignored", async () => {
    const p = file("m.txt", TEXT);
    const r = await get(appFor(p), { "If-Modified-Since": "not a date" });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), TEXT);
  });

  test("test_static_file_if_modified_since_equal: the Last-Modified sent back is a 304", async () => {
    const p = file("m.txt", TEXT);
    const lm = (await get(appFor(p))).headers.get("last-modified")!;
    assert.equal((await get(appFor(p), { "If-Modified-Since": lm })).status, 304);
  });

  test("If-None-Match wins over If-Modified-Since (a mismatch is a 200 even with a future date)", async () => {
    const p = file("m.txt", TEXT);
    const future = new Date(Date.now() + 3600_000).toUTCString();
    const r = await get(appFor(p), { "If-None-Match": '"nope"', "If-Modified-Since": future });
    assert.equal(r.status, 200);
  });

  test("test_static_file_if_match: a strong match is a 200, a mismatch or weak tag a 412", async () => {
    const p = file("im.txt", TEXT);
    const etag = await etagOf(p);
    assert.equal((await get(appFor(p), { "If-Match": etag })).status, 200);
    assert.equal((await get(appFor(p), { "If-Match": "*" })).status, 200);
    const miss = await get(appFor(p), { "If-Match": '"nope"' });
    assert.equal(miss.status, 412);
    assert.equal(miss.body.length, 0);
    assert.equal((await get(appFor(p), { "If-Match": `W/${etag}` })).status, 412);
  });

  test("test_static_file_if_unmodified_since: a past date is a 412, a future one a 200", async () => {
    const p = file("iu.txt", TEXT);
    const past = new Date(Date.now() - 86400_000 * 30).toUTCString();
    const future = new Date(Date.now() + 3600_000).toUTCString();
    assert.equal((await get(appFor(p), { "If-Unmodified-Since": past })).status, 412);
    assert.equal((await get(appFor(p), { "If-Unmodified-Since": future })).status, 200);
  });

  test("If-Match present: If-Unmodified-Since is not evaluated", async () => {
    const p = file("iu.txt", TEXT);
    const etag = await etagOf(p);
    const past = new Date(Date.now() - 86400_000 * 30).toUTCString();
    assert.equal((await get(appFor(p), { "If-Match": etag, "If-Unmodified-Since": past })).status, 200);
  });

  test("a changed file gets a new ETag (so an old one no longer matches)", async () => {
    const p = file("chg.txt", "one");
    const before = await etagOf(p);
    fs.writeFileSync(p, "three");
    const after = await etagOf(p);
    assert.notEqual(before, after);
    assert.equal((await get(appFor(p), { "If-None-Match": before })).status, 200);
  });
});

describe("FileResponse: ranges", () => {
  const DIGITS = "0123456789abcdefghij"; // 20 bytes

  test("test_static_file_range: bytes=0-9 is a 206 with Content-Range", async () => {
    const r = await get(appFor(file("r.txt", DIGITS)), { Range: "bytes=0-9" });
    assert.equal(r.status, 206);
    assert.equal(r.body.toString(), "0123456789");
    assert.equal(r.headers.get("content-range"), "bytes 0-9/20");
    assert.equal(r.headers.get("content-length"), "10");
  });

  test("test_static_file_range_end_bigger_than_size: the rest of the file", async () => {
    const r = await get(appFor(file("r.txt", DIGITS)), { Range: "bytes=15-100" });
    assert.equal(r.status, 206);
    assert.equal(r.body.toString(), "fghij");
    assert.equal(r.headers.get("content-range"), "bytes 15-19/20");
  });

  test("test_static_file_range_start_only: bytes=18- is the last two bytes", async () => {
    const r = await get(appFor(file("r.txt", DIGITS)), { Range: "bytes=18-" });
    assert.equal(r.status, 206);
    assert.equal(r.body.toString(), "ij");
  });

  test("test_static_file_range_tail: bytes=-5, and a suffix longer than the file", async () => {
    const p = file("r.txt", DIGITS);
    const r = await get(appFor(p), { Range: "bytes=-5" });
    assert.equal(r.status, 206);
    assert.equal(r.body.toString(), "fghij");
    assert.equal(r.headers.get("content-range"), "bytes 15-19/20");
    const all = await get(appFor(p), { Range: "bytes=-1000" });
    assert.equal(all.status, 206);
    assert.equal(all.body.toString(), DIGITS);
  });

  test("test_static_file_range_beyond_eof: a start past the end is a 416 with bytes */size", async () => {
    const r = await get(appFor(file("r.txt", DIGITS)), { Range: "bytes=20-30" });
    assert.equal(r.status, 416);
    assert.equal(r.headers.get("content-range"), "bytes */20");
    assert.equal(r.body.length, 0);
  });

  test("test_static_file_invalid_range: reversed, multiple, other units, empty suffix → 416", async () => {
    const p = file("r.txt", DIGITS);
    for (const range of ["bytes=9-0", "bytes=0-1,3-4", "items=0-1", "bytes=-", "bytes=-0", "bytes=a-b"]) {
      const r = await get(appFor(p), { Range: range });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers.get("content-range"), "bytes */20", range);
    }
  });

  test("test_static_file_if_range: a date at or after Last-Modified gives the range, an older one the whole file", async () => {
    const p = file("r.txt", DIGITS);
    const lm = (await get(appFor(p))).headers.get("last-modified")!;
    const r = await get(appFor(p), { Range: "bytes=0-1", "If-Range": lm });
    assert.equal(r.status, 206);
    assert.equal(r.body.toString(), "01");
    const old = new Date(Date.parse(lm) - 86400_000).toUTCString();
    const r2 = await get(appFor(p), { Range: "bytes=0-1", "If-Range": old });
    assert.equal(r2.status, 200);
    assert.equal(r2.body.toString(), DIGITS);
  });

  test("If-Range with an ETag: a strong match gives the range, another tag the whole file", async () => {
    const p = file("r.txt", DIGITS);
    const etag = (await get(appFor(p))).headers.get("etag")!;
    assert.equal((await get(appFor(p), { Range: "bytes=0-1", "If-Range": etag })).status, 206);
    assert.equal((await get(appFor(p), { Range: "bytes=0-1", "If-Range": '"x"' })).status, 200);
    assert.equal((await get(appFor(p), { Range: "bytes=0-1", "If-Range": `W/${etag}` })).status, 200);
    assert.equal((await get(appFor(p), { Range: "bytes=0-1", "If-Range": "garbage" })).status, 200);
  });

  test("a range of a large file honours chunkSize boundaries", async () => {
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
    const r = await get(appFor(file("big.bin", big), { chunkSize: 1000 }), { Range: "bytes=12345-512344" });
    assert.equal(r.status, 206);
    assert.ok(r.body.equals(big.subarray(12345, 512345)));
  });
});

describe("FileResponse: clients that go away", () => {
  function fdCount(): number {
    return fs.readdirSync("/proc/self/fd").length;
  }

  test("304, 412, 416, HEAD and empty files close the descriptor they opened", async (t) => {
    if (!fs.existsSync("/proc/self/fd")) {
      t.skip("no /proc/self/fd");
      return;
    }
    const p = file("c.txt", TEXT);
    const empty = file("e.txt", "");
    const app = new web.Application();
    app.router.addGet("/", () => new web.FileResponse(p));
    app.router.addGet("/empty", () => new web.FileResponse(empty));
    await using server = await new TestServer(app).start();
    const etag = (await fetch(server.makeUrl("/"))).headers.get("etag")!;
    const baseline = fdCount();
    const cases: [string, string, Record<string, string>][] = [
      ["GET", "/", { "If-None-Match": etag }],
      ["GET", "/", { "If-Match": '"x"' }],
      ["GET", "/", { Range: "bytes=999-" }],
      ["HEAD", "/", {}],
      ["GET", "/empty", {}],
    ];
    for (let i = 0; i < 4; i++)
      for (const [method, target, headers] of cases) {
        const r = await fetch(server.makeUrl(target), { method, headers });
        await r.arrayBuffer();
      }
    assert.ok(await eventually(() => fdCount() <= baseline + 2), `fds ${fdCount()} > ${baseline}`);
  });

  for (const mode of ["returned", "prepared"] as const) {
    test(`test_static_file_client_disconnect (${mode}): the descriptor is closed, no fd leak`, async (t) => {
      if (!fs.existsSync("/proc/self/fd")) {
        t.skip("no /proc/self/fd");
        return;
      }
      const p = file("huge.bin", Buffer.alloc(16 * 1024 * 1024, 0x61));
      const app = new web.Application();
      let finished = 0;
      app.router.addGet("/", async (request) => {
        const resp = new web.FileResponse(p, { chunkSize: 16 * 1024 });
        try {
          if (mode === "prepared") await resp.prepare(request);
          return resp;
        } finally {
          finished++;
        }
      });
      await using server = await new TestServer(app).start();
      const baseline = fdCount();
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => {
          const sock = net.connect(server.port, "127.0.0.1", () => {
            sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
          });
          let got = 0;
          sock.on("data", (c: Buffer) => {
            got += c.length;
            if (got > 64 * 1024) {
              sock.destroy();
              resolve();
            }
          });
          sock.on("error", () => resolve());
        });
      }
      assert.ok(
        await eventually(() => finished === 3 && fdCount() <= baseline),
        `fds ${fdCount()} > ${baseline}`,
      );
    });
  }
});
