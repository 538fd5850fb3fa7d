// The client against peers that misbehave: raw node:net servers writing exactly the bytes a test
// needs (truncated bodies, resets, garbage heads, endless redirects, stalls), after the cases of
// aiohttp's tests/test_client_functional.py that use a broken server. Each test names the aiohttp
// test it follows ("aiots:" for our own). After a failure the test checks, where it can, that the
// server saw its connection close (nothing left open). Outcomes only, never durations.
import assert from "node:assert/strict";
import type * as net from "node:net";
import { describe, test } from "node:test";
import {
  ClientConnectionError,
  ClientConnectorError,
  ClientOSError,
  ClientPayloadError,
  ClientResponseError,
  ClientSession,
  ClientTimeout,
  ServerDisconnectedError,
  ServerTimeoutError,
  SocketTimeoutError,
  TCPConnector,
  TooManyRedirects,
} from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import { deferred, errorOf, freePort, netServer, rawHttpServer } from "./helpers.js";

const run = <T>(fn: () => Promise<T>): Promise<T> => asyncio.run(fn);

/** Write a full response (`head` lines joined by CRLF, then a blank line, then `body`). */
function respond(sock: net.Socket, head: string[], body = ""): void {
  sock.write(`${head.join("\r\n")}\r\n\r\n${body}`, "latin1");
}

describe("truncated and broken bodies", () => {
  test("test_bad_payload_content_length: a Content-Length larger than what is sent, then close: ClientPayloadError", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "Content-Length: 10000"], "text");
        sock.end();
      });
      await using session = new ClientSession();
      await using resp = await session.get(server.url);
      assert.equal(resp.status, 200);
      await assert.rejects(resp.read(), ClientPayloadError);
      await server.waitClosed(1);
    }));

  test("test_broken_connection_2: the connection reset in the middle of the body: ClientPayloadError", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "Content-Length: 1000"], "answer");
        setImmediate(() => sock.resetAndDestroy());
      });
      await using session = new ClientSession();
      await using resp = await session.get(server.url);
      await assert.rejects(resp.read(), ClientPayloadError);
      await server.waitClosed(1);
    }));

  test("aiots: a chunked body cut before its last chunk: ClientPayloadError, also through content", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"], "4\r\ndata\r\n");
        setImmediate(() => sock.end());
      });
      await using session = new ClientSession();
      await using resp = await session.get(server.url);
      const e = await errorOf(async () => {
        for await (const _ of resp.content.iterChunked(2));
      });
      assert.ok(e instanceof ClientPayloadError, String(e));
      await server.waitClosed(1);
    }));

  test("test_bad_payload_chunked_encoding: a malformed chunk size: ClientPayloadError", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"], "zz\r\ndata\r\n0\r\n\r\n");
      });
      await using session = new ClientSession();
      await using resp = await session.get(server.url);
      assert.equal(resp.status, 200);
      const e = await errorOf(() => resp.read());
      assert.ok(e instanceof ClientPayloadError, String(e));
      await server.waitClosed(1);
    }));

  test("test_bad_payload_chunked_encoding (aiohttp's bytes): a chunk announced, then the end of the stream: ClientPayloadError", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"], "9\r\n\r\n");
        sock.end();
      });
      await using session = new ClientSession();
      await using resp = await session.get(server.url);
      await assert.rejects(resp.read(), ClientPayloadError);
      await server.waitClosed(1);
    }));

  test("test_payload_content_length_by_chunks: bytes past Content-Length are not part of the body", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "Content-Length: 3", "Connection: close"], "answer");
        sock.end("two");
      });
      await using session = new ClientSession();
      await using resp = await session.get(server.url);
      assert.equal((await resp.read()).toString(), "ans");
    }));

  test("aiots: a body delimited by the connection's close (HTTP/1.0, no length) is read whole", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.0 200 OK", "Content-Type: text/plain"], "until ");
        setImmediate(() => sock.end("close"));
      });
      await using session = new ClientSession();
      await using resp = await session.get(server.url);
      assert.equal(await resp.text(), "until close");
    }));
});

describe("broken heads and connections", () => {
  test("test_request_conn_closed: the server closes before answering: ServerDisconnectedError", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => sock.end());
      await using session = new ClientSession();
      const e = await errorOf(() => session.get(server.url));
      assert.ok(e instanceof ServerDisconnectedError, String(e));
      assert.ok(e instanceof ClientConnectionError);
      await server.waitClosed(1);
    }));

  test("aiots: the server resets the connection before answering: ServerDisconnectedError", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => sock.resetAndDestroy());
      await using session = new ClientSession();
      const e = await errorOf(() => session.get(server.url));
      assert.ok(e instanceof ServerDisconnectedError, String(e));
    }));

  test("aiots: a garbage status line: ClientResponseError", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        sock.end("SPAM/1.1 whatever\r\n\r\n");
      });
      await using session = new ClientSession();
      const e = await errorOf(() => session.get(server.url));
      assert.ok(e instanceof ClientResponseError, String(e));
      assert.equal(e.requestInfo?.url.href, `${server.url}/`);
      await server.waitClosed(1);
    }));

  test("aiots: invalid bytes in a header name: ClientResponseError, the connection closed", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        sock.write("HTTP/1.1 200 OK\r\nBad\x01Header: v\r\nContent-Length: 0\r\n\r\n", "latin1");
      });
      await using session = new ClientSession();
      const e = await errorOf(() => session.get(server.url));
      assert.ok(e instanceof ClientResponseError, String(e));
      await server.waitClosed(1);
    }));

  test("aiots: an invalid Content-Length: ClientResponseError", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "Content-Length: nope"], "x");
      });
      await using session = new ClientSession();
      const e = await errorOf(() => session.get(server.url));
      assert.ok(e instanceof ClientResponseError, String(e));
      await server.waitClosed(1);
    }));

  test("test_max_field_size_session_explicit: a head larger than maxHeaderSize: ClientResponseError", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", `X-Big: ${"x".repeat(20_000)}`, "Content-Length: 0"]);
      });
      await using session = new ClientSession({ connector: new TCPConnector({ maxHeaderSize: 8192 }) });
      const e = await errorOf(() => session.get(server.url));
      assert.ok(e instanceof ClientResponseError, String(e));
      await server.waitClosed(1);
    }));

  test("aiots: an informational 1xx before the response is skipped", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        sock.write("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n");
        respond(sock, ["HTTP/1.1 200 OK", "Content-Length: 2"], "ok");
      });
      await using session = new ClientSession();
      await using resp = await session.get(server.url);
      assert.equal(resp.status, 200);
      assert.equal(await resp.text(), "ok");
    }));

  test("test_request_conn_error: connection refused: ClientConnectorError with the host and port", () =>
    run(async () => {
      const port = await freePort();
      await using session = new ClientSession();
      const e = await errorOf(() => session.get(`http://127.0.0.1:${port}/`));
      assert.ok(e instanceof ClientConnectorError, String(e));
      assert.ok(e instanceof ClientOSError);
      assert.ok(e instanceof ClientConnectionError);
      assert.equal(e.host, "127.0.0.1");
      assert.equal(e.port, port);
      assert.equal(e.ssl, false);
      assert.equal(e.errno, "ECONNREFUSED");
    }));

  test("test_server_close_keepalive_connection: Connection: close and a close after each answer", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "CONTENT-LENGTH: 2", "CONNECTION: close"], "ok");
        sock.end();
      });
      await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
      for (let i = 0; i < 2; i++) {
        await using r = await session.get(server.url);
        assert.equal(await r.text(), "ok");
      }
      assert.equal(server.connections, 2);
      await server.waitClosed(2);
    }));

  test("test_handle_keepalive_on_closed_connection: a kept-alive connection the server closed is not a hang", () =>
    run(async () => {
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "CONTENT-LENGTH: 2"], "ok");
        sock.end();
      });
      await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
      {
        await using r = await session.get(server.url);
        assert.equal(await r.text(), "ok");
      }
      await server.waitClosed(1);
      // Depending on when the client notices the close, the next request either opens a new
      // connection or fails as a connection error; either way the one after it works.
      try {
        await using r = await session.get(server.url);
        assert.equal(await r.text(), "ok");
      } catch (e) {
        assert.ok(e instanceof ClientConnectionError, String(e));
      }
      await using r = await session.get(server.url);
      assert.equal(await r.text(), "ok");
    }));
});

describe("redirect loops and stalls", () => {
  test("aiots: an endless redirect loop ends in TooManyRedirects; every connection is given back", () =>
    run(async () => {
      let requests = 0;
      await using server = await rawHttpServer((_head, sock) => {
        requests++;
        respond(sock, ["HTTP/1.1 302 Found", `Location: /loop${requests}`, "Content-Length: 0"]);
      });
      await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
      const e = await errorOf(() => session.get(`${server.url}/start`, { maxRedirects: 4 }));
      assert.ok(e instanceof TooManyRedirects, String(e));
      assert.equal(e.status, 302);
      assert.equal(e.history.length, 5);
      assert.equal(requests, 5);
      assert.equal(server.connections, 1);
      // The connection slot (limit 1) is free again.
      const e2 = await errorOf(() => session.get(`${server.url}/again`, { maxRedirects: 0 }));
      assert.ok(e2 instanceof TooManyRedirects);
    }));

  test("test_read_timeout: a server that never answers, with sockRead: SocketTimeoutError", () =>
    run(async () => {
      await using server = await rawHttpServer(() => {});
      await using session = new ClientSession({ timeout: new ClientTimeout({ sockRead: 0.05 }) });
      const e = await errorOf(() => session.get(server.url));
      assert.ok(e instanceof SocketTimeoutError, String(e));
      assert.ok(e instanceof ServerTimeoutError);
      await server.waitClosed(1);
    }));

  test("aiots: a slow drip with gaps longer than sockRead: SocketTimeoutError while reading", () =>
    run(async () => {
      const stop = deferred();
      await using server = await rawHttpServer((_head, sock) => {
        respond(sock, ["HTTP/1.1 200 OK", "Content-Length: 100"], "a");
        // the next byte only once the client gave up
        sock.once("close", () => stop.resolve());
      });
      await using session = new ClientSession({ timeout: new ClientTimeout({ sockRead: 0.05 }) });
      await using resp = await session.get(server.url);
      const e = await errorOf(() => resp.read());
      assert.ok(e instanceof SocketTimeoutError, String(e));
      await stop.promise;
    }));

  test("aiots: a drip whose gaps stay within sockRead completes (sockRead is per read, not in all)", () =>
    run(async () => {
      await using server = await netServer((sock) => {
        sock.once("data", () => {
          sock.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
          let i = 0;
          const drip = (): void => {
            if (sock.destroyed) return;
            sock.write(String(i));
            if (++i < 5) setTimeout(drip, 5);
          };
          drip();
        });
      });
      await using session = new ClientSession({ timeout: new ClientTimeout({ sockRead: 5 }) });
      await using resp = await session.get(server.url);
      assert.equal(await resp.text(), "01234");
    }));

  test("test_timeout_on_conn_reading_headers: a server that never answers, with total: ServerTimeoutError, a TimeoutError", () =>
    run(async () => {
      await using server = await rawHttpServer(() => {});
      await using session = new ClientSession();
      const e = await errorOf(() => session.get(server.url, { timeout: new ClientTimeout({ total: 0.05 }) }));
      assert.ok(e instanceof ServerTimeoutError, String(e));
      assert.ok(e instanceof asyncio.TimeoutError);
      assert.ok(!(e instanceof asyncio.CancelledError));
      await server.waitClosed(1);
    }));
});
