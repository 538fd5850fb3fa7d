// Request-body encoding of the client: aiohttp's FormData and MultipartWriter. Each test names the
// aiohttp test (tests/test_formdata.py, tests/test_multipart.py) whose behaviour it follows; bodies
// are decoded with a real parser (@fastify/busboy for multipart, URLSearchParams for urlencoded).
import assert from "node:assert/strict";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import zlib from "node:zlib";
import { Busboy } from "@fastify/busboy";
import { FormData as UndiciFormData } from "undici";
import {
  BodyPart,
  contentDispositionHeader,
  type EncodedBody,
  encodeWebFormData,
  FormData,
  MultipartWriter,
} from "../../src/client/formdata.js";
import { quotedPrintable } from "../../src/client/part-encoding.js";
import { ArgumentTypeError, RuntimeError, ValueError } from "../../src/index.js";

interface ParsedPart {
  name: string;
  filename: string | undefined;
  mimeType: string;
  data: Buffer;
}

async function bodyBytes(enc: EncodedBody): Promise<Buffer> {
  if (Buffer.isBuffer(enc.body)) return enc.body;
  const chunks: Buffer[] = [];
  for await (const c of enc.body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** Parse a multipart body with busboy (files and fields, in order). */
async function parse(enc: EncodedBody): Promise<ParsedPart[]> {
  const raw = await bodyBytes(enc);
  if (enc.length !== null) assert.equal(raw.length, enc.length, "length matches the bytes");
  return new Promise((resolve, reject) => {
    const parts: ParsedPart[] = [];
    const bb = Busboy({
      headers: { "content-type": enc.contentType },
      limits: { fieldSize: 64 * 1024 * 1024 },
      preservePath: true,
    });
    bb.on("file", (name, stream, filename, _te, mimeType) => {
      const part: ParsedPart = { name, filename, mimeType, data: Buffer.alloc(0) };
      parts.push(part);
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        part.data = Buffer.concat(chunks);
      });
    });
    bb.on("field", (name, value, _nt, _vt, _te, mimeType) => {
      parts.push({ name, filename: undefined, mimeType, data: Buffer.from(value, "utf8") });
    });
    bb.on("finish", () => resolve(parts));
    bb.on("error", reject);
    bb.end(raw);
  });
}

async function* chunked(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe("FormData: urlencoded or multipart", () => {
  // test_formdata.py::test_formdata_multipart
  test("plain text fields are urlencoded; a file field makes the form multipart", async () => {
    const form = new FormData([], { defaultToMultipart: false });
    assert.equal(form.isMultipart, false);
    form.addField("test", "value");
    assert.equal(form.isMultipart, false);
    form.addField("test", Buffer.from("test"), { filename: "test.txt" });
    assert.equal(form.isMultipart, true);
    const parts = await parse(form.encode());
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename, p.data.toString()]),
      [
        ["test", undefined, "value"],
        ["test", "test.txt", "test"],
      ],
    );
  });

  // test_formdata.py::test_form_data_is_multipart_param
  test("defaultToMultipart makes a text-only form multipart", async () => {
    const form = new FormData([], { defaultToMultipart: true });
    assert.equal(form.isMultipart, true);
    form.addField("test", "test");
    assert.equal(form.isMultipart, true);
    const enc = form.encode();
    assert.match(enc.contentType, /^multipart\/form-data; boundary=[0-9a-f]{32}$/);
    const [p] = await parse(enc);
    assert.equal(p!.name, "test");
    assert.equal(p!.data.toString(), "test");
  });

  // test_formdata.py::test_formdata_reusability_urlencoded (and aiohttp's urlencode output)
  test("urlencoded body: Python urlencode bytes, parsed back by URLSearchParams", () => {
    const form = new FormData({ a: "1", b: "x y&z", ключ: "значение ~*" });
    const enc = form.encode();
    assert.equal(enc.contentType, "application/x-www-form-urlencoded");
    assert.ok(Buffer.isBuffer(enc.body));
    assert.equal(enc.length, (enc.body as Buffer).length);
    const text = (enc.body as Buffer).toString("ascii");
    assert.ok(text.startsWith("a=1&b=x+y%26z&"), text);
    assert.ok(text.endsWith("+~%2A"), text); // `~` kept and `*` encoded, as Python's quote_plus
    assert.deepEqual(
      [...new URLSearchParams(text)],
      [
        ["a", "1"],
        ["b", "x y&z"],
        ["ключ", "значение ~*"],
      ],
    );
    // same bytes every time
    assert.deepEqual(form.encode().body, enc.body);
  });

  // test_formdata.py::test_formdata_reusability_after_adding_fields
  test("fields added after an encode appear in the next one", () => {
    const form = new FormData();
    form.addField("field1", "value1");
    const first = (form.encode().body as Buffer).toString();
    form.addField("field2", "value2");
    const second = (form.encode().body as Buffer).toString();
    assert.equal(first, "field1=value1");
    assert.equal(second, "field1=value1&field2=value2");
    assert.equal((form.encode().body as Buffer).toString(), second);
  });

  // aiohttp's _gen_form_urlencoded with charset (FormData(charset="latin-1"))
  test("charset: urlencoded in that charset and named in the Content-Type", () => {
    const enc = new FormData([["a", "é"]], { charset: "latin-1" }).encode();
    assert.equal(enc.contentType, "application/x-www-form-urlencoded; charset=latin-1");
    assert.equal((enc.body as Buffer).toString(), "a=%E9");
    assert.throws(() => new FormData([["a", "€"]], { charset: "latin-1" }).encode(), ValueError);
    assert.throws(() => new FormData([], { charset: "klingon" }), ValueError);
  });

  // test_formdata.py::test_formdata_field_name_is_not_quoted / charset on text parts
  test("multipart text parts carry text/plain with the form's charset", async () => {
    const form = new FormData([], { charset: "iso-8859-1", defaultToMultipart: true });
    form.addField("a", "café");
    const enc = form.encode();
    const raw = (enc.body as Buffer).toString("latin1");
    assert.match(raw, /Content-Type: text\/plain; charset=iso-8859-1\r\n/);
    assert.ok((enc.body as Buffer).includes(Buffer.from("caf\xe9\r\n", "latin1")));
    const [p] = await parse(enc);
    assert.equal(p!.mimeType, "text/plain");
    assert.deepEqual(p!.data, Buffer.from("café", "utf8")); // busboy decoded latin-1 back to text
  });
});

describe("FormData: multipart parts", () => {
  // test_formdata.py::test_formdata_reusability_multipart
  test("a multipart form encodes to the same bytes each time, in memory", async () => {
    const form = new FormData();
    form.addField("name", "value");
    form.addField("file", Buffer.from("content"), { filename: "test.txt", contentType: "text/plain" });
    const a = form.encode();
    const b = form.encode();
    assert.ok(Buffer.isBuffer(a.body));
    assert.deepEqual(a.body, b.body);
    assert.equal(a.contentType, b.contentType);
    const parts = await parse(a);
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename, p.mimeType, p.data.toString()]),
      [
        ["name", undefined, "text/plain", "value"],
        ["file", "test.txt", "text/plain", "content"],
      ],
    );
  });

  // test_multipart.py::test_writer_write (part layout: Content-Type first, no Content-Length in form-data)
  test("part header layout matches aiohttp's form-data parts", () => {
    const form = new FormData([], { boundary: "b0undary" });
    form.addField("name", "value");
    form.addField("bin", new Uint8Array([1, 2]), { filename: "x.bin" });
    const enc = form.encode();
    assert.equal(enc.contentType, "multipart/form-data; boundary=b0undary");
    assert.equal(
      (enc.body as Buffer).toString("latin1"),
      "--b0undary\r\nContent-Type: text/plain; charset=utf-8\r\n" +
        'Content-Disposition: form-data; name="name"\r\n\r\nvalue\r\n' +
        "--b0undary\r\nContent-Type: application/octet-stream\r\n" +
        'Content-Disposition: form-data; name="bin"; filename="x.bin"\r\n\r\n\x01\x02\r\n' +
        "--b0undary--\r\n",
    );
  });

  // formdata.py add_field: bytes without filename are sent as a file named after the field (aiohttp 3)
  test("binary bytes 0x00-0xFF survive; bytes without a filename are a file named after the field", async () => {
    const form = new FormData();
    form.addField("blob", ALL_BYTES);
    form.addField("view", new Uint8Array(ALL_BYTES.buffer, ALL_BYTES.byteOffset + 10, 5));
    const parts = await parse(form.encode());
    assert.equal(parts[0]!.filename, "blob");
    assert.equal(parts[0]!.mimeType, "application/octet-stream");
    assert.deepEqual(parts[0]!.data, ALL_BYTES);
    assert.deepEqual(parts[1]!.data, ALL_BYTES.subarray(10, 15));
  });

  // test_formdata.py::test_formdata_textio_charset (explicit content type with its charset)
  test("a text field's explicit content type and its charset are honoured", async () => {
    const form = new FormData();
    form.addField("foo", "日本", { contentType: "text/plain; charset=utf-16le" });
    form.addField("j", '{"a":1}', { contentType: "application/json" });
    const enc = form.encode();
    const raw = enc.body as Buffer;
    assert.ok(raw.includes(Buffer.from("日本", "utf16le")));
    const parts = await parse(enc);
    assert.equal(parts[0]!.data.toString(), "日本");
    assert.equal(parts[1]!.mimeType, "application/json");
    assert.equal(parts[1]!.data.toString(), '{"a":1}');
  });

  // formdata.py add_field with an io.IOBase (name and type come from the file object)
  test("Blob and File parts use the File's name and type; length is known", async () => {
    const form = new FormData();
    form.addField("doc", new File(["<p>hi</p>"], "page.html", { type: "text/html" }));
    form.addField("raw", new Blob([ALL_BYTES]));
    form.addField("over", new File(["x"], "a.txt", { type: "text/plain" }), {
      filename: "b.md",
      contentType: "text/markdown",
    });
    const enc = form.encode();
    assert.ok(!Buffer.isBuffer(enc.body));
    assert.equal(typeof enc.length, "number");
    const parts = await parse(enc);
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename, p.mimeType]),
      [
        ["doc", "page.html", "text/html"],
        ["raw", "raw", "application/octet-stream"],
        ["over", "b.md", "text/markdown"],
      ],
    );
    assert.equal(parts[0]!.data.toString(), "<p>hi</p>");
    assert.deepEqual(parts[1]!.data, ALL_BYTES);
    // Blobs can be read again: a second encode gives the same bytes
    assert.deepEqual(await bodyBytes(form.encode()), await bodyBytes(enc));
  });

  // test_multipart.py (AsyncIterablePayload): a streamed part of unknown size
  test("a 5 MB streamed part: length null, bytes intact", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    const form = new FormData();
    form.addField("meta", "x");
    form.addField("big", chunked(big, 64 * 1024), { filename: "big.bin" });
    const enc = form.encode();
    assert.equal(enc.length, null);
    assert.ok(!Buffer.isBuffer(enc.body));
    const parts = await parse(enc);
    assert.equal(parts[1]!.filename, "big.bin");
    assert.equal(parts[1]!.data.length, big.length);
    assert.ok(parts[1]!.data.equals(big));
  });

  // formdata.py add_field(io.IOBase): guess_filename takes the file's base name
  test("a Node fs.ReadStream is named after its file; a Readable after the field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aiots-formdata-"));
    try {
      const path = join(dir, "report.csv");
      writeFileSync(path, "a,b\n1,2\n");
      const form = new FormData();
      form.addField("upload", createReadStream(path));
      form.addField("gen", Readable.from([Buffer.from("one"), Buffer.from("two")]));
      const parts = await parse(form.encode());
      assert.deepEqual(
        parts.map((p) => [p.name, p.filename, p.mimeType, p.data.toString()]),
        [
          ["upload", "report.csv", "application/octet-stream", "a,b\n1,2\n"],
          ["gen", "gen", "application/octet-stream", "onetwo"],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // test_formdata.py::test_formdata_reusability_with_io_fields (streams cannot be rewound here)
  test("a form with streamed fields cannot be encoded twice; its body is read once", async () => {
    const form = new FormData();
    form.addField("s", chunked(Buffer.from("data"), 2), { filename: "s" });
    const enc = form.encode();
    assert.throws(
      () => form.encode(),
      (e: unknown) => {
        assert.ok(e instanceof RuntimeError);
        assert.match(e.message, /Form data has been processed already/);
        return true;
      },
    );
    assert.equal((await bodyBytes(enc)).includes("data"), true);
    await assert.rejects(() => bodyBytes(enc), RuntimeError);
  });
});

describe("FormData: stream values", () => {
  // payload.py AsyncIterablePayload / IOBasePayload: text chunks (a Readable with setEncoding) are UTF-8
  test("Readable with string chunks and a web ReadableStream are sent as bytes", async () => {
    const r = Readable.from(["héllo ", "wörld"], { objectMode: true });
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array([0, 255]));
        c.close();
      },
    });
    const form = new FormData();
    form.addField("txt", r, { contentType: "text/plain; charset=utf-8", filename: "t.txt" });
    form.addField("web", web as unknown as AsyncIterable<Uint8Array>);
    const parts = await parse(form.encode());
    assert.equal(parts[0]!.data.toString("utf8"), "héllo wörld");
    assert.equal(parts[0]!.mimeType, "text/plain");
    assert.deepEqual([...parts[1]!.data], [0, 255]);
  });

  // formdata.py _gen_form_data: "Can not serialize value type" (here when the stream yields it)
  test("a stream yielding something other than bytes fails while the body is read", async () => {
    async function* bad(): AsyncGenerator<unknown> {
      yield Buffer.from("ok");
      yield 42;
    }
    const form = new FormData();
    form.addField("s", bad() as AsyncIterable<Uint8Array>);
    await assert.rejects(() => bodyBytes(form.encode()), ArgumentTypeError);
  });

  // test_multipart.py::test_multipart_writer_close_with_exceptions (close releases unread streams)
  test("close() releases streams that were never read", async () => {
    const node = Readable.from([Buffer.from("a")]);
    let genFinished = false;
    async function* gen(): AsyncGenerator<Uint8Array> {
      try {
        yield Buffer.from("b");
      } finally {
        genFinished = true;
      }
    }
    const g = gen();
    await g.next(); // started: return() runs its finally
    const form = new FormData();
    form.addField("n", node);
    form.addField("g", g);
    form.addField("t", "text");
    form.close();
    assert.equal(node.destroyed, true);
    await new Promise((r) => setImmediate(r));
    assert.equal(genFinished, true);
    const w = new MultipartWriter("mixed");
    const other = Readable.from([Buffer.from("c")]);
    w.append("x");
    const nested = new MultipartWriter("mixed");
    nested.append(other);
    w.append(nested);
    w.close();
    assert.equal(other.destroyed, true);
  });

  // test_multipart.py::test_multipart_writer_reusability (streams are the exception: read once)
  test("a writer holding a stream, even nested, encodes once", () => {
    const inner = new MultipartWriter("mixed");
    inner.append(chunked(Buffer.from("x"), 1));
    const outer = new MultipartWriter("mixed");
    outer.append("text");
    outer.append(inner);
    assert.equal(outer.size, null);
    const enc = outer.encode();
    assert.equal(enc.length, null);
    assert.throws(() => outer.encode(), RuntimeError);
  });
});

describe("FormData: Content-Disposition quoting and header injection", () => {
  // test_formdata.py::test_formdata_field_name_is_quoted (HTML-standard escaping, see module doc)
  test('quoteFields: `"` → %22, CR/LF → %0D/%0A, UTF-8 kept; busboy reads names back', async () => {
    assert.equal(
      contentDispositionHeader("form-data", [
        ["name", 'a"b'],
        ["filename", 'x y"z\r\n.txt'],
      ]),
      'form-data; name="a%22b"; filename="x y%22z%0D%0A.txt"',
    );
    const form = new FormData();
    form.addField("email 1", "xxx@x.co", { contentType: "text/plain" });
    form.addField("файл", Buffer.from("x"), { filename: "отчёт 2024.pdf" });
    const enc = form.encode();
    assert.ok((enc.body as Buffer).includes('name="email 1"'));
    const parts = await parse(enc);
    assert.equal(parts[0]!.name, "email 1");
    assert.equal(parts[1]!.name, "файл");
    assert.equal(parts[1]!.filename, "отчёт 2024.pdf");
  });

  // test_formdata.py::test_formdata_field_name_is_not_quoted
  test('quoteFields: false backslash-escapes `\\` and `"`, which busboy unescapes', async () => {
    const form = new FormData([], { quoteFields: false });
    form.addField('say "hi"', "1", { contentType: "text/plain" });
    form.addField("f", Buffer.from("z"), { filename: 'C\\dir\\"q".txt' });
    const enc = form.encode();
    assert.ok((enc.body as Buffer).includes('name="say \\"hi\\""'));
    const parts = await parse(enc);
    assert.equal(parts[0]!.name, 'say "hi"');
    assert.equal(parts[1]!.filename, 'C\\dir\\"q".txt');
  });

  // test_formdata.py::test_invalid_value_formdata_name / _filename / _content_type
  test("CR, LF or NUL in a name, filename or content type is a ValueError", () => {
    for (const val of ["\r", "\n", "a\ra\n", "a\na\r", "a\x00b"]) {
      assert.throws(() => new FormData().addField(val, "bar"), ValueError);
      assert.throws(() => new FormData().addField("foo", "bar", { filename: val }), ValueError);
      assert.throws(() => new FormData().addField("foo", "bar", { contentType: val }), ValueError);
    }
    assert.throws(
      () => new FormData().addField("f", "x", { contentType: "text/plain\r\nX-Injected: 1" }),
      ValueError,
    );
  });

  // test_formdata.py::test_invalid_type_formdata_content_type / test_invalid_formdata_filename
  test("a filename or content type that is not a string is an ArgumentTypeError", () => {
    for (const val of [0, 0.1, {}, [], Buffer.from("foo")]) {
      assert.throws(
        () => new FormData().addField("foo", "bar", { contentType: val as never }),
        ArgumentTypeError,
      );
      assert.throws(
        () => new FormData().addField("foo", "bar", { filename: val as never }),
        ArgumentTypeError,
      );
    }
    assert.throws(
      () => new FormData().addField("foo", "bar", { contentTransferEncoding: "base64" as never }),
      ArgumentTypeError,
    );
  });

  // test_formdata.py::test_invalid_formdata_payload_multipart / _urlencoded
  test("a value of an unsupported type, or a name that is not a string, is an ArgumentTypeError", () => {
    for (const obj of [{}, null, undefined, 1, true, new Date(), [1, 2]])
      assert.throws(() => new FormData().addField("test", obj as never), ArgumentTypeError);
    assert.throws(() => new FormData().addField(1 as never, "x"), ArgumentTypeError);
    assert.throws(() => new FormData({ test: 5 as never }), ArgumentTypeError);
  });
});

describe("FormData: constructor and addFields", () => {
  // test_formdata.py::test_invalid_formdata_params / test_invalid_formdata_params2
  test("a string, or a record of another kind, is refused", () => {
    assert.throws(() => new FormData("asdasf" as never), ArgumentTypeError);
    assert.throws(() => new FormData("as" as never), ArgumentTypeError);
    assert.throws(() => new FormData().addFields(1 as never), ArgumentTypeError);
    assert.throws(() => new FormData().addFields(["a", "b", "c"] as never), ArgumentTypeError);
  });

  // formdata.py add_fields: pairs, dicts, multidicts, files
  test("pairs, records, Maps, URLSearchParams, other FormData and files are accepted", async () => {
    const other = new FormData();
    other.addField("o", Buffer.from("1"), { filename: "o.txt", contentType: "text/plain" });
    const form = new FormData(new URLSearchParams("u=1&u=2"));
    form.addFields(
      ["p", "pair"],
      { r: "record" },
      new Map([["m", "map"]]),
      other,
      new File(["abc"], "named.txt", { type: "text/plain" }),
    );
    assert.equal(form.isMultipart, true);
    const parts = await parse(form.encode());
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename, p.data.toString()]),
      [
        ["u", undefined, "1"],
        ["u", undefined, "2"],
        ["p", undefined, "pair"],
        ["r", undefined, "record"],
        ["m", undefined, "map"],
        ["o", "o.txt", "1"],
        ["named.txt", "named.txt", "abc"],
      ],
    );
  });

  // formdata.py __init__ with a dict / list of pairs
  test("constructor: a record or an array of pairs; a platform FormData's files become file parts", async () => {
    assert.equal(
      (
        new FormData([
          ["a", "1"],
          ["b", "2"],
        ]).encode().body as Buffer
      ).toString(),
      "a=1&b=2",
    );
    const web = new globalThis.FormData();
    web.append("t", "text");
    web.append("f", new Blob([ALL_BYTES], { type: "image/png" }), "pic.png");
    const form = new FormData(web);
    assert.equal(form.isMultipart, true);
    const parts = await parse(form.encode());
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename, p.mimeType]),
      [
        ["t", undefined, "text/plain"],
        ["f", "pic.png", "image/png"],
      ],
    );
    assert.deepEqual(parts[1]!.data, ALL_BYTES);
  });
});

describe("encodeWebFormData", () => {
  // the HTML standard's multipart/form-data encoding (what fetch sends), via undici's FormData
  test("encodes the platform FormData as fetch would, files with name and type", async () => {
    const web = new globalThis.FormData();
    web.append("greeting", "line1\nline2");
    web.append('odd"name\n', "v");
    web.append("file", new File([ALL_BYTES], 'we"ird.bin'));
    web.append("blob", new Blob(["b"], { type: "text/csv" }));
    const enc = encodeWebFormData(web);
    assert.match(enc.contentType, /^multipart\/form-data; boundary=/);
    assert.equal(typeof enc.length, "number");
    const raw = await bodyBytes(enc);
    assert.ok(raw.includes('Content-Disposition: form-data; name="odd%22name%0D%0A"\r\n\r\nv'));
    assert.ok(raw.includes('Content-Disposition: form-data; name="greeting"\r\n\r\nline1\r\nline2'));
    const parts = await parse(enc);
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename, p.mimeType]),
      [
        ["greeting", undefined, "text/plain"],
        ["odd%22name%0D%0A", undefined, "text/plain"],
        ["file", "we%22ird.bin", "application/octet-stream"],
        ["blob", "blob", "text/csv"],
      ],
    );
    assert.deepEqual(parts[2]!.data, ALL_BYTES);
    // a Blob-backed body can be read again
    assert.deepEqual(await bodyBytes(enc), raw);
    assert.throws(() => encodeWebFormData({} as never), ArgumentTypeError);
  });
});

describe("encodeWebFormData: other sources", () => {
  // not in aiohttp: undici's FormData from the npm package is another class than the global one
  test("the npm undici FormData is accepted too, as is an empty form", async () => {
    const f = new UndiciFormData();
    f.append("a", "1");
    f.append("b", new File(["zz"], "z.txt", { type: "text/plain" }));
    const parts = await parse(encodeWebFormData(f as unknown as globalThis.FormData));
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename, p.data.toString()]),
      [
        ["a", undefined, "1"],
        ["b", "z.txt", "zz"],
      ],
    );
    const empty = encodeWebFormData(new globalThis.FormData());
    assert.ok(Buffer.isBuffer(empty.body));
    assert.equal((empty.body as Buffer).toString(), `--${empty.contentType.split("boundary=")[1]}--\r\n`);
  });

  // formdata.py _gen_form_urlencoded with no fields
  test("an empty aiots FormData is an empty urlencoded body", () => {
    const enc = new FormData().encode();
    assert.equal(enc.contentType, "application/x-www-form-urlencoded");
    assert.equal(enc.length, 0);
    assert.deepEqual(enc.body, Buffer.alloc(0));
  });
});

describe("MultipartWriter", () => {
  // test_multipart.py::TestMultipartWriter::test_unquoted_boundary / test_quoted_boundary / test_default_subtype
  test("boundary: a token is bare, anything else quoted; default subtype mixed", () => {
    assert.equal(new MultipartWriter("mixed", "abc123").contentType, "multipart/mixed; boundary=abc123");
    assert.equal(new MultipartWriter("mixed", '\\"').contentType, 'multipart/mixed; boundary="\\\\\\""');
    assert.equal(new MultipartWriter(undefined, ":").contentType, 'multipart/mixed; boundary=":"');
  });

  // test_multipart.py::TestMultipartWriter::test_bad_boundary
  test("a non-ASCII, control-character or over-70 boundary is a ValueError", () => {
    assert.throws(() => new MultipartWriter("mixed", "тест"), ValueError);
    assert.throws(() => new MultipartWriter("mixed", "test\n"), ValueError);
    assert.throws(() => new MultipartWriter("mixed", "X".repeat(71)), ValueError);
  });

  // test_multipart.py::test_writer_write (mixed: Content-Length per part, nested writer)
  test("mixed parts get Content-Length; a nested writer is a part; size matches", async () => {
    const w = new MultipartWriter("mixed", ":");
    w.append("foo-bar-baz");
    w.appendJson({ test: "passed" });
    w.appendForm([
      ["one", "1"],
      ["two", "2"],
    ]);
    const sub = new MultipartWriter("mixed", "::");
    sub.append("nested content");
    w.append(sub, { "X-CUSTOM": "test" });
    const enc = w.encode();
    const text = (enc.body as Buffer).toString();
    assert.equal(
      text,
      "--:\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\n\r\nfoo-bar-baz\r\n" +
        '--:\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{"test":"passed"}\r\n' +
        "--:\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\none=1&two=2\r\n" +
        '--:\r\nContent-Type: multipart/mixed; boundary="::"\r\nX-CUSTOM: test\r\nContent-Length: 93\r\n\r\n' +
        "--::\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\nnested content\r\n--::--\r\n" +
        "\r\n--:--\r\n",
    );
    assert.equal(w.size, enc.length);
    assert.equal(w.parts.length, 4);
  });

  // test_multipart.py::test_writer_write_no_parts
  test("a writer without parts is just the closing delimiter", () => {
    const enc = new MultipartWriter("mixed", ":").encode();
    assert.equal((enc.body as Buffer).toString(), "--:--\r\n");
    assert.equal(enc.length, 7);
  });

  // test_multipart.py::TestMultipartWriter::test_automatic_content_disposition / test_set_content_disposition_after_append
  test("form-data parts without Content-Disposition are named section-N", async () => {
    const w = new MultipartWriter("form-data");
    w.appendJson([]);
    const named = BodyPart.from("foo");
    named.setContentDisposition("form-data", { name: "second" });
    w.appendPart(named);
    w.append("foo");
    const late = w.append("some-data");
    late.setContentDisposition("form-data", { name: "method" });
    assert.deepEqual(
      w.parts.map((p) => p.headers.get("Content-Disposition")),
      [
        'form-data; name="section-0"',
        'form-data; name="second"',
        'form-data; name="section-2"',
        'form-data; name="method"',
      ],
    );
    const parts = await parse(w.encode());
    assert.deepEqual(
      parts.map((p) => p.name),
      ["section-0", "second", "section-2", "method"],
    );
  });

  // test_multipart.py::TestMultipartWriter::test_append_int_not_allowed / _float / _none, unknown encodings
  test("numbers, null and unsupported part encodings are refused", () => {
    const w = new MultipartWriter("mixed", ":");
    for (const v of [1, 1.1, null]) assert.throws(() => w.append(v as never), ArgumentTypeError);
    assert.throws(() => w.append("x", { "Content-Transfer-Encoding": "unknown" }), RuntimeError);
    assert.throws(() => w.append("x", { "Content-Encoding": "br" }), RuntimeError);
    assert.throws(() => w.append("x", { "X-Bad": "a\r\nInjected: 1" }), ValueError);
    assert.throws(() => contentDispositionHeader("form data"), ValueError);
    assert.throws(
      () => contentDispositionHeader("form-data", { name: "a\nb" }, { quoteFields: false }),
      ValueError,
    );
  });

  // payload.py Payload._binary_headers (_safe_header on every part header when written)
  test("part headers changed after append are checked when encoding", () => {
    const w = new MultipartWriter("mixed", ":");
    const p = w.append(chunked(Buffer.from("x"), 1));
    p.headers.set("X-Note", "ok\r\nInjected: yes");
    assert.throws(() => w.encode(), ValueError);
    p.headers.delete("X-Note");
    p.headers.set("Bad Name", "v");
    assert.throws(() => w.encode(), ValueError);
    p.headers.delete("Bad Name");
    assert.equal(w.encode().length, null); // the stream was not claimed by the failed attempts
  });

  // test_multipart.py::TestMultipartWriter::test_append_with_headers / test_append_part
  test("given headers replace the defaults of the same name", () => {
    const w = new MultipartWriter("mixed", ":");
    const p = w.append("hello, world!", { "x-foo": "bar", "content-type": "test/passed" });
    assert.equal(p.headers.get("X-Foo"), "bar");
    assert.equal(p.headers.get("Content-Type"), "test/passed");
    assert.equal(p.headers.getAll("content-type").length, 1);
  });
});

// A part's Content-Encoding and Content-Transfer-Encoding are applied when the body is written
// (aiohttp's MultipartPayloadWriter), ported from test_multipart.py::TestMultipartWriter.
describe("MultipartWriter: encoded parts", () => {
  /** The header block and the content of the only part of `body` (boundary ":"). */
  function onlyPart(body: Buffer): { headers: string; content: Buffer } {
    const sep = body.indexOf("\r\n\r\n");
    const end = body.lastIndexOf("\r\n--:--\r\n");
    return { headers: body.subarray(0, sep).toString("latin1"), content: body.subarray(sep + 4, end) };
  }

  // test_writer_serialize_with_content_encoding_gzip
  test("Content-Encoding: gzip compresses the part; no Content-Length is stated for it", async () => {
    const w = new MultipartWriter("mixed", ":");
    w.append("Time to Relax!", { "Content-Encoding": "gzip" });
    const enc = w.encode();
    const { headers, content } = onlyPart(await bodyBytes(enc));
    assert.equal(headers, "--:\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Encoding: gzip");
    assert.equal(zlib.gunzipSync(content).toString(), "Time to Relax!");
    assert.equal(enc.length, (enc.body as Buffer).length, "in memory: the body keeps its length");
    assert.equal(w.size, enc.length);
  });

  // test_writer_serialize_with_content_encoding_deflate: raw deflate, the exact bytes aiohttp writes
  test("Content-Encoding: deflate is raw deflate (aiohttp's exact bytes)", async () => {
    const w = new MultipartWriter("mixed", ":");
    w.append("Time to Relax!", { "Content-Encoding": "deflate" });
    const body = await bodyBytes(w.encode());
    const { headers } = onlyPart(body);
    assert.equal(headers, "--:\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Encoding: deflate");
    const message = body.subarray(body.indexOf("\r\n\r\n") + 4);
    assert.deepEqual(message, Buffer.from("0bc9cc4d5528c957084acd49ac5004000d0a2d2d3a2d2d0d0a", "hex"));
  });

  // test_writer_serialize_with_content_encoding_identity
  test("Content-Encoding: identity sends the bytes as they are, with their Content-Length", async () => {
    const thing = Buffer.from("0bc9cc4d5528c957084acd49ac500400", "hex");
    const w = new MultipartWriter("mixed", ":");
    w.append(thing, { "Content-Encoding": "identity" });
    const { headers, content } = onlyPart(await bodyBytes(w.encode()));
    assert.equal(
      headers,
      "--:\r\nContent-Type: application/octet-stream\r\nContent-Encoding: identity\r\nContent-Length: 16",
    );
    assert.deepEqual(content, thing);
  });

  // test_writer_with_content_transfer_encoding_base64
  test("Content-Transfer-Encoding: base64", async () => {
    const w = new MultipartWriter("mixed", ":");
    w.append("Time to Relax!", { "Content-Transfer-Encoding": "base64" });
    const { headers, content } = onlyPart(await bodyBytes(w.encode()));
    assert.equal(
      headers,
      "--:\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64",
    );
    assert.equal(content.toString(), "VGltZSB0byBSZWxheCE=");
  });

  // test_writer_content_transfer_encoding_quote_printable
  test("Content-Transfer-Encoding: quoted-printable", async () => {
    const w = new MultipartWriter("mixed", ":");
    w.append("Привет, мир!", { "Content-Transfer-Encoding": "quoted-printable" });
    const { headers, content } = onlyPart(await bodyBytes(w.encode()));
    assert.equal(
      headers,
      "--:\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable",
    );
    assert.equal(content.toString(), "=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82, =D0=BC=D0=B8=D1=80!");
  });

  // Python's binascii.b2a_qp rules, as aiohttp applies them (vectors from CPython 3.11).
  test("quoted-printable: '=', trailing whitespace, a lone '.', CRLF lines, soft breaks at 76", () => {
    const cases: [string, string][] = [
      ["a=b", "a=3Db"],
      ["end \nnext\t", "end=20\nnext=09"],
      [".\n.a", "=2E\n.a"],
      ["one \r\ntwo", "one=20\r\ntwo"],
      ["\x00\x7f", "=00=7F"],
      ["x".repeat(80), `${"x".repeat(75)}=\n${"x".repeat(5)}`],
      ["é".repeat(30), `${"=C3=A9".repeat(12)}=C3=\n=A9${"=C3=A9".repeat(12)}=\n${"=C3=A9".repeat(5)}`],
    ];
    for (const [input, expected] of cases)
      assert.equal(
        quotedPrintable(Buffer.from(input, "utf8")).toString("latin1"),
        expected,
        JSON.stringify(input),
      );
  });

  // test_writer_serialize_with_content_encoding_unknown / test_writer_content_transfer_encoding_unknown
  test("an unknown encoding is a RuntimeError when the part is appended", () => {
    const w = new MultipartWriter("mixed", ":");
    assert.throws(() => w.append("x", { "Content-Encoding": "snappy" }), RuntimeError);
    assert.throws(() => w.append("x", { "Content-Transfer-Encoding": "unknown" }), RuntimeError);
    assert.equal(w.parts.length, 0);
  });

  test("a streamed part is compressed and base64-encoded as it is read (groups of three across chunks)", async () => {
    const chunks = ["Time ", "to", " Relax!", " ".repeat(1000), "end"];
    const w = new MultipartWriter("mixed", ":");
    w.append(Readable.from(chunks.map((c) => Buffer.from(c))), {
      "Content-Encoding": "gzip",
      "Content-Transfer-Encoding": "base64",
    });
    const enc = w.encode();
    assert.equal(enc.length, null, "a stream: sent chunked");
    const { headers, content } = onlyPart(await bodyBytes(enc));
    assert.match(headers, /Content-Encoding: gzip\r\nContent-Transfer-Encoding: base64$/);
    assert.equal(zlib.gunzipSync(Buffer.from(content.toString(), "base64")).toString(), chunks.join(""));
  });

  test("a large part in memory is compressed as a stream (not on the loop): the body goes without a length", async () => {
    const big = Buffer.alloc(200 * 1024, "relax ");
    const w = new MultipartWriter("mixed", ":");
    w.append(big, { "Content-Encoding": "gzip" });
    const enc = w.encode();
    assert.equal(enc.length, null);
    assert.equal(w.size, null);
    const { content } = onlyPart(await bodyBytes(enc));
    assert.deepEqual(zlib.gunzipSync(content), big);
    // Re-readable (nothing in it is a one-shot stream): the same bytes a second time.
    assert.deepEqual(zlib.gunzipSync(onlyPart(await bodyBytes(enc)).content), big);
  });

  test("a failing stream fails the encoded body too", async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from("some");
      throw new Error("source broke");
    }
    const w = new MultipartWriter("mixed", ":");
    w.append(failing(), { "Content-Encoding": "deflate" });
    await assert.rejects(bodyBytes(w.encode()), /source broke/);
  });

  test("a nested writer can be encoded as a part of its parent", async () => {
    const inner = new MultipartWriter("mixed", "in");
    inner.append("hello");
    const outer = new MultipartWriter("mixed", ":");
    outer.append(inner, { "Content-Transfer-Encoding": "base64" });
    const { content } = onlyPart(await bodyBytes(outer.encode()));
    assert.equal(
      Buffer.from(content.toString(), "base64").toString(),
      (await bodyBytes(inner.encode())).toString(),
    );
  });
});
