// Requests through an HTTP proxy: the behaviour checked by aiohttp's tests/test_proxy_functional.py
// (absolute-form requests for http, CONNECT tunnels for https, proxy credentials, proxy errors),
// against a small forward proxy written here with node:http that records what it was asked.
// Each test names the aiohttp test it follows; "aiots:" titles are our own.
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { test } from "node:test";
import {
  BasicAuth,
  ClientHttpProxyError,
  ClientProxyConnectionError,
  ClientSession,
  InvalidURL,
  TCPConnector,
} from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import { thrownBy } from "../helpers.js";
import { selfSignedCert } from "./helpers.js";

// ---- local helpers ----

interface Closable extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
}

function closer(server: http.Server): () => Promise<void> {
  return () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
}

interface Target extends Closable {
  /** What the target received: `METHOD path` and its headers. */
  readonly requests: { line: string; headers: http.IncomingHttpHeaders }[];
}

async function target(tls?: { key: string; cert: string }): Promise<Target> {
  const requests: Target["requests"] = [];
  const handler: http.RequestListener = (req, res) => {
    requests.push({ line: `${req.method} ${req.url}`, headers: req.headers });
    req.resume();
    req.on("end", () => res.end(`target ${req.method} ${req.url}`));
  };
  const server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    requests,
    port,
    url: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    [Symbol.asyncDispose]: closer(server),
  };
}

interface Proxy extends Closable {
  /** Requests the proxy handled: `METHOD request-target`, with their headers. */
  readonly seen: { line: string; headers: http.IncomingHttpHeaders }[];
  /** TCP connections the proxy accepted. */
  connections: number;
}

/**
 * A forward proxy: absolute-form requests are forwarded to their origin; CONNECT opens a tunnel
 * (or is answered `connectStatus` when that is set). `requireAuth`: a Proxy-Authorization value
 * every request must carry (else 407).
 */
async function forwardProxy(options: { requireAuth?: string; connectStatus?: number } = {}): Promise<Proxy> {
  const seen: Proxy["seen"] = [];
  const tunnels = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push({ line: `${req.method} ${req.url}`, headers: req.headers });
    if (options.requireAuth !== undefined && req.headers["proxy-authorization"] !== options.requireAuth) {
      res.writeHead(407, { "Proxy-Authenticate": 'Basic realm="proxy"' });
      res.end();
      return;
    }
    const url = new URL(req.url!);
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const up = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers },
      (upRes) => {
        res.writeHead(upRes.statusCode!, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => {
      res.writeHead(502);
      res.end("bad gateway");
    });
    req.pipe(up);
  });
  server.on("connection", () => proxy.connections++);
  server.on("connect", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push({ line: `${req.method} ${req.url}`, headers: req.headers });
    tunnels.add(socket);
    socket.on("close", () => tunnels.delete(socket));
    socket.on("error", () => {});
    const refuse = (status: number, reason: string) =>
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\n\r\n`);
    if (options.connectStatus !== undefined) return refuse(options.connectStatus, "Refused");
    if (options.requireAuth !== undefined && req.headers["proxy-authorization"] !== options.requireAuth)
      return refuse(407, "Proxy Authentication Required");
    const [host, port] = req.url!.split(":");
    const up = net.connect(Number(port), host!, () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    tunnels.add(up);
    up.on("close", () => tunnels.delete(up));
    up.on("error", () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const close = closer(server);
  const proxy: Proxy = {
    seen,
    connections: 0,
    port,
    url: `http://127.0.0.1:${port}`,
    [Symbol.asyncDispose]: async () => {
      for (const s of tunnels) s.destroy();
      await close();
    },
  };
  return proxy;
}

async function textOf(session: ClientSession, url: string, options = {}): Promise<string> {
  await using r = await session.get(url, options);
  return await r.text();
}

const run = <T>(main: () => Promise<T>): Promise<T> => asyncio.run(main);

// ---- http through the proxy ----

test("test_proxy_http_absolute_path: the proxy gets an absolute-form request", async () => {
  await using t = await target();
  await using p = await forwardProxy();
  await run(async () => {
    await using session = new ClientSession({ proxy: p.url });
    assert.equal(await textOf(session, `${t.url}/path?query=yes`), "target GET /path?query=yes");
  });
  assert.deepEqual(
    p.seen.map((s) => s.line),
    [`GET ${t.url}/path?query=yes`],
  );
  assert.equal(p.seen[0]!.headers.host, `127.0.0.1:${t.port}`);
  assert.deepEqual(
    t.requests.map((r) => r.line),
    ["GET /path?query=yes"],
  );
});

test("test_proxy_http_absolute_path (request option): proxy per request; proxy null bypasses the session's", async () => {
  await using t = await target();
  await using p = await forwardProxy();
  await run(async () => {
    {
      await using session = new ClientSession();
      assert.equal(await textOf(session, `${t.url}/a`, { proxy: p.url }), "target GET /a");
      assert.equal(await textOf(session, `${t.url}/b`), "target GET /b");
    }
    await using viaSession = new ClientSession({ proxy: new URL(p.url) });
    assert.equal(await textOf(viaSession, `${t.url}/c`, { proxy: null }), "target GET /c");
    assert.equal(await textOf(viaSession, `${t.url}/d`), "target GET /d");
  });
  assert.deepEqual(
    p.seen.map((s) => s.line),
    [`GET ${t.url}/a`, `GET ${t.url}/d`],
  );
  assert.deepEqual(
    t.requests.map((r) => r.line),
    ["GET /a", "GET /b", "GET /c", "GET /d"],
  );
});

test("test_proxy_http_auth: proxyAuth sends Proxy-Authorization to the proxy only", async () => {
  const auth = new BasicAuth("user", "pass");
  await using t = await target();
  await using p = await forwardProxy({ requireAuth: auth.encode() });
  await run(async () => {
    await using session = new ClientSession();
    // aiots differs: aiohttp hands back the proxy's 407 as the response; undici's proxy agent makes
    // it an error, which aiots reports as ClientHttpProxyError(407).
    const denied = await thrownBy(session.get(`${t.url}/x`, { proxy: p.url }));
    assert.ok(denied instanceof ClientHttpProxyError, String(denied));
    assert.equal((denied as ClientHttpProxyError).status, 407);
    assert.equal(await textOf(session, `${t.url}/y`, { proxy: p.url, proxyAuth: auth }), "target GET /y");
    await using s2 = new ClientSession({ proxy: p.url, proxyAuth: auth });
    assert.equal(await textOf(s2, `${t.url}/z`), "target GET /z");
  });
  assert.deepEqual(
    p.seen.map((s) => s.headers["proxy-authorization"] ?? "-"),
    ["-", auth.encode(), auth.encode()],
  );
  for (const r of t.requests) {
    assert.equal(r.headers["proxy-authorization"], undefined);
    assert.equal(r.headers.authorization, undefined);
  }
});

test("test_proxy_http_auth_from_url: credentials in the proxy URL become Proxy-Authorization", async () => {
  const auth = new BasicAuth("user", "pass");
  await using t = await target();
  await using p = await forwardProxy({ requireAuth: auth.encode() });
  await run(async () => {
    await using session = new ClientSession();
    assert.equal(
      await textOf(session, `${t.url}/u`, { proxy: `http://user:pass@127.0.0.1:${p.port}` }),
      "target GET /u",
    );
  });
  assert.equal(p.seen[0]!.headers["proxy-authorization"], auth.encode());
});

test("aiots: proxyHeaders are sent to the proxy", async () => {
  await using t = await target();
  await using p = await forwardProxy();
  await run(async () => {
    await using session = new ClientSession();
    await textOf(session, `${t.url}/h`, { proxy: p.url, proxyHeaders: { "X-Proxy-Token": "tok" } });
  });
  assert.equal(p.seen[0]!.headers["x-proxy-token"], "tok");
});

test("test_proxy_http_acquired_cleanup: sequential requests reuse one connection to the proxy", async () => {
  await using t = await target();
  await using p = await forwardProxy();
  await run(async () => {
    await using session = new ClientSession({ proxy: p.url });
    for (const path of ["/1", "/2", "/3"])
      assert.equal(await textOf(session, t.url + path), `target GET ${path}`);
  });
  assert.equal(p.seen.length, 3);
  assert.equal(p.connections, 1);
});

test("test_proxy_http_bad_response: a proxy's own error status is the response", async () => {
  await using p = await forwardProxy();
  const dead = await target();
  const deadUrl = dead.url;
  await dead[Symbol.asyncDispose]();
  await run(async () => {
    await using session = new ClientSession({ proxy: p.url });
    await using resp = await session.get(`${deadUrl}/gone`);
    assert.equal(resp.status, 502);
    assert.equal(await resp.text(), "bad gateway");
  });
});

test("test_proxy_http_connection_error: a proxy that cannot be reached is ClientProxyConnectionError", async () => {
  await using t = await target();
  const dead = await forwardProxy();
  const deadUrl = dead.url;
  await dead[Symbol.asyncDispose]();
  await run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.get(`${t.url}/`, { proxy: deadUrl }));
    assert.ok(e instanceof ClientProxyConnectionError, String(e));
  });
  assert.equal(t.requests.length, 0);
});

test("test_request_with_wrong_proxy: a proxy that is no URL is InvalidURL, one of a wrong type a TypeError", () =>
  run(async () => {
    await using session = new ClientSession();
    const e1 = await thrownBy(session.get("http://127.0.0.1:1/", { proxy: "InvalidUrl" }));
    assert.ok(e1 instanceof InvalidURL, String(e1));
    const e2 = await thrownBy(session.get("http://127.0.0.1:1/", { proxy: 42 as never }));
    assert.ok(e2 instanceof TypeError, String(e2));
  }));

// ---- https through a CONNECT tunnel ----

const { pem: tls, skip: noOpenssl } = selfSignedCert("aiots-proxy-tls-");

test("test_proxy_https_connect: https goes through a CONNECT tunnel", { skip: noOpenssl }, async () => {
  await using t = await target(tls);
  await using p = await forwardProxy();
  await run(async () => {
    await using session = new ClientSession({
      connector: new TCPConnector({ ssl: false }),
      proxy: p.url,
    });
    assert.equal(await textOf(session, `${t.url}/secure?x=1`), "target GET /secure?x=1");
  });
  assert.deepEqual(
    p.seen.map((s) => s.line),
    [`CONNECT 127.0.0.1:${t.port}`],
  );
  assert.deepEqual(
    t.requests.map((r) => r.line),
    ["GET /secure?x=1"],
  );
});

test("test_proxy_https_auth (CONNECT): proxyAuth reaches the CONNECT, not the target", {
  skip: noOpenssl,
}, async () => {
  const auth = new BasicAuth("user", "pass");
  await using t = await target(tls);
  await using p = await forwardProxy({ requireAuth: auth.encode() });
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ ssl: false }) });
    assert.equal(await textOf(session, `${t.url}/s`, { proxy: p.url, proxyAuth: auth }), "target GET /s");
  });
  assert.equal(p.seen[0]!.headers["proxy-authorization"], auth.encode());
  assert.equal(t.requests[0]!.headers["proxy-authorization"], undefined);
});

test("test_proxy_https_bad_response: a CONNECT refused with 407 is ClientHttpProxyError", async () => {
  // No TLS needed: the tunnel is refused before any handshake.
  await using p = await forwardProxy({ connectStatus: 407 });
  await run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.get("https://127.0.0.1:9/path", { proxy: p.url }));
    assert.ok(e instanceof ClientHttpProxyError, String(e));
    assert.equal((e as ClientHttpProxyError).status, 407);
  });
  assert.deepEqual(
    p.seen.map((s) => s.line),
    ["CONNECT 127.0.0.1:9"],
  );
});
