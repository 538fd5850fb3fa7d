// Port of the compression behaviour checked by aiohttp's tests/test_web_response.py
// (test_compression_no_accept, test_compression_default_coding, test_force_compression_*,
// test_change_content_length_if_compression_enabled, test_remove_content_length_if_compression_enabled_*)
// and tests/test_web_functional.py (test_response_with_precompressed_body_*, test_bad_request_payload,
// request bodies with Content-Encoding), through real sockets: node:http (which does not decompress)
// shows the raw bytes, decompressed here with node:zlib. "aiots:" titles are our own.
//
// Differences kept on purpose: aiots also speaks `br`, and negotiates by q-value (br > gzip > deflate on
// ties; aiohttp takes the first of deflate/gzip that appears in the header); bodies under
// COMPRESSION_MIN_SIZE (1 KiB) are not compressed unless forced; a compressed `Response` is sent
// chunked through a zlib stream (aiohttp compresses it whole and sets Content-Length);
// `Vary: Accept-Encoding` is added whenever the coding was negotiated.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import { describe, test } from "node:test";
import * as zlib from "node:zlib";
import { ConnectionResetError, RuntimeError, ValueError } from "../../src/index.js";
import { TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with node:http (no automatic decompression): the raw status, headers and bytes. */
function request(
  url: URL,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Decode a body by its Content-Encoding. */
function decode(res: RawResponse): Buffer {
  switch (res.headers["content-encoding"]) {
    case "gzip":
      return zlib.gunzipSync(res.body);
    case "deflate":
      return zlib.inflateSync(res.body);
    case "br":
      return zlib.brotliDecompressSync(res.body);
    default:
      return res.body;
  }
}

const BIG = "The quick brown fox jumps over the lazy dog. ".repeat(200); // 9 KB, compressible

/** An app whose GET / answers `BIG` with compression enabled (`force` passed through). */
function compressedApp(
  force?: web.ContentCoding,
  options: { body?: string; minSize?: number; status?: number } = {},
): web.Application {
  const app = new web.Application();
  app.router.addGet("/", () => {
    const resp = new web.Response({ text: options.body ?? BIG, status: options.status ?? 200 });
    resp.enableCompression(force, options.minSize === undefined ? {} : { minSize: options.minSize });
    return resp;
  });
  return app;
}

describe("negotiateEncoding", () => {
  test("aiots: q-values decide; br > gzip > deflate on ties; q=0 refuses; * covers the rest", () => {
    assert.equal(web.negotiateEncoding(undefined), "identity");
    assert.equal(web.negotiateEncoding(""), "identity");
    assert.equal(web.negotiateEncoding("gzip, deflate"), "gzip");
    assert.equal(web.negotiateEncoding("gzip, deflate, br"), "br");
    assert.equal(web.negotiateEncoding("DEFLATE"), "deflate");
    assert.equal(web.negotiateEncoding("gzip;q=0.5, deflate;q=0.9"), "deflate");
    assert.equal(web.negotiateEncoding("br;q=0, *"), "gzip");
    assert.equal(web.negotiateEncoding("*;q=0, identity"), "identity");
    assert.equal(web.negotiateEncoding("identity"), "identity");
    assert.equal(web.negotiateEncoding("x-gzip"), "gzip");
    assert.equal(web.negotiateEncoding("compress, zstd"), "identity");
  });
});

describe("response compression", () => {
  test("test_compression_no_accept: identity, with Vary: Accept-Encoding", async () => {
    await using server = await new TestServer(compressedApp()).start();
    const res = await request(server.makeUrl("/"));
    assert.equal(res.headers["content-encoding"], undefined);
    assert.equal(res.headers.vary, "Accept-Encoding");
    assert.equal(res.headers["content-length"], String(BIG.length));
    assert.equal(res.body.toString(), BIG);
  });

  test("test_compression_default_coding: gzip for `gzip, deflate`; the length header goes", async () => {
    await using server = await new TestServer(compressedApp()).start();
    const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip, deflate" } });
    assert.equal(res.headers["content-encoding"], "gzip");
    assert.equal(res.headers.vary, "Accept-Encoding");
    assert.equal(res.headers["content-length"], undefined);
    assert.equal(res.headers["transfer-encoding"], "chunked");
    assert.ok(res.body.length < BIG.length / 10, `compressed to ${res.body.length}`);
    assert.equal(decode(res).toString(), BIG);
  });

  test("aiots: br when the client offers it", async () => {
    await using server = await new TestServer(compressedApp()).start();
    const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip, deflate, br" } });
    assert.equal(res.headers["content-encoding"], "br");
    assert.equal(zlib.brotliDecompressSync(res.body).toString(), BIG);
  });

  test("aiots: deflate when q-values say so", async () => {
    await using server = await new TestServer(compressedApp()).start();
    const res = await request(server.makeUrl("/"), {
      headers: { "Accept-Encoding": "br;q=0.1, gzip;q=0.2, deflate" },
    });
    assert.equal(res.headers["content-encoding"], "deflate");
    assert.equal(zlib.inflateSync(res.body).toString(), BIG);
  });

  test("test_force_compression_no_accept_gzip: forced gzip whatever the client said, no Vary", async () => {
    await using server = await new TestServer(compressedApp("gzip", { body: "answer" })).start();
    const res = await request(server.makeUrl("/"));
    assert.equal(res.headers["content-encoding"], "gzip");
    assert.equal(res.headers.vary, undefined);
    assert.equal(zlib.gunzipSync(res.body).toString(), "answer", "forced: even a small body");
  });

  test("test_force_compression_deflate / test_force_compression_no_accept_deflate", async () => {
    await using server = await new TestServer(compressedApp("deflate")).start();
    const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(res.headers["content-encoding"], "deflate");
    assert.equal(zlib.inflateSync(res.body).toString(), BIG);
  });

  test("aiots: force identity sends the body as is", async () => {
    await using server = await new TestServer(compressedApp("identity")).start();
    const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(res.headers["content-encoding"], undefined);
    assert.equal(res.body.toString(), BIG);
  });

  test("aiots: small bodies are left alone (Vary still set); minSize: 0 compresses them", async () => {
    {
      await using server = await new TestServer(compressedApp(undefined, { body: "tiny" })).start();
      const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip" } });
      assert.equal(res.headers["content-encoding"], undefined);
      assert.equal(res.headers.vary, "Accept-Encoding");
      assert.equal(res.headers["content-length"], "4");
      assert.equal(res.body.toString(), "tiny");
    }
    {
      await using server = await new TestServer(
        compressedApp(undefined, { body: "tiny", minSize: 0 }),
      ).start();
      const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip" } });
      assert.equal(res.headers["content-encoding"], "gzip");
      assert.equal(decode(res).toString(), "tiny");
    }
  });

  test("test_remove_content_length_if_compression_enabled_http11: StreamResponse writes, compressed", async () => {
    const app = new web.Application();
    const pieces = Array.from({ length: 50 }, (_, i) => `line ${i} ${"x".repeat(100)}\n`);
    app.router.addGet("/", async (request) => {
      const resp = new web.StreamResponse({ contentType: "text/plain" });
      resp.contentLength = 123_456; // dropped: the compressed length is unknown
      resp.enableCompression();
      await resp.prepare(request);
      for (const p of pieces) await resp.write(p);
      await resp.writeEof("end\n");
      return resp;
    });
    await using server = await new TestServer(app).start();
    const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(res.headers["content-encoding"], "gzip");
    assert.equal(res.headers["content-length"], undefined);
    assert.equal(decode(res).toString(), `${pieces.join("")}end\n`);
  });

  test("aiots: a large streamed body keeps back-pressure and arrives whole (br)", async () => {
    const app = new web.Application();
    const chunk = randomBytes(64 * 1024).toString("hex"); // 128 KB of text, half compressible
    app.router.addGet("/", async (request) => {
      const resp = new web.StreamResponse();
      resp.enableCompression();
      await resp.prepare(request);
      for (let i = 0; i < 40; i++) await resp.write(chunk);
      await resp.writeEof();
      return resp;
    });
    await using server = await new TestServer(app).start();
    const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "br" } });
    assert.equal(res.headers["content-encoding"], "br");
    const body = decode(res);
    assert.equal(body.length, chunk.length * 40);
    assert.equal(body.subarray(0, chunk.length).toString(), chunk);
  });

  test("test_response_with_precompressed_body_gzip: a Content-Encoding set by the handler is left alone", async () => {
    const app = new web.Application();
    const pre = zlib.gzipSync(Buffer.from(BIG));
    app.router.addGet("/", () => {
      const resp = new web.Response({ body: pre, headers: { "Content-Encoding": "gzip" } });
      resp.enableCompression();
      return resp;
    });
    await using server = await new TestServer(app).start();
    const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip, br" } });
    assert.equal(res.headers["content-encoding"], "gzip");
    assert.equal(res.headers["content-length"], String(pre.length));
    assert.equal(decode(res).toString(), BIG);
  });

  test("aiots: an existing Vary is extended, not duplicated", async () => {
    const app = new web.Application();
    app.router.addGet("/{v}", (request) => {
      const resp = new web.Response({
        text: BIG,
        headers: { Vary: request.matchInfo.get("v").replace("_", ",") },
      });
      resp.enableCompression();
      return resp;
    });
    await using server = await new TestServer(app).start();
    const a = await request(server.makeUrl("/Cookie"), { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(a.headers.vary, "Cookie, Accept-Encoding");
    const b = await request(server.makeUrl("/Cookie_accept-encoding"), {
      headers: { "Accept-Encoding": "gzip" },
    });
    assert.equal(b.headers.vary, "Cookie,accept-encoding");
  });

  test("aiots: HEAD and 204 — no body; a 204 gets no Content-Encoding", async () => {
    {
      await using server = await new TestServer(compressedApp()).start();
      const res = await request(server.makeUrl("/"), {
        method: "HEAD",
        headers: { "Accept-Encoding": "gzip" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-encoding"], "gzip");
      assert.equal(res.body.length, 0);
    }
    {
      await using server = await new TestServer(compressedApp(undefined, { status: 204, body: "" })).start();
      const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip" } });
      assert.equal(res.status, 204);
      assert.equal(res.headers["content-encoding"], undefined);
      assert.equal(res.body.length, 0);
    }
  });

  test("aiots: enableCompression after prepare is a RuntimeError; an unknown coding a ValueError", async () => {
    assert.throws(() => new web.Response().enableCompression("zstd" as web.ContentCoding), ValueError);
    assert.throws(() => new web.Response().enableCompression(undefined, { minSize: -1 }), ValueError);
    const app = new web.Application();
    let late: unknown;
    app.router.addGet("/", async (request) => {
      const resp = new web.StreamResponse();
      await resp.prepare(request);
      try {
        resp.enableCompression();
      } catch (e) {
        late = e;
      }
      await resp.writeEof("x");
      return resp;
    });
    await using server = await new TestServer(app).start();
    const res = await request(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(res.body.toString(), "x");
    assert.ok(late instanceof RuntimeError);
  });

  test("aiots: keep-alive survives a compressed response (two requests, one connection)", async () => {
    await using server = await new TestServer(compressedApp()).start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports: number[] = [];
      for (let i = 0; i < 2; i++) {
        const body = await new Promise<Buffer>((resolve, reject) => {
          http
            .get(server.makeUrl("/"), { agent, headers: { "Accept-Encoding": "gzip" } }, (res) => {
              ports.push(res.socket.localPort!);
              const chunks: Buffer[] = [];
              res.on("data", (c: Buffer) => chunks.push(c));
              res.on("end", () => resolve(Buffer.concat(chunks)));
            })
            .on("error", reject);
        });
        assert.equal(zlib.gunzipSync(body).toString(), BIG);
      }
      assert.equal(ports[0], ports[1]);
    } finally {
      agent.destroy();
    }
  });

  test("aiots: a client that leaves mid-stream makes the compressed write() fail with ConnectionResetError", async () => {
    const app = new web.Application();
    const failure = new Promise<unknown>((resolveFailure) => {
      app.router.addGet("/", async (request) => {
        const resp = new web.StreamResponse();
        resp.enableCompression("gzip");
        await resp.prepare(request);
        try {
          for (let i = 0; i < 10_000; i++) await resp.write(randomBytes(16 * 1024));
          resolveFailure(null);
        } catch (e) {
          resolveFailure(e);
        }
        return resp;
      });
    });
    await using server = await new TestServer(app).start();
    await new Promise<void>((resolve) => {
      const req = http.get(server.makeUrl("/"), { agent: false }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {});
    });
    assert.ok((await failure) instanceof ConnectionResetError);
  });

  test("aiots: fetch decompresses what the server compressed", async () => {
    await using server = await new TestServer(compressedApp()).start();
    const res = await fetch(server.makeUrl("/"), { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.equal(await res.text(), BIG);
  });

  test("aiots: curl --compressed reads a compressed response", async (t) => {
    const version = await new Promise<string | null>((resolve) =>
      execFile("curl", ["--version"], (err, out) => resolve(err === null ? out : null)),
    );
    if (version === null) {
      t.skip("curl is not installed");
      return;
    }
    await using server = await new TestServer(compressedApp()).start();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        "curl",
        ["-s", "--compressed", "-D", "-", server.makeUrl("/").href],
        { maxBuffer: 1 << 20 },
        (err, stdout) => (err === null ? resolve(stdout) : reject(err)),
      ),
    );
    const [head, body] = out.split("\r\n\r\n");
    assert.match(head!, /content-encoding: (br|gzip|deflate)/i);
    assert.equal(body, BIG);
  });
});

describe("request decompression", () => {
  /** An app echoing the request body's length and a hash-like prefix. */
  function echoApp(clientMaxSize?: number): web.Application {
    const app = new web.Application(clientMaxSize === undefined ? {} : { clientMaxSize });
    app.router.addPost("/", async (request) => {
      const body = await request.read();
      return new web.Response({ body });
    });
    app.router.addPost("/chunks", async (request) => {
      let n = 0;
      for (;;) {
        const chunk = await request.content.read(8192);
        if (chunk.length === 0) break;
        n += chunk.length;
      }
      return new web.Response({ text: String(n) });
    });
    return app;
  }

  for (const [coding, compress] of [
    ["gzip", zlib.gzipSync],
    ["x-gzip", zlib.gzipSync],
    ["deflate", zlib.deflateSync],
    ["br", zlib.brotliCompressSync],
  ] as const) {
    test(`test_web_functional (Content-Encoding: ${coding} request body): read() sees it inflated`, async () => {
      await using server = await new TestServer(echoApp()).start();
      const res = await request(server.makeUrl("/"), {
        method: "POST",
        headers: { "Content-Encoding": coding },
        body: compress(Buffer.from(BIG)),
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), BIG);
    });
  }

  test("aiots: request.content streams the inflated body", async () => {
    await using server = await new TestServer(echoApp()).start();
    const res = await request(server.makeUrl("/chunks"), {
      method: "POST",
      headers: { "Content-Encoding": "gzip" },
      body: zlib.gzipSync(Buffer.alloc(300_000, 7)),
    });
    assert.equal(res.body.toString(), "300000");
  });

  test("test_bad_request_payload: a corrupt gzip body is a 400", async () => {
    await using server = await new TestServer(echoApp()).start();
    const res = await request(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Encoding": "gzip" },
      body: Buffer.from("this is not gzip at all"),
    });
    assert.equal(res.status, 400);
    assert.match(res.body.toString(), /cannot decode the gzip body/);
  });

  test("aiots: an unknown Content-Encoding is passed through untouched", async () => {
    await using server = await new TestServer(echoApp()).start();
    const res = await request(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Encoding": "identity" },
      body: Buffer.from("plain"),
    });
    assert.equal(res.body.toString(), "plain");
  });

  test("aiots: clientMaxSize counts the decompressed size (small on the wire, too big inflated)", async () => {
    await using server = await new TestServer(echoApp(100_000)).start();
    const ok = await request(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Encoding": "gzip" },
      body: zlib.gzipSync(Buffer.alloc(100_000, 1)),
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.length, 100_000);
    const wire = zlib.gzipSync(Buffer.alloc(100_001, 1));
    assert.ok(wire.length < 1000);
    const tooBig = await request(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Encoding": "gzip" },
      body: wire,
    });
    assert.equal(tooBig.status, 413);
  });

  test("aiots: a zip bomb stops at clientMaxSize — 413, and the server's memory stays near the limit", async () => {
    const limit = 1024 * 1024;
    const inflated = 256 * 1024 * 1024; // 256 MiB of zeros
    // Built by streaming one reused MiB through gzip: the test itself never holds the inflated size.
    const bomb = await new Promise<Buffer>((resolve, reject) => {
      const gz = zlib.createGzip({ level: 9 });
      const out: Buffer[] = [];
      gz.on("data", (c: Buffer) => out.push(c));
      gz.on("end", () => resolve(Buffer.concat(out)));
      gz.on("error", reject);
      const zeros = Buffer.alloc(1024 * 1024);
      let left = inflated / zeros.length;
      const pump = (): void => {
        while (left > 0) {
          left--;
          if (!gz.write(zeros)) {
            gz.once("drain", pump);
            return;
          }
        }
        gz.end();
      };
      pump();
    });
    assert.ok(bomb.length < 300 * 1024, `the bomb is ${bomb.length} bytes on the wire`);
    await using server = await new TestServer(echoApp(limit)).start();
    globalThis.gc?.();
    const before = process.memoryUsage();
    const res = await request(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Encoding": "gzip" },
      body: bomb,
    });
    const after = process.memoryUsage();
    assert.equal(res.status, 413);
    assert.match(res.body.toString(), /Maximum request body size 1048576 exceeded/);
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    assert.ok(grown < 32 * limit, `memory grew by ${(grown / 1024 / 1024).toFixed(1)} MiB`);
  });
});
