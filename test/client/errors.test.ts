// The client's errors: the behaviour checked by aiohttp's tests/test_client_exceptions.py (what each
// error carries and how it prints), the class tree of aiohttp's client_exceptions with Python's
// multiple inheritance as `instanceof` brands, and the errors real failures raise.
// Each test names the aiohttp test it follows; "aiots:" titles are our own.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ClientConnectionError,
  ClientConnectionResetError,
  ClientConnectorCertificateError,
  ClientConnectorDNSError,
  ClientConnectorError,
  ClientConnectorSSLError,
  ClientError,
  ClientHttpProxyError,
  ClientOSError,
  ClientPayloadError,
  ClientProxyConnectionError,
  ClientResponseError,
  ClientSession,
  ClientTimeout,
  ConnectionTimeoutError,
  ContentTypeError,
  InvalidURL,
  InvalidUrlClientError,
  InvalidUrlRedirectClientError,
  NonHttpUrlClientError,
  NonHttpUrlRedirectClientError,
  RedirectClientError,
  type RequestInfo,
  ServerConnectionError,
  ServerDisconnectedError,
  ServerTimeoutError,
  SocketTimeoutError,
  TooManyRedirects,
  WSServerHandshakeError,
} from "../../src/client/index.js";
import { CIMultiDict, CIMultiDictProxy } from "../../src/http/index.js";
import * as asyncio from "../../src/index.js";
import { thrownBy } from "../helpers.js";
import { httpServer } from "./helpers.js";

// ---- local helpers ----

const requestInfo: RequestInfo = {
  url: new URL("http://example.com"),
  realUrl: new URL("http://example.com"),
  method: "GET",
  headers: new CIMultiDictProxy(new CIMultiDict<string>()),
};
const KEY = { host: "example.com", port: 8080, ssl: true };

// ---- what the errors carry ----

test("TestClientResponseError::test_default_status: status 0, empty reason, no headers", () => {
  const err = new ClientResponseError(requestInfo);
  assert.equal(err.status, 0);
  assert.equal(err.reason, "");
  assert.equal(err.headers, null);
  assert.deepEqual(err.history, []);
  assert.equal(err.requestInfo, requestInfo);
});

test("TestClientResponseError::test_status: status, message, headers, history", () => {
  const headers = new CIMultiDictProxy(new CIMultiDict<string>([["foo", "bar"]]));
  const err = new ClientResponseError(requestInfo, {
    status: 400,
    message: "Something wrong",
    headers,
    history: [],
  });
  assert.equal(err.status, 400);
  assert.equal(err.reason, "Something wrong");
  assert.equal(err.headers?.get("foo"), "bar");
});

test("TestClientResponseError::test_str: `status, message='…', url='…'`", () => {
  const err = new ClientResponseError(requestInfo, { status: 400, message: "Something wrong" });
  assert.equal(err.message, "400, message='Something wrong', url='http://example.com/'");
  assert.equal(String(err), "ClientResponseError: 400, message='Something wrong', url='http://example.com/'");
  assert.equal(new ClientResponseError(null, { status: 500 }).message, "500, message=''");
});

test("TestClientConnectorError::test_ctor / test_str: host, port, ssl, errno, message", () => {
  const os = Object.assign(new Error("No such file"), { code: "ENOENT", syscall: "open" });
  const err = new ClientConnectorError(KEY, os);
  assert.equal(err.host, "example.com");
  assert.equal(err.port, 8080);
  assert.equal(err.ssl, true);
  assert.equal(err.errno, "ENOENT");
  assert.equal(err.syscall, "open");
  assert.equal(err.cause, os);
  assert.equal(err.message, "Cannot connect to host example.com:8080 ssl:default [No such file]");
  const plain = new ClientConnectorError({ ...KEY, ssl: false }, os);
  assert.equal(plain.message, "Cannot connect to host example.com:8080 ssl:false [No such file]");
});

test("TestClientConnectorCertificateError::test_ctor / test_oserror", () => {
  const certErr = Object.assign(new Error("Bad certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  const err = new ClientConnectorCertificateError({ ...KEY, ssl: false }, certErr);
  assert.equal(err.cause, certErr);
  assert.equal(err.host, "example.com");
  assert.equal(err.port, 8080);
  assert.equal(err.ssl, false);
  assert.equal(err.errno, "DEPTH_ZERO_SELF_SIGNED_CERT");
  assert.match(err.message, /\[Bad certificate\]$/);
});

test("TestServerDisconnectedError::test_ctor / test_str: default message 'Server disconnected'", () => {
  assert.equal(new ServerDisconnectedError().message, "Server disconnected");
  assert.equal(new ServerDisconnectedError("No connection").message, "No connection");
  assert.equal(String(new ServerDisconnectedError()), "ServerDisconnectedError: Server disconnected");
});

test("TestInvalidURL::test_ctor / test_none_description / test_str_no_description / test_str_with_description", () => {
  const err = new InvalidURL(":wrong:url:", ":description:");
  assert.equal(err.url, ":wrong:url:");
  assert.equal(err.description, ":description:");
  assert.equal(err.message, ":wrong:url: - :description:");
  const bare = new InvalidURL(":wrong:url:");
  assert.equal(bare.description, null);
  assert.equal(bare.message, ":wrong:url:");
  assert.equal(new InvalidURL(new URL("http://x.test/a")).url, "http://x.test/a");
});

test("aiots: every error's name is its class name", () => {
  const errors: [Error, string][] = [
    [new ClientError("x"), "ClientError"],
    [new ClientPayloadError("x"), "ClientPayloadError"],
    [new ContentTypeError(null), "ContentTypeError"],
    [new SocketTimeoutError("x"), "SocketTimeoutError"],
    [new NonHttpUrlRedirectClientError("ftp://x"), "NonHttpUrlRedirectClientError"],
    [new ClientProxyConnectionError(KEY, new Error("x")), "ClientProxyConnectionError"],
  ];
  for (const [e, name] of errors) assert.equal(e.name, name);
});

// ---- the class tree ----

test("aiots (client_exceptions hierarchy): ClientResponseError and its subclasses", () => {
  for (const E of [ContentTypeError, TooManyRedirects, WSServerHandshakeError, ClientHttpProxyError]) {
    const e = new E(requestInfo, { status: 400 });
    assert.ok(e instanceof ClientResponseError, E.name);
    assert.ok(e instanceof ClientError, E.name);
    assert.ok(!(e instanceof ClientConnectionError), E.name);
  }
});

test("aiots (client_exceptions hierarchy): ClientOSError is an aiots OSError; connector errors are ClientOSErrors", () => {
  const os = new ClientOSError("boom", { errno: "EPIPE", syscall: "write" });
  assert.ok(os instanceof asyncio.OSError);
  assert.ok(os instanceof ClientConnectionError);
  assert.ok(os instanceof ClientError);
  assert.equal(os.errno, "EPIPE");
  assert.equal(os.syscall, "write");
  const cause = new Error("x");
  for (const E of [
    ClientConnectorError,
    ClientConnectorDNSError,
    ClientConnectorSSLError,
    ClientConnectorCertificateError,
    ClientProxyConnectionError,
  ]) {
    const e = new E(KEY, cause);
    assert.ok(e instanceof ClientConnectorError, E.name);
    assert.ok(e instanceof ClientOSError, E.name);
    assert.ok(e instanceof asyncio.OSError, E.name);
    assert.ok(e instanceof ClientConnectionError, E.name);
  }
  assert.ok(new ClientConnectorCertificateError(KEY, cause) instanceof ClientConnectorSSLError);
  assert.ok(!(new ClientConnectorDNSError(KEY, cause) instanceof ClientConnectorSSLError));
});

test("aiots (client_exceptions hierarchy): ServerTimeoutError is a TimeoutError and a ServerConnectionError", () => {
  for (const E of [ServerTimeoutError, ConnectionTimeoutError, SocketTimeoutError]) {
    const e = new E("t");
    assert.ok(e instanceof asyncio.TimeoutError, E.name);
    assert.ok(e instanceof ServerTimeoutError, E.name);
    assert.ok(e instanceof ServerConnectionError, E.name);
    assert.ok(e instanceof ClientConnectionError, E.name);
    assert.ok(e instanceof ClientError, E.name);
    assert.ok(!(e instanceof ServerDisconnectedError), E.name);
  }
  assert.ok(!(new SocketTimeoutError("t") instanceof ConnectionTimeoutError));
  // The other way round: a plain TimeoutError is no client error.
  assert.ok(!(new asyncio.TimeoutError("t") instanceof ClientError));
  assert.ok(new ServerDisconnectedError() instanceof ServerConnectionError);
  assert.ok(!(new ServerDisconnectedError() instanceof asyncio.TimeoutError));
});

test("aiots (client_exceptions hierarchy): ClientConnectionResetError is a ConnectionResetError", () => {
  const e = new ClientConnectionResetError("reset");
  assert.ok(e instanceof ClientConnectionError);
  assert.ok(e instanceof asyncio.ConnectionResetError);
  assert.ok(e instanceof asyncio.ConnectionError);
  assert.ok(e instanceof asyncio.OSError);
  assert.ok(!(e instanceof ClientOSError));
});

test("aiots (client_exceptions hierarchy): InvalidURL and its subclasses are ValueErrors", () => {
  for (const E of [
    InvalidURL,
    InvalidUrlClientError,
    NonHttpUrlClientError,
    RedirectClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlRedirectClientError,
  ]) {
    const e = new E("u");
    assert.ok(e instanceof InvalidURL, E.name);
    assert.ok(e instanceof asyncio.ValueError, E.name);
    assert.ok(e instanceof ClientError, E.name);
  }
  assert.ok(new InvalidUrlRedirectClientError("u") instanceof RedirectClientError);
  assert.ok(!(new InvalidUrlClientError("u") instanceof RedirectClientError));
  assert.ok(!(new asyncio.ValueError("v") instanceof InvalidURL));
  assert.ok(!(new ClientPayloadError("p") instanceof ClientConnectionError));
});

// ---- raised by real failures ----

test("test_request_conn_error / test_raise_for_status: refused connections and error statuses", async () => {
  await using srv = await httpServer((_req, res) => {
    res.writeHead(503);
    res.end();
  });
  const closed = await httpServer(() => {});
  const deadPort = closed.port;
  await closed[Symbol.asyncDispose]();
  await asyncio.run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.get(`http://127.0.0.1:${deadPort}/`));
    assert.ok(e instanceof ClientConnectorError, String(e));
    assert.ok(e instanceof asyncio.OSError);
    assert.equal((e as ClientConnectorError).errno, "ECONNREFUSED");
    assert.deepEqual((e as ClientConnectorError).connectionKey, {
      host: "127.0.0.1",
      port: deadPort,
      ssl: false,
    });
    const e2 = (await thrownBy(
      session.get(`${srv.url}/x?y=1`, { raiseForStatus: true }),
    )) as ClientResponseError;
    assert.ok(e2 instanceof ClientResponseError);
    assert.equal(e2.status, 503);
    assert.equal(e2.reason, "Service Unavailable");
    assert.equal(e2.requestInfo?.method, "GET");
    assert.equal(e2.requestInfo?.url.href, `${srv.url}/x?y=1`);
    assert.equal(e2.message, `503, message='Service Unavailable', url='${srv.url}/x?y=1'`);
  });
});

test("test_timeout_on_reading_headers: sockRead expiry is a SocketTimeoutError, which is a TimeoutError", async () => {
  await using srv = await httpServer(() => {
    /* never answers */
  });
  await asyncio.run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.get(`${srv.url}/`, { timeout: new ClientTimeout({ sockRead: 0.05 }) }));
    assert.ok(e instanceof SocketTimeoutError, String(e));
    assert.ok(e instanceof asyncio.TimeoutError);
    assert.ok(e instanceof ClientError);
  });
});

test("test_timeout_on_session_read_timeout (total): total expiry is a ServerTimeoutError", async () => {
  await using srv = await httpServer(() => {
    /* never answers */
  });
  await asyncio.run(async () => {
    await using session = new ClientSession({ timeout: new ClientTimeout({ total: 0.05 }) });
    const e = await thrownBy(session.get(`${srv.url}/`));
    assert.ok(e instanceof ServerTimeoutError, String(e));
    assert.ok(e instanceof asyncio.TimeoutError);
  });
});

test("test_broken_connection: a server closing without answering is ServerDisconnectedError", async () => {
  await using srv = await httpServer((req) => {
    req.socket.destroy();
  });
  await asyncio.run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.get(`${srv.url}/`));
    assert.ok(e instanceof ServerDisconnectedError || e instanceof ClientConnectionResetError, String(e));
    assert.ok(e instanceof ClientConnectionError);
  });
});

test("test_bad_payload_content_length: a body cut short is a ClientPayloadError", async () => {
  await using srv = await httpServer((req, res) => {
    res.writeHead(200, { "Content-Length": "10" });
    res.write("abc");
    setImmediate(() => req.socket.destroy());
  });
  await asyncio.run(async () => {
    await using session = new ClientSession();
    await using resp = await session.get(`${srv.url}/`);
    const e = await thrownBy(resp.read());
    assert.ok(e instanceof ClientPayloadError, String(e));
    assert.ok(!(e instanceof ClientConnectionError));
  });
});

test("test_HTTP_302_REDIRECT_NON_HTTP / test_invalid_redirect_url: redirect errors", async () => {
  await using srv = await httpServer((req, res) => {
    res.writeHead(302, { Location: req.url === "/ftp" ? "ftp://example.com/x" : "http://:/bad" });
    res.end();
  });
  await asyncio.run(async () => {
    await using session = new ClientSession();
    const e1 = await thrownBy(session.get(`${srv.url}/ftp`));
    assert.ok(e1 instanceof NonHttpUrlRedirectClientError, String(e1));
    assert.equal((e1 as InvalidURL).url, "ftp://example.com/x");
    const e2 = await thrownBy(session.get(`${srv.url}/bad`));
    assert.ok(e2 instanceof InvalidUrlRedirectClientError, String(e2));
    assert.ok(e2 instanceof asyncio.ValueError);
  });
});
