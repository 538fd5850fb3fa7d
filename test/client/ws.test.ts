// Port of the behaviour checked by aiohttp's tests/test_client_ws_functional.py and
// tests/test_client_ws.py for the client's WebSockets (`ClientWebSocketResponse`): each test names the
// aiohttp test it follows, or the behaviour it pins down. The servers are our own (`TestServer` and a
// `WebSocketResponse` handler), a raw `ws` `WebSocketServer`, or a raw `net` server for handshakes
// that no WebSocket server would answer. Every server a test starts is closed by it; tests assert
// outcomes, never durations.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { describe, test } from "node:test";
import { type WebSocket, WebSocketServer, type ServerOptions as WSServerOptions } from "ws";
import {
  ClientConnectorCertificateError,
  ClientConnectorError,
  NonHttpUrlClientError,
  ServerTimeoutError,
  WSServerHandshakeError,
} from "../../src/client/errors.js";
import {
  type ClientWebSocketResponse,
  connectWebSocket,
  type WSConnectOptions,
} from "../../src/client/ws.js";
import * as asyncio from "../../src/index.js";
import { TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { netServer, selfSignedCert } from "./helpers.js";

const { WSMsgType, WSCloseCode, WebSocketResponse, WebSocketError } = web;

/** The client under test: `connectWebSocket` today, `session.wsConnect` once the session has it. */
function wsConnect(
  url: URL | string,
  options: WSConnectOptions = {},
  context: { headers?: Record<string, string>; handshakeTimeout?: number | null } = {},
): Promise<ClientWebSocketResponse> {
  return connectWebSocket(typeof url === "string" ? new URL(url) : url, options, {
    headers: context.headers ?? {},
    handshakeTimeout: context.handshakeTimeout === undefined ? 10 : context.handshakeTimeout,
  });
}

/** Run `body` on a fresh aiots loop. */
function run<T>(body: () => Promise<T>): Promise<T> {
  return asyncio.run(body);
}

/** An app with one handler at `/`. */
function appWith(handler: web.Handler, path = "/"): web.Application {
  const app = new web.Application();
  app.router.addGet(path, handler);
  return app;
}

/** Our server with one WebSocket handler; `ws://…/` is `server.makeUrl("/")`. */
async function serve(handler: web.Handler, path = "/"): Promise<TestServer> {
  return await new TestServer(appWith(handler, path)).start();
}

/** Our server whose handler prepares a `WebSocketResponse(options)` and runs `body` on it. */
function serveWs(
  body: (ws: web.WebSocketResponse, request: web.Request) => Promise<void>,
  options?: ConstructorParameters<typeof WebSocketResponse>[0],
): Promise<TestServer> {
  return serve(async (request) => {
    const ws = new WebSocketResponse(options);
    await ws.prepare(request);
    await body(ws, request);
    return ws;
  });
}

/** A WebSocket server that only waits for one message (or the close). */
const idleWsServer = (): Promise<TestServer> =>
  serveWs(async (ws) => {
    await ws.receive();
  });

/** A raw `ws` server on 127.0.0.1 and a free port; `await using` closes it (and its clients). */
async function rawWsServer(
  onConnection: (ws: WebSocket, req: IncomingMessage) => void,
  options: Omit<WSServerOptions, "port" | "host" | "server" | "noServer"> = {},
): Promise<{ url: URL; wss: WebSocketServer; [Symbol.asyncDispose](): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, ...options });
  wss.on("connection", onConnection);
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const port = (wss.address() as net.AddressInfo).port;
  return {
    url: new URL(`ws://127.0.0.1:${port}/`),
    wss,
    async [Symbol.asyncDispose]() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** A raw TCP server on 127.0.0.1 (`netServer`): `onSocket` gets each connection; `sockets` holds those still open. */
async function rawTcpServer(
  onSocket: (socket: net.Socket) => void,
): Promise<{ url: URL; sockets: Set<net.Socket>; [Symbol.asyncDispose](): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = await netServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.resume(); // read (and drop) what comes, so that the client's close is seen
    onSocket(s);
  });
  return {
    url: new URL(`ws://127.0.0.1:${server.port}/`),
    sockets,
    [Symbol.asyncDispose]: () => server.close(),
  };
}

/** Read a request head from `socket`; returns its header lines, lowercased names. */
function readHead(socket: net.Socket): Promise<Map<string, string>> {
  return new Promise((resolve) => {
    let buf = "";
    const onData = (chunk: Buffer) => {
      buf += chunk.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      const headers = new Map<string, string>();
      for (const line of buf.slice(0, end).split("\r\n").slice(1)) {
        const i = line.indexOf(":");
        headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      resolve(headers);
    };
    socket.on("data", onData);
  });
}

/** The Sec-WebSocket-Accept of a key. */
function acceptOf(key: string): string {
  return createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
}

/** A raw server that completes the handshake and then reads nothing and answers nothing. */
function deafServer() {
  return rawTcpServer(async (socket) => {
    const h = await readHead(socket);
    socket.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptOf(h.get("sec-websocket-key") ?? "")}\r\n\r\n`,
    );
  });
}

describe("ClientWebSocketResponse: messages", () => {
  test("echo text (test_send_recv_text)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        const msg = await ws.receiveStr();
        await ws.sendStr(`${msg}/answer`);
        await ws.close();
      });
      const ws = await wsConnect(server.makeUrl("/"));
      await ws.sendStr("ask");
      const msg = await ws.receive();
      assert.equal(msg.type, WSMsgType.TEXT);
      assert.equal(msg.data, "ask/answer");
      assert.equal((await ws.receive()).type, WSMsgType.CLOSE);
      assert.equal(ws.closeCode, 1000);
    }));

  test("echo bytes (test_send_recv_bytes)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        const msg = await ws.receiveBytes();
        await ws.sendBytes(Buffer.concat([msg, Buffer.from("/answer")]));
        await ws.close();
      });
      const ws = await wsConnect(server.makeUrl("/"));
      await ws.sendBytes(new TextEncoder().encode("ask"));
      const data = await ws.receiveBytes();
      assert.ok(Buffer.isBuffer(data));
      assert.deepEqual(data, Buffer.from("ask/answer"));
      await ws.close();
    }));

  test("echo JSON, with custom dumps and loads (test_send_recv_json)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        const data = (await ws.receiveJson()) as { request: string };
        await ws.sendJson({ response: data.request });
        await ws.close();
      });
      const ws = await wsConnect(server.makeUrl("/"));
      await ws.sendJson({ request: "test" }, { dumps: (d) => JSON.stringify(d, null, 1) });
      const loaded: string[] = [];
      const data = await ws.receiveJson({
        loads: (t) => {
          loaded.push(t);
          return JSON.parse(t);
        },
      });
      assert.deepEqual(data, { response: "test" });
      assert.equal(loaded.length, 1);
      await ws.close();
    }));

  test("receiveStr() of a binary message throws WSMessageTypeError (test_send_recv_bytes_bad_type)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        await ws.sendBytes(Buffer.from("bytes"));
        await ws.receive();
      });
      const ws = await wsConnect(server.makeUrl("/"));
      await assert.rejects(async () => ws.receiveStr(), web.WSMessageTypeError);
      await ws.close();
    }));

  test("receiveBytes() of a text message throws WSMessageTypeError (test_send_recv_text_bad_type)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        await ws.sendStr("text");
        await ws.receive();
      });
      const ws = await wsConnect(server.makeUrl("/"));
      await assert.rejects(async () => ws.receiveBytes(), web.WSMessageTypeError);
      await ws.close();
    }));

  test("receiveStr() once the server closed throws WSMessageTypeError (test_recv_text_after_close)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        await ws.close();
      });
      const ws = await wsConnect(server.makeUrl("/"));
      await assert.rejects(async () => ws.receiveStr(), web.WSMessageTypeError);
      assert.ok(ws.closed);
    }));

  test("sendStr/sendBytes refuse the wrong type with ArgumentTypeError (test_send_data_type_errors)", () =>
    run(async () => {
      await using server = await idleWsServer();
      const ws = await wsConnect(server.makeUrl("/"));
      await assert.rejects(ws.sendStr(42 as unknown as string), asyncio.ArgumentTypeError);
      await assert.rejects(ws.sendBytes("text" as unknown as Uint8Array), asyncio.ArgumentTypeError);
      await assert.rejects(
        ws.sendJson({}, { dumps: () => 1 as unknown as string }),
        asyncio.ArgumentTypeError,
      );
      await ws.close();
    }));

  test("messages in both directions arrive in order, large and unicode ones intact", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        for await (const msg of ws) {
          if (msg.type === WSMsgType.TEXT) await ws.sendStr(msg.data);
          else if (msg.type === WSMsgType.BINARY) await ws.sendBytes(msg.data);
        }
      });
      const ws = await wsConnect(server.makeUrl("/"));
      const big = Buffer.alloc(300_000, 7);
      const sent: Array<string | Buffer> = ["é€😀", big, ...Array.from({ length: 100 }, (_, i) => `m${i}`)];
      for (const m of sent) await (typeof m === "string" ? ws.sendStr(m) : ws.sendBytes(m));
      for (const m of sent) {
        const got = await ws.receive();
        assert.deepEqual(got.data, m);
      }
      await ws.close();
    }));

  test("for await yields the messages and ends at the server's close (test_ws_client_async_for)", () =>
    run(async () => {
      const items = ["q1", "q2", "q3"];
      await using server = await serveWs(async (ws) => {
        for (const i of items) await ws.sendStr(i);
        await ws.close();
      });
      const ws = await wsConnect(server.makeUrl("/"));
      const got: unknown[] = [];
      for await (const msg of ws) got.push(msg.data);
      assert.deepEqual(got, items);
      assert.ok(ws.closed);
    }));

  test("close() inside for await ends the loop (test_closed_async_for)", () =>
    run(async () => {
      const done = new asyncio.Future<void>();
      await using server = await serveWs(async (ws) => {
        try {
          await ws.sendBytes(Buffer.from("started"));
          await ws.receiveBytes();
        } finally {
          done.setResult();
        }
      });
      const ws = await wsConnect(server.makeUrl("/"));
      const messages: web.WSMessage[] = [];
      for await (const msg of ws) {
        messages.push(msg);
        await ws.sendBytes(Buffer.from("ask"));
        await ws.close();
      }
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.type, WSMsgType.BINARY);
      assert.deepEqual(messages[0]!.data, Buffer.from("started"));
      assert.ok(ws.closed);
      await done;
    }));

  test("compress (default) negotiates permessage-deflate; compress: false does not (test_send_recv_compress, test_ws_connect_deflate_server_not_support)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        const text = await ws.receiveStr();
        await ws.sendStr(text.toUpperCase());
        await ws.receive();
      });
      const a = await wsConnect(server.makeUrl("/"));
      assert.equal(a.compress, true);
      await a.sendStr("x".repeat(10_000));
      assert.equal(await a.receiveStr(), "X".repeat(10_000));
      await a.close();
      const b = await wsConnect(server.makeUrl("/"), { compress: false });
      assert.equal(b.compress, false);
      await b.sendStr("plain");
      assert.equal(await b.receiveStr(), "PLAIN");
      await b.close();
    }));
});

describe("ClientWebSocketResponse: closing", () => {
  test("close(): true, closed, closeCode 1000, then receive() gives CLOSED (test_close)", () =>
    run(async () => {
      const serverSaw = new asyncio.Future<[number, unknown]>();
      await using server = await serveWs(async (ws) => {
        await ws.receiveBytes();
        const msg = await ws.receive();
        serverSaw.setResult([msg.type, msg.data]);
      });
      const ws = await wsConnect(server.makeUrl("/"));
      await ws.sendBytes(Buffer.from("ask"));
      assert.equal(await ws.close(), true);
      assert.ok(ws.closed);
      assert.equal(ws.closeCode, 1000);
      assert.equal((await ws.receive()).type, WSMsgType.CLOSED);
      assert.deepEqual(await serverSaw, [WSMsgType.CLOSE, 1000]);
      assert.equal(await ws.close(), false, "a second close() does nothing");
    }));

  test("close() with a code and a message reaches the server", () =>
    run(async () => {
      const serverSaw = new asyncio.Future<[unknown, unknown]>();
      await using server = await serveWs(async (ws) => {
        const msg = await ws.receive();
        serverSaw.setResult([msg.data, msg.extra]);
      });
      const ws = await wsConnect(server.makeUrl("/"));
      assert.equal(await ws.close({ code: 4001, message: "going" }), true);
      assert.equal(ws.closeCode, 4001);
      assert.deepEqual(await serverSaw, [4001, "going"]);
      await assert.rejects(ws.close({ code: 1005 }), asyncio.ValueError);
      await assert.rejects(ws.close({ message: "x".repeat(124) }), asyncio.ValueError);
    }));

  test("the server's close: CLOSE with its code and reason, closed, then CLOSED (test_close_from_server)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        await ws.receiveBytes();
        await ws.close({ code: 4000, message: "bye" });
      });
      const ws = await wsConnect(server.makeUrl("/"));
      await ws.sendBytes(Buffer.from("ask"));
      const msg = await ws.receive();
      assert.equal(msg.type, WSMsgType.CLOSE);
      assert.equal(msg.data, 4000);
      assert.equal(msg.extra, "bye");
      assert.ok(ws.closed);
      assert.equal(ws.closeCode, 4000);
      assert.equal((await ws.receive()).type, WSMsgType.CLOSED);
      assert.equal((await ws.receive()).type, WSMsgType.CLOSED, "CLOSED again, never an error");
    }));

  test("autoclose: false — CLOSE leaves closed false until close() (test_close_manual)", () =>
    run(async () => {
      const handlerClosed = new asyncio.Future<boolean>();
      await using server = await serveWs(async (ws) => {
        await ws.receiveBytes();
        await ws.sendStr("test");
        handlerClosed.setResult(await ws.close());
      });
      const ws = await wsConnect(server.makeUrl("/"), { autoclose: false });
      await ws.sendBytes(Buffer.from("ask"));
      assert.equal(await ws.receiveStr(), "test");
      const msg = await ws.receive();
      assert.equal(msg.type, WSMsgType.CLOSE);
      assert.equal(msg.data, 1000);
      assert.equal(msg.extra, "");
      assert.equal(ws.closed, false);
      await assert.rejects(ws.sendStr("late"), asyncio.ConnectionResetError);
      assert.equal(await ws.close(), true);
      assert.ok(ws.closed);
      assert.equal(ws.closeCode, 1000);
      assert.equal(await handlerClosed, true);
    }));

  test("autoclose: false — the receive() after CLOSE gives CLOSED and closes (test_close_manual)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        await ws.close({ code: 4002 });
      });
      const ws = await wsConnect(server.makeUrl("/"), { autoclose: false });
      assert.equal((await ws.receive()).type, WSMsgType.CLOSE);
      assert.equal(ws.closed, false);
      assert.equal((await ws.receive()).type, WSMsgType.CLOSED);
      assert.ok(ws.closed);
      assert.equal(ws.closeCode, 4002);
      assert.equal(await ws.close(), false);
    }));

  test("close() while another task waits in receive(): that receive gets CLOSING (test_concurrent_task_close)", () =>
    run(async () => {
      await using server = await idleWsServer();
      const ws = await wsConnect(server.makeUrl("/"));
      const reader = asyncio.createTask(async () => (await ws.receive()).type);
      await asyncio.sleep(0);
      assert.equal(await ws.close(), true);
      assert.equal(await reader, WSMsgType.CLOSING);
      assert.ok(ws.closed);
      assert.equal(ws.closeCode, 1000);
      assert.equal((await ws.receive()).type, WSMsgType.CLOSED);
    }));

  test("two close() at once: both finish, one of them did the close (test_concurrent_close_multiple_tasks)", () =>
    run(async () => {
      await using server = await idleWsServer();
      const ws = await wsConnect(server.makeUrl("/"));
      const results = await asyncio.gather(
        () => ws.close(),
        () => ws.close(),
      );
      assert.deepEqual([...results].sort(), [false, true]);
      assert.equal((await ws.receive()).type, WSMsgType.CLOSED);
    }));

  test("a server that never answers the close: 1006 and a TimeoutError after `timeout` (test_close_timeout_sock_close_read)", () =>
    run(async () => {
      await using server = await deafServer();
      const ws = await wsConnect(server.url, { timeout: 0.05, autoclose: false });
      assert.equal(await ws.close(), true);
      assert.ok(ws.closed);
      assert.equal(ws.closeCode, WSCloseCode.ABNORMAL_CLOSURE);
      assert.ok(ws.exception() instanceof asyncio.TimeoutError);
    }));

  test("a cancelled close() still closes, with no exception (test_close_cancel)", () =>
    run(async () => {
      await using server = await deafServer();
      const ws = await wsConnect(server.url, { timeout: 5 });
      const t = asyncio.createTask(() => ws.close());
      await asyncio.sleep(0);
      t.cancel();
      await assert.rejects(t, asyncio.CancelledError);
      assert.ok(ws.closed);
      assert.equal(ws.exception(), null);
    }));

  test("sending after the close throws ConnectionResetError (test_send_data_after_close)", () =>
    run(async () => {
      await using server = await idleWsServer();
      const ws = await wsConnect(server.makeUrl("/"));
      await ws.close();
      await assert.rejects(ws.sendStr("s"), asyncio.ConnectionResetError);
      await assert.rejects(ws.sendBytes(Buffer.from("b")), asyncio.ConnectionResetError);
      await assert.rejects(ws.sendJson({}), asyncio.ConnectionResetError);
      await assert.rejects(ws.ping(), asyncio.ConnectionResetError);
      await assert.rejects(ws.pong(), asyncio.ConnectionResetError);
    }));

  test("the server vanishing: receive() gives CLOSED, closeCode 1006 (test_peer_connection_lost)", () =>
    run(async () => {
      await using server = await rawWsServer((peer) => {
        peer.on("message", () => {
          peer.send("answer");
          peer.terminate();
        });
      });
      const ws = await wsConnect(server.url);
      await ws.sendStr("ask");
      assert.equal(await ws.receiveStr(), "answer");
      assert.equal((await ws.receive()).type, WSMsgType.CLOSED);
      assert.equal(ws.closeCode, WSCloseCode.ABNORMAL_CLOSURE);
      assert.equal(await ws.close(), false);
    }));

  test("for await ends when the server vanishes (test_peer_connection_lost_iter)", () =>
    run(async () => {
      await using server = await rawWsServer((peer) => {
        peer.on("message", () => {
          peer.send("answer");
          peer.terminate();
        });
      });
      const ws = await wsConnect(server.url);
      await ws.sendStr("ask");
      const got: unknown[] = [];
      for await (const msg of ws) got.push(msg.data);
      assert.deepEqual(got, ["answer"]);
    }));

  test("await using closes the connection (test_ws_async_with)", () =>
    run(async () => {
      const serverSaw = new asyncio.Future<number>();
      await using server = await serveWs(async (ws) => {
        const msg = await ws.receive();
        await ws.sendStr(`${msg.data}/answer`);
        serverSaw.setResult((await ws.receive()).type);
      });
      let outer: ClientWebSocketResponse | null = null;
      {
        await using ws = await wsConnect(server.makeUrl("/"));
        outer = ws;
        await ws.sendStr("request");
        assert.equal(await ws.receiveStr(), "request/answer");
      }
      assert.ok(outer.closed);
      assert.equal(await serverSaw, WSMsgType.CLOSE);
    }));
});

describe("ClientWebSocketResponse: ping, heartbeat, limits, timeouts", () => {
  test("autoPing (default) answers the server's pings and keeps them out of receive() (test_ping_pong)", () =>
    run(async () => {
      const pongs: string[] = [];
      await using server = await rawWsServer((peer) => {
        peer.on("pong", (d) => {
          pongs.push(d.toString());
          peer.send("after pong");
        });
        peer.ping("payload");
      });
      const ws = await wsConnect(server.url);
      assert.equal(await ws.receiveStr(), "after pong");
      assert.deepEqual(pongs, ["payload"]);
      await ws.close();
    }));

  test("autoPing: false hands PING and PONG to receive(); pong() answers (test_ping_pong_manual)", () =>
    run(async () => {
      const pongs: string[] = [];
      await using server = await rawWsServer((peer) => {
        peer.on("pong", (d) => pongs.push(d.toString()));
        peer.on("ping", () => peer.send("pinged"));
        peer.ping("from server");
      });
      const ws = await wsConnect(server.url, { autoPing: false });
      const ping = await ws.receive();
      assert.equal(ping.type, WSMsgType.PING);
      assert.deepEqual(ping.data, Buffer.from("from server"));
      await ws.pong(ping.data as Buffer);
      await ws.ping("from client");
      const pong = await ws.receive();
      assert.equal(pong.type, WSMsgType.PONG, "ws answers our ping");
      assert.deepEqual(pong.data, Buffer.from("from client"));
      assert.equal(await ws.receiveStr(), "pinged");
      assert.deepEqual(pongs, ["from server"]);
      await ws.close();
    }));

  test("heartbeat pings the server (test_heartbeat)", () =>
    run(async () => {
      const serverGot = new asyncio.Future<number>();
      await using server = await serveWs(
        async (ws) => {
          const msg = await ws.receive();
          if (msg.type === WSMsgType.PING) await ws.pong(msg.data);
          serverGot.setResult(msg.type);
          await ws.close();
        },
        { autoPing: false },
      );
      // The pong comes back within half the heartbeat (generous here: a loaded machine is slow).
      const ws = await wsConnect(server.makeUrl("/"), { heartbeat: 0.3 });
      assert.equal(await serverGot, WSMsgType.PING);
      assert.equal((await ws.receive()).type, WSMsgType.CLOSE);
      assert.equal(ws.closeCode, 1000);
    }));

  test("heartbeat with no pong: ERROR (ServerTimeoutError), closed, 1006 (test_heartbeat_no_pong)", () =>
    run(async () => {
      let pings = 0;
      await using server = await rawWsServer(
        (peer) => {
          peer.on("ping", () => pings++);
        },
        { autoPong: false },
      );
      const ws = await wsConnect(server.url, { heartbeat: 0.02 });
      const msg = await ws.receive();
      assert.equal(msg.type, WSMsgType.ERROR);
      assert.ok(msg.data instanceof ServerTimeoutError);
      assert.ok(msg.data instanceof asyncio.TimeoutError);
      assert.equal(ws.exception(), msg.data);
      assert.ok(ws.closed);
      assert.equal(ws.closeCode, WSCloseCode.ABNORMAL_CLOSURE);
      assert.ok(pings >= 1);
      assert.equal((await ws.receive()).type, WSMsgType.CLOSED);
    }));

  test("a heartbeat answered keeps the connection open", () =>
    run(async () => {
      let pings = 0;
      await using server = await rawWsServer((peer) => {
        peer.on("ping", () => {
          if (++pings === 2) peer.send("two pings");
        });
      });
      const ws = await wsConnect(server.url, { heartbeat: 0.2 });
      assert.equal(await ws.receiveStr(), "two pings");
      assert.equal(ws.closed, false);
      await ws.close();
      assert.equal(ws.closeCode, 1000);
    }));

  test("a message over maxMsgSize: ERROR with code 1009, closeCode 1009 (test_recv_protocol_error, max_msg_size)", () =>
    run(async () => {
      const serverSaw = new asyncio.Future<number>();
      await using server = await rawWsServer((peer) => {
        peer.on("close", (code) => serverSaw.setResult(code));
        peer.send("x".repeat(100));
      });
      const ws = await wsConnect(server.url, { maxMsgSize: 10 });
      const msg = await ws.receive();
      assert.equal(msg.type, WSMsgType.ERROR);
      assert.ok(msg.data instanceof WebSocketError);
      assert.equal((msg.data as InstanceType<typeof WebSocketError>).code, WSCloseCode.MESSAGE_TOO_BIG);
      assert.equal(ws.closeCode, WSCloseCode.MESSAGE_TOO_BIG);
      assert.ok(ws.closed);
      assert.equal(await serverSaw, WSCloseCode.MESSAGE_TOO_BIG);
    }));

  test("maxMsgSize: 0 means no limit", () =>
    run(async () => {
      await using server = await rawWsServer((peer) => peer.send(Buffer.alloc(5 * 1024 * 1024, 1)));
      const ws = await wsConnect(server.url, { maxMsgSize: 0 });
      assert.equal((await ws.receiveBytes()).length, 5 * 1024 * 1024);
      await ws.close();
    }));

  test("a frame that breaks the protocol: ERROR with WebSocketError 1002 (test_recv_protocol_error)", () =>
    run(async () => {
      await using server = await rawWsServer((peer, req) => {
        peer.on("message", () => req.socket.write(Buffer.from("01234".repeat(100))));
      });
      const ws = await wsConnect(server.url);
      await ws.sendStr("ask");
      const msg = await ws.receive();
      assert.equal(msg.type, WSMsgType.ERROR);
      assert.ok(msg.data instanceof WebSocketError);
      assert.equal((msg.data as InstanceType<typeof WebSocketError>).code, WSCloseCode.PROTOCOL_ERROR);
      assert.equal(msg.extra, null);
      assert.equal(ws.closeCode, WSCloseCode.PROTOCOL_ERROR);
      await ws.close();
    }));

  test("receive(timeout) throws TimeoutError and the connection stays usable (test_custom_receive_timeout, test_recv_timeout)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        await ws.sendStr(await ws.receiveStr());
        await ws.receive();
      });
      const ws = await wsConnect(server.makeUrl("/"));
      await assert.rejects(async () => ws.receive(0.02), asyncio.TimeoutError);
      assert.equal(ws.closed, false);
      await ws.sendStr("still here");
      assert.equal(await ws.receiveStr(), "still here");
      await ws.close();
    }));

  test("the receiveTimeout option, and a timeout() block around receive() (test_receive_timeout_sock_read)", () =>
    run(async () => {
      await using server = await idleWsServer();
      const ws = await wsConnect(server.makeUrl("/"), { receiveTimeout: 0.02 });
      await assert.rejects(async () => ws.receive(), asyncio.TimeoutError);
      await assert.rejects(async () => asyncio.timeout(0.02, () => ws.receive(null)), asyncio.TimeoutError);
      assert.equal(ws.closed, false);
      await ws.close();
    }));

  test("a cancelled receive() keeps the connection open (test_receive_being_cancelled_keeps_connection_open)", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        await ws.sendStr(await ws.receiveStr());
        await ws.receive();
      });
      const ws = await wsConnect(server.makeUrl("/"));
      const t = asyncio.createTask(() => ws.receive());
      await asyncio.sleep(0);
      t.cancel();
      await assert.rejects(t, asyncio.CancelledError);
      await ws.sendStr("again");
      assert.equal(await ws.receiveStr(), "again");
      await ws.close();
    }));

  test("two concurrent receive() calls: the second throws RuntimeError (test_receive_runtime_err)", () =>
    run(async () => {
      await using server = await idleWsServer();
      const ws = await wsConnect(server.makeUrl("/"));
      const first = asyncio.createTask(ws.receive());
      await asyncio.sleep(0);
      await assert.rejects(async () => ws.receive(), asyncio.RuntimeError);
      await ws.close();
      assert.equal((await first).type, WSMsgType.CLOSING);
    }));
});

describe("connectWebSocket: the handshake", () => {
  test("protocols: the server's choice among those offered (test_ws_connect)", () =>
    run(async () => {
      await using server = await serveWs(
        async (ws) => {
          await ws.sendStr(String(ws.wsProtocol));
          await ws.receive();
        },
        { protocols: ["chat", "other"] },
      );
      const ws = await wsConnect(server.makeUrl("/"), { protocols: ["v1", "chat"] });
      assert.equal(ws.protocol, "chat");
      assert.equal(await ws.receiveStr(), "chat");
      await ws.close();
      const none = await wsConnect(server.makeUrl("/"), { protocols: ["v1"] });
      assert.equal(none.protocol, null);
      await none.close();
      const plain = await wsConnect(server.makeUrl("/"));
      assert.equal(plain.protocol, null);
      await plain.close();
    }));

  test("a protocol the client did not offer gives protocol null, not an error (test_ws_connect_non_overlapped_protocols)", () =>
    run(async () => {
      const offered: Array<string[]> = [];
      await using server = await rawWsServer(() => {}, {
        handleProtocols: (protocols) => {
          offered.push([...protocols]);
          return "other";
        },
      });
      const ws = await wsConnect(server.url, { protocols: ["v1", "v2"] });
      assert.equal(ws.protocol, null);
      assert.deepEqual(offered, [["v1", "v2"]]);
      await ws.close();
    }));

  test("http:// URLs connect as ws://; origin and extra headers reach the server (test_ws_connect_with_origin, test_additional_headers)", () =>
    run(async () => {
      const seen = new asyncio.Future<[string | undefined, string | undefined]>();
      await using server = await serve(async (request) => {
        seen.setResult([
          request.headers.get("origin") ?? undefined,
          request.headers.get("x-hdr") ?? undefined,
        ]);
        const ws = new WebSocketResponse();
        await ws.prepare(request);
        await ws.receive();
        return ws;
      });
      const url = server.makeUrl("/");
      assert.equal(url.protocol, "http:");
      const ws = await wsConnect(url, { origin: "http://example.com" }, { headers: { "X-Hdr": "xtra" } });
      assert.deepEqual(await seen, ["http://example.com", "xtra"]);
      await ws.close();
    }));

  test("onResponseHeaders sees the handshake's headers (cookies for the session's jar)", () =>
    run(async () => {
      await using server = await rawWsServer(() => {});
      server.wss.on("headers", (headers) => headers.push("Set-Cookie: a=1"));
      const seen: Array<string[] | undefined> = [];
      const ws = await connectWebSocket(
        server.url,
        {},
        { headers: {}, handshakeTimeout: 10, onResponseHeaders: (h) => seen.push(h["set-cookie"]) },
      );
      assert.deepEqual(seen, [["a=1"]]);
      await ws.close();
      const boom = new Error("jar refused");
      const err = await connectWebSocket(
        server.url,
        {},
        {
          headers: {},
          handshakeTimeout: 10,
          onResponseHeaders: () => {
            throw boom;
          },
        },
      ).catch((e: unknown) => e);
      assert.equal(err, boom);
    }));

  test("a refused upgrade (200, 404, 403) → WSServerHandshakeError with the status (test_ws_connect_err_status)", () =>
    run(async () => {
      const app = new web.Application();
      app.router.addGet("/plain", () => new web.Response({ text: "not a websocket" }));
      app.router.addGet("/forbidden", () => {
        throw new web.HTTPForbidden();
      });
      await using server = await new TestServer(app).start();
      for (const [path, status] of [
        ["/plain", 200],
        ["/missing", 404],
        ["/forbidden", 403],
      ] as const) {
        const err = await wsConnect(server.makeUrl(path)).catch((e: unknown) => e);
        assert.ok(err instanceof WSServerHandshakeError, `${path}: ${String(err)}`);
        assert.equal(err.status, status);
        assert.equal(err.reason, "Invalid response status");
        assert.equal(err.requestInfo?.method, "GET");
        assert.equal(err.requestInfo?.url.pathname, path);
        assert.ok(err.headers !== null);
      }
    }));

  test("a bad Sec-WebSocket-Accept → WSServerHandshakeError (test_ws_connect_err_challenge)", () =>
    run(async () => {
      await using server = await rawTcpServer(async (socket) => {
        await readHead(socket);
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBvbmU=\r\n\r\n",
        );
      });
      const err = await wsConnect(server.url).catch((e: unknown) => e);
      assert.ok(err instanceof WSServerHandshakeError, String(err));
      assert.equal(err.status, 101);
      assert.equal(err.reason, "Invalid challenge response");
    }));

  test("a 101 with a wrong Upgrade header → WSServerHandshakeError (test_ws_connect_err_upgrade)", () =>
    run(async () => {
      await using server = await rawTcpServer(async (socket) => {
        const h = await readHead(socket);
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: something\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${acceptOf(h.get("sec-websocket-key") ?? "")}\r\n\r\n`,
        );
      });
      const err = await wsConnect(server.url).catch((e: unknown) => e);
      assert.ok(err instanceof WSServerHandshakeError, String(err));
      assert.equal(err.status, 101);
      assert.equal(err.reason, "Invalid upgrade header");
    }));

  test("a refused connection → ClientConnectorError (test_ws_connect_err_conn)", () =>
    run(async () => {
      // A port that was free a moment ago: nothing listens there now.
      const probe = net.createServer();
      await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const err = await wsConnect(`ws://127.0.0.1:${port}/`).catch((e: unknown) => e);
      assert.ok(err instanceof ClientConnectorError, String(err));
      assert.ok(err instanceof asyncio.OSError);
      assert.equal(err.host, "127.0.0.1");
      assert.equal(err.port, port);
      assert.equal(err.ssl, false);
      assert.equal(err.errno, "ECONNREFUSED");
    }));

  test("a scheme other than ws/wss/http/https → NonHttpUrlClientError", () =>
    run(async () => {
      for (const url of ["ftp://127.0.0.1/", "ws+unix:/tmp/x.sock", "file:///etc/passwd"]) {
        const err = await wsConnect(url).catch((e: unknown) => e);
        assert.ok(err instanceof NonHttpUrlClientError, `${url}: ${String(err)}`);
        assert.ok(err instanceof asyncio.ValueError);
      }
    }));

  test("invalid options → ValueError / ArgumentTypeError, before any connection", () =>
    run(async () => {
      const url = "ws://127.0.0.1:9/";
      for (const opts of [
        { heartbeat: -1 },
        { heartbeat: 0 },
        { receiveTimeout: Number.NaN },
        { timeout: -5 },
        { maxMsgSize: -1 },
        { maxMsgSize: 1.5 },
        { protocols: [""] },
      ] as WSConnectOptions[])
        await assert.rejects(wsConnect(url, opts), asyncio.ValueError, JSON.stringify(opts));
      for (const opts of [
        { autoclose: "yes" },
        { autoPing: 1 },
        { compress: "no" },
        { origin: 42 },
      ] as unknown as WSConnectOptions[])
        await assert.rejects(wsConnect(url, opts), asyncio.ArgumentTypeError, JSON.stringify(opts));
      await assert.rejects(wsConnect(url, null as unknown as WSConnectOptions), asyncio.ArgumentTypeError);
      await assert.rejects(
        connectWebSocket("ws://x/" as unknown as URL, {}, { headers: {}, handshakeTimeout: 1 }),
        asyncio.ArgumentTypeError,
      );
    }));

  test("cancelling the task during the handshake drops the connection (test_websocket_connection_cancellation, test_ws_connect_close_resp_on_err)", () =>
    run(async () => {
      const connected = new asyncio.Event();
      const gone = new asyncio.Future<void>();
      await using server = await rawTcpServer((socket) => {
        connected.set();
        socket.on("close", () => {
          if (!gone.done()) gone.setResult();
        });
      });
      const t = asyncio.createTask(() => wsConnect(server.url));
      await connected.wait();
      t.cancel();
      await assert.rejects(t, asyncio.CancelledError);
      await gone;
      assert.equal(server.sockets.size, 0);
    }));

  test("a timeout() block around the handshake: TimeoutError, the connection dropped", () =>
    run(async () => {
      const gone = new asyncio.Future<void>();
      await using server = await rawTcpServer((socket) => {
        socket.on("close", () => {
          if (!gone.done()) gone.setResult();
        });
      });
      await assert.rejects(
        async () => asyncio.timeout(0.05, () => wsConnect(server.url)),
        asyncio.TimeoutError,
      );
      await gone;
    }));

  test("the handshake timeout → ServerTimeoutError, the connection dropped", () =>
    run(async () => {
      const gone = new asyncio.Future<void>();
      await using server = await rawTcpServer((socket) => {
        socket.on("close", () => {
          if (!gone.done()) gone.setResult();
        });
      });
      const err = await wsConnect(server.url, {}, { handshakeTimeout: 0.05 }).catch((e: unknown) => e);
      assert.ok(err instanceof ServerTimeoutError, String(err));
      assert.ok(err instanceof asyncio.TimeoutError);
      await gone;
    }));

  test("several clients at once, each with its own echo", () =>
    run(async () => {
      await using server = await serveWs(async (ws) => {
        for await (const msg of ws) if (msg.type === WSMsgType.TEXT) await ws.sendStr(msg.data);
      });
      const results = await asyncio.gather(
        ...Array.from({ length: 10 }, (_, i) => async () => {
          await using ws = await wsConnect(server.makeUrl("/"));
          const got: string[] = [];
          for (let j = 0; j < 20; j++) {
            await ws.sendStr(`${i}:${j}`);
            got.push(await ws.receiveStr());
          }
          return got.every((g, j) => g === `${i}:${j}`);
        }),
      );
      assert.ok(results.every(Boolean));
    }));

  test("a server shutting down closes the client with 1001 (test_websocket_shutdown, client side)", () =>
    run(async () => {
      const prepared = new asyncio.Event();
      const server = await serveWs(async (ws) => {
        prepared.set();
        await ws.receive();
      });
      try {
        const ws = await wsConnect(server.makeUrl("/"));
        await prepared.wait();
        const reader = asyncio.createTask(() => ws.receive());
        await asyncio.sleep(0);
        await server.close();
        const msg = await reader;
        assert.equal(msg.type, WSMsgType.CLOSE);
        assert.equal(msg.data, WSCloseCode.GOING_AWAY);
        assert.equal(ws.closeCode, WSCloseCode.GOING_AWAY);
      } finally {
        await server.close();
      }
    }));
});

describe("connectWebSocket: wss", () => {
  const { pem, skip } = selfSignedCert("aiots-ws-tls-");

  test(
    "wss:// with the context's TLS options; a certificate not trusted → ClientConnectorCertificateError (test_ws_connect_with_wrong_ssl_type, TLS side)",
    { skip },
    () =>
      run(async () => {
        const server = https.createServer(pem);
        const wss = new WebSocketServer({ server });
        wss.on("connection", (peer) => peer.on("message", (d, binary) => peer.send(d, { binary })));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as net.AddressInfo).port;
        try {
          const url = new URL(`wss://127.0.0.1:${port}/`);
          const ws = await connectWebSocket(
            url,
            {},
            { headers: {}, handshakeTimeout: 10, tls: { ca: pem.cert } },
          );
          await ws.sendStr("over tls");
          assert.equal(await ws.receiveStr(), "over tls");
          await ws.close();
          const err = await wsConnect(url).catch((e: unknown) => e);
          assert.ok(err instanceof ClientConnectorCertificateError, String(err));
          assert.equal(err.ssl, true);
          assert.equal(err.port, port);
        } finally {
          for (const c of wss.clients) c.terminate();
          await new Promise<void>((resolve) => wss.close(() => resolve()));
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }
      }),
  );
});
