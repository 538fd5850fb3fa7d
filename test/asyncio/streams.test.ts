// Port of CPython's Lib/test/test_asyncio/test_streams.py (StreamTests): StreamReader driven by
// feedData/feedEof, then StreamReaderProtocol/StreamWriter over real TCP sockets on 127.0.0.1 and real
// Unix sockets, the error cases of the network (refused, unknown host, peer reset), TLS with a
// throw-away self-signed certificate made by the openssl CLI, STARTTLS, and every cancellation case
// in both coroutine forms. Ordering comes from events, futures and hooks on the transports; the only
// sleeps give something the chance NOT to happen (a drain that must still be waiting).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tls from "node:tls";
import * as asyncio from "../../src/index.js";
import {
  bothForms,
  caughtCall as caught,
  type Form,
  isCancelled,
  runBriefly,
  runMain,
  spawnIn as spawn,
} from "../helpers.js";

const DATA = Buffer.from("line1\nline2\nline3\n");

/** The bytes as a latin-1 string (asserts it is a Buffer, as every read returns). */
function text(b: Uint8Array): string {
  assert.ok(Buffer.isBuffer(b), "reads return Buffers");
  return b.toString("latin1");
}

/** Read what is buffered now without waiting (CPython's tests look at `stream._buffer`). */
async function rest(r: asyncio.StreamReader): Promise<string> {
  return r.buffered === 0 ? "" : text(await r.read(r.buffered));
}

function portOf(server: asyncio.Server): number {
  return (server.sockets[0]!.getsockname() as [string, number])[1];
}

let socketCounter = 0;
/** A fresh Unix socket path under the temp directory. */
function unixPath(): string {
  return join(tmpdir(), `aiots-streams-${process.pid}-${++socketCounter}.sock`);
}

/** Record what reaches the running loop's exception handler (CPython's `messages` list). */
function captureExceptions(): asyncio.ExceptionContext[] {
  const messages: asyncio.ExceptionContext[] = [];
  asyncio.getRunningLoop().setExceptionHandler((_loop, ctx) => {
    messages.push(ctx);
  });
  return messages;
}

/** Close a writer and wait until it is closed (an error that ended the connection is ignored). */
async function closeWriter(w: asyncio.StreamWriter): Promise<void> {
  w.close();
  try {
    await w.waitClosed();
  } catch {
    // the connection failed; it is closed all the same
  }
}

/** Record in `events` each `write` the writer's transport makes on its `net.Socket`. */
function recordSocketWrites(w: asyncio.StreamWriter, events: string[]): void {
  const sock = w.getExtraInfo("socket") as net.Socket;
  const write = sock.write;
  sock.write = function (this: net.Socket, ...args: Parameters<net.Socket["write"]>) {
    events.push(`socket.write ${JSON.stringify(String(args[0]))}`);
    return write.apply(this, args);
  } as net.Socket["write"];
}

/** A client that waits for the server's `reply`, then sends `line` and reads to EOF. */
async function replyThenSend(port: number, reply: string, line: string): Promise<void> {
  const [r, w] = await asyncio.openConnection("127.0.0.1", port);
  try {
    assert.equal(text(await r.readexactly(reply.length)), reply);
    w.write(line);
    assert.equal(text(await r.read()), "");
  } finally {
    await closeWriter(w);
  }
}

/**
 * Start a stream server on 127.0.0.1 (port 0), run `body(port, server)`, then close the server, end
 * the connections it still has and wait until all of it is done.
 */
async function withServer(
  cb: asyncio.ClientConnectedCallback,
  body: (port: number, server: asyncio.Server) => Promise<void>,
  options: asyncio.StartServerOptions = {},
): Promise<void> {
  const server = await asyncio.startServer(cb, "127.0.0.1", 0, options);
  try {
    await body(portOf(server), server);
  } finally {
    server.close();
    server.closeClients();
    await server.waitClosed();
  }
}

/** The Unix-socket form of {@link withServer}. */
async function withUnixServer(
  cb: asyncio.ClientConnectedCallback,
  body: (path: string, server: asyncio.Server) => Promise<void>,
  options: asyncio.UnixServerOptions & { limit?: number } = {},
): Promise<void> {
  const path = unixPath();
  const server = await asyncio.startUnixServer(cb, path, options);
  try {
    await body(path, server);
  } finally {
    server.close();
    server.closeClients();
    await server.waitClosed();
  }
}

/** A future settled (after the real call) the first time `transport[method]()` is called. */
function onCall(
  transport: asyncio.Transport,
  method: "pauseReading" | "resumeReading",
): asyncio.Future<void> {
  const f = asyncio.getRunningLoop().createFuture<void>();
  const real = transport[method];
  transport[method] = function (this: asyncio.Transport): void {
    real.call(this);
    if (!f.done()) f.setResult();
  };
  return f;
}

/** A future settled once the writer's protocol received the next chunk (after feeding it to the reader). */
function onNextData(w: asyncio.StreamWriter): asyncio.Future<void> {
  const protocol = w.transport.getProtocol() as asyncio.StreamReaderProtocol;
  const f = asyncio.getRunningLoop().createFuture<void>();
  const real = protocol.dataReceived;
  protocol.dataReceived = function (this: asyncio.StreamReaderProtocol, data: Buffer): void {
    real.call(this, data);
    if (!f.done()) f.setResult();
  };
  return f;
}

/** Echo every line back, then close once the client sent EOF. */
async function echoLines(r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> {
  for await (const line of r) {
    w.write(line);
    await w.drain();
  }
  w.close();
  await w.waitClosed();
}

/** CPython's handle_client: echo one line, then close. */
async function echoOneLine(r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> {
  const data = await r.readline();
  w.write(data);
  await w.drain();
  w.close();
  await w.waitClosed();
}

/** CPython's client(): send one line, read it back, close. */
async function lineRoundTrip(
  open: () => asyncio.Awaitable<[asyncio.StreamReader, asyncio.StreamWriter]>,
): Promise<string> {
  const [r, w] = await open();
  try {
    w.write("hello world!\n");
    return text(await r.readline());
  } finally {
    w.close();
    await w.waitClosed();
  }
}

// ============================================================================================
// StreamReader fed by hand
// ============================================================================================

describe("StreamReader", () => {
  // test_streams.py: StreamTests.test_feed_empty_data, test_feed_nonempty_data
  test("test_feed_empty_data / test_feed_nonempty_data: empty chunks are ignored, others buffered", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.alloc(0));
      assert.equal(r.buffered, 0);
      r.feedData(DATA);
      assert.equal(r.buffered, DATA.length);
      r.feedData(new Uint8Array([104, 105])); // any Uint8Array, not only Buffer
      assert.equal(await rest(r), `${DATA}hi`);
    }));

  // test_streams.py: StreamTests.test_read_zero
  test("test_read_zero: read(0) returns empty bytes and leaves the buffer alone", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(DATA);
      assert.equal(text(await r.read(0)), "");
      assert.equal(r.buffered, DATA.length);
    }));

  // test_streams.py: StreamTests.test_read
  test("test_read: read(n) waits for data fed later and returns it", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const t = asyncio.createTask(() => r.read(30));
      asyncio.getRunningLoop().callSoon(() => r.feedData(DATA));
      assert.equal(text(await t), DATA.toString());
      assert.equal(r.buffered, 0);
    }));

  // test_streams.py: StreamTests.test_read_line_breaks
  test("test_read_line_breaks: read(n) returns at most n bytes across chunks", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("line1"));
      r.feedData(Buffer.from("line2"));
      assert.equal(text(await r.read(5)), "line1");
      assert.equal(await rest(r), "line2");
    }));

  // test_streams.py: StreamTests.test_read_eof
  test("test_read_eof: a waiting read(n) returns empty bytes at EOF", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const t = asyncio.createTask(() => r.read(1024));
      asyncio.getRunningLoop().callSoon(() => r.feedEof());
      assert.equal(text(await t), "");
      assert.equal(r.buffered, 0);
      assert.ok(r.atEof());
    }));

  // test_streams.py: StreamTests.test_read_until_eof
  test("test_read_until_eof: read() / read(-1) collects every chunk until EOF", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const t = asyncio.createTask(() => r.read(-1));
      asyncio.getRunningLoop().callSoon(() => {
        r.feedData(Buffer.from("chunk1\n"));
        r.feedData(Buffer.from("chunk2"));
        r.feedEof();
      });
      assert.equal(text(await t), "chunk1\nchunk2");
      assert.equal(r.buffered, 0);
      assert.equal(text(await r.read()), "", "at EOF read() returns empty bytes");
    }));

  // test_streams.py: StreamTests.test_read_exception
  test("test_read_exception: after setException, read throws it even with bytes buffered", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("line\n"));
      assert.equal(text(await r.read(2)), "li");
      const exc = new asyncio.ValueError("boom");
      r.setException(exc);
      assert.equal(await caught(() => r.read(2)), exc);
      assert.equal(await caught(() => r.read()), exc);
    }));

  // test_streams.py: StreamTests.test_invalid_limit
  test("test_invalid_limit: a limit <= 0 (or not an integer) is a ValueError", () =>
    runMain(async () => {
      for (const limit of [0, -1, 1.5]) {
        assert.throws(
          () => new asyncio.StreamReader({ limit }),
          (e: unknown) => {
            return e instanceof asyncio.ValueError && /imit/.test(e.message);
          },
        );
      }
      // openConnection validates its limit the same way
      const e = await caught(() => asyncio.openConnection("127.0.0.1", 1, { limit: 0 }));
      assert.ok(e instanceof asyncio.ValueError, String(e));
    }));

  // test_streams.py: StreamTests.test_read_limit
  test("test_read_limit: read(n) is not bound by the limit", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader({ limit: 3 });
      r.feedData(Buffer.from("chunk"));
      assert.equal(text(await r.read(5)), "chunk");
      assert.equal(r.buffered, 0);
    }));

  // test_streams.py: StreamTests.test_readline
  test("test_readline: readline waits across chunks and keeps what follows the newline", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("chunk1 "));
      const t = asyncio.createTask(() => r.readline());
      asyncio.getRunningLoop().callSoon(() => {
        r.feedData(Buffer.from("chunk2 "));
        r.feedData(Buffer.from("chunk3 "));
        r.feedData(Buffer.from("\n chunk4"));
      });
      assert.equal(text(await t), "chunk1 chunk2 chunk3 \n");
      assert.equal(await rest(r), " chunk4");
    }));

  // test_streams.py: StreamTests.test_readline_limit_with_existing_data
  test("test_readline_limit_with_existing_data: an overlong buffered line is dropped, the rest kept", () =>
    runMain(async () => {
      let r = new asyncio.StreamReader({ limit: 3 });
      r.feedData(Buffer.from("li"));
      r.feedData(Buffer.from("ne1\nline2\n"));
      assert.ok((await caught(() => r.readline())) instanceof asyncio.ValueError);
      assert.equal(await rest(r), "line2\n", "the data after the overlong line stays");

      r = new asyncio.StreamReader({ limit: 3 });
      r.feedData(Buffer.from("li"));
      r.feedData(Buffer.from("ne1"));
      r.feedData(Buffer.from("li"));
      // no newline and already past the limit: the whole buffer is consumed
      assert.ok((await caught(() => r.readline())) instanceof asyncio.ValueError);
      assert.equal(r.buffered, 0);
    }));

  // test_streams.py: StreamTests.test_at_eof
  test("test_at_eof: true only once EOF was fed and every byte read", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      assert.equal(r.atEof(), false);
      r.feedData(Buffer.from("some data\n"));
      assert.equal(r.atEof(), false);
      await r.readline();
      assert.equal(r.atEof(), false);
      r.feedData(Buffer.from("some data\n"));
      r.feedEof();
      assert.equal(r.atEof(), false, "EOF fed but a line is still buffered");
      await r.readline();
      assert.equal(r.atEof(), true);
    }));

  // test_streams.py: StreamTests.test_readline_limit
  test("test_readline_limit: ValueError past the limit, the next line kept; the limit is strict", () =>
    runMain(async () => {
      const loop = asyncio.getRunningLoop();
      let r = new asyncio.StreamReader({ limit: 7 });
      loop.callSoon(() => {
        r.feedData(Buffer.from("chunk1"));
        r.feedData(Buffer.from("chunk2"));
        r.feedData(Buffer.from("chunk3\n"));
        r.feedEof();
      });
      assert.ok((await caught(() => r.readline())) instanceof asyncio.ValueError);
      assert.equal(r.buffered, 0, "the only (overlong) line is dropped");

      r = new asyncio.StreamReader({ limit: 7 });
      loop.callSoon(() => {
        r.feedData(Buffer.from("chunk1"));
        r.feedData(Buffer.from("chunk2\n"));
        r.feedData(Buffer.from("chunk3\n"));
        r.feedEof();
      });
      assert.ok((await caught(() => r.readline())) instanceof asyncio.ValueError);
      assert.equal(await rest(r), "chunk3\n", "the line after the overlong one is kept");

      r = new asyncio.StreamReader({ limit: 7 });
      r.feedData(Buffer.from("1234567\n"));
      assert.equal(text(await r.readline()), "1234567\n", "a line of exactly `limit` bytes + newline fits");
      assert.equal(r.buffered, 0);
      r.feedData(Buffer.from("12345678\n"));
      assert.ok((await caught(() => r.readline())) instanceof asyncio.ValueError);
      assert.equal(r.buffered, 0);
      r.feedData(Buffer.from("12345678"));
      assert.ok((await caught(() => r.readline())) instanceof asyncio.ValueError);
      assert.equal(r.buffered, 0);
    }));

  // test_streams.py: StreamTests.test_readline_nolimit_nowait
  test("test_readline_nolimit_nowait: a buffered line is returned at once", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(DATA.subarray(0, 6));
      r.feedData(DATA.subarray(6));
      assert.equal(text(await r.readline()), "line1\n");
      assert.equal(await rest(r), "line2\nline3\n");
    }));

  // test_streams.py: StreamTests.test_readline_eof, test_readline_empty_eof
  test("test_readline_eof / test_readline_empty_eof: at EOF readline returns the rest, then empty bytes", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("some data"));
      r.feedEof();
      assert.equal(text(await r.readline()), "some data");
      assert.equal(text(await r.readline()), "");
      const empty = new asyncio.StreamReader();
      empty.feedEof();
      assert.equal(text(await empty.readline()), "");
    }));

  // test_streams.py: StreamTests.test_readline_read_byte_count
  test("test_readline_read_byte_count: read(n) after readline continues where it stopped", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(DATA);
      await r.readline();
      assert.equal(text(await r.read(7)), "line2\nl");
      assert.equal(await rest(r), "ine3\n");
    }));

  // test_streams.py: StreamTests.test_readline_exception
  test("test_readline_exception: readline throws the exception set on the stream", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("line\n"));
      assert.equal(text(await r.readline()), "line\n");
      const exc = new asyncio.ValueError();
      r.setException(exc);
      assert.equal(await caught(() => r.readline()), exc);
      assert.equal(r.buffered, 0);
    }));

  // test_streams.py: StreamTests.test_readuntil_separator (+ CPython 3.13's empty separator list)
  test("test_readuntil_separator: an empty separator or an empty list is a ValueError", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const e1 = await caught(() => r.readuntil(Buffer.alloc(0)));
      assert.ok(e1 instanceof asyncio.ValueError && /Separator should be/.test(e1.message), String(e1));
      const e2 = await caught(() => r.readuntil(""));
      assert.ok(e2 instanceof asyncio.ValueError, String(e2));
      const e3 = await caught(() => r.readuntil([]));
      assert.ok(e3 instanceof asyncio.ValueError && /at least one/.test(e3.message), String(e3));
      const e4 = await caught(() => r.readuntil(["\n", ""]));
      assert.ok(e4 instanceof asyncio.ValueError, String(e4));
    }));

  // test_streams.py: StreamTests.test_readuntil_multi_chunks
  test("test_readuntil_multi_chunks: a multi-byte separator; what follows it stays buffered", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("lineAAA"));
      assert.equal(text(await r.readuntil(Buffer.from("AAA"))), "lineAAA");
      assert.equal(r.buffered, 0);
      r.feedData(Buffer.from("lineAAA"));
      assert.equal(text(await r.readuntil("AAA")), "lineAAA");
      assert.equal(r.buffered, 0);
      r.feedData(Buffer.from("lineAAAxxx"));
      assert.equal(text(await r.readuntil("AAA")), "lineAAA");
      assert.equal(await rest(r), "xxx");
    }));

  // test_streams.py: StreamTests.test_readuntil_multi_chunks_1
  test("test_readuntil_multi_chunks_1: separators split over chunks, partial matches skipped", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const cases: [string[], string][] = [
        [["QWEaa", "XYaa", "a"], "QWEaaXYaaa"],
        [["QWEaa", "XYa", "aa"], "QWEaaXYaaa"],
        [["aaa"], "aaa"],
        [["Xaaa"], "Xaaa"],
        [["XXX", "a", "a", "a"], "XXXaaa"],
      ];
      for (const [chunks, expected] of cases) {
        for (const c of chunks) r.feedData(Buffer.from(c));
        assert.equal(text(await r.readuntil("aaa")), expected);
        assert.equal(r.buffered, 0);
      }
      // the same with the separator completed while readuntil waits
      const t = asyncio.createTask(() => r.readuntil("aaa"));
      for (const c of ["QWEaa", "XYa", "a", "a", "tail"]) {
        r.feedData(Buffer.from(c));
        await runBriefly();
      }
      assert.equal(text(await t), "QWEaaXYaaa");
      assert.equal(await rest(r), "tail");
    }));

  // test_streams.py: StreamTests.test_readuntil_eof
  test("test_readuntil_eof: EOF before the separator → IncompleteReadError(partial, expected null)", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("some dataAA"));
      r.feedEof();
      const e = await caught(() => r.readuntil("AAA"));
      assert.ok(e instanceof asyncio.IncompleteReadError, String(e));
      assert.match(e.message, /undefined expected bytes/);
      assert.equal(Buffer.from(e.partial).toString(), "some dataAA");
      assert.equal(e.expected, null);
      assert.equal(r.buffered, 0);
    }));

  // test_streams.py: StreamTests.test_readuntil_limit_found_sep
  test("test_readuntil_limit_found_sep: LimitOverrunError keeps the data; consumed says how much", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader({ limit: 3 });
      r.feedData(Buffer.from("some dataAA"));
      const e1 = await caught(() => r.readuntil("AAA"));
      assert.ok(e1 instanceof asyncio.LimitOverrunError, String(e1));
      assert.match(e1.message, /not found/);
      assert.equal(e1.consumed, 9, "11 bytes buffered, a 3-byte separator could still start at 9");
      assert.equal(r.buffered, 11);

      r.feedData(Buffer.from("A"));
      const e2 = await caught(() => r.readuntil("AAA"));
      assert.ok(e2 instanceof asyncio.LimitOverrunError, String(e2));
      assert.match(e2.message, /is found/);
      assert.equal(e2.consumed, 9, "the separator starts at 9");
      assert.equal(await rest(r), "some dataAAA", "nothing was consumed");
    }));

  // CPython 3.13: readuntil(separator) with a tuple of separators (test_readuntil_multi_separators …)
  test("readuntil with a list of separators: the match ending first wins; bytes, strings, Uint8Array", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("hello;world,tail"));
      assert.equal(text(await r.readuntil([",", ";"])), "hello;");
      assert.equal(text(await r.readuntil([Buffer.from(","), ";"])), "world,");
      assert.equal(await rest(r), "tail");

      r.feedData(Buffer.from("a\nb\r\n"));
      assert.equal(text(await r.readuntil(["\r\n", "\n"])), "a\n");
      assert.equal(text(await r.readuntil(["\r\n", "\n"])), "b\r\n");

      // a plain Uint8Array separator (CPython: test_readuntil_bytearray)
      r.feedData(Buffer.from("some data\r\n"));
      assert.equal(text(await r.readuntil(new Uint8Array([13, 10]))), "some data\r\n");

      // separators completed while waiting, split across chunks
      const t = asyncio.createTask(() => r.readuntil(["AAA", "BB"]));
      for (const c of ["xA", "A", "yB", "B", "z"]) {
        r.feedData(Buffer.from(c));
        await runBriefly();
      }
      assert.equal(text(await t), "xAAyBB");
      assert.equal(await rest(r), "z");

      // EOF first: IncompleteReadError with everything
      r.feedData(Buffer.from("no sep"));
      r.feedEof();
      const e = await caught(() => r.readuntil(["X", "Y"]));
      assert.ok(e instanceof asyncio.IncompleteReadError, String(e));
      assert.equal(Buffer.from(e.partial).toString(), "no sep");
    }));

  // CPython 3.13 readuntil(tuple): the limit check uses the longest separator for the offset
  test("readuntil with a list of separators past the limit: LimitOverrunError, data kept", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader({ limit: 3 });
      r.feedData(Buffer.from("abcdefgh"));
      const e = await caught(() => r.readuntil(["XYZ", "\n"]));
      assert.ok(e instanceof asyncio.LimitOverrunError, String(e));
      assert.equal(e.consumed, 6, "the longest separator (3 bytes) could still start at 6");
      assert.equal(await rest(r), "abcdefgh");
    }));

  // test_streams.py: StreamTests.test_readexactly_zero_or_less
  test("test_readexactly_zero_or_less: readexactly(0) is empty; a negative size is a ValueError", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(DATA);
      assert.equal(text(await r.readexactly(0)), "");
      assert.equal(r.buffered, DATA.length);
      const e = await caught(() => r.readexactly(-1));
      assert.ok(e instanceof asyncio.ValueError && /less than zero/.test(e.message), String(e));
      assert.equal(r.buffered, DATA.length);
    }));

  // test_streams.py: StreamTests.test_readexactly
  test("test_readexactly: waits until n bytes arrived, leaves the rest", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const n = 2 * DATA.length;
      const t = asyncio.createTask(() => r.readexactly(n));
      asyncio.getRunningLoop().callSoon(() => {
        r.feedData(Buffer.from(DATA));
        r.feedData(Buffer.from(DATA));
        r.feedData(Buffer.from(DATA));
      });
      assert.equal(text(await t), `${DATA}${DATA}`);
      assert.equal(await rest(r), DATA.toString());
    }));

  // test_streams.py: StreamTests.test_readexactly_limit
  test("test_readexactly_limit: readexactly is not bound by the limit", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader({ limit: 3 });
      r.feedData(Buffer.from("chunk"));
      assert.equal(text(await r.readexactly(5)), "chunk");
      assert.equal(r.buffered, 0);
    }));

  // test_streams.py: StreamTests.test_readexactly_eof
  test("test_readexactly_eof: EOF first → IncompleteReadError with partial and expected", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const n = 2 * DATA.length;
      const t = asyncio.createTask(() => r.readexactly(n));
      asyncio.getRunningLoop().callSoon(() => {
        r.feedData(DATA);
        r.feedEof();
      });
      const e = await caught(() => t);
      assert.ok(e instanceof asyncio.IncompleteReadError, String(e));
      assert.equal(Buffer.from(e.partial).toString(), DATA.toString());
      assert.equal(e.expected, n);
      assert.equal(e.message, "18 bytes read on a total of 36 expected bytes");
      assert.equal(r.buffered, 0);
    }));

  // test_streams.py: StreamTests.test_readexactly_exception
  test("test_readexactly_exception: readexactly throws the exception set on the stream", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("line\n"));
      assert.equal(text(await r.readexactly(2)), "li");
      const exc = new asyncio.ValueError();
      r.setException(exc);
      assert.equal(await caught(() => r.readexactly(2)), exc);
      assert.equal(await caught(() => r.readuntil("\n")), exc);
    }));

  // test_streams.py: StreamTests.test_exception
  test("test_exception: exception() is null until setException", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      assert.equal(r.exception(), null);
      const exc = new asyncio.ValueError();
      r.setException(exc);
      assert.equal(r.exception(), exc);
    }));

  // test_streams.py: StreamTests.test_exception_waiter
  test("test_exception_waiter: setException wakes a waiting readline with the exception", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const exc = new asyncio.ValueError("wake");
      const t1 = asyncio.createTask(() => r.readline());
      const t2 = asyncio.createTask(async () => {
        r.setException(exc);
      });
      await asyncio.wait<unknown>([t1, t2]);
      assert.equal(t1.exception(), exc);
    }));

  // test_streams.py: StreamTests.test_exception_cancel
  bothForms("test_exception_cancel: a cancelled readline leaves no waiter behind", exceptionCancel);

  function exceptionCancel(form: Form): Promise<void> {
    return runMain(async () => {
      const r = new asyncio.StreamReader();
      const t = spawn(form, () => r.readline());
      await runBriefly();
      assert.match(r.toString(), /waiter/);
      t.cancel();
      await runBriefly();
      assert.ok(t.cancelled());
      const exc = new asyncio.RuntimeError("message");
      r.setException(exc); // must not touch the cancelled waiter
      await runBriefly();
      assert.doesNotMatch(r.toString(), /waiter/);
      // a new read sees the exception, not "another coroutine is already waiting"
      assert.equal(await caught(() => r.readline()), exc);
    });
  }

  // The waiting readline is a hand-written iterator (StreamReader's #ReadlineWait), not a generator:
  // these pin what CPython's readline loop does at each of its steps, in both coroutine forms.
  bothForms(
    "a waiting readline resumes its search where it stopped, after a read that did not wait took bytes",
    (form) =>
      runMain(async () => {
        const r = new asyncio.StreamReader();
        r.feedData(Buffer.from("abcdef"));
        const t = spawn(form, () => r.readline());
        await runBriefly();
        assert.equal(text(await r.read(2)), "ab"); // data was buffered: no wait, no RuntimeError
        r.feedData(Buffer.from("gh\nnext\n"));
        assert.equal(text(await t), "cdefgh\n");
        assert.equal(text(await r.readline()), "next\n");
      }),
  );

  bothForms(
    "a waiting readline: EOF returns the rest; a line past the limit is the ValueError of the generic path",
    (form) =>
      runMain(async () => {
        const r = new asyncio.StreamReader();
        r.feedData(Buffer.from("partial"));
        const t = spawn(form, () => r.readline());
        await runBriefly();
        r.feedEof();
        assert.equal(text(await t), "partial");

        const small = new asyncio.StreamReader({ limit: 4 });
        small.feedData(Buffer.from("ab"));
        const over = spawn(form, () => small.readline());
        await runBriefly();
        small.feedData(Buffer.from("cdefg")); // 7 bytes, no newline: past the limit while waiting
        const e = await caught(() => over);
        assert.ok(e instanceof asyncio.ValueError, String(e));
        small.feedData(Buffer.from("h\nok\n")); // the overlong bytes were dropped (CPython clears them)
        assert.equal(text(await small.readline()), "h\n");
        assert.equal(text(await small.readline()), "ok\n");
      }),
  );

  test("a generator coroutine closed while its readline waits leaves no waiter behind (iterator return())", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const gen = (function* () {
        return yield* r.readline();
      })();
      const first = gen.next(); // the readline is waiting: its waiter Future is yielded
      assert.equal(first.done, false);
      assert.ok(first.value instanceof asyncio.Future);
      assert.match(r.toString(), /waiter/);
      assert.deepEqual(gen.return(Buffer.alloc(0)), { done: true, value: Buffer.alloc(0) });
      assert.doesNotMatch(r.toString(), /waiter/);
      r.feedData(Buffer.from("line\n"));
      assert.equal(text(await r.readline()), "line\n");
    }));

  // test_streams.py: StreamReader._wait_for_data's RuntimeError (two readers at once)
  test("a second waiting reader → RuntimeError('… called while another coroutine is already waiting …')", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const first = asyncio.createTask(() => r.readline());
      await runBriefly();
      for (const [name, op] of [
        ["readuntil", () => r.readline()],
        ["read", () => r.read(10)],
        ["readexactly", () => r.readexactly(3)],
      ] as const) {
        const e = await caught(op);
        assert.ok(e instanceof asyncio.RuntimeError, String(e));
        assert.equal(
          e.message,
          `${name}() called while another coroutine is already waiting for incoming data`,
        );
      }
      r.feedData(Buffer.from("ok\n"));
      assert.equal(text(await first), "ok\n", "the first reader is unaffected");
    }));

  // test_streams.py: StreamReader.__aiter__/__anext__
  test("for await over a reader yields each line until EOF", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const loop = asyncio.getRunningLoop();
      r.feedData(DATA.subarray(0, 8));
      loop.callSoon(() => {
        r.feedData(DATA.subarray(8));
        r.feedData(Buffer.from("tail"));
        r.feedEof();
      });
      const lines: string[] = [];
      for await (const line of r) lines.push(text(line));
      assert.deepEqual(lines, ["line1\n", "line2\n", "line3\n", "tail"]);
    }));

  // `for await` steps are readline() calls (CPython's __anext__ is `await self.readline()`): a break
  // leaves the rest for the next loop, an error is readline()'s, and a step that waits is cancelled with
  // its task, leaving no waiter.
  test("for await over a reader: break keeps the rest, errors are readline()'s, a waiting step is cancelled with its task", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader({ limit: 8 });
      r.feedData(Buffer.from("a\nb\nc\n"));
      const seen: string[] = [];
      for await (const line of r) {
        seen.push(text(line));
        if (seen.length === 2) break;
      }
      for await (const line of r) {
        seen.push(text(line));
        break;
      }
      assert.deepEqual(seen, ["a\n", "b\n", "c\n"]);
      // Past the limit: readline()'s ValueError, the line dropped (as CPython's readline drops it).
      r.feedData(Buffer.from("0123456789\nok\n"));
      await assert.rejects(
        (async () => {
          for await (const _ of r) assert.fail("no line within the limit came first");
        })(),
        asyncio.ValueError,
      );
      const it = r[Symbol.asyncIterator]();
      assert.equal(text((await it.next()).value), "ok\n");
      // A step that waits belongs to the awaiting task: cancelling it leaves no waiter.
      const consumer = asyncio.createTask(async () => {
        for await (const line of r) seen.push(text(line));
      });
      await runBriefly();
      assert.match(String(r), /waiter/);
      consumer.cancel();
      assert.ok(isCancelled(await caught(() => consumer)));
      assert.doesNotMatch(String(r), /waiter/);
      r.feedData(Buffer.from("later\n"));
      r.feedEof();
      const after: string[] = [];
      for await (const line of r) after.push(text(line));
      assert.deepEqual(after, ["later\n"]);
    }));

  test("for await over a reader: next() is a Promise when it waits too; a subclass's own readline() is used", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      const it = r[Symbol.asyncIterator]();
      const step = it.next();
      assert.ok(step instanceof Promise);
      let settled = false;
      const followed = step.finally(() => {
        settled = true;
      });
      await runBriefly();
      assert.equal(settled, false);
      r.feedData(Buffer.from("x\n"));
      assert.equal(text((await followed).value as Buffer), "x\n");
      // CPython's __anext__ is `await self.readline()`.
      class Upper extends asyncio.StreamReader {
        override readline(): asyncio.Awaitable<Buffer> {
          const line = super.readline();
          // An async-only override: a promise (what `for await` needs; `yield*` would need more).
          return (async () =>
            Buffer.from(text(await line).toUpperCase(), "latin1"))() as unknown as asyncio.Awaitable<Buffer>;
        }
      }
      const u = new Upper();
      u.feedData(Buffer.from("ab\ncd\n"));
      u.feedEof();
      const lines: string[] = [];
      for await (const line of u) lines.push(text(line));
      assert.deepEqual(lines, ["AB\n", "CD\n"]);
    }));

  // test_streams.py: StreamTests.test___repr__, …_nondefault_limit, …_eof, …_data, …_exception, …_waiter
  test("test___repr__*: toString shows bytes, eof, a non-default limit, the exception and a waiter", () =>
    runMain(async () => {
      assert.equal(String(new asyncio.StreamReader()), "<StreamReader>");
      assert.equal(String(new asyncio.StreamReader({ limit: 123 })), "<StreamReader limit=123>");
      const eof = new asyncio.StreamReader();
      eof.feedEof();
      assert.equal(String(eof), "<StreamReader eof>");
      const data = new asyncio.StreamReader();
      data.feedData(Buffer.from("data"));
      assert.equal(String(data), "<StreamReader 4 bytes>");
      const exc = new asyncio.StreamReader();
      exc.setException(new asyncio.RuntimeError());
      assert.equal(String(exc), "<StreamReader exception=RuntimeError>");
      const waiting = new asyncio.StreamReader();
      const t = asyncio.createTask(() => waiting.read(1));
      await runBriefly();
      assert.equal(String(waiting), "<StreamReader waiter>");
      waiting.feedData(Buffer.from("x"));
      await t;
      assert.equal(String(waiting), "<StreamReader>");
    }));

  // test_streams.py: StreamTests.test_IncompleteReadError_pickleable, test_LimitOverrunError_pickleable
  test("IncompleteReadError / LimitOverrunError carry partial, expected and consumed", () => {
    const e = new asyncio.IncompleteReadError(Buffer.from("abc"), 10);
    assert.equal(e.message, "3 bytes read on a total of 10 expected bytes");
    assert.equal(Buffer.from(e.partial).toString(), "abc");
    assert.equal(e.expected, 10);
    assert.ok(e instanceof Error);
    const l = new asyncio.LimitOverrunError("message", 10);
    assert.equal(l.message, "message");
    assert.equal(l.consumed, 10);
    assert.ok(l instanceof Error);
  });

  // CPython asserts `not self._eof` in feed_data
  test("feedData after feedEof is a RuntimeError", () =>
    runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedEof();
      assert.throws(() => r.feedData(Buffer.from("x")), asyncio.RuntimeError);
    }));

  // test_streams.py: StreamTests.test_streamreader_constructor_use_running_loop,
  // test_streamreader_constructor_use_global_loop, test_streamreaderprotocol_constructor_use_global_loop
  test("test_streamreader_constructor_use_global_loop: outside a running loop the current loop is used", async () => {
    const loop = asyncio.newEventLoop();
    asyncio.setEventLoop(loop);
    try {
      const r = new asyncio.StreamReader();
      const protocol = new asyncio.StreamReaderProtocol(r);
      assert.ok(protocol instanceof asyncio.Protocol);
      loop.callSoon(() => r.feedData(Buffer.from("on the current loop\n")));
      // the reader's waiter future belongs to `loop`: awaiting it there works
      assert.equal(text((await loop.runUntilComplete(r.readline()))!), "on the current loop\n");
    } finally {
      asyncio.setEventLoop(null);
      loop.close();
    }
    // inside a running loop that loop is used
    await runMain(async () => {
      const r = new asyncio.StreamReader();
      asyncio.getRunningLoop().callSoon(() => r.feedData(Buffer.from("x\n")));
      assert.equal(text(await r.readline()), "x\n");
    });
  });
});

// ============================================================================================
// Streams over TCP and Unix sockets
// ============================================================================================

/**
 * CPython's run_test_server: answers one HTTP/1.0 request with "Test message", then closes (a client
 * that closes without asking gets nothing: not an error of the server).
 */
async function httpHandler(r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> {
  try {
    await r.readuntil("\r\n\r\n");
    w.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nTest message");
    await w.drain();
  } catch (e) {
    if (!(e instanceof asyncio.IncompleteReadError)) throw e;
  }
  w.close();
  await w.waitClosed();
}

/** CPython's _basetest_open_connection / test_async_writer_api. */
async function basetestOpenConnection(
  open: () => asyncio.Awaitable<[asyncio.StreamReader, asyncio.StreamWriter]>,
): Promise<void> {
  const messages = captureExceptions();
  const [r, w] = await open();
  w.write("GET / HTTP/1.0\r\n\r\n");
  assert.equal(text(await r.readline()), "HTTP/1.0 200 OK\r\n");
  const body = text(await r.read());
  assert.ok(body.endsWith("\r\n\r\nTest message"), body);
  assert.ok(r.atEof());
  assert.equal(w.isClosing(), false);
  w.close();
  assert.equal(w.isClosing(), true);
  await w.waitClosed();
  assert.deepEqual(messages, []);
}

const HANDLER_KINDS: [string, asyncio.ClientConnectedCallback][] = [
  ["an async function", echoOneLine],
  [
    "a generator function",
    function* (r: asyncio.StreamReader, w: asyncio.StreamWriter): Generator<unknown, void, any> {
      const data = yield* r.readline();
      w.write(data);
      yield* w.drain();
      w.close();
      yield* w.waitClosed();
    },
  ],
  [
    "a plain function starting its own task",
    (r: asyncio.StreamReader, w: asyncio.StreamWriter): void => {
      asyncio.createTask(() => echoOneLine(r, w));
    },
  ],
  [
    "a plain function returning a promise",
    (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => echoOneLine(r, w),
  ],
];

/** The back-pressure setup: a server that does not read until `release` is set. */
interface BackPressure {
  reader: asyncio.StreamReader;
  writer: asyncio.StreamWriter;
  /** Settles once the server's reader stopped reading (its buffer passed 2 × limit). */
  serverPaused: asyncio.Future<void>;
  release: asyncio.Event;
  /** How many bytes the server read before EOF. */
  received: asyncio.Future<number>;
}

/**
 * Several times what the kernel's socket buffers of both ends take in on loopback (about 4 MiB when the
 * receiver does not read), so drain() must wait for the peer.
 */
const BIG = 16 * 1024 * 1024;

async function withBackPressure(body: (bp: BackPressure) => Promise<void>): Promise<void> {
  const loop = asyncio.getRunningLoop();
  const serverPaused = loop.createFuture<void>();
  const received = loop.createFuture<number>();
  const release = new asyncio.Event();
  const serve = async (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
    await release.wait();
    received.setResult((await r.read()).length);
    w.close();
    await w.waitClosed();
  };
  const cb = (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
    // a plain function: the hook is in place before the first byte is delivered
    const paused = onCall(w.transport, "pauseReading");
    paused.addDoneCallback(() => serverPaused.done() || serverPaused.setResult());
    return serve(r, w);
  };
  await withServer(cb, async (port) => {
    const [reader, writer] = await asyncio.openConnection("127.0.0.1", port);
    try {
      writer.write(Buffer.alloc(BIG, 0x61));
      const [, high] = writer.transport.getWriteBufferLimits();
      assert.ok(writer.transport.getWriteBufferSize() > high, "the write buffer is over its high-water mark");
      await body({ reader, writer, serverPaused, release, received });
    } finally {
      release.set();
      await closeWriter(writer);
    }
  });
}

describe("streams over sockets", () => {
  // test_streams.py: StreamTests.test_open_connection, test_async_writer_api, test_wait_closed_on_close
  test("test_open_connection / test_async_writer_api: request, readline, read to EOF, close", () =>
    runMain(() =>
      withServer(httpHandler, (port) =>
        basetestOpenConnection(() => asyncio.openConnection("127.0.0.1", port)),
      ),
    ));

  // test_streams.py: StreamTests.test_open_unix_connection
  test("test_open_unix_connection: the same over a Unix socket", () =>
    runMain(() =>
      withUnixServer(httpHandler, (path) => basetestOpenConnection(() => asyncio.openUnixConnection(path))),
    ));

  // test_streams.py: StreamTests.test_start_server (coroutine handler and plain callback variants)
  for (const [kind, cb] of HANDLER_KINDS) {
    test(`test_start_server: client_connected_cb as ${kind}`, () =>
      runMain(async () => {
        const messages = captureExceptions();
        await withServer(cb, async (port) => {
          const msg = await lineRoundTrip(() => asyncio.openConnection("127.0.0.1", port));
          assert.equal(msg, "hello world!\n");
        });
        assert.deepEqual(messages, []);
      }));
  }

  // test_streams.py: StreamTests.test_start_unix_server
  for (const [kind, cb] of HANDLER_KINDS.slice(0, 3)) {
    test(`test_start_unix_server: client_connected_cb as ${kind}`, () =>
      runMain(async () => {
        const messages = captureExceptions();
        await withUnixServer(cb, async (path, server) => {
          assert.equal(server.sockets[0]!.getsockname(), path);
          const msg = await lineRoundTrip(() => asyncio.openUnixConnection(path));
          assert.equal(msg, "hello world!\n");
        });
        assert.deepEqual(messages, []);
      }));
  }

  // test_streams.py: StreamTests.test_start_server, scaled up: one connection, many lines both ways
  test("many pipelined lines are echoed in order (writelines, for await on the server)", () =>
    runMain(() =>
      withServer(echoLines, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        try {
          const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}\n`);
          w.writelines(lines);
          await w.drain();
          for (const line of lines) assert.equal(text(await r.readline()), line);
          w.writeEof();
          assert.equal(text(await r.read()), "", "the server closed after our EOF");
        } finally {
          await closeWriter(w);
        }
      }),
    ));

  // Not in CPython, whose write() sends at once when nothing is queued: aiots coalesces a connection's
  // writes until the end of the tick (one system call per batch of replies), and a readline() that
  // must wait hands them to the socket first, so a reply does not wait for the next wait's set-up.
  for (const form of ["async", "generator"] as const) {
    test(`writes coalesce until a readline() must wait, which sends them at once (${form} handler)`, () =>
      runMain(async () => {
        const events: string[] = [];
        const mark = (what: string): void => {
          events.push(what);
        };
        /** Write two lines, then call readline() with nothing buffered; what it returned. */
        const writeThenReadline = (r: asyncio.StreamReader, w: asyncio.StreamWriter) => {
          recordSocketWrites(w, events);
          w.write("a\n");
          w.write("b\n");
          mark("written");
          const next = r.readline();
          mark("readline called");
          return next;
        };
        const handler =
          form === "async"
            ? async (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
                mark(`got ${JSON.stringify(text(await writeThenReadline(r, w)))}`);
                w.close();
              }
            : asyncio.coroutine(function* (r: asyncio.StreamReader, w: asyncio.StreamWriter) {
                mark(`got ${JSON.stringify(text(yield* writeThenReadline(r, w)))}`);
                w.close();
              });
        await withServer(handler, (port) => replyThenSend(port, "a\nb\n", "x\n"));
        const sent = 'socket.write "a\\nb\\n"';
        assert.deepEqual(events, ["written", sent, "readline called", 'got "x\\n"']);
      }));
  }

  // The other reads set up their wait when awaited: the writes leave within that await's microtasks,
  // so before a tick queued ahead of them (the handler goes on from a microtask after sleep(0)).
  for (const op of ["read", "readexactly", "readuntil"] as const) {
    test(`writes leave when ${op}() starts waiting, ahead of the ticks queued before them`, () =>
      runMain(async () => {
        const events: string[] = [];
        const handler = async (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
          recordSocketWrites(w, events);
          await asyncio.sleep(0);
          process.nextTick(() => events.push("a tick queued before the write"));
          w.write("a\n");
          const got =
            op === "read"
              ? await r.read(2)
              : op === "readexactly"
                ? await r.readexactly(2)
                : await r.readuntil();
          events.push(`got ${JSON.stringify(text(got))}`);
          w.close();
        };
        await withServer(handler, (port) => replyThenSend(port, "a\n", "x\n"));
        assert.deepEqual(events, ['socket.write "a\\n"', "a tick queued before the write", 'got "x\\n"']);
      }));
  }

  // StreamWriter.write_eof / StreamReaderProtocol.eof_received returning True (half-open)
  for (const where of ["TCP", "a Unix socket"] as const) {
    test(`writeEof half-closes over ${where}: the server reads EOF and can still answer`, () =>
      runMain(async () => {
        const serverSaw = asyncio.getRunningLoop().createFuture<string>();
        const handler = async (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
          const all = text(await r.read());
          serverSaw.setResult(all);
          w.write(`pong:${all}`);
          w.close();
          await w.waitClosed();
        };
        const client = async (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
          try {
            assert.equal(w.canWriteEof(), true);
            w.write("ping");
            w.writeEof();
            assert.throws(() => w.write("more"), asyncio.RuntimeError);
            assert.equal(await serverSaw, "ping");
            assert.equal(text(await r.read()), "pong:ping");
            assert.ok(r.atEof());
          } finally {
            await closeWriter(w);
          }
        };
        if (where === "TCP")
          await withServer(handler, async (port) =>
            client(...(await asyncio.openConnection("127.0.0.1", port))),
          );
        else
          await withUnixServer(handler, async (path) => client(...(await asyncio.openUnixConnection(path))));
      }));
  }

  // StreamWriter / Server [Symbol.asyncDispose]
  test("await using: the writer and the server are closed and waited for on scope exit", () =>
    runMain(async () => {
      let serverWriter: asyncio.StreamWriter | null = null;
      let clientWriter: asyncio.StreamWriter | null = null;
      let server: asyncio.Server | null = null;
      {
        await using srv = await asyncio.startServer(
          (r: asyncio.StreamReader, w: asyncio.StreamWriter) => {
            serverWriter = w;
            return echoLines(r, w);
          },
          "127.0.0.1",
          0,
        );
        server = srv;
        {
          const [r, w] = await asyncio.openConnection("127.0.0.1", portOf(srv));
          await using _w = w;
          clientWriter = w;
          w.write("x\n");
          assert.equal(text(await r.readline()), "x\n");
        }
        assert.equal(clientWriter!.isClosing(), true);
        await clientWriter!.waitClosed(); // already done
      }
      // leaving the server's scope closed it and waited for its connections to end
      assert.equal(server!.isServing(), false);
      assert.equal(serverWriter!.isClosing(), true);
    }));

  // StreamWriter.drain / FlowControlMixin._drain_helper with a peer that does not read
  test("drain() waits under real back-pressure and completes once the peer reads", () =>
    runMain(() =>
      withBackPressure(async ({ reader, writer, serverPaused, release, received }) => {
        const drain = asyncio.createTask(async () => {
          await writer.drain();
        });
        await serverPaused; // the server's reader stopped reading: TCP pushes back on us
        await asyncio.sleep(0.05); // give the drain every chance to finish wrongly
        assert.equal(drain.done(), false, "drain() must wait while the peer does not read");
        release.set();
        await drain;
        writer.writeEof();
        assert.equal(await received, BIG);
        assert.equal(text(await reader.read()), "");
      }),
    ));

  // test_streams.py: StreamTests.test_multiple_drain
  test("test_multiple_drain: several drain() waiters are all released together", () =>
    runMain(() =>
      withBackPressure(async ({ writer, serverPaused, release, received }) => {
        let drained = 0;
        const drainers = Array.from({ length: 5 }, () =>
          asyncio.createTask(async () => {
            await writer.drain();
            drained++;
          }),
        );
        await serverPaused;
        await asyncio.sleep(0.02);
        assert.equal(drained, 0);
        release.set();
        await asyncio.gather(drainers);
        assert.equal(drained, 5);
        writer.writeEof();
        assert.equal(await received, BIG);
      }),
    ));

  // StreamReader._maybe_resume_transport / feed_data's pause (CPython: test_read_all_from_pipe_reader's limit)
  test("the reader pauses its transport above 2 × limit and resumes at or below limit", () =>
    runMain(async () => {
      const TOTAL = 16 * 1024;
      const handler = (_r: asyncio.StreamReader, w: asyncio.StreamWriter): void => {
        w.write(Buffer.alloc(TOTAL, 0x62));
        w.close();
      };
      await withServer(handler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port, { limit: 1024 });
        try {
          const paused = onCall(w.transport, "pauseReading");
          const resumed = onCall(w.transport, "resumeReading");
          if (!w.transport.isReading() && !paused.done()) paused.setResult(); // paused before the hook
          await paused;
          assert.equal(w.transport.isReading(), false);
          assert.ok(r.buffered > 2 * 1024, `buffered ${r.buffered}`);
          assert.match(r.toString(), /paused/);
          const first = await r.readexactly(r.buffered - 1024); // leaves exactly `limit` bytes
          assert.ok(resumed.done(), "resumed once the buffer is down to the limit");
          assert.doesNotMatch(r.toString(), /paused/);
          const tail = await r.read();
          assert.equal(first.length + tail.length, TOTAL);
          assert.ok(tail.every((b) => b === 0x62));
        } finally {
          await closeWriter(w);
        }
      });
    }));

  // open_connection(limit=…) → StreamReader(limit=…): readline's ValueError, readuntil's LimitOverrunError
  test("the limit option reaches the reader: ValueError / LimitOverrunError on an overlong line", () =>
    runMain(async () => {
      const handler = (_r: asyncio.StreamReader, w: asyncio.StreamWriter): void => {
        w.write(`${"x".repeat(100)}\nok\n${"y".repeat(50)}`);
        w.close();
      };
      await withServer(handler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port, { limit: 10 });
        try {
          assert.ok((await caught(() => r.readline())) instanceof asyncio.ValueError);
          assert.equal(text(await r.readline()), "ok\n", "the overlong line was dropped, the next kept");
          const e = await caught(() => r.readuntil("\n"));
          assert.ok(e instanceof asyncio.LimitOverrunError, String(e));
          assert.equal(text(await r.read()), "y".repeat(50), "readuntil consumed nothing");
        } finally {
          await closeWriter(w);
        }
      });
    }));

  // test_streams.py: StreamTests.test_wait_closed_on_close_with_unread_data
  test("test_wait_closed_on_close_with_unread_data: close() with the answer unread; waitClosed completes", () =>
    runMain(async () => {
      const messages = captureExceptions();
      await withServer(httpHandler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        w.write("GET / HTTP/1.0\r\n\r\n");
        assert.equal(text(await r.readline()), "HTTP/1.0 200 OK\r\n");
        w.close(); // the body is still unread
        await w.waitClosed();
        await w.waitClosed(); // again: done at once
        // what arrived before the close can still be read (all of it, unless TCP split the answer)
        const body = text(await r.read());
        assert.ok("Content-Type: text/plain\r\n\r\nTest message".startsWith(body), body);
        assert.equal(r.atEof(), true);
      });
      assert.deepEqual(messages, []);
    }));

  // test_streams.py: StreamTests.test_eof_feed_when_closing_writer
  test("test_eof_feed_when_closing_writer: closing the writer feeds EOF to its reader", () =>
    runMain(async () => {
      const messages = captureExceptions();
      await withServer(httpHandler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        w.close();
        await w.waitClosed();
        assert.equal(r.atEof(), true);
        assert.equal(text(await r.read()), "");
      });
      assert.deepEqual(messages, []);
    }));

  // StreamWriter.get_extra_info (the transport's peername/sockname/socket extras)
  test("getExtraInfo: peername and sockname of both ends, the socket, defaults", () =>
    runMain(async () => {
      const serverSide = asyncio.getRunningLoop().createFuture<[unknown, unknown]>();
      const handler = (_r: asyncio.StreamReader, w: asyncio.StreamWriter): void => {
        serverSide.setResult([w.getExtraInfo("peername"), w.getExtraInfo("sockname")]);
        w.close();
      };
      await withServer(handler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        try {
          const [serverPeer, serverSock] = await serverSide;
          assert.deepEqual(w.getExtraInfo("peername"), ["127.0.0.1", port]);
          assert.deepEqual(serverSock, ["127.0.0.1", port]);
          const sockname = w.getExtraInfo("sockname") as [string, number];
          assert.equal(sockname[0], "127.0.0.1");
          assert.deepEqual(serverPeer, sockname);
          assert.ok(w.getExtraInfo("socket") instanceof net.Socket);
          assert.equal(w.getExtraInfo("peercert"), null, "no TLS");
          assert.equal(w.getExtraInfo("no such thing"), null);
          assert.equal(w.getExtraInfo("no such thing", "dflt"), "dflt");
          assert.equal(text(await r.read()), "");
        } finally {
          await closeWriter(w);
        }
      });
    }));

  // StreamWriter.get_extra_info over AF_UNIX
  test("getExtraInfo over a Unix socket: the client's peername is the path", () =>
    runMain(() =>
      withUnixServer(
        (_r, w) => w.close(),
        async (path) => {
          const [r, w] = await asyncio.openUnixConnection(path);
          try {
            assert.equal(w.getExtraInfo("peername"), path);
            assert.equal(text(await r.read()), "");
          } finally {
            await closeWriter(w);
          }
        },
      ),
    ));

  // CPython 3.12+: Server.close() stops listening, wait_closed() also waits for the connections
  test("server.close(): no new connections, existing ones served, waitClosed waits for them", () =>
    runMain(async () => {
      const server = await asyncio.startServer(echoLines, "127.0.0.1", 0);
      const port = portOf(server);
      const [r, w] = await asyncio.openConnection("127.0.0.1", port);
      try {
        w.write("a\n");
        assert.equal(text(await r.readline()), "a\n");
        assert.equal(server.isServing(), true);
        server.close();
        assert.equal(server.isServing(), false);
        assert.deepEqual(server.sockets, []);
        const waitClosed = asyncio.createTask(() => server.waitClosed());
        const e = await caught(() => asyncio.openConnection("127.0.0.1", port));
        assert.ok(e instanceof asyncio.ConnectionRefusedError, String(e));
        w.write("b\n");
        assert.equal(text(await r.readline()), "b\n", "the accepted connection is still served");
        await runBriefly(5);
        assert.equal(waitClosed.done(), false, "a connection is still open");
        w.close();
        await w.waitClosed();
        await waitClosed;
        server.close(); // again: nothing happens
        await server.waitClosed(); // done at once
      } finally {
        w.close();
        server.close();
        server.closeClients();
      }
    }));

  // Server.close_clients / Server.abort_clients (CPython 3.13)
  for (const how of ["closeClients", "abortClients"] as const) {
    test(`server.${how}() ends the accepted connections: the client reads EOF`, () =>
      runMain(async () => {
        const server = await asyncio.startServer(echoLines, "127.0.0.1", 0);
        const [r, w] = await asyncio.openConnection("127.0.0.1", portOf(server));
        try {
          w.write("a\n");
          assert.equal(text(await r.readline()), "a\n");
          server.close();
          server[how]();
          assert.equal(text(await r.read()), "");
          await server.waitClosed();
        } finally {
          await closeWriter(w);
        }
      }));
  }

  // test_streams.py: StreamTests.test_unhandled_exceptions (CPython 3.12)
  for (const [kind, cb] of [
    [
      "an async function",
      async (): Promise<void> => {
        throw new asyncio.ValueError("test");
      },
    ],
    [
      "a generator function",
      // biome-ignore lint/correctness/useYield: fails before its first suspension
      function* (): Generator<unknown, void, any> {
        throw new asyncio.ValueError("test");
      },
    ],
  ] as [string, asyncio.ClientConnectedCallback][]) {
    test(`test_unhandled_exceptions: ${kind} failing goes to the loop's exception handler, the transport closes`, () =>
      runMain(async () => {
        const messages = captureExceptions();
        await withServer(cb, async (port) => {
          const [r, w] = await asyncio.openConnection("127.0.0.1", port);
          try {
            assert.equal(text(await r.read()), "", "the server side was closed");
          } finally {
            await closeWriter(w);
          }
        });
        assert.equal(messages.length, 1);
        assert.equal(messages[0]!.message, "Unhandled exception in client_connected_cb");
        const exc = messages[0]!.exception;
        assert.ok(exc instanceof asyncio.ValueError && exc.message === "test", String(exc));
        assert.ok(messages[0]!.transport instanceof asyncio.Transport);
      }));
  }

  // StreamReaderProtocol.connection_made calling a plain callback that raises (see the report: CPython
  // logs it as a callback error and keeps the connection; here the transport is closed)
  test("a plain client_connected_cb that throws: reported to the exception handler, connection closed", () =>
    runMain(async () => {
      const messages = captureExceptions();
      const boom = new asyncio.ValueError("plain");
      await withServer(
        () => {
          throw boom;
        },
        async (port) => {
          const [r, w] = await asyncio.openConnection("127.0.0.1", port);
          try {
            assert.equal(text(await r.read()), "");
          } finally {
            await closeWriter(w);
          }
        },
      );
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.exception, boom);
    }));

  // test_streams.py: StreamTests.test_open_connection_error, test_open_unix_connection_error
  test("test_open_connection_error: connectionLost(exc) makes reads throw exc", () =>
    runMain(async () => {
      const messages = captureExceptions();
      await withServer(httpHandler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        class ZeroDivisionError extends Error {}
        const exc = new ZeroDivisionError();
        (w.transport.getProtocol() as asyncio.StreamReaderProtocol).connectionLost(exc);
        assert.equal(await caught(() => r.read()), exc);
        assert.equal(await caught(() => w.waitClosed()), exc);
        w.close();
        await runBriefly();
      });
      assert.deepEqual(messages, []);
    }));

  // test_streams.py: StreamTests.test_drain_raises
  test("test_drain_raises: write+drain in a loop fails once the peer closed (no endless loop)", () =>
    runMain(async () => {
      const messages = captureExceptions();
      const raw = net.createServer((s) => s.destroy());
      await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
      try {
        const port = (raw.address() as net.AddressInfo).port;
        const [, w] = await asyncio.openConnection("127.0.0.1", port);
        const e = await caught(async () => {
          for (;;) {
            w.write("foo\n");
            await w.drain();
          }
        });
        assert.ok(
          e instanceof asyncio.ConnectionResetError ||
            e instanceof asyncio.BrokenPipeError ||
            e instanceof asyncio.ConnectionAbortedError,
          String(e),
        );
        await closeWriter(w);
      } finally {
        await new Promise((resolve) => raw.close(resolve));
      }
      assert.deepEqual(messages, []);
    }));

  // test_streams.py: StreamTests.test_async_writer_api_exception_after_close
  test("test_async_writer_api_exception_after_close: write after close throws, drain reports the loss", () =>
    runMain(async () => {
      const messages = captureExceptions();
      await withServer(httpHandler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        w.write("GET / HTTP/1.0\r\n\r\n");
        assert.equal(text(await r.readline()), "HTTP/1.0 200 OK\r\n");
        assert.ok(text(await r.read()).endsWith("Test message"));
        w.close();
        // Differs from CPython (which drops the bytes silently): writing after close() throws.
        const e1 = await caught(() => w.write("data"));
        assert.ok(e1 instanceof asyncio.RuntimeError, String(e1));
        const e2 = await caught(() => w.drain());
        assert.ok(e2 instanceof asyncio.ConnectionResetError, String(e2));
        await w.waitClosed();
      });
      assert.deepEqual(messages, []);
    }));

  // open_connection → create_connection: ConnectionRefusedError
  test("a refused port → ConnectionRefusedError (errno ECONNREFUSED)", () =>
    runMain(async () => {
      const server = await asyncio.startServer(() => {}, "127.0.0.1", 0);
      const port = portOf(server);
      server.close();
      await server.waitClosed();
      const e = await caught(() => asyncio.openConnection("127.0.0.1", port));
      assert.ok(e instanceof asyncio.ConnectionRefusedError, String(e));
      assert.ok(e instanceof asyncio.ConnectionError && e instanceof asyncio.OSError);
      assert.equal(e.errno, "ECONNREFUSED");
    }));

  // open_connection → getaddrinfo failure: socket.gaierror
  test("an unknown host → GaiError", () =>
    runMain(async () => {
      const e = await caught(() => asyncio.openConnection("nonexistent.invalid", 80));
      assert.ok(e instanceof asyncio.GaiError, String(e));
      assert.ok(e instanceof asyncio.OSError);
    }));

  // open_unix_connection to a path nobody listens on: FileNotFoundError
  test("openUnixConnection to a missing path → FileNotFoundError", () =>
    runMain(async () => {
      const e = await caught(() => asyncio.openUnixConnection(unixPath()));
      assert.ok(e instanceof asyncio.FileNotFoundError, String(e));
      assert.equal(e.errno, "ENOENT");
    }));

  // transport.abort() on the server side: the kernel sends FIN (nothing unread), the client sees EOF
  test("the server aborts its transport: with nothing unread on its side the client reads a clean EOF", () =>
    runMain(async () => {
      const handler = (_r: asyncio.StreamReader, w: asyncio.StreamWriter): void => {
        w.transport.abort();
      };
      await withServer(handler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        try {
          assert.equal(text(await r.read()), "");
          assert.equal(r.exception(), null);
          assert.equal(r.atEof(), true);
        } finally {
          w.close();
          await w.waitClosed(); // no error: the peer sent FIN, not RST
        }
      });
    }));

  // StreamReaderProtocol.connection_lost(ConnectionResetError): reader.set_exception, wait_closed raises
  test("the peer resets the connection (RST) mid-read: read and waitClosed throw ConnectionResetError", () =>
    runMain(async () => {
      const raw = net.createServer((s) => {
        s.once("data", () => s.resetAndDestroy());
      });
      await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
      try {
        const port = (raw.address() as net.AddressInfo).port;
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        const reading = asyncio.createTask(() => r.read());
        w.write("hi\n");
        const e = await caught(() => reading);
        assert.ok(e instanceof asyncio.ConnectionResetError, String(e));
        assert.equal(e.errno, "ECONNRESET");
        assert.equal(r.exception(), e);
        assert.equal(await caught(() => r.readline()), e);
        assert.equal(await caught(() => w.drain()), e, "drain reports the reader's error");
        assert.equal(await caught(() => w.waitClosed()), e);
      } finally {
        await new Promise((resolve) => raw.close(resolve));
      }
    }));
});

// ============================================================================================
// Cancellation (both coroutine forms)
// ============================================================================================

/**
 * A server that answers "go\n" with "par" and "more\n" with "tial\n", then echoes EOF by closing;
 * `body` gets a client connection.
 */
function withPartialServer(
  body: (r: asyncio.StreamReader, w: asyncio.StreamWriter) => Promise<void>,
): Promise<void> {
  const handler = async (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
    await r.readline();
    w.write("par");
    await r.readline();
    w.write("tial\n");
    await r.read();
    w.close();
    await w.waitClosed();
  };
  return withServer(handler, async (port) => {
    const [r, w] = await asyncio.openConnection("127.0.0.1", port);
    try {
      await body(r, w);
    } finally {
      await closeWriter(w);
    }
  });
}

/** Block `op` in a task, let "par" arrive, cancel the task; then check the stream is intact. */
function cancelMidRead(
  form: Form,
  op: (r: asyncio.StreamReader) => asyncio.Awaitable<Buffer>,
): Promise<void> {
  return runMain(() =>
    withPartialServer(async (r, w) => {
      const t = spawn(form, () => op(r));
      await runBriefly();
      const arrived = onNextData(w);
      w.write("go\n");
      await arrived; // "par" is buffered: the task was woken, found too little, and waits on
      t.cancel();
      assert.ok(isCancelled(await caught(() => t)));
      assert.ok(t.cancelled());
      assert.equal(r.buffered, 3, "the partial data stays buffered");
      assert.doesNotMatch(r.toString(), /waiter/);
      w.write("more\n");
      assert.equal(text(await op(r)), "partial\n", "the stream is still usable");
      w.writeEof();
      assert.equal(text(await r.read()), "");
    }),
  );
}

describe("cancellation", () => {
  // StreamReader._wait_for_data cancelled (CPython: test_exception_cancel, over a real socket)
  bothForms("a readline blocked on a socket is cancelled: CancelledError, buffered data kept", {
    async: () => cancelMidRead("async", (r) => r.readline()),
    gen: () => cancelMidRead("gen", (r) => r.readline()),
  });

  // StreamReader.readexactly cancelled while waiting: the partial bytes stay buffered
  bothForms("a readexactly blocked on a socket is cancelled: CancelledError, buffered data kept", {
    async: () => cancelMidRead("async", (r) => r.readexactly(8)),
    gen: () => cancelMidRead("gen", (r) => r.readexactly(8)),
  });

  // StreamReader.readuntil cancelled while half a separator is buffered
  bothForms(
    "a readuntil blocked mid-separator is cancelled: the separator still matches later",
    cancelReaduntil,
  );

  function cancelReaduntil(form: Form): Promise<void> {
    return runMain(async () => {
      const r = new asyncio.StreamReader();
      r.feedData(Buffer.from("ab"));
      const t = spawn(form, () => r.readuntil("\r\n"));
      await runBriefly();
      r.feedData(Buffer.from("c\r")); // wakes the task: half a separator
      t.cancel();
      assert.ok(isCancelled(await caught(() => t)));
      assert.equal(r.buffered, 4);
      r.feedData(Buffer.from("\nrest"));
      assert.equal(text(await r.readuntil("\r\n")), "abc\r\n");
      assert.equal(await rest(r), "rest");
    });
  }

  // StreamReader.read cancelled while waiting (CPython: test_exception_cancel)
  bothForms("a read(n) waiting on an empty reader is cancelled: the next read gets the data", cancelRead);

  function cancelRead(form: Form): Promise<void> {
    return runMain(async () => {
      const r = new asyncio.StreamReader();
      const t = spawn(form, () => r.read(10));
      await runBriefly();
      t.cancel();
      assert.ok(isCancelled(await caught(() => t)));
      r.feedData(Buffer.from("abc"));
      assert.equal(text(await r.read(10)), "abc");
    });
  }

  // StreamWriter.drain cancelled under back-pressure (FlowControlMixin._drain_helper's finally)
  bothForms(
    "a drain() blocked by back-pressure is cancelled: nothing is lost, drain works again",
    cancelDrain,
  );

  function cancelDrain(form: Form): Promise<void> {
    return runMain(() =>
      withBackPressure(async ({ reader, writer, serverPaused, release, received }) => {
        const t = spawn(form, () => writer.drain());
        await serverPaused;
        t.cancel();
        assert.ok(isCancelled(await caught(() => t)));
        assert.equal(writer.isClosing(), false);
        release.set();
        await writer.drain();
        writer.write("tail");
        writer.writeEof();
        assert.equal(await received, BIG + 4, "every byte written before and after the cancel arrived");
        assert.equal(text(await reader.read()), "");
      }),
    );
  }

  // StreamWriter.wait_closed cancelled (deliberately unlike CPython: the close future survives)
  bothForms("a waitClosed() is cancelled: a later waitClosed() still completes", cancelWaitClosed);

  function cancelWaitClosed(form: Form): Promise<void> {
    return runMain(() =>
      withServer(echoLines, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        const t = spawn(form, () => w.waitClosed());
        await runBriefly(2);
        t.cancel();
        assert.ok(isCancelled(await caught(() => t)));
        w.write("still open\n");
        assert.equal(text(await r.readline()), "still open\n");
        w.close();
        await w.waitClosed();
      }),
    );
  }

  // StreamReaderProtocol.connection_made's done callback: a cancelled handler task closes the transport
  bothForms("the client_connected_cb task is cancelled: its transport is closed", cancelHandler);

  function cancelHandler(form: Form): Promise<void> {
    return runMain(async () => {
      const messages = captureExceptions();
      // (the task is wrapped: a future resolved with a thenable would adopt it when awaited)
      const started = asyncio.getRunningLoop().createFuture<{ task: asyncio.Task<unknown> }>();
      const handler =
        form === "async"
          ? async (r: asyncio.StreamReader): Promise<void> => {
              started.setResult({ task: asyncio.currentTask()! });
              await r.readline();
            }
          : function* (r: asyncio.StreamReader): Generator<unknown, void, any> {
              started.setResult({ task: asyncio.currentTask()! });
              yield* r.readline();
            };
      await withServer(handler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        try {
          const { task } = await started;
          task.cancel();
          assert.equal(text(await r.read()), "", "the server closed the connection");
          assert.ok(task.cancelled());
        } finally {
          await closeWriter(w);
        }
      });
      assert.deepEqual(messages, [], "a cancelled handler is not an error");
    });
  }
});

// ============================================================================================
// TLS
// ============================================================================================

describe("TLS", () => {
  let dir = "";
  let cert = "";
  let key = "";

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "aiots-streams-tls-"));
    const certPath = join(dir, "cert.pem");
    const keyPath = join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        keyPath,
        "-out",
        certPath,
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-days",
        "1",
      ],
      { stdio: "ignore" },
    );
    cert = readFileSync(certPath, "utf8");
    key = readFileSync(keyPath, "utf8");
  });

  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  // test_streams.py: StreamTests.test_open_connection_no_loop_ssl
  test("test_open_connection_no_loop_ssl: startServer with {cert, key}, openConnection with {ca}", () =>
    runMain(async () => {
      const messages = captureExceptions();
      const serverInfo = asyncio.getRunningLoop().createFuture<[boolean, unknown]>();
      const handler = async (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
        serverInfo.setResult([w.canWriteEof(), w.getExtraInfo("ssl_object")]);
        await echoOneLine(r, w);
      };
      await withServer(
        handler,
        async (port) => {
          const [r, w] = await asyncio.openConnection("127.0.0.1", port, {
            ssl: { ca: cert },
            serverHostname: "localhost",
          });
          try {
            w.write("over TLS\n");
            assert.equal(text(await r.readline()), "over TLS\n");
            assert.equal(w.canWriteEof(), false);
            assert.throws(() => w.writeEof(), asyncio.RuntimeError);
            const peercert = w.getExtraInfo("peercert") as tls.PeerCertificate;
            assert.equal(peercert.subject.CN, "localhost");
            assert.ok(w.getExtraInfo("cipher") !== null);
            assert.ok(w.getExtraInfo("ssl_object") instanceof tls.TLSSocket);
            const [serverCanWriteEof, serverSsl] = await serverInfo;
            assert.equal(serverCanWriteEof, false);
            assert.ok(serverSsl instanceof tls.TLSSocket);
            assert.equal(text(await r.read()), "", "the server closed: EOF over TLS");
          } finally {
            await closeWriter(w);
          }
        },
        { ssl: { cert, key } },
      );
      assert.deepEqual(messages, []);
    }));

  // StreamReaderProtocol.eof_received returns False over TLS: the transport closes on EOF
  test("TLS: a large answer then close arrives whole; waitClosed completes (no half-open over TLS)", () =>
    runMain(async () => {
      const SIZE = 300_000;
      const handler = async (_r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
        w.write(Buffer.alloc(SIZE, 0x7a));
        await w.drain();
        w.close();
        await w.waitClosed();
      };
      await withServer(
        handler,
        async (port) => {
          const [r, w] = await asyncio.openConnection("127.0.0.1", port, {
            ssl: { ca: cert },
            serverHostname: "localhost",
          });
          const all = await r.read();
          assert.equal(all.length, SIZE);
          assert.ok(r.atEof());
          await w.waitClosed(); // the TLS transport closed itself on EOF
          assert.equal(w.isClosing(), true);
        },
        { ssl: { cert, key } },
      );
    }));

  // open_connection(ssl=True) against an untrusted certificate: ssl.SSLCertVerificationError (an OSError)
  test("TLS: a self-signed certificate the client does not trust → OSError, nothing opened", () =>
    runMain(async () => {
      await withServer(
        () => {},
        async (port) => {
          const e = await caught(() => asyncio.openConnection("127.0.0.1", port, { ssl: true }));
          assert.ok(e instanceof asyncio.OSError, String(e));
          assert.equal(e.errno, "DEPTH_ZERO_SELF_SIGNED_CERT");
        },
        { ssl: { cert, key } },
      );
    }));

  // open_connection(ssl=…, server_hostname=…) that does not match: certificate verification fails
  test("TLS: a serverHostname the certificate does not name → OSError", () =>
    runMain(async () => {
      await withServer(
        () => {},
        async (port) => {
          const e = await caught(() =>
            asyncio.openConnection("127.0.0.1", port, { ssl: { ca: cert }, serverHostname: "example.com" }),
          );
          assert.ok(e instanceof asyncio.OSError, String(e));
          assert.equal(e.errno, "ERR_TLS_CERT_ALTNAME_INVALID");
        },
        { ssl: { cert, key } },
      );
    }));

  // test_streams.py: StreamTests.test_open_unix_connection_no_loop_ssl
  test("test_open_unix_connection_no_loop_ssl: TLS over a Unix socket", () =>
    runMain(() =>
      withUnixServer(
        echoOneLine,
        async (path) => {
          const msg = await lineRoundTrip(() =>
            asyncio.openUnixConnection(path, { ssl: { ca: cert }, serverHostname: "localhost" }),
          );
          assert.equal(msg, "hello world!\n");
        },
        { ssl: { cert, key } },
      ),
    ));

  // test_streams.py: StreamTests.test_start_tls
  test("test_start_tls: both ends upgrade a plain connection with writer.startTls (STARTTLS)", () =>
    runMain(async () => {
      const messages = captureExceptions();
      const handler = async (r: asyncio.StreamReader, w: asyncio.StreamWriter): Promise<void> => {
        const data1 = await r.readline();
        w.write(data1);
        await w.drain();
        assert.equal(w.getExtraInfo("ssl_object"), null);
        await w.startTls({ cert, key });
        assert.ok(w.getExtraInfo("ssl_object") instanceof tls.TLSSocket);
        const data2 = await r.readline();
        w.write(data2);
        await w.drain();
        w.close();
        await w.waitClosed();
      };
      await withServer(handler, async (port) => {
        const [r, w] = await asyncio.openConnection("127.0.0.1", port);
        try {
          w.write("hello world 1!\n");
          await w.drain();
          const msg1 = text(await r.readline());
          assert.equal(w.getExtraInfo("ssl_object"), null);
          assert.equal(w.canWriteEof(), true);
          const plain = w.transport;
          await w.startTls({ ca: cert }, { serverHostname: "localhost" });
          assert.notEqual(w.transport, plain, "the writer moved to the TLS transport");
          assert.ok(w.getExtraInfo("ssl_object") instanceof tls.TLSSocket);
          assert.equal((w.getExtraInfo("peercert") as tls.PeerCertificate).subject.CN, "localhost");
          assert.equal(w.canWriteEof(), false);
          w.write("hello world 2!\n");
          await w.drain();
          const msg2 = text(await r.readline());
          assert.equal(msg1, "hello world 1!\n");
          assert.equal(msg2, "hello world 2!\n");
          assert.equal(text(await r.read()), "");
        } finally {
          await closeWriter(w);
        }
      });
      assert.deepEqual(messages, []);
    }));
});

// test_streams.py has no such case: a waiting readline() must still find a newline that arrives after
// another read took buffered bytes meanwhile (it remembers how far it searched, like CPython's offset).
test("a waiting readline() finds the line after a read() took bytes meanwhile", async () => {
  await asyncio.run(async () => {
    const r = new asyncio.StreamReader();
    r.feedData(Buffer.from("abc"));
    const t = asyncio.createTask(() => r.readline());
    await asyncio.sleep(0);
    assert.equal(String(await r.read(2)), "ab");
    r.feedData(Buffer.from("d\nrest"));
    assert.equal(String(await t), "cd\n");
    r.feedData(Buffer.from("\n"));
    r.feedEof();
    assert.equal(String(await r.readline()), "rest\n");
    assert.equal((await r.readline()).length, 0);
  });
});
