// The client against a real aiohttp server (Debian's python3-aiohttp): the behaviour of aiohttp's
// own client in its functional tests (tests/test_client_functional.py), checked against the
// server it is written for. The server is test/fixtures/client/aiohttp_peer_server.py, started
// once for this file and stopped at its end. Skipped, with the reason shown, when
// `/usr/bin/python3 -c "import aiohttp"` fails.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  ClientResponseError,
  ClientSession,
  CookieJar,
  MultipartWriter,
  WSMsgType,
} from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("../fixtures/client/aiohttp_peer_server.py", import.meta.url));

const probe = spawnSync(PYTHON, ["-c", "import aiohttp"], { stdio: "ignore" });
const skip = probe.status === 0 ? false : `${PYTHON} cannot import aiohttp (install python3-aiohttp)`;

let child: ChildProcess | null = null;
let base = "";

before(async () => {
  if (skip !== false) return;
  const proc = spawn(PYTHON, [SCRIPT], { stdio: ["pipe", "pipe", "inherit"] });
  child = proc;
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    proc.once("exit", (code) =>
      reject(new Error(`aiohttp server exited (${code}) before listening: ${out}`)),
    );
    proc.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
  });
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  const proc = child;
  if (proc === null || proc.exitCode !== null) return;
  const exited = once(proc, "exit");
  proc.stdin!.end(); // the server exits when its stdin closes
  const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
});

const run = <T>(main: () => Promise<T>): Promise<T> => asyncio.run(main);

test("test_HTTP_200_GET_WITH_PARAMS (peer aiohttp): GET with params and headers", { skip }, () =>
  run(async () => {
    await using session = new ClientSession({ baseUrl: `${base}/`, headers: { "X-Custom": "yes" } });
    await using resp = await session.get("/get", {
      params: [
        ["q", "1"],
        ["r", "two words"],
      ],
    });
    assert.equal(resp.status, 200);
    assert.equal(resp.contentType, "application/json");
    assert.match(resp.headers.get("server") ?? "", /aiohttp/i);
    const got = (await resp.json()) as { method: string; query: string[][]; headers: Record<string, string> };
    assert.equal(got.method, "GET");
    assert.deepEqual(got.query, [
      ["q", "1"],
      ["r", "two words"],
    ]);
    assert.equal(got.headers["X-Custom"], "yes");
    assert.equal(got.headers.Accept, "*/*");
    assert.match(got.headers["User-Agent"]!, /^aiots\//);
  }),
);

test("test_json (peer aiohttp): a JSON POST is read by request.json()", { skip }, () =>
  run(async () => {
    await using session = new ClientSession();
    const payload = { name: "aiots", list: [1, 2, 3], nested: { ok: true }, text: "é" };
    await using resp = await session.post(`${base}/post`, { json: payload });
    const got = (await resp.json()) as { json: unknown; content_type: string; content_length: number };
    assert.deepEqual(got.json, payload);
    assert.equal(got.content_type, "application/json");
    assert.equal(got.content_length, Buffer.byteLength(JSON.stringify(payload)));
  }),
);

// test_multipart.py's writer tests, checked against aiohttp's own reader: every encoding of a part that
// MultipartWriter writes is decoded by BodyPartReader.read(decode=True).
test(
  "aiots (peer aiohttp): a multipart/mixed body with encoded parts is decoded by aiohttp's reader",
  { skip },
  () =>
    run(async () => {
      await using session = new ClientSession();
      const writer = new MultipartWriter("mixed");
      const text = `Привет, мир! ${"Time to Relax! ".repeat(20)}`;
      const encodings: [string, string][][] = [
        [],
        [["Content-Encoding", "gzip"]],
        [["Content-Encoding", "deflate"]],
        [["Content-Transfer-Encoding", "base64"]],
        [["Content-Transfer-Encoding", "quoted-printable"]],
        [
          ["Content-Encoding", "gzip"],
          ["Content-Transfer-Encoding", "base64"],
        ],
      ];
      for (const headers of encodings) writer.append(text, headers);
      // A streamed part too: encoded as it is read.
      writer.append(
        (async function* () {
          yield Buffer.from(text.slice(0, 7));
          yield Buffer.from(text.slice(7));
        })(),
        {
          "Content-Type": "text/plain; charset=utf-8",
          "Content-Encoding": "deflate",
          "Content-Transfer-Encoding": "base64",
        },
      );
      await using resp = await session.post(`${base}/multipart`, { data: writer });
      const got = (await resp.json()) as {
        content_type: string;
        parts: { headers: Record<string, string>; text: string }[];
      };
      assert.equal(got.content_type, "multipart/mixed");
      assert.equal(got.parts.length, encodings.length + 1);
      for (const part of got.parts) assert.equal(part.text, text, JSON.stringify(part.headers));
      assert.equal(got.parts[1]!.headers["Content-Encoding"], "gzip");
    }),
);

test("test_history (peer aiohttp): redirects are followed, with the history", { skip }, () =>
  run(async () => {
    await using session = new ClientSession();
    await using resp = await session.get(`${base}/redirect/3`);
    assert.equal(resp.status, 200);
    assert.equal(resp.url.pathname, "/get");
    assert.deepEqual(
      resp.history.map((r) => [r.status, r.url.pathname]),
      [
        [302, "/redirect/3"],
        [302, "/redirect/2"],
        [302, "/redirect/1"],
      ],
    );
    await using noFollow = await session.get(`${base}/redirect/1`, { allowRedirects: false });
    assert.equal(noFollow.status, 302);
    assert.equal(noFollow.headers.get("location"), "/get");
  }),
);

test("test_cookies_redirect (peer aiohttp): cookies set by a redirect are sent to its target", { skip }, () =>
  run(async () => {
    await using session = new ClientSession({ cookieJar: new CookieJar({ unsafe: true }) });
    await using resp = await session.get(`${base}/cookies/set`, { params: { a: "1", b: "two" } });
    assert.deepEqual(await resp.json(), { a: "1", b: "two" });
    assert.deepEqual(
      [...resp.history[0]!.cookies],
      [
        ["a", "1"],
        ["b", "two"],
      ],
    );
    await using again = await session.get(`${base}/cookies`, { cookies: { c: "3" } });
    assert.deepEqual(await again.json(), { a: "1", b: "two", c: "3" });
  }),
);

test("test_raise_for_status (peer aiohttp): an error status from aiohttp", { skip }, () =>
  run(async () => {
    await using session = new ClientSession();
    await using resp = await session.get(`${base}/status/418`);
    assert.equal(resp.status, 418);
    assert.equal(resp.ok, false);
    assert.throws(() => resp.raiseForStatus(), ClientResponseError);
  }),
);

test("test_text (peer aiohttp): the charset aiohttp declares decodes the body", { skip }, () =>
  run(async () => {
    await using session = new ClientSession();
    await using resp = await session.get(`${base}/charset`);
    assert.equal(resp.charset, "windows-1251");
    assert.equal(await resp.text(), "Привет, мир");
  }),
);

test("test_encoding_gzip (peer aiohttp): a gzip body from aiohttp is decompressed", { skip }, () =>
  run(async () => {
    await using session = new ClientSession();
    await using resp = await session.get(`${base}/gzip`);
    assert.equal(resp.headers.get("content-encoding"), "gzip");
    assert.equal(await resp.text(), "squeezed ".repeat(100));
  }),
);

test("aiots (peer aiohttp): keep-alive with aiohttp's server over many requests", { skip }, () =>
  run(async () => {
    await using session = new ClientSession();
    const out = await asyncio.gather(
      ...Array.from({ length: 10 }, (_, i) => async () => {
        await using r = await session.get(`${base}/get`, { params: { i } });
        return ((await r.json()) as { query: string[][] }).query[0]![1];
      }),
    );
    assert.deepEqual(
      out,
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
  }),
);

test("test_ws_connect (peer aiohttp): WebSocket echo and close code", { skip }, () =>
  run(async () => {
    await using session = new ClientSession();
    const ws = await session.wsConnect(`${base.replace("http", "ws")}/ws`);
    await ws.sendStr("hello");
    assert.equal(await ws.receiveStr(), "echo:hello");
    await ws.sendBytes(Buffer.from([1, 2, 3]));
    assert.deepEqual(await ws.receiveBytes(), Buffer.from([3, 2, 1]));
    await ws.sendStr("close");
    const msg = await ws.receive();
    assert.equal(msg.type, WSMsgType.CLOSE);
    assert.equal(msg.data, 4000);
    assert.equal(ws.closeCode, 4000);
    assert.equal(ws.closed, true);
  }),
);
