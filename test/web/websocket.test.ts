// Port of the behaviour checked by aiohttp's tests/test_web_websocket_functional.py (and a few of
// tests/test_web_websocket.py), through real sockets: each test names the aiohttp test it follows,
// or the behaviour it pins down. The client is the `ws` package (Node 20 has no global WebSocket);
// raw `node:http` requests check the plain HTTP answers. Tests assert outcomes, never durations.
import assert from "node:assert/strict";
import * as net from "node:net";
import { describe, test } from "node:test";
import WebSocket from "ws";
import * as asyncio from "../../src/index.js";
import { TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { captureWebLog, deferred, eventually, httpRequest } from "./helpers.js";

const { WSMsgType, WSCloseCode, WebSocketResponse } = web;

interface Got {
  data: string | Buffer;
  binary: boolean;
}

/** A `ws` client with a queue of received messages and a promise of its close. */
class Peer {
  readonly ws: WebSocket;
  readonly #msgs: Got[] = [];
  readonly #waiters: Array<(m: Got | null) => void> = [];
  #ended = false;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly pings: Buffer[] = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data: Buffer, binary: boolean) => {
      const m = { data: binary ? data : data.toString("utf8"), binary };
      const w = this.#waiters.shift();
      if (w) w(m);
      else this.#msgs.push(m);
    });
    ws.on("ping", (d: Buffer) => this.pings.push(d));
    ws.on("error", () => {});
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        this.#ended = true;
        for (const w of this.#waiters.splice(0)) w(null);
        resolve({ code, reason: reason.toString("utf8") });
      }),
    );
  }

  static open(
    server: TestServer,
    path = "/",
    options: WebSocket.ClientOptions & { protocols?: string[] } = {},
  ) {
    const { protocols, ...rest } = options;
    const url = server.makeUrl(path).href.replace(/^http/, "ws");
    const ws = new WebSocket(url, protocols ?? [], rest);
    const peer = new Peer(ws);
    return new Promise<Peer>((resolve, reject) => {
      ws.once("open", () => resolve(peer));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once("error", reject);
    });
  }

  /** The next message (`null` once closed). */
  next(): Promise<Got | null> {
    const m = this.#msgs.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async nextText(): Promise<string> {
    const m = await this.next();
    assert.ok(m !== null && !m.binary, `expected a text message, got ${m === null ? "the close" : "bytes"}`);
    return m.data as string;
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }
}

/** An app with one WebSocket handler at `/`. */
function appWith(handler: web.Handler, path = "/"): web.Application {
  const app = new web.Application();
  app.router.addGet(path, handler);
  return app;
}

/** The handshake headers of a WebSocket upgrade. */
const UPGRADE_HEADERS = {
  Connection: "Upgrade",
  Upgrade: "websocket",
  "Sec-WebSocket-Version": "13",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
};

describe("WebSocketResponse: messages", () => {
  test("autoPing and compress must be booleans (a string would be truthy): ArgumentTypeError", () => {
    assert.throws(() => new web.WebSocketResponse({ autoPing: "false" as never }), asyncio.ArgumentTypeError);
    assert.throws(() => new web.WebSocketResponse({ compress: "no" as never }), asyncio.ArgumentTypeError);
  });

  test("echo text (test_send_recv_text)", async () => {
    const closed = deferred<number | null>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const msg = await ws.receiveStr();
      await ws.sendStr(`${msg}/answer`);
      await ws.close();
      closed.resolve(ws.closeCode);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send("ask");
    assert.equal(await peer.nextText(), "ask/answer");
    assert.deepEqual(await peer.closed, { code: 1000, reason: "" });
    assert.equal(await closed.promise, 1000);
  });

  test("echo bytes (test_send_recv_bytes)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const msg = await ws.receiveBytes();
      assert.ok(Buffer.isBuffer(msg));
      await ws.sendBytes(Buffer.concat([msg, Buffer.from("/answer")]));
      await ws.close();
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send(Buffer.from("ask"));
    const m = await peer.next();
    assert.ok(m?.binary);
    assert.deepEqual(m.data, Buffer.from("ask/answer"));
    assert.equal((await peer.closed).code, 1000);
  });

  test("echo JSON (test_send_recv_json, test_websocket_send_json)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const data = (await ws.receiveJson()) as { request: string };
      await ws.sendJson({ response: data.request });
      await ws.close();
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send('{"request": "test"}');
    assert.deepEqual(JSON.parse(await peer.nextText()), { response: "test" });
    assert.equal((await peer.closed).code, 1000);
  });

  test("msg.json() parses a text message (test_websocket_json)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const msg = await ws.receive();
      await ws.sendStr((msg.json() as { test: string }).test);
      await ws.close();
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send('{"test": "value"}');
    assert.equal(await peer.nextText(), "value");
  });

  test("receiveJson() of invalid JSON throws SyntaxError (test_websocket_json_invalid_message)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      try {
        await ws.receiveJson();
        await ws.sendStr("no error");
      } catch (e) {
        await ws.sendStr(`${(e as Error).name} was raised`);
      } finally {
        await ws.close();
      }
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send("NOT A VALID JSON STRING");
    assert.equal(await peer.nextText(), "SyntaxError was raised");
  });

  test("sendJson with a custom dumps, receiveJson with a custom loads (test_websocket_receive_json)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const data = await ws.receiveJson({ loads: (t) => ({ wrapped: JSON.parse(t) }) });
      await ws.sendJson(data, { dumps: (d) => `!${JSON.stringify(d)}` });
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send("[1,2]");
    assert.equal(await peer.nextText(), '!{"wrapped":[1,2]}');
  });

  test("receiveStr() of a binary message throws WSMessageTypeError (test_receive_str_nonstring)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      try {
        await ws.receiveStr();
      } catch (e) {
        await ws.sendStr(
          e instanceof web.WSMessageTypeError && e instanceof TypeError ? "type error" : "other",
        );
      }
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send(Buffer.from("bytes"));
    assert.equal(await peer.nextText(), "type error");
  });

  test("receiveBytes() of a text message throws WSMessageTypeError (test_receive_bytes_nonbytes)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await assert.rejects(ws.receiveBytes(), web.WSMessageTypeError);
      await ws.sendStr("ok");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send("text");
    assert.equal(await peer.nextText(), "ok");
  });

  test("messages arrive in order, large and unicode ones intact", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      for await (const msg of ws) {
        if (msg.type === WSMsgType.TEXT) await ws.sendStr(msg.data);
        else if (msg.type === WSMsgType.BINARY) await ws.sendBytes(msg.data);
      }
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    const big = Buffer.alloc(300_000, 7);
    peer.send("héllo ✓ 🎉");
    peer.send(big);
    for (let i = 0; i < 50; i++) peer.send(`m${i}`);
    assert.equal(await peer.nextText(), "héllo ✓ 🎉");
    assert.deepEqual((await peer.next())!.data, big);
    for (let i = 0; i < 50; i++) assert.equal(await peer.nextText(), `m${i}`);
    peer.ws.close();
    assert.equal((await peer.closed).code, 1005);
  });

  test("sendStr/sendBytes refuse the wrong type (ArgumentTypeError)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await assert.rejects(ws.sendStr(Buffer.from("x") as unknown as string), asyncio.ArgumentTypeError);
      await assert.rejects(ws.sendBytes("x" as unknown as Uint8Array), asyncio.ArgumentTypeError);
      await ws.sendStr("checked");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.equal(await peer.nextText(), "checked");
  });

  test("compress: false still talks to a client offering permessage-deflate", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ compress: false });
      await ws.prepare(request);
      await ws.sendStr(await ws.receiveStr());
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server, "/", { perMessageDeflate: true });
    assert.equal(peer.ws.extensions, "");
    peer.send("x".repeat(10_000));
    assert.equal(await peer.nextText(), "x".repeat(10_000));
  });

  test("compress (default) negotiates permessage-deflate", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await ws.sendStr(await ws.receiveStr());
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server, "/", { perMessageDeflate: true });
    assert.match(peer.ws.extensions, /permessage-deflate/);
    peer.send("y".repeat(10_000));
    assert.equal(await peer.nextText(), "y".repeat(10_000));
  });
});

describe("WebSocketResponse: closing", () => {
  test("server close with a code and a message (test_server_close_handshake)", async () => {
    const result = deferred<[boolean, boolean, number | null]>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const first = await ws.close({ code: WSCloseCode.POLICY_VIOLATION, message: "bye" });
      const second = await ws.close();
      result.resolve([first, second, ws.closeCode]);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.deepEqual(await peer.closed, { code: 1008, reason: "bye" });
    assert.deepEqual(await result.promise, [true, false, 1008]);
  });

  test("client close: receive() gives CLOSE with code and reason (test_auto_pong_with_closing_by_peer)", async () => {
    const got = deferred<unknown[]>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const msg = await ws.receive();
      got.resolve([msg.type, msg.data, msg.extra, ws.closed, ws.closeCode, await ws.close()]);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.ws.close(4000, "exit message");
    assert.deepEqual(await got.promise, [WSMsgType.CLOSE, 4000, "exit message", true, 4000, false]);
    assert.equal((await peer.closed).code, 4000);
  });

  test("receive() after the close gives CLOSED, then throws (test_receive_msg_after_close)", async () => {
    const got = deferred<unknown[]>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await ws.close();
      const types = [];
      for (let i = 0; i < 4; i++) types.push((await ws.receive()).type);
      const err = await (async () => ws.receive())().catch((e: unknown) => e);
      got.resolve([types, err instanceof asyncio.RuntimeError]);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    await peer.closed;
    const c = WSMsgType.CLOSED;
    assert.deepEqual(await got.promise, [[c, c, c, c], true]);
  });

  test("close() while another task waits in receive() → CLOSING (test_concurrent_close)", async () => {
    const got = deferred<number>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const reader = asyncio.createTask(() => ws.receive());
      await asyncio.sleep(0);
      await ws.close({ code: WSCloseCode.GOING_AWAY });
      got.resolve((await reader).type);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.equal((await peer.closed).code, 1001);
    assert.equal(await got.promise, WSMsgType.CLOSING);
  });

  test("close() after a slow peer: 1006 and a TimeoutError (test_close_timeout)", async () => {
    const got = deferred<unknown[]>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ timeout: 0.1 });
      await ws.prepare(request);
      assert.equal(await ws.receiveStr(), "paused");
      const closed = await ws.close();
      got.resolve([closed, ws.closeCode, ws.exception() instanceof asyncio.TimeoutError]);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    // The client never answers the close frame: its socket stops reading.
    (peer.ws as unknown as { _socket: import("node:net").Socket })._socket.pause();
    peer.send("paused");
    assert.deepEqual(await got.promise, [true, 1006, true]);
  });

  test("close() with an invalid code or a too long message throws ValueError", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await assert.rejects(ws.close({ code: 1005 }), asyncio.ValueError);
      await assert.rejects(ws.close({ code: 99 }), asyncio.ValueError);
      await assert.rejects(ws.close({ message: "x".repeat(124) }), asyncio.ValueError);
      assert.equal(ws.closed, false);
      await ws.close({ code: 3001, message: Buffer.from("bytes reason") });
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.deepEqual(await peer.closed, { code: 3001, reason: "bytes reason" });
  });

  test("sending after the close throws ConnectionResetError", async () => {
    const got = deferred<boolean>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await ws.close();
      const e = await ws.sendStr("late").catch((err: unknown) => err);
      got.resolve(e instanceof asyncio.ConnectionResetError);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    await peer.closed;
    assert.equal(await got.promise, true);
  });

  test("a handler that returns without closing closes with 1000", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await ws.sendStr("hi");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.equal(await peer.nextText(), "hi");
    assert.equal((await peer.closed).code, 1000);
  });

  test("a handler that fails after the handshake closes with 1011 and is logged", async () => {
    await captureWebLog(async (logs) => {
      const app = appWith(async (request) => {
        const ws = new WebSocketResponse();
        await ws.prepare(request);
        throw new Error("boom");
      });
      await using server = await new TestServer(app).start();
      const peer = await Peer.open(server);
      assert.equal((await peer.closed).code, 1011);
      assert.ok(await eventually(() => logs.some((l) => l.includes("boom"))));
    });
  });

  test("the peer vanishing: receive() gives CLOSED with closeCode 1006 (test_abnormal_closure_when_client_does_not_close)", async () => {
    const got = deferred<unknown[]>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const msg = await ws.receive();
      got.resolve([msg.type, ws.closeCode, ws.closed]);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.ws.terminate();
    assert.deepEqual(await got.promise, [WSMsgType.CLOSED, 1006, true]);
  });
});

describe("WebSocketResponse: iteration", () => {
  test("for await yields messages and ends at the close (test_server_ws_async_for)", async () => {
    const seen = deferred<string[]>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const all: string[] = [];
      for await (const msg of ws) {
        assert.equal(msg.type, WSMsgType.TEXT);
        all.push(msg.data as string);
        await ws.sendStr(`${msg.data}/answer`);
      }
      seen.resolve(all);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    for (const m of ["a", "b", "c"]) {
      peer.send(m);
      assert.equal(await peer.nextText(), `${m}/answer`);
    }
    peer.ws.close(1000);
    assert.deepEqual(await seen.promise, ["a", "b", "c"]);
  });

  test("for await over a closed WebSocket yields nothing (test_closed_async_for)", async () => {
    const got = deferred<number>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await ws.close();
      let n = 0;
      for await (const _ of ws) n++;
      got.resolve(n);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    await peer.closed;
    assert.equal(await got.promise, 0);
  });
});

describe("WebSocketResponse: limits and timeouts", () => {
  test("a message over maxMsgSize closes with 1009 and an ERROR message", async () => {
    const got = deferred<unknown[]>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ maxMsgSize: 1024 });
      await ws.prepare(request);
      const ok = await ws.receiveStr();
      const msg = await ws.receive();
      const e = ws.exception();
      got.resolve([
        ok,
        msg.type,
        e instanceof web.WebSocketError && e.code,
        ws.closeCode,
        (await ws.receive()).type,
      ]);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send("x".repeat(1024));
    peer.send("x".repeat(1025));
    assert.equal((await peer.closed).code, 1009);
    assert.deepEqual(await got.promise, ["x".repeat(1024), WSMsgType.ERROR, 1009, 1009, WSMsgType.CLOSED]);
  });

  test("maxMsgSize: 0 means no limit", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ maxMsgSize: 0 });
      await ws.prepare(request);
      await ws.sendStr(String((await ws.receiveBytes()).length));
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send(Buffer.alloc(5 * 1024 * 1024));
    assert.equal(await peer.nextText(), String(5 * 1024 * 1024));
  });

  test("receive(timeout) throws TimeoutError and keeps the connection open (test_receive_timeout_keeps_connection_open)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await assert.rejects(async () => ws.receive(0.05), asyncio.TimeoutError);
      assert.equal(ws.closed, false);
      await ws.sendStr("timed out");
      await ws.sendStr(await ws.receiveStr());
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.equal(await peer.nextText(), "timed out");
    peer.send("still here");
    assert.equal(await peer.nextText(), "still here");
  });

  test("the receiveTimeout option applies to every receive (test_custom_receive_timeout)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ receiveTimeout: 0.05 });
      await ws.prepare(request);
      await assert.rejects(ws.receiveStr(), asyncio.TimeoutError);
      await ws.sendStr("timed out");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.equal(await peer.nextText(), "timed out");
  });

  test("a cancelled receive() keeps the connection open (test_receive_being_cancelled_keeps_connection_open)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      const t = asyncio.createTask(() => ws.receive());
      await asyncio.sleep(0.01);
      t.cancel();
      await assert.rejects(t, asyncio.CancelledError);
      await ws.sendStr("cancelled");
      await ws.sendStr(await ws.receiveStr());
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.equal(await peer.nextText(), "cancelled");
    peer.send("again");
    assert.equal(await peer.nextText(), "again");
  });

  test("two concurrent receive() calls: the second throws RuntimeError", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      // receive() runs when awaited, like a coroutine: the first one waits in a task of its own.
      const first = asyncio.createTask(ws.receive());
      await asyncio.sleep(0);
      await assert.rejects(async () => ws.receive(), asyncio.RuntimeError);
      await ws.sendStr("ready");
      assert.equal((await first).data, "one");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.equal(await peer.nextText(), "ready");
    peer.send("one");
    assert.equal((await peer.closed).code, 1000);
  });

  test("invalid options throw ValueError", () => {
    assert.throws(() => new WebSocketResponse({ heartbeat: -1 }), asyncio.ValueError);
    assert.throws(() => new WebSocketResponse({ receiveTimeout: 0 }), asyncio.ValueError);
    assert.throws(() => new WebSocketResponse({ maxMsgSize: 1.5 }), asyncio.ValueError);
    assert.throws(() => new WebSocketResponse({ protocols: [""] }), asyncio.ValueError);
  });
});

describe("WebSocketResponse: ping, pong, heartbeat", () => {
  test("heartbeat pings a silent client, which stays connected (test_heartbeat)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ heartbeat: 0.02 });
      await ws.prepare(request);
      await ws.sendStr(await ws.receiveStr());
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.ok(await eventually(() => peer.pings.length >= 3));
    peer.send("alive");
    assert.equal(await peer.nextText(), "alive");
  });

  test("no pong to the heartbeat → closed, 1006, ERROR message (test_heartbeat_no_pong)", async () => {
    const got = deferred<unknown[]>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ heartbeat: 0.05 });
      await ws.prepare(request);
      const msg = await ws.receive();
      got.resolve([msg.type, ws.closeCode, ws.exception() instanceof asyncio.TimeoutError]);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server, "/", { autoPong: false });
    assert.deepEqual(await got.promise, [WSMsgType.ERROR, 1006, true]);
    assert.equal((await peer.closed).code, 1006);
    assert.ok(peer.pings.length >= 1);
  });

  test("ping() from the handler reaches the client (test_ping)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await ws.ping("data");
      await ws.receive();
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.ok(await eventually(() => peer.pings.length === 1));
    assert.deepEqual(peer.pings[0], Buffer.from("data"));
    peer.ws.close();
  });

  test("autoPing: false hands PING to receive(), pong() answers (test_client_ping, test_pong)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ autoPing: false });
      await ws.prepare(request);
      const msg = await ws.receive();
      assert.equal(msg.type, WSMsgType.PING);
      await ws.pong(msg.data as Buffer);
      await ws.ping("p2");
      const pong = await ws.receive();
      await ws.sendStr(`${pong.type}:${String(pong.data)}`);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    const pong = new Promise<Buffer>((resolve) => peer.ws.once("pong", resolve));
    peer.ws.ping("p1");
    assert.deepEqual(await pong, Buffer.from("p1"));
    assert.equal(await peer.nextText(), `${WSMsgType.PONG}:p2`);
  });

  test("autoPing (default) answers pings itself and keeps them out of receive()", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await ws.sendStr((await ws.receive()).type === WSMsgType.TEXT ? "text first" : "other");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    const pong = new Promise<Buffer>((resolve) => peer.ws.once("pong", resolve));
    peer.ws.ping("x");
    assert.deepEqual(await pong, Buffer.from("x"));
    peer.send("t");
    assert.equal(await peer.nextText(), "text first");
  });
});

describe("WebSocketResponse: handshake", () => {
  test("protocols: the first server protocol the client offers is chosen (test_handle_protocol)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ protocols: ["foo", "bar"] });
      await ws.prepare(request);
      await ws.sendStr(String(ws.wsProtocol));
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server, "/", { protocols: ["baz", "bar", "foo"] });
    assert.equal(peer.ws.protocol, "foo");
    assert.equal(await peer.nextText(), "foo");
  });

  test("protocols: none in common → no protocol", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ protocols: ["foo"] });
      await ws.prepare(request);
      await ws.sendStr(String(ws.wsProtocol));
      return ws;
    });
    await using server = await new TestServer(app).start();
    const plain = await Peer.open(server);
    assert.equal(await plain.nextText(), "null");
    // A client that insists on a protocol the server does not speak refuses the connection itself.
    await assert.rejects(Peer.open(server, "/", { protocols: ["other"] }));
  });

  test("a plain GET to a WebSocket handler is a 400 (test_websocket_can_prepare)", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      assert.equal(ws.canPrepare(request).ok, false);
      await ws.prepare(request);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const r = await fetch(server.makeUrl("/"));
    assert.equal(r.status, 400);
    assert.match(await r.text(), /No WebSocket UPGRADE hdr/);
  });

  test("an upgrade with a bad key or version is a 400 written on the socket", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const badKey = await httpRequest(server.makeUrl("/"), {
      headers: { ...UPGRADE_HEADERS, "Sec-WebSocket-Key": "short" },
    });
    assert.equal(badKey.status, 400);
    assert.match(badKey.body.toString(), /Handshake error/);
    const badVersion = await httpRequest(server.makeUrl("/"), {
      headers: { ...UPGRADE_HEADERS, "Sec-WebSocket-Version": "99" },
    });
    assert.equal(badVersion.status, 400);
    assert.match(badVersion.body.toString(), /Unsupported version/);
  });

  test("an upgrade request to a plain handler gets its plain HTTP response", async () => {
    const app = new web.Application();
    app.router.addGet("/", () => new web.Response({ text: "plain" }));
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"), { headers: UPGRADE_HEADERS });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), "plain");
    await assert.rejects(Peer.open(server), /HTTP 200/);
  });

  test("an upgrade request goes through middlewares and the router (404, middleware headers)", async () => {
    const app = new web.Application({
      middlewares: [
        async (request, handler) => {
          const resp = await handler(request);
          if (!(resp instanceof WebSocketResponse)) resp.headers.set("X-Mw", "1");
          request.set("mw", true);
          return resp;
        },
      ],
    });
    app.router.addGet("/ws", async (request) => {
      const ws = new WebSocketResponse();
      ws.headers.set("X-Custom", "yes");
      await ws.prepare(request);
      await ws.sendStr("via router");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const missing = await httpRequest(server.makeUrl("/nope"), { headers: UPGRADE_HEADERS });
    assert.equal(missing.status, 404);
    const headers = deferred<Record<string, unknown>>();
    const url = server.makeUrl("/ws").href.replace(/^http/, "ws");
    const ws = new WebSocket(url);
    ws.once("upgrade", (res) => headers.resolve(res.headers));
    const peer = new Peer(ws);
    assert.equal(await peer.nextText(), "via router");
    assert.equal((await headers.promise)["x-custom"], "yes");
  });

  test("a POST upgrade to a WebSocket handler is a 405", async () => {
    const app = new web.Application();
    app.router.addRoute("*", "/", async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const r = await httpRequest(server.makeUrl("/"), { method: "POST", headers: UPGRADE_HEADERS });
    assert.equal(r.status, 405);
  });

  test("a client reset before the handshake: prepare() throws ConnectionResetError, the server goes on", async () => {
    const arrived = deferred();
    const gone = deferred();
    const got = deferred<unknown>();
    const app = appWith(async (request) => {
      if (request.query.get("first") === "1") {
        arrived.resolve();
        await gone.promise;
        await asyncio.sleep(0.02);
        const ws = new WebSocketResponse();
        try {
          await ws.prepare(request);
        } catch (e) {
          got.resolve(e);
          throw e;
        }
        return ws;
      }
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await ws.sendStr("second");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const socket = net.connect(server.port, "127.0.0.1");
    socket.on("error", () => {});
    socket.write(
      `GET /?first=1 HTTP/1.1\r\nHost: x\r\n${Object.entries(UPGRADE_HEADERS)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("")}\r\n`,
    );
    await arrived.promise;
    socket.resetAndDestroy();
    gone.resolve();
    assert.ok((await got.promise) instanceof asyncio.ConnectionResetError);
    const peer = await Peer.open(server);
    assert.equal(await peer.nextText(), "second");
  });

  test("prepare() twice is harmless; write() is refused", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await ws.prepare(request);
      assert.equal(ws.prepared, true);
      assert.equal(ws.status, 101);
      await assert.rejects(ws.write("x"), asyncio.RuntimeError);
      await ws.sendStr("ok");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    assert.equal(await peer.nextText(), "ok");
  });

  test("receive() before prepare() throws RuntimeError", async () => {
    const ws = new WebSocketResponse();
    await assert.rejects(async () => ws.receive(), asyncio.RuntimeError);
    await assert.rejects(ws.sendStr("x"), asyncio.RuntimeError);
    await assert.rejects(ws.close(), asyncio.RuntimeError);
  });
});

describe("WebSocketResponse: flow control, cancellation, shutdown", () => {
  test("send waits while the peer does not read (no unbounded buffer)", async () => {
    const N = 200;
    let sent = 0;
    const done = deferred();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse({ compress: false });
      await ws.prepare(request);
      const chunk = Buffer.alloc(256 * 1024, 1);
      for (let i = 0; i < N; i++) {
        await ws.sendBytes(chunk);
        sent++;
      }
      done.resolve();
      await ws.receive();
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    const socket = (peer.ws as unknown as { _socket: import("node:net").Socket })._socket;
    socket.pause();
    // The sender stalls: its count stops growing well before N.
    let last = -1;
    let stable = 0;
    while (stable < 20) {
      await asyncio.sleep(0.01);
      if (sent === last) stable++;
      else [last, stable] = [sent, 0];
    }
    assert.ok(sent < N, `all ${N} messages were buffered`);
    socket.resume();
    await done.promise;
    let received = 0;
    while (received < N) {
      const m = await peer.next();
      assert.ok(m?.binary);
      received++;
    }
    peer.ws.close();
  });

  test("a handler that does not read pauses the peer, and every message arrives in order", async () => {
    const start = deferred();
    const N = 400;
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      await start.promise;
      for (let i = 0; i < N; i++) {
        const b = await ws.receiveBytes();
        if (b.readUInt32BE(0) !== i) throw new Error(`out of order at ${i}`);
      }
      await ws.sendStr("all read");
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    for (let i = 0; i < N; i++) {
      const b = Buffer.alloc(128 * 1024);
      b.writeUInt32BE(i, 0);
      peer.send(b);
    }
    // The server stops reading: the client's own buffer fills.
    assert.ok(await eventually(() => peer.ws.bufferedAmount > 0));
    start.resolve();
    assert.equal(await peer.nextText(), "all read");
  });

  test("a cancelled handler closes its WebSocket (1001)", async () => {
    const task = deferred<{ task: asyncio.Task<unknown> }>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      task.resolve({ task: request.task! });
      await ws.receive();
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    (await task.promise).task.cancel();
    assert.equal((await peer.closed).code, 1001);
  });

  test("runner.cleanup() closes open WebSockets with 1001 (test_websocket_shutdown)", async () => {
    const ended = deferred<number | null>();
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      for await (const msg of ws) await ws.sendStr(msg.data as string);
      ended.resolve(ws.closeCode);
      return ws;
    });
    const server = await new TestServer(app).start();
    const peer = await Peer.open(server);
    peer.send("before");
    assert.equal(await peer.nextText(), "before");
    await server.runner.cleanup();
    assert.deepEqual(await peer.closed, { code: 1001, reason: "server shutdown" });
    assert.equal(await ended.promise, 1001);
    await server.close();
  });

  test("an open WebSocket outlives the server's request and headers timeouts", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      for await (const msg of ws) await ws.sendStr(msg.data as string);
      return ws;
    });
    await using server = await new TestServer(app, { requestTimeout: 0.04, headersTimeout: 0.04 }).start();
    const peer = await Peer.open(server);
    // Several of Node's connection checks (every 10 ms here) run while the socket is idle.
    await asyncio.sleep(0.3);
    peer.send("still open");
    assert.equal(await peer.nextText(), "still open");
    peer.ws.close();
    assert.equal((await peer.closed).code, 1005);
  });

  test("several clients at once each get their own echo", async () => {
    const app = appWith(async (request) => {
      const ws = new WebSocketResponse();
      await ws.prepare(request);
      for await (const msg of ws) await ws.sendStr(`${request.query.get("n")}:${msg.data}`);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const peers = await Promise.all([1, 2, 3, 4, 5].map((n) => Peer.open(server, `/?n=${n}`)));
    for (const [i, p] of peers.entries()) p.send(`hello${i}`);
    const answers = await Promise.all(peers.map((p) => p.nextText()));
    assert.deepEqual(
      answers,
      [1, 2, 3, 4, 5].map((n) => `${n}:hello${n - 1}`),
    );
    for (const p of peers) p.ws.close();
    await Promise.all(peers.map((p) => p.closed));
  });
});
