// Forms and uploads: `request.post()` for `multipart/form-data` and the streaming reader of
// `request.multipart()`. Ports the server-side reading behaviour of aiohttp's
// tests/test_multipart.py (BodyPartReader / MultipartReader) and the multipart parts of
// tests/test_web_functional.py; each test names what it follows. Everything goes through a real
// server (`TestServer` on 127.0.0.1:0): `fetch` with `FormData`/`Blob` or hand-built bodies as the
// client, `node:net` for malformed bodies. Differences from aiohttp kept on purpose are said in the
// test title.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import * as zlib from "node:zlib";
import * as asyncio from "../../src/index.js";
import { TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { deferred, eventually, httpRequest, parseHead, rawExchange, statusLines } from "./helpers.js";

const B = "X-BOUNDARY";
const MP = `multipart/form-data; boundary=${B}`;

/** One part: its header lines and its body. */
type Part = [headers: string[], body: string | Buffer];

/** A multipart body with boundary `B` (closed unless `close` is false). */
function multipart(
  parts: Part[],
  options: { close?: boolean; preamble?: string; epilogue?: string } = {},
): Buffer {
  const out: Buffer[] = [];
  if (options.preamble !== undefined) out.push(Buffer.from(`${options.preamble}\r\n`));
  for (const [headers, body] of parts) {
    out.push(Buffer.from(`--${B}\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`));
    out.push(typeof body === "string" ? Buffer.from(body) : body);
    out.push(Buffer.from("\r\n"));
  }
  if (options.close !== false) out.push(Buffer.from(`--${B}--\r\n`));
  if (options.epilogue !== undefined) out.push(Buffer.from(options.epilogue));
  return Buffer.concat(out);
}

const field = (name: string, value: string, extra: string[] = []): Part => [
  [`Content-Disposition: form-data; name="${name}"`, ...extra],
  value,
];

type H = (request: web.Request) => Promise<web.Response> | web.Response;

/** A server answering POST / with `handler`. */
function serve(handler: H, options: web.ApplicationOptions = {}): Promise<TestServer> {
  const app = new web.Application(options);
  app.router.addPost("/", handler);
  app.router.addGet("/ping", () => new web.Response({ text: "pong" }));
  return new TestServer(app).start();
}

/** POST `body` to `/` with a multipart content type; status and text of the answer. */
async function post(
  server: TestServer,
  body: Buffer | FormData,
  contentType: string | null = MP,
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (contentType !== null) headers["Content-Type"] = contentType;
  const r = await fetch(server.makeUrl("/"), {
    method: "POST",
    body: body instanceof FormData ? body : new Uint8Array(body),
    headers,
  });
  return { status: r.status, text: await r.text() };
}

/** A raw request head for `body` (Content-Length unless `length` says otherwise). */
function rawHead(length: number | null, contentType = MP): string {
  return (
    `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\n` +
    (length === null ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${length}\r\n`) +
    "\r\n"
  );
}

/** Read every part of `request.multipart()` as `[name, filename, text]`. */
async function readAll(request: web.Request): Promise<[string | null, string | null, string][]> {
  const out: [string | null, string | null, string][] = [];
  const reader = await request.multipart();
  for await (const part of reader) out.push([part.name, part.filename, (await part.read()).toString()]);
  return out;
}

describe("BodyPartReader (tests/test_multipart.py)", () => {
  test("test_read: read() gives the part's bytes without the boundary", async () => {
    let got = "";
    await using server = await serve(async (req) => {
      const part = (await (await req.multipart()).next())!;
      got = (await part.read()).toString();
      return new web.Response({ text: "ok" });
    });
    const r = await post(server, multipart([field("a", "Hello, world!")]));
    assert.equal(r.status, 200);
    assert.equal(got, "Hello, world!");
  });

  test("test_read_chunk_at_eof: readChunk() is empty once the part is read, and atEof() says so", async () => {
    const seen: unknown[] = [];
    await using server = await serve(async (req) => {
      const part = (await (await req.multipart()).next())!;
      seen.push(part.atEof());
      seen.push((await part.readChunk()).toString());
      seen.push((await part.readChunk()).length, part.atEof(), (await part.readChunk()).length);
      return new web.Response();
    });
    assert.equal((await post(server, multipart([field("a", "abc")]))).status, 200);
    assert.deepEqual(seen, [false, "abc", 0, true, 0]);
  });

  test("test_multi_read_chunk: readChunk(n) gives at most n bytes; the pieces make the part", async () => {
    const sizes: number[] = [];
    let joined = "";
    const body = "0123456789".repeat(10);
    await using server = await serve(async (req) => {
      const part = (await (await req.multipart()).next())!;
      for (let c = await part.readChunk(7); c.length > 0; c = await part.readChunk(7)) {
        sizes.push(c.length);
        joined += c.toString();
      }
      return new web.Response();
    });
    await post(server, multipart([field("a", body)]));
    assert.equal(joined, body);
    assert.ok(sizes.every((s) => s <= 7));
  });

  test("test_read_chunk_properly_counts_read_bytes: a 1 MB part read by the default chunk size", async () => {
    let total = 0;
    let biggest = 0;
    const data = Buffer.alloc(1_000_000, 0x61);
    await using server = await serve(async (req) => {
      const part = (await (await req.multipart()).next())!;
      for (let c = await part.readChunk(); c.length > 0; c = await part.readChunk()) {
        total += c.length;
        biggest = Math.max(biggest, c.length);
      }
      return new web.Response();
    });
    await post(server, multipart([[['Content-Disposition: form-data; name="f"; filename="a"'], data]]));
    assert.equal(total, data.length);
    assert.ok(biggest <= web.DEFAULT_CHUNK_SIZE);
  });

  test("test_read_multiline: CRLF inside a part is data, not a boundary", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = await readAll(req);
      return new web.Response();
    });
    await post(server, multipart([field("a", "Hello\r\n--X-BOUNDAR\r\nworld!\r\n")]));
    assert.deepEqual(got, [["a", null, "Hello\r\n--X-BOUNDAR\r\nworld!\r\n"]]);
  });

  test("test_read_boundary_across_chunks: a body trickled 5 bytes at a time parses the same", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = await readAll(req);
      return new web.Response({ text: "ok", headers: { Connection: "close" } });
    });
    const body = multipart([field("a", "first value"), field("b", "second value")]);
    const { text } = await rawExchange(server.port, rawHead(body.length), {
      onConnect: (sock) => {
        void (async () => {
          await new Promise((r) => setImmediate(r)); // after the head, which rawExchange writes next
          for (let i = 0; i < body.length; i += 5) {
            sock.write(body.subarray(i, i + 5));
            await new Promise((r) => setImmediate(r));
          }
        })();
      },
    });
    assert.equal(parseHead(text).status, 200);
    assert.deepEqual(got, [
      ["a", null, "first value"],
      ["b", null, "second value"],
    ]);
  });

  test("test_read_text: text() decodes UTF-8 by default", async () => {
    let got = "";
    await using server = await serve(async (req) => {
      got = await (await (await req.multipart()).next())!.text();
      return new web.Response();
    });
    await post(server, multipart([field("a", "Привет, мир! €")]));
    assert.equal(got, "Привет, мир! €");
  });

  test("test_read_text_encoding: the part's charset is used (cp1251)", async () => {
    let got = "";
    await using server = await serve(async (req) => {
      got = await (await (await req.multipart()).next())!.text();
      return new web.Response();
    });
    const cp1251 = Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]); // "Привет"
    await post(
      server,
      multipart([
        [['Content-Disposition: form-data; name="a"', "Content-Type: text/plain; charset=cp1251"], cp1251],
      ]),
    );
    assert.equal(got, "Привет");
  });

  test("test_read_text_encoding (explicit): text({ encoding }) overrides the part's charset", async () => {
    let got = "";
    await using server = await serve(async (req) => {
      got = await (await (await req.multipart()).next())!.text({ encoding: "latin1" });
      return new web.Response();
    });
    await post(
      server,
      multipart([[['Content-Disposition: form-data; name="a"'], Buffer.from([0x63, 0x61, 0x66, 0xe9])]]),
    );
    assert.equal(got, "café");
  });

  test("test_read_json: json() parses the part", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = await (await (await req.multipart()).next())!.json();
      return new web.Response();
    });
    await post(
      server,
      multipart([field("j", '{"test": "passed", "n": [1, 2]}', ["Content-Type: application/json"])]),
    );
    assert.deepEqual(got, { test: "passed", n: [1, 2] });
  });

  test("test_read_json (empty part): json() of an empty part is null", async () => {
    let got: unknown = "unset";
    await using server = await serve(async (req) => {
      got = await (await (await req.multipart()).next())!.json();
      return new web.Response();
    });
    await post(server, multipart([field("j", "", ["Content-Type: application/json"])]));
    assert.equal(got, null);
  });

  test("test_read_json (invalid): a part that is not JSON is a 400", async () => {
    await using server = await serve(async (req) => {
      await (await (await req.multipart()).next())!.json();
      return new web.Response();
    });
    const r = await post(server, multipart([field("j", "{nope", ["Content-Type: application/json"])]));
    assert.equal(r.status, 400);
    assert.match(r.text, /invalid JSON/);
  });

  test("test_read_form: form() parses an urlencoded part", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = [...(await (await (await req.multipart()).next())!.form())];
      return new web.Response();
    });
    await post(
      server,
      multipart([field("f", "foo=bar&foo=baz&boo=", ["Content-Type: application/x-www-form-urlencoded"])]),
    );
    assert.deepEqual(got, [
      ["foo", "bar"],
      ["foo", "baz"],
      ["boo", ""],
    ]);
  });

  test("test_filename: filename from Content-Disposition (differs: its base name only, as busboy)", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = await readAll(req);
      return new web.Response();
    });
    await post(
      server,
      multipart([
        [['Content-Disposition: form-data; name="f"; filename="foo.html"'], "x"],
        [['Content-Disposition: form-data; name="g"; filename="C:\\dir\\bar.txt"'], "y"],
      ]),
    );
    assert.deepEqual(got, [
      ["f", "foo.html", "x"],
      ["g", "bar.txt", "y"],
    ]);
  });

  test("test_content_disposition (filename*): an RFC 5987 file name is decoded", async () => {
    let got: string | null = null;
    await using server = await serve(async (req) => {
      got = (await (await req.multipart()).next())!.filename;
      return new web.Response();
    });
    await post(
      server,
      multipart([
        [["Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E2%82%AC%20rates.txt"], "x"],
      ]),
    );
    assert.equal(got, "€ rates.txt");
  });

  test("test_emit_next: headers are case-insensitive, contentType and charset are parsed", async () => {
    const seen: unknown[] = [];
    await using server = await serve(async (req) => {
      const reader = await req.multipart();
      const a = (await reader.next())!;
      seen.push(a.headers.get("content-type"), a.headers.get("X-Custom"), a.contentType, a.charset);
      const b = (await reader.next())!;
      seen.push(b.contentType, b.charset, b.headers.has("content-type"));
      seen.push(await reader.next());
      return new web.Response();
    });
    await post(
      server,
      multipart([
        field("a", "1", ["Content-Type: Text/HTML; charset=UTF-8", "x-custom: yes"]),
        field("b", "2"),
      ]),
    );
    assert.deepEqual(seen, [
      "Text/HTML; charset=UTF-8",
      "yes",
      "text/html",
      "UTF-8",
      null,
      null,
      false,
      null,
    ]);
  });

  test("test_release: release() skips the rest of a part; the next part is intact", async () => {
    let got = "";
    await using server = await serve(async (req) => {
      const reader = await req.multipart();
      const a = (await reader.next())!;
      await a.readChunk(3);
      await a.release();
      assert.equal(a.atEof(), true);
      got = await (await reader.next())!.text();
      return new web.Response();
    });
    await post(server, multipart([field("a", "z".repeat(100_000)), field("b", "second")]));
    assert.equal(got, "second");
  });

  test("test_second_next_releases_previous_object: next() discards an unread part", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      const reader = await req.multipart();
      const names: (string | null)[] = [];
      for await (const part of reader) names.push(part.name); // nothing read
      got = names;
      return new web.Response();
    });
    const r = await post(
      server,
      multipart([field("a", "y".repeat(300_000)), field("b", "2"), field("c", "3")]),
    );
    assert.equal(r.status, 200);
    assert.deepEqual(got, ["a", "b", "c"]);
  });

  test("test_release_without_read_the_last_object: reader.release() drains every part", async () => {
    await using server = await serve(async (req) => {
      await (await req.multipart()).release();
      return new web.Response({ text: "drained" });
    });
    const r = await post(server, multipart([field("a", "1"), field("b", "x".repeat(200_000))]));
    assert.deepEqual(r, { status: 200, text: "drained" });
  });

  test("async iteration over a part yields its chunks in order", async () => {
    let size = 0;
    let first = -1;
    const data = Buffer.alloc(500_000);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    await using server = await serve(async (req) => {
      const part = (await (await req.multipart()).next())!;
      const chunks: Buffer[] = [];
      for await (const c of part) chunks.push(c);
      const all = Buffer.concat(chunks);
      size = all.length;
      first = all.compare(data);
      return new web.Response();
    });
    await post(server, multipart([[['Content-Disposition: form-data; name="f"; filename="b.bin"'], data]]));
    assert.equal(size, data.length);
    assert.equal(first, 0);
  });
});

describe("MultipartReader (tests/test_multipart.py)", () => {
  test("test_reading_skips_prelude: a preamble before the first boundary is ignored", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = await readAll(req);
      return new web.Response();
    });
    await post(server, multipart([field("a", "test")], { preamble: "Multi-part data is not supported." }));
    assert.deepEqual(got, [["a", null, "test"]]);
  });

  test("test_multipart_epilogue: data after the closing boundary is ignored", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = await readAll(req);
      return new web.Response({ text: "ok" });
    });
    const r = await post(server, multipart([field("a", "1")], { epilogue: "trailing junk\r\n" }));
    assert.equal(r.status, 200);
    assert.deepEqual(got, [["a", null, "1"]]);
  });

  test("test_multipart_empty (test_web_functional): a body with only the closing boundary has no parts", async () => {
    let got: unknown = "unset";
    await using server = await serve(async (req) => {
      got = await readAll(req);
      return new web.Response();
    });
    const r = await post(server, multipart([]));
    assert.equal(r.status, 200);
    assert.deepEqual(got, []);
  });

  test("test_read_chunk_by_length_doesnt_break_reader: several parts read by small chunks", async () => {
    let got: string[] = [];
    await using server = await serve(async (req) => {
      const out: string[] = [];
      for await (const part of await req.multipart()) {
        let s = "";
        for (let c = await part.readChunk(3); c.length > 0; c = await part.readChunk(3)) s += c.toString();
        out.push(s);
      }
      got = out;
      return new web.Response();
    });
    await post(server, multipart([field("a", "test"), field("b", "passed"), field("c", "")]));
    assert.deepEqual(got, ["test", "passed", ""]);
  });

  test("test_bad_boundary: a multipart Content-Type without a boundary is a 400", async () => {
    await using server = await serve(async (req) => {
      await req.multipart();
      return new web.Response();
    });
    const r = await post(server, multipart([field("a", "1")]), "multipart/form-data");
    assert.equal(r.status, 400);
    assert.match(r.text, /boundary/);
  });

  test("test_invalid_boundary: a boundary longer than 70 characters is a 400", async () => {
    await using server = await serve(async (req) => {
      await req.multipart();
      return new web.Response();
    });
    const r = await post(server, Buffer.from("x"), `multipart/form-data; boundary=${"a".repeat(71)}`);
    assert.equal(r.status, 400);
  });

  test("multipart() of a body that is not multipart is a 400", async () => {
    await using server = await serve(async (req) => {
      await req.multipart();
      return new web.Response();
    });
    const r = await post(server, Buffer.from("{}"), "application/json");
    assert.equal(r.status, 400);
    assert.match(r.text, /expected a multipart body/);
  });

  test("multipart() reads a chunked body (no Content-Length)", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = await readAll(req);
      return new web.Response({ text: "ok" });
    });
    const body = multipart([field("a", "chunked"), field("b", "body")]);
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Type": MP },
      writeBody: async (req: http.ClientRequest) => {
        req.write(body.subarray(0, 20));
        req.write(body.subarray(20));
      },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(got, [
      ["a", null, "chunked"],
      ["b", null, "body"],
    ]);
  });
});

describe("post() with multipart/form-data (tests/test_web_functional.py)", () => {
  test("test_post_single_file: a FormData file arrives as a FileField", async () => {
    let f: web.FileField | null = null;
    await using server = await serve(async (req) => {
      const form = await req.post();
      f = form.get("file") as web.FileField;
      return new web.Response();
    });
    const fd = new FormData();
    fd.append("file", new Blob(["file contents\n"], { type: "text/x-python" }), "sample.py");
    assert.equal((await post(server, fd, null)).status, 200);
    const ff = f as web.FileField | null;
    assert.ok(ff instanceof web.FileField);
    assert.equal(ff.name, "file");
    assert.equal(ff.filename, "sample.py");
    assert.equal(ff.contentType, "text/x-python");
    assert.equal(ff.text(), "file contents\n");
    assert.equal(ff.size, 14);
    assert.match(ff.headers.get("content-disposition") ?? "", /filename="sample.py"/);
  });

  test("test_post_files: text fields are strings, files are FileFields, in order", async () => {
    let entries: [string, unknown][] = [];
    await using server = await serve(async (req) => {
      entries = [...(await req.post())].map(([k, v]) => [
        k,
        v instanceof web.FileField ? `file:${v.filename}:${v.text()}` : v,
      ]);
      return new web.Response();
    });
    const fd = new FormData();
    fd.append("name", "Ann");
    fd.append("doc", new Blob(["DATA"]), "doc.bin");
    fd.append("greeting", "héllo wörld");
    await post(server, fd, null);
    assert.deepEqual(entries, [
      ["name", "Ann"],
      ["doc", "file:doc.bin:DATA"],
      ["greeting", "héllo wörld"],
    ]);
  });

  test("test_files_upload_with_same_key: every file of a repeated name is kept", async () => {
    let names: string[] = [];
    await using server = await serve(async (req) => {
      names = (await req.post()).getAll("file").map((v) => (v as web.FileField).filename);
      return new web.Response();
    });
    const fd = new FormData();
    fd.append("file", new Blob(["1"]), "a.txt");
    fd.append("file", new Blob(["2"]), "b.txt");
    fd.append("file", new Blob(["3"]), "c.txt");
    await post(server, fd, null);
    assert.deepEqual(names, ["a.txt", "b.txt", "c.txt"]);
  });

  test("test_post_form_with_duplicate_keys (multipart): repeated text fields, in order", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = (await req.post()).getAll("a");
      return new web.Response();
    });
    const fd = new FormData();
    fd.append("a", "1");
    fd.append("a", "2");
    await post(server, fd, null);
    assert.deepEqual(got, ["1", "2"]);
  });

  test("test_multipart: a non-text part without a file name is bytes (as aiohttp)", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      const form = await req.post();
      got = [form.get("text"), form.get("json"), form.get("bin")];
      return new web.Response();
    });
    await post(
      server,
      multipart([
        field("text", "plain"),
        field("json", '{"a":1}', ["Content-Type: application/json"]),
        [
          ['Content-Disposition: form-data; name="bin"', "Content-Type: application/octet-stream"],
          Buffer.from([0, 255]),
        ],
      ]),
    );
    assert.deepEqual(got, ["plain", Buffer.from('{"a":1}'), Buffer.from([0, 255])]);
  });

  test("post() of a multipart body returns the same object each time; frozen", async () => {
    let same = false;
    let frozen = false;
    await using server = await serve(async (req) => {
      const a = await req.post();
      same = a === (await req.post());
      frozen = a.frozen;
      return new web.Response();
    });
    const fd = new FormData();
    fd.append("x", "1");
    await post(server, fd, null);
    assert.equal(same, true);
    assert.equal(frozen, true);
  });

  test("a part without a name is skipped by post()", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = [...(await req.post())];
      return new web.Response();
    });
    await post(server, multipart([[["Content-Disposition: form-data"], "anonymous"], field("b", "kept")]));
    assert.deepEqual(got, [["b", "kept"]]);
  });

  test("test_post_max_client_size: a form bigger than clientMaxSize is a 413", async () => {
    await using server = await serve(
      async (req) => {
        await req.post();
        return new web.Response();
      },
      { clientMaxSize: 10 },
    );
    const fd = new FormData();
    fd.append("name", "x".repeat(1024));
    const r = await post(server, fd, null);
    assert.equal(r.status, 413);
    assert.match(r.text, /Maximum request body size 10 exceeded/);
  });

  test("test_post_max_client_size_for_file: a file bigger than clientMaxSize is a 413", async () => {
    await using server = await serve(
      async (req) => {
        await req.post();
        return new web.Response();
      },
      { clientMaxSize: 1024 },
    );
    const fd = new FormData();
    fd.append("file", new Blob([Buffer.alloc(4096)]), "big.bin");
    const r = await post(server, fd, null);
    assert.equal(r.status, 413);
    assert.match(r.text, /Maximum request body size 1024 exceeded/);
  });

  test("clientMaxSize counts the whole form: small fields adding up past it are a 413", async () => {
    await using server = await serve(
      async (req) => {
        await req.post();
        return new web.Response();
      },
      { clientMaxSize: 2000 },
    );
    const parts: Part[] = [];
    for (let i = 0; i < 10; i++) parts.push(field(`f${i}`, "v".repeat(300)));
    const r = await post(server, multipart(parts));
    assert.equal(r.status, 413);
  });

  test("a declared Content-Length above clientMaxSize is a 413 before reading; the connection is closed", async () => {
    let reached = false;
    await using server = await serve(
      async (req) => {
        reached = true;
        await req.post();
        return new web.Response();
      },
      { clientMaxSize: 100 },
    );
    const { text, closedByServer } = await rawExchange(server.port, `${rawHead(10_000_000)}--${B}\r\n`);
    assert.equal(reached, true);
    assert.equal(parseHead(text).status, 413);
    assert.equal(closedByServer, true);
    assert.equal((await fetch(server.makeUrl("/ping"))).status, 200, "the server keeps serving");
  });

  test("a gzip Content-Encoding is decoded before parsing; a corrupt one is a 400", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = [...(await req.post())];
      return new web.Response();
    });
    const body = zlib.gzipSync(multipart([field("a", "zipped"), field("b", "too")]));
    const r = await fetch(server.makeUrl("/"), {
      method: "POST",
      body: new Uint8Array(body),
      headers: { "Content-Type": MP, "Content-Encoding": "gzip" },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(got, [
      ["a", "zipped"],
      ["b", "too"],
    ]);
    const bad = await fetch(server.makeUrl("/"), {
      method: "POST",
      body: new Uint8Array(Buffer.concat([body.subarray(0, 10), Buffer.from("garbage garbage")])),
      headers: { "Content-Type": MP, "Content-Encoding": "gzip" },
    });
    assert.equal(bad.status, 400);
  });

  test("test_100_continue (multipart): post() sends 100 Continue, then reads the form", async () => {
    let got: unknown = null;
    await using server = await serve(async (req) => {
      got = (await req.post()).get("a");
      return new web.Response({ text: "ok" });
    });
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Type": MP, Expect: "100-continue" },
      body: multipart([field("a", "continued")]),
    });
    assert.equal(r.status, 200);
    assert.equal(r.continued, true);
    assert.equal(got, "continued");
  });
});

describe("limits and malformed bodies (never a hang, never a crash)", () => {
  const reading = async (req: web.Request): Promise<web.Response> => {
    await readAll(req);
    return new web.Response({ text: "read" });
  };

  test("a truncated part (the body ends inside it) is a 400", async () => {
    await using server = await serve(reading);
    const body = Buffer.concat([
      multipart([field("a", "1")], { close: false }),
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="b"\r\n\r\nhalf`),
    ]);
    const { text } = await rawExchange(server.port, rawHead(body.length) + body.toString("latin1"));
    assert.equal(parseHead(text).status, 400);
    assert.match(text, /malformed multipart body/);
  });

  test("a body without its closing boundary is a 400", async () => {
    await using server = await serve(reading);
    const body = multipart([field("a", "1")], { close: false });
    const r = await post(server, body);
    assert.equal(r.status, 400);
  });

  test("a body without any boundary (only a preamble) is a 400", async () => {
    await using server = await serve(reading);
    const r = await post(server, Buffer.from("just some text\r\n"));
    assert.equal(r.status, 400);
  });

  test("part headers that never end (the body ends in them) are a 400", async () => {
    await using server = await serve(reading);
    const body = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\nX-More: `);
    const r = await post(server, body);
    assert.equal(r.status, 400);
  });

  test("part headers larger than the cap are a 413 before the body ends; the connection is closed", async () => {
    await using server = await serve(reading);
    const head = `--${B}\r\nContent-Disposition: form-data; name="a"\r\nX-Big: `;
    const declared = 50_000_000;
    const { text, closedByServer } = await rawExchange(server.port, rawHead(declared) + head, {
      onConnect: (sock) => {
        // 64 KiB of one endless header line: more than DEFAULT_MAX_PART_HEADER_SIZE.
        setImmediate(() => sock.write("h".repeat(64 * 1024)));
      },
    });
    assert.equal(parseHead(text).status, 413);
    assert.match(text, /headers are larger than 16384 bytes/);
    assert.equal(closedByServer, true);
    assert.equal((await fetch(server.makeUrl("/ping"))).status, 200, "the server keeps serving");
  });

  test("maxPartHeaderSize is configurable", async () => {
    await using server = await serve(async (req) => {
      for await (const _ of await req.multipart({ maxPartHeaderSize: 100 })) {
      }
      return new web.Response();
    });
    const r = await post(server, multipart([field("a", "1", [`X-Long: ${"l".repeat(200)}`])]));
    assert.equal(r.status, 413);
  });

  test("more parts than maxParts is a 413", async () => {
    await using server = await serve(async (req) => {
      for await (const part of await req.multipart({ maxParts: 3 })) await part.release();
      return new web.Response();
    });
    const parts = [1, 2, 3, 4].map((i) => field(`f${i}`, String(i)));
    const ok = await post(server, multipart(parts.slice(0, 3)));
    assert.equal(ok.status, 200);
    const r = await post(server, multipart(parts));
    assert.equal(r.status, 413);
    assert.match(r.text, /more than 3 parts/);
  });

  test("post() caps the number of parts (DEFAULT_MAX_PARTS) even under clientMaxSize", async () => {
    await using server = await serve(
      async (req) => {
        await req.post();
        return new web.Response();
      },
      { clientMaxSize: 0 },
    );
    const parts: Part[] = [];
    for (let i = 0; i <= web.DEFAULT_MAX_PARTS; i++) parts.push(field("f", "1"));
    const r = await post(server, multipart(parts));
    assert.equal(r.status, 413);
  });

  test("multipart({ maxSize }) bounds the body: 413, the rest is not read, the connection is closed", async () => {
    await using server = await serve(async (req) => {
      for await (const part of await req.multipart({ maxSize: 100_000 })) await part.release();
      return new web.Response();
    });
    const head = `--${B}\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n`;
    const { text, closedByServer } = await rawExchange(server.port, rawHead(null), {
      onConnect: (sock) => {
        const chunk = Buffer.alloc(32 * 1024, 0x41);
        setImmediate(() => {
          sock.write(`${head.length.toString(16)}\r\n${head}\r\n`);
          for (let i = 0; i < 8; i++)
            sock.write(`${chunk.length.toString(16)}\r\n${chunk.toString("latin1")}\r\n`);
        });
      },
    });
    assert.equal(parseHead(text).status, 413);
    assert.equal(closedByServer, true);
  });

  test("a reader error reaches every later read (the part and next())", async () => {
    const seen: number[] = [];
    await using server = await serve(async (req) => {
      const reader = await req.multipart({ maxSize: 200_000 });
      const part = (await reader.next())!;
      for (const op of [() => part.read(), () => part.readChunk(), () => reader.next()]) {
        try {
          await op();
        } catch (e) {
          seen.push((e as web.HTTPException).status);
        }
      }
      return new web.Response();
    });
    const body = multipart([field("a", "x".repeat(1_000_000))]);
    await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Type": MP }, // chunked: the size is only known while reading
      writeBody: async (req) => {
        req.write(body);
      },
    }).catch(() => {}); // the server may close before the whole body is sent
    assert.deepEqual(seen, [413, 413, 413]);
  });

  test("the client going away mid-upload fails the read; the server keeps serving", async () => {
    let failed: unknown = null;
    const done = deferred();
    await using server = await serve(async (req) => {
      try {
        await readAll(req);
      } catch (e) {
        failed = e;
      } finally {
        done.resolve();
      }
      return new web.Response();
    });
    await rawExchange(
      server.port,
      `${rawHead(1_000_000)}--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\npartial`,
      {
        until: () => true,
        onConnect: (sock) => setTimeout(() => sock.destroy(), 50),
      },
    ).catch(() => {});
    await done.promise;
    assert.ok(failed instanceof Error);
    assert.equal((await fetch(server.makeUrl("/ping"))).status, 200);
  });
});

describe("cancellation", () => {
  test("readChunk() awaited under asyncio.waitFor: a stalled upload times out, the server goes on", async () => {
    let caught: unknown = null;
    await using server = await serve(async (req) => {
      const part = (await (await req.multipart()).next())!;
      await part.readChunk(); // what was sent; then the client stalls
      try {
        await asyncio.waitFor(part.readChunk(), 0.05);
      } catch (e) {
        caught = e;
        return new web.Response({ status: 408, text: "too slow" });
      }
      return new web.Response();
    });
    const head = `--${B}\r\nContent-Disposition: form-data; name="f"; filename="slow"\r\n\r\nsome bytes, then nothing`;
    const { text } = await rawExchange(server.port, rawHead(1_000_000) + head, {
      until: (t) => t.includes("too slow"),
    });
    assert.equal(parseHead(text).status, 408);
    assert.ok(caught instanceof asyncio.TimeoutError);
    assert.equal((await fetch(server.makeUrl("/ping"))).status, 200);
  });
});

describe("keep-alive after a partly read body", () => {
  test("a handler that stops reading: the rest is discarded and the connection serves the next request", async () => {
    await using server = await serve(async (req) => {
      const part = (await (await req.multipart()).next())!;
      await part.readChunk(10);
      return new web.Response({ text: "first" });
    });
    const body = multipart([
      [['Content-Disposition: form-data; name="f"; filename="big"'], Buffer.alloc(2_000_000, 0x43)],
    ]);
    const second = "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    const { text } = await rawExchange(
      server.port,
      Buffer.concat([Buffer.from(rawHead(body.length)), body, Buffer.from(second)]),
    );
    assert.deepEqual(statusLines(text), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
    assert.match(text, /first[\s\S]*pong/);
  });
});

describe("streaming big uploads", () => {
  test("back-pressure: an unread file part stops the server reading the socket", async () => {
    const total = 64 * 1024 * 1024;
    let bytesWhilePaused = -1;
    let received = 0;
    await using server = await serve(async (req) => {
      const part = (await (await req.multipart()).next())!;
      await part.readChunk(1024);
      // Do not read for a while: the socket must not be drained into memory meanwhile.
      await eventually(() => false, 20, 0.01);
      bytesWhilePaused = req.raw.socket!.bytesRead;
      for await (const c of part) received += c.length;
      return new web.Response({ text: "ok" });
    });
    const head = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="f"; filename="big"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${B}--\r\n`);
    const r = await httpRequest(server.makeUrl("/"), {
      method: "POST",
      headers: { "Content-Type": MP, "Content-Length": String(head.length + total + tail.length) },
      writeBody: async (req) => {
        req.write(head);
        const piece = Buffer.alloc(1024 * 1024, 0x42);
        for (let sent = 0; sent < total; sent += piece.length)
          if (!req.write(piece)) await new Promise<void>((res) => req.once("drain", res));
        req.write(tail);
      },
    });
    assert.equal(r.status, 200);
    assert.equal(received, total - 1024);
    assert.ok(
      bytesWhilePaused < 16 * 1024 * 1024,
      `read ${bytesWhilePaused} bytes while the part was not read`,
    );
  });

  test("a 200 MB upload streams to a temp file with a flat server heap", async () => {
    const total = 200 * 1024 * 1024;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiots-upload-"));
    const target = path.join(dir, "upload.bin");
    const samples: number[] = [];
    let written = 0;
    try {
      await using server = await serve(async (req) => {
        for await (const part of await req.multipart()) {
          if (part.filename === null) {
            await part.release();
            continue;
          }
          const out = fs.createWriteStream(target);
          let next = 0;
          for await (const chunk of part) {
            written += chunk.length;
            if (!out.write(chunk)) await new Promise<void>((res) => out.once("drain", res));
            if (written >= next) {
              samples.push(process.memoryUsage().heapUsed);
              next += 10 * 1024 * 1024;
            }
          }
          await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
        }
        return new web.Response({ text: String(written) });
      });
      const head = Buffer.from(
        `--${B}\r\nContent-Disposition: form-data; name="note"\r\n\r\nbig one\r\n` +
          `--${B}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      const tail = Buffer.from(`\r\n--${B}--\r\n`);
      const r = await httpRequest(server.makeUrl("/"), {
        method: "POST",
        headers: { "Content-Type": MP, "Content-Length": String(head.length + total + tail.length) },
        writeBody: async (req) => {
          req.write(head);
          const piece = Buffer.alloc(1024 * 1024, 0x5a);
          for (let sent = 0; sent < total; sent += piece.length)
            if (!req.write(piece)) await new Promise<void>((res) => req.once("drain", res));
          req.write(tail);
        },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), String(total));
      assert.equal(fs.statSync(target).size, total);
      assert.ok(samples.length >= 15);
      const growth = Math.max(...samples) - Math.min(...samples);
      assert.ok(growth < 48 * 1024 * 1024, `the heap grew by ${growth} bytes for a ${total}-byte upload`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
